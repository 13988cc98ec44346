/* The peer protocol's negotiation, several hosts in one process: each host
 * a struct tend on the fake seam (fake_sys.h) with its own cluster, joined
 * by a simulated segment that the test can cut, make lossy or partition,
 * and a clock that all hosts share, advanced a millisecond at a time. The
 * invariant "never two runners while the segment is whole and nothing is
 * lost" is checked after every millisecond of every connected scenario. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cluster/cluster.h"
#include "core/registry.h"
#include "core/startup.h"
#include "services/declared.h"
#include "services/directory.h"
#include "fake_sys.h"

#define HOSTS 3
#define QUEUE 4096
#define HB 50
#define DEAD 200

struct host {
	struct fixture *fx;
	struct directory dir;
	struct cluster c;
	bool down; /* crashed: no timers, nothing in or out */
};

struct datagram {
	int from;
	uint32_t to;
	size_t len;
	uint8_t buf[WIRE_MAX];
};

static struct host hosts[HOSTS];
static struct datagram *queue;
static size_t queued;
/* side[i]: which side of a partition host i is on (all 0: whole). */
static int side[HOSTS];
/* Drops this many of every hundred datagrams (deterministic, by count). */
static unsigned loss_percent;
static unsigned long sent_count;
/* Hosts take their turn, and are handed datagrams, from the last: the
 * worse bidders' datagrams go first. */
static bool reverse_turns;

static uint32_t id_of(int i)
{
	return 0x0a000001u + (uint32_t)i; /* 10.0.0.1, .2, .3 */
}

static int host_of(const struct cluster *c)
{
	for (int i = 0; i < HOSTS; i++)
		if (&hosts[i].c == c)
			return i;
	fail_msg("a cluster that is no host's");
	return -1;
}

static void transmit(struct cluster *c, const uint8_t *buf, size_t len, uint32_t to)
{
	struct datagram *d;

	assert_true(queued < QUEUE);
	d = &queue[queued++];
	d->from = host_of(c);
	d->to = to;
	d->len = len;
	memcpy(d->buf, buf, len);
}

static bool lost(void)
{
	sent_count++;
	return loss_percent && (sent_count * 37 % 100) < loss_percent;
}

static void settle_host(struct host *h)
{
	deps_run(&h->fx->t);
	cluster_after_events(&h->c);
	directory_after_events(&h->dir);
}

/* Every datagram queued, and those they cause, to whom they are for. */
static void deliver(void)
{
	for (size_t k = 0; k < queued; k++) {
		struct datagram d = queue[k];
		for (int j = 0; j < HOSTS; j++) {
			int i = reverse_turns ? HOSTS - 1 - j : j;
			struct host *h = &hosts[i];
			if (i == d.from || h->down || hosts[d.from].down ||
			    side[i] != side[d.from] || (d.to && d.to != id_of(i)) ||
			    !h->c.link.now.usable || !hosts[d.from].c.link.now.usable)
				continue;
			if (lost())
				continue;
			cluster_receive(&h->c, d.buf, d.len, id_of(d.from));
			settle_host(h);
		}
	}
	queued = 0;
}

/* A copy that was told to stop ends at once, as a process on SIGTERM. */
static void stopped_copies_end(struct host *h)
{
	struct group *g = tend_find_group(&h->fx->t, "db");

	for (size_t i = 0; g && i < g->nprocs; i++)
		if (g->procs[i].state == PS_STOPPING && g->procs[i].pid > 0)
			exit_with(h->fx, &g->procs[i], 0);
}

static bool runs(int i)
{
	struct group *g = tend_find_group(&hosts[i].fx->t, "db");

	return !hosts[i].down && g && (g->state == GS_RUNNING || g->state == GS_STARTING);
}

static int runner_count(void)
{
	int n = 0;

	for (int i = 0; i < HOSTS; i++)
		n += runs(i);
	return n;
}

static int the_runner(void)
{
	for (int i = 0; i < HOSTS; i++)
		if (runs(i))
			return i;
	return -1;
}

/* ms milliseconds for every host; with `safe`, fails the moment two run. */
static void run_for(unsigned ms, bool safe)
{
	for (unsigned t = 0; t < ms; t++) {
		for (int k = 0; k < HOSTS; k++) {
			int i = reverse_turns ? HOSTS - 1 - k : k;
			struct host *h = &hosts[i];
			h->fx->f.nlog = 0; /* the fake's log is not looked at here */
			if (h->down)
				continue;
			h->fx->f.now++;
			timers_run_due(&h->fx->t.loop);
			settle_host(h);
			stopped_copies_end(h);
			settle_host(h);
		}
		deliver();
		if (safe && runner_count() > 1)
			fail_msg("two runners at %u ms", t);
	}
}

static const char conf_plain[] =
    "group \"db\" { negotiable = true\n"
    "  process \"db\" { command = \"x\" critical = true restart = never }\n"
    "  service \"db\" { process = \"db\" port = 5432 proto = tcp } }\n";
static const char conf_prefer3[] = "group \"db\" { negotiable = true  prefer = { \"10.0.0.3\" }\n"
				   "  process \"db\" { command = \"x\" } }\n";

static void start_host(int i, const char *conf)
{
	struct host *h = &hosts[i];
	char id[16];
	struct cluster_decl decl = { .file = "sim.conf",
				     .port = DEFAULT_CLUSTER_PORT,
				     .heartbeat_ms = HB,
				     .dead_after_ms = DEAD,
				     .id = id };

	h->fx = setup_with(conf);
	h->down = false;
	directory_init(&h->dir, NULL, &h->fx->t.log);
	cluster_init(&h->c, &h->fx->t, &h->dir);
	bus_subscribe(&h->fx->t.bus,
		      BUS_KIND(BUS_PROCESS_STATE) | BUS_KIND(BUS_GROUP_STATE) |
			  BUS_KIND(BUS_GROUP_UPDATED) | BUS_KIND(BUS_GROUP_GONE),
		      declared_on_event, &h->dir);
	bus_subscribe(&h->fx->t.bus,
		      BUS_KIND(BUS_GROUP_STATE) | BUS_KIND(BUS_RELOAD) | BUS_KIND(BUS_GROUP_GONE),
		      cluster_on_event, &h->c);
	cluster_id_text(id_of(i), id, sizeof(id));
	assert_int_equal(cluster_open_simulated(&h->c, &decl, transmit, 0x1000u + (uint32_t)i), 0);
	tend_start(&h->fx->t);
	assert_false(runs(i)); /* not before the negotiation */
}

/* Each host with its own conf.d. */
static void start_each(const char *const confs[HOSTS])
{
	queue = calloc(QUEUE, sizeof(*queue));
	assert_non_null(queue);
	queued = 0;
	loss_percent = 0;
	memset(side, 0, sizeof(side));
	for (int i = 0; i < HOSTS; i++)
		start_host(i, confs[i]);
}

static void start_all(const char *conf)
{
	const char *const confs[HOSTS] = { conf, conf, conf };

	start_each(confs);
}

static void stop_host(int i)
{
	struct host *h = &hosts[i];

	cluster_free(&h->c);
	directory_free(&h->dir);
	teardown_fixture(h->fx);
	h->fx = NULL;
}

static void stop_all(void)
{
	for (int i = 0; i < HOSTS; i++)
		if (hosts[i].fx)
			stop_host(i);
	free(queue);
	queue = NULL;
}

static struct negotiation *neg(int i)
{
	return negotiation_find(&hosts[i].c, "db");
}

static void exactly_one_runs_after_the_hold_off(void **state)
{
	(void)state;
	start_all(conf_plain);
	run_for(DEAD - 10, true);
	assert_int_equal(runner_count(), 0); /* the hold-off: nobody bids yet */
	run_for(3 * HB, true);
	assert_int_equal(runner_count(), 1);
	int r = the_runner();
	for (int i = 0; i < HOSTS; i++) {
		assert_true(neg(i)->has_owner);
		assert_int_equal(neg(i)->owner, id_of(r));
		assert_int_equal(neg(i)->term, 1);
	}
	/* and the service is everyone's: here, or remote from the owner */
	run_for(3 * HB, true);
	for (int i = 0; i < HOSTS; i++) {
		struct location *l = directory_find(&hosts[i].dir, "db");
		assert_non_null(l);
		assert_int_equal(l->owner, i == r ? OWNER_PROCESS : OWNER_PEER);
	}
	stop_all();
}

static void prefer_decides_among_simultaneous_bidders(void **state)
{
	(void)state;
	start_all(conf_prefer3);
	run_for(DEAD + 3 * HB, true);
	assert_int_equal(runner_count(), 1);
	assert_int_equal(the_runner(), 2); /* 10.0.0.3, though its ID is the highest */
	stop_all();
}

static void a_crashed_owner_is_replaced_after_dead_after_and_not_taken_back(void **state)
{
	(void)state;
	start_all(conf_plain);
	run_for(DEAD + 3 * HB, true);
	int r = the_runner();
	hosts[r].down = true;
	run_for(DEAD - HB, true);
	assert_int_equal(runner_count(), 0); /* not yet dead */
	run_for(2 * HB + 20, true);
	assert_int_equal(runner_count(), 1);
	int r2 = the_runner();
	assert_int_not_equal(r2, r);
	assert_int_equal(neg(r2)->term, 2);
	/* the old owner comes back as a new incarnation: it holds off, then
	 * watches; the group stays where it is */
	stop_host(r);
	start_host(r, conf_plain);
	run_for(DEAD + 10 * HB, true);
	assert_int_equal(the_runner(), r2);
	assert_int_equal(runner_count(), 1);
	stop_all();
}

static void
a_partition_runs_it_on_each_side_and_the_heal_leaves_one_within_a_heartbeat(void **state)
{
	(void)state;
	start_all(conf_plain);
	run_for(DEAD + 3 * HB, true);
	int r = the_runner();
	/* the runner alone on one side */
	for (int i = 0; i < HOSTS; i++)
		side[i] = i == r;
	run_for(DEAD + 4 * HB, false);
	assert_int_equal(runner_count(), 2);
	memset(side, 0, sizeof(side));
	run_for(HB + 2, false); /* one heartbeat (and the delivery) after the heal */
	assert_int_equal(runner_count(), 1);
	/* the copy of the lower term stopped: the old owner's */
	assert_false(runs(r));
	run_for(10 * HB, true);
	stop_all();
}

static void with_loss_there_is_never_more_than_one_and_eventually_one(void **state)
{
	(void)state;
	start_all(conf_plain);
	loss_percent = 20;
	run_for(DEAD + 20 * HB, true);
	assert_int_equal(runner_count(), 1);
	run_for(40 * HB, true);
	assert_int_equal(runner_count(), 1);
	stop_all();
}

static void a_fenced_owner_stops_and_a_peer_takes_over(void **state)
{
	(void)state;
	start_all(conf_plain);
	run_for(DEAD + 3 * HB, true);
	int r = the_runner();
	hosts[r].c.link.now.usable = false;
	hosts[r].c.link.changed(hosts[r].c.link.ctx);
	settle_host(&hosts[r]);
	assert_true(hosts[r].c.fenced);
	assert_false(runs(r)); /* at once, not after dead-after */
	run_for(DEAD + 3 * HB, true);
	assert_int_equal(runner_count(), 1);
	int r2 = the_runner();
	/* the link back: it listens, and takes nothing back */
	hosts[r].c.link.now.usable = true;
	hosts[r].c.link.changed(hosts[r].c.link.ctx);
	run_for(DEAD + 10 * HB, true);
	assert_int_equal(the_runner(), r2);
	stop_all();
}

static void a_failed_copy_is_released_and_taken_at_once(void **state)
{
	(void)state;
	start_all(conf_plain);
	run_for(DEAD + 3 * HB, true);
	int r = the_runner();
	struct process *p = proc(hosts[r].fx, "db", "db");
	exit_with(hosts[r].fx, p, 1); /* critical, restart = never: the group fails */
	settle_host(&hosts[r]);
	assert_int_equal(tend_find_group(&hosts[r].fx->t, "db")->state, GS_FAILED);
	run_for(HB / 2, true); /* well before dead-after: the release did it */
	assert_int_equal(runner_count(), 1);
	assert_int_not_equal(the_runner(), r);
	assert_true(neg(r)->failed_here);
	stop_all();
}

static const char conf_other[] = "group \"other\" { process \"o\" { command = \"x\" } }\n";

static void a_host_that_does_not_declare_the_group_does_not_hold_it_up(void **state)
{
	(void)state;
	const char *const confs[HOSTS] = { conf_plain, conf_plain, conf_other };
	start_each(confs);
	run_for(DEAD + 3 * HB, true);
	assert_int_equal(runner_count(), 1);
	assert_true(the_runner() == 0 || the_runner() == 1);
	stop_all();
}

static void a_start_from_elsewhere_is_refused_where_the_cluster_did_not_put_it(void **state)
{
	(void)state;
	start_all(conf_plain);
	run_for(DEAD + 3 * HB, true);
	int other = (the_runner() + 1) % HOSTS;
	struct group *g = tend_find_group(&hosts[other].fx->t, "db");
	group_step(&hosts[other].fx->t, g, GE_START); /* as a dependency would */
	assert_int_equal(g->state, GS_STOPPED);
	group_step(&hosts[other].fx->t, g, GE_RESTART);
	assert_int_equal(g->state, GS_STOPPED);
	run_for(5 * HB, true);
	assert_int_equal(runner_count(), 1);
	stop_all();
}

/* What is queued, to host i alone (the others lose it). */
static void deliver_only(int i)
{
	for (size_t k = 0; k < queued; k++) {
		struct datagram d = queue[k];
		if (d.from != i && (!d.to || d.to == id_of(i))) {
			cluster_receive(&hosts[i].c, d.buf, d.len, id_of(d.from));
			settle_host(&hosts[i]);
		}
	}
	queued = 0;
}

/* Host `from` answers `to`'s bid RUNNING, naming `owner`. */
static void answer_running(int from, int to, int owner)
{
	struct cluster *c = &hosts[from].c;
	struct wire_writer w;

	cluster_begin(c, &w, WIRE_ANSWER);
	wire_put_group(&w, "db", neg(from)->term, WG_OWNER);
	wire_put_answer(&w, WA_RUNNING);
	wire_put_target(&w, id_of(to));
	wire_put_owner(&w, id_of(owner));
	cluster_send(c, &w, id_of(to));
	deliver_only(to);
}

/* B4: the owner r releases; host b hears it first and bids, while host t,
 * which has not heard it yet, answers RUNNING(r). Believing t would make b
 * watch a group nobody runs (and answer RUNNING(r) to t's bid in turn: the
 * livelock tests/model finds). Only r's own RUNNING makes r the owner. */
static void only_the_owners_own_running_ends_a_bid(void **state)
{
	(void)state;
	start_all(conf_plain);
	run_for(DEAD + 3 * HB, true);
	int r = the_runner(), b = (r + 1) % HOSTS, t = (r + 2) % HOSTS;
	struct cluster *rc = &hosts[r].c;
	struct wire_writer w;

	cluster_begin(rc, &w, WIRE_RELEASE);
	wire_put_group(&w, "db", neg(r)->term, WG_OWNER);
	cluster_send(rc, &w, 0);
	deliver_only(b); /* b's bid goes nowhere: queued, then lost */
	assert_int_equal(neg(b)->state, NS_BID);
	queued = 0;

	answer_running(t, b, r);
	assert_int_equal(neg(b)->state, NS_BID); /* not an ACK, nothing more */
	assert_false(neg(b)->has_owner);

	answer_running(r, b, r);
	assert_int_equal(neg(b)->state, NS_WATCH);
	assert_true(neg(b)->has_owner);
	assert_int_equal(neg(b)->owner, id_of(r));
	run_for(5 * HB, true);
	assert_int_equal(runner_count(), 1);
	assert_int_equal(the_runner(), r);
	stop_all();
}

/* `tendctl release`: whichever host hears which bid first, the group is
 * running elsewhere within a few milliseconds, not after a bid retry (the
 * peers answered STALE for a promise to a bidder that had given up). */
static void a_planned_handover_takes_milliseconds(void **state)
{
	(void)state;
	for (int round = 0; round < 2 * HOSTS; round++) {
		start_all(conf_plain);
		reverse_turns = round % 2;
		run_for(DEAD + 3 * HB + 7 * (unsigned)round, true);
		int r = the_runner();
		negotiation_request(&hosts[r].c, neg(r), NR_HANDOVER);
		settle_host(&hosts[r]);
		unsigned ms = 0;
		while (ms < 10 * HB && (runner_count() != 1 || the_runner() == r)) {
			run_for(1, true);
			ms++;
		}
		assert_int_equal(runner_count(), 1);
		assert_int_not_equal(the_runner(), r);
		if (ms > 10)
			fail_msg("round %d: the handover took %u ms", round, ms);
		stop_all();
	}
	reverse_turns = false;
}

/* From a silent death to the group running elsewhere: dead-after at most
 * (the last heartbeat came before the crash), plus a bid round, which on
 * this segment takes no time. Both orders of who notices first. */
static void a_silent_death_is_replaced_within_dead_after(void **state)
{
	(void)state;
	for (int round = 0; round < 2 * HOSTS; round++) {
		start_all(conf_plain);
		reverse_turns = round % 2;
		run_for(DEAD + 3 * HB + 11 * (unsigned)round, true);
		int r = the_runner();
		hosts[r].down = true;
		unsigned ms = 0;
		while (ms < 4 * DEAD && runner_count() != 1) {
			run_for(1, true);
			ms++;
		}
		assert_int_equal(runner_count(), 1);
		if (ms > DEAD + 5)
			fail_msg("round %d: the failover took %u ms", round, ms);
		stop_all();
	}
	reverse_turns = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exactly_one_runs_after_the_hold_off),
		cmocka_unit_test(prefer_decides_among_simultaneous_bidders),
		cmocka_unit_test(a_crashed_owner_is_replaced_after_dead_after_and_not_taken_back),
		cmocka_unit_test(
		    a_partition_runs_it_on_each_side_and_the_heal_leaves_one_within_a_heartbeat),
		cmocka_unit_test(with_loss_there_is_never_more_than_one_and_eventually_one),
		cmocka_unit_test(a_fenced_owner_stops_and_a_peer_takes_over),
		cmocka_unit_test(a_failed_copy_is_released_and_taken_at_once),
		cmocka_unit_test(a_host_that_does_not_declare_the_group_does_not_hold_it_up),
		cmocka_unit_test(
		    a_start_from_elsewhere_is_refused_where_the_cluster_did_not_put_it),
		cmocka_unit_test(only_the_owners_own_running_ends_a_bid),
		cmocka_unit_test(a_planned_handover_takes_milliseconds),
		cmocka_unit_test(a_silent_death_is_replaced_within_dead_after),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

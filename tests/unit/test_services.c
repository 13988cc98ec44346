/* The services directory's model (services/): the index, coupling to
 * owners, the limits, the journal's replay; and declared services
 * following their processes through the bus, driven by the fake seam. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>

#include "fake_sys.h"
#include "core/reload_apply.h"
#include "services/declared.h"
#include "services/directory.h"

/* ---- a listener that writes the changes down ---- */

struct heard {
	char lines[64][120];
	int n;
};

static void note_change(void *ctx, const struct change *c)
{
	struct heard *h = ctx;
	assert_true(h->n < 64);
	if (c->kind == CHANGE_GROUP)
		snprintf(h->lines[h->n++], 120, "%llu group %s %s", (unsigned long long)c->index,
			 c->subject, group_state_name((enum group_state)c->state));
	else
		snprintf(h->lines[h->n++], 120, "%llu %s %s %s:%u%s%s",
			 (unsigned long long)c->index, change_kind_verb((enum change_kind)c->kind),
			 c->loc->name, c->loc->host, c->loc->port, c->from ? " from " : "",
			 c->from ? c->from->host : "");
}

static void count_only(void *ctx, const struct change *c)
{
	(void)c;
	((struct heard *)ctx)->n++;
}

static void assert_heard(const struct heard *h, const char *const *want)
{
	int n = 0;
	for (; want[n]; n++) {
		if (n >= h->n)
			fail_msg("missing change %d: want \"%s\"", n, want[n]);
		if (strcmp(h->lines[n], want[n]) != 0)
			fail_msg("change %d: got \"%s\", want \"%s\"", n, h->lines[n], want[n]);
	}
	if (n != h->n)
		fail_msg("unexpected change %d: \"%s\"", n, h->lines[n]);
}

static uid_t spec_uid = 1000; /* who registers, in loc_of */

static struct location *loc_of(const char *name, const char *host, unsigned port,
			       enum owner_kind owner, pid_t pid)
{
	struct location_spec spec = { .name = name,
				      .host = host,
				      .port = port,
				      .owner = owner,
				      .pid = pid,
				      .uid = spec_uid };
	const char *why = NULL;
	struct location *l = location_new(&spec, "127.0.0.1", &why);
	if (!l)
		fail_msg("location_new: %s", why);
	return l;
}

static int put(struct directory *d, struct location *l)
{
	char err[160];
	return directory_put(d, l, err, sizeof(err));
}

/* ---- the model ---- */

static void every_change_gets_the_next_index(void **state)
{
	(void)state;
	struct directory d;
	struct heard h = { 0 };
	directory_init(&d, NULL, NULL);
	journal_listen(&d.journal, note_change, &h);
	assert_int_equal(put(&d, loc_of("web", NULL, 80, OWNER_PID, 7)), 0);
	assert_int_equal(put(&d, loc_of("web", NULL, 81, OWNER_PID, 8)), 0);
	/* the same owner's location on another port: an update of it */
	assert_int_equal(put(&d, loc_of("web", NULL, 82, OWNER_PID, 7)), 0);
	/* ... on another host: a move */
	assert_int_equal(put(&d, loc_of("web", "10.0.0.2", 82, OWNER_PID, 7)), 0);
	/* exactly what is there already: no change */
	assert_int_equal(put(&d, loc_of("web", "10.0.0.2", 82, OWNER_PID, 7)), 0);
	struct location *first = directory_find(&d, "web");
	assert_non_null(first);
	assert_non_null(directory_next_of_name(first));
	assert_null(directory_next_of_name(directory_next_of_name(first)));
	assert_int_equal(d.nservices, 1);
	directory_remove(&d, first);
	const char *const want[] = { "1 add web 127.0.0.1:80",
				     "2 add web 127.0.0.1:81",
				     "3 update web 127.0.0.1:82 from 127.0.0.1",
				     "4 move web 10.0.0.2:82 from 127.0.0.1",
				     "5 remove web 10.0.0.2:82",
				     NULL };
	assert_heard(&h, want);
	assert_int_equal(d.journal.index, 5);
	assert_int_equal(d.nlocations, 1);
	directory_free(&d);
}

static void an_owner_ending_takes_its_coupled_locations_only(void **state)
{
	(void)state;
	struct directory d;
	directory_init(&d, NULL, NULL);
	assert_int_equal(put(&d, loc_of("a", NULL, 1, OWNER_PID, 7)), 0);
	assert_int_equal(put(&d, loc_of("b", NULL, 2, OWNER_PID, 7)), 0);
	assert_int_equal(put(&d, loc_of("b", NULL, 3, OWNER_NONE, 7)), 0);
	assert_int_equal(put(&d, loc_of("c", NULL, 4, OWNER_PID, 9)), 0);
	directory_owner_gone(&d, 7);
	assert_null(directory_find(&d, "a"));
	struct location *b = directory_find(&d, "b");
	assert_non_null(b);
	assert_null(directory_next_of_name(b));
	assert_int_equal(b->owner, OWNER_NONE);
	assert_non_null(directory_find(&d, "c"));
	assert_int_equal(d.nlocations, 2);
	assert_int_equal(d.nservices, 2);
	directory_free(&d);
}

static void the_limits_refuse_and_change_nothing(void **state)
{
	(void)state;
	struct directory d;
	char err[160];
	directory_init(&d, NULL, NULL);
	char name[16];
	for (unsigned i = 1; i <= SERVICES_PER_CLIENT_MAX; i++) {
		snprintf(name, sizeof(name), "s%u", i);
		assert_int_equal(put(&d, loc_of(name, NULL, i, OWNER_PID, 7)), 0);
	}
	uint64_t index = d.journal.index;
	assert_int_equal(directory_put(&d, loc_of("s", NULL, 999, OWNER_PID, 7), err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "holds 64 services"));
	/* another client may */
	assert_int_equal(put(&d, loc_of("s", NULL, 999, OWNER_PID, 8)), 0);
	d.max_locations = 65;
	assert_int_equal(directory_put(&d, loc_of("t", NULL, 1, OWNER_NONE, 9), err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "services-max is 65"));
	assert_int_equal(d.journal.index, index + 1);
	assert_int_equal(d.nlocations, 65);
	/* replacing one in place is no new location: allowed when full */
	assert_int_equal(put(&d, loc_of("s", "10.0.0.9", 999, OWNER_PID, 8)), 0);
	/* one process holds one location of a name: registering it again
	 * replaces it, which is no new location either */
	assert_int_equal(put(&d, loc_of("s1", NULL, 1000, OWNER_PID, 7)), 0);
	assert_int_equal(d.nlocations, 65);
	directory_free(&d);
}

static void bad_fields_make_no_location(void **state)
{
	(void)state;
	const char *why = NULL;
	char *ctx_bad[] = { "novalue", NULL };
	char *ctx_dup[] = { "a=1", "a=2", NULL };
	struct location_spec specs[] = {
		{ .name = "" },
		{ .name = "a/b" },
		{ .name = "-x" }, /* it would read as an option */
		{ .name = "ok", .host = "example.org" },
		{ .name = "ok", .port = 70000 },
		{ .name = "ok", .proto = PROTO_UNIX },
		{ .name = "ok", .proto = PROTO_UNIX, .path = "/x", .port = 1 },
		{ .name = "ok", .proto = PROTO_TCP, .path = "/x" },
		{ .name = "ok", .context = ctx_bad },
		{ .name = "ok", .context = ctx_dup },
	};
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		why = NULL;
		assert_null(location_new(&specs[i], "127.0.0.1", &why));
		assert_non_null(why);
	}
}

static void a_reconnecting_watcher_gets_what_it_missed_or_nothing(void **state)
{
	(void)state;
	struct directory d;
	struct heard h = { 0 };
	directory_init(&d, NULL, NULL);
	/* nobody watched yet: changes are counted, not kept */
	assert_int_equal(put(&d, loc_of("z", NULL, 9, OWNER_NONE, 7)), 0);
	assert_null(d.journal.ring);
	assert_int_equal(journal_replay(&d.journal, 0, note_change, &h), -1);
	assert_int_equal(h.n, 0);
	directory_remove(&d, directory_find(&d, "z"));
	journal_arm(&d.journal);
	/* a --since from before: resync */
	assert_int_equal(journal_replay(&d.journal, 1, note_change, &h), -1);
	assert_int_equal(put(&d, loc_of("a", NULL, 1, OWNER_NONE, 7)), 0);
	assert_int_equal(put(&d, loc_of("b", NULL, 2, OWNER_NONE, 7)), 0);
	assert_int_equal(put(&d, loc_of("c", NULL, 3, OWNER_NONE, 7)), 0);
	assert_int_equal(journal_replay(&d.journal, 3, note_change, &h), 0);
	const char *const want[] = { "4 add b 127.0.0.1:2", "5 add c 127.0.0.1:3", NULL };
	assert_heard(&h, want);
	h.n = 0;
	assert_int_equal(journal_replay(&d.journal, 5, note_change, &h), 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(journal_replay(&d.journal, 6, note_change, &h), -1);
	/* push the first changes out of the ring */
	for (int i = 0; i < JOURNAL_KEEP / 2 + 1; i++) {
		directory_remove(&d, directory_find(&d, "a"));
		assert_int_equal(put(&d, loc_of("a", NULL, 1, OWNER_NONE, 7)), 0);
	}
	assert_int_equal(journal_replay(&d.journal, 5, note_change, &h), -1);
	assert_int_equal(h.n, 0);
	/* the oldest change kept is still there */
	assert_int_equal(journal_replay(&d.journal, d.journal.index - 1, note_change, &h), 0);
	assert_int_equal(h.n, 1);
	h.n = 0;
	struct heard *many = calloc(1, sizeof(*many));
	assert_int_equal(
	    journal_replay(&d.journal, d.journal.index - JOURNAL_KEEP - 1, note_change, many), -1);
	free(many);
	directory_free(&d);
}

/* A pid that ends is seen through its pidfd. */
static void a_registering_process_that_ends_is_seen_through_its_pidfd(void **state)
{
	(void)state;
	int probe = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (probe < 0 && errno == ENOSYS) {
		print_message("skipped: no pidfd_open here (valgrind does not know it)\n");
		skip();
	}
	close(probe);
	struct fixture *fx = setup_with("group \"g\" { process \"p\" { command = \"x\" } }\n");
	struct directory d;
	directory_init(&d, &fx->t.loop, &fx->t.log);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(put(&d, loc_of("gone", NULL, 1, OWNER_PID, child)), 0);
	struct owner_watch *o = d.owners;
	assert_non_null(o);
	kill(child, SIGKILL);
	struct pollfd pfd = { .fd = o->w.fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	o->w.on_ready(&o->w, POLLIN);
	assert_null(directory_find(&d, "gone"));
	assert_null(d.owners);
	directory_after_events(&d);
	waitpid(child, NULL, 0);
	/* and one that is gone already is refused */
	char err[160];
	assert_int_equal(
	    directory_put(&d, loc_of("late", NULL, 1, OWNER_PID, child), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no such process"));
	directory_free(&d);
	teardown_fixture(fx);
}

/* ---- declared services through the bus ---- */

static const char declared_conf[] =
    "group \"web\" {\n"
    "  process \"srv\" { command = \"x\" ready = notify restart-delay = 10ms }\n"
    "  process \"side\" { command = \"y\" }\n"
    "  service \"http\" { process = \"srv\" port = 80 proto = tcp }\n"
    "  service \"admin\" { process = \"srv\" port = 81 }\n"
    "}\n";

static void a_declared_service_follows_its_process(void **state)
{
	(void)state;
	struct fixture *fx = setup_with(declared_conf);
	struct directory d;
	struct heard h = { 0 };
	directory_init(&d, NULL, &fx->t.log);
	journal_listen(&d.journal, note_change, &h);
	bus_subscribe(&fx->t.bus,
		      BUS_KIND(BUS_PROCESS_STATE) | BUS_KIND(BUS_GROUP_UPDATED) |
			  BUS_KIND(BUS_GROUP_GONE),
		      declared_on_event, &d);
	struct group *g = tend_find_group(&fx->t, "web");
	struct process *srv = proc(fx, "web", "srv");
	group_step(&fx->t, g, GE_START);
	settle(fx);
	assert_int_equal(srv->state, PS_STARTING);
	assert_null(directory_find(&d, "http")); /* not ready yet */
	process_step(&fx->t, srv, PE_READY);
	settle(fx);
	assert_int_equal(srv->state, PS_RUNNING);
	assert_non_null(directory_find(&d, "http"));
	assert_non_null(directory_find(&d, "admin"));
	killed_by(fx, srv, SIGKILL);
	settle(fx);
	assert_null(directory_find(&d, "http"));
	assert_null(directory_find(&d, "admin"));
	advance(fx, 10);
	process_step(&fx->t, srv, PE_READY);
	settle(fx);
	const char *const want[] = { "1 add http 127.0.0.1:80",
				     "2 add admin 127.0.0.1:81",
				     "3 remove http 127.0.0.1:80",
				     "4 remove admin 127.0.0.1:81",
				     "5 add http 127.0.0.1:80",
				     "6 add admin 127.0.0.1:81",
				     NULL };
	assert_heard(&h, want);
	group_step(&fx->t, g, GE_STOP);
	settle(fx);
	/* side stops first (reverse order); srv is stopping once it is gone */
	assert_int_equal(srv->state, PS_RUNNING);
	assert_int_equal(d.nlocations, 2);
	exit_with(fx, proc(fx, "web", "side"), 0);
	settle(fx);
	assert_int_equal(srv->state, PS_STOPPING);
	assert_int_equal(d.nlocations, 0);
	directory_free(&d);
	teardown_fixture(fx);
}

static void a_reload_that_changes_a_service_updates_it_in_place(void **state)
{
	(void)state;
	struct fixture *fx = setup_with(declared_conf);
	struct directory d;
	struct heard h = { 0 };
	directory_init(&d, NULL, &fx->t.log);
	bus_subscribe(&fx->t.bus,
		      BUS_KIND(BUS_PROCESS_STATE) | BUS_KIND(BUS_GROUP_UPDATED) |
			  BUS_KIND(BUS_GROUP_GONE),
		      declared_on_event, &d);
	struct process *srv = proc(fx, "web", "srv");
	group_step(&fx->t, tend_find_group(&fx->t, "web"), GE_START);
	settle(fx);
	process_step(&fx->t, srv, PE_READY);
	settle(fx);
	pid_t pid = srv->pid;
	journal_listen(&d.journal, note_change, &h);

	/* http moves to port 8080; admin goes; metrics comes */
	char dir[] = "/tmp/tend-unit-XXXXXX", path[64], err[512] = "";
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.conf", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("group \"web\" {\n"
	      "  process \"srv\" { command = \"x\" ready = notify restart-delay = 10ms }\n"
	      "  process \"side\" { command = \"y\" }\n"
	      "  service \"http\" { process = \"srv\" port = 8080 proto = tcp }\n"
	      "  service \"metrics\" { process = \"srv\" port = 9100 }\n"
	      "}\n",
	      fp);
	fclose(fp);
	struct config cfg = { 0 };
	assert_int_equal(config_load_dir(dir, &cfg, err, sizeof(err)), 0);
	unlink(path);
	rmdir(dir);
	struct buf report = { 0 };
	assert_int_equal(reload_apply(&fx->t, &cfg, &report), 0);
	assert_non_null(strstr(report.data, "updated web in place"));
	buf_free(&report);
	config_free(&cfg);
	settle(fx);
	assert_int_equal(srv->pid, pid); /* not restarted */
	const char *const want[] = { "3 remove admin 127.0.0.1:81",
				     "4 update http 127.0.0.1:8080 from 127.0.0.1",
				     "5 add metrics 127.0.0.1:9100", NULL };
	assert_heard(&h, want);
	directory_free(&d);
	teardown_fixture(fx);
}

static void a_place_is_taken_only_by_its_uid_or_root_and_never_from_conf_d(void **state)
{
	(void)state;
	struct directory d;
	struct heard h = { 0 };
	char err[160];
	directory_init(&d, NULL, NULL);
	assert_int_equal(put(&d, loc_of("s", NULL, 1, OWNER_PID, 7)), 0); /* uid 1000 */
	assert_int_equal(put(&d, loc_of("s", NULL, 2, OWNER_PID, 8)), 0);
	journal_listen(&d.journal, note_change, &h);
	spec_uid = 1001;
	assert_int_equal(directory_put(&d, loc_of("s", NULL, 1, OWNER_PID, 9), err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "registered by uid 1000"));
	/* its own uid may; and pid 8, taking port 1, gives up its port 2 */
	spec_uid = 1000;
	assert_int_equal(put(&d, loc_of("s", NULL, 1, OWNER_PID, 8)), 0);
	/* root may too */
	spec_uid = 0;
	assert_int_equal(put(&d, loc_of("s", NULL, 1, OWNER_PID, 9)), 0);
	spec_uid = 1000;
	const char *const want[] = { "3 update s 127.0.0.1:1", "4 remove s 127.0.0.1:2",
				     "5 update s 127.0.0.1:1", NULL };
	assert_heard(&h, want);
	assert_int_equal(d.nlocations, 1);
	assert_int_equal(owners_count(&d, 7), 0);
	assert_int_equal(owners_count(&d, 8), 0);
	assert_int_equal(owners_count(&d, 9), 1);
	/* hosts are compared as addresses */
	assert_int_equal(put(&d, loc_of("v6", "0:0::1", 5, OWNER_NONE, 7)), 0);
	assert_string_equal(directory_find(&d, "v6")->host, "::1");
	assert_int_equal(put(&d, loc_of("v6", "::1", 5, OWNER_NONE, 7)), 0);
	assert_int_equal(d.journal.index, 6); /* the same location: no change */
	/* registered again by another process: decoupled, it is still the same */
	assert_int_equal(put(&d, loc_of("v6", "::1", 5, OWNER_NONE, 99)), 0);
	assert_int_equal(d.journal.index, 6);
	directory_free(&d);
}

static void another_uid_cannot_move_a_location_through_its_pid(void **state)
{
	(void)state;
	struct directory d;
	directory_init(&d, NULL, NULL);
	spec_uid = 0;
	assert_int_equal(put(&d, loc_of("web", NULL, 1, OWNER_PID, 7)), 0);
	spec_uid = 1000;
	/* the same pid named by another uid: a location of its own, not root's moved */
	assert_int_equal(put(&d, loc_of("web", NULL, 2, OWNER_PID, 7)), 0);
	struct location *l = directory_find(&d, "web");
	assert_int_equal(l->port, 1);
	assert_int_equal(l->uid, 0);
	assert_non_null(directory_next_of_name(l));
	/* at its decoupled limit, a uid may still update one of its own */
	char name[16];
	for (unsigned i = 1; i <= SERVICES_PER_CLIENT_MAX; i++) {
		snprintf(name, sizeof(name), "d%u", i);
		assert_int_equal(put(&d, loc_of(name, NULL, i, OWNER_NONE, 100 + i)), 0);
	}
	char *ctx[] = { "v=2", NULL };
	struct location_spec spec = { .name = "d1",
				      .port = 1,
				      .owner = OWNER_NONE,
				      .pid = 555,
				      .uid = 1000,
				      .context = ctx };
	const char *why;
	struct location *again = location_new(&spec, "127.0.0.1", &why);
	assert_non_null(again);
	assert_int_equal(put(&d, again), 0);
	assert_string_equal(directory_find(&d, "d1")->context, "v=2");
	char err[160];
	assert_int_equal(
	    directory_put(&d, loc_of("d65", NULL, 65, OWNER_NONE, 1), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "uid 1000 holds 64 decoupled"));
	/* a declared location's place is conf.d's, even for root */
	static const int a_process; /* stands for the declared process: only compared */
	struct location_spec declared = { .name = "http",
					  .port = 80,
					  .owner = OWNER_PROCESS,
					  .proc = (const struct process *)&a_process,
					  .group_name = "web",
					  .process_name = "srv",
					  .uid = 0 };
	assert_int_equal(put(&d, location_new(&declared, "127.0.0.1", &why)), 0);
	spec_uid = 0;
	assert_int_equal(
	    directory_put(&d, loc_of("http", NULL, 80, OWNER_NONE, 1), err, sizeof(err)), -1);
	spec_uid = 1000;
	assert_non_null(strstr(err, "declared by web/srv"));
	assert_int_equal(directory_find(&d, "http")->owner, OWNER_PROCESS);
	directory_free(&d);
}

static void the_oldest_change_kept_is_the_limit_of_a_replay(void **state)
{
	(void)state;
	struct directory d;
	directory_init(&d, NULL, NULL);
	journal_arm(&d.journal);
	for (int i = 0; i < JOURNAL_KEEP + 10; i++) {
		assert_int_equal(put(&d, loc_of("a", NULL, 1, OWNER_NONE, 7)), 0);
		directory_remove(&d, directory_find(&d, "a"));
	}
	uint64_t index = d.journal.index;
	struct heard *many = calloc(1, sizeof(*many));
	/* exactly JOURNAL_KEEP changes after `since`: all kept */
	assert_int_equal(journal_replay(&d.journal, index - JOURNAL_KEEP, count_only, many), 0);
	assert_int_equal(many->n, JOURNAL_KEEP);
	many->n = 0;
	assert_int_equal(journal_replay(&d.journal, index - JOURNAL_KEEP - 1, count_only, many),
			 -1);
	assert_int_equal(many->n, 0);
	free(many);
	directory_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_change_gets_the_next_index),
		cmocka_unit_test(an_owner_ending_takes_its_coupled_locations_only),
		cmocka_unit_test(the_limits_refuse_and_change_nothing),
		cmocka_unit_test(bad_fields_make_no_location),
		cmocka_unit_test(a_reconnecting_watcher_gets_what_it_missed_or_nothing),
		cmocka_unit_test(a_registering_process_that_ends_is_seen_through_its_pidfd),
		cmocka_unit_test(a_declared_service_follows_its_process),
		cmocka_unit_test(a_reload_that_changes_a_service_updates_it_in_place),
		cmocka_unit_test(a_place_is_taken_only_by_its_uid_or_root_and_never_from_conf_d),
		cmocka_unit_test(the_oldest_change_kept_is_the_limit_of_a_replay),
		cmocka_unit_test(another_uid_cannot_move_a_location_through_its_pid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

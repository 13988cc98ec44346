/* The bus (core/bus.h) and what the state machines publish on it; the
 * checks that report what must not happen (a step during delivery, a pair
 * of the process table that cannot happen); and the spawn request the seam
 * gets, which says what a process would be started with. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>

#include "fake_sys.h"
#include "core/reaper.h"

/* ---- a subscriber that writes down what it hears ---- */

struct heard {
	char log[64][80];
	int n;
	struct exit_record exit; /* the last BUS_PROCESS_EXITED */
	struct fixture *fx;	 /* for step_in_delivery */
};

static void note_event(void *ctx, const struct bus_event *ev)
{
	struct heard *h = ctx;
	char *line = h->log[h->n];
	assert_true(h->n < 64);
	switch (ev->kind) {
	case BUS_PROCESS_SPAWNED:
		snprintf(line, 80, "%s %s", ev->restart ? "restarted" : "spawned",
			 ev->proc->decl->name);
		break;
	case BUS_PROCESS_EXITED:
		snprintf(line, 80, "exited %s %d", ev->proc->decl->name, ev->exit->pid);
		h->exit = *ev->exit;
		break;
	case BUS_PROCESS_STATE:
		snprintf(line, 80, "%s %s", ev->proc->decl->name, proc_state_name(ev->proc->state));
		break;
	case BUS_PROCESS_HUNG:
		snprintf(line, 80, "hung %s", ev->proc->decl->name);
		break;
	case BUS_GROUP_STATE:
		snprintf(line, 80, "group %s %s", ev->group->decl.name,
			 group_state_name(ev->group->state));
		break;
	case BUS_DESCENDANT_REAPED:
		snprintf(line, 80, "descendant %d of %s", ev->exit->pid,
			 ev->proc ? ev->proc->decl->name : "nobody");
		h->exit = *ev->exit;
		break;
	case BUS_CHANGED:
		return; /* after every change: too many to write down */
	default:
		snprintf(line, 80, "kind %d", (int)ev->kind);
		break;
	}
	h->n++;
}

static void assert_heard(struct heard *h, const char *const *want)
{
	int n = 0;
	for (; want[n]; n++) {
		if (n >= h->n)
			fail_msg("missing event %d: want \"%s\"", n, want[n]);
		if (strcmp(h->log[n], want[n]) != 0)
			fail_msg("event %d: got \"%s\", want \"%s\"", n, h->log[n], want[n]);
	}
	if (n != h->n)
		fail_msg("unexpected event %d: \"%s\"", n, h->log[n]);
	h->n = 0;
}

#define ALL_KINDS ((1u << BUS__COUNT) - 1)

/* Events reach a subscriber at once, in the order things happen: a start,
 * a crash, the restart after the delay. */
static void events_arrive_in_the_order_things_happen(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" restart-delay = 1s }\n");
	struct heard h = { 0 };
	assert_int_equal(bus_subscribe(&fx->t.bus, ALL_KINDS, note_event, &h), 0);
	struct group *g = tend_find_group(&fx->t, "local");
	group_step(&fx->t, g, GE_START);
	assert_heard(&h, (const char *[]){ "group local starting", "spawned p", "p running",
					   "group local running", NULL });
	killed_by(fx, proc(fx, "local", "p"), SIGSEGV);
	assert_heard(&h, (const char *[]){ "exited p 100", "p backoff", NULL });
	advance(fx, 1000);
	assert_heard(&h, (const char *[]){ "restarted p", "p running", NULL });
	teardown_fixture(fx);
}

/* Each subscriber gets the kinds it asked for, in the order subscribed. */
static void subscribers_get_their_kinds_in_order(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" }\n");
	struct heard all = { 0 }, groups = { 0 };
	bus_subscribe(&fx->t.bus, BUS_KIND(BUS_GROUP_STATE), note_event, &groups);
	bus_subscribe(&fx->t.bus, ALL_KINDS, note_event, &all);
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_START);
	assert_heard(&groups,
		     (const char *[]){ "group local starting", "group local running", NULL });
	assert_heard(&all, (const char *[]){ "group local starting", "spawned p", "p running",
					     "group local running", NULL });
	teardown_fixture(fx);
}

/* The exit record: pid, status, and how long it ran on both clocks. */
static void an_exit_record_says_how_long_and_how_it_ended(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" restart = never }\n");
	struct heard h = { 0 };
	bus_subscribe(&fx->t.bus, BUS_KIND(BUS_PROCESS_EXITED), note_event, &h);
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_START);
	uint64_t started = fx->f.now;
	fx->f.now += 2500;
	exit_with(fx, proc(fx, "local", "p"), 3);
	assert_heard(&h, (const char *[]){ "exited p 100", NULL });
	assert_int_equal(h.exit.pid, 100);
	assert_true(WIFEXITED(h.exit.wait_status) && WEXITSTATUS(h.exit.wait_status) == 3);
	assert_int_equal(h.exit.start_ms, started);
	assert_int_equal(h.exit.end_ms, started + 2500);
	assert_int_equal(h.exit.end_wall_ms, fx->f.now + 1700000000000u);
	assert_int_equal(h.exit.end_wall_ms - h.exit.start_wall_ms, 2500);
	assert_false(h.exit.has_usage); /* the test reported no rusage */
	teardown_fixture(fx);
}

static void burn_60ms_then_exit_7(void)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 60);
	_exit(7);
}

/* With a real child, the reaper's record carries its rusage from wait4: the
 * CPU it burned is there. */
static pid_t real_spawn(struct sys *s, const struct spawn_request *req, int *err)
{
	(void)s;
	(void)req;
	(void)err;
	pid_t pid = fork();
	if (pid == 0)
		burn_60ms_then_exit_7();
	return pid;
}

static void the_reaper_records_the_rusage_of_a_real_child(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" restart = never }\n");
	struct sys_ops ops = *fx->t.sys.ops;
	ops.spawn = real_spawn;
	fx->t.sys.ops = &ops;
	struct heard h = { 0 };
	bus_subscribe(&fx->t.bus, BUS_KIND(BUS_PROCESS_EXITED), note_event, &h);
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_START);
	pid_t pid = proc(fx, "local", "p")->pid;
	assert_true(pid > 0);
	siginfo_t info;
	/* Wait for it to end without reaping it: the reaper does that. */
	assert_int_equal(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
	reap_children(&fx->t);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.exit.pid, pid);
	assert_true(WIFEXITED(h.exit.wait_status) && WEXITSTATUS(h.exit.wait_status) == 7);
	assert_true(h.exit.has_usage);
	long cpu_ms = h.exit.usage.ru_utime.tv_sec * 1000 + h.exit.usage.ru_utime.tv_usec / 1000 +
		      h.exit.usage.ru_stime.tv_sec * 1000 + h.exit.usage.ru_stime.tv_usec / 1000;
	assert_true(cpu_ms >= 50);
	assert_int_equal(proc(fx, "local", "p")->state, PS_FAILED); /* exit 7, restart never */
	teardown_fixture(fx);
}

/* A fork that burns CPU in a session of its own, as a main process does
 * in ancestry mode. The test's own session cannot stand in for one: where
 * its leader is in another PID namespace (a container), getsid() and
 * /proc say 0. */
static pid_t session_spawn(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setsid() < 0)
			_exit(99);
		burn_60ms_then_exit_7();
	}
	return pid;
}

/* A child of tend that is no main process (an orphan re-parented to it) is
 * reaped and published with its rusage, what /proc said of it before, and
 * the process whose tree it was in: here (ancestry tracking) the one whose
 * session it shares; one that shares none is nobody's. */
static void the_reaper_publishes_a_descendant_and_whose_it_was(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" }\n");
	struct heard h = { 0 };
	bus_subscribe(&fx->t.bus, BUS_KIND(BUS_DESCENDANT_REAPED), note_event, &h);
	struct process *p = proc(fx, "local", "p");
	char want[80], own_comm[32] = "";
	FILE *f = fopen("/proc/self/comm", "r");
	assert_non_null(f);
	assert_non_null(fgets(own_comm, sizeof(own_comm), f));
	fclose(f);
	own_comm[strcspn(own_comm, "\n")] = '\0';
	for (int owned = 1; owned >= 0; owned--) {
		pid_t pid = session_spawn();
		p->session = owned ? pid : pid + 1;
		siginfo_t info;
		assert_int_equal(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
		reap_children(&fx->t);
		snprintf(want, sizeof(want), "descendant %d of %s", (int)pid,
			 owned ? "p" : "nobody");
		assert_heard(&h, (const char *[]){ want, NULL });
		assert_int_equal(h.exit.pid, pid);
		assert_int_equal(h.exit.ppid, getpid());
		assert_string_equal(h.exit.comm, own_comm); /* the child's: a fork of this one */
		assert_true(WIFEXITED(h.exit.wait_status) && WEXITSTATUS(h.exit.wait_status) == 7);
		assert_true(h.exit.has_usage);
		assert_true(h.exit.usage.ru_utime.tv_sec * 1000 +
				h.exit.usage.ru_utime.tv_usec / 1000 +
				h.exit.usage.ru_stime.tv_sec * 1000 +
				h.exit.usage.ru_stime.tv_usec / 1000 >=
			    50);
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		uint64_t now_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
		assert_true(h.exit.start_wall_ms <= now_ms &&
			    h.exit.start_wall_ms + 10000 > now_ms);
	}
	p->session = 0;
	teardown_fixture(fx);
}

/* A subscriber that steps a state machine while an event is delivered is
 * reported as a bug (it must defer that work to an after-events hook). */
static void step_in_delivery(void *ctx, const struct bus_event *ev)
{
	struct heard *h = ctx;
	if (ev->kind == BUS_PROCESS_STATE && ev->proc->state == PS_RUNNING)
		group_step(&h->fx->t, ev->proc->group, GE_STOP);
}

static void a_step_during_delivery_is_reported(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" }\n");
	struct heard h = { .fx = fx };
	bus_subscribe(&fx->t.bus, BUS_KIND(BUS_PROCESS_STATE), step_in_delivery, &h);
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_START);
	assert_true(fx->t.bugs >= 1);
	fx->t.bugs = 0; /* seen; the fixture checks that nothing else was */
	/* Outside a delivery the same step is fine. */
	fx->t.bus.nsubs = 0;
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_STOP);
	assert_int_equal(fx->t.bugs, 0);
	teardown_fixture(fx);
}

/* A pair of the process table that cannot happen is reported, counted and
 * changes nothing. */
static void an_impossible_event_is_reported_and_changes_nothing(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" }\n");
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_START);
	struct process *p = proc(fx, "local", "p");
	assert_int_equal(p->state, PS_RUNNING);
	fx->f.nlog = 0;
	process_step(&fx->t, p, PE_TREE_CHANGED); /* only a stopping process gets it */
	assert_int_equal(fx->t.bugs, 1);
	assert_int_equal(p->state, PS_RUNNING);
	assert_int_equal(fx->f.nlog, 0); /* nothing was signalled or started */
	fx->t.bugs = 0;
	teardown_fixture(fx);
}

/* ---- the spawn request ---- */

struct seen_request {
	const struct sock_fprog *seccomp;
	uid_t uid;
	char argv[4][32];
	char env[16][96];
	int nenv;
	char directory[32];
	int output_fd, stdin_fd, ready_fd, ready_target, watchdog_fd;
	bool watchdog_pid;
};

static void keep_request(struct fake *f, const struct spawn_request *req)
{
	struct seen_request *r = f->inspect_ctx;
	for (int i = 0; i < 4 && req->argv[i]; i++)
		snprintf(r->argv[i], sizeof(r->argv[i]), "%s", req->argv[i]);
	r->nenv = 0;
	for (char *const *e = req->envp; *e && r->nenv < 16; e++)
		if (strncmp(*e, "TEND_", 5) == 0 || strncmp(*e, "WATCHDOG_", 9) == 0 ||
		    strncmp(*e, "DECLARED", 8) == 0 || strncmp(*e, "NOTIFY_SOCKET=", 14) == 0)
			snprintf(r->env[r->nenv++], sizeof(r->env[0]), "%s", *e);
	snprintf(r->directory, sizeof(r->directory), "%s", req->directory ? req->directory : "");
	r->output_fd = req->output_fd;
	r->stdin_fd = req->stdin_fd;
	r->ready_fd = req->ready_fd;
	r->ready_target = req->ready_target;
	r->watchdog_fd = req->watchdog_fd;
	r->watchdog_pid = req->watchdog_pid != NULL;
	r->seccomp = req->seccomp;
	r->uid = req->uid;
}

static bool has_env(const struct seen_request *r, const char *entry)
{
	for (int i = 0; i < r->nenv; i++)
		if (strcmp(r->env[i], entry) == 0)
			return true;
	return false;
}

/* What the declaration says reaches the request: command words, directory,
 * environment, the tag, the ready fd's number, the watchdog's page and
 * entries, and a log pipe for output. */
static void the_request_carries_what_the_declaration_says(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("group \"web\" {\n"
					"  process \"app\" {\n"
					"    command = \"/usr/bin/app --port 80\"\n"
					"    directory = \"/srv\"\n"
					"    environment = { \"DECLARED=yes\" }\n"
					"    ready = fd:5\n"
					"    watchdog = 2s\n"
					"  }\n"
					"}\n");
	struct seen_request r = { 0 };
	char want[64];
	fx->f.inspect = keep_request;
	fx->f.inspect_ctx = &r;
	fx->t.devnull = 42; /* what tend opened at set-up: the request passes it on */
	group_step(&fx->t, tend_find_group(&fx->t, "web"), GE_START);
	assert_string_equal(r.argv[0], "/usr/bin/app");
	assert_string_equal(r.argv[1], "--port");
	assert_string_equal(r.argv[2], "80");
	assert_string_equal(r.directory, "/srv");
	assert_true(has_env(&r, "DECLARED=yes"));
	assert_true(has_env(&r, "TEND_PROCESS=web/app"));
	assert_true(has_env(&r, "WATCHDOG_USEC=2000000"));
	assert_true(has_env(&r, "WATCHDOG_PID="));
	assert_true(r.watchdog_pid);
	assert_true(r.watchdog_fd >= 0);
	snprintf(want, sizeof(want), "TEND_WATCHDOG=/proc/self/fd/%d", r.watchdog_fd);
	assert_true(has_env(&r, want));
	assert_int_equal(r.ready_target, 5);
	assert_true(r.ready_fd >= 0 && r.ready_fd != r.watchdog_fd);
	assert_true(r.output_fd >= 0);
	assert_int_equal(r.stdin_fd, 42);
	fx->t.devnull = 0;
	teardown_fixture(fx);
}

/* A process gets its tenant's compiled profile (looked up when it starts);
 * a tenant without a section, or without a profile, gives none. */
static void the_request_carries_the_tenants_profile(void **state)
{
	(void)state;
	struct fixture *fx =
	    setup_with("seccomp \"nonet\" { default = allow  deny = { socket } }\n"
		       "tenant \"acme\" { seccomp = \"nonet\" }\n"
		       "tenant \"plain\" { }\n"
		       "group \"a\" { tenant = \"acme\"  process \"p\" { command = \"p\" } }\n"
		       "group \"b\" { tenant = \"plain\"  process \"p\" { command = \"p\" } }\n"
		       "group \"c\" { tenant = \"label\"  process \"p\" { command = \"p\" } }\n");
	struct seen_request r = { 0 };
	fx->f.inspect = keep_request;
	fx->f.inspect_ctx = &r;
	group_step(&fx->t, tend_find_group(&fx->t, "a"), GE_START);
	assert_non_null(r.seccomp);
	assert_ptr_equal(r.seccomp, tenants_program(&fx->t.tenants, "acme"));
	assert_true(r.seccomp->len > 4);
	assert_int_equal(r.uid, (uid_t)-1); /* no credentials: tend's own */
	group_step(&fx->t, tend_find_group(&fx->t, "b"), GE_START);
	assert_null(r.seccomp);
	r.seccomp = (const struct sock_fprog *)&r; /* anything but NULL */
	group_step(&fx->t, tend_find_group(&fx->t, "c"), GE_START);
	assert_null(r.seccomp);
	teardown_fixture(fx);
}

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A console process gets the console, not a log pipe; without a watchdog
 * there is no page and no watchdog entries; a failed spawn leaves no
 * descriptor of the request open. */
static void a_console_process_has_no_log_pipe_and_a_failed_spawn_leaks_nothing(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"sh\" { command = \"/bin/sh\" console = true }\n"
					"process \"q\" { command = \"q\" ready = fd:4 }\n");
	struct seen_request r = { 0 };
	fx->f.inspect = keep_request;
	fx->f.inspect_ctx = &r;
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_START);
	/* sh, then q, was started; r holds q's request. Start sh again to look. */
	process_step(&fx->t, proc(fx, "local", "sh"), PE_STOP);
	process_exited(&fx->t, proc(fx, "local", "sh"), W_EXITCODE(0, SIGHUP), NULL);
	process_step(&fx->t, proc(fx, "local", "sh"), PE_START);
	assert_int_equal(r.output_fd, -1);
	assert_int_equal(r.watchdog_fd, -1);
	assert_false(r.watchdog_pid);
	assert_false(has_env(&r, "WATCHDOG_PID="));
	assert_true(has_env(&r, "TEND_PROCESS=local/sh"));

	/* A spawn that fails closes the ready pipe and the log pipe's write
	 * end; only the log pipe's read end stays (tend keeps it for the next
	 * run). q's earlier pipe ended with its exit. */
	process_step(&fx->t, proc(fx, "local", "q"), PE_STOP);
	process_exited(&fx->t, proc(fx, "local", "q"), W_EXITCODE(0, SIGTERM), NULL);
	int before = open_fds();
	fx->f.spawn_errno = EAGAIN;
	process_step(&fx->t, proc(fx, "local", "q"), PE_START);
	assert_int_equal(proc(fx, "local", "q")->last_spawn_errno, EAGAIN);
	assert_true(r.ready_fd >= 0);
	assert_int_equal(fcntl(r.ready_fd, F_GETFD), -1); /* closed again */
	assert_int_equal(open_fds(), before + 1);
	teardown_fixture(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(events_arrive_in_the_order_things_happen),
		cmocka_unit_test(subscribers_get_their_kinds_in_order),
		cmocka_unit_test(an_exit_record_says_how_long_and_how_it_ended),
		cmocka_unit_test(the_reaper_records_the_rusage_of_a_real_child),
		cmocka_unit_test(the_reaper_publishes_a_descendant_and_whose_it_was),
		cmocka_unit_test(a_step_during_delivery_is_reported),
		cmocka_unit_test(an_impossible_event_is_reported_and_changes_nothing),
		cmocka_unit_test(the_request_carries_what_the_declaration_says),
		cmocka_unit_test(the_request_carries_the_tenants_profile),
		cmocka_unit_test(
		    a_console_process_has_no_log_pipe_and_a_failed_spawn_leaks_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

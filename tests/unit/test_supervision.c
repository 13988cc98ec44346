/* The process and group state machines, driven through the sys seam with
 * simulated processes: spawns, exits, fork failures and a fake clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_sys.h"

static const char three[] = "group \"g\" {\n"
			    "  process \"a\" { command = \"a\" }\n"
			    "  process \"b\" { command = \"b\" }\n"
			    "  process \"c\" { command = \"c\" }\n"
			    "}\n";

static void starts_in_order_stops_in_reverse(void **state)
{
	(void)state;
	struct fixture *fx = setup_with(three);
	struct group *g = tend_find_group(&fx->t, "g");
	group_step(&fx->t, g, GE_START);
	assert_int_equal(g->state, GS_RUNNING);
	assert_log(fx, (const char *[]){ "spawn a", "spawn b", "spawn c", NULL });

	group_step(&fx->t, g, GE_STOP);
	assert_int_equal(g->state, GS_STOPPING);
	/* c must be gone before b is asked to stop. */
	assert_log(fx, (const char *[]){ "signal c TERM", "signal c CONT", NULL });
	killed_by(fx, proc(fx, "g", "c"), SIGTERM);
	assert_log(fx, (const char *[]){ "signal b TERM", "signal b CONT", NULL });
	killed_by(fx, proc(fx, "g", "b"), SIGTERM);
	killed_by(fx, proc(fx, "g", "a"), SIGTERM);
	assert_int_equal(g->state, GS_STOPPED);
	assert_int_equal(proc(fx, "g", "a")->state, PS_STOPPED);
	assert_int_equal(proc(fx, "g", "a")->restarts, 0);
	teardown_fixture(fx);
}

static void oneshot_gates_the_next_process(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("group \"g\" {\n"
					"  process \"migrate\" { command = \"m\" type = oneshot }\n"
					"  process \"db\" { command = \"db\" }\n"
					"}\n");
	struct group *g = tend_find_group(&fx->t, "g");
	group_step(&fx->t, g, GE_START);
	assert_int_equal(g->state, GS_STARTING);
	assert_int_equal(proc(fx, "g", "migrate")->state, PS_STARTING);
	assert_log(fx, (const char *[]){ "spawn migrate", NULL });
	exit_with(fx, proc(fx, "g", "migrate"), 0);
	assert_int_equal(proc(fx, "g", "migrate")->state, PS_DONE);
	assert_int_equal(g->state, GS_RUNNING);
	assert_log(fx, (const char *[]){ "spawn db", NULL });
	teardown_fixture(fx);
}

static void failed_oneshot_is_retried_before_the_next(void **state)
{
	(void)state;
	struct fixture *fx =
	    setup_with("group \"g\" {\n"
		       "  process \"m\" { command = \"m\" type = oneshot restart-delay = 1s }\n"
		       "  process \"db\" { command = \"db\" }\n"
		       "}\n");
	struct group *g = tend_find_group(&fx->t, "g");
	group_step(&fx->t, g, GE_START);
	exit_with(fx, proc(fx, "g", "m"), 1);
	assert_int_equal(proc(fx, "g", "m")->state, PS_BACKOFF);
	advance(fx, 999);
	assert_int_equal(proc(fx, "g", "m")->state, PS_BACKOFF);
	advance(fx, 1);
	exit_with(fx, proc(fx, "g", "m"), 0);
	assert_int_equal(g->state, GS_RUNNING);
	assert_log(fx, (const char *[]){ "spawn m", "spawn m", "spawn db", NULL });
	teardown_fixture(fx);
}

static void killed_process_restarts_after_delay(void **state)
{
	(void)state;
	struct fixture *fx =
	    setup_with("process \"p\" { command = \"p\" restart-delay = 250ms }\n");
	struct group *g = tend_find_group(&fx->t, "local");
	group_step(&fx->t, g, GE_START);
	struct process *p = proc(fx, "local", "p");
	pid_t first = p->pid;
	killed_by(fx, p, SIGKILL);
	assert_int_equal(p->state, PS_BACKOFF);
	assert_int_equal(p->pid, 0);
	advance(fx, 249);
	assert_int_equal(p->state, PS_BACKOFF);
	advance(fx, 1);
	assert_int_equal(p->state, PS_RUNNING);
	assert_true(p->pid > 0 && p->pid != first);
	assert_int_equal(p->restarts, 1);
	assert_int_equal(g->state, GS_RUNNING);
	teardown_fixture(fx);
}

static void restart_window_marks_unstable(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" restart-limit = 2\n"
					"  restart-window = 10s restart-delay = 0ms }\n");
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_START);
	struct process *p = proc(fx, "local", "p");
	for (int i = 0; i < 2; i++) {
		exit_with(fx, p, 1);
		advance(fx, 0);
		assert_int_equal(p->state, PS_RUNNING);
	}
	exit_with(fx, p, 1); /* the third exit within 10 s is one more than the limit */
	assert_int_equal(p->state, PS_FAILED);
	advance(fx, 60000);
	assert_int_equal(p->state, PS_FAILED); /* no restart, ever, until asked */
	teardown_fixture(fx);
}

static void exits_spread_beyond_the_window_are_fine(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" restart-limit = 2\n"
					"  restart-window = 10s restart-delay = 0ms }\n");
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_START);
	struct process *p = proc(fx, "local", "p");
	for (int i = 0; i < 10; i++) {
		exit_with(fx, p, 1);
		advance(fx, 0);
		assert_int_equal(p->state, PS_RUNNING);
		advance(fx, 5001); /* at most two exits in any 10 s */
	}
	assert_int_equal(p->restarts, 10);
	teardown_fixture(fx);
}

static void clock_jump_forgets_old_exits(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" restart-limit = 1\n"
					"  restart-window = 1m restart-delay = 0ms }\n");
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_START);
	struct process *p = proc(fx, "local", "p");
	exit_with(fx, p, 1);
	advance(fx, 0);
	fx->f.now += 3600 * 1000; /* a suspend/resume: an hour passes at once */
	exit_with(fx, p, 1);
	assert_int_equal(p->state, PS_BACKOFF);
	teardown_fixture(fx);
}

static void unstable_critical_fails_the_group(void **state)
{
	(void)state;
	struct fixture *fx =
	    setup_with("group \"g\" {\n"
		       "  process \"a\" { command = \"a\" }\n"
		       "  process \"db\" { command = \"db\" critical = true restart-limit = 0 }\n"
		       "  process \"c\" { command = \"c\" }\n"
		       "}\n");
	struct group *g = tend_find_group(&fx->t, "g");
	group_step(&fx->t, g, GE_START);
	assert_log(fx, (const char *[]){ "spawn a", "spawn db", "spawn c", NULL });
	exit_with(fx, proc(fx, "g", "db"), 2);
	assert_int_equal(proc(fx, "g", "db")->state, PS_FAILED);
	assert_int_equal(g->state, GS_STOPPING);
	killed_by(fx, proc(fx, "g", "c"), SIGTERM);
	killed_by(fx, proc(fx, "g", "a"), SIGTERM);
	assert_int_equal(g->state, GS_FAILED);
	assert_log(fx, (const char *[]){ "signal c TERM", "signal c CONT", "signal a TERM",
					 "signal a CONT", NULL });
	/* It stays down: nothing restarts on its own. */
	advance(fx, 600000);
	assert_int_equal(fx->f.nlog, 0);
	/* An explicit start forgets the failure and starts everything in order. */
	group_step(&fx->t, g, GE_START);
	assert_int_equal(g->state, GS_RUNNING);
	assert_log(fx, (const char *[]){ "spawn a", "spawn db", "spawn c", NULL });
	teardown_fixture(fx);
}

static void noncritical_failure_leaves_group_running(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("group \"g\" {\n"
					"  process \"a\" { command = \"a\" restart = never }\n"
					"  process \"b\" { command = \"b\" }\n"
					"}\n");
	struct group *g = tend_find_group(&fx->t, "g");
	group_step(&fx->t, g, GE_START);
	exit_with(fx, proc(fx, "g", "a"), 1);
	assert_int_equal(proc(fx, "g", "a")->state, PS_FAILED);
	assert_int_equal(g->state, GS_RUNNING);
	assert_int_equal(proc(fx, "g", "b")->state, PS_RUNNING);
	teardown_fixture(fx);
}

static void dependent_failure_restarts_group_in_order(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("group \"g\" {\n"
					"  process \"a\" { command = \"a\" }\n"
					"  process \"b\" { command = \"b\" dependent = true\n"
					"                  restart-delay = 500ms }\n"
					"  process \"c\" { command = \"c\" }\n"
					"}\n");
	struct group *g = tend_find_group(&fx->t, "g");
	group_step(&fx->t, g, GE_START);
	fx->f.nlog = 0;
	exit_with(fx, proc(fx, "g", "b"), 1);
	/* The group restarts after b's restart-delay, like b alone would. */
	advance(fx, 499);
	assert_int_equal(g->state, GS_RUNNING);
	advance(fx, 1);
	assert_int_equal(g->state, GS_STOPPING);
	killed_by(fx, proc(fx, "g", "c"), SIGTERM);
	killed_by(fx, proc(fx, "g", "a"), SIGTERM);
	assert_int_equal(g->state, GS_RUNNING);
	assert_log(fx, (const char *[]){ "signal c TERM", "signal c CONT", "signal a TERM",
					 "signal a CONT", "spawn a", "spawn b", "spawn c", NULL });
	assert_int_equal(proc(fx, "g", "b")->restarts, 1);
	teardown_fixture(fx);
}

static void dependent_restarts_are_bounded_by_its_restart_limit(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("group \"g\" {\n"
					"  process \"a\" { command = \"a\" }\n"
					"  process \"b\" { command = \"b\" dependent = true\n"
					"    restart-limit = 2 restart-delay = 10ms }\n"
					"}\n");
	struct group *g = tend_find_group(&fx->t, "g");
	struct process *b = proc(fx, "g", "b");
	group_step(&fx->t, g, GE_START);
	for (int i = 0; i < 2; i++) {
		exit_with(fx, b, 1);
		advance(fx, 10);
		killed_by(fx, proc(fx, "g", "a"), SIGTERM);
		assert_int_equal(g->state, GS_RUNNING);
		assert_int_equal(b->state, PS_RUNNING);
	}
	exit_with(fx, b, 1); /* the third exit: unstable, and no group restart */
	assert_int_equal(b->state, PS_FAILED);
	advance(fx, 1000);
	assert_int_equal(g->state, GS_RUNNING);
	assert_int_equal(proc(fx, "g", "a")->state, PS_RUNNING);
	teardown_fixture(fx);
}

static void dependent_that_cannot_start_does_not_spin(void **state)
{
	(void)state;
	struct fixture *fx =
	    setup_with("group \"g\" { process \"b\" { command = \"b\"\n"
		       "  dependent = true restart-limit = 3 restart-delay = 0ms } }\n");
	struct group *g = tend_find_group(&fx->t, "g");
	fx->f.spawn_errno = ENOENT;
	group_step(&fx->t, g, GE_START);
	for (int i = 0; i < 10; i++)
		advance(fx, 0);
	assert_int_equal(proc(fx, "g", "b")->state, PS_FAILED);
	assert_int_equal(fx->f.nlog, 4); /* the first try and three restarts */
	teardown_fixture(fx);
}

static void critical_failure_at_start_stops_before_the_rest_starts(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("group \"g\" {\n"
					"  process \"db\" { command = \"db\" critical = true\n"
					"    restart = never }\n"
					"  process \"web\" { command = \"web\" }\n"
					"}\n");
	struct group *g = tend_find_group(&fx->t, "g");
	fx->f.spawn_errno = ENOENT;
	group_step(&fx->t, g, GE_START);
	assert_int_equal(g->state, GS_FAILED);
	assert_log(fx, (const char *[]){ "spawn-failed db", NULL }); /* web never started */
	teardown_fixture(fx);
}

static void stop_after_restart_request_wins(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" }\n");
	struct group *g = tend_find_group(&fx->t, "local");
	group_step(&fx->t, g, GE_START);
	struct process *p = proc(fx, "local", "p");
	process_step(&fx->t, p, PE_STOP);
	process_step(&fx->t, p, PE_START); /* restart requested while stopping */
	group_step(&fx->t, g, GE_STOP);	   /* then the group is stopped */
	killed_by(fx, p, SIGTERM);
	assert_int_equal(p->state, PS_STOPPED);
	assert_int_equal(g->state, GS_STOPPED);
	teardown_fixture(fx);
}

static void clean_exit_with_on_failure_stays_stopped(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" restart = on-failure }\n");
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_START);
	struct process *p = proc(fx, "local", "p");
	exit_with(fx, p, 0);
	assert_int_equal(p->state, PS_STOPPED);
	advance(fx, 60000);
	assert_int_equal(p->state, PS_STOPPED);
	teardown_fixture(fx);
}

static void stop_timeout_escalates_to_sigkill(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" stop-timeout = 3s }\n");
	struct group *g = tend_find_group(&fx->t, "local");
	group_step(&fx->t, g, GE_START);
	fx->f.nlog = 0;
	fx->f.ignore_term = true;
	group_step(&fx->t, g, GE_STOP);
	advance(fx, 2999);
	assert_log(fx, (const char *[]){ "signal p TERM", "signal p CONT", NULL });
	advance(fx, 1);
	assert_log(fx, (const char *[]){ "signal p KILL", NULL });
	killed_by(fx, proc(fx, "local", "p"), SIGKILL);
	assert_int_equal(g->state, GS_STOPPED);
	teardown_fixture(fx);
}

/* kill-mode = main: a stop, a crash and a restart end the main process
 * only; what it left running (a login session) is left alone. */
static void kill_mode_main_ends_the_main_process_only(void **state)
{
	(void)state;
	struct fixture *fx =
	    setup_with("process \"sshd\" { command = \"sshd\" kill-mode = main restart-delay = 1s "
		       "stop-timeout = 2s }\n");
	struct group *g = tend_find_group(&fx->t, "local");
	struct process *p = proc(fx, "local", "sshd");
	group_step(&fx->t, g, GE_START);
	fx->f.leftovers[0] = 1; /* a session it forked */
	fx->f.nlog = 0;
	killed_by(fx, p, SIGSEGV); /* a crash: the session stays */
	assert_int_equal(p->state, PS_BACKOFF);
	advance(fx, 1000);
	assert_log(fx, (const char *[]){ "spawn sshd", NULL });
	assert_int_equal(fx->f.leftovers[0], 1);
	fx->f.ignore_term = true;
	group_step(&fx->t, g, GE_STOP);
	assert_log(fx, (const char *[]){ "signal-main sshd TERM", "signal-main sshd CONT", NULL });
	advance(fx, 2000);
	assert_log(fx, (const char *[]){ "signal-main sshd KILL", NULL });
	killed_by(fx, p, SIGKILL);
	assert_int_equal(p->state, PS_STOPPED); /* the session still runs: not tend's */
	assert_int_equal(g->state, GS_STOPPED);
	assert_int_equal(fx->f.leftovers[0], 1);
	group_step(&fx->t, g, GE_STOP); /* stopping it again ends nothing more */
	group_step(&fx->t, g, GE_START);
	assert_log(fx, (const char *[]){ "spawn sshd", NULL });
	assert_int_equal(fx->f.leftovers[0], 1);
	teardown_fixture(fx);
}

/* kill-mode = mixed: SIGTERM to the main process only; SIGKILL to the
 * whole tree when it is gone, or after stop-timeout. */
static void kill_mode_mixed_terms_the_main_and_kills_the_tree(void **state)
{
	(void)state;
	struct fixture *fx =
	    setup_with("process \"pg\" { command = \"pg\" kill-mode = mixed stop-timeout = 2s }\n");
	struct group *g = tend_find_group(&fx->t, "local");
	struct process *p = proc(fx, "local", "pg");
	group_step(&fx->t, g, GE_START);
	fx->f.leftovers[0] = 1; /* its backends */
	fx->f.ignore_term = true;
	fx->f.nlog = 0;
	group_step(&fx->t, g, GE_STOP);
	assert_log(fx, (const char *[]){ "signal-main pg TERM", "signal-main pg CONT", NULL });
	exit_with(fx, p, 0); /* a smart shutdown that left backends behind */
	assert_log(fx, (const char *[]){ "signal pg KILL", NULL });
	assert_int_equal(p->state, PS_STOPPING);
	process_step(&fx->t, p, PE_TREE_CHANGED); /* the reaper took the backends */
	assert_int_equal(p->state, PS_STOPPED);
	assert_int_equal(g->state, GS_STOPPED);

	group_step(&fx->t, g, GE_START);
	fx->f.leftovers[0] = 1;
	fx->f.nlog = 0;
	group_step(&fx->t, g, GE_STOP);
	advance(fx, 2000); /* the main process did not end in time */
	assert_log(fx, (const char *[]){ "signal-main pg TERM", "signal-main pg CONT",
					 "signal pg KILL", NULL });
	killed_by(fx, p, SIGKILL);
	assert_int_equal(g->state, GS_STOPPED);
	teardown_fixture(fx);
}

static void console_process_gets_a_hangup_on_stop(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"sh\" { command = \"sh\" console = true }\n"
					"process \"p\" { command = \"p\" }\n");
	struct group *g = tend_find_group(&fx->t, "local");
	group_step(&fx->t, g, GE_START);
	fx->f.nlog = 0;
	fx->f.ignore_term = true; /* as an interactive shell does */
	group_step(&fx->t, g, GE_STOP);
	assert_log(fx, (const char *[]){ "signal p TERM", "signal p CONT", NULL });
	killed_by(fx, proc(fx, "local", "p"), SIGTERM);
	assert_log(fx,
		   (const char *[]){ "signal sh HUP", "signal sh TERM", "signal sh CONT", NULL });
	killed_by(fx, proc(fx, "local", "sh"), SIGHUP);
	assert_int_equal(g->state, GS_STOPPED);
	teardown_fixture(fx);
}

static void next_starts_only_when_ready(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("group \"g\" {\n"
					"  process \"a\" { command = \"a\"  ready = notify }\n"
					"  process \"b\" { command = \"b\"  ready = \"fd:3\" }\n"
					"  process \"c\" { command = \"c\" }\n"
					"}\n");
	struct group *g = tend_find_group(&fx->t, "g");
	group_step(&fx->t, g, GE_START);
	assert_log(fx, (const char *[]){ "spawn a", NULL });
	assert_int_equal(proc(fx, "g", "a")->state, PS_STARTING);
	assert_false(proc(fx, "g", "a")->ready);
	advance(fx, 29999); /* within the default ready-timeout */
	assert_log(fx, (const char *[]){ NULL });
	process_step(&fx->t, proc(fx, "g", "a"), PE_READY);
	assert_log(fx, (const char *[]){ "spawn b", NULL });
	assert_true(proc(fx, "g", "a")->ready);
	assert_int_equal(g->state, GS_STARTING);
	process_step(&fx->t, proc(fx, "g", "b"), PE_READY);
	assert_log(fx, (const char *[]){ "spawn c", NULL });
	assert_int_equal(g->state, GS_RUNNING);
	/* A second READY=1 changes nothing. */
	process_step(&fx->t, proc(fx, "g", "a"), PE_READY);
	assert_int_equal(proc(fx, "g", "a")->state, PS_RUNNING);
	assert_log(fx, (const char *[]){ NULL });
	teardown_fixture(fx);
}

static void ready_timeout_is_a_failure(void **state)
{
	(void)state;
	struct fixture *fx =
	    setup_with("group \"g\" {\n"
		       "  process \"a\" { command = \"a\"  ready = notify\n"
		       "    ready-timeout = 2s  restart-delay = 1s  stop-timeout = 3s }\n"
		       "  process \"b\" { command = \"b\" }\n"
		       "}\n");
	struct group *g = tend_find_group(&fx->t, "g");
	struct process *a = proc(fx, "g", "a");
	group_step(&fx->t, g, GE_START);
	assert_log(fx, (const char *[]){ "spawn a", NULL });
	advance(fx, 2000);
	assert_log(fx, (const char *[]){ "signal a TERM", "signal a CONT", NULL });
	assert_int_equal(a->state, PS_ABORTING);
	/* It exits 0 on SIGTERM; still a failure: it never became ready. */
	fx->f.ignore_term = true;
	exit_with(fx, a, 0);
	assert_int_equal(a->state, PS_BACKOFF);
	assert_int_equal(a->restarts, 1);
	advance(fx, 1000);
	assert_log(fx, (const char *[]){ "spawn a", NULL });
	assert_int_equal(a->state, PS_STARTING);
	assert_int_equal(proc(fx, "g", "b")->state, PS_STOPPED); /* b still waits */
	teardown_fixture(fx);
}

static void ready_timeout_escalates_to_sigkill(void **state)
{
	(void)state;
	struct fixture *fx =
	    setup_with("process \"a\" { command = \"a\"  ready = notify\n"
		       "  ready-timeout = 1s  stop-timeout = 2s restart = never }\n");
	struct process *a = proc(fx, "local", "a");
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_START);
	fx->f.ignore_term = true;
	advance(fx, 1000);
	advance(fx, 1999);
	assert_log(fx, (const char *[]){ "spawn a", "signal a TERM", "signal a CONT", NULL });
	advance(fx, 1);
	assert_log(fx, (const char *[]){ "signal a KILL", NULL });
	killed_by(fx, a, SIGKILL);
	assert_int_equal(a->state, PS_FAILED);
	teardown_fixture(fx);
}

static void exit_before_ready_is_a_failure(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("group \"g\" {\n"
					"  process \"a\" { command = \"a\"  ready = notify\n"
					"    restart = on-failure  restart-delay = 1s }\n"
					"  process \"b\" { command = \"b\" }\n"
					"}\n");
	struct group *g = tend_find_group(&fx->t, "g");
	struct process *a = proc(fx, "g", "a");
	group_step(&fx->t, g, GE_START);
	exit_with(fx, a, 0); /* a clean exit, but it never said it was ready */
	assert_int_equal(a->state, PS_BACKOFF);
	assert_log(fx, (const char *[]){ "spawn a", NULL });
	assert_int_equal(proc(fx, "g", "b")->state, PS_STOPPED);
	/* The ready timeout went with the exit: only the restart delay runs. */
	advance(fx, 1000);
	assert_log(fx, (const char *[]){ "spawn a", NULL });
	assert_int_equal(a->state, PS_STARTING);
	teardown_fixture(fx);
}

static void stop_while_aborting_keeps_the_escalation(void **state)
{
	(void)state;
	struct fixture *fx =
	    setup_with("process \"w\" { command = \"w\"  watchdog = 1s  stop-timeout = 2s }\n");
	struct process *w = proc(fx, "local", "w");
	struct group *g = tend_find_group(&fx->t, "local");
	group_step(&fx->t, g, GE_START);
	advance(fx, 1000);
	assert_int_equal(w->state, PS_ABORTING);
	fx->f.nlog = 0;
	advance(fx, 1500);
	group_step(&fx->t, g, GE_STOP); /* no new SIGTERM, no fresh timeout */
	assert_int_equal(w->state, PS_STOPPING);
	assert_log(fx, (const char *[]){ NULL });
	advance(fx, 500); /* stop-timeout after the SIGABRT, not after the stop */
	assert_log(fx, (const char *[]){ "signal w KILL", NULL });
	killed_by(fx, w, SIGKILL);
	assert_int_equal(w->state, PS_STOPPED);
	assert_int_equal(g->state, GS_STOPPED);
	teardown_fixture(fx);
}

static void missed_heartbeat_aborts_and_restarts(void **state)
{
	(void)state;
	struct fixture *fx =
	    setup_with("process \"w\" { command = \"w\"  watchdog = 1s  restart-delay = 500ms }\n");
	struct process *w = proc(fx, "local", "w");
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_START);
	assert_log(fx, (const char *[]){ "spawn w", NULL });
	/* Kicks keep it alive: each moves the deadline. */
	advance(fx, 800);
	watchdog_kicked(&fx->t, w);
	advance(fx, 200); /* the first due time: re-armed for 800 + 1000 */
	assert_int_equal(w->state, PS_RUNNING);
	advance(fx, 799);
	assert_int_equal(w->state, PS_RUNNING);
	assert_log(fx, (const char *[]){ NULL });
	advance(fx, 1); /* 1000 ms after the last kick */
	assert_log(fx, (const char *[]){ "signal-main w ABRT", "signal-main w CONT", NULL });
	assert_int_equal(w->state, PS_ABORTING);
	killed_by(fx, w, SIGABRT);
	assert_int_equal(w->state, PS_BACKOFF);
	advance(fx, 500);
	assert_log(fx, (const char *[]){ "spawn w", NULL });
	assert_int_equal(w->state, PS_RUNNING);
	assert_int_equal(w->restarts, 1);
	teardown_fixture(fx);
}

static void suspended_watchdog_does_not_fire(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"w\" { command = \"w\"  watchdog = 1s }\n");
	struct process *w = proc(fx, "local", "w");
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_START);
	watchdog_suspend(&fx->t, w, true);
	advance(fx, 1000);
	advance(fx, 1000);
	advance(fx, 5000);
	assert_int_equal(w->state, PS_RUNNING);
	watchdog_suspend(&fx->t, w, false); /* resuming counts as a kick */
	advance(fx, 999);
	assert_int_equal(w->state, PS_RUNNING);
	advance(fx, 1001);
	assert_int_equal(w->state, PS_ABORTING);
	teardown_fixture(fx);
}

static void hung_critical_fails_its_group(void **state)
{
	(void)state;
	struct fixture *fx =
	    setup_with("group \"g\" {\n"
		       "  process \"a\" { command = \"a\" }\n"
		       "  process \"w\" { command = \"w\"  watchdog = 1s  critical = true\n"
		       "    restart = never }\n"
		       "}\n");
	struct group *g = tend_find_group(&fx->t, "g");
	group_step(&fx->t, g, GE_START);
	advance(fx, 1000);
	/* the watchdog fired: ending it was tend's doing, not a stray signal */
	assert_int_equal(proc(fx, "g", "w")->state, PS_ABORTING);
	killed_by(fx, proc(fx, "g", "w"), SIGABRT);
	assert_int_equal(proc(fx, "g", "w")->state, PS_FAILED);
	assert_int_equal(g->state, GS_STOPPING);
	killed_by(fx, proc(fx, "g", "a"), SIGTERM);
	assert_int_equal(g->state, GS_FAILED);
	teardown_fixture(fx);
}

static void fork_failure_backs_off_and_retries(void **state)
{
	(void)state;
	struct fixture *fx =
	    setup_with("process \"p\" { command = \"p\" restart-delay = 100ms }\n");
	struct group *g = tend_find_group(&fx->t, "local");
	fx->f.spawn_errno = EAGAIN;
	group_step(&fx->t, g, GE_START);
	struct process *p = proc(fx, "local", "p");
	assert_int_equal(p->state, PS_BACKOFF);
	assert_int_equal(p->last_spawn_errno, EAGAIN);
	assert_int_equal(g->state, GS_STARTING);
	fx->f.spawn_errno = ENOMEM;
	advance(fx, 100);
	assert_int_equal(p->state, PS_BACKOFF);
	fx->f.spawn_errno = 0;
	advance(fx, 199); /* the second wait is twice the first */
	assert_int_equal(p->state, PS_BACKOFF);
	advance(fx, 1);
	assert_int_equal(p->state, PS_RUNNING);
	assert_int_equal(p->restarts, 0); /* a start that failed is not an exit */
	assert_int_equal(g->state, GS_RUNNING);
	assert_log(fx, (const char *[]){ "spawn-failed p", "spawn-failed p", "spawn p", NULL });
	teardown_fixture(fx);
}

static void leftovers_are_killed_before_restart(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" restart-delay = 1s }\n");
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_START);
	struct process *p = proc(fx, "local", "p");
	fx->f.nlog = 0;
	fx->f.ignore_term = true;
	fx->f.leftovers[0] = 1; /* it forked a child that outlives it */
	exit_with(fx, p, 1);
	advance(fx, 1000);
	assert_log(fx, (const char *[]){ "signal p TERM", "signal p CONT", "signal p KILL",
					 "spawn p", NULL });
	teardown_fixture(fx);
}

static void failed_process_leaves_nothing_behind(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" restart = never\n"
					"  stop-timeout = 2s }\n");
	group_step(&fx->t, tend_find_group(&fx->t, "local"), GE_START);
	struct process *p = proc(fx, "local", "p");
	fx->f.nlog = 0;
	fx->f.ignore_term = true;
	fx->f.leftovers[0] = 1;
	exit_with(fx, p, 1);
	assert_int_equal(p->state, PS_FAILED);
	assert_log(fx, (const char *[]){ "signal p TERM", "signal p CONT", NULL });
	advance(fx, 2000);
	assert_log(fx, (const char *[]){ "signal p KILL", NULL });
	assert_int_equal(p->state, PS_FAILED);
	teardown_fixture(fx);
}

static void stopping_a_done_oneshot_ends_what_it_started(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" type = oneshot }\n");
	struct group *g = tend_find_group(&fx->t, "local");
	group_step(&fx->t, g, GE_START);
	struct process *p = proc(fx, "local", "p");
	fx->f.leftovers[0] = 1; /* it started a daemon and exited 0 */
	exit_with(fx, p, 0);
	assert_int_equal(p->state, PS_DONE);
	assert_int_equal(fx->f.leftovers[0], 1); /* the daemon stays */
	group_step(&fx->t, g, GE_STOP);
	assert_int_equal(fx->f.leftovers[0], 0);
	process_step(&fx->t, p, PE_TREE_CHANGED);
	assert_int_equal(g->state, GS_STOPPED);
	teardown_fixture(fx);
}

static void stop_waits_for_the_whole_tree(void **state)
{
	(void)state;
	struct fixture *fx = setup_with("process \"p\" { command = \"p\" }\n");
	struct group *g = tend_find_group(&fx->t, "local");
	group_step(&fx->t, g, GE_START);
	struct process *p = proc(fx, "local", "p");
	fx->f.ignore_term = true;
	fx->f.leftovers[0] = 1;
	group_step(&fx->t, g, GE_STOP);
	killed_by(fx, p, SIGTERM);
	assert_int_equal(p->state, PS_STOPPING); /* a descendant still runs */
	fx->f.leftovers[0] = 0;			 /* ... and is reaped */
	process_step(&fx->t, p, PE_TREE_CHANGED);
	assert_int_equal(p->state, PS_STOPPED);
	assert_int_equal(g->state, GS_STOPPED);
	teardown_fixture(fx);
}

static void restart_request_while_stopping(void **state)
{
	(void)state;
	struct fixture *fx = setup_with(three);
	struct group *g = tend_find_group(&fx->t, "g");
	group_step(&fx->t, g, GE_START);
	group_step(&fx->t, g, GE_STOP);
	group_step(&fx->t, g, GE_RESTART); /* changes where the stop ends */
	killed_by(fx, proc(fx, "g", "c"), SIGTERM);
	killed_by(fx, proc(fx, "g", "b"), SIGTERM);
	killed_by(fx, proc(fx, "g", "a"), SIGTERM);
	assert_int_equal(g->state, GS_RUNNING);
	teardown_fixture(fx);
}

static void restarts_do_not_disturb_other_groups(void **state)
{
	(void)state;
	struct fixture *fx =
	    setup_with("group \"x\" { process \"p\" { command = \"p\" critical = true\n"
		       "  restart-limit = 0 } }\n"
		       "group \"y\" { process \"q\" { command = \"q\" } }\n");
	group_step(&fx->t, tend_find_group(&fx->t, "x"), GE_START);
	group_step(&fx->t, tend_find_group(&fx->t, "y"), GE_START);
	pid_t q = proc(fx, "y", "q")->pid;
	exit_with(fx, proc(fx, "x", "p"), 1);
	assert_int_equal(tend_find_group(&fx->t, "x")->state, GS_FAILED);
	assert_int_equal(tend_find_group(&fx->t, "y")->state, GS_RUNNING);
	assert_int_equal(proc(fx, "y", "q")->pid, q);
	teardown_fixture(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(starts_in_order_stops_in_reverse),
		cmocka_unit_test(kill_mode_main_ends_the_main_process_only),
		cmocka_unit_test(kill_mode_mixed_terms_the_main_and_kills_the_tree),
		cmocka_unit_test(oneshot_gates_the_next_process),
		cmocka_unit_test(failed_oneshot_is_retried_before_the_next),
		cmocka_unit_test(killed_process_restarts_after_delay),
		cmocka_unit_test(restart_window_marks_unstable),
		cmocka_unit_test(exits_spread_beyond_the_window_are_fine),
		cmocka_unit_test(clock_jump_forgets_old_exits),
		cmocka_unit_test(unstable_critical_fails_the_group),
		cmocka_unit_test(noncritical_failure_leaves_group_running),
		cmocka_unit_test(dependent_failure_restarts_group_in_order),
		cmocka_unit_test(dependent_restarts_are_bounded_by_its_restart_limit),
		cmocka_unit_test(dependent_that_cannot_start_does_not_spin),
		cmocka_unit_test(critical_failure_at_start_stops_before_the_rest_starts),
		cmocka_unit_test(stop_after_restart_request_wins),
		cmocka_unit_test(clean_exit_with_on_failure_stays_stopped),
		cmocka_unit_test(stop_timeout_escalates_to_sigkill),
		cmocka_unit_test(console_process_gets_a_hangup_on_stop),
		cmocka_unit_test(fork_failure_backs_off_and_retries),
		cmocka_unit_test(next_starts_only_when_ready),
		cmocka_unit_test(ready_timeout_is_a_failure),
		cmocka_unit_test(ready_timeout_escalates_to_sigkill),
		cmocka_unit_test(missed_heartbeat_aborts_and_restarts),
		cmocka_unit_test(exit_before_ready_is_a_failure),
		cmocka_unit_test(stop_while_aborting_keeps_the_escalation),
		cmocka_unit_test(suspended_watchdog_does_not_fire),
		cmocka_unit_test(hung_critical_fails_its_group),
		cmocka_unit_test(leftovers_are_killed_before_restart),
		cmocka_unit_test(failed_process_leaves_nothing_behind),
		cmocka_unit_test(stopping_a_done_oneshot_ends_what_it_started),
		cmocka_unit_test(stop_waits_for_the_whole_tree),
		cmocka_unit_test(restart_request_while_stopping),
		cmocka_unit_test(restarts_do_not_disturb_other_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

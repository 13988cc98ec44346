/* requires and after between groups (core/dependencies.c), driven through
 * the fake seam: what starts first, what waits, what stops first, what
 * fails, and the shutdown order. settle() is what the loop does after a
 * batch of events. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fake_sys.h"
#include "core/startup.h"

static struct group *grp(struct fixture *fx, const char *name)
{
	struct group *g = tend_find_group(&fx->t, name);
	assert_non_null(g);
	return g;
}

static void ready(struct fixture *fx, const char *g, const char *p)
{
	process_step(&fx->t, proc(fx, g, p), PE_READY);
	settle(fx);
}

static const char web_db[] =
    "group \"web\" { requires = { \"db\" }  process \"nginx\" { command = \"nginx\" } }\n"
    "group \"db\" { autostart = false  process \"pg\" { command = \"pg\"  ready = notify } }\n";

/* Starting web starts db first; web's processes wait until db is ready. */
static void requires_starts_the_dependency_first_and_waits(void **state)
{
	(void)state;
	struct fixture *fx = setup_with(web_db);
	group_step(&fx->t, grp(fx, "web"), GE_START);
	assert_log(fx, (const char *[]){ NULL }); /* nothing before the batch ends */
	settle(fx);
	assert_log(fx, (const char *[]){ "spawn pg", NULL });
	assert_int_equal(grp(fx, "web")->state, GS_STARTING);
	assert_true(grp(fx, "web")->deps_wait_start);
	struct buf waits = { 0 };
	deps_waiting_for(grp(fx, "web"), &waits, false);
	assert_string_equal(waits.data, "db");
	buf_free(&waits);
	ready(fx, "db", "pg");
	assert_log(fx, (const char *[]){ "spawn nginx", NULL });
	assert_int_equal(grp(fx, "web")->state, GS_RUNNING);
	teardown_fixture(fx);
}

/* db fails before it is ready: web does not start, and fails. */
static void a_failed_dependency_fails_the_start(void **state)
{
	(void)state;
	struct fixture *fx = setup_with(
	    "group \"web\" { requires = { \"db\" }  process \"nginx\" { command = \"nginx\" } }\n"
	    "group \"db\" { autostart = false  process \"pg\" { command = \"pg\"  "
	    "ready = notify  restart = never  critical = true } }\n");
	group_step(&fx->t, grp(fx, "web"), GE_START);
	settle(fx);
	exit_with(fx, proc(fx, "db", "pg"), 1);
	settle(fx);
	assert_int_equal(grp(fx, "db")->state, GS_FAILED);
	assert_int_equal(grp(fx, "web")->state, GS_FAILED);
	assert_log(fx, (const char *[]){ "spawn pg", NULL }); /* nginx never started */
	teardown_fixture(fx);
}

/* web (which requires db) started, so db too, and both up; the log
 * emptied. */
static struct fixture *web_and_db_running(void)
{
	struct fixture *fx = setup_with(web_db);
	group_step(&fx->t, grp(fx, "web"), GE_START);
	settle(fx);
	ready(fx, "db", "pg");
	assert_int_equal(grp(fx, "web")->state, GS_RUNNING);
	fx->f.nlog = 0;
	return fx;
}

/* Stopping db stops web first; db's processes stop once web is down. */
static void stopping_a_dependency_stops_what_requires_it_first(void **state)
{
	(void)state;
	struct fixture *fx = web_and_db_running();
	group_step(&fx->t, grp(fx, "db"), GE_STOP);
	assert_log(fx, (const char *[]){ NULL }); /* db waits for web */
	assert_true(grp(fx, "db")->deps_wait_stop);
	settle(fx);
	assert_log(fx, (const char *[]){ "signal nginx TERM", "signal nginx CONT", NULL });
	killed_by(fx, proc(fx, "web", "nginx"), SIGTERM);
	settle(fx);
	assert_log(fx, (const char *[]){ "signal pg TERM", "signal pg CONT", NULL });
	killed_by(fx, proc(fx, "db", "pg"), SIGTERM);
	settle(fx);
	assert_int_equal(grp(fx, "db")->state, GS_STOPPED);
	assert_int_equal(grp(fx, "web")->state, GS_STOPPED);
	teardown_fixture(fx);
}

/* A restart of db restarts web with it: down first, up again after db. */
static void restarting_a_dependency_restarts_what_requires_it(void **state)
{
	(void)state;
	struct fixture *fx = web_and_db_running();
	group_step(&fx->t, grp(fx, "db"), GE_RESTART);
	settle(fx);
	killed_by(fx, proc(fx, "web", "nginx"), SIGTERM);
	settle(fx);
	killed_by(fx, proc(fx, "db", "pg"), SIGTERM);
	settle(fx);
	assert_log(fx, (const char *[]){ "signal nginx TERM", "signal nginx CONT", "signal pg TERM",
					 "signal pg CONT", "spawn pg", NULL });
	assert_int_equal(grp(fx, "web")->state, GS_STARTING); /* waits for db again */
	ready(fx, "db", "pg");
	assert_log(fx, (const char *[]){ "spawn nginx", NULL });
	assert_int_equal(grp(fx, "web")->state, GS_RUNNING);
	teardown_fixture(fx);
}

/* after: when both start, web (declared first) waits until cache has
 * started; cache alone starting later does not hold web. */
static void after_orders_groups_that_start_together(void **state)
{
	(void)state;
	struct fixture *fx = setup_with(
	    "group \"web\" { after = { \"cache\" }  process \"nginx\" { command = \"nginx\" } }\n"
	    "group \"cache\" { process \"mc\" { command = \"mc\"  ready = notify } }\n");
	tend_start(&fx->t); /* as at boot: every autostart group, in order */
	settle(fx);
	assert_log(fx, (const char *[]){ "spawn mc", NULL });
	assert_int_equal(grp(fx, "web")->state, GS_STARTING);
	ready(fx, "cache", "mc");
	assert_log(fx, (const char *[]){ "spawn nginx", NULL });

	/* cache stopped: web's restart does not wait for it, nor start it. */
	group_step(&fx->t, grp(fx, "cache"), GE_STOP);
	killed_by(fx, proc(fx, "cache", "mc"), SIGTERM);
	settle(fx);
	assert_int_equal(grp(fx, "web")->state, GS_RUNNING); /* after is not requires */
	fx->f.nlog = 0;
	group_step(&fx->t, grp(fx, "web"), GE_RESTART);
	killed_by(fx, proc(fx, "web", "nginx"), SIGTERM);
	settle(fx);
	assert_log(
	    fx, (const char *[]){ "signal nginx TERM", "signal nginx CONT", "spawn nginx", NULL });
	assert_int_equal(grp(fx, "cache")->state, GS_STOPPED);
	teardown_fixture(fx);
}

/* A shutdown stops what requires or is after others first, whatever the
 * declaration order says. */
static void shutdown_stops_in_reverse_dependency_order(void **state)
{
	(void)state;
	struct fixture *fx = setup_with(
	    "group \"db\" { process \"pg\" { command = \"pg\" } }\n"
	    "group \"app\" { requires = { \"db\" }  process \"a\" { command = \"a\" } }\n"
	    "group \"proxy\" { process \"px\" { command = \"px\" } }\n"
	    "group \"web\" { requires = { \"app\" }  process \"w\" { command = \"w\" } }\n"
	    "group \"cache\" { after = { \"web\" }  process \"c\" { command = \"c\" } }\n");
	tend_start(&fx->t);
	settle(fx);
	for (int i = 0; i < 5; i++)
		assert_int_equal(fx->t.groups[i]->state, GS_RUNNING);
	fx->f.nlog = 0;
	fx->t.loop.quit = false;
	tend_begin_shutdown(&fx->t, SHUTDOWN_EXIT);
	/* The start order is db, app, proxy, web, cache (each after what it
	 * requires or is after, else as declared); the stop order its reverse. */
	const char *order[] = { "c", "w", "px", "a", "pg" };
	for (int i = 0; i < 5; i++) {
		char want[32];
		snprintf(want, sizeof(want), "signal %s TERM", order[i]);
		assert_true(fx->f.nlog >= 1);
		assert_string_equal(fx->f.log[0], want);
		fx->f.nlog = 0;
		struct group *g = NULL;
		for (size_t k = 0; k < fx->t.ngroups; k++)
			if (strcmp(fx->t.groups[k]->procs[0].decl->name, order[i]) == 0)
				g = fx->t.groups[k];
		killed_by(fx, &g->procs[0], SIGTERM);
		settle(fx);
	}
	assert_true(fx->t.loop.quit);
	teardown_fixture(fx);
}

/* A chain: each group requires the one before; starting the last starts
 * all of them, first to last, without recursion. */
static void a_long_chain_starts_from_its_far_end(void **state)
{
	(void)state;
	enum { N = 200 }; /* the fake kernel notes at most 256 things */
	static char conf[N * 128];
	size_t n = 0;
	for (int i = 0; i < N; i++) {
		char requires[32] = "";
		if (i)
			snprintf(requires, sizeof(requires), "requires = { \"g%d\" }", i - 1);
		n += (size_t)snprintf(conf + n, sizeof(conf) - n,
				      "group \"g%d\" { autostart = false %s process \"p%d\" { "
				      "command = \"p\" } }\n",
				      i, requires, i);
	}
	struct fixture *fx = setup_with(conf);
	group_step(&fx->t, grp(fx, "g199"), GE_START);
	settle(fx);
	for (int i = 0; i < N; i++) {
		char want[16];
		snprintf(want, sizeof(want), "spawn p%d", i);
		assert_string_equal(fx->f.log[i], want);
	}
	assert_int_equal(grp(fx, "g199")->state, GS_RUNNING);
	teardown_fixture(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(requires_starts_the_dependency_first_and_waits),
		cmocka_unit_test(a_failed_dependency_fails_the_start),
		cmocka_unit_test(stopping_a_dependency_stops_what_requires_it_first),
		cmocka_unit_test(restarting_a_dependency_restarts_what_requires_it),
		cmocka_unit_test(after_orders_groups_that_start_together),
		cmocka_unit_test(shutdown_stops_in_reverse_dependency_order),
		cmocka_unit_test(a_long_chain_starts_from_its_far_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The pure parts of `tendctl run` and of the tree view: a run request's
 * words made a declaration (config/run.c), processes ordered as a tree by
 * ppid (base/pid_tree.c), a /proc/PID/stat line read (sys/procstat.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/pid_tree.h"
#include "config/run.h"
#include "sys/procstat.h"

/* ---- tree by ppid ---- */

#define TEND_PID 1
#define MAIN 100

static struct pid_node node(pid_t pid, pid_t ppid)
{
	struct pid_node n = { .pid = pid, .ppid = ppid };
	snprintf(n.comm, sizeof(n.comm), "p%d", (int)pid);
	return n;
}

/* The order as "pid:depth[a]" words, for comparing. */
static void shape(const struct pid_node *v, size_t n, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, "%s%d:%u%s", i ? " " : "", (int)v[i].pid,
			 v[i].depth, v[i].adopted ? "a" : "");
	}
}

static void orders(struct pid_node *v, size_t n, pid_t main, const char *want)
{
	char got[1024];
	assert_int_equal(pid_tree_order(v, n, main, TEND_PID), 0);
	shape(v, n, got, sizeof(got));
	assert_string_equal(got, want);
}

static void test_tree_by_ppid(void **state)
{
	(void)state;
	/* given in no particular order: children of main, a grandchild, a
	 * great-grandchild, orphans of tend with a child of their own */
	struct pid_node v[] = {
		node(130, 1),	node(105, 100), node(120, 110), node(110, 100),
		node(131, 130), node(121, 120), node(103, 100), node(140, 1),
	};
	orders(v, 8, MAIN, "103:0 105:0 110:0 120:1 121:2 130:0a 131:1 140:0a");
	assert_string_equal(v[3].comm, "p120"); /* each node keeps its name */
}

static void test_tree_without_main(void **state)
{
	(void)state;
	/* the main process is gone: what it left was re-parented to tend */
	struct pid_node v[] = { node(12, 1), node(11, 1), node(13, 12) };
	orders(v, 3, 0, "11:0a 12:0a 13:1");
	/* a parent that is neither main nor tend: a root, not adopted */
	struct pid_node w[] = { node(20, 7), node(21, 20), node(22, MAIN) };
	orders(w, 3, MAIN, "22:0 20:0 21:1");
	orders(w, 0, MAIN, "");
}

static void test_tree_loop_and_self(void **state)
{
	(void)state;
	/* parent links read at different moments may loop: each shown once */
	struct pid_node v[] = { node(31, 32), node(32, 31), node(33, 33), node(30, MAIN) };
	orders(v, 4, MAIN, "30:0 33:0 31:0 32:1");
}

/* A chain as deep as a fork bomb's: no recursion, nothing lost. */
static void test_tree_deep_chain(void **state)
{
	enum { N = 200000 };
	struct pid_node *v = calloc(N, sizeof(*v));
	(void)state;
	assert_non_null(v);
	for (size_t i = 0; i < N; i++) /* given deepest first */
		v[i] = node((pid_t)(1000 + N - i), (pid_t)(i == N - 1 ? MAIN : 1000 + N - i - 1));
	assert_int_equal(pid_tree_order(v, N, MAIN, TEND_PID), 0);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(v[i].pid, 1001 + (pid_t)i);
		assert_int_equal(v[i].depth, i);
		assert_false(v[i].adopted);
	}
	free(v);
}

/* ---- /proc/PID/stat ---- */

static void test_proc_stat_parse(void **state)
{
	struct proc_stat st;
	(void)state;
	assert_int_equal(proc_stat_parse("42 (sleep) S 7 42 42 0 -1 4194560 98 0", &st), 0);
	assert_int_equal(st.pid, 42);
	assert_int_equal(st.ppid, 7);
	assert_int_equal(st.session, 42);
	assert_int_equal(st.state, 'S');
	assert_string_equal(st.comm, "sleep");
	/* a name with blanks and parentheses: up to the last ')' */
	assert_int_equal(proc_stat_parse("9 (a) Z (b) c) Z 1 9 5 0", &st), 0);
	assert_string_equal(st.comm, "a) Z (b) c");
	assert_int_equal(st.state, 'Z');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.session, 5);
	assert_int_equal(proc_stat_parse("9 (0123456789abcdefghij) R 1 9 9", &st), 0);
	assert_string_equal(st.comm, "0123456789abcde"); /* 15 bytes, as the kernel keeps */
	assert_int_equal(proc_stat_parse("", &st), -1);
	assert_int_equal(proc_stat_parse("9 (x R 1 9 9", &st), -1);
	assert_int_equal(proc_stat_parse("9 (x) R 1", &st), -1);
	assert_int_equal(proc_stat_parse("x) (y", &st), -1);
}

/* ---- run requests ---- */

/* Parses the words of line (split on blanks). */
static int parse(char *line, struct run_options *o, char *why, size_t len)
{
	static char *words[32];
	size_t n = 0;
	for (char *w = strtok(line, " "); w && n < 31; w = strtok(NULL, " "))
		words[n++] = w;
	words[n] = NULL;
	return run_options_parse(words, o, why, len);
}

static void test_run_defaults(void **state)
{
	char line[] = "run -- sleep 10", why[256];
	struct run_options o;
	(void)state;
	assert_int_equal(parse(line, &o, why, sizeof(why)), 0);
	assert_null(o.group);
	assert_string_equal(o.tenant, "default");
	assert_int_equal(o.restart, RESTART_NEVER);
	assert_false(o.wait);
	assert_null(o.directory);
	assert_null(o.environment);
	assert_string_equal(o.argv[0], "sleep");
	assert_string_equal(o.argv[1], "10");
	assert_null(o.argv[2]);
	run_options_free(&o);
}

static void test_run_options(void **state)
{
	char line[] =
	    "run --tenant acme --group=web.1 --restart on-failure --wait --directory=/srv "
	    "--env A=1 --env=B=x=y sh -c --wait";
	char why[256];
	struct run_options o;
	(void)state;
	assert_int_equal(parse(line, &o, why, sizeof(why)), 0);
	assert_string_equal(o.tenant, "acme");
	assert_string_equal(o.group, "web.1");
	assert_int_equal(o.restart, RESTART_ON_FAILURE);
	assert_true(o.wait);
	assert_string_equal(o.directory, "/srv");
	assert_string_equal(o.environment[0], "A=1");
	assert_string_equal(o.environment[1], "B=x=y");
	assert_null(o.environment[2]);
	/* the command starts at the first word that is no option */
	assert_string_equal(o.argv[0], "sh");
	assert_string_equal(o.argv[2], "--wait");
	run_options_free(&o);
	char after_dashes[] = "run -- --wait";
	assert_int_equal(parse(after_dashes, &o, why, sizeof(why)), 0);
	assert_false(o.wait);
	assert_string_equal(o.argv[0], "--wait");
	run_options_free(&o);
}

static void refused(const char *text, const char *want)
{
	char line[256], why[256];
	struct run_options o;
	snprintf(line, sizeof(line), "%s", text);
	if (parse(line, &o, why, sizeof(why)) == 0)
		fail_msg("\"%s\" was accepted", text);
	if (!strstr(why, want))
		fail_msg("\"%s\": \"%s\" does not say \"%s\"", text, why, want);
	run_options_free(&o);
}

static void test_run_refused(void **state)
{
	(void)state;
	refused("run", "usage: run");
	refused("run --wait --", "usage: run");
	refused("run --tenant", "usage: run");
	refused("run --bogus -- x", "usage: run");
	refused("run -w -- x", "usage: run");
	refused("run --restart sometimes -- x", "bad --restart sometimes");
	refused("run --tenant a/b -- x", "invalid tenant name \"a/b\"");
	refused("run --tenant .x -- x", "invalid tenant name");
	refused("run --group local -- x", "invalid group name \"local\"");
	refused("run --group -x -- x", "invalid group name");
	refused("run --directory srv -- x", "not an absolute path");
	refused("run --env 1A=b -- x", "bad --env 1A=b");
	refused("run --env A=1 --env novalue -- x", "bad --env novalue");
}

static void test_run_decl(void **state)
{
	char line[] = "run --tenant acme --restart always --env K=V --directory /tmp -- "
		      "/usr/bin/sleep 10";
	char why[256];
	struct run_options o;
	struct group_decl g;
	(void)state;
	assert_int_equal(parse(line, &o, why, sizeof(why)), 0);
	assert_int_equal(run_decl_make(&o, "run-7", &g), 0);
	run_options_free(&o);
	assert_non_null(g.pack); /* one block, as the parser's */
	assert_string_equal(g.name, "run-7");
	assert_string_equal(g.tenant, "acme");
	assert_true(g.autostart);
	assert_int_equal(g.nprocs, 1);
	const struct process_decl *p = &g.procs[0];
	assert_string_equal(p->name, "sleep");
	assert_string_equal(p->argv[0], "/usr/bin/sleep");
	assert_string_equal(p->argv[1], "10");
	assert_null(p->argv[2]);
	assert_string_equal(p->environment[0], "K=V");
	assert_string_equal(p->directory, "/tmp");
	assert_int_equal(p->type, TYPE_LONGRUN);
	assert_int_equal(p->restart, RESTART_ALWAYS);
	assert_int_equal(p->kill_mode, KILL_TREE);
	assert_true(p->keep_leftovers);
	assert_int_equal(p->restart_limit, DEFAULT_RESTART_LIMIT);
	assert_int_equal(p->stop_timeout_ms, DEFAULT_STOP_TIMEOUT_MS);
	assert_int_equal(p->uid, NO_ID);
	assert_int_equal(p->ngroups, -1);
	group_decl_free(&g);
	/* a file name that is no valid process name: "main" */
	char odd[] = "run -- ./my$prog";
	assert_int_equal(parse(odd, &o, why, sizeof(why)), 0);
	assert_int_equal(run_decl_make(&o, "run-8", &g), 0);
	assert_string_equal(g.procs[0].name, "main");
	assert_null(g.procs[0].directory);
	assert_null(g.procs[0].environment[0]);
	group_decl_free(&g);
	run_options_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_by_ppid),	   cmocka_unit_test(test_tree_without_main),
		cmocka_unit_test(test_tree_loop_and_self), cmocka_unit_test(test_tree_deep_chain),
		cmocka_unit_test(test_proc_stat_parse),	   cmocka_unit_test(test_run_defaults),
		cmocka_unit_test(test_run_options),	   cmocka_unit_test(test_run_refused),
		cmocka_unit_test(test_run_decl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

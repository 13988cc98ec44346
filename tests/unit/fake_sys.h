/* The fake kernel behind the seam (sys/sys.h) and a fixture around it,
 * for unit tests that drive the state machines with simulated processes:
 * spawns, exits, fork failures and a fake clock. What the fake saw is
 * kept in order (assert_log). Included by one test file each. */
#ifndef TEND_TEST_FAKE_SYS_H
#define TEND_TEST_FAKE_SYS_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/context.h"
#include "sys/exec.h"

#define MAX_EVENTS 256

/* What the fake kernel saw, in order. */
struct fake {
	struct tend *t; /* whose seam it is */
	uint64_t now;
	pid_t next_pid;
	int spawn_errno; /* non-zero: the next spawns fail with it */
	char log[MAX_EVENTS][64];
	int nlog;
	int leftovers[64]; /* per pid-slot: descendants left alive after main exits */
	bool ignore_term;  /* main processes ignore SIGTERM */
	/* Called with every request a spawn gets, before it succeeds or fails. */
	void (*inspect)(struct fake *f, const struct spawn_request *req);
	void *inspect_ctx;
};

static struct fake *fake_of(struct sys *s)
{
	return s->fake;
}

static void note(struct sys *s, const char *fmt, ...)
{
	struct fake *f = fake_of(s);
	va_list ap;
	va_start(ap, fmt);
	assert_true(f->nlog < MAX_EVENTS);
	vsnprintf(f->log[f->nlog++], sizeof(f->log[0]), fmt, ap);
	va_end(ap);
}

static uint64_t fake_now(struct sys *s)
{
	return fake_of(s)->now;
}

/* The wall clock: the fake's monotonic one, a fixed distance away. */
static uint64_t fake_wall(struct sys *s)
{
	return fake_of(s)->now + 1700000000000u;
}

static pid_t fake_spawn(struct sys *s, const struct spawn_request *req, int *err)
{
	struct fake *f = fake_of(s);
	if (f->inspect)
		f->inspect(f, req);
	int fault = fault_check(&s->faults, FAULT_FORK); /* as sys_linux's spawn */
	if (f->spawn_errno || fault) {
		*err = fault ? fault : f->spawn_errno;
		note(s, "spawn-failed %s", req->process);
		return -1;
	}
	note(s, "spawn %s", req->process);
	return f->next_pid++;
}

/* The process a tree is of. */
static struct process *process_of_tree(struct sys *s, const struct tree *tree)
{
	struct group *g = tend_find_group(fake_of(s)->t, tree->group);
	assert_non_null(g);
	struct process *p = group_find_process(g, tree->process);
	assert_non_null(p);
	return p;
}

/* Its index in its group: where its leftovers are counted. */
static int slot(struct sys *s, const struct tree *tree)
{
	struct process *p = process_of_tree(s, tree);
	return (int)(p - p->group->procs);
}

static void fake_signal(struct sys *s, const struct tree *tree, int sig)
{
	struct fake *f = fake_of(s);
	if (!tree->main && !f->leftovers[slot(s, tree)])
		return; /* nothing alive: no signal goes anywhere */
	note(s, "signal %s %s", tree->process, sigabbrev_np(sig));
	if (sig == SIGKILL || (sig == SIGTERM && !f->ignore_term))
		f->leftovers[slot(s, tree)] = 0;
}

static void fake_signal_main(struct sys *s, const struct tree *tree, int sig)
{
	if (!tree->main)
		return;
	note(s, "signal-main %s %s", tree->process, sigabbrev_np(sig));
}

static bool fake_tree_empty(struct sys *s, const struct tree *tree)
{
	return !tree->main && !fake_of(s)->leftovers[slot(s, tree)];
}

static const struct sys_ops fake_ops = {
	.now_ms = fake_now,
	.wall_ms = fake_wall,
	.spawn = fake_spawn,
	.signal_tree = fake_signal,
	.signal_main = fake_signal_main,
	.tree_empty = fake_tree_empty,
};

struct fixture {
	struct tend t;
	struct fake f;
	char dir[64];
};

/* Parses `conf` with the real parser and builds the groups from it. */
static inline struct fixture *setup_with(const char *conf)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/tend-unit-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/test.conf", fx->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(conf, fp);
	fclose(fp);

	struct config cfg = { 0 };
	char err[1024] = "";
	int r = config_load_dir(fx->dir, &cfg, err, sizeof(err));
	if (r < 0)
		fail_msg("config: %s", err);
	unlink(path);
	rmdir(fx->dir);

	tend_init(&fx->t, &fake_ops);
	fx->t.sys.fake = &fx->f;
	fx->f.t = &fx->t;
	fx->t.log.verbosity = getenv("TEND_TEST_LOG") ? LOG_DEBUG : -1;
	assert_int_equal(loop_init(&fx->t.loop), 0);
	fx->f.now = 1000000;
	fx->f.next_pid = 100;
	/* as daemon_setup does: the tenants first (registry_adopt frees cfg) */
	if (tenants_prepare(&fx->t.tenants, &cfg, err, sizeof(err)) < 0)
		fail_msg("tenants: %s", err);
	assert_int_equal(registry_adopt(&fx->t, &cfg), 0);
	return fx;
}

static inline void teardown_fixture(struct fixture *fx)
{
	/* Nothing the state machines cannot do happened (tend_bug). */
	assert_int_equal(fx->t.bugs, 0);
	registry_free(&fx->t);
	tenants_free(&fx->t.tenants);
	pidmap_free(&fx->t.pids);
	free(fx->t.base_env);
	loop_close(&fx->t.loop);
	free(fx);
}

static inline struct process *proc(struct fixture *fx, const char *g, const char *p)
{
	struct process *pr = group_find_process(tend_find_group(&fx->t, g), p);
	assert_non_null(pr);
	return pr;
}

/* What the loop does after a batch of events, for the state machines:
 * the starts and stops that requires and after asked for. */
static inline void settle(struct fixture *fx)
{
	deps_run(&fx->t);
}

static inline void advance(struct fixture *fx, uint64_t ms)
{
	fx->f.now += ms;
	timers_run_due(&fx->t.loop);
	settle(fx);
}

static inline void exit_with(struct fixture *fx, struct process *p, int code)
{
	assert_true(p->pid > 0);
	process_exited(&fx->t, p, W_EXITCODE(code, 0), NULL);
}

static inline void killed_by(struct fixture *fx, struct process *p, int sig)
{
	assert_true(p->pid > 0);
	process_exited(&fx->t, p, W_EXITCODE(0, sig), NULL);
}

static inline void assert_log(struct fixture *fx, const char *const *want)
{
	int n = 0;
	for (; want[n]; n++) {
		if (n >= fx->f.nlog)
			fail_msg("missing event %d: want \"%s\"", n, want[n]);
		if (strcmp(fx->f.log[n], want[n]) != 0)
			fail_msg("event %d: got \"%s\", want \"%s\"", n, fx->f.log[n], want[n]);
	}
	if (n != fx->f.nlog)
		fail_msg("unexpected event %d: \"%s\"", n, fx->f.log[n]);
	fx->f.nlog = 0;
}

#endif

/* The simulated kernel of the seam (supervisor/sys/sys.h) for the fuzz
 * targets that drive a small supervised world without its processes being
 * real: a clock that moves only when the input says so, pids above
 * pid_max's default (no real process is ever signalled), trees that end
 * with their main process. fuzz_request has a richer one (leftovers,
 * spawn failures). Included by one target each. */
#ifndef TEND_FUZZ_FAKE_WORLD_H
#define TEND_FUZZ_FAKE_WORLD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/context.h"
#include "sys/exec.h"

/* First member of a target's world: the seam's fake points at it. */
struct fake_world {
	struct tend t;
	uint64_t now;
	pid_t next_pid;
};

static struct fake_world *fake_world_of(struct sys *s)
{
	return s->fake;
}

static uint64_t fake_world_now(struct sys *s)
{
	return fake_world_of(s)->now;
}

static pid_t fake_world_spawn(struct sys *s, const struct spawn_request *req, int *err)
{
	(void)req;
	(void)err;
	return fake_world_of(s)->next_pid++;
}

static void fake_world_signal(struct sys *s, const struct tree *tree, int sig)
{
	(void)s;
	(void)tree;
	(void)sig;
}

static bool fake_world_tree_empty(struct sys *s, const struct tree *tree)
{
	(void)s;
	return !tree->main;
}

static const struct sys_ops fake_world_ops = {
	.now_ms = fake_world_now,
	.wall_ms = fake_world_now,
	.spawn = fake_world_spawn,
	.signal_main = fake_world_signal,
	.signal_tree = fake_world_signal,
	.tree_empty = fake_world_tree_empty,
};

/* w cleared and wired to the fake seam, its groups those of conf (parsed
 * with the real parser), in rundir. Aborts on what cannot fail. */
static inline void fake_world_init(struct fake_world *w, const char *conf, char *rundir)
{
	struct config cfg = { 0 };
	char err[512];
	w->t.log.verbosity = -1;
	w->now = 1000;
	w->next_pid = 1 << 22; /* above pid_max's default: no real process */
	tend_init(&w->t, &fake_world_ops);
	w->t.sys.fake = w;
	w->t.rundir = rundir;
	if (loop_init(&w->t.loop) < 0)
		abort();
	if (config_parse_text("fuzz.conf", conf, &cfg, err, sizeof(err)) < 0 ||
	    registry_adopt(&w->t, &cfg) < 0) {
		fputs(err, stderr);
		abort();
	}
}

static inline void fake_world_free(struct fake_world *w)
{
	registry_free(&w->t);
	pidmap_free(&w->t.pids);
	free(w->t.base_env);
	loop_close(&w->t.loop);
}

#endif

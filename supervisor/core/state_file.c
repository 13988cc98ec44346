#include "core/state_file.h"
#include "base/container_of.h"
#include "core/context.h"
#include "core/launch.h"
#include "sys/log.h"
#include "sys/small_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void state_file_boot_id(char *buf, size_t len)
{
	char id[64];
	if (read_small_file(AT_FDCWD, "/proc/sys/kernel/random/boot_id", id, sizeof(id)) <= 0)
		snprintf(id, sizeof(id), "-");
	id[strcspn(id, "\n")] = '\0';
	snprintf(buf, len, "%s", id);
}

static char *rundir_path(const struct tend *t, const char *name)
{
	size_t len = strlen(t->rundir) + strlen(name) + 2;
	char *p = malloc(len);
	if (p)
		snprintf(p, len, "%s/%s", t->rundir, name);
	return p;
}

static void write_now(struct state_file *sf);

static void write_later(struct timer *tm)
{
	write_now(container_of(tm, struct state_file, later));
}

int state_file_open(struct state_file *sf, struct tend *t)
{
	*sf = (struct state_file){ .t = t, .dirty = true };
	timer_init(&sf->later, write_later);
	/* PID 1 cannot die with the machine still up: nobody would read it,
	 * and each write would cost PID 1 up to 50 times a second. */
	if (t->mode == MODE_PID1)
		return 0;
	sf->path = rundir_path(t, STATE_FILE_NAME);
	sf->tmp = rundir_path(t, STATE_FILE_NAME ".new");
	if (!sf->path || !sf->tmp) {
		state_file_close(sf);
		return -1;
	}
	state_file_boot_id(sf->boot_id, sizeof(sf->boot_id));
	if (!t->start_time_ticks)
		t->start_time_ticks = launch_start_ticks(getpid());
	return 0;
}

void state_file_on_event(void *ctx, const struct bus_event *ev)
{
	(void)ev;
	struct state_file *sf = ctx;
	sf->dirty = true;
}

/* A process with a main process, or a session that may still hold some of
 * its tree. */
static int add_process(struct run_state *s, const struct process *p)
{
	struct run_entry e = { .pid = p->pid,
			       .session = p->session,
			       .session_ticks = p->session_ticks };
	if (!p->pid && !p->session)
		return 0;
	/* A main named by MAINPID= is not the session leader whose start time
	 * is known: read at each write. */
	e.pid_ticks =
	    p->pid && p->pid == p->session ? p->session_ticks : launch_start_ticks(p->pid);
	snprintf(e.tenant, sizeof(e.tenant), "%s", p->group->decl.tenant);
	snprintf(e.group, sizeof(e.group), "%s", p->group->decl.name);
	snprintf(e.process, sizeof(e.process), "%s", p->decl->name);
	return run_state_add(s, &e);
}

static int collect(struct state_file *sf, struct run_state *s)
{
	struct tend *t = sf->t;
	s->tend_pid = getpid();
	s->tend_ticks = t->start_time_ticks;
	snprintf(s->boot_id, sizeof(s->boot_id), "%s", sf->boot_id);
	s->cgroup = t->tracker.mode == TRACK_CGROUP ? t->tracker.root : NULL;
	for (size_t i = 0, n = registry_count(t); i < n; i++) {
		struct group *g = registry_nth(t, i);
		for (size_t j = 0; j < g->nprocs; j++)
			if (add_process(s, &g->procs[j]) < 0)
				return -1;
	}
	return 0;
}

static int write_all(const char *path, const struct buf *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < b->len) {
		ssize_t n = write(fd, b->data + done, b->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : ENOSPC;
			close(fd);
			errno = err;
			return -1;
		}
		done += (size_t)n;
	}
	return close(fd);
}

static void report(struct state_file *sf, bool ok)
{
	if (ok && sf->failing)
		tend_log(&sf->t->log, LOG_INFO, "%s is written again", sf->path);
	else if (!ok && !sf->failing)
		tend_log(&sf->t->log, LOG_ERR,
			 "cannot write %s (%m): a tend started after this one dies would not find "
			 "what it runs",
			 sf->path);
	sf->failing = !ok;
}

static void write_now(struct state_file *sf)
{
	struct run_state s = { 0 };
	struct buf text = { 0 };
	if (!sf->dirty)
		return;
	sf->dirty = false;
	sf->written_ms = loop_now_ms(&sf->t->loop);
	bool ok = collect(sf, &s) == 0;
	if (!ok)
		errno = ENOMEM;
	if (ok) {
		run_state_format(&s, &text);
		ok = !text.oom && write_all(sf->tmp, &text) == 0 && rename(sf->tmp, sf->path) == 0;
		if (text.oom)
			errno = ENOMEM;
	}
	report(sf, ok);
	sf->dirty = !ok; /* tried again after the next batch */
	s.cgroup = NULL; /* the tracker's */
	run_state_free(&s);
	buf_free(&text);
}

void state_file_after_events(void *ctx)
{
	struct state_file *sf = ctx;
	if (!sf->path || !sf->dirty || !sf->settled || timer_armed(&sf->later))
		return;
	uint64_t now = loop_now_ms(&sf->t->loop);
	if (sf->written_ms && now - sf->written_ms < STATE_FILE_GAP_MS)
		loop_timer_in(&sf->t->loop, &sf->later, sf->written_ms + STATE_FILE_GAP_MS - now);
	else
		write_now(sf);
}

void state_file_close(struct state_file *sf)
{
	if (sf->t)
		loop_timer_cancel(&sf->t->loop, &sf->later);
	if (sf->path && sf->settled)
		unlink(sf->path);
	free(sf->path);
	free(sf->tmp);
	sf->path = sf->tmp = NULL;
}

#include "core/leftovers.h"
#include "base/run_state.h"
#include "core/context.h"
#include "core/group.h"
#include "core/state_file.h"
#include "sys/log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATE_MAX_BYTES (64u << 20)
#define UNDECLARED_STOP_MS 5000 /* what is no longer declared has no stop-timeout */
#define KILL_WAIT_MS 3000	/* after SIGKILL, for the kernel to end them */
#define POLL_MS 20

struct leftovers {
	struct tend *t;
	struct run_state s;
	char *cgroup;	  /* the dead tend's cgroup, if it is there */
	bool ancestry;	  /* the dead tend tracked by ancestry */
	uint64_t stop_ms; /* the longest stop-timeout of what is ended */
	size_t ended;	  /* trees that are ended */
};

static int read_text(int fd, char **text, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)STATE_MAX_BYTES) {
		errno = EFBIG;
		return -1;
	}
	*text = malloc((size_t)st.st_size + 1);
	if (!*text)
		return -1;
	ssize_t n = read(fd, *text, (size_t)st.st_size);
	if (n < 0) {
		free(*text);
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

/* RUNDIR/tend.state as the dead tend last wrote it. -1: none, or not to
 * be trusted (said why). */
static int read_state(struct tend *t, struct run_state *s)
{
	char path[4096], why[160];
	char *text = NULL;
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/" STATE_FILE_NAME, t->rundir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno != ENOENT)
			tend_log(&t->log, LOG_WARN,
				 "%s: %m; what a dead tend left is not looked for", path);
		return -1;
	}
	int r = read_text(fd, &text, &len);
	close(fd);
	if (r < 0) {
		tend_log(&t->log, LOG_WARN, "%s: %m; ignored", path);
		return -1;
	}
	r = run_state_parse(text, len, s, why, sizeof(why));
	free(text);
	if (r < 0)
		tend_log(&t->log, LOG_WARN, "%s: %s; ignored (what a dead tend left is not found)",
			 path, why);
	return r;
}

/* The dead tend's cgroup, if the file names one of tend's own naming
 * (tend-PID of the pid it recorded) that is still there. */
static void find_cgroup(struct leftovers *lo)
{
	char name[32];
	const char *base = lo->s.cgroup ? strrchr(lo->s.cgroup, '/') : NULL;
	struct stat st;
	lo->ancestry = !lo->s.cgroup;
	snprintf(name, sizeof(name), "/tend-%d", (int)lo->s.tend_pid);
	if (!base)
		return;
	if (strcmp(base, name) != 0)
		tend_log(&lo->t->log, LOG_WARN, "%s: not a cgroup of tend %d; left alone",
			 lo->s.cgroup, (int)lo->s.tend_pid);
	else if (stat(lo->s.cgroup, &st) == 0 && S_ISDIR(st.st_mode))
		lo->cgroup = lo->s.cgroup;
}

static void old_cgroup_of(const struct leftovers *lo, const struct run_entry *e, char *buf,
			  size_t len)
{
	snprintf(buf, len, "%s/%s/%s/%s", lo->cgroup, e->tenant, e->group, e->process);
}

/* Every process of what the dead tend left: its cgroup, or its sessions. */
static void collect(const struct leftovers *lo, struct pid_list *out)
{
	out->len = 0;
	if (lo->cgroup) {
		cgroup_dir_procs(lo->cgroup, out);
		return;
	}
	/* By ancestry, or a cgroup that is gone: its sessions. */
	for (size_t i = 0; i < lo->s.len; i++) {
		const struct run_entry *e = &lo->s.v[i];
		/* pid_list_add keeps each pid once: a session met twice adds nothing */
		session_members(e->session, e->session_ticks, out);
		if (e->pid && e->pid != e->session && proc_alive_since(e->pid, e->pid_ticks))
			pid_list_add(out, e->pid);
	}
}

static size_t alive(const struct pid_list *l)
{
	size_t n = 0;
	for (size_t i = 0; i < l->len; i++)
		n += proc_alive_since(l->pids[i], 0);
	return n;
}

static bool wait_gone(const struct pid_list *l, uint64_t ms)
{
	struct timespec tick = { .tv_nsec = POLL_MS * 1000000L };
	for (uint64_t waited = 0;; waited += POLL_MS) {
		if (!alive(l))
			return true;
		if (waited >= ms)
			return false;
		nanosleep(&tick, NULL);
	}
}

/* Ends everything that was not adopted: SIGTERM (and SIGCONT), SIGKILL
 * after the longest stop-timeout, then the dead tend's cgroup goes. */
static void end_the_rest(struct leftovers *lo)
{
	struct tend *t = lo->t;
	struct pid_list l = { 0 };
	collect(lo, &l);
	if (!lo->stop_ms) /* only what no entry names (forked before it was written) */
		lo->stop_ms = UNDECLARED_STOP_MS;
	if (alive(&l)) {
		pid_list_signal(&l, SIGTERM);
		pid_list_signal(&l, SIGCONT);
		if (!wait_gone(&l, lo->stop_ms)) {
			collect(lo, &l); /* and what forked meanwhile */
			tend_log(&t->log, LOG_WARN,
				 "%zu process(es) left by tend %d still run after SIGTERM; sending "
				 "SIGKILL",
				 alive(&l), (int)lo->s.tend_pid);
			if (!lo->cgroup || !cgroup_dir_kill(lo->cgroup))
				pid_list_signal(&l, SIGKILL);
			if (!wait_gone(&l, KILL_WAIT_MS))
				tend_log(
				    &t->log, LOG_ERR,
				    "%zu process(es) left by tend %d survive SIGKILL; giving up "
				    "on them",
				    alive(&l), (int)lo->s.tend_pid);
		}
	}
	pid_list_free(&l);
	if (lo->cgroup && cgroup_dir_remove(lo->cgroup) < 0)
		tend_log(&t->log, LOG_WARN, "cannot remove cgroup %s of dead tend %d: %m",
			 lo->cgroup, (int)lo->s.tend_pid);
	else if (lo->cgroup)
		tend_log(&t->log, LOG_INFO, "removed cgroup %s of dead tend %d", lo->cgroup,
			 (int)lo->s.tend_pid);
}

/* Why the main process of e is not adopted; NULL: it may be (into *pp). */
static const char *refusal(struct leftovers *lo, enum on_restart how, const struct run_entry *e,
			   struct process **pp)
{
	struct tend *t = lo->t;
	struct group *g = tend_find_group(t, e->group);
	struct process *p = g ? group_find_process(g, e->process) : NULL;
	*pp = p;
	if (how == ON_RESTART_STOP)
		return "on-restart = stop";
	if (!p || strcmp(g->decl.tenant, e->tenant) != 0)
		return "no longer declared";
	if (!e->pid || !proc_alive_since(e->pid, e->pid_ticks))
		return "its main process is gone";
	if (p->decl->type != TYPE_LONGRUN)
		return "a oneshot starts again";
	if (group_placed(t, g))
		return "negotiable: the cluster decides where it runs";
	if (lo->ancestry != (t->tracker.mode == TRACK_ANCESTRY))
		return "trees are tracked another way now";
	if (p->pid || p->state != PS_STOPPED)
		return "taken already";
	return NULL;
}

static bool take(struct leftovers *lo, struct process *p, const struct run_entry *e)
{
	struct tend *t = lo->t;
	char from[4096];
	if (!lo->ancestry) {
		struct tree tree = process_tree(p);
		old_cgroup_of(lo, e, from, sizeof(from));
		if (!lo->cgroup || tracker_take_cgroup(&t->tracker, &tree, from, e->pid) < 0)
			return false;
		p->in_cgroup = true;
	}
	return process_adopt(t, p, e->pid, e->session, e->session_ticks) == 0;
}

/* Whether an earlier entry was of the same group: said once per group. */
static bool group_said(const struct leftovers *lo, size_t i)
{
	for (size_t j = 0; j < i; j++) /* (an adopted one's pid and session are 0) */
		if ((lo->s.v[j].pid || lo->s.v[j].session) &&
		    strcmp(lo->s.v[j].group, lo->s.v[i].group) == 0)
			return true;
	return false;
}

static void settle_entry(struct leftovers *lo, enum on_restart how, size_t i)
{
	struct tend *t = lo->t;
	struct run_entry *e = &lo->s.v[i];
	struct process *p;
	const char *why = refusal(lo, how, e, &p);
	if (!why && take(lo, p, e)) {
		tend_log(&t->log, LOG_INFO, "%s/%s: adopted pid %d, left running by tend %d",
			 e->group, e->process, (int)e->pid, (int)lo->s.tend_pid);
		e->pid = e->session = 0; /* not among what is ended (collect) */
		return;
	}
	uint64_t ms = p ? p->decl->stop_timeout_ms : UNDECLARED_STOP_MS;
	if (ms > lo->stop_ms)
		lo->stop_ms = ms;
	lo->ended++;
	if (!group_said(lo, i))
		tend_log(&t->log, LOG_INFO, "group %s: ending what dead tend %d left running (%s)",
			 e->group, (int)lo->s.tend_pid, why ? why : "cannot be adopted");
}

void leftovers_settle(struct tend *t, enum on_restart how)
{
	struct leftovers lo = { .t = t };
	char boot[RUN_STATE_BOOT_ID_MAX + 1];
	if (read_state(t, &lo.s) == 0) {
		state_file_boot_id(boot, sizeof(boot));
		if (strcmp(boot, lo.s.boot_id) != 0) {
			tend_log(&t->log, LOG_INFO,
				 "%s/" STATE_FILE_NAME " is from an earlier boot; ignored",
				 t->rundir);
		} else {
			find_cgroup(&lo);
			for (size_t i = 0; i < lo.s.len; i++)
				settle_entry(&lo, how, i);
			end_the_rest(&lo);
		}
	}
	run_state_free(&lo.s);
	tracker_sweep_dead(&t->tracker);
}

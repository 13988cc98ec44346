/* Which processes belong to a supervised process's tree, so that stopping it
 * ends every descendant: also those that double-forked, called setsid() or
 * were re-parented to tend. Two ways, chosen at start-up and shown in status:
 *  - cgroup: a cgroup v2 directory per group and per process (cgroup.c);
 *  - ancestry: /proc parent links, plus, for orphans adopted by tend (a child
 *    subreaper), the session id and the TEND_PROCESS environment tag that
 *    the process was started with (ancestry.c). */
#ifndef TEND_TRACKER_H
#define TEND_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/pid_list.h"

struct tend;
struct process;
struct group;
struct proc_table;

enum tracking_mode { TRACK_ANCESTRY, TRACK_CGROUP };

struct tracker {
	enum tracking_mode mode;
	char *root;    /* cgroup mode: this instance's cgroup directory */
	int root_fd;   /* cgroup mode: fd of root, -1 otherwise */
	bool has_kill; /* cgroup.kill is available (Linux >= 5.14) */
	char why[160]; /* ancestry mode: why not cgroup */
	/* ancestry mode: one scan of /proc shared by every query between
	 * tracker_batch_begin() and tracker_batch_end(), NULL outside. */
	struct proc_table *batch;
};

/* requested: "auto", "cgroup" or "ancestry". Returns -1 only if "cgroup"
 * was requested and cannot be had. */
int tracker_init(struct tend *t, const char *requested);
void tracker_cleanup(struct tend *t);
const char *tracking_mode_name(enum tracking_mode m);

/* Before starting p: returns an fd the child writes "0" into to join its
 * cgroup (close-on-exec; the caller closes it), or -1 when not tracking by cgroup. */
int tracker_prepare(struct tend *t, struct process *p);
/* Every live pid of p's tree, its main process included. */
int tracker_members(struct tend *t, struct process *p, struct pid_list *out);
void tracker_signal(struct tend *t, struct process *p, int sig);
bool tracker_empty(struct tend *t, struct process *p);
/* Many queries in a row (status of every process, every stopping process
 * after a reap) share one look at the system instead of one each. */
void tracker_batch_begin(struct tend *t);
void tracker_batch_end(struct tend *t);
/* Removes the cgroups of a group that is going away. */
void tracker_release_group(struct tend *t, struct group *g);

/* cgroup.c */
int cgroup_setup(struct tend *t);
int cgroup_prepare(struct tend *t, struct process *p);
int cgroup_members(struct tend *t, struct process *p, struct pid_list *out);
void cgroup_signal(struct tend *t, struct process *p, int sig);
void cgroup_release_group(struct tend *t, struct group *g);
void cgroup_cleanup(struct tend *t);

/* ancestry.c */
int ancestry_members(struct tend *t, struct process *p, struct pid_list *out);
struct proc_table *ancestry_scan(void);
/* One live (not zombie) process's parent and session, from /proc. 0, or -1. */
int proc_parent_session(pid_t pid, pid_t *ppid, pid_t *session);
/* The GROUP/PROCESS of pid's TEND_PROCESS tag into buf. 0, or -1: no tag. */
int proc_tag(pid_t pid, char *buf, size_t len);
void ancestry_table_free(struct proc_table *tab);

#endif

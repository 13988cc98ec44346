/* Which processes belong to a supervised process's tree, so that stopping it
 * ends every descendant: also those that double-forked, called setsid() or
 * were re-parented to tend. Two ways, chosen at start-up and shown in status:
 *  - cgroup: a cgroup v2 directory per group and per process (cgroup.c);
 *  - ancestry: /proc parent links, plus, for orphans adopted by tend (a child
 *    subreaper), the session id and the TEND_PROCESS environment tag that
 *    the process was started with (ancestry.c).
 * The tracker works on a plain description of a tree (struct tree), not on
 * the supervisor's processes. */
#ifndef TEND_TRACKER_H
#define TEND_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/pid_list.h"

struct logger;
struct pidmap;
struct proc_table;

enum tracking_mode { TRACK_ANCESTRY, TRACK_CGROUP };

/* One supervised process's tree, as the tracker needs to know it. */
struct tree {
	const char *group;   /* its cgroup is GROUP/PROCESS; its orphans carry */
	const char *process; /* TEND_PROCESS=GROUP/PROCESS */
	pid_t main;	     /* the main process; 0: none (not started, or reaped) */
	pid_t session;	     /* the session it was started in; 0: forgotten */
	bool in_cgroup;	     /* cgroup mode: it has started a process in its cgroup */
};

struct tracker {
	enum tracking_mode mode;
	char *root; /* cgroup mode: this instance's cgroup directory */
	char
	    *root_rel; /* cgroup mode: the same below the cgroup2 mount, as /proc/PID/cgroup says */
	int root_fd;   /* cgroup mode: fd of root, -1 otherwise */
	bool has_kill; /* cgroup.kill is available (Linux >= 5.14) */
	unsigned set_aside; /* cgroup mode: cgroups moved aside (their names' suffix) */
	char why[160];	    /* ancestry mode: why not cgroup */
	/* ancestry mode: one scan of /proc shared by every query between
	 * tracker_batch_begin() and tracker_batch_end(), NULL outside. */
	struct proc_table *batch;
	struct logger *log;
	/* The pids that are some supervised process's main process: never
	 * claimed as another tree's orphan. */
	const struct pidmap *mains;
	/* Descriptors held back for reading trees when tend runs out of them
	 * (each supervised process costs a pipe and a log file): closed to let
	 * one look happen, opened again after it. -1: not held. */
	int reserve[2];
	bool unreadable; /* the last look failed (said once, until one works) */
};

/* Before tracker_init: what it reports to and the main pids it must know. */
void tracker_wire(struct tracker *tr, struct logger *log, const struct pidmap *mains);
/* requested: "auto", "cgroup" or "ancestry". Returns -1 only if "cgroup"
 * was requested and cannot be had. */
int tracker_init(struct tracker *tr, const char *requested);
/* Closes and removes this instance's cgroup directory (after every tree's
 * was released). */
void tracker_cleanup(struct tracker *tr);
const char *tracking_mode_name(enum tracking_mode m);

/* Before starting tr's main process: returns an fd the child writes "0"
 * into to join its cgroup (close-on-exec; the caller closes it), or -1 with
 * errno when it cannot be made. Only in cgroup mode. */
int tracker_prepare(struct tracker *tr, const struct tree *tree);
/* Every live pid of the tree, its main process included. -1 (errno set)
 * when the tree could not be read (out of descriptors or memory): then out
 * proves nothing, and a tree must never be taken for empty. */
int tracker_members(struct tracker *tr, const struct tree *tree, struct pid_list *out);
/* sig to every member; to the main process at least when the tree cannot
 * be read. */
void tracker_signal(struct tracker *tr, const struct tree *tree, int sig);
/* True only when the tree was read and nothing of it is left. */
bool tracker_empty(struct tracker *tr, const struct tree *tree);
/* Many queries in a row (status of every process, every stopping process
 * after a reap) share one look at the system instead of one each. */
void tracker_batch_begin(struct tracker *tr);
void tracker_batch_end(struct tracker *tr);
/* Removes a tree's cgroup, then (once each of its trees' is gone) a
 * group's: they are going away. A tree's cgroup that still holds processes
 * (kill-mode = main left them) moves them to GROUP/PROCESS.left-N instead:
 * a new declaration of the group must not share theirs. */
void tracker_release_tree(struct tracker *tr, const struct tree *tree);
void tracker_release_group(struct tracker *tr, const char *group);

/* What a group's cgroup used since it was made (cpu.stat, memory.peak,
 * io.stat); -1 in a field: not available there (no such controller). */
struct cgroup_usage {
	int64_t usage_us, user_us, system_us;
	int64_t memory_peak_bytes;
	int64_t io_read_bytes, io_write_bytes;
};
/* cgroup mode: 0 with *u filled, or -1 (ancestry mode, or no such cgroup). */
int tracker_group_usage(struct tracker *tr, const char *group, struct cgroup_usage *u);
/* cgroup mode: the GROUP and PROCESS whose cgroup `path` is (a cgroup v2
 * path as /proc/PID/cgroup gives it; a cgroup a stop set aside counts as
 * its process's). 0, or -1: not one of this instance's. */
int tracker_owner_of_cgroup(const struct tracker *tr, const char *path, char *group, size_t glen,
			    char *process, size_t plen);

/* cgroup.c */
int cgroup_setup(struct tracker *tr);
int cgroup_prepare(struct tracker *tr, const struct tree *tree);
int cgroup_members(struct tracker *tr, const struct tree *tree, struct pid_list *out);
/* SIGKILL to the whole cgroup at once (cgroup.kill); false: not done. */
bool cgroup_kill(struct tracker *tr, const struct tree *tree);
void cgroup_release_tree(struct tracker *tr, const struct tree *tree);
void cgroup_release_group(struct tracker *tr, const char *group);
void cgroup_cleanup(struct tracker *tr);
int cgroup_group_usage(struct tracker *tr, const char *group, struct cgroup_usage *u);
int cgroup_owner(const struct tracker *tr, const char *path, char *group, size_t glen,
		 char *process, size_t plen);

/* ancestry.c */
int ancestry_members(struct tracker *tr, const struct tree *tree, struct pid_list *out);
struct proc_table *ancestry_scan(void);
/* One live (not zombie) process's parent and session, from /proc. 0, or -1. */
int proc_parent_session(pid_t pid, pid_t *ppid, pid_t *session);
/* The GROUP/PROCESS of pid's TEND_PROCESS tag into buf. 0, or -1: no tag. */
int proc_tag(pid_t pid, char *buf, size_t len);
/* The credentials pid opens files with (its fs uid and gid) and up to
 * *ngroups supplementary groups, from /proc. 0, or -1: gone or unreadable. */
int proc_credentials(pid_t pid, uid_t *uid, gid_t *gid, gid_t *groups, size_t *ngroups);
void ancestry_table_free(struct proc_table *tab);

#endif

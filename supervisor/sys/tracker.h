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
#include "config/config.h"

struct logger;
struct pidmap;
struct proc_table;

enum tracking_mode { TRACK_ANCESTRY, TRACK_CGROUP };

/* One supervised process's tree, as the tracker needs to know it. */
struct tree {
	const char *tenant;  /* its cgroup is TENANT/GROUP/PROCESS; */
	const char *group;   /* its orphans carry */
	const char *process; /* TEND_PROCESS=GROUP/PROCESS */
	pid_t main;	     /* the main process; 0: none (not started, or reaped) */
	pid_t session;	     /* the session it was started in; 0: forgotten */
	bool in_cgroup;	     /* cgroup mode: it has started a process in its cgroup */
	/* ancestry mode: its main process was left by a dead tend, so its
	 * orphans are not tend's children: every process of its session is
	 * a member, wherever it was re-parented. */
	bool adopted;
};

/* The limits of tenant sections (cgroup_limits.c), one bit each. */
enum limit_kind {
	LIMIT_CPU_WEIGHT,
	LIMIT_CPU_MAX,
	LIMIT_MEMORY_MAX,
	LIMIT_MEMORY_HIGH,
	LIMIT_PIDS_MAX,
	LIMIT_IO_WEIGHT,
	LIMIT__COUNT
};
/* The cgroup v2 controllers they need, one bit each. */
#define CONTROLLER_CPU 1u
#define CONTROLLER_MEMORY 2u
#define CONTROLLER_PIDS 4u
#define CONTROLLER_IO 8u
#define CONTROLLERS_ALL 15u

/* A tenant's cgroup TENANT (below the root) and what tend could write
 * there. Kept for every tenant that declares limits, and for every tenant
 * whose cgroup exists. */
struct tenant_cgroup {
	char *name;
	struct tenant_limits limits; /* as the running configuration says */
	unsigned written;	     /* limits written to the live cgroup */
	unsigned missing;	     /* configured, not applied: why says why */
	unsigned warned;	     /* the missing set the log was last told of */
	char why[320];
	bool live;     /* the cgroup exists */
	bool declared; /* in the running configuration */
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
	/* cgroup mode: CONTROLLER_* enabled for the tenants' cgroups, and
	 * what the others lack (for the warnings). */
	unsigned controllers;
	char controllers_why[160];
	struct tenant_cgroup *tenants;
	size_t ntenants;
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
/* ... and the tenant's, once its last group's is gone. */
void tracker_release_group(struct tracker *tr, const char *tenant, const char *group);

/* Tenant limits (cgroup_limits.c). At each (re)load: begin, declare every
 * tenant section, end. A changed limit is written to a live cgroup at
 * once; one dropped is reset to the kernel's default. A tenant whose
 * configured limits cannot all apply is logged once (again only when the
 * set that cannot changes). */
void tracker_tenants_begin(struct tracker *tr);
int tracker_tenant_declare(struct tracker *tr, const char *name, const struct tenant_limits *l);
void tracker_tenants_end(struct tracker *tr);
/* NULL: no limits and no cgroup known for that tenant. */
const struct tenant_cgroup *tracker_tenant(const struct tracker *tr, const char *name);
/* The LIMIT_* bits l configures. */
unsigned limits_configured(const struct tenant_limits *l);
/* "memory-max", ...: the tenant option's name. */
const char *limit_name(enum limit_kind k);
/* The value as the cgroup file takes it ("536870912", "max", "50000 100000"). */
void limit_value(enum limit_kind k, const struct tenant_limits *l, char *buf, size_t len);
/* "tenant T: cannot apply A, B (WHY); its groups run without them". */
void limits_warning(const char *tenant, unsigned missing, const char *why, char *buf, size_t len);
/* What `tend --check` can say without setting up: the CONTROLLER_* a
 * cgroup-tracking tend would have (why: what is missing), or -1 with why
 * when it would track by ancestry. */
int cgroup_probe_controllers(unsigned *controllers, char *why, size_t len);
/* Of the LIMIT_* bits want, those that cannot apply with trees tracked by
 * cgroup (or not) and these CONTROLLER_* bits; why says why, with
 * context (what the controllers lack, or why no cgroup) after it. */
unsigned limits_missing(unsigned want, bool cgroup, unsigned controllers, const char *context,
			char *why, size_t len);
/* The CONTROLLER_* bits the LIMIT_* bits need. */
unsigned limits_controllers(unsigned limits);

/* What a group's cgroup used since it was made (cpu.stat, memory.peak,
 * io.stat); -1 in a field: not available there (no such controller). */
struct cgroup_usage {
	int64_t usage_us, user_us, system_us;
	int64_t memory_peak_bytes;
	int64_t io_read_bytes, io_write_bytes;
};
/* cgroup mode: 0 with *u filled, or -1 (ancestry mode, or no such cgroup). */
int tracker_group_usage(struct tracker *tr, const char *tenant, const char *group,
			struct cgroup_usage *u);
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
void cgroup_release_group(struct tracker *tr, const char *tenant, const char *group);
void cgroup_cleanup(struct tracker *tr);
int cgroup_group_usage(struct tracker *tr, const char *tenant, const char *group,
		       struct cgroup_usage *u);
int cgroup_owner(const struct tracker *tr, const char *path, char *group, size_t glen,
		 char *process, size_t plen);
/* cgroup_limits.c: the tenant's cgroup was just made (live): enable the
 * controllers below it and write its limits. */
void cgroup_tenant_made(struct tracker *tr, const char *tenant);
void cgroup_tenant_gone(struct tracker *tr, const char *tenant);
/* Reads a cgroup's "cgroup.controllers"-style file (at dirfd/path) as
 * CONTROLLER_* bits; -1 when unreadable. */
int cgroup_controllers_file(int dirfd, const char *path, unsigned *out);
/* Enables each of want in the cgroup.subtree_control at dirfd/dir, one at
 * a time; returns those enabled there after. */
unsigned cgroup_enable(int dirfd, const char *dir, unsigned want);

/* What a dead tend left (cgroup_leftovers.c, ancestry.c): its cgroup
 * directory (an absolute path) and what lives there, or its sessions. */
/* Every pid in dir and the cgroups below it. -1 (errno) when unreadable;
 * a dir that is not there has none. */
int cgroup_dir_procs(const char *dir, struct pid_list *out);
/* cgroup.kill of dir: SIGKILL to everything in and below it. false: not
 * available (then signal each of cgroup_dir_procs). */
bool cgroup_dir_kill(const char *dir);
/* Removes dir and the cgroups below it, deepest first. 0 once it is gone. */
int cgroup_dir_remove(const char *dir);
/* cgroup mode: moves main and every process of cgroup `from` (and below)
 * into tree's cgroup here, made if need be. 0, or -1 with errno. */
int tracker_take_cgroup(struct tracker *tr, const struct tree *tree, const char *from, pid_t main);
/* cgroup mode: removes the tend-PID cgroups beside this instance's whose
 * tend is gone and that hold no process. One held by a live tend (pid PID
 * alive in tend's own cgroup) is never touched; one that still holds
 * processes is left for a tend started on its run directory (said once). */
void tracker_sweep_dead(struct tracker *tr);
/* A live (not zombie) process with pid and, when ticks is not 0, that
 * start time (field 22 of /proc/PID/stat). */
bool proc_alive_since(pid_t pid, unsigned long long ticks);
/* Every live process of session and what descends from them, unless its
 * leader lives with another start time than ticks (then the number is
 * another session's). -1 when /proc cannot be read. */
int session_members(pid_t session, unsigned long long ticks, struct pid_list *out);

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

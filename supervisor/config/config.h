/* The declarations model: what conf.d says, after parsing and validation.
 * Parsing lives in parse.c; nothing here touches libconfuse. */
#ifndef TEND_CONFIG_H
#define TEND_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LOCAL_GROUP "local" /* the reserved group of top-level processes */
#define DEFAULT_TENANT "default"
#define NAME_MAX_LEN 64

enum restart_policy { RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_NEVER };
/* What a stop ends (systemd's KillMode=). */
enum kill_mode {
	KILL_TREE,  /* every process of the tree: SIGTERM, then SIGKILL */
	KILL_MAIN,  /* the main process only; what it left running is left alone */
	KILL_MIXED, /* SIGTERM to the main process, SIGKILL to the whole tree */
};
enum process_type { TYPE_LONGRUN, TYPE_ONESHOT };
/* When a longrun counts as up, so that the next process of its group starts. */
enum ready_kind {
	READY_NONE,   /* at exec */
	READY_NOTIFY, /* on READY=1 through NOTIFY_SOCKET (libtend: tend_ready()) */
	READY_FD,     /* on a newline written to file descriptor ready_fd (s6 style) */
};

/* Fields in order of size, so that a declaration per service carries no
 * padding (issue 6). */
struct process_decl {
	char *name;
	char **argv;		   /* NULL-terminated, split from `command` (the text itself is
				    * not kept: argv is what runs, and what reload compares) */
	char *directory;	   /* NULL: inherit tend's */
	char **environment;	   /* NULL-terminated "K=V" additions */
	char *file;		   /* where it was declared, for messages */
	gid_t *groups;		   /* supplementary groups it gets (ngroups of them) */
	uint64_t ready_timeout_ms; /* not ready this long after start: a failure */
	uint64_t watchdog_ms;	   /* heartbeat timeout; 0: no watchdog */
	uint64_t restart_window_ms;
	uint64_t restart_delay_ms;
	uint64_t stop_timeout_ms;
	uint64_t log_size; /* rotate the log when it would grow past this many bytes */
	enum process_type type;
	enum restart_policy restart;
	enum ready_kind ready;
	enum kill_mode kill_mode;
	int ready_fd; /* READY_FD: the child's descriptor, 3 or more */
	unsigned restart_limit;
	unsigned log_keep; /* rotated logs kept: NAME.log.1 ... NAME.log.N */
	int line;
	/* Credentials, from user, group and supplementary-groups (resolved at
	 * load: config/users.c), of the process, else of its group, else of
	 * its tenant: NO_ID / -1 where tend's own are kept. */
	uid_t uid;
	gid_t gid;
	int ngroups;		/* -1: tend's supplementary groups */
	unsigned char cred_set; /* CRED_* the process or its group set itself */
	bool critical;
	bool dependent;
	bool console; /* stdin/stdout/stderr on /dev/console, its controlling tty */
	/* An exit that is not followed by a restart leaves what the main
	 * process started running, as its tree, until it ends or is stopped
	 * (`tendctl run`: a launch is everything it started, like a scope);
	 * false: that tree is ended at once. Not a conf.d option. */
	bool keep_leftovers;
};

/* How a service is reached: `proto` in a service block. */
enum service_proto { PROTO_NONE, PROTO_TCP, PROTO_UDP, PROTO_UNIX };

/* A `service "NAME" { ... }` block inside a group: a location in the
 * services directory, present while `process` is running and ready. */
struct service_decl {
	char *name;	/* valid_service_name() */
	char *process;	/* the name of a longrun of the same group */
	char *host;	/* an IPv4 or IPv6 literal; NULL: this host's address */
	char *path;	/* PROTO_UNIX: the socket's absolute path; else NULL */
	char **context; /* NULL-terminated "key=value" (service_context_check); NULL: none */
	char *file;	/* where it was declared, for messages */
	int line;
	unsigned port; /* 1-65535; 0: none (always 0 for PROTO_UNIX) */
	enum service_proto proto;
};

struct group_decl {
	char *name;
	char *tenant;
	/* Its tenant's seccomp profile as text (seccomp_decl_text): what a
	 * reload compares, so that a changed profile restarts the group;
	 * NULL: no profile. */
	char *seccomp;
	char **requires; /* groups started before it and kept up while it runs; NULL: none */
	char **after;	 /* groups it starts after when both start; NULL: none */
	char **prefer;	 /* negotiable: host IDs (IPv4 literals) preferred among
			  * simultaneous bidders, best first; NULL: none */
	struct process_decl *procs;
	size_t nprocs;
	struct service_decl *services; /* in declaration order; NULL: none */
	size_t nservices;
	char *file;
	int line;
	bool autostart;
	bool negotiable; /* runs on exactly one host of the cluster (supervisor/cluster/) */
	/* NULL while being built: every string and vector above and in procs
	 * and services is an allocation of its own. Once packed
	 * (group_decl_pack), they and the two arrays all live in this one
	 * block. */
	char *pack;
	size_t pack_len; /* its size in bytes */
};

/* What a tend that starts does with the processes a dead tend of the same
 * run directory left running (core/leftovers.c). */
enum on_restart { ON_RESTART_STOP, ON_RESTART_ADOPT };

/* The machine-wide settings of the one `system { }` section. */
struct system_decl {
	char *hostname;		    /* NULL: leave the hostname alone */
	enum on_restart on_restart; /* ON_RESTART_STOP unless given */
	unsigned services_max;	    /* locations the directory holds at most; 0: the default */
	char *file;		    /* where the section was declared; NULL: nowhere */
	int line;
	/* The hardware watchdog (sys/hwdog.h): an absolute path; NULL: none.
	 * The timeouts in whole seconds, the defaults filled in when a device
	 * is given. */
	char *watchdog_device;
	unsigned watchdog_timeout_s;
	unsigned watchdog_shutdown_timeout_s;
};

/* The hardware watchdog's timeouts: the defaults, and the range a value
 * must be in (whole seconds: the drivers count seconds). */
#define DEFAULT_WATCHDOG_TIMEOUT_S 30
#define DEFAULT_WATCHDOG_SHUTDOWN_TIMEOUT_S 600
#define MIN_WATCHDOG_TIMEOUT_S 2
#define MAX_WATCHDOG_TIMEOUT_S 3600

/* The one `cluster { }` section: tend joins peers on a broadcast segment
 * (supervisor/cluster/PROTOCOL.md). */
struct cluster_decl {
	char *interface; /* NULL: auto (the first broadcast interface up with IPv4) */
	char *key_file;	 /* NULL: datagrams are not authenticated */
	char *id;	 /* an IPv4 literal; NULL: the interface's first IPv4 address */
	char *address;	 /* "A.B.C.D/N" tend puts back on the interface; NULL: none */
	char *file;	 /* where the section was declared; NULL: no cluster */
	int line;
	unsigned port;
	uint64_t heartbeat_ms;
	uint64_t dead_after_ms;
};
/* ---- tenants and seccomp profiles (tenant.c, seccomp.c) ---- */

/* What a profile does with a system call. */
enum seccomp_action {
	SECCOMP_ACTION_ALLOW,
	SECCOMP_ACTION_ERRNO, /* fails with the profile's errno */
	SECCOMP_ACTION_KILL,  /* the whole process, by SIGSYS */
	SECCOMP_ACTION_LOG,   /* allowed, and logged by the kernel's audit */
};
/* The lists of a profile, in the order their actions win: a call in
 * deny fails even when allow names it too. */
enum seccomp_list {
	SECCOMP_DENY,	/* fails with errno */
	SECCOMP_ENOSYS, /* fails with ENOSYS, so that libc falls back */
	SECCOMP_LOG,	/* allowed and logged */
	SECCOMP_ALLOW,
	SECCOMP_NLISTS
};
#define DEFAULT_SECCOMP_ERRNO 1 /* EPERM */
#define MAX_ERRNO 4095		/* what SECCOMP_RET_ERRNO carries */
#define MAX_SECCOMP_NAMES 1024	/* entries of one list */

/* A `seccomp "NAME" { ... }` section. Its lists hold what conf.d wrote:
 * system call names and @sets (config/syscall_sets.h), each checked. */
struct seccomp_decl {
	char *name;
	char **lists[SECCOMP_NLISTS]; /* NULL-terminated; NULL: empty */
	char *file;
	int line;
	int errno_value; /* 1..MAX_ERRNO */
	enum seccomp_action default_action;
};

/* The limits of a tenant's cgroup (0 where not given; LIMIT_MAX: "max"). */
#define LIMIT_MAX UINT64_MAX
#define MAX_WEIGHT 10000
#define MIN_CPU_PERIOD_US 1000
#define MAX_CPU_PERIOD_US 1000000
#define DEFAULT_CPU_PERIOD_US 100000
#define MAX_PIDS (1u << 22)
struct tenant_limits {
	uint64_t memory_max, memory_high; /* bytes */
	uint64_t cpu_quota_us;		  /* per cpu_period_us; LIMIT_MAX: max */
	uint64_t cpu_period_us;		  /* 0 when cpu-max is not given */
	uint64_t pids_max;
	unsigned cpu_weight, io_weight; /* 1..MAX_WEIGHT */
};

/* What a process sets itself of user, group and supplementary-groups. */
#define CRED_USER 1u
#define CRED_GROUP 2u
#define CRED_SUPP 4u

/* A `tenant "NAME" { ... }` section. A group's `tenant` that names no
 * section is a label only: no profile, no credentials, no limits. */
struct tenant_decl {
	char *name;
	char *seccomp; /* the profile's name; NULL: none */
	char *file;
	int line;
	/* Credentials (root only), resolved at load: uid (NO_ID: none), gid
	 * (the group option, else the user's primary group; NO_ID: none),
	 * user_gid (the user's primary group), then gids: the user's
	 * memberships in /etc/group (nmember) followed by
	 * supplementary-groups (nextra). */
	uid_t uid;
	gid_t gid, user_gid;
	gid_t *gids;
	int nmember, nextra;
	unsigned char cred_set; /* CRED_* the section sets */
	struct tenant_limits limits;
};

struct config {
	struct group_decl *groups; /* in file name order, then declaration order */
	size_t ngroups;
	struct tenant_decl *tenants; /* in declaration order */
	size_t ntenants;
	struct seccomp_decl *profiles; /* in declaration order */
	size_t nprofiles;
	struct system_decl system;
	struct cluster_decl cluster;
};
#define MAX_TENANTS 4096
#define MAX_PROFILES 1024

const struct tenant_decl *config_find_tenant(const struct config *cfg, const char *name);
const struct seccomp_decl *config_find_profile(const struct config *cfg, const char *name);
/* The profile a group's processes run under (through its tenant); NULL: none. */
const struct seccomp_decl *config_group_profile(const struct config *cfg,
						const struct group_decl *g);
void seccomp_decl_free(struct seccomp_decl *s);
void tenant_decl_free(struct tenant_decl *t);
/* Everything but file and line. */
bool seccomp_decl_equal(const struct seccomp_decl *a, const struct seccomp_decl *b);
bool tenant_decl_equal(const struct tenant_decl *a, const struct tenant_decl *b);
/* The profile as one line ("default=errno errno=1 allow=@system-service
 * deny=..."), allocated; NULL when out of memory. */
char *seccomp_decl_text(const struct seccomp_decl *s);
/* "allow", "errno", "kill", "log": 0; else -1. */
int seccomp_action_parse(const char *name, enum seccomp_action *a);
const char *seccomp_action_name(enum seccomp_action a);
const char *seccomp_list_name(enum seccomp_list l);
/* An errno name ("EPERM") or number (1..MAX_ERRNO): 0 with *value; else -1. */
int errno_parse(const char *text, int *value);
/* A system call name the running libseccomp knows (on any architecture),
 * or an @set of config/syscall_sets.h: NULL; else why not (static text). */
const char *seccomp_name_check(const char *name);
/* The limits' values: 0 with the value, or -1. cpu-max: "max", "N%" (of
 * one CPU, 1..100000) or "QUOTA PERIOD" in microseconds; a size: "max" or
 * size_parse's; pids-max: "max" or 1..MAX_PIDS; weights 1..MAX_WEIGHT. */
int cpu_max_parse(const char *text, uint64_t *quota_us, uint64_t *period_us);
int limit_size_parse(const char *text, uint64_t *bytes);
int pids_max_parse(const char *text, uint64_t *n);
/* The credentials p runs with in tenant t: p's own (cred_set) win,
 * option by option; t's fill in the rest. gids (room for
 * MAX_SUPPLEMENTARY_GROUPS) receives the supplementary groups when
 * *ngroups comes back >= 0. Returns -1 when they would be more than
 * MAX_SUPPLEMENTARY_GROUPS. */
int tenant_credentials(const struct tenant_decl *t, const struct process_decl *p, uid_t *uid,
		       gid_t *gid, gid_t *gids, int *ngroups);
/* The tenants and profiles of cfg as one block (tenancy.c), for the
 * isolated reader's pipe: 0 with *block (malloc'd) and *len; -1 when out
 * of memory. */
int tenancy_pack(const struct config *cfg, char **block, size_t *len);
/* The inverse, into cfg's tenants and profiles (cfg's groups are not
 * touched). The block comes from another process: -1 (nothing kept)
 * unless it is exactly what tenancy_pack makes of a valid configuration. */
int tenancy_unpack(const char *block, size_t len, struct config *cfg);
#define DEFAULT_CLUSTER_PORT 7700
#define DEFAULT_HEARTBEAT_MS 200
#define DEFAULT_DEAD_AFTER_MS 1000
#define MIN_HEARTBEAT_MS 10
#define MIN_HEARTBEATS_PER_DEAD 3 /* dead-after is at least this many heartbeats */
#define MAX_PREFER 32		  /* hosts in a group's prefer list */
/* The same cluster settings (a reload compares them). */
bool cluster_decl_equal(const struct cluster_decl *a, const struct cluster_decl *b);
void cluster_decl_free(struct cluster_decl *c);
/* cluster.c: an IPv4 address literal ("10.0.0.2"). */
bool valid_ipv4_literal(const char *s);
/* An IPv4 address with a prefix length ("10.0.0.2/24"). */
bool valid_ipv4_prefix(const char *s);
/* "auto", or a network interface name (1-15 bytes, no '/', ':' or blank). */
bool valid_interface_option(const char *s);

/* Defaults, documented in README.md. */
#define DEFAULT_RESTART_LIMIT 5
#define DEFAULT_RESTART_WINDOW_MS 30000
#define DEFAULT_RESTART_DELAY_MS 100
#define DEFAULT_STOP_TIMEOUT_MS 5000
#define MAX_RESTART_LIMIT 1000
#define DEFAULT_LOG_SIZE (1u << 20)
#define MIN_LOG_SIZE 4096
#define DEFAULT_LOG_KEEP 3
#define MAX_LOG_KEEP 100
#define DEFAULT_READY_TIMEOUT_MS 30000
#define NO_ID ((uid_t)-1)	    /* uid or gid not set: tend's own is kept */
#define MAX_SUPPLEMENTARY_GROUPS 64 /* of a process */
#define MAX_READY_FD 1023

/* "512k", "1M", "1G" (powers of 1024) or a plain number of bytes, at least
 * MIN_LOG_SIZE. Returns 0, or -1 on a bad value. */
int size_parse(const char *text, uint64_t *bytes);

/* Parses every DIR/NAME.conf in name order. On success returns 0 and fills *out.
 * On error returns -1, leaves *out untouched and writes "path:line: message"
 * lines (one per error, newline-terminated) into err (size errlen). */
int config_load_dir(const char *dir, struct config *out, char *err, size_t errlen);

/* config_load_dir in a child process, which sends the result up a pipe
 * (isolate.c): tend keeps none of the parse's garbage, and a parser
 * that crashes or hangs (30 s) makes an error (CONFIG_UNREADABLE), not a
 * dead tend. Falls back to parsing in this process when it cannot fork. */
int config_load_dir_isolated(const char *dir, struct config *out, char *err, size_t errlen);
/* What config_load_dir_isolated returns (and *out untouched) when no usable
 * answer came from the child: err then holds one line saying why. */
#define CONFIG_UNREADABLE (-2)
#define CONFIG_READ_DEADLINE_MS 30000
/* One file (`tendctl add FILE`), the same way, of CONFIG_FILE_MAX bytes at
 * most: tend waits for it (its reader is not waited for from the loop). */
#define CONFIG_FILE_MAX (256 << 10)
int config_load_file_isolated(const char *path, struct config *out, char *err, size_t errlen);
/* The same with another deadline (the unit tests). */
int config_load_dir_within(const char *dir, unsigned deadline_ms, struct config *out, char *err,
			   size_t errlen);
/* The same read, waited for from an event loop (daemon/reload.c): the
 * reader is started, its pipe watched, the answer taken as it arrives and
 * the reader reaped, each step when the loop says so. The reader is a clone
 * that sends no SIGCHLD: waitpid(-1) (the daemon's reaper) never takes it,
 * so its pid stays its own until config_read_reap. */
#define CONFIG_READ_ERRORS 8192 /* bytes of error text at most */
struct config_answer;
struct config_read {
	pid_t pid;
	int fd;	   /* the answer's pipe, non-blocking; -1: closed */
	int pidfd; /* readable once the reader ended; -1: none (look now and then) */
	bool reaped;
	int status; /* its wait status, once reaped */
	struct config_answer *answer;
};
/* Starts reading dir. 0, or -1 (errno) when there is no reader: parse in
 * place then. */
int config_read_start(struct config_read *r, const char *dir);
/* Takes what the pipe holds. True once the answer is whole or unusable. */
bool config_read_input(struct config_read *r);
/* Kills the reader (past its deadline, or tend is stopping); an answer not
 * yet whole is unusable, for reason why. */
void config_read_kill(struct config_read *r, const char *why);
/* Reaps the reader if it has ended; true once it is reaped. */
bool config_read_reap(struct config_read *r);
/* The verdict once the answer is over, as config_load_dir_isolated's: the
 * answer is freed and the pipe closed; a reader not reaped yet is left in
 * r (pid, pidfd) for config_read_reap and config_read_close. */
int config_read_result(struct config_read *r, const char *dir, struct config *out, char *err,
		       size_t errlen);
/* Frees what is left and closes the descriptors (reap first: a reader
 * not reaped is left a zombie). */
void config_read_close(struct config_read *r);

/* The pipe between them, for the unit tests: config_send writes rc, the
 * error text and (when rc is 0) cfg; config_receive reads that within
 * deadline_ms and returns rc (*out filled when 0), or CONFIG_UNREADABLE with
 * *why set when the answer is cut short, late or malformed. */
int config_send(int fd, int rc, const char *err, const struct config *cfg);
int config_receive(int fd, unsigned deadline_ms, struct config *out, char *err, size_t errlen,
		   const char **why);

/* The same for one file (read from `path`, which also names it in messages).
 * Used by config_load_dir, the unit tests and the fuzz target. */
int config_parse_file(const char *path, struct config *out, char *err, size_t errlen);

/* The same for text already in memory; `path` is only used in messages. */
int config_parse_text(const char *path, const char *text, struct config *out, char *err,
		      size_t errlen);

/* Free what the structure owns (not the structure itself) and zero it. */
void config_free(struct config *cfg);
void group_decl_free(struct group_decl *g); /* frees what g holds, not g itself */
/* Moves everything g points to into one block (pack.c); -1 only when
 * out of memory, and g is then as it was. */
int group_decl_pack(struct group_decl *g);
/* g is a packed declaration whose pointers still point into the block as it
 * was at g->pack (in another process: isolate.c); `block` holds a copy
 * of its g->pack_len bytes. Points g into `block`, which it then owns.
 * Returns -1 (g untouched, block not taken) if a pointer falls outside the
 * block or a string or vector is not terminated inside it. */
int group_decl_relocate(struct group_decl *g, char *block);
void process_decl_free(struct process_decl *p);

const struct group_decl *config_find_group(const struct config *cfg, const char *name);

/* True when two declarations would run the same thing (used by reload). */
bool process_decl_equal(const struct process_decl *a, const struct process_decl *b);
bool group_decl_equal(const struct group_decl *a, const struct group_decl *b);
/* Everything but file and line, as for processes. */
bool service_decl_equal(const struct service_decl *a, const struct service_decl *b);
/* The same services, in the same order. */
bool group_decl_services_equal(const struct group_decl *a, const struct group_decl *b);
/* True when the two groups run the same processes the same way and differ at
 * most in autostart, restart settings (policy, limits, delay, critical,
 * dependent, stop-timeout, kill-mode) and services, which a reload changes
 * without a restart. */
bool group_decl_runs_same(const struct group_decl *a, const struct group_decl *b);

/* ---- the services directory's fields (service.c), shared by conf.d and the
 * directory's requests ---- */
#define SERVICE_NAME_MAX 64
#define SERVICE_CONTEXT_MAX 16	   /* key=value pairs of one location */
#define SERVICE_CONTEXT_BYTES 1024 /* of all of them, NULs not counted */
#define SERVICE_PATH_MAX 107	   /* what fits in sockaddr_un.sun_path */
#define DEFAULT_SERVICES_MAX 4096
#define MAX_SERVICES_MAX (1u << 20)
/* 1 to SERVICE_NAME_MAX of [A-Za-z0-9_.-], not starting with '-'. */
bool valid_service_name(const char *name);
/* An IPv4 or IPv6 address literal (no brackets, no zone, no name). */
bool valid_host_literal(const char *host);
/* "tcp", "udp", "unix": 0; else -1. */
int service_proto_parse(const char *name, enum service_proto *p);
/* "tcp", "udp", "unix", or "" for PROTO_NONE. */
const char *service_proto_name(enum service_proto p);
/* Checks a context (NULL-terminated; NULL: none): at most
 * SERVICE_CONTEXT_MAX entries "key=value", key 1-64 of [A-Za-z0-9_.-], value
 * without control characters, SERVICE_CONTEXT_BYTES in all, no key twice.
 * Returns 0, or -1 with *why saying what is wrong (a static string). */
int service_context_check(char *const *context, const char **why);
/* The port, protocol and path of one location together: a unix socket
 * has an absolute path of at most SERVICE_PATH_MAX bytes, without control
 * characters, and no port; tcp, udp and none have no path. 0, or -1 with
 * *why. */
int service_address_check(unsigned port, enum service_proto proto, const char *path,
			  const char **why);

/* A hostname: 1 to 64 of [A-Za-z0-9.-], not starting with '-' or '.'. */
bool valid_hostname(const char *name);

/* Names of groups and processes: [A-Za-z0-9_][A-Za-z0-9_.-]*, at most NAME_MAX_LEN. */
bool valid_name(const char *name);

const char *restart_policy_name(enum restart_policy p);
const char *process_type_name(enum process_type t);

/* Environment entries are "KEY=VALUE" with KEY of [A-Za-z_][A-Za-z0-9_]*.
 * Returns the length of KEY, or 0 when entry is not such an entry. */
size_t env_entry_key_len(const char *entry);

/* "none", "notify" or "fd:N" (3 <= N <= MAX_READY_FD). Returns 0, or -1. */
int ready_parse(const char *text, enum ready_kind *kind, int *fd);

/* The inverses of the above: 0, or -1 when `name` is none of them. */
int restart_policy_parse(const char *name, enum restart_policy *p);
int kill_mode_parse(const char *name, enum kill_mode *m);
/* "adopt" or "stop". 0, or -1: neither. */
int on_restart_parse(const char *name, enum on_restart *r);
const char *on_restart_name(enum on_restart r);
const char *kill_mode_name(enum kill_mode m);
int process_type_parse(const char *name, enum process_type *t);

#endif

/* Reading conf.d in a child process.
 *
 * tend lives for the machine's whole life, so what it allocates once and
 * keeps matters more than what it allocates for a moment. Parsing 1000
 * declarations makes tens of thousands of short allocations (libconfuse's
 * trees, the text, the words) between the few that last, and the heap keeps
 * those holes for good. So a child parses, packs each group into one block
 * (pack.c) and sends the blocks up a pipe; tend only allocates what it
 * keeps. The parser's code is never touched by tend either, and a parser
 * that crashes or loops on some input takes the child with it, not PID 1.
 *
 * The child is a fork of tend: same binary, same layout of the structures,
 * so the blocks go over the pipe as they are, and tend moves their pointers
 * to where it put them (group_decl_relocate, which checks every one). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "base/child_wait.h"

#define WIRE_MAGIC 0x746e6431u	    /* "tnd1" */
#define MAX_GROUPS (1u << 20)	    /* more is not a conf.d */
#define MAX_PACK ((size_t)16 << 20) /* nor a group of more than 16 MiB */
#define MAX_TEXT ((size_t)1 << 20)  /* error text, hostname, file name */

/* The cluster section's strings, in the order they are sent. */
#define CLUSTER_TEXTS 5
static void cluster_texts(struct cluster_decl *c, char **texts[CLUSTER_TEXTS])
{
	texts[0] = &c->interface;
	texts[1] = &c->key_file;
	texts[2] = &c->id;
	texts[3] = &c->address;
	texts[4] = &c->file;
}

struct wire_head {
	uint32_t magic;
	int32_t rc; /* config_load_dir's */
	uint64_t ngroups;
	uint64_t err_len;      /* error text that follows, no NUL */
	uint64_t hostname_len; /* then the hostname with its NUL; 0: none */
	uint64_t sysfile_len;  /* then the system section's file with its NUL; 0: none */
	int64_t sysline;
	uint64_t services_max; /* the system section's; 0: not given */
	uint64_t on_restart;   /* the system section's enum on_restart */
	uint64_t watchdog_len; /* then its watchdog-device with its NUL; 0: none */
	uint64_t watchdog_timeout_s, watchdog_shutdown_timeout_s;
	/* The cluster section: its numbers, then its strings with their NULs
	 * (lengths 0: none) in the order of cluster_texts(). */
	uint64_t cluster_port, heartbeat_ms, dead_after_ms;
	int64_t cluster_line;
	uint64_t cluster_len[CLUSTER_TEXTS];
	uint64_t tenancy_len; /* then the tenants and profiles (tenancy_pack) */
};
/* Then, per group: its struct group_decl as the child had it, then its
 * pack_len bytes of block. */

/* ---- the child ---- */

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static size_t text_len(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* What tend refuses to take (MAX_*) is refused here, with the limit named:
 * tend would only see a malformed answer. */
static int within_limits(const struct config *cfg, char *err, size_t errlen)
{
	const struct cluster_decl *c = &cfg->cluster;
	char **texts[CLUSTER_TEXTS];

	if (cfg->ngroups > MAX_GROUPS) {
		snprintf(err, errlen, "%s:0: more than %u groups; tend takes at most %u\n",
			 cfg->groups[MAX_GROUPS].file, MAX_GROUPS, MAX_GROUPS);
		return -1;
	}
	for (size_t i = 0; i < cfg->ngroups; i++) {
		const struct group_decl *g = &cfg->groups[i];
		if (g->pack_len > MAX_PACK) {
			snprintf(err, errlen,
				 "%s:%d: group \"%s\" takes %zu MiB once read; a group may take "
				 "at most %zu MiB\n",
				 g->file, g->line, g->name, g->pack_len >> 20, MAX_PACK >> 20);
			return -1;
		}
	}
	struct cluster_decl copy = *c; /* cluster_texts takes it writable */

	cluster_texts(&copy, texts);
	for (int i = 0; i < CLUSTER_TEXTS; i++) {
		if (text_len(*texts[i]) > MAX_TEXT) {
			snprintf(err, errlen, "%s:%d: cluster: a value longer than %zu MiB\n",
				 c->file, c->line, MAX_TEXT >> 20);
			return -1;
		}
	}
	return 0;
}

static int send_answer(int fd, int rc, const char *err, const struct config *cfg)
{
	struct wire_head h = { .magic = WIRE_MAGIC, .rc = rc, .err_len = strlen(err) };
	struct cluster_decl cluster = rc == 0 ? cfg->cluster : (struct cluster_decl){ 0 };
	char **texts[CLUSTER_TEXTS];
	char *tenancy = NULL;
	int wrc = -1;

	cluster_texts(&cluster, texts);
	h.cluster_port = cluster.port;
	h.heartbeat_ms = cluster.heartbeat_ms;
	h.dead_after_ms = cluster.dead_after_ms;
	h.cluster_line = cluster.line;
	for (int i = 0; i < CLUSTER_TEXTS; i++)
		h.cluster_len[i] = text_len(*texts[i]);
	if (rc == 0) {
		h.ngroups = cfg->ngroups;
		h.hostname_len = text_len(cfg->system.hostname);
		h.sysfile_len = text_len(cfg->system.file);
		h.sysline = cfg->system.line;
		h.services_max = cfg->system.services_max;
		h.on_restart = cfg->system.on_restart;
		h.watchdog_len = text_len(cfg->system.watchdog_device);
		h.watchdog_timeout_s = cfg->system.watchdog_timeout_s;
		h.watchdog_shutdown_timeout_s = cfg->system.watchdog_shutdown_timeout_s;
		size_t len;
		if (tenancy_pack(cfg, &tenancy, &len) < 0)
			return -1;
		h.tenancy_len = len;
	}
	if (write_all(fd, &h, sizeof(h)) < 0 || write_all(fd, err, h.err_len) < 0 ||
	    write_all(fd, cfg->system.hostname, h.hostname_len) < 0 ||
	    write_all(fd, cfg->system.file, h.sysfile_len) < 0 ||
	    write_all(fd, cfg->system.watchdog_device, h.watchdog_len) < 0)
		goto out;
	for (int i = 0; i < CLUSTER_TEXTS; i++)
		if (write_all(fd, *texts[i], h.cluster_len[i]) < 0)
			goto out;
	if (write_all(fd, tenancy, h.tenancy_len) < 0)
		goto out;
	for (size_t i = 0; i < h.ngroups; i++) {
		const struct group_decl *g = &cfg->groups[i];
		if (write_all(fd, g, sizeof(*g)) < 0 || write_all(fd, g->pack, g->pack_len) < 0)
			goto out;
	}
	wrc = 0;
out:
	free(tenancy);
	return wrc;
}

int config_send(int fd, int rc, const char *err, const struct config *cfg)
{
	char refused[512];

	if (rc == 0 && within_limits(cfg, refused, sizeof(refused)) < 0)
		return send_answer(fd, -1, refused, cfg);
	return send_answer(fd, rc, err, cfg);
}

/* One file (`tendctl add`) is read while tend waits, so it is kept small:
 * 256 KiB (some 2500 groups) parse in tens of milliseconds. */
static int parse_here(const char *path, bool is_file, struct config *out, char *err, size_t errlen)
{
	struct stat st;

	if (!is_file)
		return config_load_dir(path, out, err, errlen);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > CONFIG_FILE_MAX) {
		snprintf(err, errlen,
			 "%s:0: larger than %d KiB; tendctl add takes smaller files (put large "
			 "declarations in conf.d)\n",
			 path, CONFIG_FILE_MAX >> 10);
		return -1;
	}
	return config_parse_file(path, out, err, errlen);
}

static _Noreturn void child(int fd, const char *path, bool is_file, size_t errlen)
{
	struct config cfg = { 0 };
	char *err = calloc(1, errlen ? errlen : 1);
	int rc;

	if (!err)
		_exit(1);
	rc = parse_here(path, is_file, &cfg, err, errlen);
	rc = config_send(fd, rc, err, &cfg);
	config_free(&cfg); /* it exits at once, but leak checkers look */
	free(err);
	_exit(rc < 0 ? 1 : 0);
}

/* ---- tend's side: the answer as it arrives ---- */

/* The answer is read straight into what tend keeps: the header, the error
 * text, the strings, then each group's declaration and block, in turn. */
enum stage { ST_HEAD, ST_ERRORS, ST_TEXT, ST_TENANCY, ST_DECL, ST_BLOCK, ST_WHOLE };
/* hostname, the system section's file, its watchdog-device, cluster's */
#define SYSTEM_TEXTS 3
#define TEXTS (SYSTEM_TEXTS + CLUSTER_TEXTS)

struct config_answer {
	struct wire_head h;
	struct config cfg;
	char *errors; /* NUL-terminated once whole */
	enum stage stage;
	int text;		/* ST_TEXT: which one */
	char *dst;		/* where the bytes of this stage go */
	size_t want, got;	/* of this stage */
	struct group_decl wire; /* ST_DECL, ST_BLOCK: as the reader had it */
	char *block;		/* ST_BLOCK */
	char *tenancy;		/* ST_TENANCY: tenants and profiles (tenancy_pack) */
	const char *why;	/* set when the answer is unusable */
};

static void expect(struct config_answer *a, enum stage stage, void *dst, size_t len)
{
	a->stage = stage;
	a->dst = dst;
	a->want = len;
	a->got = 0;
}

static void refuse(struct config_answer *a, const char *why)
{
	if (!a->why)
		a->why = why;
}

static void text_slot(struct config_answer *a, int i, char ***slot, uint64_t *len)
{
	char **texts[CLUSTER_TEXTS];

	char **system[SYSTEM_TEXTS] = { &a->cfg.system.hostname, &a->cfg.system.file,
					&a->cfg.system.watchdog_device };
	const uint64_t system_len[SYSTEM_TEXTS] = { a->h.hostname_len, a->h.sysfile_len,
						    a->h.watchdog_len };

	if (i < SYSTEM_TEXTS) {
		*slot = system[i];
		*len = system_len[i];
		return;
	}
	cluster_texts(&a->cfg.cluster, texts);
	*slot = texts[i - SYSTEM_TEXTS];
	*len = a->h.cluster_len[i - SYSTEM_TEXTS];
}

static void next_group(struct config_answer *a)
{
	if (a->cfg.ngroups == a->h.ngroups)
		expect(a, ST_WHOLE, NULL, 0);
	else
		expect(a, ST_DECL, &a->wire, sizeof(a->wire));
}

static void start_groups(struct config_answer *a);

/* The next string that is there (length 0: none), then the tenancy
 * block, then the groups. */
static void next_text(struct config_answer *a)
{
	char **slot;
	uint64_t len = 0;

	for (; a->text < TEXTS; a->text++) {
		text_slot(a, a->text, &slot, &len);
		if (len)
			break;
	}
	if (a->text < TEXTS) {
		if (len > MAX_TEXT)
			return refuse(a, "a malformed answer");
		if (!(*slot = malloc(len)))
			return refuse(a, "out of memory");
		return expect(a, ST_TEXT, *slot, len);
	}
	if (a->h.tenancy_len) {
		if (!(a->tenancy = malloc(a->h.tenancy_len)))
			return refuse(a, "out of memory");
		return expect(a, ST_TENANCY, a->tenancy, a->h.tenancy_len);
	}
	start_groups(a);
}

/* After the texts and the tenancy block: the groups. */
static void start_groups(struct config_answer *a)
{
	if (a->h.ngroups && !(a->cfg.groups = calloc(a->h.ngroups, sizeof(*a->cfg.groups))))
		return refuse(a, "out of memory");
	next_group(a);
}

static void took_head(struct config_answer *a)
{
	const struct wire_head *h = &a->h;

	if (h->magic != WIRE_MAGIC || h->ngroups > MAX_GROUPS ||
	    (h->rc != 0 && (h->ngroups || h->tenancy_len)) || h->tenancy_len > MAX_PACK ||
	    h->services_max > MAX_SERVICES_MAX || h->on_restart > ON_RESTART_ADOPT ||
	    h->err_len > MAX_TEXT || h->cluster_port > 65535 || h->cluster_line < 0 ||
	    h->cluster_line > INT32_MAX || h->watchdog_timeout_s > MAX_WATCHDOG_TIMEOUT_S ||
	    h->watchdog_shutdown_timeout_s > MAX_WATCHDOG_TIMEOUT_S)
		return refuse(a, "a malformed answer");
	a->cfg.system.line = (int)h->sysline;
	a->cfg.system.services_max = (unsigned)h->services_max;
	a->cfg.system.on_restart = (enum on_restart)h->on_restart;
	a->cfg.system.watchdog_timeout_s = (unsigned)h->watchdog_timeout_s;
	a->cfg.system.watchdog_shutdown_timeout_s = (unsigned)h->watchdog_shutdown_timeout_s;
	a->cfg.cluster.port = (unsigned)h->cluster_port;
	a->cfg.cluster.heartbeat_ms = h->heartbeat_ms;
	a->cfg.cluster.dead_after_ms = h->dead_after_ms;
	a->cfg.cluster.line = (int)h->cluster_line;
	if (!(a->errors = malloc(h->err_len + 1)))
		return refuse(a, "out of memory");
	expect(a, ST_ERRORS, a->errors, h->err_len);
}

static void took_decl(struct config_answer *a)
{
	if (!a->wire.pack || a->wire.pack_len > MAX_PACK)
		return refuse(a, "a malformed answer");
	if (!(a->block = malloc(a->wire.pack_len ? a->wire.pack_len : 1)))
		return refuse(a, "out of memory");
	expect(a, ST_BLOCK, a->block, a->wire.pack_len);
}

static void took_block(struct config_answer *a)
{
	if (group_decl_relocate(&a->wire, a->block) < 0)
		return refuse(a, "a malformed answer");
	a->block = NULL; /* the declaration's now */
	a->cfg.groups[a->cfg.ngroups++] = a->wire;
	next_group(a);
}

/* This stage's bytes are all there. */
static void advance(struct config_answer *a)
{
	switch (a->stage) {
	case ST_HEAD:
		return took_head(a);
	case ST_ERRORS:
		a->errors[a->h.err_len] = '\0';
		a->text = 0;
		return next_text(a);
	case ST_TEXT:
		if (a->dst[a->want - 1] != '\0')
			return refuse(a, "a malformed answer");
		a->text++;
		return next_text(a);
	case ST_TENANCY:
		if (tenancy_unpack(a->tenancy, a->h.tenancy_len, &a->cfg) < 0)
			return refuse(a, "a malformed answer");
		return start_groups(a);
	case ST_DECL:
		return took_decl(a);
	case ST_BLOCK:
		return took_block(a);
	case ST_WHOLE:
		return;
	}
}

static bool answer_over(const struct config_answer *a)
{
	return a->why || a->stage == ST_WHOLE;
}

/* Reads what fd (non-blocking) holds. True once the answer is whole or
 * unusable; false when more is to come. */
static bool answer_read(struct config_answer *a, int fd)
{
	while (!answer_over(a)) {
		if (a->got == a->want) {
			advance(a);
			continue;
		}
		ssize_t n = read(fd, a->dst + a->got, a->want - a->got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n <= 0) {
			refuse(a, "the reader stopped before it finished");
			break;
		}
		a->got += (size_t)n;
	}
	return true;
}

static void answer_free(struct config_answer *a)
{
	if (!a)
		return;
	free(a->block);
	free(a->tenancy);
	free(a->errors);
	config_free(&a->cfg);
	free(a);
}

/* The answer's verdict: rc as config_load_dir's (and *out filled when 0),
 * or CONFIG_UNREADABLE with *why set. */
static int answer_result(struct config_answer *a, struct config *out, char *err, size_t errlen,
			 const char **why)
{
	*why = a->why;
	if (a->errors && a->stage > ST_ERRORS && errlen)
		snprintf(err, errlen, "%s", a->errors);
	if (a->why)
		return CONFIG_UNREADABLE;
	if (a->h.rc != 0)
		return -1;
	*out = a->cfg;
	a->cfg = (struct config){ 0 };
	return 0;
}

static struct config_answer *answer_new(void)
{
	struct config_answer *a = calloc(1, sizeof(*a));

	if (a)
		expect(a, ST_HEAD, &a->h, sizeof(a->h));
	return a;
}

static int ms_until(const struct timespec *t)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (t->tv_sec - now.tv_sec) * 1000LL + (t->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

int config_receive(int fd, unsigned deadline_ms, struct config *out, char *err, size_t errlen,
		   const char **why)
{
	struct config_answer *a = answer_new();
	struct timespec deadline;
	int rc;

	if (!a) {
		*why = "out of memory";
		return CONFIG_UNREADABLE;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += deadline_ms / 1000;
	deadline.tv_nsec += (long)(deadline_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (!answer_read(a, fd)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, ms_until(&deadline));
		if (r == 0)
			refuse(a, "it took too long");
		if (r < 0 && errno != EINTR)
			refuse(a, "the reader stopped before it finished");
	}
	rc = answer_result(a, out, err, errlen, why);
	answer_free(a);
	return rc;
}

/* ---- the reader ---- */

static void describe_end(int status, char *buf, size_t len)
{
	if (status == -1)
		snprintf(buf, len, "; the reader is still there");
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "; the reader was killed by signal %d", WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status))
		snprintf(buf, len, "; the reader exited with %d", WEXITSTATUS(status));
	else
		buf[0] = '\0';
}

/* A reader that failed after a whole answer (a checker's verdict, a crash
 * in its clean-up) is not trusted either; why a reader failed is told in
 * err's one line. */
static int verdict(const char *path, int rc, const char *why, int status, unsigned deadline_ms,
		   struct config *out, char *err, size_t errlen)
{
	char end[64];

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	/* Under a fuzzer, a reader that crashed (a sanitizer's report, a
	 * signal) is a finding: libFuzzer sees only this process. */
	if (!why && status != -1 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		abort();
#endif
	if (!why && status != -1 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		if (rc == 0)
			config_free(out);
		why = "the reader failed";
		rc = CONFIG_UNREADABLE;
	}
	if (why && errlen) {
		describe_end(status, end, sizeof(end));
		snprintf(err, errlen, "%s: reading the declarations failed: %s (limit %u ms)%s\n",
			 path, why, deadline_ms, end);
	}
	return rc;
}

/* The reader: a fork of tend. A private one (for config_read_start) sends
 * no SIGCHLD and is not seen by waitpid(-1) (the daemon's reaper), only by
 * its own read: a clone whose exit signal is 0. */
static pid_t spawn_reader(int fds[2], const char *path, bool is_file, size_t errlen, bool private)
{
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = private ? (pid_t)syscall(SYS_clone, 0L, NULL, NULL, NULL, NULL) : fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		child(fds[1], path, is_file, errlen);
	}
	close(fds[1]);
	return pid;
}

static int load_within(const char *dir, bool is_file, unsigned deadline_ms, struct config *out,
		       char *err, size_t errlen)
{
	int fds[2], status;
	pid_t pid = spawn_reader(fds, dir, is_file, errlen, false);
	const char *why;

	/* Without a child, parse here: worse for memory, as good otherwise. */
	if (pid < 0)
		return parse_here(dir, is_file, out, err, errlen);
	int rc = config_receive(fds[0], deadline_ms, out, err, errlen, &why);
	close(fds[0]);
	if (why)
		kill(pid, SIGKILL);	       /* it is ours, and not reaped yet */
	status = reap_child_within(pid, 1000); /* a reader stuck in the kernel is left */
	return verdict(dir, rc, why, status, deadline_ms, out, err, errlen);
}

int config_load_dir_isolated(const char *dir, struct config *out, char *err, size_t errlen)
{
	return config_load_dir_within(dir, CONFIG_READ_DEADLINE_MS, out, err, errlen);
}

int config_load_dir_within(const char *dir, unsigned deadline_ms, struct config *out, char *err,
			   size_t errlen)
{
	return load_within(dir, false, deadline_ms, out, err, errlen);
}

int config_load_file_isolated(const char *path, struct config *out, char *err, size_t errlen)
{
	return load_within(path, true, CONFIG_READ_DEADLINE_MS, out, err, errlen);
}

/* ---- a read waited for from an event loop ---- */

int config_read_start(struct config_read *r, const char *dir)
{
	int fds[2];

	*r = (struct config_read){ .fd = -1, .pidfd = -1 };
	if (!(r->answer = answer_new()))
		return -1;
	r->pid = spawn_reader(fds, dir, false, CONFIG_READ_ERRORS, true);
	if (r->pid < 0) {
		answer_free(r->answer);
		*r = (struct config_read){ .fd = -1, .pidfd = -1 };
		return -1;
	}
	r->fd = fds[0];
	fcntl(r->fd, F_SETFL, O_NONBLOCK);
	r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0); /* -1: look now and then */
	return 0;
}

bool config_read_input(struct config_read *r)
{
	return answer_read(r->answer, r->fd);
}

void config_read_kill(struct config_read *r, const char *why)
{
	if (!answer_over(r->answer))
		refuse(r->answer, why);
	if (r->pid > 0 && !r->reaped)
		kill(r->pid, SIGKILL); /* ours, not reaped yet: the pid is still its */
}

bool config_read_reap(struct config_read *r)
{
	int status;
	pid_t got;

	if (r->reaped || r->pid <= 0)
		return true;
	/* __WALL: a clone child, which waitpid(-1) does not see. */
	while ((got = waitpid(r->pid, &status, WNOHANG | __WALL)) < 0 && errno == EINTR)
		;
	if (got == 0)
		return false;
	r->reaped = true;
	r->status = got == r->pid ? status : -1; /* -1: gone already (never: it is ours) */
	if (r->pidfd >= 0)
		close(r->pidfd);
	r->pidfd = -1;
	return true;
}

int config_read_result(struct config_read *r, const char *dir, struct config *out, char *err,
		       size_t errlen)
{
	const char *why;
	int rc = answer_result(r->answer, out, err, errlen, &why);

	answer_free(r->answer);
	r->answer = NULL;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	return verdict(dir, rc, why, r->reaped ? r->status : -1, CONFIG_READ_DEADLINE_MS, out, err,
		       errlen);
}

void config_read_close(struct config_read *r)
{
	answer_free(r->answer);
	if (r->fd >= 0)
		close(r->fd);
	if (r->pidfd >= 0)
		close(r->pidfd);
	*r = (struct config_read){ .fd = -1, .pidfd = -1 };
}

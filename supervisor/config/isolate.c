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

int config_send(int fd, int rc, const char *err, const struct config *cfg)
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
		size_t len;
		if (tenancy_pack(cfg, &tenancy, &len) < 0)
			return -1;
		h.tenancy_len = len;
	}
	if (write_all(fd, &h, sizeof(h)) < 0 || write_all(fd, err, h.err_len) < 0 ||
	    write_all(fd, cfg->system.hostname, h.hostname_len) < 0 ||
	    write_all(fd, cfg->system.file, h.sysfile_len) < 0)
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

static int parse_here(const char *path, bool is_file, struct config *out, char *err, size_t errlen)
{
	return is_file ? config_parse_file(path, out, err, errlen)
		       : config_load_dir(path, out, err, errlen);
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

/* ---- tend's side ---- */

struct reader {
	int fd;
	struct timespec deadline;
	const char *why; /* set when the answer is unusable */
};

static int ms_until(const struct timespec *t)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (t->tv_sec - now.tv_sec) * 1000LL + (t->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

static int read_all(struct reader *rd, void *data, size_t len)
{
	char *p = data;

	while (len && !rd->why) {
		struct pollfd pfd = { .fd = rd->fd, .events = POLLIN };
		int r = poll(&pfd, 1, ms_until(&rd->deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			rd->why = "it took too long";
			break;
		}
		ssize_t n = r < 0 ? -1 : read(rd->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rd->why = "the reader stopped before it finished";
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	return rd->why ? -1 : 0;
}

static char *read_text(struct reader *rd, uint64_t len)
{
	char *s;

	if (!len || rd->why)
		return NULL;
	if (len > MAX_TEXT || !(s = malloc(len))) {
		rd->why = len > MAX_TEXT ? "a malformed answer" : "out of memory";
		return NULL;
	}
	if (read_all(rd, s, len) < 0 || s[len - 1] != '\0') {
		rd->why = rd->why ? rd->why : "a malformed answer";
		free(s);
		return NULL;
	}
	return s;
}

static int read_group(struct reader *rd, struct group_decl *g)
{
	struct group_decl wire;
	char *block;

	if (read_all(rd, &wire, sizeof(wire)) < 0)
		return -1;
	if (!wire.pack || wire.pack_len > MAX_PACK) {
		rd->why = "a malformed answer";
		return -1;
	}
	block = malloc(wire.pack_len ? wire.pack_len : 1);
	if (!block) {
		rd->why = "out of memory";
		return -1;
	}
	if (read_all(rd, block, wire.pack_len) < 0 || group_decl_relocate(&wire, block) < 0) {
		rd->why = rd->why ? rd->why : "a malformed answer";
		free(block);
		return -1;
	}
	*g = wire;
	return 0;
}

static void copy_errors(struct reader *rd, const struct wire_head *h, char *err, size_t errlen)
{
	char *text;

	if (h->err_len > MAX_TEXT) {
		rd->why = "a malformed answer";
		return;
	}
	text = malloc(h->err_len + 1);
	if (!text) {
		rd->why = "out of memory";
		return;
	}
	if (read_all(rd, text, h->err_len) == 0 && errlen) {
		text[h->err_len] = '\0';
		snprintf(err, errlen, "%s", text);
	}
	free(text);
}

static void receive_cluster(struct reader *rd, const struct wire_head *h, struct cluster_decl *c)
{
	char **texts[CLUSTER_TEXTS];

	if (h->cluster_port > 65535 || h->cluster_line < 0 || h->cluster_line > INT32_MAX) {
		rd->why = "a malformed answer";
		return;
	}
	c->port = (unsigned)h->cluster_port;
	c->heartbeat_ms = h->heartbeat_ms;
	c->dead_after_ms = h->dead_after_ms;
	c->line = (int)h->cluster_line;
	cluster_texts(c, texts);
	for (int i = 0; i < CLUSTER_TEXTS && !rd->why; i++)
		*texts[i] = read_text(rd, h->cluster_len[i]);
}

static void receive_tenancy(struct reader *rd, const struct wire_head *h, struct config *cfg)
{
	char *block;

	if (!h->tenancy_len || rd->why)
		return;
	if (h->tenancy_len > MAX_PACK || !(block = malloc(h->tenancy_len))) {
		rd->why = h->tenancy_len > MAX_PACK ? "a malformed answer" : "out of memory";
		return;
	}
	if (read_all(rd, block, h->tenancy_len) == 0 &&
	    tenancy_unpack(block, h->tenancy_len, cfg) < 0)
		rd->why = "a malformed answer";
	free(block);
}

static int receive(struct reader *rd, struct config *out, char *err, size_t errlen)
{
	struct wire_head h;
	struct config cfg = { 0 };

	if (read_all(rd, &h, sizeof(h)) < 0)
		return -1;
	if (h.magic != WIRE_MAGIC || h.ngroups > MAX_GROUPS ||
	    (h.rc != 0 && (h.ngroups || h.tenancy_len)) || h.services_max > MAX_SERVICES_MAX) {
		rd->why = "a malformed answer";
		return -1;
	}
	copy_errors(rd, &h, err, errlen);
	cfg.system.hostname = read_text(rd, h.hostname_len);
	cfg.system.file = read_text(rd, h.sysfile_len);
	cfg.system.line = (int)h.sysline;
	cfg.system.services_max = (unsigned)h.services_max;
	receive_cluster(rd, &h, &cfg.cluster);
	receive_tenancy(rd, &h, &cfg);
	if (h.ngroups && !rd->why) {
		cfg.groups = calloc(h.ngroups, sizeof(*cfg.groups));
		rd->why = cfg.groups ? NULL : "out of memory";
	}
	for (; cfg.ngroups < h.ngroups && !rd->why; cfg.ngroups++)
		if (read_group(rd, &cfg.groups[cfg.ngroups]) < 0)
			break;
	if (rd->why || h.rc != 0) {
		config_free(&cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

int config_receive(int fd, unsigned deadline_ms, struct config *out, char *err, size_t errlen,
		   const char **why)
{
	struct reader rd = { .fd = fd };
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &rd.deadline);
	rd.deadline.tv_sec += deadline_ms / 1000;
	rd.deadline.tv_nsec += (long)(deadline_ms % 1000) * 1000000L;
	if (rd.deadline.tv_nsec >= 1000000000L) {
		rd.deadline.tv_sec++;
		rd.deadline.tv_nsec -= 1000000000L;
	}
	rc = receive(&rd, out, err, errlen);
	*why = rd.why;
	return rd.why ? CONFIG_UNREADABLE : rc;
}

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

int config_load_dir_isolated(const char *dir, struct config *out, char *err, size_t errlen)
{
	return config_load_dir_within(dir, CONFIG_READ_DEADLINE_MS, out, err, errlen);
}

static int load_within(const char *dir, bool is_file, unsigned deadline_ms, struct config *out,
		       char *err, size_t errlen)
{
	int fds[2], status;
	pid_t pid;
	const char *why;
	char end[64];

	/* Without a child, parse here: worse for memory, as good otherwise. */
	if (pipe2(fds, O_CLOEXEC) < 0)
		return parse_here(dir, is_file, out, err, errlen);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return parse_here(dir, is_file, out, err, errlen);
	}
	if (pid == 0) {
		close(fds[0]);
		child(fds[1], dir, is_file, errlen);
	}
	close(fds[1]);
	int rc = config_receive(fds[0], deadline_ms, out, err, errlen, &why);
	close(fds[0]);
	if (why)
		kill(pid, SIGKILL);	       /* it is ours, and not reaped yet */
	status = reap_child_within(pid, 1000); /* a reader stuck in the kernel is left */
	/* A reader that failed after a whole answer (a checker's verdict, a
	 * crash in its clean-up) is not trusted either. */
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
			 dir, why, deadline_ms, end);
	}
	return rc;
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

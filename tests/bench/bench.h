/* Helpers shared by the benchmark programs (issue 6): the clock, the
 * datagrams the services send, and what /proc tells about a process tree.
 * Header-only, because the Makefile builds every .c file of tests/bench into a
 * program of its own.
 */
#ifndef BENCH_H
#define BENCH_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static inline int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static inline void sleep_ns(int64_t ns)
{
	if (ns <= 0)
		return;
	struct timespec t = { .tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL };
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

static inline int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static inline int pidfd_signal_(int fd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

/* One datagram to the driver's socket ($BENCH_SOCK), if there is one.
 * Blocking on purpose: when a thousand services start at once the queue
 * fills and a sender waits its turn; its timestamp was taken before. */
static inline void bench_report(const char *text)
{
	const char *path = getenv("BENCH_SOCK");
	if (!path || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, text, strlen(text), 0, (struct sockaddr *)&a, sizeof(a)) < 0) {
		/* no driver listening: nothing to report to */
	}
	close(fd);
}

/* One process as /proc/PID/stat and /proc/PID/status show it. */
struct pinfo {
	pid_t pid, ppid;
	char state;
	char comm[32];
};

static inline int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return (int)n;
}

static inline int pinfo_read(pid_t pid, struct pinfo *p)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	/* comm may hold blanks and parentheses: it ends at the last ')'. */
	char *open_ = strchr(buf, '('), *close_ = strrchr(buf, ')');
	if (!open_ || !close_ || close_[1] != ' ')
		return -1;
	size_t n = (size_t)(close_ - open_ - 1);
	if (n >= sizeof(p->comm))
		n = sizeof(p->comm) - 1;
	memcpy(p->comm, open_ + 1, n);
	p->comm[n] = 0;
	p->pid = pid;
	p->state = close_[2];
	p->ppid = (pid_t)atoi(close_ + 4);
	return 0;
}

/* proc_scan's list is sorted by pid (qsort below), so parents are found
 * by binary search. */
static inline int cmp_pinfo(const void *a, const void *b)
{
	return (int)((const struct pinfo *)a)->pid - (int)((const struct pinfo *)b)->pid;
}

/* Every process on the machine; *out is malloc'ed. */
static inline int proc_scan(struct pinfo **out)
{
	DIR *d = opendir("/proc");
	int n = 0, cap = 4096;
	struct pinfo *v = malloc(sizeof(*v) * (size_t)cap);
	struct dirent *e;
	while (d && v && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		if (n == cap) {
			cap *= 2;
			struct pinfo *w = realloc(v, sizeof(*v) * (size_t)cap);
			if (!w)
				break;
			v = w;
		}
		if (pinfo_read((pid_t)atoi(e->d_name), &v[n]) == 0)
			n++;
	}
	if (d)
		closedir(d);
	if (v)
		qsort(v, (size_t)n, sizeof(*v), cmp_pinfo);
	*out = v;
	return v ? n : 0;
}

static inline int is_descendant(const struct pinfo *v, int n, pid_t pid, pid_t ancestor)
{
	for (int hops = 0; pid > 1 && hops < 64; hops++) {
		struct pinfo key = { .pid = pid };
		const struct pinfo *p = bsearch(&key, v, (size_t)n, sizeof(*v), cmp_pinfo);
		if (!p)
			return 0;
		if (p->ppid == ancestor)
			return 1;
		pid = p->ppid;
	}
	return 0;
}

/* CPU time and scheduling of one process (all its threads), from
 * /proc/PID/schedstat (ns on CPU, times scheduled in) and /proc/PID/status
 * (context switches, memory). */
struct pcost {
	int64_t cpu_ns, slices, vcsw, ivcsw, hwm_kb, rss_kb, pss_kb;
};

static inline int pcost_read(pid_t pid, struct pcost *c)
{
	char path[64], buf[4096];
	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	long long run = 0, wait = 0, slices = 0;
	if (sscanf(buf, "%lld %lld %lld", &run, &wait, &slices) != 3)
		return -1;
	c->cpu_ns = run;
	c->slices = slices;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		long long v;
		if (sscanf(l, "voluntary_ctxt_switches: %lld", &v) == 1)
			c->vcsw = v;
		else if (sscanf(l, "nonvoluntary_ctxt_switches: %lld", &v) == 1)
			c->ivcsw = v;
		else if (sscanf(l, "VmHWM: %lld", &v) == 1)
			c->hwm_kb = v;
		else if (sscanf(l, "VmRSS: %lld", &v) == 1)
			c->rss_kb = v;
	}
	/* Pss: shared pages (libc, the binary) split among their users, so
	 * that a thousand runsv do not count libc a thousand times. */
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	if (read_small(path, buf, sizeof(buf)) > 0) {
		char *l = strstr(buf, "\nPss:");
		long long v;
		if (l && sscanf(l + 1, "Pss: %lld", &v) == 1)
			c->pss_kb = v;
	}
	return 0;
}

static inline int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The q-quantile (0..1) of n sorted values, nearest rank. */
static inline int64_t quantile(const int64_t *v, int n, double q)
{
	if (n <= 0)
		return 0;
	int i = (int)(q * n + 0.999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

#endif

/* Reading an ended, unreaped child's /proc entries (zombie.h). */
#include "sys/zombie.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static ssize_t read_proc(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Field 22 of stat is the start in clock ticks after boot, on the clock
 * CLOCK_BOOTTIME reads (suspended time included): its distance from now
 * on that clock, taken from the wall clock's now. */
static uint64_t start_wall_ms(unsigned long long start_ticks)
{
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		return 0;
	uint64_t started = (uint64_t)start_ticks * 1000 / (uint64_t)hz;
	uint64_t boot_now = clock_ms(CLOCK_BOOTTIME), wall_now = clock_ms(CLOCK_REALTIME);
	uint64_t ago = boot_now > started ? boot_now - started : 0;
	return wall_now > ago ? wall_now - ago : 0;
}

static void read_stat(pid_t pid, struct zombie_info *z)
{
	char buf[1024];
	if (read_proc(pid, "stat", buf, sizeof(buf)) <= 0)
		return;
	/* "PID (COMM) S PPID PGRP SESSION ...": the name may hold spaces and
	 * parentheses, so it ends at the last ')'. */
	char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren)
		return;
	size_t n = (size_t)(close_paren - open_paren - 1);
	if (n >= sizeof(z->comm))
		n = sizeof(z->comm) - 1;
	memcpy(z->comm, open_paren + 1, n);
	z->comm[n] = '\0';
	char state;
	int ppid, pgrp, session;
	unsigned long long start;
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime cutime cstime priority nice threads itreal start */
	if (sscanf(close_paren + 1,
		   " %c %d %d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &state, &ppid, &pgrp, &session, &start) != 5)
		return;
	z->ppid = ppid;
	z->session = session;
	z->start_wall_ms = start_wall_ms(start);
}

static void read_cgroup(pid_t pid, struct zombie_info *z)
{
	char buf[4096];
	if (read_proc(pid, "cgroup", buf, sizeof(buf)) <= 0)
		return;
	for (char *line = buf; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (strncmp(line, "0::", 3) != 0)
			continue;
		size_t n = strcspn(line + 3, "\n");
		if (n < sizeof(z->cgroup)) {
			memcpy(z->cgroup, line + 3, n);
			z->cgroup[n] = '\0';
		}
		return;
	}
}

void zombie_inspect(pid_t pid, bool want_cgroup, struct zombie_info *z)
{
	memset(z, 0, sizeof(*z));
	read_stat(pid, z);
	if (want_cgroup)
		read_cgroup(pid, z);
}

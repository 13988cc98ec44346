#include "sys/procstat.h"
#include "sys/small_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int proc_stat_parse(const char *text, struct proc_stat *out)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')');
	int pid, ppid, pgrp, session;
	unsigned long long start = 0;
	char state;
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime cutime cstime priority nice threads itreal start */
	if (!open || !close || close < open || sscanf(text, "%d", &pid) != 1 ||
	    sscanf(close + 1,
		   " %c %d %d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &state, &ppid, &pgrp, &session, &start) < 4)
		return -1;
	size_t len = (size_t)(close - open - 1);
	if (len >= sizeof(out->comm))
		len = sizeof(out->comm) - 1;
	*out = (struct proc_stat){
		.pid = pid, .ppid = ppid, .session = session, .state = state, .start_ticks = start
	};
	memcpy(out->comm, open + 1, len);
	out->comm[len] = '\0';
	return 0;
}

int proc_stat_read(pid_t pid, struct proc_stat *out)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	ssize_t n = read_small_file(AT_FDCWD, path, buf, sizeof(buf));
	if (n < 0)
		return errno == ENOENT || errno == ESRCH ? -1 : PROC_STAT_UNREADABLE;
	if (n == 0)
		return -1;
	return proc_stat_parse(buf, out);
}

int proc_cgroup_path(pid_t pid, char *buf, size_t len)
{
	char path[64], text[4096];
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	if (read_small_file(AT_FDCWD, path, text, sizeof(text)) <= 0)
		return -1;
	for (char *line = text; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (strncmp(line, "0::", 3) != 0)
			continue;
		size_t n = strcspn(line + 3, "\n");
		if (n >= len)
			return -1;
		memcpy(buf, line + 3, n);
		buf[n] = '\0';
		return 0;
	}
	return -1;
}

/* The reap storm (issue 6, scenario 5), run as a service of the supervisor
 * under test. It forks $BENCH_STORM_N (default 10000) children; each forks a
 * grandchild ("bench_orphan") that blocks reading a pipe, notes its pid in
 * shared memory and exits. Once every child is reaped here, the grandchildren
 * are orphans that the kernel has handed to the supervisor (a subreaper or
 * PID 1). Then the pipe is closed: all grandchildren exit at once, and this
 * program measures how long until the supervisor has reaped every one of
 * them: a pidfd of a zombie still takes signal 0; once reaped it answers
 * ESRCH (a pidfd cannot be fooled by a reused pid).
 * It reports "R REAP_US EXIT_US N" (exit: until all had exited) to
 * $BENCH_SOCK and stdout, then waits to be stopped (a restart would start
 * another storm). */
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "bench.h"

int main(void)
{
	int n = getenv("BENCH_STORM_N") ? atoi(getenv("BENCH_STORM_N")) : 10000;
	char msg[128];
	int gate[2];
	prctl(PR_SET_NAME, "bench_storm");
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { /* one pidfd per orphan */
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	pid_t *pids = mmap(NULL, sizeof(pid_t) * (size_t)n, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int *fds = calloc((size_t)n, sizeof(int));
	if (pids == MAP_FAILED || !fds || pipe(gate) < 0) {
		perror("bench_storm");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		pid_t c = fork();
		if (c < 0) {
			perror("bench_storm: fork");
			n = i;
			break;
		}
		if (c == 0) {
			pid_t g = fork();
			if (g == 0) {
				char b;
				prctl(PR_SET_NAME, "bench_orphan");
				close(gate[1]);
				while (read(gate[0], &b, 1) < 0 && errno == EINTR)
					;
				_exit(0);
			}
			pids[i] = g;
			_exit(g > 0 ? 0 : 1);
		}
	}
	int got = 0;
	while (got < n && wait(NULL) > 0)
		got++;
	int m = 0;
	for (int i = 0; i < n; i++)
		if (pids[i] > 0 && (fds[m] = pidfd_open_(pids[i])) >= 0)
			m++;
	close(gate[0]);
	int64_t t0 = now_ns(), t_exit = 0, t_reap = 0;
	close(gate[1]); /* every orphan reads EOF and exits */
	/* Exited: every pidfd readable (poll in chunks of up to 4096). */
	for (int i = 0; i < m;) {
		int k = m - i < 4096 ? m - i : 4096;
		struct pollfd p[4096];
		for (int j = 0; j < k; j++)
			p[j] = (struct pollfd){ .fd = fds[i + j], .events = POLLIN };
		if (poll(p, (nfds_t)k, 30000) <= 0)
			break;
		int done = 0;
		for (int j = 0; j < k; j++)
			done += (p[j].revents & POLLIN) != 0;
		if (done == k)
			i += k;
	}
	t_exit = now_ns();
	/* Reaped: every pidfd answers ESRCH. Look again every 200 us. */
	int left = m;
	int64_t deadline = t0 + 300 * 1000000000LL;
	while (left > 0 && now_ns() < deadline) {
		int w = 0;
		for (int i = 0; i < left; i++)
			if (pidfd_signal_(fds[i], 0) == 0)
				fds[w++] = fds[i];
			else
				close(fds[i]);
		left = w;
		t_reap = now_ns();
		if (left)
			sleep_ns(200000);
	}
	snprintf(msg, sizeof(msg), "R %lld %lld %d %d", (long long)(t_reap - t0) / 1000,
		 (long long)(t_exit - t0) / 1000, m, left);
	printf("%s\n", msg);
	fflush(stdout);
	bench_report(msg);
	for (;;)
		pause();
}

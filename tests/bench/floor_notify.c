/* The floor of noticing a death (issue 6): a child writes CLOCK_MONOTONIC
 * into shared memory just before _exit; the parent, asleep in epoll_wait on a
 * signalfd (SIGCHLD) or on the child's pidfd, notes when it woke. The
 * difference is how long a child's death takes to reach a supervisor.
 * Prints "notify_METHOD_us_median=…" and "…_p99=…" over ROUNDS deaths each.
 *
 *   floor_notify [ROUNDS]     (default 1000)
 */
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "bench.h"

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 1000;
	volatile int64_t *stamp =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int64_t *lat = calloc((size_t)rounds, sizeof(int64_t));
	if (stamp == MAP_FAILED || !lat || rounds <= 0)
		return 1;
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGCHLD);
	sigprocmask(SIG_BLOCK, &m, NULL);
	int sfd = signalfd(-1, &m, SFD_CLOEXEC | SFD_NONBLOCK);
	for (int method = 0; method < 2; method++) {
		for (int r = 0; r < rounds; r++) {
			int ep = epoll_create1(EPOLL_CLOEXEC);
			pid_t c = fork();
			if (c == 0) {
				/* Let the parent reach epoll_wait first. */
				sleep_ns(300000);
				*stamp = now_ns();
				_exit(0);
			}
			int fd = method == 0 ? sfd : pidfd_open_(c);
			struct epoll_event ev = { .events = EPOLLIN };
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			epoll_wait(ep, &ev, 1, -1);
			int64_t woke = now_ns();
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) > 0)
				;
			waitpid(c, NULL, 0);
			lat[r] = woke - *stamp;
			if (method == 1)
				close(fd);
			close(ep);
		}
		qsort(lat, (size_t)rounds, sizeof(lat[0]), cmp_i64);
		const char *name = method == 0 ? "signalfd" : "pidfd";
		printf("notify_%s_us_median=%.1f\nnotify_%s_us_p99=%.1f\n", name,
		       (double)quantile(lat, rounds, 0.5) / 1000.0, name,
		       (double)quantile(lat, rounds, 0.99) / 1000.0);
	}
	return 0;
}

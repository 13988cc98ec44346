/* Waiting a bounded time for one child (see child_wait.h). */
#include "base/child_wait.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int reap_child_within(pid_t pid, unsigned ms)
{
	int status = -1, pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct timespec tick = { .tv_nsec = 1000000 };
	pid_t r;

	if (pidfd >= 0) {
		/* Woken when it is gone (or at once if it already is). */
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
		while (poll(&pfd, 1, ms > INT32_MAX ? INT32_MAX : (int)ms) < 0 && errno == EINTR)
			;
		close(pidfd);
	}
	for (unsigned waited = 0;; waited++) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			break;
		/* With a pidfd the wait is over: one look decides. */
		if (r == 0 && (pidfd >= 0 || waited >= ms))
			break;
		if (r == 0)
			nanosleep(&tick, NULL); /* no pidfd (an old kernel): look each ms */
	}
	return r == pid ? status : -1;
}

/* The floor (issue 6): the least a supervisor can do. It starts N copies of
 * a command with posix_spawn (vfork semantics: no page tables copied), waits
 * for SIGCHLD on a signalfd, reaps and starts the same copy again at once,
 * and on SIGTERM sends SIGTERM to every copy and exits once all are reaped.
 * As a subreaper it reaps orphans too (the reap storm). No config, no logs,
 * no timers: every figure of a real supervisor can be read against it.
 *
 *   floor_sup N COMMAND [ARG...]     (copy i gets "fI" as its last argument)
 */
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "bench.h"

extern char **environ;

static int n;
static pid_t *pids;
static char **args;
static int nargs;
static sigset_t mask;

static void start(int i)
{
	char id[16];
	posix_spawnattr_t a;
	snprintf(id, sizeof(id), "f%d", i);
	args[nargs] = id;
	posix_spawnattr_init(&a);
	/* The child must not inherit the blocked signals. */
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&a, &none);
	posix_spawnattr_setflags(&a, POSIX_SPAWN_SETSIGMASK);
	if (posix_spawn(&pids[i], args[0], NULL, &a, args, environ) != 0)
		pids[i] = 0;
	posix_spawnattr_destroy(&a);
}

int main(int argc, char **argv)
{
	if (argc < 3 || (n = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: floor_sup N COMMAND [ARG...]\n");
		return 2;
	}
	nargs = argc - 2;
	args = calloc((size_t)nargs + 2, sizeof(char *));
	pids = calloc((size_t)n, sizeof(pid_t));
	for (int i = 0; i < nargs; i++)
		args[i] = argv[i + 2];
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	for (int i = 0; i < n; i++)
		start(i);
	int stopping = 0, alive = n;
	struct signalfd_siginfo si;
	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD && !stopping) {
			stopping = 1;
			for (int i = 0; i < n; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGTERM);
		}
		pid_t p;
		while ((p = waitpid(-1, NULL, WNOHANG)) > 0) {
			for (int i = 0; i < n; i++) {
				if (pids[i] != p)
					continue;
				if (stopping) {
					pids[i] = 0;
					alive--;
				} else {
					start(i);
				}
				break;
			}
		}
		if (stopping && alive <= 0)
			return 0;
	}
	return 1;
}

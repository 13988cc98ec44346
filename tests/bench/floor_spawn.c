/* The floor of spawning (issue 6): how many times per second this machine
 * can start a trivial static program and wait for it, with posix_spawn
 * (glibc: clone(CLONE_VM|CLONE_VFORK)), vfork+execve and fork+execve.
 * Prints "spawn_METHOD_per_s=R" and "spawn_METHOD_us=U" (median of one).
 *
 *   floor_spawn PROGRAM [SECONDS_PER_METHOD]    (default 1)
 */
#include <spawn.h>
#include <sys/wait.h>

#include "bench.h"

extern char **environ;

static pid_t start(int method, char *const *argv)
{
	pid_t p = -1;
	if (method == 0) {
		if (posix_spawn(&p, argv[0], NULL, NULL, argv, environ) != 0)
			return -1;
	} else if (method == 1) {
		p = vfork();
		if (p == 0) {
			execve(argv[0], argv, environ);
			_exit(127);
		}
	} else {
		p = fork();
		if (p == 0) {
			execve(argv[0], argv, environ);
			_exit(127);
		}
	}
	return p;
}

int main(int argc, char **argv)
{
	static const char *names[] = { "posix_spawn", "vfork", "fork" };
	if (argc < 2) {
		fprintf(stderr, "usage: floor_spawn PROGRAM [SECONDS]\n");
		return 2;
	}
	double secs = argc > 2 ? atof(argv[2]) : 1.0;
	char *child[] = { argv[1], NULL };
	static int64_t lat[1 << 20];
	for (int m = 0; m < 3; m++) {
		int64_t t0 = now_ns(), end = t0 + (int64_t)(secs * 1e9);
		int k = 0;
		while (now_ns() < end && k < (1 << 20)) {
			int64_t a = now_ns();
			pid_t p = start(m, child);
			int st;
			if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st)) {
				fprintf(stderr, "floor_spawn: %s of %s failed\n", names[m],
					argv[1]);
				return 1;
			}
			lat[k++] = now_ns() - a;
		}
		double el = (double)(now_ns() - t0) / 1e9;
		qsort(lat, (size_t)k, sizeof(lat[0]), cmp_i64);
		printf("spawn_%s_per_s=%.0f\nspawn_%s_us=%.1f\n", names[m], k / el, names[m],
		       (double)quantile(lat, k, 0.5) / 1000.0);
	}
	return 0;
}

/* Times a command (issue 6, scenario 7: tendctl's latency): runs it COUNT
 * times, one after another, its output to /dev/null, and prints for each run
 * "START_NS DURATION_US" (START on CLOCK_MONOTONIC, the clock the services
 * report with). Exits 1 if a run failed.
 *
 *   bench_time COUNT COMMAND [ARG...]
 */
#include <sys/wait.h>

#include "bench.h"

int main(int argc, char **argv)
{
	int count = argc > 2 ? atoi(argv[1]) : 0, failed = 0;
	if (count <= 0) {
		fprintf(stderr, "usage: bench_time COUNT COMMAND [ARG...]\n");
		return 2;
	}
	for (int i = 0; i < count; i++) {
		int64_t t = now_ns();
		pid_t p = fork();
		if (p == 0) {
			int nul = open("/dev/null", O_WRONLY);
			dup2(nul, 1);
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		int st = 0;
		waitpid(p, &st, 0);
		printf("%lld %.1f\n", (long long)t, (double)(now_ns() - t) / 1e3);
		failed |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	return failed;
}

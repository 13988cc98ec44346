/* The service of the benchmarks (issue 6): it only waits to be stopped.
 * At start it names itself bench_idle (so /proc counts are unambiguous even
 * when started through a `run` symlink) and tells the driver, through the
 * datagram socket $BENCH_SOCK, "I ID PID T": T is CLOCK_MONOTONIC taken first
 * thing in main(), so the driver knows when this copy began to run.
 *
 *   bench_idle [ID]     (no ID: the name of the working directory, which is
 *                        the service directory under runit, s6 and daemontools)
 * Linked statically so that exec costs the same under every supervisor.
 */
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>

#include "bench.h"

int main(int argc, char **argv)
{
	int64_t t = now_ns();
	char cwd[PATH_MAX], msg[PATH_MAX + 64];
	const char *id = argc > 1 ? argv[argc - 1] : NULL;
	prctl(PR_SET_NAME, "bench_idle");
	if (!id) {
		id = getcwd(cwd, sizeof(cwd)) ? strrchr(cwd, '/') + 1 : "?";
	}
	snprintf(msg, sizeof(msg), "I %s %d %lld", id, (int)getpid(), (long long)t);
	bench_report(msg);
	for (;;)
		pause();
}

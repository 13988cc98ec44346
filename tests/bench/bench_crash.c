/* The crash-loop service (issue 6, scenario 4): appends CLOCK_MONOTONIC (ns)
 * to the file $BENCH_LOG, one line per start, and exits 1 at once. The driver
 * counts the lines: starts per second and the gaps between them show how each
 * supervisor limits a crashing service. */
#include <sys/prctl.h>

#include "bench.h"

int main(void)
{
	int64_t t = now_ns();
	const char *log = getenv("BENCH_LOG");
	char line[32];
	prctl(PR_SET_NAME, "bench_crash");
	int fd = log ? open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
	if (fd >= 0) {
		int n = snprintf(line, sizeof(line), "%lld\n", (long long)t);
		if (write(fd, line, (size_t)n) < 0) {
			/* nothing to report to */
		}
		close(fd);
	}
	return 1;
}

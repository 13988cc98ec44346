#include "log.h"
#include "context.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static const char *const level_prefix[] = {
	[LOG_ERR] = "error: ",
	[LOG_WARN] = "warning: ",
	[LOG_INFO] = "",
	[LOG_DEBUG] = "debug: ",
};

void tend_log(struct tend *t, enum log_level level, const char *fmt, ...)
{
	if ((int)level > t->verbosity)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line so lines from tend and its children do not
	 * interleave. On the console as PID 1, lines carry the time since boot
	 * like the kernel's own, so the two read as one story. */
	if (t->mode == MODE_PID1) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		fprintf(stderr, "[%5lld.%06ld] tend: %s%s\n", (long long)ts.tv_sec,
			ts.tv_nsec / 1000, level_prefix[level], line);
	} else {
		fprintf(stderr, "tend: %s%s\n", level_prefix[level], line);
	}
	if (t->selflog.path) {
		char entry[1100];
		int n = snprintf(entry, sizeof(entry), "%s%s", level_prefix[level], line);
		logfile_write(&t->selflog, entry,
			      (size_t)n < sizeof(entry) ? (size_t)n : sizeof(entry) - 1,
			      DEFAULT_LOG_SIZE, DEFAULT_LOG_KEEP);
	}
}

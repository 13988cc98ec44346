#include "sys/log.h"
#include "config/config.h" /* DEFAULT_LOG_SIZE, DEFAULT_LOG_KEEP */

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static const char *const level_prefix[] = {
	[LOG_ERR] = "error: ",
	[LOG_WARN] = "warning: ",
	[LOG_INFO] = "",
	[LOG_DEBUG] = "debug: ",
};

/* One write(2) per line so lines from tend and its children do not
 * interleave. As PID 1 stderr is the console, which a person can stop with
 * Ctrl-S: PID 1 made it non-blocking (init/boot.c), and a line that does not fit
 * is dropped and counted rather than PID 1 waiting. */
static void write_line(struct logger *lg, const char *line, size_t len)
{
	char note[64];
	if (lg->console_midline) { /* end the line a full console cut short */
		if (write(STDERR_FILENO, "\n", 1) != 1)
			goto dropped;
		lg->console_midline = false;
	}
	if (lg->console_dropped) {
		int n =
		    snprintf(note, sizeof(note), "tend: (%llu lines dropped: console blocked)\n",
			     (unsigned long long)lg->console_dropped);
		if (write(STDERR_FILENO, note, (size_t)n) != n)
			goto dropped;
		lg->console_dropped = 0;
	}
	ssize_t n = write(STDERR_FILENO, line, len);
	if (n == (ssize_t)len)
		return;
	if (n > 0)
		lg->console_midline = true;
dropped:
	lg->console_dropped++;
}

void tend_log(struct logger *lg, enum log_level level, const char *fmt, ...)
{
	if ((int)level > lg->verbosity)
		return;
	char line[1024], out[1100];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* On the console as PID 1, lines carry the time since boot like the
	 * kernel's own, so the two read as one story. */
	int n;
	if (lg->boot_clock) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		n = snprintf(out, sizeof(out), "[%5lld.%06ld] tend: %s%s\n", (long long)ts.tv_sec,
			     ts.tv_nsec / 1000, level_prefix[level], line);
	} else {
		n = snprintf(out, sizeof(out), "tend: %s%s\n", level_prefix[level], line);
	}
	write_line(lg, out, (size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1);
	if (lg->file.path) {
		char entry[1100];
		int m = snprintf(entry, sizeof(entry), "%s%s", level_prefix[level], line);
		logfile_write(&lg->file, entry,
			      (size_t)m < sizeof(entry) ? (size_t)m : sizeof(entry) - 1,
			      DEFAULT_LOG_SIZE, DEFAULT_LOG_KEEP, lg->faults);
	}
}

/* tend's own messages. They go to stderr (the console as PID 1), one line
 * each, prefixed with "tend: ", and, once the run directory exists, with a
 * timestamp to RUNDIR/log/tend.log (rotated like a process's log). Levels
 * let -v/-q choose how much. */
#ifndef TEND_LOG_H
#define TEND_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/fault.h"
#include "base/logfile.h"

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

struct logger {
	int verbosity;		   /* highest enum log_level printed */
	bool boot_clock;	   /* lines on stderr start with the time since boot (PID 1) */
	bool console_midline;	   /* the console took only part of the last line */
	uint64_t console_dropped;  /* lines the (non-blocking) console did not take */
	struct logfile file;	   /* RUNDIR/log/tend.log; path NULL: none (yet) */
	struct fault_plan *faults; /* the seam's (FAULT_WRITE to tend.log), or NULL */
};

void tend_log(struct logger *log, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

/* tend's own messages. They go to stderr (the console as PID 1), one line
 * each, prefixed with "tend: ", and, once the run directory exists, with a
 * timestamp to RUNDIR/log/tend.log (rotated like a process's log). Levels
 * let -v/-q choose how much. */
#ifndef TEND_LOG_H
#define TEND_LOG_H

struct tend;

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void tend_log(struct tend *t, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

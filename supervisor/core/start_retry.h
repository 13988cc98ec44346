/* Starts that fail for want of a resource the machine is short of for a
 * while (fork: EAGAIN when RLIMIT_NPROC or the pid space is used up,
 * ENOMEM; EMFILE, ENFILE for the log pipe) are not the process's fault:
 * they are not counted in its restart window (which would mark it failed
 * for good while the machine is merely busy), they are retried with a
 * back-off that doubles from restart-delay (at least START_RETRY_MIN_MS) up
 * to START_RETRY_MAX_MS, they are reported once when the first start fails
 * and once when a start works again. Any other failure (ENOENT, EACCES:
 * the declaration's fault) is handled like an exit. */
#ifndef TEND_START_RETRY_H
#define TEND_START_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#define START_RETRY_MIN_MS 100
#define START_RETRY_MAX_MS 10000

/* True when a start that failed with err is worth trying again later. */
bool start_fault_is_transient(int err);
/* The wait before the next attempt after `failures` failed ones (>= 1). */
uint64_t start_retry_delay_ms(uint64_t restart_delay_ms, unsigned failures);

#endif

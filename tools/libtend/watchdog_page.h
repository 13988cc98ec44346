/* The watchdog file: one small shared mapping between tend and one
 * supervised process (declared with `watchdog = DURATION`). tend creates it
 * as RUNDIR/watchdog/GROUP.PROCESS before each start and names it in the
 * process's environment (TEND_WATCHDOG); libtend maps it. Private to tend
 * and libtend: programs use the functions in tend.h.
 *
 * Who writes what:
 * - tend: everything at creation; `suspended` (tendctl watchdog suspend).
 * - the process: `kicks` and `last_kick_ns` on every kick, `state` (under
 *   the `state_seq` sequence lock), `suspended`.
 * A kick is two atomic stores and a vDSO clock read: no system call. */
#ifndef LIBTEND_WATCHDOG_PAGE_H
#define LIBTEND_WATCHDOG_PAGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TEND_WATCHDOG_ENV "TEND_WATCHDOG"
#define TEND_WATCHDOG_MAGIC 0x57444e54u /* "TNDW" */
#define TEND_WATCHDOG_VERSION 1u
#define TEND_WATCHDOG_FILE_SIZE 4096u
#define TEND_WATCHDOG_STATE_MAX 384 /* bytes of state text, NUL included */

struct tend_watchdog_page {
	uint32_t magic;	  /* TEND_WATCHDOG_MAGIC */
	uint32_t version; /* TEND_WATCHDOG_VERSION */
	uint32_t size;	  /* sizeof(struct tend_watchdog_page) as tend built it */
	int32_t tend_pid;
	/* Field 22 of /proc/TEND_PID/stat when tend wrote the file: with the
	 * pid it tells tend from a later process that reuses its pid. */
	uint64_t tend_start_time;
	uint64_t timeout_ns;	       /* the declared watchdog, for the process's information */
	_Atomic uint64_t kicks;	       /* incremented by each kick */
	_Atomic uint64_t last_kick_ns; /* CLOCK_MONOTONIC of the last kick; 0: none yet */
	_Atomic uint32_t suspended;    /* non-zero: tend does not act on a missed kick */
	_Atomic uint32_t state_seq;    /* odd while `state` is being written */
	char state[TEND_WATCHDOG_STATE_MAX]; /* NUL-terminated text the process chose */
};

_Static_assert(sizeof(struct tend_watchdog_page) <= TEND_WATCHDOG_FILE_SIZE,
	       "the page must fit in the file");

/* Both sides of the page live in watchdog_page.c, which tend links too, so
 * that the memory ordering of writer and reader is written down once.
 * Everything in the page may have been written by the process: tend must
 * treat it as untrusted input (and take the timeout from its own
 * declarations, not from the page). */

/* Fills pg as tend does before a start (kicks 0, not suspended, no state
 * text), everything but the magic, which tend stores last, after a release
 * fence, so that a process never takes a half-made page for valid. */
void tend_watchdog_page_init(struct tend_watchdog_page *pg, int32_t tend_pid,
			     uint64_t tend_start_time, uint64_t timeout_ns, uint64_t now_ns);

/* Field 22 of /proc/PID/stat (the start time, in clock ticks since boot)
 * into *out. Returns 0, or -1 with errno: as open(2) or read(2) set it
 * (ENOENT: no such process, or no /proc), or EPROTO for a line it cannot
 * parse. Allocates nothing, so a kick may call it. */
int tend_watchdog_proc_start_time(pid_t pid, uint64_t *out);

/* Writes text (at most TEND_WATCHDOG_STATE_MAX - 1 bytes of it are used)
 * under the state_seq sequence lock. Safe against other writers of the
 * same page, threads or processes. */
void tend_watchdog_page_write_state(struct tend_watchdog_page *pg, const char *text, size_t len);

/* Copies a consistent snapshot of the state text into out (len bytes, NUL
 * included; a longer text is cut). Returns the length copied, or -1 with
 * errno: EINVAL (len 0); EAGAIN if no consistent snapshot was seen in a
 * bounded number of tries, e.g. because the writer died mid-write: out
 * then holds the last copy, maybe torn, still NUL-terminated, which is
 * better than nothing for a post-mortem log. Never blocks for long. */
int tend_watchdog_page_read_state(const struct tend_watchdog_page *pg, char *out, size_t len);
/* The same in at most a few tries and without yielding, for tend: the
 * page's writer is untrusted and could hold the lock forever. */
int tend_watchdog_page_peek_state(const struct tend_watchdog_page *pg, char *out, size_t len);

/* tend's hang test: not suspended and now_ns >= last_kick_ns + timeout_ns
 * (no overflow for any last_kick_ns the process may have written). */
bool tend_watchdog_page_expired(const struct tend_watchdog_page *pg, uint64_t timeout_ns,
				uint64_t now_ns);

#endif

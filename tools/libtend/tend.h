/* libtend: the library for programs that tend supervises or talks to.
 * Link with `pkg-config --cflags --libs tend` (-ltend).
 *
 * - The control socket's client side: tend_connect, tend_request (below).
 * - The heartbeat watchdog: tend_watchdog_* (further below).
 * - sd_notify-style readiness: tend_notify, tend_ready (at the end).
 *
 * The control protocol (also in README.md, "Control protocol"): a client connects to
 * the Unix stream socket RUNDIR/tend.sock and writes one request line, words
 * quoted like a POSIX shell's (see tend_quote). tend answers with zero or more
 * data lines, each "> " followed by the payload, then one status line:
 * "OK" or "OK message" on success, "ERR message" on failure. Requests that
 * watch (events, logs -f) stream data lines until the client closes. A client
 * may send further requests on the same connection after a status line. */
#ifndef LIBTEND_TEND_H
#define LIBTEND_TEND_H

#include <stddef.h>
#include <stdint.h>

#define TEND_SOCKET_NAME "tend.sock"
#define TEND_REQUEST_MAX 4096 /* longest request line tend accepts, newline included */

/* The run directory a client (or tend itself) uses when none is given:
 * $TEND_RUNDIR; else /run/tend for root; else $XDG_RUNTIME_DIR/tend;
 * else /tmp/tend-$UID. Returns 0, or -1 if it does not fit in len. */
int tend_default_rundir(char *buf, size_t len);

/* Connects to RUNDIR/tend.sock (rundir NULL: tend_default_rundir()).
 * Returns a connected fd (close-on-exec), or -1 with errno set. */
int tend_connect(const char *rundir);

/* Called once per data line, with the "> " removed and no newline.
 * Return non-zero to stop reading (tend_request then returns 1). */
typedef int (*tend_line_fn)(const char *payload, void *arg);

/* Sends argv (NULL-terminated) as one quoted request line on fd and reads the
 * reply, calling on_line (may be NULL) for each data line. Returns 0 on "OK",
 * -1 on "ERR" or an I/O error, 1 if on_line asked to stop (the connection is
 * then mid-reply: close it). msg receives the status line's text: the error
 * message without "ERR ", or the text after "OK " ("" for a plain "OK"). */
int tend_request(int fd, char *const argv[], tend_line_fn on_line, void *arg, char *msg,
		 size_t msglen);

/* Quotes one word so that tend splits it back exactly (see supervisor/cmdline.h).
 * Returns the length written, or -1 if it does not fit. */
int tend_quote(const char *word, char *buf, size_t len);

/* ---- the heartbeat watchdog ------------------------------------------------
 *
 * A process declared with `watchdog = DURATION` finds a small file named in
 * $TEND_WATCHDOG, which tend shares with it. The process kicks the watchdog
 * at least once per DURATION; if it does not, tend takes it for hung: it
 * logs the last state text the process set, kills it (SIGABRT, then
 * SIGKILL) and handles it as a failed process. A kick is a clock read
 * (vDSO) and two atomic updates of shared memory, no system call: cheap
 * enough for any loop. Once a second a kick also looks for tend (below).
 *
 *	struct tend_watchdog *wd = tend_watchdog_open(why, sizeof(why));
 *	for (;;) { do_work(); tend_watchdog_kick(wd); }
 *
 * A NULL wd (not supervised, or the open failed) is accepted everywhere and
 * does nothing, so a program may run with and without tend unchanged.
 * All functions may be called from any thread, except tend_watchdog_close
 * (while others use wd) and tend_watchdog_on_orphan (before other threads
 * kick). A forked child shares its parent's watchdog. */

/* Exit status of a process that libtend ended because its tend was gone
 * (EX_SOFTWARE, from sysexits.h). */
#define TEND_WATCHDOG_ORPHAN_EXIT 70
/* Longest state text, in bytes (NUL excluded). */
#define TEND_WATCHDOG_STATE_LEN 383

struct tend_watchdog;

/* Maps the file named by $TEND_WATCHDOG. Returns the watchdog, or NULL
 * with errno set and a one-line reason in why (whylen bytes; why may be
 * NULL):
 * - ENOENT, "not supervised by tend with a watchdog (TEND_WATCHDOG is not
 *   set)": the variable is unset or empty; usually not an error.
 * - as open(2) sets it (ENOENT, EACCES, ...): the file cannot be opened
 *   for reading and writing;
 * - EINVAL: not a watchdog file (truncated, foreign magic, damaged);
 * - EPROTONOSUPPORT: a format version this libtend does not read;
 * - ENOMEM, or as mmap(2) sets it.
 * The file's descriptor is closed again; the mapping is not inherited
 * across exec (the variable is: a program exec'd opens it anew). */
struct tend_watchdog *tend_watchdog_open(char *why, size_t whylen);

/* The same with the file named explicitly (for tests and tools). path NULL
 * or "": EINVAL. */
struct tend_watchdog *tend_watchdog_open_path(const char *path, char *why, size_t whylen);

/* Records that the process is alive: increments the kick count and stores
 * the time (CLOCK_MONOTONIC). At most once a second (and on the first kick
 * after open) it also checks that tend still runs: tend is alive if it is
 * our parent, or else if its pid exists with the start time tend wrote in
 * the file (so a later process reusing the pid is not mistaken for it).
 * That costs a getppid(), and a read of /proc/PID/stat when tend is not
 * our parent (after a fork, or under a wrapper). Where that cannot be
 * told (no /proc, or one hiding other users' processes) the pid existing
 * is enough. If tend is gone it calls the orphan handler, once. Keeps
 * errno. */
void tend_watchdog_kick(struct tend_watchdog *wd);

/* Replaces the orphan handler. The default writes "libtend: tend (pid N)
 * is gone; ending this process" to stderr and calls
 * _exit(TEND_WATCHDOG_ORPHAN_EXIT). fn runs inside tend_watchdog_kick; if
 * it returns, the process runs on and fn is not called again. fn NULL
 * restores the default. */
void tend_watchdog_on_orphan(struct tend_watchdog *wd, void (*fn)(void *arg), void *arg);

/* Sets the state text (printf-style), which tend logs if the process hangs
 * and tendctl shows: say what the process is doing ("loading 3 of 12",
 * "waiting for db"). It is cut at TEND_WATCHDOG_STATE_LEN bytes, never
 * inside a UTF-8 character. Does not count as a kick. Returns 0, 1 if the
 * text was cut, or -1 with errno (EINVAL: fmt NULL; as vsnprintf sets it);
 * 0 for a NULL wd. */
int tend_watchdog_set_state(struct tend_watchdog *wd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Suspends the watchdog: tend does not act on missed kicks until
 * tend_watchdog_resume; e.g. around a long operation of unknown length,
 * or under a debugger. Resume also kicks, so the next timeout counts from
 * then. */
void tend_watchdog_suspend(struct tend_watchdog *wd);
void tend_watchdog_resume(struct tend_watchdog *wd);

/* The declared timeout in milliseconds (rounded down): kick well within
 * it, e.g. every third of it. 0 for a NULL wd. */
uint64_t tend_watchdog_timeout_ms(const struct tend_watchdog *wd);

/* Unmaps and frees wd (NULL: nothing). It does not tell tend anything: a
 * process that closes its watchdog and runs on will be taken for hung. */
void tend_watchdog_close(struct tend_watchdog *wd);

/* ---- sd_notify-compatible notification -------------------------------------
 *
 * The same datagrams as systemd's sd_notify(3): "READY=1", "STATUS=text",
 * "WATCHDOG=1", "STOPPING=1", lines joined with '\n'. */

/* Sends message as one datagram to the Unix socket named by $NOTIFY_SOCKET:
 * a path, or '@' followed by a name in the abstract namespace. Returns 1
 * if sent; 0 if NOTIFY_SOCKET is unset or empty (not supervised: fine, as
 * with sd_notify); -1 with errno: EINVAL (message NULL), EAFNOSUPPORT (the
 * address is neither form), ENAMETOOLONG, or as socket(2) or sendto(2)
 * set it (ECONNREFUSED, ENOENT: nobody listens there). */
int tend_notify(const char *message);

/* tend_notify("READY=1"): the process finished starting up. */
int tend_ready(void);

#endif

/* libtend: the client side of tend's control socket.
 *
 * The protocol (also in README.md, "Control protocol"): a client connects to
 * the Unix stream socket RUNDIR/tend.sock and writes one request line, words
 * quoted like a POSIX shell's (see tend_quote). tend answers with zero or more
 * data lines, each "> " followed by the payload, then one status line:
 * "OK" or "OK message" on success, "ERR message" on failure. Requests that
 * watch (events, logs -f) stream data lines until the client closes. A client
 * may send further requests on the same connection after a status line. */
#ifndef LIBTEND_TEND_H
#define LIBTEND_TEND_H

#include <stddef.h>

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

#endif

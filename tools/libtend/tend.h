/* libtend: the library for programs that tend supervises or talks to.
 * Link with `pkg-config --cflags --libs tend` (-ltend).
 *
 * - The control socket's client side: tend_connect, tend_request (below).
 * - The services directory: tend_service_*, tend_watch_* (further below).
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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

/* ---- the services directory --------------------------------------------------
 *
 * tend keeps a directory of services: for each name, the locations where
 * it is offered (host, port, protocol, a unix socket's path, and "key=value"
 * context for clients). A location declared in conf.d belongs to its process
 * and is there while that process runs and is ready. One registered over
 * the control socket is coupled to a process (the one that registered it,
 * or the pid it names) and goes the moment that process ends; a decoupled
 * one stays until it is deregistered or tend stops. Every change has an
 * index, one more than the last, which a watch reports and resumes from.
 *
 *	struct tend_service_spec spec = { .name = "http", .port = 8080, .proto = "tcp" };
 *	int fd = tend_connect(NULL);
 *	if (fd < 0 || tend_service_register(fd, &spec, msg, sizeof(msg)) < 0) ...
 *	(the location is there until this process ends: keep it running)
 *
 * The calls below that take an fd send one request on a connection from
 * tend_connect and read its reply; the connection may serve more requests,
 * but tend closes one on which no request came for 10 s (README, "Limits on
 * clients"): connect again after a pause.
 * They return -1 with errno EPROTO when tend answered with an error (msg
 * then holds tend's message, e.g. "bad port: 1 to 65535"), EINVAL for an
 * argument they refuse before asking, EBADMSG for a reply they cannot
 * read, or as tend_request sets it for an I/O error (msg says which). */

#define TEND_SERVICE_NAME_MAX 64	/* [A-Za-z0-9_.-], as for context keys */
#define TEND_SERVICE_CONTEXT_MAX 16	/* "key=value" entries of one location */
#define TEND_SERVICE_CONTEXT_BYTES 1024 /* of all of them, NULs not counted */
#define TEND_SERVICE_PATH_MAX 107	/* a unix socket's path (sockaddr_un) */
#define TEND_HOST_MAX 45		/* an IPv4 or IPv6 address literal */
#define TEND_NAME_MAX 64		/* of a group or process */
#define TEND_UID_UNKNOWN ((uid_t)-1)

/* Where a location is reached: "HOST[:PORT][/PROTO]" in tend's text, with an
 * IPv6 host in brackets when there is a port ("[::1]:53/udp"), and
 * "HOST/unix:PATH" for a unix socket. */
struct tend_address {
	char host[TEND_HOST_MAX + 1];	      /* "127.0.0.1", "::1" (no brackets) */
	unsigned port;			      /* 1-65535; 0: none */
	char proto[8];			      /* "tcp", "udp", "unix", or "" for none */
	char path[TEND_SERVICE_PATH_MAX + 1]; /* proto "unix": the socket; else "" */
};

/* Who a location belongs to, and so how long it stays. */
enum tend_owner {
	TEND_OWNER_PROCESS = 1, /* declared in conf.d: group/process, while it runs */
	TEND_OWNER_PID,		/* coupled to a process (owner_pid), while it lives */
	TEND_OWNER_DECOUPLED,	/* nobody's: until deregistered (owner_uid registered it) */
};

/* One location, as a lookup or a watch tells it. Fixed size: nothing to
 * free, and a copy is a plain assignment. Read the context with
 * tend_location_context() and tend_location_context_value(). */
struct tend_location {
	char name[TEND_SERVICE_NAME_MAX + 1];
	char host[TEND_HOST_MAX + 1];
	unsigned port;
	char proto[8];
	char path[TEND_SERVICE_PATH_MAX + 1];
	uint64_t index; /* the change that put it there (a watch: that change's) */
	enum tend_owner owner;
	char group[TEND_NAME_MAX + 1]; /* TEND_OWNER_PROCESS; else "" */
	char process[TEND_NAME_MAX + 1];
	pid_t owner_pid; /* TEND_OWNER_PID; else 0 */
	uid_t owner_uid; /* TEND_OWNER_DECOUPLED; else TEND_UID_UNKNOWN */
	bool decoupled;	 /* owner == TEND_OWNER_DECOUPLED */
	bool proxy;	 /* it points at another host on behalf of this one */
	size_t ncontext;
	/* the entries, each NUL-terminated, at their offsets */
	uint16_t context_at[TEND_SERVICE_CONTEXT_MAX];
	char context_text[TEND_SERVICE_CONTEXT_BYTES + TEND_SERVICE_CONTEXT_MAX];
};

/* Context entry i ("key=value"), or NULL when i >= l->ncontext. */
const char *tend_location_context(const struct tend_location *l, size_t i);
/* The value of key in l's context, or NULL when it has none. */
const char *tend_location_context_value(const struct tend_location *l, const char *key);

/* Writes l's address (or a) as tend writes it, e.g. "[::1]:53/udp",
 * "127.0.0.1/unix:/run/x.sock". Returns its length, or -1 (nothing written
 * but "") when it does not fit in len bytes. */
int tend_location_address(const struct tend_location *l, char *buf, size_t len);
int tend_address_text(const struct tend_address *a, char *buf, size_t len);

/* What to register. */
struct tend_service_spec {
	const char *name;	    /* required */
	const char *host;	    /* NULL: this host (tend's) */
	unsigned port;		    /* 0: none */
	const char *proto;	    /* "tcp", "udp", "unix"; NULL: none */
	const char *path;	    /* proto "unix": the socket's absolute path */
	const char *const *context; /* NULL-terminated "key=value" entries; NULL: none */
	pid_t pid;		    /* the owner; 0: the process that connected fd */
	bool decoupled;		    /* no owner (then pid must be 0) */
	bool proxy;		    /* on behalf of another host (needs host) */
};

/* Registers a location of spec->name. Registering the same place again
 * (host, port, protocol, path), or the same owner's location of that name
 * elsewhere, replaces it: the watchers see an update, or a move. A coupled
 * location goes when its owner ends: note that tend takes the pid of the
 * process that called tend_connect (SO_PEERCRED), not of a child it forked
 * since. Returns 0 (msg: "service NAME at ADDRESS index N"), or -1. */
int tend_service_register(int fd, const struct tend_service_spec *spec, char *msg, size_t msglen);

/* Removes name's locations: all of them, or those on host and/or port
 * (NULL, 0: any). Only a location's registrant (or root) may; one that
 * conf.d declares cannot be. Returns 0 (msg: "N location(s) of NAME
 * removed"), or -1 (also when nothing matched). */
int tend_service_deregister(int fd, const char *name, const char *host, unsigned port, char *msg,
			    size_t msglen);

/* Fills out[0..max-1] with name's locations, in the order they came.
 * Returns how many there are, which may be more than max (then only max
 * are filled; max may be 0, out NULL, to count); 0 for a service nobody
 * offers (tend's "no such service", which is then in msg); or -1. */
int tend_service_lookup(int fd, const char *name, struct tend_location *out, size_t max, char *msg,
			size_t msglen);

/* ---- watching the directory ----------------------------------------------
 *
 * A watch is a connection of its own on which tend reports, first, what
 * matches now (each location as an "add", each group's state, the host
 * "up"), then TEND_WATCH_SYNC with the index reached, then one event per
 * change as it happens. Opened with `since` (an index seen before, e.g.
 * the last event's), it reports instead exactly the changes after it and
 * then SYNC, or, when tend no longer keeps them all, TEND_WATCH_RESYNC
 * and everything anew: forget what you knew at RESYNC. A watch that lets
 * 1 MiB of events pile up unread gets RESYNC and is closed: open it again
 * with the last index seen.
 *
 * No thread, no callback: poll tend_watch_fd() for POLLIN, then call
 * tend_watch_next() until it returns 0 (several events may arrive in one
 * read, and the later ones wait in the watch, not in the socket: polling
 * again before that would wait for nothing).
 *
 *	struct tend_watch *w = tend_watch_open(NULL, "service", "http", NULL, msg, sizeof(msg));
 *	struct tend_watch_event ev;
 *	struct pollfd p = { .fd = tend_watch_fd(w), .events = POLLIN };
 *	for (;;) {
 *		int r = tend_watch_next(w, &ev);
 *		if (r > 0) { handle(&ev); continue; }
 *		if (r < 0) break;            (ev.line says why)
 *		poll(&p, 1, -1);             (r == 0: nothing more yet)
 *	}
 *	tend_watch_close(w); */

enum tend_watch_kind {
	TEND_WATCH_OTHER,   /* a line this libtend does not know: ignore it */
	TEND_WATCH_SERVICE, /* verb "add", "remove", "update" or "move"; location; from */
	TEND_WATCH_GROUP,   /* verb: the group's state ("running", ...); name: the group */
	TEND_WATCH_HOST,    /* verb "up" or "down"; name: the host */
	TEND_WATCH_SYNC,    /* index: everything up to it has been reported */
	TEND_WATCH_RESYNC,  /* forget what you knew: a snapshot follows */
};

#define TEND_WATCH_LINE_MAX 8192 /* ev->line's size: longer lines are cut */

struct tend_watch_event {
	enum tend_watch_kind kind;
	char verb[24];	/* "" for SYNC, RESYNC and OTHER */
	uint64_t index; /* the change's (SERVICE, GROUP, HOST); SYNC: the index reached */
	/* SERVICE: the location as it is now (remove: as it was) */
	struct tend_location location;
	struct tend_address from;     /* "move", and "update" that changed the address: where it
				       * was; else empty (host "") */
	char name[TEND_NAME_MAX + 1]; /* the service, group or host; else "" */
	/* The payload as tend sent it (for OTHER, a log, a newer tend); when
	 * tend_watch_next returns -1, why the watch ended. */
	char line[TEND_WATCH_LINE_MAX];
};

struct tend_watch;

/* Connects to RUNDIR/tend.sock (NULL: tend_default_rundir()) and asks to
 * watch what (NULL or "all": everything; "service", "group" or "host": the
 * one called name). since NULL: begin with what is there now. Waits for
 * tend's first line, so that a refused watch fails here: NULL with errno
 * EPROTO and tend's message in msg (e.g. "bad service name"); EINVAL for
 * a `what` it does not know or a missing name; else as tend_connect, or
 * ENOMEM. The connection is non-blocking from then on. */
struct tend_watch *tend_watch_open(const char *rundir, const char *what, const char *name,
				   const uint64_t *since, char *msg, size_t msglen);

/* The connection's descriptor, for poll/epoll (POLLIN); -1 for a NULL w. */
int tend_watch_fd(const struct tend_watch *w);

/* Decodes the next event into ev. Returns 1; or 0 when no complete line has
 * come yet (errno EAGAIN: poll the fd); or -1 when the watch is over, for
 * good, with errno ECONNRESET (tend closed it, or stopped: ev->line then
 * says "tend is exiting"), EPROTO (tend answered an error, in ev->line),
 * EBADMSG (not the protocol), or as read(2) sets it. Only ENOMEM (-1 too)
 * leaves the watch as it was: call again. A line it cannot decode is
 * TEND_WATCH_OTHER, not an error. ev must not be NULL. */
int tend_watch_next(struct tend_watch *w, struct tend_watch_event *ev);

/* Closes the connection and frees w (NULL: nothing). */
void tend_watch_close(struct tend_watch *w);

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

/* The hardware watchdog (`system { watchdog-device = ... }`): a device that
 * resets the machine unless it is pinged within its timeout. tend opens it,
 * sets the timeout and pings it from its event loop at half the timeout
 * (a timer of the loop, no thread), so a tend whose loop hangs resets the
 * machine. For the machine's end (PID 1) the timeout is lengthened once and
 * the pings stop; a tend that ends cleanly otherwise disarms it with the
 * magic close where the driver allows it.
 *
 * The device is reached through struct hwdog_ops (hwdog_linux: open(2),
 * the WDIOC_* ioctls, write(2)), so unit tests drive the schedule with a
 * fake device and the loop's fake clock. */
#ifndef TEND_SYS_HWDOG_H
#define TEND_SYS_HWDOG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/timer.h"

struct hwdog;
struct loop;
struct logger;

/* What the driver says of itself (WDIOC_GETSUPPORT's struct watchdog_info). */
struct hwdog_identity {
	char name[33];	   /* NUL-terminated */
	uint32_t options;  /* WDIOF_* */
	uint32_t firmware; /* firmware_version */
};

/* Each returns 0, or the errno of the failure. */
struct hwdog_ops {
	/* Sets w->fd; ENODEV: not a character device, or no driver. */
	int (*open)(struct hwdog *w, const char *path);
	int (*identify)(struct hwdog *w, struct hwdog_identity *id);
	int (*set_timeout)(struct hwdog *w, unsigned *seconds); /* in: asked; out: taken */
	int (*get_timeout)(struct hwdog *w, unsigned *seconds);
	int (*get_timeleft)(struct hwdog *w, unsigned *seconds);
	int (*ping)(struct hwdog *w);
	/* Closes w->fd, first writing the magic 'V' when magic is true. */
	int (*close)(struct hwdog *w, bool magic);
};

extern const struct hwdog_ops hwdog_linux;

enum hwdog_state {
	HWDOG_OFF,	/* none configured */
	HWDOG_FAILED,	/* configured, but the device could not be opened */
	HWDOG_PINGING,	/* open, pinged from the loop */
	HWDOG_SHUTDOWN, /* the machine's end: the shutdown timeout set, no more pings */
	HWDOG_HELD,	/* open, pings stopped on request (test builds only) */
};

struct hwdog {
	const struct hwdog_ops *ops;
	struct loop *loop;
	struct logger *log;
	struct timer ping; /* the next ping */
	int fd;		   /* -1: closed */
	enum hwdog_state state;
	char *path;		  /* configured; NULL: none */
	unsigned want_s;	  /* watchdog-timeout */
	unsigned shutdown_s;	  /* watchdog-shutdown-timeout */
	unsigned timeout_s;	  /* what the driver runs with; 0: unknown */
	struct hwdog_identity id; /* name "" when the driver did not say */
	uint64_t pings;		  /* made since it was opened */
	uint64_t last_ping_ms;	  /* on the loop's clock; 0: none yet */
	int ping_errno;		  /* of the last ping; 0: it worked */
	char error[160];	  /* the last problem, as reported; "" none */
	void *fake;		  /* unit tests hang their fake device here */
};

/* The pings' interval when the driver's timeout is unknown (it took no
 * timeout and said none): often enough for any real driver. */
#define HWDOG_BLIND_INTERVAL_MS 1000

void hwdog_init(struct hwdog *w, const struct hwdog_ops *ops, struct loop *loop,
		struct logger *log);
/* At start and on every reload: device NULL closes (magic close) a device
 * that is open; another path closes the old one and opens the new one;
 * other timeouts are set on the open device. A device that cannot be
 * opened is tried again at half the timeout (its driver may be a module
 * loaded later). Problems are logged once and kept in w->error; tend goes
 * on. Returns -1 only when out of memory. */
int hwdog_configure(struct hwdog *w, const char *device, unsigned timeout_s, unsigned shutdown_s);
/* The pings' interval: half the driver's timeout. */
uint64_t hwdog_interval_ms(const struct hwdog *w);
/* The machine's end follows (PID 1): the shutdown timeout set, one last
 * ping, the device left open for reboot(2) to end. */
void hwdog_shutdown(struct hwdog *w);
/* tend ends cleanly (not the machine's end): cancel, magic close. */
void hwdog_close(struct hwdog *w);
/* Stops the pings without closing the device (TEND_TEST_HOOKS only: the
 * QEMU test's way to make tend look hung). */
void hwdog_hold(struct hwdog *w);
const char *hwdog_state_name(enum hwdog_state s);

#endif

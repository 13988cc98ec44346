/* The hardware watchdog's life: opened and set, pinged at half its timeout
 * from the loop, lengthened for the machine's end, closed with the magic
 * close. Each problem is logged once (until it changes or goes away): a
 * ping that fails every few seconds must not flood the console. */
#include "sys/hwdog.h"
#include "base/container_of.h"
#include "sys/log.h"
#include "sys/loop.h"

#include <errno.h>
#include <linux/watchdog.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
	[HWDOG_OFF] = "off",	       [HWDOG_FAILED] = "failed", [HWDOG_PINGING] = "pinging",
	[HWDOG_SHUTDOWN] = "shutdown", [HWDOG_HELD] = "held",
};

const char *hwdog_state_name(enum hwdog_state s)
{
	return state_names[s];
}

/* Logs a problem unless it is the one reported last. */
__attribute__((format(printf, 2, 3))) static void problem(struct hwdog *w, const char *fmt, ...)
{
	char text[sizeof(w->error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (strcmp(text, w->error) == 0)
		return;
	snprintf(w->error, sizeof(w->error), "%s", text);
	tend_log(w->log, LOG_ERR, "hardware watchdog %s: %s", w->path ? w->path : "", text);
}

uint64_t hwdog_interval_ms(const struct hwdog *w)
{
	return w->timeout_s ? (uint64_t)w->timeout_s * 1000 / 2 : HWDOG_BLIND_INTERVAL_MS;
}

/* A device that could not be opened may still come (its driver is a
 * module a group loads): tried again at the interval of its pings. */
static unsigned hwdog_retry_ms(const struct hwdog *w)
{
	return w->want_s * 1000 / 2;
}

static void ping_now(struct hwdog *w)
{
	int err = w->ops->ping(w);

	if (err) {
		problem(w, "ping: %s", strerror(err));
	} else {
		if (w->ping_errno) {
			tend_log(w->log, LOG_INFO, "hardware watchdog %s: pings work again",
				 w->path);
			w->error[0] = '\0'; /* the next failure is news again */
		}
		w->pings++;
		w->last_ping_ms = loop_now_ms(w->loop);
	}
	w->ping_errno = err;
}

static void open_device(struct hwdog *w);

static void ping_due(struct timer *tm)
{
	struct hwdog *w = container_of(tm, struct hwdog, ping);

	if (w->state == HWDOG_FAILED)
		return open_device(w);
	if (w->state != HWDOG_PINGING)
		return;
	ping_now(w);
	loop_timer_in(w->loop, &w->ping, hwdog_interval_ms(w));
}

void hwdog_init(struct hwdog *w, const struct hwdog_ops *ops, struct loop *loop, struct logger *log)
{
	*w = (struct hwdog){ .ops = ops, .loop = loop, .log = log, .fd = -1 };
	timer_init(&w->ping, ping_due);
}

/* Asks for seconds; what the driver took is read back (it may round, or
 * take none and keep its own). Returns the errno of the setting, 0 if set. */
static int set_timeout(struct hwdog *w, unsigned seconds)
{
	unsigned took = seconds, now = 0;
	int err = w->ops->set_timeout(w, &took);

	if (w->ops->get_timeout(w, &now) == 0 && now)
		took = now;
	else if (err)
		took = w->timeout_s; /* unchanged, as far as anyone can tell */
	w->timeout_s = took;
	return err;
}

/* Sets watchdog-timeout and arms the pings. */
static void arm(struct hwdog *w)
{
	int err = set_timeout(w, w->want_s);
	const char *why =
	    err == ENOTTY || err == EOPNOTSUPP ? "the driver cannot change it" : strerror(err);

	if (err && w->timeout_s)
		problem(w, "setting the timeout to %us: %s; it keeps %us", w->want_s, why,
			w->timeout_s);
	else if (err)
		problem(
		    w, "setting the timeout to %us: %s; its timeout is unknown: pinging every %dms",
		    w->want_s, why, HWDOG_BLIND_INTERVAL_MS);
	else if (w->timeout_s != w->want_s)
		tend_log(w->log, LOG_WARN,
			 "hardware watchdog %s: the driver runs with %us, not %us", w->path,
			 w->timeout_s, w->want_s);
	w->state = HWDOG_PINGING;
	ping_now(w);
	loop_timer_in(w->loop, &w->ping, hwdog_interval_ms(w));
}

static void open_device(struct hwdog *w)
{
	int err = w->ops->open(w, w->path);

	if (err) {
		w->state = HWDOG_FAILED;
		problem(w, "cannot open it: %s; tend runs on without it, trying again every %ums",
			err == ENODEV ? "not a watchdog (not a character device, or no driver)"
				      : strerror(err),
			hwdog_retry_ms(w));
		loop_timer_in(w->loop, &w->ping, hwdog_retry_ms(w));
		return;
	}
	w->error[0] = '\0';
	w->pings = w->last_ping_ms = 0;
	w->ping_errno = 0;
	w->timeout_s = 0;
	if (w->ops->identify(w, &w->id) != 0)
		w->id = (struct hwdog_identity){ 0 };
	arm(w);
	tend_log(w->log, LOG_INFO, "hardware watchdog %s (%s): timeout %us, pinged every %llums",
		 w->path, w->id.name[0] ? w->id.name : "no identity", w->timeout_s,
		 (unsigned long long)hwdog_interval_ms(w));
}

/* Closes the device: with the magic close where the driver knows it, so
 * that it stops counting; without, closing stops it (unless the kernel was
 * built with nowayout, which nothing can undo). */
static void close_device(struct hwdog *w, const char *why)
{
	bool magic = w->id.options & WDIOF_MAGICCLOSE;
	int err;

	loop_timer_cancel(w->loop, &w->ping);
	if (w->fd < 0)
		return;
	err = w->ops->close(w, magic);
	w->fd = -1;
	if (err)
		tend_log(w->log, LOG_WARN,
			 "hardware watchdog %s: the magic close failed (%s); the machine resets "
			 "in %us unless something pings it",
			 w->path, strerror(err), w->timeout_s);
	else
		tend_log(w->log, LOG_INFO, "hardware watchdog %s closed (%s)%s", w->path, why,
			 magic ? " with the magic close" : "");
}

static bool same_path(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

int hwdog_configure(struct hwdog *w, const char *device, unsigned timeout_s, unsigned shutdown_s)
{
	if (w->state == HWDOG_SHUTDOWN)
		return 0; /* the machine is ending: nothing changes now */
	if (!same_path(device, w->path)) {
		close_device(w, device ? "another device is configured" : "no longer configured");
		free(w->path);
		w->path = NULL;
		w->state = HWDOG_OFF;
		w->error[0] = '\0';
		w->id = (struct hwdog_identity){ 0 };
		if (device && !(w->path = strdup(device)))
			return -1;
	}
	if (!device)
		return 0;
	bool timeout_changed = timeout_s != w->want_s;
	w->want_s = timeout_s;
	w->shutdown_s = shutdown_s;
	if (w->fd < 0)
		open_device(w); /* also a device that failed before: try again */
	else if (timeout_changed && w->state == HWDOG_PINGING)
		arm(w);
	return 0;
}

void hwdog_shutdown(struct hwdog *w)
{
	loop_timer_cancel(w->loop, &w->ping);
	if (w->fd < 0)
		return;
	int err = set_timeout(w, w->shutdown_s);
	if (err && w->timeout_s)
		problem(w, "setting the shutdown timeout to %us: %s; it stays %us", w->shutdown_s,
			strerror(err), w->timeout_s);
	else if (err)
		problem(w, "setting the shutdown timeout to %us: %s; its timeout is unknown",
			w->shutdown_s, strerror(err));
	w->state = HWDOG_SHUTDOWN;
	ping_now(w);
	if (w->timeout_s)
		tend_log(w->log, LOG_INFO,
			 "hardware watchdog %s: %us for the rest of the shutdown, no more pings",
			 w->path, w->timeout_s);
	else
		tend_log(w->log, LOG_INFO, "hardware watchdog %s: no more pings", w->path);
}

void hwdog_close(struct hwdog *w)
{
	close_device(w, "tend ends");
	free(w->path);
	w->path = NULL;
	w->state = HWDOG_OFF;
}

void hwdog_hold(struct hwdog *w)
{
	if (w->state != HWDOG_PINGING)
		return;
	loop_timer_cancel(w->loop, &w->ping);
	w->state = HWDOG_HELD;
	tend_log(w->log, LOG_WARN,
		 "hardware watchdog %s: pings stopped on request; the machine resets within %us",
		 w->path, w->timeout_s);
}

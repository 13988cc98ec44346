/* The hardware watchdog (sys/hwdog.c) driven through its device ops with a
 * fake device and the loop's fake clock: what it asks the driver, when it
 * pings, what it does at the machine's end and at a clean end, on reload,
 * and that each problem is reported once while tend goes on. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/hwdog.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/sys.h"

#define MAX_CALLS 64

/* The fake device: what the driver does, and every call it got. */
struct fake_dev {
	uint64_t now;
	int open_err, set_err, get_err, ping_err, close_err;
	unsigned max_timeout; /* the driver takes at most this; 0: any */
	unsigned timeout;     /* what it runs with */
	uint32_t options;
	char calls[MAX_CALLS][48];
	int ncalls;
};

struct fixture {
	struct sys sys;
	struct logger log;
	struct loop loop;
	struct hwdog w;
	struct fake_dev dev;
	char dir[64];
	char logpath[96];
};

static struct fake_dev *dev_of(struct hwdog *w)
{
	return w->fake;
}

__attribute__((format(printf, 2, 3))) static void call(struct hwdog *w, const char *fmt, ...)
{
	struct fake_dev *d = dev_of(w);
	va_list ap;

	assert_true(d->ncalls < MAX_CALLS);
	va_start(ap, fmt);
	vsnprintf(d->calls[d->ncalls++], sizeof(d->calls[0]), fmt, ap);
	va_end(ap);
}

static int fake_open(struct hwdog *w, const char *path)
{
	call(w, "open %s", path);
	if (dev_of(w)->open_err)
		return dev_of(w)->open_err;
	w->fd = 42;
	return 0;
}

static int fake_identify(struct hwdog *w, struct hwdog_identity *id)
{
	snprintf(id->name, sizeof(id->name), "fake timer");
	id->options = dev_of(w)->options;
	id->firmware = 7;
	return 0;
}

static int fake_set_timeout(struct hwdog *w, unsigned *seconds)
{
	struct fake_dev *d = dev_of(w);

	call(w, "settimeout %u", *seconds);
	if (d->set_err)
		return d->set_err;
	d->timeout = d->max_timeout && *seconds > d->max_timeout ? d->max_timeout : *seconds;
	*seconds = d->timeout;
	return 0;
}

static int fake_get_timeout(struct hwdog *w, unsigned *seconds)
{
	struct fake_dev *d = dev_of(w);

	if (d->get_err)
		return d->get_err;
	*seconds = d->timeout;
	return 0;
}

static int fake_get_timeleft(struct hwdog *w, unsigned *seconds)
{
	(void)w;
	(void)seconds;
	return ENOTTY;
}

static int fake_ping(struct hwdog *w)
{
	call(w, "ping %llu", (unsigned long long)dev_of(w)->now);
	return dev_of(w)->ping_err;
}

static int fake_close(struct hwdog *w, bool magic)
{
	call(w, "close%s", magic ? " magic" : "");
	w->fd = -1;
	return dev_of(w)->close_err;
}

static const struct hwdog_ops fake_dev_ops = {
	.open = fake_open,
	.identify = fake_identify,
	.set_timeout = fake_set_timeout,
	.get_timeout = fake_get_timeout,
	.get_timeleft = fake_get_timeleft,
	.ping = fake_ping,
	.close = fake_close,
};

static uint64_t fake_now(struct sys *s)
{
	return ((struct fixture *)s->fake)->dev.now;
}

static const struct sys_ops clock_ops = { .now_ms = fake_now };

/* tend's messages also go to a log file, so that a test counts them. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/tend-test-hwdog-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->logpath, sizeof(f->logpath), "%s/tend.log", f->dir);
	f->sys = (struct sys){ .ops = &clock_ops, .fake = f };
	f->log = (struct logger){ .verbosity = LOG_INFO };
	logfile_init(&f->log.file, f->logpath);
	loop_wire(&f->loop, &f->sys, &f->log);
	hwdog_init(&f->w, &fake_dev_ops, &f->loop, &f->log);
	f->w.fake = &f->dev;
	f->dev.now = 1000;
	f->dev.options = WDIOF_SETTIMEOUT | WDIOF_MAGICCLOSE | WDIOF_KEEPALIVEPING;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	hwdog_close(&f->w);
	timer_heap_free(&f->loop.timers);
	logfile_close(&f->log.file);
	unlink(f->logpath);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* How many of tend's messages so far contain text. */
static int messages(struct fixture *f, const char *text)
{
	char line[512];
	int n = 0;
	FILE *in = fopen(f->logpath, "r");

	assert_non_null(in);
	while (fgets(line, sizeof(line), in))
		n += strstr(line, text) != NULL;
	fclose(in);
	return n;
}

/* Moves the clock to `to` and fires what is due. */
static void run_until(struct fixture *f, uint64_t to)
{
	f->dev.now = to;
	timers_run_due(&f->loop);
}

static int count_calls(struct fixture *f, const char *prefix)
{
	int n = 0;

	for (int i = 0; i < f->dev.ncalls; i++)
		n += strncmp(f->dev.calls[i], prefix, strlen(prefix)) == 0;
	return n;
}

static const char *last_call(struct fixture *f)
{
	return f->dev.ncalls ? f->dev.calls[f->dev.ncalls - 1] : "";
}

static void opens_sets_the_timeout_and_pings_at_half_of_it(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(hwdog_configure(&f->w, "/dev/watchdog", 10, 600), 0);
	assert_int_equal(f->dev.ncalls, 3);
	assert_string_equal(f->dev.calls[0], "open /dev/watchdog");
	assert_string_equal(f->dev.calls[1], "settimeout 10");
	assert_string_equal(f->dev.calls[2], "ping 1000"); /* at once */
	assert_int_equal(f->w.state, HWDOG_PINGING);
	assert_int_equal(f->w.timeout_s, 10);
	assert_int_equal(hwdog_interval_ms(&f->w), 5000);
	run_until(f, 5999);
	assert_int_equal(count_calls(f, "ping"), 1);
	run_until(f, 6000);
	assert_string_equal(last_call(f), "ping 6000");
	run_until(f, 11000);
	run_until(f, 16000);
	assert_int_equal(count_calls(f, "ping"), 4);
	assert_int_equal(f->w.pings, 4);
	assert_int_equal(f->w.last_ping_ms, 16000);
	assert_string_equal(f->w.id.name, "fake timer");
	assert_int_equal(messages(f, "timeout 10s, pinged every 5000ms"), 1);
}

/* The driver took less than asked: the pings follow what it took. */
static void the_timeout_is_read_back_from_the_driver(void **state)
{
	struct fixture *f = *state;

	f->dev.max_timeout = 8;
	hwdog_configure(&f->w, "/dev/watchdog", 30, 600);
	assert_int_equal(f->w.timeout_s, 8);
	assert_int_equal(hwdog_interval_ms(&f->w), 4000);
	run_until(f, 5000);
	assert_string_equal(last_call(f), "ping 5000");
	assert_int_equal(messages(f, "the driver runs with 8s, not 30s"), 1);
}

/* A driver that cannot change its timeout: the pings follow the one it
 * says it has; one that says none either: every second. Reported once. */
static void a_driver_without_settimeout_keeps_its_own(void **state)
{
	struct fixture *f = *state;

	f->dev.set_err = ENOTTY;
	f->dev.timeout = 60;
	hwdog_configure(&f->w, "/dev/watchdog", 10, 600);
	assert_int_equal(f->w.state, HWDOG_PINGING);
	assert_int_equal(hwdog_interval_ms(&f->w), 30000);
	assert_non_null(strstr(f->w.error, "the driver cannot change it; it keeps 60s"));
	hwdog_close(&f->w);

	f->dev.get_err = ENOTTY;
	hwdog_configure(&f->w, "/dev/watchdog", 10, 600);
	assert_int_equal(f->w.timeout_s, 0);
	assert_int_equal(hwdog_interval_ms(&f->w), HWDOG_BLIND_INTERVAL_MS);
	run_until(f, 2000);
	assert_string_equal(last_call(f), "ping 2000");
	assert_int_equal(messages(f, "its timeout is unknown: pinging every 1000ms"), 1);
}

/* No such device: said once however often conf.d is reloaded; tend goes
 * on; a reload once the device is there opens it. */
static void a_missing_device_is_reported_once_and_tried_on_reload(void **state)
{
	struct fixture *f = *state;

	f->dev.open_err = ENOENT;
	assert_int_equal(hwdog_configure(&f->w, "/dev/watchdog", 10, 600), 0);
	assert_int_equal(f->w.state, HWDOG_FAILED);
	assert_int_equal(f->w.fd, -1);
	hwdog_configure(&f->w, "/dev/watchdog", 10, 600);
	hwdog_configure(&f->w, "/dev/watchdog", 10, 600);
	assert_int_equal(messages(f, "cannot open it: No such file or directory; tend runs on "
				     "without it, trying again every 5000ms"),
			 1);
	assert_int_equal(count_calls(f, "open"), 3);
	f->dev.open_err = 0;
	hwdog_configure(&f->w, "/dev/watchdog", 10, 600);
	assert_int_equal(f->w.state, HWDOG_PINGING);
	assert_string_equal(f->w.error, "");
}

/* A device whose driver comes later (a module a group loads): tried again
 * at half the timeout, without a message each time, then pinged. */
static void a_device_that_comes_later_is_opened_then(void **state)
{
	struct fixture *f = *state;

	f->dev.open_err = ENOENT;
	hwdog_configure(&f->w, "/dev/watchdog", 10, 600);
	run_until(f, 6000);
	run_until(f, 11000);
	assert_int_equal(count_calls(f, "open"), 3);
	assert_int_equal(messages(f, "cannot open it"), 1);
	f->dev.open_err = 0;
	run_until(f, 16000);
	assert_int_equal(f->w.state, HWDOG_PINGING);
	assert_string_equal(last_call(f), "ping 16000");
	run_until(f, 21000);
	assert_string_equal(last_call(f), "ping 21000");
	assert_int_equal(count_calls(f, "open"), 4);
}

/* A ping that fails: said once, not at every ping; and when it works again. */
static void a_failing_ping_is_reported_once(void **state)
{
	struct fixture *f = *state;

	hwdog_configure(&f->w, "/dev/watchdog", 4, 600);
	f->dev.ping_err = EIO;
	for (uint64_t t = 3000; t <= 21000; t += 2000)
		run_until(f, t);
	assert_int_equal(count_calls(f, "ping"), 11);
	assert_int_equal(f->w.pings, 1);
	assert_int_equal(messages(f, "ping: Input/output error"), 1);
	f->dev.ping_err = 0;
	run_until(f, 23000);
	assert_int_equal(f->w.pings, 2);
	assert_int_equal(messages(f, "pings work again"), 1);
}

/* The machine's end: the longer timeout, one ping, then none; the device
 * stays open for reboot(2). */
static void the_shutdown_lengthens_the_timeout_and_stops_pinging(void **state)
{
	struct fixture *f = *state;

	hwdog_configure(&f->w, "/dev/watchdog", 10, 120);
	run_until(f, 3000);
	hwdog_shutdown(&f->w);
	assert_string_equal(f->dev.calls[f->dev.ncalls - 2], "settimeout 120");
	assert_string_equal(last_call(f), "ping 3000");
	assert_int_equal(f->w.state, HWDOG_SHUTDOWN);
	assert_int_equal(f->w.timeout_s, 120);
	assert_false(timer_armed(&f->w.ping));
	int n = f->dev.ncalls;
	run_until(f, 100000);
	assert_int_equal(f->dev.ncalls, n);
	assert_int_equal(f->w.fd, 42);
	/* a reload while the machine ends changes nothing */
	hwdog_configure(&f->w, NULL, 0, 0);
	assert_int_equal(f->w.fd, 42);
	f->w.fd = -1; /* so that teardown does not close it */
}

/* A shutdown timeout the driver refuses: it keeps the running one, says so. */
static void a_refused_shutdown_timeout_keeps_the_running_one(void **state)
{
	struct fixture *f = *state;

	hwdog_configure(&f->w, "/dev/watchdog", 10, 600);
	f->dev.set_err = EINVAL;
	hwdog_shutdown(&f->w);
	assert_int_equal(f->w.timeout_s, 10);
	assert_int_equal(messages(f, "setting the shutdown timeout to 600s: Invalid argument; "
				     "it stays 10s"),
			 1);
	f->w.fd = -1;
}

/* A clean end: the magic close where the driver knows it, else a plain one. */
static void a_clean_end_disarms_with_the_magic_close(void **state)
{
	struct fixture *f = *state;

	hwdog_configure(&f->w, "/dev/watchdog", 10, 600);
	hwdog_close(&f->w);
	assert_string_equal(last_call(f), "close magic");
	assert_int_equal(f->w.state, HWDOG_OFF);
	assert_false(timer_armed(&f->w.ping));

	f->dev.options = WDIOF_SETTIMEOUT;
	hwdog_configure(&f->w, "/dev/watchdog", 10, 600);
	hwdog_close(&f->w);
	assert_string_equal(last_call(f), "close");
}

/* Reload: a new timeout is set on the open device and the pings follow
 * it; another device replaces it; none closes it. */
static void a_reload_applies_the_change(void **state)
{
	struct fixture *f = *state;

	hwdog_configure(&f->w, "/dev/watchdog", 10, 600);
	run_until(f, 2000);
	hwdog_configure(&f->w, "/dev/watchdog", 20, 600);
	assert_string_equal(f->dev.calls[f->dev.ncalls - 2], "settimeout 20");
	assert_string_equal(last_call(f), "ping 2000");
	run_until(f, 11999);
	assert_string_equal(last_call(f), "ping 2000");
	run_until(f, 12000);
	assert_string_equal(last_call(f), "ping 12000");
	int n = f->dev.ncalls;
	hwdog_configure(&f->w, "/dev/watchdog", 20, 900); /* only the shutdown's */
	assert_int_equal(f->dev.ncalls, n);
	assert_int_equal(f->w.shutdown_s, 900);

	hwdog_configure(&f->w, "/dev/watchdog1", 20, 900);
	assert_string_equal(f->dev.calls[n], "close magic");
	assert_string_equal(f->dev.calls[n + 1], "open /dev/watchdog1");
	assert_string_equal(f->w.path, "/dev/watchdog1");

	hwdog_configure(&f->w, NULL, 0, 0);
	assert_string_equal(last_call(f), "close magic");
	assert_int_equal(f->w.state, HWDOG_OFF);
	assert_null(f->w.path);
	n = f->dev.ncalls;
	run_until(f, 100000);
	assert_int_equal(f->dev.ncalls, n);
}

/* The test builds' hold: the pings stop, the device stays open. */
static void hold_stops_the_pings(void **state)
{
	struct fixture *f = *state;

	hwdog_configure(&f->w, "/dev/watchdog", 10, 600);
	hwdog_hold(&f->w);
	assert_int_equal(f->w.state, HWDOG_HELD);
	run_until(f, 60000);
	assert_int_equal(count_calls(f, "ping"), 1);
	assert_int_equal(f->w.fd, 42);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(opens_sets_the_timeout_and_pings_at_half_of_it),
		T(the_timeout_is_read_back_from_the_driver),
		T(a_driver_without_settimeout_keeps_its_own),
		T(a_missing_device_is_reported_once_and_tried_on_reload),
		T(a_device_that_comes_later_is_opened_then),
		T(a_failing_ping_is_reported_once),
		T(the_shutdown_lengthens_the_timeout_and_stops_pinging),
		T(a_refused_shutdown_timeout_keeps_the_running_one),
		T(a_clean_end_disarms_with_the_magic_close),
		T(a_reload_applies_the_change),
		T(hold_stops_the_pings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

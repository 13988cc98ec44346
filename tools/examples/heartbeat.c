/* heartbeat: a process that kicks tend's watchdog, as an example of libtend.
 *
 * Declare it with a watchdog, e.g. in conf.d:
 *	process "beat" { command = "heartbeat --interval 200"  watchdog = 1s }
 * and it kicks every 200 ms, leaving "tick N" as its state text; tendctl
 * shows the text, and tend logs it if the process hangs.
 *
 *   heartbeat [--interval MS] [--state TEXT] [--hang-after N] [--suspend-after N]
 *
 * --interval MS      time between kicks (default 100)
 * --state TEXT       state text prefix (default "tick")
 * --hang-after N     after N kicks stop kicking but keep running: tend
 *                    should find it hung
 * --suspend-after N  after N kicks suspend the watchdog and stop kicking:
 *                    tend should leave it alone
 *
 * Build against an installed libtend:
 *	cc -o heartbeat heartbeat.c $(pkg-config --cflags --libs tend)
 * Exit status: 2 on bad usage or if the watchdog cannot be opened. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* nanosleep, pause: also with -std=c11 */
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tend.h>

struct options {
	long interval_ms, hang_after, suspend_after; /* -1: never */
	const char *state;
};

static void usage(void)
{
	fprintf(stderr, "usage: heartbeat [--interval MS] [--state TEXT] [--hang-after N] "
			"[--suspend-after N]\n");
	exit(2);
}

static long number(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = s ? strtol(s, &end, 10) : -1;
	if (!s || errno || end == s || *end || v < 0)
		usage();
	return v;
}

static void parse(int argc, char **argv, struct options *o)
{
	*o = (struct options){
		.interval_ms = 100, .hang_after = -1, .suspend_after = -1, .state = "tick"
	};
	for (int i = 1; i < argc; i += 2) { /* every option takes a value */
		const char *arg = argv[i], *val = argv[i + 1];

		if (strcmp(arg, "--interval") == 0)
			o->interval_ms = number(val);
		else if (strcmp(arg, "--hang-after") == 0)
			o->hang_after = number(val);
		else if (strcmp(arg, "--suspend-after") == 0)
			o->suspend_after = number(val);
		else if (strcmp(arg, "--state") == 0 && val)
			o->state = val;
		else
			usage();
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Goes on running without kicking (until tend stops it). */
static _Noreturn void idle(void)
{
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	struct tend_watchdog *wd;
	struct options o;
	char why[256];

	parse(argc, argv, &o);
	wd = tend_watchdog_open(why, sizeof(why));
	if (!wd) {
		fprintf(stderr, "heartbeat: %s\n", why);
		return 2;
	}
	tend_watchdog_set_state(wd, "starting");
	/* Ready: the next process of the group may start. */
	if (tend_ready() < 0)
		perror("heartbeat: cannot tell tend it is ready");

	for (long kicks = 0;; kicks++) {
		if (kicks == o.hang_after) {
			tend_watchdog_set_state(wd, "hung after %ld kicks", kicks);
			idle();
		}
		if (kicks == o.suspend_after) {
			tend_watchdog_set_state(wd, "suspended after %ld kicks", kicks);
			tend_watchdog_suspend(wd);
			idle();
		}
		tend_watchdog_kick(wd);
		tend_watchdog_set_state(wd, "%s %ld", o.state, kicks + 1);
		sleep_ms(o.interval_ms);
	}
}

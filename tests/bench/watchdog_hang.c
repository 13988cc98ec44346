/* The hanging process of the watchdog detection benchmark (see
 * tests/bench/watchdog-latency.sh): kicks its tend watchdog a few times,
 * notes when it kicked last, stops kicking, and when tend's SIGABRT
 * arrives appends to RESULTS how long after the last kick that was, in
 * microseconds. tend then restarts it and the next round begins.
 *
 *   watchdog_hang RESULTS
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tend.h"

static const char *results;
static struct timespec last_kick;

static long long since_last_kick_us(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - last_kick.tv_sec) * 1000000LL +
	       (now.tv_nsec - last_kick.tv_nsec) / 1000;
}

/* Runs on SIGABRT: only async-signal-safe calls. */
static void on_abort(int sig)
{
	(void)sig;
	char line[32];
	long long us = since_last_kick_us();
	int n = 0;
	char digits[24];
	int k = 0;
	do
		digits[k++] = (char)('0' + us % 10);
	while ((us /= 10) > 0 && k < 23);
	while (k)
		line[n++] = digits[--k];
	line[n++] = '\n';
	int fd = open(results, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) < 0) {
			/* nothing to do about it in a signal handler */
		}
		close(fd);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	char why[256];
	if (argc != 2) {
		fprintf(stderr, "usage: watchdog_hang RESULTS\n");
		return 2;
	}
	results = argv[1];
	struct tend_watchdog *wd = tend_watchdog_open(why, sizeof(why));
	if (!wd) {
		fprintf(stderr, "watchdog_hang: %s\n", why);
		return 2;
	}
	signal(SIGABRT, on_abort);
	struct timespec tick = { .tv_nsec = 5 * 1000000L };
	for (int i = 0; i < 5; i++) {
		nanosleep(&tick, NULL);
		tend_watchdog_kick(wd);
	}
	/* The kick reads the clock too; take ours right after it. */
	clock_gettime(CLOCK_MONOTONIC, &last_kick);
	for (;;)
		pause();
}

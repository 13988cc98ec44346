/* watch_service: follows a service in tend's services directory and prints
 * each change, one line each, until interrupted (SIGINT, SIGTERM), as an
 * example of libtend's watch: a poll loop, no thread.
 *
 *   watch_service NAME
 *
 * prints first the locations there are now (as "add"), then "sync INDEX",
 * then a line per change as it happens:
 *
 *   add NAME ADDRESS index N
 *   remove NAME ADDRESS index N
 *   update NAME ADDRESS index N        (new context, owner or flags)
 *   move NAME FROM -> ADDRESS index N  (the same owner's location, elsewhere)
 *   resync                             (forget the above: they follow anew)
 *
 * It talks to the tend of $TEND_RUNDIR (else the default run directory).
 *
 * Build against an installed libtend:
 *	cc -o watch_service watch_service.c $(pkg-config --cflags --libs tend)
 * Exit status: 0 when interrupted; 1 if the watch could not be opened or
 * ended (tend stopped: the reason on stderr); 2 on bad usage. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ppoll */
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <tend.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void print_event(const struct tend_watch_event *ev)
{
	char addr[256], from[256];

	switch (ev->kind) {
	case TEND_WATCH_SERVICE:
		tend_location_address(&ev->location, addr, sizeof(addr));
		if (ev->from.host[0]) { /* a move, or an update to another address */
			tend_address_text(&ev->from, from, sizeof(from));
			printf("%s %s %s -> %s index %llu\n", ev->verb, ev->name, from, addr,
			       (unsigned long long)ev->index);
		} else {
			printf("%s %s %s index %llu\n", ev->verb, ev->name, addr,
			       (unsigned long long)ev->index);
		}
		break;
	case TEND_WATCH_SYNC:
		printf("sync %llu\n", (unsigned long long)ev->index);
		break;
	case TEND_WATCH_RESYNC:
		printf("resync\n");
		break;
	default: /* groups, hosts, and what this program does not know */
		return;
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	static struct tend_watch_event ev; /* 10 KiB: not on the stack */
	struct tend_watch *w;
	sigset_t block, unblocked;
	struct pollfd pfd;
	char msg[512];
	int r, status = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: watch_service NAME\n");
		return 2;
	}
	/* The signals are blocked but while ppoll waits: one that comes just
	 * before it waits still ends the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &unblocked);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	w = tend_watch_open(NULL, "service", argv[1], NULL, msg, sizeof(msg));
	if (!w) {
		fprintf(stderr, "watch_service: %s\n", msg);
		return 1;
	}
	pfd = (struct pollfd){ .fd = tend_watch_fd(w), .events = POLLIN };
	while (!stop) {
		r = tend_watch_next(w, &ev);
		if (r > 0) {
			print_event(&ev);
			continue;
		}
		if (r < 0) {
			fprintf(stderr, "watch_service: the watch ended: %s\n", ev.line);
			status = 1;
			break;
		}
		/* Nothing more for now: wait for tend, or a signal. */
		if (ppoll(&pfd, 1, NULL, &unblocked) < 0 && errno != EINTR) {
			perror("watch_service: poll");
			status = 1;
			break;
		}
	}
	tend_watch_close(w);
	return status;
}

/* lookup_service: prints where a service is offered, one location a line,
 * as an example of libtend's tend_service_lookup.
 *
 *   lookup_service NAME
 *
 * prints, for each location of NAME in tend's services directory:
 *
 *   ADDRESS owner OWNER [proxy] [context KEY=VALUE; KEY=VALUE...]
 *
 * where OWNER is GROUP/PROCESS (declared in conf.d), "pid N" (coupled to
 * that process) or "uid N, decoupled". It talks to the tend of
 * $TEND_RUNDIR (else the default run directory).
 *
 * Build against an installed libtend:
 *	cc -o lookup_service lookup_service.c $(pkg-config --cflags --libs tend)
 * Exit status: 1 if NAME has no location (or tend refused), 2 on bad usage. */
#include <stdio.h>
#include <unistd.h>

#include <tend.h>

#define SHOWN 8

static void print_location(const struct tend_location *l)
{
	char addr[256];
	const char *entry;
	size_t i;

	tend_location_address(l, addr, sizeof(addr));
	printf("%s owner ", addr);
	if (l->owner == TEND_OWNER_PROCESS)
		printf("%s/%s", l->group, l->process);
	else if (l->owner == TEND_OWNER_PID)
		printf("pid %ld", (long)l->owner_pid);
	else
		printf("uid %lu, decoupled", (unsigned long)l->owner_uid);
	if (l->proxy)
		printf(" proxy");
	for (i = 0; (entry = tend_location_context(l, i)); i++)
		printf("%s%s", i ? "; " : " context ", entry);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct tend_location locs[SHOWN]; /* about 1.5 KiB each */
	char msg[512];
	int fd, n, i;

	if (argc != 2) {
		fprintf(stderr, "usage: lookup_service NAME\n");
		return 2;
	}
	fd = tend_connect(NULL);
	if (fd < 0) {
		perror("lookup_service: cannot connect to tend");
		return 1;
	}
	n = tend_service_lookup(fd, argv[1], locs, SHOWN, msg, sizeof(msg));
	close(fd);
	if (n < 0) {
		fprintf(stderr, "lookup_service: %s\n", msg);
		return 1;
	}
	if (n == 0) {
		fprintf(stderr, "lookup_service: nobody offers %s\n", argv[1]);
		return 1;
	}
	for (i = 0; i < n && i < SHOWN; i++)
		print_location(&locs[i]);
	if (n > SHOWN)
		printf("... and %d more\n", n - SHOWN);
	return 0;
}

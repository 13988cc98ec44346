/* register_decoupled: registers a decoupled location in tend's services
 * directory and exits, as an example of libtend. The location stays after
 * the program is gone, until `tendctl service deregister NAME` (a coupled
 * one would go with the process that registered it).
 *
 *   register_decoupled NAME [--host H] [--port P] [--proto tcp|udp|unix]
 *                      [--path PATH] [--context KEY=VALUE]... [--proxy]
 *
 * It talks to the tend of $TEND_RUNDIR (else the default run directory)
 * and prints tend's answer: "service NAME at ADDRESS index N".
 *
 * Build against an installed libtend:
 *	cc -o register_decoupled register_decoupled.c $(pkg-config --cflags --libs tend)
 * Exit status: 1 if tend refused (its message on stderr), 2 on bad usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tend.h>

static void usage(void)
{
	fprintf(stderr, "usage: register_decoupled NAME [--host H] [--port P] "
			"[--proto tcp|udp|unix] [--path PATH] [--context KEY=VALUE]... "
			"[--proxy]\n");
	exit(2);
}

static unsigned port_number(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > 65535)
		usage();
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	const char *context[TEND_SERVICE_CONTEXT_MAX + 1] = { 0 };
	struct tend_service_spec spec = { .decoupled = true, .context = context };
	size_t ncontext = 0;
	char msg[512];
	int fd, i;

	for (i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(opt, "--proxy") == 0) {
			spec.proxy = true;
			continue;
		}
		if (opt[0] != '-') {
			if (spec.name)
				usage();
			spec.name = opt;
			continue;
		}
		if (!val)
			usage();
		i++;
		if (strcmp(opt, "--host") == 0)
			spec.host = val;
		else if (strcmp(opt, "--port") == 0)
			spec.port = port_number(val);
		else if (strcmp(opt, "--proto") == 0)
			spec.proto = val;
		else if (strcmp(opt, "--path") == 0)
			spec.path = val;
		else if (strcmp(opt, "--context") == 0 && ncontext < TEND_SERVICE_CONTEXT_MAX)
			context[ncontext++] = val;
		else
			usage();
	}
	if (!spec.name)
		usage();

	fd = tend_connect(NULL);
	if (fd < 0) {
		perror("register_decoupled: cannot connect to tend");
		return 1;
	}
	if (tend_service_register(fd, &spec, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "register_decoupled: %s\n", msg);
		close(fd);
		return 1;
	}
	printf("%s\n", msg);
	close(fd);
	return 0;
}

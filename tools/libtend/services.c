/* The services directory's requests: register, deregister, lookup (see
 * tend.h). Each is one request line and its reply, through client.c. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "services_parse.h"
#include "tend.h"

/* "service register NAME" and at most: --host, --port, --proto, --path,
 * 16 --context, --pid or --decoupled, --proxy; each with its value. */
#define REGISTER_ARGS (3 + 2 * (4 + TEND_SERVICE_CONTEXT_MAX + 1) + 1 + 1)

/* Refuses a call before asking tend: -1, EINVAL, msg says why. */
static int refuse(char *msg, size_t msglen, const char *why)
{
	libtend_set_msg(msg, msglen, "%s", why);
	errno = EINVAL;
	return -1;
}

/* libtend_request's result as the services calls return it. */
static int finish(int ret)
{
	if (ret == LIBTEND_REFUSED) {
		errno = EPROTO;
		return -1;
	}
	return ret < 0 ? -1 : 0;
}

/* Builds the register request into argv (REGISTER_ARGS slots), with the
 * numbers in port and pid. NULL, or why spec is refused. */
static const char *register_argv(const struct tend_service_spec *spec, const char **argv,
				 char *port, size_t portlen, char *pid, size_t pidlen)
{
	size_t n = 0, i;

	if (!spec || !spec->name)
		return "no service name";
	if (spec->decoupled && spec->pid)
		return "a decoupled location has no owner pid";
	if (spec->pid < 0)
		return "bad pid";
	argv[n++] = "service";
	argv[n++] = "register";
	argv[n++] = spec->name;
	if (spec->host) {
		argv[n++] = "--host";
		argv[n++] = spec->host;
	}
	if (spec->port) {
		snprintf(port, portlen, "%u", spec->port);
		argv[n++] = "--port";
		argv[n++] = port;
	}
	if (spec->proto) {
		argv[n++] = "--proto";
		argv[n++] = spec->proto;
	}
	if (spec->path) {
		argv[n++] = "--path";
		argv[n++] = spec->path;
	}
	for (i = 0; spec->context && spec->context[i]; i++) {
		if (i == TEND_SERVICE_CONTEXT_MAX)
			return "more than 16 context entries";
		argv[n++] = "--context";
		argv[n++] = spec->context[i];
	}
	if (spec->pid) {
		snprintf(pid, pidlen, "%ld", (long)spec->pid);
		argv[n++] = "--pid";
		argv[n++] = pid;
	}
	if (spec->decoupled)
		argv[n++] = "--decoupled";
	if (spec->proxy)
		argv[n++] = "--proxy";
	argv[n] = NULL;
	return NULL;
}

int tend_service_register(int fd, const struct tend_service_spec *spec, char *msg, size_t msglen)
{
	const char *argv[REGISTER_ARGS];
	char port[16], pid[24];
	const char *why = register_argv(spec, argv, port, sizeof(port), pid, sizeof(pid));

	if (why)
		return refuse(msg, msglen, why);
	return finish(libtend_request(fd, (char *const *)argv, NULL, NULL, msg, msglen));
}

int tend_service_deregister(int fd, const char *name, const char *host, unsigned port, char *msg,
			    size_t msglen)
{
	const char *argv[8];
	char portbuf[16];
	size_t n = 0;

	if (!name)
		return refuse(msg, msglen, "no service name");
	argv[n++] = "service";
	argv[n++] = "deregister";
	argv[n++] = name;
	if (host) {
		argv[n++] = "--host";
		argv[n++] = host;
	}
	if (port) {
		snprintf(portbuf, sizeof(portbuf), "%u", port);
		argv[n++] = "--port";
		argv[n++] = portbuf;
	}
	argv[n] = NULL;
	return finish(libtend_request(fd, (char *const *)argv, NULL, NULL, msg, msglen));
}

/* ---- lookup ---- */

struct lookup {
	struct tend_location *out;
	size_t max, count;
	const char *bad; /* why the first line that could not be read was not */
	int bad_errno;
};

/* One data line: a location. Reads on to the status line even past a bad
 * one, so that the connection stays usable. */
static int lookup_line(const char *payload, void *arg)
{
	struct lookup *lk = arg;
	const char *why = NULL;

	if (lk->count < lk->max && svc_parse_location(payload, &lk->out[lk->count], &why) < 0 &&
	    !lk->bad) {
		lk->bad = why ? why : "out of memory";
		lk->bad_errno = errno;
	}
	lk->count++;
	return 0;
}

int tend_service_lookup(int fd, const char *name, struct tend_location *out, size_t max, char *msg,
			size_t msglen)
{
	static const char no_such[] = "no such service: ";
	struct lookup lk = { .out = out, .max = out ? max : 0 };
	const char *argv[] = { "service", "lookup", name, NULL };
	char text[512]; /* tend's message, whatever msglen is */
	int ret;

	if (!name)
		return refuse(msg, msglen, "no service name");
	ret = libtend_request(fd, (char *const *)argv, lookup_line, &lk, text, sizeof(text));
	libtend_set_msg(msg, msglen, "%s", text);
	/* Nobody offers it: no locations, not an error. */
	if (ret == LIBTEND_REFUSED && strncmp(text, no_such, sizeof(no_such) - 1) == 0 &&
	    strcmp(text + sizeof(no_such) - 1, name) == 0)
		return 0;
	if (finish(ret) < 0)
		return -1;
	if (lk.bad) {
		libtend_set_msg(msg, msglen, "cannot read a location from tend: %s", lk.bad);
		errno = lk.bad_errno == ENOMEM ? ENOMEM : EBADMSG;
		return -1;
	}
	return lk.count > (size_t)INT_MAX ? INT_MAX : (int)lk.count;
}

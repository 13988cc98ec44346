/* The services directory's requests: `service list|lookup|register|
 * deregister` (README "Services directory"). */
#include "control/commands.h"
#include "control/server.h"
#include "services/directory.h"
#include "sys/log.h"
#include "base/json.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One service: its locations as text lines, or its JSON members
 * "name":...,"locations":[...] (no braces). */
static void service_out(struct buf *out, const struct location *first, bool json)
{
	if (json) {
		buf_puts(out, "\"name\":");
		json_str(out, first->name);
		buf_puts(out, ",\"locations\":[");
	}
	for (const struct location *l = first; l; l = directory_next_of_name(l)) {
		if (json) {
			buf_puts(out, l == first ? "{" : ",{");
			location_json_members(out, l, l->index);
			buf_puts(out, "}");
		} else {
			location_text(out, l, l->index);
			buf_puts(out, "\n");
		}
	}
	if (json)
		buf_puts(out, "]");
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct location *const *)a)->name, (*(struct location *const *)b)->name);
}

/* The first location of every name, sorted by name (a name's locations
 * follow its first); NULL: out of memory. */
static struct location **sorted_names(const struct directory *d)
{
	struct location **v = calloc(d->nservices + 1, sizeof(*v));
	const struct location *prev = NULL;
	size_t cursor = 0, k = 0;
	if (!v)
		return NULL;
	for (struct location *l = directory_next(d, &cursor, NULL); l && k < d->nservices;
	     prev = l, l = directory_next(d, &cursor, l))
		if (!prev || strcmp(prev->name, l->name) != 0)
			v[k++] = l;
	qsort(v, k, sizeof(*v), by_name);
	return v;
}

static void service_list(struct directory *d, struct client *c, char **argv)
{
	bool json = argv[0] && strcmp(argv[0], "--json") == 0;
	if (argv[json])
		return client_err(c, "usage: service list [--json]");
	if (!d->nservices && !json)
		return client_ok(c, "no services");
	struct location **v = sorted_names(d);
	if (!v)
		return client_err(c, "out of memory");
	struct buf out = { 0 };
	if (json)
		buf_printf(&out, "{\"index\":%llu,\"services\":[",
			   (unsigned long long)d->journal.index);
	for (size_t i = 0; i < d->nservices; i++) {
		buf_puts(&out, json ? (i ? ",{" : "{") : "");
		service_out(&out, v[i], json);
		buf_puts(&out, json ? "}" : "");
	}
	if (json)
		buf_puts(&out, "]}");
	free(v);
	client_reply_buf(c, &out);
}

static void service_lookup(struct directory *d, struct client *c, char **argv)
{
	bool json = false;
	const char *name = NULL;
	for (char **a = argv; *a; a++) {
		if (strcmp(*a, "--json") == 0)
			json = true;
		else if (**a == '-' || name)
			return client_err(c, "usage: service lookup NAME [--json]");
		else
			name = *a;
	}
	if (!name)
		return client_err(c, "usage: service lookup NAME [--json]");
	if (!valid_service_name(name))
		return client_err(c, "bad service name: %.80s", name);
	struct location *first = directory_find(d, name);
	if (!first)
		return client_err(c, "no such service: %s", name);
	struct buf out = { 0 };
	if (json)
		buf_printf(&out, "{\"index\":%llu,", (unsigned long long)d->journal.index);
	service_out(&out, first, json);
	if (json)
		buf_puts(&out, "}");
	client_reply_buf(c, &out);
}

/* What a register request asks for. */
struct register_args {
	struct location_spec spec;
	char *context[SERVICE_CONTEXT_MAX + 1];
	size_t ncontext;
	bool decoupled, pid_given;
};

static const char register_usage[] =
    "usage: service register NAME [--host H] [--port P] [--proto tcp|udp|unix] "
    "[--path PATH] [--context K=V]... [--pid PID | --decoupled] [--proxy]";

/* Fills a from argv (after "register"); NULL, or what is wrong. */
static const char *parse_register(char **argv, struct register_args *a)
{
	unsigned long long v;
	for (char **w = argv; *w; w++) {
		const char *arg = w[1];
		if (**w != '-') {
			if (a->spec.name)
				return register_usage;
			a->spec.name = *w;
			continue;
		}
		if (strcmp(*w, "--decoupled") == 0) {
			a->decoupled = true;
			continue;
		}
		if (strcmp(*w, "--proxy") == 0) {
			a->spec.proxy = true;
			continue;
		}
		if (!arg)
			return register_usage;
		w++;
		if (strcmp(w[-1], "--host") == 0)
			a->spec.host = arg;
		else if (strcmp(w[-1], "--path") == 0)
			a->spec.path = arg;
		else if (strcmp(w[-1], "--port") == 0) {
			if (!request_number(arg, 1, 65535, &v))
				return "bad port: 1 to 65535";
			a->spec.port = (unsigned)v;
		} else if (strcmp(w[-1], "--proto") == 0) {
			if (service_proto_parse(arg, &a->spec.proto) < 0)
				return "bad protocol: tcp, udp or unix";
		} else if (strcmp(w[-1], "--pid") == 0) {
			if (!request_number(arg, 1, 0x7fffffff, &v))
				return "bad pid";
			a->spec.pid = (pid_t)v;
			a->pid_given = true;
		} else if (strcmp(w[-1], "--context") == 0) {
			if (a->ncontext >= SERVICE_CONTEXT_MAX)
				return "more than 16 context entries";
			a->context[a->ncontext++] = w[0];
		} else {
			return register_usage;
		}
	}
	if (!a->spec.name || (a->decoupled && a->pid_given))
		return register_usage;
	return NULL;
}

static void service_register(struct directory *d, struct client *c, char **argv)
{
	struct register_args a = { 0 };
	const char *why = parse_register(argv, &a);
	if (why)
		return client_err(c, "%s", why);
	a.spec.context = a.context;
	a.spec.uid = c->uid;
	a.spec.owner = a.decoupled ? OWNER_NONE : OWNER_PID;
	if (!a.pid_given)
		a.spec.pid = c->pid;
	if (a.spec.owner == OWNER_PID && a.spec.pid == getpid())
		return client_err(c, "a location cannot be coupled to tend itself: give --pid PID "
				     "or --decoupled");
	struct location *l = location_new(&a.spec, d->this_host, &why);
	if (!l)
		return client_err(c, "%s", why);
	/* compared as the location holds it: ::1 and 0::1 are one host */
	if (a.spec.proxy && strcmp(l->host, d->this_host) == 0) {
		location_unref(l);
		return client_err(c, "a proxy points at another host: give --host");
	}
	char err[160];
	struct location *kept = location_ref(l);
	if (directory_put(d, l, err, sizeof(err)) < 0) {
		location_unref(kept);
		return client_err(c, "%s", err);
	}
	struct buf addr = { 0 };
	location_address(&addr, kept);
	tend_log(d->log, LOG_INFO, "service %s registered at %s by pid %d (uid %u)", kept->name,
		 addr.data ? addr.data : "", (int)c->pid, (unsigned)c->uid);
	client_ok(c, "service %s at %s index %llu", kept->name, addr.data ? addr.data : "",
		  (unsigned long long)kept->index);
	buf_free(&addr);
	location_unref(kept);
}

/* Whether l is one that `deregister NAME [--host H] [--port P]` names. */
static bool deregister_matches(const struct location *l, const char *host, unsigned port)
{
	return (!host || strcmp(l->host, host) == 0) && (!port || l->port == port);
}

static void service_deregister(struct directory *d, struct client *c, char **argv)
{
	static const char usage[] = "usage: service deregister NAME [--host H] [--port P]";
	const char *name = NULL, *host = NULL;
	unsigned long long port = 0;
	for (char **w = argv; *w; w++) {
		if (strcmp(*w, "--host") == 0 && w[1])
			host = *++w;
		else if (strcmp(*w, "--port") == 0 && w[1]) {
			if (!request_number(*++w, 1, 65535, &port))
				return client_err(c, "bad port: 1 to 65535");
		} else if (**w == '-' || name)
			return client_err(c, usage);
		else
			name = *w;
	}
	if (!name)
		return client_err(c, usage);
	char canon[INET6_ADDRSTRLEN];
	if (host) {
		host_canonical(host, canon, sizeof(canon));
		if (!canon[0])
			return client_err(c, "bad host: an IPv4 or IPv6 address");
		host = canon;
	}
	struct location *first = valid_service_name(name) ? directory_find(d, name) : NULL, *l,
			*next;
	size_t matched = 0;
	for (l = first; l; l = directory_next_of_name(l)) {
		if (!deregister_matches(l, host, (unsigned)port))
			continue;
		if (l->owner == OWNER_PEER)
			return client_err(c, "%s at %s is offered by another host of the cluster",
					  name, l->host);
		if (l->owner == OWNER_PROCESS)
			return client_err(c,
					  "%s at %s is declared by %s/%s: stop it or edit conf.d",
					  name, l->host, l->group_name, l->process_name);
		if (c->uid != 0 && l->uid != c->uid)
			return client_err(c, "permission denied: %s was registered by uid %u", name,
					  (unsigned)l->uid);
		matched++;
	}
	if (!matched)
		return client_err(c, "no such service%s: %s", host || port ? " location" : "",
				  name);
	for (l = first; l; l = next) {
		next = directory_next_of_name(l);
		if (deregister_matches(l, host, (unsigned)port))
			directory_remove(d, l);
	}
	tend_log(d->log, LOG_INFO, "service %s: %zu location(s) deregistered by pid %d", name,
		 matched, (int)c->pid);
	client_ok(c, "%zu location(s) of %s removed", matched, name);
}

void cmd_service(struct tend *t, struct client *c, char **argv)
{
	(void)t;
	struct directory *d = c->ctl->services;
	const char *sub = argv[1] ? argv[1] : "";
	if (!d)
		return client_err(c, "the services directory is not available here");
	if (strcmp(sub, "list") == 0)
		return service_list(d, c, argv + 2);
	if (strcmp(sub, "lookup") == 0)
		return service_lookup(d, c, argv + 2);
	if (strcmp(sub, "register") == 0)
		return service_register(d, c, argv + 2);
	if (strcmp(sub, "deregister") == 0)
		return service_deregister(d, c, argv + 2);
	client_err(c, "usage: service list|lookup|register|deregister ...");
}

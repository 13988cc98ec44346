/* Locations: made once, checked once, shared by reference. */
#include "services/location.h"
#include "base/json.h"
#include "base/str.h"
#include "libtend/cmdline.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_spec(const struct location_spec *s, const char *host, const char **why)
{
	if (!valid_service_name(s->name))
		*why = "a service name is 1 to 64 of A-Z a-z 0-9 _ . -, not starting with -";
	else if (!valid_host_literal(host))
		*why = "a host is an IPv4 or IPv6 address";
	else if (service_address_check(s->port, s->proto, s->path, why) < 0 ||
		 service_context_check(s->context, why) < 0)
		return -1;
	else if (s->owner == OWNER_PROCESS && (!s->group_name || !s->process_name))
		*why = "a declared service names its process";
	else
		return 0;
	return -1;
}

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* Copies s to *at and moves *at past it; NULL stays NULL. */
static const char *put(char **at, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = memcpy(*at, s, n);
	*at += n;
	return d;
}

void host_canonical(const char *host, char *out, size_t len)
{
	unsigned char addr[sizeof(struct in6_addr)];
	int family = strchr(host, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, host, addr) != 1 || !inet_ntop(family, addr, out, (socklen_t)len))
		out[0] = '\0';
}

struct location *location_new(const struct location_spec *s, const char *this_host,
			      const char **why)
{
	const char *given = s->host ? s->host : this_host;
	char host[INET6_ADDRSTRLEN];
	if (check_spec(s, given, why) < 0)
		return NULL;
	host_canonical(given, host, sizeof(host));
	size_t nctx = argv_count(s->context);
	size_t chars = str_size(s->name) + str_size(host) + str_size(s->path) +
		       str_size(s->group_name) + str_size(s->process_name) + 1;
	for (size_t i = 0; i < nctx; i++)
		chars += str_size(s->context[i]);
	struct location *l = malloc(sizeof(*l) + chars);
	if (!l) {
		*why = "out of memory";
		return NULL;
	}
	char *at = l->strings;
	*l = (struct location){ .refs = 1,
				.proc = s->proc,
				.pid = s->pid,
				.uid = s->uid,
				.peer = s->peer,
				.port = (uint16_t)s->port,
				.proto = (uint8_t)s->proto,
				.owner = (uint8_t)s->owner,
				.proxy = s->proxy,
				.mobile = s->mobile };
	l->name = put(&at, s->name);
	l->host = put(&at, host);
	l->path = put(&at, s->path);
	l->group_name = put(&at, s->group_name);
	l->process_name = put(&at, s->process_name);
	l->context = at;
	for (size_t i = 0; i < nctx; i++)
		put(&at, s->context[i]);
	*at = '\0';
	return l;
}

struct location *location_ref(struct location *l)
{
	l->refs++;
	return l;
}

void location_unref(struct location *l)
{
	if (l && --l->refs == 0)
		free(l);
}

bool location_same_place(const struct location *a, const struct location *b)
{
	return strcmp(a->host, b->host) == 0 && a->port == b->port && a->proto == b->proto &&
	       str_equal(a->path, b->path);
}

bool location_same(const struct location *a, const struct location *b)
{
	/* A decoupled location's pid is only who registered it: not shown,
	 * not what it lives by. */
	bool pid_matters = a->owner != OWNER_NONE;
	if (!location_same_place(a, b) || a->owner != b->owner || a->proxy != b->proxy ||
	    (pid_matters && a->pid != b->pid) || a->uid != b->uid || a->proc != b->proc ||
	    a->peer != b->peer || !str_equal(a->group_name, b->group_name) ||
	    !str_equal(a->process_name, b->process_name))
		return false;
	const char *x = a->context, *y = b->context;
	for (; *x && *y; x = context_next(x), y = context_next(y))
		if (strcmp(x, y) != 0)
			return false;
	return !*x && !*y;
}

void location_address(struct buf *out, const struct location *l)
{
	bool v6 = strchr(l->host, ':') != NULL;
	if (l->port)
		buf_printf(out, v6 ? "[%s]:%u" : "%s:%u", l->host, l->port);
	else
		buf_puts(out, l->host);
	if (l->proto == PROTO_UNIX)
		buf_printf(out, "/unix:%s", l->path);
	else if (l->proto != PROTO_NONE)
		buf_printf(out, "/%s", service_proto_name(l->proto));
}

/* One word, quoted as cmdline_split reads it back. */
static void put_word(struct buf *out, const char *word)
{
	/* at worst every byte becomes '\'' */
	size_t len = 4 * strlen(word) + 3;
	char *q = calloc(1, len);
	if (q && cmdline_quote(word, q, len) >= 0)
		buf_puts(out, q);
	else
		out->oom = true;
	free(q);
}

void location_address_word(struct buf *out, const struct location *l)
{
	if (l->proto == PROTO_UNIX) {
		/* the path is the one part that may need quoting */
		struct buf addr = { 0 };
		location_address(&addr, l);
		put_word(out, addr.data ? addr.data : "");
		if (addr.oom)
			out->oom = true;
		buf_free(&addr);
	} else {
		location_address(out, l);
	}
}

/* A host ID as its address. */
static const char *peer_text(uint32_t peer, char *out, size_t len)
{
	struct in_addr a = { .s_addr = htonl(peer) };

	if (!inet_ntop(AF_INET, &a, out, (socklen_t)len))
		snprintf(out, len, "?");
	return out;
}

void location_text(struct buf *out, const struct location *l, uint64_t index)
{
	char id[INET_ADDRSTRLEN];

	buf_printf(out, "%s ", l->name);
	location_address_word(out, l);
	buf_printf(out, " index %llu owner ", (unsigned long long)index);
	if (l->owner == OWNER_PROCESS)
		buf_printf(out, "%s/%s", l->group_name, l->process_name);
	else if (l->owner == OWNER_PEER)
		buf_printf(out, "host %s%s%s%s", peer_text(l->peer, id, sizeof(id)),
			   l->group_name ? " " : "", l->group_name ? l->group_name : "",
			   l->group_name ? "/" : "");
	else if (l->owner == OWNER_PID)
		buf_printf(out, "pid %d", (int)l->pid);
	else
		buf_printf(out, "uid %u decoupled", (unsigned)l->uid);
	if (l->proxy)
		buf_puts(out, " proxy");
	if (*l->context)
		buf_puts(out, " context");
	for (const char *e = l->context; *e; e = context_next(e)) {
		buf_puts(out, " ");
		put_word(out, e);
	}
}

static void json_context(struct buf *out, const char *context)
{
	buf_puts(out, "{");
	for (const char *e = context; *e; e = context_next(e)) {
		const char *eq = strchr(e, '=');
		char key[SERVICE_NAME_MAX + 1];
		snprintf(key, sizeof(key), "%.*s", (int)(eq - e), e);
		buf_puts(out, e != context ? "," : "");
		json_str(out, key);
		buf_puts(out, ":");
		json_str(out, eq + 1);
	}
	buf_puts(out, "}");
}

static void json_owner(struct buf *out, const struct location *l)
{
	if (l->owner == OWNER_PROCESS) {
		buf_puts(out, "{\"group\":");
		json_str(out, l->group_name);
		buf_puts(out, ",\"process\":");
		json_str(out, l->process_name);
		buf_puts(out, "}");
	} else if (l->owner == OWNER_PEER) {
		char id[INET_ADDRSTRLEN];
		buf_puts(out, "{\"host\":");
		json_str(out, peer_text(l->peer, id, sizeof(id)));
		if (l->group_name) {
			buf_puts(out, ",\"group\":");
			json_str(out, l->group_name);
			buf_puts(out, ",\"process\":");
			json_str(out, l->process_name);
		}
		buf_puts(out, "}");
	} else if (l->owner == OWNER_PID) {
		buf_printf(out, "{\"pid\":%d,\"uid\":%u}", (int)l->pid, (unsigned)l->uid);
	} else {
		buf_printf(out, "{\"uid\":%u}", (unsigned)l->uid);
	}
}

void location_json_address(struct buf *out, const struct location *l)
{
	buf_puts(out, "\"host\":");
	json_str(out, l->host);
	if (l->port)
		buf_printf(out, ",\"port\":%u", l->port);
	if (l->proto != PROTO_NONE)
		buf_printf(out, ",\"proto\":\"%s\"", service_proto_name(l->proto));
	if (l->path) {
		buf_puts(out, ",\"path\":");
		json_str(out, l->path);
	}
}

void location_json_members(struct buf *out, const struct location *l, uint64_t index)
{
	buf_puts(out, "\"name\":");
	json_str(out, l->name);
	buf_puts(out, ",");
	location_json_address(out, l);
	buf_puts(out, ",\"context\":");
	json_context(out, l->context);
	buf_puts(out, ",\"owner\":");
	json_owner(out, l);
	buf_printf(out, ",\"flags\":[\"%s\"%s%s],\"index\":%llu",
		   l->owner == OWNER_NONE ? "decoupled" : l->owner == OWNER_PEER ? "remote" : "coupled",
		   l->owner == OWNER_PROCESS || (l->owner == OWNER_PEER && l->group_name)
			   ? ",\"declared\""
			   : "",
		   l->proxy ? ",\"proxy\"" : "",
		   (unsigned long long)index);
}

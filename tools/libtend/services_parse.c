/* The services directory's text format, read (see services_parse.h) and
 * written back (tend_location_address), and a location's context. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cmdline.h"
#include "services_parse.h"
#include "tend.h"

/* ---- words ---------------------------------------------------------------- */

/* Copies len bytes of src and a NUL into dst (size bytes): false if they
 * do not fit. */
static bool copy_n(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

/* A decimal number of len bytes (all digits) up to max. */
static bool number_n(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

static bool number(const char *s, uint64_t max, uint64_t *out)
{
	return number_n(s, strlen(s), max, out);
}

/* [A-Za-z0-9_.-]: service names and context keys. */
static bool service_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static bool service_name_n(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > TEND_SERVICE_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!service_char(s[i]))
			return false;
	return true;
}

/* A group's or process's name: [A-Za-z0-9_][A-Za-z0-9_.-]*. */
static bool unit_name_n(const char *s, size_t len)
{
	return len > 0 && len <= TEND_NAME_MAX && service_name_n(s, len) && s[0] != '.' &&
	       s[0] != '-';
}

/* An IPv4 (family AF_INET), IPv6 (AF_INET6) or either (AF_UNSPEC)
 * address literal of len bytes, copied to host. */
static bool host_literal(const char *s, size_t len, int family, char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];

	if (!copy_n(host, TEND_HOST_MAX + 1, s, len))
		return false;
	if ((family == AF_INET || family == AF_UNSPEC) && inet_pton(AF_INET, host, addr) == 1)
		return true;
	return (family == AF_INET6 || family == AF_UNSPEC) && inet_pton(AF_INET6, host, addr) == 1;
}

/* ---- addresses ------------------------------------------------------------ */

/* "/tcp", "/udp" or "/unix:PATH" (at s), or nothing. */
static const char *parse_proto(const char *s, struct tend_address *a)
{
	if (!*s)
		return NULL;
	if (strcmp(s, "/tcp") == 0 || strcmp(s, "/udp") == 0) {
		memcpy(a->proto, s + 1, 4);
		return NULL;
	}
	if (strncmp(s, "/unix:", 6) != 0)
		return "unknown protocol";
	memcpy(a->proto, "unix", 5);
	if (s[6] != '/')
		return "a unix socket's path is absolute";
	if (!copy_n(a->path, sizeof(a->path), s + 6, strlen(s + 6)))
		return "a unix socket's path is too long";
	return NULL;
}

/* "[V6]:PORT", "V4:PORT", "V4" or "V6" (len bytes at s). */
static const char *parse_host_port(const char *s, size_t len, struct tend_address *a)
{
	const char *colon, *close;
	uint64_t port;

	if (len == 0)
		return "no host";
	if (s[0] == '[') {
		close = memchr(s, ']', len);
		if (!close)
			return "no ']' after '['";
		if (close + 1 == s + len || close[1] != ':')
			return "a bracketed host is followed by :PORT";
		if (!host_literal(s + 1, (size_t)(close - s - 1), AF_INET6, a->host))
			return "bad IPv6 address";
		colon = close + 1;
	} else {
		colon = memchr(s, ':', len);
		if (colon && memchr(colon + 1, ':', len - (size_t)(colon + 1 - s))) {
			/* more than one colon: a bare IPv6 address, no port */
			if (!host_literal(s, len, AF_INET6, a->host))
				return "bad IPv6 address";
			return NULL;
		}
		if (!host_literal(s, colon ? (size_t)(colon - s) : len, AF_INET, a->host))
			return "bad IPv4 address";
		if (!colon)
			return NULL;
	}
	if (!number_n(colon + 1, len - (size_t)(colon + 1 - s), 65535, &port) || port == 0)
		return "bad port";
	a->port = (unsigned)port;
	return NULL;
}

int svc_parse_address(const char *word, struct tend_address *a, const char **why)
{
	/* Hosts have no '/': the first one begins the protocol. */
	const char *slash = strchr(word, '/');
	size_t hostlen = slash ? (size_t)(slash - word) : strlen(word);
	const char *err;

	memset(a, 0, sizeof(*a));
	err = parse_proto(word + hostlen, a);
	if (!err)
		err = parse_host_port(word, hostlen, a);
	if (!err && a->port && strcmp(a->proto, "unix") == 0)
		err = "a unix socket has no port";
	if (err) {
		memset(a, 0, sizeof(*a));
		*why = err;
		return -1;
	}
	return 0;
}

int tend_address_text(const struct tend_address *a, char *buf, size_t len)
{
	bool v6 = strchr(a->host, ':') != NULL;
	int n;

	if (!buf || len == 0)
		return -1;
	if (a->port)
		n = snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", a->host, a->port);
	else
		n = snprintf(buf, len, "%s", a->host);
	if (n >= 0 && (size_t)n < len && strcmp(a->proto, "unix") == 0)
		n += snprintf(buf + n, len - (size_t)n, "/unix:%s", a->path);
	else if (n >= 0 && (size_t)n < len && a->proto[0])
		n += snprintf(buf + n, len - (size_t)n, "/%s", a->proto);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return -1;
	}
	return n;
}

int tend_location_address(const struct tend_location *l, char *buf, size_t len)
{
	struct tend_address a;

	memcpy(a.host, l->host, sizeof(a.host));
	a.port = l->port;
	memcpy(a.proto, l->proto, sizeof(a.proto));
	memcpy(a.path, l->path, sizeof(a.path));
	return tend_address_text(&a, buf, len);
}

/* ---- locations ------------------------------------------------------------ */

const char *tend_location_context(const struct tend_location *l, size_t i)
{
	if (!l || i >= l->ncontext || i >= TEND_SERVICE_CONTEXT_MAX ||
	    l->context_at[i] >= sizeof(l->context_text))
		return NULL;
	return l->context_text + l->context_at[i];
}

const char *tend_location_context_value(const struct tend_location *l, const char *key)
{
	size_t i, klen = key ? strlen(key) : 0;
	const char *entry;

	for (i = 0; klen && (entry = tend_location_context(l, i)); i++)
		if (strncmp(entry, key, klen) == 0 && entry[klen] == '=')
			return entry + klen + 1;
	return NULL;
}

/* Appends one "key=value" entry to l's context, where the entries lie one
 * after the other, each with its NUL. */
static const char *add_context(struct tend_location *l, const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t len = strlen(entry), at = 0, i;

	if (!eq || !service_name_n(entry, (size_t)(eq - entry)))
		return "a context entry is not key=value";
	if (l->ncontext == TEND_SERVICE_CONTEXT_MAX)
		return "more than 16 context entries";
	for (i = 0; i < l->ncontext; i++)
		at += strlen(l->context_text + l->context_at[i]) + 1;
	/* at counts a NUL per entry: at most 16 more than the limit's bytes */
	if (at - l->ncontext + len > TEND_SERVICE_CONTEXT_BYTES)
		return "context longer than 1024 bytes";
	memcpy(l->context_text + at, entry, len + 1);
	l->context_at[l->ncontext++] = (uint16_t)at;
	return NULL;
}

/* "GROUP/PROCESS", "pid N", or "uid N" (then "decoupled" follows).
 * Returns how many words it took, or 0 with *why. */
static size_t parse_owner(char *const *w, size_t n, struct tend_location *l, const char **why)
{
	const char *slash;
	uint64_t v;

	if (n >= 2 && strcmp(w[0], "pid") == 0) {
		if (!number(w[1], INT32_MAX, &v) || v == 0) {
			*why = "bad owner pid";
			return 0;
		}
		l->owner = TEND_OWNER_PID;
		l->owner_pid = (pid_t)v;
		return 2;
	}
	if (n >= 2 && strcmp(w[0], "uid") == 0) {
		if (!number(w[1], UINT32_MAX - 1, &v)) {
			*why = "bad owner uid";
			return 0;
		}
		l->owner = TEND_OWNER_DECOUPLED;
		l->owner_uid = (uid_t)v;
		return 2;
	}
	slash = strchr(w[0], '/');
	if (!slash || !unit_name_n(w[0], (size_t)(slash - w[0])) ||
	    !unit_name_n(slash + 1, strlen(slash + 1))) {
		*why = "the owner is GROUP/PROCESS, pid N or uid N";
		return 0;
	}
	copy_n(l->group, sizeof(l->group), w[0], (size_t)(slash - w[0]));
	copy_n(l->process, sizeof(l->process), slash + 1, strlen(slash + 1));
	l->owner = TEND_OWNER_PROCESS;
	return 1;
}

/* [decoupled] [proxy] [context K=V...] after the owner. */
static const char *parse_flags(char *const *w, size_t n, struct tend_location *l)
{
	const char *err = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(w[i], "decoupled") == 0 && !l->decoupled)
			l->decoupled = true;
		else if (strcmp(w[i], "proxy") == 0 && !l->proxy)
			l->proxy = true;
		else if (strcmp(w[i], "context") == 0 && i + 1 < n)
			break; /* the rest is the context */
		else
			return "unexpected word after the owner";
	}
	for (i++; i < n && !err; i++)
		err = add_context(l, w[i]);
	if (!err && l->decoupled != (l->owner == TEND_OWNER_DECOUPLED))
		err = "\"decoupled\" goes with, and only with, an owner uid";
	return err;
}

static const char *parse_location(char *const *w, size_t n, struct tend_location *l)
{
	struct tend_address a;
	const char *err = NULL;
	size_t took;

	if (n < 6 || strcmp(w[2], "index") != 0 || strcmp(w[4], "owner") != 0)
		return "not NAME ADDRESS index N owner ...";
	if (!service_name_n(w[0], strlen(w[0])))
		return "bad service name";
	memcpy(l->name, w[0], strlen(w[0]) + 1);
	if (svc_parse_address(w[1], &a, &err) < 0)
		return err;
	memcpy(l->host, a.host, sizeof(l->host));
	l->port = a.port;
	memcpy(l->proto, a.proto, sizeof(l->proto));
	memcpy(l->path, a.path, sizeof(l->path));
	if (!number(w[3], UINT64_MAX, &l->index))
		return "bad index";
	took = parse_owner(w + 5, n - 5, l, &err);
	if (!took)
		return err;
	return parse_flags(w + 5 + took, n - 5 - took, l);
}

/* Decodes a location from its words (already split). Returns 0, or -1 with
 * *why; *l is then cleared. */
static int svc_parse_location_words(char *const *words, size_t n, struct tend_location *l,
				    const char **why)
{
	const char *err;

	memset(l, 0, sizeof(*l));
	l->owner_uid = TEND_UID_UNKNOWN;
	err = parse_location(words, n, l);
	if (err) {
		memset(l, 0, sizeof(*l));
		l->owner_uid = TEND_UID_UNKNOWN;
		*why = err;
		return -1;
	}
	return 0;
}

int svc_parse_location(const char *text, struct tend_location *l, const char **why)
{
	char **words = cmdline_split(text, why);
	int ret;

	if (!words) {
		memset(l, 0, sizeof(*l));
		l->owner_uid = TEND_UID_UNKNOWN;
		if (errno != ENOMEM)
			errno = EBADMSG;
		return -1;
	}
	ret = svc_parse_location_words(words, argv_count(words), l, why);
	argv_free(words);
	if (ret < 0)
		errno = EBADMSG;
	return ret;
}

/* ---- watch events --------------------------------------------------------- */

/* "service VERB LOCATION", "service move LOCATION from ADDRESS", or
 * "service update LOCATION [from ADDRESS]" (an update that changed the
 * port or path says where it was). A context word always holds '=': a
 * word "from" before the last is never one. */
static const char *parse_service_event(char *const *w, size_t n, struct tend_watch_event *ev)
{
	static const char *const verbs[] = { "add", "remove", "update", "move" };
	const char *err = NULL;
	size_t i;

	for (i = 0; i < 4 && strcmp(w[1], verbs[i]) != 0; i++)
		;
	if (i == 4)
		return "unknown service event";
	bool from = n >= 4 && strcmp(w[n - 2], "from") == 0;
	if (i == 3 && !from)
		return "a move ends with from ADDRESS";
	if (from && i >= 2) {
		if (svc_parse_address(w[n - 1], &ev->from, &err) < 0)
			return err;
		n -= 2;
	}
	if (svc_parse_location_words(w + 2, n - 2, &ev->location, &err) < 0)
		return err;
	memcpy(ev->verb, verbs[i], strlen(verbs[i]) + 1);
	memcpy(ev->name, ev->location.name, sizeof(ev->location.name));
	ev->index = ev->location.index;
	ev->kind = TEND_WATCH_SERVICE;
	return NULL;
}

/* "group NAME STATE index N" */
static const char *parse_group_event(char *const *w, size_t n, struct tend_watch_event *ev)
{
	size_t i, len;

	if (n != 5 || strcmp(w[3], "index") != 0)
		return "not group NAME STATE index N";
	if (!unit_name_n(w[1], strlen(w[1])))
		return "bad group name";
	len = strlen(w[2]);
	for (i = 0; i < len; i++)
		if (w[2][i] < 'a' || w[2][i] > 'z')
			break;
	if (len == 0 || i < len || len >= sizeof(ev->verb))
		return "bad group state";
	if (!number(w[4], UINT64_MAX, &ev->index))
		return "bad index";
	memcpy(ev->name, w[1], strlen(w[1]) + 1);
	memcpy(ev->verb, w[2], len + 1);
	ev->kind = TEND_WATCH_GROUP;
	return NULL;
}

/* "host up|down HOST index N" */
static const char *parse_host_event(char *const *w, size_t n, struct tend_watch_event *ev)
{
	if (n != 5 || strcmp(w[3], "index") != 0)
		return "not host up|down HOST index N";
	if (strcmp(w[1], "up") != 0 && strcmp(w[1], "down") != 0)
		return "a host is up or down";
	if (!host_literal(w[2], strlen(w[2]), AF_UNSPEC, ev->name))
		return "bad host address";
	if (!number(w[4], UINT64_MAX, &ev->index))
		return "bad index";
	memcpy(ev->verb, w[1], strlen(w[1]) + 1);
	ev->kind = TEND_WATCH_HOST;
	return NULL;
}

/* Fills ev from the words; NULL, or what is wrong ("" for a line of a
 * kind it does not know). */
static const char *parse_event(char *const *w, size_t n, struct tend_watch_event *ev)
{
	if (n >= 2 && strcmp(w[0], "service") == 0)
		return parse_service_event(w, n, ev);
	if (n >= 1 && strcmp(w[0], "group") == 0)
		return parse_group_event(w, n, ev);
	if (n >= 1 && strcmp(w[0], "host") == 0)
		return parse_host_event(w, n, ev);
	if (n >= 1 && strcmp(w[0], "sync") == 0) {
		if (n != 2 || !number(w[1], UINT64_MAX, &ev->index))
			return "not sync N";
		ev->kind = TEND_WATCH_SYNC;
		return NULL;
	}
	if (n >= 1 && strcmp(w[0], "resync") == 0) {
		if (n != 1)
			return "not resync";
		ev->kind = TEND_WATCH_RESYNC;
		return NULL;
	}
	return n >= 1 && strcmp(w[0], "service") == 0 ? "not service VERB ..." : "";
}

void svc_event_reset(struct tend_watch_event *ev, const char *payload)
{
	size_t len = strlen(payload);

	memset(ev, 0, offsetof(struct tend_watch_event, line));
	ev->kind = TEND_WATCH_OTHER;
	ev->location.owner_uid = TEND_UID_UNKNOWN;
	if (len >= sizeof(ev->line))
		len = sizeof(ev->line) - 1;
	memcpy(ev->line, payload, len);
	ev->line[len] = '\0';
}

int svc_parse_event(const char *payload, struct tend_watch_event *ev, const char **why)
{
	const char *err = NULL;
	char **words;

	svc_event_reset(ev, payload);
	*why = NULL;
	words = cmdline_split(payload, &err);
	if (!words && errno == ENOMEM)
		return -1;
	if (words)
		err = parse_event(words, argv_count(words), ev);
	argv_free(words);
	if (err) {
		svc_event_reset(ev, payload); /* nothing half-decoded */
		*why = *err ? err : NULL;
	}
	return (int)ev->kind;
}

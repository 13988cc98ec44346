/* The SERVICE field both ways: port (2), protocol (1), then name, host and
 * path each with a 1-byte length, then a count (1) of context entries each
 * with a 2-byte length. A location on the wire passes the same checks as
 * one registered or declared here (config/service.c), so that the
 * directory can take what a peer sends as it takes its own. */
#include "cluster/wire.h"

#include "cluster/wire_bytes.h"

/* A string with a 1-byte length, at most max bytes and no NUL, copied to
 * dst and NUL-terminated. */
static bool take_text(struct wire_reader *r, char *dst, size_t max)
{
	const uint8_t *len = wire_take(r, 1), *text;

	if (!len || *len > max)
		return false;
	text = wire_take(r, *len);
	if (!text || memchr(text, 0, *len))
		return false;
	memcpy(dst, text, *len);
	dst[*len] = '\0';
	return true;
}

/* count entries with a 2-byte length each, into s->context. */
static bool take_context(struct wire_reader *r, struct wire_service *s, unsigned count)
{
	size_t used = 0;

	if (count > SERVICE_CONTEXT_MAX)
		return false;
	for (s->ncontext = 0; s->ncontext < count; s->ncontext++) {
		const uint8_t *len = wire_take(r, 2), *text;
		size_t n = len ? get16(len) : 0;

		/* bytes counted without NULs, as service_context_check does */
		if (!len || n == 0 || used - s->ncontext + n > SERVICE_CONTEXT_BYTES)
			return false;
		text = wire_take(r, n);
		if (!text || memchr(text, 0, n))
			return false;
		s->context_at[s->ncontext] = (uint16_t)used;
		memcpy(s->context + used, text, n);
		s->context[used + n] = '\0';
		used += n + 1;
	}
	return true;
}

char *const *wire_service_context(struct wire_service *s, char *ctx[SERVICE_CONTEXT_MAX + 1])
{
	unsigned i;

	for (i = 0; i < s->ncontext && i < SERVICE_CONTEXT_MAX; i++)
		ctx[i] = s->context + s->context_at[i];
	ctx[i] = NULL;
	return ctx;
}

/* What config/service.c asks of a location, and a host short enough for
 * struct wire_service. */
static bool service_fields_ok(const char *name, const char *host, unsigned port,
			      enum service_proto proto, const char *path, char *const *context)
{
	const char *why;

	return valid_service_name(name) &&
	       (!host || (strlen(host) <= WIRE_HOST_MAX && valid_host_literal(host))) &&
	       proto <= PROTO_UNIX && service_address_check(port, proto, path, &why) == 0 &&
	       service_context_check(context, &why) == 0;
}

/* A declared location names its group and process; a registered one neither. */
static bool owner_names_ok(const char *group, const char *process)
{
	bool none = (!group || !group[0]) && (!process || !process[0]);

	return none ||
	       (group && process && strlen(group) <= NAME_MAX_LEN &&
		strlen(process) <= NAME_MAX_LEN && valid_name(group) && valid_name(process));
}

bool wire_service_parse(const uint8_t *value, size_t len, struct wire_service *s)
{
	struct wire_reader r = { value, len };
	const uint8_t *port = wire_take(&r, 2), *proto = wire_take(&r, 1), *count, *flags;
	char *ctx[SERVICE_CONTEXT_MAX + 1];

	if (!port || !proto || *proto > PROTO_UNIX)
		return false;
	s->port = get16(port);
	s->proto = (enum service_proto)proto[0];
	if (!take_text(&r, s->name, SERVICE_NAME_MAX) || !take_text(&r, s->host, WIRE_HOST_MAX) ||
	    !take_text(&r, s->path, SERVICE_PATH_MAX))
		return false;
	count = wire_take(&r, 1);
	if (!count || !take_context(&r, s, *count) || !take_text(&r, s->group, NAME_MAX_LEN) ||
	    !take_text(&r, s->process, NAME_MAX_LEN) || !(flags = wire_take(&r, 1)) || r.left)
		return false;
	if (!owner_names_ok(s->group, s->process) || *flags > 1 || (*flags && !s->group[0]))
		return false;
	s->mobile = *flags & 1;
	return service_fields_ok(s->name, s->host[0] ? s->host : NULL, s->port, s->proto,
				 s->path[0] ? s->path : NULL, wire_service_context(s, ctx));
}

bool wire_next_service(const struct wire_msg *m, size_t *cursor, struct wire_service *out)
{
	struct wire_field_view f;

	while (wire_next_field(m->body, m->body_len, cursor, &f) > 0)
		if (f.type == WF_SERVICE)
			return wire_service_parse(f.value, f.len, out);
	return false;
}

/* ---- writing ---- */

static size_t text_len(const char *s)
{
	return s ? strlen(s) : 0;
}

static uint8_t *put_text(uint8_t *p, const char *s)
{
	size_t n = text_len(s);

	*p++ = (uint8_t)n;
	memcpy(p, s ? s : "", n);
	return p + n;
}

/* The value's length; the fields are valid (service_fields_ok). */
static size_t service_value_len(const char *host, const char *path, const struct wire_service_in *s)
{
	size_t len = 2 + 1 + 1 + strlen(s->name) + 1 + text_len(host) + 1 + text_len(path) + 1;

	for (size_t i = 0; s->context && s->context[i]; i++)
		len += 2 + strlen(s->context[i]);
	return len + 1 + text_len(s->group) + 1 + text_len(s->process) + 1;
}

int wire_put_service(struct wire_writer *w, const struct wire_service_in *s)
{
	const char *host = s->host && s->host[0] ? s->host : NULL;
	const char *path = s->path && s->path[0] ? s->path : NULL;
	size_t count = 0;
	uint8_t *p;

	if (!service_fields_ok(s->name, host, s->port, s->proto, path, s->context) ||
	    !owner_names_ok(s->group, s->process))
		return WIRE_PUT_INVALID;
	p = wire_field_room(w, WF_SERVICE, service_value_len(host, path, s));
	if (!p)
		return WIRE_PUT_FULL;
	put16(p, (uint16_t)s->port);
	p[2] = (uint8_t)s->proto;
	p = put_text(put_text(put_text(p + 3, s->name), host), path);
	while (s->context && s->context[count])
		count++;
	*p++ = (uint8_t)count;
	for (size_t i = 0; i < count; i++) {
		size_t n = strlen(s->context[i]);
		put16(p, (uint16_t)n);
		memcpy(p + 2, s->context[i], n);
		p += 2 + n;
	}
	p = put_text(p, s->group && s->group[0] ? s->group : NULL);
	p = put_text(p, s->group && s->group[0] ? s->process : NULL);
	*p = s->mobile && s->group && s->group[0]; /* flags: bit 0, mobile */
	return WIRE_PUT_OK;
}

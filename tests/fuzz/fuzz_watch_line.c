/* libFuzzer target for the services directory's text lines, both ways:
 * libtend's decoder (tools/libtend/services_parse.c) must take any payload
 * without harm, and a service event it decodes, made into tend's own
 * location again (supervisor/services/location.c) and written as tend
 * writes it, must decode to the same fields: what tend writes, libtend
 * reads back exactly. Built and run by `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libtend/services_parse.h"
#include "services/location.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tend_watch_event ev, again;

/* The decoded location as tend's location, written as tend writes it. */
static void round_trip(const struct tend_location *l)
{
	char *context[TEND_SERVICE_CONTEXT_MAX + 1] = { 0 };
	enum service_proto proto = PROTO_NONE;
	if (l->proto[0] && service_proto_parse(l->proto, &proto) < 0)
		abort(); /* the decoder accepted a protocol tend does not write */
	for (size_t i = 0; i < l->ncontext && i < TEND_SERVICE_CONTEXT_MAX; i++)
		context[i] = (char *)tend_location_context(l, i);
	struct location_spec spec = { .name = l->name,
				      .host = l->host,
				      .path = l->path[0] ? l->path : NULL,
				      .context = context,
				      .port = l->port,
				      .proto = proto,
				      .owner = OWNER_NONE,
				      .uid = 7 };
	const char *why;
	struct location *loc = location_new(&spec, "127.0.0.1", &why);
	if (!loc)
		return; /* decodable but not what tend would hold: fine */
	/* written as an update that moved, as watch.c writes one */
	struct buf text = { 0 };
	buf_puts(&text, "service update ");
	location_text(&text, loc, 42);
	buf_puts(&text, " from ");
	location_address_word(&text, loc);
	location_unref(loc);
	if (text.oom || svc_parse_event(text.data, &again, &why) != TEND_WATCH_SERVICE)
		abort(); /* tend's own line does not decode */
	if (strcmp(again.from.path, l->path) != 0 || again.from.port != l->port)
		abort();
	const struct tend_location *m = &again.location;
	if (strcmp(m->name, l->name) != 0 || m->port != l->port ||
	    strcmp(m->proto, l->proto) != 0 || strcmp(m->path, l->path) != 0 ||
	    m->ncontext != l->ncontext || m->index != 42)
		abort();
	for (size_t i = 0; i < l->ncontext; i++)
		if (strcmp(tend_location_context(m, i), tend_location_context(l, i)) != 0)
			abort();
	buf_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *payload = strndup((const char *)data, size);
	const char *why;
	if (!payload)
		return 0;
	struct tend_address a;
	svc_parse_address(payload, &a, &why);
	int kind = svc_parse_event(payload, &ev, &why);
	if (kind == TEND_WATCH_SERVICE)
		round_trip(&ev.location);
	free(payload);
	return 0;
}

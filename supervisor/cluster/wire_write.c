/* Writing a datagram: the header at wire_begin, fields appended while they
 * fit beside a MAC, the body's length and the MAC at wire_finish. Each put
 * refuses what wire_decode would refuse, so a bug here shows as an error
 * at the sender rather than as drops at every peer. */
#include "cluster/wire.h"

#include <sodium.h>

#include "cluster/keys.h"
#include "cluster/wire_bytes.h"

void wire_begin(struct wire_writer *w, enum wire_type type, uint32_t sender, uint32_t incarnation,
		uint32_t seq)
{
	/* cppcheck-suppress ctuuninitvar ; w->buf is written here, not read */
	put16(w->buf + WH_MAGIC, WIRE_MAGIC);
	w->buf[WH_VERSION] = WIRE_VERSION;
	w->buf[WH_TYPE] = (uint8_t)type;
	put32(w->buf + WH_SENDER, sender);
	put32(w->buf + WH_INCARNATION, incarnation);
	put32(w->buf + WH_SEQ, seq);
	w->buf[WH_KEY] = 0;
	w->buf[WH_FLAGS] = 0;
	put16(w->buf + WH_BODY_LEN, 0);
	w->len = WIRE_HEADER;
}

uint8_t *wire_field_room(struct wire_writer *w, enum wire_field type, size_t len)
{
	uint8_t *field = w->buf + w->len;

	if (w->len + WIRE_FIELD_HEADER + len > WIRE_MAX - WIRE_MAC)
		return NULL;
	put16(field, (uint16_t)type);
	put16(field + 2, (uint16_t)len);
	w->len += WIRE_FIELD_HEADER + len;
	return field + WIRE_FIELD_HEADER;
}

int wire_put_group(struct wire_writer *w, const char *name, uint64_t term,
		   enum wire_group_status status)
{
	size_t n;
	uint8_t *v;

	if (!valid_name(name) || status < WG_OWNER || status > WG_STOPPED)
		return WIRE_PUT_INVALID;
	n = strlen(name);
	v = wire_field_room(w, WF_GROUP, 8 + 1 + 1 + n);
	if (!v)
		return WIRE_PUT_FULL;
	put64(v, term);
	v[8] = (uint8_t)status;
	v[9] = (uint8_t)n;
	memcpy(v + 10, name, n);
	return WIRE_PUT_OK;
}

int wire_put_round(struct wire_writer *w, uint32_t round, uint8_t part, uint8_t parts)
{
	uint8_t *v;

	if (parts < 1 || parts > wire_parts_max((enum wire_type)w->buf[WH_TYPE]) || part >= parts)
		return WIRE_PUT_INVALID;
	v = wire_field_room(w, WF_ROUND, 6);
	if (!v)
		return WIRE_PUT_FULL;
	put32(v, round);
	v[4] = part;
	v[5] = parts;
	return WIRE_PUT_OK;
}

int wire_put_digest(struct wire_writer *w, uint64_t digest, uint32_t locations)
{
	uint8_t *v = wire_field_room(w, WF_DIGEST, 12);

	if (!v)
		return WIRE_PUT_FULL;
	put64(v, digest);
	put32(v + 8, locations);
	return WIRE_PUT_OK;
}

int wire_put_rank(struct wire_writer *w, uint16_t rank)
{
	uint8_t *v = wire_field_room(w, WF_RANK, 2);

	if (!v)
		return WIRE_PUT_FULL;
	put16(v, rank);
	return WIRE_PUT_OK;
}

int wire_put_answer(struct wire_writer *w, enum wire_answer code)
{
	uint8_t *v;

	if (code < WA_ACK || code > WA_STALE)
		return WIRE_PUT_INVALID;
	v = wire_field_room(w, WF_ANSWER, 1);
	if (!v)
		return WIRE_PUT_FULL;
	v[0] = (uint8_t)code;
	return WIRE_PUT_OK;
}

static int put_id(struct wire_writer *w, enum wire_field type, uint32_t id)
{
	uint8_t *v = wire_field_room(w, type, 4);

	if (!v)
		return WIRE_PUT_FULL;
	put32(v, id);
	return WIRE_PUT_OK;
}

int wire_put_target(struct wire_writer *w, uint32_t id)
{
	return put_id(w, WF_TARGET, id);
}

int wire_put_owner(struct wire_writer *w, uint32_t id)
{
	return put_id(w, WF_OWNER, id);
}

int wire_put_stopped(struct wire_writer *w)
{
	return wire_field_room(w, WF_STOPPED, 0) ? WIRE_PUT_OK : WIRE_PUT_FULL;
}

size_t wire_finish(struct wire_writer *w, const struct wire_keys *keys)
{
	put16(w->buf + WH_BODY_LEN, (uint16_t)(w->len - WIRE_HEADER));
	if (keys && keys->n) {
		/* the key number is part of what the MAC covers */
		w->buf[WH_KEY] = keys->keys[0].number;
		crypto_auth_hmacsha256(w->buf + w->len, w->buf, w->len, keys->keys[0].key);
		w->len += WIRE_MAC;
	}
	return w->len;
}

/* Decoding a datagram: the header, the MAC, then every field of the body,
 * checked against the rules of its message type (wire.h). */
#include "cluster/wire.h"

#include <sodium.h>

#include "cluster/keys.h"
#include "cluster/wire_bytes.h"

_Static_assert(WIRE_MAC == crypto_auth_hmacsha256_BYTES, "the MAC is an HMAC-SHA256");
_Static_assert(WIRE_KEY_BYTES == crypto_auth_hmacsha256_KEYBYTES, "a key is an HMAC-SHA256 key");

static const char *const drop_names[WD__COUNT] = {
	[WD_OK] = "ok",
	[WD_SHORT] = "short",
	[WD_OVERSIZE] = "oversize",
	[WD_MAGIC] = "magic",
	[WD_VERSION] = "version",
	[WD_LENGTH] = "length",
	[WD_MALFORMED] = "malformed",
	[WD_NO_MAC] = "unsigned",
	[WD_UNKNOWN_KEY] = "unknown-key",
	[WD_BAD_MAC] = "bad-mac",
	[WD_REPLAY] = "replay",
	[WD_OWN] = "own",
	[WD_STALE_INCARNATION] = "old-incarnation",
};

const char *wire_drop_name(enum wire_drop drop)
{
	return (unsigned)drop < WD__COUNT ? drop_names[drop] : "?";
}

static const char *const type_names[] = {
	[WIRE_HEARTBEAT] = "heartbeat", [WIRE_BID] = "bid",   [WIRE_ANSWER] = "answer",
	[WIRE_RELEASE] = "release",	[WIRE_PULL] = "pull", [WIRE_SERVICES] = "services",
	[WIRE_LEAVE] = "leave",
};

const char *wire_type_name(enum wire_type type)
{
	return type >= WIRE_HEARTBEAT && type <= WIRE_LEAVE ? type_names[type] : "?";
}

/* ---- the rules of each message type: which fields it carries ---- */

#define F(field) (1u << (field))

static const struct type_rules {
	unsigned allowed;  /* fields it may carry */
	unsigned required; /* fields it must carry */
	unsigned many;	   /* fields it may carry more than once */
} rules[] = {
	[WIRE_HEARTBEAT] = { F(WF_GROUP) | F(WF_ROUND) | F(WF_DIGEST), F(WF_ROUND) | F(WF_DIGEST),
			     F(WF_GROUP) },
	[WIRE_BID] = { F(WF_GROUP) | F(WF_RANK), F(WF_GROUP) | F(WF_RANK), 0 },
	[WIRE_ANSWER] = { F(WF_GROUP) | F(WF_ANSWER) | F(WF_TARGET) | F(WF_OWNER),
			  F(WF_GROUP) | F(WF_ANSWER) | F(WF_TARGET), 0 },
	[WIRE_RELEASE] = { F(WF_GROUP) | F(WF_STOPPED), F(WF_GROUP), 0 },
	[WIRE_PULL] = { F(WF_TARGET), F(WF_TARGET), 0 },
	[WIRE_SERVICES] = { F(WF_ROUND) | F(WF_DIGEST) | F(WF_SERVICE), F(WF_ROUND) | F(WF_DIGEST),
			    F(WF_SERVICE) },
	[WIRE_LEAVE] = { 0, 0, 0 },
};

/* ---- the header and the MAC ---- */

/* Magic, version, the header's fields, and the length they announce. */
static enum wire_drop decode_header(const uint8_t *buf, size_t len, struct wire_msg *m)
{
	size_t body_len;

	if (get16(buf + WH_MAGIC) != WIRE_MAGIC)
		return WD_MAGIC;
	if (buf[WH_VERSION] != WIRE_VERSION)
		return WD_VERSION;
	m->type = (enum wire_type)buf[WH_TYPE];
	m->sender = get32(buf + WH_SENDER);
	m->incarnation = get32(buf + WH_INCARNATION);
	m->seq = get32(buf + WH_SEQ);
	m->key_number = buf[WH_KEY];
	/* buf[WH_FLAGS]: reserved, ignored (covered by the MAC all the same) */
	body_len = get16(buf + WH_BODY_LEN);
	if (WIRE_HEADER + body_len + (m->key_number ? WIRE_MAC : 0) != len)
		return WD_LENGTH;
	m->body = buf + WIRE_HEADER;
	m->body_len = body_len;
	return WD_OK;
}

/* The MAC over header and body, in constant time, before anything of the
 * body is believed. */
static enum wire_drop check_mac(const uint8_t *buf, size_t len, const struct wire_keys *keys,
				uint8_t number)
{
	const struct wire_key *key;

	if (!keys || keys->n == 0)
		return number ? WD_UNKNOWN_KEY : WD_OK;
	if (number == 0)
		return WD_NO_MAC;
	key = wire_keys_find(keys, number);
	if (!key)
		return WD_UNKNOWN_KEY;
	if (crypto_auth_hmacsha256_verify(buf + len - WIRE_MAC, buf, len - WIRE_MAC, key->key) != 0)
		return WD_BAD_MAC;
	return WD_OK;
}

/* ---- the body's fields ---- */

int wire_next_field(const uint8_t *body, size_t len, size_t *at, struct wire_field_view *f)
{
	if (*at >= len)
		return 0;
	if (len - *at < WIRE_FIELD_HEADER)
		return -1;
	f->type = get16(body + *at);
	f->len = get16(body + *at + 2);
	if (len - *at - WIRE_FIELD_HEADER < f->len)
		return -1;
	f->value = body + *at + WIRE_FIELD_HEADER;
	*at += WIRE_FIELD_HEADER + (size_t)f->len;
	return 1;
}

static bool group_known(const struct wire_msg *m, const char *name)
{
	for (unsigned i = 0; i < m->ngroups; i++)
		if (strcmp(m->groups[i].name, name) == 0)
			return true;
	return false;
}

/* term (8), status (1), name length (1), name */
static bool decode_group(struct wire_msg *m, const uint8_t *v, size_t len)
{
	struct wire_group *g = &m->groups[m->ngroups];
	size_t name_len;

	if (len < 8 + 1 + 1 + 1 || m->ngroups == WIRE_GROUPS_MAX)
		return false;
	name_len = v[9];
	if (len != 10 + name_len || name_len > NAME_MAX_LEN || memchr(v + 10, 0, name_len))
		return false;
	g->term = get64(v);
	g->status = v[8];
	memcpy(g->name, v + 10, name_len);
	g->name[name_len] = '\0';
	if (g->status < WG_OWNER || g->status > WG_STOPPED || !valid_name(g->name) ||
	    group_known(m, g->name))
		return false;
	m->ngroups++;
	return true;
}

/* round (4), part (1), parts (1) */
static bool decode_round(struct wire_msg *m, const uint8_t *v, size_t len)
{
	if (len != 6)
		return false;
	m->round = get32(v);
	m->part = v[4];
	m->parts = v[5];
	return m->parts >= 1 && m->parts <= wire_parts_max(m->type) && m->part < m->parts;
}

static bool decode_answer(struct wire_msg *m, const uint8_t *v, size_t len)
{
	if (len != 1 || v[0] < WA_ACK || v[0] > WA_STALE)
		return false;
	m->answer = (enum wire_answer)v[0];
	return true;
}

static bool decode_id(uint32_t *id, const uint8_t *v, size_t len)
{
	if (len != 4)
		return false;
	*id = get32(v);
	return true;
}

static bool decode_service(struct wire_msg *m, const uint8_t *v, size_t len)
{
	struct wire_service s;

	if (!wire_service_parse(v, len, &s))
		return false;
	m->nservices++;
	return true;
}

/* One known field, checked and stored in m. */
static bool decode_field(struct wire_msg *m, const struct wire_field_view *f)
{
	switch ((enum wire_field)f->type) {
	case WF_GROUP:
		return decode_group(m, f->value, f->len);
	case WF_ROUND:
		return decode_round(m, f->value, f->len);
	case WF_DIGEST:
		if (f->len != 12)
			return false;
		m->digest = get64(f->value);
		m->locations = get32(f->value + 8);
		return true;
	case WF_RANK:
		if (f->len != 2)
			return false;
		m->rank = get16(f->value);
		return true;
	case WF_ANSWER:
		return decode_answer(m, f->value, f->len);
	case WF_TARGET:
		return decode_id(&m->target, f->value, f->len);
	case WF_OWNER:
		return decode_id(&m->owner, f->value, f->len);
	case WF_STOPPED:
		m->stopped = f->len == 0;
		return m->stopped;
	case WF_SERVICE:
		return decode_service(m, f->value, f->len);
	}
	return true; /* not reached: unknown types are skipped before */
}

static bool known_field(uint16_t type)
{
	return type >= WF_GROUP && type <= WF_SERVICE;
}

/* Every field in turn, each allowed in this type and not repeated unless
 * it may be; then the required ones present. */
static enum wire_drop decode_body(struct wire_msg *m)
{
	const struct type_rules *r;
	struct wire_field_view f;
	unsigned seen = 0;
	size_t at = 0;
	int got;

	if (m->type < WIRE_HEARTBEAT || m->type > WIRE_LEAVE)
		return WD_MALFORMED;
	r = &rules[m->type];
	while ((got = wire_next_field(m->body, m->body_len, &at, &f)) > 0) {
		if (!known_field(f.type))
			continue;
		if (!(r->allowed & F(f.type)) || (seen & F(f.type) & ~r->many))
			return WD_MALFORMED;
		if (!decode_field(m, &f))
			return WD_MALFORMED;
		seen |= F(f.type);
	}
	if (got < 0 || (seen & r->required) != r->required)
		return WD_MALFORMED;
	if (m->type == WIRE_ANSWER && !!(seen & F(WF_OWNER)) != (m->answer == WA_RUNNING))
		return WD_MALFORMED;
	return WD_OK;
}

/* A dropped datagram: the header's fields stay, for the caller's logs and
 * counters (unauthenticated); nothing else of it. */
static void keep_header_only(struct wire_msg *m)
{
	enum wire_type type = m->type;
	uint32_t sender = m->sender, incarnation = m->incarnation, seq = m->seq;
	uint8_t key_number = m->key_number;

	memset(m, 0, sizeof(*m));
	m->type = type;
	m->sender = sender;
	m->incarnation = incarnation;
	m->seq = seq;
	m->key_number = key_number;
}

enum wire_drop wire_decode(const uint8_t *buf, size_t len, const struct wire_keys *keys,
			   struct wire_msg *out)
{
	enum wire_drop drop;

	memset(out, 0, sizeof(*out));
	if (len > WIRE_MAX)
		return WD_OVERSIZE;
	if (len < WIRE_HEADER)
		return WD_SHORT;
	drop = decode_header(buf, len, out);
	if (drop == WD_OK)
		drop = check_mac(buf, len, keys, out->key_number);
	if (drop == WD_OK)
		drop = decode_body(out);
	if (drop != WD_OK)
		keep_header_only(out);
	return drop;
}

/* Inside the codec (wire.c, wire_write.c, wire_service.c): integers in
 * network byte order, a bounded reader over a field's value, and what the
 * three files share. Not for the codec's callers. */
#ifndef TEND_CLUSTER_WIRE_BYTES_H
#define TEND_CLUSTER_WIRE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cluster/wire.h"

/* Where the header's fields are. */
enum {
	WH_MAGIC = 0,
	WH_VERSION = 2,
	WH_TYPE = 3,
	WH_SENDER = 4,
	WH_INCARNATION = 8,
	WH_SEQ = 12,
	WH_KEY = 16,
	WH_FLAGS = 17,
	WH_BODY_LEN = 18,
};

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* What is left of a field's value, read front to back. */
struct wire_reader {
	const uint8_t *p;
	size_t left;
};

/* The next n bytes, or NULL when fewer are left. */
static inline const uint8_t *wire_take(struct wire_reader *r, size_t n)
{
	const uint8_t *at = r->p;

	if (n > r->left)
		return NULL;
	r->p += n;
	r->left -= n;
	return at;
}

/* One field of a body: its type, and its value. */
struct wire_field_view {
	uint16_t type;
	uint16_t len;
	const uint8_t *value;
};

/* The field at *at in body[0..len), and *at moved past it. 1: a field;
 * 0: the body ends there; -1: the field runs past the body. */
int wire_next_field(const uint8_t *body, size_t len, size_t *at, struct wire_field_view *f);

/* A SERVICE field's value decoded and checked (all of wire.h's rules). */
bool wire_service_parse(const uint8_t *value, size_t len, struct wire_service *out);

/* Room for a field of type and value length len, its type and length
 * written: where its value goes, or NULL (w unchanged) when the field would
 * not fit beside a MAC. */
uint8_t *wire_field_room(struct wire_writer *w, enum wire_field type, size_t len);

#endif

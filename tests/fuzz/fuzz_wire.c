/* libFuzzer target for the peer protocol's codec (supervisor/cluster/wire*.c).
 * Each input is decoded three ways: as it is without keys, as it is with
 * a fixed key (so the MAC checks run), and signed here with that key (so
 * that the body parser runs behind a MAC that matches). Whatever decodes
 * must walk to exactly its count of services, and, written again with the
 * writer, decode to an equal message: what tend accepts, tend can send.
 * Built and run by `make fuzz`. */
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/keys.h"
#include "cluster/wire.h"
#include "../unit/wire_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Large: static rather than on the stack of every run. */
static struct wire_msg msg, again;
static struct wire_writer w;

static void check_services(const struct wire_msg *m)
{
	struct wire_service s;
	char *ctx[SERVICE_CONTEXT_MAX + 1];
	size_t cursor = 0;
	unsigned n = 0;

	while (wire_next_service(m, &cursor, &s)) {
		const char *why;
		if (service_context_check(wire_service_context(&s, ctx), &why) != 0)
			abort(); /* the decoder let a bad context through */
		n++;
	}
	if (n != m->nservices || cursor != m->body_len)
		abort();
}

/* The decoded message written again decodes the same, unless it cannot be
 * written because the original, unsigned, used the room a MAC needs. */
static void check_round_trip(const struct wire_msg *m, const struct wire_keys *keys)
{
	int rc = wire_reencode(m, keys, &w);

	if (rc == WIRE_PUT_FULL && WIRE_HEADER + m->body_len > WIRE_MAX - WIRE_MAC)
		return;
	if (rc != WIRE_PUT_OK)
		abort(); /* the writer refused what the decoder accepted */
	if (w.len > WIRE_MAX || wire_decode(w.buf, w.len, keys, &again) != WD_OK)
		abort();
	if (!wire_msg_same(m, &again))
		abort();
}

static void check(const uint8_t *data, size_t size, const struct wire_keys *keys)
{
	enum wire_drop drop = wire_decode(data, size, keys, &msg);

	if (drop >= WD__COUNT || drop == WD_REPLAY || drop == WD_OWN ||
	    drop == WD_STALE_INCARNATION || !wire_drop_name(drop))
		abort();
	if (drop != WD_OK)
		return;
	check_services(&msg);
	check_round_trip(&msg, keys);
}

/* The input as a signed datagram: key number 1 in the header and the MAC
 * after it, so that a body only a key holder could send is parsed too. */
static void check_signed(const uint8_t *data, size_t size, const struct wire_keys *keys)
{
	static uint8_t buf[WIRE_MAX + WIRE_MAC + 1];

	if (size < WIRE_HEADER || size + WIRE_MAC > sizeof(buf))
		return;
	memcpy(buf, data, size);
	buf[16] = keys->keys[0].number;
	crypto_auth_hmacsha256(buf + size, buf, size, keys->keys[0].key);
	check(buf, size + WIRE_MAC, keys);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wire_keys keys;

	if (keys.n == 0) {
		if (sodium_init() < 0)
			abort();
		keys.n = 1;
		keys.keys[0].number = 1;
		memset(keys.keys[0].key, 0x5a, sizeof(keys.keys[0].key));
	}
	check(data, size, NULL);
	check(data, size, &keys);
	check_signed(data, size, &keys);
	return 0;
}

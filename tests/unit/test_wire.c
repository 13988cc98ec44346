/* The peer protocol's codec (cluster/wire.c and friends), its key file
 * (cluster/keys.c) and the anti-replay window (cluster/replay.c): every
 * message type written and read back, signed and not; every reason to
 * drop a datagram, each from a datagram crafted byte by byte; the key
 * file's rules; the window's verdicts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/keys.h"
#include "cluster/replay.h"
#include "cluster/wire.h"
#include "files.h"
#include "wire_check.h"

#define ID_A 0x0a000001u /* 10.0.0.1 */
#define ID_B 0x0a000002u
#define INC 0xdeadbeefu

/* Two keys: number 7 signs, number 9 is also accepted. */
static struct wire_keys keys_7_9, keys_9_only;

static void fill_key(struct wire_key *k, uint8_t number, uint8_t byte)
{
	k->number = number;
	memset(k->key, byte, sizeof(k->key));
}

static int setup_keys(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	keys_7_9.n = 2;
	fill_key(&keys_7_9.keys[0], 7, 0x11);
	fill_key(&keys_7_9.keys[1], 9, 0x22);
	keys_9_only.n = 1;
	fill_key(&keys_9_only.keys[0], 9, 0x22);
	return 0;
}

/* Each round trip runs unsigned and signed. */
static const struct wire_keys *const key_cases[] = { NULL, &keys_7_9 };

static struct wire_msg msg, again;

/* Finishes w with keys, decodes it with keys (must pass), writes the
 * decoded message again and decodes that: the same message. */
static void round_trip(struct wire_writer *w, const struct wire_keys *keys)
{
	struct wire_writer w2;
	size_t unsigned_len = w->len, len = wire_finish(w, keys);

	assert_int_equal(len, w->len);
	assert_int_equal(len, unsigned_len + (keys ? WIRE_MAC : 0));
	assert_int_equal(wire_decode(w->buf, len, keys, &msg), WD_OK);
	assert_int_equal(msg.key_number, keys ? keys->keys[0].number : 0);
	assert_int_equal(msg.sender, ID_A);
	assert_int_equal(msg.incarnation, INC);
	assert_int_equal(wire_reencode(&msg, keys, &w2), 0);
	assert_int_equal(w2.len, len);
	assert_memory_equal(w2.buf, w->buf, len);
	assert_int_equal(wire_decode(w2.buf, w2.len, keys, &again), WD_OK);
	assert_true(wire_msg_same(&msg, &again));
}

static void a_heartbeat_round_trips(void **state)
{
	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct wire_writer w;
		wire_begin(&w, WIRE_HEARTBEAT, ID_A, INC, 41);
		assert_int_equal(wire_put_group(&w, "web", 3, WG_OWNER), 0);
		assert_int_equal(wire_put_group(&w, "db.main_2", UINT64_MAX, WG_BIDDING), 0);
		assert_int_equal(wire_put_group(&w, "_old", 0, WG_STOPPED), 0);
		assert_int_equal(wire_put_round(&w, 77, 1, 3), 0);
		assert_int_equal(wire_put_digest(&w, 0x0102030405060708ull, 12), 0);
		round_trip(&w, key_cases[k]);
		assert_int_equal(msg.type, WIRE_HEARTBEAT);
		assert_int_equal(msg.seq, 41);
		assert_int_equal(msg.ngroups, 3);
		assert_string_equal(msg.groups[0].name, "web");
		assert_int_equal(msg.groups[0].term, 3);
		assert_int_equal(msg.groups[0].status, WG_OWNER);
		assert_string_equal(msg.groups[1].name, "db.main_2");
		assert_true(msg.groups[1].term == UINT64_MAX);
		assert_int_equal(msg.groups[1].status, WG_BIDDING);
		assert_int_equal(msg.groups[2].status, WG_STOPPED);
		assert_int_equal(msg.round, 77);
		assert_int_equal(msg.part, 1);
		assert_int_equal(msg.parts, 3);
		assert_true(msg.digest == 0x0102030405060708ull);
		assert_int_equal(msg.locations, 12);
	}
}

static void a_heartbeat_of_no_group_round_trips(void **state)
{
	(void)state;
	struct wire_writer w;
	wire_begin(&w, WIRE_HEARTBEAT, ID_A, INC, 0);
	assert_int_equal(wire_put_round(&w, 0, 0, 1), 0);
	assert_int_equal(wire_put_digest(&w, 0, 0), 0);
	round_trip(&w, NULL);
	assert_int_equal(msg.ngroups, 0);
}

static void a_bid_round_trips(void **state)
{
	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct wire_writer w;
		wire_begin(&w, WIRE_BID, ID_A, INC, 2);
		assert_int_equal(wire_put_group(&w, "web", 8, WG_BIDDING), 0);
		assert_int_equal(wire_put_rank(&w, 65535), 0);
		round_trip(&w, key_cases[k]);
		assert_int_equal(msg.type, WIRE_BID);
		assert_int_equal(msg.ngroups, 1);
		assert_int_equal(msg.groups[0].term, 8);
		assert_int_equal(msg.rank, 65535);
	}
}

static void an_answer_round_trips_with_an_owner_only_when_running(void **state)
{
	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct wire_writer w;
		wire_begin(&w, WIRE_ANSWER, ID_A, INC, 3);
		assert_int_equal(wire_put_group(&w, "web", 9, WG_OWNER), 0);
		assert_int_equal(wire_put_answer(&w, WA_RUNNING), 0);
		assert_int_equal(wire_put_target(&w, ID_B), 0);
		assert_int_equal(wire_put_owner(&w, 0x0a000003u), 0);
		round_trip(&w, key_cases[k]);
		assert_int_equal(msg.answer, WA_RUNNING);
		assert_int_equal(msg.target, ID_B);
		assert_int_equal(msg.owner, 0x0a000003u);

		for (int code = WA_ACK; code <= WA_STALE; code++) {
			if (code == WA_RUNNING)
				continue;
			wire_begin(&w, WIRE_ANSWER, ID_A, INC, 4);
			assert_int_equal(wire_put_group(&w, "web", 9, WG_BIDDING), 0);
			assert_int_equal(wire_put_answer(&w, (enum wire_answer)code), 0);
			assert_int_equal(wire_put_target(&w, ID_B), 0);
			round_trip(&w, key_cases[k]);
			assert_int_equal(msg.answer, code);
			assert_int_equal(msg.owner, 0);
		}
	}
}

static void a_release_round_trips_with_and_without_stopped(void **state)
{
	(void)state;
	for (size_t k = 0; k < 2; k++) {
		for (int stopped = 0; stopped <= 1; stopped++) {
			struct wire_writer w;
			wire_begin(&w, WIRE_RELEASE, ID_A, INC, 5);
			assert_int_equal(wire_put_group(&w, "web", 10, WG_STOPPED), 0);
			if (stopped)
				assert_int_equal(wire_put_stopped(&w), 0);
			round_trip(&w, key_cases[k]);
			assert_int_equal(msg.type, WIRE_RELEASE);
			assert_int_equal(msg.stopped, stopped);
			assert_int_equal(msg.groups[0].term, 10);
		}
	}
}

static void a_pull_round_trips(void **state)
{
	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct wire_writer w;
		wire_begin(&w, WIRE_PULL, ID_A, INC, 6);
		assert_int_equal(wire_put_target(&w, ID_B), 0);
		round_trip(&w, key_cases[k]);
		assert_int_equal(msg.type, WIRE_PULL);
		assert_int_equal(msg.target, ID_B);
		assert_int_equal(msg.ngroups, 0);
	}
}

static char ctx_path[] = "path=/", ctx_weight[] = "weight=10", ctx_note[] = "note=a b=c";
static char *const http_context[] = { ctx_path, ctx_weight, ctx_note, NULL };

static const struct wire_service_in three_services[] = {
	{ .name = "http",
	  .host = "10.0.0.5",
	  .context = http_context,
	  .port = 8080,
	  .proto = PROTO_TCP },
	{ .name = "db", .path = "/run/db.sock", .proto = PROTO_UNIX },
	{ .name = "dns", .host = "fe80::1:2", .port = 53, .proto = PROTO_UDP },
};

/* LEAVE has no fields; anything it carries is malformed. */
static void a_leave_round_trips(void **state)
{
	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct wire_writer w;
		wire_begin(&w, WIRE_LEAVE, ID_A, INC, 3);
		round_trip(&w, key_cases[k]);
		assert_int_equal(msg.type, WIRE_LEAVE);
		assert_string_equal(wire_type_name(WIRE_LEAVE), "leave");
		wire_begin(&w, WIRE_LEAVE, ID_A, INC, 4);
		assert_int_equal(wire_put_target(&w, ID_A), 0);
		size_t len = wire_finish(&w, NULL);
		assert_int_equal(wire_decode(w.buf, len, NULL, &msg), WD_MALFORMED);
	}
}

static void services_round_trip_and_walk(void **state)
{
	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct wire_writer w;
		struct wire_service s;
		char *ctx[SERVICE_CONTEXT_MAX + 1];
		size_t cursor = 0;

		wire_begin(&w, WIRE_SERVICES, ID_A, INC, 7);
		assert_int_equal(wire_put_round(&w, 5, 0, 1), 0);
		assert_int_equal(wire_put_digest(&w, 99, 3), 0);
		for (size_t i = 0; i < 3; i++)
			assert_int_equal(wire_put_service(&w, &three_services[i]), 0);
		round_trip(&w, key_cases[k]);
		assert_int_equal(msg.nservices, 3);

		assert_true(wire_next_service(&msg, &cursor, &s));
		assert_string_equal(s.name, "http");
		assert_string_equal(s.host, "10.0.0.5");
		assert_string_equal(s.path, "");
		assert_int_equal(s.port, 8080);
		assert_int_equal(s.proto, PROTO_TCP);
		assert_int_equal(s.ncontext, 3);
		wire_service_context(&s, ctx);
		assert_string_equal(ctx[0], "path=/");
		assert_string_equal(ctx[1], "weight=10");
		assert_string_equal(ctx[2], "note=a b=c");
		assert_null(ctx[3]);

		assert_true(wire_next_service(&msg, &cursor, &s));
		assert_string_equal(s.name, "db");
		assert_string_equal(s.host, ""); /* the sender's ID */
		assert_string_equal(s.path, "/run/db.sock");
		assert_int_equal(s.proto, PROTO_UNIX);
		assert_int_equal(s.ncontext, 0);
		assert_null(wire_service_context(&s, ctx)[0]);

		assert_true(wire_next_service(&msg, &cursor, &s));
		assert_string_equal(s.host, "fe80::1:2");
		assert_false(wire_next_service(&msg, &cursor, &s));
		assert_false(wire_next_service(&msg, &cursor, &s));
	}
}

/* The largest context: 16 entries, 1024 bytes. */
static void a_service_with_the_largest_context_round_trips(void **state)
{
	(void)state;
	char entries[SERVICE_CONTEXT_MAX][80];
	char *context[SERVICE_CONTEXT_MAX + 1];
	struct wire_writer w;
	struct wire_service s;
	size_t cursor = 0;

	for (int i = 0; i < SERVICE_CONTEXT_MAX; i++) {
		/* "kNN=" and 60 bytes of value: 64 each, 1024 in all */
		snprintf(entries[i], sizeof(entries[i]), "k%02d=%060d", i, i);
		context[i] = entries[i];
	}
	context[SERVICE_CONTEXT_MAX] = NULL;
	struct wire_service_in in = {
		.name = "big", .context = context, .port = 1, .proto = PROTO_TCP
	};
	wire_begin(&w, WIRE_SERVICES, ID_A, INC, 8);
	assert_int_equal(wire_put_round(&w, 1, 0, 1), 0);
	assert_int_equal(wire_put_digest(&w, 1, 1), 0);
	assert_int_equal(wire_put_service(&w, &in), 0);
	round_trip(&w, &keys_7_9);
	assert_true(wire_next_service(&msg, &cursor, &s));
	assert_int_equal(s.ncontext, SERVICE_CONTEXT_MAX);
	assert_string_equal(s.context + s.context_at[15], entries[15]);
}

/* A heartbeat takes groups until the next would leave no room for a MAC;
 * the writer is unchanged by the refusal, and the full datagram still
 * decodes, signed, with at most WIRE_GROUPS_MAX groups. */
static void a_full_writer_refuses_and_stays_unchanged(void **state)
{
	(void)state;
	struct wire_writer w, before;
	char name[NAME_MAX_LEN + 1];
	unsigned n = 0;
	int rc;

	wire_begin(&w, WIRE_HEARTBEAT, ID_A, INC, 9);
	assert_int_equal(wire_put_round(&w, 1, 0, 1), 0);
	assert_int_equal(wire_put_digest(&w, 1, 1), 0);
	do {
		snprintf(name, sizeof(name), "g%u", n);
		before = w;
		rc = wire_put_group(&w, name, n, WG_OWNER);
		n += rc == 0;
	} while (rc == 0);
	assert_int_equal(rc, WIRE_PUT_FULL);
	assert_int_equal(w.len, before.len);
	assert_memory_equal(w.buf, before.buf, w.len);
	assert_true(w.len <= WIRE_MAX - WIRE_MAC);
	assert_true(w.len + 4 + 10 + strlen(name) > WIRE_MAX - WIRE_MAC);
	wire_begin(&w, WIRE_HEARTBEAT, ID_A, INC, 9);
	assert_int_equal(wire_put_round(&w, 1, 0, 1), 0);
	assert_int_equal(wire_put_digest(&w, 1, 1), 0);
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "g%u", i);
		assert_int_equal(wire_put_group(&w, name, i, WG_OWNER), 0);
	}
	assert_true(wire_finish(&w, &keys_7_9) <= WIRE_MAX);
	assert_int_equal(wire_decode(w.buf, w.len, &keys_7_9, &msg), WD_OK);
	assert_int_equal(msg.ngroups, n);
	assert_true(n <= WIRE_GROUPS_MAX);
}

static void the_writer_refuses_what_the_decoder_would(void **state)
{
	(void)state;
	struct wire_writer w;
	char long_name[NAME_MAX_LEN + 2];
	char bad[] = "no-equals", *bad_context[] = { bad, NULL };

	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	wire_begin(&w, WIRE_HEARTBEAT, ID_A, INC, 1);
	assert_int_equal(wire_put_group(&w, "", 1, WG_OWNER), WIRE_PUT_INVALID);
	assert_int_equal(wire_put_group(&w, "-x", 1, WG_OWNER), WIRE_PUT_INVALID);
	assert_int_equal(wire_put_group(&w, long_name, 1, WG_OWNER), WIRE_PUT_INVALID);
	assert_int_equal(wire_put_group(&w, "ok", 1, (enum wire_group_status)4), WIRE_PUT_INVALID);
	assert_int_equal(wire_put_round(&w, 1, 1, 1), WIRE_PUT_INVALID);
	assert_int_equal(wire_put_round(&w, 1, 0, 9), WIRE_PUT_INVALID);
	assert_int_equal(wire_put_round(&w, 1, 0, 0), WIRE_PUT_INVALID);
	assert_int_equal(wire_put_answer(&w, (enum wire_answer)0), WIRE_PUT_INVALID);
	struct wire_service_in bad_services[] = {
		{ .name = "-s", .port = 1, .proto = PROTO_TCP },
		{ .name = "s", .host = "host.example", .port = 1, .proto = PROTO_TCP },
		{ .name = "s", .path = "/run/s", .proto = PROTO_TCP },
		{ .name = "s", .proto = PROTO_UNIX },
		{ .name = "s", .port = 70000, .proto = PROTO_TCP },
		{ .name = "s", .port = 1, .proto = (enum service_proto)4 },
		{ .name = "s", .port = 1, .proto = PROTO_TCP, .context = bad_context },
	};
	for (size_t i = 0; i < sizeof(bad_services) / sizeof(bad_services[0]); i++)
		assert_int_equal(wire_put_service(&w, &bad_services[i]), WIRE_PUT_INVALID);
	assert_int_equal(w.len, WIRE_HEADER);
}

/* ---- datagrams crafted byte by byte ---- */

struct raw {
	uint8_t b[2048];
	size_t len;
};

static void raw_put(struct raw *r, const void *data, size_t n)
{
	assert_true(r->len + n <= sizeof(r->b));
	memcpy(r->b + r->len, data, n);
	r->len += n;
}

static void raw_u8(struct raw *r, unsigned v)
{
	uint8_t b = (uint8_t)v;
	raw_put(r, &b, 1);
}

static void raw_u16(struct raw *r, unsigned v)
{
	raw_u8(r, v >> 8);
	raw_u8(r, v & 0xff);
}

static void raw_u32(struct raw *r, uint32_t v)
{
	raw_u16(r, v >> 16);
	raw_u16(r, v & 0xffff);
}

static void raw_u64(struct raw *r, uint64_t v)
{
	raw_u32(r, (uint32_t)(v >> 32));
	raw_u32(r, (uint32_t)v);
}

/* A header with body length 0 and key number `key`. */
static void raw_header(struct raw *r, unsigned type, unsigned key)
{
	r->len = 0;
	raw_u16(r, WIRE_MAGIC);
	raw_u8(r, WIRE_VERSION);
	raw_u8(r, type);
	raw_u32(r, ID_A);
	raw_u32(r, INC);
	raw_u32(r, 1);
	raw_u8(r, key);
	raw_u8(r, 0);
	raw_u16(r, 0);
}

static void raw_field(struct raw *r, unsigned type, const void *value, size_t n)
{
	raw_u16(r, type);
	raw_u16(r, (unsigned)n);
	raw_put(r, value, n);
}

/* A GROUP field whose name length byte says name_len. */
static void raw_group_as(struct raw *r, const char *name, unsigned name_len, unsigned status)
{
	size_t n = strlen(name);
	raw_u16(r, WF_GROUP);
	raw_u16(r, (unsigned)(10 + n));
	raw_u64(r, 1);
	raw_u8(r, status);
	raw_u8(r, name_len);
	raw_put(r, name, n);
}

static void raw_group(struct raw *r, const char *name)
{
	raw_group_as(r, name, (unsigned)strlen(name), WG_OWNER);
}

static void raw_round(struct raw *r, unsigned part, unsigned parts)
{
	uint8_t v[6] = { 0, 0, 0, 1, (uint8_t)part, (uint8_t)parts };
	raw_field(r, WF_ROUND, v, sizeof(v));
}

static void raw_digest(struct raw *r)
{
	uint8_t v[12] = { 0 };
	raw_field(r, WF_DIGEST, v, sizeof(v));
}

/* Sets the body length; with key, the header's key number and a MAC. */
static void raw_finish(struct raw *r, const struct wire_key *key)
{
	size_t body = r->len - WIRE_HEADER;
	r->b[18] = (uint8_t)(body >> 8);
	r->b[19] = (uint8_t)body;
	if (key) {
		r->b[16] = key->number;
		crypto_auth_hmacsha256(r->b + r->len, r->b, r->len, key->key);
		r->len += WIRE_MAC;
	}
}

static enum wire_drop raw_decode(struct raw *r, const struct wire_keys *keys)
{
	return wire_decode(r->b, r->len, keys, &msg);
}

/* A valid unsigned heartbeat to spoil. */
static void raw_heartbeat(struct raw *r)
{
	raw_header(r, WIRE_HEARTBEAT, 0);
	raw_group(r, "web");
	raw_round(r, 0, 1);
	raw_digest(r);
	raw_finish(r, NULL);
}

static void the_crafted_heartbeat_is_accepted(void **state)
{
	(void)state;
	struct raw r;
	raw_heartbeat(&r);
	assert_int_equal(raw_decode(&r, NULL), WD_OK);
	assert_int_equal(msg.ngroups, 1);
	assert_string_equal(msg.groups[0].name, "web");
}

static void the_header_is_checked(void **state)
{
	(void)state;
	struct raw r;

	raw_heartbeat(&r);
	assert_int_equal(wire_decode(r.b, WIRE_HEADER - 1, NULL, &msg), WD_SHORT);
	assert_int_equal(wire_decode(r.b, 0, NULL, &msg), WD_SHORT);

	raw_heartbeat(&r);
	r.b[0] = 0x54;
	r.b[1] = 0x45;
	assert_int_equal(raw_decode(&r, NULL), WD_MAGIC);

	raw_heartbeat(&r);
	r.b[2] = 2;
	assert_int_equal(raw_decode(&r, NULL), WD_VERSION);
	/* the header's fields are kept on a drop after they were read */
	r.b[2] = 1;
	r.b[19]++;
	assert_int_equal(raw_decode(&r, NULL), WD_LENGTH);
	assert_int_equal(msg.sender, ID_A);
	assert_int_equal(msg.ngroups, 0);

	raw_heartbeat(&r);
	raw_u8(&r, 0); /* one byte after the body */
	assert_int_equal(raw_decode(&r, NULL), WD_LENGTH);

	raw_heartbeat(&r);
	r.b[3] = 8; /* no such type */
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);
	r.b[3] = 0;
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);

	raw_heartbeat(&r);
	r.b[17] = 0xff; /* flags: reserved, ignored */
	assert_int_equal(raw_decode(&r, NULL), WD_OK);
}

static void a_datagram_over_1400_bytes_is_oversize(void **state)
{
	(void)state;
	struct raw r;
	uint8_t filler[1400] = { 0 };

	/* an unknown field pads a valid heartbeat to exactly 1400, then 1401 */
	raw_header(&r, WIRE_HEARTBEAT, 0);
	raw_round(&r, 0, 1);
	raw_digest(&r);
	raw_field(&r, 200, filler, WIRE_MAX - r.len - WIRE_FIELD_HEADER);
	raw_finish(&r, NULL);
	assert_int_equal(r.len, WIRE_MAX);
	assert_int_equal(raw_decode(&r, NULL), WD_OK);

	raw_header(&r, WIRE_HEARTBEAT, 0);
	raw_round(&r, 0, 1);
	raw_digest(&r);
	raw_field(&r, 200, filler, WIRE_MAX + 1 - r.len - WIRE_FIELD_HEADER);
	raw_finish(&r, NULL);
	assert_int_equal(r.len, WIRE_MAX + 1);
	assert_int_equal(raw_decode(&r, NULL), WD_OVERSIZE);
}

static void a_bad_group_is_malformed(void **state)
{
	(void)state;
	struct raw r;
	char long_name[NAME_MAX_LEN + 2];
	const char *bad_names[] = { "-web", ".web", "we b", "we/b", "" };

	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		raw_header(&r, WIRE_BID, 0);
		raw_group(&r, bad_names[i]);
		raw_field(&r, WF_RANK, "\0\1", 2);
		raw_finish(&r, NULL);
		assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);
	}
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	const struct {
		const char *name;
		unsigned name_len, status;
		enum wire_drop want;
	} cases[] = {
		{ long_name + 1, NAME_MAX_LEN, WG_OWNER, WD_OK }, /* 64 bytes */
		{ long_name, NAME_MAX_LEN + 1, WG_OWNER, WD_MALFORMED },
		{ "web", 4, WG_OWNER, WD_MALFORMED }, /* name length past the value */
		{ "web", 2, WG_OWNER, WD_MALFORMED }, /* a byte left over */
		{ "web", 3, 0, WD_MALFORMED },
		{ "web", 3, 4, WD_MALFORMED },
		{ "web", 3, WG_STOPPED, WD_OK },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		raw_header(&r, WIRE_BID, 0);
		raw_group_as(&r, cases[i].name, cases[i].name_len, cases[i].status);
		raw_field(&r, WF_RANK, "\0\1", 2);
		raw_finish(&r, NULL);
		assert_int_equal(raw_decode(&r, NULL), cases[i].want);
	}
	/* a NUL inside the name */
	raw_header(&r, WIRE_BID, 0);
	raw_put(&r,
		"\0\1\0\15"
		"\0\0\0\0\0\0\0\1"
		"\1\3"
		"w\0b",
		4 + 13);
	raw_field(&r, WF_RANK, "\0\1", 2);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);
}

/* Found by fuzz_wire: the writer refused parts beyond 8 in a SERVICES
 * answer, which the decoder takes up to 255 of, so a host whose services
 * needed more than 8 datagrams sent answers without a ROUND that every
 * peer dropped. */
static void the_writer_takes_every_round_the_decoder_takes(void **state)
{
	(void)state;
	struct wire_writer w;

	wire_begin(&w, WIRE_SERVICES, ID_A, INC, 3);
	assert_int_equal(wire_put_round(&w, 4, 254, 255), WIRE_PUT_OK);
	assert_int_equal(wire_put_digest(&w, 1, 1), WIRE_PUT_OK);
	round_trip(&w, NULL);
	assert_int_equal(msg.part, 254);
	assert_int_equal(msg.parts, 255);
	wire_begin(&w, WIRE_SERVICES, ID_A, INC, 3);
	assert_int_equal(wire_put_round(&w, 4, 9, 9), WIRE_PUT_INVALID);
	wire_begin(&w, WIRE_HEARTBEAT, ID_A, INC, 3);
	assert_int_equal(wire_put_round(&w, 4, 8, 9), WIRE_PUT_INVALID);
}

/* A valid field of each known type. */
static void raw_valid(struct raw *r, unsigned field)
{
	switch (field) {
	case WF_GROUP:
		raw_group(r, "web");
		break;
	case WF_ROUND:
		raw_round(r, 0, 1);
		break;
	case WF_DIGEST:
		raw_digest(r);
		break;
	case WF_RANK:
		raw_field(r, field, "\0\1", 2);
		break;
	case WF_ANSWER:
		raw_field(r, field, "\2", 1); /* RUNNING */
		break;
	case WF_TARGET:
	case WF_OWNER:
		raw_field(r, field, "\x0a\0\0\2", 4);
		break;
	case WF_STOPPED:
		raw_field(r, field, "", 0);
		break;
	case WF_SERVICE: /* port 80, tcp, "s", no host, path, context, group or process */
		raw_field(r, field, "\0\120\1\1s\0\0\0\0\0\0", 11);
		break;
	}
}

static void fields_with_wrong_lengths_are_malformed(void **state)
{
	(void)state;
	static const uint8_t zeros[16];
	const struct {
		unsigned type, fields[5], bad;
		size_t bad_len;
	} cases[] = {
		{ WIRE_PULL, { WF_TARGET }, WF_TARGET, 3 },
		{ WIRE_PULL, { WF_TARGET }, WF_TARGET, 5 },
		{ WIRE_SERVICES, { WF_ROUND, WF_DIGEST }, WF_ROUND, 5 },
		{ WIRE_SERVICES, { WF_ROUND, WF_DIGEST }, WF_DIGEST, 11 },
		{ WIRE_SERVICES, { WF_ROUND, WF_DIGEST, WF_SERVICE }, WF_SERVICE, 0 },
		{ WIRE_BID, { WF_GROUP, WF_RANK }, WF_RANK, 1 },
		{ WIRE_ANSWER, { WF_GROUP, WF_ANSWER, WF_TARGET, WF_OWNER }, WF_ANSWER, 2 },
		{ WIRE_ANSWER, { WF_GROUP, WF_ANSWER, WF_TARGET, WF_OWNER }, WF_TARGET, 0 },
		{ WIRE_ANSWER, { WF_GROUP, WF_ANSWER, WF_TARGET, WF_OWNER }, WF_OWNER, 8 },
		{ WIRE_RELEASE, { WF_GROUP, WF_STOPPED }, WF_STOPPED, 1 },
		{ WIRE_HEARTBEAT, { WF_GROUP, WF_ROUND, WF_DIGEST }, WF_DIGEST, 13 },
	};
	struct raw r;

	/* each message valid as it is, and malformed with the one field's
	 * length wrong */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int wrong = 0; wrong <= 1; wrong++) {
			raw_header(&r, cases[i].type, 0);
			for (const unsigned *f = cases[i].fields; *f; f++)
				if (wrong && *f == cases[i].bad)
					raw_field(&r, *f, zeros, cases[i].bad_len);
				else
					raw_valid(&r, *f);
			raw_finish(&r, NULL);
			assert_int_equal(raw_decode(&r, NULL), wrong ? WD_MALFORMED : WD_OK);
		}
	}
	/* a field running past the body */
	raw_header(&r, WIRE_PULL, 0);
	raw_u16(&r, WF_TARGET);
	raw_u16(&r, 5);
	raw_u32(&r, ID_B);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);
	/* a field header cut short */
	raw_header(&r, WIRE_PULL, 0);
	raw_valid(&r, WF_TARGET);
	raw_u16(&r, 200);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);
}

static void round_parts_are_checked(void **state)
{
	(void)state;
	struct raw r;
	const struct {
		unsigned part, parts;
		enum wire_drop want;
	} cases[] = { { 0, 1, WD_OK },	      { 7, 8, WD_OK },	      { 1, 1, WD_MALFORMED },
		      { 0, 0, WD_MALFORMED }, { 0, 9, WD_MALFORMED }, { 8, 8, WD_MALFORMED } };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		raw_header(&r, WIRE_HEARTBEAT, 0);
		raw_round(&r, cases[i].part, cases[i].parts);
		raw_digest(&r);
		raw_finish(&r, NULL);
		assert_int_equal(raw_decode(&r, NULL), cases[i].want);
	}
	/* a SERVICES answer may have up to 255 parts: a directory is larger */
	raw_header(&r, WIRE_SERVICES, 0);
	raw_round(&r, 254, 255);
	raw_digest(&r);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_OK);
	raw_header(&r, WIRE_SERVICES, 0);
	raw_round(&r, 9, 9);
	raw_digest(&r);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);
}

static void unknown_fields_are_skipped(void **state)
{
	(void)state;
	struct raw r;

	raw_header(&r, WIRE_PULL, 0);
	raw_field(&r, 0, "x", 1);
	raw_field(&r, 200, "anything", 8);
	raw_field(&r, WF_TARGET, "\x0a\0\0\2", 4);
	raw_field(&r, 0xffff, "", 0);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_OK);
	assert_int_equal(msg.target, ID_B);
}

static void required_fields_must_be_there(void **state)
{
	(void)state;
	struct raw r;

	raw_header(&r, WIRE_HEARTBEAT, 0); /* no DIGEST */
	raw_round(&r, 0, 1);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);

	raw_header(&r, WIRE_BID, 0); /* no RANK */
	raw_group(&r, "web");
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);

	raw_header(&r, WIRE_BID, 0); /* no GROUP */
	raw_field(&r, WF_RANK, "\0\0", 2);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);

	raw_header(&r, WIRE_RELEASE, 0); /* nothing */
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);

	raw_header(&r, WIRE_PULL, 0);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);

	raw_header(&r, WIRE_SERVICES, 0); /* no ROUND */
	raw_digest(&r);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);

	/* ANSWER: RUNNING needs OWNER, the others must not have one */
	for (unsigned code = WA_ACK; code <= WA_STALE; code++) {
		for (int owner = 0; owner <= 1; owner++) {
			raw_header(&r, WIRE_ANSWER, 0);
			raw_group(&r, "web");
			raw_field(&r, WF_ANSWER, &(uint8_t){ (uint8_t)code }, 1);
			raw_field(&r, WF_TARGET, "\x0a\0\0\2", 4);
			if (owner)
				raw_field(&r, WF_OWNER, "\x0a\0\0\3", 4);
			raw_finish(&r, NULL);
			assert_int_equal(raw_decode(&r, NULL),
					 owner == (code == WA_RUNNING) ? WD_OK : WD_MALFORMED);
		}
	}
	/* no TARGET in an ANSWER */
	raw_header(&r, WIRE_ANSWER, 0);
	raw_group(&r, "web");
	raw_field(&r, WF_ANSWER, "\1", 1);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);
	/* an answer code out of range */
	raw_header(&r, WIRE_ANSWER, 0);
	raw_group(&r, "web");
	raw_field(&r, WF_ANSWER, "\5", 1);
	raw_field(&r, WF_TARGET, "\x0a\0\0\2", 4);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);
}

static void repeated_or_misplaced_fields_are_malformed(void **state)
{
	(void)state;
	struct raw r;

	raw_header(&r, WIRE_HEARTBEAT, 0); /* ROUND twice */
	raw_round(&r, 0, 1);
	raw_round(&r, 0, 1);
	raw_digest(&r);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);

	raw_header(&r, WIRE_BID, 0); /* two groups in a bid */
	raw_group(&r, "web");
	raw_group(&r, "db");
	raw_field(&r, WF_RANK, "\0\0", 2);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);

	raw_header(&r, WIRE_HEARTBEAT, 0); /* one group twice in a heartbeat */
	raw_group(&r, "web");
	raw_group(&r, "web");
	raw_round(&r, 0, 1);
	raw_digest(&r);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);

	raw_header(&r, WIRE_HEARTBEAT, 0); /* RANK is no heartbeat's */
	raw_round(&r, 0, 1);
	raw_digest(&r);
	raw_field(&r, WF_RANK, "\0\0", 2);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);

	raw_header(&r, WIRE_RELEASE, 0); /* STOPPED twice */
	raw_group(&r, "web");
	raw_field(&r, WF_STOPPED, "", 0);
	raw_field(&r, WF_STOPPED, "", 0);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);
}

/* A SERVICE value: port, proto, name, host, path, the entries, then the
 * group and process (these two). */
static const char *raw_owner_group = "", *raw_owner_process = "";
static unsigned raw_owner_flags;
static void raw_service(struct raw *r, unsigned port, unsigned proto, const char *name,
			size_t name_len, const char *host, const char *path,
			const char *const *context)
{
	struct raw v = { .len = 0 };
	size_t n = 0;

	raw_u16(&v, port);
	raw_u8(&v, proto);
	raw_u8(&v, (unsigned)name_len);
	raw_put(&v, name, name_len);
	raw_u8(&v, (unsigned)strlen(host));
	raw_put(&v, host, strlen(host));
	raw_u8(&v, (unsigned)strlen(path));
	raw_put(&v, path, strlen(path));
	while (context && context[n])
		n++;
	raw_u8(&v, (unsigned)n);
	for (size_t i = 0; i < n; i++) {
		raw_u16(&v, (unsigned)strlen(context[i]));
		raw_put(&v, context[i], strlen(context[i]));
	}
	raw_u8(&v, (unsigned)strlen(raw_owner_group));
	raw_put(&v, raw_owner_group, strlen(raw_owner_group));
	raw_u8(&v, (unsigned)strlen(raw_owner_process));
	raw_put(&v, raw_owner_process, strlen(raw_owner_process));
	raw_u8(&v, raw_owner_flags);
	raw_field(r, WF_SERVICE, v.b, v.len);
}

static enum wire_drop services_of(unsigned port, unsigned proto, const char *name, size_t name_len,
				  const char *host, const char *path, const char *const *context)
{
	struct raw r;

	raw_header(&r, WIRE_SERVICES, 0);
	raw_round(&r, 0, 1);
	raw_digest(&r);
	raw_service(&r, port, proto, name, name_len, host, path, context);
	raw_finish(&r, NULL);
	return raw_decode(&r, NULL);
}

static void bad_services_are_malformed(void **state)
{
	(void)state;
	const char *good[] = { "a=1", NULL }, *no_equals[] = { "a", NULL },
		   *twice[] = { "a=1", "a=2", NULL }, *control[] = { "a=\n", NULL };

	assert_int_equal(services_of(80, PROTO_TCP, "http", 4, "", "", good), WD_OK);
	assert_int_equal(services_of(80, PROTO_TCP, "http", 4, "::1", "", NULL), WD_OK);
	assert_int_equal(services_of(0, PROTO_UNIX, "s", 1, "", "/run/s", NULL), WD_OK);
	assert_int_equal(services_of(80, PROTO_TCP, "-http", 5, "", "", NULL), WD_MALFORMED);
	assert_int_equal(services_of(80, PROTO_TCP, "ht\0p", 4, "", "", NULL), WD_MALFORMED);
	assert_int_equal(services_of(80, PROTO_TCP, "", 0, "", "", NULL), WD_MALFORMED);
	assert_int_equal(services_of(80, PROTO_TCP, "http", 4, "example.org", "", NULL),
			 WD_MALFORMED);
	assert_int_equal(services_of(80, 4, "http", 4, "", "", NULL), WD_MALFORMED);
	assert_int_equal(services_of(80, PROTO_TCP, "http", 4, "", "/run/s", NULL), WD_MALFORMED);
	assert_int_equal(services_of(0, PROTO_UNIX, "s", 1, "", "", NULL), WD_MALFORMED);
	assert_int_equal(services_of(0, PROTO_UNIX, "s", 1, "", "run/s", NULL), WD_MALFORMED);
	assert_int_equal(services_of(1, PROTO_UNIX, "s", 1, "", "/run/s", NULL), WD_MALFORMED);
	assert_int_equal(services_of(80, PROTO_TCP, "http", 4, "", "", no_equals), WD_MALFORMED);
	assert_int_equal(services_of(80, PROTO_TCP, "http", 4, "", "", twice), WD_MALFORMED);
	assert_int_equal(services_of(80, PROTO_TCP, "http", 4, "", "", control), WD_MALFORMED);

	/* more than 1024 bytes of context: far more than the entries' buffer
	 * holds, then one byte more than the limit, then exactly the limit */
	static char big_a[700], big_b[600];
	memset(big_a, 'v', sizeof(big_a) - 1);
	memcpy(big_a, "a=", 2);
	memset(big_b, 'v', sizeof(big_b) - 1);
	memcpy(big_b, "b=", 2);
	const char *too_big[] = { big_a, big_b, NULL };
	assert_int_equal(services_of(80, PROTO_TCP, "http", 4, "", "", too_big), WD_MALFORMED);
	big_a[SERVICE_CONTEXT_BYTES + 1 - strlen(big_b)] = '\0';
	assert_int_equal(services_of(80, PROTO_TCP, "http", 4, "", "", too_big), WD_MALFORMED);
	big_a[SERVICE_CONTEXT_BYTES - strlen(big_b)] = '\0';
	assert_int_equal(services_of(80, PROTO_TCP, "http", 4, "", "", too_big), WD_OK);
	/* 17 entries */
	const char *many[SERVICE_CONTEXT_MAX + 2];
	static char names[SERVICE_CONTEXT_MAX + 1][8];
	for (int i = 0; i <= SERVICE_CONTEXT_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "k%d=1", i);
		many[i] = names[i];
	}
	many[SERVICE_CONTEXT_MAX + 1] = NULL;
	assert_int_equal(services_of(80, PROTO_TCP, "http", 4, "", "", many), WD_MALFORMED);
	many[SERVICE_CONTEXT_MAX] = NULL;
	assert_int_equal(services_of(80, PROTO_TCP, "http", 4, "", "", many), WD_OK);

	/* a byte after the last entry */
	struct raw r;
	raw_header(&r, WIRE_SERVICES, 0);
	raw_round(&r, 0, 1);
	raw_digest(&r);
	raw_field(&r, WF_SERVICE, "\0\120\1\1s\0\0\0\0\0\0x", 12);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);
	/* a context count with no entries after it */
	raw_header(&r, WIRE_SERVICES, 0);
	raw_round(&r, 0, 1);
	raw_digest(&r);
	raw_field(&r, WF_SERVICE, "\0\120\1\1s\0\0\1", 8);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_MALFORMED);
	/* two, and a PULL-less walk of them */
	raw_header(&r, WIRE_SERVICES, 0);
	raw_round(&r, 0, 1);
	raw_valid(&r, WF_SERVICE);
	raw_digest(&r);
	raw_valid(&r, WF_SERVICE);
	raw_finish(&r, NULL);
	assert_int_equal(raw_decode(&r, NULL), WD_OK);
	assert_int_equal(msg.nservices, 2);
}

/* ---- keys ---- */

static void signed_datagrams_are_checked_against_the_keys(void **state)
{
	(void)state;
	struct raw r;

	/* signed with 7, the first key: accepted, not by a host that has only 9 */
	raw_header(&r, WIRE_HEARTBEAT, 0);
	raw_round(&r, 0, 1);
	raw_digest(&r);
	raw_finish(&r, &keys_7_9.keys[0]);
	assert_int_equal(raw_decode(&r, &keys_7_9), WD_OK);
	assert_int_equal(msg.key_number, 7);
	assert_int_equal(raw_decode(&r, &keys_9_only), WD_UNKNOWN_KEY);
	/* with no keys, a signed datagram is not taken unchecked */
	assert_int_equal(raw_decode(&r, NULL), WD_UNKNOWN_KEY);
	struct wire_keys none = { .n = 0 };
	assert_int_equal(raw_decode(&r, &none), WD_UNKNOWN_KEY);

	/* one bit of the header, of the body or of the MAC changed; the
	 * flags, ignored otherwise, are covered too */
	size_t spots[] = { 5, 17, WIRE_HEADER + 3, r.len - 1 };
	for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		r.b[spots[i]] ^= 0x01;
		assert_int_equal(raw_decode(&r, &keys_7_9), WD_BAD_MAC);
		r.b[spots[i]] ^= 0x01;
	}
	assert_int_equal(raw_decode(&r, &keys_7_9), WD_OK);

	/* signed with 9, the second key: accepted too */
	raw_header(&r, WIRE_PULL, 0);
	raw_field(&r, WF_TARGET, "\x0a\0\0\2", 4);
	raw_finish(&r, &keys_9_only.keys[0]);
	assert_int_equal(raw_decode(&r, &keys_7_9), WD_OK);
	assert_int_equal(msg.key_number, 9);

	/* a key number nobody has */
	struct wire_key other;
	fill_key(&other, 8, 0x11);
	raw_header(&r, WIRE_PULL, 0);
	raw_field(&r, WF_TARGET, "\x0a\0\0\2", 4);
	raw_finish(&r, &other);
	assert_int_equal(raw_decode(&r, &keys_7_9), WD_UNKNOWN_KEY);
	/* the right number with the wrong key */
	fill_key(&other, 7, 0x12);
	raw_header(&r, WIRE_PULL, 0);
	raw_field(&r, WF_TARGET, "\x0a\0\0\2", 4);
	raw_finish(&r, &other);
	assert_int_equal(raw_decode(&r, &keys_7_9), WD_BAD_MAC);

	/* unsigned, while we have keys */
	raw_heartbeat(&r);
	assert_int_equal(raw_decode(&r, &keys_7_9), WD_NO_MAC);
}

/* A malformed body under a bad MAC is a bad MAC: the body is not read. */
static void the_mac_is_checked_before_the_body(void **state)
{
	(void)state;
	struct raw r;
	struct wire_key other;

	fill_key(&other, 7, 0x99);
	raw_header(&r, WIRE_PULL, 0);
	raw_field(&r, WF_RANK, "\0", 1);
	raw_finish(&r, &other);
	assert_int_equal(raw_decode(&r, &keys_7_9), WD_BAD_MAC);
	raw_header(&r, WIRE_PULL, 0);
	raw_field(&r, WF_RANK, "\0", 1);
	raw_finish(&r, &keys_7_9.keys[0]);
	assert_int_equal(raw_decode(&r, &keys_7_9), WD_MALFORMED);
}

static void every_drop_has_a_short_stable_name(void **state)
{
	(void)state;
	static const char *const want[WD__COUNT] = {
		"ok",	  "short",     "oversize",	  "magic",	 "version",
		"length", "malformed", "unsigned",	  "unknown-key", "bad-mac",
		"replay", "own",       "old-incarnation",
	};
	for (int d = 0; d < WD__COUNT; d++)
		assert_string_equal(wire_drop_name((enum wire_drop)d), want[d]);
	assert_string_equal(wire_drop_name(WD__COUNT), "?");
	assert_string_equal(wire_type_name(WIRE_BID), "bid");
	assert_string_equal(wire_type_name((enum wire_type)0), "?");
}

/* ---- the key file ---- */

#define KEY_A "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF"
#define KEY_B "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

struct key_dir {
	char dir[64];
	char path[128];
	char err[512];
	struct wire_keys keys;
};

static int setup_key_dir(void **state)
{
	struct key_dir *k = calloc(1, sizeof(*k));
	if (!k)
		return -1;
	strcpy(k->dir, "/tmp/tend-test-wire-XXXXXX");
	if (!mkdtemp(k->dir)) {
		free(k);
		return -1;
	}
	snprintf(k->path, sizeof(k->path), "%s/keys", k->dir);
	*state = k;
	return 0;
}

static int teardown_key_dir(void **state)
{
	struct key_dir *k = *state;
	remove_test_tree(k->dir);
	free(k);
	return 0;
}

/* Writes text as the key file with mode, and loads it. */
static int load(struct key_dir *k, const char *text, mode_t mode)
{
	write_test_file(k->dir, "keys", text);
	assert_int_equal(chmod(k->path, mode), 0);
	k->err[0] = '\0';
	return wire_keys_load(k->path, &k->keys, k->err, sizeof(k->err));
}

/* err is "PATH" + suffix. */
static void assert_err(const struct key_dir *k, const char *suffix)
{
	char want[512];
	snprintf(want, sizeof(want), "%s%s", k->path, suffix);
	assert_string_equal(k->err, want);
}

static void a_key_file_is_read_in_order(void **state)
{
	struct key_dir *k = *state;

	assert_int_equal(load(k,
			      "# cluster keys\n"
			      "\n"
			      "  3 " KEY_A "\n"
			      "   # the old one\n"
			      "255\t" KEY_B "  \n"
			      "1 " KEY_A,
			      0600),
			 0);
	assert_int_equal(k->keys.n, 3);
	assert_int_equal(k->keys.keys[0].number, 3);
	assert_int_equal(k->keys.keys[0].key[0], 0x00);
	assert_int_equal(k->keys.keys[0].key[1], 0x11);
	assert_int_equal(k->keys.keys[0].key[15], 0xff);
	assert_int_equal(k->keys.keys[0].key[31], 0xff);
	assert_int_equal(k->keys.keys[1].number, 255);
	assert_int_equal(k->keys.keys[1].key[7], 0xff);
	assert_int_equal(k->keys.keys[2].number, 1);
	assert_non_null(wire_keys_find(&k->keys, 255));
	assert_null(wire_keys_find(&k->keys, 2));

	/* what it signs, the same keys accept */
	struct wire_writer w;
	wire_begin(&w, WIRE_PULL, ID_A, INC, 1);
	assert_int_equal(wire_put_target(&w, ID_B), 0);
	wire_finish(&w, &k->keys);
	assert_int_equal(w.buf[16], 3);
	assert_int_equal(wire_decode(w.buf, w.len, &k->keys, &msg), WD_OK);

	wire_keys_wipe(&k->keys);
	assert_int_equal(k->keys.n, 0);
	assert_int_equal(k->keys.keys[0].key[1], 0);
}

static void a_key_file_others_can_read_is_refused(void **state)
{
	struct key_dir *k = *state;

	assert_int_equal(load(k, "1 " KEY_A "\n", 0644), -1);
	assert_err(k, ": must not be readable by group or others (chmod 600)");
	assert_int_equal(k->keys.n, 0);
	const mode_t loose[] = { 0640, 0620, 0610, 0604, 0602, 0601 };
	for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		assert_int_equal(load(k, "1 " KEY_A "\n", loose[i]), -1);
		assert_err(k, ": must not be readable by group or others (chmod 600)");
	}
	assert_int_equal(load(k, "1 " KEY_A "\n", 0400), 0);
}

/* Owned by someone else than root and us: they could change the keys. */
static void a_key_file_of_another_user_is_refused(void **state)
{
	struct key_dir *k = *state;
	uid_t other = geteuid() == 0 ? 4242 : 0;

	assert_int_equal(load(k, "1 " KEY_A "\n", 0600), 0);
	if (chown(k->path, other, (gid_t)-1) != 0)
		skip(); /* not root: cannot give a file away */
	assert_int_equal(wire_keys_load(k->path, &k->keys, k->err, sizeof(k->err)), -1);
	assert_err(k, ": must be owned by root or by the user tend runs as");
}

static void a_bad_key_line_is_named(void **state)
{
	struct key_dir *k = *state;
	const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "1 " KEY_A "0\n", ":1: a key is 64 hex digits (32 bytes)" },
		{ "# x\n1 " KEY_A "\n2 0011\n", ":3: a key is 64 hex digits (32 bytes)" },
		{ "1 g" KEY_A "\n", ":1: a key is 64 hex digits (32 bytes)" },
		{ "1 " KEY_A " x\n", ":1: expected NUMBER HEX and nothing after it" },
		{ "0 " KEY_A "\n", ":1: a key number is 1 to 255" },
		{ "256 " KEY_A "\n", ":1: a key number is 1 to 255" },
		{ "-1 " KEY_A "\n", ":1: a key number is 1 to 255" },
		{ "1" KEY_A "\n", ":1: a key number is 1 to 255" },
		{ "1\n", ":1: expected NUMBER HEX" },
		{ "1 " KEY_A "\r\n", ":1: a key is 64 hex digits (32 bytes)" },
		{ "5 " KEY_A "\n\n5 " KEY_B "\n", ":3: key number 5 is given twice" },
		{ "", ": no key" },
		{ "# nothing\n\n", ": no key" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(load(k, cases[i].text, 0600), -1);
		assert_err(k, cases[i].err);
		assert_int_equal(k->keys.n, 0);
	}
}

static void seventeen_keys_are_too_many(void **state)
{
	struct key_dir *k = *state;
	char text[17 * 80] = "";

	for (int i = 1; i <= 17; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%d %s\n", i, KEY_B);
	assert_int_equal(load(k, text, 0600), -1);
	assert_err(k, ":17: more than 16 keys");
}

static void a_key_file_must_be_a_regular_file_that_is_there(void **state)
{
	struct key_dir *k = *state;

	k->err[0] = '\0';
	assert_int_equal(wire_keys_load(k->dir, &k->keys, k->err, sizeof(k->err)), -1);
	char want[512];
	snprintf(want, sizeof(want), "%s: not a regular file", k->dir);
	assert_string_equal(k->err, want);
	assert_int_equal(wire_keys_load(k->path, &k->keys, k->err, sizeof(k->err)), -1);
	assert_err(k, ": No such file or directory");
}

static void a_key_file_larger_than_the_limit_is_refused(void **state)
{
	struct key_dir *k = *state;
	char *text = malloc(WIRE_KEY_FILE_MAX + 2);

	assert_non_null(text);
	memset(text, '#', WIRE_KEY_FILE_MAX + 1);
	text[WIRE_KEY_FILE_MAX + 1] = '\0';
	assert_int_equal(load(k, text, 0600), -1);
	assert_err(k, ": larger than 8192 bytes");
	/* exactly the limit: read (and found empty of keys) */
	text[WIRE_KEY_FILE_MAX] = '\0';
	assert_int_equal(load(k, text, 0600), -1);
	assert_err(k, ": no key");
	free(text);
}

/* ---- the anti-replay window ---- */

static enum wire_drop check(struct replay_window *w, uint32_t inc, uint32_t seq, bool want_reboot)
{
	bool rebooted = !want_reboot;
	enum wire_drop d = replay_check(w, inc, seq, &rebooted);
	assert_int_equal(rebooted, want_reboot);
	return d;
}

static void sequences_are_accepted_once(void **state)
{
	(void)state;
	struct replay_window w = { 0 };

	assert_int_equal(check(&w, 1, 100, false), WD_OK); /* the first: nothing to forget */
	for (uint32_t s = 101; s < 300; s++)
		assert_int_equal(check(&w, 1, s, false), WD_OK);
	assert_int_equal(check(&w, 1, 299, false), WD_REPLAY);
	assert_int_equal(check(&w, 1, 250, false), WD_REPLAY);
	/* out of order inside the window */
	assert_int_equal(check(&w, 1, 310, false), WD_OK);
	assert_int_equal(check(&w, 1, 305, false), WD_OK);
	assert_int_equal(check(&w, 1, 300, false), WD_OK);
	assert_int_equal(check(&w, 1, 305, false), WD_REPLAY);
	assert_int_equal(check(&w, 1, 309, false), WD_OK);
	assert_int_equal(check(&w, 1, 310, false), WD_REPLAY);
	/* a jump past the whole window forgets it; then the window's edge:
	 * 63 behind the top is inside, 64 is too old */
	assert_int_equal(check(&w, 1, 1000, false), WD_OK);
	assert_int_equal(check(&w, 1, 999, false), WD_OK);
	assert_int_equal(check(&w, 1, 1000 - 63, false), WD_OK);
	assert_int_equal(check(&w, 1, 1000 - 63, false), WD_REPLAY);
	assert_int_equal(check(&w, 1, 1000 - 64, false), WD_REPLAY);
	/* a jump inside the window keeps what it saw */
	assert_int_equal(check(&w, 1, 1010, false), WD_OK);
	assert_int_equal(check(&w, 1, 999, false), WD_REPLAY);
	assert_int_equal(check(&w, 1, 998, false), WD_OK);
}

static void a_sequence_that_wraps_is_still_new(void **state)
{
	(void)state;
	struct replay_window w = { 0 };

	assert_int_equal(check(&w, 1, UINT32_MAX - 1, false), WD_OK);
	assert_int_equal(check(&w, 1, 0, false), WD_OK);
	assert_int_equal(check(&w, 1, UINT32_MAX, false), WD_OK);
	assert_int_equal(check(&w, 1, UINT32_MAX, false), WD_REPLAY);
	assert_int_equal(check(&w, 1, 1, false), WD_OK);
	assert_int_equal(check(&w, 1, UINT32_MAX - 70, false), WD_REPLAY);
}

static void a_new_incarnation_restarts_and_old_ones_are_refused(void **state)
{
	(void)state;
	struct replay_window w = { 0 };

	assert_int_equal(check(&w, 10, 500, false), WD_OK);
	/* rebooted: the counter starts low again */
	assert_int_equal(check(&w, 11, 1, true), WD_OK);
	assert_int_equal(check(&w, 11, 2, false), WD_OK);
	assert_int_equal(check(&w, 11, 1, false), WD_REPLAY);
	/* the earlier boot's datagrams, replayed, even newer-looking ones */
	assert_int_equal(check(&w, 10, 501, false), WD_STALE_INCARNATION);
	assert_int_equal(check(&w, 10, 1, false), WD_STALE_INCARNATION);
	assert_int_equal(w.incarnation, 11);
	/* eight earlier boots are remembered, the ninth is forgotten */
	for (uint32_t inc = 12; inc <= 19; inc++)
		assert_int_equal(check(&w, inc, 1, true), WD_OK);
	assert_int_equal(w.nold, REPLAY_OLD_MAX);
	for (uint32_t inc = 11; inc <= 18; inc++)
		assert_int_equal(check(&w, inc, 7, false), WD_STALE_INCARNATION);
	assert_int_equal(check(&w, 10, 7, true), WD_OK); /* looks like a reboot */
	assert_int_equal(check(&w, 19, 8, false), WD_STALE_INCARNATION);
}

/* A declared service names its group and process, both valid, or neither. */
static void a_service_carries_its_group_and_process(void **state)
{
	(void)state;
	struct wire_writer w;
	struct wire_service s;
	size_t cursor = 0;
	struct wire_service_in in = { .name = "web",
				      .port = 80,
				      .proto = PROTO_TCP,
				      .group = "front",
				      .process = "nginx",
				      .mobile = true };

	wire_begin(&w, WIRE_SERVICES, ID_A, INC, 9);
	assert_int_equal(wire_put_round(&w, 1, 0, 1), 0);
	assert_int_equal(wire_put_digest(&w, 1, 1), 0);
	assert_int_equal(wire_put_service(&w, &in), 0);
	in.process = NULL;
	assert_int_equal(wire_put_service(&w, &in), WIRE_PUT_INVALID);
	in.process = "-bad";
	assert_int_equal(wire_put_service(&w, &in), WIRE_PUT_INVALID);
	round_trip(&w, NULL);
	assert_true(wire_next_service(&msg, &cursor, &s));
	assert_string_equal(s.group, "front");
	assert_string_equal(s.process, "nginx");
	assert_true(s.mobile);

	raw_owner_group = "front";
	raw_owner_process = "";
	assert_int_equal(services_of(80, PROTO_TCP, "web", 3, "", "", NULL), WD_MALFORMED);
	raw_owner_process = "bad name";
	assert_int_equal(services_of(80, PROTO_TCP, "web", 3, "", "", NULL), WD_MALFORMED);
	raw_owner_process = "nginx";
	assert_int_equal(services_of(80, PROTO_TCP, "web", 3, "", "", NULL), WD_OK);
	raw_owner_flags = 1; /* mobile: a negotiable group's */
	assert_int_equal(services_of(80, PROTO_TCP, "web", 3, "", "", NULL), WD_OK);
	raw_owner_flags = 2; /* no such flag */
	assert_int_equal(services_of(80, PROTO_TCP, "web", 3, "", "", NULL), WD_MALFORMED);
	raw_owner_group = raw_owner_process = "";
	raw_owner_flags = 1; /* mobile, but declared by nobody */
	assert_int_equal(services_of(80, PROTO_TCP, "web", 3, "", "", NULL), WD_MALFORMED);
	raw_owner_flags = 0;
	raw_owner_group = raw_owner_process = "";
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_heartbeat_round_trips),
		cmocka_unit_test(a_heartbeat_of_no_group_round_trips),
		cmocka_unit_test(a_bid_round_trips),
		cmocka_unit_test(an_answer_round_trips_with_an_owner_only_when_running),
		cmocka_unit_test(a_release_round_trips_with_and_without_stopped),
		cmocka_unit_test(a_pull_round_trips),
		cmocka_unit_test(services_round_trip_and_walk),
		cmocka_unit_test(a_service_with_the_largest_context_round_trips),
		cmocka_unit_test(a_full_writer_refuses_and_stays_unchanged),
		cmocka_unit_test(the_writer_refuses_what_the_decoder_would),
		cmocka_unit_test(the_crafted_heartbeat_is_accepted),
		cmocka_unit_test(the_header_is_checked),
		cmocka_unit_test(a_datagram_over_1400_bytes_is_oversize),
		cmocka_unit_test(a_bad_group_is_malformed),
		cmocka_unit_test(fields_with_wrong_lengths_are_malformed),
		cmocka_unit_test(round_parts_are_checked),
		cmocka_unit_test(the_writer_takes_every_round_the_decoder_takes),
		cmocka_unit_test(a_leave_round_trips),
		cmocka_unit_test(a_service_carries_its_group_and_process),
		cmocka_unit_test(unknown_fields_are_skipped),
		cmocka_unit_test(required_fields_must_be_there),
		cmocka_unit_test(repeated_or_misplaced_fields_are_malformed),
		cmocka_unit_test(bad_services_are_malformed),
		cmocka_unit_test(signed_datagrams_are_checked_against_the_keys),
		cmocka_unit_test(the_mac_is_checked_before_the_body),
		cmocka_unit_test(every_drop_has_a_short_stable_name),
		cmocka_unit_test_setup_teardown(a_key_file_is_read_in_order, setup_key_dir,
						teardown_key_dir),
		cmocka_unit_test_setup_teardown(a_key_file_others_can_read_is_refused,
						setup_key_dir, teardown_key_dir),
		cmocka_unit_test_setup_teardown(a_key_file_of_another_user_is_refused,
						setup_key_dir, teardown_key_dir),
		cmocka_unit_test_setup_teardown(a_bad_key_line_is_named, setup_key_dir,
						teardown_key_dir),
		cmocka_unit_test_setup_teardown(seventeen_keys_are_too_many, setup_key_dir,
						teardown_key_dir),
		cmocka_unit_test_setup_teardown(a_key_file_must_be_a_regular_file_that_is_there,
						setup_key_dir, teardown_key_dir),
		cmocka_unit_test_setup_teardown(a_key_file_larger_than_the_limit_is_refused,
						setup_key_dir, teardown_key_dir),
		cmocka_unit_test(sequences_are_accepted_once),
		cmocka_unit_test(a_sequence_that_wraps_is_still_new),
		cmocka_unit_test(a_new_incarnation_restarts_and_old_ones_are_refused),
	};
	return cmocka_run_group_tests(tests, setup_keys, NULL);
}

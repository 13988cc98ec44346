/* The cluster's key file (`key-file` in conf.d): the HMAC-SHA256 keys
 * datagrams are signed with and accepted under (PROTOCOL.md, "Messages").
 *
 * One key per line, "NUMBER HEX": NUMBER 1-255 (the header's key number;
 * 0 means "no MAC" on the wire), HEX exactly 64 hex digits (32 bytes).
 * Blank lines and lines whose first non-blank character is '#' are
 * ignored. The first key listed signs what this host sends; every key
 * listed is accepted. That order is what makes rotation possible without
 * a moment where two hosts cannot hear each other:
 *   1. add the new key as the last line on every host (all still sign with
 *      the old one, and accept both);
 *   2. once every host has it, move it first on every host (hosts now sign
 *      with the new key; those not yet changed still accept it);
 *   3. once every host signs with it, remove the old key everywhere.
 *
 * libsodium must be initialised before the keys are used; wire_keys_load()
 * calls sodium_init() (idempotent), so keys that come from a file are
 * always usable. Code that fills a struct wire_keys by hand (tests) calls
 * sodium_init() itself. */
#ifndef TEND_CLUSTER_KEYS_H
#define TEND_CLUSTER_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_KEYS_MAX 16
#define WIRE_KEY_BYTES 32 /* crypto_auth_hmacsha256_KEYBYTES */
/* Larger key files are refused: 16 keys and their comments fit easily, and
 * a bound lets the file be read into a buffer that is wiped afterwards. */
#define WIRE_KEY_FILE_MAX 8192

struct wire_keys {
	unsigned n; /* 0: no keys, datagrams are neither signed nor checked */
	struct wire_key {
		uint8_t number; /* 1-255 */
		uint8_t key[WIRE_KEY_BYTES];
	} keys[WIRE_KEYS_MAX]; /* keys[0] signs */
};

/* Reads the key file at path into *out. The file must be a regular file
 * owned by this process's effective uid or by root, and not readable or
 * writable by group or others. Returns 0, or -1 with *out wiped and a
 * "PATH: message" or "PATH:LINE: message" line (no newline) in err. */
int wire_keys_load(const char *path, struct wire_keys *out, char *err, size_t errlen);

/* The key numbered `number`, or NULL. */
const struct wire_key *wire_keys_find(const struct wire_keys *keys, uint8_t number);

/* Overwrites the key material (sodium_memzero) and sets n to 0. */
void wire_keys_wipe(struct wire_keys *keys);

#endif

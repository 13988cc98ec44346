/* The key file: checked like ssh checks a private key (a key others can
 * read is no secret), read whole into a stack buffer that is wiped
 * afterwards, parsed strictly. */
#include "cluster/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "PATH: message", or "PATH:LINE: message" when line is not 0. */
__attribute__((format(printf, 5, 6))) static void say(char *err, size_t errlen, const char *path,
						      unsigned line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(err, errlen, "%s:%u: %s", path, line, msg);
	else
		snprintf(err, errlen, "%s: %s", path, msg);
}

/* Whether the file behind fd may hold keys; else a reason. */
static const char *unsafe_file(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return "must be owned by root or by the user tend runs as";
	if (st.st_mode & 077)
		return "must not be readable by group or others (chmod 600)";
	return NULL;
}

/* Reads the whole file into text (size WIRE_KEY_FILE_MAX + 1), NUL not
 * added. Returns its length, or -1 with err written. */
static ssize_t read_key_file(const char *path, char *text, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO put there must not hang tend; it is refused
	 * below as not a regular file. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	const char *why;
	size_t len = 0;

	if (fd < 0) {
		say(err, errlen, path, 0, "%s", strerror(errno));
		return -1;
	}
	why = unsafe_file(fd);
	while (!why && len <= WIRE_KEY_FILE_MAX) {
		ssize_t n = read(fd, text + len, WIRE_KEY_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			why = strerror(errno);
		else if (n == 0)
			break;
		else
			len += (size_t)n;
	}
	close(fd);
	if (!why && len > WIRE_KEY_FILE_MAX)
		why = "larger than 8192 bytes";
	if (why) {
		say(err, errlen, path, 0, "%s", why);
		return -1;
	}
	return (ssize_t)len;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 1 to 3 decimal digits, 1-255; advances *s past them. */
static bool parse_number(const char **s, const char *end, uint8_t *number)
{
	unsigned v = 0, digits = 0;

	while (*s < end && **s >= '0' && **s <= '9' && digits < 4) {
		v = v * 10 + (unsigned)(**s - '0');
		(*s)++;
		digits++;
	}
	if (digits == 0 || digits > 3 || v < 1 || v > 255)
		return false;
	*number = (uint8_t)v;
	return true;
}

/* Exactly 2 * WIRE_KEY_BYTES hex digits; advances *s past them. */
static bool parse_hex(const char **s, const char *end, uint8_t *key)
{
	const char *p = *s;
	size_t i;

	for (i = 0; i < 2 * WIRE_KEY_BYTES; i++) {
		int d = p + i < end ? hex_digit(p[i]) : -1;
		if (d < 0)
			return false;
		if (i % 2 == 0)
			key[i / 2] = (uint8_t)(d << 4);
		else
			key[i / 2] |= (uint8_t)d;
	}
	*s = p + i;
	return *s == end || blank(**s);
}

/* One line, without its newline: 1 and *key filled when it holds a key,
 * 0 when it is blank or a comment, -1 with *why when it is wrong. */
static int parse_line(const char *s, const char *end, struct wire_key *key, const char **why)
{
	while (s < end && blank(*s))
		s++;
	if (s == end || *s == '#')
		return 0;
	if (!parse_number(&s, end, &key->number)) {
		*why = "a key number is 1 to 255";
		return -1;
	}
	if (s == end || !blank(*s)) {
		*why = "expected NUMBER HEX";
		return -1;
	}
	while (s < end && blank(*s))
		s++;
	if (!parse_hex(&s, end, key->key)) {
		*why = "a key is 64 hex digits (32 bytes)";
		return -1;
	}
	while (s < end && blank(*s))
		s++;
	if (s != end) {
		*why = "expected NUMBER HEX and nothing after it";
		return -1;
	}
	return 1;
}

const struct wire_key *wire_keys_find(const struct wire_keys *keys, uint8_t number)
{
	for (unsigned i = 0; keys && i < keys->n; i++)
		if (keys->keys[i].number == number)
			return &keys->keys[i];
	return NULL;
}

/* Adds the key of one line to out. 0, or -1 with err written. */
static int add_key(struct wire_keys *out, const struct wire_key *key, const char *path,
		   unsigned line, char *err, size_t errlen)
{
	if (wire_keys_find(out, key->number)) {
		say(err, errlen, path, line, "key number %u is given twice", key->number);
		return -1;
	}
	if (out->n == WIRE_KEYS_MAX) {
		say(err, errlen, path, line, "more than %d keys", WIRE_KEYS_MAX);
		return -1;
	}
	out->keys[out->n++] = *key;
	return 0;
}

static int parse_keys(const char *text, size_t len, const char *path, struct wire_keys *out,
		      char *err, size_t errlen)
{
	const char *s = text, *end = text + len;
	struct wire_key key;
	unsigned line = 0;
	int rc = 0;

	while (s < end && rc == 0) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		const char *why = NULL;
		int got;

		if (!eol)
			eol = end;
		line++;
		got = parse_line(s, eol, &key, &why);
		if (got < 0) {
			say(err, errlen, path, line, "%s", why);
			rc = -1;
		} else if (got > 0) {
			rc = add_key(out, &key, path, line, err, errlen);
		}
		s = eol + 1;
	}
	sodium_memzero(&key, sizeof(key));
	if (rc == 0 && out->n == 0) {
		say(err, errlen, path, 0, "no key");
		rc = -1;
	}
	return rc;
}

int wire_keys_load(const char *path, struct wire_keys *out, char *err, size_t errlen)
{
	char text[WIRE_KEY_FILE_MAX + 1];
	ssize_t len;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (sodium_init() < 0) {
		say(err, errlen, path, 0, "cannot initialise libsodium");
		return -1;
	}
	len = read_key_file(path, text, err, errlen);
	if (len >= 0)
		rc = parse_keys(text, (size_t)len, path, out, err, errlen);
	sodium_memzero(text, sizeof(text));
	if (rc < 0)
		wire_keys_wipe(out);
	return rc;
}

void wire_keys_wipe(struct wire_keys *keys)
{
	sodium_memzero(keys, sizeof(*keys));
}

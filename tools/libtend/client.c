/* The client side of the control protocol: connect, send one request line,
 * read data lines and the status line (see tend.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "cmdline.h"
#include "tend.h"

#define READ_CHUNK 4096
/* A sanity bound on one reply line; status --json is at most a few MB. */
#define REPLY_LINE_MAX (64u << 20)

int tend_quote(const char *word, char *buf, size_t len)
{
	if (!buf || len == 0)
		return -1;
	buf[0] = '\0';
	return cmdline_quote(word, buf, len);
}

int tend_connect(const char *rundir)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, n, saved;

	if (!rundir) {
		if (tend_default_rundir(dir, sizeof(dir)) < 0)
			return -1;
		rundir = dir;
	}
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", rundir, TEND_SOCKET_NAME);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EISCONN) /* an interrupted connect that completed */
			break;
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Writes all of buf; SIGPIPE is never raised for a socket. */
static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Builds "word word ...\n" into line (TEND_REQUEST_MAX + 1 bytes); a word
 * holding a newline is quoted $'...', so the request stays one line.
 * Returns its length, or -1 with err set. */
static int build_request(char *const argv[], char *line, char *err, size_t errlen)
{
	size_t pos = 0, size = TEND_REQUEST_MAX + 1;
	int i, n;

	if (!argv || !argv[0]) {
		libtend_set_msg(err, errlen, "empty request");
		errno = EINVAL;
		return -1;
	}
	for (i = 0; argv[i]; i++) {
		if (i > 0) {
			if (pos + 1 >= size)
				goto too_long;
			line[pos++] = ' ';
		}
		n = tend_quote(argv[i], line + pos, size - pos);
		if (n < 0)
			goto too_long;
		pos += (size_t)n;
	}
	if (pos + 1 > TEND_REQUEST_MAX)
		goto too_long;
	line[pos++] = '\n';
	line[pos] = '\0';
	return (int)pos;
too_long:
	libtend_set_msg(err, errlen, "request too long (the limit is %d bytes)", TEND_REQUEST_MAX);
	errno = EMSGSIZE;
	return -1;
}

/* Handles one complete reply line (NUL-terminated, newline removed).
 * Returns 2 to keep reading, else what libtend_request returns. */
static int handle_line(char *line, tend_line_fn on_line, void *arg, char *err, size_t errlen)
{
	/* The analyzer assumes that memchr over 0 bytes of read_reply's new
	 * buffer found a newline, so that line is garbage: it cannot. */
	/* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
	if (line[0] == '>' && (line[1] == ' ' || line[1] == '\0')) {
		const char *payload = line[1] ? line + 2 : line + 1;

		if (on_line && on_line(payload, arg) != 0)
			return 1;
		return 2;
	}
	if (strcmp(line, "OK") == 0 || strncmp(line, "OK ", 3) == 0) {
		/* The text after "OK " (maybe empty) goes into err: the API has
		 * nowhere else to put it, and tendctl prints it. */
		libtend_set_msg(err, errlen, "%s", line[2] ? line + 3 : "");
		return 0;
	}
	if (strcmp(line, "ERR") == 0 || strncmp(line, "ERR ", 4) == 0) {
		libtend_set_msg(err, errlen, "%s", line[3] ? line + 4 : "error");
		return LIBTEND_REFUSED;
	}
	libtend_set_msg(err, errlen, "bad reply line");
	errno = EPROTO;
	return -1;
}

/* Reads reply lines from fd until a status line, an error or a stop. */
static int read_reply(int fd, tend_line_fn on_line, void *arg, char *err, size_t errlen)
{
	size_t cap = READ_CHUNK, len = 0, start = 0, scan = 0;
	char *buf = malloc(cap), *nl, *grown;
	ssize_t n;
	int ret = -1;

	if (!buf) {
		libtend_set_msg(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		nl = memchr(buf + scan, '\n', len - scan);
		if (nl) {
			*nl = '\0';
			ret = handle_line(buf + start, on_line, arg, err, errlen);
			if (ret != 2)
				break;
			start = scan = (size_t)(nl - buf) + 1;
			continue;
		}
		scan = len;
		if (start > 0) { /* move the partial line to the front */
			memmove(buf, buf + start, len - start);
			len -= start;
			scan -= start;
			start = 0;
		}
		if (len == cap) {
			if (cap >= REPLY_LINE_MAX) {
				libtend_set_msg(err, errlen, "reply line too long");
				errno = EMSGSIZE;
				ret = -1;
				break;
			}
			grown = realloc(buf, cap * 2);
			if (!grown) {
				libtend_set_msg(err, errlen, "out of memory");
				ret = -1;
				break;
			}
			buf = grown;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			libtend_set_msg(err, errlen, "cannot read from tend: %s",
					libtend_strerror(saved));
			errno = saved;
			ret = -1;
			break;
		}
		if (n == 0) {
			libtend_set_msg(err, errlen,
					"connection closed by tend before it answered");
			errno = ECONNRESET;
			ret = -1;
			break;
		}
		len += (size_t)n;
	}
	free(buf);
	return ret;
}

/* tend closed the connection before the request was sent: it says why in
 * an ERR line first (too many connections, a refused uid), which is a
 * clearer message than the write's "Broken pipe". */
static bool refusal_line(int fd, char *err, size_t errlen)
{
	char line[256];
	ssize_t n = recv(fd, line, sizeof(line) - 1, MSG_DONTWAIT);
	if (n < 5)
		return false;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "ERR ", 4) != 0)
		return false;
	libtend_set_msg(err, errlen, "tend closed the connection: %s", line + 4);
	return true;
}

int libtend_send_request(int fd, char *const argv[], char *err, size_t errlen)
{
	char line[TEND_REQUEST_MAX + 1];
	int n;

	if (err && errlen > 0)
		err[0] = '\0';
	n = build_request(argv, line, err, errlen);
	if (n < 0)
		return -1;
	if (write_all(fd, line, (size_t)n) < 0) {
		n = errno;
		if (!refusal_line(fd, err, errlen))
			libtend_set_msg(err, errlen, "cannot write to tend: %s",
					libtend_strerror(n));
		errno = n;
		return -1;
	}
	return 0;
}

int libtend_request(int fd, char *const argv[], tend_line_fn on_line, void *arg, char *err,
		    size_t errlen)
{
	if (libtend_send_request(fd, argv, err, errlen) < 0)
		return -1;
	return read_reply(fd, on_line, arg, err, errlen);
}

int tend_request(int fd, char *const argv[], tend_line_fn on_line, void *arg, char *err,
		 size_t errlen)
{
	int ret = libtend_request(fd, argv, on_line, arg, err, errlen);

	return ret == LIBTEND_REFUSED ? -1 : ret;
}

void libtend_set_msg(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (!msg || msglen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

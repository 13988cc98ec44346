/* What tend said (tend_log writes to stderr), for tests that count its
 * messages: stderr goes to a file between said_begin and said_end. A
 * failing assertion's text is in that file too: said_end prints it. */
#ifndef TEND_TEST_SAID_H
#define TEND_TEST_SAID_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct said {
	int saved; /* the real stderr */
	int fd;	   /* the file it goes to meanwhile */
	char path[64];
};

static struct said *said_active; /* begun and not ended: a test failed */

static inline void said_begin(struct said *s)
{
	said_active = s;
	snprintf(s->path, sizeof(s->path), "/tmp/tend-said-XXXXXX");
	s->fd = mkstemp(s->path);
	assert_true(s->fd >= 0);
	fflush(stderr);
	s->saved = dup(STDERR_FILENO);
	dup2(s->fd, STDERR_FILENO);
}

/* How many times needle was said so far. */
static inline int said(struct said *s, const char *needle)
{
	static char text[1 << 16];
	ssize_t n = pread(s->fd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	int count = 0;
	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		count++;
	return count;
}

static inline void said_show(struct said *s);

/* Back to the real stderr; what was said is shown when TEND_TEST_LOG is set. */
static inline void said_end(struct said *s)
{
	said_active = NULL;
	fflush(stderr);
	dup2(s->saved, STDERR_FILENO);
	close(s->saved);
	if (getenv("TEND_TEST_LOG"))
		said_show(s);
	close(s->fd);
	unlink(s->path);
}

/* A cmocka teardown: after a failed test, stderr comes back with what was
 * said, the failure's own text included. */
static inline int said_teardown(void **state)
{
	(void)state;
	struct said *s = said_active;
	if (!s)
		return 0;
	said_active = NULL;
	fflush(stderr);
	dup2(s->saved, STDERR_FILENO);
	close(s->saved);
	said_show(s);
	close(s->fd);
	unlink(s->path);
	return 0;
}

static inline void said_show(struct said *s)
{
	char buf[4096];
	ssize_t n;
	off_t off = 0;
	while ((n = pread(s->fd, buf, sizeof(buf), off)) > 0) {
		if (write(STDERR_FILENO, buf, (size_t)n) != n)
			break;
		off += n;
	}
}

#endif

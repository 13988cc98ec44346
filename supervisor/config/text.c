/* Getting conf.d text ready for libconfuse (see text.h).
 *
 * Why comments are removed here: libconfuse 3.3's lexer counts every comment
 * line two or three times, so all line numbers after a comment would be
 * wrong, and its parser rejects comments inside lists or between a section
 * title and its brace. The scan below follows that lexer's rules (lexer.l)
 * closely enough to know where strings and comments are. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "libtend/cmdline.h"
#include "config/text.h"

/* Makes room for `need` elements of `size` bytes; NULL when out of memory
 * (the old array then stays valid). */
static void *grow(void *arr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return arr;
	while (n < need)
		n *= 2;
	p = realloc(arr, n * size);
	if (p)
		*cap = n;
	return p;
}

static bool is_conf_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds a copy of name to the NULL-terminated vector *v of *n names. */
static int add_name(char ***v, size_t *n, size_t *cap, const char *name)
{
	char **p = grow(*v, cap, *n + 2, sizeof(**v));

	if (!p)
		return -1;
	*v = p;
	p[*n] = strdup(name);
	if (!p[*n])
		return -1;
	p[++*n] = NULL;
	return 0;
}

char **conf_dir_names(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int err = 0;

	if (!d)
		return NULL;
	while (!err && (errno = 0, e = readdir(d)) != NULL)
		if (is_conf_name(e->d_name) && add_name(&names, &n, &cap, e->d_name) < 0)
			err = ENOMEM;
	if (!err)
		err = errno; /* readdir's, if it failed */
	closedir(d);
	if (!err && !names && !(names = calloc(1, sizeof(*names))))
		err = ENOMEM;
	if (err) {
		argv_free(names);
		errno = err;
		return NULL;
	}
	qsort(names, n, sizeof(*names), name_cmp);
	return names;
}

/* What conf.d may hold: regular files, and /dev/null (a file masked the
 * usual way, by a symlink to it), which reads as empty. */
static const char *not_readable_as_conf(const struct stat *st)
{
	if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode))
		return NULL; /* a directory fails at read, with its own errno */
	if (S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 && minor(st->st_rdev) == 3)
		return NULL;
	return "not a regular file";
}

char *conf_read_file(const char *path, size_t *len, const char **why)
{
	/* Not blocking: a FIFO named *.conf must be an error, not a wait. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	char *buf = NULL, *p;
	size_t cap = 0, n = 0;
	ssize_t got;
	int err = 0;

	*why = NULL;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		err = errno;
	else if (S_ISDIR(st.st_mode))
		err = EISDIR;
	else if ((*why = not_readable_as_conf(&st)))
		err = EINVAL;
	/* Sized by fstat, then read to the end all the same: it may grow. */
	while (!err) {
		if (n + 1 >= cap) {
			p = grow(buf, &cap, n ? n + 4096 : (size_t)st.st_size + 2, 1);
			if (!p) {
				err = ENOMEM;
				break;
			}
			buf = p;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			err = errno;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* ---- comments ---- */

struct text {
	char *s;
	size_t len, cap;
	int *opens; /* lines of the braces not closed yet */
	size_t nopen, opencap;
	bool oom;
};

static void put(struct text *t, char c)
{
	char *s = grow(t->s, &t->cap, t->len + 2, 1);

	if (!s) {
		t->oom = true;
		return;
	}
	t->s = s;
	t->s[t->len++] = c;
	t->s[t->len] = '\0';
}

/* What the lexer takes into an unquoted word. A comment only starts where
 * no such word is going on: "a//b" is one word. */
static bool word_char(char c)
{
	return c != '\0' && !strchr(" #\"'\t\n\r={}()+,*", c);
}

static bool comment_start(const char *p, bool in_word)
{
	return *p == '#' || (!in_word && p[0] == '/' && (p[1] == '/' || p[1] == '*'));
}

/* Copies a quoted string from its opening quote; returns the position after
 * the closing one, or NULL when the text ends first. A backslash and the
 * character after it are copied together. In double quotes libconfuse
 * replaces ${NAME} with tend's environment; commands are shell-like, so the
 * $ is escaped and stays literal. */
static const char *copy_quoted(const char *p, struct text *t, int *line)
{
	char q = *p;

	for (put(t, *p++); *p != q; p++) {
		if (*p == '\0')
			return NULL;
		if (*p == '\\' && p[1] != '\0')
			put(t, *p++);
		else if (q == '"' && p[0] == '$' && p[1] == '{')
			put(t, '\\');
		*line += *p == '\n';
		put(t, *p);
	}
	put(t, q);
	return p + 1;
}

/* Replaces the comment at p by one blank (so the words around it stay
 * apart) and its newlines. NULL when a block comment is not closed. */
static const char *skip_comment(const char *p, struct text *t, int *line)
{
	put(t, ' ');
	if (p[0] != '/' || p[1] != '*')
		return p + strcspn(p, "\n");
	for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++) {
		if (*p == '\n') {
			put(t, '\n');
			(*line)++;
		}
	}
	return *p ? p + 2 : NULL;
}

/* libconfuse takes the end of the text as the end of every open section,
 * so a missing '}' would go unnoticed: count them here. (An extra '}' is
 * reported by libconfuse.) */
static void track_brace(struct text *t, char c, int line)
{
	int *v;

	if (c == '}') {
		t->nopen -= t->nopen > 0;
		return;
	}
	v = grow(t->opens, &t->opencap, t->nopen + 1, sizeof(*v));
	if (!v) {
		t->oom = true;
		return;
	}
	t->opens = v;
	v[t->nopen++] = line;
}

/* One step of the scan: a string, a comment or one plain character. */
static const char *strip_step(const char *p, struct text *t, int *line, bool *in_word,
			      const char **why)
{
	if (*p == '"' || *p == '\'') {
		*in_word = false;
		*why = "unterminated string";
		return copy_quoted(p, t, line);
	}
	if (comment_start(p, *in_word)) {
		*in_word = false;
		*why = "unterminated comment";
		return skip_comment(p, t, line);
	}
	if (!*in_word && p[0] == '$' && p[1] == '{') {
		/* libconfuse would put tend's environment here */
		*why = "${...} outside quotes: tend does not expand variables";
		return NULL;
	}
	if (*p == '*' || (*p == '+' && p[1] != '=')) {
		/* the lexer would drop it without a word */
		*why = *p == '*' ? "stray '*': put the value in quotes"
				 : "stray '+': put the value in quotes";
		return NULL;
	}
	*line += *p == '\n';
	*in_word = word_char(*p);
	if (*p == '{' || *p == '}')
		track_brace(t, *p, *line);
	put(t, *p);
	return p + 1;
}

char *conf_strip_comments(const char *text, int *line, const char **why)
{
	struct text t = { 0 };
	bool in_word = false;
	const char *p = text;
	int start = 1;

	*line = 1;
	put(&t, '\0'); /* an empty text still gets a buffer */
	t.len = 0;
	while (p && *p && !t.oom) {
		start = *line;
		p = strip_step(p, &t, line, &in_word, why);
	}
	if (p && t.nopen > 0) {
		start = t.opens[t.nopen - 1];
		*why = "'{' is never closed";
		p = NULL;
	}
	free(t.opens);
	if (p && !t.oom)
		return t.s;
	free(t.s);
	*line = start; /* where the unterminated thing began */
	if (t.oom) {
		*why = NULL;
		errno = ENOMEM;
	}
	return NULL;
}

/* ---- messages ---- */

void conf_msgs_vadd(struct conf_msgs *m, int line, const char *fmt, va_list ap)
{
	struct conf_msg *v = grow(m->v, &m->cap, m->n + 1, sizeof(*v));
	char *text;

	if (v)
		m->v = v;
	if (!v || vasprintf(&text, fmt, ap) < 0) {
		m->oom = true;
		return;
	}
	v[m->n] = (struct conf_msg){ line, m->n, text };
	m->n++;
}

void conf_errbuf_init(struct conf_errbuf *eb, char *buf, size_t len)
{
	*eb = (struct conf_errbuf){ .buf = buf, .len = buf ? len : 0 };
	if (buf && len)
		buf[0] = '\0';
}

void conf_errbuf_add(struct conf_errbuf *eb, const char *path, int line, const char *text)
{
	size_t room = eb->len - eb->used;
	char *dst;
	int n;

	eb->failed = true;
	if (room <= 1)
		return;
	dst = eb->buf + eb->used;
	if (line > 0)
		n = snprintf(dst, room, "%s:%d: %s\n", path, line, text);
	else
		n = snprintf(dst, room, "%s: %s\n", path, text);
	if (n < 0)
		n = 0;
	if ((size_t)n >= room) {
		/* Cut, but keep ending in a newline: the caller prints lines. */
		dst[room - 2] = '\n';
		n = (int)(room - 1);
	}
	eb->used += (size_t)n;
}

static int msg_cmp(const void *a, const void *b)
{
	const struct conf_msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void conf_msgs_flush(struct conf_msgs *m, const char *path, struct conf_errbuf *eb)
{
	size_t i;

	if (m->n)
		qsort(m->v, m->n, sizeof(*m->v), msg_cmp);
	for (i = 0; i < m->n; i++) {
		conf_errbuf_add(eb, path, m->v[i].line, m->v[i].text);
		free(m->v[i].text);
	}
	if (m->oom)
		conf_errbuf_add(eb, path, 0, "out of memory");
	free(m->v);
	*m = (struct conf_msgs){ 0 };
}

/* The text around parsing conf.d: which files, their bytes, the text
 * without comments for libconfuse, and the "path:line: message" lines that
 * go back to the user. Nothing here touches libconfuse. */
#ifndef TEND_CONFIG_TEXT_H
#define TEND_CONFIG_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* The names in dir that end in ".conf" and do not start with '.', in strcmp
 * order, as a NULL-terminated vector (free with argv_free). NULL with errno
 * set when the directory cannot be read. */
char **conf_dir_names(const char *dir);

/* The whole file, NUL-terminated, its length in *len (a NUL byte inside
 * shows as strlen(text) != *len). NULL on failure, with *why saying what is
 * wrong with the file (a FIFO, a device: refused at once, never waited on),
 * or NULL and errno set. /dev/null reads as an empty file. */
char *conf_read_file(const char *path, size_t *len, const char **why);

/* A copy of text in which comments (# ..., // ..., / * ... * /) are blanks,
 * newlines kept, and "${" inside double quotes is escaped so libconfuse
 * does not put tend's environment there. On a problem returns NULL with
 * *line and *why (a static message) set; *why is NULL when out of memory. */
char *conf_strip_comments(const char *text, int *line, const char **why);

/* Messages about one file, kept until the file is done so that they can be
 * written out in line order. */
struct conf_msg {
	int line;   /* 0: about the whole file */
	size_t seq; /* report order, to keep the sort stable */
	char *text;
};

struct conf_msgs {
	struct conf_msg *v;
	size_t n, cap;
	bool oom; /* a message could not be stored */
};

void conf_msgs_vadd(struct conf_msgs *m, int line, const char *fmt, va_list ap);

/* The caller's error buffer: "path:line: text\n" lines, cut safely when it
 * is full. `failed` tells whether anything was reported at all. */
struct conf_errbuf {
	char *buf;
	size_t len, used;
	bool failed;
};

void conf_errbuf_init(struct conf_errbuf *eb, char *buf, size_t len);
void conf_errbuf_add(struct conf_errbuf *eb, const char *path, int line, const char *text);

/* Sorts m by line, adds it to eb (plus "out of memory" if a message was
 * lost) and frees it. */
void conf_msgs_flush(struct conf_msgs *m, const char *path, struct conf_errbuf *eb);

#endif

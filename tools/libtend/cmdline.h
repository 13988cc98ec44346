/* Splitting a command line into words, the way a POSIX shell would for a
 * simple command without expansions: blanks separate words, 'single quotes'
 * keep everything literally, "double quotes" allow \" \\ \$ \` escapes, and a
 * backslash outside quotes escapes the next character. Used for `command =`
 * and for control requests, so both quote alike. */
#ifndef TEND_CMDLINE_H
#define TEND_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/* Returns a NULL-terminated malloc'ed vector (free with argv_free), or NULL
 * with *error set to a static message (unbalanced quote, trailing backslash,
 * or out of memory) and errno set to EINVAL or ENOMEM. An empty line yields a
 * vector with no words. */
char **cmdline_split(const char *line, const char **error);

/* Appends `word` to the string in buf (size len), quoted so that
 * cmdline_split gives it back exactly. Returns the length appended (excluding
 * NUL) or -1 if it does not fit (buf is then unchanged). */
int cmdline_quote(const char *word, char *buf, size_t len);

size_t argv_count(char *const *argv); /* NULL counts as empty */
/* The same words in the same order; a NULL vector and an empty one are equal. */
bool argv_equal(char *const *a, char *const *b);
char **argv_dup(char *const *argv);   /* NULL for NULL or out of memory */
void argv_free(char **argv);

#endif

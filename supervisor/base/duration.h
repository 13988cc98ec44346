/* Durations as written in conf.d: a whole number followed by ms, s, m or h. */
#ifndef TEND_DURATION_H
#define TEND_DURATION_H

#include <stdint.h>
#include <stddef.h>

/* "250ms", "5s", "2m", "1h" -> milliseconds. A bare number is an error: the
 * unit is required so that nobody guesses. Returns 0, or -1 on a bad value. */
int duration_parse(const char *text, uint64_t *ms);

/* Formats ms compactly ("1h2m", "5s", "250ms") into buf. */
void duration_format(uint64_t ms, char *buf, size_t len);

#endif

/* Writing JSON text: just enough for status and events. */
#ifndef TEND_JSON_H
#define TEND_JSON_H

#include "base/buf.h"

#include <stddef.h>

/* Appends s as a JSON string literal, quotes included; NULL gives null. */
void json_str(struct buf *b, const char *s);
/* The length of the well-formed UTF-8 sequence (RFC 3629) at s; 0: none. */
size_t utf8_sequence_length(const unsigned char *s);

#endif

/* Writing JSON text: just enough for status and events. */
#ifndef TEND_JSON_H
#define TEND_JSON_H

#include "base/buf.h"

/* Appends s as a JSON string literal, quotes included; NULL gives null. */
void json_str(struct buf *b, const char *s);

#endif

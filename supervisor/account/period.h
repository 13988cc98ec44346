/* The times `tendctl account --since/--until` take: an ISO date in UTC,
 * YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (a trailing Z allowed), or a time
 * before now, -N followed by s, m, h or d (-7d, -12h). */
#ifndef TEND_ACCOUNT_PERIOD_H
#define TEND_ACCOUNT_PERIOD_H

#include <stdint.h>

/* text as Unix time in ms into *out_ms (now_ms: now, for -N). 0, or -1. */
int period_parse(const char *text, int64_t now_ms, int64_t *out_ms);

#endif

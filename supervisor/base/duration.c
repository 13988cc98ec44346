/* Durations as written in conf.d ("250ms", "5s", "2m", "1h"). */
#include <stdio.h>
#include <string.h>

#include "base/duration.h"

/* 2^53: every duration stays exact when a JSON reader turns it into a double. */
#define DURATION_MAX_MS (UINT64_C(1) << 53)

#define MS_PER_S UINT64_C(1000)
#define MS_PER_M (60 * MS_PER_S)
#define MS_PER_H (60 * MS_PER_M)

/* Milliseconds per unit, or 0 for anything that is not exactly a unit. */
static uint64_t unit_ms(const char *unit)
{
	if (strcmp(unit, "ms") == 0)
		return 1;
	if (strcmp(unit, "s") == 0)
		return MS_PER_S;
	if (strcmp(unit, "m") == 0)
		return MS_PER_M;
	if (strcmp(unit, "h") == 0)
		return MS_PER_H;
	return 0;
}

int duration_parse(const char *text, uint64_t *ms)
{
	uint64_t n = 0, scale;
	const char *p = text;

	if (!text || !ms)
		return -1;
	/* Digits only: no sign, no blanks, no fraction, no hex. */
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > DURATION_MAX_MS) /* also keeps n * 10 from wrapping */
			return -1;
	}
	scale = unit_ms(p);
	if (scale == 0 || n > DURATION_MAX_MS / scale)
		return -1;
	*ms = n * scale;
	return 0;
}

/* Appends "<n><unit>" when n is not zero; returns the new used length. */
static size_t put_part(char *buf, size_t len, size_t used, uint64_t n, const char *unit)
{
	int w;

	if (n == 0 || used >= len)
		return used;
	w = snprintf(buf + used, len - used, "%llu%s", (unsigned long long)n, unit);
	if (w < 0)
		return used;
	return used + (size_t)w;
}

void duration_format(uint64_t ms, char *buf, size_t len)
{
	size_t used = 0;

	if (!buf || len == 0)
		return;
	if (ms == 0) {
		snprintf(buf, len, "0ms");
		return;
	}
	buf[0] = '\0';
	used = put_part(buf, len, used, ms / MS_PER_H, "h");
	used = put_part(buf, len, used, ms % MS_PER_H / MS_PER_M, "m");
	used = put_part(buf, len, used, ms % MS_PER_M / MS_PER_S, "s");
	put_part(buf, len, used, ms % MS_PER_S, "ms");
}

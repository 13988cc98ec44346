/* Parsing --since and --until (period.h). */
#include "account/period.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int relative(const char *text, int64_t now_ms, int64_t *out_ms)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = { { 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 }, { 'd', 86400000 } };
	char *end;
	if (!isdigit((unsigned char)text[1]))
		return -1;
	errno = 0;
	long long n = strtoll(text + 1, &end, 10);
	if (errno || end[0] == '\0' || end[1] != '\0' || n > 100000 * 365LL)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (*end == units[i].unit) {
			*out_ms = now_ms - (int64_t)n * units[i].ms;
			return 0;
		}
	return -1;
}

/* Whether timegm kept the fields as given (no 2024-02-31). */
static int valid_fields(const struct tm *want, time_t t)
{
	struct tm got;
	gmtime_r(&t, &got);
	return got.tm_year == want->tm_year && got.tm_mon == want->tm_mon &&
	       got.tm_mday == want->tm_mday && got.tm_hour == want->tm_hour &&
	       got.tm_min == want->tm_min && got.tm_sec == want->tm_sec;
}

static int iso(const char *text, int64_t *out_ms)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, s = 0, used = 0;
	size_t len = strlen(text);
	if (len == 10) {
		if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3)
			return -1;
	} else if (len == 19 || (len == 20 && text[19] == 'Z')) {
		if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) != 6)
			return -1;
	} else {
		return -1;
	}
	if ((size_t)used != (len == 20 ? 19 : len))
		return -1;
	tm = (struct tm){ .tm_year = y - 1900,
			  .tm_mon = mo - 1,
			  .tm_mday = d,
			  .tm_hour = h,
			  .tm_min = mi,
			  .tm_sec = s };
	struct tm want = tm;
	time_t t = timegm(&tm);
	if (t == (time_t)-1 || !valid_fields(&want, t))
		return -1;
	*out_ms = (int64_t)t * 1000;
	return 0;
}

int period_parse(const char *text, int64_t now_ms, int64_t *out_ms)
{
	if (text[0] == '-')
		return relative(text, now_ms, out_ms);
	return iso(text, out_ms);
}

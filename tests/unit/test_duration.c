/* duration_parse / duration_format. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/duration.h"

#define MAX_MS (UINT64_C(1) << 53)

static void parses(const char *text, uint64_t want)
{
	uint64_t ms = 12345;

	if (duration_parse(text, &ms) != 0)
		fail_msg("\"%s\" was rejected", text);
	if (ms != want)
		fail_msg("\"%s\" gave %llu, want %llu", text, (unsigned long long)ms,
			 (unsigned long long)want);
}

static void rejects(const char *text)
{
	uint64_t ms = 12345;

	if (duration_parse(text, &ms) == 0)
		fail_msg("\"%s\" was accepted as %llu", text, (unsigned long long)ms);
	assert_true(ms == 12345); /* untouched on error */
}

static void test_units(void **state)
{
	(void)state;
	parses("0ms", 0);
	parses("0s", 0);
	parses("1ms", 1);
	parses("250ms", 250);
	parses("5s", 5000);
	parses("2m", 120000);
	parses("1h", 3600000);
	parses("100ms", 100);
	parses("30s", 30000);
	parses("007s", 7000);
	parses("90m", 5400000);
}

static void test_limits(void **state)
{
	char buf[64];

	(void)state;
	snprintf(buf, sizeof(buf), "%llums", (unsigned long long)MAX_MS);
	parses(buf, MAX_MS);
	snprintf(buf, sizeof(buf), "%llums", (unsigned long long)MAX_MS + 1);
	rejects(buf);
	snprintf(buf, sizeof(buf), "%llus", (unsigned long long)(MAX_MS / 1000));
	parses(buf, MAX_MS / 1000 * 1000);
	snprintf(buf, sizeof(buf), "%llus", (unsigned long long)(MAX_MS / 1000 + 1));
	rejects(buf);
	snprintf(buf, sizeof(buf), "%lluh", (unsigned long long)(MAX_MS / 3600000));
	parses(buf, MAX_MS / 3600000 * 3600000);
	snprintf(buf, sizeof(buf), "%lluh", (unsigned long long)(MAX_MS / 3600000 + 1));
	rejects(buf);
	rejects("18446744073709551616ms"); /* 2^64 */
	rejects("99999999999999999999999999999999h");
}

static void test_junk(void **state)
{
	static const char *const bad[] = {
		"",    "ms",   "s",	"5",	"5 s",	 " 5s",	 "5s ",	  "5sec", "5S",
		"5MS", "1.5s", "-5s",	"+5s",	"0x10s", "5ss",	 "5msx",  "5d",	  "5us",
		"s5",  "5s5",  "1h30m", "5\ts", "5\n",	 "5m\n", "1e3ms", "５s",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		rejects(bad[i]);
	assert_int_equal(duration_parse(NULL, &(uint64_t){ 0 }), -1);
	assert_int_equal(duration_parse("5s", NULL), -1);
}

static void formats(uint64_t ms, const char *want)
{
	char buf[64];

	memset(buf, 'x', sizeof(buf));
	duration_format(ms, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_format(void **state)
{
	(void)state;
	formats(0, "0ms");
	formats(1, "1ms");
	formats(250, "250ms");
	formats(1000, "1s");
	formats(1500, "1s500ms");
	formats(5000, "5s");
	formats(60000, "1m");
	formats(3600000, "1h");
	formats(3720000, "1h2m");
	formats(3723004, "1h2m3s4ms");
	formats(90061001, "25h1m1s1ms");
	formats(MAX_MS, "2501999792h59m992ms");
}

/* Whatever the form, a single unit parses back to the same value. */
static void test_format_single_unit_roundtrip(void **state)
{
	static const uint64_t values[] = { 0, 1, 999, 1000, 7000, 60000, 3600000, 7200000 };
	char buf[64];
	uint64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		duration_format(values[i], buf, sizeof(buf));
		assert_int_equal(duration_parse(buf, &ms), 0);
		assert_true(ms == values[i]);
	}
}

static void test_format_truncates(void **state)
{
	char buf[4];
	char one[1] = { 'x' };

	(void)state;
	duration_format(3723004, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 3); /* cut, still terminated */
	assert_memory_equal(buf, "1h2", 3);
	duration_format(5000, one, sizeof(one));
	assert_int_equal(one[0], '\0');
	duration_format(5000, NULL, 0); /* no crash */
	duration_format(5000, one, 0);
	assert_int_equal(one[0], '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_junk),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_single_unit_roundtrip),
		cmocka_unit_test(test_format_truncates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The small data structures under the state machines: timer heap, restart
 * window arithmetic, pid map, byte buffer, JSON strings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libtend/cmdline.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/logfile.h"
#include "base/pidmap.h"
#include "base/restart_window.h"
#include "base/timer.h"

static void never_called(struct timer *tm)
{
	(void)tm;
}

static void timers_pop_in_deadline_order(void **state)
{
	(void)state;
	struct timer_heap h = { 0 };
	enum { N = 500 };
	struct timer *tms = calloc(N, sizeof(*tms));
	assert_non_null(tms);
	srand(7);
	for (int i = 0; i < N; i++) {
		timer_init(&tms[i], never_called);
		assert_int_equal(timer_arm(&h, &tms[i], (uint64_t)(rand() % 10000)), 0);
	}
	/* Cancel every third and re-arm every fifth: the heap must stay ordered. */
	for (int i = 0; i < N; i += 3)
		timer_cancel(&h, &tms[i]);
	for (int i = 0; i < N; i += 5)
		timer_arm(&h, &tms[i], (uint64_t)(rand() % 10000));
	uint64_t last = 0;
	size_t popped = 0;
	struct timer *tm;
	while ((tm = timer_pop_due(&h, UINT64_MAX))) {
		assert_true(tm->due_ms >= last);
		assert_false(timer_armed(tm));
		last = tm->due_ms;
		popped++;
	}
	size_t armed = 0;
	for (int i = 0; i < N; i++)
		armed += (i % 3 != 0) || (i % 5 == 0);
	assert_int_equal(popped, armed);
	assert_null(timer_earliest(&h));
	timer_heap_free(&h);
	free(tms);
}

static void timer_not_due_is_not_popped(void **state)
{
	(void)state;
	struct timer_heap h = { 0 };
	struct timer a;
	timer_init(&a, never_called);
	timer_arm(&h, &a, 100);
	assert_null(timer_pop_due(&h, 99));
	assert_ptr_equal(timer_pop_due(&h, 100), &a);
	timer_cancel(&h, &a); /* cancelling an idle timer is harmless */
	timer_heap_free(&h);
}

static void window_counts_exits_inside_it(void **state)
{
	(void)state;
	struct restart_window w;
	restart_window_init(&w, 3, 1000);
	assert_null(w.exits); /* nothing until the first exit */
	assert_int_equal(restart_window_record_exit(&w, 0), 0);
	assert_non_null(w.exits);
	restart_window_record_exit(&w, 100);
	restart_window_record_exit(&w, 200);
	assert_false(restart_window_exceeded(&w, 200)); /* 3 exits: the limit, not more */
	restart_window_record_exit(&w, 999);
	assert_true(restart_window_exceeded(&w, 999)); /* 4 within 1000 ms */
	restart_window_reset(&w);
	assert_false(restart_window_exceeded(&w, 999));
	restart_window_free(&w);
}

static void window_of_zero_is_never_exceeded(void **state)
{
	(void)state;
	struct restart_window w;
	restart_window_init(&w, 0, 0);
	for (uint64_t ms = 0; ms < 10; ms++)
		assert_int_equal(restart_window_record_exit(&w, ms), 0);
	assert_false(restart_window_exceeded(&w, 9));
	assert_null(w.exits); /* and it never needed a ring */
	restart_window_free(&w);
}

static void window_slides(void **state)
{
	(void)state;
	struct restart_window w;
	restart_window_init(&w, 1, 1000);
	restart_window_record_exit(&w, 0);
	restart_window_record_exit(&w, 1000); /* the first one is exactly out of the window */
	assert_false(restart_window_exceeded(&w, 1000));
	restart_window_record_exit(&w, 1500);
	assert_true(restart_window_exceeded(&w, 1500));
	restart_window_free(&w);
}

static void window_limit_zero_fails_at_first_exit(void **state)
{
	(void)state;
	struct restart_window w;
	restart_window_init(&w, 0, 1000);
	restart_window_record_exit(&w, 5);
	assert_true(restart_window_exceeded(&w, 5));
	restart_window_free(&w);
}

static void pidmap_puts_gets_deletes(void **state)
{
	(void)state;
	struct pidmap m = { 0 };
	int dummy[3000];
	for (int i = 1; i <= 3000; i++)
		assert_int_equal(pidmap_put(&m, i * 7, &dummy[i - 1]), 0);
	for (int i = 1; i <= 3000; i += 2)
		pidmap_del(&m, i * 7);
	for (int i = 1; i <= 3000; i++) {
		void *want = i % 2 ? NULL : &dummy[i - 1];
		assert_ptr_equal(pidmap_get(&m, i * 7), want);
	}
	assert_null(pidmap_get(&m, 5));
	/* Re-inserting a pid after deletion (pid reuse) finds the new owner. */
	pidmap_put(&m, 7, &dummy[1]);
	assert_ptr_equal(pidmap_get(&m, 7), &dummy[1]);
	pidmap_free(&m);
}

static void pidmap_churn_does_not_grow(void **state)
{
	(void)state;
	struct pidmap m = { 0 };
	int dummy;
	for (int i = 1; i <= 200000; i++) {
		assert_int_equal(pidmap_put(&m, i, (struct process *)&dummy), 0);
		pidmap_del(&m, i);
	}
	assert_true(m.cap <= 64);
	pidmap_free(&m);
}

static void buf_appends_and_consumes(void **state)
{
	(void)state;
	struct buf b = { 0 };
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
	size_t len = b.len;
	buf_consume(&b, 2);
	assert_int_equal(b.len, len - 2);
	assert_int_equal(strncmp(b.data, "1,2,", 4), 0);
	buf_consume(&b, b.len + 10);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void json_escapes_strings(void **state)
{
	(void)state;
	struct buf b = { 0 };
	json_str(&b, "a\"b\\c\nd\x01");
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\u0001\"");
	buf_reset(&b);
	json_str(&b, NULL);
	assert_string_equal(b.data, "null");
	buf_free(&b);
}

/* What a process says about itself may be any bytes: well-formed UTF-8
 * passes through, everything else becomes U+FFFD, so that status --json
 * stays readable by strict parsers. */
static void json_replaces_invalid_utf8(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		{ "a\xff"
		  "b",
		  "\"a\\ufffdb\"" },				 /* never a UTF-8 byte */
		{ "\xc3", "\"\\ufffd\"" },			 /* a lead byte at the end */
		{ "\xc3(", "\"\\ufffd(\"" },			 /* no continuation */
		{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },		 /* overlong '/' */
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" }, /* a surrogate */
		{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* above U+10FFFF */
		{ "\xe2\x82", "\"\\ufffd\\ufffd\"" },			    /* cut short */
	};
	struct buf b = { 0 };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		json_str(&b, cases[i].in);
		assert_string_equal(b.data, cases[i].out);
	}
	buf_free(&b);
}

/* A log file of `lines` lines "NNNNNNN" padded with dots to `width`
 * characters; `last_newline`: whether the last line is finished. */
static void write_log(const char *path, size_t lines, size_t width, bool last_newline)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < lines; i++) {
		fprintf(f, "%07zu", i);
		for (size_t w = 7; w < width; w++)
			fputc('.', f);
		if (i + 1 < lines || last_newline)
			fputc('\n', f);
	}
	assert_int_equal(fclose(f), 0);
}

static void assert_tail(char **got, size_t lines, size_t want)
{
	size_t n = 0;
	while (got[n]) {
		char head[8];
		snprintf(head, sizeof(head), "%07zu", lines - want + n);
		assert_memory_equal(got[n], head, 7);
		n++;
	}
	assert_int_equal(n, want);
}

/* The tail is found from the end of the file, across the chunks it reads (8 KiB), with
 * or without a final newline, and never more than the whole file. */
static void log_tail_reads_from_the_end(void **state)
{
	(void)state;
	char path[] = "/tmp/tend-tail-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	static const struct {
		size_t lines, width, want;
		bool newline;
	} cases[] = {
		{ 10, 20, 3, true },   { 10, 20, 3, false },	 { 10, 20, 10, true },
		{ 10, 20, 50, true },  { 5000, 99, 2000, true }, { 5000, 99, 2000, false },
		{ 1, 70000, 1, true }, { 3, 70000, 2, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_log(path, cases[i].lines, cases[i].width, cases[i].newline);
		char **got = logfile_tail(path, cases[i].want);
		assert_non_null(got);
		size_t want = cases[i].want < cases[i].lines ? cases[i].want : cases[i].lines;
		assert_tail(got, cases[i].lines, want);
		argv_free(got);
	}
	unlink(path);
}

/* A tail asked of a log larger than what is read (16 MiB) holds whole
 * lines only: the last ones, up to that much. */
static void log_tail_is_bounded_and_whole(void **state)
{
	(void)state;
	char path[] = "/tmp/tend-tail-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_log(path, 17000, 1023, true); /* 17,408,000 bytes */
	char **got = logfile_tail(path, 100000);
	assert_non_null(got);
	size_t n = 0;
	while (got[n]) {
		assert_int_equal(strlen(got[n]), 1023);
		n++;
	}
	assert_true(n >= 16380 && n <= 16384); /* 16 MiB of 1024-byte lines */
	assert_memory_equal(got[n - 1], "0016999", 7);
	argv_free(got);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timers_pop_in_deadline_order),
		cmocka_unit_test(timer_not_due_is_not_popped),
		cmocka_unit_test(window_counts_exits_inside_it),
		cmocka_unit_test(window_slides),
		cmocka_unit_test(window_of_zero_is_never_exceeded),
		cmocka_unit_test(window_limit_zero_fails_at_first_exit),
		cmocka_unit_test(pidmap_puts_gets_deletes),
		cmocka_unit_test(pidmap_churn_does_not_grow),
		cmocka_unit_test(buf_appends_and_consumes),
		cmocka_unit_test(json_escapes_strings),
		cmocka_unit_test(json_replaces_invalid_utf8),
		cmocka_unit_test(log_tail_reads_from_the_end),
		cmocka_unit_test(log_tail_is_bounded_and_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

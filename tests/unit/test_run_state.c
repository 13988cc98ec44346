/* RUNDIR/tend.state: what is written reads back the same, and a bad, cut
 * or corrupt file is refused whole with a reason, never half read. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/run_state.h"

static const char good[] = "tend-state 1\n"
			   "tend 4242 123456\n"
			   "boot 0b5c1e7e-1111-2222-3333-444455556666\n"
			   "cgroup /sys/fs/cgroup/unified/user.slice/tend-4242\n"
			   "proc 100 200 100 200 default web nginx\n"
			   "proc 0 0 300 400 acme db.main pg-1\n"
			   "end 2\n";

static void refused(const char *text, size_t len, const char *reason_has)
{
	struct run_state s;
	char why[128] = "";
	if (run_state_parse(text, len, &s, why, sizeof(why)) == 0)
		fail_msg("accepted: \"%.*s\"", (int)len, text);
	assert_null(s.v);
	assert_null(s.cgroup);
	assert_int_equal(s.len, 0);
	if (!strstr(why, reason_has))
		fail_msg("reason \"%s\" does not say \"%s\"", why, reason_has);
}

static void test_reads_good_file(void **state)
{
	(void)state;
	struct run_state s;
	char why[128];
	assert_int_equal(run_state_parse(good, strlen(good), &s, why, sizeof(why)), 0);
	assert_int_equal(s.tend_pid, 4242);
	assert_true(s.tend_ticks == 123456);
	assert_string_equal(s.cgroup, "/sys/fs/cgroup/unified/user.slice/tend-4242");
	assert_int_equal(s.len, 2);
	assert_int_equal(s.v[0].pid, 100);
	assert_string_equal(s.v[0].process, "nginx");
	assert_int_equal(s.v[1].pid, 0);
	assert_int_equal(s.v[1].session, 300);
	assert_true(s.v[1].session_ticks == 400);
	assert_string_equal(s.v[1].group, "db.main");
	run_state_free(&s);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct run_state s = { .tend_pid = 7, .tend_ticks = 99 }, back;
	struct run_entry e = { .pid = 12, .pid_ticks = 34, .session = 12, .session_ticks = 34 };
	struct buf text = { 0 };
	char why[128];
	snprintf(s.boot_id, sizeof(s.boot_id), "abc");
	snprintf(e.tenant, sizeof(e.tenant), "default");
	snprintf(e.group, sizeof(e.group), "g");
	snprintf(e.process, sizeof(e.process), "p");
	for (int i = 0; i < 40; i++)
		assert_int_equal(run_state_add(&s, &e), 0);
	run_state_format(&s, &text);
	assert_int_equal(run_state_parse(text.data, text.len, &back, why, sizeof(why)), 0);
	assert_int_equal(back.len, 40);
	assert_null(back.cgroup);
	assert_string_equal(back.boot_id, "abc");
	assert_int_equal(back.v[39].pid, 12);
	/* Every cut of the file short of its end is refused. */
	for (size_t cut = 0; cut < text.len - 1; cut++) {
		struct run_state part;
		if (run_state_parse(text.data, cut, &part, why, sizeof(why)) == 0)
			fail_msg("a file cut at %zu of %zu was accepted", cut, text.len);
	}
	buf_free(&text);
	run_state_free(&s);
	run_state_free(&back);
}

static void test_refuses_bad_files(void **state)
{
	(void)state;
	char text[1024];
	refused("", 0, "cut short");
	refused(good, strlen(good) - 1, "no newline");
	refused(good, strlen(good) - 6, "cut short");
	refused("tend-state 2\ntend 1 1\nboot x\nend 0\n", 36, "line 1");
	refused("garbage\n", 8, "line 1");
	refused("tend-state 1\nboot x\nend 0\n", 26, "no tend");
	/* A count that does not match, lines after the end, an unknown key. */
	refused("tend-state 1\ntend 1 1\nboot x\nend 1\n", 36, "line 4");
	refused("tend-state 1\ntend 1 1\nboot x\nend 0\nend 0\n", 42, "line 5");
	refused("tend-state 1\ntend 1 1\nboot x\nfoo 1\nend 0\n", 42, "line 4");
	/* Bad numbers and names. */
	static const char *const procs[] = {
		"proc -1 0 1 0 t g p",
		"proc 1 0 1 0 t g",
		"proc 99999999999 0 1 0 t g p",
		"proc 1 x 1 0 t g p",
		"proc 1 0 1 0 t g/x p",
		"proc 1 0 1 0 t .g p",
		"proc 0 0 0 0 t g p",
		"proc 1 0 1 0 t g p extra",
		"proc 1 18446744073709551616 1 0 t g p",
	};
	for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		int n = snprintf(text, sizeof(text), "tend-state 1\ntend 1 1\nboot x\n%s\nend 1\n",
				 procs[i]);
		refused(text, (size_t)n, "line 4");
	}
	/* A name too long, a relative or climbing cgroup, a NUL inside. */
	int n = snprintf(text, sizeof(text),
			 "tend-state 1\ntend 1 1\nboot x\nproc 1 0 1 0 t g %0100d\nend 1\n", 0);
	refused(text, (size_t)n, "line 4");
	refused("tend-state 1\ntend 1 1\ncgroup rel/x\nboot x\nend 0\n", 46, "line 3");
	refused("tend-state 1\ntend 1 1\ncgroup /a/../b\nboot x\nend 0\n", 48, "line 3");
	refused("tend-state 1\ntend 1\0 1\nboot x\nend 0\n", 35, "line 2");
}

/* Random damage to a good file: refused or read, never a crash (ASan and
 * valgrind watch). */
static void test_corrupt_bytes(void **state)
{
	(void)state;
	char text[sizeof(good)];
	char why[128];
	srand(16);
	for (int round = 0; round < 20000; round++) {
		memcpy(text, good, sizeof(good));
		for (int k = 0; k < 1 + round % 4; k++)
			text[rand() % (int)(sizeof(good) - 1)] = (char)(rand() % 256);
		struct run_state s;
		why[0] = '\0';
		if (run_state_parse(text, sizeof(good) - 1, &s, why, sizeof(why)) == 0)
			run_state_free(&s);
		else
			assert_true(why[0] != '\0'); /* a refusal says why */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_good_file),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refuses_bad_files),
		cmocka_unit_test(test_corrupt_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

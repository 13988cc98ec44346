/* Fault injection through the seam's fault points (base/fault.h), with the
 * fake kernel (fake_sys.h): fork failing with EAGAIN and ENOMEM, log and
 * accounting writes failing with ENOSPC and EIO, the clock jumping hours
 * back and forth. In each case: the other groups are still supervised, tend
 * tries again later and less often, says so once per episode, keeps what
 * it could not write and writes it once it can, and recovers by itself. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "account/account.h"
#include "core/start_retry.h"
#include "libtend/cmdline.h"
#include "fake_sys.h"
#include "files.h"
#include "said.h"

#define HOUR_MS (3600u * 1000u)

/* A fixture that says its warnings (to the said file) and has a run
 * directory of its own. */
static struct fixture *setup_saying(const char *conf, struct said *s)
{
	struct fixture *fx = setup_with(conf);
	if (fx->t.log.verbosity < LOG_WARN)
		fx->t.log.verbosity = LOG_WARN;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/tend-unit-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	fx->t.rundir = fx->dir;
	said_begin(s);
	return fx;
}

static void teardown_saying(struct fixture *fx, struct said *s)
{
	said_end(s);
	remove_test_tree(fx->dir);
	teardown_fixture(fx);
}

/* ---- fork: EAGAIN, then ENOMEM ---- */

struct attempts {
	uint64_t at[64];
	int n;
};

static void note_attempt(struct fake *f, const struct spawn_request *req)
{
	struct attempts *a = f->inspect_ctx;
	if (strcmp(req->process, "p") == 0 && a->n < 64)
		a->at[a->n++] = f->now;
}

static void fork_fails_and_tend_backs_off_and_recovers(void **state)
{
	(void)state;
	struct said s;
	struct fixture *fx = setup_saying("group \"a\" { process \"p\" { command = \"p\"  "
					  "restart-limit = 2 } }\n"
					  "group \"b\" { process \"q\" { command = \"q\"  "
					  "restart-limit = 2 } }\n"
					  "group \"c\" { process \"r\" { command = \"r\" } }\n",
					  &s);
	struct attempts tries = { 0 };
	fx->f.inspect = note_attempt;
	fx->f.inspect_ctx = &tries;
	group_step(&fx->t, tend_find_group(&fx->t, "b"), GE_START);
	group_step(&fx->t, tend_find_group(&fx->t, "c"), GE_START);

	/* The machine runs out of processes: a's start fails, and q exits. */
	fault_arm(&fx->t.sys.faults, FAULT_FORK, EAGAIN, 0, 0);
	group_step(&fx->t, tend_find_group(&fx->t, "a"), GE_START);
	exit_with(fx, proc(fx, "b", "q"), 1);
	for (int i = 0; i < 500; i++) {
		if (i == 250) /* then out of memory */
			fault_arm(&fx->t.sys.faults, FAULT_FORK, ENOMEM, 0, 0);
		if (i == 300) { /* the rest is still supervised: c stops when asked */
			group_step(&fx->t, tend_find_group(&fx->t, "c"), GE_STOP);
			killed_by(fx, proc(fx, "c", "r"), SIGTERM);
		}
		advance(fx, 100);
	}
	/* Tried again and again, never given up as failed (restart-limit = 2
	 * counts exits, and a start that failed is none), each wait at least
	 * as long as the one before, from restart-delay up to the longest. */
	assert_int_equal(proc(fx, "a", "p")->state, PS_BACKOFF);
	assert_int_equal(proc(fx, "b", "q")->state, PS_BACKOFF);
	assert_int_equal(tend_find_group(&fx->t, "c")->state, GS_STOPPED);
	assert_true(tries.n >= 10);
	assert_int_equal(tries.at[1] - tries.at[0], DEFAULT_RESTART_DELAY_MS);
	for (int i = 2; i < tries.n; i++)
		assert_true(tries.at[i] - tries.at[i - 1] >= tries.at[i - 1] - tries.at[i - 2]);
	assert_int_equal(tries.at[tries.n - 1] - tries.at[tries.n - 2], START_RETRY_MAX_MS);
	assert_int_equal(said(&s, "a/p: cannot start p: Resource temporarily unavailable"), 1);
	assert_int_equal(said(&s, "b/q: cannot start q"), 1);
	assert_int_equal(said(&s, "cannot start"), 2); /* ENOMEM: the same episode */

	/* The fault clears: both start by themselves within the longest wait. */
	fault_arm(&fx->t.sys.faults, FAULT_FORK, 0, 0, 0);
	advance(fx, START_RETRY_MAX_MS);
	assert_int_equal(proc(fx, "a", "p")->state, PS_RUNNING);
	assert_int_equal(proc(fx, "b", "q")->state, PS_RUNNING);
	assert_int_equal(tend_find_group(&fx->t, "a")->state, GS_RUNNING);
	assert_int_equal(proc(fx, "a", "p")->last_spawn_errno, 0);
	assert_int_equal(said(&s, "started after"), 2);
	/* A later fault is a new episode, said again. */
	fault_arm(&fx->t.sys.faults, FAULT_FORK, EAGAIN, 0, 1);
	exit_with(fx, proc(fx, "a", "p"), 1);
	advance(fx, DEFAULT_RESTART_DELAY_MS);
	assert_int_equal(said(&s, "a/p: cannot start"), 2);
	advance(fx, DEFAULT_RESTART_DELAY_MS);
	assert_int_equal(proc(fx, "a", "p")->state, PS_RUNNING);
	teardown_saying(fx, &s);
}

/* A start that fails for good (no such program) is not retried for ever:
 * it counts as an exit, as before. */
static void a_missing_program_is_not_a_transient_fault(void **state)
{
	(void)state;
	assert_true(start_fault_is_transient(EAGAIN));
	assert_true(start_fault_is_transient(ENOMEM));
	assert_true(start_fault_is_transient(EMFILE));
	assert_false(start_fault_is_transient(ENOENT));
	assert_false(start_fault_is_transient(EACCES));
	assert_int_equal(start_retry_delay_ms(0, 1), START_RETRY_MIN_MS);
	assert_int_equal(start_retry_delay_ms(100, 2), 200);
	assert_int_equal(start_retry_delay_ms(100, 200), START_RETRY_MAX_MS);
	assert_int_equal(start_retry_delay_ms(60000, 5), 60000);
}

/* ---- log writes: ENOSPC, then EIO ---- */

static void keep_output_end(struct fake *f, const struct spawn_request *req)
{
	int *fd = f->inspect_ctx;
	if (strcmp(req->process, "p") == 0 && *fd < 0)
		*fd = dup(req->output_fd);
}

/* p writes lines; tend reads them as the loop would. */
static void p_says(struct fixture *fx, int fd, const char *lines)
{
	struct process *p = proc(fx, "g", "p");
	assert_int_equal(write(fd, lines, strlen(lines)), (ssize_t)strlen(lines));
	p->log.w.on_ready(&p->log.w, EPOLLIN);
}

static void log_writes_fail_and_resume_with_a_count_of_lost_lines(void **state)
{
	(void)state;
	struct said s;
	struct fixture *fx = setup_saying("group \"g\" { process \"p\" { command = \"p\" } }\n"
					  "group \"h\" { process \"q\" { command = \"q\" } }\n",
					  &s);
	int out = -1;
	fx->f.inspect = keep_output_end;
	fx->f.inspect_ctx = &out;
	group_step(&fx->t, tend_find_group(&fx->t, "g"), GE_START);
	group_step(&fx->t, tend_find_group(&fx->t, "h"), GE_START);
	assert_true(out >= 0);
	p_says(fx, out, "one\n");

	fault_arm(&fx->t.sys.faults, FAULT_WRITE, ENOSPC, 0, 0);
	p_says(fx, out, "two\nthree\n");
	fault_arm(&fx->t.sys.faults, FAULT_WRITE, EIO, 0, 0);
	p_says(fx, out, "four\n");
	/* Meanwhile h's process exits and is restarted as ever. */
	exit_with(fx, proc(fx, "h", "q"), 1);
	advance(fx, DEFAULT_RESTART_DELAY_MS);
	assert_int_equal(proc(fx, "h", "q")->state, PS_RUNNING);
	assert_int_equal(said(&s, "g/p: cannot write its log"), 1);
	assert_int_equal(said(&s, "No space left on device"), 1);

	fault_arm(&fx->t.sys.faults, FAULT_WRITE, 0, 0, 0);
	p_says(fx, out, "five\n");
	assert_int_equal(said(&s, "g/p: writing its log again; 3 line(s) were lost"), 1);
	char path[256];
	proclog_path(&fx->t, "g", "p", path, sizeof(path));
	char **lines = logfile_tail(path, 10);
	assert_non_null(lines);
	assert_string_equal(lines[0] + WALL_TIME_LEN, "one");
	assert_string_equal(lines[1] + WALL_TIME_LEN, "five");
	assert_null(lines[2]);
	argv_free(lines);
	close(out);
	teardown_saying(fx, &s);
}

/* ---- accounting writes: ENOSPC, then EIO ---- */

static int count_lines(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "cat %s/account/*.jsonl 2>/dev/null | wc -l", dir);
	FILE *fp = popen(cmd, "r");
	int n = -1;
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%d", &n), 1);
	pclose(fp);
	return n;
}

static void accounting_keeps_records_and_writes_them_when_it_can(void **state)
{
	(void)state;
	struct said s;
	struct fixture *fx = setup_saying("group \"g\" { process \"p\" { command = \"p\"  "
					  "restart-limit = 100 } }\n"
					  "group \"h\" { process \"q\" { command = \"q\" } }\n",
					  &s);
	struct account acct;
	account_open(&acct, &fx->t, NULL, NULL);
	assert_true(acct.open);
	assert_int_equal(bus_subscribe(&fx->t.bus, ACCOUNT_EVENTS, account_on_event, &acct), 0);
	group_step(&fx->t, tend_find_group(&fx->t, "g"), GE_START);
	group_step(&fx->t, tend_find_group(&fx->t, "h"), GE_START);
	exit_with(fx, proc(fx, "g", "p"), 1);
	advance(fx, DEFAULT_RESTART_DELAY_MS);
	assert_int_equal(count_lines(fx->dir), 1);

	fault_arm(&fx->t.sys.faults, FAULT_ACCOUNT, ENOSPC, 0, 0);
	uint64_t waits[8];
	int nwaits = 0;
	for (int i = 0; i < 10; i++) {
		if (i == 5)
			fault_arm(&fx->t.sys.faults, FAULT_ACCOUNT, EIO, 0, 0);
		exit_with(fx, proc(fx, "g", "p"), 1);
		advance(fx, DEFAULT_RESTART_DELAY_MS);
		assert_int_equal(proc(fx, "g", "p")->state, PS_RUNNING);
		advance(fx, 1000);
		if (nwaits < 8)
			waits[nwaits++] = acct.writer.retry_ms;
	}
	/* h is still supervised; nothing more is written; tried again less
	 * and less often, said once. */
	exit_with(fx, proc(fx, "h", "q"), 1);
	advance(fx, DEFAULT_RESTART_DELAY_MS);
	assert_int_equal(proc(fx, "h", "q")->state, PS_RUNNING);
	assert_int_equal(count_lines(fx->dir), 1);
	assert_int_equal(acct.writer.queued, 11);
	for (int i = 1; i < nwaits; i++)
		assert_true(waits[i] >= waits[i - 1]);
	assert_true(acct.writer.retry_ms > 2 * ACCOUNT_SYNC_MS);
	assert_true(acct.writer.retry_ms <= ACCOUNT_RETRY_MAX_MS);
	assert_int_equal(said(&s, "accounting: write"), 1);

	/* The fault clears: the next try writes every record, in order. */
	fault_arm(&fx->t.sys.faults, FAULT_ACCOUNT, 0, 0, 0);
	advance(fx, ACCOUNT_RETRY_MAX_MS);
	assert_int_equal(acct.writer.queued, 0);
	assert_int_equal(count_lines(fx->dir), 12);
	assert_int_equal(said(&s, "is written again; 0 records were dropped"), 1);
	account_close(&acct);
	teardown_saying(fx, &s);
}

/* ---- the clock: hours back, hours forward ---- */

static void clock_jumps_neither_stall_nor_storm(void **state)
{
	(void)state;
	struct said s;
	struct fixture *fx = setup_saying("group \"g\" { process \"p\" { command = \"p\"  "
					  "restart-delay = 1s  restart-limit = 3  "
					  "restart-window = 1h } }\n"
					  "group \"h\" { process \"q\" { command = \"q\"  "
					  "restart-delay = 1s } }\n",
					  &s);
	fx->f.now = 10 * HOUR_MS; /* room to go back */
	group_step(&fx->t, tend_find_group(&fx->t, "g"), GE_START);
	group_step(&fx->t, tend_find_group(&fx->t, "h"), GE_START);
	fx->f.nlog = 0;

	/* Back three hours while p waits out its restart-delay: it restarts
	 * a second later, not three hours and a second. */
	exit_with(fx, proc(fx, "g", "p"), 1);
	fx->f.now -= 3 * HOUR_MS;
	advance(fx, 0); /* the loop's next turn sees it */
	advance(fx, 999);
	assert_int_equal(proc(fx, "g", "p")->state, PS_BACKOFF);
	advance(fx, 1);
	assert_int_equal(proc(fx, "g", "p")->state, PS_RUNNING);
	assert_int_equal(said(&s, "the clock went back"), 1);

	/* Forward three hours while both wait: each restarts once, at once. */
	exit_with(fx, proc(fx, "g", "p"), 1);
	exit_with(fx, proc(fx, "h", "q"), 1);
	advance(fx, 3 * HOUR_MS);
	assert_log(fx, (const char *[]){ "spawn p", "spawn p", "spawn q", NULL });
	advance(fx, 1000);
	assert_int_equal(fx->f.nlog, 0);
	assert_int_equal(proc(fx, "g", "p")->state, PS_RUNNING);
	/* The exits before the jump are hours old now: two more exits do not
	 * make p unstable (restart-limit = 3 in 1h). */
	exit_with(fx, proc(fx, "g", "p"), 1);
	advance(fx, 1000);
	exit_with(fx, proc(fx, "g", "p"), 1);
	advance(fx, 1000);
	assert_int_equal(proc(fx, "g", "p")->state, PS_RUNNING);
	assert_int_equal(said(&s, "the clock went back"), 1);
	teardown_saying(fx, &s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(fork_fails_and_tend_backs_off_and_recovers,
					  said_teardown),
		cmocka_unit_test_teardown(a_missing_program_is_not_a_transient_fault,
					  said_teardown),
		cmocka_unit_test_teardown(log_writes_fail_and_resume_with_a_count_of_lost_lines,
					  said_teardown),
		cmocka_unit_test_teardown(accounting_keeps_records_and_writes_them_when_it_can,
					  said_teardown),
		cmocka_unit_test_teardown(clock_jumps_neither_stall_nor_storm, said_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

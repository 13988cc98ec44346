/* The fault points (base/fault.h): a plan fails the calls it says and no
 * others, and each point is where the system call is: fork in the seam's
 * spawn, the write of a log line, the control socket's accept, and the
 * seam's clocks, which the loop's timers follow. Real system calls and a
 * real loop: these are the points the hardening tests will drive. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/container_of.h"
#include "base/fault.h"
#include "base/logfile.h"
#include "control/server.h"
#include "libtend/cmdline.h"
#include "core/context.h"
#include "sys/exec.h"
#include "sys/sys.h"

#include "files.h"
#include "said.h"

static void a_plan_fails_what_it_says_and_nothing_else(void **state)
{
	(void)state;
	struct fault_plan plan = { 0 };
	assert_int_equal(fault_check(&plan, FAULT_WRITE), 0);
	assert_int_equal(fault_check(NULL, FAULT_WRITE), 0);
	/* Let two calls through, then fail three with ENOSPC, then none. */
	fault_arm(&plan, FAULT_WRITE, ENOSPC, 2, 3);
	int got[7];
	for (int i = 0; i < 7; i++)
		got[i] = fault_check(&plan, FAULT_WRITE);
	int want[7] = { 0, 0, ENOSPC, ENOSPC, ENOSPC, 0, 0 };
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(plan.failed[FAULT_WRITE], 3);
	assert_int_equal(fault_check(&plan, FAULT_FORK), 0); /* other points: untouched */
	/* times 0: every call fails until disarmed. */
	fault_arm(&plan, FAULT_ACCEPT, EMFILE, 0, 0);
	for (int i = 0; i < 5; i++) {
		errno = 0;
		assert_int_equal(fault_check(&plan, FAULT_ACCEPT), EMFILE);
		assert_int_equal(errno, EMFILE);
	}
	fault_arm(&plan, FAULT_ACCEPT, 0, 0, 0);
	assert_int_equal(fault_check(&plan, FAULT_ACCEPT), 0);
}

/* The seam's spawn fails as fork would, starting nothing, then works. */
static void fork_fails_with_eagain_then_enomem_then_starts(void **state)
{
	(void)state;
	struct sys s = { .ops = &sys_linux };
	char *argv[] = { "/bin/true", NULL };
	char *envp[] = { NULL };
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct spawn_request req = { .argv = argv,
				     .envp = envp,
				     .stdin_fd = devnull,
				     .output_fd = devnull,
				     .cgroup_fd = -1,
				     .ready_fd = -1,
				     .watchdog_fd = -1,
				     .uid = (uid_t)-1,
				     .gid = (gid_t)-1,
				     .ngroups = -1 };
	getrlimit(RLIMIT_NOFILE, &req.nofile);
	int err = 0;

	fault_arm(&s.faults, FAULT_FORK, EAGAIN, 0, 1);
	assert_int_equal(s.ops->spawn(&s, &req, &err), -1);
	assert_int_equal(err, EAGAIN);
	fault_arm(&s.faults, FAULT_FORK, ENOMEM, 0, 1);
	assert_int_equal(s.ops->spawn(&s, &req, &err), -1);
	assert_int_equal(err, ENOMEM);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* no child was made */
	assert_int_equal(errno, ECHILD);

	err = 0;
	pid_t pid = s.ops->spawn(&s, &req, &err);
	assert_true(pid > 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(devnull);
}

/* A log write fails with ENOSPC and writes nothing; the next one works. */
static void a_log_write_fails_with_enospc(void **state)
{
	(void)state;
	char dir[] = "/tmp/tend-fault-XXXXXX", path[64];
	struct fault_plan plan = { 0 };
	struct logfile lf;
	struct stat st;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.log", dir);
	logfile_init(&lf, path);
	assert_int_equal(logfile_write(&lf, "one", 3, 1 << 20, 3, &plan), 0);
	fault_arm(&plan, FAULT_WRITE, ENOSPC, 0, 1);
	assert_int_equal(logfile_write(&lf, "two", 3, 1 << 20, 3, &plan), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(logfile_write(&lf, "three", 5, 1 << 20, 3, &plan), 0);
	logfile_close(&lf);
	char **lines = logfile_tail(path, 10);
	assert_non_null(lines);
	assert_non_null(lines[0]);
	assert_non_null(lines[1]);
	assert_null(lines[2]);
	assert_string_equal(lines[0] + WALL_TIME_LEN, "one");
	assert_string_equal(lines[1] + WALL_TIME_LEN, "three");
	argv_free(lines);
	assert_int_equal(stat(path, &st), 0);
	remove_test_tree(dir);
}

/* Lines added to a batch go in one write, the file rotating between lines
 * as it does line by line; a batch that cannot be written counts each of
 * its lines lost, after one failed write. */
static void a_batch_is_one_write_and_rotates_between_lines(void **state)
{
	(void)state;
	char dir[] = "/tmp/tend-fault-XXXXXX", path[64], line[8];
	struct fault_plan plan = { 0 };
	struct logfile lf;
	struct log_batch b = { 0 };
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.log", dir);
	logfile_init(&lf, path);
	/* Each line is WALL_TIME_LEN + 5 + 1 = 31 bytes: three fit in 100. */
	for (int i = 0; i < 5; i++) {
		snprintf(line, sizeof(line), "line%d", i);
		assert_int_equal(logfile_batch_add(&lf, &b, line, 5, 100, 3, &plan), 0);
	}
	assert_int_equal(b.lines, 2); /* the first three were written to fill the file */
	assert_int_equal(lf.size, 3 * (WALL_TIME_LEN + 6));
	fault_arm(&plan, FAULT_WRITE, EIO, 0, 1);
	assert_int_equal(logfile_batch_flush(&lf, &b, 100, 3, &plan), -1);
	assert_int_equal(plan.failed[FAULT_WRITE], 1); /* one write for both lines */
	assert_int_equal(lf.lost, 2);
	assert_int_equal(b.lines, 0);
	assert_int_equal(logfile_batch_add(&lf, &b, "line5", 5, 100, 3, &plan), 0);
	assert_int_equal(logfile_batch_flush(&lf, &b, 100, 3, &plan), 0);
	logfile_close(&lf);
	char **lines = logfile_tail(path, 10); /* p.log after p.log.1 */
	assert_non_null(lines);
	const char *want[] = { "line0", "line1", "line2", "line5" };
	for (int i = 0; i < 4; i++) {
		assert_non_null(lines[i]);
		assert_string_equal(lines[i] + WALL_TIME_LEN, want[i]);
	}
	assert_null(lines[4]);
	argv_free(lines);
	remove_test_tree(dir);
}

/* ---- the clock, and a real loop that follows it ---- */

static uint64_t real_ms(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void both_clocks_jump_by_the_plan(void **state)
{
	(void)state;
	struct sys s = { .ops = &sys_linux };
	s.faults.clock_jump_ms = 3600 * 1000;
	uint64_t mono = s.ops->now_ms(&s), wall = s.ops->wall_ms(&s);
	assert_true(mono >= real_ms(CLOCK_MONOTONIC) + 3600 * 1000 - 50);
	assert_true(mono <= real_ms(CLOCK_MONOTONIC) + 3600 * 1000);
	assert_true(wall >= real_ms(CLOCK_REALTIME) + 3600 * 1000 - 50);
	s.faults.clock_jump_ms = -(int64_t)real_ms(CLOCK_MONOTONIC) - 3600 * 1000;
	assert_int_equal(s.ops->now_ms(&s), 1); /* never before the start of time */
}

struct quit_timer {
	struct timer tm;
	struct loop *loop;
	int fired;
};

static void quit_now(struct timer *tm)
{
	struct quit_timer *q = container_of(tm, struct quit_timer, tm);
	q->fired++;
	loop_quit(q->loop);
}

/* With the clock an hour ahead (or behind: at most half the time since
 * boot), a timer armed for 30 ms from now fires after 30 ms, not an hour
 * off. */
static void timers_follow_a_clock_that_jumped(void **state)
{
	(void)state;
	int64_t back = (int64_t)real_ms(CLOCK_MONOTONIC) / 2;
	int64_t jumps[] = { 3600 * 1000, -(back < 3600 * 1000 ? back : 3600 * 1000) };
	for (int i = 0; i < 2; i++) {
		struct tend t = { .log.verbosity = -1 };
		tend_init(&t, &sys_linux);
		t.sys.faults.clock_jump_ms = jumps[i];
		assert_int_equal(loop_init(&t.loop), 0);
		struct quit_timer q = { .loop = &t.loop };
		timer_init(&q.tm, quit_now);
		uint64_t start = real_ms(CLOCK_MONOTONIC);
		loop_timer_in(&t.loop, &q.tm, 30);
		alarm(10); /* a timer an hour off ends the test as a failure */
		assert_int_equal(loop_run(&t.loop), 0);
		alarm(0);
		uint64_t took = real_ms(CLOCK_MONOTONIC) - start;
		assert_int_equal(q.fired, 1);
		assert_true(took >= 29 && took < 5000);
		loop_close(&t.loop);
	}
}

/* ---- accept: a control connection refused when out of descriptors ---- */

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Runs the loop for ms: enough for a connection and a request to be handled. */
static void run_for(struct tend *t, unsigned ms)
{
	struct quit_timer q = { .loop = &t->loop };
	timer_init(&q.tm, quit_now);
	loop_timer_in(&t->loop, &q.tm, ms);
	t->loop.quit = false;
	assert_int_equal(loop_run(&t->loop), 0);
}

/* One ERR line saying why, then end of file. */
static void assert_refused_for_want_of_fds(int fd)
{
	char reply[256];
	ssize_t n = read(fd, reply, sizeof(reply) - 1);
	assert_true(n > 0);
	reply[n] = '\0';
	assert_non_null(strstr(reply, "ERR tend is out of file descriptors"));
	assert_int_equal(reply[n - 1], '\n');
	assert_int_equal(read(fd, reply, sizeof(reply)), 0);
}

static void accept_fails_with_emfile_and_the_connection_is_refused(void **state)
{
	(void)state;
	char dir[] = "/tmp/tend-fault-XXXXXX", reply[256];
	struct tend t = { .log.verbosity = -1 };
	struct control ctl = { .spare_fd = -1 };
	assert_non_null(mkdtemp(dir));
	tend_init(&t, &sys_linux);
	t.rundir = dir;
	assert_int_equal(loop_init(&t.loop), 0);
	assert_int_equal(loop_add_hook(&t.loop, control_after_events, &ctl), 0);
	assert_int_equal(control_open(&ctl, &t), 0);

	fault_arm(&t.sys.faults, FAULT_ACCEPT, EMFILE, 0, 1);
	int refused = connect_to(ctl.path);
	run_for(&t, 100);
	assert_int_equal(t.sys.faults.failed[FAULT_ACCEPT], 1);
	/* tend took it with its spare descriptor, said why and closed it */
	assert_refused_for_want_of_fds(refused);
	close(refused);
	assert_int_equal(ctl.nclients, 0);

	/* The fault is over: the next connection is served. */
	int fd = connect_to(ctl.path);
	assert_int_equal(write(fd, "ping\n", 5), 5);
	run_for(&t, 100);
	ssize_t n = read(fd, reply, sizeof(reply) - 1);
	assert_true(n > 0);
	reply[n] = '\0';
	assert_memory_equal(reply, "OK tend ", 8);
	close(fd);
	control_close(&ctl);
	loop_close(&t.loop);
	remove_test_tree(dir);
}

/* Out of descriptors system-wide (ENFILE) while five clients connect:
 * each is refused at once (told why, no spinning loop), tend says so
 * once, and once more with the count when connections are taken again. */
static void accept_fails_with_enfile_said_once_per_episode(void **state)
{
	(void)state;
	char dir[] = "/tmp/tend-fault-XXXXXX", reply[256];
	struct tend t = { .log.verbosity = LOG_WARN };
	struct control ctl = { .spare_fd = -1 };
	struct said s;
	int fds[5];
	assert_non_null(mkdtemp(dir));
	tend_init(&t, &sys_linux);
	t.rundir = dir;
	assert_int_equal(loop_init(&t.loop), 0);
	assert_int_equal(loop_add_hook(&t.loop, control_after_events, &ctl), 0);
	assert_int_equal(control_open(&ctl, &t), 0);
	said_begin(&s);

	fault_arm(&t.sys.faults, FAULT_ACCEPT, ENFILE, 0, 5);
	for (int i = 0; i < 5; i++)
		fds[i] = connect_to(ctl.path);
	run_for(&t, 100);
	assert_int_equal(t.sys.faults.failed[FAULT_ACCEPT], 5);
	for (int i = 0; i < 5; i++) {
		assert_refused_for_want_of_fds(fds[i]);
		close(fds[i]);
	}
	assert_int_equal(
	    said(&s, "control: cannot take connections: Too many open files in system"), 1);
	int fd = connect_to(ctl.path);
	assert_int_equal(write(fd, "ping\n", 5), 5);
	run_for(&t, 100);
	assert_true(read(fd, reply, sizeof(reply)) > 0);
	close(fd);
	assert_int_equal(said(&s, "taking connections again; 5 were refused"), 1);
	said_end(&s);
	control_close(&ctl);
	loop_close(&t.loop);
	remove_test_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_plan_fails_what_it_says_and_nothing_else),
		cmocka_unit_test(fork_fails_with_eagain_then_enomem_then_starts),
		cmocka_unit_test(a_log_write_fails_with_enospc),
		cmocka_unit_test(a_batch_is_one_write_and_rotates_between_lines),
		cmocka_unit_test(both_clocks_jump_by_the_plan),
		cmocka_unit_test(timers_follow_a_clock_that_jumped),
		cmocka_unit_test(accept_fails_with_emfile_and_the_connection_is_refused),
		cmocka_unit_test_teardown(accept_fails_with_enfile_said_once_per_episode,
					  said_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

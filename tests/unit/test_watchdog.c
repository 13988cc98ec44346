/* libtend's heartbeat watchdog and sd_notify senders. Each test makes its
 * pages in a fresh temporary directory the way tend does, and keeps its
 * own mapping of the file to look at it from tend's side. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libtend/tend.h"
#include "libtend/watchdog_page.h"

#define TIMEOUT_NS 2500000000u /* 2.5 s */
#define NOT_SUPERVISED "not supervised by tend with a watchdog (TEND_WATCHDOG is not set)"

static const char *const env_names[] = { TEND_WATCHDOG_ENV, "NOTIFY_SOCKET" };
#define NENV (sizeof(env_names) / sizeof(env_names[0]))

struct fixture {
	char dir[64];
	char path[128]; /* the page file of the test */
	char *env[NENV];
	struct tend_watchdog *wd;      /* setup_mapped: the page opened through libtend */
	struct tend_watchdog_page *pg; /* setup_mapped: the page as tend maps it */
};

/* ---- fixture: a temporary directory, the environment saved -------------- */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/tend-wd-test.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/group.process", f->dir);
	for (size_t i = 0; i < NENV; i++) {
		const char *v = getenv(env_names[i]);

		f->env[i] = v ? strdup(v) : NULL;
		unsetenv(env_names[i]);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *e;
	DIR *d = opendir(f->dir);

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(f->dir);
	for (size_t i = 0; i < NENV; i++) {
		if (f->env[i])
			setenv(env_names[i], f->env[i], 1);
		else
			unsetenv(env_names[i]);
		free(f->env[i]);
	}
	free(f);
	return 0;
}

/* ---- pages, made as tend makes them ------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Written field by field, not with tend_watchdog_page_init: the test checks
 * the library against the format, not against itself. */
static void fill_page(struct tend_watchdog_page *pg, pid_t tend_pid, uint64_t start_time)
{
	memset(pg, 0, sizeof(*pg));
	pg->magic = TEND_WATCHDOG_MAGIC;
	pg->version = TEND_WATCHDOG_VERSION;
	pg->size = sizeof(*pg);
	pg->tend_pid = tend_pid;
	pg->tend_start_time = start_time;
	pg->timeout_ns = TIMEOUT_NS;
	atomic_store(&pg->last_kick_ns, now_ns());
}

/* Writes pg into path as a file of file_size bytes, mode 0600. */
static void write_page(const char *path, const struct tend_watchdog_page *pg, size_t file_size)
{
	size_t n = file_size < sizeof(*pg) ? file_size : sizeof(*pg);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)file_size), 0);
	assert_int_equal(pwrite(fd, pg, n, 0), (ssize_t)n);
	close(fd);
}

static void make_page(struct fixture *f, pid_t tend_pid, uint64_t start_time)
{
	struct tend_watchdog_page pg;

	fill_page(&pg, tend_pid, start_time);
	write_page(f->path, &pg, TEND_WATCHDOG_FILE_SIZE);
}

/* A page whose tend is our parent: alive whatever the start time says. */
static void make_alive_page(struct fixture *f)
{
	make_page(f, getppid(), 0);
}

/* tend's view: the file mapped shared. */
static struct tend_watchdog_page *map_page(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	void *m;

	assert_true(fd >= 0);
	m = mmap(NULL, TEND_WATCHDOG_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(m != MAP_FAILED);
	return m;
}

static void unmap_page(struct tend_watchdog_page *pg)
{
	munmap(pg, TEND_WATCHDOG_FILE_SIZE);
}

static struct tend_watchdog *open_ok(struct fixture *f)
{
	char why[256] = "unchanged";
	struct tend_watchdog *wd = tend_watchdog_open_path(f->path, why, sizeof(why));

	if (!wd)
		fail_msg("open failed: %s", why);
	assert_string_equal(why, "");
	return wd;
}

/* The tests of one live page: made, opened through libtend and mapped as
 * tend maps it; undone in teardown_mapped even when the test fails. */
static int setup_mapped(void **state)
{
	struct fixture *f;

	if (setup(state) < 0)
		return -1;
	f = *state;
	make_alive_page(f);
	f->wd = open_ok(f);
	f->pg = map_page(f->path);
	return 0;
}

static int teardown_mapped(void **state)
{
	struct fixture *f = *state;

	unmap_page(f->pg);
	tend_watchdog_close(f->wd);
	return teardown(state);
}

/* Expects opening path to fail with err and a reason starting with prefix. */
static void open_fails(const char *path, int err, const char *prefix)
{
	char why[256] = "";

	errno = 0;
	assert_null(tend_watchdog_open_path(path, why, sizeof(why)));
	assert_int_equal(errno, err);
	if (strncmp(why, prefix, strlen(prefix)) != 0)
		fail_msg("reason \"%s\" does not start with \"%s\"", why, prefix);
}

/* A pid that no process has: a child that has exited and been reaped. */
static pid_t dead_pid(void)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return pid;
}

static void count_call(void *arg)
{
	(*(int *)arg)++;
}

/* ---- opening ------------------------------------------------------------- */

static void test_open_env(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog *wd;
	char why[256];

	make_alive_page(f);
	setenv(TEND_WATCHDOG_ENV, f->path, 1);
	wd = tend_watchdog_open(why, sizeof(why));
	assert_non_null(wd);
	assert_int_equal(tend_watchdog_timeout_ms(wd), 2500);
	tend_watchdog_close(wd);
}

static void test_open_path(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog *wd;

	make_alive_page(f);
	wd = open_ok(f);
	assert_int_equal(tend_watchdog_timeout_ms(wd), 2500);
	tend_watchdog_close(wd);
	/* why may be NULL. */
	wd = tend_watchdog_open_path(f->path, NULL, 0);
	assert_non_null(wd);
	tend_watchdog_close(wd);
}

static void test_not_supervised(void **state)
{
	char why[256], tiny[8];

	(void)state;
	errno = 0;
	assert_null(tend_watchdog_open(why, sizeof(why)));
	assert_int_equal(errno, ENOENT);
	assert_string_equal(why, NOT_SUPERVISED);

	setenv(TEND_WATCHDOG_ENV, "", 1); /* empty counts as unset */
	errno = 0;
	assert_null(tend_watchdog_open(why, sizeof(why)));
	assert_int_equal(errno, ENOENT);
	assert_string_equal(why, NOT_SUPERVISED);

	assert_null(tend_watchdog_open(tiny, sizeof(tiny))); /* cut, still terminated */
	assert_string_equal(tiny, "not sup");
	assert_null(tend_watchdog_open(NULL, 0));
}

static void test_open_unusable(void **state)
{
	struct fixture *f = *state;

	open_fails("/nonexistent/tend/watchdog", ENOENT,
		   "cannot open watchdog file /nonexistent/tend/watchdog: No such file");
	open_fails(f->dir, EISDIR, "cannot open watchdog file");
	open_fails("", EINVAL, "no watchdog file named");
	open_fails(NULL, EINVAL, "no watchdog file named");

	make_alive_page(f);
	assert_int_equal(chmod(f->path, 0), 0);
	if (geteuid() != 0) /* root reads any file */
		open_fails(f->path, EACCES, "cannot open watchdog file");
}

static void test_open_truncated(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog_page pg;

	/* A valid header, but the file ends early. */
	fill_page(&pg, getppid(), 0);
	write_page(f->path, &pg, 100);
	open_fails(f->path, EINVAL, "watchdog file");
	write_page(f->path, &pg, TEND_WATCHDOG_FILE_SIZE - 1);
	open_fails(f->path, EINVAL, "watchdog file");

	char why[256];

	assert_null(tend_watchdog_open_path(f->path, why, sizeof(why)));
	assert_non_null(strstr(why, "truncated"));
	assert_non_null(strstr(why, "4095 bytes"));
	/* Empty, as a file tend has only just created. */
	write_page(f->path, &pg, 0);
	open_fails(f->path, EINVAL, "watchdog file");
}

static void test_open_foreign(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog_page pg;

	fill_page(&pg, getppid(), 0);
	pg.magic = 0x464c457f; /* an ELF file, say */
	write_page(f->path, &pg, TEND_WATCHDOG_FILE_SIZE);
	open_fails(f->path, EINVAL, f->path);

	char why[256];

	assert_null(tend_watchdog_open_path(f->path, why, sizeof(why)));
	assert_non_null(strstr(why, "is not a tend watchdog file (bad magic 0x464c457f)"));

	/* All zeros: tend's file before it wrote the page. */
	memset(&pg, 0, sizeof(pg));
	write_page(f->path, &pg, TEND_WATCHDOG_FILE_SIZE);
	open_fails(f->path, EINVAL, f->path);
}

static void test_open_other_version(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog_page pg;
	char why[256];

	fill_page(&pg, getppid(), 0);
	pg.version = TEND_WATCHDOG_VERSION + 1;
	write_page(f->path, &pg, TEND_WATCHDOG_FILE_SIZE);
	open_fails(f->path, EPROTONOSUPPORT, "watchdog file");
	assert_null(tend_watchdog_open_path(f->path, why, sizeof(why)));
	assert_non_null(strstr(why, "has format version 2; this libtend reads 1"));
}

static void test_open_damaged(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog_page pg;

	fill_page(&pg, 0, 0); /* no tend pid: kill(0, 0) would mean our own group */
	write_page(f->path, &pg, TEND_WATCHDOG_FILE_SIZE);
	open_fails(f->path, EINVAL, "watchdog file");

	fill_page(&pg, getppid(), 0);
	pg.size = 16;
	write_page(f->path, &pg, TEND_WATCHDOG_FILE_SIZE);
	open_fails(f->path, EINVAL, "watchdog file");
}

/* ---- kicks, suspension ------------------------------------------------- */

static void test_kick(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog *wd;
	struct tend_watchdog_page *pg;
	uint64_t before, last, prev = 0;

	wd = f->wd;
	pg = f->pg;
	assert_int_equal(atomic_load(&pg->kicks), 0);
	for (int i = 1; i <= 100; i++) {
		before = now_ns();
		errno = 4242;
		tend_watchdog_kick(wd);
		assert_int_equal(errno, 4242); /* a kick keeps errno */
		last = atomic_load(&pg->last_kick_ns);
		assert_int_equal(atomic_load(&pg->kicks), i);
		assert_true(last >= before && last <= now_ns());
		assert_true(last >= prev);
		prev = last;
	}
}

static void test_suspend_resume(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog *wd;
	struct tend_watchdog_page *pg;
	uint64_t before, old_kick;

	wd = f->wd;
	pg = f->pg;
	old_kick = atomic_load(&pg->last_kick_ns);
	assert_int_equal(atomic_load(&pg->suspended), 0);

	tend_watchdog_suspend(wd);
	assert_int_not_equal(atomic_load(&pg->suspended), 0);
	assert_int_equal(atomic_load(&pg->kicks), 0); /* suspending is no kick */
	/* Long past the timeout, yet not hung while suspended. */
	assert_false(tend_watchdog_page_expired(pg, TIMEOUT_NS, old_kick + 10 * TIMEOUT_NS));

	before = now_ns();
	tend_watchdog_resume(wd);
	assert_int_equal(atomic_load(&pg->suspended), 0);
	assert_int_equal(atomic_load(&pg->kicks), 1); /* resuming kicks */
	assert_true(atomic_load(&pg->last_kick_ns) >= before);
	assert_false(tend_watchdog_page_expired(pg, TIMEOUT_NS, now_ns()));
}

static void test_expired(void **state)
{
	struct tend_watchdog_page pg;
	const uint64_t t0 = 1000000000000u;

	(void)state;
	tend_watchdog_page_init(&pg, 1, 1, TIMEOUT_NS, t0);
	assert_false(tend_watchdog_page_expired(&pg, TIMEOUT_NS, t0));
	assert_false(tend_watchdog_page_expired(&pg, TIMEOUT_NS, t0 + TIMEOUT_NS - 1));
	assert_true(tend_watchdog_page_expired(&pg, TIMEOUT_NS, t0 + TIMEOUT_NS));
	/* A kick time from the future (a scribbled page) neither expires nor overflows. */
	atomic_store(&pg.last_kick_ns, UINT64_MAX - 5);
	assert_false(tend_watchdog_page_expired(&pg, TIMEOUT_NS, t0));
	atomic_store(&pg.last_kick_ns, t0);
	atomic_store(&pg.suspended, 1);
	assert_false(tend_watchdog_page_expired(&pg, TIMEOUT_NS, t0 + 100 * TIMEOUT_NS));
}

/* tend_watchdog_page_init makes the page the format describes. */
static void test_page_init(void **state)
{
	struct tend_watchdog_page a, b;

	(void)state;
	fill_page(&a, 1234, 5678);
	tend_watchdog_page_init(&b, 1234, 5678, TIMEOUT_NS, atomic_load(&a.last_kick_ns));
	assert_memory_equal(&a, &b, sizeof(a));
}

/* ---- state text ---------------------------------------------------------- */

static void test_state_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog *wd;
	struct tend_watchdog_page *pg;
	char out[TEND_WATCHDOG_STATE_MAX];

	wd = f->wd;
	pg = f->pg;
	assert_int_equal(tend_watchdog_page_read_state(pg, out, sizeof(out)), 0);
	assert_string_equal(out, "");

	assert_int_equal(tend_watchdog_set_state(wd, "loading %d of %d: %s", 3, 12, "db"), 0);
	assert_int_equal(tend_watchdog_page_read_state(pg, out, sizeof(out)), 19);
	assert_string_equal(out, "loading 3 of 12: db");
	assert_int_equal(atomic_load(&pg->state_seq) % 2, 0);
	assert_int_equal(atomic_load(&pg->kicks), 0); /* a state is no kick */

	assert_int_equal(tend_watchdog_set_state(wd, "idle"), 0); /* shorter: no leftovers */
	assert_int_equal(tend_watchdog_page_read_state(pg, out, sizeof(out)), 4);
	assert_string_equal(out, "idle");

	/* A small buffer gets the start. */
	assert_int_equal(tend_watchdog_page_read_state(pg, out, 3), 2);
	assert_string_equal(out, "id");
	errno = 0;
	assert_int_equal(tend_watchdog_page_read_state(pg, out, 0), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_state_truncation(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog *wd;
	struct tend_watchdog_page *pg;
	char big[1000], out[1000];

	wd = f->wd;
	pg = f->pg;
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';

	/* Exactly the most that fits, then one more. */
	assert_int_equal(tend_watchdog_set_state(wd, "%.*s", TEND_WATCHDOG_STATE_LEN, big), 0);
	assert_int_equal(tend_watchdog_page_read_state(pg, out, sizeof(out)),
			 TEND_WATCHDOG_STATE_LEN);
	assert_int_equal(tend_watchdog_set_state(wd, "%.*s", TEND_WATCHDOG_STATE_LEN + 1, big), 1);
	assert_int_equal(tend_watchdog_page_read_state(pg, out, sizeof(out)),
			 TEND_WATCHDOG_STATE_LEN);
	assert_int_equal(tend_watchdog_set_state(wd, "%s", big), 1);
	assert_int_equal(tend_watchdog_page_read_state(pg, out, sizeof(out)),
			 TEND_WATCHDOG_STATE_LEN);
	assert_memory_equal(out, big, TEND_WATCHDOG_STATE_LEN);
}

/* A cut never splits a UTF-8 character. */
static void test_state_utf8_cut(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog *wd;
	struct tend_watchdog_page *pg;
	char pad[TEND_WATCHDOG_STATE_MAX], out[TEND_WATCHDOG_STATE_MAX];
	const char *euro = "\xe2\x82\xac"; /* 3 bytes */
	int len = TEND_WATCHDOG_STATE_LEN;

	wd = f->wd;
	pg = f->pg;
	memset(pad, 'x', sizeof(pad));
	/* 381 + 3 bytes: the euro sign would be cut after 2 bytes; it goes. */
	assert_int_equal(tend_watchdog_set_state(wd, "%.*s%s", len - 2, pad, euro), 1);
	assert_int_equal(tend_watchdog_page_read_state(pg, out, sizeof(out)), len - 2);
	/* 382 + 3 bytes: cut after 1 byte. */
	assert_int_equal(tend_watchdog_set_state(wd, "%.*s%s!", len - 1, pad, euro), 1);
	assert_int_equal(tend_watchdog_page_read_state(pg, out, sizeof(out)), len - 1);
	/* 380 + 3 bytes fit whole; the '!' after it is cut. */
	assert_int_equal(tend_watchdog_set_state(wd, "%.*s%s!", len - 3, pad, euro), 1);
	assert_int_equal(tend_watchdog_page_read_state(pg, out, sizeof(out)), len);
	assert_memory_equal(out + len - 3, euro, 3);
}

/* A writer that died mid-write leaves state_seq odd: readers give up in
 * bounded time with what is there, and the next writer takes over. */
static void test_state_writer_died(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog *wd;
	struct tend_watchdog_page *pg;
	char out[64];

	wd = f->wd;
	pg = f->pg;
	assert_int_equal(tend_watchdog_set_state(wd, "before"), 0);
	atomic_fetch_add(&pg->state_seq, 1);

	errno = 0;
	assert_int_equal(tend_watchdog_page_read_state(pg, out, sizeof(out)), -1);
	assert_int_equal(errno, EAGAIN);
	assert_string_equal(out, "before");

	assert_int_equal(tend_watchdog_set_state(wd, "after"), 0);
	assert_int_equal(atomic_load(&pg->state_seq) % 2, 0);
	assert_int_equal(tend_watchdog_page_read_state(pg, out, sizeof(out)), 5);
	assert_string_equal(out, "after");
}

/* A page that holds no NUL at all (the process may write anything). */
static void test_state_unterminated(void **state)
{
	struct tend_watchdog_page pg;
	char out[TEND_WATCHDOG_STATE_MAX + 10];

	(void)state;
	fill_page(&pg, 1, 1);
	memset(pg.state, 'z', sizeof(pg.state));
	assert_int_equal(tend_watchdog_page_read_state(&pg, out, sizeof(out)),
			 TEND_WATCHDOG_STATE_LEN);
}

/* Whole texts only: a child writes texts of one letter each, of differing
 * lengths, as fast as it can; every snapshot read meanwhile is one of them. */
static void check_snapshot(const char *s, int n)
{
	static const int lengths[] = { TEND_WATCHDOG_STATE_LEN, 7, 200 };

	assert_true(n >= 1 && s[0] >= 'a' && s[0] <= 'c');
	assert_int_equal(n, lengths[s[0] - 'a']);
	for (int i = 0; i < n; i++)
		if (s[i] != s[0])
			fail_msg("torn snapshot at byte %d: %.20s...", i, s);
}

static void write_states_for(struct tend_watchdog *wd, uint64_t ns)
{
	static const int lengths[] = { TEND_WATCHDOG_STATE_LEN, 7, 200 };
	char text[TEND_WATCHDOG_STATE_MAX];
	uint64_t end = now_ns() + ns;

	for (unsigned i = 0; now_ns() < end; i++) {
		memset(text, 'a' + i % 3, sizeof(text));
		tend_watchdog_set_state(wd, "%.*s", lengths[i % 3], text);
	}
}

static void test_state_concurrent(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog *wd;
	struct tend_watchdog_page *pg;
	char out[TEND_WATCHDOG_STATE_MAX];
	int status, n, good = 0;
	pid_t pid;

	wd = f->wd;
	pg = f->pg;
	tend_watchdog_set_state(wd, "%.*s", 7, "bbbbbbb");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		write_states_for(wd, 300000000u);
		_exit(0);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		n = tend_watchdog_page_read_state(pg, out, sizeof(out));
		if (n < 0)
			continue; /* no consistent snapshot this time: allowed */
		check_snapshot(out, n);
		good++;
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(good > 0);
}

/* ---- is tend still there? ---------------------------------------------- */

/* The child of test_proc_start_time: on a byte, takes a name made to
 * confuse a parser that looks for the first ')', says so, waits for EOF. */
static _Noreturn void rename_and_wait(int to_child[2], int from_child[2])
{
	char c;

	close(to_child[1]);
	close(from_child[0]);
	if (read(to_child[0], &c, 1) == 1 && prctl(PR_SET_NAME, "a) b 1 (2") == 0 &&
	    write(from_child[1], &c, 1) == 1 && read(to_child[0], &c, 1) == 0)
		_exit(0);
	_exit(1);
}

static void test_proc_start_time(void **state)
{
	uint64_t mine, child_before, child_after;
	int to_child[2], from_child[2];
	char c = 0;
	pid_t pid;

	(void)state;
	assert_int_equal(tend_watchdog_proc_start_time(getpid(), &mine), 0);
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		rename_and_wait(to_child, from_child);
	assert_int_equal(tend_watchdog_proc_start_time(pid, &child_before), 0);
	assert_int_equal(write(to_child[1], &c, 1), 1);
	assert_int_equal(read(from_child[0], &c, 1), 1);
	assert_int_equal(tend_watchdog_proc_start_time(pid, &child_after), 0);
	assert_int_equal(child_before, child_after);
	assert_true(child_before >= mine);
	close(to_child[1]);
	waitpid(pid, NULL, 0);
	close(to_child[0]);
	close(from_child[0]);
	close(from_child[1]);

	errno = 0;
	assert_int_equal(tend_watchdog_proc_start_time(dead_pid(), &mine), -1);
	assert_int_equal(errno, ENOENT);
}

/* The first kick after open checks at once. */
static void test_orphan_dead_pid(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog *wd;
	int calls = 0;

	make_page(f, dead_pid(), 0);
	wd = open_ok(f);
	tend_watchdog_on_orphan(wd, count_call, &calls);
	tend_watchdog_kick(wd);
	assert_int_equal(calls, 1);
	tend_watchdog_kick(wd);
	assert_int_equal(calls, 1);
	tend_watchdog_close(wd);
}

/* A live process with the pid, but not the one that wrote the page. */
static void test_orphan_pid_reused(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog *wd;
	uint64_t start;
	int calls = 0;

	assert_int_equal(tend_watchdog_proc_start_time(getpid(), &start), 0);
	make_page(f, getpid(), start + 1);
	wd = open_ok(f);
	tend_watchdog_on_orphan(wd, count_call, &calls);
	tend_watchdog_kick(wd);
	assert_int_equal(calls, 1);
	tend_watchdog_close(wd);

	/* The right start time: alive, though not our parent. */
	make_page(f, getpid(), start);
	wd = open_ok(f);
	tend_watchdog_on_orphan(wd, count_call, &calls);
	tend_watchdog_kick(wd);
	assert_int_equal(calls, 1);
	tend_watchdog_close(wd);
}

static void test_parent_alive(void **state)
{
	struct fixture *f = *state;
	struct tend_watchdog *wd;
	int calls = 0;

	make_page(f, getppid(), 12345); /* the start time is not needed for a parent */
	wd = open_ok(f);
	tend_watchdog_on_orphan(wd, count_call, &calls);
	for (int i = 0; i < 10; i++)
		tend_watchdog_kick(wd);
	assert_int_equal(calls, 0);
	tend_watchdog_close(wd);
}

/* tend dies after the first check: the next kicks notice within about a
 * second, not at once (no check on every kick), and only once. */
static void test_orphan_rate_limit(void **state)
{
	struct timespec second = { 1, 50000000 };
	struct fixture *f = *state;
	struct tend_watchdog *wd;
	uint64_t start;
	int calls = 0;
	pid_t tend;

	tend = fork();
	assert_true(tend >= 0);
	if (tend == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(tend_watchdog_proc_start_time(tend, &start), 0);
	make_page(f, tend, start);
	wd = open_ok(f);
	tend_watchdog_on_orphan(wd, count_call, &calls);
	tend_watchdog_kick(wd);
	assert_int_equal(calls, 0);

	kill(tend, SIGKILL);
	waitpid(tend, NULL, 0);
	tend_watchdog_kick(wd);
	assert_int_equal(calls, 0);
	nanosleep(&second, NULL);
	tend_watchdog_kick(wd);
	assert_int_equal(calls, 1);
	nanosleep(&second, NULL);
	tend_watchdog_kick(wd);
	assert_int_equal(calls, 1);
	tend_watchdog_close(wd);
}

/* The default handler: a message on stderr and _exit(TEND_WATCHDOG_ORPHAN_EXIT). */
static void test_orphan_default(void **state)
{
	struct fixture *f = *state;
	char want[128], got[128] = "";
	int status, p[2];
	pid_t dead = dead_pid(), pid;
	ssize_t n;

	make_page(f, dead, 0);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct tend_watchdog *wd = tend_watchdog_open_path(f->path, NULL, 0);

		dup2(p[1], STDERR_FILENO);
		tend_watchdog_kick(wd);
		_exit(wd ? 0 : 1); /* not reached if it works */
	}
	close(p[1]);
	n = read(p[0], got, sizeof(got) - 1);
	got[n > 0 ? n : 0] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), TEND_WATCHDOG_ORPHAN_EXIT);
	snprintf(want, sizeof(want), "libtend: tend (pid %ld) is gone; ending this process\n",
		 (long)dead);
	assert_string_equal(got, want);
}

/* Not supervised: a NULL watchdog is accepted everywhere. */
static void test_null_watchdog(void **state)
{
	const char *no_format = NULL;

	(void)state;
	tend_watchdog_kick(NULL);
	tend_watchdog_suspend(NULL);
	tend_watchdog_resume(NULL);
	tend_watchdog_on_orphan(NULL, count_call, NULL);
	assert_int_equal(tend_watchdog_set_state(NULL, "x"), 0);
	assert_int_equal(tend_watchdog_timeout_ms(NULL), 0);
	tend_watchdog_close(NULL);
	errno = 0;
	assert_int_equal(tend_watchdog_set_state(NULL, no_format, 0), -1);
	assert_int_equal(errno, EINVAL);
}

/* ---- sd_notify ------------------------------------------------------------ */

/* A datagram socket bound to addr; the message it receives must be want. */
static int bind_dgram(const struct sockaddr_un *sa, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (const struct sockaddr *)sa, len), 0);
	return fd;
}

static void receive(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, (size_t)n);
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1); /* exactly one */
}

static void test_notify_unset(void **state)
{
	(void)state;
	assert_int_equal(tend_ready(), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(tend_notify("STATUS=x"), 0);
	errno = 0;
	assert_int_equal(tend_notify(NULL), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_notify_path(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", f->dir);
	fd = bind_dgram(&sa, sizeof(sa));
	setenv("NOTIFY_SOCKET", sa.sun_path, 1);
	assert_int_equal(tend_ready(), 1);
	receive(fd, "READY=1");
	assert_int_equal(tend_notify("STATUS=busy\nWATCHDOG=1"), 1);
	receive(fd, "STATUS=busy\nWATCHDOG=1");
	close(fd);
}

static void test_notify_abstract(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char name[64];
	socklen_t len;
	int fd;

	(void)state;
	snprintf(name, sizeof(name), "@tend-test-notify-%ld", (long)getpid());
	memcpy(sa.sun_path, name, strlen(name));
	sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	fd = bind_dgram(&sa, len);
	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(tend_ready(), 1);
	receive(fd, "READY=1");
	close(fd);
}

static void test_notify_errors(void **state)
{
	struct fixture *f = *state;
	char path[200], longname[200];

	snprintf(path, sizeof(path), "%s/nobody-listens", f->dir);
	setenv("NOTIFY_SOCKET", path, 1);
	errno = 0;
	assert_int_equal(tend_ready(), -1);
	assert_int_equal(errno, ENOENT);

	setenv("NOTIFY_SOCKET", "relative/socket", 1);
	errno = 0;
	assert_int_equal(tend_ready(), -1);
	assert_int_equal(errno, EAFNOSUPPORT);

	memset(longname, 'x', sizeof(longname));
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longname, 1);
	errno = 0;
	assert_int_equal(tend_ready(), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TM(fn) cmocka_unit_test_setup_teardown(fn, setup_mapped, teardown_mapped)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_env),
		T(test_open_path),
		T(test_not_supervised),
		T(test_open_unusable),
		T(test_open_truncated),
		T(test_open_foreign),
		T(test_open_other_version),
		T(test_open_damaged),
		TM(test_kick),
		TM(test_suspend_resume),
		T(test_expired),
		T(test_page_init),
		TM(test_state_roundtrip),
		TM(test_state_truncation),
		TM(test_state_utf8_cut),
		TM(test_state_writer_died),
		T(test_state_unterminated),
		TM(test_state_concurrent),
		T(test_proc_start_time),
		T(test_orphan_dead_pid),
		T(test_orphan_pid_reused),
		T(test_parent_alive),
		T(test_orphan_rate_limit),
		T(test_orphan_default),
		T(test_null_watchdog),
		T(test_notify_unset),
		T(test_notify_path),
		T(test_notify_abstract),
		T(test_notify_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

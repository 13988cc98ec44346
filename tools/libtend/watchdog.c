/* The process's side of tend's heartbeat watchdog (see tend.h): map the
 * file tend named in $TEND_WATCHDOG, kick it, leave a state text in it.
 *
 * A kick must cost next to nothing, so it is a vDSO clock read and two
 * atomic stores. Once a second at most, a kick also looks whether tend is
 * still there, as the Task Manager paper asks: a process whose supervisor
 * died would otherwise run on unwatched, and a new tend would start a
 * second copy of it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "tend.h"
#include "watchdog_page.h"

_Static_assert(TEND_WATCHDOG_STATE_LEN == TEND_WATCHDOG_STATE_MAX - 1,
	       "tend.h and watchdog_page.h disagree on the state text's length");

#define NS_PER_SEC 1000000000u
#define NEVER UINT64_MAX

struct tend_watchdog {
	struct tend_watchdog_page *page;
	/* Copied at open: what the page says may later be overwritten by a
	 * stray write of the process itself, and the check must still work. */
	pid_t tend_pid;
	uint64_t tend_start_time;
	/* CLOCK_MONOTONIC ns when a kick next looks at tend; 0 at open, so
	 * the first kick looks; NEVER once tend was found gone. Atomic: any
	 * thread may kick. */
	_Atomic uint64_t next_check_ns;
	void (*on_orphan)(void *arg);
	void *orphan_arg;
};

static void set_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* The default orphan handler: write(2), not stdio, since the process may
 * be in any state; _exit, since atexit handlers may wait for a tend that
 * is gone. */
static void orphan_exit(void *arg)
{
	struct tend_watchdog *wd = arg;
	char msg[96];
	int n;

	n = snprintf(msg, sizeof(msg), "libtend: tend (pid %ld) is gone; ending this process\n",
		     (long)wd->tend_pid);
	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0) {
		/* nowhere left to say it: end all the same */
	}
	_exit(TEND_WATCHDOG_ORPHAN_EXIT);
}

/* Checks a mapped page; 0, or -1 with errno and why set. */
static int check_page(const struct tend_watchdog_page *pg, const char *path, char *why,
		      size_t whylen)
{
	if (pg->magic != TEND_WATCHDOG_MAGIC) {
		set_why(why, whylen, "%s is not a tend watchdog file (bad magic 0x%08x)", path,
			(unsigned)pg->magic);
		errno = EINVAL;
		return -1;
	}
	atomic_thread_fence(memory_order_acquire); /* pairs with the fence before the magic */
	if (pg->version != TEND_WATCHDOG_VERSION) {
		set_why(why, whylen,
			"watchdog file %s has format version %u; this libtend reads %u", path,
			(unsigned)pg->version, TEND_WATCHDOG_VERSION);
		errno = EPROTONOSUPPORT;
		return -1;
	}
	if (pg->size < sizeof(*pg) || pg->tend_pid <= 0) {
		set_why(why, whylen, "watchdog file %s is damaged (page size %u, tend pid %ld)",
			path, (unsigned)pg->size, (long)pg->tend_pid);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Opens and maps path; the mapping, or MAP_FAILED with errno and why set. */
static void *map_file(const char *path, char *why, size_t whylen)
{
	struct stat st;
	void *m = MAP_FAILED;
	int fd, saved;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		set_why(why, whylen, "cannot open watchdog file %s: %s", path,
			libtend_strerror(saved));
		errno = saved;
		return MAP_FAILED;
	}
	if (fstat(fd, &st) < 0) {
		saved = errno;
		set_why(why, whylen, "cannot stat watchdog file %s: %s", path,
			libtend_strerror(saved));
	} else if (!S_ISREG(st.st_mode) || st.st_size < (off_t)TEND_WATCHDOG_FILE_SIZE) {
		set_why(why, whylen,
			"watchdog file %s is truncated or not a watchdog file "
			"(%lld bytes, not %u)",
			path, (long long)st.st_size, TEND_WATCHDOG_FILE_SIZE);
		saved = EINVAL;
	} else {
		m = mmap(NULL, TEND_WATCHDOG_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		saved = errno;
		if (m == MAP_FAILED)
			set_why(why, whylen, "cannot map watchdog file %s: %s", path,
				libtend_strerror(saved));
	}
	close(fd); /* the mapping stays; no descriptor leaks into the program */
	errno = saved;
	return m;
}

struct tend_watchdog *tend_watchdog_open_path(const char *path, char *why, size_t whylen)
{
	struct tend_watchdog *wd;
	void *m;

	set_why(why, whylen, "%s", "");
	if (!path || !*path) {
		set_why(why, whylen, "no watchdog file named");
		errno = EINVAL;
		return NULL;
	}
	m = map_file(path, why, whylen);
	if (m == MAP_FAILED)
		return NULL;
	wd = calloc(1, sizeof(*wd));
	if (!wd) {
		set_why(why, whylen, "out of memory");
		errno = ENOMEM;
	} else if (check_page(m, path, why, whylen) < 0) {
		free(wd);
		wd = NULL;
	}
	if (!wd) {
		int saved = errno;

		munmap(m, TEND_WATCHDOG_FILE_SIZE);
		errno = saved;
		return NULL;
	}
	wd->page = m;
	wd->tend_pid = wd->page->tend_pid;
	wd->tend_start_time = wd->page->tend_start_time;
	tend_watchdog_on_orphan(wd, NULL, NULL);
	return wd;
}

struct tend_watchdog *tend_watchdog_open(char *why, size_t whylen)
{
	const char *path = getenv(TEND_WATCHDOG_ENV);

	if (!path || !*path) {
		set_why(why, whylen, "not supervised by tend with a watchdog (%s is not set)",
			TEND_WATCHDOG_ENV);
		errno = ENOENT;
		return NULL;
	}
	return tend_watchdog_open_path(path, why, whylen);
}

void tend_watchdog_on_orphan(struct tend_watchdog *wd, void (*fn)(void *arg), void *arg)
{
	if (!wd)
		return;
	wd->on_orphan = fn ? fn : orphan_exit;
	wd->orphan_arg = fn ? arg : wd;
}

/* Whether the tend that made the page still runs. Our parent is the usual
 * answer; a process that forked or was started through a wrapper asks
 * /proc, where the start time tells tend from a later owner of its pid. */
static bool tend_alive(const struct tend_watchdog *wd)
{
	pid_t ppid = getppid();
	uint64_t start;

	if (ppid == wd->tend_pid)
		return true;
	if (ppid == 0) /* our parent is outside our pid namespace: tend cannot be seen */
		return true;
	if (tend_watchdog_proc_start_time(wd->tend_pid, &start) == 0)
		return start == wd->tend_start_time;
	/* No /proc, or one that hides other users' processes (hidepid): the
	 * pid alone must do. EPERM means it exists but is not ours. */
	return kill(wd->tend_pid, 0) == 0 || errno == EPERM;
}

/* At most once a second, one thread looks whether tend is gone. */
static void check_tend(struct tend_watchdog *wd, uint64_t now)
{
	uint64_t due = atomic_load_explicit(&wd->next_check_ns, memory_order_relaxed);
	int saved = errno; /* a kick must not disturb the caller's errno */

	if (now < due ||
	    !atomic_compare_exchange_strong_explicit(&wd->next_check_ns, &due, now + NS_PER_SEC,
						     memory_order_relaxed, memory_order_relaxed))
		return;
	if (!tend_alive(wd)) {
		/* Told once: a handler that returns chose to carry on. */
		atomic_store_explicit(&wd->next_check_ns, NEVER, memory_order_relaxed);
		wd->on_orphan(wd->orphan_arg);
	}
	errno = saved;
}

/* The kick proper, without the check on tend. */
static uint64_t kick(struct tend_watchdog *wd)
{
	/* The same clock read decides whether a check is due: no need for a
	 * second (coarse) clock. */
	uint64_t now = monotonic_ns();

	atomic_fetch_add_explicit(&wd->page->kicks, 1, memory_order_relaxed);
	atomic_store_explicit(&wd->page->last_kick_ns, now, memory_order_release);
	return now;
}

void tend_watchdog_kick(struct tend_watchdog *wd)
{
	uint64_t now;

	if (!wd)
		return;
	now = kick(wd);
	if (now >= atomic_load_explicit(&wd->next_check_ns, memory_order_relaxed))
		check_tend(wd, now);
}

/* A text cut at a byte limit may end inside a UTF-8 sequence; tend shows
 * the text in logs and JSON, so the partial character goes. */
static size_t utf8_cut(const char *s, size_t len)
{
	size_t lead = len, need;
	unsigned char c;

	while (lead > 0 && len - lead < 3 && ((unsigned char)s[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (lead == 0)
		return len;
	c = (unsigned char)s[lead - 1];
	if (c < 0xc0)
		return len; /* ASCII, or not UTF-8 at all: leave it */
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	return len - (lead - 1) < need ? lead - 1 : len;
}

int tend_watchdog_set_state(struct tend_watchdog *wd, const char *fmt, ...)
{
	char text[TEND_WATCHDOG_STATE_MAX];
	va_list ap;
	size_t len;
	int n;

	if (!fmt) {
		errno = EINVAL;
		return -1;
	}
	if (!wd)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	len = (size_t)n < sizeof(text) ? (size_t)n : utf8_cut(text, sizeof(text) - 1);
	tend_watchdog_page_write_state(wd->page, text, len);
	return (size_t)n < sizeof(text) ? 0 : 1;
}

void tend_watchdog_suspend(struct tend_watchdog *wd)
{
	if (wd)
		atomic_store_explicit(&wd->page->suspended, 1, memory_order_release);
}

void tend_watchdog_resume(struct tend_watchdog *wd)
{
	if (!wd)
		return;
	/* The kick first: tend must not see the flag cleared with the kick
	 * from before the suspension (see tend_watchdog_page_expired). */
	tend_watchdog_kick(wd);
	atomic_store_explicit(&wd->page->suspended, 0, memory_order_release);
}

uint64_t tend_watchdog_timeout_ms(const struct tend_watchdog *wd)
{
	return wd ? wd->page->timeout_ns / 1000000u : 0;
}

void tend_watchdog_close(struct tend_watchdog *wd)
{
	if (!wd)
		return;
	munmap(wd->page, TEND_WATCHDOG_FILE_SIZE);
	free(wd);
}

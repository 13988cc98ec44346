/* The watchdog page, both sides (see watchdog_page.h): tend links this file
 * to make and read pages, libtend to write them. The state text is guarded
 * by a sequence lock because tend reads it from another process, where no
 * mutex can be shared safely and a reader must never block a writer. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "watchdog_page.h"

/* A writer waits this many times for another writer; after that the other
 * one is taken for dead (killed mid-write) and the lock for free. */
#define WRITE_TRIES 200
#define PEEK_TRIES 3 /* tend's reads: a process holding the lock must not slow it */
#define READ_TRIES 1000
#define SPIN_TRIES 10 /* tries before yielding the CPU to a preempted writer */

void tend_watchdog_page_init(struct tend_watchdog_page *pg, int32_t tend_pid,
			     uint64_t tend_start_time, uint64_t timeout_ns, uint64_t now_ns)
{
	memset(pg, 0, sizeof(*pg));
	pg->version = TEND_WATCHDOG_VERSION;
	pg->size = sizeof(*pg);
	pg->tend_pid = tend_pid;
	pg->tend_start_time = tend_start_time;
	pg->timeout_ns = timeout_ns;
	atomic_store_explicit(&pg->last_kick_ns, now_ns, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	pg->magic = TEND_WATCHDOG_MAGIC;
}

/* Field 22 of a /proc/PID/stat line. The command name (field 2) may hold
 * spaces and parentheses, so fields are counted from the last ')'. */
static int parse_start_time(const char *line, uint64_t *out)
{
	const char *p = strrchr(line, ')');
	unsigned long long v;
	char *end;
	int field;

	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || p[1] < '0' || p[1] > '9')
		goto bad;
	errno = 0;
	v = strtoull(p + 1, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		goto bad;
	*out = v;
	return 0;
bad:
	errno = EPROTO;
	return -1;
}

int tend_watchdog_proc_start_time(pid_t pid, uint64_t *out)
{
	char path[32], buf[1024];
	ssize_t n;
	int fd, saved;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	buf[n] = '\0';
	return parse_start_time(buf, out);
}

static void wait_turn(int tries)
{
	struct timespec ms = { 0, 1000000 };

	if (tries < SPIN_TRIES)
		return;
	if (tries < WRITE_TRIES / 2)
		sched_yield();
	else
		nanosleep(&ms, NULL);
}

/* Makes state_seq odd for this writer and returns that odd value. */
static uint32_t state_lock(struct tend_watchdog_page *pg)
{
	uint32_t seq = atomic_load_explicit(&pg->state_seq, memory_order_relaxed), odd;
	int tries = 0;

	for (;;) {
		if ((seq & 1) && tries < WRITE_TRIES) {
			wait_turn(tries++);
			seq = atomic_load_explicit(&pg->state_seq, memory_order_relaxed);
			continue;
		}
		/* Still odd: its writer died. A new odd value makes any reader
		 * that saw the old one look again. */
		odd = (seq & 1) ? seq + 2 : seq + 1;
		if (atomic_compare_exchange_weak_explicit(
			&pg->state_seq, &seq, odd, memory_order_acquire, memory_order_relaxed))
			break;
	}
	/* Readers that see any byte of the new text also see the odd count. */
	atomic_thread_fence(memory_order_release);
	return odd;
}

void tend_watchdog_page_write_state(struct tend_watchdog_page *pg, const char *text, size_t len)
{
	uint32_t odd = state_lock(pg);

	if (len > TEND_WATCHDOG_STATE_MAX - 1)
		len = TEND_WATCHDOG_STATE_MAX - 1;
	memcpy(pg->state, text, len);
	pg->state[len] = '\0';
	atomic_store_explicit(&pg->state_seq, odd + 1, memory_order_release);
}

/* Copies what pg->state holds now, NUL-terminated: the page may hold any
 * bytes at all, so the copy is bounded by the array, not by a NUL. */
static size_t copy_state(const struct tend_watchdog_page *pg, char *out, size_t len)
{
	size_t n = len - 1 < TEND_WATCHDOG_STATE_MAX - 1 ? len - 1 : TEND_WATCHDOG_STATE_MAX - 1;

	memcpy(out, pg->state, n);
	out[n] = '\0';
	return strlen(out);
}

static int read_state(const struct tend_watchdog_page *pg, char *out, size_t len, int max_tries,
		      int spin_tries)
{
	/* C11 declares atomic loads on non-const objects only. */
	_Atomic uint32_t *seqp = (_Atomic uint32_t *)&pg->state_seq;
	uint32_t before, after;
	size_t n;
	int tries;

	if (!out || len == 0) {
		errno = EINVAL;
		return -1;
	}
	for (tries = 0; tries < max_tries; tries++) {
		if (tries >= spin_tries)
			sched_yield();
		before = atomic_load_explicit(seqp, memory_order_acquire);
		if (before & 1)
			continue;
		n = copy_state(pg, out, len);
		atomic_thread_fence(memory_order_acquire);
		after = atomic_load_explicit(seqp, memory_order_relaxed);
		if (before == after)
			return (int)n;
	}
	copy_state(pg, out, len);
	errno = EAGAIN;
	return -1;
}

int tend_watchdog_page_read_state(const struct tend_watchdog_page *pg, char *out, size_t len)
{
	return read_state(pg, out, len, READ_TRIES, SPIN_TRIES);
}

int tend_watchdog_page_peek_state(const struct tend_watchdog_page *pg, char *out, size_t len)
{
	return read_state(pg, out, len, PEEK_TRIES, PEEK_TRIES);
}

bool tend_watchdog_page_expired(const struct tend_watchdog_page *pg, uint64_t timeout_ns,
				uint64_t now_ns)
{
	struct tend_watchdog_page *p = (struct tend_watchdog_page *)pg; /* as above */
	uint64_t last;

	/* The flag first, with acquire: a resume stores its kick before it
	 * clears the flag, so a cleared flag comes with the new kick time. */
	if (atomic_load_explicit(&p->suspended, memory_order_acquire))
		return false;
	last = atomic_load_explicit(&p->last_kick_ns, memory_order_relaxed);
	return now_ns >= last && now_ns - last >= timeout_ns;
}

/* Heartbeat watchdogs, as the Task Manager paper describes them: a process
 * that stops kicking is taken for hung, although it has not crashed.
 *
 * Kicks arrive two ways: libtend's tend_watchdog_kick() writes the time of
 * the kick into a small file tend shares with the process (no system call
 * on the process's side), and sd_notify's WATCHDOG=1 reaches tend through
 * NOTIFY_SOCKET (notify.c). Neither wakes tend: a timer per watched
 * process fires when the next kick is due, looks at the last one, and
 * either re-arms for the new due time or reports the process hung
 * (PE_HUNG), at most timeout plus the timer's own latency after the last
 * kick. With no watchdog declared there is no timer and no wake-up. */
#include "watchdog.h"
#include "context.h"
#include "log.h"
#include "watchdog_page.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static struct process *process_of_timer(struct timer *tm)
{
	return (struct process *)((char *)tm - offsetof(struct process, wd.timer));
}

static uint64_t last_kick_ms(const struct watchdog *wd, uint64_t now)
{
	uint64_t last = wd->last_kick_ms;
	if (wd->page) {
		/* Rounded up: never call a process hung before a full timeout.
		 * A kick later than now (now is whole ms: up to 1 ms later) is
		 * not one: the page is the process's to write. */
		uint64_t ns = atomic_load(&wd->page->last_kick_ns);
		uint64_t page_ms = ns / 1000000u + (ns % 1000000u != 0);
		if (page_ms > last && page_ms <= now + 1)
			last = page_ms;
	}
	return last;
}

bool watchdog_is_suspended(const struct process *p)
{
	return p->wd.suspended || (p->wd.page && atomic_load(&p->wd.page->suspended));
}

static void arm_at(struct tend *t, struct process *p, uint64_t due_ms)
{
	if (timer_arm(&t->timers, &p->wd.timer, due_ms) < 0)
		tend_log(t, LOG_ERR, "out of memory arming a watchdog timer");
}

static void watchdog_due(struct tend *t, struct timer *tm)
{
	struct process *p = process_of_timer(tm);
	uint64_t now = t->sys->now_ms(t);

	if (p->state != PS_RUNNING && p->state != PS_STARTING)
		return;
	if (watchdog_is_suspended(p)) {
		arm_at(t, p, now + p->wd.timeout_ms); /* look again later */
		return;
	}
	uint64_t due = last_kick_ms(&p->wd, now) + p->wd.timeout_ms;
	if (now < due) {
		arm_at(t, p, due);
		return;
	}
	process_step(t, p, PE_HUNG);
}

void watchdog_init(struct watchdog *wd)
{
	*wd = (struct watchdog){ .fd = -1 };
	timer_init(&wd->timer, watchdog_due);
}

static void unmap(struct watchdog *wd)
{
	if (wd->page)
		munmap(wd->page, TEND_WATCHDOG_FILE_SIZE);
	wd->page = NULL;
}

void watchdog_spawned(struct watchdog *wd)
{
	if (wd->fd >= 0)
		close(wd->fd);
	wd->fd = -1;
}

void watchdog_free(struct watchdog *wd)
{
	unmap(wd);
	watchdog_spawned(wd);
}

/* A new page for every start, in a sealed memfd: the process gets its own
 * descriptor of it, and can neither shrink it (which would make tend's
 * next read of the mapping a SIGBUS) nor grow it; nothing of an earlier
 * run, or of another process, can reach this one's page. */
static int new_page(struct watchdog *wd)
{
	int fd = memfd_create("tend-watchdog", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	void *m = MAP_FAILED;
	if (ftruncate(fd, TEND_WATCHDOG_FILE_SIZE) == 0 &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
		m = mmap(NULL, TEND_WATCHDOG_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	unmap(wd);
	watchdog_spawned(wd);
	wd->page = m;
	wd->fd = fd;
	return 0;
}

int watchdog_prepare(struct tend *t, struct process *p)
{
	if (!p->decl->watchdog_ms)
		return 0;
	if (!t->start_time_ticks &&
	    tend_watchdog_proc_start_time(getpid(), &t->start_time_ticks) < 0)
		t->start_time_ticks = 0; /* libtend then judges by the pid alone */
	if (new_page(&p->wd) < 0)
		return -1;
	/* Nothing of the last run's kicks or suspension carries over, only
	 * tendctl's suspension (kept in wd). */
	struct tend_watchdog_page *pg = p->wd.page;
	tend_watchdog_page_init(pg, (int32_t)getpid(), t->start_time_ticks,
				p->decl->watchdog_ms * 1000000u, t->sys->now_ms(t) * 1000000u);
	atomic_store(&pg->suspended, p->wd.suspended);
	/* The magic last: a process never sees a half-made page as valid. */
	atomic_thread_fence(memory_order_release);
	pg->magic = TEND_WATCHDOG_MAGIC;
	return 0;
}

void watchdog_started(struct tend *t, struct process *p)
{
	/* A timeout that WATCHDOG_USEC= set lasts one run, as with systemd. */
	p->wd.timeout_ms = 0;
	if (!p->decl->watchdog_ms)
		return;
	p->wd.timeout_ms = p->decl->watchdog_ms;
	p->wd.last_kick_ms = t->sys->now_ms(t);
	arm_at(t, p, p->wd.last_kick_ms + p->wd.timeout_ms);
}

void watchdog_disarm(struct tend *t, struct process *p)
{
	timer_cancel(&t->timers, &p->wd.timer);
}

void watchdog_kicked(struct tend *t, struct process *p)
{
	p->wd.last_kick_ms = t->sys->now_ms(t);
}

void watchdog_set_timeout(struct tend *t, struct process *p, uint64_t timeout_ms)
{
	if (!timeout_ms)
		return;
	p->wd.timeout_ms = timeout_ms;
	if (p->wd.page)
		p->wd.page->timeout_ns = timeout_ms * 1000000u;
	watchdog_kicked(t, p);
	if (p->state == PS_RUNNING || p->state == PS_STARTING)
		arm_at(t, p, p->wd.last_kick_ms + timeout_ms);
}

void watchdog_suspend(struct tend *t, struct process *p, bool suspend)
{
	p->wd.suspended = suspend;
	if (p->wd.page)
		atomic_store(&p->wd.page->suspended, suspend);
	if (!suspend)
		watchdog_kicked(t, p);
}

void watchdog_state_text(const struct process *p, char *buf, size_t len)
{
	buf[0] = '\0';
	if (p->wd.page && p->wd.page->magic == TEND_WATCHDOG_MAGIC)
		tend_watchdog_page_peek_state(p->wd.page, buf, len);
	/* Shown on terminals and in logs: no escape sequences from the page. */
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
}

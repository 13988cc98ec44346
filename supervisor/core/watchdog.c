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
#include "core/watchdog.h"
#include "base/container_of.h"
#include "core/context.h"
#include "sys/log.h"
#include "libtend/watchdog_page.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void watchdog_due(struct timer *tm);

static struct process *process_of_timer(struct timer *tm)
{
	return container_of(tm, struct watchdog, timer)->proc;
}

/* Most processes have no watchdog: theirs is made when first needed. */
static struct watchdog *watchdog_of(struct process *p)
{
	if (!p->wd) {
		p->wd = calloc(1, sizeof(*p->wd));
		if (!p->wd)
			return NULL;
		*p->wd = (struct watchdog){ .proc = p, .fd = -1 };
		timer_init(&p->wd->timer, watchdog_due);
	}
	return p->wd;
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
	return p->wd && (p->wd->suspended || (p->wd->page && atomic_load(&p->wd->page->suspended)));
}

uint64_t watchdog_timeout_ms(const struct process *p)
{
	return p->wd && p->wd->timeout_ms ? p->wd->timeout_ms : p->decl->watchdog_ms;
}

bool watchdog_was_triggered(const struct process *p)
{
	return p->wd && p->wd->triggered;
}

void watchdog_trigger(struct tend *t, struct process *p)
{
	struct watchdog *wd = watchdog_of(p);
	if (wd)
		wd->triggered = true;
	process_step(t, p, PE_HUNG);
	if (wd)
		wd->triggered = false;
}

static void arm_at(struct tend *t, struct process *p, uint64_t due_ms)
{
	if (timer_arm(&t->loop.timers, &p->wd->timer, due_ms) < 0)
		tend_log(&t->log, LOG_ERR, "out of memory arming a watchdog timer");
}

static void watchdog_due(struct timer *tm)
{
	struct process *p = process_of_timer(tm);
	struct tend *t = p->group->tend;
	uint64_t now = loop_now_ms(&t->loop);

	if (p->state != PS_RUNNING && p->state != PS_STARTING)
		return;
	if (watchdog_is_suspended(p)) {
		arm_at(t, p, now + p->wd->timeout_ms); /* look again later */
		return;
	}
	uint64_t due = last_kick_ms(p->wd, now) + p->wd->timeout_ms;
	if (now < due) {
		arm_at(t, p, due);
		return;
	}
	process_step(t, p, PE_HUNG);
}

static void unmap(struct watchdog *wd)
{
	if (wd->page)
		munmap(wd->page, TEND_WATCHDOG_FILE_SIZE);
	wd->page = NULL;
}

static void close_fd(struct watchdog *wd)
{
	if (wd->fd >= 0)
		close(wd->fd);
	wd->fd = -1;
}

int watchdog_child_fd(const struct process *p)
{
	return p->wd ? p->wd->fd : -1;
}

bool watchdog_has_page(const struct process *p)
{
	return p->wd && p->wd->page;
}

void watchdog_spawned(struct process *p)
{
	if (p->wd)
		close_fd(p->wd);
}

void watchdog_free(struct tend *t, struct process *p)
{
	if (!p->wd)
		return;
	loop_timer_cancel(&t->loop, &p->wd->timer);
	unmap(p->wd);
	close_fd(p->wd);
	free(p->wd);
	p->wd = NULL;
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
	close_fd(wd);
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
	struct watchdog *wd = watchdog_of(p);
	if (!wd) {
		errno = ENOMEM;
		return -1;
	}
	if (new_page(wd) < 0)
		return -1;
	/* Nothing of the last run's kicks or suspension carries over, only
	 * tendctl's suspension (kept in wd). */
	struct tend_watchdog_page *pg = wd->page;
	tend_watchdog_page_init(pg, (int32_t)getpid(), t->start_time_ticks,
				p->decl->watchdog_ms * 1000000u, loop_now_ms(&t->loop) * 1000000u);
	/* (init published the page; nobody else has it before the spawn) */
	atomic_store(&pg->suspended, wd->suspended);
	return 0;
}

void watchdog_started(struct tend *t, struct process *p)
{
	/* A timeout that WATCHDOG_USEC= set lasts one run, as with systemd. */
	if (p->wd)
		p->wd->timeout_ms = 0;
	if (!p->decl->watchdog_ms)
		return;
	struct watchdog *wd = watchdog_of(p); /* made by watchdog_prepare */
	if (!wd)
		return;
	wd->timeout_ms = p->decl->watchdog_ms;
	wd->last_kick_ms = loop_now_ms(&t->loop);
	arm_at(t, p, wd->last_kick_ms + wd->timeout_ms);
}

void watchdog_disarm(struct tend *t, struct process *p)
{
	if (p->wd)
		loop_timer_cancel(&t->loop, &p->wd->timer);
}

void watchdog_kicked(struct tend *t, struct process *p)
{
	if (p->wd)
		p->wd->last_kick_ms = loop_now_ms(&t->loop);
}

void watchdog_set_timeout(struct tend *t, struct process *p, uint64_t timeout_ms)
{
	if (!timeout_ms)
		return;
	struct watchdog *wd = watchdog_of(p);
	if (!wd) {
		tend_log(&t->log, LOG_ERR, "out of memory: WATCHDOG_USEC= ignored");
		return;
	}
	wd->timeout_ms = timeout_ms;
	if (wd->page)
		wd->page->timeout_ns = timeout_ms * 1000000u;
	watchdog_kicked(t, p);
	if (p->state == PS_RUNNING || p->state == PS_STARTING)
		arm_at(t, p, wd->last_kick_ms + timeout_ms);
}

void watchdog_suspend(struct tend *t, struct process *p, bool suspend)
{
	struct watchdog *wd = watchdog_of(p);
	if (!wd) {
		tend_log(&t->log, LOG_ERR, "out of memory: watchdog %s ignored",
			 suspend ? "suspend" : "resume");
		return;
	}
	wd->suspended = suspend;
	if (wd->page)
		atomic_store(&wd->page->suspended, suspend);
	if (!suspend)
		watchdog_kicked(t, p);
}

void watchdog_state_text(const struct process *p, char *buf, size_t len)
{
	buf[0] = '\0';
	if (p->wd && p->wd->page && p->wd->page->magic == TEND_WATCHDOG_MAGIC)
		tend_watchdog_page_peek_state(p->wd->page, buf, len);
	/* Shown on terminals and in logs: no escape sequences from the page. */
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
}

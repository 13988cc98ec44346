/* Reload: read conf.d again and apply the difference. Everything is parsed
 * first (in a child: config/isolate.c); if anything is invalid nothing
 * changes and every error is reported. Otherwise the `system` settings are
 * applied and the core applies the plan (core/reload_apply.c). Triggered
 * by SIGHUP, `tendctl reload` and edits of conf.d (confwatch.c).
 *
 * The reader is waited for from the loop, never in it: a conf.d of 100 000
 * groups takes seconds to read, and meanwhile processes exit and must be
 * restarted, clients must be answered. The answer is taken as it comes
 * (the pipe is a watcher), within a deadline (a timer that kills the
 * reader), and the reader is reaped once it has ended (its pidfd is a
 * watcher). One reload runs at a time; what asks for one meanwhile gets the
 * one after it, which reads conf.d again: many triggers, one more reload. */
#include "daemon/daemon.h"
#include "base/container_of.h"
#include "core/reload_apply.h"
#include "sys/log.h"

#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REAP_POLL_MS 10 /* without a pidfd, how often to look for the reader's end */

static void publish(struct tend *t, const char *what, const char *message)
{
	struct bus_event ev = { .kind = BUS_RELOAD, .what = what, .text = message };
	bus_publish(&t->bus, &ev);
}

static int rejected(struct daemon *d, int loaded, char *errors, struct buf *report)
{
	struct tend *t = &d->tend;
	const char *what = loaded == CONFIG_UNREADABLE
			       ? "declarations could not be read; nothing changed"
			       : "declarations are invalid; nothing changed";
	tend_log(&t->log, LOG_ERR, "reload: %s: %s", d->confdir, what);
	for (char *line = strtok(errors, "\n"); line; line = strtok(NULL, "\n")) {
		tend_log(&t->log, LOG_ERR, "reload: %s", line);
		buf_printf(report, "%s\n", line);
	}
	buf_puts(report, what);
	publish(t, "rejected", what);
	return -1;
}

/* The declarations are read (loaded as config_load_dir_isolated returns):
 * applies them or says why not. Takes cfg. */
static int conclude(struct daemon *d, int loaded, struct config *cfg, char *errors,
		    struct buf *report)
{
	struct tend *t = &d->tend;
	if (t->shutting_down) {
		config_free(cfg);
		tend_log(&t->log, LOG_INFO, "reload: abandoned, tend is shutting down");
		buf_puts(report, "tend is shutting down; the reload was abandoned");
		return -1;
	}
	if (loaded < 0)
		return rejected(d, loaded, errors, report);
	struct buf clash = { 0 };
	if (registry_transient_clash(t, cfg, &clash)) {
		config_free(cfg);
		int r = rejected(d, -1, clash.data ? clash.data : "", report);
		buf_free(&clash);
		return r;
	}
	buf_free(&clash);
	/* Profiles compile before anything changes: one that does not leaves
	 * everything as it was. */
	struct tenants tenants = { 0 };
	char profile_errors[4096];
	if (tenants_prepare(&tenants, cfg, profile_errors, sizeof(profile_errors)) < 0) {
		config_free(cfg);
		return rejected(d, -1, profile_errors, report);
	}
	char why[600];
	int joined = cluster_apply(&d->cluster, &cfg->cluster, why, sizeof(why));
	if (joined < 0) {
		char line[1200];
		snprintf(line, sizeof(line), "%s:%d: %s\n", cfg->cluster.file, cfg->cluster.line,
			 why);
		config_free(cfg);
		tenants_free(&tenants);
		return rejected(d, -1, line, report);
	}
	if (joined > 0)
		buf_printf(report, "%s\n", why);
	system_apply(t, &cfg->system);
	system_apply_services(&d->services, &cfg->system);
	if (system_apply_watchdog(t, &cfg->system) < 0)
		tend_log(&t->log, LOG_ERR, "hardware watchdog: out of memory; left as it was");
	/* Before the plan: the groups it starts run under the new profiles,
	 * changed limits are written to the live tenant cgroups now, and a
	 * tenant that gained a user has its records copied from now on. */
	tenants_replace(&t->tenants, &tenants);
	account_tenants_changed(&d->account);
	int r = tenants_declare_limits(&t->tenants, &t->tracker);
	control_socket_mode(&d->control);
	if (r == 0)
		r = reload_apply(t, cfg, report);
	config_free(cfg);
	/* The declarations that changed nothing (most of them, usually) were
	 * received only to be compared, and are freed now: give the pages back. */
	malloc_trim(0);
	const char *summary = strrchr(report->data ? report->data : "", '\n');
	summary = summary ? summary + 1 : report->data;
	tend_log(&t->log, r < 0 ? LOG_ERR : LOG_INFO, "reload: %s",
		 r < 0 ? "out of memory" : summary);
	publish(t, r < 0 ? "failed" : "applied", r < 0 ? "out of memory" : summary);
	return r;
}

/* The reload numbered rl->started is over: its report goes to whoever
 * waits for it, and the next one, if asked for, is started. */
static void finished(struct daemon *d, int loaded, struct config *cfg, char *errors)
{
	struct reload *rl = &d->reload;
	struct buf report = { 0 };
	int r = conclude(d, loaded, cfg, errors, &report);
	control_reload_done(&d->control, rl->started, r >= 0, &report);
	buf_free(&report);
	if (rl->again) {
		rl->again = false;
		loop_timer_in(&d->tend.loop, &rl->kick, 0);
	}
}

/* ---- a reader that did not end in time ---- */

static void leftover_ended(struct watcher *w, uint32_t events)
{
	(void)events;
	struct daemon *d = container_of(w, struct daemon, reload.leftover);
	waitpid(d->reload.leftover_pid, NULL, WNOHANG | __WALL);
	watcher_close(&d->tend.loop, w);
}

/* Without a pidfd, or a second one stuck, it stays a zombie: logged. */
static void leave_reader(struct daemon *d)
{
	struct reload *rl = &d->reload;
	struct tend *t = &d->tend;
	tend_log(&t->log, LOG_WARN, "reload: the conf.d reader (pid %d) did not end; left",
		 (int)rl->rd.pid);
	if (rl->rd.pidfd >= 0 && rl->leftover.fd < 0) {
		rl->leftover.fd = rl->rd.pidfd;
		rl->leftover_pid = rl->rd.pid;
		rl->rd.pidfd = -1;
		if (loop_add(&t->loop, &rl->leftover, EPOLLIN) < 0)
			watcher_close(&t->loop, &rl->leftover);
	}
}

/* ---- the reader's end ---- */

static void read_over(struct daemon *d)
{
	struct reload *rl = &d->reload;
	struct config cfg = { 0 };
	char errors[CONFIG_READ_ERRORS] = "";
	if (rl->ended.fd >= 0)
		loop_remove(&d->tend.loop, &rl->ended); /* rd.pidfd, which rd closes */
	rl->ended.fd = -1;
	loop_timer_cancel(&d->tend.loop, &rl->deadline);
	bool reaped = config_read_reap(&rl->rd);
	int loaded = config_read_result(&rl->rd, d->confdir, &cfg, errors, sizeof(errors));
	if (!reaped)
		leave_reader(d);
	config_read_close(&rl->rd);
	rl->reading = false;
	rl->ending_since = 0;
	finished(d, loaded, &cfg, errors);
}

static void reader_ended(struct watcher *w, uint32_t events)
{
	(void)events;
	struct daemon *d = container_of(w, struct daemon, reload.ended);
	read_over(d);
}

/* The answer is over (whole, cut short, or given up on): the reader ends
 * now, if it has not, and is reaped when it has. */
static void answer_over(struct daemon *d)
{
	struct reload *rl = &d->reload;
	struct loop *l = &d->tend.loop;
	loop_remove(l, &rl->answer); /* rd.fd: config_read_result closes it */
	rl->answer.fd = -1;
	rl->ending_since = loop_now_ms(l);
	if (config_read_reap(&rl->rd))
		return read_over(d);
	/* The watcher only borrows rd.pidfd: rd closes it. */
	if (rl->rd.pidfd >= 0) {
		rl->ended.fd = rl->rd.pidfd;
		if (loop_add(l, &rl->ended, EPOLLIN) < 0)
			rl->ended.fd = -1;
	}
	loop_timer_in(l, &rl->deadline, rl->ended.fd >= 0 ? RELOAD_REAP_WAIT_MS : REAP_POLL_MS);
}

static void answer_ready(struct watcher *w, uint32_t events)
{
	(void)events;
	struct daemon *d = container_of(w, struct daemon, reload.answer);
	if (config_read_input(&d->reload.rd))
		answer_over(d);
}

static void deadline_passed(struct timer *tm)
{
	struct daemon *d = container_of(tm, struct daemon, reload.deadline);
	struct reload *rl = &d->reload;
	if (!rl->ending_since) {
		config_read_kill(&rl->rd, "it took too long");
		return answer_over(d);
	}
	if (config_read_reap(&rl->rd) ||
	    loop_now_ms(&d->tend.loop) >= rl->ending_since + RELOAD_REAP_WAIT_MS)
		return read_over(d);
	loop_timer_in(&d->tend.loop, &rl->deadline, REAP_POLL_MS);
}

/* ---- starting one ---- */

static void begin(struct timer *tm)
{
	struct daemon *d = container_of(tm, struct daemon, reload.kick);
	struct reload *rl = &d->reload;
	struct loop *l = &d->tend.loop;
	rl->started++;
	if (d->tend.shutting_down || config_read_start(&rl->rd, d->confdir) < 0) {
		/* No reader (no fork): parse here, as at start-up. */
		struct config cfg = { 0 };
		char errors[CONFIG_READ_ERRORS] = "";
		int loaded = d->tend.shutting_down
				 ? -1
				 : config_load_dir(d->confdir, &cfg, errors, sizeof(errors));
		return finished(d, loaded, &cfg, errors);
	}
	tend_log(&d->tend.log, LOG_INFO, "reload: reading %s (reader pid %d)", d->confdir,
		 (int)rl->rd.pid);
	rl->reading = true;
	rl->answer.fd = rl->rd.fd;
	if (loop_add(l, &rl->answer, EPOLLIN) < 0) {
		rl->answer.fd = -1;
		config_read_kill(&rl->rd, "it could not be watched");
		return answer_over(d);
	}
	loop_timer_in(l, &rl->deadline, CONFIG_READ_DEADLINE_MS);
}

uint64_t daemon_reload(struct daemon *d)
{
	struct reload *rl = &d->reload;
	if (d->tend.shutting_down)
		return 0;
	if (rl->reading)
		rl->again = true;
	else if (!timer_armed(&rl->kick))
		loop_timer_in(&d->tend.loop, &rl->kick, 0);
	return rl->started + 1;
}

void reload_init(struct daemon *d)
{
	struct reload *rl = &d->reload;
	*rl = (struct reload){ .rd = { .fd = -1, .pidfd = -1 } };
	rl->answer = (struct watcher){ .fd = -1, .on_ready = answer_ready };
	rl->ended = (struct watcher){ .fd = -1, .on_ready = reader_ended };
	rl->leftover = (struct watcher){ .fd = -1, .on_ready = leftover_ended };
	timer_init(&rl->deadline, deadline_passed);
	timer_init(&rl->kick, begin);
}

void reload_after_events(void *ctx)
{
	struct daemon *d = ctx;
	struct reload *rl = &d->reload;
	if (!d->tend.shutting_down)
		return;
	loop_timer_cancel(&d->tend.loop, &rl->kick);
	rl->again = false;
	if (rl->reading && !rl->ending_since) {
		config_read_kill(&rl->rd, "tend is shutting down");
		answer_over(d);
	}
}

void reload_close(struct daemon *d)
{
	struct reload *rl = &d->reload;
	struct loop *l = &d->tend.loop;
	loop_timer_cancel(l, &rl->kick);
	loop_timer_cancel(l, &rl->deadline);
	if (rl->answer.fd >= 0)
		loop_remove(l, &rl->answer);
	if (rl->ended.fd >= 0)
		loop_remove(l, &rl->ended);
	if (rl->reading) {
		/* tend is ending: a short wait here blocks nothing else */
		tend_log(&d->tend.log, LOG_INFO, "reload: abandoned, tend is stopping");
		config_read_kill(&rl->rd, "tend is stopping");
		for (int i = 0; i < RELOAD_REAP_WAIT_MS && !config_read_reap(&rl->rd); i++)
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL); /* 1 ms */
		config_read_close(&rl->rd);
		rl->reading = false;
	}
	if (rl->leftover.fd >= 0) {
		waitpid(rl->leftover_pid, NULL, WNOHANG | __WALL);
		watcher_close(l, &rl->leftover);
	}
}

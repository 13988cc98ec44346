/* Watching conf.d with inotify. An editor's save is several events (write a
 * temporary file, rename it into place) and a deployment may touch many
 * files: every relevant event re-arms one timer, and the reload runs when
 * conf.d has been quiet for RELOAD_SETTLE_MS. */
#include "daemon/daemon.h"
#include "base/container_of.h"
#include "sys/log.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define WATCHED_EVENTS                                                                             \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_ATTRIB |        \
	 IN_DELETE_SELF | IN_MOVE_SELF)

/* Only what config_load_dir reads matters: NAME.conf, not hidden. */
static bool relevant_name(const char *name, uint32_t len)
{
	size_t n = strnlen(name, len);
	return n > 5 && name[0] != '.' && strcmp(name + n - 5, ".conf") == 0;
}

/* The first NAME.conf in conf.d that is empty, into name; false if none. */
static bool empty_conf_file(const char *confdir, char *name, size_t len)
{
	DIR *dir = opendir(confdir);
	struct dirent *de;
	struct stat st;
	bool found = false;
	if (!dir)
		return false;
	while (!found && (de = readdir(dir))) {
		if (!relevant_name(de->d_name, (uint32_t)strlen(de->d_name)) ||
		    fstatat(dirfd(dir), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_size != 0)
			continue;
		snprintf(name, len, "%s", de->d_name);
		found = true;
	}
	closedir(dir);
	return found;
}

/* A reload forced by RELOAD_MAX_WAIT_MS happens while conf.d is still
 * being written. A file rewritten in place (truncated, then written) reads
 * empty in between, and empty is valid: its groups would be stopped. So a
 * forced reload that finds an empty file waits for quiet instead; a file
 * that is still empty once conf.d is quiet was meant to be. */
static bool wait_for_quiet(struct daemon *d, uint64_t now)
{
	struct confwatch *cw = &d->confwatch;
	char name[NAME_MAX + 1];
	if (now - cw->last_change_ms >= RELOAD_SETTLE_MS ||
	    !empty_conf_file(d->confdir, name, sizeof(name)))
		return false;
	if (!cw->waiting_for_empty)
		tend_log(&d->tend.log, LOG_INFO,
			 "conf.d: %s is empty while conf.d is being written; reloading once it is "
			 "quiet",
			 name);
	cw->waiting_for_empty = true;
	cw->first_change_ms = now; /* the next forced look is RELOAD_MAX_WAIT_MS away */
	loop_timer_at(&d->tend.loop, &cw->settle, cw->last_change_ms + RELOAD_SETTLE_MS);
	return true;
}

static void settle_timer_fired(struct timer *tm)
{
	struct daemon *d = container_of(tm, struct daemon, confwatch.settle);
	if (wait_for_quiet(d, loop_now_ms(&d->tend.loop)))
		return;
	d->confwatch.waiting_for_empty = false;
	tend_log(&d->tend.log, LOG_INFO, "conf.d changed; reloading");
	daemon_reload(d);
}

static void on_inotify(struct watcher *w, uint32_t events)
{
	(void)events;
	struct daemon *d = container_of(w, struct daemon, confwatch.w);
	struct confwatch *cw = &d->confwatch;
	struct tend *t = &d->tend;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
				tend_log(&t->log, LOG_WARN,
					 "%s was removed or moved; no longer watched", d->confdir);
			else if (ev->mask & IN_Q_OVERFLOW || relevant_name(ev->name, ev->len))
				changed = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (!changed)
		return;
	/* Quiet for RELOAD_SETTLE_MS, but never later than RELOAD_MAX_WAIT_MS
	 * after the first change: a file rewritten without pause still loads. */
	uint64_t now = loop_now_ms(&t->loop);
	if (!timer_armed(&cw->settle))
		cw->first_change_ms = now;
	cw->last_change_ms = now;
	uint64_t due = now + RELOAD_SETTLE_MS;
	uint64_t latest = cw->first_change_ms + RELOAD_MAX_WAIT_MS;
	loop_timer_at(&t->loop, &cw->settle, due < latest ? due : latest);
}

void confwatch_open(struct daemon *d)
{
	struct confwatch *cw = &d->confwatch;
	struct tend *t = &d->tend;
	timer_init(&cw->settle, settle_timer_fired);
	cw->w.fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	cw->w.on_ready = on_inotify;
	if (cw->w.fd < 0 ||
	    inotify_add_watch(cw->w.fd, d->confdir, WATCHED_EVENTS | IN_ONLYDIR) < 0 ||
	    loop_add(&t->loop, &cw->w, EPOLLIN) < 0) {
		tend_log(&t->log, LOG_WARN,
			 "cannot watch %s (%m); reload with SIGHUP or tendctl reload", d->confdir);
		confwatch_close(d);
	}
}

void confwatch_close(struct daemon *d)
{
	watcher_close(&d->tend.loop, &d->confwatch.w);
	loop_timer_cancel(&d->tend.loop, &d->confwatch.settle);
}

/* Watching conf.d with inotify. An editor's save is several events (write a
 * temporary file, rename it into place) and a deployment may touch many
 * files: every relevant event re-arms one timer, and the reload runs when
 * conf.d has been quiet for RELOAD_SETTLE_MS. */
#include "base/container_of.h"
#include "core/context.h"
#include "sys/log.h"
#include "daemon/reload.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
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

static void settle_timer_fired(struct timer *tm)
{
	struct tend *t = container_of(tm, struct tend, reload_timer);
	struct buf report = { 0 };
	tend_log(&t->log, LOG_INFO, "conf.d changed; reloading");
	tend_reload(t, &report);
	buf_free(&report);
}

static void on_inotify(struct watcher *w, uint32_t events)
{
	(void)events;
	struct tend *t = container_of(w, struct tend, confwatch);
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
				tend_log(&t->log, LOG_WARN,
					 "%s was removed or moved; no longer watched", t->confdir);
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
	if (!timer_armed(&t->reload_timer))
		t->reload_first_change_ms = now;
	uint64_t due = now + RELOAD_SETTLE_MS;
	uint64_t latest = t->reload_first_change_ms + RELOAD_MAX_WAIT_MS;
	if (timer_arm(&t->loop.timers, &t->reload_timer, due < latest ? due : latest) < 0)
		tend_log(&t->log, LOG_ERR, "out of memory arming a timer");
}

void confwatch_open(struct tend *t)
{
	timer_init(&t->reload_timer, settle_timer_fired);
	t->confwatch.fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	t->confwatch.on_ready = on_inotify;
	if (t->confwatch.fd < 0 ||
	    inotify_add_watch(t->confwatch.fd, t->confdir, WATCHED_EVENTS | IN_ONLYDIR) < 0 ||
	    loop_add(&t->loop, &t->confwatch, EPOLLIN) < 0) {
		tend_log(&t->log, LOG_WARN,
			 "cannot watch %s (%m); reload with SIGHUP or tendctl reload", t->confdir);
		confwatch_close(t);
	}
}

void confwatch_close(struct tend *t)
{
	if (t->confwatch.fd >= 0)
		close(t->confwatch.fd);
	t->confwatch.fd = -1;
	loop_timer_cancel(&t->loop, &t->reload_timer);
}

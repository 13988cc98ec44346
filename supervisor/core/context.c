#include "core/context.h"
#include "core/startup.h"

#include <stdarg.h>
#include <stdio.h>

void tend_init(struct tend *t, const struct sys_ops *ops)
{
	t->sys.ops = ops;
	t->sys.tracker = &t->tracker;
	t->log.faults = &t->sys.faults;
	t->log.file.fd = -1; /* no tend.log until the run directory exists */
	loop_wire(&t->loop, &t->sys, &t->log);
	tracker_wire(&t->tracker, &t->log, &t->pids);
	t->notify.fd = -1;
	hwdog_init(&t->hwdog, &hwdog_linux, &t->loop, &t->log);
}

const char *tend_mode_name(enum tend_mode m)
{
	static const char *const names[] = {
		[MODE_PID1] = "pid1", [MODE_SYSTEM] = "system", [MODE_USER] = "user"
	};
	return names[m];
}

void tend_state_changed(struct tend *t)
{
	startup_report_if_finished(t);
	if (t->shutting_down && !t->loop.quit)
		shutdown_advance(t);
	struct bus_event ev = { .kind = BUS_CHANGED };
	bus_publish(&t->bus, &ev);
}

void tend_bug(struct tend *t, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	t->bugs++;
	tend_log(&t->log, LOG_ERR, "bug: can't happen: %s", what);
}

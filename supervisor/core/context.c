#include "core/context.h"

void tend_init(struct tend *t, const struct sys_ops *ops)
{
	t->sys.ops = ops;
	t->sys.tracker = &t->tracker;
	loop_wire(&t->loop, &t->sys, &t->log);
	tracker_wire(&t->tracker, &t->log, &t->pids);
}

const char *tend_mode_name(enum tend_mode m)
{
	static const char *const names[] = {
		[MODE_PID1] = "pid1", [MODE_SYSTEM] = "system", [MODE_USER] = "user"
	};
	return names[m];
}

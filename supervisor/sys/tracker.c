#include "sys/tracker.h"
#include "sys/log.h"
#include "core/context.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

const char *tracking_mode_name(enum tracking_mode m)
{
	return m == TRACK_CGROUP ? "cgroup" : "ancestry";
}

int tracker_init(struct tend *t, const char *requested)
{
	struct tracker *tr = &t->tracker;
	tr->mode = TRACK_ANCESTRY;
	tr->root_fd = -1;
	if (strcmp(requested, "ancestry") == 0) {
		snprintf(tr->why, sizeof(tr->why), "requested");
		return 0;
	}
	if (cgroup_setup(t) == 0) {
		tr->mode = TRACK_CGROUP;
		tend_log(t, LOG_INFO, "tracking process trees with cgroup %s", tr->root);
		return 0;
	}
	if (strcmp(requested, "cgroup") == 0) {
		tend_log(t, LOG_ERR, "cannot track by cgroup: %s", tr->why);
		return -1;
	}
	tend_log(t, LOG_INFO, "tracking process trees by ancestry (no cgroup: %s)", tr->why);
	return 0;
}

void tracker_cleanup(struct tend *t)
{
	if (t->tracker.mode == TRACK_CGROUP)
		cgroup_cleanup(t);
	free(t->tracker.root);
	t->tracker.root = NULL;
}

int tracker_prepare(struct tend *t, struct process *p)
{
	return t->tracker.mode == TRACK_CGROUP ? cgroup_prepare(t, p) : -1;
}

int tracker_members(struct tend *t, struct process *p, struct pid_list *out)
{
	if (t->tracker.mode == TRACK_CGROUP)
		return cgroup_members(t, p, out);
	return ancestry_members(t, p, out);
}

void tracker_signal(struct tend *t, struct process *p, int sig)
{
	if (t->tracker.mode == TRACK_CGROUP) {
		cgroup_signal(t, p, sig);
		return;
	}
	struct pid_list members = { 0 };
	ancestry_members(t, p, &members);
	for (size_t i = 0; i < members.len; i++)
		kill(members.pids[i], sig);
	pid_list_free(&members);
}

bool tracker_empty(struct tend *t, struct process *p)
{
	struct pid_list members = { 0 };
	tracker_members(t, p, &members);
	bool empty = members.len == 0;
	pid_list_free(&members);
	return empty;
}

void tracker_batch_begin(struct tend *t)
{
	if (t->tracker.mode == TRACK_ANCESTRY && !t->tracker.batch)
		t->tracker.batch = ancestry_scan();
}

void tracker_batch_end(struct tend *t)
{
	ancestry_table_free(t->tracker.batch);
	t->tracker.batch = NULL;
}

void tracker_release_group(struct tend *t, struct group *g)
{
	if (t->tracker.mode == TRACK_CGROUP)
		cgroup_release_group(t, g);
}

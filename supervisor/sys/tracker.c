#include "sys/tracker.h"
#include "sys/log.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tracking_mode_name(enum tracking_mode m)
{
	return m == TRACK_CGROUP ? "cgroup" : "ancestry";
}

void tracker_wire(struct tracker *tr, struct logger *log, const struct pidmap *mains)
{
	tr->log = log;
	tr->mains = mains;
	tr->mode = TRACK_ANCESTRY;
	tr->root_fd = -1;
}

int tracker_init(struct tracker *tr, const char *requested)
{
	if (strcmp(requested, "ancestry") == 0) {
		snprintf(tr->why, sizeof(tr->why), "requested");
		return 0;
	}
	if (cgroup_setup(tr) == 0) {
		tr->mode = TRACK_CGROUP;
		tend_log(tr->log, LOG_INFO, "tracking process trees with cgroup %s", tr->root);
		return 0;
	}
	if (strcmp(requested, "cgroup") == 0) {
		tend_log(tr->log, LOG_ERR, "cannot track by cgroup: %s", tr->why);
		return -1;
	}
	tend_log(tr->log, LOG_INFO, "tracking process trees by ancestry (no cgroup: %s)", tr->why);
	return 0;
}

void tracker_cleanup(struct tracker *tr)
{
	if (tr->mode == TRACK_CGROUP)
		cgroup_cleanup(tr);
	free(tr->root);
	tr->root = NULL;
	for (size_t i = 0; i < tr->ntenants; i++)
		free(tr->tenants[i].name);
	free(tr->tenants);
	tr->tenants = NULL;
	tr->ntenants = 0;
}

int tracker_prepare(struct tracker *tr, const struct tree *tree)
{
	return tr->mode == TRACK_CGROUP ? cgroup_prepare(tr, tree) : -1;
}

int tracker_members(struct tracker *tr, const struct tree *tree, struct pid_list *out)
{
	if (tr->mode == TRACK_CGROUP)
		return cgroup_members(tr, tree, out);
	return ancestry_members(tr, tree, out);
}

void tracker_signal(struct tracker *tr, const struct tree *tree, int sig)
{
	if (tr->mode == TRACK_CGROUP && sig == SIGKILL && cgroup_kill(tr, tree))
		return;
	struct pid_list members = { 0 };
	tracker_members(tr, tree, &members);
	pid_list_signal(&members, sig);
	pid_list_free(&members);
}

bool tracker_empty(struct tracker *tr, const struct tree *tree)
{
	struct pid_list members = { 0 };
	tracker_members(tr, tree, &members);
	bool empty = members.len == 0;
	pid_list_free(&members);
	return empty;
}

void tracker_batch_begin(struct tracker *tr)
{
	if (tr->mode == TRACK_ANCESTRY && !tr->batch)
		tr->batch = ancestry_scan();
}

void tracker_batch_end(struct tracker *tr)
{
	ancestry_table_free(tr->batch);
	tr->batch = NULL;
}

void tracker_release_tree(struct tracker *tr, const struct tree *tree)
{
	if (tr->mode == TRACK_CGROUP)
		cgroup_release_tree(tr, tree);
}

void tracker_release_group(struct tracker *tr, const char *tenant, const char *group)
{
	if (tr->mode == TRACK_CGROUP)
		cgroup_release_group(tr, tenant, group);
}

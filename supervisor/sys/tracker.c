#include "sys/tracker.h"
#include "sys/log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	tr->reserve[0] = tr->reserve[1] = -1;
}

static void hold_reserve(struct tracker *tr)
{
	for (int i = 0; i < 2; i++)
		if (tr->reserve[i] < 0)
			tr->reserve[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static bool release_reserve(struct tracker *tr)
{
	bool had = false;
	for (int i = 0; i < 2; i++)
		if (tr->reserve[i] >= 0) {
			close(tr->reserve[i]);
			tr->reserve[i] = -1;
			had = true;
		}
	return had;
}

int tracker_init(struct tracker *tr, const char *requested)
{
	hold_reserve(tr);
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
	release_reserve(tr);
	if (tr->mode == TRACK_CGROUP)
		cgroup_cleanup(tr);
	free(tr->root);
	free(tr->root_rel);
	tr->root = tr->root_rel = NULL;
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

static int read_members(struct tracker *tr, const struct tree *tree, struct pid_list *out)
{
	out->len = 0;
	if (tr->mode == TRACK_CGROUP)
		return cgroup_members(tr, tree, out);
	return ancestry_members(tr, tree, out);
}

/* Said once when trees cannot be read, and once when they can again. */
static void note_readable(struct tracker *tr, const struct tree *tree, bool readable, int err)
{
	if (readable && tr->unreadable)
		tend_log(tr->log, LOG_WARN, "process trees can be read again");
	else if (!readable && !tr->unreadable)
		tend_log(tr->log, LOG_ERR,
			 "cannot read the tree of %s/%s (%s): its processes are taken to be "
			 "alive until it can",
			 tree->group, tree->process, strerror(err));
	tr->unreadable = !readable;
}

int tracker_members(struct tracker *tr, const struct tree *tree, struct pid_list *out)
{
	int r = read_members(tr, tree, out);
	if (r < 0 && (errno == EMFILE || errno == ENFILE) && release_reserve(tr)) {
		struct proc_table *batch = tr->batch; /* read when it was short of them */
		tr->batch = NULL;
		r = read_members(tr, tree, out);
		tr->batch = batch;
		hold_reserve(tr);
	}
	int err = errno;
	note_readable(tr, tree, r == 0, err);
	errno = err;
	return r;
}

void tracker_signal(struct tracker *tr, const struct tree *tree, int sig)
{
	if (tr->mode == TRACK_CGROUP && sig == SIGKILL && cgroup_kill(tr, tree))
		return;
	struct pid_list members = { 0 };
	if (tracker_members(tr, tree, &members) < 0 && tree->main &&
	    !pid_list_has(&members, tree->main))
		pid_list_add(&members, tree->main);
	pid_list_signal(&members, sig);
	pid_list_free(&members);
}

bool tracker_empty(struct tracker *tr, const struct tree *tree)
{
	struct pid_list members = { 0 };
	bool empty = tracker_members(tr, tree, &members) == 0 && members.len == 0;
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

int tracker_group_usage(struct tracker *tr, const char *tenant, const char *group,
			struct cgroup_usage *u)
{
	return tr->mode == TRACK_CGROUP ? cgroup_group_usage(tr, tenant, group, u) : -1;
}

int tracker_owner_of_cgroup(const struct tracker *tr, const char *path, char *group, size_t glen,
			    char *process, size_t plen)
{
	return tr->mode == TRACK_CGROUP ? cgroup_owner(tr, path, group, glen, process, plen) : -1;
}

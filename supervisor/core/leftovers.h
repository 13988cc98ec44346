/* What a dead tend of the same run directory left running. A tend that is
 * not PID 1 can be killed (SIGKILL, a crash) while its processes run on,
 * re-parented to init, unsupervised and unseen. The tend started next on
 * that run directory reads RUNDIR/tend.state (core/state_file.h) and,
 * before any group starts, as `system { on-restart }` says:
 *  - stop (the default): ends them, whole trees (SIGTERM, SIGKILL after
 *    their stop-timeout), and removes the dead tend's cgroups;
 *  - adopt: takes each main process that still runs as the running main
 *    process of the declared process of the same tenant, group and name
 *    (no duplicate is started; its end is watched through a pidfd, its
 *    exit status unknown) and ends the rest as stop does: what is no
 *    longer declared, one-shots, negotiable groups, trees whose main
 *    process is gone, and all of it when the way trees are tracked changed.
 * A pid counts only with the start time and boot id the file recorded, so
 * a later process that got the same pid is never touched. Then the empty
 * tend-PID cgroups of other dead tends are removed (sys/cgroup_leftovers.c). */
#ifndef TEND_LEFTOVERS_H
#define TEND_LEFTOVERS_H

#include "config/config.h"

struct tend;

/* After the run directory is locked and the groups are made; before they
 * start. Blocks at most the longest stop-timeout of what it ends, plus a
 * few seconds for SIGKILL. */
void leftovers_settle(struct tend *t, enum on_restart how);

#endif

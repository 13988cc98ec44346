/* RUNDIR/tend.state (format: base/run_state.h): which main processes and
 * sessions this tend runs, and its cgroup, kept current as they start and
 * end, so that a tend started after this one died finds them
 * (core/leftovers.c). Rewritten whole and renamed into place after a
 * batch of events that started or ended a process: never seen half
 * written, one write per batch however many processes changed, and at
 * most one per STATE_FILE_GAP_MS while processes churn (a rename over a
 * file costs a journal flush on ext4: milliseconds). */
#ifndef TEND_STATE_FILE_H
#define TEND_STATE_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/run_state.h"
#include "base/timer.h"

struct tend;
struct bus_event;

struct state_file {
	struct tend *t;
	char *path; /* NULL: not opened */
	char *tmp;
	char boot_id[RUN_STATE_BOOT_ID_MAX + 1];
	struct timer later;  /* the next write, when the last was too recent */
	uint64_t written_ms; /* when it was last written (loop clock) */
	bool dirty;
	bool settled; /* what the last tend's file named was dealt with: it may go */
	bool failing; /* the last write failed: said once, until one works */
};

#define STATE_FILE_NAME "tend.state"
#define STATE_FILE_GAP_MS 20
/* The kinds that make it dirty. */
#define STATE_FILE_EVENTS                                                                          \
	(BUS_KIND(BUS_PROCESS_SPAWNED) | BUS_KIND(BUS_PROCESS_EXITED) |                            \
	 BUS_KIND(BUS_PROCESS_STATE) | BUS_KIND(BUS_GROUP_GONE))

/* After the run directory is locked (a second tend must not touch the
 * first one's file). -1: out of memory. */
int state_file_open(struct state_file *sf, struct tend *t);
void state_file_on_event(void *ctx, const struct bus_event *ev);
/* A loop hook: writes the file if something changed. */
void state_file_after_events(void *ctx);
/* At exit: the file goes if settled (nothing is left running to find);
 * a tend that could not set up leaves the dead one's file for the next. */
void state_file_close(struct state_file *sf);
/* This boot's id (/proc/sys/kernel/random/boot_id), "-" if unreadable. */
void state_file_boot_id(char *buf, size_t len);

#endif

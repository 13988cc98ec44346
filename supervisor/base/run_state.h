/* The run directory's record of what a tend runs (RUNDIR/tend.state), so
 * that a tend started after it died finds what it left running
 * (core/leftovers.c). Plain text, one item a line, written whole and
 * renamed into place:
 *
 *   tend-state 1
 *   tend PID START_TICKS
 *   boot BOOT_ID
 *   cgroup PATH            ("-": trees were tracked by ancestry)
 *   proc PID PID_TICKS SESSION SESSION_TICKS TENANT GROUP PROCESS
 *   ...
 *   end COUNT
 *
 * START_TICKS are field 22 of /proc/PID/stat: with the boot id they tell
 * a process from a later one that got the same pid. PID 0: the main
 * process is gone but its session may still hold processes. The end line
 * tells a whole file from a cut one. This file is only the format. */
#ifndef TEND_RUN_STATE_H
#define TEND_RUN_STATE_H

#include <stddef.h>
#include <sys/types.h>

#include "base/buf.h"

#define RUN_STATE_NAME_MAX 64 /* the names' longest (config's NAME_MAX_LEN) */
#define RUN_STATE_BOOT_ID_MAX 40

struct run_entry {
	pid_t pid;
	unsigned long long pid_ticks;
	pid_t session;
	unsigned long long session_ticks;
	char tenant[RUN_STATE_NAME_MAX + 1];
	char group[RUN_STATE_NAME_MAX + 1];
	char process[RUN_STATE_NAME_MAX + 1];
};

struct run_state {
	pid_t tend_pid;
	unsigned long long tend_ticks;
	char boot_id[RUN_STATE_BOOT_ID_MAX + 1];
	char *cgroup; /* the dead tend's cgroup directory; NULL: ancestry */
	struct run_entry *v;
	size_t len, cap;
};

/* Parses a file's text (len bytes, NUL or not). 0 with *out filled (free
 * it with run_state_free), or -1 with *out empty and a reason in why
 * ("line 3: ...", "cut short"). */
int run_state_parse(const char *text, size_t len, struct run_state *out, char *why, size_t whylen);
/* The text of s, appended to out. */
void run_state_format(const struct run_state *s, struct buf *out);
/* A copy of e at the end; -1: out of memory. */
int run_state_add(struct run_state *s, const struct run_entry *e);
void run_state_free(struct run_state *s);

#endif

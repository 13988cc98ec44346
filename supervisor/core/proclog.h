/* Capturing what a process prints. Its stdout and stderr are one pipe that
 * tend creates at its first start and keeps across restarts (tend holds the
 * write end too, so nothing is lost between two runs). tend reads it without
 * ever blocking, cuts it into lines, and writes each line with a timestamp to
 * RUNDIR/log/GROUP.PROCESS.log, rotated by the process's log-size and
 * log-keep; `tendctl logs -f` readers get each line as it is written. */
#ifndef TEND_PROCLOG_H
#define TEND_PROCLOG_H

#include "base/buf.h"
#include "base/logfile.h"
#include "sys/loop.h"

struct tend;
struct process;

/* Longest line kept whole; a longer one is written in pieces of this size. */
#define LOG_LINE_MAX 4096

struct proclog {
	struct watcher w; /* the pipe's read end; -1: no pipe (none yet, or every writer gone) */
	struct buf partial;
	struct logfile file;
	uint64_t fault_said_ms; /* when a failing write was last said; 0: never */
	bool fault_said;	/* ... and the log has not been written since */
	bool cut;		/* the last line written was a full LOG_LINE_MAX piece */
};

/* A log on a disk that is nearly full fails and works by turns (a short
 * line still fits in the last page where a long one does not): after the
 * first failure is said, the next is said no sooner than this. */
#define PROCLOG_FAULT_QUIET_MS 60000

void proclog_init(struct proclog *pl);
/* A write end of p's log pipe for a child to get as stdout and stderr; the
 * caller closes it once the child has it. -1 with errno on failure. */
int proclog_output_fd(struct tend *t, struct process *p);
/* The main process was reaped: writes what it left in the pipe, an
 * unfinished last line included. */
void proclog_main_exited(struct tend *t, struct process *p);
/* Writes what is still in the pipe, then closes everything. */
void proclog_close(struct tend *t, struct process *p);
/* RUNDIR/log/GROUP.PROCESS.log */
void proclog_path(struct tend *t, const char *group, const char *process, char *buf, size_t len);
/* The process runs with group gid: its log becomes readable by that group
 * (named now if it was not yet: a file it rotates into keeps it too). */
void proclog_share(struct tend *t, struct process *p, gid_t gid);

#endif

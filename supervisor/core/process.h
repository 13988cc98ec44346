/* One supervised process: its state machine. Every change of state goes
 * through process_step(), which looks the action up in a table indexed by
 * [state][event], the way s6-supervise does; the action returns the new state.
 * The group is told after every change and decides what it means for it. */
#ifndef TEND_PROCESS_H
#define TEND_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "config/config.h"
#include "sys/loop.h"
#include "core/proclog.h"
#include "base/restart_window.h"
#include "base/timer.h"
#include "core/bus.h"
#include "sys/tracker.h"
#include "core/watchdog.h"

struct tend;
struct group;

/* The names are the contract of `status --json` (see proc_state_name). */
enum proc_state {
	PS_STOPPED,
	PS_STARTING, /* a oneshot that has not finished, or a longrun not ready yet */
	PS_RUNNING,
	PS_BACKOFF, /* exited; waiting restart-delay before starting again */
	PS_STOPPING,
	PS_FAILED, /* unstable, or exited with failure and not to be restarted */
	PS_DONE,   /* a oneshot that finished successfully */
	/* Hung (missed heartbeat) or not ready in time: tend is ending it and
	 * its exit counts as a failure whatever its status. */
	PS_ABORTING,
	PS__COUNT
};

enum proc_event {
	PE_START, /* start it (also: start it now if it waits to restart) */
	PE_STOP,  /* stop it and its whole tree */
	PE_RESET, /* a person asked: forget failures (failed -> stopped, fresh restart window) */
	PE_EXIT,  /* the main process was reaped; p->last_status holds its status */
	PE_TIMER, /* restart-delay or stop-timeout elapsed */
	PE_TREE_CHANGED, /* some process was reaped: the tree may be empty now */
	PE_READY,	 /* it said it is ready (READY=1, or a line on its ready fd) */
	PE_HUNG,	 /* its watchdog expired, or it asked (WATCHDOG=trigger) */
	PE__COUNT
};

struct process {
	struct group *group;
	const struct process_decl *decl; /* owned by the group's declaration */
	enum proc_state state;
	pid_t pid;		 /* main process, 0 when there is none */
	pid_t session;		 /* session id it was started with (its own pid) */
	int last_status;	 /* wait status of the last exit, -1: never exited */
	int last_spawn_errno;	 /* why the last start failed, 0: it did not */
	unsigned restarts;	 /* exits that were followed by a restart */
	unsigned start_failures; /* starts in a row that failed for want of a resource */
	uint64_t started_ms;	 /* when the current main process was started */
	/* Field 22 of /proc/PID/stat of the session leader (the main process
	 * tend started): with the pid, it tells that process from a later
	 * one of the same pid (RUNDIR/tend.state). 0: unknown. */
	unsigned long long session_ticks;
	struct restart_window window;
	struct timer timer;	   /* restart-delay while in backoff, stop-timeout while stopping */
	struct proclog log;	   /* its stdout and stderr */
	char *status_text;	   /* its last STATUS= (NOTIFY_SOCKET), NULL: none */
	struct watcher ready_pipe; /* ready = fd:N: tend's end of the pipe, fd -1: none */
	struct watcher main_pidfd; /* a main process named by MAINPID=, fd -1: none */
	size_t ready_bytes;	   /* read from the ready pipe without a newline */
	struct watchdog *wd;	   /* NULL until it needs one (watchdog.c) */
	/* The flags last, together: a struct process per service adds up
	 * (issue 6), so no padding between them. */
	bool kill_sent; /* stopping: SIGKILL already sent */
	bool start_after_stop;
	bool group_restart_due; /* dependent: exited, delay over, the group must restart */
	bool in_cgroup;		/* cgroup mode: this object has started a process in its cgroup */
	bool ready;		/* up since its last start: at exec, or when it said so */
	bool said_stopping;	/* STOPPING=1 was logged for this run */
	bool adopted;		/* its main process was left running by a dead tend */
};

/* The wait status of an adopted main process (core/process_adopt.c): it
 * was not tend's child, so how it ended is unknown. */
#define EXIT_STATUS_UNKNOWN (-2)

void process_init(struct process *p, struct group *g, const struct process_decl *decl);
void process_free(struct tend *t, struct process *p);

/* The one transition function. */
void process_step(struct tend *t, struct process *p, enum proc_event ev);

/* Called by the reaper with the wait status of p's main process and its
 * resource usage (NULL: unknown, it was not tend's child to reap). */
void process_exited(struct tend *t, struct process *p, int wait_status, const struct rusage *usage);

/* Takes pid, left running by a dead tend (core/leftovers.c), as the running
 * main process of p, which must be stopped: no duplicate is started. Its
 * end is seen through a pidfd (it is not tend's child), with its status
 * unknown. session and session_ticks as the dead tend recorded them.
 * 0, or -1 when it cannot be watched (gone already). */
int process_adopt(struct tend *t, struct process *p, pid_t pid, pid_t session,
		  unsigned long long session_ticks);

/* Down for good (stopped, failed or done) with nothing of its tree left
 * running that tend must end (kill-mode = main: its main process gone). */
bool process_ended(struct tend *t, struct process *p);

const char *proc_state_name(enum proc_state s);
/* "group/process", for messages, written into buf. */
const char *process_label(const struct process *p, char *buf, size_t len);
/* "TEND_PROCESS=group/process": put in p's environment at start, and how
 * ancestry tracking recognises p's orphans. */
#define PROCESS_TAG_LEN (2 * NAME_MAX_LEN + 32)
const char *process_tag(const struct process *p, char *buf, size_t len);
/* p's tree as the tracker and the seam see it. */
struct tree process_tree(const struct process *p);
/* How p's main process ended, as the bus carries it to whoever keeps
 * records: usage NULL when unknown. */
struct exit_record process_exit_record(struct tend *t, const struct process *p, int wait_status,
				       const struct rusage *usage);
/* Describes a wait status: "exited 0", "killed by SIGKILL". */
void describe_wait_status(int status, char *buf, size_t len);

#endif

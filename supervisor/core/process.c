#include "core/process.h"
#include "base/container_of.h"
#include "base/duration.h"
#include "core/group.h"
#include "core/launch.h"
#include "sys/log.h"
#include "core/notify.h"
#include "core/readiness.h"
#include "core/start_retry.h"
#include "core/context.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* After SIGKILL, how long to wait before giving a process up as unkillable
 * (uninterruptible sleep): stopping must end, even on broken hardware. */
#define KILL_GRACE_MS 5000

static void process_timer_fired(struct timer *tm)
{
	struct process *p = container_of(tm, struct process, timer);
	process_step(p->group->tend, p, PE_TIMER);
}

void process_init(struct process *p, struct group *g, const struct process_decl *decl)
{
	*p = (struct process){ .group = g, .decl = decl, .state = PS_STOPPED, .last_status = -1 };
	p->ready_pipe.fd = p->main_pidfd.fd = -1;
	timer_init(&p->timer, process_timer_fired);
	proclog_init(&p->log);
	restart_window_init(&p->window, decl->restart_limit, decl->restart_window_ms);
}

void process_free(struct tend *t, struct process *p)
{
	loop_timer_cancel(&t->loop, &p->timer);
	if (p->pid)
		pidmap_del(&t->pids, p->pid);
	restart_window_free(&p->window);
	proclog_close(t, p);
	readiness_close(t, p);
	notify_forget_main(t, p);
	watchdog_free(t, p);
	free(p->status_text);
}

/* ---- actions: each returns the state to move to ---- */

typedef enum proc_state action_fn(struct tend *t, struct process *p);

/* The event changes nothing in this state. */
static enum proc_state ignore(struct tend *t, struct process *p)
{
	(void)t;
	return p->state;
}

/* Nothing sends this event in this state (see the table); process_step
 * reports it. */
static enum proc_state cant_happen(struct tend *t, struct process *p)
{
	(void)t;
	return p->state;
}

/* An unknown status (an adopted process's) counts as a failure. */
static bool exit_was_failure(int status)
{
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- through the seam ---- */

static void signal_tree(struct tend *t, struct process *p, int sig)
{
	struct tree tree = process_tree(p);
	t->sys.ops->signal_tree(&t->sys, &tree, sig);
}

static void signal_main(struct tend *t, struct process *p, int sig)
{
	struct tree tree = process_tree(p);
	t->sys.ops->signal_main(&t->sys, &tree, sig);
}

static bool tree_empty(struct tend *t, struct process *p)
{
	struct tree tree = process_tree(p);
	return t->sys.ops->tree_empty(&t->sys, &tree);
}

/* True when nothing of p's tree that tend must end is left: nothing at all,
 * or (kill-mode = main) no main process; what such a process left running
 * is not tend's to end. With nothing left its session id is forgotten: the
 * kernel may give that number to an unrelated process, whose orphans must
 * not be taken for p's. */
static bool tree_gone(struct tend *t, struct process *p)
{
	if (p->pid)
		return false;
	if (!tree_empty(t, p))
		return p->decl->kill_mode == KILL_MAIN;
	p->session = 0;
	return true;
}

/* Sends sig to what a stop asks to end first: the whole tree, or (kill-mode
 * main or mixed) the main process only; and SIGCONT, so that a stopped
 * process sees it. */
static void ask_and_continue(struct tend *t, struct process *p, int sig)
{
	void (*send)(struct tend *, struct process *, int) =
	    p->decl->kill_mode == KILL_TREE ? signal_tree : signal_main;
	send(t, p, sig);
	send(t, p, SIGCONT);
}

/* SIGKILL to what a stop ends: the whole tree, or (kill-mode = main) the
 * main process only. */
static void kill_now(struct tend *t, struct process *p)
{
	if (p->decl->kill_mode == KILL_MAIN)
		signal_main(t, p, SIGKILL);
	else
		signal_tree(t, p, SIGKILL);
}

/* SIGTERM; and SIGHUP to a console process, since interactive shells and
 * gettys ignore SIGTERM but end on a hangup, as when a terminal goes away. */
static void ask_to_stop(struct tend *t, struct process *p)
{
	if (p->decl->console)
		(p->decl->kill_mode == KILL_TREE ? signal_tree : signal_main)(t, p, SIGHUP);
	ask_and_continue(t, p, SIGTERM);
}

/* What a dead main process left behind: SIGTERM to it now (and SIGCONT),
 * unless it is not tend's to end (kill-mode = main). */
static void term_leftovers(struct tend *t, struct process *p)
{
	if (p->decl->kill_mode == KILL_MAIN)
		return;
	signal_tree(t, p, SIGTERM);
	signal_tree(t, p, SIGCONT);
}

/* A process that ended for good leaves nothing behind: SIGTERM to what is
 * left of its tree now, SIGKILL when stop-timeout has passed (kill_leftovers). */
static void sweep_leftovers(struct tend *t, struct process *p)
{
	if (tree_gone(t, p))
		return;
	term_leftovers(t, p);
	loop_timer_in(&t->loop, &p->timer, p->decl->stop_timeout_ms);
}

/* The main process ended and will not be restarted: what it left running
 * ends too, unless the process keeps its leftovers (`tendctl run`): then
 * they stay its tree until they end or it is stopped. */
static void end_for_good(struct tend *t, struct process *p)
{
	if (!p->decl->keep_leftovers)
		sweep_leftovers(t, p);
	else
		tree_gone(t, p); /* forgets the session once nothing is left */
}

static enum proc_state kill_leftovers(struct tend *t, struct process *p)
{
	signal_tree(t, p, SIGKILL);
	return p->state;
}

/* An exit or a failed start that was not asked for: restart, give up, or finish. */
static enum proc_state settle_after_exit(struct tend *t, struct process *p, bool failed)
{
	char label[2 * NAME_MAX_LEN + 2];
	const struct process_decl *d = p->decl;
	uint64_t now = loop_now_ms(&t->loop);

	/* A finished oneshot may have started something meant to outlive it (a
	 * legacy start script): that stays, as part of its tree, until stopped. */
	if (d->type == TYPE_ONESHOT && !failed)
		return PS_DONE;
	bool again = d->restart == RESTART_ALWAYS || (d->restart == RESTART_ON_FAILURE && failed);
	if (!again) {
		end_for_good(t, p);
		return failed ? PS_FAILED : PS_STOPPED;
	}
	if (restart_window_record_exit(&p->window, now) < 0)
		tend_log(&t->log, LOG_ERR,
			 "%s: out of memory: this exit is not counted in its restart window",
			 process_label(p, label, sizeof(label)));
	if (restart_window_exceeded(&p->window, now)) {
		end_for_good(t, p);
		char window[32];
		duration_format(d->restart_window_ms, window, sizeof(window));
		tend_log(&t->log, LOG_WARN,
			 "%s: unstable: more than %u exits within %s; not restarting",
			 process_label(p, label, sizeof(label)), d->restart_limit, window);
		return PS_FAILED;
	}
	/* Whatever the dead main process left behind gets SIGTERM now and
	 * SIGKILL when the delay is over, so two copies never run at once. */
	term_leftovers(t, p);
	p->restarts++;
	loop_timer_in(&t->loop, &p->timer, d->restart_delay_ms);
	return PS_BACKOFF;
}

static enum proc_state begin_stop(struct tend *t, struct process *p);

/* The machine is short of processes, memory or descriptors (start_retry.h):
 * try again later, longer each time; said once per episode. */
static enum proc_state retry_start_later(struct tend *t, struct process *p, const char *label,
					 int err)
{
	char first[32], most[32];
	uint64_t delay = start_retry_delay_ms(p->decl->restart_delay_ms, ++p->start_failures);
	if (p->start_failures == 1) {
		duration_format(delay, first, sizeof(first));
		duration_format(start_retry_delay_ms(p->decl->restart_delay_ms, UINT16_MAX), most,
				sizeof(most));
		tend_log(&t->log, LOG_ERR,
			 "%s: cannot start %s: %s; trying again in %s, then less often (at "
			 "most %s apart) until it starts",
			 label, p->decl->argv[0], strerror(err), first, most);
	} else {
		tend_log(&t->log, LOG_DEBUG, "%s: start attempt %u failed: %s", label,
			 p->start_failures, strerror(err));
	}
	loop_timer_in(&t->loop, &p->timer, delay);
	return PS_BACKOFF;
}

static enum proc_state spawn_now(struct tend *t, struct process *p)
{
	char label[2 * NAME_MAX_LEN + 2];
	int err = 0;

	loop_timer_cancel(&t->loop, &p->timer);
	pid_t pid = launch_process(t, p, &err);
	process_label(p, label, sizeof(label));
	if (pid < 0) {
		p->last_spawn_errno = err;
		if (start_fault_is_transient(err))
			return retry_start_later(t, p, label, err);
		p->start_failures = 0;
		tend_log(&t->log, LOG_ERR, "%s: cannot start %s: %s", label, p->decl->argv[0],
			 strerror(err));
		return settle_after_exit(t, p, true);
	}
	if (p->start_failures)
		tend_log(&t->log, LOG_WARN, "%s: started after %u failed attempt(s)", label,
			 p->start_failures);
	p->start_failures = 0;
	p->last_spawn_errno = 0;
	p->pid = pid;
	p->session = pid;
	p->adopted = false;
	p->session_ticks = launch_start_ticks(pid);
	p->started_ms = loop_now_ms(&t->loop);
	if (pidmap_put(&t->pids, pid, p) < 0)
		tend_log(&t->log, LOG_ERR, "%s: out of memory tracking pid %d", label, (int)pid);
	tend_log(&t->log, LOG_INFO, "%s: started (pid %d)", label, (int)pid);
	struct bus_event spawned = { .kind = BUS_PROCESS_SPAWNED,
				     .proc = p,
				     .restart = p->state == PS_BACKOFF };
	bus_publish(&t->bus, &spawned);
	free(p->status_text);
	p->status_text = NULL;
	p->said_stopping = false;
	watchdog_started(t, p);
	p->ready = p->decl->type == TYPE_LONGRUN && p->decl->ready == READY_NONE;
	if (p->decl->type == TYPE_ONESHOT)
		return PS_STARTING;
	if (p->ready)
		return PS_RUNNING;
	loop_timer_in(&t->loop, &p->timer, p->decl->ready_timeout_ms);
	return PS_STARTING;
}

/* Starts a new main process after ending what an earlier run left. The
 * restart window is kept: only a request from a person forgets failures
 * (PE_RESET), so that automatic restarts stay bounded by restart-limit. */
static enum proc_state start_fresh(struct tend *t, struct process *p)
{
	if (p->session && !tree_gone(t, p))
		signal_tree(t, p, SIGKILL);
	return spawn_now(t, p);
}

static enum proc_state restart_after_delay(struct tend *t, struct process *p)
{
	if (!group_allows_restart(p->group))
		return begin_stop(t, p);
	if (p->start_failures)
		return start_fresh(t, p); /* a start to retry, not an exit */
	if (p->decl->dependent) {
		/* Not restarted alone: the whole group restarts, in order. */
		p->group_restart_due = true;
		return begin_stop(t, p);
	}
	return start_fresh(t, p);
}

static enum proc_state begin_stop(struct tend *t, struct process *p)
{
	loop_timer_cancel(&t->loop, &p->timer);
	watchdog_disarm(t, p);
	p->kill_sent = false;
	p->start_after_stop = false;
	if (tree_gone(t, p))
		return PS_STOPPED;
	ask_to_stop(t, p);
	loop_timer_in(&t->loop, &p->timer, p->decl->stop_timeout_ms);
	return PS_STOPPING;
}

/* kill-mode = mixed: the main process, which alone got SIGTERM, is gone;
 * what is left of its tree gets SIGKILL now, not after stop-timeout. */
static void kill_rest_after_main(struct tend *t, struct process *p)
{
	char label[2 * NAME_MAX_LEN + 2];
	tend_log(&t->log, LOG_INFO,
		 "%s: main process gone; SIGKILL to the rest of its tree (kill-mode = mixed)",
		 process_label(p, label, sizeof(label)));
	p->kill_sent = true;
	signal_tree(t, p, SIGKILL);
	loop_timer_in(&t->loop, &p->timer, KILL_GRACE_MS);
}

static enum proc_state finish_stop_if_empty(struct tend *t, struct process *p)
{
	if (!tree_gone(t, p)) {
		/* After SIGKILL, members forked since the last look get theirs too. */
		if (p->kill_sent)
			kill_now(t, p);
		else if (p->decl->kill_mode == KILL_MIXED && !p->pid)
			kill_rest_after_main(t, p);
		return PS_STOPPING;
	}
	loop_timer_cancel(&t->loop, &p->timer);
	if (p->start_after_stop && group_allows_restart(p->group)) {
		p->start_after_stop = false;
		return start_fresh(t, p);
	}
	p->start_after_stop = false;
	return PS_STOPPED;
}

/* The second step of stopping or aborting: SIGKILL to the tree (to the main
 * process only with kill-mode = main), and KILL_GRACE_MS for it to go. */
static void send_kill(struct tend *t, struct process *p, const char *label, const char *asked)
{
	char timeout[32];
	duration_format(p->decl->stop_timeout_ms, timeout, sizeof(timeout));
	tend_log(&t->log, LOG_WARN, "%s: still running %s after %s; sending SIGKILL", label,
		 timeout, asked);
	p->kill_sent = true;
	kill_now(t, p);
	loop_timer_in(&t->loop, &p->timer, KILL_GRACE_MS);
}

/* Not even SIGKILL ended the main process in KILL_GRACE_MS: tend stops
 * waiting for it (it can no longer be reaped as this process's). */
static void give_up_main(struct tend *t, struct process *p)
{
	if (p->pid)
		pidmap_del(&t->pids, p->pid);
	p->pid = 0;
	readiness_close(t, p);
	notify_forget_main(t, p);
}

static enum proc_state stop_timed_out(struct tend *t, struct process *p)
{
	char label[2 * NAME_MAX_LEN + 2];
	process_label(p, label, sizeof(label));
	if (!p->kill_sent) {
		send_kill(t, p, label, "SIGTERM");
		return PS_STOPPING;
	}
	struct pid_list left = { 0 };
	struct tree tree = process_tree(p);
	char grace[32];
	duration_format(KILL_GRACE_MS, grace, sizeof(grace));
	if (tracker_members(&t->tracker, &tree, &left) < 0)
		tend_log(&t->log, LOG_ERR,
			 "%s: its tree cannot be read %s after SIGKILL (%m); giving up on it: "
			 "processes of it may be left",
			 label, grace);
	else
		tend_log(&t->log, LOG_ERR,
			 "%s: %zu process(es) of its tree still alive %s after SIGKILL (in "
			 "uninterruptible sleep, or forking faster than tend can look); giving up "
			 "on them",
			 label, left.len, grace);
	pid_list_free(&left);
	give_up_main(t, p);
	return PS_STOPPED;
}

static enum proc_state request_start_after_stop(struct tend *t, struct process *p)
{
	(void)t;
	p->start_after_stop = true;
	return PS_STOPPING;
}

/* A stop that comes after a restart request wins over it. */
static enum proc_state cancel_start_after_stop(struct tend *t, struct process *p)
{
	(void)t;
	p->start_after_stop = false;
	return PS_STOPPING;
}

static enum proc_state forget_exits(struct tend *t, struct process *p)
{
	(void)t;
	restart_window_reset(&p->window);
	return p->state;
}

static enum proc_state forget_failure(struct tend *t, struct process *p)
{
	forget_exits(t, p);
	return PS_STOPPED;
}

/* Stopping what is already down still ends what its tree left behind. */
static enum proc_state stop_leftovers(struct tend *t, struct process *p)
{
	if (!p->session || tree_gone(t, p))
		return p->state; /* never ran, or nothing left: a failure stays visible */
	return begin_stop(t, p);
}

static enum proc_state main_exited(struct tend *t, struct process *p)
{
	char label[2 * NAME_MAX_LEN + 2], how[64];
	describe_wait_status(p->last_status, how, sizeof(how));
	tend_log(&t->log, LOG_INFO, "%s: %s", process_label(p, label, sizeof(label)), how);
	return settle_after_exit(t, p, exit_was_failure(p->last_status));
}

/* Exited while starting: a oneshot finished (or failed); a longrun that
 * never said it was ready failed, whatever its status, and its group must
 * not take it for up. */
static enum proc_state starting_main_exited(struct tend *t, struct process *p)
{
	char label[2 * NAME_MAX_LEN + 2], how[64];
	loop_timer_cancel(&t->loop, &p->timer); /* the ready timeout */
	describe_wait_status(p->last_status, how, sizeof(how));
	bool never_ready = p->decl->type == TYPE_LONGRUN && !p->ready;
	tend_log(&t->log, LOG_INFO, "%s: %s%s", process_label(p, label, sizeof(label)), how,
		 never_ready ? " before it was ready (counts as a failure)" : "");
	return settle_after_exit(t, p, exit_was_failure(p->last_status) || never_ready);
}

static enum proc_state stopping_main_exited(struct tend *t, struct process *p)
{
	char label[2 * NAME_MAX_LEN + 2], how[64];
	describe_wait_status(p->last_status, how, sizeof(how));
	tend_log(&t->log, LOG_DEBUG, "%s: stopped (%s)", process_label(p, label, sizeof(label)),
		 how);
	return finish_stop_if_empty(t, p);
}

static enum proc_state became_ready(struct tend *t, struct process *p)
{
	char label[2 * NAME_MAX_LEN + 2];
	if (p->decl->type == TYPE_ONESHOT)
		return p->state; /* a oneshot is ready when it has finished */
	loop_timer_cancel(&t->loop, &p->timer);
	readiness_close(t, p);
	p->ready = true;
	tend_log(&t->log, LOG_INFO, "%s: ready", process_label(p, label, sizeof(label)));
	return PS_RUNNING;
}

/* Ending a process tend gave up on: `first` to it now (SIGTERM, as a stop
 * asks, for a readiness timeout; SIGABRT to the main process for a hang, so
 * a core dump shows where it hung), SIGKILL after stop-timeout. */
static enum proc_state begin_abort(struct tend *t, struct process *p, int first)
{
	loop_timer_cancel(&t->loop, &p->timer);
	watchdog_disarm(t, p);
	p->kill_sent = false;
	if (first == SIGABRT && p->pid) {
		signal_main(t, p, SIGABRT);
		signal_main(t, p, SIGCONT);
	} else {
		ask_and_continue(t, p, first);
	}
	loop_timer_in(&t->loop, &p->timer, p->decl->stop_timeout_ms);
	return PS_ABORTING;
}

static enum proc_state not_ready_in_time(struct tend *t, struct process *p)
{
	char label[2 * NAME_MAX_LEN + 2], timeout[32];
	if (p->decl->type == TYPE_ONESHOT)
		return p->state;
	duration_format(p->decl->ready_timeout_ms, timeout, sizeof(timeout));
	tend_log(&t->log, LOG_WARN, "%s: not ready within %s (ready-timeout); ending it as failed",
		 process_label(p, label, sizeof(label)), timeout);
	notify_explain_not_ready(t, p);
	return begin_abort(t, p, SIGTERM);
}

static enum proc_state hung(struct tend *t, struct process *p)
{
	char label[2 * NAME_MAX_LEN + 2], timeout[32], state[TEND_WATCHDOG_STATE_MAX];
	duration_format(watchdog_timeout_ms(p), timeout, sizeof(timeout));
	watchdog_state_text(p, state, sizeof(state));
	if (!state[0] && p->status_text)
		snprintf(state, sizeof(state), "%s", p->status_text);
	process_label(p, label, sizeof(label));
	if (watchdog_was_triggered(p))
		tend_log(&t->log, LOG_WARN,
			 "%s: watchdog: it asked to be treated as hung (WATCHDOG=trigger)", label);
	else
		tend_log(&t->log, LOG_WARN, "%s: watchdog: no heartbeat within %s", label, timeout);
	tend_log(&t->log, LOG_WARN, "%s: last state \"%s\"; sending SIGABRT (SIGKILL after %llums)",
		 label, state, (unsigned long long)p->decl->stop_timeout_ms);
	struct bus_event ev = { .kind = BUS_PROCESS_HUNG, .proc = p, .text = state };
	bus_publish(&t->bus, &ev);
	return begin_abort(t, p, SIGABRT);
}

/* Asked to stop while tend is already ending it: the same escalation goes
 * on (no new SIGTERM, no fresh timeout), and it ends stopped, not restarted. */
static enum proc_state abort_becomes_stop(struct tend *t, struct process *p)
{
	(void)t;
	p->start_after_stop = false;
	return PS_STOPPING;
}

static enum proc_state abort_timed_out(struct tend *t, struct process *p)
{
	char label[2 * NAME_MAX_LEN + 2];
	process_label(p, label, sizeof(label));
	if (!p->kill_sent) {
		send_kill(t, p, label, "being ended (hung or not ready)");
		return PS_ABORTING;
	}
	tend_log(&t->log, LOG_ERR, "%s: main process survives SIGKILL; giving it up", label);
	give_up_main(t, p);
	return settle_after_exit(t, p, true);
}

static enum proc_state aborted_exited(struct tend *t, struct process *p)
{
	char label[2 * NAME_MAX_LEN + 2], how[64];
	loop_timer_cancel(&t->loop, &p->timer);
	describe_wait_status(p->last_status, how, sizeof(how));
	tend_log(&t->log, LOG_INFO, "%s: %s (ended by tend: counts as a failure)",
		 process_label(p, label, sizeof(label)), how);
	return settle_after_exit(t, p, true);
}

/* actions[state][event], every pair written out: an action, `ignore` (the
 * event changes nothing in that state) or `cant_happen` (nothing sends that
 * event in that state; if something does, it is logged as a bug, counted,
 * and changes nothing). Why the pairs that cannot happen cannot:
 *  - PE_EXIT needs a main process, which only STARTING, RUNNING, STOPPING
 *    and ABORTING have (every way into the others leaves p->pid 0);
 *  - PE_TIMER: RUNNING and DONE never have the process timer armed (every
 *    way into them cancels it or arms nothing);
 *  - PE_TREE_CHANGED is sent by the reaper to STOPPING processes only.
 * PE_READY and PE_HUNG can come from any member of the tree (NOTIFY_SOCKET),
 * also one left behind by a main process that is gone, so they are ignored
 * where they mean nothing. */
static action_fn *const actions[PS__COUNT][PE__COUNT] = {
	[PS_STOPPED] = {
		[PE_START] = start_fresh,
		[PE_STOP] = stop_leftovers,
		[PE_RESET] = forget_exits,
		[PE_EXIT] = cant_happen,
		[PE_TIMER] = kill_leftovers,
		[PE_TREE_CHANGED] = cant_happen,
		[PE_READY] = ignore,
		[PE_HUNG] = ignore,
	},
	[PS_STARTING] = {
		[PE_START] = ignore,
		[PE_STOP] = begin_stop,
		[PE_RESET] = forget_exits,
		[PE_EXIT] = starting_main_exited,
		[PE_TIMER] = not_ready_in_time,
		[PE_TREE_CHANGED] = cant_happen,
		[PE_READY] = became_ready,
		[PE_HUNG] = hung,
	},
	[PS_RUNNING] = {
		[PE_START] = ignore,
		[PE_STOP] = begin_stop,
		[PE_RESET] = forget_exits,
		[PE_EXIT] = main_exited,
		[PE_TIMER] = cant_happen,
		[PE_TREE_CHANGED] = cant_happen,
		[PE_READY] = ignore,
		[PE_HUNG] = hung,
	},
	[PS_BACKOFF] = {
		[PE_START] = start_fresh,
		[PE_STOP] = begin_stop,
		[PE_RESET] = forget_exits,
		[PE_EXIT] = cant_happen,
		[PE_TIMER] = restart_after_delay,
		[PE_TREE_CHANGED] = cant_happen,
		[PE_READY] = ignore,
		[PE_HUNG] = ignore,
	},
	[PS_STOPPING] = {
		[PE_START] = request_start_after_stop,
		[PE_STOP] = cancel_start_after_stop,
		[PE_RESET] = forget_exits,
		[PE_EXIT] = stopping_main_exited,
		[PE_TIMER] = stop_timed_out,
		[PE_TREE_CHANGED] = finish_stop_if_empty,
		[PE_READY] = ignore,
		[PE_HUNG] = ignore,
	},
	[PS_FAILED] = {
		[PE_START] = start_fresh,
		[PE_STOP] = stop_leftovers,
		[PE_RESET] = forget_failure,
		[PE_EXIT] = cant_happen,
		[PE_TIMER] = kill_leftovers,
		[PE_TREE_CHANGED] = cant_happen,
		[PE_READY] = ignore,
		[PE_HUNG] = ignore,
	},
	[PS_DONE] = {
		[PE_START] = start_fresh,
		[PE_STOP] = begin_stop,
		[PE_RESET] = forget_exits,
		[PE_EXIT] = cant_happen,
		[PE_TIMER] = cant_happen,
		[PE_TREE_CHANGED] = cant_happen,
		[PE_READY] = ignore,
		[PE_HUNG] = ignore,
	},
	[PS_ABORTING] = {
		[PE_START] = ignore,
		[PE_STOP] = abort_becomes_stop,
		[PE_RESET] = forget_exits,
		[PE_EXIT] = aborted_exited,
		[PE_TIMER] = abort_timed_out,
		[PE_TREE_CHANGED] = cant_happen,
		[PE_READY] = ignore,
		[PE_HUNG] = ignore,
	},
};

static const char *const event_names[PE__COUNT] = {
	[PE_START] = "start", [PE_STOP] = "stop",   [PE_RESET] = "reset",
	[PE_EXIT] = "exit",   [PE_TIMER] = "timer", [PE_TREE_CHANGED] = "tree changed",
	[PE_READY] = "ready", [PE_HUNG] = "hung",
};

static void publish(struct tend *t, enum bus_kind kind, struct process *p)
{
	struct bus_event ev = { .kind = kind, .proc = p };
	bus_publish(&t->bus, &ev);
}

/* Reports a step that must not be: during an event's delivery (core/bus.h),
 * or a pair of the table that cannot happen. */
/* cppcheck-suppress constParameter ; act points to a function, which has no const */
static void check_step(struct tend *t, struct process *p, enum proc_event ev, action_fn *act)
{
	char label[2 * NAME_MAX_LEN + 2];
	if (!bus_delivering(&t->bus) && act != cant_happen)
		return;
	process_label(p, label, sizeof(label));
	if (bus_delivering(&t->bus))
		tend_bug(t, "%s was stepped while an event was being delivered", label);
	if (act == cant_happen)
		tend_bug(t, "%s: event \"%s\" in state %s", label, event_names[ev],
			 proc_state_name(p->state));
}

void process_step(struct tend *t, struct process *p, enum proc_event ev)
{
	action_fn *act = actions[p->state][ev];
	enum proc_state old = p->state;
	check_step(t, p, ev, act);
	p->state = act(t, p);
	if (p->state == old)
		return;
	char label[2 * NAME_MAX_LEN + 2];
	tend_log(&t->log, LOG_DEBUG, "%s: %s -> %s", process_label(p, label, sizeof(label)),
		 proc_state_name(old), proc_state_name(p->state));
	publish(t, BUS_PROCESS_STATE, p);
	t->ephemeral_due |= p->group->ephemeral;
	group_evaluate(t, p->group);
	tend_state_changed(t);
}

bool process_ended(struct tend *t, struct process *p)
{
	if (p->state != PS_STOPPED && p->state != PS_FAILED && p->state != PS_DONE)
		return false;
	return !p->session || tree_gone(t, p);
}

void process_exited(struct tend *t, struct process *p, int wait_status, const struct rusage *usage)
{
	struct exit_record rec = process_exit_record(t, p, wait_status, usage);
	p->last_status = wait_status;
	watchdog_disarm(t, p);
	readiness_close(t, p);
	notify_forget_main(t, p);
	proclog_main_exited(t, p);
	struct bus_event ev = { .kind = BUS_PROCESS_EXITED, .proc = p, .exit = &rec };
	bus_publish(&t->bus, &ev);
	pidmap_del(&t->pids, p->pid);
	p->pid = 0;
	process_step(t, p, PE_EXIT);
}

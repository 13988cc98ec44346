/* The bus: how the core tells the layers above it what happened, without
 * knowing who listens. The state machines publish a fixed set of event
 * kinds; subscribers (the control socket's event stream, its waiting
 * replies and `logs -f` readers; later the services directory, the cluster
 * and accounting) are registered at set-up, in daemon/wiring.c.
 *
 * Delivery is synchronous, at the point the core publishes, so events reach
 * every subscriber in the order they happen. A subscriber may answer
 * clients or note work, but must not step a state machine while an event is
 * being delivered: that work goes to an after-events hook of the loop
 * (sys/loop.h), which runs once the batch is handled. process_step and
 * group_step check it and report a step during delivery as a bug. */
#ifndef TEND_BUS_H
#define TEND_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

struct process;
struct group;

enum bus_kind {
	BUS_PROCESS_SPAWNED, /* proc started; restart: it was a restart */
	BUS_PROCESS_EXITED,  /* proc's main process was reaped; exit says how */
	/* tend reaped a pid that was no main process (an orphan re-parented to
	 * it); exit says how it ended; proc and group: whose tree it was in,
	 * NULL when that cannot be told */
	BUS_DESCENDANT_REAPED,
	BUS_PROCESS_STATE,    /* proc entered a new state (proc->state) */
	BUS_PROCESS_HUNG,     /* proc's watchdog expired; text: its last state text */
	BUS_PROCESS_LOG_LINE, /* proc printed a line: text, len (no newline) */
	BUS_GROUP_STATE,      /* group entered a new state (group->state) */
	BUS_GROUP_REPLACED,   /* a reload replaced group by replacement */
	BUS_GROUP_REMOVED,    /* a reload removed group; it is being stopped */
	BUS_GROUP_UPDATED,    /* a reload changed group's services in place */
	BUS_GROUP_GONE,	      /* group is about to be freed */
	BUS_RELOAD,	      /* a reload ended; what: applied, rejected, failed; text */
	BUS_CHANGED,	      /* something changed: whoever waits for a state looks */
	BUS__COUNT
};

#define BUS_KIND(k) (1u << (k))

/* How a process ended, for whoever keeps records (accounting). */
struct exit_record {
	pid_t pid;
	pid_t ppid;    /* its parent when it ended (tend, for an orphan); 0: unknown */
	char comm[16]; /* a descendant's command name (the kernel's); "": unknown */
	int wait_status;
	bool has_usage;	     /* tend reaped it itself: usage is its rusage */
	struct rusage usage; /* of it and the children it waited for */
	uint64_t start_ms;   /* monotonic, as the seam's clock; a descendant: 0 */
	uint64_t end_ms;
	/* wall clock: a main process's is end_wall_ms minus how long it ran; a
	 * descendant's is what /proc said; 0: unknown */
	uint64_t start_wall_ms;
	uint64_t end_wall_ms;
};

struct bus_event {
	enum bus_kind kind;
	struct process *proc;		/* process events */
	struct group *group;		/* group events */
	struct group *replacement;	/* BUS_GROUP_REPLACED */
	const struct exit_record *exit; /* BUS_PROCESS_EXITED, BUS_DESCENDANT_REAPED */
	const char *what;		/* BUS_RELOAD */
	const char *text;		/* HUNG, LOG_LINE, RELOAD; NULL: none */
	size_t len;			/* LOG_LINE: text's length */
	bool restart;			/* SPAWNED */
};

typedef void bus_fn(void *ctx, const struct bus_event *ev);

#define BUS_SUBSCRIBERS_MAX 16

struct bus {
	struct bus_subscriber {
		bus_fn *fn;
		void *ctx;
		uint32_t kinds; /* BUS_KIND() of each kind it wants */
	} subs[BUS_SUBSCRIBERS_MAX];
	size_t nsubs;
	unsigned delivering; /* nested deliveries under way */
};

/* fn(ctx, ev) for every event of `kinds`, in the order subscribed. -1 when
 * there are BUS_SUBSCRIBERS_MAX already. */
int bus_subscribe(struct bus *b, uint32_t kinds, bus_fn *fn, void *ctx);
void bus_publish(struct bus *b, const struct bus_event *ev);
/* True while a subscriber is being called. */
bool bus_delivering(const struct bus *b);

#endif

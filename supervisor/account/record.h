/* An accounting record: what one ended process used (kind "process"), or
 * what one group used in one run, from its start to its stop (kind
 * "group"). One JSON object on one line (record.c writes it, parse.c reads
 * it back); README "Accounting" documents every key.
 *
 * Times are integers here (milliseconds, microseconds, bytes), so that
 * sums are exact: the JSON gives seconds with exactly 3 (times of day) or
 * 6 (CPU) decimals, which parse back to the same integers. */
#ifndef TEND_ACCOUNT_RECORD_H
#define TEND_ACCOUNT_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "config/config.h"

#define RECORD_VERSION 1
#define RECORD_NAME_LEN (NAME_MAX_LEN + 1)
#define RECORD_UNKNOWN (-1) /* an int64_t field that is not known: null */

enum record_kind { RECORD_PROCESS, RECORD_GROUP };

struct account_record {
	enum record_kind kind;
	char tenant[RECORD_NAME_LEN];  /* "": null (a descendant nobody's) */
	char group[RECORD_NAME_LEN];   /* "": null */
	char process[RECORD_NAME_LEN]; /* "": null, a descendant */
	char comm[RECORD_NAME_LEN];    /* a descendant's command name; "": null */
	int64_t start_ms;	       /* Unix time in ms; RECORD_UNKNOWN: null */
	int64_t end_ms;
	int64_t wall_ms; /* end - start */
	int64_t cpu_user_us;
	int64_t cpu_sys_us;
	int64_t max_rss_kb;
	int64_t read_bytes; /* from the rusage: blocks of 512 bytes */
	int64_t write_bytes;
	/* process records */
	int pid;
	int ppid;	 /* 0: null */
	int exit_status; /* -1: null (killed by a signal, or unknown) */
	int signal;	 /* 0: null */
	bool core_dumped;
	bool orphan; /* a descendant tend reaped, not a process it started */
	/* group records: the run's process records summed, and its cgroup's
	 * figures over the run (RECORD_UNKNOWN: not available) */
	int64_t processes; /* process records written for the run */
	int64_t cgroup_cpu_us;
	int64_t cgroup_user_us;
	int64_t cgroup_sys_us;
	int64_t memory_peak_bytes;
	int64_t io_read_bytes;
	int64_t io_write_bytes;
	char tracking[12]; /* "cgroup" or "ancestry" */
};

/* A record with every field unknown (null) or zero. */
void record_init(struct account_record *r, enum record_kind kind);
/* Appends r as one JSON line, its newline included. */
void record_json(struct buf *b, const struct account_record *r);

/* parse.c: reads one line (without its newline) into *r. 0, or -1 when it
 * is not a record (not JSON, not an object, a key of the wrong type, no
 * kind or end). Unknown keys are ignored: newer records read. */
int record_parse(const char *line, size_t len, struct account_record *r);

#endif

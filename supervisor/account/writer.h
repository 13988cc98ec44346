/* The durable writer of the accounting records: one append-only file per
 * month, DIR/YYYY-MM.jsonl (UTC), never rewritten. DIR is RUNDIR/account
 * for every record, and RUNDIR/account/tenant/TENANT for a tenant's copy
 * (directory.h): one writer each.
 *
 * Each record goes to the file with one write() (O_APPEND) at once, before
 * tend handles its next event, so a tend that is killed loses nothing;
 * fdatasync runs at most once a second (a timer) and at close, so a machine
 * that loses power loses at most the last second. A write that fails (a
 * full disk: ENOSPC, EDQUOT; EIO) is reported once; the records are kept in
 * memory in order, at most queue_max of them (the newest beyond that are
 * dropped and counted), and written as soon as a write succeeds again (the
 * next record, or the timer: after 1 s, then twice as long each time up to
 * ACCOUNT_RETRY_MAX_MS). A short write is finished by the next write() of
 * the same record, so lines stay whole.
 *
 * write() and fdatasync() go through a seam (struct account_io) so that
 * unit tests inject short writes and ENOSPC. */
#ifndef TEND_ACCOUNT_WRITER_H
#define TEND_ACCOUNT_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/timer.h"

struct fault_plan;
struct loop;
struct logger;

#define ACCOUNT_QUEUE_MAX 4096 /* records kept while they cannot be written */
#define ACCOUNT_SYNC_MS 1000
#define ACCOUNT_RETRY_MAX_MS 8000 /* the longest wait between tries to write kept records */

struct account_io {
	ssize_t (*write)(void *ctx, int fd, const void *buf, size_t len);
	int (*fdatasync)(void *ctx, int fd);
};

extern const struct account_io account_io_linux;

struct pending_record {
	struct pending_record *next;
	uint64_t when_ms; /* which month's file */
	size_t len;
	size_t done; /* bytes of it already written (a short write) */
	char line[];
};

struct account_writer {
	const struct account_io *io;
	void *io_ctx;
	struct loop *loop;
	struct logger *log;
	char *dir; /* where the month files are */
	gid_t gid; /* the files' group; -1: as they are made */
	int fd;	   /* the month's file; -1: none open */
	char month[8];
	struct pending_record *head, *tail;
	size_t queued;
	size_t queue_max;
	uint64_t dropped;	   /* since tend started */
	uint64_t dropped_failing;  /* since writes began to fail */
	uint64_t written;	   /* records written */
	uint64_t retry_ms;	   /* the last wait between tries while failing, 0: none */
	struct fault_plan *faults; /* the seam's (FAULT_ACCOUNT), or NULL */
	bool failing;		   /* reported; said again once a write succeeds */
	bool dirty;		   /* written since the last fdatasync */
	struct timer sync;
};

/* Writes to the month files in dir (which directory.h made; copied); each
 * file it opens gets group gid (-1: left as made). Opens no file yet.
 * io NULL: account_io_linux. 0, or -1 (logged). */
int account_writer_open(struct account_writer *w, struct loop *loop, struct logger *log,
			const char *dir, gid_t gid, const struct account_io *io, void *io_ctx);
/* Writes one record (a whole line, its newline included) to the file of
 * the month of when_ms (wall clock, ms), or keeps it. */
void account_writer_put(struct account_writer *w, const char *line, size_t len, uint64_t when_ms);
/* Writes what is kept if it can, fdatasync, closes; what is still kept is
 * lost (logged). */
void account_writer_close(struct account_writer *w);

#endif

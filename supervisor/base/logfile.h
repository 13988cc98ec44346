/* Log files: timestamped lines appended to a file that is rotated by size
 * (NAME.log -> NAME.log.1 -> ... -> NAME.log.KEEP, the oldest dropped), so
 * that a chatty process cannot fill the disk. */
#ifndef TEND_LOGFILE_H
#define TEND_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct fault_plan;

struct logfile {
	char *path;
	int fd; /* -1 until the first line */
	uint64_t size;
	uint64_t lost;	 /* lines not written, not yet reported (the caller resets it) */
	const char *why; /* why the last line was not written: a static string */
	bool shared;	 /* readable by the group `reader` too (0640), not only tend (0600) */
	gid_t reader;
};

#define WALL_TIME_LEN 25 /* "2026-11-24T19:58:01.123Z" and its NUL */

/* Wall-clock UTC time with milliseconds, for people and logs. */
void wall_time(char *buf, size_t len);

void logfile_init(struct logfile *lf, const char *path);
/* Appends "TIME line\n" (line has no newline), rotating first if the file
 * would grow past max_size. Returns -1 if the line could not be written
 * (then lf->lost counts it and lf->why says why; a line is written whole
 * or not at all). Something other than a regular file at the path (a FIFO
 * a process made there, a device) is never opened for writing.
 * faults: the seam's fault plan (FAULT_WRITE), or NULL. */
int logfile_write(struct logfile *lf, const char *line, size_t len, uint64_t max_size,
		  unsigned keep, struct fault_plan *faults);
/* Lines gathered to be written with one write: a process that prints
 * short lines without pause cost tend a writev per line (a `yes` took half
 * a CPU, most of it in writev). The lines are timestamped as they are
 * added. */
#define LOG_BATCH_BYTES 16384
struct log_batch {
	size_t len;
	unsigned lines;
	bool new_file; /* its first line did not fit in the file: it starts the next one */
	char data[LOG_BATCH_BYTES];
};
/* Adds "TIME line\n" to b, writing b first when the line would not fit in
 * it or would take the file past max_size (the file rotates between lines,
 * as with logfile_write). A line longer than the batch is written alone.
 * -1 if a line was lost in a write this made (counted as logfile_write
 * counts them). The caller writes what is left with logfile_batch_flush. */
int logfile_batch_add(struct logfile *lf, struct log_batch *b, const char *line, size_t len,
		      uint64_t max_size, unsigned keep, struct fault_plan *faults);
/* Writes b's lines with one write, and empties b. Where the disk takes only
 * part of it, as many lines as fit are written whole, one by one. -1 if a
 * line was lost. */
int logfile_batch_flush(struct logfile *lf, struct log_batch *b, uint64_t max_size, unsigned keep,
			struct fault_plan *faults);
/* If the file was deleted (or its directory), the next line goes to a new one. */
void logfile_check_removed(struct logfile *lf);
/* The file, and every file it is rotated into from now on, becomes
 * readable by group gid ((gid_t)-1: by tend alone again, for new files):
 * a process running as another user can read its own log. */
void logfile_share(struct logfile *lf, gid_t gid);
void logfile_close(struct logfile *lf);

/* The last n lines of the log and, if it has fewer, of NAME.log.1 before
 * it, oldest first, as a malloc'ed NUL-terminated array (free with
 * argv_free). NULL only when out of memory. */
char **logfile_tail(const char *path, size_t n);

#endif

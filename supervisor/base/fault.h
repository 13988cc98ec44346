/* Fault points: the places where a test makes a system call fail the way
 * the kernel might (fork with EAGAIN, a log write with ENOSPC, accept with
 * EMFILE) or makes the clock jump, without needing the kernel to do it.
 * A plan lives in the seam (struct sys); it is empty, and costs one test of
 * a zero, unless a test arms it. tend itself never does. */
#ifndef TEND_FAULT_H
#define TEND_FAULT_H

#include <stdint.h>

enum fault_point {
	FAULT_FORK,    /* starting a process: the fork fails */
	FAULT_WRITE,   /* writing a line to a log file: the write fails */
	FAULT_ACCEPT,  /* taking a control connection: accept fails */
	FAULT_ACCOUNT, /* writing an accounting record: the write fails */
	FAULT__COUNT
};

struct fault_plan {
	struct fault_rule {
		int err;	/* the errno to fail with; 0: not armed */
		unsigned skip;	/* calls let through before the first failure */
		unsigned times; /* failures, then it disarms; 0: fail until disarmed */
	} rule[FAULT__COUNT];
	unsigned long failed[FAULT__COUNT]; /* calls failed so far */
	int64_t clock_jump_ms; /* added to both of the seam's clocks (< 0: backwards) */
};

/* From the skip+1st call at point on, fail `times` calls (0: all) with err. */
void fault_arm(struct fault_plan *plan, enum fault_point point, int err, unsigned skip,
	       unsigned times);
/* Called where the system call would be made: 0 to go ahead, or the errno
 * to fail it with (also set in errno). A NULL plan never fails. */
int fault_check(struct fault_plan *plan, enum fault_point point);

#endif

/* PID 1's first act: mount /proc, /sys, /sys/fs/cgroup, /dev, /dev/pts,
 * /dev/shm and /run where nothing is mounted yet (see early_mounts.c). */
#ifndef TEND_EARLY_MOUNTS_H
#define TEND_EARLY_MOUNTS_H

struct tend;

/* Returns 0, or -1 when any mount failed (each failure is logged; the
 * others are still made). */
int early_mounts_setup(struct tend *t);

#endif

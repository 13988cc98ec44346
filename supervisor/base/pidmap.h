/* pid -> what it is (a supervised process), so that each reaped pid finds
 * its owner in O(1). */
#ifndef TEND_PIDMAP_H
#define TEND_PIDMAP_H

#include <stddef.h>
#include <sys/types.h>

struct pidmap {
	struct pidmap_slot {
		pid_t pid; /* 0: empty, -1: deleted */
		void *value;
	} * slots;
	size_t cap;  /* a power of two */
	size_t used; /* live + deleted slots */
};

int pidmap_put(struct pidmap *m, pid_t pid, void *value);
/* NULL: pid is not in the map. */
void *pidmap_get(const struct pidmap *m, pid_t pid);
void pidmap_del(struct pidmap *m, pid_t pid);
void pidmap_free(struct pidmap *m);

#endif

/* A growable set of pids, in the order they were added: the members of a
 * process tree, a process's children. */
#ifndef TEND_PID_LIST_H
#define TEND_PID_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct pid_list {
	pid_t *pids;
	size_t len;
	size_t cap;
};

/* Adds pid unless it is there already; out of memory, it is not added. */
void pid_list_add(struct pid_list *l, pid_t pid);
bool pid_list_has(const struct pid_list *l, pid_t pid);
/* Sends sig to every pid of the list (those gone meanwhile are passed over). */
void pid_list_signal(const struct pid_list *l, int sig);
void pid_list_free(struct pid_list *l);

#endif

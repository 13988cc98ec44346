/* Processes ordered as a tree by their parent links (ppid), for showing a
 * supervised process's descendants: each under its parent, the orphans
 * that were re-parented to tend marked as adopted. Pure: the caller reads
 * /proc. */
#ifndef TEND_PID_TREE_H
#define TEND_PID_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PID_COMM_MAX 16 /* the kernel's TASK_COMM_LEN, NUL included */

struct pid_node {
	pid_t pid;
	pid_t ppid;
	char comm[PID_COMM_MAX];
	unsigned depth; /* set by pid_tree_order: 0 for a root */
	bool adopted;	/* set by pid_tree_order: a root whose parent is the reaper */
};

/* Orders nodes (n of them, distinct pids, main not among them) depth-first,
 * each after its parent, siblings by pid. The roots are the nodes whose
 * parent is not among them: first the children of `main` (the supervised
 * process; 0: none runs), then the others, which are `adopted` when their
 * parent is `reaper` (tend: they were re-parented to it). Nodes that no
 * root leads to (a loop of parent links, read at different moments) come
 * last, as roots. 0, or -1 when out of memory (nodes as they were). */
int pid_tree_order(struct pid_node *nodes, size_t n, pid_t main, pid_t reaper);

#endif

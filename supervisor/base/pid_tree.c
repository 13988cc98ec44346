/* Ordering processes as a tree (see pid_tree.h), without recursion: a
 * fork bomb's chain of parents must not exhaust tend's stack. */
#include "base/pid_tree.h"

#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

static int by_pid(const void *a, const void *b)
{
	pid_t x = ((const struct pid_node *)a)->pid, y = ((const struct pid_node *)b)->pid;
	return (x > y) - (x < y);
}

/* The index of pid among the sorted nodes, or NONE. */
static size_t find(const struct pid_node *v, size_t n, pid_t pid)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].pid == pid)
			return mid;
		if (v[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
}

struct walk {
	struct pid_node *sorted; /* by pid */
	size_t n;
	size_t *first_child, *next_sibling; /* children lists, highest pid first */
	size_t *stack;
	bool *seen;
	struct pid_node *out;
	size_t nout;
};

/* Emits root and its subtree, depth-first; siblings come off the stack
 * lowest pid first since their lists are highest first. */
static void walk_from(struct walk *w, size_t root)
{
	size_t top = 0;
	if (w->seen[root])
		return;
	w->seen[root] = true;
	w->sorted[root].depth = 0;
	w->stack[top++] = root;
	while (top) {
		size_t i = w->stack[--top];
		w->out[w->nout++] = w->sorted[i];
		for (size_t c = w->first_child[i]; c != NONE; c = w->next_sibling[c]) {
			if (w->seen[c])
				continue;
			w->seen[c] = true;
			w->sorted[c].depth = w->sorted[i].depth + 1;
			w->stack[top++] = c;
		}
	}
}

/* Links every node to its parent's list; the roots of each kind in order. */
static void link_children(struct walk *w, size_t *parent)
{
	for (size_t i = 0; i < w->n; i++) {
		w->first_child[i] = NONE;
		w->next_sibling[i] = NONE;
	}
	for (size_t i = 0; i < w->n; i++) {
		size_t p = w->sorted[i].ppid == w->sorted[i].pid
			       ? NONE
			       : find(w->sorted, w->n, w->sorted[i].ppid);
		parent[i] = p;
		if (p != NONE) {
			w->next_sibling[i] = w->first_child[p];
			w->first_child[p] = i;
		}
	}
}

int pid_tree_order(struct pid_node *nodes, size_t n, pid_t main, pid_t reaper)
{
	if (n == 0)
		return 0;
	struct walk w = { .n = n };
	size_t *idx = calloc(4 * n, sizeof(size_t));
	w.sorted = malloc(n * sizeof(*nodes));
	w.out = malloc(n * sizeof(*nodes));
	w.seen = calloc(n, sizeof(bool));
	if (!idx || !w.sorted || !w.out || !w.seen) {
		free(idx);
		free(w.sorted);
		free(w.out);
		free(w.seen);
		return -1;
	}
	size_t *parent = idx;
	w.first_child = idx + n;
	w.next_sibling = idx + 2 * n;
	w.stack = idx + 3 * n;
	memcpy(w.sorted, nodes, n * sizeof(*nodes));
	qsort(w.sorted, n, sizeof(*nodes), by_pid);
	link_children(&w, parent);
	for (size_t i = 0; i < n; i++) /* the main process's children */
		if (parent[i] == NONE && main && w.sorted[i].ppid == main)
			walk_from(&w, i);
	for (size_t i = 0; i < n; i++) /* orphans and other strays */
		if (parent[i] == NONE && !(main && w.sorted[i].ppid == main))
			walk_from(&w, i);
	for (size_t i = 0; i < n; i++) /* loops */
		walk_from(&w, i);
	for (size_t i = 0; i < n; i++)
		w.out[i].adopted = w.out[i].depth == 0 && reaper && w.out[i].ppid == reaper;
	memcpy(nodes, w.out, n * sizeof(*nodes));
	free(idx);
	free(w.sorted);
	free(w.out);
	free(w.seen);
	return 0;
}

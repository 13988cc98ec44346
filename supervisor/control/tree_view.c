/* The tree view of a process's descendants (see tree_view.h). Members come
 * from the tracker (cgroup or ancestry: also the orphans it claims for the
 * process), parents and names from /proc, the order from base/pid_tree.c. */
#include "control/tree_view.h"
#include "base/json.h"
#include "base/pid_tree.h"
#include "core/context.h"
#include "sys/procstat.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tree_nodes {
	struct pid_node *v;
	size_t n;
};

/* p's live descendants, ordered as a tree; v NULL when there are none (or
 * out of memory). */
static struct tree_nodes descendants(struct tend *t, struct process *p)
{
	struct tree_nodes nodes = { 0 };
	struct pid_list all = { 0 };
	struct tree tree = process_tree(p);
	tracker_members(&t->tracker, &tree, &all);
	nodes.v = all.len ? calloc(all.len, sizeof(*nodes.v)) : NULL;
	for (size_t i = 0; nodes.v && i < all.len; i++) {
		struct proc_stat st;
		/* gone meanwhile, or a zombie: exited, not shown as alive */
		if (all.pids[i] == p->pid || proc_stat_read(all.pids[i], &st) < 0 ||
		    st.state == 'Z' || st.state == 'X')
			continue;
		struct pid_node *d = &nodes.v[nodes.n++];
		*d = (struct pid_node){ .pid = st.pid, .ppid = st.ppid };
		memcpy(d->comm, st.comm, sizeof(d->comm));
	}
	pid_list_free(&all);
	/* out of memory: a flat list, still each one */
	pid_tree_order(nodes.v, nodes.n, p->pid, getpid());
	return nodes;
}

bool main_is_zombie(const struct process *p)
{
	struct proc_stat st;
	return p->pid && proc_stat_read(p->pid, &st) == 0 && st.state == 'Z';
}

void tree_view_text(struct tend *t, struct process *p, struct buf *out)
{
	struct tree_nodes nodes = descendants(t, p);
	for (size_t i = 0; i < nodes.n; i++) {
		const struct pid_node *d = &nodes.v[i];
		buf_printf(out, "%*s+ %d %s", (int)(4 + 2 * d->depth), "", (int)d->pid, d->comm);
		if (d->adopted)
			buf_puts(out, " (adopted)");
		else if (d->depth == 0 && d->ppid != p->pid)
			buf_printf(out, " (parent %d)", (int)d->ppid);
		buf_puts(out, "\n");
	}
	free(nodes.v);
}

/* Each node opens its "children"; it and the ancestors the next node is no
 * longer under are closed after it (pre-order, depth given). */
static void tree_json(const struct tree_nodes *nodes, struct buf *out)
{
	buf_puts(out, "[");
	for (size_t i = 0; i < nodes->n; i++) {
		const struct pid_node *d = &nodes->v[i];
		buf_printf(out, "{\"pid\":%d,\"ppid\":%d,\"comm\":", (int)d->pid, (int)d->ppid);
		json_str(out, d->comm);
		buf_printf(out, ",\"adopted\":%s,\"children\":[", d->adopted ? "true" : "false");
		bool last = i + 1 == nodes->n;
		unsigned next = last ? 0 : nodes->v[i + 1].depth;
		if (!last && next == d->depth + 1)
			continue;
		for (unsigned level = d->depth + 1; level > next; level--)
			buf_puts(out, "]}");
		if (!last)
			buf_puts(out, ",");
	}
	buf_puts(out, "]");
}

void tree_view_json(struct tend *t, struct process *p, struct buf *out)
{
	struct tree_nodes nodes = descendants(t, p);
	buf_puts(out, ",\"descendants\":[");
	for (size_t i = 0; i < nodes.n; i++)
		buf_printf(out, "%s%d", i ? "," : "", (int)nodes.v[i].pid);
	buf_puts(out, "],\"tree\":");
	tree_json(&nodes, out);
	free(nodes.v);
}

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

void tree_view_read(struct tend *t, struct process *p, struct tree_view *tv)
{
	struct pid_list all = { 0 };
	struct tree tree = process_tree(p);
	bool main_listed = false;
	*tv = (struct tree_view){ 0 };
	tracker_members(&t->tracker, &tree, &all);
	tv->v = all.len ? calloc(all.len, sizeof(*tv->v)) : NULL;
	for (size_t i = 0; tv->v && i < all.len; i++) {
		struct proc_stat st;
		main_listed |= all.pids[i] == p->pid;
		/* gone meanwhile, or a zombie: exited, not shown as alive */
		if (all.pids[i] == p->pid || proc_stat_read(all.pids[i], &st) < 0 ||
		    st.state == 'Z' || st.state == 'X')
			continue;
		struct pid_node *d = &tv->v[tv->n++];
		*d = (struct pid_node){ .pid = st.pid, .ppid = st.ppid };
		memcpy(d->comm, st.comm, sizeof(d->comm));
	}
	pid_list_free(&all);
	/* out of memory: a flat list, still each one */
	pid_tree_order(tv->v, tv->n, p->pid, getpid());
	/* The tracker lists no zombie: only a main process it left out is
	 * looked at (one read, not one per process of every status). */
	struct proc_stat st;
	tv->main_zombie =
	    p->pid && !main_listed && proc_stat_read(p->pid, &st) == 0 && st.state == 'Z';
}

void tree_view_free(struct tree_view *tv)
{
	free(tv->v);
	*tv = (struct tree_view){ 0 };
}

void tree_view_text(const struct tree_view *tv, const struct process *p, struct buf *out)
{
	for (size_t i = 0; i < tv->n; i++) {
		const struct pid_node *d = &tv->v[i];
		buf_printf(out, "%*s+ %d %s", (int)(4 + 2 * d->depth), "", (int)d->pid, d->comm);
		if (d->adopted)
			buf_puts(out, " (adopted)");
		else if (d->depth == 0 && d->ppid != p->pid)
			buf_printf(out, " (parent %d)", (int)d->ppid);
		buf_puts(out, "\n");
	}
}

/* Each node opens its "children"; it and the ancestors the next node is no
 * longer under are closed after it (pre-order, depth given). */
static void tree_json(const struct tree_view *nodes, struct buf *out)
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

void tree_view_json(const struct tree_view *tv, struct buf *out)
{
	buf_puts(out, ",\"descendants\":[");
	for (size_t i = 0; i < tv->n; i++)
		buf_printf(out, "%s%d", i ? "," : "", (int)tv->v[i].pid);
	buf_puts(out, "],\"tree\":");
	tree_json(tv, out);
}

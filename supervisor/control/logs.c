/* `logs`: the last lines of a process's or a group's captured output, read
 * from its log files, and with -f each new line as the process writes it
 * (a subscriber to BUS_PROCESS_LOG_LINE). A reload that replaces a group
 * moves its readers to the new declaration; one that removes it ends
 * their stream. */
#include "control/commands.h"
#include "control/server.h"
#include "core/context.h"
#include "libtend/cmdline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGS_DEFAULT_LINES 10

struct log_line {
	char *text; /* "TIME [process: ]line" */
	size_t seq; /* keeps lines of one process in order when times tie */
};

static int by_time(const void *a, const void *b)
{
	const struct log_line *x = a, *y = b;
	int c = strncmp(x->text, y->text, WALL_TIME_LEN - 1);
	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The last n lines of one process, or of every process of a group merged by
 * time and each marked with its process's name. */
static void send_log_tail(struct tend *t, struct client *c, struct group *g, struct process *only,
			  size_t n)
{
	struct log_line *all = NULL;
	size_t count = 0, seq = 0;
	for (size_t i = 0; i < g->nprocs; i++) {
		struct process *p = &g->procs[i];
		char path[4096];
		if (only && p != only)
			continue;
		proclog_path(t, g->decl.name, p->decl->name, path, sizeof(path));
		char **lines = logfile_tail(path, n);
		size_t k = argv_count(lines);
		struct log_line *more = realloc(all, (count + k + 1) * sizeof(*all));
		for (size_t j = 0; more && j < k; j++) {
			struct buf b = { 0 };
			if (only || strlen(lines[j]) < WALL_TIME_LEN) {
				buf_puts(&b, lines[j]);
			} else {
				buf_append(&b, lines[j], WALL_TIME_LEN);
				buf_printf(&b, "%s: %s", p->decl->name, lines[j] + WALL_TIME_LEN);
			}
			more[count++] =
			    (struct log_line){ .text = b.data ? b.data : strdup(""), .seq = seq++ };
		}
		all = more ? more : all;
		argv_free(lines);
	}
	if (all)
		qsort(all, count, sizeof(*all), by_time);
	for (size_t i = 0; i < count; i++) {
		if (i + n >= count)
			client_data_raw(c, all[i].text);
		free(all[i].text);
	}
	free(all);
}

/* logs GROUP[/PROCESS] [-n N] [-f] */
void cmd_logs(struct tend *t, struct client *c, char **argv)
{
	const char *target = NULL;
	size_t n = LOGS_DEFAULT_LINES;
	bool follow = false, bad = false;
	for (char **a = argv + 1; *a && !bad; a++) {
		char *end;
		if (strcmp(*a, "-f") == 0) {
			follow = true;
		} else if (strcmp(*a, "-n") == 0 && a[1]) {
			unsigned long v = strtoul(*++a, &end, 10);
			bad = *end || **a == '-' || v > 100000;
			n = v;
		} else if (**a == '-' || target) {
			bad = true;
		} else {
			target = *a;
		}
	}
	if (bad || !target)
		return client_err(c, "usage: logs GROUP[/PROCESS] [-n LINES] [-f]");
	struct group *g;
	struct process *p;
	if (!find_target(t, c, target, &g, &p))
		return;
	send_log_tail(t, c, g, p, n);
	if (!follow)
		return client_ok(c, "%s", "");
	c->follow_group = g;
	c->follow_proc = p;
	c->follow_all = !p;
}

static void log_line(struct control *ctl, struct process *p, const char *line, size_t len)
{
	for (struct client *c = ctl->clients; c; c = c->next) {
		if (c->follow_group != p->group || (c->follow_proc && c->follow_proc != p) ||
		    c->closing)
			continue;
		char when[WALL_TIME_LEN];
		wall_time(when, sizeof(when));
		struct buf msg = { 0 };
		buf_printf(&msg, "%s ", when);
		if (!c->follow_proc)
			buf_printf(&msg, "%s: ", p->decl->name);
		buf_append(&msg, line, len);
		client_data_raw(c, msg.data);
		buf_free(&msg);
		client_flush(c);
	}
}

/* A reload replaced `from` by `to`: readers follow the new one. */
static void move_followers(struct control *ctl, struct group *from, struct group *to)
{
	for (struct client *c = ctl->clients; c; c = c->next) {
		if (c->follow_group != from)
			continue;
		c->follow_group = to;
		if (c->follow_proc) /* the same name in the new declaration, if any */
			c->follow_proc = group_find_process(to, c->follow_proc->decl->name);
		if (c->follow_proc == NULL && c->follow_group && !c->follow_all) {
			/* the process it followed is gone from the group */
			c->follow_group = NULL;
			client_ok(c, "process removed by a reload");
			c->closing = true;
			client_flush(c);
		}
	}
}

/* A reload removed g (or it is about to be freed): its readers are told and
 * closed. */
static void forget_followers(struct control *ctl, struct group *g)
{
	for (struct client *c = ctl->clients; c; c = c->next) {
		if (c->follow_group == g) {
			c->follow_group = NULL;
			c->follow_proc = NULL;
			client_ok(c, "group %s was removed by a reload", g->decl.name);
			c->closing = true;
			client_flush(c);
		}
	}
}

void followers_on_event(void *ctx, const struct bus_event *ev)
{
	struct control *ctl = ctx;
	switch (ev->kind) {
	case BUS_PROCESS_LOG_LINE:
		log_line(ctl, ev->proc, ev->text, ev->len);
		break;
	case BUS_GROUP_REPLACED:
		move_followers(ctl, ev->group, ev->replacement);
		break;
	case BUS_GROUP_REMOVED:
	case BUS_GROUP_GONE:
		forget_followers(ctl, ev->group);
		break;
	default:
		break;
	}
}

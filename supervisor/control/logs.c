/* `logs`: the last lines of a process's or a group's captured output, read
 * from its log files, and with -f each new line as the process writes it
 * (a subscriber to BUS_PROCESS_LOG_LINE). A reload that replaces a group
 * moves its readers to the new declaration; one that removes it ends
 * their stream. */
#include "control/commands.h"
#include "control/authorise.h"
#include "control/server.h"
#include "core/context.h"
#include "libtend/cmdline.h"

#include <dirent.h>
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

/* The processes whose logs one request reads: their names and files. */
struct log_sources {
	char (*names)[NAME_MAX_LEN + 1];
	size_t n;
	bool one; /* a single process: its lines are not marked with its name */
};

static void add_source(struct log_sources *src, const char *name)
{
	char(*more)[NAME_MAX_LEN + 1] = realloc(src->names, (src->n + 1) * sizeof(*more));
	if (!more)
		return;
	src->names = more;
	snprintf(src->names[src->n++], sizeof(src->names[0]), "%s", name);
}

/* The last n lines of one process, or of every process of a group merged by
 * time and each marked with its process's name. */
static void send_log_tail(struct tend *t, struct client *c, const char *group,
			  const struct log_sources *src, size_t n)
{
	struct log_line *all = NULL;
	size_t count = 0, seq = 0;
	for (size_t i = 0; i < src->n; i++) {
		const char *name = src->names[i];
		char path[4096];
		proclog_path(t, group, name, path, sizeof(path));
		char **lines = logfile_tail(path, n);
		size_t k = argv_count(lines);
		struct log_line *more = realloc(all, (count + k + 1) * sizeof(*all));
		for (size_t j = 0; more && j < k; j++) {
			struct buf b = { 0 };
			if (src->one || strlen(lines[j]) < WALL_TIME_LEN) {
				buf_puts(&b, lines[j]);
			} else {
				buf_append(&b, lines[j], WALL_TIME_LEN);
				buf_printf(&b, "%s: %s", name, lines[j] + WALL_TIME_LEN);
			}
			more[count++] =
			    (struct log_line){ .text = b.data ? b.data : strdup(""), .seq = seq };
			seq++;
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

/* A file of RUNDIR/log that a declared group owns: GROUP.PROCESS.log of a
 * process it declares. Names may hold dots, so "a.b.c.log" may be group
 * "a" or group "a.b": a declared group's claim wins. */
static bool declared_log(struct tend *t, const char *file)
{
	for (size_t i = 0; i < t->ngroups; i++) {
		const struct group *g = t->groups[i];
		size_t len = strlen(g->decl.name);
		if (strncmp(file, g->decl.name, len) != 0 || file[len] != '.')
			continue;
		for (size_t j = 0; j < g->nprocs; j++) {
			const char *p = g->procs[j].decl->name;
			size_t plen = strlen(p);
			if (strncmp(file + len + 1, p, plen) == 0 &&
			    strcmp(file + len + 1 + plen, ".log") == 0)
				return true;
		}
	}
	return false;
}

/* The log files a group left on disk that no declared group owns: what a
 * reload removed (journalctl shows the logs of a removed unit too). With
 * only, just that process's. */
static void undeclared_sources(struct tend *t, const char *group, const char *only,
			       struct log_sources *src)
{
	char dir[4096];
	size_t glen = strlen(group);
	snprintf(dir, sizeof(dir), "%s/log", t->rundir);
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len <= glen + 5 || strncmp(e->d_name, group, glen) != 0 ||
		    e->d_name[glen] != '.' || strcmp(e->d_name + len - 4, ".log") != 0 ||
		    declared_log(t, e->d_name))
			continue;
		char name[NAME_MAX_LEN + 1];
		size_t nlen = len - glen - 5;
		if (nlen > NAME_MAX_LEN)
			continue;
		memcpy(name, e->d_name + glen + 1, nlen);
		name[nlen] = '\0';
		if (valid_name(name) && (!only || strcmp(name, only) == 0))
			add_source(src, name);
	}
	if (d)
		closedir(d);
	src->one = only != NULL;
}

/* What `logs TARGET` reads: the declared group's processes, or the files a
 * removed group or process left. false (and an error reply): nothing. */
static bool find_sources(struct tend *t, struct client *c, const char *target, struct group **gp,
			 struct process **pp, struct log_sources *src, char *group, size_t len)
{
	bool named = tend_find_target(t, target, gp, pp);
	snprintf(group, len, "%s", target);
	char *slash = strchr(group, '/');
	if (slash)
		*slash = '\0';
	if (*gp && (!named || *pp)) {
		for (size_t i = 0; i < (*gp)->nprocs; i++)
			if (!*pp || &(*gp)->procs[i] == *pp)
				add_source(src, (*gp)->procs[i].decl->name);
		src->one = *pp != NULL;
		return true;
	}
	undeclared_sources(t, group, slash ? slash + 1 : NULL, src);
	if (src->n)
		return true;
	if (*gp)
		client_err(c, "no such process: %s", target);
	else
		client_err(c, "no such group: %s", group);
	return false;
}

/* logs GROUP[/PROCESS] [-n N] [-f] */
void cmd_logs(struct tend *t, struct client *c, char **argv)
{
	const char *target = NULL;
	size_t n = LOGS_DEFAULT_LINES;
	bool follow = false, bad = false;
	for (char **a = argv + 1; *a && !bad; a++) {
		unsigned long long v;
		if (strcmp(*a, "-f") == 0) {
			follow = true;
		} else if (strcmp(*a, "-n") == 0 && a[1]) {
			bad = !request_number(*++a, 0, 100000, &v);
			n = (size_t)v;
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
	struct log_sources src = { 0 };
	char group[2 * NAME_MAX_LEN + 2];
	if (client_refuse_target(t, c, target))
		return;
	if (!find_sources(t, c, target, &g, &p, &src, group, sizeof(group)))
		return free(src.names);
	send_log_tail(t, c, group, &src, n);
	free(src.names);
	if (!follow)
		return client_ok(c, "%s", "");
	if (!g || (strchr(target, '/') && !p))
		return client_ok(
		    c, "%s is not declared (a reload removed it): no new lines will come", target);
	c->follow_group = g;
	c->follow_proc = p;
	c->follow_all = !p;
}

static void log_line(struct control *ctl, struct process *p, const char *line, size_t len)
{
	char when[WALL_TIME_LEN] = "";
	for (struct client *c = ctl->clients; c; c = c->next) {
		if (c->follow_group != p->group || (c->follow_proc && c->follow_proc != p) ||
		    c->closing)
			continue;
		if (!when[0]) /* once per line, and only when someone follows */
			wall_time(when, sizeof(when));
		struct buf msg = { 0 };
		buf_printf(&msg, "%s ", when);
		if (!c->follow_proc)
			buf_printf(&msg, "%s: ", p->decl->name);
		buf_append(&msg, line, len);
		client_data_raw(c, msg.data);
		buf_free(&msg);
		client_queued(c);
	}
}

/* A reload replaced `from` by `to`: readers follow the new one. */
static void move_followers(struct control *ctl, const struct group *from, struct group *to)
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

/* A reload removed g (or it is about to be freed: also a `tendctl run`
 * group that has ended): its readers are told and closed. */
static void forget_followers(struct control *ctl, struct group *g)
{
	for (struct client *c = ctl->clients; c; c = c->next) {
		if (c->follow_group == g) {
			c->follow_group = NULL;
			c->follow_proc = NULL;
			client_ok(c,
				  g->ephemeral ? "group %s has ended"
					       : "group %s was removed by a reload",
				  g->decl.name);
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

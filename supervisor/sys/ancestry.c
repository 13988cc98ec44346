/* Tracking trees without cgroups. A process's tree is its main process and
 * every descendant by /proc parent links. Descendants whose parent died are
 * re-parented to tend (a child subreaper) and lose that link; such an orphan
 * is claimed by the process whose session it still shares (every main process
 * starts its own session) or whose TEND_PROCESS tag its environment carries
 * (inherited through fork and exec unless the program clears it). A daemon
 * that both calls setsid() and clears its environment escapes: use cgroups. */
#include "sys/tracker.h"
#include "base/pidmap.h"
#include "sys/procstat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct proc_entry {
	pid_t pid;
	pid_t ppid;
	pid_t session;
};

struct proc_table {
	struct proc_entry *v;
	size_t len;
	size_t cap;
	bool unreadable; /* /proc could not be read whole: the table proves nothing */
	int err;	 /* why */
};

/* What a read of /proc found: the process, or that it is gone (a zombie
 * counts as gone), or nothing at all (out of descriptors or memory). Trees
 * that could not be read must never be taken for empty. */
enum { READ_OK = 0, READ_GONE = -1, READ_FAILED = -2 };

static int open_failure(void)
{
	return errno == ENOENT || errno == ESRCH ? READ_GONE : READ_FAILED;
}

/* Reads pid, parent and session of one live (not zombie) process. */
static int read_stat(int pid, struct proc_entry *e)
{
	struct proc_stat st;
	int r = proc_stat_read(pid, &st);
	if (r == PROC_STAT_UNREADABLE)
		return READ_FAILED;
	if (r < 0 || st.state == 'Z' || st.state == 'X')
		return READ_GONE;
	*e = (struct proc_entry){ .pid = pid, .ppid = st.ppid, .session = st.session };
	return 0;
}

static void scan_proc(struct proc_table *tab)
{
	DIR *d = opendir("/proc");
	if (!d) {
		tab->unreadable = true;
		tab->err = errno;
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		struct proc_entry e;
		if (*end || pid <= 0)
			continue;
		int r = read_stat((int)pid, &e);
		if (r == READ_FAILED) {
			tab->unreadable = true;
			tab->err = errno;
		}
		if (r != READ_OK)
			continue;
		if (tab->len == tab->cap) {
			size_t cap = tab->cap ? tab->cap * 2 : 256;
			struct proc_entry *v = realloc(tab->v, cap * sizeof(*v));
			if (!v) {
				tab->unreadable = true;
				tab->err = ENOMEM;
				break;
			}
			tab->v = v;
			tab->cap = cap;
		}
		tab->v[tab->len++] = e;
	}
	closedir(d);
}

struct proc_table *ancestry_scan(void)
{
	struct proc_table *tab = calloc(1, sizeof(*tab));
	if (tab)
		scan_proc(tab);
	return tab;
}

void ancestry_table_free(struct proc_table *tab)
{
	if (tab)
		free(tab->v);
	free(tab);
}

int proc_parent_session(pid_t pid, pid_t *ppid, pid_t *session)
{
	struct proc_entry e;
	if (read_stat((int)pid, &e) < 0)
		return -1;
	*ppid = e.ppid;
	*session = e.session;
	return 0;
}

int proc_tag(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	char entry[512];
	size_t n = 0;
	bool found = false;
	int c;
	while (!found && (c = getc(f)) != EOF) {
		if (c != '\0') {
			if (n < sizeof(entry) - 1)
				entry[n++] = (char)c;
			continue;
		}
		entry[n] = '\0';
		found = strncmp(entry, "TEND_PROCESS=", 13) == 0;
		n = 0;
		if (found)
			snprintf(buf, len, "%s", entry + 13);
	}
	fclose(f);
	return found ? 0 : -1;
}

int proc_credentials(pid_t pid, uid_t *uid, gid_t *gid, gid_t *groups, size_t *ngroups)
{
	char path[64], line[4096];
	size_t max = *ngroups;
	int found = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	*ngroups = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long r, e, s, fs;
		if (sscanf(line, "Uid: %lu %lu %lu %lu", &r, &e, &s, &fs) == 4) {
			*uid = (uid_t)fs;
			found |= 1;
		} else if (sscanf(line, "Gid: %lu %lu %lu %lu", &r, &e, &s, &fs) == 4) {
			*gid = (gid_t)fs;
			found |= 2;
		} else if (strncmp(line, "Groups:", 7) == 0) {
			char *p = line + 7, *end;
			for (unsigned long g;
			     *ngroups < max && (g = strtoul(p, &end, 10), end != p); p = end)
				groups[(*ngroups)++] = (gid_t)g;
		}
	}
	fclose(f);
	return found == 3 ? 0 : -1;
}

static bool orphan_belongs_to(struct tracker *tr, const struct proc_entry *e,
			      const struct tree *tree)
{
	if (tr->mains && pidmap_get(tr->mains, e->pid))
		return false; /* another process's main process */
	if (tree->session && e->session == tree->session)
		return true;
	char tag[512];
	size_t glen = strlen(tree->group);
	return proc_tag(e->pid, tag, sizeof(tag)) == 0 && strncmp(tag, tree->group, glen) == 0 &&
	       tag[glen] == '/' && strcmp(tag + glen + 1, tree->process) == 0;
}

/* Appends the pids in one /proc/.../children file ("12 34 56 "). */
static int read_children_file(const char *path, struct pid_list *out)
{
	char buf[4096];
	long pid = 0;
	bool in_number = false;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return open_failure();
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				pid = pid * 10 + (buf[i] - '0');
				in_number = true;
			} else if (in_number) {
				pid_list_add(out, (pid_t)pid);
				pid = 0;
				in_number = false;
			}
		}
	if (in_number)
		pid_list_add(out, (pid_t)pid);
	int err = errno;
	close(fd);
	return n < 0 ? (err == ESRCH ? READ_GONE : READ_FAILED) : READ_OK;
}

/* The children of pid, from every thread's /proc/PID/task/TID/children.
 * READ_GONE when the kernel has no such files (CONFIG_PROC_CHILDREN) and
 * pid's task directory is there, or when pid is gone: the caller cannot
 * tell them apart from an empty answer otherwise; READ_FAILED when a file
 * could not be read. */
static int read_children(pid_t pid, struct pid_list *out)
{
	char path[64];
	struct dirent *de;
	int found = READ_GONE;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return open_failure();
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children", (int)pid, de->d_name);
		int r = read_children_file(path, out);
		if (r == READ_FAILED) {
			found = READ_FAILED;
			break;
		}
		if (r == READ_OK)
			found = READ_OK;
	}
	closedir(d);
	return found;
}

/* Adds tend's children that belong to p (not yet in out). Main processes
 * are known from the pid map (in memory): only the others' stat is read.
 * -1 if tend's children cannot be listed. */
static int claim_orphans(struct tracker *tr, const struct tree *tree, pid_t self,
			 struct pid_list *out, bool *dying)
{
	struct pid_list kids = { 0 };
	struct proc_entry e;

	if (read_children(self, &kids) < 0) {
		pid_list_free(&kids);
		return -1;
	}
	int r = 0;
	for (size_t i = 0; i < kids.len && r == 0; i++) {
		pid_t c = kids.pids[i];
		if (c == tree->main || (tr->mains && pidmap_get(tr->mains, c)) ||
		    pid_list_has(out, c))
			continue;
		switch (read_stat(c, &e)) {
		case READ_GONE:
			*dying = true;
			break;
		case READ_FAILED:
			r = -1;
			break;
		default:
			if (e.ppid == self && orphan_belongs_to(tr, &e, tree))
				pid_list_add(out, c);
		}
	}
	pid_list_free(&kids);
	return r;
}

/* Adds the living children of out->pids[from..]; out grows as it is
 * walked. A child counts only while its stat still names that parent (its
 * pid may have been reaped and used again in between). */
static int add_descendants(struct pid_list *out, size_t from, bool *dying)
{
	struct pid_list kids = { 0 };
	struct proc_entry e;
	int r = 0;

	for (size_t i = from; i < out->len && r == 0; i++) {
		pid_t parent = out->pids[i];
		kids.len = 0;
		if (read_children(parent, &kids) == READ_FAILED)
			r = -1;
		for (size_t k = 0; k < kids.len && r == 0; k++) {
			int got = read_stat(kids.pids[k], &e);
			if (got == READ_FAILED)
				r = -1;
			else if (got == READ_GONE)
				*dying = true;
			else if (e.ppid == parent)
				pid_list_add(out, kids.pids[k]);
		}
	}
	pid_list_free(&kids);
	return r;
}

/* p's tree without looking at every process on the machine: its main
 * process, the orphans among tend's own children, and what descends from
 * them, by the kernel's lists of children. A handful of reads for a
 * process without children, where a scan reads every process's stat: that
 * made stopping 1000 services one after another take seconds.
 *
 * A process whose parent dies during the walk moves to tend after tend's
 * children were listed. It moves before its parent is a zombie, and tend
 * reaps nothing meanwhile: so when a listed process turned out dead, tend's
 * children are listed again, a few rounds at most. */
#define WALK_ROUNDS 8
static int walk_members(struct tracker *tr, const struct tree *tree, struct pid_list *out)
{
	pid_t self = getpid();
	struct proc_entry e;
	size_t walked = 0;
	bool dying;

	int main_read = tree->main ? read_stat(tree->main, &e) : READ_GONE;
	if (main_read == READ_FAILED)
		return -1;
	if (main_read == READ_OK)
		pid_list_add(out, tree->main);
	for (int round = 0; round < WALK_ROUNDS; round++) {
		dying = false;
		if (claim_orphans(tr, tree, self, out, &dying) < 0)
			return -1;
		if (add_descendants(out, walked, &dying) < 0)
			return -1;
		walked = out->len;
		if (!dying)
			break;
	}
	return 0;
}

int ancestry_members(struct tracker *tr, const struct tree *tree, struct pid_list *out)
{
	struct proc_table own = { 0 };
	struct proc_table *tab = tr->batch;
	pid_t self = getpid();
	/* An adopted tree's orphans went to whatever reaps for the dead tend:
	 * only a look at every process finds them. */
	if (!tab && !tree->adopted && walk_members(tr, tree, out) == 0)
		return 0;
	if (!tab) {
		out->len = 0; /* what a failed walk found is taken again */
		scan_proc(&own);
		tab = &own;
	}
	if (tab->unreadable) {
		free(own.v);
		errno = tab->err;
		return -1;
	}
	for (size_t i = 0; i < tab->len; i++) {
		struct proc_entry *e = &tab->v[i];
		if (e->pid == tree->main || (e->ppid == self && orphan_belongs_to(tr, e, tree)) ||
		    (tree->adopted && tree->session && e->session == tree->session &&
		     e->pid != self))
			pid_list_add(out, e->pid);
	}
	/* Add children of members until nothing new turns up. */
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t i = 0; i < tab->len; i++) {
			struct proc_entry *e = &tab->v[i];
			if (e->pid != self && !pid_list_has(out, e->pid) &&
			    pid_list_has(out, e->ppid)) {
				pid_list_add(out, e->pid);
				grew = true;
			}
		}
	}
	free(own.v);
	return 0;
}

bool proc_alive_since(pid_t pid, unsigned long long ticks)
{
	struct proc_stat st;
	if (pid <= 0 || proc_stat_read(pid, &st) != 0 || st.state == 'Z' || st.state == 'X')
		return false;
	return !ticks || st.start_ticks == ticks;
}

int session_members(pid_t session, unsigned long long ticks, struct pid_list *out)
{
	struct proc_stat st;
	if (session <= 0)
		return 0;
	/* A session's number is not given to another process while any
	 * member lives: a leader alive with another start time is another's. */
	if (proc_stat_read(session, &st) == 0 && ticks && st.start_ticks != ticks)
		return 0;
	struct proc_table tab = { 0 };
	scan_proc(&tab);
	if (tab.unreadable) {
		free(tab.v);
		errno = tab.err;
		return -1;
	}
	size_t from = out->len;
	for (size_t i = 0; i < tab.len; i++)
		if (tab.v[i].session == session && tab.v[i].pid != getpid())
			pid_list_add(out, tab.v[i].pid);
	/* and their descendants that left the session (setsid), by parent */
	for (bool grew = from < out->len; grew;) {
		grew = false;
		for (size_t i = 0; i < tab.len; i++) {
			const struct proc_entry *e = &tab.v[i];
			if (e->pid == getpid() || pid_list_has(out, e->pid))
				continue;
			for (size_t k = from; k < out->len; k++)
				if (out->pids[k] == e->ppid) {
					pid_list_add(out, e->pid);
					grew = true;
					break;
				}
		}
	}
	free(tab.v);
	return 0;
}

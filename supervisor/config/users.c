#include "config/users.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSWD_FILE "/etc/passwd"
#define GROUP_FILE "/etc/group"
#define MAX_FIELDS 7

/* A name that is a number: the id itself. */
static bool numeric_id(const char *name, unsigned long *id)
{
	char *end;
	if (!name[0] || strspn(name, "0123456789") != strlen(name))
		return false;
	*id = strtoul(name, &end, 10);
	return *id < (unsigned long)(uid_t)-1;
}

/* Splits line into exactly n colon-separated fields; false if it has
 * fewer or more. */
static bool split_fields(char *line, char **fields, size_t n)
{
	size_t k = 0;
	for (char *s = line; s; k++) {
		if (k == n)
			return false;
		fields[k] = s;
		s = strchr(s, ':');
		if (s)
			*s++ = '\0';
	}
	return k == n;
}

/* Calls visit with the fields of each line of file that has nfields of
 * them, until visit returns true. Lines of any length (getline): a cut
 * line could make one member name out of another. 0 when a visit
 * returned true, -1 otherwise. */
static int scan(const char *file, size_t nfields, bool (*visit)(char **fields, void *ctx),
		void *ctx)
{
	FILE *f = fopen(file, "re");
	if (!f)
		return -1;
	char *line = NULL, *fields[MAX_FIELDS];
	size_t cap = 0;
	int rc = -1;
	while (rc < 0 && getline(&line, &cap, f) >= 0) {
		line[strcspn(line, "\n")] = '\0';
		if (split_fields(line, fields, nfields) && visit(fields, ctx))
			rc = 0;
	}
	free(line);
	fclose(f);
	return rc;
}

struct passwd_query {
	const char *name; /* a login name, or a uid in digits */
	bool by_uid;
	uid_t uid;
	gid_t gid;
	char *login;
	size_t len;
};

static bool passwd_line(char **f, void *ctx)
{
	struct passwd_query *q = ctx;
	unsigned long uid, gid;
	if (strcmp(f[q->by_uid ? 2 : 0], q->name) != 0 || !numeric_id(f[2], &uid) ||
	    !numeric_id(f[3], &gid))
		return false;
	q->uid = (uid_t)uid;
	q->gid = (gid_t)gid;
	snprintf(q->login, q->len, "%s", f[0]);
	return true;
}

int user_lookup(const char *name, uid_t *uid, gid_t *gid, char *login, size_t len)
{
	unsigned long id = 0;
	struct passwd_query q = { .name = name, .login = login, .len = len };
	q.by_uid = numeric_id(name, &id);
	if (scan(PASSWD_FILE, 7, passwd_line, &q) == 0) {
		*uid = q.uid;
		*gid = q.gid;
		return 0;
	}
	if (!q.by_uid)
		return -1;
	/* A uid no line names: that uid, with the group of the same number,
	 * and no login name (so no groups from /etc/group). */
	*uid = (uid_t)id;
	*gid = (gid_t)id;
	snprintf(login, len, "%s", "");
	return 0;
}

struct group_query {
	const char *name;
	gid_t gid;
};

static bool group_line(char **f, void *ctx)
{
	struct group_query *q = ctx;
	unsigned long gid;
	if (strcmp(f[0], q->name) != 0 || !numeric_id(f[2], &gid))
		return false;
	q->gid = (gid_t)gid;
	return true;
}

int group_lookup(const char *name, gid_t *gid)
{
	unsigned long id;
	struct group_query q = { .name = name };
	if (numeric_id(name, &id)) {
		*gid = (gid_t)id;
		return 0;
	}
	if (scan(GROUP_FILE, 4, group_line, &q) < 0)
		return -1;
	*gid = q.gid;
	return 0;
}

struct membership_query {
	const char *login;
	gid_t *groups;
	size_t n, max;
	bool overflow;
};

static bool membership_line(char **f, void *ctx)
{
	struct membership_query *q = ctx;
	unsigned long gid;
	if (!numeric_id(f[2], &gid))
		return false;
	for (char *save, *m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save)) {
		if (strcmp(m, q->login) != 0)
			continue;
		bool known = gid_in(q->groups, q->n, (gid_t)gid);
		if (!known && q->n == q->max)
			q->overflow = true;
		else if (!known)
			q->groups[q->n++] = (gid_t)gid;
	}
	return false; /* every line */
}

bool gid_in(const gid_t *groups, size_t n, gid_t gid)
{
	for (size_t i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

ssize_t user_memberships(const char *login, gid_t *groups, size_t max)
{
	struct membership_query q = { .login = login, .groups = groups, .max = max };
	if (login[0])
		scan(GROUP_FILE, 4, membership_line, &q);
	return q.overflow ? -1 : (ssize_t)q.n;
}

#include "config/users.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSWD_FILE "/etc/passwd"
#define GROUP_FILE "/etc/group"

/* A name that is a number: the id itself. */
static bool numeric_id(const char *name, unsigned long *id)
{
	char *end;
	if (!name[0] || strspn(name, "0123456789") != strlen(name))
		return false;
	*id = strtoul(name, &end, 10);
	return *id < (unsigned long)(uid_t)-1;
}

/* The line of file whose field number `key` is name, split into its
 * colon-separated fields (exactly nfields of them). 0, or -1: no such line. */
static int find_line(const char *file, size_t key, const char *name, char **fields, size_t nfields,
		     char *line, size_t len)
{
	FILE *f = fopen(file, "re");
	if (!f)
		return -1;
	int rc = -1;
	while (rc < 0 && fgets(line, (int)len, f)) {
		line[strcspn(line, "\n")] = '\0';
		size_t n = 0;
		for (char *s = line; n < nfields; n++) {
			fields[n] = s;
			char *colon = strchr(s, ':');
			if (!colon) {
				n++;
				break;
			}
			*colon = '\0';
			s = colon + 1;
		}
		if (n == nfields && strcmp(fields[key], name) == 0)
			rc = 0;
	}
	fclose(f);
	return rc;
}

int user_lookup(const char *name, uid_t *uid, gid_t *gid)
{
	char line[4096], *f[7];
	unsigned long id;
	/* A number: that uid, with its passwd line's group if it has one,
	 * else the group of the same number. */
	if (numeric_id(name, &id)) {
		*uid = (uid_t)id;
		*gid = (gid_t)id;
		if (find_line(PASSWD_FILE, 2, name, f, 7, line, sizeof(line)) == 0 &&
		    numeric_id(f[3], &id))
			*gid = (gid_t)id;
		return 0;
	}
	if (find_line(PASSWD_FILE, 0, name, f, 7, line, sizeof(line)) < 0 || !numeric_id(f[2], &id))
		return -1;
	*uid = (uid_t)id;
	if (!numeric_id(f[3], &id))
		return -1;
	*gid = (gid_t)id;
	return 0;
}

int group_lookup(const char *name, gid_t *gid)
{
	char line[4096], *f[4];
	unsigned long id;
	if (numeric_id(name, &id) ||
	    (find_line(GROUP_FILE, 0, name, f, 4, line, sizeof(line)) == 0 &&
	     numeric_id(f[2], &id))) {
		*gid = (gid_t)id;
		return 0;
	}
	return -1;
}

static size_t add_group(gid_t *groups, size_t n, size_t max, gid_t gid)
{
	for (size_t i = 0; i < n; i++)
		if (groups[i] == gid)
			return n;
	if (n < max)
		groups[n++] = gid;
	return n;
}

size_t user_memberships(const char *user, gid_t *groups, size_t n, size_t max)
{
	char line[8192];
	FILE *f = fopen(GROUP_FILE, "re");
	if (!f)
		return n;
	while (fgets(line, sizeof(line), f)) {
		char *fields[4], *s = line;
		line[strcspn(line, "\n")] = '\0';
		size_t k = 0;
		for (; k < 4 && s; k++) {
			fields[k] = s;
			s = strchr(s, ':');
			if (s)
				*s++ = '\0';
		}
		unsigned long id;
		if (k < 4 || !numeric_id(fields[2], &id))
			continue;
		for (char *save, *m = strtok_r(fields[3], ",", &save); m;
		     m = strtok_r(NULL, ",", &save))
			if (strcmp(m, user) == 0)
				n = add_group(groups, n, max, (gid_t)id);
	}
	fclose(f);
	return n;
}

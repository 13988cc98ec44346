/* Seccomp profiles in the declarations model: their names and values,
 * comparison for reload and the text a group carries of its profile.
 * Compiling them is tenant/'s. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libtend/cmdline.h"
#include "base/buf.h"
#include "base/str.h"
#include "config/config.h"
#include "config/syscall_sets.h"

static const char *const action_names[] = {
	[SECCOMP_ACTION_ALLOW] = "allow",
	[SECCOMP_ACTION_ERRNO] = "errno",
	[SECCOMP_ACTION_KILL] = "kill",
	[SECCOMP_ACTION_LOG] = "log",
};

static const char *const list_names[SECCOMP_NLISTS] = {
	[SECCOMP_DENY] = "deny",
	[SECCOMP_ENOSYS] = "enosys",
	[SECCOMP_LOG] = "log",
	[SECCOMP_ALLOW] = "allow",
};

const char *seccomp_action_name(enum seccomp_action a)
{
	return (unsigned)a <= SECCOMP_ACTION_LOG ? action_names[a] : "?";
}

const char *seccomp_list_name(enum seccomp_list l)
{
	return (unsigned)l < SECCOMP_NLISTS ? list_names[l] : "?";
}

int seccomp_action_parse(const char *name, enum seccomp_action *a)
{
	for (unsigned i = 0; name && i <= SECCOMP_ACTION_LOG; i++)
		if (strcmp(name, action_names[i]) == 0) {
			*a = (enum seccomp_action)i;
			return 0;
		}
	return -1;
}

int errno_parse(const char *text, int *value)
{
	long n = 0;
	const char *p = text;

	if (!text || !*text)
		return -1;
	if (*p >= '0' && *p <= '9') {
		for (; *p >= '0' && *p <= '9' && n <= MAX_ERRNO; p++)
			n = n * 10 + (*p - '0');
		if (*p || n < 1 || n > MAX_ERRNO)
			return -1;
		*value = (int)n;
		return 0;
	}
	/* glibc knows the names (strerrorname_np, glibc 2.32) */
	for (int e = 1; e <= MAX_ERRNO; e++) {
		const char *name = strerrorname_np(e);
		if (name && strcmp(name, text) == 0) {
			*value = e;
			return 0;
		}
	}
	return -1;
}

const char *seccomp_name_check(const char *name)
{
	if (name[0] == '@')
		return syscall_set_find(name) ? NULL
					      : "no such set (see README, \"Seccomp profiles\")";
	/* a negative number other than __NR_SCMP_ERROR: a call of another
	 * architecture, known to libseccomp (skipped when compiling) */
	if (seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
		return "no such system call (libseccomp does not know it)";
	return NULL;
}

void seccomp_decl_free(struct seccomp_decl *s)
{
	free(s->name);
	for (int i = 0; i < SECCOMP_NLISTS; i++)
		argv_free(s->lists[i]);
	free(s->file);
	*s = (struct seccomp_decl){ 0 };
}

bool seccomp_decl_equal(const struct seccomp_decl *a, const struct seccomp_decl *b)
{
	if (!str_equal(a->name, b->name) || a->default_action != b->default_action ||
	    a->errno_value != b->errno_value)
		return false;
	for (int i = 0; i < SECCOMP_NLISTS; i++)
		if (!argv_equal(a->lists[i], b->lists[i]))
			return false;
	return true;
}

char *seccomp_decl_text(const struct seccomp_decl *s)
{
	struct buf b = { 0 };
	char *text;

	buf_printf(&b, "%s: default=%s errno=%d", s->name, seccomp_action_name(s->default_action),
		   s->errno_value);
	for (int i = 0; i < SECCOMP_NLISTS; i++) {
		if (!s->lists[i] || !s->lists[i][0])
			continue;
		buf_printf(&b, " %s=", list_names[i]);
		for (size_t k = 0; s->lists[i][k]; k++)
			buf_printf(&b, "%s%s", k ? "," : "", s->lists[i][k]);
	}
	text = b.oom ? NULL : strndup(b.data ? b.data : "", b.len);
	buf_free(&b);
	return text;
}

const struct seccomp_decl *config_find_profile(const struct config *cfg, const char *name)
{
	for (size_t i = 0; cfg && name && i < cfg->nprofiles; i++)
		if (strcmp(cfg->profiles[i].name, name) == 0)
			return &cfg->profiles[i];
	return NULL;
}

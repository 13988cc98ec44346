#include "sys/environment.h"
#include "libtend/cmdline.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* True when list has an entry with entry's KEY. */
static bool has_key(char *const *list, const char *entry)
{
	size_t klen = strcspn(entry, "=");
	for (; list && *list; list++)
		if (strncmp(*list, entry, klen) == 0 && (*list)[klen] == '=')
			return true;
	return false;
}

static bool tend_owned(const char *entry)
{
	static char *const keys[] = { "TEND_PROCESS=",	"NOTIFY_SOCKET=", "TEND_WATCHDOG=",
				      "WATCHDOG_USEC=", "WATCHDOG_PID=",  NULL };
	return has_key(keys, entry);
}

char **environment_inherited(void)
{
	char **env = calloc(argv_count(environ) + 1, sizeof(*env));
	size_t k = 0;
	for (char **e = environ; env && *e; e++)
		if (!tend_owned(*e))
			env[k++] = *e;
	return env;
}

char **environment_merge(char *const *base, char *const *add, char *const *own)
{
	size_t n = argv_count(base) + argv_count(add) + argv_count(own) + 1;
	char **env = calloc(n, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	for (char *const *e = base; e && *e; e++)
		if (!add || !add[0] || !has_key(add, *e))
			env[k++] = *e;
	for (; add && *add; add++)
		if (!has_key(own, *add))
			env[k++] = *add;
	for (; own && *own; own++)
		env[k++] = *own;
	env[k] = NULL;
	return env;
}

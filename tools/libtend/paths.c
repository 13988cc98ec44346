/* Where a client finds tend: the default run directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tend.h"

/* n is what snprintf into buf returned: 0 if it fit, else -1 (ENAMETOOLONG). */
static int fits(char *buf, size_t len, int n)
{
	if (n >= 0 && (size_t)n < len)
		return 0;
	if (len > 0)
		buf[0] = '\0';
	errno = ENAMETOOLONG;
	return -1;
}

int tend_default_rundir(char *buf, size_t len)
{
	const char *env = getenv("TEND_RUNDIR");

	/* An empty variable counts as unset, as with $XDG_RUNTIME_DIR. */
	if (env && *env)
		return fits(buf, len, snprintf(buf, len, "%s", env));
	if (geteuid() == 0)
		return fits(buf, len, snprintf(buf, len, "/run/tend"));
	env = getenv("XDG_RUNTIME_DIR");
	if (env && *env)
		return fits(buf, len, snprintf(buf, len, "%s/tend", env));
	return fits(buf, len, snprintf(buf, len, "/tmp/tend-%lu", (unsigned long)getuid()));
}

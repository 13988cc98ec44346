/* Loading a compiled seccomp program in a child. No new privileges first:
 * the kernel requires it of an unprivileged process, and it keeps a
 * confined process from gaining privileges through a set-user-ID program
 * (sudo, su and ping's file capabilities stop working under a profile). */
#include "sys/seccomp_install.h"

#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

int seccomp_install(const struct sock_fprog *prog)
{
	if (!prog)
		return 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0);
}

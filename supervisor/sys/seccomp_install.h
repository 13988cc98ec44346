/* The child side of a seccomp profile: hands a program compiled by tend
 * (tenant/profile.c) to the kernel. Async-signal-safe, allocates nothing:
 * it runs between vfork and exec. */
#ifndef TEND_SYS_SECCOMP_INSTALL_H
#define TEND_SYS_SECCOMP_INSTALL_H

#include <linux/filter.h>

/* PR_SET_NO_NEW_PRIVS, then PR_SET_SECCOMP with prog (NULL: nothing to
 * do). 0, or -1 with errno. */
int seccomp_install(const struct sock_fprog *prog);

#endif

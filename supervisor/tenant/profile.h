/* A seccomp profile compiled for the child side: a classic BPF program,
 * made once per (re)load with libseccomp in tend (parent side), so that
 * a child only hands it to the kernel (sys/seccomp_install.c). */
#ifndef TEND_TENANT_PROFILE_H
#define TEND_TENANT_PROFILE_H

#include <linux/filter.h>
#include <stddef.h>

#include "config/config.h"

/* Compiles d: its lists expanded (named sets, recursively), each call
 * given the action of the first list that names it in the order deny,
 * enosys, log, allow (deny wins), the rest the default action; calls of
 * another architecture than tend's own kill the process. Calls libseccomp
 * does not know on this architecture are skipped. On success 0 and *prog
 * holds the program (prog->filter malloc'd: profile_program_free);
 * otherwise -1 with why (why_len bytes) saying what failed. */
int profile_compile(const struct seccomp_decl *d, struct sock_fprog *prog, char *why,
		    size_t why_len);
/* The same, as libseccomp exports it (profile_compile uses a compact
 * encoding of the same actions where it fits): for the tests, which
 * compare the two. */
int profile_compile_libseccomp(const struct seccomp_decl *d, struct sock_fprog *prog, char *why,
			       size_t why_len);
void profile_program_free(struct sock_fprog *prog);

#endif

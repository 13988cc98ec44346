/* Named sets of system calls ("@mount", "@system-service", ...) that a
 * seccomp profile's lists may name, in the spirit of systemd's
 * SystemCallFilter= groups. README.md ("Seccomp profiles") lists each
 * with its calls and says where it differs from systemd's. */
#ifndef TEND_CONFIG_SYSCALL_SETS_H
#define TEND_CONFIG_SYSCALL_SETS_H

#include <stddef.h>

struct syscall_set {
	const char *name;	  /* "@mount" */
	const char *what;	  /* one line for README and messages */
	const char *const *calls; /* NULL-terminated: names, or "@other" sets */
};

extern const struct syscall_set syscall_sets[];
extern const size_t nsyscall_sets;

/* The set called name ("@mount"); NULL when there is none. */
const struct syscall_set *syscall_set_find(const char *name);

#endif

/* A compact BPF program for a profile: the action of every system call
 * number as ranges, searched as a balanced tree. See compact.c for why. */
#ifndef TEND_TENANT_COMPACT_H
#define TEND_TENANT_COMPACT_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

/* actions[nr] for nr < n is the seccomp return value of call nr; numbers
 * from n on get dflt. arch is the native AUDIT_ARCH_* value: other
 * architectures, and x32 calls on x86-64, get SECCOMP_RET_KILL_PROCESS.
 * 0 with *prog (prog->filter malloc'd); -1 when the ranges are too many
 * for classic BPF's 8-bit jumps (or out of memory): use libseccomp's
 * program then. */
int compact_program(const uint32_t *actions, size_t n, uint32_t dflt, uint32_t arch,
		    struct sock_fprog *prog);

#endif

/* Compiling a seccomp profile with libseccomp. The lists become one
 * action per system call number first, so that libseccomp gets one rule
 * per call (it refuses a second rule of another action for the same
 * call, and a rule that says what the default already says); then the
 * filter is exported as BPF, through a memfd (libseccomp 2.5 exports only
 * to a descriptor), into a program tend owns. The same actions encoded as
 * ranges (compact.c) replace it where they fit: they cost a start far
 * less. */
#include "tenant/profile.h"

#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/syscall_sets.h"
#include "tenant/compact.h"

/* Native system call numbers are small (x86-64: under 500; MIPS: under
 * 7000); a larger one is refused rather than silently dropped. */
#define MAX_NR 8192
#define MAX_SET_DEPTH 8 /* sets naming sets; the table nests two deep */
#define MAX_PROGRAM_BYTES (1u << 20)

/* Per call number: 0 for none yet, else 1 + the list that decided it. */
struct verdicts {
	unsigned char list[MAX_NR];
	int too_large; /* a number beyond MAX_NR, for the message */
};

static void mark(struct verdicts *v, const char *name, enum seccomp_list l)
{
	int nr = seccomp_syscall_resolve_name(name);

	/* unknown to this libseccomp, or a call of another architecture */
	if (nr < 0)
		return;
	if (nr >= MAX_NR) {
		v->too_large = nr;
		return;
	}
	if (!v->list[nr])
		v->list[nr] = (unsigned char)(l + 1);
}

static void mark_name(struct verdicts *v, const char *name, enum seccomp_list l, int depth)
{
	const struct syscall_set *set;

	if (name[0] != '@') {
		mark(v, name, l);
		return;
	}
	set = syscall_set_find(name);
	for (size_t i = 0; set && depth < MAX_SET_DEPTH && set->calls[i]; i++)
		mark_name(v, set->calls[i], l, depth + 1);
}

static uint32_t action_of(enum seccomp_action a, int errno_value)
{
	switch (a) {
	case SECCOMP_ACTION_ALLOW:
		return SCMP_ACT_ALLOW;
	case SECCOMP_ACTION_ERRNO:
		return SCMP_ACT_ERRNO((uint32_t)errno_value);
	case SECCOMP_ACTION_KILL:
		return SCMP_ACT_KILL_PROCESS;
	case SECCOMP_ACTION_LOG:
		return SCMP_ACT_LOG;
	}
	return SCMP_ACT_KILL_PROCESS;
}

static uint32_t list_action(enum seccomp_list l, int errno_value)
{
	switch (l) {
	case SECCOMP_DENY:
		return SCMP_ACT_ERRNO((uint32_t)errno_value);
	case SECCOMP_ENOSYS:
		return SCMP_ACT_ERRNO(ENOSYS);
	case SECCOMP_LOG:
		return SCMP_ACT_LOG;
	case SECCOMP_ALLOW:
	case SECCOMP_NLISTS:
		break;
	}
	return SCMP_ACT_ALLOW;
}

/* One rule per call whose action is not the default's. */
static int add_rules(scmp_filter_ctx ctx, const struct verdicts *v, const struct seccomp_decl *d,
		     uint32_t dflt)
{
	for (int nr = 0; nr < MAX_NR; nr++) {
		uint32_t a;
		int rc;

		if (!v->list[nr])
			continue;
		a = list_action((enum seccomp_list)(v->list[nr] - 1), d->errno_value);
		if (a == dflt)
			continue;
		rc = seccomp_rule_add_exact(ctx, a, nr, 0);
		/* -EDOM: not a call of this architecture after all */
		if (rc < 0 && rc != -EDOM)
			return rc;
	}
	return 0;
}

/* The same actions as ranges (compact.c), where they fit and are
 * shorter: cheaper for the kernel to load at every start. */
static void use_compact(const struct verdicts *v, const struct seccomp_decl *d, uint32_t dflt,
			struct sock_fprog *prog)
{
	uint32_t *actions = malloc(MAX_NR * sizeof(*actions));
	struct sock_fprog compact;

	for (int nr = 0; actions && nr < MAX_NR; nr++)
		actions[nr] =
		    v->list[nr] ? list_action((enum seccomp_list)(v->list[nr] - 1), d->errno_value)
				: dflt;
	if (actions &&
	    compact_program(actions, MAX_NR, dflt, seccomp_arch_native(), &compact) == 0) {
		if (compact.len < prog->len) {
			profile_program_free(prog);
			*prog = compact;
		} else {
			profile_program_free(&compact);
		}
	}
	free(actions);
}

/* The exported program, read back from the memfd it was written to. */
static int read_program(int fd, struct sock_fprog *prog)
{
	off_t size = lseek(fd, 0, SEEK_END);
	struct sock_filter *f;

	if (size <= 0 || size > (off_t)MAX_PROGRAM_BYTES ||
	    size % (off_t)sizeof(struct sock_filter) || lseek(fd, 0, SEEK_SET) < 0)
		return -EINVAL;
	f = malloc((size_t)size);
	if (!f)
		return -ENOMEM;
	if (pread(fd, f, (size_t)size, 0) != size) {
		free(f);
		return -EIO;
	}
	prog->filter = f;
	prog->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	return 0;
}

static int export_program(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("tend-seccomp", MFD_CLOEXEC);
	int rc;

	if (fd < 0)
		return -errno;
	rc = seccomp_export_bpf(ctx, fd);
	if (rc == 0)
		rc = read_program(fd, prog);
	close(fd);
	return rc;
}

static int build(scmp_filter_ctx ctx, const struct seccomp_decl *d, struct verdicts *v,
		 uint32_t dflt)
{
	int rc;

	/* another architecture's calls (x32 too) kill the whole process */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	/* the child sets no_new_privs itself, before loading */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (int l = 0; l < SECCOMP_NLISTS; l++)
		for (size_t i = 0; d->lists[l] && d->lists[l][i]; i++)
			mark_name(v, d->lists[l][i], (enum seccomp_list)l, 0);
	if (rc == 0 && v->too_large)
		rc = -ERANGE;
	if (rc == 0)
		rc = add_rules(ctx, v, d, dflt);
	return rc;
}

/* libseccomp finds out what the kernel supports by trying seccomp(2), which
 * fails where tend runs under a tool that does not emulate it (valgrind);
 * it would then refuse kill-process and log actions. tend only exports
 * the program; the kernel checks it when a child loads it, and a kernel
 * without those actions (before 4.14) refuses it there, as a failed start. */
static void assume_kernel_actions(void)
{
	if (seccomp_api_get() < 3)
		seccomp_api_set(3);
}

static int compile(const struct seccomp_decl *d, struct sock_fprog *prog, bool compact, char *why,
		   size_t why_len)
{
	uint32_t dflt = action_of(d->default_action, d->errno_value);
	scmp_filter_ctx ctx;

	assume_kernel_actions();
	ctx = seccomp_init(dflt);
	struct verdicts *v = calloc(1, sizeof(*v));
	int rc = ctx && v ? build(ctx, d, v, dflt) : -ENOMEM;

	*prog = (struct sock_fprog){ 0 };
	if (rc == 0)
		rc = export_program(ctx, prog);
	if (rc == 0 && compact)
		use_compact(v, d, dflt, prog);
	if (rc == -ERANGE)
		snprintf(why, why_len, "seccomp \"%s\": system call number %d is beyond %d",
			 d->name, v->too_large, MAX_NR);
	else if (rc < 0)
		snprintf(why, why_len, "seccomp \"%s\": libseccomp: %s", d->name, strerror(-rc));
	if (ctx)
		seccomp_release(ctx);
	free(v);
	return rc < 0 ? -1 : 0;
}

int profile_compile(const struct seccomp_decl *d, struct sock_fprog *prog, char *why,
		    size_t why_len)
{
	return compile(d, prog, true, why, why_len);
}

int profile_compile_libseccomp(const struct seccomp_decl *d, struct sock_fprog *prog, char *why,
			       size_t why_len)
{
	return compile(d, prog, false, why, why_len);
}

void profile_program_free(struct sock_fprog *prog)
{
	free(prog->filter);
	*prog = (struct sock_fprog){ 0 };
}

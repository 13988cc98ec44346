/* Why a second encoding of what libseccomp compiles: the kernel's cost of
 * loading a filter grows with its length. At load it JIT-compiles the
 * program and, to fill its per-filter action cache, emulates it once for
 * every system call number of every architecture; measured here (kernel
 * 6.x), about 1.4 us per instruction of a linear program. libseccomp
 * emits at least one comparison per listed call (some 370 instructions
 * for an allow list of @system-service), which made each start ~180 us
 * slower. The same actions as ranges of call numbers take about 70
 * comparisons, searched as a balanced tree (depth ~7).
 *
 * Layout: check the architecture (else kill), load the number, on x86-64
 * kill x32 calls (libseccomp treats them as another architecture too; a
 * number of -1, which a tracer may set to skip a call, goes on as
 * libseccomp lets it),
 * then the tree, whose leaves jump to one return per distinct action at
 * the end. Classic BPF jumps forward only, by at most 255: a tree that
 * would need more is refused, and libseccomp's program is used instead.
 * The unit tests compare both programs on every number and architecture. */
#include "tenant/compact.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#define X32_SYSCALL_BIT 0x40000000u
#define MAX_RETURNS 8

struct ranges {
	uint32_t *start; /* first number of each range, ascending; start[0] = 0 */
	uint32_t *action;
	size_t n;
	uint32_t ret[MAX_RETURNS]; /* the distinct return values, kill first */
	size_t nret;
};

struct emitter {
	struct sock_filter *f;
	size_t at;     /* next instruction */
	size_t ret_at; /* index of the first return */
	const struct ranges *r;
};

static int ret_index(struct ranges *r, uint32_t action)
{
	for (size_t i = 0; i < r->nret; i++)
		if (r->ret[i] == action)
			return (int)i;
	if (r->nret == MAX_RETURNS)
		return -1;
	r->ret[r->nret] = action;
	return (int)r->nret++;
}

static int make_ranges(const uint32_t *actions, size_t n, uint32_t dflt, struct ranges *r)
{
	r->start = malloc((n + 1) * sizeof(*r->start));
	r->action = malloc((n + 1) * sizeof(*r->action));
	if (!r->start || !r->action)
		return -1;
	r->ret[0] = SECCOMP_RET_KILL_PROCESS;
	r->nret = 1;
	for (size_t nr = 0; nr <= n; nr++) {
		uint32_t a = nr < n ? actions[nr] : dflt;
		if (r->n && r->action[r->n - 1] == a)
			continue;
		if (ret_index(r, a) < 0)
			return -1;
		r->start[r->n] = (uint32_t)nr;
		r->action[r->n++] = a;
	}
	return 0;
}

static void put(struct emitter *e, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	e->f[e->at++] = (struct sock_filter){ .code = code, .jt = jt, .jf = jf, .k = k };
}

/* Where ranges [lo, hi) start: their return when one, else their node. */
static size_t target(struct emitter *e, size_t lo, size_t hi, size_t node)
{
	struct ranges *r = (struct ranges *)e->r;

	return hi - lo == 1 ? e->ret_at + (size_t)ret_index(r, r->action[lo]) : node;
}

/* The subtree of ranges [lo, hi), hi - lo >= 2, from e->at on. */
static void emit_tree(struct emitter *e, size_t lo, size_t hi)
{
	size_t mid = (lo + hi) / 2, self = e->at, left, right;

	put(e, BPF_JMP | BPF_JGE | BPF_K, e->r->start[mid], 0, 0);
	left = e->at;
	if (mid - lo >= 2)
		emit_tree(e, lo, mid);
	right = e->at;
	if (hi - mid >= 2)
		emit_tree(e, mid, hi);
	e->f[self].jt = (uint8_t)(target(e, mid, hi, right) - self - 1);
	e->f[self].jf = (uint8_t)(target(e, lo, mid, left) - self - 1);
}

int compact_program(const uint32_t *actions, size_t n, uint32_t dflt, uint32_t arch,
		    struct sock_fprog *prog)
{
	struct ranges r = { 0 };
	bool x86_64 = arch == AUDIT_ARCH_X86_64;
	size_t head = x86_64 ? 6 : 4, nodes, len;
	struct emitter e = { .r = &r };
	int rc = -1;

	if (make_ranges(actions, n, dflt, &r) < 0)
		goto out;
	/* a full binary tree over r.n leaves; for one, a jump to its return */
	nodes = r.n >= 2 ? r.n - 1 : 1;
	len = head + nodes + r.nret;
	/* the farthest jump: from the first node (or the x32 check) to the
	 * last return */
	if (len - head + 1 > 255 || !(e.f = calloc(len, sizeof(*e.f))))
		goto out;
	e.ret_at = head + nodes;
	put(&e, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
	put(&e, BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0);
	put(&e, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
	put(&e, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
	if (x86_64) { /* x32 to the kill return (the first one); -1 to the tree */
		put(&e, BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1);
		put(&e, BPF_JMP | BPF_JEQ | BPF_K, UINT32_MAX, 0, (uint8_t)(e.ret_at - e.at - 1));
	}
	if (r.n >= 2)
		emit_tree(&e, 0, r.n);
	else
		put(&e, BPF_JMP | BPF_JA, (uint32_t)ret_index(&r, r.action[0]), 0, 0);
	for (size_t i = 0; i < r.nret; i++)
		put(&e, BPF_RET | BPF_K, r.ret[i], 0, 0);
	prog->filter = e.f;
	prog->len = (unsigned short)len;
	e.f = NULL;
	rc = 0;
out:
	free(e.f);
	free(r.start);
	free(r.action);
	return rc;
}

/* Compiling seccomp profiles (tenant/profile.c) and loading them
 * (sys/seccomp_install.c): each program is loaded in a forked child that
 * makes system calls and reports what they returned, so that the tests
 * check what a profile does, not how libseccomp spells it. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "config/syscall_sets.h"
#include "sys/seccomp_install.h"
#include "tenant/profile.h"
#include "tenant/tenants.h"

#include <seccomp.h>

#define PROBE_ERRNO 76 /* ENOTUNIQ: what no call here fails with by itself */

/* What the child's calls returned: 0, or the errno. */
struct outcome {
	int socket, settime, getpid, mount;
	int status; /* the child's wait status */
};

static int errno_of(long rc)
{
	return rc < 0 ? errno : 0;
}

static void child(const struct sock_fprog *prog, int fd)
{
	int r[4];

	if (seccomp_install(prog) < 0)
		_exit(3);
	r[0] = errno_of(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	r[1] = errno_of(syscall(SYS_settimeofday, NULL, NULL));
	r[2] = errno_of(syscall(SYS_getpid));
	r[3] = errno_of(syscall(SYS_umount2, "/nonexistent-tend-test", 0));
	if (write(fd, r, sizeof(r)) != sizeof(r))
		_exit(4);
	_exit(0);
}

/* Compiles text (one seccomp section) and runs the probe under it. */
static struct outcome run_profile(const char *text)
{
	char dir[] = "/tmp/tend-test-profile-XXXXXX", path[64], err[1024];
	struct config cfg = { 0 };
	struct sock_fprog prog;
	struct outcome o = { -1, -1, -1, -1, -1 };
	int fds[2], r[4];
	FILE *fp;
	pid_t pid;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.conf", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	if (config_parse_file(path, &cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	unlink(path);
	rmdir(dir);
	assert_int_equal(cfg.nprofiles, 1);
	if (profile_compile(&cfg.profiles[0], &prog, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	config_free(&cfg);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child(&prog, fds[1]);
	close(fds[1]);
	if (read(fds[0], r, sizeof(r)) == sizeof(r)) {
		o.socket = r[0];
		o.settime = r[1];
		o.getpid = r[2];
		o.mount = r[3];
	}
	close(fds[0]);
	assert_int_equal(waitpid(pid, &o.status, 0), pid);
	profile_program_free(&prog);
	return o;
}

static void a_denied_call_fails_with_the_profiles_errno(void **state)
{
	struct outcome o =
	    run_profile("seccomp p { default = allow  deny = { socket }  errno = 76 }");
	(void)state;

	assert_true(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0);
	assert_int_equal(o.socket, PROBE_ERRNO);
	assert_int_equal(o.getpid, 0);
	assert_int_equal(o.settime, 0); /* with no arguments, it changes nothing */
}

static void deny_wins_over_allow(void **state)
{
	struct outcome o = run_profile("seccomp p { default = errno  errno = EPERM\n"
				       "  allow = { @system-service, socket }\n"
				       "  deny = { socket }  errno = 76 }");
	(void)state;

	assert_int_equal(o.socket, PROBE_ERRNO);
	assert_int_equal(o.getpid, 0);
	/* settimeofday is not in @system-service: the default */
	assert_int_equal(o.settime, PROBE_ERRNO);
}

/* A set names its calls, and sets it names: @privileged has @clock. */
static void sets_expand_recursively(void **state)
{
	struct outcome o = run_profile("seccomp p { default = allow  deny = { @privileged }\n"
				       "  errno = ENOTUNIQ }");
	(void)state;

	assert_int_equal(o.settime, PROBE_ERRNO);
	assert_int_equal(o.socket, 0);
	o = run_profile("seccomp p { default = allow  deny = { @mount }  errno = 76 }");
	assert_int_equal(o.mount, PROBE_ERRNO);
	assert_int_equal(o.settime, 0);
}

static void enosys_and_log_lists(void **state)
{
	struct outcome o = run_profile("seccomp p { default = errno  errno = 76\n"
				       "  allow = { @system-service }\n"
				       "  enosys = { socket }  log = { settimeofday } }");
	(void)state;

	assert_int_equal(o.socket, ENOSYS);
	assert_int_equal(o.settime, 0); /* let through, logged */
	assert_int_equal(o.getpid, 0);
}

static void default_log_lets_everything_through(void **state)
{
	struct outcome o = run_profile("seccomp p { default = log }");
	(void)state;

	assert_int_equal(o.socket, 0);
	assert_int_equal(o.getpid, 0);
	assert_true(WIFEXITED(o.status));
}

static void default_kill_kills_the_process_by_sigsys(void **state)
{
	struct outcome o = run_profile("seccomp p { default = kill  allow = { @system-service } }");
	(void)state;

	/* socket is allowed (@network-io), settimeofday is not: killed there */
	assert_true(WIFSIGNALED(o.status));
	assert_int_equal(WTERMSIG(o.status), SIGSYS);
	assert_int_equal(o.socket, -1); /* nothing was reported */
}

/* The program checks the architecture first and kills on another one. */
static void another_architecture_is_killed(void **state)
{
	struct seccomp_decl d = { .name = "p",
				  .default_action = SECCOMP_ACTION_ALLOW,
				  .errno_value = 1 };
	struct sock_fprog prog;
	char err[256];
	bool checks_arch = false, kills = false;
	(void)state;

	assert_int_equal(profile_compile(&d, &prog, err, sizeof(err)), 0);
	assert_true(prog.len > 2);
	/* the first load is of seccomp_data.arch (offset 4) */
	assert_int_equal(prog.filter[0].code, BPF_LD | BPF_W | BPF_ABS);
	assert_int_equal(prog.filter[0].k, offsetof(struct seccomp_data, arch));
	for (unsigned i = 0; i < prog.len; i++) {
		checks_arch |= prog.filter[i].code == (BPF_JMP | BPF_JEQ | BPF_K) &&
			       prog.filter[i].k == AUDIT_ARCH_X86_64;
		kills |= prog.filter[i].code == (BPF_RET | BPF_K) &&
			 prog.filter[i].k == SECCOMP_RET_KILL_PROCESS;
	}
	assert_true(checks_arch);
	assert_true(kills);
	profile_program_free(&prog);
}

/* Runs a classic BPF program on one system call (arguments zero) the way
 * the kernel would; the instructions libseccomp and compact.c emit. */
static uint32_t emulate(const struct sock_fprog *prog, uint32_t nr, uint32_t arch)
{
	uint32_t a = 0;

	for (unsigned pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *f = &prog->filter[pc];
		bool taken = false;
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			a = f->k == offsetof(struct seccomp_data, nr)	  ? nr
			    : f->k == offsetof(struct seccomp_data, arch) ? arch
									  : 0;
			continue;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= f->k;
			continue;
		case BPF_RET | BPF_K:
			return f->k;
		case BPF_JMP | BPF_JA:
			pc += f->k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K:
			taken = a == f->k;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			taken = a > f->k;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			taken = a >= f->k;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			taken = (a & f->k) != 0;
			break;
		default:
			fail_msg("instruction %u: code 0x%x not emulated", pc, f->code);
		}
		pc += taken ? f->jt : f->jf;
	}
	fail_msg("ran off the end of the program");
	return 0;
}

/* The compact program does what libseccomp's does, for every number (and
 * far beyond), on this architecture, on i386 and for x32 calls. */
static void assert_same_programs(const struct seccomp_decl *d)
{
	struct sock_fprog ours, theirs;
	char err[256];
	static const uint32_t arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 0 };
	static const uint32_t far[] = { 0x3fffffff,	 0x40000000, 0x40000001,
					0x40000000 + 41, 0x7fffffff, 0xffffffff };

	if (profile_compile(d, &ours, err, sizeof(err)) != 0 ||
	    profile_compile_libseccomp(d, &theirs, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	for (size_t a = 0; a < sizeof(arches) / sizeof(arches[0]); a++) {
		for (uint32_t nr = 0; nr < 9000; nr++)
			if (emulate(&ours, nr, arches[a]) != emulate(&theirs, nr, arches[a]))
				fail_msg("call %u, arch 0x%x: 0x%x, libseccomp 0x%x", nr, arches[a],
					 emulate(&ours, nr, arches[a]),
					 emulate(&theirs, nr, arches[a]));
		for (size_t i = 0; i < sizeof(far) / sizeof(far[0]); i++)
			assert_int_equal(emulate(&ours, far[i], arches[a]),
					 emulate(&theirs, far[i], arches[a]));
	}
	assert_true(ours.len <= theirs.len);
	profile_program_free(&ours);
	profile_program_free(&theirs);
}

static void compact_programs_match_libseccomps(void **state)
{
	char *allow[] = { "@system-service", NULL }, *deny[] = { "@privileged", "socket", NULL };
	char *enosys[] = { "clone3", NULL }, *log[] = { "ptrace", "@swap", NULL };
	struct seccomp_decl d = { .name = "p",
				  .default_action = SECCOMP_ACTION_ERRNO,
				  .errno_value = 13,
				  .lists = { [SECCOMP_ALLOW] = allow,
					     [SECCOMP_DENY] = deny,
					     [SECCOMP_ENOSYS] = enosys,
					     [SECCOMP_LOG] = log } };
	(void)state;

	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		skip(); /* the emulation names x86-64 and its neighbours */
	assert_same_programs(&d);
	d.default_action = SECCOMP_ACTION_KILL;
	assert_same_programs(&d);
	d.default_action = SECCOMP_ACTION_ALLOW;
	d.lists[SECCOMP_ALLOW] = NULL;
	assert_same_programs(&d);
	d.default_action = SECCOMP_ACTION_LOG;
	memset(d.lists, 0, sizeof(d.lists));
	assert_same_programs(&d); /* one action for every call */
	d.lists[SECCOMP_DENY] = deny + 1;
	assert_same_programs(&d);
}

/* Every set compiles alone, in every list, and the compact program says
 * what libseccomp's does. */
static void every_set_compiles(void **state)
{
	char *list[2] = { NULL, NULL };
	struct sock_fprog prog;
	char err[256];
	(void)state;

	for (size_t i = 0; i < nsyscall_sets; i++) {
		for (int l = 0; l < SECCOMP_NLISTS; l++) {
			struct seccomp_decl d = { .name = "p",
						  .default_action = l == SECCOMP_ALLOW
									? SECCOMP_ACTION_ERRNO
									: SECCOMP_ACTION_ALLOW,
						  .errno_value = 1 };
			list[0] = (char *)syscall_sets[i].name;
			d.lists[l] = list;
			if (profile_compile(&d, &prog, err, sizeof(err)) != 0)
				fail_msg("%s: %s", syscall_sets[i].name, err);
			assert_true(prog.len > 4);
			profile_program_free(&prog);
			if (seccomp_arch_native() == SCMP_ARCH_X86_64)
				assert_same_programs(&d);
		}
	}
}

/* The running tenants: profiles compiled and found by tenant. */
static void tenants_find_their_programs(void **state)
{
	char dir[] = "/tmp/tend-test-profile-XXXXXX", path[64], err[1024];
	struct config cfg = { 0 };
	struct tenants t = { 0 };
	FILE *fp;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.conf", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("seccomp a { default = allow  deny = { socket } }\n"
	      "seccomp b { default = log }\n"
	      "tenant x { seccomp = b }\ntenant y { }\n",
	      fp);
	fclose(fp);
	assert_int_equal(config_parse_file(path, &cfg, err, sizeof(err)), 0);
	unlink(path);
	rmdir(dir);
	assert_int_equal(tenants_prepare(&t, &cfg, err, sizeof(err)), 0);
	assert_null(cfg.tenants); /* taken */
	assert_null(cfg.profiles);
	assert_int_equal(t.nprofiles, 2);
	assert_ptr_equal(tenants_program(&t, "x"), &t.programs[1]);
	assert_null(tenants_program(&t, "y"));
	assert_null(tenants_program(&t, "label-only"));
	assert_non_null(tenants_find(&t, "y"));
	assert_null(tenants_find(&t, "label-only"));
	config_free(&cfg);
	tenants_free(&t);
	assert_int_equal(t.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_denied_call_fails_with_the_profiles_errno),
		cmocka_unit_test(deny_wins_over_allow),
		cmocka_unit_test(sets_expand_recursively),
		cmocka_unit_test(enosys_and_log_lists),
		cmocka_unit_test(default_log_lets_everything_through),
		cmocka_unit_test(default_kill_kills_the_process_by_sigsys),
		cmocka_unit_test(another_architecture_is_killed),
		cmocka_unit_test(compact_programs_match_libseccomps),
		cmocka_unit_test(every_set_compiles),
		cmocka_unit_test(tenants_find_their_programs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

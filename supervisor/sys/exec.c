/* Starting a process: vfork, set the child up, exec. The child gets a clean
 * signal mask and default dispositions, its own session, stdin and output
 * as the request says (or, as a console process, all three on
 * /dev/console), the request's environment, directory, RLIMIT_NOFILE and
 * descriptors, and it joins its cgroup before exec so that nothing it forks
 * can escape; its tenant's seccomp program, if any, is loaded last. vfork:
 * tend's memory is not copied, and tend waits only until the child has
 * exec'ed; a child that cannot exec leaves its errno in tend's memory, so a
 * missing command is reported as such, not as an exit status. The child
 * side allocates nothing and calls only async-signal-safe functions. */
#include "sys/exec.h"
#include "sys/seccomp_install.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child: WATCHDOG_PID=<its pid>, without allocating. */
static void fill_watchdog_pid(char *entry, size_t size)
{
	char digits[16];
	int n = 0;
	for (unsigned v = (unsigned)getpid(); v && n < 16; v /= 10)
		digits[n++] = (char)('0' + v % 10);
	size_t at = strlen(entry);
	while (n > 0 && at + 1 < size)
		entry[at++] = digits[--n];
	entry[at] = '\0';
}

/* The request, and where the vfork child leaves its errno. */
struct child_setup {
	const struct spawn_request *req;
	volatile int err; /* written by the vfork child when it cannot exec */
};

/* Every signal back to its default action. The raw system call, because
 * glibc's sigaction() refuses the two real-time signals it keeps for itself,
 * and a parent (GNU make does) may have left those ignored. */
static void reset_signal_dispositions(void)
{
	struct kernel_sigaction {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask;
	} dfl = { .handler = SIG_DFL };
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
}

int attach_console(bool steal)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return -1;
	ioctl(fd, TIOCSCTTY, steal ? 1 : 0); /* not fatal: output works without it */
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return -1;
	if (fd > 2)
		close(fd);
	return 0;
}

void spawn_reset_signals(void)
{
	sigset_t none;
	sigemptyset(&none);
	reset_signal_dispositions();
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The value of NAME in envp, or NULL. */
static const char *env_value(char *const *envp, const char *name, size_t len)
{
	for (; *envp; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

/* execvp(), but searching the child's own PATH (its declared environment
 * may change it) and without touching the global environ, which a vfork
 * child shares with tend. A file without #! is run by /bin/sh, as execvp
 * does. Returns only on failure, with errno. */
static void exec_search(char *const *argv, char *const *envp)
{
	const char *file = argv[0];
	if (strchr(file, '/')) {
		execve(file, argv, envp);
		return;
	}
	const char *path = env_value(envp, "PATH", 4);
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	size_t flen = strlen(file);
	bool denied = false;
	char buf[4096];
	for (const char *dir = path;; dir++) {
		const char *end = strchr(dir, ':');
		size_t dlen = end ? (size_t)(end - dir) : strlen(dir);
		if (dlen + flen + 2 <= sizeof(buf)) {
			/* the NUL comes with file, copied below */
			/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
			memcpy(buf, dir, dlen);
			size_t n = dlen;
			if (n)
				buf[n++] = '/';
			memcpy(buf + n, file, flen + 1);
			execve(buf, argv, envp);
			if (errno == ENOEXEC) {
				size_t argc = 0;
				while (argv[argc])
					argc++;
				char *sh[argc + 2];
				sh[0] = "/bin/sh";
				sh[1] = buf;
				memcpy(sh + 2, argv + 1, argc * sizeof(*sh)); /* with the NULL */
				execve("/bin/sh", sh, envp);
				return;
			}
			if (errno == EACCES)
				denied = true;
			else if (errno != ENOENT && errno != ENOTDIR)
				return;
		}
		if (!end)
			break;
		dir = end;
	}
	errno = denied ? EACCES : ENOENT;
}

/* The request's user and groups, after the cgroup and the console (which
 * need tend's) and before the working directory (reached as the user).
 * setuid last: after it, changing groups is no longer allowed. */
static int drop_credentials(const struct spawn_request *r)
{
	if (r->ngroups >= 0 && setgroups((size_t)r->ngroups, r->groups) < 0)
		return -1;
	if (r->gid != (gid_t)-1 && setgid(r->gid) < 0)
		return -1;
	if (r->uid != (uid_t)-1 && setuid(r->uid) < 0)
		return -1;
	return 0;
}

/* Runs in the vfork child, in tend's memory, until exec: only
 * async-signal-safe calls, no writes to tend's data but cs->err (and the
 * request's WATCHDOG_PID= entry, which is the child's to fill in). */
static void __attribute__((noreturn, noinline)) child_exec(struct child_setup *cs)
{
	const struct spawn_request *r = cs->req;
	spawn_reset_signals();
	setsid();
	if (r->cgroup_fd >= 0 && write(r->cgroup_fd, "0", 1) < 0)
		goto fail;
	if (r->output_fd < 0) {
		if (attach_console(r->steal_console) < 0)
			goto fail;
	} else if (dup2(r->stdin_fd, 0) < 0 || dup2(r->output_fd, 1) < 0 ||
		   dup2(r->output_fd, 2) < 0) {
		goto fail;
	}
	if (drop_credentials(r) < 0 || (r->directory && chdir(r->directory) < 0))
		goto fail;
	/* Whatever tend itself inherited (a shell's or test runner's fds) is
	 * not for the child: only 0, 1 and 2 survive exec (and a ready fd). */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (r->ready_fd >= 0 &&
	    (r->ready_fd == r->ready_target ? fcntl(r->ready_fd, F_SETFD, 0) < 0
					    : dup2(r->ready_fd, r->ready_target) < 0))
		goto fail;
	if (r->watchdog_fd >= 0 && fcntl(r->watchdog_fd, F_SETFD, 0) < 0)
		goto fail;
	if (r->watchdog_pid)
		fill_watchdog_pid(r->watchdog_pid, r->watchdog_pid_size);
	setrlimit(RLIMIT_NOFILE, &r->nofile);
	/* Last: from here on the profile decides what the child may do, and
	 * the exec below must be one of the calls it allows. */
	if (seccomp_install(r->seccomp) < 0)
		goto fail;
	exec_search(r->argv, r->envp);
fail:
	cs->err = errno ? errno : ENOEXEC; /* tend reads it once we are gone */
	_exit(127);
}

pid_t spawn_request_run(const struct spawn_request *req, int *err)
{
	struct child_setup cs = { .req = req };
	/* The vfork child writes cs.err in this very frame, which the compiler
	 * cannot know: the pointer is laundered so that it neither assumes the
	 * child's path away nor keeps cs.err's initial value in a register. */
	struct child_setup *shared = &cs;
	__asm__ volatile("" : "+r"(shared) : : "memory");
	/* vfork: tend waits, without copying its memory, until the child has
	 * exec'ed or given up; the child says why in cs.err. */
	pid_t pid = vfork();
	if (pid == 0)
		child_exec(shared);
	__asm__ volatile("" : : : "memory");
	if (pid < 0) {
		*err = errno;
		return -1;
	}
	if (shared->err) {
		waitpid(pid, NULL, 0);
		*err = shared->err;
		return -1;
	}
	return pid;
}

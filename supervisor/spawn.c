/* Starting a process: fork, set the child up, exec. The child gets a clean
 * signal mask and default dispositions, its own session, stdin from
 * /dev/null, stdout and stderr to its log pipe (proclog.c) or, with
 * `console = true`, all three on /dev/console, the environment tend
 * inherited plus the declared additions and TEND_PROCESS=group/process, the
 * RLIMIT_NOFILE tend inherited, and it joins its cgroup before exec so that
 * nothing it forks can escape. Exec errors come back through a close-on-exec
 * pipe, so a missing command is reported as such, not as an exit status. */
#include "cmdline.h"
#include "log.h"
#include "context.h"

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
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static bool env_overridden(char *const *additions, const char *entry)
{
	size_t klen = strcspn(entry, "=");
	for (; additions && *additions; additions++)
		if (strncmp(*additions, entry, klen) == 0 && (*additions)[klen] == '=')
			return true;
	return strncmp(entry, "TEND_PROCESS=", 13) == 0;
}

/* environ minus what the declaration overrides, plus the additions and the tag. */
static char **build_environment(const struct process *p, char *tag)
{
	char *const *add = p->decl->environment;
	size_t n = argv_count(environ) + argv_count(add) + 2;
	char **env = calloc(n, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	for (char **e = environ; *e; e++)
		if (!env_overridden(add, *e))
			env[k++] = *e;
	for (; add && *add; add++)
		env[k++] = *add;
	env[k++] = tag;
	env[k] = NULL;
	return env;
}

struct child_setup {
	char *const *argv;
	char **envp;
	const char *directory;
	int log_fd; /* -1: a console process */
	int devnull;
	int cgroup_fd;
	int report_fd;
	struct rlimit nofile;
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

/* A getty-like process: the console is its stdin, stdout and stderr and
 * its controlling terminal (taken even from an earlier session that still
 * holds it, so job control works after a restart). Runs in the child after
 * setsid(). */
static int attach_console(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return -1;
	ioctl(fd, TIOCSCTTY, 1); /* not fatal: output works without it */
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return -1;
	if (fd > 2)
		close(fd);
	return 0;
}

/* Runs in the child between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn)) child_exec(const struct child_setup *cs)
{
	sigset_t none;
	sigemptyset(&none);
	reset_signal_dispositions();
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (cs->cgroup_fd >= 0 && write(cs->cgroup_fd, "0", 1) < 0)
		goto fail;
	if (cs->log_fd < 0) {
		if (attach_console() < 0)
			goto fail;
	} else if (dup2(cs->devnull, 0) < 0 || dup2(cs->log_fd, 1) < 0 || dup2(cs->log_fd, 2) < 0) {
		goto fail;
	}
	if (cs->directory && chdir(cs->directory) < 0)
		goto fail;
	/* Whatever tend itself inherited (a shell's or test runner's fds) is
	 * not for the child: only 0, 1 and 2 survive exec. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	setrlimit(RLIMIT_NOFILE, &cs->nofile);
	environ = cs->envp;
	execvp(cs->argv[0], cs->argv);
fail:;
	int err = errno;
	if (write(cs->report_fd, &err, sizeof(err)) < 0)
		_exit(126);
	_exit(127);
}

/* Waits for the child to exec or to report why it could not. */
static pid_t await_exec(pid_t pid, int report_fd, int *err)
{
	int child_errno;
	ssize_t n;
	do
		n = read(report_fd, &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(child_errno))
		return pid; /* pipe closed by exec: it runs */
	waitpid(pid, NULL, 0);
	*err = child_errno;
	return -1;
}

pid_t spawn_process(struct tend *t, struct process *p, int *err)
{
	char tag[PROCESS_TAG_LEN];
	process_tag(p, tag, sizeof(tag));
	struct child_setup cs = {
		.argv = p->decl->argv,
		.directory = p->decl->directory,
		.devnull = t->devnull,
		.nofile = t->nofile,
		.cgroup_fd = -1,
		.log_fd = -1,
		.report_fd = -1,
	};
	int pipefd[2] = { -1, -1 };
	pid_t pid = -1;

	/* Each step that fails says why in *err; none may be skipped: a process
	 * outside its cgroup could not be stopped. */
	if (!(cs.envp = build_environment(p, tag))) {
		*err = ENOMEM;
		goto out;
	}
	if ((!p->decl->console && (cs.log_fd = proclog_output_fd(t, p)) < 0) ||
	    (t->tracker.mode == TRACK_CGROUP && (cs.cgroup_fd = tracker_prepare(t, p)) < 0) ||
	    pipe2(pipefd, O_CLOEXEC) < 0) {
		*err = errno;
		goto out;
	}
	cs.report_fd = pipefd[1];
	pid = fork();
	if (pid == 0)
		child_exec(&cs);
	if (pid < 0) {
		*err = errno;
		goto out;
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	pid = await_exec(pid, pipefd[0], err);
out:
	for (int i = 0; i < 2; i++)
		if (pipefd[i] >= 0)
			close(pipefd[i]);
	if (cs.cgroup_fd >= 0)
		close(cs.cgroup_fd);
	free(cs.envp);
	return pid;
}

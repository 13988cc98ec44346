/* Starting a process: vfork, set the child up, exec. The child gets a clean
 * signal mask and default dispositions, its own session, stdin from
 * /dev/null, stdout and stderr to its log pipe (proclog.c) or, with
 * `console = true`, all three on /dev/console, the environment tend
 * inherited plus the declared additions and TEND_PROCESS=group/process, the
 * RLIMIT_NOFILE tend inherited, and it joins its cgroup before exec so that
 * nothing it forks can escape. vfork: tend's memory is not copied, and tend
 * waits only until the child has exec'ed; a child that cannot exec leaves
 * its errno in tend's memory, so a missing command is reported as such,
 * not as an exit status. */
#include "libtend/cmdline.h"
#include "sys/log.h"
#include "core/readiness.h"
#include "core/spawn.h"
#include "core/context.h"

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

/* True when list has an entry with entry's KEY. */
static bool has_key(char *const *list, const char *entry)
{
	size_t klen = strcspn(entry, "=");
	for (; list && *list; list++)
		if (strncmp(*list, entry, klen) == 0 && (*list)[klen] == '=')
			return true;
	return false;
}

/* What tend says to each process itself. Inherited copies (tend may run
 * under systemd or another tend) never reach a child, even unset. */
static bool tend_owned(const char *entry)
{
	static char *const keys[] = { "TEND_PROCESS=",	"NOTIFY_SOCKET=", "TEND_WATCHDOG=",
				      "WATCHDOG_USEC=", "WATCHDOG_PID=",  NULL };
	return has_key(keys, entry);
}

/* environ minus tend's own entries, worked out once: environ does not
 * change once tend runs, and a spawn should cost little. */
static char **base_environment(struct tend *t)
{
	if (t->base_env)
		return t->base_env;
	char **env = calloc(argv_count(environ) + 1, sizeof(*env));
	size_t k = 0;
	for (char **e = environ; env && *e; e++)
		if (!tend_owned(*e))
			env[k++] = *e;
	return t->base_env = env;
}

/* environ minus what the declaration or tend overrides, plus the
 * declaration's additions, plus tend's own entries (`own`, which win). */
static char **build_environment(struct tend *t, const struct process *p, char *const *own)
{
	char *const *add = p->decl->environment;
	char **base = base_environment(t);
	if (!base)
		return NULL;
	size_t n = argv_count(base) + argv_count(add) + argv_count((char **)own) + 1;
	char **env = calloc(n, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	for (char **e = base; *e; e++)
		if (!add || !add[0] || !has_key(add, *e))
			env[k++] = *e;
	for (; add && *add; add++)
		if (!has_key(own, *add))
			env[k++] = *add;
	for (; *own; own++)
		env[k++] = *own;
	env[k] = NULL;
	return env;
}

/* The entries tend gives a process: its tag, NOTIFY_SOCKET, and with a
 * watchdog TEND_WATCHDOG, WATCHDOG_USEC and WATCHDOG_PID (whose number the
 * child fills in: only it knows its pid before exec). */
struct own_env {
	char tag[PROCESS_TAG_LEN];
	char *notify;
	char watchdog[64];
	char usec[48];
	char pid[32];
	char *list[6];
};

/* wd_fd: the number the child has its watchdog page's memfd under. */
static int own_environment(struct tend *t, struct process *p, int wd_fd, struct own_env *o)
{
	size_t k = 0;
	o->list[k++] = (char *)process_tag(p, o->tag, sizeof(o->tag));
	if (t->notify_path && asprintf(&o->notify, "NOTIFY_SOCKET=%s", t->notify_path) < 0) {
		o->notify = NULL;
		return -1;
	}
	if (o->notify)
		o->list[k++] = o->notify;
	if (wd_fd >= 0) {
		snprintf(o->watchdog, sizeof(o->watchdog), "TEND_WATCHDOG=/proc/self/fd/%d", wd_fd);
		o->list[k++] = o->watchdog;
		snprintf(o->usec, sizeof(o->usec), "WATCHDOG_USEC=%llu",
			 (unsigned long long)p->decl->watchdog_ms * 1000u);
		o->list[k++] = o->usec;
		snprintf(o->pid, sizeof(o->pid), "WATCHDOG_PID=");
		o->list[k++] = o->pid;
	}
	o->list[k] = NULL;
	return 0;
}

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

struct child_setup {
	char *const *argv;
	char **envp;
	char *watchdog_pid; /* the WATCHDOG_PID= entry to complete, or NULL */
	size_t watchdog_pid_size;
	int ready_w;	    /* ready = fd:N: the pipe's write end, -1: none */
	int ready_target;   /* N */
	int watchdog_fd;    /* the page's memfd, kept open across exec; -1: none */
	bool steal_console; /* take the console from another session (PID 1 of the machine) */
	const char *directory;
	int log_fd; /* -1: a console process */
	int devnull;
	int cgroup_fd;
	volatile int err; /* written by the vfork child when it cannot exec */
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

/* Runs in the vfork child, in tend's memory, until exec: only
 * async-signal-safe calls, no writes to tend's data but cs->err. */
static void __attribute__((noreturn)) child_exec(struct child_setup *cs)
{
	spawn_reset_signals();
	setsid();
	if (cs->cgroup_fd >= 0 && write(cs->cgroup_fd, "0", 1) < 0)
		goto fail;
	if (cs->log_fd < 0) {
		if (attach_console(cs->steal_console) < 0)
			goto fail;
	} else if (dup2(cs->devnull, 0) < 0 || dup2(cs->log_fd, 1) < 0 || dup2(cs->log_fd, 2) < 0) {
		goto fail;
	}
	if (cs->directory && chdir(cs->directory) < 0)
		goto fail;
	/* Whatever tend itself inherited (a shell's or test runner's fds) is
	 * not for the child: only 0, 1 and 2 survive exec (and a ready fd). */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (cs->ready_w >= 0 &&
	    (cs->ready_w == cs->ready_target ? fcntl(cs->ready_w, F_SETFD, 0) < 0
					     : dup2(cs->ready_w, cs->ready_target) < 0))
		goto fail;
	if (cs->watchdog_fd >= 0 && fcntl(cs->watchdog_fd, F_SETFD, 0) < 0)
		goto fail;
	if (cs->watchdog_pid)
		fill_watchdog_pid(cs->watchdog_pid, cs->watchdog_pid_size);
	setrlimit(RLIMIT_NOFILE, &cs->nofile);
	exec_search(cs->argv, cs->envp);
fail:
	cs->err = errno ? errno : ENOEXEC; /* tend reads it once we are gone */
	_exit(127);
}

pid_t spawn_process(struct tend *t, struct process *p, int *err)
{
	struct own_env own = { 0 };
	struct child_setup cs = {
		.argv = p->decl->argv,
		.directory = p->decl->directory,
		.devnull = t->devnull,
		.nofile = t->nofile,
		.cgroup_fd = -1,
		.log_fd = -1,
		.ready_w = -1,
		.ready_target = p->decl->ready_fd,
		.watchdog_fd = -1,
		/* asked only for a console process: it looks at /proc */
		.steal_console = p->decl->console && t->mode == MODE_PID1 && pid1_owns_machine(),
	};
	pid_t pid = -1;

	/* Each step that fails says why in *err; none may be skipped: a process
	 * outside its cgroup could not be stopped. */
	if (watchdog_prepare(t, p) < 0 || readiness_pipe(t, p, &cs.ready_w) < 0) {
		*err = errno;
		goto out;
	}
	/* The page's descriptor must not be the number the ready fd takes. */
	cs.watchdog_fd = watchdog_child_fd(p);
	if (cs.watchdog_fd >= 0 && cs.watchdog_fd == cs.ready_target &&
	    (cs.watchdog_fd = fcntl(watchdog_child_fd(p), F_DUPFD_CLOEXEC, cs.ready_target + 1)) <
		0) {
		*err = errno;
		goto out;
	}
	if (own_environment(t, p, cs.watchdog_fd, &own) < 0 ||
	    !(cs.envp = build_environment(t, p, own.list))) {
		*err = ENOMEM;
		goto out;
	}
	if (watchdog_has_page(p)) {
		cs.watchdog_pid = own.pid;
		cs.watchdog_pid_size = sizeof(own.pid);
	}
	if ((!p->decl->console && (cs.log_fd = proclog_output_fd(t, p)) < 0) ||
	    (t->tracker.mode == TRACK_CGROUP && (cs.cgroup_fd = tracker_prepare(t, p)) < 0)) {
		*err = errno;
		goto out;
	}
	/* vfork: tend waits, without copying its memory, until the child has
	 * exec'ed or given up; the child says why in cs.err. */
	pid = vfork();
	if (pid == 0)
		child_exec(&cs);
	if (pid < 0) {
		*err = errno;
		goto out;
	}
	if (cs.err) {
		waitpid(pid, NULL, 0);
		*err = cs.err;
		pid = -1;
		goto out;
	}
	readiness_watch(t, p, cs.ready_w);
	cs.ready_w = -1;
out:
	if (cs.log_fd >= 0)
		close(cs.log_fd); /* the child has its own; tend keeps the read end */
	if (cs.cgroup_fd >= 0)
		close(cs.cgroup_fd);
	if (cs.ready_w >= 0) {
		close(cs.ready_w);
		readiness_close(t, p);
	}
	if (cs.watchdog_fd >= 0 && cs.watchdog_fd != watchdog_child_fd(p))
		close(cs.watchdog_fd);
	watchdog_spawned(p);
	free(cs.envp);
	free(own.notify);
	return pid;
}

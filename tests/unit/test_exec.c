/* The real spawn (sys/exec.c): a request run with vfork and exec, with
 * real children. What a process is started with is what the request says;
 * a command that cannot be run is an error of the spawn, not an exit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/environment.h"
#include "sys/exec.h"

/* A request with nothing but argv: stdin from /dev/null, output to a pipe. */
struct run {
	struct spawn_request req;
	int out[2]; /* the child's stdout and stderr */
	int devnull;
};

static void run_init(struct run *r, char *const *argv, char *const *envp)
{
	assert_int_equal(pipe2(r->out, O_CLOEXEC), 0);
	r->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(r->devnull >= 0);
	r->req = (struct spawn_request){ .process = "p",
					 .argv = argv,
					 .envp = envp,
					 .stdin_fd = r->devnull,
					 .output_fd = r->out[1],
					 .cgroup_fd = -1,
					 .ready_fd = -1,
					 .watchdog_fd = -1,
					 .uid = (uid_t)-1,
					 .gid = (gid_t)-1,
					 .ngroups = -1 };
	getrlimit(RLIMIT_NOFILE, &r->req.nofile);
}

/* Everything the child printed, once it has exited with status 0. */
static char *run_output(struct run *r, pid_t pid)
{
	static char buf[4096];
	size_t len = 0;
	ssize_t n;
	int status;

	close(r->out[1]);
	while ((n = read(r->out[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(r->out[0]);
	close(r->devnull);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child ended with status 0x%x: %s", status, buf);
	return buf;
}

static void run_fini(struct run *r)
{
	close(r->out[0]);
	close(r->out[1]);
	close(r->devnull);
}

/* Whether a vfork child writes into its parent's memory, which is how a
 * failed exec's errno reaches tend. Not under valgrind, which runs vfork
 * as a fork: the tests that depend on it are skipped there (the plain and
 * sanitizer runs have them). */
static bool vfork_shares_memory(void)
{
	static int known = -1;
	if (known < 0) {
		volatile int written = 0;
		volatile int *shared = &written;
		pid_t pid = vfork();
		if (pid == 0) {
			*shared = 1;
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		known = written;
	}
	return known;
}

#define NEEDS_VFORK_MEMORY()                                                                       \
	do {                                                                                       \
		if (!vfork_shares_memory()) {                                                      \
			print_message("vfork does not share memory here (valgrind?)\n");           \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* A request that cannot be run: -1 and the errno of the step that failed,
 * as an error of the spawn, not as an exit status. */
static void assert_spawn_fails(char **argv, char **envp, const char *directory, int want)
{
	struct run r;
	int err = 0;

	run_init(&r, argv, envp);
	r.req.directory = directory;
	assert_int_equal(spawn_request_run(&r.req, &err), -1);
	assert_int_equal(err, want);
	run_fini(&r);
}

static void a_missing_command_is_an_error_of_the_spawn(void **state)
{
	(void)state;
	NEEDS_VFORK_MEMORY();
	assert_spawn_fails((char *[]){ "/nonexistent/daemon", "--fg", NULL }, (char *[]){ NULL },
			   NULL, ENOENT);
}

static void a_command_found_nowhere_on_the_path_is_enoent(void **state)
{
	(void)state;
	NEEDS_VFORK_MEMORY();
	assert_spawn_fails((char *[]){ "tend-no-such-command", NULL },
			   (char *[]){ "PATH=/nonexistent:/also-not-there", NULL }, NULL, ENOENT);
}

static void a_directory_that_is_not_there_is_an_error(void **state)
{
	(void)state;
	NEEDS_VFORK_MEMORY();
	assert_spawn_fails((char *[]){ "/bin/true", NULL }, (char *[]){ NULL }, "/nonexistent/dir",
			   ENOENT);
}

/* The child gets the request's environment (only it), its directory, its
 * output, stdin from /dev/null, and WATCHDOG_PID filled in with its pid. */
static void the_child_gets_what_the_request_says(void **state)
{
	(void)state;
	char *argv[] = { "sh", "-c",
			 "echo \"FOO=$FOO HOME=${HOME-unset} PID=$WATCHDOG_PID\"; pwd; "
			 "readlink /proc/self/fd/0",
			 NULL };
	char pidentry[32] = "WATCHDOG_PID=";
	char *envp[] = { "FOO=bar", "PATH=/usr/bin:/bin", pidentry, NULL };
	char want[256];
	struct run r;
	int err = 0;

	run_init(&r, argv, envp);
	r.req.directory = "/tmp";
	r.req.watchdog_pid = pidentry;
	r.req.watchdog_pid_size = sizeof(pidentry);
	pid_t pid = spawn_request_run(&r.req, &err);
	assert_true(pid > 0);
	assert_int_equal(err, 0);
	snprintf(want, sizeof(want), "FOO=bar HOME=unset PID=%d\n/tmp\n/dev/null\n", (int)pid);
	assert_string_equal(run_output(&r, pid), want);
	/* The child filled it in in the parent's memory (vfork): tend's
	 * buffer, which nothing else may write while the child runs. */
	snprintf(want, sizeof(want), "%d", (int)pid);
	if (vfork_shares_memory())
		assert_string_equal(pidentry + strlen("WATCHDOG_PID="), want);
}

/* The ready pipe reaches the child as the descriptor it asked for; other
 * descriptors of tend's do not reach it at all. */
static void the_ready_fd_arrives_under_its_number_and_nothing_else_leaks(void **state)
{
	(void)state;
	char *argv[] = { "sh", "-c", "echo up >&7; ls /proc/self/fd | sort -n | tr '\\n' ' '",
			 NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	int ready[2], leaked = open("/dev/null", O_RDONLY); /* not close-on-exec */
	char buf[16] = "";
	struct run r;
	int err = 0;

	assert_true(leaked >= 0);
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	run_init(&r, argv, envp);
	r.req.ready_fd = ready[1];
	r.req.ready_target = 7;
	pid_t pid = spawn_request_run(&r.req, &err);
	assert_true(pid > 0);
	close(ready[1]);
	/* 0, 1, 2, the ready fd 7, and 3: the fd ls reads /proc/self/fd with. */
	assert_string_equal(run_output(&r, pid), "0 1 2 3 7 ");
	assert_true(read(ready[0], buf, sizeof(buf) - 1) == 3);
	assert_string_equal(buf, "up\n");
	close(ready[0]);
	close(leaked);
}

/* The request's user and groups: set just before exec, supplementary
 * groups first. Needs root. */
static void the_child_runs_with_the_requested_credentials(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char *argv[] = { "sh", "-c", "echo $(id -u) $(id -g) $(id -G)", NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	gid_t groups[] = { 65534, 4, 27 };
	struct run r;
	int err = 0;

	run_init(&r, argv, envp);
	r.req.uid = 65534;
	r.req.gid = 65534;
	r.req.groups = groups;
	r.req.ngroups = 3;
	pid_t pid = spawn_request_run(&r.req, &err);
	assert_true(pid > 0);
	assert_string_equal(run_output(&r, pid), "65534 65534 65534 4 27\n");

	/* No groups at all: setgroups to none, tend's uid kept. */
	run_init(&r, argv, envp);
	r.req.ngroups = 0;
	r.req.gid = 1;
	pid = spawn_request_run(&r.req, &err);
	assert_true(pid > 0);
	assert_string_equal(run_output(&r, pid), "0 1 1\n");
}

static void environment_merge_overrides_and_owns(void **state)
{
	(void)state;
	char *base[] = { "A=1", "B=2", "NOTIFY_SOCKET=ignored-by-merge", NULL };
	char *add[] = { "B=3", "C=4", "TEND_PROCESS=forged", NULL };
	char *own[] = { "TEND_PROCESS=g/p", NULL };
	char **env = environment_merge(base, add, own);
	assert_non_null(env);
	/* base without what add overrides, then add without what tend owns,
	 * then tend's own entries */
	assert_string_equal(env[0], "A=1");
	assert_string_equal(env[1], "NOTIFY_SOCKET=ignored-by-merge");
	assert_string_equal(env[2], "B=3");
	assert_string_equal(env[3], "C=4");
	assert_string_equal(env[4], "TEND_PROCESS=g/p");
	assert_null(env[5]);
	free(env);
}

static void inherited_environment_drops_what_tend_sets_itself(void **state)
{
	(void)state;
	setenv("NOTIFY_SOCKET", "/run/elsewhere", 1);
	setenv("TEND_PROCESS", "other/tend", 1);
	setenv("TEND_TEST_KEEP", "yes", 1);
	char **env = environment_inherited();
	assert_non_null(env);
	bool kept = false;
	for (char **e = env; *e; e++) {
		assert_true(strncmp(*e, "NOTIFY_SOCKET=", 14) != 0);
		assert_true(strncmp(*e, "TEND_PROCESS=", 13) != 0);
		kept |= strcmp(*e, "TEND_TEST_KEEP=yes") == 0;
	}
	assert_true(kept);
	free(env);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("TEND_PROCESS");
	unsetenv("TEND_TEST_KEEP");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_missing_command_is_an_error_of_the_spawn),
		cmocka_unit_test(a_command_found_nowhere_on_the_path_is_enoent),
		cmocka_unit_test(a_directory_that_is_not_there_is_an_error),
		cmocka_unit_test(the_child_gets_what_the_request_says),
		cmocka_unit_test(the_ready_fd_arrives_under_its_number_and_nothing_else_leaks),
		cmocka_unit_test(the_child_runs_with_the_requested_credentials),
		cmocka_unit_test(environment_merge_overrides_and_owns),
		cmocka_unit_test(inherited_environment_drops_what_tend_sets_itself),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* A probe for the tenant tests (tests/tenants.bats): makes one kind of
 * system call and says what happened, so that a test sees what a seccomp
 * profile let through. Linked statically, so that the dynamic loader's
 * calls do not blur what a profile must allow.
 *
 *   seccomp_probe socket FILE   socket(AF_UNIX, SOCK_DGRAM): "socket ok" or
 *                               "socket EPERM" (the errno's name) into FILE
 *   seccomp_probe swapoff FILE  swapoff("/nonexistent"): "swapoff ENOENT"
 *                               when let through, else the profile's errno
 *   seccomp_probe ids FILE      "uid U gid G groups A,B,..." into FILE
 *   seccomp_probe notify FILE   READY=1 through NOTIFY_SOCKET, then kicks its
 *                               watchdog every 20 ms with the state "kick N";
 *                               "notified" into FILE once both worked
 * After writing FILE it sleeps until killed, so that tend sees it running. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/swap.h>
#include <unistd.h>

#include <tend.h>

static void say(const char *file, const char *text)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) < 0 || close(fd) < 0)
		exit(2);
}

static void say_result(const char *file, const char *what, int rc)
{
	char line[128];

	snprintf(line, sizeof(line), "%s %s\n", what, rc < 0 ? strerrorname_np(errno) : "ok");
	say(file, line);
}

static void ids(const char *file)
{
	gid_t groups[64];
	int n = getgroups(64, groups);
	char line[1024];
	size_t len = (size_t)snprintf(line, sizeof(line), "uid %u gid %u groups ",
				      (unsigned)getuid(), (unsigned)getgid());

	for (int i = 0; i < n && len < sizeof(line) - 16; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%u", i ? "," : "",
					(unsigned)groups[i]);
	snprintf(line + len, sizeof(line) - len, "\n");
	say(file, line);
}

static void notify(const char *file)
{
	char why[256];
	struct tend_watchdog *wd = tend_watchdog_open(why, sizeof(why));

	if (tend_ready() < 0) {
		say(file, "ready failed\n");
		return;
	}
	if (!wd) {
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "\n");
		say(file, why);
		return;
	}
	tend_watchdog_kick(wd);
	say(file, "notified\n");
	for (unsigned n = 1;; n++) { /* the count shows how long it kept going */
		usleep(20000);
		tend_watchdog_set_state(wd, "kick %u", n);
		tend_watchdog_kick(wd);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	if (strcmp(argv[1], "socket") == 0)
		say_result(argv[2], "socket", socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	else if (strcmp(argv[1], "swapoff") == 0)
		say_result(argv[2], "swapoff", swapoff("/nonexistent"));
	else if (strcmp(argv[1], "ids") == 0)
		ids(argv[2]);
	else if (strcmp(argv[1], "notify") == 0)
		notify(argv[2]);
	else
		return 2;
	for (;;)
		pause();
}

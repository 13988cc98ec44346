/* The cluster scenario's clock (tests/bench/cluster.sh): each action of the
 * failover measurements takes its CLOCK_MONOTONIC timestamp itself, right
 * before the system call that does it, and the service of the negotiable
 * group takes its own first thing in main(). Every tend runs in its own PID
 * and network namespace, but none has a time namespace of its own, so
 * CLOCK_MONOTONIC is one clock for all of them and the differences are exact
 * to the microsecond; no polling stands between an event and its timestamp.
 *
 *   bench_cluster stamp LOG TAG      the group's service: appends "start TAG NS"
 *                                    to LOG, then waits; at SIGTERM appends
 *                                    "stop TAG NS" and exits 0
 *   bench_cluster note LOG WORDS...  appends "WORDS NS" to LOG and exits (the
 *                                    keepalived notify_master script)
 *   bench_cluster kill PID           prints NS, then SIGKILLs PID
 *   bench_cluster link NETNS IF up|down
 *                                    in network namespace NETNS (a name under
 *                                    /run/netns), prints NS, then sets IF's
 *                                    IFF_UP (the ioctl is the whole change)
 *   bench_cluster release RUNDIR GROUP
 *                                    connects to tend's socket first, prints
 *                                    NS, then sends `release GROUP`; prints
 *                                    the reply's time too: "NS REPLY_US"
 *   bench_cluster now                prints NS
 *
 * NS is CLOCK_MONOTONIC in nanoseconds. Linked statically.
 */
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include "bench.h"
#include "tend.h"

static const char *log_path;
static char stop_line[128];

static void append(const char *path, const char *line)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, strlen(line)) < 0) {
		/* nothing to report to */
	}
	close(fd);
}

static void on_term(int sig)
{
	int64_t t = now_ns();
	char num[24];
	int n = 0;
	/* async-signal-safe: no stdio */
	char digits[24];
	int64_t v = t;
	(void)sig;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < (int)sizeof(digits));
	for (int i = 0; i < n; i++)
		num[i] = digits[n - 1 - i];
	num[n] = '\0';
	size_t len = strlen(stop_line);
	memcpy(stop_line + len, num, (size_t)n);
	stop_line[len + (size_t)n] = '\n';
	stop_line[len + (size_t)n + 1] = '\0';
	append(log_path, stop_line);
	_exit(0);
}

static _Noreturn void stamp(const char *log, const char *tag)
{
	int64_t t = now_ns();
	char line[128];
	struct sigaction sa = { .sa_handler = on_term };

	prctl(PR_SET_NAME, "bench_stamp");
	log_path = log;
	snprintf(stop_line, sizeof(stop_line) - 24, "stop %s ", tag);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	snprintf(line, sizeof(line), "start %s %lld\n", tag, (long long)t);
	append(log, line);
	for (;;)
		pause();
}

static int link_set(const char *netns, const char *ifname, int up)
{
	char path[256];
	struct ifreq ifr = { 0 };
	int nsfd, s;

	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	if ((nsfd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
		perror(path);
		return 1;
	}
	close(nsfd);
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		perror("socket");
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		perror(ifname);
		return 1;
	}
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	int64_t t = now_ns();
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		perror(ifname);
		return 1;
	}
	printf("%lld\n", (long long)t);
	return 0;
}

static int release(const char *rundir, const char *group)
{
	char msg[256];
	char *argv[] = { "release", (char *)group, NULL };
	int fd = tend_connect(rundir);

	if (fd < 0) {
		perror(rundir);
		return 1;
	}
	int64_t t = now_ns();
	int rc = tend_request(fd, argv, NULL, NULL, msg, sizeof(msg));
	int64_t t2 = now_ns();
	if (rc != 0) {
		fprintf(stderr, "release %s: %s\n", group, msg);
		return 1;
	}
	printf("%lld %lld\n", (long long)t, (long long)((t2 - t) / 1000));
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "stamp") == 0 && argc == 4)
		stamp(argv[2], argv[3]);
	if (strcmp(cmd, "note") == 0 && argc >= 4) {
		int64_t t = now_ns();
		char line[512];
		size_t n = 0;
		for (int i = 3; i < argc && n < sizeof(line) - 64; i++)
			n += (size_t)snprintf(line + n, sizeof(line) - 64 - n, "%s ", argv[i]);
		snprintf(line + n, sizeof(line) - n, "%lld\n", (long long)t);
		append(argv[2], line);
		return 0;
	}
	if (strcmp(cmd, "kill") == 0 && argc == 3) {
		pid_t pid = (pid_t)atoi(argv[2]);
		int64_t t = now_ns();
		if (pid <= 1 || kill(pid, SIGKILL) < 0) {
			perror("kill");
			return 1;
		}
		printf("%lld\n", (long long)t);
		return 0;
	}
	if (strcmp(cmd, "link") == 0 && argc == 5)
		return link_set(argv[2], argv[3], strcmp(argv[4], "up") == 0);
	if (strcmp(cmd, "release") == 0 && argc == 4)
		return release(argv[2], argv[3]);
	if (strcmp(cmd, "now") == 0) {
		printf("%lld\n", (long long)now_ns());
		return 0;
	}
	fprintf(stderr, "usage: bench_cluster stamp LOG TAG | note LOG WORDS... | kill PID | "
			"link NETNS IF up|down | release RUNDIR GROUP | now\n");
	return 2;
}

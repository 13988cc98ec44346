/* The services directory's benchmark (issue 13), against a running tend:
 *
 *   bench_services lookup RUNDIR N        N lookups over one connection: a raw
 *                                         request line, then tend_service_lookup
 *                                         (which decodes the reply); round trips
 *                                         in microseconds
 *   bench_services kill RUNDIR W ROUNDS   W watchers of one service; a coupled
 *                                         owner is SIGKILLed each round: how
 *                                         long until each watcher has "remove"
 *   bench_services fill RUNDIR N W        N decoupled services (64 per child
 *                                         process: the per-client limit) and W
 *                                         watchers of everything, drained;
 *                                         prints "ready" and holds until stdin
 *                                         closes (the caller measures tend)
 *   bench_services watchers RUNDIR W [all|idle|stalled]
 *                                         W watchers of everything that read it
 *                                         (all), of a service that never changes
 *                                         (idle), or one of everything that never
 *                                         reads (stalled); held until stdin closes
 * Results are KEY=VALUE lines. */
#include "bench.h"

#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "tend.h"

static const char *rundir;

static int connect_or_die(void)
{
	int fd = tend_connect(rundir);
	if (fd < 0) {
		perror("bench_services: connect");
		exit(1);
	}
	return fd;
}

static void request_or_die(int fd, char *const argv[])
{
	char msg[512];
	if (tend_request(fd, argv, NULL, NULL, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "bench_services: %s: %s\n", argv[0], msg);
		exit(1);
	}
}

static void print_stats(const char *what, int64_t *ns, size_t n)
{
	qsort(ns, n, sizeof(*ns), cmp_i64);
	printf("%s_median_us=%.1f\n%s_p99_us=%.1f\n", what, ns[(n - 1) / 2] / 1e3, what,
	       ns[(size_t)(n * 0.99 + 0.999) - 1] / 1e3);
}

/* Reads until a status line; returns when it has one. */
static void read_reply(int fd)
{
	static char buf[65536];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0) {
			fprintf(stderr, "bench_services: tend closed the connection\n");
			exit(1);
		}
		len += (size_t)n;
		buf[len] = '\0';
		char *last = len > 1 ? memrchr(buf, '\n', len - 1) : NULL;
		last = last ? last + 1 : buf;
		if (buf[len - 1] == '\n' &&
		    (strncmp(last, "OK", 2) == 0 || strncmp(last, "ERR", 3) == 0))
			return;
		if (len == sizeof(buf) - 1)
			len = 0; /* only the end matters */
	}
}

static void bench_lookup(size_t n)
{
	int fd = connect_or_die();
	char *reg[] = { "service",   "register", "bench",	"--port", "1",
			"--context", "k=v",	 "--decoupled", NULL };
	request_or_die(fd, reg);
	int64_t *ns = calloc(n, sizeof(*ns));
	static const char line[] = "service lookup bench\n";
	for (size_t i = 0; i < n; i++) {
		int64_t t = now_ns();
		if (write(fd, line, sizeof(line) - 1) < 0)
			exit(1);
		read_reply(fd);
		ns[i] = now_ns() - t;
	}
	print_stats("socket", ns, n);
	static struct tend_location found[4];
	char msg[512];
	for (size_t i = 0; i < n; i++) {
		int64_t t = now_ns();
		if (tend_service_lookup(fd, "bench", found, 4, msg, sizeof(msg)) != 1) {
			fprintf(stderr, "bench_services: lookup: %s\n", msg);
			exit(1);
		}
		ns[i] = now_ns() - t;
	}
	print_stats("libtend", ns, n);
	/* the same round trip without the directory: what the machine costs */
	char *ping[] = { "ping", NULL };
	for (size_t i = 0; i < n; i++) {
		int64_t t = now_ns();
		request_or_die(fd, ping);
		ns[i] = now_ns() - t;
	}
	print_stats("ping", ns, n);
	char *dereg[] = { "service", "deregister", "bench", NULL };
	request_or_die(fd, dereg);
	free(ns);
	close(fd);
}

/* A watcher: a connection that asked to watch, its snapshot read. */
static int open_watcher(char *what, char *name)
{
	int fd = connect_or_die();
	char req[256];
	int len = snprintf(req, sizeof(req), "watch %s %s\n", what, name ? name : "");
	if (write(fd, req, (size_t)len) != len)
		exit(1);
	/* up to and including "sync N" */
	char buf[65536];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			exit(1);
		have += (size_t)n;
		buf[have] = '\0';
		if (strstr(buf, "> sync "))
			break;
		if (have > sizeof(buf) / 2) {
			char *nl = strrchr(buf, '\n');
			size_t keep = nl ? (size_t)(buf + have - nl - 1) : 0;
			memmove(buf, buf + have - keep, keep);
			have = keep;
		}
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Reads what fd has; true when it holds `want`. */
static bool drain_has(int fd, const char *want)
{
	char buf[65536];
	bool seen = false;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if (want && strstr(buf, want))
			seen = true;
	}
	return seen;
}

static void bench_kill(int w, int rounds)
{
	int *fds = calloc((size_t)w, sizeof(*fds));
	int64_t *each = calloc((size_t)(w * rounds), sizeof(*each));
	int64_t *all = calloc((size_t)rounds, sizeof(*all));
	size_t neach = 0;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < w; i++) {
		fds[i] = open_watcher("service", "victim");
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	int ctl = connect_or_die();
	bool *got = calloc((size_t)w, sizeof(*got));
	for (int r = 0; r < rounds; r++) {
		pid_t child = fork();
		if (child == 0) {
			pause();
			_exit(0);
		}
		char pid[16];
		snprintf(pid, sizeof(pid), "%d", (int)child);
		char *reg[] = {
			"service", "register", "victim", "--port", "1", "--pid", pid, NULL
		};
		char msg[512];
		if (tend_request(ctl, reg, NULL, NULL, msg, sizeof(msg)) != 0) {
			kill(child, SIGKILL); /* not left paused behind us */
			fprintf(stderr, "bench_services: register: %s\n", msg);
			exit(1);
		}
		/* every watcher has the add before the kill */
		for (int i = 0; i < w; i++)
			while (!drain_has(fds[i], "service add victim"))
				poll(&(struct pollfd){ .fd = fds[i], .events = POLLIN }, 1, 1000);
		for (int i = 0; i < w; i++)
			got[i] = false;
		int64_t t0 = now_ns();
		kill(child, SIGKILL);
		int left = w;
		while (left) {
			struct epoll_event evs[64];
			int n = epoll_wait(ep, evs, 64, 5000);
			if (n <= 0) {
				fprintf(stderr,
					"bench_services: %d watchers never got the remove\n", left);
				exit(1);
			}
			int64_t t = now_ns();
			for (int k = 0; k < n; k++) {
				int i = (int)evs[k].data.u32;
				if (!got[i] && drain_has(fds[i], "service remove victim")) {
					got[i] = true;
					each[neach++] = t - t0;
					left--;
				}
			}
		}
		all[r] = now_ns() - t0;
		waitpid(child, NULL, 0);
	}
	print_stats("remove_each", each, neach);
	print_stats("remove_all", all, (size_t)rounds);
}

/* n decoupled services, from children of 64 each (the per-client limit). */
static void fill(int n)
{
	for (int base = 0; base < n; base += 64) {
		pid_t child = fork();
		if (child == 0) {
			int fd = connect_or_die();
			for (int i = base; i < base + 64 && i < n; i++) {
				char name[32], port[16];
				snprintf(name, sizeof(name), "svc-%d", i);
				snprintf(port, sizeof(port), "%d", 1 + i % 65535);
				char *reg[] = { "service",    "register",    name,
						"--port",     port,	     "--context",
						"role=bench", "--decoupled", NULL };
				request_or_die(fd, reg);
			}
			_exit(0);
		}
		int status;
		waitpid(child, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			exit(1);
	}
}

static void hold_until_stdin_closes(void)
{
	printf("ready\n");
	fflush(stdout);
	char c;
	while (read(0, &c, 1) > 0)
		;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc < 4) {
		fprintf(stderr, "usage: see tests/bench/bench_services.c\n");
		return 2;
	}
	rundir = argv[2];
	int a = atoi(argv[3]);
	if (strcmp(argv[1], "lookup") == 0) {
		bench_lookup((size_t)a);
	} else if (strcmp(argv[1], "kill") == 0 && argc > 4) {
		bench_kill(a, atoi(argv[4]));
	} else if (strcmp(argv[1], "fill") == 0 && argc > 4) {
		fill(a);
		int w = atoi(argv[4]);
		int *fds = calloc((size_t)w + 1, sizeof(*fds));
		for (int i = 0; i < w; i++)
			fds[i] = open_watcher("all", NULL);
		hold_until_stdin_closes();
	} else if (strcmp(argv[1], "watchers") == 0) {
		bool stalled = argc > 4 && strcmp(argv[4], "stalled") == 0;
		bool idle = argc > 4 && strcmp(argv[4], "idle") == 0;
		int *fds = calloc((size_t)a + 1, sizeof(*fds));
		for (int i = 0; i < a; i++)
			fds[i] = stalled ? connect_or_die()
				 : idle	 ? open_watcher("service", "nothing-here")
					 : open_watcher("all", NULL);
		if (stalled && write(fds[0], "watch all\n", 10) != 10)
			return 1;
		if (stalled) {
			hold_until_stdin_closes();
			return 0;
		}
		printf("ready\n");
		fflush(stdout);
		/* read everything until stdin closes */
		struct pollfd *p = calloc((size_t)a + 1, sizeof(*p));
		for (int i = 0; i < a; i++)
			p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		p[a] = (struct pollfd){ .fd = 0, .events = POLLIN };
		for (;;) {
			if (poll(p, (nfds_t)a + 1, -1) < 0)
				continue;
			for (int i = 0; i < a; i++)
				if (p[i].revents)
					drain_has(fds[i], NULL);
			if (p[a].revents) {
				char c;
				if (read(0, &c, 1) <= 0)
					break;
			}
		}
	} else {
		return 2;
	}
	return 0;
}

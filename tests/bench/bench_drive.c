/* The driver of one benchmark run (issue 6): it launches a supervisor as its
 * child, learns from the services' datagrams (bench_idle, bench_storm) when
 * each copy began to run, measures, asks the supervisor to stop, and leaves
 * nothing behind. Timing is done here, in C, with CLOCK_MONOTONIC on both
 * sides; /proc is read for what only the kernel knows (CPU time, context
 * switches, memory, and which processes belong to the supervisor).
 *
 *   bench_drive -d DIR [options] -- SUPERVISOR [ARG...]
 *     -n N       wait until N distinct services have reported (start)
 *     -r         wait for the reap storm's report instead ("R ...")
 *     -H SECS    only hold SECS after the launch (crash loop), then stop
 *     -s MS      settle after the start, before idle and kills (default 1500)
 *     -i SECS    idle window: CPU and context switches over SECS
 *     -k KILLS   restart latency: SIGKILL services one at a time, KILLS times
 *     -K SLOW    ... but only SLOW times if restarts take over 100 ms
 *     -P         ... or then space the kills 20 ms apart (see kill_phase)
 *     -a MS      a service is killed only once it has run MS (default 1100:
 *                runit, s6 and daemontools wait out 1 s after a quick exit)
 *     -W FILE    hold after the start until FILE exists, appending every
 *                report to DIR/events ("ID PID T") meanwhile (scenario 7)
 *     -M CMD     shell command run at each mark, BENCH_PHASE=started|killed
 *     -S STOP    how to stop: "sig:TERM" (a signal to the supervisor) or a
 *                shell command (SUP_PID and BENCH_DIR in its environment)
 *     -T SECS    deadline of each phase (default 120)
 * Results go to stdout as key=value lines; the supervisor's output to
 * DIR/sup.log; the restart latencies (us) to DIR/restart_us.
 *
 * The driver is a child subreaper: what the supervisor leaves behind comes
 * back to it, and at exit (also on SIGTERM/SIGINT, or after a failure) it
 * SIGKILLs every descendant it still has. That is the cleanup.
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench.h"

#define MAXE 8192

struct ent {
	char id[64];
	pid_t pid;
	int64_t ts;
	pid_t killed; /* the pid SIGKILLed, until its replacement reports */
	int64_t killed_at;
};

static struct ent ents[MAXE];
static int nents;
static int hash[MAXE * 2]; /* index + 1 into ents, open addressing */
static int sock = -1;
static pid_t sup;
static int sup_status = -1;
static const char *dir;
static char storm[512];
static FILE *events;
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static unsigned fnv(const char *s)
{
	unsigned h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct ent *lookup(const char *id, int create)
{
	unsigned h = fnv(id) % (MAXE * 2);
	while (hash[h]) {
		if (!strcmp(ents[hash[h] - 1].id, id))
			return &ents[hash[h] - 1];
		h = (h + 1) % (MAXE * 2);
	}
	if (!create || nents == MAXE)
		return NULL;
	struct ent *e = &ents[nents++];
	snprintf(e->id, sizeof(e->id), "%s", id);
	hash[h] = nents;
	return e;
}

/* Reaps what is ours to reap (the supervisor, a stop command, orphans);
 * notes the supervisor's status. */
static void reap(void)
{
	int st;
	pid_t p;
	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (p == sup)
			sup_status = st;
}

/* Waits up to timeout for one datagram and handles it. Returns the entry
 * an "I" report updated, or NULL (timeout, storm report, interruption). */
static struct ent *receive(int64_t timeout_ns)
{
	char buf[512];
	struct pollfd p = { .fd = sock, .events = POLLIN };
	int ms = timeout_ns <= 0 ? 0 : (int)((timeout_ns + 999999) / 1000000);
	if (poll(&p, 1, ms) <= 0) {
		reap();
		return NULL;
	}
	ssize_t n = recv(sock, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	if (buf[0] == 'R') {
		snprintf(storm, sizeof(storm), "%s", buf);
		return NULL;
	}
	char id[64];
	int pid;
	long long ts;
	if (sscanf(buf, "I %63s %d %lld", id, &pid, &ts) != 3)
		return NULL;
	struct ent *e = lookup(id, 1);
	if (!e)
		return NULL;
	e->pid = pid;
	e->ts = ts;
	if (events) {
		fprintf(events, "%s %d %lld\n", id, pid, ts);
		fflush(events);
	}
	return e;
}

/* Receives for a while, keeping the table current. */
static void drain(int64_t ns)
{
	int64_t end = now_ns() + ns;
	while (!interrupted && now_ns() < end)
		receive(end - now_ns());
}

/* The supervisor's costs: its main process, and its helpers (every
 * descendant that is not a service: runsv, s6-supervise, supervise). */
struct cost {
	struct pcost main, tree, services;
	int helpers, procs;
};

static void add(struct pcost *a, const struct pcost *b)
{
	a->cpu_ns += b->cpu_ns;
	a->slices += b->slices;
	a->vcsw += b->vcsw;
	a->ivcsw += b->ivcsw;
	a->hwm_kb += b->hwm_kb;
	a->rss_kb += b->rss_kb;
	a->pss_kb += b->pss_kb;
}

static int is_service(const char *comm)
{
	return !strcmp(comm, "bench_idle") || !strcmp(comm, "bench_storm") ||
	       !strcmp(comm, "bench_crash") || !strcmp(comm, "bench_orphan");
}

/* pids and costs of the helpers, so that an idle window compares each
 * process with itself. */
static pid_t hpid[MAXE];
static struct pcost hcost[MAXE];
static int nh;

static void measure(struct cost *c)
{
	struct pinfo *v;
	int n = proc_scan(&v);
	memset(c, 0, sizeof(*c));
	nh = 0;
	pcost_read(sup, &c->main);
	c->tree = c->main;
	for (int i = 0; i < n; i++) {
		struct pcost pc;
		if (!is_descendant(v, n, v[i].pid, sup) || pcost_read(v[i].pid, &pc) < 0)
			continue;
		if (is_service(v[i].comm)) {
			c->procs += !strcmp(v[i].comm, "bench_idle");
			add(&c->services, &pc);
		} else {
			c->helpers++;
			add(&c->tree, &pc);
			if (nh < MAXE) {
				hpid[nh] = v[i].pid;
				hcost[nh++] = pc;
			}
		}
	}
	free(v);
}

static void print_ms(const char *key, int64_t ns)
{
	printf("%s=%.3f\n", key, (double)ns / 1e6);
}

static void mark(const char *cmd, const char *phase)
{
	if (!cmd)
		return;
	setenv("BENCH_PHASE", phase, 1);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_drive: mark %s: command failed\n", phase);
}

/* SIGKILL every descendant until none is left; returns how many. First
 * give them grace_ns to exit on their own (helpers such as runsv finish
 * shortly after their supervisor). */
static int kill_descendants(int64_t grace_ns)
{
	int killed = 0;
	int64_t grace_end = now_ns() + grace_ns;
	for (int round = 0; round < 400; round++) {
		int grace = now_ns() < grace_end;
		struct pinfo *v;
		int n = proc_scan(&v), found = 0;
		for (int i = 0; i < n; i++)
			if (is_descendant(v, n, v[i].pid, getpid())) {
				found++;
				if (!grace && v[i].state != 'Z' && kill(v[i].pid, SIGKILL) == 0)
					killed++;
			}
		free(v);
		reap();
		if (!found)
			break;
		sleep_ns(20000000);
	}
	return killed;
}

static void cleanup(void)
{
	int k = kill_descendants(interrupted ? 0 : 2000000000LL);
	if (k)
		printf("cleanup_killed=%d\n", k);
	if (dir) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/sock", dir);
		unlink(p);
	}
	fflush(stdout);
}

/* Restart latency: SIGKILL the services in turn, each once it has run
 * `age`, and time from just before kill() to the replacement's own report
 * of its start. One kill at a time. When the first five restarts took over
 * 100 ms (a fixed delay or a loop tick), 200 kills would take minutes: then
 * either the kills are spaced 20 ms apart without waiting (`pipeline`: only
 * where each service has a supervisor process of its own, so that other
 * restarts cannot wake it early: s6), or this run stops at `slow_kills`. */
static int kill_phase(int kills, int slow_kills, int pipeline, int64_t age, int64_t *lat, FILE *out)
{
	int done = 0, issued = 0, inflight = 0, maxfly = 1, n = nents;
	int64_t next_issue = 0, progress = now_ns();
	while ((issued < kills || inflight > 0) && !interrupted && sup_status < 0) {
		int64_t now = now_ns(), wait = 100000000LL;
		if (now - progress > 30000000000LL) {
			printf("restart_timeout=1\n");
			break;
		}
		if (issued < kills && inflight < maxfly) {
			struct ent *e = &ents[issued % n];
			int64_t ready = e->ts + age > next_issue ? e->ts + age : next_issue;
			if (!e->killed && ready <= now) {
				e->killed = e->pid;
				e->killed_at = now_ns();
				if (kill(e->pid, SIGKILL) < 0) {
					e->killed = 0;
					break;
				}
				issued++;
				inflight++;
				progress = now;
				if (maxfly > 1)
					next_issue = e->killed_at + 20000000LL;
				continue;
			}
			if (!e->killed && ready - now < wait)
				wait = ready - now;
		}
		struct ent *r = receive(wait);
		if (!r || !r->killed || r->pid == r->killed)
			continue;
		lat[done] = r->ts - r->killed_at;
		if (out)
			fprintf(out, "%.1f\n", (double)lat[done] / 1e3);
		done++;
		r->killed = 0;
		inflight--;
		progress = now_ns();
		if (done == 5 && maxfly == 1) {
			int64_t first[5];
			memcpy(first, lat, sizeof(first));
			qsort(first, 5, sizeof(first[0]), cmp_i64);
			if (first[2] > 100000000LL && pipeline) {
				maxfly = n;
				printf("restart_spaced=1\n");
			} else if (first[2] > 100000000LL && slow_kills > 0 && slow_kills < kills) {
				kills = slow_kills > 5 ? slow_kills : 5;
				printf("restart_slow_kills=%d\n", kills);
			}
		}
	}
	return done;
}

/* Stop: from the request until every service has exited (its pidfd is
 * readable) and until the supervisor itself has exited. */
static int stop(const char *how, int64_t timeout)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), want = 0;
	for (int i = 0; i < nents; i++) {
		int fd = ents[i].pid > 0 ? pidfd_open_(ents[i].pid) : -1;
		char path[64], comm[64] = "";
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)ents[i].pid);
		/* only a service that is still the one that reported */
		if (fd < 0 || read_small(path, comm, sizeof(comm)) < 0 ||
		    strncmp(comm, "bench_", 6)) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		/* one-shot: each service's exit is counted once */
		struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 1 };
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		want++;
	}
	int sfd = pidfd_open_(sup);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 2 };
	if (sfd >= 0)
		epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	int64_t t0 = now_ns(), gone = 0, exited = sfd < 0 ? t0 : 0;
	if (!strncmp(how, "sig:", 4)) {
		int sig = !strcmp(how + 4, "HUP")    ? SIGHUP
			  : !strcmp(how + 4, "INT")  ? SIGINT
			  : !strcmp(how + 4, "KILL") ? SIGKILL
			  : !strcmp(how + 4, "QUIT") ? SIGQUIT
						     : SIGTERM;
		kill(sup, sig);
	} else {
		if (fork() == 0) {
			execl("/bin/sh", "sh", "-c", how, (char *)NULL);
			_exit(127);
		}
	}
	int done = 0;
	while (!interrupted && (done < want || !exited) && now_ns() - t0 < timeout) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, 100);
		int64_t t = now_ns();
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == 2) {
				if (!exited)
					exited = t;
				epoll_ctl(ep, EPOLL_CTL_DEL, sfd, NULL);
				continue;
			}
			done++;
			gone = t;
		}
		reap();
	}
	if (want == 0)
		gone = t0;
	if (done >= want)
		print_ms("stop_ms", gone - t0);
	else
		printf("stop_timeout=1\nstop_left=%d\n", want - done);
	if (exited)
		print_ms("stop_exit_ms", exited - t0);
	else
		printf("stop_exit_timeout=1\n");
	return done >= want ? 0 : -1;
}

int main(int argc, char **argv)
{
	int n = 0, storm_mode = 0, kills = 0, slow_kills = 0, pipeline = 0, opt;
	double hold = 0, idle = 0;
	int64_t settle = 1500000000LL, age = 1100000000LL, timeout = 120000000000LL;
	const char *stop_how = "sig:TERM", *markcmd = NULL, *waitfile = NULL;
	while ((opt = getopt(argc, argv, "d:n:rH:s:i:k:K:Pa:W:M:S:T:")) != -1) {
		switch (opt) {
		case 'd':
			dir = optarg;
			break;
		case 'n':
			n = atoi(optarg);
			break;
		case 'r':
			storm_mode = 1;
			break;
		case 'H':
			hold = atof(optarg);
			break;
		case 's':
			settle = (int64_t)(atof(optarg) * 1e6);
			break;
		case 'i':
			idle = atof(optarg);
			break;
		case 'k':
			kills = atoi(optarg);
			break;
		case 'K':
			slow_kills = atoi(optarg);
			break;
		case 'P':
			pipeline = 1;
			break;
		case 'a':
			age = (int64_t)(atof(optarg) * 1e6);
			break;
		case 'W':
			waitfile = optarg;
			break;
		case 'M':
			markcmd = optarg;
			break;
		case 'S':
			stop_how = optarg;
			break;
		case 'T':
			timeout = (int64_t)(atof(optarg) * 1e9);
			break;
		default:
			dir = NULL;
			optind = argc;
		}
	}
	if (!dir || optind >= argc) {
		fprintf(stderr, "usage: bench_drive -d DIR [options] -- SUPERVISOR [ARG...]\n");
		return 2;
	}
	char path[4096];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/sock", dir);
	unlink(a.sun_path);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int big = 4 << 20;
	setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (sock < 0 || bind(sock, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("bench_drive: socket");
		return 1;
	}
	setenv("BENCH_SOCK", a.sun_path, 1);
	setenv("BENCH_DIR", dir, 1);
	if (waitfile) {
		snprintf(path, sizeof(path), "%s/events", dir);
		events = fopen(path, "w");
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	atexit(cleanup);

	int64_t t0 = now_ns();
	sup = fork();
	if (sup == 0) {
		snprintf(path, sizeof(path), "%s/sup.log", dir);
		int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		setpgid(0, 0); /* a Ctrl-C at the terminal reaches the driver only */
		execvp(argv[optind], argv + optind);
		perror("bench_drive: exec");
		_exit(127);
	}
	printf("sup_pid=%d\nlaunch_ns=%lld\n", (int)sup, (long long)t0);
	snprintf(path, sizeof(path), "%d", (int)sup);
	setenv("SUP_PID", path, 1); /* for -M and -S commands */
	fflush(stdout);

	if (storm_mode) {
		while (!interrupted && !storm[0] && now_ns() - t0 < timeout && sup_status < 0)
			receive(100000000);
		long long reap_us, exit_us;
		int count, left;
		if (sscanf(storm, "R %lld %lld %d %d", &reap_us, &exit_us, &count, &left) != 4) {
			printf("storm_timeout=1\n");
			return 1;
		}
		printf("storm_reap_ms=%.3f\nstorm_exit_ms=%.3f\nstorm_orphans=%d\nstorm_left=%d\n",
		       reap_us / 1e3, exit_us / 1e3, count, left);
	} else if (hold > 0) {
		drain((int64_t)(hold * 1e9));
		printf("hold_end_ns=%lld\n", (long long)now_ns());
	} else {
		int64_t last = 0;
		while (!interrupted && nents < n && now_ns() - t0 < timeout && sup_status < 0) {
			struct ent *e = receive(100000000);
			if (e && e->ts > last)
				last = e->ts;
		}
		if (nents < n) {
			printf("start_timeout=1\nstart_seen=%d\n", nents);
			fflush(stdout);
			return 1;
		}
		struct cost c;
		measure(&c);
		print_ms("start_ms", last - t0);
		print_ms("start_cpu_ms", c.main.cpu_ns);
		print_ms("start_cpu_tree_ms", c.tree.cpu_ns);
		print_ms("start_cpu_services_ms", c.services.cpu_ns);
		printf("hwm_kb=%lld\nrss_kb=%lld\npss_kb=%lld\ntree_rss_kb=%lld\ntree_pss_kb=%lld\n"
		       "helpers=%d\nprocs=%d\n",
		       (long long)c.main.hwm_kb, (long long)c.main.rss_kb, (long long)c.main.pss_kb,
		       (long long)c.tree.rss_kb, (long long)c.tree.pss_kb, c.helpers, c.procs);
		fflush(stdout);
		mark(markcmd, "started");
		if (idle > 0 || kills > 0)
			drain(settle);
		if (idle > 0) {
			struct cost b, e;
			measure(&b);
			pid_t bp[MAXE];
			struct pcost bc[MAXE];
			int nb = nh;
			memcpy(bp, hpid, sizeof(pid_t) * (size_t)nh);
			memcpy(bc, hcost, sizeof(struct pcost) * (size_t)nh);
			drain((int64_t)(idle * 1e9));
			measure(&e);
			/* helpers: each compared with itself (present at both ends) */
			struct pcost d = { 0 };
			for (int i = 0; i < nh; i++)
				for (int j = 0; j < nb; j++)
					if (hpid[i] == bp[j]) {
						d.cpu_ns += hcost[i].cpu_ns - bc[j].cpu_ns;
						d.vcsw += hcost[i].vcsw - bc[j].vcsw;
						d.ivcsw += hcost[i].ivcsw - bc[j].ivcsw;
						break;
					}
			print_ms("idle_cpu_ms", e.main.cpu_ns - b.main.cpu_ns);
			printf("idle_vcsw=%lld\nidle_ivcsw=%lld\n",
			       (long long)(e.main.vcsw - b.main.vcsw),
			       (long long)(e.main.ivcsw - b.main.ivcsw));
			print_ms("idle_cpu_tree_ms", e.main.cpu_ns - b.main.cpu_ns + d.cpu_ns);
			printf("idle_vcsw_tree=%lld\nidle_ivcsw_tree=%lld\n",
			       (long long)(e.main.vcsw - b.main.vcsw + d.vcsw),
			       (long long)(e.main.ivcsw - b.main.ivcsw + d.ivcsw));
			fflush(stdout);
		}
		if (kills > 0) {
			int64_t *lat = calloc((size_t)kills, sizeof(int64_t));
			snprintf(path, sizeof(path), "%s/restart_us", dir);
			FILE *out = fopen(path, "w");
			int done = kill_phase(kills, slow_kills, pipeline, age, lat, out);
			if (out)
				fclose(out);
			qsort(lat, (size_t)done, sizeof(lat[0]), cmp_i64);
			printf("restart_n=%d\nrestart_median_us=%.1f\nrestart_p99_us=%.1f\n", done,
			       (double)quantile(lat, done, 0.5) / 1e3,
			       (double)quantile(lat, done, 0.99) / 1e3);
			fflush(stdout);
			mark(markcmd, "killed");
		}
		if (waitfile) {
			struct stat st;
			while (!interrupted && stat(waitfile, &st) < 0 && sup_status < 0)
				receive(50000000);
		}
	}
	if (sup_status >= 0) {
		printf("sup_died=1\n");
		return 1;
	}
	fflush(stdout);
	return stop(stop_how, timeout) < 0 || interrupted;
}

/* The per-start cost of a seccomp profile (issue 15): tend's own spawn
 * (sys/exec.c, vfork until the child has exec'ed) of a trivial static
 * program, alternately without a profile and with compiled ones, so that
 * drift in the machine hits each alike. Two times per start: how long tend
 * is held (spawn_request_run returns once the child has exec'ed: the
 * profile's load is inside it) and until the program has been reaped.
 *
 *   bench_seccomp PROGRAM [STARTS_PER_KIND]   (default 2000)
 *
 * Prints KIND_spawn_median_us, KIND_spawn_p99_us, KIND_life_median_us and
 * KIND_filter_len for KIND none, nonet (default allow, one call denied)
 * and service (default errno, @system-service allowed, @privileged denied),
 * and service_libseccomp (the same, as libseccomp's program, for comparison),
 * then KIND_extra_us: the difference of the spawn medians to none's, and
 * KIND_load_median_us / _p99_us: the load alone (PR_SET_NO_NEW_PRIVS and
 * PR_SET_SECCOMP, sys/seccomp_install.c), timed inside a forked child.
 * On a busy machine the spawn times are bimodal (the child waits for a
 * CPU or not); the load times are not.
 *
 * Unlike the other benchmark programs it links tend's own layers (tenant,
 * sys, config, base): it measures tend's code, not a client of it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "config/config.h"
#include "sys/exec.h"
#include "sys/seccomp_install.h"
#include "tenant/profile.h"

#include "bench.h"

#define KINDS 4

static const char *const names[KINDS] = { "none", "nonet", "service", "service_libseccomp" };
static const char profiles[] =
    "seccomp nonet { default = allow  deny = { socket } }\n"
    "seccomp service { default = errno  allow = { @system-service }  deny = { @privileged } }\n";

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static double quantile_us(int64_t *v, int n, double q)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[(int)((n - 1) * q)] / 1000.0;
}

/* The load alone, timed inside a forked child: what a start pays for the
 * profile, without the scheduling noise of a whole spawn. ns, or -1. */
static int64_t load_ns(const struct sock_fprog *prog)
{
	int fds[2];
	int64_t t = -1;
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int64_t t0 = now_ns();
		if (seccomp_install(prog) < 0)
			_exit(1);
		t0 = now_ns() - t0;
		_exit(write(fds[1], &t0, sizeof(t0)) == sizeof(t0) ? 0 : 1);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], &t, sizeof(t)) != sizeof(t))
		t = -1;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return t;
}

static void compile(struct sock_fprog *progs)
{
	struct config cfg = { 0 };
	char err[1024];

	if (config_parse_text("bench", profiles, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s", err);
		exit(1);
	}
	for (size_t i = 0; i < cfg.nprofiles; i++)
		if (profile_compile(&cfg.profiles[i], &progs[i + 1], err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			exit(1);
		}
	/* the service profile again, as libseccomp exports it (tend loads its
	 * compact encoding: tenant/compact.c) */
	if (profile_compile_libseccomp(&cfg.profiles[1], &progs[3], err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	config_free(&cfg);
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 2000;
	struct sock_fprog progs[KINDS] = { { 0 } };
	char *args[] = { argv[1], NULL }, *env[] = { NULL };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct spawn_request req = { .process = "bench",
				     .argv = args,
				     .envp = env,
				     .stdin_fd = null,
				     .output_fd = null,
				     .cgroup_fd = -1,
				     .ready_fd = -1,
				     .watchdog_fd = -1,
				     .uid = (uid_t)-1,
				     .gid = (gid_t)-1,
				     .ngroups = -1 };
	int64_t *spawn[KINDS], *life[KINDS], *load[KINDS];

	if (argc < 2 || n < 1 || null < 0) {
		fprintf(stderr, "usage: bench_seccomp PROGRAM [STARTS_PER_KIND]\n");
		return 2;
	}
	getrlimit(RLIMIT_NOFILE, &req.nofile);
	compile(progs);
	for (int k = 0; k < KINDS; k++) {
		spawn[k] = calloc((size_t)n, sizeof(int64_t));
		life[k] = calloc((size_t)n, sizeof(int64_t));
		load[k] = calloc((size_t)n, sizeof(int64_t));
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < KINDS; j++) {
			int k = (i + j) % KINDS; /* each kind in each position alike */
			int err = 0, status;
			req.seccomp = k ? &progs[k] : NULL;
			int64_t t0 = now_ns();
			pid_t pid = spawn_request_run(&req, &err);
			int64_t t1 = now_ns();
			if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) {
				fprintf(stderr, "bench_seccomp: %s: start %d failed (%s)\n",
					names[k], i, strerror(err));
				return 1;
			}
			spawn[k][i] = t1 - t0;
			life[k][i] = now_ns() - t0;
			if (k && (load[k][i] = load_ns(&progs[k])) < 0) {
				fprintf(stderr, "bench_seccomp: %s: load failed\n", names[k]);
				return 1;
			}
		}
	double none = quantile_us(spawn[0], n, 0.5);
	for (int k = 0; k < KINDS; k++) {
		double med = quantile_us(spawn[k], n, 0.5);
		printf("%s_spawn_median_us=%.1f\n", names[k], med);
		printf("%s_spawn_p99_us=%.1f\n", names[k], quantile_us(spawn[k], n, 0.99));
		printf("%s_life_median_us=%.1f\n", names[k], quantile_us(life[k], n, 0.5));
		printf("%s_filter_len=%u\n", names[k], (unsigned)progs[k].len);
		if (!k)
			continue;
		printf("%s_extra_us=%.1f\n", names[k], med - none);
		printf("%s_load_median_us=%.1f\n", names[k], quantile_us(load[k], n, 0.5));
		printf("%s_load_p99_us=%.1f\n", names[k], quantile_us(load[k], n, 0.99));
	}
	return 0;
}

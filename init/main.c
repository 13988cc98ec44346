/* tend's entry point: read the command line, pick the run mode, parse
 * conf.d strictly, then set up and run, in that order. */
#include "init/boot.h"
#include "daemon/daemon.h"
#include "init/pid1.h"
#include "init/emergency.h"
#include "sys/log.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "libtend/tend.h" /* libtend: protocol constants, default run dir */

#define CONFIG_ERRORS_MAX 8192

struct options {
	const char *confdir;
	const char *rundir;
	const char *tracking;
	const char *emergency_shell; /* PID 1 only; NULL: none */
	bool check;
	int verbosity;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tend [-c CONFDIR] [-r RUNDIR] [--check] [--tracking=auto|cgroup|ancestry]\n"
		"            [--emergency-shell=COMMAND] [-v] [-q]\n"
		"  -c, --confdir DIR   declarations (default: see README; env TEND_CONFDIR)\n"
		"  -r, --rundir DIR    socket, logs, state (env TEND_RUNDIR)\n"
		"      --check         parse the declarations, report errors, exit\n"
		"      --tracking=M    how process trees are tracked (default auto)\n"
		"      --emergency-shell=COMMAND\n"
		"                      as PID 1, run it on the console when the declarations\n"
		"                      cannot be used (env TEND_EMERGENCY_SHELL)\n"
		"  -v, --verbose       more messages; -q, --quiet: errors only\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "confdir", required_argument, NULL, 'c' },
		{ "rundir", required_argument, NULL, 'r' },
		{ "check", no_argument, NULL, 'C' },
		{ "tracking", required_argument, NULL, 'T' },
		{ "emergency-shell", required_argument, NULL, 'E' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "c:r:vqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o->confdir = optarg;
			break;
		case 'r':
			o->rundir = optarg;
			break;
		case 'C':
			o->check = true;
			break;
		case 'T':
			o->tracking = optarg;
			break;
		case 'E':
			o->emergency_shell = optarg;
			break;
		case 'v':
			o->verbosity++;
			break;
		case 'q':
			o->verbosity = LOG_ERR;
			break;
		case 'h':
			if (getpid() == 1)
				return -1; /* PID 1 never exits, not even for -h */
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind != argc)
		return -1;
	if (strcmp(o->tracking, "auto") != 0 && strcmp(o->tracking, "cgroup") != 0 &&
	    strcmp(o->tracking, "ancestry") != 0)
		return -1;
	return 0;
}

static enum tend_mode pick_mode(void)
{
	if (getpid() == 1)
		return MODE_PID1;
	return geteuid() == 0 ? MODE_SYSTEM : MODE_USER;
}

/* -c, else TEND_CONFDIR, else the mode's default. */
static char *default_confdir(enum tend_mode mode)
{
	char buf[4096];
	const char *env = getenv("TEND_CONFDIR");
	if (env && *env)
		return strdup(env);
	if (mode != MODE_USER)
		return strdup("/etc/tend/conf.d");
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(buf, sizeof(buf), "%s/tend/conf.d", xdg);
	else
		snprintf(buf, sizeof(buf), "%s/.config/tend/conf.d", home ? home : "");
	return strdup(buf);
}

static char *default_rundir(void)
{
	char buf[4096];
	return tend_default_rundir(buf, sizeof(buf)) < 0 ? NULL : strdup(buf);
}

/* PID 1 must run even without usable declarations: with the emergency
 * shell if there is one, else with no group, until a fixed conf.d is
 * reloaded (tend reloads on every edit). */
static void pid1_fallback(struct daemon *d, const struct options *o, struct config *cfg)
{
	struct tend *t = &d->tend;
	bool have_shell = o->emergency_shell && o->emergency_shell[0];
	/* A missing conf.d cannot be watched: then only a request reloads. */
	const char *when = access(d->confdir, F_OK) == 0
			       ? "tend reloads on every edit"
			       : "it does not exist: create it, then run tendctl reload";
	if (have_shell && emergency_config(o->emergency_shell, cfg) == 0) {
		tend_log(&t->log, LOG_ERR,
			 "%s: declarations are unusable; running the emergency shell \"%s\" on "
			 "the console until they are fixed (%s)",
			 d->confdir, o->emergency_shell, when);
		return;
	}
	if (have_shell)
		tend_log(&t->log, LOG_ERR, "emergency shell \"%s\": cannot use it (%s)",
			 o->emergency_shell, "no command words, bad quoting, or out of memory");
	tend_log(&t->log, LOG_ERR,
		 "%s: declarations are unusable; running no group until they are fixed (%s)",
		 d->confdir, when);
}

/* `--check`: the warnings tend would log about tenant limits it cannot
 * apply here (sys/cgroup_limits.c), on stderr, one per tenant. */
static void check_limits(const struct config *cfg, const char *tracking)
{
	unsigned have = 0;
	char why[200], line[600];
	bool cgroup = strcmp(tracking, "ancestry") != 0 &&
		      cgroup_probe_controllers(&have, why, sizeof(why)) == 0;
	if (!cgroup && strcmp(tracking, "ancestry") == 0)
		snprintf(why, sizeof(why), "requested");
	for (size_t i = 0; i < cfg->ntenants; i++) {
		const struct tenant_decl *td = &cfg->tenants[i];
		char reason[320];
		unsigned missing = limits_missing(limits_configured(&td->limits), cgroup, have, why,
						  reason, sizeof(reason));
		if (!missing)
			continue;
		limits_warning(td->name, missing, reason, line, sizeof(line));
		fprintf(stderr, "tend: warning: %s\n", line);
	}
}

/* Parse strictly first; only valid declarations reach set-up. */
static int run(struct daemon *d, const struct options *o)
{
	struct tend *t = &d->tend;
	struct config cfg = { 0 };
	char errors[CONFIG_ERRORS_MAX];
	int loaded = config_load_dir_isolated(d->confdir, &cfg, errors, sizeof(errors));
	bool valid = loaded == 0;
	const char *what = loaded == CONFIG_UNREADABLE ? "could not be read" : "are invalid";
	if (!valid) {
		if (t->mode != MODE_PID1)
			fputs(errors, stderr); /* bare "path:line: message" lines */
		else /* on the console, with the time like every line there */
			for (char *line = strtok(errors, "\n"); line; line = strtok(NULL, "\n"))
				tend_log(&t->log, LOG_ERR, "%s", line);
		if (o->check || t->mode != MODE_PID1) {
			fprintf(stderr, "tend: %s: declarations %s; %s\n", d->confdir, what,
				o->check ? "see above" : "not starting");
			return 1;
		}
		pid1_fallback(d, o, &cfg);
	}
	if (o->check) {
		check_limits(&cfg, o->tracking);
		printf("%s: %zu groups, all valid\n", d->confdir, cfg.ngroups);
		config_free(&cfg);
		return 0;
	}
	system_apply(t, &cfg.system);
	int status = 1;
	if (daemon_setup(d, &cfg, o->tracking) == 0)
		status = daemon_run(d);
	config_free(&cfg);
	daemon_teardown(d);
	if (t->mode == MODE_PID1 && t->shutting_down)
		pid1_finish(t, t->shutdown_kind);
	if (t->mode == MODE_PID1)
		pid1_stay(t, o->emergency_shell);
	return status;
}

/* Descriptors tend inherited (a launching shell's pipe, a test harness's
 * fd 3) would stay open for its whole life, and keep their other ends
 * from ever seeing EOF: tend needs none of them. 0, 1 and 2 stay. */
static void close_inherited_fds(void)
{
	if (close_range(3, ~0U, 0) == 0)
		return;
	struct rlimit rl;
	int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
			  rl.rlim_cur < 1u << 20
		      ? (int)rl.rlim_cur
		      : 1 << 20;
	for (int fd = 3; fd < max; fd++)
		close(fd);
}

int main(int argc, char **argv)
{
	close_inherited_fds();
	struct options o = { .tracking = "auto",
			     .verbosity = LOG_INFO,
			     .emergency_shell = getenv("TEND_EMERGENCY_SHELL") };
	struct daemon d = { .tend = { .log.verbosity = LOG_INFO, .devnull = -1 } };
	struct tend *t = &d.tend;
	tend_init(t, &sys_linux);
	t->mode = pick_mode();
	t->log.boot_clock = t->mode == MODE_PID1;
	if (t->mode == MODE_PID1)
		pid1_boot(t);
	if (parse_options(argc, argv, &o) < 0) {
		if (t->mode != MODE_PID1) {
			usage(stderr);
			return 2;
		}
		/* The kernel hands init every command-line word it does not know
		 * ("single", "splash"): PID 1 goes on with what it understood. */
		tend_log(&t->log, LOG_WARN,
			 "ignoring arguments it does not understand (see tend -h)");
		if (strcmp(o.tracking, "auto") != 0 && strcmp(o.tracking, "cgroup") != 0 &&
		    strcmp(o.tracking, "ancestry") != 0)
			o.tracking = "auto";
	}
	if (t->mode == MODE_PID1 && o.check) {
		tend_log(&t->log, LOG_WARN, "--check ignored: PID 1 runs");
		o.check = false;
	}
	t->log.verbosity = o.verbosity;
	d.confdir = o.confdir ? strdup(o.confdir) : default_confdir(t->mode);
	t->rundir = o.rundir ? strdup(o.rundir) : default_rundir();
	if (!d.confdir || !t->rundir) {
		tend_log(&t->log, LOG_ERR, "out of memory");
		if (t->mode == MODE_PID1)
			pid1_stay(t, o.emergency_shell);
		return 1;
	}

	int status = run(&d, &o);
	free(d.confdir);
	free(t->rundir);
	return status;
}

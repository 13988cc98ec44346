/* tend's entry point: read the command line, pick the run mode, parse
 * conf.d strictly, then set up and run, in that order. */
#include "log.h"
#include "context.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tend.h" /* libtend: protocol constants, default run dir */

#define CONFIG_ERRORS_MAX 8192

struct options {
	const char *confdir;
	const char *rundir;
	const char *tracking;
	bool check;
	int verbosity;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tend [-c CONFDIR] [-r RUNDIR] [--check] [--tracking=auto|cgroup|ancestry]\n"
		"            [-v] [-q]\n"
		"  -c, --confdir DIR   declarations (default: see README; env TEND_CONFDIR)\n"
		"  -r, --rundir DIR    socket, logs, state (env TEND_RUNDIR)\n"
		"      --check         parse the declarations, report errors, exit\n"
		"      --tracking=M    how process trees are tracked (default auto)\n"
		"  -v, --verbose       more messages; -q, --quiet: errors only\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "confdir", required_argument, NULL, 'c' },
		{ "rundir", required_argument, NULL, 'r' },
		{ "check", no_argument, NULL, 'C' },
		{ "tracking", required_argument, NULL, 'T' },
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
		case 'v':
			o->verbosity++;
			break;
		case 'q':
			o->verbosity = LOG_ERR;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind != argc)
		return -1;
	if (strcmp(o->tracking, "auto") && strcmp(o->tracking, "cgroup") &&
	    strcmp(o->tracking, "ancestry"))
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

/* Parse strictly first; only valid declarations reach set-up. */
static int run(struct tend *t, const struct options *o)
{
	struct config cfg = { 0 };
	char errors[CONFIG_ERRORS_MAX];
	bool valid = config_load_dir(t->confdir, &cfg, errors, sizeof(errors)) == 0;
	if (!valid) {
		fputs(errors, stderr);
		if (o->check || t->mode != MODE_PID1) {
			fprintf(stderr, "tend: %s: declarations are invalid; %s\n", t->confdir,
				o->check ? "see above" : "not starting");
			return 1;
		}
		/* PID 1 must run: without groups, until a fixed conf.d is reloaded. */
		fprintf(stderr,
			"tend: %s: declarations are invalid; running no group until "
			"they are fixed (tend reloads on every edit)\n",
			t->confdir);
	}
	if (o->check) {
		printf("%s: %zu groups, all valid\n", t->confdir, cfg.ngroups);
		config_free(&cfg);
		return 0;
	}
	int status = 1;
	if (tend_setup(t, &cfg, o->tracking) == 0)
		status = tend_main_loop(t);
	config_free(&cfg);
	tend_teardown(t);
	if (t->mode == MODE_PID1 && t->shutting_down)
		pid1_finish(t, t->shutdown_kind);
	if (t->mode == MODE_PID1)
		pid1_stay(t);
	return status;
}

int main(int argc, char **argv)
{
	struct options o = { .tracking = "auto", .verbosity = LOG_INFO };
	struct tend t = { .verbosity = LOG_INFO, .devnull = -1, .epfd = -1 };
	if (parse_options(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	t.verbosity = o.verbosity;
	t.mode = pick_mode();
	t.confdir = o.confdir ? strdup(o.confdir) : default_confdir(t.mode);
	t.rundir = o.rundir ? strdup(o.rundir) : default_rundir();
	if (!t.confdir || !t.rundir) {
		fprintf(stderr, "tend: out of memory\n");
		return 1;
	}

	int status = run(&t, &o);
	free(t.confdir);
	free(t.rundir);
	return status;
}

/* tendctl: the command-line client. It forwards COMMAND ARGS... to tend as one
 * request and prints the reply; tend decides what a request means. Three
 * requests get what only the client knows: `service register` its parent's
 * pid (tendctl itself exits at once), `add` an absolute path, `run` the
 * directory it is run in. `run --wait` exits with the command's status. One
 * command tendctl does itself: `account` reads the records
 * (tendctl_account.c). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libtend/tend.h"
#include "tools/tendctl.h"

static const char usage_text[] =
    "usage: tendctl [-r RUNDIR] COMMAND [ARGS...]\n"
    "\n"
    "Commands (tend checks them; see README.md):\n"
    "  status [--json] [--tenant T] [GROUP]      groups, processes and their trees\n"
    "  start|stop|restart [--no-wait] GROUP[/PROCESS]\n"
    "  events [--json]                           stream events until interrupted\n"
    "  ping                                      check that tend answers\n"
    "  reload                                    apply conf.d now; print what changed\n"
    "  logs GROUP[/PROCESS] [-n N] [-f]          last N log lines; -f follows\n"
    "  reboot|poweroff|halt                      as PID 1: end the machine\n"
    "  watchdog suspend|resume GROUP/PROCESS     stop or resume acting on missed heartbeats\n"
    "  watchdog device [--json]                  the hardware watchdog: device, timeout, pings\n"
    "  service list [--json]                     every service and its locations\n"
    "  service lookup NAME [--json]              the locations of one service\n"
    "  service register NAME [--host H] [--port P] [--proto tcp|udp|unix] [--path PATH]\n"
    "          [--context K=V]... [--pid PID | --decoupled] [--proxy]\n"
    "                                            coupled to PID (default: tendctl's parent)\n"
    "  service deregister NAME [--host H] [--port P]\n"
    "  watch [service NAME | group NAME | host H | all] [--json] [--since INDEX]\n"
    "                                            what there is, \"sync INDEX\", then each change\n"
    "  add FILE                                  install FILE's groups (transient) now\n"
    "  remove [--no-wait] GROUP                  stop and forget a group that add installed\n"
    "  peers [--json]                            the cluster: this host, its peers, negotiable\n"
    "                                            groups and dropped datagrams\n"
    "  release GROUP                             hand a negotiable group running here to a peer\n"
    "  run [--tenant T] [--group NAME] [--restart never|on-failure|always] [--wait]\n"
    "      [--directory DIR] [--env KEY=VALUE]... -- COMMAND [ARG...]\n"
    "                                            launch COMMAND as a transient group (run-N)\n"
    "                                            in this directory; --wait: exit as it did\n"
    "  account [--tenant T] [--group G] [--since TIME] [--until TIME] [--by tenant|group|day]\n"
    "          [--json|--csv]                    sum the accounting records (read from\n"
    "                                            RUNDIR/account; TIME: YYYY-MM-DD[THH:MM:SS]\n"
    "                                            in UTC, or -7d, -12h, -30m)\n"
    "  tenants [--json]                          each tenant: groups, processes, profile, user,\n"
    "                                            cgroup and limits (applied, or why not)\n"
    "\n"
    "Options:\n"
    "  -r RUNDIR     tend's run directory (default: $TEND_RUNDIR, else /run/tend\n"
    "                for root, else $XDG_RUNTIME_DIR/tend, else /tmp/tend-$UID)\n"
    "  -h, --help    show this help\n"
    "  --version     show the version\n"
    "\n"
    "Exit status: 0 success, 1 error, 2 bad usage.\n";

/* Set when stdout went away (EPIPE): stop quietly. */
struct out_state {
	int closed;
	int error;
};

static int check_stdout(struct out_state *st)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	if (errno == EPIPE)
		st->closed = 1;
	else
		st->error = errno ? errno : EIO;
	return -1;
}

static int print_line(const char *payload, void *arg)
{
	struct out_state *st = arg;

	fputs(payload, stdout);
	putchar('\n');
	return check_stdout(st) < 0; /* non-zero stops the request */
}

/* `service register` from tendctl: tendctl exits at once, so what it
 * registers is coupled to its parent (the script that ran it) unless
 * --pid or --decoupled says otherwise. Returns argv, or a copy with
 * "--pid PPID" added (in static storage). */
static char **couple_to_parent(int argc, char **argv)
{
	static char *with_pid[256];
	static char ppid[24];
	if (argc < 2 || argc > 250 || strcmp(argv[0], "service") != 0 ||
	    strcmp(argv[1], "register") != 0)
		return argv;
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--pid") == 0 || strcmp(argv[i], "--decoupled") == 0)
			return argv;
	/* 0: the parent is outside our pid namespace; 1: it is gone */
	if (getppid() <= 1) {
		fprintf(stderr, "tendctl: cannot tell which process offers the service (no "
				"parent here): give --pid PID or --decoupled\n");
		exit(2);
	}
	snprintf(ppid, sizeof(ppid), "%d", (int)getppid());
	for (int i = 0; i < argc; i++)
		with_pid[i] = argv[i];
	with_pid[argc] = "--pid";
	with_pid[argc + 1] = ppid;
	with_pid[argc + 2] = NULL;
	return with_pid;
}

/* `add FILE`: tend reads the file, from its own working directory: name
 * it absolutely. Returns argv, changed in place where needed. */
static char **absolute_file(int argc, char **argv)
{
	static char path[4096];
	if (argc != 2 || strcmp(argv[0], "add") != 0 || argv[1][0] == '/')
		return argv;
	if (!realpath(argv[1], path)) {
		fprintf(stderr, "tendctl: %s: %s\n", argv[1], strerror(errno));
		exit(1);
	}
	argv[1] = path;
	return argv;
}

/* The options of `run` that take a value (the next word, or after '='). */
static bool run_option_has_value(const char *word)
{
	static const char *const with_value[] = { "--tenant", "--group", "--restart", "--directory",
						  "--env" };
	for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
		if (strcmp(word, with_value[i]) == 0)
			return true;
	return false;
}

/* A relative --directory made absolute (the word itself, or its value). */
static void absolute_directory(char **word, const char *prefix)
{
	static char dir[PATH_MAX], with_prefix[PATH_MAX + 16];
	const char *d = *word + strlen(prefix);
	if (d[0] == '/')
		return;
	if (!realpath(d, dir)) {
		fprintf(stderr, "tendctl: %s: %s\n", d, strerror(errno));
		exit(1);
	}
	snprintf(with_prefix, sizeof(with_prefix), "%s%s", prefix, dir);
	*word = with_prefix;
}

/* `run`: tend starts the command in tendctl's working directory unless
 * --directory names one (made absolute here); notes --wait. Returns the
 * request (argv, or a copy with "--directory CWD" added after "run"). */
static char **run_request(int argc, char **argv, bool *wait)
{
	static char cwd[PATH_MAX];
	bool has_dir = false;
	int i;
	if (argc < 1 || strcmp(argv[0], "run") != 0)
		return argv;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0 && argv[i][0] == '-'; i++) {
		*wait |= strcmp(argv[i], "--wait") == 0;
		if (strncmp(argv[i], "--directory=", 12) == 0) {
			absolute_directory(&argv[i], "--directory=");
			has_dir = true;
		} else if (strcmp(argv[i], "--directory") == 0 && i + 1 < argc) {
			absolute_directory(&argv[i + 1], "");
			has_dir = true;
		}
		i += run_option_has_value(argv[i]);
	}
	if (has_dir || !getcwd(cwd, sizeof(cwd)))
		return argv; /* no working directory (deleted): tend's own */
	char **with_dir = calloc((size_t)argc + 3, sizeof(*with_dir));
	if (!with_dir)
		return argv;
	with_dir[0] = argv[0];
	with_dir[1] = "--directory";
	with_dir[2] = cwd;
	for (i = 1; i < argc; i++)
		with_dir[i + 2] = argv[i];
	return with_dir;
}

/* `run --wait`: the data line "status exit N" or "status signal N" sets
 * the exit status, as a shell would (128 + N for a signal); others are
 * printed. */
struct run_state {
	struct out_state out;
	int status;
};

static int run_line(const char *payload, void *arg)
{
	struct run_state *rs = arg;
	int n;
	if (sscanf(payload, "status exit %d", &n) == 1) {
		rs->status = n;
		return 0;
	}
	if (sscanf(payload, "status signal %d", &n) == 1) {
		rs->status = 128 + n;
		return 0;
	}
	return print_line(payload, &rs->out);
}

static int usage_error(void)
{
	fputs(usage_text, stderr);
	return 2;
}

int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char rundir[4096], err[4096];
	const char *dir = NULL;
	struct out_state st = { 0, 0 };
	int opt, fd, ret;

	signal(SIGPIPE, SIG_IGN);
	opterr = 0;
	/* '+': options end at the first non-option, the command. */
	while ((opt = getopt_long(argc, argv, "+:hr:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return check_stdout(&st) < 0 && !st.closed;
		case 'V':
			printf("tendctl %s\n", TEND_VERSION);
			return check_stdout(&st) < 0 && !st.closed;
		case 'r':
			dir = optarg;
			break;
		case ':':
			fprintf(stderr, "tendctl: option -%c needs an argument\n", optopt);
			return usage_error();
		default:
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				fprintf(stderr, "tendctl: bad option %s\n", argv[optind - 1]);
			else
				fprintf(stderr, "tendctl: unknown option -%c\n", optopt);
			return usage_error();
		}
	}
	if (optind >= argc)
		return usage_error();

	if (!dir) {
		if (tend_default_rundir(rundir, sizeof(rundir)) < 0) {
			fprintf(stderr, "tendctl: run directory path too long\n");
			return 1;
		}
		dir = rundir;
	}
	if (strcmp(argv[optind], "account") == 0) {
		ret = account_command(dir, argc - optind, argv + optind);
		if (check_stdout(&st) < 0 && !st.closed) {
			fprintf(stderr, "tendctl: write error: %s\n", strerror(st.error));
			return 1;
		}
		return ret;
	}
	fd = tend_connect(dir);
	if (fd < 0) {
		int e = errno;

		fprintf(stderr, "tendctl: cannot connect to %s/%s: %s%s\n", dir, TEND_SOCKET_NAME,
			strerror(e), e == ENAMETOOLONG ? "" : " (is tend running?)");
		return 1;
	}
	bool wait = false;
	char **request = run_request(
	    argc - optind,
	    absolute_file(argc - optind, couple_to_parent(argc - optind, argv + optind)), &wait);
	struct run_state rs = { .status = 1 };
	ret = wait ? tend_request(fd, request, run_line, &rs, err, sizeof(err))
		   : tend_request(fd, request, print_line, &st, err, sizeof(err));
	close(fd);
	if (wait)
		st = rs.out;

	if (ret == 1) { /* print_line stopped: stdout is gone or broken */
		if (st.closed)
			return 0;
		fprintf(stderr, "tendctl: write error: %s\n", strerror(st.error));
		return 1;
	}
	if (ret < 0) {
		fprintf(stderr, "tendctl: %s\n", err);
		return strncmp(err, "usage:", 6) == 0 ? 2 : 1;
	}
	if (err[0])
		printf("%s\n", err);
	if (check_stdout(&st) < 0 && !st.closed) {
		fprintf(stderr, "tendctl: write error: %s\n", strerror(st.error));
		return 1;
	}
	return wait ? rs.status : 0;
}

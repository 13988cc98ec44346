/* libFuzzer target for the control protocol and the state machines behind
 * it. Every input line is either a request, handled as tend would (split,
 * dispatched to the command handlers, answered through the control layer's
 * bus subscribers), or, starting with '!', something the simulated kernel
 * does to the small supervised world below:
 *   !exit GROUP/PROCESS STATUS    its main process exits with STATUS
 *   !kill GROUP/PROCESS SIGNAL    its main process is killed by SIGNAL
 *   !tick MS                      the clock moves on; due timers fire
 *   !left GROUP/PROCESS 0|1       whether its tree has members besides the main
 *   !fail ERRNO                   spawns fail with ERRNO from now on (0: succeed)
 *   !ready GROUP/PROCESS          it says it is ready
 *   !hung GROUP/PROCESS           its watchdog expires
 *   !gone PID                     a process that registered services ends
 *   !conf 0|1|2                   what the next `reload` reads: the world's
 *                                 declarations, changed ones, invalid ones
 *   !file                         the lines up to "!end" are the text of the
 *                                 file `add /ANY/PATH` reads
 * so that every pair of the transition tables that can happen is reached. Built and run
 * by `make fuzz`.
 *
 * Besides not crashing: every reply line is a data line ("> ...") or a
 * status line; a request gets exactly one status line, unless its reply is
 * deferred (start/stop waiting for a state, `events`, `logs -f`, `watch`),
 * when it gets none yet; a simulated event answers at most the one deferred
 * request; and nothing that cannot happen happens (tend_bug). The services
 * directory is wired as the daemon wires it (its requests, watches, and
 * the declared services of "web"), without pidfds: `!gone` stands in for
 * an owner's end. `reload` reads one of three conf.d directories through
 * the isolated reader (a fork per reload; a crash in it aborts: see
 * FUZZ_FLAGS) and applies the plan; `add` reads the input's "!file" text
 * through the same reader, whatever path it names. `run` groups are launched on the
 * simulated kernel, and removed once they have ended as the loop's hook
 * would (ephemeral_collect). */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control/commands.h"
#include "control/server.h"
#include "core/context.h"
#include "core/reload_apply.h"
#include "core/ephemeral.h"
#include "libtend/cmdline.h"
#include "sys/exec.h"
#include "services/declared.h"
#include "services/directory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The simulated kernel: a clock, pids, and trees that may outlive their
 * main process. Leftovers are keyed by the process's address. */
struct world {
	struct tend t;
	uint64_t now;
	pid_t next_pid;
	int spawn_errno;
	unsigned conf;	   /* which of conf_dirs the next reload reads */
	uint64_t reloads;  /* tickets given */
	bool reload_asked; /* a `reload` waits to be read and applied */
	const struct process *left[8];
	size_t nleft;
};

static struct world *world_of(struct sys *s)
{
	return s->fake;
}

static uint64_t fake_now(struct sys *s)
{
	return world_of(s)->now;
}

static pid_t fake_spawn(struct sys *s, const struct spawn_request *req, int *err)
{
	(void)req;
	struct world *w = world_of(s);
	if (w->spawn_errno) {
		*err = w->spawn_errno;
		return -1;
	}
	return w->next_pid++; /* fake pids only: never signalled */
}

static struct process *find(struct world *w, const char *target)
{
	struct group *g;
	struct process *p;
	return tend_find_target(&w->t, target, &g, &p) ? p : NULL;
}

static const struct process *process_of_tree(struct world *w, const struct tree *tree)
{
	struct group *g = tend_find_group(&w->t, tree->group);
	return g ? group_find_process(g, tree->process) : NULL;
}

static bool has_leftovers(struct world *w, const struct tree *tree)
{
	const struct process *p = process_of_tree(w, tree);
	for (size_t i = 0; i < w->nleft; i++)
		if (w->left[i] == p)
			return true;
	return false;
}

static void set_leftovers(struct world *w, const struct process *p, bool on)
{
	for (size_t i = 0; i < w->nleft; i++)
		if (w->left[i] == p) {
			if (!on)
				w->left[i] = w->left[--w->nleft];
			return;
		}
	if (on && w->nleft < sizeof(w->left) / sizeof(w->left[0]))
		w->left[w->nleft++] = p;
}

static void fake_signal_main(struct sys *s, const struct tree *tree, int sig)
{
	(void)s;
	(void)tree;
	(void)sig;
}

/* What is left of a tree ends on SIGTERM or SIGKILL (the main process
 * exits only when the input says so). */
static void fake_signal_tree(struct sys *s, const struct tree *tree, int sig)
{
	struct world *w = world_of(s);
	if (sig == SIGKILL || sig == SIGTERM)
		set_leftovers(w, process_of_tree(w, tree), false);
}

static bool fake_tree_empty(struct sys *s, const struct tree *tree)
{
	return !tree->main && !has_leftovers(world_of(s), tree);
}

static const struct sys_ops fake_ops = {
	.now_ms = fake_now,
	.wall_ms = fake_now,
	.spawn = fake_spawn,
	.signal_main = fake_signal_main,
	.signal_tree = fake_signal_tree,
	.tree_empty = fake_tree_empty,
};

static const char world_conf[] =
    "group \"web\" {\n"
    " process \"db\" { command = \"db\" critical = true restart-limit = 2 }\n"
    " process \"app\" { command = \"app\" dependent = true ready = notify watchdog = 1s }\n"
    " process \"up\" { command = \"up\" ready = fd:3 ready-timeout = 1s }\n"
    " service \"http\" { process = \"app\" port = 80 proto = tcp context = { \"a=b\" } }\n"
    " service \"sock\" { process = \"up\" proto = unix path = \"/run/up.sock\" }\n"
    "}\n"
    "group \"batch\" { autostart = false\n"
    " process \"init\" { command = \"init\" type = oneshot }\n"
    " process \"run\" { command = \"run\" restart = on-failure }\n"
    "}\n"
    "process \"solo\" { command = \"solo\" type = oneshot }\n";

/* What a reload may find: the world changed (a command, a group gone,
 * one added), and declarations that are invalid. */
static const char changed_conf[] =
    "group \"web\" {\n"
    " process \"db\" { command = \"db2\" critical = true restart-limit = 2 }\n"
    " process \"app\" { command = \"app\" dependent = true ready = notify watchdog = 1s }\n"
    " process \"up\" { command = \"up\" ready = fd:3 ready-timeout = 1s }\n"
    " service \"http\" { process = \"app\" port = 81 proto = tcp }\n"
    "}\n"
    "group \"extra\" { requires = { \"web\" } process \"x\" { command = \"x\" } }\n"
    "process \"solo\" { command = \"solo\" type = oneshot }\n";
static const char invalid_conf[] = "group \"web\" { process \"db\" { command = } }\n";

static char conf_dirs[3][32];
static char added_dir[32], added[64]; /* the file `add` reads */

static void remove_conf_dirs(void)
{
	char file[64];
	unlink(added);
	rmdir(added_dir);
	for (int i = 0; i < 3; i++) {
		snprintf(file, sizeof(file), "%s/a.conf", conf_dirs[i]);
		unlink(file);
		rmdir(conf_dirs[i]);
	}
}

/* Once per fuzzer process: three conf.d directories, removed at exit
 * (libFuzzer exits through exit() when its time is up). */
static void make_conf_dirs(void)
{
	atexit(remove_conf_dirs);
	static const char *const texts[] = { world_conf, changed_conf, invalid_conf };
	for (int i = 0; i < 3; i++) {
		snprintf(conf_dirs[i], sizeof(conf_dirs[i]), "/tmp/fuzz_request-XXXXXX");
		char file[64];
		if (!mkdtemp(conf_dirs[i]))
			abort();
		snprintf(file, sizeof(file), "%s/a.conf", conf_dirs[i]);
		FILE *f = fopen(file, "w");
		if (!f || fputs(texts[i], f) < 0 || fclose(f) != 0)
			abort();
	}
	snprintf(added_dir, sizeof(added_dir), "/tmp/fuzz_request-XXXXXX");
	if (!mkdtemp(added_dir))
		abort();
	snprintf(added, sizeof(added), "%s/added.conf", added_dir);
}

/* `reload` as the daemon does it, less the cluster and system sections:
 * the request takes a ticket, and the reload is read and applied once the
 * request has been dispatched (the daemon does it from its loop). */
static uint64_t fuzz_reload(void *ctx)
{
	struct world *w = ctx;
	w->reload_asked = true;
	return ++w->reloads;
}

static void reload_now(struct world *w, struct control *ctl)
{
	struct config cfg = { 0 };
	struct buf report = { 0 };
	char errors[2048];
	bool ok;
	if (!w->reload_asked)
		return;
	w->reload_asked = false;
	if (config_load_dir_isolated(conf_dirs[w->conf], &cfg, errors, sizeof(errors)) < 0) {
		buf_puts(&report, errors);
		ok = false;
	} else {
		ok = reload_apply(&w->t, &cfg, &report) == 0;
		config_free(&cfg);
	}
	control_reload_done(ctl, w->reloads, ok, &report);
	buf_free(&report);
}

/* `add FILE` reads the text of the last "!file" block, whatever FILE. */
static void write_added(const char *text, size_t len)
{
	FILE *f = fopen(added, "w");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0)
		abort();
}

static void add_reads_added(char **argv)
{
	if (strcmp(argv[0], "add") != 0 || !argv[1] || argv[1][0] != '/')
		return;
	char *path = strdup(added);
	if (!path)
		abort();
	free(argv[1]);
	argv[1] = path;
}

/* A "!file" line: the lines up to "!end" (or the end) are the file `add`
 * reads. Returns where the input goes on. */
static char *file_block(char *from)
{
	char *end = strncmp(from, "!end", 4) == 0 ? from : strstr(from, "\n!end");
	size_t len = end ? (size_t)(end - from) + (end != from) : strlen(from);
	write_added(from, len);
	if (!end)
		return NULL;
	char *nl = strchr(end + 1, '\n');
	return nl ? nl + 1 : NULL;
}

static void build_world(struct world *w)
{
	struct config cfg = { 0 };
	char err[512];
	char path[] = "/tmp/fuzz_request-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, world_conf, sizeof(world_conf) - 1) < 0 ||
	    config_parse_file(path, &cfg, err, sizeof(err)) < 0)
		abort();
	close(fd);
	unlink(path);
	if (registry_adopt(&w->t, &cfg) < 0)
		abort();
}

/* What the client received since the last look: sent through a real
 * socket pair, as the server sends it. */
static void receive(struct client *c, int peer, struct buf *got)
{
	char chunk[4096];
	ssize_t n;
	for (int round = 0; round < 1000 && (client_unsent(c) || round == 0); round++) {
		client_flush(c);
		while ((n = read(peer, chunk, sizeof(chunk))) > 0)
			buf_append(got, chunk, (size_t)n);
	}
}

/* Counts status lines; aborts on a line that is neither data nor status.
 * FUZZ_TRACE=1 in the environment prints the replies (to read a finding). */
static size_t status_lines(struct buf *got)
{
	static int trace = -1;
	if (trace < 0)
		trace = getenv("FUZZ_TRACE") != NULL;
	if (trace && got->data)
		fputs(got->data, stderr);
	size_t n = 0;
	for (const char *line = got->data; line && *line;) {
		const char *nl = strchr(line, '\n');
		if (!nl)
			abort(); /* every reply line ends with a newline */
		if (strncmp(line, "OK", 2) == 0 || strncmp(line, "ERR", 3) == 0)
			n++;
		else if (strncmp(line, "> ", 2) != 0)
			abort();
		line = nl + 1;
	}
	buf_reset(got);
	return n;
}

/* What the simulated kernel does for one '!' line. */
static void simulate(struct world *w, char **argv)
{
	struct process *p = argv[1] ? find(w, argv[1]) : NULL;
	long n = argv[1] && argv[2] ? strtol(argv[2], NULL, 10) : 0;
	if (strcmp(argv[0], "!tick") == 0 && argv[1]) {
		w->now += (uint64_t)(strtoul(argv[1], NULL, 10) % 100000);
		timers_run_due(&w->t.loop);
	} else if (strcmp(argv[0], "!fail") == 0 && argv[1]) {
		w->spawn_errno = (int)(strtoul(argv[1], NULL, 10) % 200);
	} else if (strcmp(argv[0], "!conf") == 0 && argv[1]) {
		w->conf = (unsigned)(strtoul(argv[1], NULL, 10) % 3);
	} else if (!p) {
		return;
	} else if (strcmp(argv[0], "!exit") == 0 && p->pid) {
		process_exited(&w->t, p, W_EXITCODE((int)(n & 0xff), 0), NULL);
	} else if (strcmp(argv[0], "!kill") == 0 && p->pid && n > 0 && n < 32) {
		process_exited(&w->t, p, W_EXITCODE(0, (int)n), NULL);
	} else if (strcmp(argv[0], "!left") == 0) {
		set_leftovers(w, p, n != 0);
	} else if (strcmp(argv[0], "!ready") == 0) {
		process_step(&w->t, p, PE_READY);
	} else if (strcmp(argv[0], "!hung") == 0) {
		process_step(&w->t, p, PE_HUNG);
	}
}

/* The '!' lines about pids rather than processes. */
static bool simulate_pid(struct directory *d, char **argv)
{
	if (strcmp(argv[0], "!gone") != 0 || !argv[1])
		return false;
	directory_owner_gone(d, (pid_t)strtol(argv[1], NULL, 10));
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct world w;
	if (!conf_dirs[0][0])
		make_conf_dirs();
	memset(&w, 0, sizeof(w));
	w.t.log.verbosity = -1;
	w.now = 1000;
	w.next_pid = 100;
	tend_init(&w.t, &fake_ops);
	w.t.sys.fake = &w;
	if (loop_init(&w.t.loop) < 0)
		abort();
	build_world(&w);
	static struct directory dir;
	directory_init(&dir, NULL, &w.t.log);
	struct control ctl = { .t = &w.t,
			       .w.fd = -1,
			       .spare_fd = -1,
			       .services = &dir,
			       .reload = fuzz_reload,
			       .reload_ctx = &w };
	struct client c = { .uid = 0, .pid = 4242, .ctl = &ctl };
	struct buf got = { 0 };
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) < 0)
		abort();
	c.w.fd = pair[0];
	w.t.rundir = "/nonexistent/tend-fuzz"; /* logs: no files */
	/* The control layer's subscribers, as the daemon wires them. */
	bus_subscribe(&w.t.bus, ~0u, event_stream_on_event, &ctl);
	bus_subscribe(&w.t.bus, ~0u, followers_on_event, &ctl);
	bus_subscribe(&w.t.bus, ~0u, waiters_on_event, &ctl);
	bus_subscribe(&w.t.bus, ~0u, declared_on_event, &dir);
	journal_listen(&dir.journal, watchers_on_change, &ctl);
	journal_listen(&dir.journal, event_stream_on_change, &ctl);
	ctl.clients = &c;

	write_added("", 0);
	char *text = strndup((const char *)data, size);
	for (char *line = text, *next; line && *line; line = next) {
		char *nl = strchr(line, '\n');
		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		if (strcmp(line, "!file") == 0) {
			next = next ? file_block(next) : NULL;
			continue;
		}
		const char *why;
		char **argv = cmdline_split(line, &why);
		bool waiting = c.wait.active;
		if (argv && argv[0] && argv[0][0] == '!') {
			if (!simulate_pid(&dir, argv))
				simulate(&w, argv);
			ephemeral_collect(&w.t); /* the loop's hook: runs that ended go */
			receive(&c, pair[1], &got);
			/* At most the deferred reply is answered. */
			if (status_lines(&got) > (waiting ? 1u : 0u))
				abort();
		} else if (argv && argv[0]) {
			c.wait.active = false; /* tend would hold the request back */
			add_reads_added(argv);
			command_dispatch(&w.t, &c, argv);
			reload_now(&w, &ctl);
			ephemeral_collect(&w.t);
			receive(&c, pair[1], &got);
			size_t n = status_lines(&got);
			/* One status line; none yet for a deferred reply (a wait, or
			 * `events` and `logs -f`, which stream until the end). */
			bool streams =
			    c.wait.active || c.subscribed || c.follow_group || c.watch.active;
			if (streams ? n > 1 : n != 1)
				abort();
		}
		argv_free(argv);
		if (w.t.bugs)
			abort(); /* something that cannot happen happened */
		if (c.closing)
			break; /* dropped (it would not be read any more) */
	}
	free(text);
	ctl.clients = NULL;
	close(pair[0]);
	close(pair[1]);
	buf_free(&got);
	buf_free(&c.out);
	buf_free(&c.in);
	directory_free(&dir);
	registry_free(&w.t);
	pidmap_free(&w.t.pids);
	free(w.t.base_env);
	loop_close(&w.t.loop);
	return 0;
}

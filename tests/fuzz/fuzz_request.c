/* libFuzzer target for the control protocol: every input line is a request,
 * handled as tend would (split, dispatch to the command handlers) against a
 * small supervised world whose processes are simulated through the sys_ops
 * seam. Built and run by `make fuzz`.
 *
 * Besides not crashing: every request gets exactly one status line, and
 * every reply line is a data line ("> ...") or a status line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libtend/cmdline.h"
#include "control/commands.h"
#include "control/server.h"
#include "core/context.h"
#include "sys/exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fake_now(struct sys *s)
{
	(void)s;
	return 1000;
}

static pid_t fake_spawn(struct sys *s, const struct spawn_request *req, int *err)
{
	(void)s;
	(void)req;
	(void)err;
	static pid_t next = 100; /* fake pids only: never signalled */
	return next++;
}

static void fake_signal(struct sys *s, const struct tree *tree, int sig)
{
	(void)s;
	(void)tree;
	(void)sig;
}

static bool fake_tree_empty(struct sys *s, const struct tree *tree)
{
	(void)s;
	return !tree->main;
}

static const struct sys_ops fake_ops = {
	.now_ms = fake_now,
	.wall_ms = fake_now,
	.spawn = fake_spawn,
	.signal_main = fake_signal,
	.signal_tree = fake_signal,
	.tree_empty = fake_tree_empty,
};

static const char world[] = "group \"web\" {\n"
			    " process \"db\" { command = \"db\" critical = true }\n"
			    " process \"app\" { command = \"app\" dependent = true }\n"
			    "}\n"
			    "process \"solo\" { command = \"solo\" type = oneshot }\n";

static void build_world(struct tend *t)
{
	struct config cfg = { 0 };
	char err[512];
	char path[] = "/tmp/fuzz_request-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, world, sizeof(world) - 1) < 0 ||
	    config_parse_file(path, &cfg, err, sizeof(err)) < 0)
		abort();
	close(fd);
	unlink(path);
	t->groups = calloc(cfg.ngroups, sizeof(*t->groups));
	for (size_t i = 0; i < cfg.ngroups; i++)
		t->groups[t->ngroups++] = group_new(t, &cfg.groups[i]);
	config_free(&cfg);
}

static void check_reply(const struct buf *out)
{
	size_t status_lines = 0;
	for (const char *line = out->data; line && *line;) {
		const char *nl = strchr(line, '\n');
		if (!nl)
			abort(); /* every reply line ends with a newline */
		if (strncmp(line, "OK", 2) == 0 || strncmp(line, "ERR", 3) == 0)
			status_lines++;
		else if (strncmp(line, "> ", 2) != 0)
			abort();
		line = nl + 1;
	}
	if (status_lines > 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tend t = { .log.verbosity = -1 };
	tend_init(&t, &fake_ops);
	struct control ctl = { .t = &t };
	struct client c = { .uid = 0, .ctl = &ctl };
	build_world(&t);
	char *text = strndup((const char *)data, size);
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *why;
		char **argv = cmdline_split(line, &why);
		if (argv && argv[0]) {
			c.wait.active = false;
			command_dispatch(&t, &c, argv);
			check_reply(&c.out);
		}
		argv_free(argv);
		buf_reset(&c.out);
	}
	free(text);
	buf_free(&c.out);
	for (size_t i = 0; i < t.ngroups; i++)
		group_free(&t, t.groups[i]);
	free(t.groups);
	pidmap_free(&t.pids);
	loop_close(&t.loop);
	return 0;
}

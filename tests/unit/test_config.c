/* Parsing conf.d: fields, defaults, order, and the exact "path:line: message"
 * lines for everything that is wrong. Each test gets a fresh directory. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "init/emergency.h"
#include "conf_fixture.h"

static void put_file(struct fixture *f, const char *name, const char *text)
{
	write_test_file(f->dir, name, text);
}

static int load(struct fixture *f)
{
	config_free(&f->cfg);
	return config_load_dir(f->dir, &f->cfg, f->err, sizeof(f->err));
}

/* Loads and expects success with no messages. */
static void load_ok(struct fixture *f)
{
	int rc = load(f);

	if (rc != 0)
		fail_msg("load failed:\n%s", f->err);
	assert_string_equal(f->err, "");
}

/* Replaces every "DIR" in want by the fixture's directory. */
static char *with_dir(struct fixture *f, const char *want)
{
	static char out[ERR_SIZE];
	const char *p;
	size_t n = 0;

	for (p = want; *p && n + strlen(f->dir) + 1 < sizeof(out); p++) {
		if (strncmp(p, "DIR", 3) == 0) {
			n += (size_t)sprintf(out + n, "%s", f->dir);
			p += 2;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return out;
}

/* Loads and expects failure with exactly these lines ("DIR" = the dir). The
 * model must stay untouched. */
static void load_fails(struct fixture *f, const char *want)
{
	struct config before = { .groups = (struct group_decl *)0x1, .ngroups = 42 };

	config_free(&f->cfg);
	f->cfg = before;
	assert_int_equal(config_load_dir(f->dir, &f->cfg, f->err, sizeof(f->err)), -1);
	assert_ptr_equal(f->cfg.groups, before.groups);
	assert_int_equal(f->cfg.ngroups, 42);
	f->cfg = (struct config){ 0 };
	assert_string_equal(f->err, with_dir(f, want));
}

/* One file, 10-t.conf, expected to fail with the given lines for it. */
static void file_fails(struct fixture *f, const char *text, const char *want)
{
	char buf[ERR_SIZE];
	const char *p;
	size_t n = 0;

	put_file(f, "10-t.conf", text);
	/* want lists "LINE: message" lines; prefix each with the path */
	for (p = want; *p; p = strchr(p, '\n') + 1)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "DIR/10-t.conf:%.*s\n",
				      (int)(strchr(p, '\n') - p), p);
	buf[n] = '\0';
	load_fails(f, buf);
}

static const struct group_decl *group(struct fixture *f, const char *name)
{
	const struct group_decl *g = config_find_group(&f->cfg, name);

	if (!g)
		fail_msg("no group %s", name);
	return g;
}

static const struct process_decl *proc(const struct group_decl *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->nprocs; i++)
		if (strcmp(g->procs[i].name, name) == 0)
			return &g->procs[i];
	fail_msg("no process %s in %s", name, g->name);
	return NULL;
}

static void assert_argv(char *const *argv, const char *const *want)
{
	size_t i;

	assert_non_null(argv);
	for (i = 0; want[i]; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
}

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_WORDS ((const char *const[]){ NULL })

/* ---- good configurations ---- */

static void test_full_example(void **state)
{
	struct fixture *f = *state;
	const struct group_decl *g;
	const struct process_decl *p;
	char file[512];

	put_file(f, "10-web.conf",
		 "group \"web\" {\n"
		 "    tenant     = \"acme\"              # optional; \"default\" otherwise\n"
		 "    autostart  = true\n"
		 "    process \"migrate\" { command = \"/usr/bin/db-migrate\"  type = oneshot }\n"
		 "    process \"db\"      { command = \"/usr/bin/db --fg\"  critical = true }\n"
		 "    process \"nginx\"   {\n"
		 "        command        = \"/usr/sbin/nginx -g 'daemon off;'\"\n"
		 "        dependent      = true\n"
		 "        restart        = on-failure  # always | on-failure | never\n"
		 "        restart-limit  = 7           # more exits than this: failed\n"
		 "        restart-window = 2m\n"
		 "        restart-delay  = 250ms\n"
		 "        stop-timeout   = 1h          # SIGTERM, then SIGKILL\n"
		 "        directory      = \"/srv/www\"  # working directory\n"
		 "        environment    = { \"LANG=C.UTF-8\", \"PORT=80\" }   # added\n"
		 "    }\n"
		 "}\n"
		 "process \"sshd\" { command = \"/usr/sbin/sshd -D\" }    # the local group\n");
	load_ok(f);
	snprintf(file, sizeof(file), "%s/10-web.conf", f->dir);
	assert_int_equal(f->cfg.ngroups, 2);
	g = &f->cfg.groups[0];
	assert_string_equal(g->name, "web");
	assert_string_equal(g->tenant, "acme");
	assert_true(g->autostart);
	assert_string_equal(g->file, file);
	assert_int_equal(g->line, 1);
	assert_int_equal(g->nprocs, 3);
	assert_string_equal(g->procs[0].name, "migrate");
	assert_string_equal(g->procs[1].name, "db");
	assert_string_equal(g->procs[2].name, "nginx");

	p = &g->procs[0];
	assert_int_equal(p->type, TYPE_ONESHOT);
	assert_int_equal(p->line, 4);
	assert_argv(p->argv, ARGV("/usr/bin/db-migrate"));
	assert_true(g->procs[1].critical);
	assert_false(g->procs[1].dependent);

	p = &g->procs[2];
	assert_argv(p->argv, ARGV("/usr/sbin/nginx", "-g", "daemon off;"));
	assert_true(p->dependent);
	assert_false(p->critical);
	assert_int_equal(p->type, TYPE_LONGRUN);
	assert_int_equal(p->restart, RESTART_ON_FAILURE);
	assert_int_equal(p->restart_limit, 7);
	assert_true(p->restart_window_ms == 120000);
	assert_true(p->restart_delay_ms == 250);
	assert_true(p->stop_timeout_ms == 3600000);
	assert_string_equal(p->directory, "/srv/www");
	assert_argv(p->environment, ARGV("LANG=C.UTF-8", "PORT=80"));
	assert_string_equal(p->file, file);
	assert_int_equal(p->line, 6);

	g = &f->cfg.groups[1];
	assert_string_equal(g->name, LOCAL_GROUP);
	assert_string_equal(g->tenant, "default");
	assert_true(g->autostart);
	assert_int_equal(g->line, 18);
	assert_int_equal(g->nprocs, 1);
	assert_argv(g->procs[0].argv, ARGV("/usr/sbin/sshd", "-D"));
	assert_int_equal(g->procs[0].line, 18);
}

static void test_defaults(void **state)
{
	struct fixture *f = *state;
	const struct process_decl *p;
	const struct group_decl *g;

	put_file(f, "a.conf", "group g { process p { command = /bin/true } }\n");
	load_ok(f);
	g = group(f, "g");
	assert_string_equal(g->tenant, "default");
	assert_true(g->autostart);
	p = proc(g, "p");
	assert_argv(p->argv, ARGV("/bin/true"));
	assert_null(p->directory);
	assert_argv(p->environment, NO_WORDS);
	assert_int_equal(p->type, TYPE_LONGRUN);
	assert_int_equal(p->restart, RESTART_ALWAYS);
	assert_false(p->critical);
	assert_false(p->dependent);
	assert_int_equal(p->restart_limit, DEFAULT_RESTART_LIMIT);
	assert_true(p->restart_window_ms == DEFAULT_RESTART_WINDOW_MS);
	assert_true(p->restart_delay_ms == DEFAULT_RESTART_DELAY_MS);
	assert_true(p->stop_timeout_ms == DEFAULT_STOP_TIMEOUT_MS);
}

static void test_values(void **state)
{
	struct fixture *f = *state;
	const struct group_decl *g;

	put_file(f, "a.conf",
		 "group g {\n"
		 "  autostart = false\n"
		 "  process a { command = x  restart = never  restart-limit = 0 }\n"
		 "  process b { command = x  restart = always  restart-limit = 1000 }\n"
		 "  process c { command = x  critical = yes  dependent = on  type = longrun }\n"
		 "  process d { command = x  restart-delay = 0ms  stop-timeout = 0s }\n"
		 "}\n");
	load_ok(f);
	g = group(f, "g");
	assert_false(g->autostart);
	assert_int_equal(proc(g, "a")->restart, RESTART_NEVER);
	assert_int_equal(proc(g, "a")->restart_limit, 0);
	assert_int_equal(proc(g, "b")->restart, RESTART_ALWAYS);
	assert_int_equal(proc(g, "b")->restart_limit, MAX_RESTART_LIMIT);
	assert_true(proc(g, "c")->critical);
	assert_true(proc(g, "c")->dependent);
	assert_true(proc(g, "d")->restart_delay_ms == 0);
	assert_true(proc(g, "d")->stop_timeout_ms == 0);
}

static void test_kill_modes(void **state)
{
	struct fixture *f = *state;
	const struct group_decl *g;

	put_file(f, "a.conf",
		 "group g {\n"
		 "  process a { command = x }\n"
		 "  process b { command = x  kill-mode = tree }\n"
		 "  process c { command = x  kill-mode = main }\n"
		 "  process d { command = x  kill-mode = mixed }\n"
		 "}\n");
	load_ok(f);
	g = group(f, "g");
	assert_int_equal(proc(g, "a")->kill_mode, KILL_TREE);
	assert_int_equal(proc(g, "b")->kill_mode, KILL_TREE);
	assert_int_equal(proc(g, "c")->kill_mode, KILL_MAIN);
	assert_int_equal(proc(g, "d")->kill_mode, KILL_MIXED);
}

static void test_bad_kill_mode(void **state)
{
	file_fails(*state, "group g {\n  process a { command = x  kill-mode = process }\n}\n",
		   "2: kill-mode: invalid value \"process\" (tree, main or mixed)\n");
}

static void assert_groups(const struct process_decl *p, int n, const gid_t *want)
{
	assert_int_equal(p->ngroups, n);
	for (int i = 0; i < n; i++)
		assert_int_equal(p->groups[i], want[i]);
}

/* user, group and supplementary-groups, from /etc/passwd and /etc/group
 * (the names every Debian has), on a process or as its group's default. */
static void test_credentials(void **state)
{
	struct fixture *f = *state;
	const struct group_decl *g;

	if (geteuid() != 0)
		skip(); /* as another user they are errors (config.bats) */
	put_file(f, "a.conf",
		 "group g {\n"
		 "  user = nobody\n"
		 "  process a { command = x }\n"
		 "  process b { command = x  user = root  supplementary-groups = { daemon, 4 } }\n"
		 "  process c { command = x  group = daemon }\n"
		 "}\n"
		 "process d { command = x }\n"
		 "process e { command = x  user = 12345 }\n"
		 "process f { command = x  supplementary-groups = { nogroup } }\n");
	load_ok(f);
	g = group(f, "g");
	assert_int_equal(proc(g, "a")->uid, 65534);
	assert_int_equal(proc(g, "a")->gid, 65534);
	assert_int_equal(proc(g, "b")->uid, 0);
	assert_int_equal(proc(g, "b")->gid, 0);
	assert_groups(proc(g, "b"), 2, (gid_t[]){ 1, 4 });
	assert_int_equal(proc(g, "c")->uid, 65534); /* the group's user */
	assert_int_equal(proc(g, "c")->gid, 1);
	g = group(f, "local");
	assert_int_equal(proc(g, "d")->uid, NO_ID);
	assert_int_equal(proc(g, "d")->gid, NO_ID);
	assert_int_equal(proc(g, "d")->ngroups, -1);
	assert_int_equal(proc(g, "e")->uid, 12345);
	assert_int_equal(proc(g, "e")->gid, 12345);
	assert_int_equal(proc(g, "f")->uid, NO_ID);
	assert_groups(proc(g, "f"), 1, (gid_t[]){ 65534 });
}

/* A member line of /etc/group whose member has a passwd line: its gid and
 * the member's uid. false: this machine has none. */
static bool find_member(gid_t *gid, uid_t *uid)
{
	char line[1024], login[256] = "";
	FILE *f = fopen("/etc/group", "re");
	unsigned g = 0, u = 0;
	bool found = false;
	while (f && !login[0] && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*[^:]:%*[^:]:%u:%255[^,\n]", &g, login) != 2)
			login[0] = '\0';
	if (f)
		fclose(f);
	f = login[0] ? fopen("/etc/passwd", "re") : NULL;
	while (f && !found && fgets(line, sizeof(line), f)) {
		char name[256];
		found =
		    sscanf(line, "%255[^:]:%*[^:]:%u:", name, &u) == 2 && strcmp(name, login) == 0;
	}
	if (f)
		fclose(f);
	*gid = g;
	*uid = u;
	return found;
}

/* user = a number still gets the groups /etc/group lists its login in. */
static void test_numeric_user_gets_its_groups(void **state)
{
	struct fixture *f = *state;
	char text[128];
	gid_t gid;
	uid_t uid = 0; /* clang cannot know that skip() does not return */

	if (geteuid() != 0 || !find_member(&gid, &uid))
		skip(); /* not root, or no /etc/group line lists a user here */
	snprintf(text, sizeof(text), "process a { command = x  user = %u }\n", (unsigned)uid);
	put_file(f, "a.conf", text);
	load_ok(f);
	const struct process_decl *p = proc(group(f, "local"), "a");
	assert_int_equal(p->uid, uid);
	bool has = false;
	for (int i = 0; i < p->ngroups; i++)
		has |= p->groups[i] == gid;
	assert_true(has);
}

static void test_bad_credentials(void **state)
{
	if (geteuid() != 0)
		skip();
	file_fails(
	    *state,
	    "group g {\n"
	    "  user = tend-no-such-user\n"
	    "  process a { command = x  group = tend-no-such-group }\n"
	    "  process b { command = x  supplementary-groups = { daemon, tend-nope } }\n"
	    "}\n",
	    "2: user: no user \"tend-no-such-user\" in /etc/passwd (tend reads the file: no "
	    "NSS, no LDAP)\n"
	    "3: group: no group \"tend-no-such-group\" in /etc/group (tend reads the file: no "
	    "NSS, no LDAP)\n"
	    "4: supplementary-groups: no group \"tend-nope\" in /etc/group (tend reads the "
	    "file: no NSS, no LDAP)\n");
}

static void test_console_and_system(void **state)
{
	struct fixture *f = *state;
	const struct group_decl *g;

	put_file(f, "00-system.conf", "# the machine\nsystem {\n  hostname = \"node-1.lab\"\n}\n");
	put_file(f, "10-a.conf",
		 "group g {\n"
		 "  process sh { command = /bin/sh  console = true }\n"
		 "  process b { command = x }\n"
		 "}\n");
	load_ok(f);
	g = group(f, "g");
	assert_true(proc(g, "sh")->console);
	assert_false(proc(g, "b")->console);
	assert_string_equal(f->cfg.system.hostname, "node-1.lab");
	assert_int_equal(f->cfg.system.line, 2);
	assert_non_null(strstr(f->cfg.system.file, "00-system.conf"));
}

static void test_system_without_hostname(void **state)
{
	struct fixture *f = *state;

	put_file(f, "a.conf", "system { }\n");
	load_ok(f);
	assert_null(f->cfg.system.hostname);
	assert_non_null(f->cfg.system.file);
	config_free(&f->cfg);
	put_file(f, "a.conf", "group g { process a { command = x } }\n");
	load_ok(f);
	assert_null(f->cfg.system.file);
}

static void test_system_errors(void **state)
{
	struct fixture *f = *state;

	file_fails(f, "system {\n  hostname = \"-bad\"\n}\n",
		   "2: hostname: invalid value \"-bad\" (a host name: letters, digits, '-' and "
		   "'.', not first, at most 64 characters)\n");
	file_fails(f, "system { hostname = \"a b\" }\n",
		   "1: hostname: invalid value \"a b\" (a host name: letters, digits, '-' and "
		   "'.', not first, at most 64 characters)\n");
	file_fails(f, "system { hostname = x }\n\nsystem { hostname = y }\n",
		   "3: system section is already declared at DIR/10-t.conf:1\n");
	file_fails(f, "system { command = x }\n", "1: no such option 'command'\n");
	file_fails(f, "group g { process a { command = x  console = maybe } }\n",
		   "1: console: invalid value \"maybe\" (true or false)\n");
}

/* The hardware watchdog's options: the defaults once a device is given,
 * whole seconds, and nothing without a device. */
static void test_system_watchdog(void **state)
{
	struct fixture *f = *state;

	put_file(f, "00-system.conf", "system { watchdog-device = \"/dev/watchdog\" }\n");
	load_ok(f);
	assert_string_equal(f->cfg.system.watchdog_device, "/dev/watchdog");
	assert_int_equal(f->cfg.system.watchdog_timeout_s, DEFAULT_WATCHDOG_TIMEOUT_S);
	assert_int_equal(f->cfg.system.watchdog_shutdown_timeout_s,
			 DEFAULT_WATCHDOG_SHUTDOWN_TIMEOUT_S);
	config_free(&f->cfg);
	put_file(f, "00-system.conf",
		 "system {\n  watchdog-device = \"/dev/watchdog1\"\n  watchdog-timeout = 1m\n"
		 "  watchdog-shutdown-timeout = 1h\n}\n");
	load_ok(f);
	assert_string_equal(f->cfg.system.watchdog_device, "/dev/watchdog1");
	assert_int_equal(f->cfg.system.watchdog_timeout_s, 60);
	assert_int_equal(f->cfg.system.watchdog_shutdown_timeout_s, 3600);
	config_free(&f->cfg);
	put_file(f, "00-system.conf", "system { hostname = a }\n");
	load_ok(f);
	assert_null(f->cfg.system.watchdog_device);
	assert_int_equal(f->cfg.system.watchdog_timeout_s, 0);
}

static void test_system_watchdog_errors(void **state)
{
	struct fixture *f = *state;

	file_fails(f, "system {\n  watchdog-device = \"watchdog\"\n}\n",
		   "2: watchdog-device: invalid value \"watchdog\" (an absolute path, as "
		   "/dev/watchdog)\n");
	file_fails(f,
		   "system {\n  watchdog-device = /dev/watchdog\n  watchdog-timeout = 1500ms\n}\n",
		   "3: watchdog-timeout: invalid value \"1500ms\" (whole seconds from 2s to 1h, "
		   "as 30s or 2m)\n");
	file_fails(f, "system { watchdog-device = /dev/watchdog  watchdog-timeout = 1s }\n",
		   "1: watchdog-timeout: invalid value \"1s\" (whole seconds from 2s to 1h, as "
		   "30s or 2m)\n");
	file_fails(f, "system { watchdog-device = /dev/watchdog  watchdog-timeout = 2h }\n",
		   "1: watchdog-timeout: invalid value \"2h\" (whole seconds from 2s to 1h, as "
		   "30s or 2m)\n");
	file_fails(f, "system { watchdog-device = /dev/watchdog  watchdog-timeout = 30 }\n",
		   "1: watchdog-timeout: invalid value \"30\" (whole seconds from 2s to 1h, as "
		   "30s or 2m)\n");
	file_fails(f,
		   "\nsystem { watchdog-device = /dev/watchdog  watchdog-timeout = 1m\n"
		   "  watchdog-shutdown-timeout = 30s }\n",
		   "2: watchdog-shutdown-timeout (30s) must be at least watchdog-timeout (60s): "
		   "the shutdown is not pinged\n");
	file_fails(f, "system { watchdog-timeout = 10s }\n",
		   "1: watchdog-timeout and watchdog-shutdown-timeout need watchdog-device\n");
}

static void test_system_across_files(void **state)
{
	struct fixture *f = *state;

	put_file(f, "10-a.conf", "system { hostname = a }\n");
	put_file(f, "20-b.conf", "\nsystem { hostname = b }\n");
	load_fails(f, "DIR/20-b.conf:2: system section is already declared at DIR/10-a.conf:1\n");
}

static void test_empty_dir(void **state)
{
	struct fixture *f = *state;

	load_ok(f);
	assert_int_equal(f->cfg.ngroups, 0);
	assert_null(f->cfg.groups);
}

static void test_empty_and_comment_only_files(void **state)
{
	struct fixture *f = *state;

	put_file(f, "a.conf", "");
	put_file(f, "b.conf", "# nothing\n// here\n/* at\n all */\n");
	load_ok(f);
	assert_int_equal(f->cfg.ngroups, 0);
}

static void test_name_order(void **state)
{
	struct fixture *f = *state;

	put_file(f, "20-b.conf", "group b { process p { command = x } }\n");
	put_file(f, "10-a.conf", "group a { process p { command = x } }\n");
	put_file(f, "3.conf", "group c { process p { command = x } }\n");
	put_file(f, "10-a.conf~", "group junk1 { }\n");
	put_file(f, ".hidden.conf", "group junk2 { }\n");
	put_file(f, "README", "not a config\n");
	put_file(f, "x.conf.bak", "group junk3 { }\n");
	put_file(f, "B.conf", "group d { process p { command = x } }\n");
	load_ok(f);
	assert_int_equal(f->cfg.ngroups, 4);
	/* strcmp order: "10-a" < "20-b" < "3" < "B" */
	assert_string_equal(f->cfg.groups[0].name, "a");
	assert_string_equal(f->cfg.groups[1].name, "b");
	assert_string_equal(f->cfg.groups[2].name, "c");
	assert_string_equal(f->cfg.groups[3].name, "d");
}

/* The local group sits where its first process was declared, and collects
 * top-level processes from all files in order. */
static void test_local_group_order(void **state)
{
	struct fixture *f = *state;
	const struct group_decl *g;

	put_file(f, "10-a.conf",
		 "group a { process p { command = x } }\n"
		 "process one { command = \"echo 1\" }\n"
		 "group b { process p { command = x } }\n"
		 "process two { command = \"echo 2\" }\n");
	put_file(f, "20-b.conf",
		 "process three { command = x }  group c { process p { command = x } }\n");
	load_ok(f);
	assert_int_equal(f->cfg.ngroups, 4);
	assert_string_equal(f->cfg.groups[0].name, "a");
	assert_string_equal(f->cfg.groups[1].name, LOCAL_GROUP);
	assert_string_equal(f->cfg.groups[2].name, "b");
	assert_string_equal(f->cfg.groups[3].name, "c");
	g = &f->cfg.groups[1];
	assert_int_equal(g->line, 2);
	assert_int_equal(g->nprocs, 3);
	assert_string_equal(g->procs[0].name, "one");
	assert_string_equal(g->procs[1].name, "two");
	assert_string_equal(g->procs[2].name, "three");
	assert_int_equal(g->procs[1].line, 4);
	assert_int_equal(g->procs[2].line, 1);
	assert_non_null(strstr(g->procs[2].file, "/20-b.conf"));
}

static void test_local_group_first(void **state)
{
	struct fixture *f = *state;

	put_file(f, "10-a.conf",
		 "process one { command = x }  group a { process p { command = x } }\n");
	load_ok(f);
	assert_string_equal(f->cfg.groups[0].name, LOCAL_GROUP);
	assert_string_equal(f->cfg.groups[1].name, "a");
}

static void test_command_quoting(void **state)
{
	struct fixture *f = *state;
	const struct group_decl *g;

	put_file(f, "a.conf",
		 "group g {\n"
		 "  process a { command = \"sh -c 'echo \\\"hi there\\\"; exit 3'\" }\n"
		 "  process b { command = 'printf \"%s|\" a\\\\ b \"c d\" \"\\'e\\'\"' }\n"
		 "  process c { command = \"x '' \\\"\\\" y\" }\n"
		 "  process d { command = \"echo ${HOME} $USER\" }\n"
		 "  process e { command = \"  spaced\\targs\\n\" }\n"
		 "  process f { command = /usr/bin/env }\n"
		 "}\n");
	load_ok(f);
	g = group(f, "g");
	assert_argv(proc(g, "a")->argv, ARGV("sh", "-c", "echo \"hi there\"; exit 3"));
	assert_argv(proc(g, "b")->argv, ARGV("printf", "%s|", "a b", "c d", "'e'"));
	assert_argv(proc(g, "c")->argv, ARGV("x", "", "", "y"));
	/* libconfuse would put tend's environment in place of ${HOME} */
	assert_argv(proc(g, "d")->argv, ARGV("echo", "${HOME}", "$USER"));
	assert_argv(proc(g, "e")->argv, ARGV("spaced", "args"));
	assert_argv(proc(g, "f")->argv, ARGV("/usr/bin/env"));
}

static void test_environment(void **state)
{
	struct fixture *f = *state;
	const struct group_decl *g;

	put_file(
	    f, "a.conf",
	    "group g {\n"
	    "  process a { command = x  environment = \"A=1\" }\n"
	    "  process b { command = x  environment = {} }\n"
	    "  process c { command = x  environment = { \"_X=\", \"Y2=a=b\", \"Z= sp ace\" } }\n"
	    "  process d { command = x  environment = { \"A=1\" }  environment += { \"B=2\" } }\n"
	    "  process e { command = x\n"
	    "    environment = {\n"
	    "      \"A=1\",   # comments inside a list\n"
	    "      \"B=2\"    // are fine\n"
	    "    }\n"
	    "  }\n"
	    "}\n");
	load_ok(f);
	g = group(f, "g");
	assert_argv(proc(g, "a")->environment, ARGV("A=1"));
	assert_argv(proc(g, "b")->environment, NO_WORDS);
	assert_argv(proc(g, "c")->environment, ARGV("_X=", "Y2=a=b", "Z= sp ace"));
	assert_argv(proc(g, "d")->environment, ARGV("A=1", "B=2"));
	assert_argv(proc(g, "e")->environment, ARGV("A=1", "B=2"));
}

static void test_names(void **state)
{
	struct fixture *f = *state;
	char text[512];
	const char *n64 = "a234567890123456789012345678901234567890123456789012345678901234";

	assert_int_equal(strlen(n64), NAME_MAX_LEN);
	snprintf(text, sizeof(text),
		 "group %s { process \"_x.y-z\" { command = x } process 0 { command = x } }\n",
		 n64);
	put_file(f, "a.conf", text);
	load_ok(f);
	assert_non_null(proc(group(f, n64), "_x.y-z"));
	assert_non_null(proc(group(f, n64), "0"));
}

/* ---- services ---- */

static const struct service_decl *service(const struct group_decl *g, const char *name)
{
	for (size_t i = 0; i < g->nservices; i++)
		if (strcmp(g->services[i].name, name) == 0)
			return &g->services[i];
	fail_msg("no service %s in %s", name, g->name);
	return NULL;
}

static void test_services(void **state)
{
	struct fixture *f = *state;
	const struct group_decl *g;
	const struct service_decl *s;

	put_file(
	    f, "10-web.conf",
	    "group web {\n"
	    "  process migrate { command = x  type = oneshot }\n"
	    "  process nginx { command = x }\n"
	    "  service \"http\" {\n"
	    "    process = \"nginx\"\n"
	    "    host = \"10.0.0.5\"\n"
	    "    port = 8080\n"
	    "    proto = tcp\n"
	    "    context = { \"path=/\", \"weight=10\" }\n"
	    "  }\n"
	    "  service metrics { process = nginx  host = \"fd00::1\"  port = 9100  proto = udp }\n"
	    "  service sock { process = nginx  proto = unix  path = \"/run/x.sock\" }\n"
	    "  service bare { process = nginx  context = {} }\n"
	    "}\n"
	    "group one {\n"
	    "  process db { command = x }\n"
	    "  service _a.b-c { }\n"
	    "  service \"http\" { port = 1 }\n"
	    "}\n");
	load_ok(f);
	g = group(f, "web");
	assert_int_equal(g->nservices, 4);
	s = &g->services[0];
	assert_string_equal(s->name, "http");
	assert_string_equal(s->process, "nginx");
	assert_string_equal(s->host, "10.0.0.5");
	assert_null(s->path);
	assert_int_equal(s->port, 8080);
	assert_int_equal(s->proto, PROTO_TCP);
	assert_argv(s->context, ARGV("path=/", "weight=10"));
	assert_string_equal(s->file, g->file);
	assert_int_equal(s->line, 4);
	s = &g->services[1];
	assert_string_equal(s->name, "metrics");
	assert_string_equal(s->host, "fd00::1");
	assert_int_equal(s->port, 9100);
	assert_int_equal(s->proto, PROTO_UDP);
	assert_null(s->context);
	assert_int_equal(s->line, 11);
	s = service(g, "sock");
	assert_int_equal(s->proto, PROTO_UNIX);
	assert_string_equal(s->path, "/run/x.sock");
	assert_int_equal(s->port, 0);
	assert_null(s->host);
	s = service(g, "bare");
	assert_int_equal(s->proto, PROTO_NONE);
	assert_int_equal(s->port, 0);
	assert_null(s->context); /* an empty context is none */
	/* the only process of a group is the default; a name per group */
	g = group(f, "one");
	assert_int_equal(g->nservices, 2);
	assert_string_equal(service(g, "_a.b-c")->process, "db");
	assert_string_equal(service(g, "http")->process, "db");
	assert_int_equal(service(g, "http")->port, 1);
}

static void test_no_services(void **state)
{
	struct fixture *f = *state;

	put_file(f, "a.conf", "group g { process p { command = x } }\nprocess q { command = x }\n");
	load_ok(f);
	assert_int_equal(group(f, "g")->nservices, 0);
	assert_null(group(f, "g")->services);
	assert_int_equal(group(f, LOCAL_GROUP)->nservices, 0);
	assert_int_equal(f->cfg.system.services_max, 0);
}

static void test_service_errors(void **state)
{
	struct fixture *f = *state;

	file_fails(f,
		   "group web {\n"
		   "  process migrate { command = x  type = oneshot }\n"
		   "  process nginx { command = x }\n"
		   "  service \"a b\" { process = nginx }\n"
		   "  service http { process = apache }\n"
		   "  service db { process = migrate }\n"
		   "  service any { }\n"
		   "  service h {\n"
		   "    process = nginx\n"
		   "    host = \"db.example.org\"\n"
		   "    port = 0\n"
		   "    proto = sctp\n"
		   "  }\n"
		   "  service p { process = nginx  port = 65536 }\n"
		   "  service q { process = nginx  port = -1 }\n"
		   "  service r { process = nginx  host = \"[::1]\" }\n"
		   "}\n",
		   "4: invalid service name \"a b\" ([A-Za-z0-9_.-]+, not starting with -, at most "
		   "64 characters)\n"
		   "5: service \"http\": no process \"apache\" in group \"web\"\n"
		   "6: service \"db\": process \"migrate\" is a oneshot (a oneshot cannot offer a "
		   "service)\n"
		   "7: service \"any\": process is required in a group of more than one process\n"
		   "10: host: invalid value \"db.example.org\" (an IPv4 or IPv6 address)\n"
		   "11: port: invalid value \"0\" (a whole number from 1 to 65535)\n"
		   "12: proto: invalid value \"sctp\" (tcp, udp or unix)\n"
		   "14: port: invalid value \"65536\" (a whole number from 1 to 65535)\n"
		   "15: port: invalid value \"-1\" (a whole number from 1 to 65535)\n"
		   "16: host: invalid value \"[::1]\" (an IPv4 or IPv6 address)\n");
	/* the only process, when it is a oneshot */
	file_fails(f,
		   "group g {\n  process p { command = x  type = oneshot }\n  service s { }\n}\n",
		   "3: service \"s\": process \"p\" is a oneshot (a oneshot cannot offer a "
		   "service)\n");
	/* a name too long, and an empty one */
	file_fails(f,
		   "group g {\n  process p { command = x }\n"
		   "  service "
		   "a2345678901234567890123456789012345678901234567890123456789012345 { }\n"
		   "  service \"\" { }\n}\n",
		   "3: invalid service name "
		   "\"a2345678901234567890123456789012345678901234567890123456789012345\" "
		   "([A-Za-z0-9_.-]+, not starting with -, at most 64 characters)\n"
		   "4: invalid service name \"\" ([A-Za-z0-9_.-]+, not starting with -, at most 64 "
		   "characters)\n");
}

static void test_service_address_errors(void **state)
{
	struct fixture *f = *state;
	char text[512];

	file_fails(f,
		   "group g {\n"
		   "  process p { command = x }\n"
		   "  service a { proto = unix }\n"
		   "  service b { proto = unix  path = \"run/x.sock\" }\n"
		   "  service c { proto = unix  path = \"/run/x.sock\"  port = 80 }\n"
		   "  service d { proto = tcp  path = \"/run/x.sock\" }\n"
		   "  service e { path = \"/run/x.sock\" }\n"
		   "  service f { proto = bogus  path = \"/run/x.sock\" }\n"
		   "  service g { proto = unix  path = /x  port = 0 }\n"
		   "  service h { proto = unix  path = \"/run/a\\nb\" }\n"
		   "}\n",
		   "3: service \"a\": a unix socket needs an absolute path\n"
		   "4: service \"b\": a unix socket needs an absolute path\n"
		   "5: service \"c\": a unix socket has a path, not a port\n"
		   "6: service \"d\": only a unix socket has a path\n"
		   "7: service \"e\": only a unix socket has a path\n"
		   "8: proto: invalid value \"bogus\" (tcp, udp or unix)\n"
		   "9: port: invalid value \"0\" (a whole number from 1 to 65535)\n"
		   "10: service \"h\": a unix socket path holds a control character\n");
	/* 107 bytes fit in sun_path, 108 do not */
	snprintf(text, sizeof(text),
		 "group g {\n  process p { command = x }\n"
		 "  service a { proto = unix  path = \"/%0106d\" }\n"
		 "  service b { proto = unix  path = \"/%0107d\" }\n}\n",
		 0, 0);
	file_fails(f, text, "4: service \"b\": a unix socket path is at most 107 bytes\n");
}

static void test_service_context_errors(void **state)
{
	struct fixture *f = *state;
	char text[2048];
	size_t n;

	file_fails(f,
		   "group g {\n"
		   "  process p { command = x }\n"
		   "  service a {\n"
		   "    context = { \"path=/\",\n"
		   "                \"novalue\",\n"
		   "                \"=x\",\n"
		   "                \"a b=c\",\n"
		   "                \"tab=a\\tb\",\n"
		   "                \"path=/other\",\n"
		   "                \"ok=1\" }\n"
		   "  }\n"
		   "  service b { context = \"k=v\"  context += { \"k=w\" } }\n"
		   "}\n",
		   "5: context: context entries are key=value, the key of A-Z a-z 0-9 _ . -\n"
		   "6: context: context entries are key=value, the key of A-Z a-z 0-9 _ . -\n"
		   "7: context: context entries are key=value, the key of A-Z a-z 0-9 _ . -\n"
		   "8: context: a context value holds a control character\n"
		   "9: context: a context key is given twice\n"
		   "12: context: a context key is given twice\n");
	/* 17 entries: the 17th is one too many, and reported once */
	n = (size_t)snprintf(text, sizeof(text),
			     "group g {\n  process p { command = x }\n  service a {\n"
			     "    context = {\n");
	for (int i = 0; i < 18; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "      \"k%d=v\"%s\n", i,
				      i < 17 ? "," : "");
	snprintf(text + n, sizeof(text) - n, "    }\n  }\n}\n");
	file_fails(f, text, "21: context: more than 16 context entries\n");
	/* more than 1024 bytes in all: the entry that goes over */
	n = (size_t)snprintf(text, sizeof(text),
			     "group g {\n  process p { command = x }\n  service a {\n"
			     "    context = {\n");
	for (int i = 0; i < 3; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "      \"k%d=%0400d\"%s\n", i, 0,
				      i < 2 ? "," : "");
	snprintf(text + n, sizeof(text) - n, "    }\n  }\n}\n");
	file_fails(f, text, "7: context: context is longer than 1024 bytes\n");
}

static void test_service_duplicates(void **state)
{
	struct fixture *f = *state;

	file_fails(f,
		   "group g {\n"
		   "  process p { command = x }\n"
		   "  service http { port = 80 }\n"
		   "  service http { port = 81 }\n"
		   "}\n",
		   "4: found duplicate title 'http'\n");
	/* the same name in two groups is two locations */
	put_file(f, "10-t.conf",
		 "group a { process p { command = x }  service http { } }\n"
		 "group b { process p { command = x }  service http { } }\n");
	load_ok(f);
	assert_string_equal(service(group(f, "a"), "http")->process, "p");
	assert_string_equal(service(group(f, "b"), "http")->process, "p");
}

static void test_services_max(void **state)
{
	struct fixture *f = *state;
	char text[128];

	put_file(f, "10-t.conf", "system {\n  services-max = 100\n}\n");
	load_ok(f);
	assert_int_equal(f->cfg.system.services_max, 100);
	snprintf(text, sizeof(text), "system { services-max = %u }\n", MAX_SERVICES_MAX);
	put_file(f, "10-t.conf", text);
	load_ok(f);
	assert_int_equal(f->cfg.system.services_max, MAX_SERVICES_MAX);
	put_file(f, "10-t.conf", "system { hostname = x }\n");
	load_ok(f);
	assert_int_equal(f->cfg.system.services_max, 0);
	file_fails(f,
		   "system {\n"
		   "  services-max = 0\n"
		   "  services-max = 1048577\n"
		   "  services-max = many\n"
		   "}\n",
		   "2: services-max: invalid value \"0\" (a whole number from 1 to 1048576)\n"
		   "3: services-max: invalid value \"1048577\" (a whole number from 1 to "
		   "1048576)\n"
		   "4: services-max: invalid value \"many\" (a whole number from 1 to 1048576)\n");
	file_fails(f, "group g {\n  process p { command = x }\n  services-max = 5\n}\n",
		   "3: no such option 'services-max'\n");
}

static void test_on_restart(void **state)
{
	struct fixture *f = *state;

	put_file(f, "10-t.conf", "system { hostname = x }\n");
	load_ok(f);
	assert_int_equal(f->cfg.system.on_restart, ON_RESTART_STOP);
	put_file(f, "10-t.conf", "system { on-restart = adopt }\n");
	load_ok(f);
	assert_int_equal(f->cfg.system.on_restart, ON_RESTART_ADOPT);
	put_file(f, "10-t.conf", "system { on-restart = stop }\n");
	load_ok(f);
	assert_int_equal(f->cfg.system.on_restart, ON_RESTART_STOP);
	file_fails(f, "system {\n  on-restart = keep\n}\n",
		   "2: on-restart: invalid value \"keep\" (adopt or stop)\n");
	file_fails(f, "group g {\n  process p { command = x }\n  on-restart = adopt\n}\n",
		   "3: no such option 'on-restart'\n");
}

/* ---- errors ---- */

static void test_missing_dir(void **state)
{
	struct fixture *f = *state;
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/nope", f->dir);
	f->err[0] = 'x';
	assert_int_equal(config_load_dir(dir, &f->cfg, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, with_dir(f, "DIR/nope: No such file or directory\n"));
	assert_int_equal(f->cfg.ngroups, 0);
}

static void test_unknown_options(void **state)
{
	struct fixture *f = *state;

	file_fails(f, "\n\nfoo = 1\n", "3: no such option 'foo'\n");
	file_fails(f, "group g {\n  seccomp = strict\n}\n",
		   "2: seccomp: a profile applies through a tenant: tenant \"T\" { seccomp = "
		   "\"PROFILE\" } and the group's tenant = \"T\"\n");
	file_fails(f, "process p {\n  command = x\n\n  cluster = 2s\n}\n",
		   "4: no such option 'cluster'\n");
	file_fails(f, "service \"http\" { port = 80 }\n",
		   "1: service: a service block belongs inside a group\n");
	file_fails(f, "group g {\n  process p {\n    command = x\n    service s { }\n  }\n}\n",
		   "4: service: a service block belongs inside a group\n");
	file_fails(f, "group g {\n  process p {\n    command = x\n    Command = y\n  }\n}\n",
		   "4: no such option 'Command'\n");
	/* the hidden options of the parser cannot be named */
	file_fails(f, "\"tend|ctx\" = 1\n", "1: no sub-section title/index for 'tend'\n");
	file_fails(f, "process p { command = x\n \"tend|start\" = 7 }\n",
		   "2: no sub-section title/index for 'tend'\n");
}

static void test_option_paths(void **state)
{
	struct fixture *f = *state;

	file_fails(f,
		   "group g { process p { command = x } }\n"
		   "group|tenant = evil\n",
		   "2: tenant: option paths like 'section|option' are not supported\n");
	file_fails(f,
		   "group g { process p { command = x } }\n"
		   "group|process q {\n command = x\n}\n",
		   "4: process: option paths like 'section|option' are not supported\n");
}

static void test_bad_durations(void **state)
{
	struct fixture *f = *state;

	file_fails(
	    f,
	    "process p {\n"
	    "  command = x\n"
	    "  restart-delay = 5sec\n"
	    "  restart-window = 1.5s\n"
	    "  stop-timeout = 5\n"
	    "}\n"
	    "process q {\n"
	    "  command = x\n"
	    "  stop-timeout = \"-1s\"\n"
	    "  restart-delay = \"\"\n"
	    "  restart-window = 10d\n"
	    "}\n",
	    "3: restart-delay: invalid value \"5sec\" (a whole number and ms, s, m or h, like "
	    "100ms)\n"
	    "4: restart-window: invalid value \"1.5s\" (a whole number and ms, s, m or h, like "
	    "100ms)\n"
	    "5: stop-timeout: invalid value \"5\" (a whole number and ms, s, m or h, like "
	    "100ms)\n"
	    "9: stop-timeout: invalid value \"-1s\" (a whole number and ms, s, m or h, like "
	    "100ms)\n"
	    "10: restart-delay: invalid value \"\" (a whole number and ms, s, m or h, like "
	    "100ms)\n"
	    "11: restart-window: invalid value \"10d\" (a whole number and ms, s, m or h, "
	    "like 100ms)\n");
	/* "5 s" is two words: the second is read as an option name */
	file_fails(f, "process p {\n  command = x\n  stop-timeout = 5 s\n}\n",
		   "3: stop-timeout: invalid value \"5\" (a whole number and ms, s, m or h, like "
		   "100ms)\n"
		   "3: no such option 's'\n");
}

static void test_bad_values(void **state)
{
	struct fixture *f = *state;

	file_fails(f,
		   "group \"g\" {\n"
		   "  tenant = \"a b\"\n"
		   "  autostart = maybe\n"
		   "  process p {\n"
		   "    command = x\n"
		   "    type = daemon\n"
		   "    restart = sometimes\n"
		   "    critical = 2\n"
		   "    dependent = \"\"\n"
		   "    restart-limit = 1001\n"
		   "    directory = \"\"\n"
		   "  }\n"
		   "  process q { command = x\n"
		   "    restart-limit = -1 }\n"
		   "  process r { command = x\n"
		   "    restart-limit = 0x10 }\n"
		   "  process s { command = x\n"
		   "    restart-limit = abc }\n"
		   "}\n",
		   "2: tenant: invalid value \"a b\" ([A-Za-z0-9_][A-Za-z0-9_.-]*, at most 64 "
		   "characters)\n"
		   "3: autostart: invalid value \"maybe\" (true or false)\n"
		   "6: type: invalid value \"daemon\" (longrun or oneshot)\n"
		   "7: restart: invalid value \"sometimes\" (always, on-failure or never)\n"
		   "8: critical: invalid value \"2\" (true or false)\n"
		   "9: dependent: invalid value \"\" (true or false)\n"
		   "10: restart-limit: invalid value \"1001\" (a whole number from 0 to 1000)\n"
		   "11: directory: invalid value \"\" (a directory)\n"
		   "14: restart-limit: invalid value \"-1\" (a whole number from 0 to 1000)\n"
		   "16: restart-limit: invalid value \"0x10\" (a whole number from 0 to 1000)\n"
		   "18: restart-limit: invalid value \"abc\" (a whole number from 0 to 1000)\n");
}

static void test_bad_commands(void **state)
{
	struct fixture *f = *state;

	file_fails(f,
		   "group g {\n"
		   "  process a {\n"
		   "  }\n"
		   "  process b { command = \"\" }\n"
		   "  process c { command = \"  \\t \" }\n"
		   "  process d { command = \"a 'b\" }\n"
		   "  process e { command = 'a \"b' }\n"
		   "  process f { command = \"a \\\\\" }\n"
		   "  process g {\n"
		   "    restart = never\n"
		   "  }\n"
		   "}\n",
		   "2: process \"a\" has no command\n"
		   "4: command: no program to run\n"
		   "5: command: no program to run\n"
		   "6: command: unterminated single quote\n"
		   "7: command: unterminated double quote\n"
		   "8: command: trailing backslash\n"
		   "9: process \"g\" has no command\n");
}

static void test_bad_environment(void **state)
{
	struct fixture *f = *state;

	file_fails(
	    f,
	    "process p {\n"
	    "  command = x\n"
	    "  environment = { \"NOEQUALS\",\n"
	    "                  \"=x\",\n"
	    "                  \"1A=x\",\n"
	    "                  \"A-B=x\",\n"
	    "                  \"GOOD=1\",\n"
	    "                  \"\",\n"
	    "                  \"GOOD=2\" }\n"
	    "}\n",
	    "3: environment: invalid entry \"NOEQUALS\" (KEY=VALUE, KEY of "
	    "[A-Za-z_][A-Za-z0-9_]*)\n"
	    "4: environment: invalid entry \"=x\" (KEY=VALUE, KEY of [A-Za-z_][A-Za-z0-9_]*)\n"
	    "5: environment: invalid entry \"1A=x\" (KEY=VALUE, KEY of "
	    "[A-Za-z_][A-Za-z0-9_]*)\n"
	    "6: environment: invalid entry \"A-B=x\" (KEY=VALUE, KEY of "
	    "[A-Za-z_][A-Za-z0-9_]*)\n"
	    "8: environment: invalid entry \"\" (KEY=VALUE, KEY of [A-Za-z_][A-Za-z0-9_]*)\n"
	    "9: environment: GOOD is set twice\n");
	file_fails(
	    f, "process p {\n  command = x\n  environment = 5\n}\n",
	    "3: environment: invalid entry \"5\" (KEY=VALUE, KEY of [A-Za-z_][A-Za-z0-9_]*)\n");
}

static void test_structure_errors(void **state)
{
	struct fixture *f = *state;

	file_fails(f,
		   "group empty {\n"
		   "}\n"
		   "group \"local\" { process x { command = y } }\n"
		   "group \"bad name\" {\n"
		   "  process \"-x\" { command = y }\n"
		   "  process \"a/b\" { command = y }\n"
		   "}\n"
		   "process \".dot\" { command = y }\n"
		   "group \"\" { process x { command = y } }\n"
		   "group a2345678901234567890123456789012345678901234567890123456789012345 {\n"
		   "  process x { command = y }\n"
		   "}\n",
		   "1: group \"empty\" has no processes\n"
		   "3: group name \"local\" is reserved for processes outside groups\n"
		   "4: invalid group name \"bad name\" ([A-Za-z0-9_][A-Za-z0-9_.-]*, at most 64 "
		   "characters)\n"
		   "5: invalid process name \"-x\" ([A-Za-z0-9_][A-Za-z0-9_.-]*, at most 64 "
		   "characters)\n"
		   "6: invalid process name \"a/b\" ([A-Za-z0-9_][A-Za-z0-9_.-]*, at most 64 "
		   "characters)\n"
		   "8: invalid process name \".dot\" ([A-Za-z0-9_][A-Za-z0-9_.-]*, at most 64 "
		   "characters)\n"
		   "9: invalid group name \"\" ([A-Za-z0-9_][A-Za-z0-9_.-]*, at most 64 "
		   "characters)\n"
		   "10: invalid group name "
		   "\"a2345678901234567890123456789012345678901234567890123456789012345\" "
		   "([A-Za-z0-9_][A-Za-z0-9_.-]*, at most 64 characters)\n");
}

static void test_duplicates_in_file(void **state)
{
	struct fixture *f = *state;

	file_fails(f,
		   "group web { process a { command = x } }\n"
		   "\n"
		   "group web {\n"
		   "  process b { command = x }\n"
		   "}\n",
		   "3: found duplicate title 'web'\n");
	file_fails(f,
		   "group web {\n"
		   "  process a { command = x }\n"
		   "  process a { command = y }\n"
		   "}\n",
		   "3: found duplicate title 'a'\n");
	file_fails(f, "process a { command = x }\n# c\nprocess a { command = y }\n",
		   "3: found duplicate title 'a'\n");
	/* Earlier sections are no longer libconfuse's (titles.h): found all
	 * the same, and nothing after the duplicate is read. */
	file_fails(f,
		   "group web { process a { command = x } }\n"
		   "process a { command = x }\n"
		   "group db { process a { command = x } }\n"
		   "process b { command = x }\n"
		   "group web { process a { bogus = 1 } }\n"
		   "group x { }\n"
		   "process a { command = x }\n",
		   "5: found duplicate title 'web'\n");
	file_fails(f,
		   "process a { command = x }\n"
		   "process b { command = x }\n"
		   "group a { process a { command = x } }\n"
		   "process c { command = x }\n"
		   "process a {\n command = x\n = }\n",
		   "5: found duplicate title 'a'\n");
}

static void test_duplicates_across_files(void **state)
{
	struct fixture *f = *state;

	put_file(f, "10-a.conf",
		 "# first\n"
		 "group web {\n"
		 "  process a { command = x }\n"
		 "}\n"
		 "process sshd { command = x }\n");
	put_file(f, "20-b.conf",
		 "group other { process a { command = x } }\n"
		 "group web { process a { command = x } }\n"
		 "\n"
		 "process sshd {\n"
		 "  command = y\n"
		 "}\n");
	put_file(f, "30-c.conf", "group \"local\" { process z { command = x } }\n");
	load_fails(f, "DIR/20-b.conf:2: group \"web\" is already declared at DIR/10-a.conf:2\n"
		      "DIR/20-b.conf:4: process \"sshd\" is already declared at DIR/10-a.conf:5\n"
		      "DIR/30-c.conf:1: group name \"local\" is reserved for processes outside "
		      "groups\n");
}

static void test_syntax_errors(void **state)
{
	struct fixture *f = *state;

	file_fails(f, "process p {\n  command \"x\"\n}\n",
		   "2: missing equal sign after option 'command'\n");
	file_fails(f, "process p { command = x }\n}\n", "2: unexpected closing brace\n");
	file_fails(f, "group g {\n  process p {\n    command = x\n", "2: '{' is never closed\n");
	file_fails(f, "group g {\n  process p {\n    command = x\n  }\n",
		   "1: '{' is never closed\n");
	file_fails(f, "process p {\n  command = \"x\n}\n", "2: unterminated string\n");
	file_fails(f, "process p {\n  command = 'x\n}\n", "2: unterminated string\n");
	file_fails(f, "process p { command = x }\n/* no end\n\n", "2: unterminated comment\n");
	file_fails(f, "process p {\n  command = x\n  directory = ${HOME}\n}\n",
		   "3: ${...} outside quotes: tend does not expand variables\n");
	file_fails(f, "process p {\n  command = x*\n}\n",
		   "2: stray '*': put the value in quotes\n");
	file_fails(f, "process p {\n  command = a+b\n}\n",
		   "2: stray '+': put the value in quotes\n");
	file_fails(f, "process {\n  command = x\n}\n", "1: missing title for section 'process'\n");
	file_fails(f, "group g process p { command = x }\n",
		   "1: missing opening brace for section 'group'\n");
	file_fails(f, "process p { command = { x } }\n", "1: unexpected token '{'\n");
	file_fails(f, "process p { command = x, }\n", "1: unexpected token ','\n");
	file_fails(f, "process p { command += x }\n",
		   "1: attempt to append to non-list option 'command'\n");
}

/* libconfuse 3.3 counts comment lines more than once; lines must be right
 * anyway, and comments may sit anywhere a blank may. */
static void test_lines_after_comments(void **state)
{
	struct fixture *f = *state;

	file_fails(
	    f,
	    "# one\n"
	    "## two\n"
	    "// three\n"
	    "/* four\n"
	    "   five */\n"
	    "group g # six\n"
	    "{ // seven\n"
	    "  process p /* eight */ {\n"
	    "    command = x # nine\n"
	    "    environment = { # ten\n"
	    "      \"A=1\", # eleven\n"
	    "      \"B\"  # twelve\n"
	    "    }\n"
	    "    bogus = 1\n"
	    "  }\n"
	    "}\n",
	    "12: environment: invalid entry \"B\" (KEY=VALUE, KEY of [A-Za-z_][A-Za-z0-9_]*)\n"
	    "14: no such option 'bogus'\n");
	/* # and // inside strings and words are not comments */
	put_file(f, "10-t.conf",
		 "process p { command = \"echo # not // a /* comment\"\n"
		 "  directory = /srv//www\n"
		 "}\n");
	load_ok(f);
	assert_argv(f->cfg.groups[0].procs[0].argv,
		    ARGV("echo", "#", "not", "//", "a", "/*", "comment"));
	assert_string_equal(f->cfg.groups[0].procs[0].directory, "/srv//www");
}

/* Sections carry the line of their opening brace. */
static void test_section_lines(void **state)
{
	struct fixture *f = *state;
	const struct group_decl *g;

	put_file(f, "10-t.conf",
		 "\n"
		 "group g {\n"
		 "  process a {\n"
		 "    command = \"multi\n"
		 "line\"\n"
		 "  }\n"
		 "  process b\n"
		 "  {\n"
		 "    command = x\n"
		 "  }\n"
		 "}\n");
	load_ok(f);
	g = group(f, "g");
	assert_int_equal(g->line, 2);
	assert_int_equal(proc(g, "a")->line, 3);
	assert_int_equal(proc(g, "b")->line, 8); /* the brace's line */
	file_fails(f,
		   "group g {\n"
		   "  process a { command = x }\n"
		   "  process b {\n"
		   "    restart = never\n"
		   "  }\n"
		   "}\n"
		   "group h {\n"
		   "}\n",
		   "3: process \"b\" has no command\n"
		   "7: group \"h\" has no processes\n");
}

/* Every broken file is reported, in name order, and good ones do not count. */
static void test_errors_from_all_files(void **state)
{
	struct fixture *f = *state;

	put_file(f, "10-a.conf", "group a { process p { command = x } }\n");
	put_file(f, "20-b.conf", "process p {\n  command = x\n  restart-delay = 1x\n}\n");
	put_file(f, "30-c.conf", "process q { command = x\n");
	put_file(f, "40-d.conf", "group d { process p { command = x } }\n");
	put_file(f, "50-e.conf", "\n\nwhat = ever\n");
	load_fails(f, "DIR/20-b.conf:3: restart-delay: invalid value \"1x\" (a whole number and "
		      "ms, s, m or h, like 100ms)\n"
		      "DIR/30-c.conf:1: '{' is never closed\n"
		      "DIR/50-e.conf:3: no such option 'what'\n");
}

static void test_unreadable_files(void **state)
{
	struct fixture *f = *state;
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/20-dir.conf", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/10-nul.conf", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fwrite("group g {\0}\n", 1, 12, fp);
	fclose(fp);
	/* a FIFO nobody writes is refused at once, not waited on */
	snprintf(path, sizeof(path), "%s/30-fifo.conf", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	/* a file masked by a symlink to /dev/null is empty: no message */
	snprintf(path, sizeof(path), "%s/40-masked.conf", f->dir);
	assert_int_equal(symlink("/dev/null", path), 0);
	load_fails(f, "DIR/10-nul.conf: contains a NUL byte; not a text file\n"
		      "DIR/20-dir.conf: Is a directory\n"
		      "DIR/30-fifo.conf: not a regular file\n");
}

static void test_error_buffer_limits(void **state)
{
	struct fixture *f = *state;
	struct config cfg = { 0 };
	char small[24];
	size_t i;

	put_file(f, "10-t.conf", "a = 1\n");
	put_file(f, "20-t.conf", "b = 1\n");
	memset(small, 'x', sizeof(small));
	assert_int_equal(config_load_dir(f->dir, &cfg, small, sizeof(small)), -1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(small[sizeof(small) - 2], '\n');
	for (i = 1; i < 4; i++) {
		memset(small, 'x', sizeof(small));
		assert_int_equal(config_load_dir(f->dir, &cfg, small, i), -1);
		assert_int_equal(strlen(small), i - 1);
		if (i >= 2)
			assert_int_equal(small[i - 2], '\n');
	}
	assert_int_equal(config_load_dir(f->dir, &cfg, NULL, 0), -1);
	assert_int_equal(config_load_dir(f->dir, &cfg, small, 0), -1);
	assert_int_equal(cfg.ngroups, 0);
}

/* ---- the single-file entry points ---- */

static void test_parse_file_and_text(void **state)
{
	struct fixture *f = *state;
	char path[512], err[512];
	struct config cfg = { 0 };

	put_file(f, "x.txt", "process p { command = x }\n");
	snprintf(path, sizeof(path), "%s/x.txt", f->dir);
	assert_int_equal(config_parse_file(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(cfg.ngroups, 1);
	assert_string_equal(cfg.groups[0].procs[0].file, path);
	config_free(&cfg);

	snprintf(path, sizeof(path), "%s/missing.conf", f->dir);
	assert_int_equal(config_parse_file(path, &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, with_dir(f, "DIR/missing.conf: No such file or directory\n"));

	assert_int_equal(
	    config_parse_text("mem.conf", "\nprocess p {\n}\n", &cfg, err, sizeof(err)), -1);
	assert_string_equal(err, "mem.conf:2: process \"p\" has no command\n");
	assert_int_equal(config_parse_text("mem.conf", "", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.ngroups, 0);
	config_free(&cfg);
}

/* ---- model helpers ---- */

static void parse_text(struct config *cfg, const char *path, const char *text)
{
	char err[1024];

	if (config_parse_text(path, text, cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static void test_equal(void **state)
{
	static const char base[] = "group g { tenant = t  process a { command = \"x y\" }\n"
				   "  process b { command = z  environment = { \"A=1\" } } }\n";
	static const char *const changed[] = {
		"group g { tenant = u  process a { command = \"x y\" }\n"
		"  process b { command = z  environment = { \"A=1\" } } }\n",
		"group g { tenant = t  autostart = no  process a { command = \"x y\" }\n"
		"  process b { command = z  environment = { \"A=1\" } } }\n",
		"group g { tenant = t  process a { command = \"x 'y z'\" }\n"
		"  process b { command = z  environment = { \"A=1\" } } }\n",
		"group g { tenant = t  process a { command = \"x y\" }\n"
		"  process b { command = z  environment = { \"A=2\" } } }\n",
		"group g { tenant = t  process a { command = \"x y\"  stop-timeout = 5001ms }\n"
		"  process b { command = z  environment = { \"A=1\" } } }\n",
		"group g { tenant = t  process b { command = z  environment = { \"A=1\" } }\n"
		"  process a { command = \"x y\" } }\n",
		"group g { tenant = t  process a { command = \"x y\" } }\n",
	};
	struct config a = { 0 }, b = { 0 };
	size_t i;

	(void)state;
	parse_text(&a, "one.conf", base);
	parse_text(&b, "two.conf",
		   "\n\n# moved\n"
		   "group g { tenant = t  process a { command = \"x y\" }\n"
		   "  process b { command = z  environment = { \"A=1\" } } }\n");
	assert_true(group_decl_equal(&a.groups[0], &b.groups[0]));
	assert_true(process_decl_equal(&a.groups[0].procs[1], &b.groups[0].procs[1]));
	assert_false(process_decl_equal(&a.groups[0].procs[0], &b.groups[0].procs[1]));
	config_free(&b);
	/* defaults written out are the same as defaults left out */
	parse_text(&b, "two.conf",
		   "group g { tenant = t  autostart = yes  process a { command = \"x y\"\n"
		   "  restart-delay = 100ms  restart-window = 30s  stop-timeout = 5s\n"
		   "  restart-limit = 5  type = longrun  restart = always  critical = false }\n"
		   "  process b { command = z  environment = { \"A=1\" } } }\n");
	assert_true(group_decl_equal(&a.groups[0], &b.groups[0]));
	config_free(&b);
	/* what runs is argv: the same words spelled otherwise are no change */
	parse_text(&b, "two.conf",
		   "group g { tenant = t  process a { command = \"x   'y'\" }\n"
		   "  process b { command = z  environment = { \"A=1\" } } }\n");
	assert_true(group_decl_equal(&a.groups[0], &b.groups[0]));
	config_free(&b);
	for (i = 0; i < sizeof(changed) / sizeof(changed[0]); i++) {
		parse_text(&b, "two.conf", changed[i]);
		if (group_decl_equal(&a.groups[0], &b.groups[0]))
			fail_msg("change %zu not seen", i);
		config_free(&b);
	}
	config_free(&a);
}

/* file and line aside, every field of a service counts for equal; none
 * counts for runs_same, which a reload uses to keep processes running. */
static void test_services_equal(void **state)
{
	static const char procs[] =
	    "group g { process a { command = x }  process b { command = y }\n";
	static const char base[] =
	    "  service s { process = a  host = \"10.0.0.1\"  port = 80  proto = tcp\n"
	    "              context = { \"k=v\" } }\n"
	    "  service u { process = b  proto = unix  path = /run/u }\n}\n";
	static const char *const changed[] = {
		"  service t { process = a  host = \"10.0.0.1\"  port = 80  proto = tcp\n"
		"              context = { \"k=v\" } }\n"
		"  service u { process = b  proto = unix  path = /run/u }\n}\n",
		"  service s { process = b  host = \"10.0.0.1\"  port = 80  proto = tcp\n"
		"              context = { \"k=v\" } }\n"
		"  service u { process = b  proto = unix  path = /run/u }\n}\n",
		"  service s { process = a  host = \"10.0.0.2\"  port = 80  proto = tcp\n"
		"              context = { \"k=v\" } }\n"
		"  service u { process = b  proto = unix  path = /run/u }\n}\n",
		"  service s { process = a  port = 80  proto = tcp\n"
		"              context = { \"k=v\" } }\n"
		"  service u { process = b  proto = unix  path = /run/u }\n}\n",
		"  service s { process = a  host = \"10.0.0.1\"  port = 81  proto = tcp\n"
		"              context = { \"k=v\" } }\n"
		"  service u { process = b  proto = unix  path = /run/u }\n}\n",
		"  service s { process = a  host = \"10.0.0.1\"  port = 80  proto = udp\n"
		"              context = { \"k=v\" } }\n"
		"  service u { process = b  proto = unix  path = /run/u }\n}\n",
		"  service s { process = a  host = \"10.0.0.1\"  port = 80  proto = tcp\n"
		"              context = { \"k=w\" } }\n"
		"  service u { process = b  proto = unix  path = /run/u }\n}\n",
		"  service s { process = a  host = \"10.0.0.1\"  port = 80  proto = tcp\n"
		"              context = { \"k=v\", \"l=v\" } }\n"
		"  service u { process = b  proto = unix  path = /run/u }\n}\n",
		"  service s { process = a  host = \"10.0.0.1\"  port = 80  proto = tcp }\n"
		"  service u { process = b  proto = unix  path = /run/u }\n}\n",
		"  service s { process = a  host = \"10.0.0.1\"  port = 80  proto = tcp\n"
		"              context = { \"k=v\" } }\n"
		"  service u { process = b  proto = unix  path = /run/v }\n}\n",
		"  service u { process = b  proto = unix  path = /run/u }\n"
		"  service s { process = a  host = \"10.0.0.1\"  port = 80  proto = tcp\n"
		"              context = { \"k=v\" } }\n}\n",
		"  service s { process = a  host = \"10.0.0.1\"  port = 80  proto = tcp\n"
		"              context = { \"k=v\" } }\n}\n",
		"}\n",
	};
	struct config a = { 0 }, b = { 0 };
	char text[1024];

	(void)state;
	snprintf(text, sizeof(text), "%s%s", procs, base);
	parse_text(&a, "one.conf", text);
	/* moved to another file and line: the same */
	snprintf(text, sizeof(text), "\n\n%s%s", procs, base);
	parse_text(&b, "two.conf", text);
	assert_int_not_equal(a.groups[0].services[0].line, b.groups[0].services[0].line);
	assert_true(group_decl_equal(&a.groups[0], &b.groups[0]));
	assert_true(service_decl_equal(&a.groups[0].services[1], &b.groups[0].services[1]));
	assert_false(service_decl_equal(&a.groups[0].services[0], &b.groups[0].services[1]));
	config_free(&b);
	for (size_t i = 0; i < sizeof(changed) / sizeof(changed[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", procs, changed[i]);
		parse_text(&b, "two.conf", text);
		if (group_decl_equal(&a.groups[0], &b.groups[0]))
			fail_msg("change %zu not seen", i);
		if (!group_decl_runs_same(&a.groups[0], &b.groups[0]))
			fail_msg("change %zu would restart the group", i);
		config_free(&b);
	}
	/* a change to a process still would */
	snprintf(text, sizeof(text),
		 "group g { process a { command = x }  process b { command = z }\n%s", base);
	parse_text(&b, "two.conf", text);
	assert_false(group_decl_runs_same(&a.groups[0], &b.groups[0]));
	config_free(&b);
	config_free(&a);
}

static void test_find_group(void **state)
{
	struct config cfg = { 0 };

	(void)state;
	parse_text(&cfg, "x.conf",
		   "group a { process p { command = x } }\n"
		   "group b { process p { command = x } }\n");
	assert_ptr_equal(config_find_group(&cfg, "b"), &cfg.groups[1]);
	assert_ptr_equal(config_find_group(&cfg, "a"), &cfg.groups[0]);
	assert_null(config_find_group(&cfg, "c"));
	assert_null(config_find_group(&cfg, NULL));
	assert_null(config_find_group(NULL, "a"));
	config_free(&cfg);
	config_free(&cfg); /* twice is harmless */
	config_free(NULL);
}

static void test_valid_name(void **state)
{
	char name[NAME_MAX_LEN + 2];

	(void)state;
	assert_true(valid_name("a"));
	assert_true(valid_name("0"));
	assert_true(valid_name("_"));
	assert_true(valid_name("web-1.prod_x"));
	assert_false(valid_name(NULL));
	assert_false(valid_name(""));
	assert_false(valid_name("-a"));
	assert_false(valid_name(".a"));
	assert_false(valid_name("a b"));
	assert_false(valid_name("a/b"));
	assert_false(valid_name("a|b"));
	assert_false(valid_name("ä"));
	memset(name, 'n', NAME_MAX_LEN);
	name[NAME_MAX_LEN] = '\0';
	assert_true(valid_name(name));
	name[NAME_MAX_LEN] = 'n';
	name[NAME_MAX_LEN + 1] = '\0';
	assert_false(valid_name(name));
}

static void test_valid_hostname(void **state)
{
	char longest[65];

	(void)state;
	memset(longest, 'a', 64);
	longest[64] = '\0';
	assert_true(valid_hostname("tend-guest"));
	assert_true(valid_hostname("node1.example.org"));
	assert_true(valid_hostname(longest));
	longest[63] = '\0';
	assert_true(valid_hostname(longest));
	assert_false(valid_hostname(""));
	assert_false(valid_hostname(NULL));
	assert_false(valid_hostname("-x"));
	assert_false(valid_hostname(".x"));
	assert_false(valid_hostname("a_b"));
	assert_false(valid_hostname("a/b"));
	char longer[66];
	memset(longer, 'a', 65);
	longer[65] = '\0';
	assert_false(valid_hostname(longer)); /* 65: one over the limit */
}

static void test_emergency_config(void **state)
{
	struct config cfg;

	(void)state;
	assert_int_equal(emergency_config("/bin/sh -l", &cfg), 0);
	assert_int_equal(cfg.ngroups, 1);
	assert_string_equal(cfg.groups[0].name, EMERGENCY_GROUP);
	assert_true(cfg.groups[0].autostart);
	assert_int_equal(cfg.groups[0].nprocs, 1);
	assert_true(cfg.groups[0].procs[0].console);
	assert_int_equal(cfg.groups[0].procs[0].restart, RESTART_ALWAYS);
	assert_argv(cfg.groups[0].procs[0].argv, ARGV("/bin/sh", "-l"));
	assert_null(cfg.groups[0].procs[0].environment[0]);
	config_free(&cfg);
	assert_int_equal(emergency_config("   ", &cfg), -1); /* no words: nothing to run */
	assert_int_equal(cfg.ngroups, 0);
	assert_int_equal(emergency_config("/bin/sh 'unbalanced", &cfg), -1);
	assert_int_equal(cfg.ngroups, 0);
	assert_null(cfg.groups);
}

static void test_enum_names(void **state)
{
	enum restart_policy p;
	enum process_type t;

	(void)state;
	assert_string_equal(restart_policy_name(RESTART_ALWAYS), "always");
	assert_string_equal(restart_policy_name(RESTART_ON_FAILURE), "on-failure");
	assert_string_equal(restart_policy_name(RESTART_NEVER), "never");
	assert_string_equal(process_type_name(TYPE_LONGRUN), "longrun");
	assert_string_equal(process_type_name(TYPE_ONESHOT), "oneshot");
	assert_int_equal(restart_policy_parse("on-failure", &p), 0);
	assert_int_equal(p, RESTART_ON_FAILURE);
	assert_int_equal(restart_policy_parse("Always", &p), -1);
	assert_int_equal(restart_policy_parse(NULL, &p), -1);
	assert_int_equal(process_type_parse("oneshot", &t), 0);
	assert_int_equal(t, TYPE_ONESHOT);
	assert_int_equal(process_type_parse("", &t), -1);
	assert_int_equal(env_entry_key_len("PATH=/bin"), 4);
	assert_int_equal(env_entry_key_len("_=x"), 1);
	assert_int_equal(env_entry_key_len("A"), 0);
	assert_int_equal(env_entry_key_len("=A"), 0);
	assert_int_equal(env_entry_key_len(NULL), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_full_example),
		T(test_defaults),
		T(test_values),
		T(test_kill_modes),
		T(test_bad_kill_mode),
		T(test_credentials),
		T(test_numeric_user_gets_its_groups),
		T(test_bad_credentials),
		T(test_console_and_system),
		T(test_system_without_hostname),
		T(test_system_errors),
		T(test_system_watchdog),
		T(test_system_watchdog_errors),
		T(test_system_across_files),
		T(test_empty_dir),
		T(test_empty_and_comment_only_files),
		T(test_name_order),
		T(test_local_group_order),
		T(test_local_group_first),
		T(test_command_quoting),
		T(test_environment),
		T(test_names),
		T(test_services),
		T(test_no_services),
		T(test_service_errors),
		T(test_service_address_errors),
		T(test_service_context_errors),
		T(test_service_duplicates),
		T(test_services_max),
		T(test_on_restart),
		T(test_missing_dir),
		T(test_unknown_options),
		T(test_option_paths),
		T(test_bad_durations),
		T(test_bad_values),
		T(test_bad_commands),
		T(test_bad_environment),
		T(test_structure_errors),
		T(test_duplicates_in_file),
		T(test_duplicates_across_files),
		T(test_syntax_errors),
		T(test_lines_after_comments),
		T(test_section_lines),
		T(test_errors_from_all_files),
		T(test_unreadable_files),
		T(test_error_buffer_limits),
		T(test_parse_file_and_text),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_services_equal),
		cmocka_unit_test(test_find_group),
		cmocka_unit_test(test_valid_name),
		cmocka_unit_test(test_valid_hostname),
		cmocka_unit_test(test_emergency_config),
		cmocka_unit_test(test_enum_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

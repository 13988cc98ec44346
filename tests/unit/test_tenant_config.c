/* Tenants and seccomp profiles in conf.d: their fields, the exact
 * "path:line: message" lines for what is wrong, the credentials a tenant
 * gives its processes, reload's comparison, and the block that carries
 * them over the isolated reader's pipe. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/syscall_sets.h"
#include "config/users.h"
#include "conf_fixture.h"

#include <seccomp.h>

static void load_ok(struct fixture *f, const char *text)
{
	write_test_file(f->dir, "10-t.conf", text);
	config_free(&f->cfg);
	if (config_load_dir(f->dir, &f->cfg, f->err, sizeof(f->err)) != 0)
		fail_msg("load failed:\n%s", f->err);
}

/* One file, expected to fail with exactly these "LINE: message" lines. */
static void load_fails(struct fixture *f, const char *text, const char *want)
{
	size_t n = 0;

	write_test_file(f->dir, "10-t.conf", text);
	config_free(&f->cfg);
	assert_int_equal(config_load_dir(f->dir, &f->cfg, f->err, sizeof(f->err)), -1);
	for (const char *p = want; *p; p = strchr(p, '\n') + 1)
		n += (size_t)snprintf(f->want + n, sizeof(f->want) - n, "%s/10-t.conf:%.*s\n",
				      f->dir, (int)(strchr(p, '\n') - p), p);
	assert_string_equal(f->err, f->want);
	assert_int_equal(f->cfg.ntenants, 0);
	assert_null(f->cfg.profiles);
}

static void a_profile_keeps_what_it_says(void **state)
{
	struct fixture *f = *state;
	const struct seccomp_decl *s;

	load_ok(f, "seccomp \"strict\" {\n"
		   "  default = errno  errno = EACCES\n"
		   "  allow = { @system-service, read }  deny = { @privileged, socket }\n"
		   "  log = { }  enosys = { clone3 }\n"
		   "}\n"
		   "seccomp \"open\" { default = allow  errno = 38 }\n");
	assert_int_equal(f->cfg.nprofiles, 2);
	s = config_find_profile(&f->cfg, "strict");
	assert_non_null(s);
	assert_int_equal(s->default_action, SECCOMP_ACTION_ERRNO);
	assert_int_equal(s->errno_value, EACCES);
	assert_int_equal(s->line, 1);
	assert_string_equal(s->lists[SECCOMP_ALLOW][0], "@system-service");
	assert_string_equal(s->lists[SECCOMP_ALLOW][1], "read");
	assert_null(s->lists[SECCOMP_ALLOW][2]);
	assert_string_equal(s->lists[SECCOMP_DENY][1], "socket");
	assert_true(!s->lists[SECCOMP_LOG] || !s->lists[SECCOMP_LOG][0]);
	assert_string_equal(s->lists[SECCOMP_ENOSYS][0], "clone3");
	s = config_find_profile(&f->cfg, "open");
	assert_int_equal(s->default_action, SECCOMP_ACTION_ALLOW);
	assert_int_equal(s->errno_value, ENOSYS);
	assert_null(s->lists[SECCOMP_DENY]);
}

static void bad_profiles_are_path_line_errors(void **state)
{
	struct fixture *f = *state;

	load_fails(f,
		   "seccomp \"p\" {\n"
		   "  default = sometimes\n"
		   "  errno = ENOTANERRNO\n"
		   "  allow = { read, sockett }\n"
		   "  deny = { @mount, @nosuch }\n"
		   "  enosys = { 0 }\n"
		   "}\n",
		   "2: default: invalid value \"sometimes\" (allow, errno, kill or log)\n"
		   "3: errno: invalid value \"ENOTANERRNO\" (an errno name such as EPERM, or a "
		   "number from 1 to 4095)\n"
		   "4: allow: \"sockett\": no such system call (libseccomp does not know it)\n"
		   "5: deny: \"@nosuch\": no such set (see README, \"Seccomp profiles\")\n"
		   "6: enosys: \"0\": no such system call (libseccomp does not know it)\n");
	load_fails(
	    f, "seccomp \"p\" {\n  errno = 4096\n}\n",
	    "1: seccomp \"p\": default is required (allow, errno, kill or log)\n"
	    "2: errno: invalid value \"4096\" (an errno name such as EPERM, or a number from "
	    "1 to 4095)\n");
	load_fails(f, "seccomp \"p\" { default = allow }\nseccomp \"p\" { default = log }\n",
		   "2: found duplicate title 'p'\n");
	load_fails(f, "seccomp \"p\" { default = allow  kill = { read } }\n",
		   "1: no such option 'kill'\n");
}

static void a_profile_declared_twice_across_files_is_an_error(void **state)
{
	struct fixture *f = *state;

	write_test_file(f->dir, "05-a.conf",
			"seccomp \"p\" { default = allow }\n"
			"tenant \"t\" { }\n");
	write_test_file(f->dir, "10-t.conf",
			"\nseccomp \"p\" { default = kill }\ntenant \"t\" { }\n");
	assert_int_equal(config_load_dir(f->dir, &f->cfg, f->err, sizeof(f->err)), -1);
	snprintf(f->want, sizeof(f->want),
		 "%s/10-t.conf:2: seccomp \"p\" is already declared at %s/05-a.conf:1\n"
		 "%s/10-t.conf:3: tenant \"t\" is already declared at %s/05-a.conf:2\n",
		 f->dir, f->dir, f->dir, f->dir);
	assert_string_equal(f->err, f->want);
}

static void a_tenant_keeps_its_limits(void **state)
{
	struct fixture *f = *state;
	const struct tenant_decl *t;

	load_ok(f, "tenant \"acme\" {\n"
		   "  cpu-weight = 50  io-weight = 10000  cpu-max = \"25%\"\n"
		   "  memory-max = 512M  memory-high = 400M  pids-max = 256\n"
		   "}\n"
		   "tenant \"b\" { cpu-max = \"20000 50000\"  memory-max = max  pids-max = max }\n"
		   "tenant \"c\" { }\n");
	t = config_find_tenant(&f->cfg, "acme");
	assert_non_null(t);
	assert_null(t->seccomp);
	assert_int_equal(t->limits.cpu_weight, 50);
	assert_int_equal(t->limits.io_weight, 10000);
	assert_int_equal(t->limits.cpu_quota_us, 25000);
	assert_int_equal(t->limits.cpu_period_us, 100000);
	assert_int_equal(t->limits.memory_max, 512u << 20);
	assert_int_equal(t->limits.memory_high, 400u << 20);
	assert_int_equal(t->limits.pids_max, 256);
	t = config_find_tenant(&f->cfg, "b");
	assert_int_equal(t->limits.cpu_quota_us, 20000);
	assert_int_equal(t->limits.cpu_period_us, 50000);
	assert_true(t->limits.memory_max == LIMIT_MAX);
	assert_true(t->limits.pids_max == LIMIT_MAX);
	t = config_find_tenant(&f->cfg, "c");
	assert_int_equal(t->limits.cpu_weight, 0);
	assert_int_equal(t->limits.cpu_period_us, 0);
	assert_int_equal(t->cred_set, 0);
}

static void bad_limits_are_path_line_errors(void **state)
{
	struct fixture *f = *state;

	load_fails(
	    f,
	    "tenant \"t\" {\n"
	    "  cpu-weight = 0\n"
	    "  io-weight = 10001\n"
	    "  cpu-max = \"50\"\n"
	    "  memory-max = 1T\n"
	    "  memory-high = 100\n"
	    "  pids-max = 0\n"
	    "  seccomp = \"a b\"\n"
	    "}\n",
	    "2: cpu-weight: invalid value \"0\" (a whole number from 1 to 10000)\n"
	    "3: io-weight: invalid value \"10001\" (a whole number from 1 to 10000)\n"
	    "4: cpu-max: invalid value \"50\" (max, a percentage of one CPU such as 50%, or "
	    "\"QUOTA PERIOD\" in microseconds, the period from 1000 to 1000000)\n"
	    "5: memory-max: invalid value \"1T\" (max, or a number of bytes, or with k, M or "
	    "G; at least 4k)\n"
	    "6: memory-high: invalid value \"100\" (max, or a number of bytes, or with k, M "
	    "or G; at least 4k)\n"
	    "7: pids-max: invalid value \"0\" (max, or a whole number from 1 to 4194304)\n"
	    "8: seccomp: invalid value \"a b\" ([A-Za-z0-9_][A-Za-z0-9_.-]*, at most 64 "
	    "characters)\n");
}

static void limit_values_parse_as_documented(void **state)
{
	uint64_t q, p, n;
	(void)state;

	assert_int_equal(cpu_max_parse("max", &q, &p), 0);
	assert_true(q == LIMIT_MAX && p == 100000);
	assert_int_equal(cpu_max_parse("150%", &q, &p), 0);
	assert_true(q == 150000 && p == 100000);
	assert_int_equal(cpu_max_parse("max 20000", &q, &p), 0);
	assert_true(q == LIMIT_MAX && p == 20000);
	assert_int_equal(cpu_max_parse("5000 10000", &q, &p), 0);
	assert_true(q == 5000 && p == 10000);
	assert_int_equal(cpu_max_parse("0%", &q, &p), -1);
	assert_int_equal(cpu_max_parse("%", &q, &p), -1);
	assert_int_equal(cpu_max_parse("100 100000", &q, &p), -1); /* quota under 1 ms */
	assert_int_equal(cpu_max_parse("5000 999", &q, &p), -1);
	assert_int_equal(cpu_max_parse("5000 1000001", &q, &p), -1);
	assert_int_equal(cpu_max_parse("5000  10000", &q, &p), -1);
	assert_int_equal(cpu_max_parse("99999999999999999999%", &q, &p), -1);
	assert_int_equal(pids_max_parse("4194304", &n), 0);
	assert_int_equal(pids_max_parse("4194305", &n), -1);
	assert_int_equal(pids_max_parse("-1", &n), -1);
	assert_int_equal(limit_size_parse("4k", &n), 0);
	assert_int_equal(n, 4096);
}

static void errno_names_and_numbers(void **state)
{
	int e = 0;
	(void)state;

	assert_int_equal(errno_parse("EPERM", &e), 0);
	assert_int_equal(e, EPERM);
	assert_int_equal(errno_parse("ENOSYS", &e), 0);
	assert_int_equal(e, ENOSYS);
	assert_int_equal(errno_parse("4095", &e), 0);
	assert_int_equal(e, 4095);
	assert_int_equal(errno_parse("0", &e), -1);
	assert_int_equal(errno_parse("4096", &e), -1);
	assert_int_equal(errno_parse("eperm", &e), -1);
	assert_int_equal(errno_parse("", &e), -1);
	assert_int_equal(errno_parse("1x", &e), -1);
}

/* A typo in the table of sets would be skipped silently when compiling:
 * every member must be a name libseccomp knows on some architecture, and
 * every @set a member names must exist. */
static void every_set_member_is_a_known_call_or_set(void **state)
{
	(void)state;
	assert_true(nsyscall_sets >= 25);
	for (size_t i = 0; i < nsyscall_sets; i++) {
		const struct syscall_set *s = &syscall_sets[i];
		assert_int_equal(s->name[0], '@');
		assert_ptr_equal(syscall_set_find(s->name), s);
		for (size_t k = 0; s->calls[k]; k++) {
			const char *c = s->calls[k];
			if (c[0] == '@' ? !syscall_set_find(c)
					: seccomp_syscall_resolve_name(c) == __NR_SCMP_ERROR)
				fail_msg("%s: unknown member %s", s->name, c);
		}
	}
	assert_null(syscall_set_find("@nosuch"));
	assert_null(seccomp_name_check("socketcall")); /* known, on other architectures */
	assert_non_null(seccomp_name_check("nosuchcall"));
}

/* Whether the comma-separated list `cell` has `word` as one of its items. */
static bool listed(const char *cell, const char *word)
{
	size_t n = strlen(word);

	for (const char *c = cell; (c = strstr(c, word)); c++)
		if ((c == cell || c[-1] == ' ') && (c[n] == ',' || c[n] == ' ' || !c[n]))
			return true;
	return false;
}

/* README's table of sets says what the table here says: each set's row
 * names exactly its members. (Run from the top of the repository, as
 * make check does; elsewhere the README is not found and this says so.) */
static void readme_lists_every_set_as_it_is(void **state)
{
	FILE *fp = fopen("README.md", "r");
	char *line = NULL, head[80];
	size_t cap = 0, found = 0;
	(void)state;

	if (!fp) {
		print_message("skipped: README.md is not in the current directory\n");
		return;
	}
	while (getline(&line, &cap, fp) > 0) {
		for (size_t i = 0; i < nsyscall_sets; i++) {
			const struct syscall_set *set = &syscall_sets[i];
			size_t n = 0, items = 1;
			char *cell;
			snprintf(head, sizeof(head), "| `%s` | ", set->name);
			if (strncmp(line, head, strlen(head)) != 0)
				continue;
			found++;
			*strrchr(line, '|') = '\0'; /* the last cell: the calls */
			cell = strrchr(line, '|') + 1;
			for (const char *c = cell; *c; c++)
				items += *c == ',';
			for (; set->calls[n]; n++)
				if (!listed(cell, set->calls[n]))
					fail_msg("README: %s lacks %s", set->name, set->calls[n]);
			if (items != n)
				fail_msg("README: %s lists %zu calls, the table %zu", set->name,
					 items, n);
		}
	}
	free(line);
	fclose(fp);
	assert_int_equal(found, nsyscall_sets);
}

static void a_tenant_names_a_declared_profile(void **state)
{
	struct fixture *f = *state;

	load_fails(f, "seccomp \"a\" { default = allow }\n\ntenant \"t\" { seccomp = \"b\" }\n",
		   "3: tenant \"t\": no seccomp profile \"b\"\n");
}

/* A group's tenant without a section is a label, as before tenants had
 * sections; a group of a tenant with a profile carries its text. */
static void a_group_carries_its_tenants_profile(void **state)
{
	struct fixture *f = *state;
	const struct group_decl *g;

	load_ok(
	    f, "group \"free\" { tenant = \"nobody-declared\"  process p { command = x } }\n"
	       "group \"web\" { tenant = \"acme\"  process p { command = x } }\n"
	       "tenant \"acme\" { seccomp = \"nonet\" }\n"
	       "seccomp \"nonet\" { default = allow  deny = { socket, @mount }  errno = EPERM }\n");
	g = config_find_group(&f->cfg, "free");
	assert_null(g->seccomp);
	assert_null(config_group_profile(&f->cfg, g));
	g = config_find_group(&f->cfg, "web");
	assert_string_equal(g->seccomp, "nonet: default=allow errno=1 deny=socket,@mount");
	assert_ptr_equal(config_group_profile(&f->cfg, g), config_find_profile(&f->cfg, "nonet"));
}

/* Reload restarts a group whose profile changed, and only then. */
static void a_changed_profile_changes_its_groups(void **state)
{
	struct fixture *f = *state;
	struct config before;
	const char *group = "group \"web\" { tenant = \"acme\"  process p { command = x } }\n"
			    "tenant \"acme\" { seccomp = \"p\" }\n";
	char text[512];

	snprintf(text, sizeof(text), "%sseccomp \"p\" { default = allow  deny = { socket } }\n",
		 group);
	load_ok(f, text);
	before = f->cfg;
	f->cfg = (struct config){ 0 };
	load_ok(f, text);
	assert_true(group_decl_equal(&before.groups[0], &f->cfg.groups[0]));
	assert_true(seccomp_decl_equal(&before.profiles[0], &f->cfg.profiles[0]));
	snprintf(text, sizeof(text), "%sseccomp \"p\" { default = allow  deny = { bind } }\n",
		 group);
	load_ok(f, text);
	assert_false(group_decl_runs_same(&before.groups[0], &f->cfg.groups[0]));
	assert_false(seccomp_decl_equal(&before.profiles[0], &f->cfg.profiles[0]));
	load_ok(f, "group \"web\" { tenant = \"acme\"  process p { command = x } }\n"
		   "tenant \"acme\" { }\n");
	assert_false(group_decl_runs_same(&before.groups[0], &f->cfg.groups[0]));
	config_free(&before);
}

static bool root(void)
{
	if (geteuid() == 0)
		return true;
	print_message("skipped: user, group and supplementary-groups need root\n");
	return false;
}

/* The tenant's credentials are its processes' defaults, option by option. */
static void a_tenants_user_is_its_processes_default(void **state)
{
	struct fixture *f = *state;
	const struct group_decl *g;
	uid_t uid;
	gid_t gid, root_gid, nogroup;
	char login[64];

	if (!root())
		return;
	assert_int_equal(user_lookup("nobody", &uid, &gid, login, sizeof(login)), 0);
	assert_int_equal(group_lookup("root", &root_gid), 0);
	assert_int_equal(group_lookup("nogroup", &nogroup), 0);
	load_ok(f, "tenant \"t\" { user = \"nobody\"  supplementary-groups = { \"root\" } }\n"
		   "group \"g\" {\n"
		   "  tenant = \"t\"\n"
		   "  process plain { command = x }\n"
		   "  process own { command = x  user = \"root\" }\n"
		   "  process grp { command = x  group = \"root\" }\n"
		   "}\n"
		   "group \"h\" { process q { command = x } }\n");
	g = config_find_group(&f->cfg, "g");
	assert_int_equal(g->procs[0].uid, uid);
	assert_int_equal(g->procs[0].gid, gid);
	assert_int_equal(g->procs[0].ngroups, 1); /* nobody is in no /etc/group line */
	assert_int_equal(g->procs[0].groups[0], root_gid);
	assert_int_equal(g->procs[1].uid, 0); /* its own user wins */
	assert_int_equal(g->procs[1].gid, root_gid);
	assert_int_equal(g->procs[2].uid, uid); /* its own group wins, the user is the tenant's */
	assert_int_equal(g->procs[2].gid, root_gid);
	g = config_find_group(&f->cfg, "h"); /* tenant "default": none declared */
	assert_int_equal(g->procs[0].uid, NO_ID);
	assert_int_equal(g->procs[0].ngroups, -1);
	assert_int_equal(config_find_tenant(&f->cfg, "t")->uid, uid);
	(void)nogroup;
}

static void a_tenants_unknown_user_is_an_error(void **state)
{
	struct fixture *f = *state;

	if (!root())
		return;
	load_fails(f, "tenant \"t\" {\n  user = \"no-such-user-here\"\n  group = \"nogrp-x\"\n}\n",
		   "2: user: no user \"no-such-user-here\" in /etc/passwd (tend reads the file: no "
		   "NSS, no LDAP)\n"
		   "3: group: no group \"nogrp-x\" in /etc/group (tend reads the file: no NSS, no "
		   "LDAP)\n");
}

/* ---- the block for the reader's pipe ---- */

static const char full[] =
    "seccomp \"nonet\" { default = allow  deny = { socket, @mount }  errno = EPERM }\n"
    "seccomp \"strict\" { default = errno  allow = { @system-service }  deny = { @privileged }\n"
    "  log = { ptrace }  enosys = { clone3 } }\n"
    "tenant \"acme\" { seccomp = \"strict\"  cpu-weight = 50  memory-max = 512M  pids-max = 256 }\n"
    "tenant \"other\" { seccomp = \"nonet\"  cpu-max = \"1000 2000\" }\n"
    "tenant \"bare\" { }\n"
    "group \"web\" { tenant = \"acme\"  process p { command = x } }\n";

static void assert_same_tenancy(const struct config *a, const struct config *b)
{
	assert_int_equal(a->nprofiles, b->nprofiles);
	assert_int_equal(a->ntenants, b->ntenants);
	for (size_t i = 0; i < a->nprofiles; i++) {
		assert_true(seccomp_decl_equal(&a->profiles[i], &b->profiles[i]));
		assert_string_equal(a->profiles[i].file, b->profiles[i].file);
		assert_int_equal(a->profiles[i].line, b->profiles[i].line);
	}
	for (size_t i = 0; i < a->ntenants; i++) {
		assert_true(tenant_decl_equal(&a->tenants[i], &b->tenants[i]));
		assert_string_equal(a->tenants[i].file, b->tenants[i].file);
	}
}

static void tenants_and_profiles_pack_and_unpack(void **state)
{
	struct fixture *f = *state;
	struct config got = { 0 };
	char *block;
	size_t len;

	load_ok(f, full);
	if (geteuid() == 0) { /* credentials travel too */
		write_test_file(
		    f->dir, "20-u.conf",
		    "tenant \"u\" { user = \"nobody\"  supplementary-groups = { root } }\n");
		config_free(&f->cfg);
		assert_int_equal(config_load_dir(f->dir, &f->cfg, f->err, sizeof(f->err)), 0);
	}
	assert_int_equal(tenancy_pack(&f->cfg, &block, &len), 0);
	assert_int_equal(tenancy_unpack(block, len, &got), 0);
	assert_same_tenancy(&f->cfg, &got);
	config_free(&got);
	/* every cut-short block is refused, and leaks nothing */
	for (size_t n = 0; n < len; n++) {
		assert_int_equal(tenancy_unpack(block, n, &got), -1);
		assert_null(got.tenants);
	}
	/* a changed byte anywhere is refused or still a valid configuration */
	for (size_t n = 0; n < len; n++) {
		char *copy = malloc(len);
		memcpy(copy, block, len);
		copy[n] ^= 0x5a;
		if (tenancy_unpack(copy, len, &got) == 0)
			config_free(&got);
		free(copy);
	}
	free(block);
}

static void damaged_blocks_are_refused(void **state)
{
	struct fixture *f = *state;
	struct config got = { 0 };
	struct config bad;
	char *block;
	size_t len;
	char *old;

	load_ok(f, full);
	/* a tenant naming a profile that is not there */
	bad = f->cfg;
	old = bad.tenants[0].seccomp;
	bad.tenants[0].seccomp = "gone";
	assert_int_equal(tenancy_pack(&bad, &block, &len), 0);
	bad.tenants[0].seccomp = old;
	assert_int_equal(tenancy_unpack(block, len, &got), -1);
	free(block);
	/* an unknown call in a list */
	old = f->cfg.profiles[0].lists[SECCOMP_DENY][0];
	f->cfg.profiles[0].lists[SECCOMP_DENY][0] = "sockett";
	assert_int_equal(tenancy_pack(&f->cfg, &block, &len), 0);
	f->cfg.profiles[0].lists[SECCOMP_DENY][0] = old;
	assert_int_equal(tenancy_unpack(block, len, &got), -1);
	free(block);
	/* an action out of range, a weight out of range, two of one name */
	f->cfg.profiles[1].default_action = 7;
	assert_int_equal(tenancy_pack(&f->cfg, &block, &len), 0);
	f->cfg.profiles[1].default_action = SECCOMP_ACTION_ERRNO;
	assert_int_equal(tenancy_unpack(block, len, &got), -1);
	free(block);
	f->cfg.tenants[0].limits.cpu_weight = MAX_WEIGHT + 1;
	assert_int_equal(tenancy_pack(&f->cfg, &block, &len), 0);
	f->cfg.tenants[0].limits.cpu_weight = 50;
	assert_int_equal(tenancy_unpack(block, len, &got), -1);
	free(block);
	old = f->cfg.tenants[1].name;
	f->cfg.tenants[1].name = f->cfg.tenants[0].name;
	assert_int_equal(tenancy_pack(&f->cfg, &block, &len), 0);
	f->cfg.tenants[1].name = old;
	assert_int_equal(tenancy_unpack(block, len, &got), -1);
	free(block);
}

/* Through the pipe, with the groups. */
static void tenants_cross_the_readers_pipe(void **state)
{
	struct fixture *f = *state;
	struct config got = { 0 };
	const char *why = "unset";
	int fds[2];

	load_ok(f, full);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(config_send(fds[1], 0, "", &f->cfg), 0);
	close(fds[1]);
	assert_int_equal(config_receive(fds[0], 1000, &got, f->err, sizeof(f->err), &why), 0);
	close(fds[0]);
	assert_null(why);
	assert_same_tenancy(&f->cfg, &got);
	assert_string_equal(got.groups[0].seccomp, f->cfg.groups[0].seccomp);
	config_free(&got);
	config_free(&f->cfg);
	/* and through the isolated reader itself */
	assert_int_equal(config_load_dir_isolated(f->dir, &got, f->err, sizeof(f->err)), 0);
	load_ok(f, full);
	assert_same_tenancy(&f->cfg, &got);
	config_free(&got);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(a_profile_keeps_what_it_says),
		T(bad_profiles_are_path_line_errors),
		T(a_profile_declared_twice_across_files_is_an_error),
		T(a_tenant_keeps_its_limits),
		T(bad_limits_are_path_line_errors),
		cmocka_unit_test(limit_values_parse_as_documented),
		cmocka_unit_test(errno_names_and_numbers),
		cmocka_unit_test(every_set_member_is_a_known_call_or_set),
		cmocka_unit_test(readme_lists_every_set_as_it_is),
		T(a_tenant_names_a_declared_profile),
		T(a_group_carries_its_tenants_profile),
		T(a_changed_profile_changes_its_groups),
		T(a_tenants_user_is_its_processes_default),
		T(a_tenants_unknown_user_is_an_error),
		T(tenants_and_profiles_pack_and_unpack),
		T(damaged_blocks_are_refused),
		T(tenants_cross_the_readers_pipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

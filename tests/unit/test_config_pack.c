/* Packed declarations (config/pack.c) and conf.d read in a child process
 * (config/isolate.c): a packed group says the same as it did unpacked, a
 * block moved elsewhere says the same once relocated, a damaged one is
 * refused, and the child's answer equals reading conf.d in place. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "files.h"

#define ERR_SIZE 8192

static const char two_files_a[] =
    "system { hostname = \"box-1\"  services-max = 100  watchdog-device = \"/dev/watchdog0\"  "
    "watchdog-timeout = 12s }\n"
    "group web {\n"
    "  tenant = shop\n"
    "  process db { command = \"/usr/bin/db --fg\"  critical = true  directory = /srv/db }\n"
    "  process app {\n"
    "    command = \"sh -c 'exec app'\"\n"
    "    environment = { \"A=1\", \"B=two words\" }\n"
    "    ready = notify  watchdog = 2s\n"
    "  }\n"
    "  service http {\n"
    "    process = app  host = \"10.0.0.5\"  port = 8080  proto = tcp\n"
    "    context = { \"path=/\", \"weight=10\" }\n"
    "  }\n"
    "  service sock { process = db  proto = unix  path = \"/run/db.sock\" }\n"
    "}\n"
    "process lone { command = /bin/true }\n";
static const char two_files_b[] = "group empty-env { process p { command = \"x y z\" } }\n"
				  "process other { command = \"/bin/sleep 1\" }\n";

struct fixture {
	char dir[64];
	char err[ERR_SIZE];
};

static void put_file(struct fixture *f, const char *name, const char *text)
{
	write_test_file(f->dir, name, text);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/tend-test-pack-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	put_file(f, "10-a.conf", two_files_a);
	put_file(f, "20-b.conf", two_files_b);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	remove_test_tree(f->dir);
	free(f);
	return 0;
}

static const struct group_decl *group(const struct config *c, const char *name)
{
	const struct group_decl *g = config_find_group(c, name);

	if (!g)
		fail_msg("no group %s", name);
	return g;
}

/* Every string and vector of g lies inside its block. */
static void assert_inside(const struct group_decl *g, const void *p)
{
	const char *c = p;

	if (!p)
		return;
	assert_true(c >= g->pack && c < g->pack + g->pack_len);
}

static void assert_all_inside(const struct group_decl *g)
{
	assert_non_null(g->pack);
	assert_inside(g, g->name);
	assert_inside(g, g->tenant);
	assert_inside(g, g->file);
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct process_decl *p = &g->procs[i];
		assert_inside(g, p);
		assert_inside(g, p->name);
		assert_inside(g, p->file);
		assert_inside(g, p->directory);
		assert_inside(g, p->argv);
		for (size_t k = 0; p->argv && p->argv[k]; k++)
			assert_inside(g, p->argv[k]);
		assert_inside(g, p->environment);
		for (size_t k = 0; p->environment && p->environment[k]; k++)
			assert_inside(g, p->environment[k]);
		assert_inside(g, p->groups);
		if (p->ngroups > 0)
			assert_inside(g, &p->groups[p->ngroups - 1]);
	}
	for (size_t i = 0; i < g->nservices; i++) {
		const struct service_decl *s = &g->services[i];
		assert_inside(g, s);
		assert_inside(g, s->name);
		assert_inside(g, s->process);
		assert_inside(g, s->host);
		assert_inside(g, s->path);
		assert_inside(g, s->file);
		assert_inside(g, s->context);
		for (size_t k = 0; s->context && s->context[k]; k++)
			assert_inside(g, s->context[k]);
	}
}

static void every_parsed_group_is_packed(void **state)
{
	struct fixture *f = *state;
	struct config c = { 0 };

	assert_int_equal(config_load_dir(f->dir, &c, f->err, sizeof(f->err)), 0);
	assert_int_equal(c.ngroups, 3);
	for (size_t i = 0; i < c.ngroups; i++)
		assert_all_inside(&c.groups[i]);
	const struct group_decl *web = group(&c, "web");
	assert_string_equal(web->tenant, "shop");
	assert_string_equal(web->procs[0].directory, "/srv/db");
	assert_string_equal(web->procs[1].argv[2], "exec app");
	assert_string_equal(web->procs[1].environment[1], "B=two words");
	assert_null(web->procs[1].environment[2]);
	/* a process's file is its group's, stored once */
	assert_ptr_equal(web->procs[1].file, web->file);
	/* services, in declaration order, the same */
	assert_int_equal(web->nservices, 2);
	assert_string_equal(web->services[0].name, "http");
	assert_string_equal(web->services[0].process, "app");
	assert_string_equal(web->services[0].host, "10.0.0.5");
	assert_int_equal(web->services[0].port, 8080);
	assert_int_equal(web->services[0].proto, PROTO_TCP);
	assert_string_equal(web->services[0].context[1], "weight=10");
	assert_null(web->services[0].context[2]);
	assert_null(web->services[0].path);
	assert_ptr_equal(web->services[0].file, web->file);
	assert_int_equal(web->services[0].line, 10);
	assert_string_equal(web->services[1].path, "/run/db.sock");
	assert_int_equal(web->services[1].proto, PROTO_UNIX);
	assert_null(web->services[1].context);
	/* the group of processes outside groups spans two files */
	const struct group_decl *local = group(&c, LOCAL_GROUP);
	assert_int_equal(local->nprocs, 2);
	assert_non_null(strstr(local->procs[0].file, "/10-a.conf"));
	assert_non_null(strstr(local->procs[1].file, "/20-b.conf"));
	config_free(&c);
}

static void packing_again_changes_nothing(void **state)
{
	struct fixture *f = *state;
	struct config a = { 0 }, b = { 0 };

	assert_int_equal(config_load_dir(f->dir, &a, f->err, sizeof(f->err)), 0);
	assert_int_equal(config_load_dir(f->dir, &b, f->err, sizeof(f->err)), 0);
	for (size_t i = 0; i < b.ngroups; i++) {
		char *old = b.groups[i].pack;
		assert_int_equal(group_decl_pack(&b.groups[i]), 0);
		assert_ptr_not_equal(b.groups[i].pack, old);
		assert_true(group_decl_equal(&a.groups[i], &b.groups[i]));
		assert_all_inside(&b.groups[i]);
	}
	config_free(&a);
	config_free(&b);
}

/* g's block copied to a fresh allocation, as config_isolate receives it. */
static char *copy_block(const struct group_decl *g)
{
	char *block = malloc(g->pack_len);

	assert_non_null(block);
	memcpy(block, g->pack, g->pack_len);
	return block;
}

static void a_moved_block_says_the_same(void **state)
{
	struct fixture *f = *state;
	struct config c = { 0 };

	assert_int_equal(config_load_dir(f->dir, &c, f->err, sizeof(f->err)), 0);
	for (size_t i = 0; i < c.ngroups; i++) {
		struct group_decl moved = c.groups[i];
		char *block = copy_block(&moved);
		assert_int_equal(group_decl_relocate(&moved, block), 0);
		assert_ptr_equal(moved.pack, block);
		assert_all_inside(&moved);
		assert_true(group_decl_equal(&moved, &c.groups[i]));
		group_decl_free(&moved);
	}
	config_free(&c);
}

/* Relocates a copy of web's block after `damage` changed the copy (pointers in
 * it are still web's addresses, as the sender's would be). */
static int relocate_damaged(const struct group_decl *web,
			    void (*damage)(const struct group_decl *, struct group_decl *, char *))
{
	struct group_decl moved = *web;
	char *block = copy_block(web);
	int rc;

	damage(web, &moved, block);
	rc = group_decl_relocate(&moved, block);
	if (rc == 0)
		group_decl_free(&moved);
	else
		free(block);
	return rc;
}

static struct process_decl *procs_of(char *block)
{
	return (struct process_decl *)block;
}

static void nothing(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)w, (void)m, (void)b;
}
static void name_outside(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)b;
	m->name = w->pack + w->pack_len + 16;
}
static void cut_short(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)b; /* the last string (the unix service's path) loses its NUL */
	m->pack_len = w->pack_len - 1;
}
static void vector_into_the_array(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m; /* process 1's environment made of process 0's own fields */
	procs_of(b)[1].environment = (char **)&w->procs[0].argv;
}
static void vector_out_of_place(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m; /* one slot further on than where the last vector ended */
	procs_of(b)[1].environment = w->procs[1].environment + 1;
}
static void vector_misaligned(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m;
	procs_of(b)[1].environment = (char **)((char *)w->procs[1].environment + 1);
}
static void string_in_the_vectors(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)b;
	m->tenant = (char *)w->procs[0].argv;
}
static void no_argv(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)w, (void)m; /* the vectors after it are then out of place: also refused */
	procs_of(b)[1].argv = NULL;
}
static void empty_argv(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m;
	size_t off = (size_t)((char *)w->procs[0].argv - w->pack);
	*(char **)(b + off) = NULL; /* argv of process 0: [NULL, "--fg", NULL] */
}
static void name_with_a_slash(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m;
	b[w->procs[0].name - w->pack] = '/';
}
static void bad_enum(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)w, (void)m;
	procs_of(b)[0].restart = (enum restart_policy)7;
}
static void too_many_processes(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)b;
	m->nprocs = w->pack_len / sizeof(struct process_decl) + 1;
}
static void array_elsewhere(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)b;
	m->procs = (struct process_decl *)(w->pack + 8);
}

static struct service_decl *services_of(const struct group_decl *w, char *block)
{
	return (struct service_decl *)(block + ((char *)w->services - w->pack));
}
static void services_elsewhere(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)b; /* the array one service further on */
	m->services = w->services + 1;
}
static void services_into_the_processes(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)b;
	m->services = (struct service_decl *)w->procs;
}
static void too_many_services(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)b;
	m->nservices = w->pack_len / sizeof(struct service_decl) + 1;
}
static void services_dropped(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)w, (void)b; /* their vectors are then where nothing is expected */
	m->nservices = 0;
	m->services = NULL;
}
static void service_name_outside(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m;
	services_of(w, b)[1].name = w->pack + w->pack_len;
}
static void service_name_with_a_slash(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m;
	b[w->services[0].name - w->pack] = '/';
}
static void context_out_of_place(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m;
	services_of(w, b)[0].context = w->services[0].context + 1;
}
static void context_with_a_newline(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m; /* "weight=10" becomes "weight=1\n" */
	b[w->services[0].context[1] - w->pack + 8] = '\n';
}
static void service_without_process(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m;
	services_of(w, b)[0].process = NULL;
}
static void service_of_no_process(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m; /* "app" made "pp" */
	services_of(w, b)[0].process = w->services[0].process + 1;
}
static void service_of_a_oneshot(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)w, (void)m; /* app, which offers http */
	procs_of(b)[1].type = TYPE_ONESHOT;
	procs_of(b)[1].ready = READY_NONE;
}
static void service_without_file(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m;
	services_of(w, b)[1].file = NULL;
}
static void service_bad_proto(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m;
	services_of(w, b)[0].proto = (enum service_proto)4;
}
static void service_bad_port(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m;
	services_of(w, b)[0].port = 65536;
}
static void service_bad_line(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m;
	services_of(w, b)[0].line = -1;
}
static void service_bad_host(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m; /* "10.0.0.5" becomes "10.0.0.x" */
	b[w->services[0].host - w->pack + 7] = 'x';
}
static void unix_service_with_a_port(const struct group_decl *w, struct group_decl *m, char *b)
{
	(void)m;
	services_of(w, b)[1].port = 80;
}

static void a_damaged_block_is_refused(void **state)
{
	struct fixture *f = *state;
	struct config c = { 0 };
	static void (*const damages[])(const struct group_decl *, struct group_decl *, char *) = {
		name_outside,
		cut_short,
		vector_into_the_array,
		vector_out_of_place,
		vector_misaligned,
		string_in_the_vectors,
		no_argv,
		empty_argv,
		name_with_a_slash,
		bad_enum,
		too_many_processes,
		array_elsewhere,
		services_elsewhere,
		services_into_the_processes,
		too_many_services,
		services_dropped,
		service_name_outside,
		service_name_with_a_slash,
		context_out_of_place,
		context_with_a_newline,
		service_without_process,
		service_of_no_process,
		service_of_a_oneshot,
		service_without_file,
		service_bad_proto,
		service_bad_port,
		service_bad_line,
		service_bad_host,
		unix_service_with_a_port,
	};

	assert_int_equal(config_load_dir(f->dir, &c, f->err, sizeof(f->err)), 0);
	const struct group_decl *web = group(&c, "web");
	assert_int_equal(relocate_damaged(web, nothing), 0); /* the base case is fine */
	for (size_t i = 0; i < sizeof(damages) / sizeof(damages[0]); i++)
		if (relocate_damaged(web, damages[i]) != -1)
			fail_msg("damage %zu was accepted", i);
	config_free(&c);
}

/* Supplementary groups live in the block too, after the vectors; a block
 * whose group ids are out of place or too many is refused. Needs root:
 * another user cannot declare credentials. */
static void group_ids_are_packed_and_moved(void **state)
{
	struct fixture *f = *state;
	struct config c = { 0 };

	if (geteuid() != 0)
		skip();
	put_file(f, "30-c.conf",
		 "group creds {\n"
		 "  user = nobody\n"
		 "  process a { command = a  supplementary-groups = { daemon, 4 } }\n"
		 "  process b { command = b  user = root }\n"
		 "  process c { command = c  supplementary-groups = { 27, 100, 50 } }\n"
		 "}\n");
	assert_int_equal(config_load_dir(f->dir, &c, f->err, sizeof(f->err)), 0);
	const struct group_decl *g = group(&c, "creds");
	assert_all_inside(g);
	assert_int_equal(g->procs[0].ngroups, 2);
	assert_int_equal(g->procs[0].groups[1], 4);
	assert_int_equal(g->procs[1].ngroups, 0); /* root is in no group of /etc/group */
	assert_null(g->procs[1].groups);
	assert_int_equal(g->procs[2].ngroups, 3);
	assert_int_equal(g->procs[2].groups[2], 50);

	struct group_decl moved = *g;
	char *block = copy_block(g);
	assert_int_equal(group_decl_relocate(&moved, block), 0);
	assert_all_inside(&moved);
	assert_true(group_decl_equal(&moved, g));
	group_decl_free(&moved);

	/* The second process's ids where the first one's are, and too many. */
	moved = *g;
	block = copy_block(g);
	((struct process_decl *)block)[2].groups = g->procs[0].groups;
	assert_int_equal(group_decl_relocate(&moved, block), -1);
	free(block);
	moved = *g;
	block = copy_block(g);
	((struct process_decl *)block)[2].ngroups = 1000;
	assert_int_equal(group_decl_relocate(&moved, block), -1);
	free(block);
	config_free(&c);
}

/* The wire itself, with the sender's blocks still alive: what arrives must
 * be at other addresses, moved, and say the same. */
static void an_answer_arrives_moved_and_says_the_same(void **state)
{
	struct fixture *f = *state;
	struct config sent = { 0 }, got = { 0 };
	const char *why = "unset";
	int fds[2];

	assert_int_equal(config_load_dir(f->dir, &sent, f->err, sizeof(f->err)), 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(config_send(fds[1], 0, "", &sent), 0);
	close(fds[1]);
	assert_int_equal(config_receive(fds[0], 1000, &got, f->err, sizeof(f->err), &why), 0);
	close(fds[0]);
	assert_null(why);
	assert_int_equal(got.ngroups, sent.ngroups);
	for (size_t i = 0; i < sent.ngroups; i++) {
		assert_ptr_not_equal(got.groups[i].pack, sent.groups[i].pack);
		assert_true(group_decl_equal(&got.groups[i], &sent.groups[i]));
		assert_all_inside(&got.groups[i]);
	}
	assert_string_equal(got.system.hostname, "box-1");
	assert_int_equal(got.system.services_max, 100);
	assert_string_equal(got.system.watchdog_device, "/dev/watchdog0");
	assert_int_equal(got.system.watchdog_timeout_s, 12);
	assert_int_equal(got.system.watchdog_shutdown_timeout_s,
			 DEFAULT_WATCHDOG_SHUTDOWN_TIMEOUT_S);
	config_free(&sent);
	config_free(&got);
}

/* Everything config_send writes for f's conf.d, in memory. */
static size_t sent_bytes(struct fixture *f, char *buf, size_t cap)
{
	struct config c = { 0 };
	int fds[2];
	ssize_t n;

	assert_int_equal(config_load_dir(f->dir, &c, f->err, sizeof(f->err)), 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(config_send(fds[1], 0, "", &c), 0);
	close(fds[1]);
	n = read(fds[0], buf, cap);
	close(fds[0]);
	config_free(&c);
	assert_true(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

static int receive_bytes(const char *buf, size_t len, struct config *out, const char **why)
{
	char err[256];
	int fds[2], rc;

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], buf, len), (ssize_t)len);
	close(fds[1]);
	rc = config_receive(fds[0], 1000, out, err, sizeof(err), why);
	close(fds[0]);
	return rc;
}

static void a_cut_or_garbled_answer_is_refused(void **state)
{
	struct fixture *f = *state;
	static char buf[16384];
	struct config c = { 0 };
	const char *why;
	size_t len = sent_bytes(f, buf, sizeof(buf));

	/* whole: fine (and what the two cases below start from) */
	assert_int_equal(receive_bytes(buf, len, &c, &why), 0);
	config_free(&c);
	/* cut anywhere: refused, nothing kept */
	for (size_t cut = 0; cut < len; cut += 37) {
		assert_int_equal(receive_bytes(buf, cut, &c, &why), CONFIG_UNREADABLE);
		assert_string_equal(why, "the reader stopped before it finished");
		assert_null(c.groups);
	}
	/* not our magic */
	buf[0] ^= 0xff;
	assert_int_equal(receive_bytes(buf, len, &c, &why), CONFIG_UNREADABLE);
	assert_string_equal(why, "a malformed answer");
	assert_null(c.groups);
}

static void the_child_reads_what_tend_would(void **state)
{
	struct fixture *f = *state;
	struct config here = { 0 }, there = { 0 };

	assert_int_equal(config_load_dir(f->dir, &here, f->err, sizeof(f->err)), 0);
	f->err[0] = 'x';
	assert_int_equal(config_load_dir_isolated(f->dir, &there, f->err, sizeof(f->err)), 0);
	assert_int_equal(there.ngroups, here.ngroups);
	for (size_t i = 0; i < here.ngroups; i++) {
		assert_true(group_decl_equal(&here.groups[i], &there.groups[i]));
		assert_string_equal(here.groups[i].file, there.groups[i].file);
		assert_int_equal(here.groups[i].line, there.groups[i].line);
		assert_all_inside(&there.groups[i]);
		/* tend's own copy, not the child's addresses */
		assert_ptr_not_equal(there.groups[i].pack, here.groups[i].pack);
	}
	assert_string_equal(there.system.hostname, "box-1");
	assert_int_equal(there.system.services_max, 100);
	assert_string_equal(there.system.watchdog_device, "/dev/watchdog0");
	assert_int_equal(there.system.watchdog_timeout_s, 12);
	assert_string_equal(there.system.file, here.system.file);
	assert_int_equal(there.system.line, here.system.line);
	config_free(&here);
	config_free(&there);
}

static void the_child_reports_errors_as_tend_would(void **state)
{
	struct fixture *f = *state;
	struct config c = { 0 };
	char here[ERR_SIZE], small[40], small_here[40];

	put_file(f, "30-bad.conf", "group g {\n  process p { }\n  colour = blue\n}\n");
	assert_int_equal(config_load_dir(f->dir, &c, here, sizeof(here)), -1);
	assert_int_equal(config_load_dir_isolated(f->dir, &c, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, here);
	assert_non_null(strstr(f->err, "30-bad.conf:"));
	assert_null(c.groups); /* untouched */
	/* a short buffer gets what it would get in place (cut, ending in a newline) */
	assert_int_equal(config_load_dir(f->dir, &c, small_here, sizeof(small_here)), -1);
	assert_int_equal(config_load_dir_isolated(f->dir, &c, small, sizeof(small)), -1);
	assert_string_equal(small, small_here);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(config_load_dir_isolated(f->dir, &c, NULL, 0), -1);
}

static void an_empty_conf_d_is_no_groups(void **state)
{
	struct config c = { 0 };
	char dir[] = "/tmp/tend-test-pack-empty-XXXXXX", err[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(config_load_dir_isolated(dir, &c, err, sizeof(err)), 0);
	assert_int_equal(c.ngroups, 0);
	assert_null(c.system.hostname);
	config_free(&c);
	rmdir(dir);
}

/* A reader that takes longer than its deadline (here 1 ms for 2000 files,
 * which take thousands of system calls) is ended: tend gets an error it
 * can report, and goes on. */
static void a_slow_reader_is_ended(void **state)
{
	struct fixture *f = *state;
	struct config c = { 0 };
	char name[32];

	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "50-%04d.conf", i);
		put_file(f, name, "process p { command = /bin/true }\n");
	}
	assert_int_equal(config_load_dir_within(f->dir, 1, &c, f->err, sizeof(f->err)),
			 CONFIG_UNREADABLE);
	assert_null(c.groups);
	assert_non_null(strstr(f->err, "reading the declarations failed: it took too long "
				       "(limit 1 ms); the reader was killed by signal 9"));
	assert_int_equal(strncmp(f->err, f->dir, strlen(f->dir)), 0);
}

/* The read a loop waits for: the answer taken as it comes, then the reader
 * reaped; the same declarations as the blocking read. The reader sends no
 * SIGCHLD and a reaper's waitpid(-1) does not take it. */
static void a_read_waited_for_from_a_loop_says_the_same(void **state)
{
	struct fixture *f = *state;
	struct config here = { 0 }, there = { 0 };
	struct config_read rd;
	int status;

	assert_int_equal(config_load_dir(f->dir, &here, f->err, sizeof(f->err)), 0);
	assert_int_equal(config_read_start(&rd, f->dir), 0);
	assert_true(rd.fd >= 0);
	while (!config_read_input(&rd)) {
		struct pollfd pfd = { .fd = rd.fd, .events = POLLIN };
		assert_true(poll(&pfd, 1, 10000) > 0);
	}
	while (!config_read_reap(&rd)) {
		assert_int_equal(waitpid(-1, &status, WNOHANG), -1);
		assert_int_equal(errno, ECHILD);
		usleep(1000);
	}
	assert_true(WIFEXITED(rd.status) && WEXITSTATUS(rd.status) == 0);
	assert_int_equal(config_read_result(&rd, f->dir, &there, f->err, sizeof(f->err)), 0);
	config_read_close(&rd);
	assert_int_equal(there.ngroups, here.ngroups);
	for (size_t i = 0; i < here.ngroups; i++)
		assert_true(group_decl_equal(&here.groups[i], &there.groups[i]));
	config_free(&here);
	config_free(&there);
}

/* Killed before its answer is whole: unusable, and said why. */
static void a_read_given_up_on_says_why(void **state)
{
	struct fixture *f = *state;
	struct config c = { 0 };
	struct config_read rd;

	assert_int_equal(config_read_start(&rd, f->dir), 0);
	config_read_kill(&rd, "it took too long");
	while (!config_read_reap(&rd))
		usleep(1000);
	assert_int_equal(config_read_result(&rd, f->dir, &c, f->err, sizeof(f->err)),
			 CONFIG_UNREADABLE);
	config_read_close(&rd);
	assert_null(c.groups);
	assert_non_null(strstr(f->err, "reading the declarations failed: it took too long"));
}

/* What tend would refuse as malformed is refused by the reader, which
 * names the limit. (Not a real file: libconfuse grows a string 32 bytes at
 * a time, and under ASan every realloc copies.) */
static void a_group_too_large_names_the_limit(void **state)
{
	struct config c = { 0 }, big = { 0 };
	char block[64] = "";
	struct group_decl g = { .name = "huge",
				.file = "/etc/tend/30-huge.conf",
				.line = 3,
				.pack = block,
				.pack_len = (size_t)17 << 20 };
	char err[256];
	const char *why;
	int fds[2];

	(void)state;
	big.groups = &g;
	big.ngroups = 1;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(config_send(fds[1], 0, "", &big), 0);
	close(fds[1]);
	assert_int_equal(config_receive(fds[0], 1000, &c, err, sizeof(err), &why), -1);
	close(fds[0]);
	assert_null(why);
	assert_string_equal(err, "/etc/tend/30-huge.conf:3: group \"huge\" takes 17 MiB once "
				 "read; a group may take at most 16 MiB\n");
	assert_null(c.groups);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(every_parsed_group_is_packed),
		T(packing_again_changes_nothing),
		T(a_moved_block_says_the_same),
		T(a_damaged_block_is_refused),
		T(group_ids_are_packed_and_moved),
		T(an_answer_arrives_moved_and_says_the_same),
		T(a_cut_or_garbled_answer_is_refused),
		T(the_child_reads_what_tend_would),
		T(the_child_reports_errors_as_tend_would),
		T(a_slow_reader_is_ended),
		T(a_read_waited_for_from_a_loop_says_the_same),
		T(a_read_given_up_on_says_why),
		T(a_group_too_large_names_the_limit),
		cmocka_unit_test(an_empty_conf_d_is_no_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Memory allocation failing at the Nth call, during a reload and during a
 * control request, for every N until one runs through without reaching N.
 * Linked with -Wl,--wrap for malloc, calloc, realloc, strdup, strndup,
 * asprintf and vasprintf (Makefile: UNIT_LDFLAGS_test_alloc_faults): every
 * allocation tend's own code makes goes through the wrappers below. Not
 * reached: allocations inside libconfuse and inside glibc (their calls to
 * malloc are not the linker's to redirect); a test of those would need an
 * interposed malloc, which ASan and valgrind also want to be.
 *
 * What must hold: no crash, no leak (ASan, valgrind), no impossible step
 * (tend_bug); a reload that fails changes nothing; a request that fails gets
 * exactly one status line, ERR, and changes nothing; the next request is
 * served. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/commands.h"
#include "control/server.h"
#include "core/reload_apply.h"
#include "fake_sys.h"
#include "files.h"
#include "libtend/cmdline.h"

/* ---- the allocation fault point ---- */

static long fail_at = -1;    /* calls left before the one that fails; -1: none fails */
static unsigned long failed; /* allocations failed so far */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);

static bool fail_this_one(void)
{
	if (fail_at < 0 || fail_at-- > 0)
		return false;
	failed++;
	errno = ENOMEM;
	return true; /* fail_at is -1 now: only the Nth call fails */
}

void *__wrap_malloc(size_t n)
{
	return fail_this_one() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_this_one() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_this_one() ? NULL : __real_realloc(p, n);
}

char *__wrap_strndup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *d = __wrap_malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

char *__wrap_strdup(const char *s)
{
	return __wrap_strndup(s, SIZE_MAX);
}

int __wrap_vasprintf(char **out, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	*out = n < 0 ? NULL : __wrap_malloc((size_t)n + 1);
	if (*out)
		vsnprintf(*out, (size_t)n + 1, fmt, again);
	va_end(again);
	return *out ? n : -1;
}

int __wrap_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = __wrap_vasprintf(out, fmt, ap);
	va_end(ap);
	return n;
}

static void arm(long n)
{
	failed = 0;
	fail_at = n;
}

static void disarm(void)
{
	fail_at = -1;
}

/* ---- what tend runs, as text to compare ---- */

static const char world[] =
    "group \"g\" {\n"
    "  process \"p\" { command = \"p --flag\"  environment = { \"A=1\" } }\n"
    "  process \"q\" { command = \"q\" }\n"
    "}\n"
    "group \"h\" { autostart = false  process \"r\" { command = \"r\" } }\n"
    "group \"k\" { process \"s\" { command = \"s\" } }\n";

/* Groups, their states and declarations' commands, processes, states, pids. */
static void snapshot(struct tend *t, char *out, size_t len)
{
	size_t at = 0;
	out[0] = '\0';
	for (size_t i = 0; i < t->ngroups && at < len; i++) {
		struct group *g = t->groups[i];
		at += (size_t)snprintf(out + at, len - at, "%s:%d:%d[", g->decl.name, g->state,
				       g->decl.autostart);
		for (size_t j = 0; j < g->nprocs && at < len; j++) {
			struct process *p = &g->procs[j];
			at += (size_t)snprintf(out + at, len - at, "%s=%s:%d:%d ", p->decl->name,
					       p->decl->argv[0], p->state, (int)p->pid);
		}
		if (at < len)
			at += (size_t)snprintf(out + at, len - at, "] ");
	}
}

static struct fixture *running_world(void)
{
	struct fixture *fx = setup_with(world);
	group_step(&fx->t, tend_find_group(&fx->t, "g"), GE_START);
	group_step(&fx->t, tend_find_group(&fx->t, "k"), GE_START);
	fx->f.nlog = 0;
	return fx;
}

/* ---- a reload ---- */

/* g's p runs something else, h is gone, k is unchanged, n is new. */
static const char changed[] =
    "group \"g\" {\n"
    "  process \"p\" { command = \"p2\" }\n"
    "  process \"q\" { command = \"q\" }\n"
    "}\n"
    "group \"k\" { process \"s\" { command = \"s\"  restart-delay = 1s } }\n"
    "group \"n\" { process \"x\" { command = \"x\" } }\n";

static void a_reload_out_of_memory_changes_nothing(void **state)
{
	(void)state;
	char dir[] = "/tmp/tend-alloc-XXXXXX", before[2048], after[2048];
	assert_non_null(mkdtemp(dir));
	write_test_file(dir, "a.conf", changed);
	long n = 0;
	unsigned long refused = 0;
	for (;; n++) {
		struct fixture *fx = running_world();
		snapshot(&fx->t, before, sizeof(before));
		struct config cfg = { 0 };
		struct buf report = { 0 };
		char err[1024] = "";
		arm(n);
		int r = config_load_dir(dir, &cfg, err, sizeof(err));
		if (r >= 0)
			r = reload_apply(&fx->t, &cfg, &report);
		disarm();
		config_free(&cfg);
		buf_free(&report);
		snapshot(&fx->t, after, sizeof(after));
		bool reached = failed > 0;
		if (r < 0) {
			assert_true(reached);
			refused++;
			assert_string_equal(after, before); /* nothing changed */
			assert_int_equal(fx->f.nlog, 0);    /* nothing signalled */
		} else {
			assert_string_not_equal(after, before); /* all of it applied */
			assert_non_null(tend_find_group(&fx->t, "n"));
			assert_null(tend_find_group(&fx->t, "h"));
		}
		reload_finish(&fx->t);
		teardown_fixture(fx);
		if (!reached)
			break;
	}
	assert_true(n > 20);	  /* the allocations of a read and a plan */
	assert_true(refused > 0); /* ... and some made it fail */
	print_message("reload: %ld allocations, each failed once: %lu refused it\n", n, refused);
	remove_test_tree(dir);
}

/* ---- control requests ---- */

struct peer {
	struct control ctl;
	struct client c;
	int pair[2];
};

static void connect_client(struct fixture *fx, struct peer *pe)
{
	*pe = (struct peer){ .ctl = { .t = &fx->t, .w.fd = -1, .spare_fd = -1 } };
	pe->c = (struct client){ .uid = 0, .pid = 4242, .ctl = &pe->ctl };
	assert_int_equal(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pe->pair), 0);
	pe->c.w.fd = pe->pair[0];
	pe->ctl.clients = &pe->c;
}

static void disconnect_client(struct peer *pe)
{
	pe->ctl.clients = NULL;
	close(pe->pair[0]);
	close(pe->pair[1]);
	buf_free(&pe->c.out);
	buf_free(&pe->c.in);
}

/* Sends a request as the server would handle it; the reply's text. */
static char *ask(struct fixture *fx, struct peer *pe, const char *line, long fail)
{
	static char reply[1 << 17];
	const char *why;
	char **argv = cmdline_split(line, &why);
	assert_non_null(argv);
	arm(fail);
	command_dispatch(&fx->t, &pe->c, argv);
	disarm();
	argv_free(argv);
	size_t got = 0;
	for (int round = 0; round < 1000 && (pe->c.out.len || round == 0); round++) {
		client_flush(&pe->c);
		ssize_t n;
		while ((n = read(pe->pair[1], reply + got, sizeof(reply) - 1 - got)) > 0)
			got += (size_t)n;
	}
	reply[got] = '\0';
	return reply;
}

static int status_lines(const char *reply, bool *err)
{
	int n = 0;
	*err = false;
	for (const char *line = reply; *line;) {
		const char *nl = strchr(line, '\n');
		assert_non_null(nl); /* whole lines only */
		if (strncmp(line, "OK", 2) == 0) {
			n++;
		} else if (strncmp(line, "ERR", 3) == 0) {
			n++;
			*err = true;
		} else {
			assert_memory_equal(line, "> ", 2);
		}
		line = nl + 1;
	}
	return n;
}

static const char *const requests[] = {
	"status --json", "status", "status g", "events --json", "stop k", "start h",
	"restart g",	 "ping",   NULL,
};

static void a_request_out_of_memory_is_refused_and_changes_nothing(void **state)
{
	(void)state;
	char before[2048], after[2048];
	for (int i = 0; requests[i]; i++) {
		long n = 0;
		unsigned long refused = 0;
		for (;; n++) {
			struct fixture *fx = running_world();
			struct peer pe;
			connect_client(fx, &pe);
			snapshot(&fx->t, before, sizeof(before));
			const char *reply = ask(fx, &pe, requests[i], n);
			bool reached = failed > 0, err;
			int lines = status_lines(reply, &err);
			/* never dropped as a client that does not read its replies */
			assert_false(pe.c.closing);
			bool deferred = pe.c.wait.active || pe.c.subscribed;
			snapshot(&fx->t, after, sizeof(after));
			if (err) {
				if (!reached)
					fail_msg("%s: %s", requests[i], reply);
				refused++;
				assert_int_equal(lines, 1);
				assert_string_equal(after, before);
			} else if (lines != (deferred ? 0 : 1)) {
				fail_msg("%s, allocation %ld failed: %d status lines in \"%s\"",
					 requests[i], n, lines, reply);
			}
			/* Still served: a plain request afterwards is answered. */
			pe.c.wait.active = false;
			pe.c.subscribed = pe.c.subscribed_json = false;
			assert_int_equal(status_lines(ask(fx, &pe, "ping", -1), &err), 1);
			assert_false(err);
			disconnect_client(&pe);
			teardown_fixture(fx);
			if (!reached)
				break;
		}
		print_message("%s: %ld allocations, each failed once: %lu refused it\n",
			      requests[i], n, refused);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_reload_out_of_memory_changes_nothing),
		cmocka_unit_test(a_request_out_of_memory_is_refused_and_changes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

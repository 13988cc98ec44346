/* Tenant limits (sys/cgroup_limits.c): which limits a tenant configures,
 * the values written, which cannot apply and why, and what is written to
 * a tenant's cgroup at its making, at a reload and when a section goes.
 * The cgroup is a plain directory here whose control files the test made:
 * the writes are what the test reads back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/log.h"
#include "sys/tracker.h"

static const struct tenant_limits acme = { .cpu_weight = 50,
					   .memory_max = 32u << 20,
					   .pids_max = 20,
					   .cpu_quota_us = 50000,
					   .cpu_period_us = 100000,
					   .io_weight = 200 };

static void configured_bits_and_values(void **state)
{
	(void)state;
	char v[48];
	struct tenant_limits none = { 0 }, unlimited = { .memory_max = LIMIT_MAX,
							 .cpu_quota_us = LIMIT_MAX,
							 .cpu_period_us = 100000 };
	assert_int_equal(limits_configured(&none), 0);
	assert_int_equal(limits_configured(&acme),
			 (1u << LIMIT_CPU_WEIGHT) | (1u << LIMIT_CPU_MAX) |
			     (1u << LIMIT_MEMORY_MAX) | (1u << LIMIT_PIDS_MAX) |
			     (1u << LIMIT_IO_WEIGHT));
	limit_value(LIMIT_MEMORY_MAX, &acme, v, sizeof(v));
	assert_string_equal(v, "33554432");
	limit_value(LIMIT_CPU_MAX, &acme, v, sizeof(v));
	assert_string_equal(v, "50000 100000");
	limit_value(LIMIT_CPU_MAX, &unlimited, v, sizeof(v));
	assert_string_equal(v, "max 100000");
	limit_value(LIMIT_MEMORY_MAX, &unlimited, v, sizeof(v));
	assert_string_equal(v, "max");
	assert_string_equal(limit_name(LIMIT_MEMORY_HIGH), "memory-high");
	assert_int_equal(limits_controllers(limits_configured(&acme)),
			 CONTROLLER_CPU | CONTROLLER_MEMORY | CONTROLLER_PIDS | CONTROLLER_IO);
}

static void missing_limits_say_which_and_why(void **state)
{
	(void)state;
	char why[300], line[600];
	unsigned want = limits_configured(&acme);
	/* cpu and io there, memory and pids not */
	unsigned m =
	    limits_missing(want, true, CONTROLLER_CPU | CONTROLLER_IO, "ctx", why, sizeof(why));
	assert_int_equal(m, (1u << LIMIT_MEMORY_MAX) | (1u << LIMIT_PIDS_MAX));
	assert_string_equal(why, "no memory, pids controller: ctx");
	limits_warning("acme", m, why, line, sizeof(line));
	assert_string_equal(line, "tenant acme: cannot apply memory-max, pids-max (no memory, pids "
				  "controller: ctx); its groups run without them");
	assert_int_equal(limits_missing(want, true, CONTROLLERS_ALL, "ctx", why, sizeof(why)), 0);
	assert_string_equal(why, "");
	/* ancestry: nothing applies */
	assert_int_equal(
	    limits_missing(want, false, CONTROLLERS_ALL, "requested", why, sizeof(why)), want);
	assert_string_equal(why, "process trees are tracked by ancestry, not cgroup: requested");
	assert_int_equal(limits_missing(0, false, 0, "requested", why, sizeof(why)), 0);
}

/* A tracker in cgroup mode over a plain directory with TENANT's control
 * files made (empty). */
struct fixture {
	char dir[64];
	struct logger log;
	struct tracker tr;
};

static const char *const files[] = { "cpu.weight",
				     "cpu.max",
				     "memory.max",
				     "memory.high",
				     "pids.max",
				     "io.weight",
				     "cgroup.subtree_control" };

static void make_tenant_dir(struct fixture *f, const char *tenant)
{
	char path[200];
	snprintf(path, sizeof(path), "%s/%s", f->dir, tenant);
	assert_int_equal(mkdir(path, 0755), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", f->dir, tenant, files[i]);
		int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		close(fd);
	}
}

static void read_back(struct fixture *f, const char *file, char *buf, size_t len)
{
	char path[200];
	snprintf(path, sizeof(path), "%s/%s", f->dir, file);
	FILE *fp = fopen(path, "re");
	assert_non_null(fp);
	size_t n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/tend-limits-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->log.verbosity = LOG_ERR; /* the warnings are checked through the state */
	tracker_wire(&f->tr, &f->log, NULL);
	f->tr.mode = TRACK_CGROUP;
	f->tr.root_fd = open(f->dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	f->tr.controllers = CONTROLLER_CPU | CONTROLLER_PIDS;
	snprintf(f->tr.controllers_why, sizeof(f->tr.controllers_why), "test");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[100];
	close(f->tr.root_fd);
	f->tr.root_fd = -1;
	f->tr.mode = TRACK_ANCESTRY; /* tracker_cleanup frees; removes no cgroup */
	tracker_cleanup(&f->tr);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void limits_are_written_at_making_and_rewritten_at_reload(void **state)
{
	struct fixture *f = *state;
	char v[64];
	tracker_tenants_begin(&f->tr);
	assert_int_equal(tracker_tenant_declare(&f->tr, "acme", &acme), 0);
	tracker_tenants_end(&f->tr);
	const struct tenant_cgroup *tc = tracker_tenant(&f->tr, "acme");
	assert_non_null(tc);
	assert_false(tc->live);
	/* memory and io are not there: known before the cgroup exists */
	assert_int_equal(tc->missing, (1u << LIMIT_MEMORY_MAX) | (1u << LIMIT_IO_WEIGHT));
	assert_int_equal(tc->warned, tc->missing);
	make_tenant_dir(f, "acme");
	cgroup_tenant_made(&f->tr, "acme");
	assert_true(tc->live);
	read_back(f, "acme/cpu.weight", v, sizeof(v));
	assert_string_equal(v, "50");
	read_back(f, "acme/cpu.max", v, sizeof(v));
	assert_string_equal(v, "50000 100000");
	read_back(f, "acme/pids.max", v, sizeof(v));
	assert_string_equal(v, "20");
	read_back(f, "acme/memory.max", v, sizeof(v));
	assert_string_equal(v, ""); /* its controller is missing: not written */
	/* the controllers are enabled below the tenant, one by one */
	read_back(f, "acme/cgroup.subtree_control", v, sizeof(v));
	assert_string_equal(v, "+pids"); /* each write replaces the plain file's text */

	/* a reload: pids-max changes, cpu-weight goes (reset to the default) */
	struct tenant_limits next = acme;
	next.pids_max = 30;
	next.cpu_weight = 0;
	tracker_tenants_begin(&f->tr);
	assert_int_equal(tracker_tenant_declare(&f->tr, "acme", &next), 0);
	tracker_tenants_end(&f->tr);
	read_back(f, "acme/pids.max", v, sizeof(v));
	assert_string_equal(v, "30");
	read_back(f, "acme/cpu.weight", v, sizeof(v));
	assert_string_equal(v, "100");

	/* the section goes: its limits are lifted from the live cgroup */
	tracker_tenants_begin(&f->tr);
	tracker_tenants_end(&f->tr);
	read_back(f, "acme/pids.max", v, sizeof(v));
	assert_string_equal(v, "max");
	read_back(f, "acme/cpu.max", v, sizeof(v));
	assert_string_equal(v, "max");
	tc = tracker_tenant(&f->tr, "acme");
	assert_non_null(tc); /* while its cgroup lives */
	cgroup_tenant_gone(&f->tr, "acme");
	assert_null(tracker_tenant(&f->tr, "acme"));
}

static void a_failed_write_is_a_limit_not_applied(void **state)
{
	struct fixture *f = *state;
	char path[200];
	make_tenant_dir(f, "beta");
	snprintf(path, sizeof(path), "%s/beta/pids.max", f->dir);
	assert_int_equal(unlink(path), 0); /* as a kernel without the file */
	struct tenant_limits l = { .pids_max = 5 };
	tracker_tenants_begin(&f->tr);
	assert_int_equal(tracker_tenant_declare(&f->tr, "beta", &l), 0);
	tracker_tenants_end(&f->tr);
	cgroup_tenant_made(&f->tr, "beta");
	const struct tenant_cgroup *tc = tracker_tenant(&f->tr, "beta");
	assert_int_equal(tc->missing, 1u << LIMIT_PIDS_MAX);
	assert_non_null(strstr(tc->why, "writing pids.max: No such file or directory"));
	assert_int_equal(tc->warned, tc->missing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(configured_bits_and_values),
		cmocka_unit_test(missing_limits_say_which_and_why),
		cmocka_unit_test_setup_teardown(
		    limits_are_written_at_making_and_rewritten_at_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(a_failed_write_is_a_limit_not_applied, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

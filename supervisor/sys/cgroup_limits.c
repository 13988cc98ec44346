/* Tenant limits: cpu-weight, cpu-max, memory-max, memory-high, pids-max and
 * io-weight of a tenant section, written to the tenant's cgroup
 * (<tend-PID>/<tenant>) where its controller is enabled. The limits bind the
 * whole subtree, every group of the tenant together. Where a controller is
 * missing (a hybrid host binds memory and pids to v1; tend's cgroup hands
 * none down; trees tracked by ancestry) the limit is not applied: tend says
 * so once per tenant and runs the groups anyway. */
#include "sys/log.h"
#include "sys/tracker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct limit_file {
	const char *option; /* the tenant option */
	const char *file;   /* in the tenant's cgroup */
	const char *reset;  /* the kernel's default, written when the option goes */
	unsigned controller;
} limit_files[LIMIT__COUNT] = {
	[LIMIT_CPU_WEIGHT] = { "cpu-weight", "cpu.weight", "100", CONTROLLER_CPU },
	[LIMIT_CPU_MAX] = { "cpu-max", "cpu.max", "max", CONTROLLER_CPU },
	[LIMIT_MEMORY_MAX] = { "memory-max", "memory.max", "max", CONTROLLER_MEMORY },
	[LIMIT_MEMORY_HIGH] = { "memory-high", "memory.high", "max", CONTROLLER_MEMORY },
	[LIMIT_PIDS_MAX] = { "pids-max", "pids.max", "max", CONTROLLER_PIDS },
	[LIMIT_IO_WEIGHT] = { "io-weight", "io.weight", "default 100", CONTROLLER_IO },
};

static const char *const controller_names[] = { "cpu", "memory", "pids", "io" };

const char *limit_name(enum limit_kind k)
{
	return limit_files[k].option;
}

unsigned limits_configured(const struct tenant_limits *l)
{
	return (l->cpu_weight ? 1u << LIMIT_CPU_WEIGHT : 0) |
	       (l->cpu_period_us ? 1u << LIMIT_CPU_MAX : 0) |
	       (l->memory_max ? 1u << LIMIT_MEMORY_MAX : 0) |
	       (l->memory_high ? 1u << LIMIT_MEMORY_HIGH : 0) |
	       (l->pids_max ? 1u << LIMIT_PIDS_MAX : 0) |
	       (l->io_weight ? 1u << LIMIT_IO_WEIGHT : 0);
}

unsigned limits_controllers(unsigned limits)
{
	unsigned c = 0;
	for (int k = 0; k < LIMIT__COUNT; k++)
		if (limits & (1u << k))
			c |= limit_files[k].controller;
	return c;
}

static void number_or_max(uint64_t v, char *buf, size_t len)
{
	if (v == LIMIT_MAX)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

void limit_value(enum limit_kind k, const struct tenant_limits *l, char *buf, size_t len)
{
	char quota[24];
	switch (k) {
	case LIMIT_CPU_WEIGHT:
		snprintf(buf, len, "%u", l->cpu_weight);
		break;
	case LIMIT_CPU_MAX:
		number_or_max(l->cpu_quota_us, quota, sizeof(quota));
		snprintf(buf, len, "%s %llu", quota, (unsigned long long)l->cpu_period_us);
		break;
	case LIMIT_MEMORY_MAX:
		number_or_max(l->memory_max, buf, len);
		break;
	case LIMIT_MEMORY_HIGH:
		number_or_max(l->memory_high, buf, len);
		break;
	case LIMIT_PIDS_MAX:
		number_or_max(l->pids_max, buf, len);
		break;
	default:
		snprintf(buf, len, "%u", l->io_weight);
		break;
	}
}

static void names_of(unsigned bits, const char *(*name)(unsigned), char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned i = 0; i < 32; i++)
		if (bits & (1u << i))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? ", " : "",
				 name(i));
}

static const char *limit_name_at(unsigned i)
{
	return limit_files[i].option;
}

static const char *controller_name_at(unsigned i)
{
	return controller_names[i];
}

void limits_warning(const char *tenant, unsigned missing, const char *why, char *buf, size_t len)
{
	char names[128];
	names_of(missing, limit_name_at, names, sizeof(names));
	snprintf(buf, len, "tenant %s: cannot apply %s (%s); its groups run without %s", tenant,
		 names, why, missing & (missing - 1) ? "them" : "it");
}

int cgroup_controllers_file(int dirfd, const char *path, unsigned *out)
{
	char text[512], *word, *save;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return -1;
	text[n] = '\0';
	*out = 0;
	for (word = strtok_r(text, " \n", &save); word; word = strtok_r(NULL, " \n", &save))
		for (unsigned i = 0; i < 4; i++)
			if (strcmp(word, controller_names[i]) == 0)
				*out |= 1u << i;
	return 0;
}

static int write_file(int dirfd, const char *path, const char *text)
{
	/* O_TRUNC as a shell's `>` does: cgroup files ignore it */
	int fd = openat(dirfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

unsigned cgroup_enable(int dirfd, const char *dir, unsigned want)
{
	char path[300], word[16];
	unsigned enabled = 0;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	/* One at a time: a write naming several fails whole when one fails. */
	for (unsigned i = 0; i < 4; i++) {
		if (!(want & (1u << i)))
			continue;
		snprintf(word, sizeof(word), "+%s", controller_names[i]);
		if (write_file(dirfd, path, word) == 0)
			enabled |= 1u << i;
	}
	return enabled;
}

static struct tenant_cgroup *find(struct tracker *tr, const char *name)
{
	for (size_t i = 0; i < tr->ntenants; i++)
		if (strcmp(tr->tenants[i].name, name) == 0)
			return &tr->tenants[i];
	return NULL;
}

const struct tenant_cgroup *tracker_tenant(const struct tracker *tr, const char *name)
{
	return find((struct tracker *)tr, name);
}

static struct tenant_cgroup *add(struct tracker *tr, const char *name)
{
	struct tenant_cgroup *v = realloc(tr->tenants, (tr->ntenants + 1) * sizeof(*v));
	char *copy = strdup(name);
	if (!v || !copy) {
		free(copy);
		if (v)
			tr->tenants = v;
		return NULL;
	}
	tr->tenants = v;
	v[tr->ntenants] = (struct tenant_cgroup){ .name = copy };
	return &v[tr->ntenants++];
}

static void drop(struct tracker *tr, struct tenant_cgroup *tc)
{
	free(tc->name);
	*tc = tr->tenants[--tr->ntenants];
}

unsigned limits_missing(unsigned want, bool cgroup, unsigned controllers, const char *context,
			char *why, size_t len)
{
	unsigned missing = 0;
	why[0] = '\0';
	if (!cgroup) {
		if (want)
			snprintf(why, len, "process trees are tracked by ancestry, not cgroup: %s",
				 context);
		return want;
	}
	unsigned lacking = limits_controllers(want) & ~controllers;
	for (int k = 0; k < LIMIT__COUNT; k++)
		if ((want & (1u << k)) && (lacking & limit_files[k].controller))
			missing |= 1u << k;
	if (missing) {
		char names[64];
		names_of(lacking, controller_name_at, names, sizeof(names));
		snprintf(why, len, "no %s controller: %s", names, context);
	}
	return missing;
}

/* Which configured limits cannot apply, and why, before any write. */
static void plan(struct tracker *tr, struct tenant_cgroup *tc)
{
	bool cgroup = tr->mode == TRACK_CGROUP;
	tc->missing =
	    limits_missing(limits_configured(&tc->limits), cgroup, tr->controllers,
			   cgroup ? tr->controllers_why : tr->why, tc->why, sizeof(tc->why));
}

/* Writes the limits to the live cgroup: the configured ones that can
 * apply, and the default back where a limit was written before and is no
 * longer configured. */
static void write_limits(struct tracker *tr, struct tenant_cgroup *tc)
{
	unsigned want = limits_configured(&tc->limits) & ~tc->missing;
	char path[200], value[48];
	for (int k = 0; k < LIMIT__COUNT; k++) {
		unsigned bit = 1u << k;
		if (!(want & bit) && !(tc->written & bit))
			continue;
		if (want & bit)
			limit_value(k, &tc->limits, value, sizeof(value));
		else
			snprintf(value, sizeof(value), "%s", limit_files[k].reset);
		if (k == LIMIT_IO_WEIGHT && (want & bit))
			snprintf(value, sizeof(value), "default %u", tc->limits.io_weight);
		snprintf(path, sizeof(path), "%s/%s", tc->name, limit_files[k].file);
		if (write_file(tr->root_fd, path, value) == 0) {
			tc->written = (tc->written & ~bit) | (want & bit);
			continue;
		}
		tc->written &= ~bit;
		if (!(want & bit))
			continue;
		tc->missing |= bit;
		snprintf(tc->why, sizeof(tc->why), "writing %s: %s", limit_files[k].file,
			 strerror(errno));
	}
}

static void warn_once(struct tracker *tr, struct tenant_cgroup *tc)
{
	char line[600];
	if (!tc->missing || tc->missing == tc->warned)
		return;
	tc->warned = tc->missing;
	limits_warning(tc->name, tc->missing, tc->why, line, sizeof(line));
	tend_log(tr->log, LOG_WARN, "%s", line);
}

void cgroup_tenant_made(struct tracker *tr, const char *tenant)
{
	struct tenant_cgroup *tc = find(tr, tenant);
	if (!tc && !(tc = add(tr, tenant)))
		return;
	tc->live = true;
	tc->written = 0;
	/* Below the tenant: the group cgroups get the controllers' files too
	 * (memory.peak and the like, for whoever accounts groups). */
	cgroup_enable(tr->root_fd, tenant, tr->controllers);
	plan(tr, tc);
	write_limits(tr, tc);
	warn_once(tr, tc);
}

void cgroup_tenant_gone(struct tracker *tr, const char *tenant)
{
	struct tenant_cgroup *tc = find(tr, tenant);
	if (!tc)
		return;
	tc->live = false;
	tc->written = 0;
	if (!tc->declared)
		drop(tr, tc);
}

void tracker_tenants_begin(struct tracker *tr)
{
	for (size_t i = 0; i < tr->ntenants; i++)
		tr->tenants[i].declared = false;
}

int tracker_tenant_declare(struct tracker *tr, const char *name, const struct tenant_limits *l)
{
	struct tenant_cgroup *tc = find(tr, name);
	if (!tc && !(tc = add(tr, name)))
		return -1;
	tc->declared = true;
	tc->limits = *l;
	plan(tr, tc);
	if (tc->live)
		write_limits(tr, tc);
	warn_once(tr, tc);
	if (!tc->missing)
		tc->warned = 0;
	return 0;
}

void tracker_tenants_end(struct tracker *tr)
{
	for (size_t i = tr->ntenants; i-- > 0;) {
		struct tenant_cgroup *tc = &tr->tenants[i];
		if (tc->declared)
			continue;
		/* The section went: its limits are lifted from the live cgroup. */
		tc->limits = (struct tenant_limits){ 0 };
		tc->missing = tc->warned = 0;
		if (tc->live)
			write_limits(tr, tc);
		else
			drop(tr, tc);
	}
}

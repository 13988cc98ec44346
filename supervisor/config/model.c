/* The declarations model: freeing, lookup, comparison and names. Parsing is
 * in parse.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libtend/cmdline.h"
#include "config/config.h"
#include "base/str.h"

void process_decl_free(struct process_decl *p)
{
	free(p->name);
	argv_free(p->argv);
	free(p->directory);
	argv_free(p->environment);
	free(p->file);
	free(p->groups);
	*p = (struct process_decl){ 0 };
}

static void service_decl_free(struct service_decl *s)
{
	free(s->name);
	free(s->process);
	free(s->host);
	free(s->path);
	argv_free(s->context);
	free(s->file);
}

void group_decl_free(struct group_decl *g)
{
	size_t i;

	if (g->pack) {
		free(g->pack);
		*g = (struct group_decl){ 0 };
		return;
	}
	for (i = 0; i < g->nprocs; i++)
		process_decl_free(&g->procs[i]);
	free(g->procs);
	for (i = 0; i < g->nservices; i++)
		service_decl_free(&g->services[i]);
	free(g->services);
	free(g->name);
	free(g->tenant);
	free(g->seccomp);
	argv_free(g->requires);
	argv_free(g->after);
	argv_free(g->prefer);
	free(g->file);
	*g = (struct group_decl){ 0 };
}

void config_free(struct config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->ngroups; i++)
		group_decl_free(&cfg->groups[i]);
	free(cfg->groups);
	free(cfg->system.hostname);
	free(cfg->system.file);
	free(cfg->system.watchdog_device);
	cluster_decl_free(&cfg->cluster);
	for (i = 0; i < cfg->ntenants; i++)
		tenant_decl_free(&cfg->tenants[i]);
	free(cfg->tenants);
	for (i = 0; i < cfg->nprofiles; i++)
		seccomp_decl_free(&cfg->profiles[i]);
	free(cfg->profiles);
	cfg->tenants = NULL;
	cfg->profiles = NULL;
	cfg->ntenants = cfg->nprofiles = 0;
	cfg->groups = NULL;
	cfg->ngroups = 0;
	cfg->system = (struct system_decl){ 0 };
}

const struct group_decl *config_find_group(const struct config *cfg, const char *name)
{
	size_t i;

	if (!cfg || !name)
		return NULL;
	for (i = 0; i < cfg->ngroups; i++)
		if (strcmp(cfg->groups[i].name, name) == 0)
			return &cfg->groups[i];
	return NULL;
}

static bool same_credentials(const struct process_decl *a, const struct process_decl *b)
{
	return a->uid == b->uid && a->gid == b->gid && a->ngroups == b->ngroups &&
	       (a->ngroups <= 0 ||
		memcmp(a->groups, b->groups, (size_t)a->ngroups * sizeof(gid_t)) == 0);
}

/* Everything but file and line: moving a declaration to another file or
 * line must not restart it on reload. */
bool process_decl_equal(const struct process_decl *a, const struct process_decl *b)
{
	return str_equal(a->name, b->name) && argv_equal(a->argv, b->argv) &&
	       str_equal(a->directory, b->directory) &&
	       argv_equal(a->environment, b->environment) && a->type == b->type &&
	       a->restart == b->restart && a->critical == b->critical &&
	       a->dependent == b->dependent && a->restart_limit == b->restart_limit &&
	       a->restart_window_ms == b->restart_window_ms &&
	       a->restart_delay_ms == b->restart_delay_ms &&
	       a->stop_timeout_ms == b->stop_timeout_ms && a->log_size == b->log_size &&
	       a->log_keep == b->log_keep && a->console == b->console && a->ready == b->ready &&
	       a->ready_fd == b->ready_fd && a->ready_timeout_ms == b->ready_timeout_ms &&
	       a->watchdog_ms == b->watchdog_ms && a->kill_mode == b->kill_mode &&
	       a->keep_leftovers == b->keep_leftovers && same_credentials(a, b);
}

/* As process_decl_equal: file and line left out. A NULL context and an
 * empty one both mean none. */
bool service_decl_equal(const struct service_decl *a, const struct service_decl *b)
{
	return str_equal(a->name, b->name) && str_equal(a->process, b->process) &&
	       str_equal(a->host, b->host) && str_equal(a->path, b->path) &&
	       argv_equal(a->context, b->context) && a->port == b->port && a->proto == b->proto;
}

bool group_decl_equal(const struct group_decl *a, const struct group_decl *b)
{
	size_t i;

	if (!str_equal(a->name, b->name) || !str_equal(a->tenant, b->tenant) ||
	    !str_equal(a->seccomp, b->seccomp) || a->autostart != b->autostart ||
	    a->nprocs != b->nprocs || a->negotiable != b->negotiable ||
	    !argv_equal(a->requires, b->requires) || !argv_equal(a->after, b->after) ||
	    !argv_equal(a->prefer, b->prefer))
		return false;
	for (i = 0; i < a->nprocs; i++)
		if (!process_decl_equal(&a->procs[i], &b->procs[i]))
			return false;
	return group_decl_services_equal(a, b);
}

bool group_decl_services_equal(const struct group_decl *a, const struct group_decl *b)
{
	if (a->nservices != b->nservices)
		return false;
	for (size_t i = 0; i < a->nservices; i++)
		if (!service_decl_equal(&a->services[i], &b->services[i]))
			return false;
	return true;
}

/* What a process runs and how it is started, leaving out the settings that
 * only decide what happens after an exit (restart policy and limits,
 * critical, dependent, stop-timeout): those a reload can change in place. */
static bool process_decl_runs_same(const struct process_decl *a, const struct process_decl *b)
{
	return str_equal(a->name, b->name) && argv_equal(a->argv, b->argv) &&
	       str_equal(a->directory, b->directory) &&
	       argv_equal(a->environment, b->environment) && a->type == b->type &&
	       a->console == b->console && a->ready == b->ready && a->ready_fd == b->ready_fd &&
	       a->watchdog_ms == b->watchdog_ms && same_credentials(a, b);
}

/* Services are left out: they say where a process is reached, not how it
 * runs, so a reload that changes only them keeps the processes running. */
bool group_decl_runs_same(const struct group_decl *a, const struct group_decl *b)
{
	if (!str_equal(a->name, b->name) || !str_equal(a->tenant, b->tenant) ||
	    !str_equal(a->seccomp, b->seccomp) || a->nprocs != b->nprocs ||
	    a->negotiable != b->negotiable)
		return false;
	for (size_t i = 0; i < a->nprocs; i++)
		if (!process_decl_runs_same(&a->procs[i], &b->procs[i]))
			return false;
	return true;
}

int size_parse(const char *text, uint64_t *bytes)
{
	uint64_t n = 0;
	const char *p = text;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	unsigned shift = 0;
	if (*p == 'k' || *p == 'K')
		shift = 10;
	else if (*p == 'M')
		shift = 20;
	else if (*p == 'G')
		shift = 30;
	if (p == text || (shift && *++p) || (!shift && *p) || n > (UINT64_MAX >> shift))
		return -1;
	n <<= shift;
	if (n < MIN_LOG_SIZE)
		return -1;
	*bytes = n;
	return 0;
}

static bool name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
		return true;
	return !first && (c == '.' || c == '-');
}

bool valid_hostname(const char *name)
{
	size_t i;

	if (!name || !name[0] || name[0] == '-' || name[0] == '.')
		return false;
	for (i = 0; name[i]; i++)
		if (i >= 64 || !(name_char(name[i], false) && name[i] != '_'))
			return false;
	return true;
}

bool valid_name(const char *name)
{
	size_t i;

	if (!name || !name[0])
		return false;
	for (i = 0; name[i]; i++)
		if (i >= NAME_MAX_LEN || !name_char(name[i], i == 0))
			return false;
	return true;
}

const char *restart_policy_name(enum restart_policy p)
{
	switch (p) {
	case RESTART_ALWAYS:
		return "always";
	case RESTART_ON_FAILURE:
		return "on-failure";
	case RESTART_NEVER:
		return "never";
	}
	return "?";
}

const char *process_type_name(enum process_type t)
{
	switch (t) {
	case TYPE_LONGRUN:
		return "longrun";
	case TYPE_ONESHOT:
		return "oneshot";
	}
	return "?";
}

const char *kill_mode_name(enum kill_mode m)
{
	switch (m) {
	case KILL_TREE:
		return "tree";
	case KILL_MAIN:
		return "main";
	case KILL_MIXED:
		return "mixed";
	}
	return "?";
}

int kill_mode_parse(const char *name, enum kill_mode *m)
{
	static const enum kill_mode all[] = { KILL_TREE, KILL_MAIN, KILL_MIXED };

	for (size_t i = 0; name && i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(name, kill_mode_name(all[i])) == 0) {
			*m = all[i];
			return 0;
		}
	}
	return -1;
}

int restart_policy_parse(const char *name, enum restart_policy *p)
{
	static const enum restart_policy all[] = { RESTART_ALWAYS, RESTART_ON_FAILURE,
						   RESTART_NEVER };
	size_t i;

	for (i = 0; name && i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(name, restart_policy_name(all[i])) == 0) {
			*p = all[i];
			return 0;
		}
	}
	return -1;
}

int process_type_parse(const char *name, enum process_type *t)
{
	static const enum process_type all[] = { TYPE_LONGRUN, TYPE_ONESHOT };
	size_t i;

	for (i = 0; name && i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(name, process_type_name(all[i])) == 0) {
			*t = all[i];
			return 0;
		}
	}
	return -1;
}

size_t env_entry_key_len(const char *entry)
{
	size_t n = 0;

	if (!entry || !(entry[0] == '_' || (entry[0] >= 'A' && entry[0] <= 'Z') ||
			(entry[0] >= 'a' && entry[0] <= 'z')))
		return 0;
	while (entry[n] == '_' || (entry[n] >= 'A' && entry[n] <= 'Z') ||
	       (entry[n] >= 'a' && entry[n] <= 'z') || (entry[n] >= '0' && entry[n] <= '9'))
		n++;
	return entry[n] == '=' ? n : 0;
}

int ready_parse(const char *text, enum ready_kind *kind, int *fd)
{
	char *end;
	long n;

	if (!text)
		return -1;
	if (strcmp(text, "none") == 0 || strcmp(text, "notify") == 0) {
		*kind = strcmp(text, "none") == 0 ? READY_NONE : READY_NOTIFY;
		*fd = -1;
		return 0;
	}
	if (strncmp(text, "fd:", 3) != 0 || text[3] < '0' || text[3] > '9')
		return -1;
	errno = 0;
	n = strtol(text + 3, &end, 10);
	if (errno || *end || n < 3 || n > MAX_READY_FD)
		return -1;
	*kind = READY_FD;
	*fd = (int)n;
	return 0;
}

const char *on_restart_name(enum on_restart r)
{
	return r == ON_RESTART_ADOPT ? "adopt" : "stop";
}

int on_restart_parse(const char *name, enum on_restart *r)
{
	if (name && strcmp(name, "stop") == 0)
		*r = ON_RESTART_STOP;
	else if (name && strcmp(name, "adopt") == 0)
		*r = ON_RESTART_ADOPT;
	else
		return -1;
	return 0;
}

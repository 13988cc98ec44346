/* Reading conf.d with libconfuse into the model of config.h.
 *
 * Two libconfuse 3.3 habits shape this file (a third, its comment handling,
 * is dealt with in text.c):
 * - A section's cfg_t ends up carrying the line of its closing brace. The
 *   opening line is only known while libconfuse creates the section, which is
 *   when it parses the defaults of the section's options: the default-parsing
 *   callback of a hidden option records it then.
 * - Callbacks get a cfg_t but no user pointer. Every section gets a copy of
 *   its option table and the copy keeps `simple_value`, so a hidden option
 *   carries the per-file context to every callback.
 * Hidden option names contain '|', which libconfuse reads as a section path,
 * so no configuration file can set them. */
#include <confuse.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libtend/cmdline.h"
#include "config/config.h"
#include "config/names.h"
#include "config/text.h"
#include "config/titles.h"
#include "config/users.h"
#include "base/duration.h"

#define CTX_OPT "tend|ctx"
#define START_OPT "tend|start"
#define NAME_RULE "[A-Za-z0-9_][A-Za-z0-9_.-]*, at most 64 characters"
#define DURATION_RULE "a whole number and ms, s, m or h, like 100ms"
#define SERVICE_NAME_RULE "[A-Za-z0-9_.-]+, not starting with -, at most 64 characters"
#define SECTION(title, opts)                                                                       \
	{                                                                                          \
		.name = (title), .type = CFGT_SEC, .subopts = (opts),                              \
		.flags = CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES, .validcb = check_section   \
	}

/* One file being read: its messages, and the opening line of each section
 * in the order libconfuse created them (document order). */
struct file_ctx {
	const char *path;
	struct conf_msgs msgs; /* msgs.oom also marks any other shortage */
	int *starts;
	size_t nstarts, startcap;
	/* Its top-level groups and processes, taken from libconfuse
	 * (take_section), each kind in document order, and their titles. */
	cfg_t *root;
	struct taken {
		cfg_value_t **v;
		size_t n, cap;
	} groups, procs;
	struct title_set group_titles, process_titles;
	bool halted; /* a duplicate title: nothing more is read or reported */
};

/* A whole load: the model built so far and the caller's error buffer. */
struct load {
	struct config cfg;
	size_t groups_cap; /* room in cfg.groups */
	struct name_index names;
	struct conf_errbuf eb;
};

__attribute__((format(printf, 3, 4))) static void file_report(struct file_ctx *ctx, int line,
							      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_msgs_vadd(&ctx->msgs, line, fmt, ap);
	va_end(ap);
}

/* ---- libconfuse callbacks ---- */

static cfg_opt_t *hidden_opt(cfg_t *cfg, const char *name)
{
	cfg_opt_t *opt;

	for (opt = cfg ? cfg->opts : NULL; opt && opt->name; opt++)
		if (strcmp(opt->name, name) == 0)
			return opt;
	return NULL;
}

static struct file_ctx *ctx_of(cfg_t *cfg)
{
	cfg_opt_t *opt = hidden_opt(cfg, CTX_OPT);

	return opt ? (struct file_ctx *)opt->simple_value.ptr : NULL;
}

static void add_msg(struct file_ctx *ctx, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_msgs_vadd(&ctx->msgs, line, fmt, ap);
	va_end(ap);
}

/* Options written where they do not belong, with what to write instead. */
static const char *misplaced_hint(const char *name)
{
	if (strcmp(name, "service") == 0)
		return "service: a service block belongs inside a group";
	if (strcmp(name, "seccomp") == 0)
		return "seccomp: a profile applies through a tenant: tenant \"T\" { seccomp = "
		       "\"PROFILE\" } and the group's tenant = \"T\"";
	return NULL;
}

/* libconfuse's own messages (syntax, unknown options, duplicate titles). */
static void on_confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct file_ctx *ctx = ctx_of(cfg);
	char msg[512], name[128];
	bool unknown;

	if (!ctx || ctx->halted)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	unknown = sscanf(msg, "no such option '%127[^']'", name) == 1;
	if (unknown && misplaced_hint(name))
		add_msg(ctx, cfg->line, "%s", misplaced_hint(name));
	else
		add_msg(ctx, cfg->line, "%s", msg);
}

/* The default-parsing callback of the hidden START_OPT: records the line of
 * the section's opening brace and stores its index as the option's value.
 * It must not fail: libconfuse aborts on a bad default. */
static int note_start(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	struct file_ctx *ctx = ctx_of(cfg);
	int *starts;

	(void)opt;
	(void)value;
	*(long *)result = -1;
	if (!ctx)
		return 0;
	if (ctx->nstarts == ctx->startcap) {
		starts = realloc(ctx->starts, (ctx->startcap * 2 + 16) * sizeof(*starts));
		if (!starts) {
			ctx->msgs.oom = true;
			return 0;
		}
		ctx->starts = starts;
		ctx->startcap = ctx->startcap * 2 + 16;
	}
	ctx->starts[ctx->nstarts] = cfg->line;
	*(long *)result = (long)ctx->nstarts++;
	return 0;
}

/* note_start for a top-level group or process, which also checks its title
 * (titles.h): libconfuse no longer sees the earlier ones. A duplicate gets
 * libconfuse's own message at the same line, and as there, the rest of the
 * file is not read: check_section ends the parse at the next section end. */
static int note_top_start(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	struct file_ctx *ctx = ctx_of(cfg);
	struct title_set *titles;
	int added;

	note_start(cfg, opt, value, result);
	if (!ctx || ctx->halted || !cfg->title)
		return 0;
	titles = strcmp(cfg->name, "group") == 0 ? &ctx->group_titles : &ctx->process_titles;
	added = title_set_add(titles, cfg->title);
	if (added < 0)
		ctx->msgs.oom = true;
	if (added == 0) {
		cfg_error(cfg, "found duplicate title '%s'", cfg->title);
		ctx->halted = true;
	}
	return 0;
}

/* Takes the first of opt's sections away from libconfuse, which would
 * otherwise compare every later title with it (see titles.h). */
static int take_first(struct file_ctx *ctx, cfg_opt_t *opt)
{
	struct taken *tk = strcmp(opt->name, "group") == 0 ? &ctx->groups : &ctx->procs;
	cfg_value_t **v;

	if (tk->n == tk->cap) {
		v = realloc(tk->v, (tk->cap * 2 + 64) * sizeof(*v));
		if (!v) {
			ctx->msgs.oom = true;
			return -1;
		}
		tk->v = v;
		tk->cap = tk->cap * 2 + 64;
	}
	tk->v[tk->n++] = opt->values[0];
	memmove(opt->values, opt->values + 1, --opt->nvalues * sizeof(*opt->values));
	return 0;
}

/* A top-level group or process is complete: the one before it is taken.
 * The latest stays, as libconfuse resolves 'group|option' to a section it
 * holds and misplaced() must see that to say why it is refused. */
static int take_section(struct file_ctx *ctx, cfg_opt_t *opt)
{
	return opt->nvalues > 1 ? take_first(ctx, opt) : 0;
}

/* Once the file is read: what libconfuse still holds. */
static void take_rest(struct file_ctx *ctx, cfg_t *root)
{
	static const char *const kinds[] = { "group", "process" };

	for (size_t k = 0; k < 2; k++) {
		cfg_opt_t *opt = cfg_getopt(root, kinds[k]);
		while (opt && opt->nvalues && take_first(ctx, opt) == 0)
			;
	}
}

static void free_taken(struct taken *tk)
{
	for (size_t i = 0; i < tk->n; i++) {
		tk->v[i]->section->path = NULL; /* libconfuse's, shared */
		cfg_free(tk->v[i]->section);
		free(tk->v[i]);
	}
	free(tk->v);
}

static void free_taken_sections(struct file_ctx *ctx)
{
	free_taken(&ctx->groups);
	free_taken(&ctx->procs);
	title_set_free(&ctx->group_titles);
	title_set_free(&ctx->process_titles);
}

/* libconfuse reads "group|tenant" as the tenant of the first group, even
 * when written elsewhere. Options belong in their own section only. */
static bool misplaced(cfg_t *cfg, cfg_opt_t *opt)
{
	size_t i;

	for (i = 0; cfg->opts[i].name; i++)
		if (&cfg->opts[i] == opt)
			return false;
	cfg_error(cfg, "%s: option paths like 'section|option' are not supported", opt->name);
	return true;
}

/* The validation callback of sections, run when one is complete. */
static int check_section(cfg_t *cfg, cfg_opt_t *opt)
{
	struct file_ctx *ctx = ctx_of(cfg);

	if (misplaced(cfg, opt) || (ctx && ctx->halted))
		return -1;
	if (ctx && cfg == ctx->root &&
	    (strcmp(opt->name, "group") == 0 || strcmp(opt->name, "process") == 0))
		return take_section(ctx, opt);
	return 0;
}

static bool duration_ok(const char *s)
{
	uint64_t ms;

	return duration_parse(s, &ms) == 0;
}

/* A hardware watchdog's timeout: whole seconds, as its driver counts. */
#define WATCHDOG_SECONDS_RULE "whole seconds from 2s to 1h, as 30s or 2m"
static bool watchdog_seconds_ok(const char *s)
{
	uint64_t ms;

	return duration_parse(s, &ms) == 0 && ms % 1000 == 0 &&
	       ms >= MIN_WATCHDOG_TIMEOUT_S * 1000 && ms <= MAX_WATCHDOG_TIMEOUT_S * 1000;
}

static bool type_ok(const char *s)
{
	enum process_type t;

	return process_type_parse(s, &t) == 0;
}

static bool restart_ok(const char *s)
{
	enum restart_policy p;

	return restart_policy_parse(s, &p) == 0;
}

static bool kill_mode_ok(const char *s)
{
	enum kill_mode m;

	return kill_mode_parse(s, &m) == 0;
}

static bool on_restart_ok(const char *s)
{
	enum on_restart r;

	return on_restart_parse(s, &r) == 0;
}

static bool size_ok(const char *s)
{
	uint64_t bytes;

	return size_parse(s, &bytes) == 0;
}

static bool ready_ok(const char *s)
{
	enum ready_kind kind;
	int fd;

	return ready_parse(s, &kind, &fd) == 0;
}

static bool nonempty(const char *s)
{
	return s[0] != '\0';
}

/* `id` and `address` may name one of tend's environment variables
 * ("$TEND_ID"): as PID 1 those are the kernel command line's k=v words, so
 * one image serves every card of a chassis. */
static const char *env_value(const char *s)
{
	return s[0] == '$' ? getenv(s + 1) : s;
}

static bool id_ok(const char *s)
{
	const char *v = env_value(s);

	return v && valid_ipv4_literal(v);
}

static bool address_ok(const char *s)
{
	const char *v = env_value(s);

	return v && valid_ipv4_prefix(v);
}

static bool absolute_path(const char *s)
{
	return s[0] == '/';
}

static bool action_ok(const char *s)
{
	enum seccomp_action a;

	return seccomp_action_parse(s, &a) == 0;
}

static bool errno_ok(const char *s)
{
	int e;

	return errno_parse(s, &e) == 0;
}

static bool cpu_max_ok(const char *s)
{
	uint64_t quota, period;

	return cpu_max_parse(s, &quota, &period) == 0;
}

static bool limit_size_ok(const char *s)
{
	uint64_t bytes;

	return limit_size_parse(s, &bytes) == 0;
}

static bool pids_max_ok(const char *s)
{
	uint64_t n;

	return pids_max_parse(s, &n) == 0;
}

static bool proto_ok(const char *s)
{
	enum service_proto p;

	return service_proto_parse(s, &p) == 0;
}

/* What each string option accepts, and how the message says it. */
static const struct {
	const char *opt;
	bool (*ok)(const char *value);
	const char *expect;
} str_checks[] = {
	{ "directory", nonempty, "a directory" },
	{ "type", type_ok, "longrun or oneshot" },
	{ "restart", restart_ok, "always, on-failure or never" },
	{ "kill-mode", kill_mode_ok, "tree, main or mixed" },
	{ "on-restart", on_restart_ok, "adopt or stop" },
	{ "restart-window", duration_ok, DURATION_RULE },
	{ "restart-delay", duration_ok, DURATION_RULE },
	{ "stop-timeout", duration_ok, DURATION_RULE },
	{ "ready", ready_ok, "none, notify or fd:N with N from 3 to 1023" },
	{ "ready-timeout", duration_ok, DURATION_RULE },
	{ "watchdog", duration_ok, DURATION_RULE },
	{ "log-size", size_ok, "a number of bytes, or with k, M or G; at least 4k" },
	{ "tenant", valid_name, NAME_RULE },
	{ "hostname", valid_hostname,
	  "a host name: letters, digits, '-' and '.', not first, at most 64 characters" },
	{ "host", valid_host_literal, "an IPv4 or IPv6 address" },
	{ "proto", proto_ok, "tcp, udp or unix" },
	{ "interface", valid_interface_option, "auto or an interface name" },
	{ "heartbeat", duration_ok, DURATION_RULE },
	{ "dead-after", duration_ok, DURATION_RULE },
	{ "key-file", absolute_path, "an absolute path" },
	{ "watchdog-device", absolute_path, "an absolute path, as /dev/watchdog" },
	{ "watchdog-timeout", watchdog_seconds_ok, WATCHDOG_SECONDS_RULE },
	{ "watchdog-shutdown-timeout", watchdog_seconds_ok, WATCHDOG_SECONDS_RULE },
	{ "id", id_ok, "an IPv4 address, or $NAME of a variable set to one" },
	{ "address", address_ok,
	  "an IPv4 address with its prefix length, as 10.0.0.2/24, or $NAME of a variable set to "
	  "one" },
	{ "default", action_ok, "allow, errno, kill or log" },
	{ "errno", errno_ok, "an errno name such as EPERM, or a number from 1 to 4095" },
	{ "seccomp", valid_name, NAME_RULE },
	{ "cpu-max", cpu_max_ok,
	  "max, a percentage of one CPU such as 50%, or \"QUOTA PERIOD\" in microseconds, "
	  "the period from 1000 to 1000000" },
	{ "memory-max", limit_size_ok,
	  "max, or a number of bytes, or with k, M or G; at least 4k" },
	{ "memory-high", limit_size_ok,
	  "max, or a number of bytes, or with k, M or G; at least 4k" },
	{ "pids-max", pids_max_ok, "max, or a whole number from 1 to 4194304" },
};

/* Value checks run as parse callbacks, so cfg->line is the line being read.
 * They report and still return 0: parsing goes on and the user sees every
 * bad value of the file at once. The value is kept as written. */
static int check_str(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	size_t i;

	*(const char **)result = value;
	if (misplaced(cfg, opt))
		return -1;
	for (i = 0; i < sizeof(str_checks) / sizeof(str_checks[0]); i++)
		if (strcmp(opt->name, str_checks[i].opt) == 0 && !str_checks[i].ok(value))
			cfg_error(cfg, "%s: invalid value \"%s\" (%s)", opt->name, value,
				  str_checks[i].expect);
	return 0;
}

/* user, group and supplementary-groups: only a tend running as root may
 * use them, and each name must be in /etc/passwd or /etc/group (a number
 * is taken as it is). */
static int check_identity(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	bool user = strcmp(opt->name, "user") == 0;
	uid_t uid;
	gid_t gid;
	char login[256];

	*(const char **)result = value;
	if (misplaced(cfg, opt))
		return -1;
	if (geteuid() != 0) {
		cfg_error(cfg,
			  "%s: tend runs as uid %d, not as root: it cannot give a process another "
			  "user or group",
			  opt->name, (int)geteuid());
		return 0;
	}
	if (user ? user_lookup(value, &uid, &gid, login, sizeof(login)) < 0
		 : group_lookup(value, &gid) < 0)
		cfg_error(cfg, "%s: no %s \"%s\" in %s (tend reads the file: no NSS, no LDAP)",
			  opt->name, user ? "user" : "group", value,
			  user ? "/etc/passwd" : "/etc/group");
	return 0;
}

/* requires and after name groups: each a valid name, once. Whether the
 * groups exist, and that they make no cycle, is known only once every file
 * is read (check_dependencies). */
static int check_group_name(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	*(const char **)result = value;
	if (misplaced(cfg, opt))
		return -1;
	if (!valid_name(value)) {
		cfg_error(cfg, "%s: invalid group name \"%s\" (" NAME_RULE ")", opt->name, value);
		return 0;
	}
	for (unsigned i = 0; i + 1 < cfg_opt_size(opt); i++)
		if (strcmp(cfg_opt_getnstr(opt, i), value) == 0) {
			cfg_error(cfg, "%s: group \"%s\" is named twice", opt->name, value);
			break;
		}
	return 0;
}

/* The words must split (the reason is cmdline_split's message), and there
 * must be at least one. */
/* prefer names host IDs: each an IPv4 address, once, MAX_PREFER at most. */
static int check_prefer(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	unsigned n = cfg_opt_size(opt);

	*(const char **)result = value;
	if (misplaced(cfg, opt))
		return -1;
	if (!valid_ipv4_literal(value)) {
		cfg_error(cfg, "prefer: invalid host ID \"%s\" (an IPv4 address)", value);
		return 0;
	}
	if (n > MAX_PREFER) {
		cfg_error(cfg, "prefer: more than %d hosts", MAX_PREFER);
		return 0;
	}
	for (unsigned i = 0; i + 1 < n; i++)
		if (strcmp(cfg_opt_getnstr(opt, i), value) == 0) {
			cfg_error(cfg, "prefer: host \"%s\" is named twice", value);
			break;
		}
	return 0;
}

static int check_command(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	const char *why = NULL;
	char **argv;

	*(const char **)result = value;
	if (misplaced(cfg, opt))
		return -1;
	argv = cmdline_split(value, &why);
	if (!argv)
		cfg_error(cfg, "%s: %s", opt->name, why);
	else if (!argv[0])
		cfg_error(cfg, "%s: no program to run", opt->name);
	argv_free(argv);
	return 0;
}

/* Each entry as it is read; earlier entries of the list are already stored
 * (the one being read is the last, still empty, slot). */
static int check_env(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	size_t i, n = env_entry_key_len(value);
	const char *old;

	*(const char **)result = value;
	if (misplaced(cfg, opt))
		return -1;
	if (n == 0) {
		cfg_error(cfg,
			  "%s: invalid entry \"%s\" (KEY=VALUE, KEY of [A-Za-z_][A-Za-z0-9_]*)",
			  opt->name, value);
		return 0;
	}
	for (i = 0; i + 1 < cfg_opt_size(opt); i++) {
		old = cfg_opt_getnstr(opt, i);
		if (old && env_entry_key_len(old) == n && strncmp(old, value, n) == 0) {
			cfg_error(cfg, "%s: %.*s is set twice", opt->name, (int)n, value);
			break;
		}
	}
	return 0;
}

static int check_bool(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	int b = cfg_parse_boolean(value);

	if (misplaced(cfg, opt))
		return -1;
	if (b < 0)
		cfg_error(cfg, "%s: invalid value \"%s\" (true or false)", opt->name, value);
	*(int *)result = b > 0;
	return 0;
}

/* A whole number from min to max; reports and yields 0 otherwise. */
static int check_range(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result,
		       unsigned long min, unsigned long max)
{
	unsigned long n = 0;
	const char *p = value;

	if (misplaced(cfg, opt))
		return -1;
	for (; *p >= '0' && *p <= '9' && n <= max; p++)
		n = n * 10 + (unsigned long)(*p - '0');
	if (p == value || *p != '\0' || n < min || n > max) {
		cfg_error(cfg, "%s: invalid value \"%s\" (a whole number from %lu to %lu)",
			  opt->name, value, min, max);
		n = 0;
	}
	*(long *)result = (long)n;
	return 0;
}

/* An entry of a seccomp list: a system call or an @set, once. */
static int check_syscall(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	const char *why = seccomp_name_check(value);
	unsigned n = cfg_opt_size(opt);

	*(const char **)result = value;
	if (misplaced(cfg, opt))
		return -1;
	if (why) {
		cfg_error(cfg, "%s: \"%s\": %s", opt->name, value, why);
		return 0;
	}
	if (n > MAX_SECCOMP_NAMES) {
		cfg_error(cfg, "%s: more than %d entries", opt->name, MAX_SECCOMP_NAMES);
		return 0;
	}
	return 0;
}

static int check_weight(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	return check_range(cfg, opt, value, result, 1, MAX_WEIGHT);
}

static int check_restart_limit(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	return check_range(cfg, opt, value, result, 0, MAX_RESTART_LIMIT);
}

static int check_log_keep(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	return check_range(cfg, opt, value, result, 0, MAX_LOG_KEEP);
}

static int check_port(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	return check_range(cfg, opt, value, result, 1, 65535);
}

static int check_services_max(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	return check_range(cfg, opt, value, result, 1, MAX_SERVICES_MAX);
}

static bool context_entry_ok(const char *entry, const char **why)
{
	char *one[] = { (char *)entry, NULL };

	return service_context_check(one, why) == 0;
}

/* Each context entry as it is read (earlier ones are stored, as for
 * check_env): a malformed one is reported, and the first good one that makes
 * the good ones before it too many, too long or a key twice. */
static int check_context(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	char *good[SERVICE_CONTEXT_MAX + 2];
	const char *why;
	size_t n = 0;

	*(const char **)result = value;
	if (misplaced(cfg, opt))
		return -1;
	if (!context_entry_ok(value, &why)) {
		cfg_error(cfg, "%s: %s", opt->name, why);
		return 0;
	}
	for (unsigned i = 0; i + 1 < cfg_opt_size(opt) && n <= SERVICE_CONTEXT_MAX; i++) {
		const char *old = cfg_opt_getnstr(opt, i);
		if (old && context_entry_ok(old, &why))
			good[n++] = (char *)old;
	}
	good[n] = NULL;
	if (service_context_check(good, &why) < 0)
		return 0; /* reported at an earlier entry */
	good[n] = (char *)value;
	good[n + 1] = NULL;
	if (service_context_check(good, &why) < 0)
		cfg_error(cfg, "%s: %s", opt->name, why);
	return 0;
}

/* ---- from parsed sections to the model ---- */

/* The line of a section's opening brace (see note_start). */
static int section_line(struct file_ctx *ctx, cfg_t *sec)
{
	long i = cfg_opt_getnint(hidden_opt(sec, START_OPT), 0);

	return i >= 0 && (size_t)i < ctx->nstarts ? ctx->starts[i] : sec->line;
}

/* Document order across option kinds (groups and top-level processes). */
static long section_index(cfg_t *sec)
{
	return cfg_opt_getnint(hidden_opt(sec, START_OPT), 0);
}

/* A string option, or NULL when the file does not set it. */
static const char *opt_str(cfg_t *sec, const char *name)
{
	return cfg_size(sec, name) ? cfg_getstr(sec, name) : NULL;
}

/* Leaves *ms alone when unset or bad (a bad one was reported while parsing). */
static void get_duration(cfg_t *sec, const char *name, uint64_t *ms)
{
	const char *s = opt_str(sec, name);

	if (s)
		duration_parse(s, ms);
}

/* The values of list option name, NULL-terminated (empty when there are
 * none); NULL when out of memory. */
static char **copy_list(cfg_t *sec, const char *name)
{
	unsigned i, n = cfg_size(sec, name);
	char **v = calloc(n + 1, sizeof(*v));

	for (i = 0; v && i < n; i++) {
		v[i] = strdup(cfg_getnstr(sec, name, i));
		if (!v[i]) {
			argv_free(v);
			return NULL;
		}
	}
	return v;
}

/* Fills p's command fields. Returns -1 only when out of memory. */
static int get_command(struct file_ctx *ctx, cfg_t *sec, struct process_decl *p)
{
	const char *cmd = opt_str(sec, "command");
	const char *why;

	if (!cmd) {
		file_report(ctx, p->line, "process \"%s\" has no command", p->name);
		return 0;
	}
	p->argv = cmdline_split(cmd, &why);
	if (!p->argv && errno == EINVAL)
		return 0; /* reported while parsing */
	return p->argv ? 0 : -1;
}

/* An option of the process, else of its group (the group's is the default
 * of its processes); NULL: neither says. */
static cfg_t *declaring(cfg_t *sec, cfg_t *gsec, const char *name)
{
	return cfg_size(sec, name) ? sec : gsec && cfg_size(gsec, name) ? gsec : NULL;
}

/* The credentials it runs with: user (its uid, its primary group and the
 * groups /etc/group lists it in), group (instead of the primary one),
 * supplementary-groups (added). The names were checked while parsing: one
 * that failed is left out here. -1 only when out of memory. */
static int get_credentials(struct file_ctx *ctx, cfg_t *sec, cfg_t *gsec, struct process_decl *p)
{
	cfg_t *u = declaring(sec, gsec, "user"), *g = declaring(sec, gsec, "group");
	cfg_t *extra = declaring(sec, gsec, "supplementary-groups");
	gid_t groups[MAX_SUPPLEMENTARY_GROUPS], gid;
	size_t n = 0;
	char login[256];

	p->uid = p->gid = NO_ID;
	p->ngroups = -1;
	if ((!u && !g && !extra) || geteuid() != 0)
		return 0;
	p->cred_set = (u ? CRED_USER : 0) | (g ? CRED_GROUP : 0) | (extra ? CRED_SUPP : 0);
	if (u && user_lookup(cfg_getstr(u, "user"), &p->uid, &p->gid, login, sizeof(login)) == 0) {
		ssize_t m = user_memberships(login, groups, MAX_SUPPLEMENTARY_GROUPS);
		if (m < 0)
			file_report(
			    ctx, p->line,
			    "process \"%s\": user %s is in more than %d groups in /etc/group",
			    p->name, login, MAX_SUPPLEMENTARY_GROUPS);
		n = m < 0 ? MAX_SUPPLEMENTARY_GROUPS : (size_t)m;
	}
	if (g && group_lookup(cfg_getstr(g, "group"), &gid) == 0)
		p->gid = gid;
	for (unsigned i = 0; extra && i < cfg_size(extra, "supplementary-groups"); i++) {
		if (group_lookup(cfg_getnstr(extra, "supplementary-groups", i), &gid) < 0 ||
		    gid_in(groups, n, gid))
			continue;
		if (n == MAX_SUPPLEMENTARY_GROUPS) {
			file_report(ctx, p->line,
				    "process \"%s\": more than %d supplementary groups", p->name,
				    MAX_SUPPLEMENTARY_GROUPS);
			break;
		}
		groups[n++] = gid;
	}
	p->ngroups = (int)n;
	if (n && !(p->groups = malloc(n * sizeof(gid_t))))
		return -1;
	if (n)
		memcpy(p->groups, groups, n * sizeof(gid_t));
	return 0;
}

/* Returns -1 only when out of memory; other problems are reported. */
static int process_from_section(struct file_ctx *ctx, cfg_t *sec, cfg_t *gsec,
				struct process_decl *p)
{
	const char *dir = opt_str(sec, "directory");

	p->name = strdup(cfg_title(sec));
	p->file = strdup(ctx->path);
	p->line = section_line(ctx, sec);
	if (!p->name || !p->file)
		return -1;
	if (!valid_name(p->name))
		file_report(ctx, p->line, "invalid process name \"%s\" (" NAME_RULE ")", p->name);
	if (get_command(ctx, sec, p) < 0)
		return -1;
	p->directory = dir ? strdup(dir) : NULL;
	p->environment = copy_list(sec, "environment");
	if ((dir && !p->directory) || !p->environment)
		return -1;
	p->type = TYPE_LONGRUN;
	process_type_parse(opt_str(sec, "type"), &p->type);
	p->restart = RESTART_ALWAYS;
	restart_policy_parse(opt_str(sec, "restart"), &p->restart);
	p->kill_mode = KILL_TREE;
	kill_mode_parse(opt_str(sec, "kill-mode"), &p->kill_mode);
	p->critical = cfg_getbool(sec, "critical");
	p->dependent = cfg_getbool(sec, "dependent");
	p->console = cfg_getbool(sec, "console");
	p->ready = READY_NONE;
	p->ready_fd = -1;
	if (opt_str(sec, "ready"))
		ready_parse(opt_str(sec, "ready"), &p->ready, &p->ready_fd);
	p->ready_timeout_ms = DEFAULT_READY_TIMEOUT_MS;
	get_duration(sec, "ready-timeout", &p->ready_timeout_ms);
	get_duration(sec, "watchdog", &p->watchdog_ms);
	if (p->type == TYPE_ONESHOT && p->ready != READY_NONE)
		file_report(ctx, p->line,
			    "process \"%s\": ready applies to longrun processes (a oneshot is "
			    "ready when it has finished)",
			    p->name);
	p->restart_limit = (unsigned)cfg_getint(sec, "restart-limit");
	p->restart_window_ms = DEFAULT_RESTART_WINDOW_MS;
	p->restart_delay_ms = DEFAULT_RESTART_DELAY_MS;
	p->stop_timeout_ms = DEFAULT_STOP_TIMEOUT_MS;
	get_duration(sec, "restart-window", &p->restart_window_ms);
	get_duration(sec, "restart-delay", &p->restart_delay_ms);
	get_duration(sec, "stop-timeout", &p->stop_timeout_ms);
	p->log_size = DEFAULT_LOG_SIZE;
	if (opt_str(sec, "log-size"))
		size_parse(opt_str(sec, "log-size"), &p->log_size);
	p->log_keep = (unsigned)cfg_getint(sec, "log-keep");
	return get_credentials(ctx, sec, gsec, p);
}

/* Appends a zeroed process to g; NULL when out of memory. */
static struct process_decl *add_process_slot(struct group_decl *g)
{
	struct process_decl *procs = realloc(g->procs, (g->nprocs + 1) * sizeof(*procs));

	if (!procs)
		return NULL;
	g->procs = procs;
	procs[g->nprocs] = (struct process_decl){ 0 };
	return &procs[g->nprocs++];
}

/* A list option as a vector of its strings; NULL when it is not given. */
static int get_list(cfg_t *sec, const char *name, char ***out)
{
	*out = cfg_size(sec, name) ? copy_list(sec, name) : NULL;
	return cfg_size(sec, name) && !*out ? -1 : 0;
}

static const struct process_decl *find_process(const struct group_decl *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->nprocs; i++)
		if (strcmp(g->procs[i].name, name) == 0)
			return &g->procs[i];
	return NULL;
}

/* The process that offers s: `process`, or the group's only one. Reports
 * one that is missing or a oneshot (it is never ready while it runs).
 * Returns -1 only when out of memory. */
static int service_process(struct file_ctx *ctx, cfg_t *sec, const struct group_decl *g,
			   struct service_decl *s)
{
	const char *name = opt_str(sec, "process");
	const struct process_decl *p;

	if (!name && g->nprocs != 1) {
		if (g->nprocs) /* none: the group is reported */
			file_report(ctx, s->line,
				    "service \"%s\": process is required in a group of more than "
				    "one process",
				    s->name);
		return 0;
	}
	p = name ? find_process(g, name) : &g->procs[0];
	if (!p)
		file_report(ctx, s->line, "service \"%s\": no process \"%s\" in group \"%s\"",
			    s->name, name, g->name);
	else if (p->type == TYPE_ONESHOT)
		file_report(ctx, s->line,
			    "service \"%s\": process \"%s\" is a oneshot (a oneshot cannot offer "
			    "a service)",
			    s->name, p->name);
	s->process = strdup(name ? name : p->name);
	return s->process ? 0 : -1;
}

/* The port, protocol and path of s, checked together. A bad value of one of
 * them was reported while parsing: it would only add noise here. */
static void service_address(struct file_ctx *ctx, cfg_t *sec, struct service_decl *s)
{
	const char *proto = opt_str(sec, "proto"), *why;

	s->port = cfg_size(sec, "port") ? (unsigned)cfg_getint(sec, "port") : 0;
	s->proto = PROTO_NONE;
	if ((proto && service_proto_parse(proto, &s->proto) < 0) ||
	    (cfg_size(sec, "port") && !s->port))
		return;
	if (service_address_check(s->port, s->proto, s->path, &why) < 0)
		file_report(ctx, s->line, "service \"%s\": %s", s->name, why);
}

/* Returns -1 only when out of memory; other problems are reported. The
 * host and the context were checked while parsing. */
static int service_from_section(struct file_ctx *ctx, cfg_t *sec, const struct group_decl *g,
				struct service_decl *s)
{
	const char *host = opt_str(sec, "host"), *path = opt_str(sec, "path");

	s->name = strdup(cfg_title(sec));
	s->file = strdup(ctx->path);
	s->line = section_line(ctx, sec);
	s->host = host ? strdup(host) : NULL;
	s->path = path ? strdup(path) : NULL;
	if (!s->name || !s->file || (host && !s->host) || (path && !s->path) ||
	    get_list(sec, "context", &s->context) < 0)
		return -1;
	if (!valid_service_name(s->name))
		file_report(ctx, s->line, "invalid service name \"%s\" (" SERVICE_NAME_RULE ")",
			    s->name);
	service_address(ctx, sec, s);
	return service_process(ctx, sec, g, s);
}

/* After the processes, which the services name. */
static int services_from_section(struct file_ctx *ctx, cfg_t *sec, struct group_decl *g)
{
	unsigned n = cfg_size(sec, "service");

	if (n && !(g->services = calloc(n, sizeof(*g->services))))
		return -1;
	for (unsigned i = 0; i < n; i++) {
		/* counted first: group_decl_free frees one made only in part */
		struct service_decl *s = &g->services[g->nservices++];
		if (service_from_section(ctx, cfg_getnsec(sec, "service", i), g, s) < 0)
			return -1;
	}
	return 0;
}

static int group_from_section(struct file_ctx *ctx, cfg_t *sec, struct group_decl *g)
{
	unsigned i, n = cfg_size(sec, "process");
	const char *tenant = opt_str(sec, "tenant");
	struct process_decl *p;

	g->name = strdup(cfg_title(sec));
	g->tenant = strdup(tenant ? tenant : DEFAULT_TENANT);
	g->file = strdup(ctx->path);
	g->line = section_line(ctx, sec);
	g->autostart = cfg_getbool(sec, "autostart");
	g->negotiable = cfg_getbool(sec, "negotiable");
	if (!g->name || !g->tenant || !g->file || get_list(sec, "requires", &g->requires) < 0 ||
	    get_list(sec, "after", &g->after) < 0 || get_list(sec, "prefer", &g->prefer) < 0)
		return -1;
	if (g->prefer && !g->negotiable)
		file_report(ctx, g->line, "group \"%s\": prefer is for negotiable groups only",
			    g->name);
	if (n == 0)
		file_report(ctx, g->line, "group \"%s\" has no processes", g->name);
	for (i = 0; i < n; i++) {
		p = add_process_slot(g);
		if (!p || process_from_section(ctx, cfg_getnsec(sec, "process", i), sec, p) < 0)
			return -1;
	}
	return services_from_section(ctx, sec, g);
}

static const struct group_decl *find_group(const struct load *ld, const char *name)
{
	size_t i = name_index_find(&ld->names, &ld->cfg, name);

	return i == NO_GROUP ? NULL : &ld->cfg.groups[i];
}

/* A group name must be well formed, not the reserved one, and new. */
static bool group_name_ok(struct load *ld, struct file_ctx *ctx, cfg_t *sec)
{
	const char *name = cfg_title(sec);
	int line = section_line(ctx, sec);
	const struct group_decl *old = find_group(ld, name);

	if (!valid_name(name))
		file_report(ctx, line, "invalid group name \"%s\" (" NAME_RULE ")", name);
	else if (strcmp(name, LOCAL_GROUP) == 0)
		file_report(ctx, line, "group name \"%s\" is reserved for processes outside groups",
			    name);
	else if (old)
		file_report(ctx, line, "group \"%s\" is already declared at %s:%d", name, old->file,
			    old->line);
	else
		return true;
	return false;
}

/* Appends g to the model (which takes it over); -1 when out of memory. */
static int append_group(struct load *ld, const struct group_decl *g)
{
	struct config *cfg = &ld->cfg;

	if (cfg->ngroups == ld->groups_cap) {
		size_t cap = ld->groups_cap ? 2 * ld->groups_cap : 16;
		struct group_decl *groups = realloc(cfg->groups, cap * sizeof(*groups));
		if (!groups)
			return -1;
		cfg->groups = groups;
		ld->groups_cap = cap;
	}
	/* ngroups < groups_cap: groups was allocated (the analyzer does not
	 * know that both start at 0). */
	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
	cfg->groups[cfg->ngroups++] = *g;
	if (name_index_add(&ld->names, cfg, cfg->ngroups - 1) < 0) {
		cfg->ngroups--;
		return -1;
	}
	return 0;
}

/* A group that cannot join the model is still converted, so that the errors
 * in its processes are reported too. */
static int add_group(struct load *ld, struct file_ctx *ctx, cfg_t *sec)
{
	struct group_decl g = { 0 };
	bool ok = group_name_ok(ld, ctx, sec);
	int rc = group_from_section(ctx, sec, &g);

	/* packed in load_finish, once its tenant's credentials are known */
	if (rc == 0 && ok) {
		if (append_group(ld, &g) == 0)
			return 0;
		rc = -1;
	}
	group_decl_free(&g);
	return rc;
}

/* The reserved group, created where its first process is declared. */
static struct group_decl *local_group(struct load *ld, struct file_ctx *ctx, int line)
{
	struct group_decl g = { .autostart = true, .line = line };
	const struct group_decl *found = find_group(ld, LOCAL_GROUP);

	if (found)
		return &ld->cfg.groups[found - ld->cfg.groups];
	g.name = strdup(LOCAL_GROUP);
	g.tenant = strdup(DEFAULT_TENANT);
	g.file = strdup(ctx->path);
	if (g.name && g.tenant && g.file && append_group(ld, &g) == 0)
		return &ld->cfg.groups[ld->cfg.ngroups - 1];
	group_decl_free(&g);
	return NULL;
}

/* A process declared outside any group. libconfuse rejects duplicates within
 * a file; across files they are found here. */
static int add_local_process(struct load *ld, struct file_ctx *ctx, cfg_t *sec)
{
	struct group_decl *g = local_group(ld, ctx, section_line(ctx, sec));
	const struct process_decl *old;
	struct process_decl p = { 0 }, *slot;

	if (!g || process_from_section(ctx, sec, NULL, &p) < 0)
		goto fail;
	old = find_process(g, p.name);
	if (old) {
		file_report(ctx, p.line, "process \"%s\" is already declared at %s:%d", p.name,
			    old->file, old->line);
		process_decl_free(&p);
		return 0;
	}
	slot = add_process_slot(g);
	if (!slot)
		goto fail;
	*slot = p;
	return 0;
fail:
	process_decl_free(&p);
	return -1;
}

/* A watchdog timeout in seconds; left alone when unset or bad. Returns
 * false when bad (it was reported while parsing). */
static bool get_watchdog_seconds(cfg_t *sec, const char *name, unsigned *s)
{
	const char *text = opt_str(sec, name);
	uint64_t ms;

	if (!text)
		return true;
	if (!watchdog_seconds_ok(text) || duration_parse(text, &ms) < 0)
		return false;
	*s = (unsigned)(ms / 1000);
	return true;
}

/* The hardware watchdog's options of the system section. Returns -1 only
 * when out of memory. */
static int add_system_watchdog(struct file_ctx *ctx, cfg_t *sec, struct system_decl *s, int line)
{
	const char *device = opt_str(sec, "watchdog-device");

	if (!device) {
		if (opt_str(sec, "watchdog-timeout") || opt_str(sec, "watchdog-shutdown-timeout"))
			file_report(ctx, line,
				    "watchdog-timeout and watchdog-shutdown-timeout need "
				    "watchdog-device");
		return 0;
	}
	s->watchdog_timeout_s = DEFAULT_WATCHDOG_TIMEOUT_S;
	s->watchdog_shutdown_timeout_s = DEFAULT_WATCHDOG_SHUTDOWN_TIMEOUT_S;
	bool valid = get_watchdog_seconds(sec, "watchdog-timeout", &s->watchdog_timeout_s);
	valid &=
	    get_watchdog_seconds(sec, "watchdog-shutdown-timeout", &s->watchdog_shutdown_timeout_s);
	if (valid && s->watchdog_shutdown_timeout_s < s->watchdog_timeout_s)
		file_report(ctx, line,
			    "watchdog-shutdown-timeout (%us) must be at least watchdog-timeout "
			    "(%us): the shutdown is not pinged",
			    s->watchdog_shutdown_timeout_s, s->watchdog_timeout_s);
	s->watchdog_device = strdup(device);
	return s->watchdog_device ? 0 : -1;
}

/* The one system section of all of conf.d. Returns -1 only when out of memory. */
static int add_system(struct load *ld, struct file_ctx *ctx, cfg_t *sec)
{
	struct system_decl *s = &ld->cfg.system;
	const char *hostname = opt_str(sec, "hostname");
	int line = section_line(ctx, sec);

	if (s->file) {
		file_report(ctx, line, "system section is already declared at %s:%d", s->file,
			    s->line);
		return 0;
	}
	s->file = strdup(ctx->path);
	s->line = line;
	s->hostname = hostname ? strdup(hostname) : NULL;
	/* 0 (the default) also when the value was bad: that was reported */
	s->services_max =
	    cfg_size(sec, "services-max") ? (unsigned)cfg_getint(sec, "services-max") : 0;
	/* stop (the default) also when the value was bad: that was reported */
	on_restart_parse(opt_str(sec, "on-restart"), &s->on_restart);
	if (!s->file || (hostname && !s->hostname))
		return -1;
	return add_system_watchdog(ctx, sec, s, line);
}

static int dup_opt(cfg_t *sec, const char *name, char **out)
{
	const char *v = opt_str(sec, name);

	if (v && (strcmp(name, "id") == 0 || strcmp(name, "address") == 0))
		v = env_value(v); /* checked while parsing: set, and valid */

	*out = v ? strdup(v) : NULL;
	return v && !*out ? -1 : 0;
}

/* The one cluster section of all of conf.d. Returns -1 only when out of memory. */
static int add_cluster(struct load *ld, struct file_ctx *ctx, cfg_t *sec)
{
	struct cluster_decl *c = &ld->cfg.cluster;
	const char *interface = opt_str(sec, "interface");
	int line = section_line(ctx, sec);

	if (c->file) {
		file_report(ctx, line, "cluster section is already declared at %s:%d", c->file,
			    c->line);
		return 0;
	}
	c->line = line;
	c->port = cfg_size(sec, "port") ? (unsigned)cfg_getint(sec, "port") : DEFAULT_CLUSTER_PORT;
	c->heartbeat_ms = DEFAULT_HEARTBEAT_MS;
	c->dead_after_ms = DEFAULT_DEAD_AFTER_MS;
	get_duration(sec, "heartbeat", &c->heartbeat_ms);
	get_duration(sec, "dead-after", &c->dead_after_ms);
	if (c->heartbeat_ms < MIN_HEARTBEAT_MS)
		file_report(ctx, line, "heartbeat: at least %dms", MIN_HEARTBEAT_MS);
	else if (c->dead_after_ms < MIN_HEARTBEATS_PER_DEAD * c->heartbeat_ms)
		file_report(ctx, line,
			    "dead-after (%llums) must be at least %d heartbeats (%llums): a "
			    "peer that missed fewer would be declared dead",
			    (unsigned long long)c->dead_after_ms, MIN_HEARTBEATS_PER_DEAD,
			    (unsigned long long)(MIN_HEARTBEATS_PER_DEAD * c->heartbeat_ms));
	if (interface && strcmp(interface, "auto") == 0)
		interface = NULL;
	c->interface = interface ? strdup(interface) : NULL;
	if ((interface && !c->interface) || dup_opt(sec, "key-file", &c->key_file) < 0 ||
	    dup_opt(sec, "id", &c->id) < 0 || dup_opt(sec, "address", &c->address) < 0)
		return -1;
	c->file = strdup(ctx->path);
	return c->file ? 0 : -1;
}

/* A `seccomp "NAME"` section; one of that name in an earlier file is an
 * error. Returns -1 only when out of memory. */
static int add_seccomp(struct load *ld, struct file_ctx *ctx, cfg_t *sec)
{
	const struct seccomp_decl *old = config_find_profile(&ld->cfg, cfg_title(sec));
	struct seccomp_decl *s, *v;
	const char *dflt = opt_str(sec, "default"), *err = opt_str(sec, "errno");
	int line = section_line(ctx, sec);

	if (!valid_name(cfg_title(sec)))
		file_report(ctx, line, "invalid seccomp profile name \"%s\" (" NAME_RULE ")",
			    cfg_title(sec));
	if (old) {
		file_report(ctx, line, "seccomp \"%s\" is already declared at %s:%d", old->name,
			    old->file, old->line);
		return 0;
	}
	if (!dflt)
		file_report(ctx, line,
			    "seccomp \"%s\": default is required (allow, errno, kill or log)",
			    cfg_title(sec));
	v = realloc(ld->cfg.profiles, (ld->cfg.nprofiles + 1) * sizeof(*v));
	if (!v)
		return -1;
	ld->cfg.profiles = v;
	s = &v[ld->cfg.nprofiles++];
	*s = (struct seccomp_decl){ .line = line, .errno_value = DEFAULT_SECCOMP_ERRNO };
	if (dflt)
		seccomp_action_parse(dflt, &s->default_action);
	if (err)
		errno_parse(err, &s->errno_value);
	s->name = strdup(cfg_title(sec));
	s->file = strdup(ctx->path);
	if (!s->name || !s->file)
		return -1;
	for (int i = 0; i < SECCOMP_NLISTS; i++)
		if (get_list(sec, seccomp_list_name((enum seccomp_list)i), &s->lists[i]) < 0)
			return -1;
	return 0;
}

/* The tenant's limits; bad values were reported while parsing. */
static void tenant_limits(cfg_t *sec, struct tenant_limits *l)
{
	const char *v;

	l->cpu_weight = cfg_size(sec, "cpu-weight") ? (unsigned)cfg_getint(sec, "cpu-weight") : 0;
	l->io_weight = cfg_size(sec, "io-weight") ? (unsigned)cfg_getint(sec, "io-weight") : 0;
	if ((v = opt_str(sec, "cpu-max")) && cpu_max_parse(v, &l->cpu_quota_us, &l->cpu_period_us))
		l->cpu_quota_us = l->cpu_period_us = 0;
	if ((v = opt_str(sec, "memory-max")) && limit_size_parse(v, &l->memory_max))
		l->memory_max = 0;
	if ((v = opt_str(sec, "memory-high")) && limit_size_parse(v, &l->memory_high))
		l->memory_high = 0;
	if ((v = opt_str(sec, "pids-max")) && pids_max_parse(v, &l->pids_max))
		l->pids_max = 0;
}

/* A tenant's user, group and supplementary-groups, resolved as a process's
 * are (the names were checked while parsing). -1 only when out of memory. */
static int tenant_identity(struct file_ctx *ctx, cfg_t *sec, struct tenant_decl *t)
{
	gid_t gids[2 * MAX_SUPPLEMENTARY_GROUPS], gid;
	ssize_t m = 0;
	char login[256];
	const char *user = opt_str(sec, "user"), *group = opt_str(sec, "group");
	unsigned nextra = cfg_size(sec, "supplementary-groups");

	t->uid = t->gid = t->user_gid = NO_ID;
	if (geteuid() != 0 || (!user && !group && !nextra))
		return 0;
	t->cred_set = (user ? CRED_USER : 0) | (group ? CRED_GROUP : 0) | (nextra ? CRED_SUPP : 0);
	if (user && user_lookup(user, &t->uid, &t->user_gid, login, sizeof(login)) == 0) {
		m = user_memberships(login, gids, MAX_SUPPLEMENTARY_GROUPS);
		if (m < 0)
			file_report(
			    ctx, t->line,
			    "tenant \"%s\": user %s is in more than %d groups in /etc/group",
			    t->name, login, MAX_SUPPLEMENTARY_GROUPS);
		m = m < 0 ? 0 : m;
	}
	t->gid = t->user_gid;
	if (group && group_lookup(group, &gid) == 0)
		t->gid = gid;
	t->nmember = (int)m;
	for (unsigned i = 0; i < nextra; i++) {
		if (group_lookup(cfg_getnstr(sec, "supplementary-groups", i), &gid) < 0 ||
		    gid_in(gids + m, (size_t)t->nextra, gid))
			continue;
		if (t->nextra == MAX_SUPPLEMENTARY_GROUPS) {
			file_report(ctx, t->line,
				    "tenant \"%s\": more than %d supplementary groups", t->name,
				    MAX_SUPPLEMENTARY_GROUPS);
			break;
		}
		gids[m + t->nextra++] = gid;
	}
	if (t->nmember + t->nextra == 0)
		return 0;
	t->gids = malloc((size_t)(t->nmember + t->nextra) * sizeof(gid_t));
	if (!t->gids)
		return -1;
	memcpy(t->gids, gids, (size_t)(t->nmember + t->nextra) * sizeof(gid_t));
	return 0;
}

/* A `tenant "NAME"` section; one of that name in an earlier file is an
 * error. Returns -1 only when out of memory. */
static int add_tenant(struct load *ld, struct file_ctx *ctx, cfg_t *sec)
{
	const struct tenant_decl *old = config_find_tenant(&ld->cfg, cfg_title(sec));
	struct tenant_decl *t, *v;
	const char *profile = opt_str(sec, "seccomp");
	int line = section_line(ctx, sec);

	if (!valid_name(cfg_title(sec)))
		file_report(ctx, line, "invalid tenant name \"%s\" (" NAME_RULE ")",
			    cfg_title(sec));
	if (old) {
		file_report(ctx, line, "tenant \"%s\" is already declared at %s:%d", old->name,
			    old->file, old->line);
		return 0;
	}
	v = realloc(ld->cfg.tenants, (ld->cfg.ntenants + 1) * sizeof(*v));
	if (!v)
		return -1;
	ld->cfg.tenants = v;
	t = &v[ld->cfg.ntenants++];
	*t = (struct tenant_decl){ .line = line };
	t->name = strdup(cfg_title(sec));
	t->file = strdup(ctx->path);
	t->seccomp = profile ? strdup(profile) : NULL;
	if (!t->name || !t->file || (profile && !t->seccomp))
		return -1;
	tenant_limits(sec, &t->limits);
	return tenant_identity(ctx, sec, t);
}

/* Groups and top-level processes (taken: take_rest), merged back into
 * document order. */
static int convert_file(struct load *ld, struct file_ctx *ctx, cfg_t *root)
{
	size_t gi = 0, pi = 0, ng = ctx->groups.n, np = ctx->procs.n;
	cfg_t *g, *p;
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < cfg_size(root, "system"); i++)
		rc = add_system(ld, ctx, cfg_getnsec(root, "system", i));
	for (unsigned i = 0; rc == 0 && i < cfg_size(root, "cluster"); i++)
		rc = add_cluster(ld, ctx, cfg_getnsec(root, "cluster", i));
	for (unsigned i = 0; rc == 0 && i < cfg_size(root, "seccomp"); i++)
		rc = add_seccomp(ld, ctx, cfg_getnsec(root, "seccomp", i));
	for (unsigned i = 0; rc == 0 && i < cfg_size(root, "tenant"); i++)
		rc = add_tenant(ld, ctx, cfg_getnsec(root, "tenant", i));
	while (rc == 0 && (gi < ng || pi < np)) {
		g = gi < ng ? ctx->groups.v[gi]->section : NULL;
		p = pi < np ? ctx->procs.v[pi]->section : NULL;
		if (g && (!p || section_index(g) < section_index(p))) {
			rc = add_group(ld, ctx, g);
			gi++;
		} else {
			rc = add_local_process(ld, ctx, p);
			pi++;
		}
	}
	return rc;
}

/* ---- reading files ---- */

/* user, group and supplementary-groups: on a process, or on a group as the
 * default of its processes. */
#define CREDENTIAL_OPTS                                                                            \
	CFG_STR_CB("user", NULL, CFGF_NODEFAULT, check_identity),                                  \
	    CFG_STR_CB("group", NULL, CFGF_NODEFAULT, check_identity),                             \
	    CFG_STR_LIST_CB("supplementary-groups", NULL, CFGF_NODEFAULT, check_identity)

/* Parses one file's text (comments already gone) into the model. */
static void parse_clean(struct load *ld, struct file_ctx *ctx, const char *text)
{
	/* Per parse, not static: the hidden option points at this file's ctx. */
	cfg_opt_t ctx_opt = { .name = CTX_OPT,
			      .type = CFGT_FUNC,
			      .simple_value.ptr = (void **)ctx };
	cfg_opt_t start_opt = CFG_INT_LIST_CB(START_OPT, "{0}", CFGF_NONE, note_start);
	/* Top-level groups and processes check their titles (note_top_start). */
	cfg_opt_t top_start_opt = CFG_INT_LIST_CB(START_OPT, "{0}", CFGF_NONE, note_top_start);
	cfg_opt_t process_opts[] = {
		ctx_opt,
		start_opt,
		CFG_STR_CB("command", NULL, CFGF_NODEFAULT, check_command),
		CFG_STR_CB("directory", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_LIST_CB("environment", NULL, CFGF_NODEFAULT, check_env),
		CFG_STR_CB("type", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("restart", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("kill-mode", NULL, CFGF_NODEFAULT, check_str),
		CREDENTIAL_OPTS,
		CFG_BOOL_CB("critical", cfg_false, CFGF_NONE, check_bool),
		CFG_BOOL_CB("dependent", cfg_false, CFGF_NONE, check_bool),
		CFG_BOOL_CB("console", cfg_false, CFGF_NONE, check_bool),
		CFG_STR_CB("ready", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("ready-timeout", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("watchdog", NULL, CFGF_NODEFAULT, check_str),
		CFG_INT_CB("restart-limit", DEFAULT_RESTART_LIMIT, CFGF_NONE, check_restart_limit),
		CFG_STR_CB("restart-window", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("restart-delay", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("stop-timeout", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("log-size", NULL, CFGF_NODEFAULT, check_str),
		CFG_INT_CB("log-keep", DEFAULT_LOG_KEEP, CFGF_NONE, check_log_keep),
		CFG_END(),
	};
	cfg_opt_t service_opts[] = {
		ctx_opt,
		start_opt,
		CFG_STR_CB("process", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("host", NULL, CFGF_NODEFAULT, check_str),
		CFG_INT_CB("port", 0, CFGF_NODEFAULT, check_port),
		CFG_STR_CB("proto", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("path", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_LIST_CB("context", NULL, CFGF_NODEFAULT, check_context),
		CFG_END(),
	};
	cfg_opt_t top_process_opts[sizeof(process_opts) / sizeof(process_opts[0])];
	cfg_opt_t group_opts[] = {
		ctx_opt,
		top_start_opt,
		CFG_STR_CB("tenant", NULL, CFGF_NODEFAULT, check_str),
		CFG_BOOL_CB("autostart", cfg_true, CFGF_NONE, check_bool),
		CFG_STR_LIST_CB("requires", NULL, CFGF_NODEFAULT, check_group_name),
		CFG_STR_LIST_CB("after", NULL, CFGF_NODEFAULT, check_group_name),
		CFG_BOOL_CB("negotiable", cfg_false, CFGF_NONE, check_bool),
		CFG_STR_LIST_CB("prefer", NULL, CFGF_NODEFAULT, check_prefer),
		CREDENTIAL_OPTS,
		SECTION("process", process_opts),
		SECTION("service", service_opts),
		CFG_END(),
	};
	cfg_opt_t system_opts[] = {
		ctx_opt,
		start_opt,
		CFG_STR_CB("hostname", NULL, CFGF_NODEFAULT, check_str),
		CFG_INT_CB("services-max", 0, CFGF_NODEFAULT, check_services_max),
		CFG_STR_CB("on-restart", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("watchdog-device", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("watchdog-timeout", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("watchdog-shutdown-timeout", NULL, CFGF_NODEFAULT, check_str),
		CFG_END(),
	};
	cfg_opt_t cluster_opts[] = {
		ctx_opt,
		start_opt,
		CFG_STR_CB("interface", NULL, CFGF_NODEFAULT, check_str),
		CFG_INT_CB("port", 0, CFGF_NODEFAULT, check_port),
		CFG_STR_CB("heartbeat", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("dead-after", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("key-file", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("id", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("address", NULL, CFGF_NODEFAULT, check_str),
		CFG_END(),
	};
	cfg_opt_t seccomp_opts[] = {
		ctx_opt,
		start_opt,
		CFG_STR_CB("default", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("errno", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_LIST_CB("allow", NULL, CFGF_NODEFAULT, check_syscall),
		CFG_STR_LIST_CB("deny", NULL, CFGF_NODEFAULT, check_syscall),
		CFG_STR_LIST_CB("log", NULL, CFGF_NODEFAULT, check_syscall),
		CFG_STR_LIST_CB("enosys", NULL, CFGF_NODEFAULT, check_syscall),
		CFG_END(),
	};
	cfg_opt_t tenant_opts[] = {
		ctx_opt,
		start_opt,
		CFG_STR_CB("seccomp", NULL, CFGF_NODEFAULT, check_str),
		CREDENTIAL_OPTS,
		CFG_INT_CB("cpu-weight", 0, CFGF_NODEFAULT, check_weight),
		CFG_INT_CB("io-weight", 0, CFGF_NODEFAULT, check_weight),
		CFG_STR_CB("cpu-max", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("memory-max", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("memory-high", NULL, CFGF_NODEFAULT, check_str),
		CFG_STR_CB("pids-max", NULL, CFGF_NODEFAULT, check_str),
		CFG_END(),
	};
	cfg_opt_t top_opts[] = {
		ctx_opt,
		SECTION("group", group_opts),
		SECTION("seccomp", seccomp_opts),
		SECTION("tenant", tenant_opts),
		SECTION("process", top_process_opts),
		{ .name = "system",
		  .type = CFGT_SEC,
		  .subopts = system_opts,
		  .flags = CFGF_MULTI,
		  .validcb = check_section },
		{ .name = "cluster",
		  .type = CFGT_SEC,
		  .subopts = cluster_opts,
		  .flags = CFGF_MULTI,
		  .validcb = check_section },
		CFG_END(),
	};
	cfg_t *cfg;
	size_t before = ctx->msgs.n;
	int rc;

	memcpy(top_process_opts, process_opts, sizeof(process_opts));
	top_process_opts[1] = top_start_opt;
	cfg = cfg_init(top_opts, CFGF_NONE);
	if (!cfg) {
		ctx->msgs.oom = true;
		return;
	}
	ctx->root = cfg;
	cfg_set_error_function(cfg, on_confuse_error);
	rc = cfg_parse_buf(cfg, text);
	take_rest(ctx, cfg);
	/* After a syntax error the tree is partial: checking it would only
	 * add noise like "no command" for a section cut short. */
	if (rc == CFG_SUCCESS && convert_file(ld, ctx, cfg) < 0)
		ctx->msgs.oom = true;
	else if (rc != CFG_SUCCESS && ctx->msgs.n == before)
		ctx->msgs.oom = true; /* libconfuse failed without saying why */
	free_taken_sections(ctx);
	cfg_free(cfg);
}

static void load_text(struct load *ld, const char *path, const char *text)
{
	struct file_ctx ctx = { .path = path };
	const char *why;
	int line;
	char *clean = conf_strip_comments(text, &line, &why);

	if (clean)
		parse_clean(ld, &ctx, clean);
	else if (why)
		file_report(&ctx, line, "%s", why);
	else
		ctx.msgs.oom = true;
	free(clean);
	conf_msgs_flush(&ctx.msgs, path, &ld->eb);
	free(ctx.starts);
}

static void load_file(struct load *ld, const char *path)
{
	size_t len;
	const char *why;
	char *text = conf_read_file(path, &len, &why);

	if (!text)
		conf_errbuf_add(&ld->eb, path, 0, why ? why : strerror(errno));
	else if (strlen(text) != len)
		conf_errbuf_add(&ld->eb, path, 0, "contains a NUL byte; not a text file");
	else
		load_text(ld, path, text);
	free(text);
}

/* Every tenant's profile is declared. */
static void check_tenants(struct load *ld)
{
	for (size_t i = 0; i < ld->cfg.ntenants; i++) {
		const struct tenant_decl *t = &ld->cfg.tenants[i];
		char msg[160];

		/* an invalid name was reported while parsing */
		if (!t->seccomp || !valid_name(t->seccomp) ||
		    config_find_profile(&ld->cfg, t->seccomp))
			continue;
		snprintf(msg, sizeof(msg), "tenant \"%s\": no seccomp profile \"%s\"", t->name,
			 t->seccomp);
		conf_errbuf_add(&ld->eb, t->file, t->line, msg);
	}
}

/* What g's tenant gives it: its processes' default credentials and the
 * text of its profile. -1 only when out of memory. */
static int apply_tenant(struct load *ld, struct group_decl *g)
{
	const struct tenant_decl *t = config_find_tenant(&ld->cfg, g->tenant);
	const struct seccomp_decl *profile = config_group_profile(&ld->cfg, g);
	gid_t gids[MAX_SUPPLEMENTARY_GROUPS];
	char msg[160];

	if (profile && !(g->seccomp = seccomp_decl_text(profile)))
		return -1;
	for (size_t i = 0; t && t->cred_set && i < g->nprocs; i++) {
		struct process_decl *p = &g->procs[i];
		int n;
		if (tenant_credentials(t, p, &p->uid, &p->gid, gids, &n) < 0) {
			snprintf(msg, sizeof(msg),
				 "process \"%s\": more than %d supplementary groups with its "
				 "tenant's",
				 p->name, MAX_SUPPLEMENTARY_GROUPS);
			conf_errbuf_add(&ld->eb, p->file, p->line, msg);
			continue;
		}
		free(p->groups);
		p->groups = NULL;
		p->ngroups = n;
		if (n > 0 && !(p->groups = malloc((size_t)n * sizeof(gid_t))))
			return -1;
		if (n > 0)
			memcpy(p->groups, gids, (size_t)n * sizeof(gid_t));
	}
	return 0;
}

static int load_finish(struct load *ld, struct config *out)
{
	check_tenants(ld);
	for (size_t i = 0; !ld->eb.failed && i < ld->cfg.ngroups; i++)
		if (apply_tenant(ld, &ld->cfg.groups[i]) < 0)
			conf_errbuf_add(&ld->eb, ld->cfg.groups[i].file, 0, strerror(ENOMEM));
	/* Groups are packed once complete: their tenants are known only now,
	 * and every file may add to the one of processes outside groups. */
	for (size_t i = 0; !ld->eb.failed && i < ld->cfg.ngroups; i++)
		if (!ld->cfg.groups[i].pack && group_decl_pack(&ld->cfg.groups[i]) < 0)
			conf_errbuf_add(&ld->eb, ld->cfg.groups[i].file, 0, strerror(ENOMEM));
	if (!ld->eb.failed && config_check_dependencies(&ld->cfg, &ld->names, &ld->eb) < 0)
		conf_errbuf_add(&ld->eb, ld->cfg.ngroups ? ld->cfg.groups[0].file : "conf.d", 0,
				strerror(ENOMEM));
	name_index_free(&ld->names);
	if (ld->eb.failed) {
		config_free(&ld->cfg);
		return -1;
	}
	*out = ld->cfg;
	return 0;
}

int config_parse_text(const char *path, const char *text, struct config *out, char *err,
		      size_t errlen)
{
	struct load ld = { 0 };

	conf_errbuf_init(&ld.eb, err, errlen);
	load_text(&ld, path, text);
	return load_finish(&ld, out);
}

int config_parse_file(const char *path, struct config *out, char *err, size_t errlen)
{
	struct load ld = { 0 };

	conf_errbuf_init(&ld.eb, err, errlen);
	load_file(&ld, path);
	return load_finish(&ld, out);
}

int config_load_dir(const char *dir, struct config *out, char *err, size_t errlen)
{
	struct load ld = { 0 };
	char **names, *path;
	const char *sep = dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/";
	size_t i;

	conf_errbuf_init(&ld.eb, err, errlen);
	names = conf_dir_names(dir);
	if (!names)
		conf_errbuf_add(&ld.eb, dir, 0, strerror(errno));
	for (i = 0; names && names[i]; i++) {
		if (asprintf(&path, "%s%s%s", dir, sep, names[i]) < 0) {
			conf_errbuf_add(&ld.eb, dir, 0, strerror(ENOMEM));
			break;
		}
		load_file(&ld, path);
		free(path);
	}
	argv_free(names);
	return load_finish(&ld, out);
}

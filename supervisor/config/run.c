/* `tendctl run`: the request's words made a group declaration.
 *
 *   run [--tenant T] [--group NAME] [--restart never|on-failure|always]
 *       [--wait] [--directory DIR] [--env KEY=VALUE]... -- COMMAND [ARG...]
 *
 * Options take their value as the next word or after '='. The command
 * starts at `--` or at the first word that is no option. */
#include "config/run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libtend/cmdline.h"

__attribute__((format(printf, 3, 4))) static int refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* "--name VALUE" or "--name=VALUE" at *w: the value (advancing *w past
 * it), or NULL when *w is not that option. *missing when it has no value. */
static const char *option_value(char ***w, const char *name, bool *missing)
{
	size_t n = strlen(name);
	char *word = **w;
	if (strncmp(word, name, n) != 0)
		return NULL;
	if (word[n] == '=')
		return word + n + 1;
	if (word[n] != '\0')
		return NULL;
	if (!(*w)[1]) {
		*missing = true;
		return NULL;
	}
	return *++*w;
}

static int add_env(struct run_options *o, const char *entry, char *why, size_t len)
{
	size_t n = argv_count(o->environment);
	if (!env_entry_key_len(entry))
		return refuse(why, len, "bad --env %s: KEY=VALUE, KEY of A-Z a-z 0-9 _", entry);
	char **v = realloc(o->environment, (n + 2) * sizeof(*v));
	if (!v)
		return refuse(why, len, "%s", "out of memory");
	o->environment = v;
	v[n + 1] = NULL;
	if (!(v[n] = strdup(entry)))
		return refuse(why, len, "%s", "out of memory");
	return 0;
}

/* One option word at *w (advanced past its value). 1: not an option
 * (the command starts here), 0: taken, -1: refused. */
static int take_option(struct run_options *o, char ***w, char *why, size_t len)
{
	bool missing = false;
	const char *v;
	if (strcmp(**w, "--wait") == 0)
		o->wait = true;
	else if ((v = option_value(w, "--tenant", &missing)))
		o->tenant = v;
	else if ((v = option_value(w, "--group", &missing)))
		o->group = v;
	else if ((v = option_value(w, "--directory", &missing)))
		o->directory = v;
	else if ((v = option_value(w, "--env", &missing)))
		return add_env(o, v, why, len);
	else if ((v = option_value(w, "--restart", &missing))) {
		if (restart_policy_parse(v, &o->restart) < 0)
			return refuse(why, len, "bad --restart %s: never, on-failure or always", v);
	} else if (missing || (**w)[0] == '-')
		return refuse(why, len, "%s", RUN_USAGE);
	else
		return 1;
	return missing ? refuse(why, len, "%s", RUN_USAGE) : 0;
}

static int check_values(const struct run_options *o, char *why, size_t len)
{
	if (!valid_name(o->tenant))
		return refuse(why, len,
			      "invalid tenant name \"%.80s\" (1-64 of A-Z a-z 0-9 _ . -, not "
			      "starting with . or -)",
			      o->tenant);
	if (o->group && (!valid_name(o->group) || strcmp(o->group, LOCAL_GROUP) == 0))
		return refuse(why, len,
			      "invalid group name \"%.80s\" (1-64 of A-Z a-z 0-9 _ . -, not "
			      "starting with . or -; not local)",
			      o->group);
	if (o->directory && o->directory[0] != '/')
		return refuse(why, len, "--directory %.200s: not an absolute path", o->directory);
	if (!o->argv[0][0])
		return refuse(why, len, "%s", "the command is an empty word");
	return 0;
}

int run_options_parse(char **words, struct run_options *o, char *why, size_t len)
{
	*o = (struct run_options){ .tenant = DEFAULT_TENANT, .restart = RESTART_NEVER };
	char **w = words + 1;
	for (; *w; w++) {
		if (strcmp(*w, "--") == 0) {
			w++;
			break;
		}
		int r = take_option(o, &w, why, len);
		if (r < 0)
			return -1;
		if (r > 0)
			break;
	}
	if (!*w)
		return refuse(why, len, "%s", RUN_USAGE);
	o->argv = w;
	return check_values(o, why, len);
}

void run_options_free(struct run_options *o)
{
	argv_free(o->environment);
	o->environment = NULL;
}

/* The process's name: the command's file name where that is a valid name. */
static const char *process_name(const char *command)
{
	const char *base = strrchr(command, '/');
	base = base ? base + 1 : command;
	return valid_name(base) ? base : "main";
}

static void process_defaults(struct process_decl *p, enum restart_policy restart)
{
	p->type = TYPE_LONGRUN;
	p->restart = restart;
	p->kill_mode = KILL_TREE;
	p->ready = READY_NONE;
	p->ready_fd = -1;
	p->ready_timeout_ms = DEFAULT_READY_TIMEOUT_MS;
	p->restart_limit = DEFAULT_RESTART_LIMIT;
	p->restart_window_ms = DEFAULT_RESTART_WINDOW_MS;
	p->restart_delay_ms = DEFAULT_RESTART_DELAY_MS;
	p->stop_timeout_ms = DEFAULT_STOP_TIMEOUT_MS;
	p->log_size = DEFAULT_LOG_SIZE;
	p->log_keep = DEFAULT_LOG_KEEP;
	p->uid = NO_ID;
	p->gid = NO_ID;
	p->ngroups = -1;
	p->keep_leftovers = true;
}

int run_decl_make(const struct run_options *o, const char *name, struct group_decl *out)
{
	static char *const no_env[] = { NULL };
	struct group_decl g = { .autostart = true, .nprocs = 1 };
	struct process_decl *p = g.procs = calloc(1, sizeof(*p));
	g.name = strdup(name);
	g.tenant = strdup(o->tenant);
	g.file = strdup("tendctl run");
	if (p) {
		process_defaults(p, o->restart);
		p->name = strdup(process_name(o->argv[0]));
		p->file = strdup("tendctl run");
		p->argv = argv_dup(o->argv);
		p->environment = argv_dup(o->environment ? o->environment : no_env);
		p->directory = o->directory ? strdup(o->directory) : NULL;
	}
	if (!p || !g.name || !g.tenant || !g.file || !p->name || !p->file || !p->argv ||
	    !p->environment || (o->directory && !p->directory) || group_decl_pack(&g) < 0) {
		group_decl_free(&g);
		*out = (struct group_decl){ 0 };
		return -1;
	}
	*out = g;
	return 0;
}

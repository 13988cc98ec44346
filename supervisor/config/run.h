/* `tendctl run`: a command launched as a transient group of its own (see
 * run.c). The request's words become a group declaration here, checked as
 * strictly as conf.d; naming, authorisation and starting it are the control
 * layer's and the core's. */
#ifndef TEND_CONFIG_RUN_H
#define TEND_CONFIG_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

#define RUN_USAGE                                                                                  \
	"usage: run [--tenant T] [--group NAME] [--restart never|on-failure|always] [--wait] "     \
	"[--directory DIR] [--env KEY=VALUE]... -- COMMAND [ARG...]"

struct run_options {
	const char *group;	     /* NULL: tend names it run-N */
	const char *tenant;	     /* never NULL: DEFAULT_TENANT unless given */
	const char *directory;	     /* absolute; NULL: tend's own */
	char **environment;	     /* "KEY=VALUE" additions, NULL-terminated; NULL: none */
	char *const *argv;	     /* the command: points into the request's words */
	enum restart_policy restart; /* RESTART_NEVER unless given */
	bool wait;
};

/* Reads the words of a `run` request (words[0] is "run"); what *o points
 * to stays in words, but for o->environment (run_options_free). 0, or -1
 * with the reason in why: "usage: ..." for a malformed request, a message
 * naming the bad value otherwise. */
int run_options_parse(char **words, struct run_options *o, char *why, size_t len);
void run_options_free(struct run_options *o);

/* The declaration of the run `name` (a valid group name): one longrun
 * process named after the command's file name (or "main" when that is no
 * valid name), restarted as o says, with the defaults of conf.d otherwise,
 * which keeps its leftovers (keep_leftovers); packed. 0, or -1 when out of
 * memory (*out then empty). */
int run_decl_make(const struct run_options *o, const char *name, struct group_decl *out);

#endif

/* The groups tend supervises: those declared now, in declaration order,
 * and those a reload removed or replaced that are still stopping
 * ("retiring"; a name may be in both). */
#ifndef TEND_REGISTRY_H
#define TEND_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

struct tend;
struct config;
struct group;
struct process;

/* Makes a group of every declaration in cfg (which it empties). -1 when out
 * of memory. */
int registry_adopt(struct tend *t, struct config *cfg);
/* The declared group of that name, or NULL (retiring ones are not found). */
struct group *tend_find_group(struct tend *t, const char *name);
/* GROUP or GROUP/PROCESS: *gp the declared group (NULL: none), *pp the
 * process named (NULL: none named, or no such). true when one is named. */
bool tend_find_target(struct tend *t, const char *target, struct group **gp, struct process **pp);
/* Every group, declared ones first, then retiring ones: i < registry_count. */
size_t registry_count(const struct tend *t);
struct group *registry_nth(struct tend *t, size_t i);
/* Whether a declaration of that name is retiring (a reload replaced or
 * removed it and it is still stopping). */
bool registry_retiring(struct tend *t, const char *name);
/* Two declarations of one group never run side by side (they would share
 * its cgroup): while an old declaration of g's name is retiring, a start
 * (or restart) of g is held until it is gone, and a stop calls a held
 * start off. Returns true when the request was taken so; false: nothing
 * is in the way, act on g now. */
bool registry_hold_request(struct tend *t, struct group *g, bool start);
/* `tendctl add`: makes transient groups of cfg's declarations (which it
 * empties) and starts the autostart ones. All or nothing: a name that is
 * declared or added already, top-level processes (the reserved group) or a
 * system section make it refuse, with one "path:line: message" line each
 * in report. Returns the number added, or -1. */
int registry_add_transient(struct tend *t, struct config *cfg, struct buf *report);
/* `tendctl run`: makes a transient, ephemeral group of *decl (which it
 * takes) and starts it. NULL when the name is taken (a declared, added or
 * retiring group has it) or out of memory, with *why set (decl untouched). */
struct group_decl;
struct group *registry_add_run(struct tend *t, struct group_decl *decl, const char **why);
/* A reload must not declare what `tendctl add` added: one line per clash
 * in report; true when there is one. */
bool registry_transient_clash(struct tend *t, const struct config *cfg, struct buf *report);
/* Frees every group, after releasing what the tracker keeps for them. */
void registry_free(struct tend *t);

#endif

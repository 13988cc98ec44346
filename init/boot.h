/* What PID 1 does before anything else, and the machine-wide settings of
 * the declarations' `system` section (see boot.c). */
#ifndef TEND_BOOT_H
#define TEND_BOOT_H

struct tend;
struct system_decl;

/* Early mounts, the console, PATH, lo up. Failures are logged; none stops
 * the boot. */
void pid1_boot(struct tend *t);

/* Applies the hostname of `system` when tend is PID 1 (a supervisor under
 * another init leaves the machine's settings to it). Called at start and
 * on every reload. */
void system_apply(struct tend *t, const struct system_decl *sys);

#endif

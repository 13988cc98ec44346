/* What PID 1 does before anything else (see boot.c). */
#ifndef TEND_BOOT_H
#define TEND_BOOT_H

struct tend;

/* Early mounts, the console, PATH, lo up. Failures are logged; none stops
 * the boot. */
void pid1_boot(struct tend *t);

#endif

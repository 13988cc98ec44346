/* The emergency shell PID 1 falls back to (see emergency.c). */
#ifndef TEND_EMERGENCY_H
#define TEND_EMERGENCY_H

#include "config/config.h"

#define EMERGENCY_GROUP "emergency"

/* Fills *out with one group "emergency" running `shell` (split like a
 * `command`) on the console. Returns 0, or -1 when the command does not
 * split or memory ran out (then *out is empty). */
int emergency_config(const char *shell, struct config *out);

#endif

/* The environment a supervised process gets: what tend inherited, minus the
 * entries tend itself sets per process, plus the declared additions, plus
 * tend's own entries, which win. */
#ifndef TEND_ENVIRONMENT_H
#define TEND_ENVIRONMENT_H

/* environ without the entries tend owns (TEND_PROCESS, NOTIFY_SOCKET,
 * TEND_WATCHDOG, WATCHDOG_USEC, WATCHDOG_PID): inherited copies (tend may
 * run under systemd or another tend) never reach a child, even unset. A
 * vector of environ's own strings (free only the vector); NULL when out of
 * memory. */
char **environment_inherited(void);

/* base minus the keys that `add` sets, then `add` minus the keys `own`
 * sets, then `own` (base comes from environment_inherited, without tend's
 * own keys). A vector of the given strings (free only the vector); NULL
 * when out of memory. */
char **environment_merge(char *const *base, char *const *add, char *const *own);

#endif

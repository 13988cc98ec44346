/* Users and groups by name, read from /etc/passwd and /etc/group at load
 * time. No NSS: tend as PID 1 must not load NSS modules or ask a network
 * directory, so users known only to LDAP or sssd are not found. A name
 * that is all digits is taken as the number itself. */
#ifndef TEND_USERS_H
#define TEND_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* 0 with uid, the user's primary gid and its login name (into login, len
 * bytes; "" for a uid no /etc/passwd line names); -1 when there is no such
 * user. */
int user_lookup(const char *name, uid_t *uid, gid_t *gid, char *login, size_t len);
/* 0 with gid; -1 when there is no such group. */
int group_lookup(const char *name, gid_t *gid);
/* The groups /etc/group lists login as a member of (initgroups without
 * NSS), into groups, each once. Returns how many; -1 when there are more
 * than max. */
ssize_t user_memberships(const char *login, gid_t *groups, size_t max);
/* Whether gid is one of groups[0..n). */
bool gid_in(const gid_t *groups, size_t n, gid_t gid);

#endif

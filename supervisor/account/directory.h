/* Where the records go, and who may read them (README "Accounting").
 *
 * RUNDIR/account (0751, tend's user and group) holds every record. Anyone
 * may pass through it, nobody but tend's user and group list it or read
 * its files (0640), so that a tenant's user reaches the directory below.
 *
 * RUNDIR/account/tenant (0755) holds, in root's tend, one directory per
 * tenant that names a user: RUNDIR/account/tenant/TENANT (0750, root and
 * the tenant's group) with a copy of that tenant's records, so that its
 * user reads them and nobody else's. Listing the tenants' names tells
 * nothing that tend's cgroups (tend-PID/TENANT, world-readable in
 * /sys/fs/cgroup) do not. */
#ifndef TEND_ACCOUNT_DIRECTORY_H
#define TEND_ACCOUNT_DIRECTORY_H

#include <sys/types.h>

struct logger;

#define ACCOUNT_DIR_MODE 0751
#define ACCOUNT_TENANTS_MODE 0755
#define ACCOUNT_TENANT_MODE 0750

/* Makes RUNDIR/account if it is not there, or gives an existing one its
 * mode; refuses one that is not a directory of tend's user that only it
 * may write. Its path (allocated), or NULL (logged). */
char *account_dir_main(struct logger *log, const char *rundir);

/* Makes RUNDIR/account/tenant/TENANT, owned by tend's user and group gid,
 * with the same checks; an existing one whose group is not gid is given
 * gid, and so are the record files in it (the tenant's group changed at a
 * reload: its user must still read its earlier months). RUNDIR/account
 * must exist. Its path (allocated), or NULL (logged). */
char *account_dir_tenant(struct logger *log, const char *rundir, const char *tenant, gid_t gid);

#endif

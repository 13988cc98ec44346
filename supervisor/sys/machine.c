#include "sys/machine.h"

#include <errno.h>
#include <sys/reboot.h>
#include <sys/stat.h>

/* The inode of the first PID namespace (PROC_PID_INIT_INO in the kernel). */
#define INIT_PID_NS_INO 0xEFFFFFFCu
#define INIT_UTS_NS_INO 0xEFFFFFFEu /* PROC_UTS_INIT_INO */

/* In a container (a PID namespace that is not the first) the filesystems
 * belong to the host: unmounting or remounting them read-only would reach
 * beyond the container. */
bool machine_is_ours(void)
{
	struct stat st;
	return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == INIT_PID_NS_INO;
}

bool machine_may_set_hostname(void)
{
	struct stat st;
	/* A namespace's own hostname is ours to set; the machine's only when
	 * the machine is ours. */
	if (stat("/proc/self/ns/uts", &st) == 0 && st.st_ino != INIT_UTS_NS_INO)
		return true;
	return machine_is_ours();
}

int machine_catch_ctrl_alt_del(void)
{
	return reboot(RB_DISABLE_CAD) < 0 && errno != EINVAL ? -1 : 0;
}

/* Reading an ended, unreaped child's /proc entries (zombie.h). */
#include "sys/zombie.h"
#include "sys/procstat.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Field 22 of stat is the start in clock ticks after boot, on the clock
 * CLOCK_BOOTTIME reads (suspended time included): its distance from now
 * on that clock, taken from the wall clock's now. */
static uint64_t start_wall_ms(unsigned long long start_ticks)
{
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		return 0;
	uint64_t started = (uint64_t)start_ticks * 1000 / (uint64_t)hz;
	uint64_t boot_now = clock_ms(CLOCK_BOOTTIME), wall_now = clock_ms(CLOCK_REALTIME);
	uint64_t ago = boot_now > started ? boot_now - started : 0;
	return wall_now > ago ? wall_now - ago : 0;
}

static void read_stat(pid_t pid, struct zombie_info *z)
{
	struct proc_stat st;
	if (proc_stat_read(pid, &st) < 0)
		return;
	snprintf(z->comm, sizeof(z->comm), "%s", st.comm);
	z->ppid = st.ppid;
	z->session = st.session;
	z->start_wall_ms = st.start_ticks ? start_wall_ms(st.start_ticks) : 0;
}

void zombie_inspect(pid_t pid, bool want_cgroup, struct zombie_info *z)
{
	memset(z, 0, sizeof(*z));
	read_stat(pid, z);
	if (want_cgroup && proc_cgroup_path(pid, z->cgroup, sizeof(z->cgroup)) < 0)
		z->cgroup[0] = '\0';
}

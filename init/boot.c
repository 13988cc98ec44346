/* The start of the machine, as PID 1, before the declarations are read:
 * the early filesystems, a console to write to, a PATH, the loopback
 * interface. Nothing here can block: no name
 * lookups, no waiting for devices. */
#include "init/boot.h"
#include "core/context.h"
#include "init/early_mounts.h"
#include "sys/log.h"
#include "init/loopback.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The kernel gives PID 1 /dev/console as fds 0, 1 and 2, unless the root
 * (an initramfs without a /dev/console node, say) had no console to open:
 * then they are closed, and tend opens the console itself now that devtmpfs
 * is mounted. Open fds are left alone: in a container they are the
 * runtime's, in a test the test's. */
static void open_console(struct tend *t)
{
	int fd = -1;

	for (int i = 0; i <= 2; i++) {
		if (fcntl(i, F_GETFD) >= 0)
			continue;
		if (fd < 0)
			fd = open("/dev/console", O_RDWR | O_NOCTTY);
		if (fd < 0 || (fd != i && dup2(fd, i) < 0))
			return; /* messages will go nowhere; nothing better to do */
	}
	if (fd > 2)
		close(fd);
	if (fd >= 0)
		tend_log(&t->log, LOG_INFO, "opened /dev/console for messages");
}

/* A console stopped with Ctrl-S must not stop PID 1 (see log.c): stderr
 * becomes non-blocking. On a description of its own, reopened: the one the
 * kernel (or a terminal that ran `unshare`) gave is shared with others, who
 * must not find it non-blocking. A regular file never blocks: left alone. */
static void nonblocking_stderr(void)
{
	struct stat st;
	if (fstat(STDERR_FILENO, &st) < 0 || S_ISREG(st.st_mode))
		return;
	int fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	dup2(fd, STDERR_FILENO); /* dup2 clears close-on-exec on fd 2 */
	close(fd);
}

void pid1_boot(struct tend *t)
{
	umask(022);
	early_mounts_setup(t);
	open_console(t);
	nonblocking_stderr();
	/* The kernel starts init with HOME and TERM only; children that run
	 * commands by name need a PATH. */
	setenv("PATH", DEFAULT_PATH, 0);
	loopback_up(t);
}

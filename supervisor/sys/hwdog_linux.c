/* The hardware watchdog's device ops on Linux (linux/watchdog.h). */
#include "sys/hwdog.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Only a character device: O_NONBLOCK so that a FIFO put at the path
 * cannot block PID 1 in open (watchdog drivers ignore the flag), and a
 * FIFO, socket or regular file is refused as no device (ENODEV). */
static int wd_open(struct hwdog *w, const char *path)
{
	struct stat st;

	/* O_CLOEXEC: a child that kept it would keep the watchdog armed
	 * (and could ping it for a hung tend). */
	w->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (w->fd < 0)
		return errno == ENXIO ? ENODEV : errno; /* ENXIO: a FIFO without reader */
	if (fstat(w->fd, &st) == 0 && S_ISCHR(st.st_mode))
		return 0;
	close(w->fd);
	w->fd = -1;
	return ENODEV;
}

static int wd_ioctl(struct hwdog *w, unsigned long req, void *arg)
{
	return ioctl(w->fd, req, arg) < 0 ? errno : 0;
}

static int wd_identify(struct hwdog *w, struct hwdog_identity *id)
{
	struct watchdog_info info = { 0 };
	int err = wd_ioctl(w, WDIOC_GETSUPPORT, &info);

	if (err)
		return err;
	memcpy(id->name, info.identity, sizeof(info.identity));
	id->name[sizeof(info.identity)] = '\0';
	id->options = info.options;
	id->firmware = info.firmware_version;
	return 0;
}

static int wd_set_timeout(struct hwdog *w, unsigned *seconds)
{
	int s = (int)*seconds;
	int err = wd_ioctl(w, WDIOC_SETTIMEOUT, &s);

	if (!err && s > 0)
		*seconds = (unsigned)s; /* the driver writes back what it took */
	return err;
}

static int wd_get(struct hwdog *w, unsigned long req, unsigned *seconds)
{
	int s = 0;
	int err = wd_ioctl(w, req, &s);

	if (!err)
		*seconds = s > 0 ? (unsigned)s : 0;
	return err;
}

static int wd_get_timeout(struct hwdog *w, unsigned *seconds)
{
	return wd_get(w, WDIOC_GETTIMEOUT, seconds);
}

static int wd_get_timeleft(struct hwdog *w, unsigned *seconds)
{
	return wd_get(w, WDIOC_GETTIMELEFT, seconds);
}

/* WDIOC_KEEPALIVE, or a write for drivers without it. */
static int wd_ping(struct hwdog *w)
{
	int dummy = 0;

	if (ioctl(w->fd, WDIOC_KEEPALIVE, &dummy) == 0)
		return 0;
	if (errno != ENOTTY && errno != EOPNOTSUPP && errno != EINVAL)
		return errno;
	return write(w->fd, "\0", 1) == 1 ? 0 : errno;
}

static int wd_close(struct hwdog *w, bool magic)
{
	int err = 0;

	if (magic && write(w->fd, "V", 1) != 1)
		err = errno;
	close(w->fd);
	return err;
}

const struct hwdog_ops hwdog_linux = {
	.open = wd_open,
	.identify = wd_identify,
	.set_timeout = wd_set_timeout,
	.get_timeout = wd_get_timeout,
	.get_timeleft = wd_get_timeleft,
	.ping = wd_ping,
	.close = wd_close,
};

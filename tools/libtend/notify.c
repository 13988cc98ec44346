/* sd_notify-compatible notification (see tend.h): the datagram protocol
 * systemd defined, so that tend and systemd can supervise the same program
 * and unmodified sd_notify users work under tend. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tend.h"

/* Fills sa from NOTIFY_SOCKET's value; returns the address length, or -1
 * with errno. */
static int notify_address(const char *name, struct sockaddr_un *sa)
{
	size_t len = strlen(name);

	if (name[0] != '/' && name[0] != '@') {
		errno = EAFNOSUPPORT; /* e.g. systemd's "vsock:": not for us */
		return -1;
	}
	/* A path needs room for its NUL; an abstract name has none. */
	if (len + (name[0] == '/') > sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name, len);
	if (name[0] == '@') {
		sa->sun_path[0] = '\0';
		return (int)(offsetof(struct sockaddr_un, sun_path) + len);
	}
	sa->sun_path[len] = '\0';
	return (int)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

int tend_notify(const char *message)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	int fd, salen, saved;
	ssize_t n;

	if (!message) {
		errno = EINVAL;
		return -1;
	}
	if (!name || !*name)
		return 0;
	salen = notify_address(name, &sa);
	if (salen < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	do
		n = sendto(fd, message, strlen(message), MSG_NOSIGNAL, (struct sockaddr *)&sa,
			   (socklen_t)salen);
	while (n < 0 && errno == EINTR);
	saved = errno;
	close(fd);
	errno = saved;
	return n < 0 ? -1 : 1;
}

int tend_ready(void)
{
	return tend_notify("READY=1");
}

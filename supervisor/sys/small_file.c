#include "sys/small_file.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

ssize_t read_small_file(int dirfd, const char *path, char *buf, size_t len)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	int err = errno;
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	errno = err;
	return n;
}

/* Reading a small file whole: a /proc or cgroup file of a few lines. */
#ifndef TEND_SMALL_FILE_H
#define TEND_SMALL_FILE_H

#include <sys/types.h>

/* Reads at most len - 1 bytes of dirfd/path (AT_FDCWD: path itself) into
 * buf, NUL-terminated. The length read, or -1 with errno (that of open or
 * of read: ENOENT and ESRCH say a process is gone). */
ssize_t read_small_file(int dirfd, const char *path, char *buf, size_t len);

#endif

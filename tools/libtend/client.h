/* Inside libtend: the control protocol's client side in two halves, for
 * the calls that read a reply their own way (a watch) or must tell tend's
 * "ERR" from an I/O error (the services calls). Not exported (libtend.map). */
#ifndef LIBTEND_CLIENT_H
#define LIBTEND_CLIENT_H

#include <stddef.h>
#include <string.h>

#include "tend.h"

/* What libtend_request returns for an "ERR" reply (tend_request: -1). */
#define LIBTEND_REFUSED (-2)

/* Quotes argv into one request line and writes it to fd. Returns 0, or -1
 * with errno and err set (EINVAL: empty, or a word with a newline;
 * EMSGSIZE: longer than TEND_REQUEST_MAX; as send(2) sets it). */
int libtend_send_request(int fd, char *const argv[], char *err, size_t errlen);

/* tend_request, but LIBTEND_REFUSED for "ERR" (err holds its message). */
int libtend_request(int fd, char *const argv[], tend_line_fn on_line, void *arg, char *err,
		    size_t errlen);

/* printf into msg (msglen bytes; NULL or 0: nothing), for the calls'
 * messages. */
void libtend_set_msg(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* strerror(err) for a library: glibc's strerror is MT-Unsafe, and libtend
 * runs in programs that may have threads. GNU strerror_r returns the text,
 * in the buffer it is given (alive until the end of the caller's block) or
 * a constant one. */
#define libtend_strerror(err) strerror_r((err), (char[64]){ 0 }, 64)

#endif

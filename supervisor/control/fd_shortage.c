#include "control/fd_shortage.h"
#include "base/container_of.h"
#include "control/server.h"
#include "core/context.h"
#include "sys/log.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static void resume_accepting(struct timer *tm)
{
	struct control *ctl = container_of(tm, struct control, accept_pause);
	if (ctl->spare_fd < 0)
		ctl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	loop_modify(&ctl->t->loop, &ctl->w, EPOLLIN);
}

void fd_shortage_init(struct control *ctl)
{
	timer_init(&ctl->accept_pause, resume_accepting);
	ctl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* No spare: stop watching the socket for a while (the pending connection
 * would wake the loop again at once). */
static void pause_accepting(struct control *ctl)
{
	uint64_t ms = ctl->accept_pause_ms ? 2 * ctl->accept_pause_ms : FD_SHORTAGE_PAUSE_MIN_MS;
	ctl->accept_pause_ms = ms < FD_SHORTAGE_PAUSE_MAX_MS ? ms : FD_SHORTAGE_PAUSE_MAX_MS;
	loop_modify(&ctl->t->loop, &ctl->w, 0);
	loop_timer_in(&ctl->t->loop, &ctl->accept_pause, ctl->accept_pause_ms);
}

void fd_shortage_refuse(struct control *ctl, int err)
{
	if (!ctl->refused_fds++)
		tend_log(&ctl->t->log, LOG_WARN,
			 "control: cannot take connections: %s; they are refused until "
			 "descriptors are free again",
			 strerror(err));
	if (ctl->spare_fd < 0) {
		pause_accepting(ctl);
		return;
	}
	close(ctl->spare_fd);
	int fd = accept4(ctl->w.fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) { /* told why, rather than a bare "Connection reset by peer" */
		char why[96];
		snprintf(why, sizeof(why), "tend is out of file descriptors (%s); try again later",
			 strerror(err));
		refuse_connection(fd, why);
	}
	ctl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		pause_accepting(ctl); /* nothing taken: the loop would come back at once */
}

void fd_shortage_over(struct control *ctl)
{
	if (!ctl->refused_fds)
		return;
	tend_log(&ctl->t->log, LOG_WARN,
		 "control: taking connections again; %lu were refused for want of descriptors",
		 ctl->refused_fds);
	ctl->refused_fds = 0;
	ctl->accept_pause_ms = 0;
}

void fd_shortage_close(struct control *ctl)
{
	if (ctl->t)
		loop_timer_cancel(&ctl->t->loop, &ctl->accept_pause);
	if (ctl->spare_fd >= 0)
		close(ctl->spare_fd);
	ctl->spare_fd = -1;
}

/* The owners of coupled locations: each pid watched with a pidfd, so that
 * tend learns the moment a registering process ends, even one that is not
 * its child, without polling. */
#include "services/directory.h"
#include "base/container_of.h"
#include "sys/log.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct owner_watch **find_owner(struct directory *d, pid_t pid)
{
	struct owner_watch **pp = &d->owners;
	while (*pp && (*pp)->pid != pid)
		pp = &(*pp)->next;
	return pp;
}

static void on_owner_exit(struct watcher *w, uint32_t events)
{
	(void)events;
	struct owner_watch *o = container_of(w, struct owner_watch, w);
	if (o->w.fd >= 0) /* else it was released earlier in this batch */
		directory_owner_gone(o->dir, o->pid);
}

int owners_hold(struct directory *d, pid_t pid)
{
	struct owner_watch **pp = find_owner(d, pid);
	if (*pp) {
		(*pp)->nlocs++;
		return 0;
	}
	struct owner_watch *o = calloc(1, sizeof(*o));
	if (!o) {
		errno = ENOMEM;
		return -1;
	}
	o->dir = d;
	o->pid = pid;
	o->nlocs = 1;
	o->w.on_ready = on_owner_exit;
	o->w.fd = d->loop ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	if (d->loop && (o->w.fd < 0 || loop_add(d->loop, &o->w, EPOLLIN) < 0)) {
		int e = errno;
		if (o->w.fd >= 0)
			close(o->w.fd);
		free(o);
		errno = e;
		return -1;
	}
	*pp = o;
	return 0;
}

void owners_release(struct directory *d, pid_t pid)
{
	struct owner_watch **pp = find_owner(d, pid), *o = *pp;
	if (!o || --o->nlocs > 0)
		return;
	*pp = o->next;
	if (d->loop)
		watcher_close(d->loop, &o->w);
	/* Its pidfd's event may still be in this batch: freed after it. */
	o->next = d->ended;
	d->ended = o;
}

void directory_after_events(void *ctx)
{
	struct directory *d = ctx;
	while (d->ended) {
		struct owner_watch *o = d->ended;
		d->ended = o->next;
		free(o);
	}
}

unsigned owners_count(const struct directory *d, pid_t pid)
{
	for (const struct owner_watch *o = d->owners; o; o = o->next)
		if (o->pid == pid)
			return o->nlocs;
	return 0;
}

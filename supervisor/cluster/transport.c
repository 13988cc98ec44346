/* The cluster's UDP socket: bound to the port on every address, but it
 * takes only what arrives through the cluster interface (IP_PKTINFO), and
 * sends through that interface whatever the routes say: the subnet's
 * broadcast, or the limited broadcast for a /32, or one peer's address. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "base/container_of.h"
#include "cluster/cluster.h"
#include "core/context.h"

#define RECEIVE_BATCH 64 /* datagrams read per wake-up, so timers are not starved */

union pktinfo_space {
	char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct cmsghdr align;
};

/* The interface a datagram came in through; 0 when the kernel did not say. */
static int arrived_on(struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			return pi.ipi_ifindex;
		}
	return 0;
}

static void on_socket(struct watcher *w, uint32_t events)
{
	struct cluster *c = container_of(w, struct cluster, sock);
	uint8_t buf[WIRE_MAX + 1]; /* one more: an oversize datagram is seen as such */

	(void)events;
	for (int i = 0; i < RECEIVE_BATCH && c->sock.fd >= 0; i++) {
		struct sockaddr_in from;
		union pktinfo_space ctl;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_name = &from,
				     .msg_namelen = sizeof(from),
				     .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl.buf,
				     .msg_controllen = sizeof(ctl.buf) };
		ssize_t n = recvmsg(c->sock.fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
		int ifindex;
		if (n < 0)
			return; /* EAGAIN: all read */
		if (c->fenced || c->left)
			continue; /* the link is gone, or tend is: what arrives is stale */
		ifindex = arrived_on(&mh);
		if (ifindex && c->link.now.ifindex && ifindex != c->link.now.ifindex) {
			c->counters.foreign++; /* another network: not the cluster's */
			continue;
		}
		cluster_receive(c, buf, (size_t)n > sizeof(buf) ? sizeof(buf) : (size_t)n,
				ntohl(from.sin_addr.s_addr));
	}
}

void transport_send(struct cluster *c, const uint8_t *buf, size_t len, uint32_t to)
{
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)c->decl.port) };
	union pktinfo_space ctl = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = &dst, .msg_namelen = sizeof(dst), .msg_iov = &iov, .msg_iovlen = 1
	};
	struct in_pktinfo pi = { .ipi_ifindex = c->link.now.ifindex };
	struct cmsghdr *cm;

	if (!to) /* the subnet's broadcast; a /32 has none: the limited one */
		to = c->link.now.broadcast && c->link.now.broadcast != c->link.now.address
			 ? c->link.now.broadcast
			 : INADDR_BROADCAST;
	/* cppcheck-suppress unreadVariable ; sendmsg reads it, through mh.msg_name */
	dst.sin_addr.s_addr = htonl(to);
	if (pi.ipi_ifindex) { /* out of the cluster interface, whatever the routes say */
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	if (sendmsg(c->sock.fd, &mh, MSG_DONTWAIT) < 0)
		c->counters.send_errors++;
	else
		c->counters.sent++;
}

int transport_open(struct cluster *c, char *err, size_t errlen)
{
	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_port = htons((uint16_t)c->decl.port),
				    .sin_addr.s_addr = htonl(INADDR_ANY) };
	int one = 1, fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		snprintf(err, errlen, "cluster: UDP port %u: %s", c->decl.port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	c->sock = (struct watcher){ .fd = fd, .on_ready = on_socket };
	if (loop_add(&c->tend->loop, &c->sock, EPOLLIN) < 0) {
		snprintf(err, errlen, "cluster: epoll: %s", strerror(errno));
		close(fd);
		c->sock.fd = -1;
		return -1;
	}
	return 0;
}

/* Bringing up the loopback interface with rtnetlink (libnl-route), not by
 * running ip or ifconfig: PID 1 must not depend on tools that may not be
 * in the image. The kernel gives lo 127.0.0.1/8 and ::1 itself as soon as
 * the link is up. */
#include "init/loopback.h"
#include "core/context.h"
#include "sys/log.h"

#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

int loopback_up(struct tend *t)
{
	struct nl_sock *sock = nl_socket_alloc();
	struct rtnl_link *link = NULL, *change = NULL;
	int err = -NLE_NOMEM;

	if (!sock)
		goto out;
	err = nl_connect(sock, NETLINK_ROUTE);
	if (err < 0)
		goto out;
	err = rtnl_link_get_kernel(sock, 0, "lo", &link);
	if (err < 0)
		goto out;
	if (rtnl_link_get_flags(link) & IFF_UP) {
		tend_log(&t->log, LOG_DEBUG, "lo is already up");
		goto out;
	}
	change = rtnl_link_alloc();
	err = -NLE_NOMEM;
	if (!change)
		goto out;
	rtnl_link_set_flags(change, IFF_UP);
	err = rtnl_link_change(sock, link, change, 0);
	if (err == 0)
		tend_log(&t->log, LOG_INFO, "brought up lo");
out:
	if (err < 0)
		tend_log(&t->log, LOG_ERR, "cannot bring up lo: %s", nl_geterror(err));
	rtnl_link_put(change);
	rtnl_link_put(link);
	nl_socket_free(sock);
	return err < 0 ? -1 : 0;
}

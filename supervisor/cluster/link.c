/* The cluster interface through libnl-route: caches of links and addresses
 * that a cache manager keeps current from RTNLGRP_LINK and
 * RTNLGRP_IPV4_IFADDR notifications, read on tend's loop. No `ip` is run. */
#include "cluster/link.h"
#include <errno.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <arpa/inet.h>
#include <linux/if.h>
#include <string.h>
#include <sys/epoll.h>
#include "base/container_of.h"
#include "sys/log.h"

/* Any change of a link or an address: look again (the caches are current). */
static void on_cache_change(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	(void)cache;
	(void)obj;
	(void)action;
	link_refresh(arg);
}

static void on_netlink_ready(struct watcher *w, uint32_t events)
{
	struct cluster_link *l = container_of(w, struct cluster_link, w);
	int rc;

	(void)events;
	rc = nl_cache_mngr_data_ready(l->mngr);
	if (rc < 0)
		tend_log(l->log, LOG_WARN, "cluster: netlink: %s", nl_geterror(rc));
}

/* The first IPv4 address of interface ifindex (and its broadcast). */
struct found_addr {
	int ifindex;
	uint32_t want; /* 0: the first; else only this one */
	uint32_t address, broadcast;
};

static void match_addr(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct found_addr *f = arg;
	struct nl_addr *local = rtnl_addr_get_local(a);
	uint32_t be, addr, mask;
	int bits;

	if (f->address || rtnl_addr_get_ifindex(a) != f->ifindex ||
	    rtnl_addr_get_family(a) != AF_INET || !local || nl_addr_get_len(local) != 4)
		return;
	memcpy(&be, nl_addr_get_binary_addr(local), 4);
	addr = ntohl(be);
	if (f->want && addr != f->want)
		return;
	bits = rtnl_addr_get_prefixlen(a);
	mask = bits <= 0 ? 0 : bits >= 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
	f->address = addr;
	f->broadcast = addr | ~mask;
}

static struct found_addr find_addr(struct cluster_link *l, int ifindex, uint32_t want)
{
	struct found_addr f = { .ifindex = ifindex, .want = want };

	nl_cache_foreach(l->addrs, match_addr, &f);
	return f;
}

/* auto: a broadcast interface other than loopback; up with an IPv4 address
 * first, else (when tend can put an address back) the first such one. */
struct pick {
	struct cluster_link *l;
	struct rtnl_link *best;
	bool best_ready;
};

static void consider_link(struct nl_object *obj, void *arg)
{
	struct rtnl_link *link = (struct rtnl_link *)obj;
	struct pick *p = arg;
	unsigned flags = rtnl_link_get_flags(link);
	bool ready;

	if (rtnl_link_get_family(link) != AF_UNSPEC || (flags & IFF_LOOPBACK) ||
	    !(flags & IFF_BROADCAST) || p->best_ready)
		return;
	ready = (flags & IFF_UP) && find_addr(p->l, rtnl_link_get_ifindex(link), 0).address;
	if (ready || (!p->best && p->l->want_address)) {
		p->best = link;
		p->best_ready = ready;
	}
}

/* The cache also holds an AF_INET6 object per link (RTNLGRP_IPV6_IFINFO),
 * which no RTM_DELLINK removes: only the AF_UNSPEC one is the link. */
struct named {
	const char *name;
	struct rtnl_link *found;
};

static void match_name(struct nl_object *obj, void *arg)
{
	struct rtnl_link *link = (struct rtnl_link *)obj;
	struct named *n = arg;

	if (!n->found && rtnl_link_get_family(link) == AF_UNSPEC &&
	    strcmp(rtnl_link_get_name(link), n->name) == 0)
		n->found = link;
}

static struct rtnl_link *choose_link(struct cluster_link *l)
{
	struct pick p = { .l = l };

	if (l->want_name) {
		struct named n = { .name = l->want_name };
		nl_cache_foreach(l->links, match_name, &n);
		if (n.found)
			nl_object_get((struct nl_object *)n.found);
		return n.found;
	}
	nl_cache_foreach(l->links, consider_link, &p);
	if (p.best)
		nl_object_get((struct nl_object *)p.best);
	return p.best;
}

/* A re-plugged NIC comes up admin-down without its address: put both back.
 * Each is asked for once while it is missing (a request that fails is not
 * repeated in a loop; the next time it goes missing asks again). */
static void bring_up(struct cluster_link *l, struct rtnl_link *link)
{
	struct rtnl_link *change = rtnl_link_alloc();
	int rc;

	if (!change)
		return;
	rtnl_link_set_flags(change, IFF_UP);
	rc = rtnl_link_change(l->requests, link, change, 0);
	rtnl_link_put(change);
	if (rc < 0)
		tend_log(l->log, LOG_WARN, "cluster: cannot bring %s up: %s",
			 rtnl_link_get_name(link), nl_geterror(rc));
}

static void add_address(struct cluster_link *l, struct rtnl_link *link)
{
	struct rtnl_addr *addr;
	struct nl_addr *local = NULL;
	int rc;

	if (nl_addr_parse(l->want_address, AF_INET, &local) < 0 || !(addr = rtnl_addr_alloc())) {
		nl_addr_put(local);
		return;
	}
	rtnl_addr_set_ifindex(addr, rtnl_link_get_ifindex(link));
	rtnl_addr_set_local(addr, local);
	rc = rtnl_addr_add(l->requests, addr, 0);
	if (rc < 0 && rc != -NLE_EXIST)
		tend_log(l->log, LOG_WARN, "cluster: cannot add %s to %s: %s", l->want_address,
			 rtnl_link_get_name(link), nl_geterror(rc));
	else
		tend_log(l->log, LOG_INFO, "cluster: %s is back: brought it up with %s",
			 rtnl_link_get_name(link), l->want_address);
	rtnl_addr_put(addr);
	nl_addr_put(local);
}

static void repair(struct cluster_link *l, struct rtnl_link *link, bool has_address)
{
	int ifindex = rtnl_link_get_ifindex(link);
	bool up = rtnl_link_get_flags(link) & IFF_UP;

	if (!l->want_address)
		return;
	if (ifindex != l->repaired_ifindex) { /* another interface: nothing asked yet */
		l->repaired_ifindex = ifindex;
		l->asked_up = l->asked_address = false;
	}
	if (!up && !l->asked_up) {
		l->repairs++;
		bring_up(l, link);
	}
	if (!has_address && !l->asked_address) {
		l->repairs++;
		add_address(l, link);
	}
	l->asked_up = !up;
	l->asked_address = !has_address;
}

static struct link_state read_state(struct cluster_link *l)
{
	struct link_state s = { 0 };
	struct rtnl_link *link = choose_link(l);
	struct found_addr a;

	if (!link)
		return s;
	s.ifindex = rtnl_link_get_ifindex(link);
	s.flags = rtnl_link_get_flags(link);
	snprintf(s.name, sizeof(s.name), "%s", rtnl_link_get_name(link));
	a = find_addr(l, s.ifindex, l->id_address);
	s.address = a.address;
	s.broadcast = a.broadcast;
	s.usable = (s.flags & IFF_UP) && (s.flags & IFF_LOWER_UP) && s.address;
	repair(l, link, find_addr(l, s.ifindex, 0).address != 0);
	rtnl_link_put(link);
	return s;
}

void link_refresh(struct cluster_link *l)
{
	struct link_state was = l->now;

	l->now = read_state(l);
	if (was.usable != l->now.usable || was.ifindex != l->now.ifindex ||
	    was.address != l->now.address)
		l->changed(l->ctx);
}

static int fail(struct cluster_link *l, struct loop *loop, const char *what, int rc)
{
	tend_log(l->log, LOG_ERR, "cluster: %s: %s", what, nl_geterror(rc));
	link_close(l, loop);
	return -1;
}

int link_open(struct cluster_link *l, struct loop *loop, struct logger *log)
{
	int rc;

	l->log = log;
	l->w = (struct watcher){ .fd = -1, .on_ready = on_netlink_ready };
	if (!(l->requests = nl_socket_alloc()))
		return fail(l, loop, "netlink", -NLE_NOMEM);
	if ((rc = nl_connect(l->requests, NETLINK_ROUTE)) < 0)
		return fail(l, loop, "netlink", rc);
	if ((rc = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, NL_AUTO_PROVIDE, &l->mngr)) < 0)
		return fail(l, loop, "netlink cache manager", rc);
	if ((rc = nl_cache_mngr_add(l->mngr, "route/link", on_cache_change, l, &l->links)) < 0 ||
	    (rc = nl_cache_mngr_add(l->mngr, "route/addr", on_cache_change, l, &l->addrs)) < 0)
		return fail(l, loop, "netlink caches", rc);
	l->w.fd = nl_cache_mngr_get_fd(l->mngr);
	if (loop_add(loop, &l->w, EPOLLIN) < 0) {
		l->w.fd = -1;
		return fail(l, loop, "epoll", -NLE_FAILURE);
	}
	l->now = read_state(l);
	return 0;
}

void link_close(struct cluster_link *l, struct loop *loop)
{
	if (l->w.fd >= 0)
		loop_remove(loop, &l->w); /* the manager owns the fd */
	l->w.fd = -1;
	if (l->mngr)
		nl_cache_mngr_free(l->mngr); /* and the caches with it */
	if (l->requests)
		nl_socket_free(l->requests);
	l->mngr = NULL;
	l->links = l->addrs = NULL;
	l->requests = NULL;
}

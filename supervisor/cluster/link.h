/* The cluster interface as the kernel reports it, through libnl's route
 * caches kept current by a cache manager on tend's epoll: which interface
 * (named in conf.d, or the first broadcast one that is up with IPv4), whether
 * it can carry the cluster (up, carrier, an IPv4 address), and putting it
 * back when a re-plugged NIC comes up admin-down without its address. */
#ifndef TEND_CLUSTER_LINK_H
#define TEND_CLUSTER_LINK_H
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include "sys/loop.h"

struct nl_cache_mngr;
struct nl_cache;
struct nl_sock;

/* What the interface looks like now. Addresses in host byte order. */
struct link_state {
	bool usable; /* present, up, with carrier and an IPv4 address */
	int ifindex; /* 0: no interface chosen */
	char name[IFNAMSIZ];
	uint32_t address;   /* its first IPv4 address; 0: none */
	uint32_t broadcast; /* that address's subnet broadcast */
	unsigned flags;	    /* IFF_* */
};

typedef void link_changed_fn(void *ctx);

struct cluster_link {
	struct nl_cache_mngr *mngr;
	struct nl_cache *links, *addrs;
	struct nl_sock *requests; /* bringing the link up, adding the address */
	struct watcher w;
	const char *want_name;	  /* NULL: auto */
	const char *want_address; /* "A.B.C.D/N" to put back; NULL: none */
	uint32_t id_address;	  /* once known: the address that must be there; 0: any */
	struct link_state now;
	int repaired_ifindex; /* the interface asked_* are about */
	bool asked_up;	      /* bringing it up was asked for, and it is not up yet */
	bool asked_address;   /* adding the address was asked for, and it is not there yet */
	unsigned repairs;     /* asked for, for tests and `peers` */
	link_changed_fn *changed;
	void *ctx;
	struct logger *log;
};

/* Opens the caches and adds their socket to the loop; fills l->now. 0, or
 * -1 with a message logged. */
int link_open(struct cluster_link *l, struct loop *loop, struct logger *log);
void link_close(struct cluster_link *l, struct loop *loop);
/* Re-reads the caches into l->now; calls changed when usable, the
 * interface or its address changed. */
void link_refresh(struct cluster_link *l);
#endif

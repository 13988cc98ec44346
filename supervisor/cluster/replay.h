/* Anti-replay for one peer (PROTOCOL.md, "Hosts"): each datagram's
 * (incarnation, sequence) is accepted once. The sequences of the current
 * incarnation are tracked with a sliding window of the last
 * REPLAY_WINDOW_SIZE (as IPsec does), and the incarnations the peer had
 * before are remembered, so that a recorded datagram of an earlier boot is
 * dropped instead of looking like a reboot.
 *
 * Check a datagram only after wire_decode accepted it (its MAC matched):
 * an unauthenticated one must not move the window. */
#ifndef TEND_CLUSTER_REPLAY_H
#define TEND_CLUSTER_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "cluster/wire.h"

#define REPLAY_WINDOW_SIZE 64 /* the bits of `seen` */
#define REPLAY_OLD_MAX 8      /* earlier incarnations remembered */

/* Zeroed: nothing heard from the peer yet. */
struct replay_window {
	uint32_t incarnation;	      /* the peer's current boot */
	uint32_t top;		      /* the highest sequence accepted in it */
	uint64_t seen;		      /* bit i: sequence top - i accepted */
	bool started;		      /* a datagram was accepted: the fields above hold */
	uint32_t old[REPLAY_OLD_MAX]; /* the peer's earlier incarnations, latest first */
	unsigned nold;
};

/* Whether the datagram (incarnation, seq) is new, and if so records it:
 *   WD_OK                 new: accept it;
 *   WD_REPLAY             its sequence was accepted already, or is
 *                         REPLAY_WINDOW_SIZE or more behind the highest;
 *   WD_STALE_INCARNATION  an incarnation the peer had before this one.
 * An incarnation neither current nor remembered is the peer rebooted: the
 * window starts again from seq, the current incarnation is remembered as an
 * old one (the oldest forgotten past REPLAY_OLD_MAX), and *rebooted is set
 * to true, which is when the caller must forget everything it knew of the
 * peer's previous boot. *rebooted is false otherwise, and also for the
 * first datagram ever accepted from the peer (there is nothing to forget).
 * Sequences compare as serial numbers (RFC 1982), so a peer whose counter
 * wraps after 2^32 datagrams stays heard. */
enum wire_drop replay_check(struct replay_window *w, uint32_t incarnation, uint32_t seq,
			    bool *rebooted);

#endif

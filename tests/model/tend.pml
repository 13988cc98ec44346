/*
 * tend.pml: a SPIN model of tend's peer protocol (supervisor/cluster/PROTOCOL.md, version 1),
 * for one negotiable group on three hosts.  tests/model/run.sh runs it in several
 * configurations (quick ones in make check, all of them in make model).
 *
 * WHAT IS MODELLED, rule by rule (the rule names are PROTOCOL.md's)
 *   Hosts 0, 1, 2: the host number is the ID (lower wins ties).  RANK() is the position in the
 *   group's prefer list: host 2 is listed first, so bidders are ordered 2, 0, 1 by (rank, ID)
 *   while duplicates are resolved 0, 1, 2 by (term, ID): the two orders differ on purpose.
 *   Per host: term, owner, stopped, failed_here, promise (a bidder, at the term the host holds),
 *   the peers that ACKed the bid, the peers alive, the incarnations known, and the machine
 *   state HOLD, IDLE, WATCH, BIDS (PROTOCOL.md's BID), OWN, FENCED (DOWN: crashed).  A host
 *   runs the group iff it is in OWN.  The group is autostarted and declared everywhere
 *   (-DPASSIVE=h: not on host h, which then only answers).
 *   M1 heartbeats (status OWNER / BIDDING / STOPPED / none, with the term); M2 alive on any
 *   datagram, dead only through the failure detector below; M4 fencing on the own link's loss;
 *   the hold-off after start and after link-up; incarnations (a datagram of a new one makes
 *   the peer forget everything about the old one, datagrams of older ones are dropped).
 *   B1-B7, A1-A4, H1-H3, R1 (release on failure and on a clean stop of tend), R2 (tendctl stop),
 *   R3 (tendctl start); R4 (no preemption) holds by construction: no rule takes a running
 *   group.  Not modelled: M3, the services directory (digest, PULL, SERVICES), which does not
 *   decide who runs a group; R3a's LEAVE (it only has the sender taken dead sooner: the failure
 *   detector below may take a stopped host dead as soon as its datagrams are delivered);
 *   sequence numbers and MACs (the model has no forger).
 *
 * READINGS OF PROTOCOL.md (where it leaves a choice, the model takes the one written here)
 *   - A host in its hold-off answers bids (it listens, it does not bid); a FENCED host hears
 *     nothing.  The hold-off ends once every peer up and reachable since it began was heard.
 *   - A2: a promise counts while it is held; at expiry it is dropped (the permissive reading: a
 *     host may then ACK another bidder at the same term).
 *   - B7: a BID, heartbeat (also BIDDING) or RELEASE with a higher term ends the bid and the
 *     host takes the term (term := max).  Any higher term drops the promise and clears STOPPED
 *     ("the bid's higher term supersedes STOPPED").
 *   - B6: after STALE the host WATCHes until the retry delay has passed, then B1.  B5: WATCH
 *     lasts D unless an owner is announced (or released: then B1 at once).
 *   - B4: a RUNNING from the owner itself sets owner := O and ends the bid; a RUNNING naming
 *     another host (a third host, or this one) changes nothing: the bid goes on (B3 sends it
 *     again; tend's quicker retry when O is this host or known dead is a timing the model does
 *     not have).  See "B4" below for the rule as first written.
 *   - H1 at equal terms between two runners: the higher ID stops, the lower keeps running.
 *     H2: a STOPPED heartbeat at a term >= ours also ends a bid and forgets the owner.
 *   - R2: a RELEASE with STOPPED is recorded only by hosts with a lower term (as written);
 *     hosts at the same term learn the stop from heartbeats (H2: >=).
 *   - A crash loses everything, term included (a restarted host begins at term 0).  A fenced
 *     host keeps its term, stopped and failed_here, and forgets owners, peers, incarnations.
 *
 * WHAT IS ABSTRACTED
 *   - The network: one FIFO channel per ordered pair of hosts for bids, answers and releases
 *     (CAP datagrams; one sent to a full channel is lost, as from a full socket buffer).  A
 *     datagram is lost when its sender or receiver is cut off (partition, pulled card), when
 *     sending or at delivery, or when the receiver is down.  -DLOSSES=n: n more datagrams may
 *     be lost anywhere; -DDUPS=n: n datagrams delivered twice (the copy stays and is delivered
 *     again later); -DREORDER: the second datagram in a channel may overtake the first.
 *   - Heartbeats, by default (safety checks): a host may at any moment receive a peer's
 *     heartbeat, showing the peer's current state.  A stale heartbeat (sent before the sender
 *     changed, delivered after) can only make a host believe in an owner that stopped (it
 *     then waits, or answers RUNNING), forget an owner that runs (it bids; the owner answers
 *     RUNNING), end a bid or stop a copy: it delays, it does not add a runner; -DHBSLOT checks
 *     that too: hbs[] holds the one heartbeat in flight per pair (a newer one replaces it),
 *     delivered, lost or duplicated like any datagram, in any order with the others.
 *   - Time.  dead-after D is an abstract failure detector: host i may declare peer j dead only
 *     when j really is unreachable from i (crashed, or cut off by a partition or a pulled card)
 *     and every datagram j sent to i has been delivered or lost.  That is "loss below
 *     dead-after": a host that is up and connected is never declared dead by a connected peer,
 *     however many of its datagrams are lost; so safety holds here whatever is lost.  The
 *     other timers (heartbeat, bid retry, promise and WATCH expiry, end of hold-off once its
 *     condition holds) may fire at any moment: the safety checks do not depend on how long
 *     anything takes.  A bid is retried only when the bidder's channels are empty (the retry
 *     delay is longer than a round trip), and terms stop at MAXT (a host at MAXT does not bid
 *     or stop the group any more) to keep the state space finite.
 *   - With -DLIVE (P2) time has rounds.  A tick of host i fires i's timers: heartbeat, bid
 *     retry, end of hold-off, and the D timers (promise, WATCH), but these only once every
 *     other host has ticked since they started (D > H); after STALE, WATCH ends at i's next
 *     tick (the retry delay).  A tick happens only when the network is quiet (nothing in
 *     flight, no bid or death declaration pending): delivery is much faster than H.  Every
 *     host ticks once per round, in any order.  Faults may happen at any moment; they are
 *     bounded, so every run ends fault-free.
 *   - Faults (each #define enables one, once): -DCRASH: a host crashes (or stops cleanly:
 *     RELEASE first) and may restart with a new incarnation (-DCRASH_OWNER: only a runner
 *     crashes).  -DPULL: a card is pulled (the host fences at once) and may be re-inserted.
 *     -DPARTITION: one host is cut off from the two others and the partition may heal
 *     (-DPART_OWNER: only a runner is cut off; -DISO=h: only host h).  -DFAIL: the group fails
 *     on its owner (R1).  -DSTOPCMD: tendctl stop on some host, then maybe tendctl start.
 *     All hosts boot together (-DBOOTED: start after the hold-off, every peer known).
 *
 * THE PROPERTIES
 *   P1 "never two runners while the network is connected": an assertion at the one place a
 *      host starts running (B2, becoming OWN): no other host is in OWN.  During a partition,
 *      and after it until P3's exchange is complete, it is "at most one runner on each side".
 *   P3 "when a partition heals, the duplicate stops within one heartbeat": after the heal the
 *      ghost flag `split` stays set until, for every pair of up hosts across the former cut,
 *      each has received one heartbeat from the other showing the sender's current state (a
 *      runner's heartbeat counts only if sent since it began running).  When `split` clears,
 *      an assertion checks that at most one host runs; from then on P1 holds again.
 *   P2 "eventually exactly one runner while any host that wants the group is up and
 *      connected": with -DLIVE, the LTL formula p2 (end of file): <>[] (faulty || settled),
 *      faulty: a partition or a pulled card persists; settled: exactly one host runs and some
 *      up, connected host wants the group, or none runs and none wants it.  Faults are
 *      bounded, so p2 says: once faults stop, exactly one runner, for ever.  No fairness is
 *      needed: between two ticks every step is forced, and every host ticks in every round.
 *      A channel never overflows in LIVE mode (asserted: it would be a loss outside LOSSES).
 *
 * B4, AND WHY (the rule is PROTOCOL.md's since the model found the flaw below)
 *   -DB4_BELIEVE: B4 as first written: "RUNNING(owner O) answers: owner := O", whoever sends
 *    it.  SPIN finds P2 violated (pan -a; LIVE with FAIL, CRASH or PULL; run.sh expects it):
 *    after the owner releases the group (or dies, or is fenced), host A hears it and bids;
 *    host B, not yet told, answers RUNNING(old owner) and A believes it; then B hears it and
 *    bids, and A answers RUNNING(old owner) in turn.  The owner's next heartbeat round clears
 *    both (H3), and the same happens again: nobody ever runs the group, with no datagram
 *    lost.  In the model terms run out at MAXT and the acceptance cycle is "no runner, for
 *    ever"; in tend the terms would grow for as long as the schedule repeats.
 *   -DB4_WATCH: the other cure: a RUNNING naming a third host ends the bid and the host
 *    WATCHes until the owner's heartbeat or D (B5).  It also makes P2 hold, but spends more
 *    terms (with FAIL and CRASH, MAXT=5 runs out where tend's rule does not; MAXT=6 passes);
 *    tend keeps the bid instead (the default here), which does not wait D when the named
 *    owner is gone.
 *
 * DEBUGGING: -DTRACE prints every step's state for spin -t (build pan with -DTRACE too);
 * -DDSTEP=atomic makes every statement a step (for spin -t -g).
 */

/* -DTRACE: print the hosts' state after every step (for reading a trail with spin -t) */
#ifdef TRACE
#define SHOW printf("@ %d:%d/%d/%d/%d/%d/%d %d:%d/%d/%d/%d/%d/%d %d:%d/%d/%d/%d/%d/%d iso%d split%d\n", \
	0, st[0], term[0], own[0], prom[0], acks[0], alive[0], 1, st[1], term[1], own[1], prom[1], acks[1], alive[1], \
	2, st[2], term[2], own[2], prom[2], acks[2], alive[2], iso, split)
#else
#define SHOW skip
#endif

#ifdef REORDER
#define CLEAN_R r_m = 0; r_t = 0; r_a = 0; r_i = 0;
#else
#define CLEAN_R
#endif
#define CLEAN m_m = 0; m_t = 0; m_a = 0; m_i = 0; drop = 0; CLEAN_R h = 0

/* each step of a host is one indivisible transition; -DDSTEP=atomic to read a trail with spin -t -g */
#ifndef DSTEP
#define DSTEP d_step
#endif

#ifndef MAXT
#define MAXT 4
#endif
#ifndef LOSSES
#define LOSSES 0
#endif
#ifndef DUPS
#define DUPS 0
#endif
#ifndef CAP
#ifdef LIVE
#define CAP 4
#else
#define CAP 2
#endif
#endif
#ifndef NCRASH
#define NCRASH 1
#endif

#define N 3
#define NONE 3
#define B(j) (1 << (j))
#define P1(i) (((i) + 1) % 3)
#define P2(i) (((i) + 2) % 3)

/* position in the prefer list: host 2 first, the others unlisted (the list's length, 1) */
#ifndef RANK
#define RANK(h) ((h) == 2 -> 0 : 1)
#endif
#define BETTER(b, a) (RANK(b) < RANK(a) || (RANK(b) == RANK(a) && (b) < (a)))

mtype = { HB, BID, ACK, RUNNING, COUNTER, STALE, REL };

/* heartbeat status of the group */
#define S_NONE 0
#define S_OWNER 1
#define S_BIDDING 2
#define S_STOPPED 3

/* machine states */
#define DOWN 0
#define HOLD 1
#define IDLE 2
#define WATCH 3
#define BIDS 4
#define OWN 5
#define FENCED 6

/* channel from f to t: 6 channels, fields: type, term, arg (status / owner / STOPPED flag), incarnation */
#define CH(f, t) ((f) * 2 + ((t) - (f) + 3) % 3 - 1)
chan ch[6] = [CAP] of { mtype, byte, byte, byte };
/* Heartbeats travel apart from the other datagrams, in one of two ways.
 * - By default (safety checks), a host may at any moment receive a peer's heartbeat, and it
 *   shows the peer's current state: a heartbeat is never stale.  A stale heartbeat (sent
 *   before the sender changed and delivered after) can only make a host believe in an owner
 *   that stopped (it then waits, or answers RUNNING), forget an owner that runs (it then bids,
 *   and the owner answers RUNNING), end a bid, or stop a copy: it can delay, not add a runner.
 *   This abstraction keeps the state space small; -DHBSLOT checks the stale case too.
 * - With -DHBSLOT (and in LIVE mode), hbs[CH(f, t)] is the heartbeat from f in flight to t
 *   (0: none), 1 + status + 4 * term + 32 * incarnation.  A newer heartbeat replaces one not
 *   yet delivered (which is then lost), so a heartbeat may overtake, or be overtaken by,
 *   another datagram of the same sender. */
#if defined(LIVE) || defined(HBSLOT)
#define SLOTS
byte hbs[6];
#define HBS_EMPTY(c) (hbs[c] == 0)
#else
#define HBS_EMPTY(c) true
#endif
#define HBCODE(f, s, t) (1 + (s) + 4 * (t) + 32 * INC(f))

byte st[N];      /* machine state */
byte term[N];    /* the highest term seen */
byte own[N];     /* the owner known: a host, or NONE */
byte prom[N];    /* the bidder promised at term[i], or NONE */
byte acks[N];    /* peers that ACKed the current bid */
byte alive[N];   /* peers alive */
byte hstart[N];  /* peers up and reachable ever since the hold-off began */
bit stopped[N];
bit failed[N];
bit up[N];
bit link[N];
byte iso = NONE; /* the host cut off by a partition, or NONE */

#ifdef CRASH
byte inc[N];     /* incarnation: 0, 1, ... (random in tend; a counter is enough here) */
byte kinc[9];    /* [i*3+j]: j's incarnation as i knows it, 255: unknown */
byte seen[9];    /* [i*3+j]: j's older incarnations that i remembers (bit set) */
#define INC(f) inc[f]
#else
#define INC(f) 0
#endif

byte lost, dups; /* budgets used */
byte nfault;     /* faults that happened (for the tests: crash, pull, partition, fail, stop) */

/* ghosts for P1/P3 */
bit split;       /* a partition happened and P3's exchange is not complete */
byte pside = NONE;
byte hb[N];      /* hb[i]: hosts that received a current heartbeat of i since the heal */

/* scratch variables of one step, zero between steps (they are part of the state vector:
 * SPIN's `hidden` would corrupt channel contents when a receive is undone) */
mtype m_m;
byte m_t, m_a, m_i;
bit drop;
byte h; /* the host a fault hits */
#ifdef PART_OWNER
#define PART_GUARD && (st[0] == OWN || st[1] == OWN || st[2] == OWN)
#else
#define PART_GUARD
#endif
#ifdef REORDER
mtype r_m;
byte r_t, r_a, r_i;
#endif

#define CONN(a, b) (link[a] && link[b] && iso != (a) && iso != (b))
#define REACH(i, j) (up[j] && CONN(i, j))
#define REACHSET(i) ((REACH(i, P1(i)) -> B(P1(i)) : 0) | (REACH(i, P2(i)) -> B(P2(i)) : 0))
#define RUN(h) (st[h] == OWN -> 1 : 0)
#define NRUN (RUN(0) + RUN(1) + RUN(2))
/* -DPASSIVE=h: host h does not declare the group (it answers, never bids): fewer states */
#ifdef PASSIVE
#define DECLARED(i) ((i) != PASSIVE)
#else
#define DECLARED(i) true
#endif
#define WANTED(i) (DECLARED(i) && !stopped[i] && !failed[i])
#define CANBID(i) (up[i] && st[i] == IDLE && WANTED(i) && own[i] == NONE && prom[i] == NONE && term[i] < MAXT)
#define CANDEAD(i, j) (up[i] && (alive[i] & B(j)) && !REACH(i, j) && len(ch[CH(j, i)]) == 0 && HBS_EMPTY(CH(j, i)))

/* P1, and during a partition "one runner per side": may host h run alongside host i? */
#define APART(i, h) (split && (pside == (i) || pside == (h)))
#define RUNNERS_OK(i) ((st[P1(i)] != OWN || APART(i, P1(i))) && (st[P2(i)] != OWN || APART(i, P2(i))))

/* ---- sending ---- */

#ifdef LIVE
#define OVERFLOW assert(false)
#else
#define OVERFLOW skip
#endif

inline send(f, t, mt, tt, aa) {
	if
	:: up[t] && CONN(f, t) ->
		if
		:: nfull(ch[CH(f, t)]) -> ch[CH(f, t)]!mt, tt, aa, INC(f)
		:: full(ch[CH(f, t)]) -> OVERFLOW /* lost */
		fi
	:: else -> skip
	fi
}

inline send_hb(f, t, s, tt) {
#ifdef SLOTS
	if
	:: up[t] && CONN(f, t) -> hbs[CH(f, t)] = HBCODE(f, s, tt)
	:: else -> skip
	fi
#else
	skip /* the receivers read the current state */
#endif
}

inline broadcast_hb(f, s, tt) {
	send_hb(f, P1(f), s, tt);
	send_hb(f, P2(f), s, tt)
}

inline broadcast(f, mt, tt, aa) {
	send(f, P1(f), mt, tt, aa);
	send(f, P2(f), mt, tt, aa)
}

inline flush(f, t) {
#ifdef SLOTS
	hbs[CH(f, t)] = 0;
#endif
	do
	:: nempty(ch[CH(f, t)]) -> ch[CH(f, t)]?m_m, m_t, m_a, m_i
	:: empty(ch[CH(f, t)]) -> break
	od
}


/* ---- local state changes ---- */

#ifdef LIVE
/* LIVE: a timer of D (promise, WATCH) started at host i fires at a tick of i only once every
 * other host has ticked since, i.e. sent a heartbeat round: D is longer than H. */
byte dt[N];
#define dstart(i) dt[i] = 0
#define rstart(i) dt[i] = 7
#define D_OVER(i) ((dt[i] | B(i) | ~REACHSET(i)) & 7) == 7
#else
#define dstart(i) skip
#define rstart(i) skip
#endif

/* A higher term than ours: take it; it drops the promise and supersedes STOPPED (R3), and it
 * ends our bid (B7). */
inline raise(i, T) {
	if
	:: T > term[i] ->
		term[i] = T;
		prom[i] = NONE;
		stopped[i] = 0;
		if
		:: st[i] == BIDS -> st[i] = WATCH; acks[i] = 0; dstart(i)
		:: else
		fi
	:: else
	fi
}

inline heartbeat(i) {
	if
	:: st[i] == OWN -> broadcast_hb(i, S_OWNER, term[i])
	:: st[i] == BIDS -> broadcast_hb(i, S_BIDDING, term[i])
	:: st[i] != OWN && st[i] != BIDS && stopped[i] -> broadcast_hb(i, S_STOPPED, term[i])
	:: else -> broadcast_hb(i, S_NONE, 0)
	fi
}

/* B2: final. P1 (and one runner per side during a partition) is checked here, the only
 * place where a host starts running the group. */
inline become_own(i) {
	assert(RUNNERS_OK(i));
	st[i] = OWN;
	own[i] = i;
	acks[i] = 0;
	prom[i] = NONE;
	hb[i] = 0;
	broadcast_hb(i, S_OWNER, term[i])
}

inline check_final(i) {
	if
	:: st[i] == BIDS && (alive[i] & ~acks[i]) == 0 -> become_own(i)
	:: else
	fi
}

/* B1 */
inline bid(i) {
	term[i]++;
	st[i] = BIDS;
	acks[i] = 0;
	broadcast(i, BID, term[i], 0);
	check_final(i)
}

/* the owner becomes unknown; a host watching for one may bid at once */
inline no_owner(i) {
	own[i] = NONE;
	if
	:: st[i] == WATCH -> st[i] = IDLE
	:: else
	fi
}

/* M2: i declares j dead */
inline dead(i, j) {
	alive[i] = alive[i] & ~B(j);
	if
	:: own[i] == j -> no_owner(i)
	:: else
	fi;
	if
	:: prom[i] == j -> prom[i] = NONE
	:: else
	fi;
	acks[i] = acks[i] & ~B(j);
	check_final(i)
}

/* j has a new incarnation: forget everything known about the old one */
inline forget(i, j) {
	if
	:: own[i] == j -> no_owner(i)
	:: else
	fi;
	if
	:: prom[i] == j -> prom[i] = NONE
	:: else
	fi;
	acks[i] = acks[i] & ~B(j)
}

inline holdoff(i) {
	st[i] = HOLD;
	hstart[i] = REACHSET(i)
}

/* after any change of who reaches whom: a hold-off waits only for peers reachable throughout */
inline narrow() {
	hstart[0] = hstart[0] & REACHSET(0);
	hstart[1] = hstart[1] & REACHSET(1);
	hstart[2] = hstart[2] & REACHSET(2)
}

/* ---- P3 ---- */

#define HB_CURRENT(j) (st[j] != OWN || (m_a == S_OWNER && m_t == term[j]))
#define PAIR_DONE(a, b) (!up[a] || !up[b] || !CONN(a, b) || ((hb[a] & B(b)) && (hb[b] & B(a))))
#define EXCHANGED (PAIR_DONE(pside, P1(pside)) && PAIR_DONE(pside, P2(pside)))

inline p3check() {
	if
	:: split && iso == NONE && EXCHANGED ->
		assert(NRUN <= 1);
		split = 0;
		pside = NONE;
		hb[0] = 0;
		hb[1] = 0;
		hb[2] = 0
	:: else
	fi
}

/* ---- receiving: i handles m_m, m_t, m_a from j ---- */

inline on_hb(i, j) {
	if
	:: split && iso == NONE && HB_CURRENT(j) -> hb[j] = hb[j] | B(i)
	:: else
	fi;
	if
	:: m_a == S_OWNER && m_t >= term[i] -> /* H1 */
		if
		:: st[i] == OWN && m_t == term[i] && i < j -> skip /* a duplicate; ours wins: j stops */
		:: else ->
			if
			:: st[i] == OWN -> st[i] = IDLE /* a duplicate; ours loses */
			:: else
			fi;
			raise(i, m_t);
			own[i] = j;
			if
			:: prom[i] == j -> prom[i] = NONE
			:: else
			fi;
			if
			:: st[i] == BIDS || st[i] == WATCH -> st[i] = IDLE; acks[i] = 0
			:: else
			fi
		fi
	:: m_a == S_STOPPED && m_t >= term[i] -> /* H2 */
		raise(i, m_t);
		stopped[i] = 1;
		own[i] = NONE;
		if
		:: st[i] == OWN || st[i] == BIDS || st[i] == WATCH -> st[i] = IDLE; acks[i] = 0
		:: else
		fi
	:: m_a == S_BIDDING && st[i] == BIDS && m_t > term[i] -> raise(i, m_t) /* B7 */
	:: else
	fi;
	if
	:: own[i] == j && m_a != S_OWNER -> no_owner(i) /* H3 */
	:: else
	fi;
	p3check()
}

inline on_bid(i, j) {
	if
	:: own[i] != NONE && own[i] != j && (own[i] == i || (alive[i] & B(own[i]))) ->
		send(i, j, RUNNING, term[i], own[i]) /* A1 */
	:: else ->
		if
		:: m_t < term[i] || (m_t == term[i] && prom[i] != NONE && prom[i] != j) ->
			send(i, j, STALE, term[i], 0) /* A2 */
		:: else ->
			if
			:: st[i] == BIDS && m_t == term[i] && BETTER(i, j) ->
				send(i, j, COUNTER, m_t, 0) /* A3, we are better */
			:: else ->
				if
				:: st[i] == BIDS -> st[i] = WATCH; acks[i] = 0 /* A3: abandon */
				:: else
				fi;
				raise(i, m_t); /* A4 */
				prom[i] = j;
				dstart(i);
				send(i, j, ACK, m_t, 0)
			fi
		fi
	fi
}

inline on_answer(i, j) {
	if
	:: st[i] == BIDS ->
		if
		:: m_m == ACK && m_t == term[i] -> acks[i] = acks[i] | B(j); check_final(i) /* B2 */
		:: m_m == COUNTER && m_t == term[i] -> st[i] = WATCH; acks[i] = 0; dstart(i) /* B5 */
		:: m_m == RUNNING -> /* B4 */
#if defined(B4_BELIEVE)
			/* B4 as first written: whoever says so, O is the owner */
			raise(i, m_t);
			st[i] = IDLE;
			acks[i] = 0;
			own[i] = m_a
#else
			/* only the owner's own word makes it the owner */
			if
			:: m_a == j -> raise(i, m_t); st[i] = IDLE; acks[i] = 0; own[i] = m_a
#ifdef B4_WATCH
			:: else -> raise(i, m_t); st[i] = WATCH; acks[i] = 0; dstart(i) /* end the bid; B5's wait */
#else
			:: else -> skip /* not an ACK, and nothing else: the bid goes on (B3) */
#endif
			fi
#endif
		:: m_m == STALE -> /* B6: bid again (B1) after the retry delay */
			raise(i, m_t);
			st[i] = WATCH; /* until the retry delay passes: the next tick in LIVE */
			acks[i] = 0;
			rstart(i)
		:: else /* an answer to an older term */
		fi
	:: else /* no bid: a late answer */
	fi
}

inline on_rel(i, j) {
	if
	:: m_a -> /* R2: stopped cluster-wide */
		if
		:: m_t > term[i] ->
			raise(i, m_t);
			stopped[i] = 1;
			own[i] = NONE;
			if
			:: st[i] == OWN || st[i] == BIDS || st[i] == WATCH -> st[i] = IDLE; acks[i] = 0
			:: else
			fi
		:: else
		fi
	:: else -> /* R1: the owner released it */
		raise(i, m_t); /* B7 */
		if
		:: own[i] == j -> no_owner(i)
		:: else
		fi
	fi
}

inline handle(i, j) {
#ifdef TRACE
	printf("  %d <- %d: %e term %d arg %d\n", i, j, m_m, m_t, m_a);
#endif
	drop = 0;
#ifdef CRASH
	if
	:: kinc[i * 3 + j] == 255 -> kinc[i * 3 + j] = m_i
	:: kinc[i * 3 + j] == m_i -> skip
	:: else ->
		if
		:: seen[i * 3 + j] & B(m_i) -> drop = 1 /* an older boot's datagram */
		:: else -> /* j rebooted */
			seen[i * 3 + j] = seen[i * 3 + j] | B(kinc[i * 3 + j]);
			kinc[i * 3 + j] = m_i;
			forget(i, j)
		fi
	fi;
#endif
	if
	:: drop -> skip
	:: else ->
		alive[i] = alive[i] | B(j); /* M2 */
		if
		:: m_m == HB -> on_hb(i, j)
		:: m_m == BID -> on_bid(i, j)
		:: m_m == REL -> on_rel(i, j)
		:: else -> on_answer(i, j)
		fi
	fi
}

/* i received m_m, m_t, m_a, m_i from j: handled unless the link went meanwhile */
inline deliver(i, j) {
	if
	:: CONN(i, j) -> handle(i, j)
	:: else
	fi
}

#ifdef SLOTS
inline hb_fields(i, j) {
	m_m = HB;
	m_a = (hbs[CH(j, i)] - 1) % 4;
	m_t = ((hbs[CH(j, i)] - 1) / 4) % 8;
	m_i = (hbs[CH(j, i)] - 1) / 32
}
#else
/* j's heartbeat as it would send it now */
inline hb_fresh(i, j) {
	m_m = HB;
	m_i = INC(j);
	if
	:: st[j] == OWN -> m_a = S_OWNER; m_t = term[j]
	:: st[j] == BIDS -> m_a = S_BIDDING; m_t = term[j]
	:: st[j] != OWN && st[j] != BIDS && stopped[j] -> m_a = S_STOPPED; m_t = term[j]
	:: else -> m_a = S_NONE; m_t = 0
	fi
}
#endif


/* ---- timers ---- */


inline end_holdoff(i) {
	st[i] = IDLE;
	hstart[i] = 0
}

#define HOLD_OVER(i) (st[i] == HOLD && (hstart[i] & ~alive[i]) == 0)

#ifdef LIVE
/* the network is quiet: nothing in flight, no bid or death declaration pending */
#define QUIET (empty(ch[0]) && empty(ch[1]) && empty(ch[2]) && empty(ch[3]) && empty(ch[4]) && empty(ch[5]) \
	&& hbs[0] == 0 && hbs[1] == 0 && hbs[2] == 0 && hbs[3] == 0 && hbs[4] == 0 && hbs[5] == 0 \
	&& !CANBID(0) && !CANBID(1) && !CANBID(2) \
	&& !CANDEAD(0, 1) && !CANDEAD(0, 2) && !CANDEAD(1, 0) && !CANDEAD(1, 2) && !CANDEAD(2, 0) && !CANDEAD(2, 1))

inline tick1(i) {
	if
	:: up[i] && link[i] ->
		if
		:: HOLD_OVER(i) -> end_holdoff(i)
		:: else
		fi;
		if
		:: D_OVER(i) ->
			prom[i] = NONE;
			if
			:: st[i] == WATCH -> st[i] = IDLE
			:: else
			fi
		:: else
		fi;
		if
		:: st[i] == BIDS -> broadcast(i, BID, term[i], 0)
		:: else
		fi;
		heartbeat(i)
	:: else
	fi
}

/* a round: every host's timers fire once, in any order, each once the network is quiet */
byte ticked;

inline tick(i) {
	tick1(i);
	dt[0] = dt[0] | B(i);
	dt[1] = dt[1] | B(i);
	dt[2] = dt[2] | B(i);
	ticked = ticked | B(i);
	if
	:: ticked == 7 -> ticked = 0
	:: else
	fi
}

proctype clock() {
	do
	:: DSTEP { QUIET && !(ticked & 1) -> tick(0); CLEAN; SHOW }
	:: DSTEP { QUIET && !(ticked & 2) -> tick(1); CLEAN; SHOW }
	:: DSTEP { QUIET && !(ticked & 4) -> tick(2); CLEAN; SHOW }
	od
}
#endif

/* Receiving from j: delivered, or lost (LOSSES), or delivered and left in place to be
 * delivered again later (DUPS); with REORDER, the second datagram in the channel may be
 * delivered before the first. */
#if LOSSES > 0 && defined(SLOTS)
#define LOSE_HB(i, j) :: DSTEP { hbs[CH(j, i)] != 0 && lost < LOSSES -> hbs[CH(j, i)] = 0; lost++; CLEAN; SHOW }
#else
#define LOSE_HB(i, j)
#endif
#if DUPS > 0 && defined(SLOTS)
#define DUP_HB(i, j) :: DSTEP { up[i] && hbs[CH(j, i)] != 0 && dups < DUPS -> hb_fields(i, j); dups++; deliver(i, j); CLEAN; SHOW }
#else
#define DUP_HB(i, j)
#endif
#if LOSSES > 0
#define LOSE(c) :: DSTEP { nempty(c) && lost < LOSSES -> c?m_m, m_t, m_a, m_i; lost++; CLEAN; SHOW }
#else
#define LOSE(c)
#endif
#if DUPS > 0
#define DUP(i, j, c) :: DSTEP { up[i] && nempty(c) && dups < DUPS -> c?<m_m, m_t, m_a, m_i>; dups++; deliver(i, j); CLEAN; SHOW }
#else
#define DUP(i, j, c)
#endif
#ifdef REORDER
#define SECOND(i, j, c) :: DSTEP { up[i] && len(c) >= 2 -> c?r_m, r_t, r_a, r_i; c?m_m, m_t, m_a, m_i; \
	c!r_m, r_t, r_a, r_i; deliver(i, j); CLEAN; SHOW }
#else
#define SECOND(i, j, c)
#endif

#ifdef SLOTS
#define RECEIVE_HB(i, j) :: DSTEP { up[i] && hbs[CH(j, i)] != 0 -> hb_fields(i, j); hbs[CH(j, i)] = 0; deliver(i, j); CLEAN; SHOW }
#else
#define RECEIVE_HB(i, j) :: DSTEP { up[i] && up[j] && CONN(i, j) -> hb_fresh(i, j); handle(i, j); CLEAN; SHOW }
#endif

#define RECEIVE(i, j) \
	:: DSTEP { up[i] && nempty(ch[CH(j, i)]) -> ch[CH(j, i)]?m_m, m_t, m_a, m_i; deliver(i, j); CLEAN; SHOW } \
	RECEIVE_HB(i, j) \
	LOSE(ch[CH(j, i)]) LOSE_HB(i, j) DUP(i, j, ch[CH(j, i)]) DUP_HB(i, j) SECOND(i, j, ch[CH(j, i)])

proctype host(byte i) {
	byte j1 = P1(i), j2 = P2(i); /* the peers (constant) */
	do
	RECEIVE(i, j1)
	RECEIVE(i, j2)
	:: DSTEP { CANBID(i) -> bid(i); CLEAN; SHOW } /* B1 */
	:: DSTEP { CANDEAD(i, j1) -> dead(i, j1); CLEAN; SHOW } /* M2 */
	:: DSTEP { CANDEAD(i, j2) -> dead(i, j2); CLEAN; SHOW }
#ifndef LIVE
#ifdef SLOTS
	:: DSTEP { up[i] && link[i] -> heartbeat(i); CLEAN; SHOW } /* M1 */
#endif
	:: DSTEP { up[i] && st[i] == BIDS && empty(ch[CH(i, j1)]) && empty(ch[CH(i, j2)]) && empty(ch[CH(j1, i)]) && empty(ch[CH(j2, i)]) ->
		broadcast(i, BID, term[i], 0); CLEAN; SHOW } /* B3 */
	:: DSTEP { up[i] && prom[i] != NONE -> prom[i] = NONE; CLEAN; SHOW } /* the promise's D passes */
	:: DSTEP { up[i] && st[i] == WATCH -> st[i] = IDLE; CLEAN; SHOW } /* B5's D passes */
	:: DSTEP { up[i] && HOLD_OVER(i) -> end_holdoff(i); CLEAN; SHOW }
#endif
	od
}

/* ---- faults ---- */

#ifdef CRASH
inline crash(i) {
	/* a clean stop of tend releases the group first (R1); a crash does not */
	if
	:: st[i] == OWN -> broadcast(i, REL, term[i], 0)
	:: true
	fi;
	up[i] = 0;
	st[i] = DOWN;
	term[i] = 0;
	own[i] = NONE;
	prom[i] = NONE;
	acks[i] = 0;
	alive[i] = 0;
	hstart[i] = 0;
	stopped[i] = 0;
	failed[i] = 0;
	kinc[i * 3 + P1(i)] = 255;
	kinc[i * 3 + P2(i)] = 255;
	seen[i * 3 + P1(i)] = 0;
	seen[i * 3 + P2(i)] = 0;
	flush(P1(i), i);
	flush(P2(i), i);
	narrow()
}

inline restart(i) {
	up[i] = 1;
	inc[i]++;
	holdoff(i)
}
#endif

#ifdef PULL
/* M4: the own link goes: fence */
inline pull(i) {
	link[i] = 0;
	st[i] = FENCED; /* a copy running here stops, without release */
	own[i] = NONE;
	prom[i] = NONE;
	acks[i] = 0;
	alive[i] = 0;
	hstart[i] = 0;
#ifdef CRASH
	kinc[i * 3 + P1(i)] = 255;
	kinc[i * 3 + P2(i)] = 255;
	seen[i * 3 + P1(i)] = 0;
	seen[i * 3 + P2(i)] = 0;
#endif
	flush(P1(i), i);
	flush(P2(i), i);
	flush(i, P1(i));
	flush(i, P2(i));
	narrow()
}
#endif

#ifdef PARTITION
inline partition(i) {
	iso = i;
	split = 1;
	pside = i;
	flush(P1(i), i);
	flush(P2(i), i);
	flush(i, P1(i));
	flush(i, P2(i));
	narrow()
}
#endif

#ifdef STOPCMD
/* R2: tendctl stop on host i */
inline stopcmd(i) {
	term[i]++;
	prom[i] = NONE;
	stopped[i] = 1;
	own[i] = NONE;
	if
	:: st[i] == OWN || st[i] == BIDS || st[i] == WATCH -> st[i] = IDLE; acks[i] = 0
	:: else
	fi;
	broadcast(i, REL, term[i], 1)
}
#endif


/* -DCRASH_OWNER: only a host that runs the group crashes (the failover case; fewer states) */
#ifdef CRASH_OWNER
#define CANCRASH(k) (up[k] && link[k] && st[k] == OWN)
#else
#define CANCRASH(k) (up[k] && link[k])
#endif
#define CANSTOP(k) (up[k] && link[k] && term[k] < MAXT)
#define CANSTART(k) (up[k] && (stopped[k] || failed[k]))

proctype env() {
#ifdef CRASH
	byte ncrash = 0;
#endif
	bit pulled = 0, parted = 0, failures = 0, stopdone = 0, startdone = 0;
	do
#ifdef CRASH
	:: atomic { ncrash < NCRASH && (CANCRASH(0) || CANCRASH(1) || CANCRASH(2)) ->
		if
		:: CANCRASH(0) -> h = 0
		:: CANCRASH(1) -> h = 1
		:: CANCRASH(2) -> h = 2
		fi;
		ncrash++;
		nfault++;
		crash(h);
		p3check(); CLEAN; SHOW }
	:: atomic { !up[0] || !up[1] || !up[2] ->
		if
		:: !up[0] -> h = 0
		:: !up[1] -> h = 1
		:: !up[2] -> h = 2
		fi;
		restart(h); CLEAN; SHOW }
#endif
#ifdef PULL
	:: atomic { !pulled && up[0] && up[1] && up[2] ->
		if
		:: h = 0
		:: h = 1
		:: h = 2
		fi;
		pulled = 1;
		nfault++;
		pull(h);
		p3check(); CLEAN; SHOW }
	:: atomic { !link[0] || !link[1] || !link[2] ->
		if
		:: !link[0] -> h = 0
		:: !link[1] -> h = 1
		:: !link[2] -> h = 2
		fi;
		link[h] = 1;
		holdoff(h); CLEAN; SHOW }
#endif
#ifdef PARTITION
	:: atomic { !parted PART_GUARD ->
#if defined(ISO)
		h = ISO; /* -DISO=h: only host h is ever cut off (fewer states) */
#elif defined(PART_OWNER)
		/* -DPART_OWNER: the partition cuts off a host that runs the group (fewer states) */
		if
		:: st[0] == OWN -> h = 0
		:: st[1] == OWN -> h = 1
		:: st[2] == OWN -> h = 2
		fi;
#else
		if
		:: h = 0
		:: h = 1
		:: h = 2
		fi;
#endif
		parted = 1;
		nfault++;
		partition(h); CLEAN; SHOW }
	:: atomic { iso != NONE -> iso = NONE; hb[0] = 0; hb[1] = 0; hb[2] = 0; narrow(); p3check(); CLEAN; SHOW }
#endif
#ifdef FAIL
	/* R1: the group fails on its owner: failed_here, release */
	:: atomic { !failures && NRUN > 0 ->
		if
		:: st[0] == OWN -> h = 0
		:: st[1] == OWN -> h = 1
		:: st[2] == OWN -> h = 2
		fi;
		failures = 1;
		nfault++;
		st[h] = IDLE;
		own[h] = NONE;
		failed[h] = 1;
		broadcast(h, REL, term[h], 0); CLEAN; SHOW }
#endif
#ifdef STOPCMD
	:: atomic { !stopdone && (CANSTOP(0) || CANSTOP(1) || CANSTOP(2)) ->
		if
		:: CANSTOP(0) -> h = 0
		:: CANSTOP(1) -> h = 1
		:: CANSTOP(2) -> h = 2
		fi;
		stopdone = 1;
		nfault++;
		stopcmd(h); CLEAN; SHOW }
	/* R3: tendctl start on host h: clears stopped and failed_here; B1 follows */
	:: atomic { stopdone && !startdone && (CANSTART(0) || CANSTART(1) || CANSTART(2)) ->
		if
		:: CANSTART(0) -> h = 0
		:: CANSTART(1) -> h = 1
		:: CANSTART(2) -> h = 2
		fi;
		startdone = 1;
		stopped[h] = 0;
		failed[h] = 0; CLEAN; SHOW }
#endif
	:: false
	od
}

init {
	byte k;
	atomic {
		for (k : 0 .. 2) {
			up[k] = 1;
			link[k] = 1;
			own[k] = NONE;
			prom[k] = NONE;
#ifdef BOOTED
			st[k] = IDLE; /* the hold-off is over: every peer was heard */
			alive[k] = B(P1(k)) | B(P2(k))
#else
			st[k] = HOLD;
			hstart[k] = B(P1(k)) | B(P2(k))
#endif
		}
#ifdef CRASH
		for (k : 0 .. 8) {
			kinc[k] = 255
		}
#endif
		k = 0;
		run host(0);
		run host(1);
		run host(2);
#ifdef LIVE
		run clock();
#endif
		run env()
	}
}

#ifdef LIVE
#define FAULTY (iso != NONE || !link[0] || !link[1] || !link[2])
#define WANTS(h) (up[h] && link[h] && WANTED(h))
#define R(h) (st[h] == OWN)
#define ONE ((R(0) && !R(1) && !R(2)) || (!R(0) && R(1) && !R(2)) || (!R(0) && !R(1) && R(2)))
#define NONE_RUN (!R(0) && !R(1) && !R(2))
#define SOME_WANT (WANTS(0) || WANTS(1) || WANTS(2))
#define SETTLED ((SOME_WANT && ONE) || (!SOME_WANT && NONE_RUN))
ltl p2 { <>[] (FAULTY || SETTLED) }
#endif

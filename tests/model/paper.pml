/*
 * paper.pml: the negotiation of the Task Manager paper (A. McRae, "A Linux Task Manager",
 * "Process Management": negotiable groups), WITHOUT tend's changes, for one negotiable group on
 * three hosts.  tests/model/run.sh checks that SPIN finds two runners here, and which of tend's
 * changes (PROTOCOL.md, "Deviations from the paper") removes which counterexample.
 *
 * WHAT IS MODELLED (the paper's words in quotes)
 *   - A host that wants the group and knows no host running it "decides that [the] group needs
 *     to be activated".  If "there are no other TMs that it has detected, it will immediately
 *     start the group"; otherwise "it will broadcast a message bidding for the group".
 *   - The answers: "acknowledgement"; "already running on the other host" (RUNNING: the bidder
 *     marks the group as belonging to that host and stops negotiating); "a bid for that group":
 *     of two bidders "the lowest [ID] wins the bid.  If this host is the winner, it will send
 *     another bid message to the remote host.  If this host is not the winner, it will send a
 *     message acquiescing" (an ACK; the loser then waits, WATCH, and may try again later);
 *     "silence" (a lost datagram).
 *   - "To finalise the bid process, the TM must receive a positive acknowledgement from every
 *     available TM.  If an acknowledgement is not received from every TM, then another bid is
 *     sent, and the negotiation restarted.  If then a positive acknowledgement is still not
 *     received from every TM, the group is started anyway."
 *   - Membership: hosts detect each other through heartbeats, which also say whether the sender
 *     runs the group ("once it sees the group has stopped running" another TM may bid).  As in
 *     tend.pml, a host may at any moment receive a peer's heartbeat showing its current state.
 *     All three hosts boot at the same moment, having detected nobody.
 *   The network: one FIFO channel per ordered pair; LOSSES datagrams may be lost, DUPS datagrams
 *   delivered twice (the copy is delivered again later).  Timers (the end of a bid round, the
 *   end of WATCH) fire at any moment.  Nobody crashes and the network stays connected, so every
 *   run is one where the paper promises a single runner.
 *
 * THE PROPERTY
 *   P1 "never two runners": asserted where a host starts the group.  (The hosts that start it
 *   never stop it: the paper has no rule for a duplicate.)
 *
 * TEND'S CHANGES, one #define each (tend.pml has them all):
 *   -DFIX_HOLDOFF  hold-off after start: listen until every peer was heard before acting, so
 *                  "no TM detected" means alone, not "booted first".
 *   -DFIX_SILENCE  silence is not consent: a bid is retried until every alive peer has
 *                  acknowledged; it is never "started anyway" (only a dead peer is not waited
 *                  for, and nobody dies here).
 *   -DFIX_TERMS    terms: every bid has a new term, an answer names the term it answers, and an
 *                  acknowledgement counts only for that term (a late or duplicated
 *                  acknowledgement of an earlier bid does not count for a new one).
 *   Expected (run.sh): no fix: two runners at boot; FIX_HOLDOFF: two runners when two datagrams
 *   are lost; FIX_HOLDOFF + FIX_SILENCE: two runners when an old acknowledgement is delivered
 *   twice; all three: never two runners (in these bounds).
 */

#ifndef LOSSES
#define LOSSES 0
#endif
#ifndef DUPS
#define DUPS 0
#endif
#ifndef CAP
#define CAP 2
#endif
#ifndef MAXT
#define MAXT 4 /* bids per host (the state space must stay finite) */
#endif

#define N 3
#define NONE 3
#define B(j) (1 << (j))
#define P1(i) (((i) + 1) % 3)
#define P2(i) (((i) + 2) % 3)
#define CH(f, t) ((f) * 2 + ((t) - (f) + 3) % 3 - 1)

mtype = { BID, ACK, RUNNING };
/* why a host started the group (printed, for reading a counterexample with spin -t) */
mtype = { ALONE, PARTIAL, ACKED, STALE_ACK, ANYWAY };

#define HOLD 1
#define IDLE 2
#define WATCH 3
#define BIDS 4
#define OWN 5

/* type, term (0 without FIX_TERMS), and a ghost: the bid number of the bid it answers */
chan ch[6] = [CAP] of { mtype, byte, byte };

byte st[N];    /* HOLD, IDLE, WATCH, BIDS, OWN */
byte own[N];   /* the host known to run the group, or NONE */
byte acks[N];  /* peers that acknowledged this bid round */
byte alive[N]; /* peers detected */
byte rnd[N];   /* the bid's round: 1, 2 */
byte bids[N];  /* bids made (bounded by MAXT) */
bit oldack[N]; /* ghost: an acknowledgement of an older bid was counted for this one */
#ifdef FIX_TERMS
byte term[N];
#define TERM(i) term[i]
#else
#define TERM(i) 0
#endif
byte lost, dups;
mtype m_m; /* scratch, zero between steps */
byte m_t, m_g;

#define CLEAN m_m = 0; m_t = 0; m_g = 0
#define RUNNERS_OK(i) (st[P1(i)] != OWN && st[P2(i)] != OWN)

inline send(f, t, mt, tt, gg) {
	if
	:: nfull(ch[CH(f, t)]) -> ch[CH(f, t)]!mt, tt, gg
	:: full(ch[CH(f, t)]) -> skip /* lost */
	fi
}

inline start(i, why) {
	printf("start: host %d: %e\n", i, why);
	assert(RUNNERS_OK(i)); /* P1 */
	st[i] = OWN;
	own[i] = i;
	acks[i] = 0;
	rnd[i] = 0
}

inline check_final(i) {
	if
	:: st[i] == BIDS && (alive[i] & ~acks[i]) == 0 ->
		if
		:: oldack[i] -> start(i, STALE_ACK) /* an acknowledgement of an older bid counted */
		:: !oldack[i] && alive[i] != (B(P1(i)) | B(P2(i))) -> start(i, PARTIAL) /* a peer not yet detected */
		:: else -> start(i, ACKED)
		fi
	:: else
	fi
}

inline bid(i) {
	bids[i]++;
#ifdef FIX_TERMS
	term[i]++;
#endif
	acks[i] = 0;
	oldack[i] = 0;
	send(i, P1(i), BID, TERM(i), bids[i]);
	send(i, P2(i), BID, TERM(i), bids[i])
}

/* the group needs activating here */
inline activate(i) {
	if
	:: alive[i] == 0 -> start(i, ALONE) /* "no other TMs that it has detected" */
	:: else -> st[i] = BIDS; rnd[i] = 1; bid(i)
	fi
}

/* -DPASSIVE=h: host h never wants the group itself (it answers): fewer states */
#ifdef PASSIVE
#define WANTS(i) ((i) != PASSIVE)
#else
#define WANTS(i) true
#endif
#define CAN_ACTIVATE(i) (st[i] == IDLE && own[i] == NONE && bids[i] < MAXT && WANTS(i))

/* heartbeat of j, as j would send it now */
inline on_hb(i, j) {
	alive[i] = alive[i] | B(j);
	if
	:: st[j] == OWN -> own[i] = j; /* the group belongs to j */
		if
		:: st[i] == BIDS || st[i] == WATCH -> st[i] = IDLE; acks[i] = 0; rnd[i] = 0
		:: else
		fi
	:: st[j] != OWN && own[i] == j -> own[i] = NONE
	:: else
	fi
}

inline on_msg(i, j) {
	alive[i] = alive[i] | B(j);
	if
	:: m_m == BID ->
		if
		:: st[i] == OWN -> send(i, j, RUNNING, m_t, m_g)
		:: st[i] == BIDS && i < j -> send(i, j, BID, TERM(i), bids[i]) /* we win: bid again to it */
		:: else -> /* acknowledge; a losing bidder acquiesces */
			if
			:: st[i] == BIDS -> st[i] = WATCH; acks[i] = 0; rnd[i] = 0
			:: else
			fi;
			send(i, j, ACK, m_t, m_g)
		fi
	:: m_m == ACK && st[i] == BIDS && m_t == TERM(i) ->
		acks[i] = acks[i] | B(j);
		oldack[i] = oldack[i] || m_g != bids[i];
		check_final(i)
	:: m_m == RUNNING && st[i] == BIDS -> own[i] = j; st[i] = IDLE; acks[i] = 0; rnd[i] = 0
	:: else
	fi
}

#if LOSSES > 0
#define LOSE(i, j) :: d_step { nempty(ch[CH(j, i)]) && lost < LOSSES -> ch[CH(j, i)]?m_m, m_t, m_g; lost++; CLEAN }
#else
#define LOSE(i, j)
#endif
#if DUPS > 0
#define DUP(i, j) :: d_step { nempty(ch[CH(j, i)]) && dups < DUPS -> ch[CH(j, i)]?<m_m, m_t, m_g>; dups++; on_msg(i, j); CLEAN }
#else
#define DUP(i, j)
#endif

#ifdef FIX_HOLDOFF
#define HOLD_OVER(i) (st[i] == HOLD && alive[i] == (B(P1(i)) | B(P2(i))))
#else
#define HOLD_OVER(i) (st[i] == HOLD)
#endif

proctype host(byte i) {
	byte j1 = P1(i), j2 = P2(i);
	do
	:: d_step { nempty(ch[CH(j1, i)]) -> ch[CH(j1, i)]?m_m, m_t, m_g; on_msg(i, j1); CLEAN }
	:: d_step { nempty(ch[CH(j2, i)]) -> ch[CH(j2, i)]?m_m, m_t, m_g; on_msg(i, j2); CLEAN }
	LOSE(i, j1) LOSE(i, j2) DUP(i, j1) DUP(i, j2)
	:: d_step { true -> on_hb(i, j1) }
	:: d_step { true -> on_hb(i, j2) }
	:: d_step { HOLD_OVER(i) -> st[i] = IDLE }
	:: d_step { CAN_ACTIVATE(i) -> activate(i) }
	/* the round's timer: no acknowledgement from every TM */
	:: d_step { st[i] == BIDS && rnd[i] == 1 && bids[i] < MAXT -> rnd[i] = 2; bid(i) }
#ifdef FIX_SILENCE
	:: d_step { st[i] == BIDS && rnd[i] == 2 && bids[i] < MAXT -> bid(i) } /* retry, never start anyway */
#else
	:: d_step { st[i] == BIDS && rnd[i] == 2 -> start(i, ANYWAY) } /* "started anyway" */
#endif
	:: d_step { st[i] == WATCH -> st[i] = IDLE } /* the acquiescing host waits, then may try again */
	od
}

init {
	atomic {
		st[0] = HOLD;
		st[1] = HOLD;
		st[2] = HOLD;
		own[0] = NONE;
		own[1] = NONE;
		own[2] = NONE;
		run host(0);
		run host(1);
		run host(2)
	}
}

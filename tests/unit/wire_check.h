/* For test_wire and fuzz_wire: a decoded message written again with the
 * writer, and two decoded messages compared field by field (their services
 * walked side by side). No cmocka here: the fuzz target includes it too. */
#ifndef TEND_TEST_WIRE_CHECK_H
#define TEND_TEST_WIRE_CHECK_H

#include <stdbool.h>
#include <string.h>

#include "cluster/wire.h"

static inline int wire_reencode_service(struct wire_writer *w, struct wire_service *s)
{
	char *ctx[SERVICE_CONTEXT_MAX + 1];
	struct wire_service_in in = { .name = s->name,
				      .host = s->host,
				      .path = s->path,
				      .context = wire_service_context(s, ctx),
				      .port = s->port,
				      .proto = s->proto,
				      .group = s->group,
				      .process = s->process,
				      .mobile = s->mobile };
	return wire_put_service(w, &in);
}

/* The fields of m's type, in one fixed order. 0, or what a put returned. */
static inline int wire_reencode_fields(const struct wire_msg *m, struct wire_writer *w)
{
	struct wire_service s;
	size_t cursor = 0;
	int rc = 0;

	for (unsigned i = 0; i < m->ngroups && !rc; i++)
		rc = wire_put_group(w, m->groups[i].name, m->groups[i].term,
				    (enum wire_group_status)m->groups[i].status);
	if (!rc && (m->type == WIRE_HEARTBEAT || m->type == WIRE_SERVICES))
		rc = wire_put_round(w, m->round, m->part, m->parts);
	if (!rc && (m->type == WIRE_HEARTBEAT || m->type == WIRE_SERVICES))
		rc = wire_put_digest(w, m->digest, m->locations);
	if (!rc && m->type == WIRE_BID)
		rc = wire_put_rank(w, m->rank);
	if (!rc && m->type == WIRE_ANSWER)
		rc = wire_put_answer(w, m->answer);
	if (!rc && (m->type == WIRE_ANSWER || m->type == WIRE_PULL))
		rc = wire_put_target(w, m->target);
	if (!rc && m->type == WIRE_ANSWER && m->answer == WA_RUNNING)
		rc = wire_put_owner(w, m->owner);
	if (!rc && m->stopped)
		rc = wire_put_stopped(w);
	while (!rc && wire_next_service(m, &cursor, &s))
		rc = wire_reencode_service(w, &s);
	return rc;
}

/* m written again; 0, or what a put returned. */
static inline int wire_reencode(const struct wire_msg *m, const struct wire_keys *keys,
				struct wire_writer *w)
{
	int rc;

	wire_begin(w, m->type, m->sender, m->incarnation, m->seq);
	rc = wire_reencode_fields(m, w);
	if (!rc)
		wire_finish(w, keys);
	return rc;
}

static inline bool wire_service_same(struct wire_service *a, struct wire_service *b)
{
	char *ca[SERVICE_CONTEXT_MAX + 1], *cb[SERVICE_CONTEXT_MAX + 1];

	if (strcmp(a->name, b->name) || strcmp(a->host, b->host) || strcmp(a->path, b->path) ||
	    a->port != b->port || a->proto != b->proto || a->ncontext != b->ncontext ||
	    strcmp(a->group, b->group) || strcmp(a->process, b->process) ||
	    a->mobile != b->mobile)
		return false;
	wire_service_context(a, ca);
	wire_service_context(b, cb);
	for (unsigned i = 0; i < a->ncontext; i++)
		if (strcmp(ca[i], cb[i]))
			return false;
	return true;
}

static inline bool wire_services_same(const struct wire_msg *a, const struct wire_msg *b)
{
	struct wire_service sa, sb;
	size_t ia = 0, ib = 0;
	bool more_a, more_b;

	do {
		more_a = wire_next_service(a, &ia, &sa);
		more_b = wire_next_service(b, &ib, &sb);
		if (more_a != more_b || (more_a && !wire_service_same(&sa, &sb)))
			return false;
	} while (more_a);
	return true;
}

static inline bool wire_groups_same(const struct wire_msg *a, const struct wire_msg *b)
{
	if (a->ngroups != b->ngroups)
		return false;
	for (unsigned i = 0; i < a->ngroups; i++)
		if (a->groups[i].term != b->groups[i].term ||
		    a->groups[i].status != b->groups[i].status ||
		    strcmp(a->groups[i].name, b->groups[i].name))
			return false;
	return true;
}

/* Every field a caller reads (not where the body lies). */
static inline bool wire_msg_same(const struct wire_msg *a, const struct wire_msg *b)
{
	return a->type == b->type && a->sender == b->sender && a->incarnation == b->incarnation &&
	       a->seq == b->seq && a->key_number == b->key_number && a->round == b->round &&
	       a->part == b->part && a->parts == b->parts && a->digest == b->digest &&
	       a->locations == b->locations && a->rank == b->rank && a->answer == b->answer &&
	       a->target == b->target && a->owner == b->owner && a->stopped == b->stopped &&
	       a->nservices == b->nservices && wire_groups_same(a, b) && wire_services_same(a, b);
}

#endif

#include "core/bus.h"

int bus_subscribe(struct bus *b, uint32_t kinds, bus_fn *fn, void *ctx)
{
	if (b->nsubs == BUS_SUBSCRIBERS_MAX)
		return -1;
	b->subs[b->nsubs++] = (struct bus_subscriber){ .fn = fn, .ctx = ctx, .kinds = kinds };
	return 0;
}

void bus_publish(struct bus *b, const struct bus_event *ev)
{
	b->delivering++;
	for (size_t i = 0; i < b->nsubs; i++)
		if (b->subs[i].kinds & BUS_KIND(ev->kind))
			b->subs[i].fn(b->subs[i].ctx, ev);
	b->delivering--;
}

bool bus_delivering(const struct bus *b)
{
	return b->delivering > 0;
}

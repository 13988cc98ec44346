/* Services declared in conf.d, coupled to their processes, and the groups'
 * states as the journal's changes: a subscriber to the core's bus. */
#ifndef TEND_SERVICES_DECLARED_H
#define TEND_SERVICES_DECLARED_H

struct bus_event;

/* ctx: the struct directory. A location appears when its process is
 * running (started and ready) and goes when the process leaves running; a
 * reload that updates a group in place updates its locations; a group's
 * new state is a change of the journal. */
void declared_on_event(void *ctx, const struct bus_event *ev);

#endif

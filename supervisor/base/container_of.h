/* The object that embeds a member, from a pointer to the member: how a
 * callback that is handed a watcher or a timer finds what it belongs to. */
#ifndef TEND_CONTAINER_OF_H
#define TEND_CONTAINER_OF_H

#include <stddef.h>

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#endif

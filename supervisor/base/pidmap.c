#include "base/pidmap.h"

#include <stdint.h>
#include <stdlib.h>

#define DELETED ((pid_t)-1)

static size_t slot_of(pid_t pid, size_t cap)
{
	return ((uint32_t)pid * 2654435761u) & (cap - 1);
}

/* Rebuilds the table without deleted slots: twice as large when at least
 * half of it is live, else at the same size, so that a pid map churned by
 * many short-lived processes does not grow without bound. */
static int pidmap_grow(struct pidmap *m)
{
	size_t live = 0;
	for (size_t i = 0; i < m->cap; i++)
		live += m->slots[i].pid > 0;
	size_t cap = !m->cap ? 64 : live * 2 >= m->cap ? m->cap * 2 : m->cap;
	struct pidmap_slot *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		pid_t pid = m->slots[i].pid;
		if (pid <= 0)
			continue;
		size_t j = slot_of(pid, cap);
		while (slots[j].pid)
			j = (j + 1) & (cap - 1);
		slots[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	m->used = 0;
	for (size_t i = 0; i < cap; i++)
		m->used += slots[i].pid != 0;
	return 0;
}

static struct pidmap_slot *pidmap_find(const struct pidmap *m, pid_t pid);

int pidmap_put(struct pidmap *m, pid_t pid, void *value)
{
	struct pidmap_slot *s = pidmap_find(m, pid);
	if (s) {
		s->value = value;
		return 0;
	}
	/* Keep at least a quarter free so probes stay short and always end. */
	if ((m->used + 1) * 4 > m->cap * 3 && pidmap_grow(m) < 0)
		return -1;
	size_t i = slot_of(pid, m->cap);
	while (m->slots[i].pid > 0)
		i = (i + 1) & (m->cap - 1);
	if (m->slots[i].pid == 0)
		m->used++;
	m->slots[i].pid = pid;
	m->slots[i].value = value;
	return 0;
}

static struct pidmap_slot *pidmap_find(const struct pidmap *m, pid_t pid)
{
	if (!m->cap || pid <= 0)
		return NULL;
	size_t i = slot_of(pid, m->cap);
	while (m->slots[i].pid != 0) {
		if (m->slots[i].pid == pid)
			return &m->slots[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

void *pidmap_get(const struct pidmap *m, pid_t pid)
{
	struct pidmap_slot *s = pidmap_find(m, pid);
	return s ? s->value : NULL;
}

void pidmap_del(struct pidmap *m, pid_t pid)
{
	struct pidmap_slot *s = pidmap_find(m, pid);
	if (s) {
		s->pid = DELETED;
		s->value = NULL;
	}
}

void pidmap_free(struct pidmap *m)
{
	free(m->slots);
	*m = (struct pidmap){ 0 };
}

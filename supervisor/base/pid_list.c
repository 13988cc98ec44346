#include "base/pid_list.h"

#include <signal.h>
#include <stdlib.h>

void pid_list_add(struct pid_list *l, pid_t pid)
{
	if (pid_list_has(l, pid))
		return;
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		pid_t *pids = realloc(l->pids, cap * sizeof(*pids));
		if (!pids)
			return;
		l->pids = pids;
		l->cap = cap;
	}
	l->pids[l->len++] = pid;
}

bool pid_list_has(const struct pid_list *l, pid_t pid)
{
	for (size_t i = 0; i < l->len; i++)
		if (l->pids[i] == pid)
			return true;
	return false;
}

void pid_list_signal(const struct pid_list *l, int sig)
{
	for (size_t i = 0; i < l->len; i++)
		kill(l->pids[i], sig);
}

void pid_list_free(struct pid_list *l)
{
	free(l->pids);
	*l = (struct pid_list){ 0 };
}

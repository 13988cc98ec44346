/* `ready = fd:N`, the s6 way: the process writes a newline to its file
 * descriptor N when it is up (see readiness.c). */
#ifndef TEND_READINESS_H
#define TEND_READINESS_H

struct tend;
struct process;

/* Before p starts: a pipe whose write end (*child_end, close-on-exec) the
 * child gets as fd N. Returns 0 (also when p has no ready fd: *child_end
 * is then -1), or -1 with errno. */
int readiness_pipe(struct tend *t, struct process *p, int *child_end);
/* p started: its end is closed in tend; tend watches the read end. */
void readiness_watch(struct tend *t, struct process *p, int child_end);
/* Stops watching and closes the pipe (after ready, exit, or a failed start). */
void readiness_close(struct tend *t, struct process *p);

#endif

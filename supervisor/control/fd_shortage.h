/* The control socket when tend is out of file descriptors (accept fails
 * with EMFILE or ENFILE). A connection left pending would wake the loop
 * again at once, for ever: it is taken with a descriptor kept spare for
 * this and closed after one ERR line saying why. Without a
 * spare (it could not be opened again), the socket is left unwatched for a
 * while, twice as long each time up to FD_SHORTAGE_PAUSE_MAX_MS. Said once
 * when the shortage starts, and once, with the count refused, when a
 * connection is accepted again. */
#ifndef TEND_CONTROL_FD_SHORTAGE_H
#define TEND_CONTROL_FD_SHORTAGE_H

struct control;

#define FD_SHORTAGE_PAUSE_MIN_MS 100
#define FD_SHORTAGE_PAUSE_MAX_MS 5000

/* Sets up the spare descriptor and the pause timer (control_open). */
void fd_shortage_init(struct control *ctl);
/* accept failed with err (EMFILE, ENFILE). */
void fd_shortage_refuse(struct control *ctl, int err);
/* A connection was accepted: the shortage, if there was one, is over. */
void fd_shortage_over(struct control *ctl);
void fd_shortage_close(struct control *ctl);

#endif

/* What tendctl does itself, without asking tend. */
#ifndef TEND_TOOLS_TENDCTL_H
#define TEND_TOOLS_TENDCTL_H

/* `tendctl account ARGS...` (argv[0] is "account"): the exit status. */
int account_command(const char *rundir, int argc, char **argv);

#endif

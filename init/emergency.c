/* PID 1's fallback when the declarations cannot be used at boot (conf.d
 * missing, unreadable or invalid): PID 1 must not exit, and a machine that
 * runs nothing cannot be repaired from its console. With an emergency shell
 * configured, tend runs it on the console as the one group "emergency",
 * restarted whenever it exits; the first valid reload (tend reloads on
 * every edit of conf.d) replaces it with the declared groups. */
#include "init/emergency.h"
#include "libtend/cmdline.h"

#include <stdlib.h>
#include <string.h>

int emergency_config(const char *shell, struct config *out)
{
	const char *why;
	struct group_decl *g = calloc(1, sizeof(*g));
	struct process_decl *p = calloc(1, sizeof(*p));

	*out = (struct config){ 0 };
	if (!g || !p) {
		free(g);
		free(p);
		return -1;
	}
	out->groups = g;
	out->ngroups = 1;
	g->procs = p;
	g->nprocs = 1;
	g->autostart = true;
	g->name = strdup(EMERGENCY_GROUP);
	g->tenant = strdup(DEFAULT_TENANT);
	g->file = strdup("(emergency)");
	p->name = strdup("shell");
	p->file = strdup("(emergency)");
	p->argv = cmdline_split(shell, &why);
	p->environment = calloc(1, sizeof(char *));
	p->console = true;
	p->restart = RESTART_ALWAYS;
	p->restart_limit = MAX_RESTART_LIMIT;
	p->restart_window_ms = DEFAULT_RESTART_WINDOW_MS;
	p->restart_delay_ms = 1000; /* a shell that cannot start must not spin */
	p->stop_timeout_ms = DEFAULT_STOP_TIMEOUT_MS;
	p->log_size = DEFAULT_LOG_SIZE;
	p->log_keep = DEFAULT_LOG_KEEP;
	if (!g->name || !g->tenant || !g->file || !p->name || !p->file || !p->argv || !p->argv[0] ||
	    !p->environment || group_decl_pack(g) < 0) {
		config_free(out);
		return -1;
	}
	return 0;
}

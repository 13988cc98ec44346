/* The machine-wide settings of the declarations' `system` section. Only
 * tend as PID 1 applies them: a supervisor under another init leaves the
 * machine's settings to it. */
#include "daemon/daemon.h"
#include "sys/log.h"
#include "sys/machine.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void system_apply_services(struct directory *dir, const struct system_decl *sys)
{
	/* Lowered below what it holds: those stay, new ones are refused. */
	dir->max_locations = sys->services_max ? sys->services_max : DEFAULT_SERVICES_MAX;
}

/* User mode ignores the hardware watchdog: said once while it is configured. */
static void ignore_watchdog(struct tend *t, const char *device)
{
	if (!device) {
		t->hwdog.error[0] = '\0';
		return;
	}
	if (t->hwdog.error[0])
		return;
	snprintf(t->hwdog.error, sizeof(t->hwdog.error),
		 "ignored: only tend as root (PID 1 or system mode) uses it");
	tend_log(&t->log, LOG_WARN, "watchdog-device %s %s", device, t->hwdog.error);
}

int system_apply_watchdog(struct tend *t, const struct system_decl *sys)
{
	if (t->mode == MODE_USER) {
		ignore_watchdog(t, sys->watchdog_device);
		return 0;
	}
	return hwdog_configure(&t->hwdog, sys->watchdog_device, sys->watchdog_timeout_s,
			       sys->watchdog_shutdown_timeout_s);
}

void system_apply(struct tend *t, const struct system_decl *sys)
{
	char now[HOST_NAME_MAX + 1] = "";

	if (t->mode != MODE_PID1 || !sys->hostname)
		return;
	if (!machine_may_set_hostname()) {
		tend_log(&t->log, LOG_WARN,
			 "hostname %s not set: PID 1 of a PID namespace that shares the machine's "
			 "hostname",
			 sys->hostname);
		return;
	}
	gethostname(now, sizeof(now) - 1);
	if (strcmp(now, sys->hostname) == 0)
		return;
	if (sethostname(sys->hostname, strlen(sys->hostname)) < 0)
		tend_log(&t->log, LOG_ERR, "sethostname %s: %m", sys->hostname);
	else
		tend_log(&t->log, LOG_INFO, "hostname is %s", sys->hostname);
}

/* `watchdog device [--json]`: the hardware watchdog (sys/hwdog.h) as tend
 * runs it: the device, what its driver says it is (WDIOC_GETSUPPORT), the
 * timeout it runs with, the last ping, and the time left when the driver
 * tells it (WDIOC_GETTIMELEFT; many do not). A build with TEND_TEST_HOOKS
 * also takes `watchdog device hold`: the pings stop, as in a hung tend. */
#include "base/json.h"
#include "control/commands.h"
#include "control/server.h"
#include "core/context.h"
#include "sys/log.h"

#include <linux/watchdog.h>
#include <string.h>

/* What the view shows, gathered once. */
struct hwdog_view {
	struct hwdog *w;
	bool open;
	bool has_left;
	unsigned left_s;      /* WDIOC_GETTIMELEFT */
	uint64_t ping_ago_ms; /* since the last ping; valid when w->last_ping_ms */
};

static struct hwdog_view view_of(struct tend *t)
{
	struct hwdog *w = &t->hwdog;
	struct hwdog_view v = { .w = w, .open = w->fd >= 0 };

	if (v.open)
		v.has_left = w->ops->get_timeleft(w, &v.left_s) == 0;
	if (w->last_ping_ms)
		v.ping_ago_ms = loop_now_ms(&t->loop) - w->last_ping_ms;
	return v;
}

static const struct {
	uint32_t bit;
	const char *name;
} option_names[] = {
	{ WDIOF_SETTIMEOUT, "settimeout" },	  { WDIOF_MAGICCLOSE, "magicclose" },
	{ WDIOF_KEEPALIVEPING, "keepaliveping" }, { WDIOF_PRETIMEOUT, "pretimeout" },
	{ WDIOF_ALARMONLY, "alarmonly" },	  { WDIOF_CARDRESET, "cardreset" },
};

static void options_list(struct buf *out, uint32_t options, bool json)
{
	bool first = true;

	for (size_t i = 0; i < sizeof(option_names) / sizeof(option_names[0]); i++) {
		if (!(options & option_names[i].bit))
			continue;
		buf_puts(out, first ? "" : json ? "," : " ");
		if (json)
			json_str(out, option_names[i].name);
		else
			buf_puts(out, option_names[i].name);
		first = false;
	}
}

static void view_text(const struct hwdog_view *v, struct buf *out)
{
	const struct hwdog *w = v->w;

	buf_printf(out, "device %s\nstate %s\n", w->path ? w->path : "none",
		   hwdog_state_name(w->state));
	if (v->open) {
		buf_printf(out, "identity %s (firmware %u; options ",
			   w->id.name[0] ? w->id.name : "unknown", w->id.firmware);
		options_list(out, w->id.options, false);
		buf_puts(out, ")\n");
		buf_printf(out, "timeout %us (asked %us), pinged every %llums\n", w->timeout_s,
			   w->want_s, (unsigned long long)hwdog_interval_ms(w));
		buf_printf(out, "shutdown-timeout %us\n", w->shutdown_s);
		if (w->last_ping_ms)
			buf_printf(out, "pings %llu, the last %llums ago\n",
				   (unsigned long long)w->pings,
				   (unsigned long long)v->ping_ago_ms);
		if (v->has_left)
			buf_printf(out, "time left %us\n", v->left_s);
	}
	if (w->error[0])
		buf_printf(out, "error %s\n", w->error);
}

static void json_uint_or_null(struct buf *out, const char *key, bool have, uint64_t value)
{
	if (have)
		buf_printf(out, ",\"%s\":%llu", key, (unsigned long long)value);
	else
		buf_printf(out, ",\"%s\":null", key);
}

static void view_json(const struct hwdog_view *v, struct buf *out)
{
	const struct hwdog *w = v->w;

	buf_puts(out, "{\"device\":");
	if (w->path)
		json_str(out, w->path);
	else
		buf_puts(out, "null");
	buf_puts(out, ",\"state\":");
	json_str(out, hwdog_state_name(w->state));
	buf_puts(out, ",\"identity\":");
	if (v->open && w->id.name[0])
		json_str(out, w->id.name);
	else
		buf_puts(out, "null");
	json_uint_or_null(out, "firmware_version", v->open, w->id.firmware);
	buf_puts(out, ",\"options\":[");
	options_list(out, v->open ? w->id.options : 0, true);
	buf_puts(out, "]");
	json_uint_or_null(out, "timeout_s", v->open && w->timeout_s, w->timeout_s);
	json_uint_or_null(out, "requested_timeout_s", w->path, w->want_s);
	json_uint_or_null(out, "shutdown_timeout_s", w->path, w->shutdown_s);
	json_uint_or_null(out, "ping_interval_ms", v->open, hwdog_interval_ms(w));
	buf_printf(out, ",\"pings\":%llu", (unsigned long long)w->pings);
	json_uint_or_null(out, "last_ping_ms_ago", w->last_ping_ms, v->ping_ago_ms);
	json_uint_or_null(out, "time_left_s", v->has_left, v->left_s);
	buf_puts(out, ",\"error\":");
	if (w->error[0])
		json_str(out, w->error);
	else
		buf_puts(out, "null");
	buf_puts(out, "}");
}

#ifdef TEND_TEST_HOOKS
static void hold(struct tend *t, struct client *c)
{
	if (t->hwdog.state != HWDOG_PINGING)
		return client_err(c, "the hardware watchdog is %s, not pinging",
				  hwdog_state_name(t->hwdog.state));
	tend_log(&t->log, LOG_WARN, "control: watchdog device hold (uid %d)", (int)c->uid);
	hwdog_hold(&t->hwdog);
	client_ok(c, "pings of %s stopped; the machine resets within %us", t->hwdog.path,
		  t->hwdog.timeout_s);
}
#endif

void cmd_watchdog_device(struct tend *t, struct client *c, char **argv)
{
	bool json = argv[2] && strcmp(argv[2], "--json") == 0;

#ifdef TEND_TEST_HOOKS
	if (argv[2] && strcmp(argv[2], "hold") == 0 && !argv[3])
		return hold(t, c);
#endif
	if ((argv[2] && !json) || (json && argv[3]))
		return client_err(c, "usage: watchdog device [--json]");
	struct hwdog_view v = view_of(t);
	struct buf out = { 0 };
	(json ? view_json : view_text)(&v, &out);
	client_reply_buf(c, &out);
}

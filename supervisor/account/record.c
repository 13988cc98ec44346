/* Writing a record as one JSON line (record.h). Fixed decimals, printed
 * from integers: what is summed later is exactly what was written. */
#include "account/record.h"
#include "base/json.h"

#include <inttypes.h>
#include <signal.h>
#include <string.h>

void record_init(struct account_record *r, enum record_kind kind)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->start_ms = r->end_ms = r->wall_ms = RECORD_UNKNOWN;
	r->exit_status = -1;
	r->cgroup_cpu_us = r->cgroup_user_us = r->cgroup_sys_us = RECORD_UNKNOWN;
	r->memory_peak_bytes = r->io_read_bytes = r->io_write_bytes = RECORD_UNKNOWN;
}

static void key(struct buf *b, const char *name)
{
	buf_printf(b, ",\"%s\":", name);
}

static void name_value(struct buf *b, const char *name, const char *s)
{
	key(b, name);
	json_str(b, s[0] ? s : NULL);
}

static void int_value(struct buf *b, const char *name, int64_t v)
{
	key(b, name);
	if (v == RECORD_UNKNOWN)
		buf_puts(b, "null");
	else
		buf_printf(b, "%" PRId64, v);
}

/* v in units of 1/scale seconds (scale 1000 or 1000000), as seconds with
 * exactly that many decimals. */
static void seconds_value(struct buf *b, const char *name, int64_t v, int64_t scale)
{
	key(b, name);
	if (v == RECORD_UNKNOWN || v < 0) {
		buf_puts(b, "null");
		return;
	}
	buf_printf(b, "%" PRId64 ".%0*" PRId64, v / scale, scale == 1000 ? 3 : 6, v % scale);
}

static void process_keys(struct buf *b, const struct account_record *r)
{
	key(b, "pid");
	buf_printf(b, "%d", r->pid);
	key(b, "ppid");
	if (r->ppid > 0)
		buf_printf(b, "%d", r->ppid);
	else
		buf_puts(b, "null");
	int_value(b, "exit_status", r->exit_status < 0 ? RECORD_UNKNOWN : r->exit_status);
	int_value(b, "signal", r->signal ? r->signal : RECORD_UNKNOWN);
	key(b, "signal_name");
	json_str(b, r->signal ? sigabbrev_np(r->signal) : NULL);
	if (r->core_dumped)
		buf_puts(b, ",\"core_dumped\":true");
	buf_printf(b, ",\"orphan\":%s", r->orphan ? "true" : "false");
}

static void group_keys(struct buf *b, const struct account_record *r)
{
	int_value(b, "processes", r->processes);
	name_value(b, "tracking", r->tracking);
	seconds_value(b, "cgroup_cpu_s", r->cgroup_cpu_us, 1000000);
	seconds_value(b, "cgroup_cpu_user_s", r->cgroup_user_us, 1000000);
	seconds_value(b, "cgroup_cpu_sys_s", r->cgroup_sys_us, 1000000);
	int_value(b, "memory_peak_bytes", r->memory_peak_bytes);
	int_value(b, "io_read_bytes", r->io_read_bytes);
	int_value(b, "io_write_bytes", r->io_write_bytes);
}

void record_json(struct buf *b, const struct account_record *r)
{
	buf_printf(b, "{\"v\":%d,\"kind\":\"%s\"", RECORD_VERSION,
		   r->kind == RECORD_GROUP ? "group" : "process");
	name_value(b, "tenant", r->tenant);
	name_value(b, "group", r->group);
	if (r->kind == RECORD_PROCESS) {
		name_value(b, "process", r->process);
		name_value(b, "comm", r->comm);
	}
	seconds_value(b, "start", r->start_ms, 1000);
	seconds_value(b, "end", r->end_ms, 1000);
	seconds_value(b, "wall_s", r->wall_ms, 1000);
	seconds_value(b, "cpu_user_s", r->cpu_user_us, 1000000);
	seconds_value(b, "cpu_sys_s", r->cpu_sys_us, 1000000);
	int_value(b, "max_rss_kb", r->max_rss_kb);
	int_value(b, "read_bytes", r->read_bytes);
	int_value(b, "write_bytes", r->write_bytes);
	if (r->kind == RECORD_PROCESS)
		process_keys(b, r);
	else
		group_keys(b, r);
	buf_puts(b, "}\n");
}

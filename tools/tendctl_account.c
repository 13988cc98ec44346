/* `tendctl account`: sums the accounting records. tendctl reads
 * RUNDIR/account itself rather than asking tend: reading months of records
 * must not stall tend's loop, it works while tend is down, and the files'
 * permissions (0640, directory 0751: tend's user and group) decide who may
 * read them. A tenant's user of root's tend reads the copies of its
 * tenants' records instead (account/directory.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account/period.h"
#include "account/reader.h"
#include "account/report.h"
#include "account/summary.h"
#include "tools/tendctl.h"

struct account_options {
	struct account_summary sum;
	int64_t since_ms, until_ms;
	enum report_format format;
};

static int bad_usage(const char *fmt, const char *arg)
{
	fputs("tendctl: account: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nusage: tendctl account [--tenant T] [--group G] [--since TIME] [--until TIME]\n"
	      "       [--by tenant|group|day] [--json|--csv]\n"
	      "TIME: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC), or -N followed by s, m, h or d\n",
	      stderr);
	return 2;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_options(int argc, char **argv, struct account_options *o)
{
	static const struct option longopts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "group", required_argument, NULL, 'g' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "by", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			o->sum.tenant = optarg;
			break;
		case 'g':
			o->sum.group = optarg;
			break;
		case 's':
		case 'u':
			if (period_parse(optarg, now_ms(),
					 opt == 's' ? &o->since_ms : &o->until_ms) < 0)
				return bad_usage("bad time \"%s\"", optarg);
			break;
		case 'b':
			if (summary_by(optarg, &o->sum.by) < 0)
				return bad_usage("--by takes tenant, group or day, not \"%s\"",
						 optarg);
			break;
		case 'j':
		case 'c':
			if (o->format != REPORT_TABLE)
				return bad_usage("%s", "--json and --csv exclude each other");
			o->format = opt == 'j' ? REPORT_JSON : REPORT_CSV;
			break;
		default:
			return bad_usage("bad option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument \"%s\"", argv[optind]);
	return 0;
}

static void add_record(void *ctx, const struct account_record *r)
{
	struct account_options *o = ctx;
	if (summary_add(&o->sum, r) < 0) {
		fputs("tendctl: account: out of memory\n", stderr);
		exit(1);
	}
}

/* Every record, or else (a tenant's user, who may not read them all) the
 * copies of its tenants' records. */
static int read_records(const char *dir, struct account_options *o,
			struct account_read_stats *stats)
{
	if (account_read(dir, o->since_ms, o->until_ms, add_record, o, stderr, stats) == 0)
		return 0;
	if (errno != EACCES)
		return -1;
	if (account_read_tenants(dir, o->since_ms, o->until_ms, add_record, o, stderr, stats) == 0)
		return 0;
	errno = EACCES;
	return -1;
}

int account_command(const char *rundir, int argc, char **argv)
{
	struct account_options o = { .since_ms = ACCOUNT_TIME_NONE,
				     .until_ms = ACCOUNT_TIME_NONE,
				     .format = REPORT_TABLE };
	struct account_read_stats stats;
	char dir[4096];
	int rc = parse_options(argc, argv, &o);
	if (rc)
		return rc;
	snprintf(dir, sizeof(dir), "%s/account", rundir);
	if (read_records(dir, &o, &stats) < 0) {
		fprintf(stderr, "tendctl: account: cannot read %s: %s\n", dir, strerror(errno));
		summary_free(&o.sum);
		return 1;
	}
	summary_finish(&o.sum);
	report_print(stdout, &o.sum, o.format);
	summary_free(&o.sum);
	return 0;
}

/* Printing `tendctl account`'s sums: a table (the default), JSON or CSV.
 * Seconds with 6 decimals (CPU), 3 (wall time): exact, from integers. */
#ifndef TEND_ACCOUNT_REPORT_H
#define TEND_ACCOUNT_REPORT_H

#include <stdio.h>

#include "account/summary.h"

enum report_format { REPORT_TABLE, REPORT_JSON, REPORT_CSV };

void report_print(FILE *out, const struct account_summary *s, enum report_format format);

#endif

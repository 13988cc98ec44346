#include "base/fault.h"

#include <errno.h>
#include <stddef.h>

void fault_arm(struct fault_plan *plan, enum fault_point point, int err, unsigned skip,
	       unsigned times)
{
	plan->rule[point] = (struct fault_rule){ .err = err, .skip = skip, .times = times };
}

int fault_check(struct fault_plan *plan, enum fault_point point)
{
	struct fault_rule *r;
	if (!plan || !(r = &plan->rule[point])->err)
		return 0;
	if (r->skip) {
		r->skip--;
		return 0;
	}
	int err = r->err;
	if (r->times && --r->times == 0)
		r->err = 0;
	plan->failed[point]++;
	errno = err;
	return err;
}

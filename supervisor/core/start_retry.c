#include "core/start_retry.h"

#include <errno.h>

bool start_fault_is_transient(int err)
{
	return err == EAGAIN || err == ENOMEM || err == EMFILE || err == ENFILE;
}

uint64_t start_retry_delay_ms(uint64_t restart_delay_ms, unsigned failures)
{
	uint64_t delay =
	    restart_delay_ms > START_RETRY_MIN_MS ? restart_delay_ms : START_RETRY_MIN_MS;
	if (delay >= START_RETRY_MAX_MS)
		return delay; /* a longer restart-delay is kept as it is */
	for (unsigned i = 1; i < failures && delay < START_RETRY_MAX_MS; i++)
		delay *= 2;
	return delay < START_RETRY_MAX_MS ? delay : START_RETRY_MAX_MS;
}

#ifndef PCT_POWER_H
#define PCT_POWER_H

#include "pct.h"

/*
 * Record the desired power state ("running" or "stopped"), a grace period
 * for the stop (-1 = the CT's own), for reboot a restart token, and whether
 * the request bypasses a `lock:` of the CT (--skiplock: the agent then
 * changes the CT's replicas even though the lock keeps its config from being
 * applied). The caller holds the CT's config lock. *generation is the
 * request's number.
 */
int pct_power_request(unsigned vmid, const char *power, long grace, bool restart, bool skiplock,
		      double *generation, struct pct_error **err);
/* Wait until the agent reports `want` ("running"/"stopped") for that request. */
int pct_power_wait(unsigned vmid, double generation, const char *want, long timeout,
		   const char *verb, struct pct_error **err);
/* wait-timeout from corral.conf */
long pct_wait_timeout(void);

#endif

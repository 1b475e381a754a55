#ifndef PCT_POWER_H
#define PCT_POWER_H

#include "pct.h"

/*
 * Record the desired power state ("running" or "stopped"), a grace period
 * for the stop (-1 = the CT's own), and for reboot a restart token. The
 * caller holds the CT's config lock. *generation is the request's number.
 */
int pct_power_request(unsigned vmid, const char *power, long grace, bool restart,
		      double *generation, struct pct_error **err);
/* Wait until the agent reports `want` ("running"/"stopped") for that request. */
int pct_power_wait(unsigned vmid, double generation, const char *want, long timeout,
		   const char *verb, struct pct_error **err);
/* wait-timeout from corral.conf */
long pct_wait_timeout(void);

#endif

#ifndef PCT_OPS_H
#define PCT_OPS_H

#include <cjson/cJSON.h>

#include "pct.h"

/* Refuse at once when the agent does not run (it does the storage step). */
int pct_op_require_agent(const char *verb, struct pct_error **err);
/* Queue op (taken over) for the agent; the caller holds the CT's lock. */
int pct_op_run(unsigned vmid, cJSON *op, char **id, struct pct_error **err);
/* Wait for the agent's answer; *result (may be NULL) gets its details. */
int pct_op_wait(unsigned vmid, const char *id, long timeout, cJSON **result,
		struct pct_error **err);
/*
 * How long pct waits for a storage operation: snapshot-timeout, after which
 * the agent fails it with its reason, plus wait-timeout to hear that.
 */
long pct_op_timeout(void);

#endif

#ifndef PCT_STATE_H
#define PCT_STATE_H

#include <cjson/cJSON.h>

#include "pctconf.h"

char *pct_state_path(unsigned vmid);
/* The CT's state object (an empty object when there is none). Caller deletes. */
cJSON *pct_state_load(unsigned vmid);
int pct_state_save(unsigned vmid, cJSON *state, struct pct_error **err);
/*
 * The desired state of a CT in CORRAL_STATEDIR/ct/<vmid>.state, written by
 * pct (and by corral-syncd for onboot) under the CT's config lock.
 */

/* Ask the agent to delete the PVCs of volumes no config references any more. */
int pct_state_add_destroy(unsigned vmid, char *const *volids, size_t n, struct pct_error **err);
/* Keep the volumes the agent is yet to destroy from being allocated again. */
void pct_state_reserve_volumes(struct pctconf *conf);
int pct_state_set_power(unsigned vmid, const char *power, struct pct_error **err);
const char *pct_state_power(const cJSON *state);
/*
 * Queue a storage operation for the agent ({"op": "snapshot-create", ...});
 * it gets an "id" (the new generation), returned in *id. The state takes
 * ownership of op. The agent reports the outcome in the status file's
 * "ops" object under that id: {"state": "done"|"failed", "error": ...}.
 */
int pct_state_add_op(unsigned vmid, cJSON *op, char **id, struct pct_error **err);

#endif

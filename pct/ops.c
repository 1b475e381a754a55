/*
 * Storage operations the agent carries out for pct (snapshots, rollback,
 * clone): queued in the CT's state file, answered in its status file.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ops.h"
#include "settings.h"
#include "state.h"

int
pct_op_require_agent(const char *verb, struct pct_error **err)
{
	if (pct_agent_alive())
		return 0;
	return pct_error_set(err, PCT_E_REFUSED,
			     "corral-syncd is not running: pct %s needs it for the storage step", verb);
}

int
pct_op_run(unsigned vmid, cJSON *op, char **id, struct pct_error **err)
{
	return pct_state_add_op(vmid, op, id, err);
}

static cJSON *
status_op(unsigned vmid, const char *id)
{
	_cleanup_free_ char *path = xasprintf("%s/ct/%u.status", pctconf_rundir(), vmid);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	cJSON *j, *o;

	if (pct_read_file(path, 4u << 20, &buf, &len) < 0)
		return NULL;
	j = cJSON_ParseWithLength(buf, len);
	o = cJSON_DetachItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "ops"), id);
	cJSON_Delete(j);
	return o;
}

int
pct_op_wait(unsigned vmid, const char *id, long timeout, cJSON **result, struct pct_error **err)
{
	struct timespec start, now;

	if (result)
		*result = NULL;
	if (!pct_agent_alive())
		return pct_error_set(err, PCT_E_TIMEOUT, "corral-syncd is not running");
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		cJSON *o = status_op(vmid, id);
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "state");

		if (cJSON_IsString(st) && !strcmp(st->valuestring, "done")) {
			if (result)
				*result = o;
			else
				cJSON_Delete(o);
			return 0;
		}
		if (cJSON_IsString(st) && !strcmp(st->valuestring, "failed")) {
			const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");

			pct_error_set(err, PCT_E_INVALID, "%s",
				      cJSON_IsString(e) ? e->valuestring : "the operation failed");
			cJSON_Delete(o);
			return -1;
		}
		cJSON_Delete(o);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 >=
		    (double)timeout)
			return pct_error_set(err, PCT_E_TIMEOUT,
					     "corral-syncd did not finish within %ld s", timeout);
		if (!pct_agent_alive())
			return pct_error_set(err, PCT_E_TIMEOUT,
					     "corral-syncd stopped while the request was running");
		usleep(50000);
	}
}

long
pct_op_timeout(void)
{
	const struct corral_settings *s;
	_cleanup_error_ struct pct_error *err = NULL;

	if (pct_settings(&s, &err) < 0)
		return 660;
	/* the agent gives up after snapshot-timeout and says why: wait to hear it */
	return s->snapshot_timeout + s->wait_timeout;
}

/*
 * The power verbs' shared machinery: record what the user wants in the CT's
 * state file (under the config lock) and wait until corral-syncd reports it,
 * or a timeout passes. pct never talks to the cluster for this: the agent is
 * the only writer to the cluster.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "power.h"
#include "settings.h"
#include "state.h"

int
pct_power_request(unsigned vmid, const char *power, long grace, bool restart, bool skiplock,
		  double *generation, struct pct_error **err)
{
	cJSON *state = pct_state_load(vmid), *g;
	int ret;

	cJSON_DeleteItemFromObjectCaseSensitive(state, "power");
	cJSON_AddStringToObject(state, "power", power);
	cJSON_DeleteItemFromObjectCaseSensitive(state, "grace");
	if (grace >= 0)
		cJSON_AddNumberToObject(state, "grace", (double)grace);
	g = cJSON_GetObjectItemCaseSensitive(state, "generation");
	*generation = (cJSON_IsNumber(g) ? g->valuedouble : 0) + 1;
	cJSON_DeleteItemFromObjectCaseSensitive(state, "generation");
	cJSON_AddNumberToObject(state, "generation", *generation);
	/* --skiplock holds for this request only: the next one says again */
	cJSON_DeleteItemFromObjectCaseSensitive(state, "skiplock");
	if (skiplock)
		cJSON_AddTrueToObject(state, "skiplock");
	if (restart) {
		char token[32];

		snprintf(token, sizeof(token), "%.0f-%ld", *generation, (long)time(NULL));
		cJSON_DeleteItemFromObjectCaseSensitive(state, "restart");
		cJSON_AddStringToObject(state, "restart", token);
	}
	ret = pct_state_save(vmid, state, err);
	cJSON_Delete(state);
	return ret;
}

static double
status_generation(unsigned vmid)
{
	_cleanup_free_ char *path = xasprintf("%s/ct/%u.status", pctconf_rundir(), vmid);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	cJSON *j;
	double g = -1;

	if (pct_read_file(path, 1 << 20, &buf, &len) < 0)
		return -1;
	j = cJSON_ParseWithLength(buf, len);
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "generation")))
		g = cJSON_GetObjectItemCaseSensitive(j, "generation")->valuedouble;
	cJSON_Delete(j);
	return g;
}

int
pct_power_wait(unsigned vmid, double generation, const char *want, long timeout,
	       const char *verb, struct pct_error **err)
{
	struct timespec start, now;
	struct pct_status st;

	if (!pct_agent_alive())
		return pct_error_set(err, PCT_E_TIMEOUT,
				     "unable to %s CT %u - corral-syncd is not running (the request is recorded and takes effect when it runs)",
				     verb, vmid);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		bool seen = status_generation(vmid) >= generation;

		pct_status_read(vmid, &st);
		if (seen && st.known && st.status) {
			bool manifests = st.phase && !strcmp(st.phase, "Rendered");

			if (!strcmp(st.status, want) || manifests) {
				pct_status_release(&st);
				return 0;
			}
			if (!strcmp(st.status, "error") && st.error) {
				pct_error_set(err, PCT_E_INVALID, "unable to %s CT %u - %s", verb, vmid,
					      st.error);
				pct_status_release(&st);
				return -1;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - start.tv_sec) +
			    (double)(now.tv_nsec - start.tv_nsec) / 1e9 >=
		    (double)timeout) {
			pct_error_set(err, PCT_E_TIMEOUT,
				      "unable to %s CT %u - not %s after %ld s (status: %s%s%s)", verb,
				      vmid, want, timeout, st.status ? st.status : "unknown",
				      st.error ? ": " : "", st.error ? st.error : "");
			pct_status_release(&st);
			return -1;
		}
		if (!pct_agent_alive()) {
			pct_status_release(&st);
			return pct_error_set(err, PCT_E_TIMEOUT,
					     "unable to %s CT %u - corral-syncd stopped while waiting",
					     verb, vmid);
		}
		pct_status_release(&st);
		usleep(50000);
	}
}

long
pct_wait_timeout(void)
{
	const struct corral_settings *s;
	_cleanup_error_ struct pct_error *err = NULL;

	if (pct_settings(&s, &err) < 0)
		return 60;
	return s->wait_timeout;
}

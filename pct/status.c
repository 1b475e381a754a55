/*
 * The runtime status corral-syncd publishes under CORRAL_RUNDIR:
 *   ct/<vmid>.status   one JSON object per CT (observed power state, ...)
 *   syncd.heartbeat    {"pid": N, "time": UNIX, "interval": SECONDS}
 * pct only reads them; it never guesses a state the agent did not report.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <string.h>
#include <time.h>

#include "pct.h"

static cJSON *
read_json(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;

	if (pct_read_file(path, 1 << 20, &buf, &len) < 0)
		return NULL;
	return cJSON_ParseWithLength(buf, len);
}

static char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring ? xstrdup(v->valuestring) : NULL;
}

bool
pct_agent_alive(void)
{
	_cleanup_free_ char *path = xasprintf("%s/syncd.heartbeat", pctconf_rundir());
	cJSON *j = read_json(path);
	const cJSON *t, *iv;
	bool alive = false;

	if (!j)
		return false;
	t = cJSON_GetObjectItemCaseSensitive(j, "time");
	iv = cJSON_GetObjectItemCaseSensitive(j, "interval");
	if (cJSON_IsNumber(t)) {
		double interval = cJSON_IsNumber(iv) && iv->valuedouble > 0 ? iv->valuedouble : 10;

		alive = (double)time(NULL) - t->valuedouble <= 3 * interval + 5;
	}
	cJSON_Delete(j);
	return alive;
}

void
pct_status_read(unsigned vmid, struct pct_status *st)
{
	_cleanup_free_ char *path = xasprintf("%s/ct/%u.status", pctconf_rundir(), vmid);
	cJSON *j;
	const cJSON *v;

	memset(st, 0, sizeof(*st));
	st->userns = -1;
	st->agent = pct_agent_alive();
	j = read_json(path);
	if (!j)
		return;
	st->known = true;
	st->status = jstr(j, "status");
	st->phase = jstr(j, "phase");
	st->node = jstr(j, "node");
	st->ip = jstr(j, "ip");
	st->error = jstr(j, "error");
	st->digest = jstr(j, "digest");
	v = cJSON_GetObjectItemCaseSensitive(j, "pending_restart");
	st->pending_restart = cJSON_IsTrue(v);
	v = cJSON_GetObjectItemCaseSensitive(j, "inplace_resize");
	st->inplace_resize = cJSON_IsTrue(v);
	v = cJSON_GetObjectItemCaseSensitive(j, "userns");
	st->userns = cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
	st->userns_reason = jstr(j, "userns_reason");
	v = cJSON_GetObjectItemCaseSensitive(j, "updated");
	if (cJSON_IsNumber(v))
		(void)pct_double_to_ll(v->valuedouble, 0, 1LL << 53, &st->updated);
	cJSON_Delete(j);
}

void
pct_status_release(struct pct_status *st)
{
	free(st->status);
	free(st->phase);
	free(st->node);
	free(st->ip);
	free(st->error);
	free(st->digest);
	free(st->userns_reason);
	memset(st, 0, sizeof(*st));
}

bool
pct_is_running(unsigned vmid)
{
	struct pct_status st;
	bool running;

	pct_status_read(vmid, &st);
	running = st.known && st.status &&
		  (!strcmp(st.status, "running") || !strcmp(st.status, "stopping"));
	pct_status_release(&st);
	return running;
}

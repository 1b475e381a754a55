/*
 * The desired state pct records for corral-syncd, per CT, in
 * CORRAL_STATEDIR/ct/<vmid>.state (JSON, written atomically under the CT's
 * config lock, which the caller holds):
 *   {"power": "running"|"stopped", "generation": N,
 *    "destroy-volumes": ["local:vm-100-disk-1", ...]}
 * An absent file means stopped with nothing to do.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

#include "pctconf.h"
#include "state.h"

char *
pct_state_path(unsigned vmid)
{
	return xasprintf("%s/ct/%u.state", pctconf_statedir(), vmid);
}

cJSON *
pct_state_load(unsigned vmid)
{
	_cleanup_free_ char *path = pct_state_path(vmid);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	cJSON *j = NULL;

	if (pct_read_file(path, 1 << 20, &buf, &len) == 0)
		j = cJSON_ParseWithLength(buf, len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		j = cJSON_CreateObject();
	}
	return j;
}

int
pct_state_save(unsigned vmid, cJSON *state, struct pct_error **err)
{
	_cleanup_free_ char *path = pct_state_path(vmid);
	_cleanup_free_ char *dir = xasprintf("%s/ct", pctconf_statedir());
	char *text;
	int ret;

	if (pctconf_mkdir_p(dir, 0755) < 0)
		return pct_error_errno(err, errno, "unable to create directory '%s'", dir);
	{
		/* we hold the CT's lock: any other writer of this file is gone */
		_cleanup_free_ char *base = xasprintf("%u.state", vmid);

		pctconf_remove_stale_temps(dir, base);
	}
	text = cJSON_PrintUnformatted(state);
	if (!text)
		return pct_error_set(err, PCT_E_INTERNAL, "unable to serialize the state of CT %u", vmid);
	{
		struct strbuf sb = STRBUF_INIT;

		strbuf_addstr(&sb, text);
		strbuf_addch(&sb, '\n');
		ret = pctconf_write_file_atomic(path, sb.buf, sb.len, 0644, err);
		strbuf_release(&sb);
	}
	cJSON_free(text);
	return ret;
}

static void
bump_generation(cJSON *state)
{
	cJSON *g = cJSON_GetObjectItemCaseSensitive(state, "generation");
	double next = cJSON_IsNumber(g) ? g->valuedouble + 1 : 1;

	cJSON_DeleteItemFromObjectCaseSensitive(state, "generation");
	cJSON_AddNumberToObject(state, "generation", next);
}

int
pct_state_add_destroy(unsigned vmid, char *const *volids, size_t n, struct pct_error **err)
{
	cJSON *state, *arr;
	size_t i;
	int ret;

	if (!n)
		return 0;
	state = pct_state_load(vmid);
	arr = cJSON_GetObjectItemCaseSensitive(state, "destroy-volumes");
	if (!cJSON_IsArray(arr)) {
		cJSON_DeleteItemFromObjectCaseSensitive(state, "destroy-volumes");
		arr = cJSON_AddArrayToObject(state, "destroy-volumes");
	}
	for (i = 0; i < n; i++) {
		const cJSON *e;
		bool have = false;

		cJSON_ArrayForEach(e, arr)
			if (cJSON_IsString(e) && !strcmp(e->valuestring, volids[i]))
				have = true;
		if (!have)
			cJSON_AddItemToArray(arr, cJSON_CreateString(volids[i]));
	}
	bump_generation(state);
	ret = pct_state_save(vmid, state, err);
	cJSON_Delete(state);
	return ret;
}

void
pct_state_reserve_volumes(struct pctconf *conf)
{
	cJSON *state = pct_state_load(conf->vmid);
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(state, "destroy-volumes"), *e;

	cJSON_ArrayForEach(e, arr)
		if (cJSON_IsString(e))
			pctconf_reserve_volid(conf, e->valuestring);
	cJSON_Delete(state);
}

int
pct_state_set_power(unsigned vmid, const char *power, struct pct_error **err)
{
	cJSON *state = pct_state_load(vmid);
	int ret;

	cJSON_DeleteItemFromObjectCaseSensitive(state, "power");
	cJSON_AddStringToObject(state, "power", power);
	bump_generation(state);
	ret = pct_state_save(vmid, state, err);
	cJSON_Delete(state);
	return ret;
}

const char *
pct_state_power(const cJSON *state)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(state, "power");

	return cJSON_IsString(p) ? p->valuestring : "stopped";
}

int
pct_state_add_op(unsigned vmid, cJSON *op, char **id, struct pct_error **err)
{
	cJSON *state = pct_state_load(vmid), *ops, *g;
	double gen;
	char buf[32];
	int ret;

	g = cJSON_GetObjectItemCaseSensitive(state, "generation");
	gen = (cJSON_IsNumber(g) ? g->valuedouble : 0) + 1;
	cJSON_DeleteItemFromObjectCaseSensitive(state, "generation");
	cJSON_AddNumberToObject(state, "generation", gen);
	snprintf(buf, sizeof(buf), "%.0f", gen);
	cJSON_AddStringToObject(op, "id", buf);
	ops = cJSON_GetObjectItemCaseSensitive(state, "ops");
	if (!cJSON_IsArray(ops)) {
		cJSON_DeleteItemFromObjectCaseSensitive(state, "ops");
		ops = cJSON_AddArrayToObject(state, "ops");
	}
	/* keep the queue short: drop requests the agent has long finished */
	while (cJSON_GetArraySize(ops) >= 32)
		cJSON_DeleteItemFromArray(ops, 0);
	cJSON_AddItemToArray(ops, op);
	ret = pct_state_save(vmid, state, err);
	cJSON_Delete(state);
	if (ret == 0)
		*id = xstrdup(buf);
	return ret;
}

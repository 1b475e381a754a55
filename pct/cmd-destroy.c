/*
 * pct destroy <vmid> [--force] [--purge] [--destroy-unreferenced-disks]
 *
 * Refused with protection: 1, while locked, or while running without
 * --force. Sets `lock: destroyed`, asks corral-syncd to delete the CT's
 * objects, its VolumeSnapshots and every PVC its config references (main
 * section, pending changes, snapshots, unusedN), waits for it, and removes
 * the .conf last, with the CT's state, secrets and status. A destroy that
 * stops half-way can be run again.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "power.h"
#include "state.h"

static int
wait_destroyed(unsigned vmid, double gen, long timeout, struct pct_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/ct/%u.status", pctconf_rundir(), vmid);
	long waited = 0;

	if (!pct_agent_alive())
		return pct_error_set(err, PCT_E_TIMEOUT,
				     "unable to destroy CT %u - corral-syncd is not running (the CT stays locked 'destroyed'; run pct destroy again once it runs)",
				     vmid);
	for (;;) {
		_cleanup_free_ char *buf = NULL;
		size_t len;

		if (pct_read_file(path, 1 << 20, &buf, &len) == 0) {
			cJSON *j = cJSON_ParseWithLength(buf, len);
			const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "generation");
			bool done = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "destroyed")) &&
				    cJSON_IsNumber(g) && g->valuedouble >= gen;
			const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");

			if (!done && cJSON_IsString(e) && cJSON_IsNumber(g) && g->valuedouble >= gen) {
				pct_error_set(err, PCT_E_INVALID, "unable to destroy CT %u - %s", vmid,
					      e->valuestring);
				cJSON_Delete(j);
				return -1;
			}
			cJSON_Delete(j);
			if (done)
				return 0;
		}
		if (waited >= timeout * 20)
			return pct_error_set(err, PCT_E_TIMEOUT,
					     "unable to destroy CT %u - corral-syncd did not finish within %ld s",
					     vmid, timeout);
		usleep(50000);
		waited++;
	}
}

static int
cmd_destroy_exec(struct pct_args *args, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	const char *lock;
	char **vols = NULL;
	size_t nvols = 0, i;
	double gen;
	int ret;

	ret = pct_lock(args->vmid, &lk, err);
	if (ret < 0)
		return ret;
	ret = pct_load(args->vmid, &conf, err);
	if (ret < 0)
		goto out;
	if (pctconf_value_true(pctconf_get(&conf->main, "protection"))) {
		ret = pct_error_set(err, PCT_E_REFUSED,
				    "can't remove CT %u - protection mode enabled", args->vmid);
		goto out;
	}
	lock = pctconf_get(&conf->main, "lock");
	if (!lock || strcmp(lock, "destroyed") != 0) {
		ret = pctconf_check_lock(conf, err);
		if (ret < 0)
			goto out;
	}
	if (pct_is_running(args->vmid) && !pct_args_bool(args, "force", false)) {
		ret = pct_error_set(err, PCT_E_REFUSED,
				    "unable to destroy CT %u - container is running", args->vmid);
		goto out;
	}
	if (pct_is_running(args->vmid))
		printf("forced to stop CT %u before destroying!\n", args->vmid);
	pctconf_set(&conf->main, "lock", "destroyed");
	ret = pct_save(conf, err);
	if (ret < 0)
		goto out;
	/* every volume the config knows: main, unused, pending, snapshots */
	nvols = pctconf_volumes(conf, true, true, &vols);
	{
		size_t j, alloc = nvols;

		for (j = 0; j < conf->pending.nvals; j++) {
			_cleanup_free_ char *v = pctconf_mp_volid(conf->pending.vals[j].key,
								   conf->pending.vals[j].value);

			if (v) {
				vols = xgrow(vols, nvols + 1, &alloc, sizeof(*vols));
				vols[nvols++] = steal_ptr(v);
			}
		}
	}
	ret = pct_state_add_destroy(args->vmid, vols, nvols, err);
	if (ret == 0) {
		cJSON *state = pct_state_load(args->vmid);

		cJSON_DeleteItemFromObjectCaseSensitive(state, "destroy");
		cJSON_AddTrueToObject(state, "destroy");
		cJSON_DeleteItemFromObjectCaseSensitive(state, "destroy-unreferenced");
		if (pct_args_bool(args, "destroy-unreferenced-disks", false))
			cJSON_AddTrueToObject(state, "destroy-unreferenced");
		ret = pct_state_save(args->vmid, state, err);
		cJSON_Delete(state);
	}
	if (ret == 0)
		ret = pct_power_request(args->vmid, "stopped", 0, false, false, &gen, err);
	pctconf_unlock(&lk);
	if (ret < 0)
		goto done;
	ret = wait_destroyed(args->vmid, gen, pct_wait_timeout(), err);
	if (ret < 0)
		goto done;
	/* the .conf goes last */
	ret = pct_lock(args->vmid, &lk, err);
	if (ret < 0)
		goto done;
	{
		_cleanup_free_ char *path = pctconf_path(NULL, args->vmid);
		_cleanup_free_ char *state = pct_state_path(args->vmid);
		_cleanup_free_ char *sdir = xasprintf("%s/ct/%u", pctconf_statedir(), args->vmid);
		_cleanup_free_ char *pw = xasprintf("%s/password", sdir);
		_cleanup_free_ char *keys = xasprintf("%s/authorized_keys", sdir);

		(void)unlink(pw);
		(void)unlink(keys);
		(void)rmdir(sdir);
		(void)unlink(state);
		if (unlink(path) < 0 && errno != ENOENT)
			ret = pct_error_errno(err, errno, "unable to remove '%s'", path);
	}
	goto out;
out:
	pctconf_unlock(&lk);
done:
	for (i = 0; i < nvols; i++)
		free(vols[i]);
	free(vols);
	return ret < 0 ? -1 : 0;
}

static const char *const destroy_args[] = { "vmid", NULL };
static const struct pctconf_prop destroy_opts[] = {
	{ .name = "destroy-unreferenced-disks", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,
	  .help = "Also delete PVCs labelled for this CT that its config does not reference." },
	{ .name = "force", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Stop a running CT first." },
	{ .name = "purge", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Accepted for compatibility; there are no HA, replication or backup jobs." },
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_destroy = {
	.name = "destroy",
	.args = destroy_args,
	.opts = destroy_opts,
	.help = "Destroy the container (also delete all its volumes).",
	.exec = cmd_destroy_exec,
};

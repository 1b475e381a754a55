/*
 * pct snapshot <vmid> <snapname> [--description TEXT]
 * pct delsnapshot <vmid> <snapname> [--force]
 * pct rollback <vmid> <snapname> [--start]
 *
 * Proxmox's snapshot state machine on the file (§7: lock snapshot, a
 * section with snapstate prepare and snaptime, commit with parent; delete
 * with snapshot-delete and re-parenting; rollback with lock rollback), with
 * the storage step done by corral-syncd: one CSI VolumeSnapshot per
 * storage-backed volume, waited for until ready; a rollback replaces each
 * PVC by one restored from its VolumeSnapshot. A failed snapshot runs
 * Proxmox's cleanup, so the file ends as it began. A CT left mid-way (pct
 * or the agent killed) recovers as in Proxmox: `pct delsnapshot --force`
 * removes a half-made snapshot, `pct unlock` clears a lock.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "ops.h"
#include "power.h"
#include "settings.h"
#include "state.h"

/* The storage-backed volumes of a section, as [{"key", "volid", "size"}]. */
static cJSON *
volumes_of(const struct pctconf_section *s)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < s->nvals; i++) {
		const struct pctconf_key *row = pctconf_key_lookup(s->vals[i].key, NULL);
		_cleanup_free_ char *volid = pctconf_mp_volid(s->vals[i].key, s->vals[i].value);
		struct pctconf_props p;
		struct strbuf msg = STRBUF_INIT;
		unsigned long long size = 0;
		cJSON *v;

		if (!volid)
			continue;
		if (pctconf_props_parse(row->props, s->vals[i].value, &p, &msg, NULL) == 0) {
			const char *sz = pctconf_props_get(&p, "size");

			if (sz)
				(void)pctconf_parse_size(sz, &size);
			pctconf_props_release(&p);
		}
		strbuf_release(&msg);
		v = cJSON_CreateObject();
		cJSON_AddStringToObject(v, "key", s->vals[i].key);
		cJSON_AddStringToObject(v, "volid", volid);
		cJSON_AddNumberToObject(v, "size", (double)size);
		cJSON_AddItemToArray(arr, v);
	}
	return arr;
}

/*
 * Proxmox's has_feature('snapshot'): a bind or device mount point has no
 * storage to snapshot, so `pct snapshot` refuses it whatever its backup=
 * says (only vzdump's own snapshot skips mount points outside the backup).
 */
static int
check_snapshot_feature(const struct pctconf *conf, struct pct_error **err)
{
	size_t i;

	for (i = 0; i < conf->main.nvals; i++) {
		const char *k = conf->main.vals[i].key;
		const struct pctconf_key *row = pctconf_key_lookup(k, NULL);
		struct pctconf_props p;
		struct strbuf msg = STRBUF_INIT;
		const char *vol;
		bool refuse;

		if (!row || (strcmp(k, "rootfs") && strcmp(row->name, "mp")))
			continue;
		if (pctconf_props_parse(row->props, conf->main.vals[i].value, &p, &msg, NULL) < 0) {
			strbuf_release(&msg);
			continue;
		}
		vol = pctconf_props_get(&p, "volume");
		refuse = vol && pctconf_classify_mountpoint(vol) != PCTCONF_MP_VOLUME;
		pctconf_props_release(&p);
		if (refuse)
			return pct_error_set(err, PCT_E_REFUSED, "snapshot feature is not available");
	}
	return 0;
}

static int
reserved(const char *name, struct pct_error **err)
{
	if (!strcmp(name, "current") || !strcmp(name, "vzdump"))
		return pct_error_set(err, PCT_E_INVALID,
				     "unable to use snapshot name '%s' (reserved name)", name);
	return 0;
}

/* Run fn on the CT's config under its lock and save it. */
static int
locked_update(unsigned vmid, int (*fn)(struct pctconf *, void *, struct pct_error **), void *ctx,
	      struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	int ret;

	ret = pct_lock(vmid, &lk, err);
	if (ret < 0)
		return ret;
	ret = pct_load(vmid, &conf, err);
	if (ret == 0)
		ret = fn(conf, ctx, err);
	if (ret == 0)
		ret = pct_save(conf, err) < 0 ? -1 : 0;
	pctconf_unlock(&lk);
	return ret;
}

struct snapctx {
	const char *name;
	bool force;
};

static int
do_commit(struct pctconf *conf, void *ctx, struct pct_error **err)
{
	return pctconf_snapshot_commit(conf, ((struct snapctx *)ctx)->name, err);
}

static int
do_abort(struct pctconf *conf, void *ctx, struct pct_error **err)
{
	(void)err;
	return pctconf_snapshot_abort(conf, ((struct snapctx *)ctx)->name);
}

static int
do_delete_finish(struct pctconf *conf, void *ctx, struct pct_error **err)
{
	return pctconf_snapshot_delete_finish(conf, ((struct snapctx *)ctx)->name, err);
}

static int
do_rollback_finish(struct pctconf *conf, void *ctx, struct pct_error **err)
{
	return pctconf_snapshot_rollback_finish(conf, ((struct snapctx *)ctx)->name, err);
}

static int
queue_op(unsigned vmid, const char *op, const char *name, cJSON *volumes, bool force, char **id,
	 struct pct_error **err)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "op", op);
	cJSON_AddStringToObject(o, "snapname", name);
	if (volumes)
		cJSON_AddItemToObject(o, "volumes", volumes);
	if (force)
		cJSON_AddTrueToObject(o, "force");
	return pct_op_run(vmid, o, id, err);
}

static int
cmd_snapshot_exec(struct pct_args *args, struct pct_error **err)
{
	const char *name = pct_args_get(args, "snapname");
	const char *descr = pct_args_get(args, "description");
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	_cleanup_free_ char *id = NULL;
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	struct snapctx ctx = { name, false };
	int ret;

	ret = reserved(name, err);
	if (ret < 0)
		return ret;
	ret = pct_op_require_agent("snapshot", err);
	if (ret < 0)
		return ret;
	ret = pct_lock(args->vmid, &lk, err);
	if (ret < 0)
		return ret;
	ret = pct_load(args->vmid, &conf, err);
	/* Proxmox's order: template, lock, name, then the feature */
	if (ret == 0)
		ret = pctconf_snapshot_prepare(conf, name, descr, time(NULL), err);
	if (ret == 0)
		ret = check_snapshot_feature(conf, err);
	if (ret == 0) {
		size_t i;

		for (i = 0; i < conf->ndiags; i++)
			if (!conf->diags[i].line)
				pct_warn("%s", conf->diags[i].msg);
		ret = pct_save(conf, err) < 0 ? -1 : 0;
	}
	if (ret == 0)
		ret = queue_op(args->vmid, "snapshot-create", name, volumes_of(&conf->main), false,
			       &id, err);
	pctconf_unlock(&lk);
	if (ret < 0)
		return ret;
	ret = pct_op_wait(args->vmid, id, pct_op_timeout(), NULL, err);
	if (ret == 0)
		return locked_update(args->vmid, do_commit, &ctx, err);
	/* Proxmox: "snapshot create failed: starting cleanup" */
	{
		_cleanup_error_ struct pct_error *e2 = NULL;
		_cleanup_free_ char *id2 = NULL;

		pct_warn("snapshot create failed: starting cleanup");
		if (pct_lock(args->vmid, &lk, &e2) == 0) {
			(void)queue_op(args->vmid, "snapshot-delete", name, NULL, true, &id2, &e2);
			pctconf_unlock(&lk);
		}
		(void)locked_update(args->vmid, do_abort, &ctx, &e2);
		if (e2)
			pct_warn("%s", e2->msg);
	}
	return -1;
}

static int
cmd_delsnapshot_exec(struct pct_args *args, struct pct_error **err)
{
	const char *name = pct_args_get(args, "snapname");
	bool force = pct_args_bool(args, "force", false);
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	_cleanup_free_ char *id = NULL;
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	struct snapctx ctx = { name, force };
	const struct pctconf_section *snap;
	const char *lock;
	int ret;

	/* --force removes the section even when the storage side cannot be reached */
	if (!force) {
		ret = pct_op_require_agent("delsnapshot", err);
		if (ret < 0)
			return ret;
	}
	ret = pct_lock(args->vmid, &lk, err);
	if (ret < 0)
		return ret;
	ret = pct_load(args->vmid, &conf, err);
	if (ret < 0)
		goto out;
	snap = pctconf_snapshot(conf, name);
	lock = pctconf_get(&conf->main, "lock");
	/* --force also cleans up after a create or delete that stopped half-way */
	if (force && snap && lock && (!strcmp(lock, "snapshot") || !strcmp(lock, "snapshot-delete")))
		pctconf_unset(&conf->main, "lock");
	ret = pctconf_snapshot_delete_prepare(conf, name, force, err);
	if (ret == 0)
		ret = pct_save(conf, err) < 0 ? -1 : 0;
	if (ret == 0)
		ret = queue_op(args->vmid, "snapshot-delete", name,
			       volumes_of(pctconf_snapshot(conf, name)), force, &id, err);
out:
	pctconf_unlock(&lk);
	if (ret < 0)
		return ret;
	ret = pct_op_wait(args->vmid, id, pct_op_timeout(), NULL, err);
	if (ret < 0 && !force)
		return ret; /* stays locked snapshot-delete: retry, or --force */
	if (ret < 0) {
		pct_warn("%s", (*err)->msg);
		pct_error_free(err);
	}
	return locked_update(args->vmid, do_delete_finish, &ctx, err);
}

/* the CT runs, or is asked to (a pod that is starting must go too) */
static bool
wants_pod(unsigned vmid)
{
	cJSON *state = pct_state_load(vmid);
	bool running = !strcmp(pct_state_power(state), "running") || pct_is_running(vmid);

	cJSON_Delete(state);
	return running;
}

static int
cmd_rollback_exec(struct pct_args *args, struct pct_error **err)
{
	const char *name = pct_args_get(args, "snapname");
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	_cleanup_free_ char *id = NULL;
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	struct snapctx ctx = { name, false };
	double gen;
	bool was_running;
	int ret;

	ret = pct_op_require_agent("rollback", err);
	if (ret < 0)
		return ret;
	/*
	 * Proxmox checks, stops the CT, then sets `lock: rollback`, all under
	 * the config lock. Here the agent does the stop, and it leaves a CT
	 * with a `lock:` alone: so the checks run, the stop is asked for and
	 * waited on, and the lock is set after it, with the checks made again.
	 */
	ret = pct_lock(args->vmid, &lk, err);
	if (ret < 0)
		return ret;
	ret = pct_load(args->vmid, &conf, err);
	if (ret == 0)
		ret = pctconf_snapshot_rollback_prepare(conf, name, err);
	was_running = ret == 0 && wants_pod(args->vmid);
	/* the CT is stopped first (hard), as Proxmox does */
	if (was_running)
		ret = pct_power_request(args->vmid, "stopped", 0, false, false, &gen, err);
	pctconf_unlock(&lk);
	if (ret < 0)
		return ret;
	if (was_running) {
		ret = pct_power_wait(args->vmid, gen, "stopped", pct_wait_timeout(), "rollback", err);
		if (ret < 0)
			return ret;
	}
	ret = pct_lock(args->vmid, &lk, err);
	if (ret < 0)
		return ret;
	pctconf_free(conf);
	conf = NULL;
	ret = pct_load(args->vmid, &conf, err);
	if (ret == 0)
		ret = pctconf_snapshot_rollback_prepare(conf, name, err);
	if (ret == 0 && wants_pod(args->vmid))
		ret = pct_error_set(err, PCT_E_INVALID,
				    "unable to rollback CT %u - it was started again while stopping",
				    args->vmid);
	if (ret == 0)
		ret = pct_save(conf, err) < 0 ? -1 : 0;
	if (ret == 0)
		ret = queue_op(args->vmid, "rollback", name,
			       volumes_of(pctconf_snapshot(conf, name)), false, &id, err);
	pctconf_unlock(&lk);
	if (ret < 0)
		return ret;
	ret = pct_op_wait(args->vmid, id, pct_op_timeout(), NULL, err);
	if (ret < 0)
		return pct_error_prefix(err, "rollback of CT %u to '%s' failed (the CT stays locked 'rollback'; pct unlock clears it)",
					args->vmid, name);
	ret = locked_update(args->vmid, do_rollback_finish, &ctx, err);
	if (ret == 0 && pct_args_bool(args, "start", false)) {
		ret = pct_lock(args->vmid, &lk, err);
		if (ret == 0) {
			ret = pct_power_request(args->vmid, "running", -1, false, false, &gen, err);
			pctconf_unlock(&lk);
		}
		if (ret == 0)
			ret = pct_power_wait(args->vmid, gen, "running", pct_wait_timeout(), "start",
					     err);
	}
	return ret;
}

#define SNAPNAME_PROP                                                                              \
	{ .name = "snapname", .type = PCTCONF_STR, .format = "pve-configid", .max_length = 40,    \
	  .help = "The name of the snapshot." }

static const char *const snap_args[] = { "vmid", "snapname", NULL };
static const struct pctconf_prop snapshot_opts[] = {
	{ .name = "description", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,
	  .help = "A textual description or comment." },
	SNAPNAME_PROP,
	PCT_PROP_VMID,
	{ .name = NULL },
};
static const struct pctconf_prop delsnapshot_opts[] = {
	{ .name = "force", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,
	  .help = "Remove the snapshot from the config even if deleting its VolumeSnapshots fails." },
	SNAPNAME_PROP,
	PCT_PROP_VMID,
	{ .name = NULL },
};
static const struct pctconf_prop rollback_opts[] = {
	SNAPNAME_PROP,
	{ .name = "start", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Start the container after the rollback." },
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_snapshot = {
	.name = "snapshot",
	.args = snap_args,
	.opts = snapshot_opts,
	.help = "Snapshot a container.",
	.exec = cmd_snapshot_exec,
};

const struct pct_cmd pct_cmd_delsnapshot = {
	.name = "delsnapshot",
	.args = snap_args,
	.opts = delsnapshot_opts,
	.help = "Delete a LXC snapshot.",
	.exec = cmd_delsnapshot_exec,
};

const struct pct_cmd pct_cmd_rollback = {
	.name = "rollback",
	.args = snap_args,
	.opts = rollback_opts,
	.help = "Rollback LXC state to specified snapshot.",
	.exec = cmd_rollback_exec,
};

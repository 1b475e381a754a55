/*
 * Storage operations pct queues in a CT's state file ("ops") and the agent
 * carries out: snapshot-create, snapshot-delete, rollback, clone. Each runs
 * as a small state machine advanced by the CT's passes (the agent never
 * blocks): it looks at the cache, sends what is missing, and is done when
 * the cluster shows the result. Every step is idempotent, so an agent
 * restart simply runs the remaining steps. Outcomes go to the status file
 * under the op's id: {"state": "done"|"failed", "error": "..."}.
 *
 * Names: the VolumeSnapshot of volume V (PVC P) in snapshot S is "P-s"
 * where s is S made a DNS label (lower case, '_' as '-', hashed when it
 * would collide or be too long); labels corral.dev/ctid and
 * corral.dev/snapshot and the annotation corral.dev/snapname keep the
 * mapping. A template's volume V has one more, "P--base" (labelled
 * corral.dev/template-base, never a snapshot section's: labels of snapshot
 * names start with a letter), made by its first linked clone and restored
 * by every linked clone, Proxmox's base volume. PVCs an op creates
 * (restored or cloned) are written with the
 * field manager corral-syncd-restore, so the regular apply never fights
 * over their immutable dataSource.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "syncd.h"

#define RESTORE_MANAGER "corral-syncd-restore"
#define SNAP_GV "snapshot.storage.k8s.io/v1"

/* a snapshot name as a DNS label part */
char *
syncd_snap_label(const char *snapname)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	bool changed = false;

	for (p = snapname; *p; p++) {
		char c = (char)pct_tolower((unsigned char)*p);

		if (c == '_')
			c = '-';
		if (c != *p)
			changed = true;
		strbuf_addch(&sb, c);
	}
	if (changed || sb.len > 40) {
		char h[41];

		pctconf_sha1_hex(snapname, strlen(snapname), h);
		if (sb.len > 30)
			sb.len = 30;
		sb.buf[sb.len] = '\0';
		strbuf_addf(&sb, "-%.8s", h);
	}
	return strbuf_detach(&sb, NULL);
}

char *
syncd_vs_name(const char *volid, const char *snapname)
{
	_cleanup_free_ char *pvc = desired_pvc_name(volid);
	_cleanup_free_ char *label = syncd_snap_label(snapname);

	return xasprintf("%s-%s", pvc, label);
}

static double
wall(void)
{
	return (double)time(NULL);
}

/* the result of an op, kept in ct->ops (also read back from the status file) */
static void
op_result(struct ct *ct, const char *id, const char *state, const char *error)
{
	cJSON *r = cJSON_CreateObject();

	if (!ct->ops)
		ct->ops = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "state", state);
	if (error)
		cJSON_AddStringToObject(r, "error", error);
	cJSON_DeleteItemFromObjectCaseSensitive(ct->ops, id);
	cJSON_AddItemToObject(ct->ops, id, r);
}

static bool
op_finished(const struct ct *ct, const char *id)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(ct->ops, id);
	const char *st = js(cJSON_GetObjectItemCaseSensitive(r, "state"));

	return st && (!strcmp(st, "done") || !strcmp(st, "failed"));
}

/* when this op was first seen running (for its timeout) */
static double
op_started(struct ct *ct, const char *id)
{
	const cJSON *r;

	if (!ct->op_started)
		ct->op_started = cJSON_CreateObject();
	r = cJSON_GetObjectItemCaseSensitive(ct->op_started, id);
	if (cJSON_IsNumber(r))
		return r->valuedouble;
	cJSON_AddNumberToObject(ct->op_started, id, wall());
	return wall();
}

static char *
path_of(struct syncd *sd, const char *gv, const char *resource, const char *name)
{
	return kube_path(gv, sd->settings->namespace, resource, name);
}

static int
apply_as(struct syncd *sd, enum syncd_kind k, cJSON *obj, const char *manager,
	 struct pct_error **err)
{
	_cleanup_free_ char *path = path_of(sd, syncd_kinds[k].group_version, syncd_kinds[k].resource,
					    desired_object_name(obj));
	cJSON *result = NULL;

	if (sd->dry_run) {
		printf("would create %s/%s\n", syncd_kinds[k].kind, desired_object_name(obj));
		return 0;
	}
	if (kube_apply(sd->kube, path, obj, manager, true, &result, err) < 0)
		return pct_error_prefix(err, "%s %s", syncd_kinds[k].kind, desired_object_name(obj));
	if (result)
		syncd_cache_take(sd, k, result);
	return 0;
}

static cJSON *
labelled(const char *api_version, const char *kind, const char *name, struct syncd *sd,
	 unsigned vmid)
{
	cJSON *o = cJSON_CreateObject(), *md, *labels;
	char id[16];

	cJSON_AddStringToObject(o, "apiVersion", api_version);
	cJSON_AddStringToObject(o, "kind", kind);
	md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "name", name);
	cJSON_AddStringToObject(md, "namespace", sd->settings->namespace);
	labels = cJSON_AddObjectToObject(md, "labels");
	cJSON_AddStringToObject(labels, LABEL_MANAGED_BY, CORRAL_MANAGED_BY);
	snprintf(id, sizeof(id), "%u", vmid);
	cJSON_AddStringToObject(labels, LABEL_CTID, id);
	return o;
}

static const struct corral_storage *
storage_of(struct syncd *sd, const char *volid, char **sid)
{
	if (!pctconf_parse_volume_id(volid, sid, NULL))
		return NULL;
	return corral_settings_storage(sd->settings, *sid);
}

#define NO_SNAPSHOT_API "the cluster has no VolumeSnapshot API (" SNAP_GV ")"

/*
 * Where a VolumeSnapshot an op waits for stands: 1 ready to use, 0 not yet,
 * -1 failed (the op then fails with the snapshotter's reason).
 */
static int
vs_ready(struct ct *ct, const char *id, const cJSON *have, const char *vs)
{
	const char *emsg = js(jget(have, "status", "error", "message"));

	if (emsg) {
		_cleanup_free_ char *msg = xasprintf("VolumeSnapshot %s failed: %s", vs, emsg);

		op_result(ct, id, "failed", msg);
		return -1;
	}
	return cJSON_IsTrue(jget(have, "status", "readyToUse", NULL)) ? 1 : 0;
}

/* ---- snapshot-create ---- */

static int
snapshot_create(struct syncd *sd, struct ct *ct, const cJSON *op, const char *id,
		struct pct_error **err)
{
	const char *snap = js(cJSON_GetObjectItemCaseSensitive(op, "snapname"));
	const cJSON *vols = cJSON_GetObjectItemCaseSensitive(op, "volumes"), *v;
	bool all_ready = true;
	double started = op_started(ct, id);

	if (!snap) {
		op_result(ct, id, "failed", "snapshot-create without a snapshot name");
		return 0;
	}
	if (!sd->has_snapshots && !syncd_snapshots_served(sd)) {
		op_result(ct, id, "failed", NO_SNAPSHOT_API ": snapshot feature is not available");
		return 0;
	}
	cJSON_ArrayForEach(v, vols)
	{
		const char *volid = js(cJSON_GetObjectItemCaseSensitive(v, "volid"));
		const char *key = js(cJSON_GetObjectItemCaseSensitive(v, "key"));
		_cleanup_free_ char *sid = NULL, *vs = NULL, *pvc = NULL, *label = NULL;
		const struct corral_storage *st;
		const cJSON *have;
		int ready;

		if (!volid)
			continue;
		st = storage_of(sd, volid, &sid);
		if (!st || !st->snapshot_class[0]) {
			_cleanup_free_ char *msg = xasprintf("storage '%s' has no snapshot-class in corral.conf: snapshot feature is not available",
							     sid ? sid : volid);

			op_result(ct, id, "failed", msg);
			return 0;
		}
		vs = syncd_vs_name(volid, snap);
		have = syncd_cache_get(sd, KIND_VOLUMESNAPSHOT, vs);
		if (!have) {
			cJSON *o = labelled(SNAP_GV, "VolumeSnapshot", vs, sd, ct->vmid), *md, *spec;

			pvc = desired_pvc_name(volid);
			label = syncd_snap_label(snap);
			md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
			cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(md, "labels"),
						"corral.dev/snapshot", label);
			cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(md, "labels"),
						LABEL_VOLUME, key ? key : "");
			{
				cJSON *ann = cJSON_AddObjectToObject(md, "annotations");

				cJSON_AddStringToObject(ann, "corral.dev/snapname", snap);
				cJSON_AddStringToObject(ann, ANN_VOLID, volid);
			}
			spec = cJSON_AddObjectToObject(o, "spec");
			cJSON_AddStringToObject(spec, "volumeSnapshotClassName", st->snapshot_class);
			cJSON_AddStringToObject(cJSON_AddObjectToObject(spec, "source"),
						"persistentVolumeClaimName", pvc);
			if (apply_as(sd, KIND_VOLUMESNAPSHOT, o, CORRAL_FIELD_MANAGER, err) < 0) {
				cJSON_Delete(o);
				if ((*err)->code == KUBE_E_STATUS(404) && !syncd_snapshots_served(sd)) {
					pct_error_free(err);
					op_result(ct, id, "failed",
						  NO_SNAPSHOT_API ": snapshot feature is not available");
					return 0;
				}
				return -1;
			}
			cJSON_Delete(o);
			syncd_log(sd, "CT %u: snapshot '%s': VolumeSnapshot %s created", ct->vmid, snap,
				  vs);
			all_ready = false;
			continue;
		}
		ready = vs_ready(ct, id, have, vs);
		if (ready < 0)
			return 0;
		if (!ready)
			all_ready = false;
	}
	if (all_ready) {
		op_result(ct, id, "done", NULL);
		syncd_log(sd, "CT %u: snapshot '%s' ready", ct->vmid, snap);
	} else if (wall() - started > (double)sd->settings->snapshot_timeout) {
		_cleanup_free_ char *msg = xasprintf("the VolumeSnapshots of '%s' did not become ready within %ld s",
						     snap, sd->settings->snapshot_timeout);

		op_result(ct, id, "failed", msg);
	}
	return 0;
}

/* ---- snapshot-delete ---- */

static int
snapshot_delete(struct syncd *sd, struct ct *ct, const cJSON *op, const char *id,
		struct pct_error **err)
{
	const char *snap = js(cJSON_GetObjectItemCaseSensitive(op, "snapname"));
	_cleanup_free_ char *label = snap ? syncd_snap_label(snap) : NULL;
	_cleanup_free_ const cJSON **objs = NULL;
	size_t n, i;
	bool remaining = false;
	char vmid[16];

	if (!snap) {
		op_result(ct, id, "failed", "snapshot-delete without a snapshot name");
		return 0;
	}
	if (!sd->has_snapshots) {
		op_result(ct, id, "done", NULL);
		return 0;
	}
	snprintf(vmid, sizeof(vmid), "%u", ct->vmid);
	n = syncd_cache_of_ct(sd, KIND_VOLUMESNAPSHOT, ct->vmid, &objs);
	for (i = 0; i < n; i++) {
		const cJSON *it = objs[i];
		const char *c = js(jget(it, "metadata", "labels", LABEL_CTID));
		const char *s = js(jget(it, "metadata", "labels", "corral.dev/snapshot"));
		const char *name = js(jget(it, "metadata", "name", NULL));
		const char *uid = js(jget(it, "metadata", "uid", NULL));
		_cleanup_free_ char *path = NULL;

		if (!c || strcmp(c, vmid) || !s || strcmp(s, label))
			continue;
		remaining = true;
		if (jget(it, "metadata", "deletionTimestamp", NULL))
			continue;
		if (sd->dry_run) {
			printf("would delete VolumeSnapshot/%s\n", name);
			continue;
		}
		path = path_of(sd, SNAP_GV, "volumesnapshots", name);
		if (kube_delete(sd->kube, path, uid, NULL, NULL, err) < 0 &&
		    !pct_error_consume(err, KUBE_E_STATUS(404))) {
			_cleanup_free_ char *msg = xasprintf("unable to delete VolumeSnapshot %s: %s", name,
							     (*err)->msg);

			pct_error_free(err);
			op_result(ct, id, "failed", msg);
			return 0;
		}
	}
	if (!remaining) {
		op_result(ct, id, "done", NULL);
		syncd_log(sd, "CT %u: snapshot '%s' deleted", ct->vmid, snap);
	}
	return 0;
}

/* ---- rollback and clone: PVCs with a dataSource ---- */

static cJSON *
restored_pvc(struct syncd *sd, unsigned vmid, const char *key, const char *volid,
	     unsigned long long size, const char *source_kind, const char *source_name,
	     const char *opid, const char **why)
{
	_cleanup_free_ char *sid = NULL, *pvc = desired_pvc_name(volid), *qty = NULL;
	const struct corral_storage *st = storage_of(sd, volid, &sid);
	cJSON *o, *md, *spec, *ds;

	*why = NULL;
	if (!st) {
		*why = "the volume's storage has no StorageClass in corral.conf";
		return NULL;
	}
	if (!size) {
		*why = "the volume has no size";
		return NULL;
	}
	o = labelled("v1", "PersistentVolumeClaim", pvc, sd, vmid);
	md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(md, "labels"), LABEL_VOLUME, key);
	{
		cJSON *ann = cJSON_AddObjectToObject(md, "annotations");

		cJSON_AddStringToObject(ann, ANN_VOLID, volid);
		cJSON_AddStringToObject(ann, "corral.dev/restored-by", opid);
	}
	spec = cJSON_AddObjectToObject(o, "spec");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "accessModes"),
			     cJSON_CreateString("ReadWriteOnce"));
	qty = desired_quantity(size);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(spec, "resources"),
							 "requests"),
				"storage", qty);
	if (st->storage_class[0])
		cJSON_AddStringToObject(spec, "storageClassName", st->storage_class);
	cJSON_AddStringToObject(spec, "volumeMode", "Filesystem");
	ds = cJSON_AddObjectToObject(spec, "dataSource");
	if (!strcmp(source_kind, "VolumeSnapshot"))
		cJSON_AddStringToObject(ds, "apiGroup", "snapshot.storage.k8s.io");
	cJSON_AddStringToObject(ds, "kind", source_kind);
	cJSON_AddStringToObject(ds, "name", source_name);
	return o;
}

/*
 * The PVCs an op made are of use once bound (or waiting for their first
 * consumer, the CT's start). One that is not: 0, and after snapshot-timeout
 * (counted from when the op first waited for it) the op fails, naming the
 * PVC and what its Events say. 1 when it is ready.
 */
static int
pvc_bound_or_fail(struct syncd *sd, struct ct *ct, const char *id, const cJSON *pvc,
		  const char *what)
{
	_cleanup_free_ char *why = NULL, *clock = xasprintf("%s/bind", id);
	double started;

	if (sd->dry_run || syncd_pvc_ready(sd, ct, pvc, &why) > 0)
		return 1;
	started = op_started(ct, clock);
	if (wall() - started > (double)sd->settings->snapshot_timeout) {
		_cleanup_free_ char *msg = xasprintf("PVC %s (%s) is not bound after %ld s (%s)",
						     js(jget(pvc, "metadata", "name", NULL)), what,
						     sd->settings->snapshot_timeout,
						     why ? why : "no Event says why");

		op_result(ct, id, "failed", msg);
	}
	return 0;
}

static int
rollback(struct syncd *sd, struct ct *ct, const cJSON *op, const char *id, struct pct_error **err)
{
	const char *snap = js(cJSON_GetObjectItemCaseSensitive(op, "snapname"));
	const cJSON *vols = cJSON_GetObjectItemCaseSensitive(op, "volumes"), *v;
	_cleanup_free_ char *pod = xasprintf("ct-%u-0", ct->vmid);
	bool all_done = true;

	if (!snap || (!sd->has_snapshots && !syncd_snapshots_served(sd))) {
		op_result(ct, id, "failed", !snap ? "rollback without a snapshot name" : NO_SNAPSHOT_API);
		return 0;
	}
	if (syncd_cache_get(sd, KIND_POD, pod))
		return 0; /* the CT is still stopping: wait */
	cJSON_ArrayForEach(v, vols)
	{
		const char *volid = js(cJSON_GetObjectItemCaseSensitive(v, "volid"));
		const char *key = js(cJSON_GetObjectItemCaseSensitive(v, "key"));
		const cJSON *sz = cJSON_GetObjectItemCaseSensitive(v, "size");
		_cleanup_free_ char *vs = NULL, *pvc = NULL;
		const cJSON *have_vs, *have_pvc;
		const char *by;

		if (!volid || !key)
			continue;
		vs = syncd_vs_name(volid, snap);
		pvc = desired_pvc_name(volid);
		have_vs = syncd_cache_get(sd, KIND_VOLUMESNAPSHOT, vs);
		if (!have_vs || !cJSON_IsTrue(jget(have_vs, "status", "readyToUse", NULL))) {
			_cleanup_free_ char *msg = xasprintf("VolumeSnapshot %s of volume %s %s", vs, volid,
							     have_vs ? "is not ready" : "does not exist");

			op_result(ct, id, "failed", msg);
			return 0;
		}
		have_pvc = syncd_cache_get(sd, KIND_PVC, pvc);
		by = js(jget(have_pvc, "metadata", "annotations", "corral.dev/restored-by"));
		if (have_pvc && by && !strcmp(by, id)) {
			/* restored by this rollback: done once bound */
			_cleanup_free_ char *what = xasprintf("restored from VolumeSnapshot %s", vs);

			if (!pvc_bound_or_fail(sd, ct, id, have_pvc, what)) {
				if (op_finished(ct, id))
					return 0;
				all_done = false;
			}
			continue;
		}
		all_done = false;
		if (have_pvc) {
			/* the old volume goes first; it may take a moment (pvc-protection) */
			if (!jget(have_pvc, "metadata", "deletionTimestamp", NULL) && !sd->dry_run) {
				_cleanup_free_ char *path = path_of(sd, "v1", "persistentvolumeclaims", pvc);

				if (kube_delete(sd->kube, path, js(jget(have_pvc, "metadata", "uid", NULL)),
						NULL, NULL, err) < 0 &&
				    !pct_error_consume(err, KUBE_E_STATUS(404)))
					return -1;
			}
			continue;
		}
		{
			long long size = 0;
			cJSON *o;
			int ret;

			/* out of range (an edited state file): no size, refused below */
			if (cJSON_IsNumber(sz))
				(void)pct_double_to_ll(sz->valuedouble, 0, 1LL << 53, &size);
			o = restored_pvc(sd, ct->vmid, key, volid, (unsigned long long)size,
					 "VolumeSnapshot", vs, id, &by);

			if (!o) {
				_cleanup_free_ char *msg = xasprintf("unable to restore %s: %s", volid, by);

				op_result(ct, id, "failed", msg);
				return 0;
			}
			ret = apply_as(sd, KIND_PVC, o, RESTORE_MANAGER, err);
			cJSON_Delete(o);
			if (ret < 0)
				return -1;
			syncd_log(sd, "CT %u: %s restored from VolumeSnapshot %s", ct->vmid, pvc, vs);
		}
	}
	if (all_done)
		op_result(ct, id, "done", NULL);
	return 0;
}

static unsigned long long
conf_size(const struct pctconf *conf, const char *key)
{
	const struct pctconf_key *row = pctconf_key_lookup(key, NULL);
	const char *value = pctconf_get(&conf->main, key);
	struct pctconf_props p;
	struct strbuf msg = STRBUF_INIT;
	unsigned long long size = 0;

	if (!row || !row->props || !value || pctconf_props_parse(row->props, value, &p, &msg, NULL) < 0) {
		strbuf_release(&msg);
		return 0;
	}
	if (pctconf_props_get(&p, "size"))
		(void)pctconf_parse_size(pctconf_props_get(&p, "size"), &size);
	pctconf_props_release(&p);
	return size;
}

char *
syncd_base_vs_name(const char *volid)
{
	_cleanup_free_ char *pvc = desired_pvc_name(volid);

	return xasprintf("%s--base", pvc);
}

/*
 * The base VolumeSnapshots of a template's volumes, for a linked clone:
 * made once (labelled for the template, so that they go with it), then
 * reused. Returns 1 when all are ready, 0 while waiting or when the op
 * failed (op_result says which), -1 on an API error to retry.
 */
static int
base_snapshots(struct syncd *sd, struct ct *ct, unsigned source, const cJSON *vols,
	       const char *id, struct pct_error **err)
{
	const cJSON *v;
	bool all_ready = true;
	double started = op_started(ct, id);

	cJSON_ArrayForEach(v, vols)
	{
		const char *key = js(cJSON_GetObjectItemCaseSensitive(v, "key"));
		const char *src = js(cJSON_GetObjectItemCaseSensitive(v, "source"));
		_cleanup_free_ char *sid = NULL, *vs = NULL, *pvc = NULL;
		const struct corral_storage *st;
		const cJSON *have;
		int ready;

		if (!key || !src)
			continue;
		st = storage_of(sd, src, &sid);
		if (!st || !st->snapshot_class[0]) {
			_cleanup_free_ char *msg = xasprintf("Linked clone feature for '%s' is not available: storage '%s' has no snapshot-class in corral.conf",
							     src, sid ? sid : src);

			op_result(ct, id, "failed", msg);
			return 0;
		}
		vs = syncd_base_vs_name(src);
		have = syncd_cache_get(sd, KIND_VOLUMESNAPSHOT, vs);
		if (!have) {
			cJSON *o = labelled(SNAP_GV, "VolumeSnapshot", vs, sd, source), *md, *spec;

			pvc = desired_pvc_name(src);
			if (!syncd_cache_get(sd, KIND_PVC, pvc)) {
				_cleanup_free_ char *msg = xasprintf("the source volume %s has no PVC (%s)",
								     src, pvc);

				cJSON_Delete(o);
				op_result(ct, id, "failed", msg);
				return 0;
			}
			md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
			cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(md, "labels"),
						LABEL_VOLUME, key);
			cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(md, "labels"),
						"corral.dev/template-base", "true");
			cJSON_AddStringToObject(cJSON_AddObjectToObject(md, "annotations"), ANN_VOLID, src);
			spec = cJSON_AddObjectToObject(o, "spec");
			cJSON_AddStringToObject(spec, "volumeSnapshotClassName", st->snapshot_class);
			cJSON_AddStringToObject(cJSON_AddObjectToObject(spec, "source"),
						"persistentVolumeClaimName", pvc);
			if (apply_as(sd, KIND_VOLUMESNAPSHOT, o, CORRAL_FIELD_MANAGER, err) < 0) {
				cJSON_Delete(o);
				return -1;
			}
			cJSON_Delete(o);
			syncd_log(sd, "CT %u: base VolumeSnapshot %s of template %u created", ct->vmid, vs,
				  source);
			all_ready = false;
			continue;
		}
		ready = vs_ready(ct, id, have, vs);
		if (ready < 0)
			return 0;
		if (!ready)
			all_ready = false;
	}
	if (all_ready)
		return 1;
	if (wall() - started > (double)sd->settings->snapshot_timeout) {
		_cleanup_free_ char *msg = xasprintf("the base VolumeSnapshots of template %u did not become ready within %ld s",
						     source, sd->settings->snapshot_timeout);

		op_result(ct, id, "failed", msg);
	}
	return 0;
}

static int
clone(struct syncd *sd, struct ct *ct, const struct pctconf *conf, const cJSON *op, const char *id,
      struct pct_error **err)
{
	const char *snap = js(cJSON_GetObjectItemCaseSensitive(op, "snapname"));
	const cJSON *vols = cJSON_GetObjectItemCaseSensitive(op, "volumes"), *v;
	const cJSON *source = cJSON_GetObjectItemCaseSensitive(op, "source");
	/* a linked clone of the current state (pct allows it for templates only) */
	bool base = !snap && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(op, "full"));

	if ((snap || base) && !sd->has_snapshots && !syncd_snapshots_served(sd)) {
		op_result(ct, id, "failed",
			  base ? NO_SNAPSHOT_API ": linked clones need it (use --full)" : NO_SNAPSHOT_API);
		return 0;
	}
	if (base) {
		long long src;
		int ret;

		if (!cJSON_IsNumber(source) ||
		    !pct_double_to_ll(source->valuedouble, 1, 0xFFFFFFFFLL, &src)) {
			op_result(ct, id, "failed", "clone without a source CT");
			return 0;
		}
		ret = base_snapshots(sd, ct, (unsigned)src, vols, id, err);
		if (ret <= 0)
			return ret;
	}
	cJSON_ArrayForEach(v, vols)
	{
		const char *key = js(cJSON_GetObjectItemCaseSensitive(v, "key"));
		const char *src = js(cJSON_GetObjectItemCaseSensitive(v, "source"));
		const char *dst = js(cJSON_GetObjectItemCaseSensitive(v, "target"));
		_cleanup_free_ char *pvc = NULL, *srcname = NULL;
		const char *why;
		cJSON *o;
		int ret;

		if (!key || !src || !dst)
			continue;
		pvc = desired_pvc_name(dst);
		if (syncd_cache_get(sd, KIND_PVC, pvc))
			continue;
		if (base) {
			srcname = syncd_base_vs_name(src);
		} else if (snap) {
			const cJSON *have;

			srcname = syncd_vs_name(src, snap);
			have = syncd_cache_get(sd, KIND_VOLUMESNAPSHOT, srcname);
			if (!have || !cJSON_IsTrue(jget(have, "status", "readyToUse", NULL))) {
				_cleanup_free_ char *msg = xasprintf("VolumeSnapshot %s of volume %s %s",
								     srcname, src,
								     have ? "is not ready" : "does not exist");

				op_result(ct, id, "failed", msg);
				return 0;
			}
		} else {
			srcname = desired_pvc_name(src);
			if (!syncd_cache_get(sd, KIND_PVC, srcname)) {
				_cleanup_free_ char *msg = xasprintf("the source volume %s has no PVC (%s)",
								     src, srcname);

				op_result(ct, id, "failed", msg);
				return 0;
			}
		}
		o = restored_pvc(sd, ct->vmid, key, dst, conf_size(conf, key),
				 snap || base ? "VolumeSnapshot" : "PersistentVolumeClaim", srcname, id,
				 &why);
		if (!o) {
			_cleanup_free_ char *msg = xasprintf("unable to clone %s: %s", src, why);

			op_result(ct, id, "failed", msg);
			return 0;
		}
		ret = apply_as(sd, KIND_PVC, o, RESTORE_MANAGER, err);
		cJSON_Delete(o);
		if (ret < 0)
			return -1;
		syncd_log(sd, "CT %u: %s cloned from %s", ct->vmid, pvc, srcname);
	}
	/* done once every new PVC is bound */
	cJSON_ArrayForEach(v, vols)
	{
		const char *src = js(cJSON_GetObjectItemCaseSensitive(v, "source"));
		const char *dst = js(cJSON_GetObjectItemCaseSensitive(v, "target"));
		_cleanup_free_ char *pvc = NULL, *what = NULL;
		const cJSON *have;

		if (!js(cJSON_GetObjectItemCaseSensitive(v, "key")) || !src || !dst)
			continue;
		pvc = desired_pvc_name(dst);
		have = syncd_cache_get(sd, KIND_PVC, pvc);
		what = xasprintf("clone of %s", src);
		if (!have && !sd->dry_run)
			return 0; /* not in the cache yet */
		if (have && !pvc_bound_or_fail(sd, ct, id, have, what))
			return 0;
	}
	op_result(ct, id, "done", NULL);
	return 0;
}

/*
 * A snapshot-create that pct gave up on (the agent was gone too long) is
 * followed by pct's cleanup, a snapshot-delete of the same name: waiting
 * for the create first would hold the cleanup and every later op until
 * snapshot-timeout. The create is void then.
 */
static bool
superseded(const cJSON *op, const char *kind)
{
	const char *snap = js(cJSON_GetObjectItemCaseSensitive(op, "snapname"));
	const cJSON *later;

	if (strcmp(kind, "snapshot-create") != 0 || !snap)
		return false;
	for (later = op->next; later; later = later->next) {
		const char *k = js(cJSON_GetObjectItemCaseSensitive(later, "op"));
		const char *s = js(cJSON_GetObjectItemCaseSensitive(later, "snapname"));

		if (k && s && !strcmp(k, "snapshot-delete") && !strcmp(s, snap))
			return true;
	}
	return false;
}

int
syncd_ops_step(struct syncd *sd, struct ct *ct, const struct pctconf *conf, const cJSON *ops,
	       bool *pending, struct pct_error **err)
{
	const cJSON *op;

	*pending = false;
	cJSON_ArrayForEach(op, ops)
	{
		const char *id = js(cJSON_GetObjectItemCaseSensitive(op, "id"));
		const char *kind = js(cJSON_GetObjectItemCaseSensitive(op, "op"));
		int ret = 0;

		if (!id || !kind || op_finished(ct, id))
			continue;
		if (!sd->kube_mode) {
			op_result(ct, id, "failed", "storage operations need a cluster (output = kube)");
			continue;
		}
		if (superseded(op, kind))
			op_result(ct, id, "failed", "cancelled: pct deletes this snapshot again");
		else if (!strcmp(kind, "snapshot-create"))
			ret = snapshot_create(sd, ct, op, id, err);
		else if (!strcmp(kind, "snapshot-delete"))
			ret = snapshot_delete(sd, ct, op, id, err);
		else if (!strcmp(kind, "rollback"))
			ret = rollback(sd, ct, op, id, err);
		else if (!strcmp(kind, "clone"))
			ret = clone(sd, ct, conf, op, id, err);
		else
			op_result(ct, id, "failed", "unknown operation");
		if (ret < 0)
			return ret;
		if (!op_finished(ct, id)) {
			/* one op at a time, in order: the next waits for this one */
			*pending = true;
			break;
		}
	}
	return 0;
}

/*
 * Level-triggered reconciliation (DESIGN-NOTES §6, STYLE.md §3.7).
 *
 * Each pass re-reads a CT's file and state, computes the desired objects
 * (pure), compares them with the cache of what the cluster has (by the spec
 * hash we stamp on every object), and applies only what differs, with
 * server-side apply. Events only say where to look; a periodic full pass
 * repairs anything missed. One failing CT backs off on its own and never
 * stalls the others. A file that does not validate keeps the last good state
 * in the cluster; objects of a CT whose file is gone are deleted, but its
 * PVCs are kept and reported; when most files vanish at once nothing is
 * deleted at all.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "resize.h"
#include "syncd.h"

/* ---- helpers ---- */

static void
json_freep(cJSON **p)
{
	cJSON_Delete(*p);
}

static void
set_error(struct ct *ct, const char *msg)
{
	free(ct->error);
	ct->error = msg ? xstrdup(msg) : NULL;
}

static void
backoff(struct syncd *sd, struct ct *ct)
{
	double delay = pow(2.0, ct->failures < 9 ? ct->failures : 9);

	ct->failures++;
	if (delay > 300)
		delay = 300;
	ct->next_attempt = syncd_now() + delay;
	(void)sd;
}

/* The desired state pct recorded: power, generation, destroy-volumes, restart. */
struct state {
	cJSON *json;
	const char *power;
	double generation;
	const char *restart;
	long grace; /* -1: the CT's own */
	bool destroy, destroy_unreferenced;
	bool skiplock; /* this power request bypasses the CT's lock (pct start/stop --skiplock) */
};

static void
state_load(struct syncd *sd, unsigned vmid, struct state *st)
{
	_cleanup_free_ char *path = xasprintf("%s/ct/%u.state", sd->statedir, vmid);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	const cJSON *v;

	memset(st, 0, sizeof(*st));
	if (pct_read_file(path, 1 << 20, &buf, &len) == 0)
		st->json = cJSON_ParseWithLength(buf, len);
	v = cJSON_GetObjectItemCaseSensitive(st->json, "power");
	st->power = cJSON_IsString(v) ? v->valuestring : "stopped";
	v = cJSON_GetObjectItemCaseSensitive(st->json, "generation");
	st->generation = cJSON_IsNumber(v) ? v->valuedouble : 0;
	v = cJSON_GetObjectItemCaseSensitive(st->json, "restart");
	st->restart = cJSON_IsString(v) ? v->valuestring : NULL;
	v = cJSON_GetObjectItemCaseSensitive(st->json, "grace");
	{
		long long grace;

		st->grace = cJSON_IsNumber(v) && pct_double_to_ll(v->valuedouble, 0, INT32_MAX, &grace)
				    ? (long)grace
				    : -1;
	}
	st->destroy = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st->json, "destroy"));
	st->destroy_unreferenced =
		cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st->json, "destroy-unreferenced"));
	st->skiplock = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st->json, "skiplock"));
}

/*
 * restart_done as the last status file recorded it, so an agent restart
 * does not reboot CTs again; and the file's content, so that a restart does
 * not rewrite every status file that says the same.
 */
static void
load_restart_done(struct syncd *sd, struct ct *ct)
{
	_cleanup_free_ char *path = xasprintf("%s/ct/%u.status", sd->rundir, ct->vmid);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	cJSON *j;
	const cJSON *r;

	ct->status_loaded = true;
	if (pct_read_file(path, 1 << 20, &buf, &len) < 0)
		return;
	j = cJSON_ParseWithLength(buf, len);
	if (cJSON_IsObject(j) && !ct->last_status[0]) {
		char *text;

		cJSON_DeleteItemFromObjectCaseSensitive(j, "updated");
		text = cJSON_PrintUnformatted(j);
		if (text)
			pctconf_sha1_hex(text, strlen(text), ct->last_status);
		cJSON_free(text);
	}
	r = cJSON_GetObjectItemCaseSensitive(j, "restart");
	if (cJSON_IsString(r))
		ct->restart_done = xstrdup(r->valuestring);
	r = cJSON_GetObjectItemCaseSensitive(j, "resize_refused");
	if (cJSON_IsString(r) && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "resize_error"))) {
		free(ct->resize_refused);
		ct->resize_refused = xstrdup(r->valuestring);
		free(ct->resize_error);
		ct->resize_error =
			xstrdup(cJSON_GetObjectItemCaseSensitive(j, "resize_error")->valuestring);
	}
	r = cJSON_GetObjectItemCaseSensitive(j, "ops");
	if (cJSON_IsObject(r)) {
		cJSON_Delete(ct->ops);
		ct->ops = cJSON_Duplicate(r, true);
	}
	cJSON_Delete(j);
}

/* ---- validation: the file must be valid before it is acted on ---- */

/*
 * The first problem of the file, "path:line: message", and how many there
 * are. The parser already reports a value that fails its type check; the
 * API-level check of that same line is not counted a second time.
 */
static char *
first_problem(const struct pctconf *conf, size_t *count)
{
	char *first = NULL;
	size_t i, j;

	*count = 0;
	for (i = 0; i < conf->ndiags; i++) {
		const struct pctconf_diag *d = &conf->diags[i];

		if (d->level != PCTCONF_ERROR)
			continue;
		if (!first) {
			_cleanup_free_ char *msg = pctconf_diag_format(conf, d);

			first = pct_flatten(msg);
		}
		(*count)++;
	}
	for (i = 0; i < conf->main.nvals; i++) {
		const struct pctconf_val *v = &conf->main.vals[i];
		struct strbuf msg = STRBUF_INIT;
		bool reported = false;

		if (!pctconf_key_lookup(v->key, NULL))
			continue;
		for (j = 0; j < conf->ndiags && !reported; j++)
			reported = conf->diags[j].level == PCTCONF_ERROR &&
				   conf->diags[j].line == v->line;
		if (reported)
			continue;
		if (pctconf_check_api(v->key, v->value, v->len, &msg) < 0) {
			if (!first) {
				_cleanup_free_ char *flat = pct_flatten(msg.buf);

				first = xasprintf("%s:%u: %s: %s", conf->path, v->line, v->key,
						  flat);
			}
			(*count)++;
		}
		strbuf_release(&msg);
	}
	return first;
}

/* ---- applying ---- */

static char *
object_path(struct syncd *sd, const cJSON *o)
{
	enum syncd_kind k = syncd_kind_of(desired_object_kind(o));

	return kube_path(syncd_kinds[k].group_version, sd->settings->namespace,
			 syncd_kinds[k].resource, desired_object_name(o));
}

static unsigned long long
quantity_bytes(const char *s)
{
	unsigned long long v = 0;
	char *end;

	if (!s)
		return 0;
	v = strtoull(s, &end, 10);
	if (!strcmp(end, "Ki"))
		v <<= 10;
	else if (!strcmp(end, "Mi"))
		v <<= 20;
	else if (!strcmp(end, "Gi"))
		v <<= 30;
	else if (!strcmp(end, "Ti"))
		v <<= 40;
	else if (!strcmp(end, "Pi"))
		v <<= 50;
	else if (!strcmp(end, "k") || !strcmp(end, "K"))
		v *= 1000ULL;
	else if (!strcmp(end, "M"))
		v *= 1000000ULL;
	else if (!strcmp(end, "G"))
		v *= 1000000000ULL;
	else if (!strcmp(end, "T"))
		v *= 1000000000000ULL;
	return v;
}

static unsigned long long
pvc_request_bytes(const cJSON *pvc)
{
	const cJSON *q = jget(pvc, "spec", "resources", "requests");

	return quantity_bytes(js(cJSON_GetObjectItemCaseSensitive(q, "storage")));
}

/*
 * Has the storage grown the PVC's volume, the node's part (the file system)
 * left to do? FileSystemResizePending, or from 1.32 a NodeResize... status.
 */
static bool
controller_expanded(const cJSON *pvc)
{
	const char *alloc = js(jget(pvc, "status", "allocatedResourceStatuses", "storage"));
	const cJSON *c;

	if (alloc && !strncmp(alloc, "NodeResize", 10))
		return true;
	cJSON_ArrayForEach(c, jget(pvc, "status", "conditions", NULL))
	{
		const char *t = js(cJSON_GetObjectItemCaseSensitive(c, "type"));
		const char *st = js(cJSON_GetObjectItemCaseSensitive(c, "status"));

		if (t && !strcmp(t, "FileSystemResizePending") && st && !strcmp(st, "True"))
			return true;
	}
	return false;
}

/* --dry-run: the fields the agent sets, as they are and as they would be */
static void
print_diff(const char *title, const cJSON *have, const cJSON *want)
{
	cJSON *cut = syncd_project(have, want);
	_cleanup_free_ char *a = cut ? syncd_yaml_object(cut) : NULL;
	_cleanup_free_ char *b = syncd_yaml_object(want);

	cJSON_Delete(cut);
	syncd_print_diff(stdout, title, a, b);
}

static int
apply_object(struct syncd *sd, struct ct *ct, const cJSON *want, bool *wrote,
	     struct pct_error **err)
{
	enum syncd_kind k = syncd_kind_of(desired_object_kind(want));
	const char *name = desired_object_name(want);
	const cJSON *have;

	if (k == KIND_MAX)
		return pct_error_set(err, PCT_E_INTERNAL, "no API resource for kind '%s'",
				     desired_object_kind(want));
	have = syncd_cache_get(sd, k, name);
	const char *hh = have ? desired_object_hash(have) : NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_(json_freep) cJSON *kept = NULL;
	cJSON *result = NULL;
	int ret;

	if (hh && !strcmp(hh, desired_object_hash(want)))
		return 0;
	if (k == KIND_PVC && have) {
		unsigned long long cur = pvc_request_bytes(have), next = pvc_request_bytes(want);
		unsigned long long cap = quantity_bytes(js(jget(have, "status", "capacity", "storage")));

		if (next < cur && cap && cap < cur && next >= cap && !controller_expanded(have)) {
			/*
			 * An expansion the storage refused (or has not done): pct resize put
			 * the old size back into the file, as Proxmox leaves it, but the API
			 * server never lowers a request below the capacity. The volume has
			 * what the file says; the request stays. (Once the storage has grown
			 * the volume, a smaller size in the file is a shrink.)
			 */
			const char *req = js(cJSON_GetObjectItemCaseSensitive(
				jget(have, "spec", "resources", "requests"), "storage"));
			cJSON *res;

			kept = cJSON_Duplicate(want, true);
			res = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(kept, "spec"),
								 "resources"),
				"requests");
			cJSON_ReplaceItemInObjectCaseSensitive(res, "storage", cJSON_CreateString(req));
			want = kept;
			syncd_log_ct(sd, ct,
				     "CT %u: PVC %s keeps its request of %s: the volume has %llu bytes, as the config says, and a request cannot be lowered",
				     ct->vmid, name, req, cap);
		} else if (next < cur) {
			return pct_error_set(err, PCT_E_REFUSED,
					     "PVC %s: refusing to shrink from %llu to %llu bytes (volumes only grow)",
					     name, cur, next);
		}
	}
	if (sd->dry_run) {
		_cleanup_free_ char *title = xasprintf("%s/%s", syncd_kinds[k].kind, name);

		print_diff(title, have, want);
		return 0;
	}
	path = object_path(sd, want);
	ret = kube_apply(sd->kube, path, want, CORRAL_FIELD_MANAGER, true, &result, err);
	if (ret < 0)
		return pct_error_prefix(err, "%s %s", syncd_kinds[k].kind, name);
	if (result)
		syncd_cache_take(sd, k, result);
	*wrote = true;
	syncd_debug(sd, "CT %u: applied %s %s", ct->vmid, syncd_kinds[k].kind, name);
	return 0;
}

static int
delete_object(struct syncd *sd, enum syncd_kind k, const cJSON *have, struct pct_error **err)
{
	const char *name = js(jget(have, "metadata", "name", NULL));
	const char *uid = js(jget(have, "metadata", "uid", NULL));
	_cleanup_free_ char *path = kube_path(syncd_kinds[k].group_version,
					      sd->settings->namespace, syncd_kinds[k].resource,
					      name);
	int ret;

	if (sd->dry_run) {
		printf("would delete %s/%s\n", syncd_kinds[k].kind, name);
		return 0;
	}
	ret = kube_delete(sd->kube, path, uid, NULL, k == KIND_STATEFULSET ? "Background" : NULL,
			  err);
	if (ret < 0 && pct_error_consume(err, KUBE_E_STATUS(404)))
		ret = 0;
	if (ret == 0)
		syncd_cache_remove(sd, k, name);
	return ret;
}

/*
 * Delete the CT's pod with a grace period: stop, shutdown --timeout, reboot.
 * 0 when it is deleted (or being deleted, or gone), 1 when the pod in the
 * cache is not the one there now (409: its uid differs), -1 on error.
 * Never with gracePeriodSeconds 0: for a pod that is a force delete, and the
 * API server drops the object at once while the kubelet has still to stop
 * the containers and unmount the volumes; whoever waits for the pod to go
 * (pct stop, rollback, destroy) would then delete or replace volumes that are
 * still mounted. A graceful delete keeps the object until the kubelet is done,
 * volumes unmounted included. So a stop "at once" gets the shortest grace
 * period there is, one second (the kubelet makes it two).
 *
 * The server's answer is the pod as it now is, with its deletionTimestamp: it
 * goes into the cache at once, and the pod's uid is remembered, so that
 * observe() never takes the pod being deleted for the CT running again (the
 * watch may still bring older events of it).
 */
#define POD_GRACE_MIN 1L

static int
delete_pod(struct syncd *sd, struct ct *ct, const cJSON *pod, long grace, struct pct_error **err)
{
	const char *name = js(jget(pod, "metadata", "name", NULL));
	const char *uid = js(jget(pod, "metadata", "uid", NULL));
	_cleanup_free_ char *path = kube_path("v1", sd->settings->namespace, "pods", name);
	_cleanup_free_ char *body = NULL, *podname = xstrdup(name ? name : "");
	_cleanup_free_ char *poduid = uid ? xstrdup(uid) : NULL;
	cJSON *resp = NULL;
	long status = 0;
	int ret;

	if (grace >= 0 && grace < POD_GRACE_MIN)
		grace = POD_GRACE_MIN;
	if (sd->dry_run) {
		if (grace >= 0)
			printf("would delete Pod/%s (grace %ld s)\n", name, grace);
		else
			printf("would delete Pod/%s (its own grace period)\n", name);
		return 0;
	}
	if (grace >= 0)
		body = xasprintf("{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
				 "\"gracePeriodSeconds\":%ld,\"preconditions\":{\"uid\":\"%s\"}}",
				 grace, uid ? uid : "");
	else
		body = xasprintf("{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
				 "\"preconditions\":{\"uid\":\"%s\"}}", uid ? uid : "");
	/* pod points into the cache, which the answer may replace: name and uid are copies */
	ret = kube_request(sd->kube, "DELETE", path, NULL, "application/json", body, &status,
			   &resp, err);
	if (ret == 0 && status >= 300 && status != 404 && status != 409) {
		_cleanup_free_ char *m = kube_status_message(status, resp);

		ret = pct_error_set(err, KUBE_E_STATUS(status), "Pod %s: %s", podname, m);
	}
	if (ret == 0 && status == 409) {
		/*
		 * The uid differs: the cache is behind, and the pod that is there
		 * now is another one, perhaps made from an older revision. Nothing
		 * was deleted; the caller looks again once the watch caught up.
		 */
		ret = 1;
	} else if (ret == 0) {
		/* 404: gone */
		const char *kind = js(jget(resp, "kind", NULL, NULL));
		const char *ruid = js(jget(resp, "metadata", "uid", NULL));

		free(ct->deleted_pod_uid);
		ct->deleted_pod_uid = poduid ? xstrdup(poduid) : NULL;
		if (status < 300 && kind && !strcmp(kind, "Pod") && poduid && ruid &&
		    !strcmp(ruid, poduid) && jget(resp, "metadata", "deletionTimestamp", NULL)) {
			syncd_cache_take(sd, KIND_POD, resp);
			resp = NULL;
		} else if (status < 300 || status == 404) {
			/* deleted outright (no grace was possible: not scheduled, or ended) */
			syncd_cache_remove(sd, KIND_POD, podname);
		}
	}
	cJSON_Delete(resp);
	return ret;
}

/*
 * The CT's pod is on its way out: it has a deletionTimestamp, or it is the pod
 * the agent deleted (the watch can bring an older copy of it after the
 * answer). Once the cache holds another pod or none, that uid is forgotten.
 * ct may be NULL (a CT the agent has not seen): the deletionTimestamp alone.
 */
bool
syncd_pod_terminating(struct ct *ct, const cJSON *pod)
{
	const char *uid = pod ? js(jget(pod, "metadata", "uid", NULL)) : NULL;

	if (ct && ct->deleted_pod_uid && (!uid || strcmp(uid, ct->deleted_pod_uid) != 0)) {
		free(ct->deleted_pod_uid);
		ct->deleted_pod_uid = NULL;
	}
	return pod && (jget(pod, "metadata", "deletionTimestamp", NULL) || (ct && ct->deleted_pod_uid));
}

/* Does the cluster hold anything of this CT (orphan PVCs included)? */
static bool
has_objects(struct syncd *sd, unsigned vmid)
{
	int k;

	if (!sd->kube_mode)
		return false;
	for (k = 0; k < KIND_MAX; k++) {
		const cJSON **objs;
		size_t n = syncd_cache_of_ct(sd, (enum syncd_kind)k, vmid, &objs);

		free(objs);
		if (n)
			return true;
	}
	return false;
}

/* ---- observed status ---- */

static void
observe(struct syncd *sd, struct ct *ct, bool want_running, const char **status,
	char **reason, bool *start_failure)
{
	_cleanup_free_ char *podname = xasprintf("ct-%u-0", ct->vmid);
	_cleanup_free_ char *stsname = xasprintf("ct-%u", ct->vmid);
	const cJSON *pod = syncd_cache_get(sd, KIND_POD, podname);
	const cJSON *sts = syncd_cache_get(sd, KIND_STATEFULSET, stsname);
	const char *phase = pod ? js(jget(pod, "status", "phase", NULL)) : NULL;
	const cJSON *cs, *c;
	_cleanup_free_ char *resize_why = NULL;
	bool ready = false, waiting = false;

	*reason = NULL;
	*start_failure = false;
	/* a resize the server refused, or the kubelet defers or cannot do */
	ct->pending_restart = resize_pending_restart(pod, sts, &resize_why);
	if (!pod || syncd_pod_terminating(ct, pod)) {
		free(syncd_observe_pod(sd, ct, NULL, want_running, &waiting));
		*status = !pod ? (want_running ? "starting" : "stopped") : "stopping";
		return;
	}
	/* an (init) container that failed, a sandbox, a PVC not bound (observe.c) */
	*reason = syncd_observe_pod(sd, ct, pod, want_running, &waiting);
	*start_failure = *reason != NULL && !waiting;
	cs = jget(pod, "status", "containerStatuses", NULL);
	cJSON_ArrayForEach(c, cs)
	{
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "ready")))
			ready = true;
	}
	if (!*reason && want_running && phase && !strcmp(phase, "Failed")) {
		/* evicted, or the CT's init ended with an error: say why */
		const char *r = js(jget(pod, "status", "reason", NULL));
		const char *m = js(jget(pod, "status", "message", NULL));
		const cJSON *term = NULL;

		cJSON_ArrayForEach(c, cs)
			if (!term)
				term = jget(c, "state", "terminated", NULL);
		if (!r && term)
			r = js(cJSON_GetObjectItemCaseSensitive(term, "reason"));
		if (!m && term && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(term, "exitCode")))
			*reason = xasprintf("the pod failed (%s): the container exited with code %d",
					    r ? r : "Failed",
					    cJSON_GetObjectItemCaseSensitive(term, "exitCode")->valueint);
		else
			*reason = xasprintf("the pod failed (%s)%s%s", r ? r : "Failed", m ? ": " : "",
					    m ? m : "");
		*start_failure = true;
	}
	if (!*reason && ct->pending_restart && ct->resize_error)
		*reason = xstrdup(ct->resize_error);
	else if (!*reason && ct->pending_restart && resize_why)
		*reason = xasprintf("%s; the change waits for a restart", resize_why);
	if (phase && !strcmp(phase, "Running") && ready)
		*status = want_running ? "running" : "stopping";
	else if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
		*status = want_running ? "starting" : "stopped";
	else
		*status = want_running ? "starting" : "stopping";
}

/*
 * A start that failed before the CT ran (what observe() calls a start
 * failure) stays in the status while the CT is stopped, until the next
 * power request: pct start takes the start back at once, and pct status
 * --verbose still says why.
 */
static void
remember_start_failure(struct ct *ct, const struct state *st, bool running, const char *status,
		       const char *reason)
{
	if (running && strcmp(status, "running") != 0 && reason) {
		free(ct->start_failed);
		ct->start_failed = xstrdup(reason);
		ct->start_failed_gen = st->generation;
	} else if (ct->start_failed &&
		   ((running && st->generation > ct->start_failed_gen) ||
		    st->generation > ct->start_failed_gen + 1 || !strcmp(status, "running"))) {
		free(ct->start_failed);
		ct->start_failed = NULL;
	}
}

/* ---- one CT ---- */

/*
 * Does the CT's pod (in whatever state) mount this PVC? While it exists the
 * kubelet may still have the volume mounted: a graceful delete keeps the pod
 * object until the kubelet has unmounted its volumes, so a PVC is let go only
 * once no pod of the CT names it (pvc-protection alone does not cover a pod
 * that someone force-deleted).
 */
static bool
pvc_mounted(struct syncd *sd, unsigned vmid, const char *pvc)
{
	const cJSON **pods;
	size_t n = syncd_cache_of_ct(sd, KIND_POD, vmid, &pods), i;
	bool yes = false;

	for (i = 0; i < n && !yes; i++) {
		const cJSON *v;

		cJSON_ArrayForEach(v, jget(pods[i], "spec", "volumes", NULL))
		{
			const char *claim = js(jget(v, "persistentVolumeClaim", "claimName", NULL));

			if (claim && !strcmp(claim, pvc))
				yes = true;
		}
	}
	free(pods);
	return yes;
}

/*
 * pct destroy: the objects, then every PVC the config referenced, once the
 * CT's pod is gone (its volumes unmounted). *done is false while it waits.
 */
static int
destroy_ct(struct syncd *sd, struct ct *ct, struct state *st, bool *done, struct pct_error **err)
{
	static const enum syncd_kind kinds[] = { KIND_STATEFULSET, KIND_SERVICE, KIND_CONFIGMAP,
						 KIND_SECRET };
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(st->json, "destroy-volumes");
	const cJSON **objs, *it;
	size_t n, i, k;
	int ret = 0;

	*done = true;
	if (!sd->kube_mode) {
		if (sd->dry_run) {
			printf("would remove the manifest of CT %u\n", ct->vmid);
			return 0;
		}
		return syncd_manifest_remove(sd, ct->vmid, err);
	}
	for (k = 0; k < ARRAY_SIZE(kinds) && ret == 0; k++) {
		n = syncd_cache_of_ct(sd, kinds[k], ct->vmid, &objs);
		for (i = 0; i < n && ret == 0; i++)
			ret = delete_object(sd, kinds[k], objs[i], err);
		free(objs);
	}
	if (ret == 0 && !sd->dry_run) {
		_cleanup_free_ char *podname = xasprintf("ct-%u-0", ct->vmid);
		const cJSON *pod = syncd_cache_get(sd, KIND_POD, podname);

		/* pct destroy --force of a running CT: stopped as by pct stop */
		if (pod && !syncd_pod_terminating(ct, pod))
			ret = delete_pod(sd, ct, pod, st->grace, err);
		if (ret < 0)
			return ret;
		ret = 0;
		n = syncd_cache_of_ct(sd, KIND_POD, ct->vmid, &objs);
		free(objs);
		if (n) {
			double now = syncd_now();

			syncd_log_ct(sd, ct,
				     "CT %u: waiting for pod ct-%u-0 to go (its volumes are unmounted first) before deleting the volumes",
				     ct->vmid, ct->vmid);
			if (!ct->destroy_wait_since)
				ct->destroy_wait_since = now;
			if (now - ct->destroy_wait_since > (double)sd->settings->wait_timeout) {
				/* pct destroy says it; the agent goes on waiting */
				_cleanup_free_ char *msg = xasprintf(
					"pod ct-%u-0 is still terminating after %ld s, so its volumes may still be mounted; they are deleted once it is gone (is its node down? kubectl delete --force only once the node is gone for good)",
					ct->vmid, sd->settings->wait_timeout);

				set_error(ct, msg);
			}
			*done = false;
			syncd_recheck(ct, now + 1);
			return 0;
		}
		ct->destroy_wait_since = 0;
	} else if (sd->dry_run) {
		_cleanup_free_ char *podname = xasprintf("ct-%u-0", ct->vmid);
		const cJSON *pod = syncd_cache_get(sd, KIND_POD, podname);

		if (pod && !syncd_pod_terminating(ct, pod))
			(void)delete_pod(sd, ct, pod, st->grace, err);
	}
	cJSON_ArrayForEach(it, list)
	{
		_cleanup_free_ char *pvc = NULL;
		const cJSON *have;

		if (ret < 0 || !cJSON_IsString(it))
			continue;
		pvc = desired_pvc_name(it->valuestring);
		have = syncd_cache_get(sd, KIND_PVC, pvc);
		if (have)
			ret = delete_object(sd, KIND_PVC, have, err);
	}
	/* the snapshots were the CT's: a VolumeSnapshot outlives its PVC */
	if (ret == 0 && sd->has_snapshots) {
		n = syncd_cache_of_ct(sd, KIND_VOLUMESNAPSHOT, ct->vmid, &objs);
		for (i = 0; i < n && ret == 0; i++)
			ret = delete_object(sd, KIND_VOLUMESNAPSHOT, objs[i], err);
		free(objs);
	}
	if (ret == 0 && st->destroy_unreferenced) {
		n = syncd_cache_of_ct(sd, KIND_PVC, ct->vmid, &objs);
		for (i = 0; i < n && ret == 0; i++)
			ret = delete_object(sd, KIND_PVC, objs[i], err);
		free(objs);
	}
	if (ret == 0)
		syncd_log(sd, "CT %u: destroyed (objects and volumes deleted)", ct->vmid);
	return ret;
}

/*
 * A terminating pod: would a DELETE with this grace period shorten its
 * deletion? The API server only ever shortens a pending graceful deletion
 * (to the old deadline less the old period plus the new one); a pod deleted
 * with grace 0 is gone already.
 */
static bool
grace_shortens(const cJSON *pod, long grace)
{
	const cJSON *cur = jget(pod, "metadata", "deletionGracePeriodSeconds", NULL);

	if (!jget(pod, "metadata", "deletionTimestamp", NULL) || !cJSON_IsNumber(cur))
		return false;
	return (grace < POD_GRACE_MIN ? POD_GRACE_MIN : grace) < cur->valuedouble;
}

/*
 * A stop or shutdown deletes the pod before the StatefulSet goes to zero
 * replicas: the StatefulSet controller deletes the pods it scales away with
 * their own grace period (startup: down=, 60 s), and the API server never
 * lengthens a pending deletion, so a pct shutdown --timeout longer than that
 * would be cut short whenever the controller came first. With the pod
 * terminating the controller leaves it alone. (Should the scale-down then
 * fail, the controller makes the pod again once the old one is gone; the
 * next pass stops it again.)
 */
static int
stop_pod_first(struct syncd *sd, struct ct *ct, const struct state *st, struct pct_error **err)
{
	_cleanup_free_ char *podname = xasprintf("ct-%u-0", ct->vmid);
	const cJSON *pod = syncd_cache_get(sd, KIND_POD, podname);
	int ret;

	if (!pod || syncd_pod_terminating(ct, pod) || !strcmp(st->power, "running") || st->grace < 0)
		return 0;
	ret = delete_pod(sd, ct, pod, st->grace, err);
	return ret < 0 ? ret : 0;
}

/* stop/shutdown grace periods and reboot requests act on the pod itself */
static int
handle_pod(struct syncd *sd, struct ct *ct, struct state *st, struct pct_error **err)
{
	_cleanup_free_ char *podname = xasprintf("ct-%u-0", ct->vmid);
	const cJSON *pod = syncd_cache_get(sd, KIND_POD, podname);
	bool terminating = syncd_pod_terminating(ct, pod);
	bool running = !strcmp(st->power, "running");
	int ret = 0;

	if (pod && !terminating && !running && st->grace >= 0)
		ret = delete_pod(sd, ct, pod, st->grace, err);
	else if (pod && terminating && !running && st->grace >= 0 && grace_shortens(pod, st->grace))
		/* pct stop during a long shutdown: a second DELETE may only shorten it */
		ret = delete_pod(sd, ct, pod, st->grace, err);
	if (ret == 1) {
		/* the cache is behind (409): look again once the watch caught up */
		syncd_recheck(ct, syncd_now() + 1);
		return 0;
	}
	if (ret == 0 && st->restart &&
	    (!ct->restart_done || strcmp(ct->restart_done, st->restart) != 0)) {
		if (pod && !terminating && running) {
			ret = delete_pod(sd, ct, pod, st->grace, err);
			if (ret == 1) {
				/* not the pod there now: the reboot is not done yet */
				syncd_recheck(ct, syncd_now() + 1);
				return 0;
			}
			if (ret == 0)
				syncd_log(sd, "CT %u: rebooting (pod recreated)", ct->vmid);
		}
		if (ret == 0 && !sd->dry_run) {
			free(ct->restart_done);
			ct->restart_done = xstrdup(st->restart);
		}
	}
	return ret;
}

static int
remove_ct(struct syncd *sd, struct ct *ct, struct pct_error **err)
{
	static const enum syncd_kind kinds[] = { KIND_STATEFULSET, KIND_SERVICE, KIND_CONFIGMAP,
						 KIND_SECRET };
	const cJSON **objs;
	size_t n, i, k;
	int ret = 0;

	if (sd->mass_delete_blocked)
		return 0;
	if (!sd->kube_mode) {
		if (!sd->dry_run)
			ret = syncd_manifest_remove(sd, ct->vmid, err);
		else
			printf("would remove the manifest of CT %u\n", ct->vmid);
	} else {
		for (k = 0; k < ARRAY_SIZE(kinds) && ret == 0; k++) {
			n = syncd_cache_of_ct(sd, kinds[k], ct->vmid, &objs);
			for (i = 0; i < n && ret == 0; i++)
				ret = delete_object(sd, kinds[k], objs[i], err);
			free(objs);
		}
		n = syncd_cache_of_ct(sd, KIND_PVC, ct->vmid, &objs);
		for (i = 0; i < n; i++)
			syncd_log_ct(sd, ct, "CT %u: config removed; PVC %s kept (orphan)", ct->vmid,
				     js(jget(objs[i], "metadata", "name", NULL)));
		free(objs);
	}
	if (ret == 0 && !sd->dry_run)
		syncd_status_remove(sd, ct->vmid);
	return ret;
}

/* PVCs pct asked to free (pct set --delete unusedN, pct destroy) */
static int
destroy_volumes(struct syncd *sd, struct ct *ct, const struct pctconf *conf, struct state *st,
		bool *wrote, struct pct_error **err)
{
	cJSON *list = cJSON_GetObjectItemCaseSensitive(st->json, "destroy-volumes");
	const cJSON *it;
	bool protection = pctconf_value_true(pctconf_get(&conf->main, "protection"));
	int ret = 0;

	if (!cJSON_IsArray(list) || !cJSON_GetArraySize(list))
		return 0;
	cJSON_ArrayForEach(it, list)
	{
		_cleanup_free_ char *pvc = NULL;
		const cJSON *have;

		if (!cJSON_IsString(it))
			continue;
		if (pctconf_volid_referenced(conf, it->valuestring))
			continue; /* still (or again) used: never delete */
		if (protection) {
			syncd_log_ct(sd, ct, "CT %u: not deleting volume %s: protection mode enabled",
				     ct->vmid, it->valuestring);
			continue;
		}
		pvc = desired_pvc_name(it->valuestring);
		have = sd->kube_mode ? syncd_cache_get(sd, KIND_PVC, pvc) : NULL;
		if (have && pvc_mounted(sd, ct->vmid, pvc)) {
			/* the running pod still has it (a pending change): after the restart */
			syncd_debug(sd, "CT %u: PVC %s is still mounted by the CT's pod; deleted once it is not",
				    ct->vmid, pvc);
			continue;
		}
		if (have) {
			ret = delete_object(sd, KIND_PVC, have, err);
			if (ret < 0)
				return ret;
			*wrote = true;
			syncd_log(sd, "CT %u: deleted PVC %s (%s)", ct->vmid, pvc, it->valuestring);
		}
	}
	return 0;
}

/*
 * pct start/stop --skiplock on a locked CT: the lock guards the CT's config
 * and volumes against other operations, and --skiplock lets this one power
 * request through, as in Proxmox. Only the StatefulSet's replicas (and the
 * pod, for a stop's grace period) follow; the config is not applied while the
 * lock is held. The patch drops the spec hash, so the first pass after the
 * lock is gone applies the StatefulSet in full. A CT whose StatefulSet was
 * never created has nothing that could start without applying its config.
 */
static int
locked_power(struct syncd *sd, struct ct *ct, const char *lock, struct state *st,
	     struct pct_error **err)
{
	_cleanup_free_ char *stsname = xasprintf("ct-%u", ct->vmid);
	const cJSON *sts = syncd_cache_get(sd, KIND_STATEFULSET, stsname);
	const cJSON *r = sts ? jget(sts, "spec", "replicas", NULL) : NULL;
	bool running = !strcmp(st->power, "running");
	int want = running ? 1 : 0;

	if (!sts) {
		if (running) {
			_cleanup_free_ char *msg = xasprintf(
				"CT is locked (%s) and has never been deployed; --skiplock can only start a CT whose objects exist (pct unlock removes the lock)",
				lock);

			set_error(ct, msg);
			syncd_log_ct(sd, ct, "CT %u: %s", ct->vmid, msg);
		}
		return 0;
	}
	if (!cJSON_IsNumber(r) || r->valueint != want) {
		int sret = stop_pod_first(sd, ct, st, err);

		if (sret < 0)
			return sret;
	}
	if (!cJSON_IsNumber(r) || r->valueint != want) {
		_cleanup_free_ char *path = kube_path(syncd_kinds[KIND_STATEFULSET].group_version,
						      sd->settings->namespace,
						      syncd_kinds[KIND_STATEFULSET].resource, stsname);
		cJSON *patch = cJSON_CreateObject(), *result = NULL;
		int ret;

		cJSON_AddNullToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "metadata"),
							      "annotations"),
				      ANN_SPEC_HASH);
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(patch, "spec"), "replicas", want);
		if (sd->dry_run) {
			printf("would set replicas of StatefulSet/%s to %d (locked, --skiplock)\n",
			       stsname, want);
			cJSON_Delete(patch);
			return 0;
		}
		ret = kube_merge_patch(sd->kube, path, patch, &result, err);
		cJSON_Delete(patch);
		if (ret < 0)
			return pct_error_prefix(err, "StatefulSet %s", stsname);
		if (result)
			syncd_cache_put(sd, KIND_STATEFULSET, result);
		cJSON_Delete(result);
		syncd_log(sd, "CT %u: %s with --skiplock (locked '%s'; the config waits for the lock to go)",
			  ct->vmid, running ? "starting" : "stopping", lock);
	}
	return handle_pod(sd, ct, st, err);
}

int
syncd_reconcile_one(struct syncd *sd, struct ct *ct, struct pct_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%u.conf", sd->confdir, ct->vmid);
	_cleanup_free_ char *raw = NULL, *problem = NULL, *reason = NULL;
	_cleanup_free_ char *secret_pw = NULL, *secret_keys = NULL;
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	struct desired d = { 0 };
	struct desired_input in = { 0 };
	struct state st;
	const char *lock, *status = NULL;
	size_t rawlen, nproblems, i;
	bool wrote = false;
	int ret = 0;

	ct->dirty = false;
	ct->recheck_at = 0;
	syncd_log_ct_pass(ct);
	/* never through a symbolic link: it could name any file of the host */
	if (pct_read_file_nofollow(path, PCTCONF_MAX_FILE_SIZE, &raw, &rawlen) < 0) {
		int e = errno;

		if (e == ENOENT) {
			ct->has_file = false;
			return remove_ct(sd, ct, err);
		}
		if (e == ELOOP)
			problem = xasprintf("'%s' is a symbolic link; config files must be regular files",
					    path);
		else if (e == EISDIR)
			problem = xasprintf("'%s' is a directory, not a config file", path);
		else if (e == EINVAL)
			problem = xasprintf("'%s' is not a regular file", path);
		else if (e == EFBIG)
			problem = xasprintf("unable to read file '%s' - larger than %u MiB", path,
					    PCTCONF_MAX_FILE_SIZE >> 20);
		else {
			/* EACCES, EIO...: try again later, like any failure */
			backoff(sd, ct);
			return pct_error_errno(err, e, "unable to read '%s'", path);
		}
	}
	ct->has_file = true;
	state_load(sd, ct->vmid, &st);
	if (!ct->status_loaded)
		load_restart_done(sd, ct);
	free(ct->power);
	ct->power = xstrdup(st.power);
	if (problem) {
		/* not a file the agent may act on: keep the last good state */
		ct->invalid = true;
		set_error(ct, problem);
		syncd_log_ct(sd, ct, "CT %u: %s; keeping the last good state", ct->vmid, problem);
		goto status;
	}
	conf = pctconf_parse(path, ct->vmid, raw, rawlen);
	if (pctconf_value_true(pctconf_get(&conf->main, "template"))) {
		/* a template never runs, whatever the state asks (a file made a template by hand) */
		st.power = "stopped";
		free(ct->power);
		ct->power = xstrdup(st.power);
	}
	lock = pctconf_get(&conf->main, "lock");
	if (lock && !strcmp(lock, "destroyed") && st.destroy) {
		bool done;

		ret = destroy_ct(sd, ct, &st, &done, err);
		if (ret < 0 || !done)
			goto out;
		ct->destroyed = true;
		ct->generation = st.generation;
		set_error(ct, NULL);
		if (!sd->dry_run)
			syncd_status_write(sd, ct);
		goto out;
	}
	problem = first_problem(conf, &nproblems);
	if (problem) {
		_cleanup_free_ char *msg =
			nproblems > 1 ? xasprintf("%s (and %zu more problem%s; see pct lint)",
						  problem, nproblems - 1, nproblems > 2 ? "s" : "")
				      : xstrdup(problem);

		/* keep the last good state; say where the file is wrong */
		ct->invalid = true;
		set_error(ct, msg);
		syncd_log_ct(sd, ct, "CT %u: %s; keeping the last good state", ct->vmid, msg);
		/* the request was seen; the problem is its answer (pct start says it) */
		ct->generation = st.generation;
		goto status;
	}
	ct->invalid = false;
	/* storage operations run even on a locked CT: they are what holds the lock */
	{
		bool pending = false;

		ret = syncd_ops_step(sd, ct, conf, cJSON_GetObjectItemCaseSensitive(st.json, "ops"),
				     &pending, err);
		if (ret < 0)
			goto out;
		if (pending) /* look again soon: readiness and timeouts */
			syncd_recheck(ct, syncd_now() + 1);
	}
	if (lock && *lock) {
		_cleanup_free_ char *msg = xasprintf("CT is locked (%s)", lock);

		set_error(ct, NULL);
		if (st.skiplock && sd->kube_mode) {
			ret = locked_power(sd, ct, lock, &st, err);
			if (ret < 0)
				goto out;
			ct->generation = st.generation;
			goto status;
		}
		syncd_debug(sd, "CT %u: %s; left alone", ct->vmid, msg);
		goto status;
	}
	in.conf = conf;
	in.raw = raw;
	in.rawlen = rawlen;
	in.settings = sd->settings;
	in.caps = sd->caps;
	in.running = !strcmp(st.power, "running");
	in.restart_token = st.restart;
	{
		_cleanup_free_ char *pw = xasprintf("%s/ct/%u/password", sd->statedir, ct->vmid);
		_cleanup_free_ char *ak = xasprintf("%s/ct/%u/authorized_keys", sd->statedir, ct->vmid);
		size_t l;

		if (pct_read_file(pw, 1 << 16, &secret_pw, &l) == 0)
			in.password_hash = secret_pw;
		if (pct_read_file(ak, 1 << 20, &secret_keys, &l) == 0)
			in.authorized_keys = secret_keys;
	}
	ret = syncd_desired(&in, &d, err);
	if (ret < 0)
		goto out;
	for (i = 0; i < d.nwarnings; i++)
		syncd_log_ct(sd, ct, "CT %u: %s", ct->vmid, d.warnings[i]);
	if (d.refused) {
		ct->refused = true;
		set_error(ct, d.refused);
		syncd_log_ct(sd, ct, "CT %u: refused: %s", ct->vmid, d.refused);
		ct->generation = st.generation;
		goto status;
	}
	ct->refused = false;
	ct->rendered = true;
	ct->privileged = d.privileged;
	if (!sd->kube_mode) {
		bool changed = false;

		if (sd->dry_run) {
			_cleanup_free_ char *yaml = syncd_yaml(d.objects);
			_cleanup_free_ char *file = xasprintf("%s/ct-%u.yaml",
							      sd->settings->manifest_dir, ct->vmid);
			_cleanup_free_ char *old = NULL;
			size_t oldlen;

			if (pct_read_file(file, 64u << 20, &old, &oldlen) < 0)
				syncd_print_diff(stdout, file, NULL, yaml);
			else if (strcmp(old, yaml))
				syncd_print_diff(stdout, file, old, yaml);
		} else {
			ret = syncd_manifest_write(sd, ct->vmid, d.objects, &changed, err);
			if (ret < 0)
				goto out;
			if (st.restart) {
				free(ct->restart_done);
				ct->restart_done = xstrdup(st.restart);
			}
			if (changed)
				syncd_log(sd, "CT %u: manifest written", ct->vmid);
		}
	} else {
		const cJSON *o;

		ret = stop_pod_first(sd, ct, &st, err);
		if (ret < 0)
			goto out;
		cJSON_ArrayForEach(o, d.objects)
		{
			ret = apply_object(sd, ct, o, &wrote, err);
			if (ret < 0)
				goto out;
		}
		ret = destroy_volumes(sd, ct, conf, &st, &wrote, err);
		if (ret < 0)
			goto out;
		/* memory and CPU of a running CT change in place (podresize.c) */
		if (!strcmp(st.power, "running") &&
		    (!st.restart || (ct->restart_done && !strcmp(ct->restart_done, st.restart)))) {
			ret = syncd_resize_pod(sd, ct, cJSON_GetArrayItem(d.objects,
									  cJSON_GetArraySize(d.objects) - 1),
					       err);
			if (ret < 0)
				goto out;
		}
		ret = handle_pod(sd, ct, &st, err);
		if (ret < 0)
			goto out;
		/* PVCs of this CT that no section references any more: orphans */
		{
			const cJSON **objs;
			size_t n = syncd_cache_of_ct(sd, KIND_PVC, ct->vmid, &objs), j, k;

			for (j = 0; j < n; j++) {
				const char *name = js(jget(objs[j], "metadata", "name", NULL));
				bool used = false;

				for (k = 0; k < d.nvolumes; k++)
					if (!strcmp(d.volumes[k].pvc, name))
						used = true;
				if (!used)
					syncd_log_ct(sd, ct,
						     "CT %u: PVC %s is not referenced by the config (orphan; pct rescan adds it as unusedN)",
						     ct->vmid, name);
			}
			free(objs);
		}
	}
	memcpy(ct->applied_digest, pctconf_digest(conf), sizeof(ct->applied_digest));
	ct->generation = st.generation;
	ct->failures = 0;
	ct->next_attempt = 0;
	set_error(ct, NULL);
status:
	if (sd->kube_mode) {
		bool running = !strcmp(st.power, "running") && !ct->refused, failed;

		syncd_observe_volumes(sd, ct);
		observe(sd, ct, running, &status, &reason, &failed);
		remember_start_failure(ct, &st, running, status, failed ? reason : NULL);
		if (reason && !ct->error)
			set_error(ct, reason);
		else if (!reason && !ct->error && !running && ct->start_failed) {
			_cleanup_free_ char *msg = xasprintf("last start failed: %s", ct->start_failed);

			set_error(ct, msg);
		}
	}
	if (!sd->dry_run)
		syncd_status_write(sd, ct);
out:
	if (ret < 0) {
		backoff(sd, ct);
		set_error(ct, (*err)->msg);
		if (!sd->dry_run)
			syncd_status_write(sd, ct);
	} else if (ct->recheck_at) {
		/* nothing the agent watches may change meanwhile: a timer (syncd.c) */
		syncd_debug(sd, "CT %u: looking again in %.1f s", ct->vmid,
			    ct->recheck_at - syncd_now());
	}
	(void)wrote;
	(void)status;
	desired_release(&d);
	cJSON_Delete(st.json);
	return ret;
}

/* ---- passes ---- */

static int
cmp_vmid(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

static size_t
scan_confdir(struct syncd *sd, bool *dir_ok)
{
	DIR *dir = opendir(sd->confdir);
	struct dirent *de;
	unsigned *ids = NULL;
	size_t n = 0, alloc = 0, i;

	for (i = 0; i < sd->ncts; i++)
		sd->cts[i].has_file = false;
	*dir_ok = dir != NULL;
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		unsigned vmid;

		if (!syncd_is_conf_name(de->d_name, &vmid))
			continue;
		ids = xgrow(ids, n + 1, &alloc, sizeof(*ids));
		ids[n++] = vmid;
	}
	closedir(dir);
	/* in order: sd->cts is sorted, new CTs are then appended, not inserted */
	if (n > 1) /* ids is NULL for an empty directory: qsort(NULL, 0) is undefined */
		qsort(ids, n, sizeof(*ids), cmp_vmid);
	for (i = 0; i < n; i++)
		syncd_ct(sd, ids[i], true)->has_file = true;
	free(ids);
	return n;
}

static void
add_ct_of(struct syncd *sd, const char *name, unsigned vmid, void *arg)
{
	if (vmid)
		syncd_ct(sd, vmid, true);
}

static void
add_cluster_cts(struct syncd *sd)
{
	int k;

	for (k = 0; k < KIND_MAX; k++)
		syncd_cache_each(sd, (enum syncd_kind)k, add_ct_of, NULL);
}

static void
add_manifest_cts(struct syncd *sd)
{
	DIR *dir = opendir(sd->settings->manifest_dir);
	struct dirent *de;

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		unsigned long long v;
		size_t n = strlen(de->d_name);
		_cleanup_free_ char *digits = NULL;

		if (n < 9 || strncmp(de->d_name, "ct-", 3) || strcmp(de->d_name + n - 5, ".yaml"))
			continue;
		digits = xstrndup(de->d_name + 3, n - 8);
		if (pct_parse_uint(digits, 1, 0xFFFFFFFFu, &v))
			syncd_ct(sd, (unsigned)v, true);
	}
	closedir(dir);
}

/*
 * Would removing this CT (its file is gone) delete something: objects other
 * than its PVCs, or its manifest? A CT of which only PVCs are left (kept on
 * purpose when its file went) has nothing left to lose.
 */
static bool
removal_pending(struct syncd *sd, const struct ct *ct)
{
	static const enum syncd_kind kinds[] = {KIND_STATEFULSET, KIND_SERVICE, KIND_CONFIGMAP,
						KIND_SECRET};
	size_t k;

	if (!sd->kube_mode) {
		_cleanup_free_ char *path =
			xasprintf("%s/ct-%u.yaml", sd->settings->manifest_dir, ct->vmid);

		return access(path, F_OK) == 0;
	}
	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		const cJSON **objs;
		size_t n = syncd_cache_of_ct(sd, kinds[k], ct->vmid, &objs);

		free(objs);
		if (n)
			return true;
	}
	return false;
}

/*
 * Refuse to delete when most CTs lose their file at once: an unmounted or
 * emptied config directory must not empty the cluster. Counted against
 * every CT the agent knows (files, and objects in the cluster or manifest
 * directory), so a restart of the agent does not lift the guard; CTs of
 * which only orphan PVCs are left count neither way (they were removed
 * before). pct destroy keeps the file until the agent is done and is never
 * blocked.
 */
static void
mass_delete_guard(struct syncd *sd, bool dir_ok)
{
	size_t i, gone = 0, known = 0;
	bool block;

	for (i = 0; i < sd->ncts; i++) {
		if (sd->cts[i].has_file) {
			known++;
		} else if (removal_pending(sd, &sd->cts[i])) {
			known++;
			gone++;
		}
	}
	block = gone > 0 && !sd->allow_mass_delete && (!dir_ok || (gone >= 2 && gone * 2 > known));
	if (block && !sd->mass_delete_blocked) {
		if (!dir_ok)
			syncd_log(sd, "%s is missing or unreadable; refusing to delete the objects of %zu CT(s) until it is back",
				  sd->confdir, gone);
		else
			syncd_log(sd, "%s: %zu of %zu CTs lost their config file at once; refusing to delete any until the files are back (pct destroy, or corral-syncd --once --allow-mass-delete, deletes on purpose)",
				  sd->confdir, gone, known);
	}
	if (!block && sd->mass_delete_blocked)
		syncd_log(sd, "%s: config files are back; deletions allowed again", sd->confdir);
	sd->mass_delete_blocked = block;
}

static int
run(struct syncd *sd, bool all)
{
	size_t i;
	int failures = 0;
	double now = syncd_now();

	/* deletions held back by the mass-delete guard: not the desired state */
	sd->converged = !sd->mass_delete_blocked;
	for (i = 0; i < sd->ncts; i++) {
		struct ct *ct = &sd->cts[i];
		_cleanup_error_ struct pct_error *err = NULL;

		if (!all && !ct->dirty)
			continue;
		if (!all && ct->next_attempt > now) {
			sd->converged = false;
			continue; /* backing off; stays dirty */
		}
		/* the trees the last CT read from the cache: not needed any more */
		syncd_cache_trim(sd);
		if (syncd_reconcile_one(sd, ct, &err) < 0) {
			ct->dirty = true;
			failures++;
			sd->converged = false;
			syncd_log_ct(sd, ct, "CT %u: %s (retrying in %.0f s)", ct->vmid, err->msg,
				     ct->next_attempt - syncd_now());
		} else if (ct->invalid || ct->refused) {
			sd->converged = false;
		}
	}
	/*
	 * Forget CTs that have neither a file nor objects any more. One whose
	 * PVCs stay (orphans) is remembered, with what was logged about it: the
	 * next full pass would find it again by their label and log it anew.
	 */
	for (i = 0; i < sd->ncts;) {
		struct ct *ct = &sd->cts[i];

		if (!ct->has_file && !ct->dirty && !sd->mass_delete_blocked &&
		    !has_objects(sd, ct->vmid)) {
			syncd_ct_release(ct);
			memmove(ct, ct + 1, (sd->ncts - i - 1) * sizeof(*ct));
			sd->ncts--;
			continue;
		}
		i++;
	}
	syncd_cache_trim(sd);
	sd->passes++;
	return failures ? -1 : 0;
}

int
syncd_reconcile_all(struct syncd *sd)
{
	double start = syncd_now();
	bool dir_ok;
	int ret;

	scan_confdir(sd, &dir_ok);
	if (sd->kube_mode)
		add_cluster_cts(sd);
	else
		add_manifest_cts(sd);
	mass_delete_guard(sd, dir_ok);
	ret = run(sd, true);
	syncd_debug(sd, "full pass done: %zu CTs in %.3f s%s", sd->ncts, syncd_now() - start,
		    sd->converged ? "" : " (not converged)");
	return ret;
}

int
syncd_reconcile_dirty(struct syncd *sd)
{
	size_t i;

	/* only the dirty CTs are looked at; the others keep what the last pass saw */
	for (i = 0; i < sd->ncts; i++) {
		struct ct *ct = &sd->cts[i];
		_cleanup_free_ char *path = NULL;

		if (!ct->dirty)
			continue;
		path = xasprintf("%s/%u.conf", sd->confdir, ct->vmid);
		ct->has_file = access(path, F_OK) == 0;
	}
	mass_delete_guard(sd, access(sd->confdir, F_OK) == 0);
	return run(sd, false);
}

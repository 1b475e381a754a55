/*
 * An informer-style cache of the objects corral-syncd manages: one LIST per
 * kind (label managed-by=corral) fills it, a WATCH from the list's
 * resourceVersion keeps it current, and a watch that ends is restarted
 * (with a fresh LIST when the server says the version is too old, or when
 * the connection was lost: the server may have restarted, even with its
 * state lost). Failures back off per kind (1 s doubling to 30 s); a re-list
 * marks the CTs whose objects changed meanwhile. The reconcile passes
 * compare against the cache, so a pass where nothing changed sends no
 * request at all, and a rename reaches the API with one write.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "syncd.h"

#define WATCH_BACKOFF_MAX 30.0

const struct kind_info syncd_kinds[KIND_MAX] = {
	[KIND_PVC] = { "PersistentVolumeClaim", "v1", "persistentvolumeclaims" },
	[KIND_CONFIGMAP] = { "ConfigMap", "v1", "configmaps" },
	[KIND_SECRET] = { "Secret", "v1", "secrets" },
	[KIND_SERVICE] = { "Service", "v1", "services" },
	[KIND_STATEFULSET] = { "StatefulSet", "apps/v1", "statefulsets" },
	[KIND_POD] = { "Pod", "v1", "pods" },
	[KIND_VOLUMESNAPSHOT] = { "VolumeSnapshot", "snapshot.storage.k8s.io/v1", "volumesnapshots" },
};

enum syncd_kind
syncd_kind_of(const char *kind)
{
	int k;

	for (k = 0; k < KIND_MAX; k++)
		if (!strcmp(syncd_kinds[k].kind, kind))
			return (enum syncd_kind)k;
	return KIND_MAX;
}

static const char *
meta_str(const cJSON *o, const char *field)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(md, field);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void
syncd_cache_put(struct syncd *sd, enum syncd_kind k, const cJSON *o)
{
	const char *name = meta_str(o, "name");
	cJSON *map = sd->cache[k].objects;

	if (!name || !map)
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(map, name);
	cJSON_AddItemToObject(map, name, cJSON_Duplicate(o, true));
}

void
syncd_cache_remove(struct syncd *sd, enum syncd_kind k, const char *name)
{
	if (sd->cache[k].objects)
		cJSON_DeleteItemFromObjectCaseSensitive(sd->cache[k].objects, name);
}

const cJSON *
syncd_cache_get(struct syncd *sd, enum syncd_kind k, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(sd->cache[k].objects, name);
}

/* The ctid label of an object, or 0. */
static unsigned
object_vmid(const cJSON *o)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(md, "labels");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(labels, LABEL_CTID);
	unsigned long long v;

	if (cJSON_IsString(id) && pct_parse_uint(id->valuestring, 1, 0xFFFFFFFFu, &v))
		return (unsigned)v;
	return 0;
}

static void api_back(struct syncd *sd);

struct watch_ctx {
	struct syncd *sd;
	enum syncd_kind kind;
};

static struct watch_ctx watch_ctx[KIND_MAX];

void
syncd_cache_event(struct syncd *sd, enum syncd_kind k, const char *type, const cJSON *o)
{
	const char *rv = meta_str(o, "resourceVersion");
	const char *name = meta_str(o, "name");
	unsigned vmid = object_vmid(o);

	if (!strcmp(type, "ERROR")) {
		/* 410 Gone and friends: the watch ends; the next rewatch re-lists */
		sd->cache[k].listed = false;
		return;
	}
	if (rv) {
		free(sd->cache[k].resource_version);
		sd->cache[k].resource_version = xstrdup(rv);
	}
	sd->cache[k].failures = 0;
	api_back(sd);
	if (!strcmp(type, "BOOKMARK"))
		return;
	if (!name)
		return;
	if (!strcmp(type, "DELETED"))
		syncd_cache_remove(sd, k, name);
	else
		syncd_cache_put(sd, k, o);
	syncd_debug(sd, "watch %s %s %s", type, syncd_kinds[k].kind, name);
	/* an observed change is a reason to look at the CT again (status, drift) */
	if (vmid)
		syncd_ct(sd, vmid, true)->dirty = true;
}

/* Mark the CTs whose objects differ between two lists (name -> object maps). */
static void
mark_changed(struct syncd *sd, const cJSON *old, const cJSON *new)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, old)
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(new, it->string);
		const char *a = meta_str(it, "resourceVersion"),
			   *b = n ? meta_str(n, "resourceVersion") : NULL;
		unsigned vmid = object_vmid(it);

		if (vmid && (!n || !a || !b || strcmp(a, b)))
			syncd_ct(sd, vmid, true)->dirty = true;
	}
	cJSON_ArrayForEach(it, new)
	{
		unsigned vmid = object_vmid(it);

		if (vmid && !cJSON_GetObjectItemCaseSensitive(old, it->string))
			syncd_ct(sd, vmid, true)->dirty = true;
	}
}

static void
on_event(const char *type, const cJSON *o, void *arg)
{
	struct watch_ctx *wc = arg;

	syncd_cache_event(wc->sd, wc->kind, type, o);
}

static int
list_kind(struct syncd *sd, enum syncd_kind k, struct pct_error **err)
{
	const struct kind_info *ki = &syncd_kinds[k];
	_cleanup_free_ char *path = kube_path(ki->group_version, sd->settings->namespace,
					      ki->resource, NULL);
	cJSON *list = NULL, *old;
	const cJSON *items, *it, *md, *rv;
	int ret;

	ret = kube_list(sd->kube, path, LABEL_MANAGED_BY "=" CORRAL_MANAGED_BY, &list, err);
	if (ret < 0)
		return ret;
	old = sd->cache[k].objects;
	sd->cache[k].objects = cJSON_CreateObject();
	items = cJSON_GetObjectItemCaseSensitive(list, "items");
	cJSON_ArrayForEach(it, items)
		syncd_cache_put(sd, k, it);
	/* a re-list: what changed while we were not watching is to be looked at */
	if (old)
		mark_changed(sd, old, sd->cache[k].objects);
	cJSON_Delete(old);
	md = cJSON_GetObjectItemCaseSensitive(list, "metadata");
	rv = cJSON_GetObjectItemCaseSensitive(md, "resourceVersion");
	free(sd->cache[k].resource_version);
	sd->cache[k].resource_version = cJSON_IsString(rv) ? xstrdup(rv->valuestring) : NULL;
	sd->cache[k].listed = true;
	cJSON_Delete(list);
	return 0;
}

static int
watch_kind(struct syncd *sd, enum syncd_kind k, struct pct_error **err)
{
	const struct kind_info *ki = &syncd_kinds[k];
	_cleanup_free_ char *path = kube_path(ki->group_version, sd->settings->namespace,
					      ki->resource, NULL);

	if (sd->cache[k].watch) {
		kube_watch_stop(sd->cache[k].watch);
		sd->cache[k].watch = NULL;
	}
	watch_ctx[k].sd = sd;
	watch_ctx[k].kind = k;
	return kube_watch_start(sd->kube, path, LABEL_MANAGED_BY "=" CORRAL_MANAGED_BY,
				sd->cache[k].resource_version, on_event, &watch_ctx[k],
				&sd->cache[k].watch, err);
}

static bool
kind_served(const struct syncd *sd, int k)
{
	return k != KIND_VOLUMESNAPSHOT || sd->has_snapshots;
}

int
syncd_cache_sync(struct syncd *sd, struct pct_error **err)
{
	int k;

	for (k = 0; k < KIND_MAX; k++) {
		if (!kind_served(sd, k)) {
			sd->cache[k].objects = cJSON_CreateObject();
			continue;
		}
		if (list_kind(sd, (enum syncd_kind)k, err) < 0)
			return -1;
		if (!sd->once && watch_kind(sd, (enum syncd_kind)k, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * The snapshot API can come and go while the agent runs (the CRDs are
 * installed or removed): ask discovery again before refusing, and after a
 * 404 from it. The cache follows: dropped when gone, listed when back.
 */
bool
syncd_snapshots_served(struct syncd *sd)
{
	_cleanup_error_ struct pct_error *e = NULL;
	struct cache_kind *c = &sd->cache[KIND_VOLUMESNAPSHOT];
	bool has;

	if (!sd->kube_mode ||
	    kube_has_resource(sd->kube, syncd_kinds[KIND_VOLUMESNAPSHOT].group_version,
			      "volumesnapshots", &has, &e) < 0)
		return sd->has_snapshots;
	if (has == sd->has_snapshots)
		return has;
	syncd_log(sd, "the cluster %s the VolumeSnapshot API (%s)",
		  has ? "now serves" : "no longer serves",
		  syncd_kinds[KIND_VOLUMESNAPSHOT].group_version);
	sd->has_snapshots = has;
	if (c->watch) {
		kube_watch_stop(c->watch);
		c->watch = NULL;
	}
	cJSON_Delete(c->objects);
	c->objects = cJSON_CreateObject();
	c->listed = false;
	if (has)
		syncd_cache_rewatch(sd);
	return has;
}

/* A list or watch of kind k failed: back off, say so once per outage. */
static void
watch_failed(struct syncd *sd, enum syncd_kind k, const char *msg)
{
	struct cache_kind *c = &sd->cache[k];
	double delay = pow(2.0, c->failures < 5 ? c->failures : 5);

	if (delay > WATCH_BACKOFF_MAX)
		delay = WATCH_BACKOFF_MAX;
	c->failures++;
	c->retry_at = syncd_now() + delay;
	/* one dropped watch is routine (proxies close idle connections); a retry
	 * that fails too is worth a line */
	if (c->failures >= 2 && !sd->api_trouble) {
		syncd_log(sd, "%s; retrying with backoff (up to %.0f s)", msg, WATCH_BACKOFF_MAX);
		sd->api_trouble = true;
	} else {
		syncd_debug(sd, "%s; retrying in %.0f s", msg, delay);
	}
}

/* The API answers again after trouble: look at every CT again, at once. */
static void
api_back(struct syncd *sd)
{
	size_t i;

	if (!sd->api_trouble)
		return;
	sd->api_trouble = false;
	syncd_log(sd, "the API server answers again; looking at every CT");
	for (i = 0; i < sd->ncts; i++) {
		sd->cts[i].dirty = true;
		sd->cts[i].next_attempt = 0;
		sd->cts[i].failures = 0;
	}
}

void
syncd_cache_rewatch(struct syncd *sd)
{
	double now = syncd_now();
	int k;

	if (sd->once)
		return;
	for (k = 0; k < KIND_MAX; k++) {
		struct cache_kind *c = &sd->cache[k];
		_cleanup_error_ struct pct_error *err = NULL;

		if (!kind_served(sd, k))
			continue;
		if (c->watch && kube_watch_active(c->watch))
			continue;
		if (c->watch) {
			const struct pct_error *we = kube_watch_error(c->watch);

			if (!we) {
				/* the server ended the stream (timeoutSeconds): go on from there */
				c->failures = 0;
			} else if (we->code == KUBE_E_STATUS(410)) {
				/* too old: list again, at once */
				c->listed = false;
			} else {
				/* the connection was lost, or the watch refused: the cache
				 * may be stale (a restarted server may even have lost
				 * its state), so list again */
				if (we->code == KUBE_E_TRANSPORT || we->code >= KUBE_E_STATUS(500))
					c->listed = false;
				watch_failed(sd, (enum syncd_kind)k, we->msg);
			}
			kube_watch_stop(c->watch);
			c->watch = NULL;
		}
		if (now < c->retry_at)
			continue;
		if (!c->listed) {
			if (list_kind(sd, (enum syncd_kind)k, &err) < 0) {
				/* the snapshot API may be gone (its CRDs removed) */
				if (k == KIND_VOLUMESNAPSHOT && err->code == KUBE_E_STATUS(404) &&
				    !syncd_snapshots_served(sd))
					continue;
				c->list_failed = true;
				watch_failed(sd, (enum syncd_kind)k, err->msg);
				continue;
			}
			/* a list that works again ends an outage; one that always worked
			 * says nothing about a watch that keeps failing */
			if (c->list_failed)
				api_back(sd);
			c->list_failed = false;
		}
		if (watch_kind(sd, (enum syncd_kind)k, &err) < 0)
			watch_failed(sd, (enum syncd_kind)k, err->msg);
	}
}

double
syncd_cache_next_retry(const struct syncd *sd)
{
	double next = 0;
	int k;

	for (k = 0; k < KIND_MAX; k++) {
		const struct cache_kind *c = &sd->cache[k];

		if (!kind_served(sd, k) || (c->watch && kube_watch_active(c->watch)))
			continue;
		if (!next || c->retry_at < next)
			next = c->retry_at;
	}
	return next;
}

void
syncd_cache_release(struct syncd *sd)
{
	int k;

	for (k = 0; k < KIND_MAX; k++) {
		if (sd->cache[k].watch)
			kube_watch_stop(sd->cache[k].watch);
		cJSON_Delete(sd->cache[k].objects);
		free(sd->cache[k].resource_version);
		memset(&sd->cache[k], 0, sizeof(sd->cache[k]));
	}
}

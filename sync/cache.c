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

#include "resize.h"
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

/*
 * What the cache keeps of an object: only what the agent reads. Server objects
 * carry managedFields, defaulted pod specs and long annotations: kept as
 * they come, 1,000 CTs took 40 MB. Comparisons use the spec-hash annotation,
 * so little else is needed. A path keeps everything below it; its parents
 * keep only what leads to it. Code that reads anything else from the cache
 * must add it here. --dry-run keeps everything: it prints the cluster's
 * objects. "*" stands for every element of an array.
 */
#define KEEP_DEPTH 6
static const struct kept_path {
	int kind; /* KIND_MAX: every kind */
	const char *path[KEEP_DEPTH];
} kept_paths[] = {
	{ KIND_MAX, { "metadata", "name" } },
	{ KIND_MAX, { "metadata", "uid" } },
	{ KIND_MAX, { "metadata", "deletionTimestamp" } },
	{ KIND_POD, { "metadata", "deletionGracePeriodSeconds" } }, /* a stop shortens it */
	{ KIND_MAX, { "metadata", "labels", LABEL_CTID } },
	{ KIND_MAX, { "metadata", "annotations", ANN_SPEC_HASH } },
	{ KIND_PVC, { "metadata", "annotations", ANN_VOLID } },
	{ KIND_PVC, { "metadata", "annotations", "corral.dev/restored-by" } },
	{ KIND_PVC, { "spec", "resources" } },
	{ KIND_PVC, { "status", "capacity", "storage" } },
	{ KIND_PVC, { "status", "phase" } },
	/* expansion: in progress, waiting for the node, failed (observe.c) */
	{ KIND_PVC, { "status", "conditions", "*", "type" } },
	{ KIND_PVC, { "status", "conditions", "*", "status" } },
	{ KIND_PVC, { "status", "conditions", "*", "message" } },
	{ KIND_PVC, { "status", "allocatedResourceStatuses" } },
	{ KIND_POD, { "metadata", "labels", "controller-revision-hash" } },
	{ KIND_POD, { "spec", "nodeName" } },
	{ KIND_POD, { "spec", "hostUsers" } }, /* its own user namespace: status.c */
	{ KIND_POD, { "status", "phase" } },
	{ KIND_POD, { "status", "reason" } },
	{ KIND_POD, { "status", "message" } },
	{ KIND_POD, { "status", "podIP" } },
	{ KIND_POD, { "status", "containerStatuses" } },
	{ KIND_POD, { "status", "conditions" } },
	/* why a start fails before the CT runs (observe.c) */
	{ KIND_POD, { "status", "initContainerStatuses", "*", "name" } },
	{ KIND_POD, { "status", "initContainerStatuses", "*", "state" } },
	{ KIND_POD, { "status", "initContainerStatuses", "*", "lastState" } },
	{ KIND_POD, { "spec", "volumes", "*", "persistentVolumeClaim", "claimName" } },
	/* in-place resize (podresize.c, resize.c) */
	{ KIND_POD, { "metadata", "annotations", ANN_RESTART_HASH } },
	{ KIND_POD, { "spec", "containers", "*", "name" } },
	{ KIND_POD, { "spec", "containers", "*", "resources" } },
	{ KIND_POD, { "status", "resize" } },
	{ KIND_STATEFULSET, { "spec", "template", "metadata", "annotations", ANN_RESTART_HASH } },
	{ KIND_STATEFULSET, { "spec", "template", "spec", "containers", "*", "name" } },
	{ KIND_STATEFULSET, { "spec", "template", "spec", "containers", "*", "resources" } },
	{ KIND_STATEFULSET, { "spec", "replicas" } },
	{ KIND_STATEFULSET, { "status", "updateRevision" } },
	{ KIND_VOLUMESNAPSHOT, { "metadata", "labels", "corral.dev/snapshot" } },
	{ KIND_VOLUMESNAPSHOT, { "metadata", "annotations", ANN_VOLID } },
	{ KIND_VOLUMESNAPSHOT, { "metadata", "annotations", "corral.dev/snapname" } },
	{ KIND_VOLUMESNAPSHOT, { "spec" } },
	{ KIND_VOLUMESNAPSHOT, { "status" } },
};

enum keep { KEEP_NONE, KEEP_PART, KEEP_ALL };

/* Is the member at path[0..depth] kept whole, in part (some of its members), or not? */
static enum keep
keep_of(enum syncd_kind k, const char *const *path, int depth)
{
	enum keep best = KEEP_NONE;
	int n = depth + 1; /* components in path */
	size_t r;

	for (r = 0; r < ARRAY_SIZE(kept_paths); r++) {
		const struct kept_path *kp = &kept_paths[r];
		int len = 0, m = 0;

		if (kp->kind != KIND_MAX && kp->kind != (int)k)
			continue;
		while (len < KEEP_DEPTH && kp->path[len])
			len++;
		while (m < len && m < n && !strcmp(kp->path[m], path[m]))
			m++;
		if (m == len)
			return KEEP_ALL; /* the rule is the path or one of its parents */
		if (m == n)
			best = KEEP_PART; /* the path leads to the rule */
	}
	return best;
}

/* The path component of member it of o: its name, or "*" in an array. */
static const char *
component(const cJSON *o, const cJSON *it)
{
	return cJSON_IsArray(o) ? "*" : it->string;
}

/* Delete what is not kept from o (at path[0..depth-1]), in place. */
static void
prune(cJSON *o, enum syncd_kind k, const char **path, int depth)
{
	cJSON *it, *next;

	for (it = o->child; it; it = next) {
		const char *c = component(o, it);
		enum keep kp = KEEP_NONE;

		next = it->next;
		if (c && depth < KEEP_DEPTH) {
			path[depth] = c;
			kp = keep_of(k, path, depth);
		}
		if (kp == KEEP_PART && (cJSON_IsObject(it) || cJSON_IsArray(it)))
			prune(it, k, path, depth + 1);
		else if (kp != KEEP_ALL)
			cJSON_Delete(cJSON_DetachItemViaPointer(o, it));
	}
}

/* A copy of what is kept of o (at path[0..depth-1]). */
static cJSON *
copy_kept(const cJSON *o, enum syncd_kind k, const char **path, int depth)
{
	cJSON *out = cJSON_IsArray(o) ? cJSON_CreateArray() : cJSON_CreateObject();
	const cJSON *it;

	cJSON_ArrayForEach(it, o)
	{
		const char *c = component(o, it);
		cJSON *item = NULL;
		enum keep kp;

		if (!c || depth >= KEEP_DEPTH)
			continue;
		path[depth] = c;
		kp = keep_of(k, path, depth);
		if (kp == KEEP_PART && (cJSON_IsObject(it) || cJSON_IsArray(it)))
			item = copy_kept(it, k, path, depth + 1);
		else if (kp == KEEP_ALL)
			item = cJSON_Duplicate(it, true);
		if (!item)
			continue;
		if (cJSON_IsArray(out))
			cJSON_AddItemToArray(out, item);
		else
			cJSON_AddItemToObject(out, it->string, item);
	}
	return out;
}

/*
 * The stored form of an object: what is kept of it, printed as compact JSON.
 * A thousand CTs' objects as cJSON trees (a 64-byte node and an allocation
 * per member and string) took 5 MB; as text they take a quarter of that.
 * Readers get a tree parsed on demand (syncd_cache_get), kept until
 * syncd_cache_trim().
 */
static char *
print_compact(const cJSON *o)
{
	char buf[2048];
	char *s, *copy;

	if (cJSON_PrintPreallocated((cJSON *)o, buf, sizeof(buf), false))
		return xstrdup(buf);
	s = cJSON_PrintUnformatted(o);
	if (!s)
		return NULL; /* out of memory */
	copy = xstrdup(s);
	cJSON_free(s);
	return copy;
}

/* The stored form of an object the cache takes over (o is deleted). */
static char *
stored_taken(const struct syncd *sd, enum syncd_kind k, cJSON *o)
{
	const char *path[KEEP_DEPTH];
	char *text;

	if (!sd->dry_run)
		prune(o, k, path, 0);
	text = print_compact(o);
	cJSON_Delete(o);
	return text;
}

/* The stored form of a borrowed object (watch events). */
static char *
stored_copy(const struct syncd *sd, enum syncd_kind k, const cJSON *o)
{
	const char *path[KEEP_DEPTH];
	cJSON *copy;
	char *text;

	if (sd->dry_run)
		return print_compact(o);
	copy = copy_kept(o, k, path, 0);
	text = print_compact(copy);
	cJSON_Delete(copy);
	return text;
}

/*
 * The objects of a kind, in two hash tables: by name, and by the CT the object
 * belongs to (its ctid label). One entry per object, chained in both.
 */
struct cache_entry {
	struct cache_entry *next_name, *next_ct;
	char *json;   /* the stored form (see print_compact) */
	cJSON *tree;  /* json parsed for a reader, until syncd_cache_trim() */
	unsigned vmid;
	char name[];
};

struct cache_index {
	struct cache_entry **names, **cts;
	size_t nbuckets, count;
	struct cache_entry **live; /* the entries with a tree */
	size_t nlive, alive;
};

static size_t
hash_name(const char *s)
{
	size_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static size_t
hash_vmid(unsigned vmid)
{
	return (size_t)vmid * 2654435761u;
}

static struct cache_entry **
name_slot(struct cache_index *ix, const char *name)
{
	struct cache_entry **e = &ix->names[hash_name(name) % ix->nbuckets];

	while (*e && strcmp((*e)->name, name) != 0)
		e = &(*e)->next_name;
	return e;
}

static void
ct_link(struct cache_index *ix, struct cache_entry *e)
{
	struct cache_entry **b = &ix->cts[hash_vmid(e->vmid) % ix->nbuckets];

	e->next_ct = *b;
	*b = e;
}

static void
ct_unlink(struct cache_index *ix, struct cache_entry *e)
{
	struct cache_entry **p = &ix->cts[hash_vmid(e->vmid) % ix->nbuckets];

	while (*p && *p != e)
		p = &(*p)->next_ct;
	if (*p)
		*p = e->next_ct;
}

static void
index_grow(struct cache_index *ix)
{
	struct cache_entry **old = ix->names, *e, *next;
	size_t i, n = ix->nbuckets;

	ix->nbuckets = n ? n * 4 : 64;
	ix->names = xcalloc(ix->nbuckets, sizeof(*ix->names));
	free(ix->cts);
	ix->cts = xcalloc(ix->nbuckets, sizeof(*ix->cts));
	for (i = 0; i < n; i++) {
		for (e = old[i]; e; e = next) {
			struct cache_entry **b = &ix->names[hash_name(e->name) % ix->nbuckets];

			next = e->next_name;
			e->next_name = *b;
			*b = e;
			ct_link(ix, e);
		}
	}
	free(old);
}

/* Drop the parsed tree of an entry (readers' pointers to it end here). */
static void
entry_unparse(struct cache_index *ix, struct cache_entry *e)
{
	size_t i;

	if (!e->tree)
		return;
	cJSON_Delete(e->tree);
	e->tree = NULL;
	for (i = 0; i < ix->nlive; i++)
		if (ix->live[i] == e) {
			ix->live[i] = ix->live[--ix->nlive];
			break;
		}
}

/* The tree of an entry, parsed from its stored form when not yet. */
static const cJSON *
entry_tree(struct cache_index *ix, struct cache_entry *e)
{
	if (e->tree)
		return e->tree;
	e->tree = cJSON_Parse(e->json);
	if (!e->tree)
		return NULL; /* out of memory */
	/* item->string is the name, as it was in the map */
	e->tree->string = e->name;
	e->tree->type |= cJSON_StringIsConst;
	ix->live = xgrow(ix->live, ix->nlive + 1, &ix->alive, sizeof(*ix->live));
	ix->live[ix->nlive++] = e;
	return e->tree;
}

static void
entry_free(struct cache_entry *e)
{
	cJSON_Delete(e->tree);
	free(e->json);
	free(e);
}

static void
index_free(struct cache_index *ix)
{
	size_t i;

	if (!ix)
		return;
	for (i = 0; i < ix->nbuckets; i++) {
		struct cache_entry *e, *next;

		for (e = ix->names[i]; e; e = next) {
			next = e->next_name;
			entry_free(e);
		}
	}
	free(ix->names);
	free(ix->cts);
	free(ix->live);
	free(ix);
}

/* An empty index for a kind. */
static void
cache_reset(struct cache_kind *c)
{
	index_free(c->index);
	c->index = xcalloc(1, sizeof(*c->index));
	index_grow(c->index);
}

static void
cache_release(struct cache_kind *c)
{
	index_free(c->index);
	c->index = NULL;
}

/* Remove the entry of a name, if there is one. */
static void
index_remove(struct cache_index *ix, const char *name)
{
	struct cache_entry **slot = name_slot(ix, name), *e = *slot;

	if (!e)
		return;
	*slot = e->next_name;
	ct_unlink(ix, e);
	entry_unparse(ix, e);
	ix->count--;
	entry_free(e);
}

/*
 * Store an object's stored form (owned) under its name. NULL (out of memory)
 * forgets the name: the next pass finds nothing cached and asks the API.
 */
static void
cache_store(struct cache_kind *c, const char *name, unsigned vmid, char *json)
{
	struct cache_index *ix = c->index;
	struct cache_entry **slot, *e;
	size_t len = strlen(name);

	if (!json) {
		index_remove(ix, name);
		return;
	}
	slot = name_slot(ix, name);
	if (*slot) {
		e = *slot;
		entry_unparse(ix, e);
		free(e->json);
		ct_unlink(ix, e);
	} else {
		if (ix->count >= ix->nbuckets) {
			index_grow(ix);
			slot = name_slot(ix, name);
		}
		e = xcalloc(1, sizeof(*e) + len + 1);
		memcpy(e->name, name, len);
		*slot = e;
		ix->count++;
	}
	e->json = json;
	e->vmid = vmid;
	ct_link(ix, e);
}

static void
cache_put(const struct syncd *sd, struct cache_kind *c, enum syncd_kind k, const cJSON *o)
{
	const char *name = meta_str(o, "name");

	if (name && c->index)
		cache_store(c, name, object_vmid(o), stored_copy(sd, k, o));
}

static void
cache_take(const struct syncd *sd, struct cache_kind *c, enum syncd_kind k, cJSON *o)
{
	_cleanup_free_ char *name = NULL;
	unsigned vmid;

	if (!meta_str(o, "name") || !c->index || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return;
	}
	name = xstrdup(meta_str(o, "name"));
	vmid = object_vmid(o);
	cache_store(c, name, vmid, stored_taken(sd, k, o));
}

void
syncd_cache_clear(struct syncd *sd, enum syncd_kind k)
{
	cache_reset(&sd->cache[k]);
}

void
syncd_cache_put(struct syncd *sd, enum syncd_kind k, const cJSON *o)
{
	cache_put(sd, &sd->cache[k], k, o);
}

void
syncd_cache_take(struct syncd *sd, enum syncd_kind k, cJSON *o)
{
	cache_take(sd, &sd->cache[k], k, o);
}

void
syncd_cache_remove(struct syncd *sd, enum syncd_kind k, const char *name)
{
	struct cache_kind *c = &sd->cache[k];

	if (c->index && name)
		index_remove(c->index, name);
}

const cJSON *
syncd_cache_get(struct syncd *sd, enum syncd_kind k, const char *name)
{
	struct cache_kind *c = &sd->cache[k];
	struct cache_entry *e;

	if (!c->index || !name)
		return NULL;
	e = *name_slot(c->index, name);
	return e ? entry_tree(c->index, e) : NULL;
}

static int
cmp_entry_name(const void *a, const void *b)
{
	const struct cache_entry *x = *(const struct cache_entry *const *)a;
	const struct cache_entry *y = *(const struct cache_entry *const *)b;

	return strcmp(x->name, y->name);
}

size_t
syncd_cache_of_ct(struct syncd *sd, enum syncd_kind k, unsigned vmid, const cJSON ***out)
{
	struct cache_kind *c = &sd->cache[k];
	struct cache_entry **v = NULL, *e;
	const cJSON **trees;
	size_t n = 0, m = 0, alloc = 0, i;

	*out = NULL;
	if (!c->index)
		return 0;
	for (e = c->index->cts[hash_vmid(vmid) % c->index->nbuckets]; e; e = e->next_ct) {
		if (e->vmid != vmid)
			continue;
		v = xgrow(v, n + 1, &alloc, sizeof(*v));
		v[n++] = e;
	}
	if (!n)
		return 0;
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_entry_name);
	trees = xcalloc(n, sizeof(*trees));
	for (i = 0; i < n; i++) {
		const cJSON *t = entry_tree(c->index, v[i]);

		if (t)
			trees[m++] = t;
	}
	free(v);
	if (!m) {
		free(trees);
		return 0;
	}
	*out = trees;
	return m;
}

size_t
syncd_cache_count(const struct syncd *sd, enum syncd_kind k)
{
	return sd->cache[k].index ? sd->cache[k].index->count : 0;
}

void
syncd_cache_each(struct syncd *sd, enum syncd_kind k,
		 void (*fn)(struct syncd *sd, const char *name, unsigned vmid, void *arg), void *arg)
{
	struct cache_index *ix = sd->cache[k].index;
	size_t i;

	for (i = 0; ix && i < ix->nbuckets; i++)
		for (const struct cache_entry *e = ix->names[i]; e; e = e->next_name)
			fn(sd, e->name, e->vmid, arg);
}

void
syncd_cache_trim(struct syncd *sd)
{
	int k;

	for (k = 0; k < KIND_MAX; k++) {
		struct cache_index *ix = sd->cache[k].index;

		for (; ix && ix->nlive; ix->nlive--) {
			struct cache_entry *e = ix->live[ix->nlive - 1];

			cJSON_Delete(e->tree);
			e->tree = NULL;
		}
	}
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

/*
 * Mark the CTs whose objects differ between the cache of a kind and a fresh
 * list of it (a re-list: what changed while we were not watching is to be
 * looked at). The cache keeps only what the agent reads (no resourceVersion),
 * so that is what is compared: a change the agent cannot see is no reason
 * to look at a CT again.
 */
static void
mark_changed(struct syncd *sd, const struct cache_kind *old, const struct cache_kind *new)
{
	size_t i;

	if (!old->index)
		return;
	for (i = 0; i < old->index->nbuckets; i++) {
		for (const struct cache_entry *e = old->index->names[i]; e; e = e->next_name) {
			const struct cache_entry *n = *name_slot(new->index, e->name);

			if (n && n->vmid == e->vmid && !strcmp(n->json, e->json))
				continue;
			if (e->vmid)
				syncd_ct(sd, e->vmid, true)->dirty = true;
			/* its CT label changed: the new CT is to be looked at too */
			if (n && n->vmid && n->vmid != e->vmid)
				syncd_ct(sd, n->vmid, true)->dirty = true;
		}
	}
	for (i = 0; i < new->index->nbuckets; i++)
		for (const struct cache_entry *e = new->index->names[i]; e; e = e->next_name)
			if (e->vmid && !*name_slot(old->index, e->name))
				syncd_ct(sd, e->vmid, true)->dirty = true;
}

static void
on_event(const char *type, const cJSON *o, void *arg)
{
	struct watch_ctx *wc = arg;

	syncd_cache_event(wc->sd, wc->kind, type, o);
}

/*
 * LIST one kind into a fresh map, page by page: a page of 10,000 pods or
 * StatefulSets is hundreds of megabytes once parsed. The old map stays
 * until the new one is complete. The watch starts from the first page's
 * resourceVersion (that of every page on a real server): what changed
 * while the pages came is replayed.
 */
#define LIST_PAGE 50

static int
list_kind(struct syncd *sd, enum syncd_kind k, struct pct_error **err)
{
	const struct kind_info *ki = &syncd_kinds[k];
	_cleanup_free_ char *path = kube_path(ki->group_version, sd->settings->namespace,
					      ki->resource, NULL);
	char *token = NULL, *version = NULL;
	struct cache_kind fresh = { 0 };
	int ret = 0, restarts = 0;

	cache_reset(&fresh);
	for (;;) {
		cJSON *page = NULL, *items;
		const cJSON *md, *v;

		ret = kube_list_page(sd->kube, path, LABEL_MANAGED_BY "=" CORRAL_MANAGED_BY,
				     LIST_PAGE, token, &page, err);
		if (ret < 0 && token && restarts++ < 3 && pct_error_consume(err, KUBE_E_STATUS(410))) {
			/* the continue token expired: start again */
			cache_reset(&fresh);
			free(token);
			free(version);
			token = version = NULL;
			ret = 0;
			continue;
		}
		if (ret < 0)
			break;
		items = cJSON_GetObjectItemCaseSensitive(page, "items");
		while (items && items->child)
			cache_take(sd, &fresh, k, cJSON_DetachItemViaPointer(items, items->child));
		md = cJSON_GetObjectItemCaseSensitive(page, "metadata");
		v = cJSON_GetObjectItemCaseSensitive(md, "resourceVersion");
		if (!version && cJSON_IsString(v))
			version = xstrdup(v->valuestring);
		free(token);
		v = cJSON_GetObjectItemCaseSensitive(md, "continue");
		token = cJSON_IsString(v) && *v->valuestring ? xstrdup(v->valuestring) : NULL;
		cJSON_Delete(page);
		if (!token)
			break;
	}
	if (ret < 0) {
		cache_release(&fresh);
		free(token);
		free(version);
		return ret;
	}
	mark_changed(sd, &sd->cache[k], &fresh);
	cache_release(&sd->cache[k]);
	sd->cache[k].index = fresh.index;
	free(sd->cache[k].resource_version);
	sd->cache[k].resource_version = version;
	sd->cache[k].listed = true;
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
			cache_reset(&sd->cache[k]);
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
	cache_reset(c);
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
		cache_release(&sd->cache[k]);
		free(sd->cache[k].resource_version);
		memset(&sd->cache[k], 0, sizeof(sd->cache[k]));
	}
}

/*
 * corral-syncd's cache of cluster objects (sync/cache.c): the indexes by name
 * and by CT stay right through puts, replacements and removals of thousands
 * of objects, the cache keeps exactly what the agent reads, and a re-list
 * marks the CTs whose objects changed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../../sync/cache.c"
#include "tap.h"

/* what cache.c needs from the rest of the agent */
void
syncd_debug(struct syncd *sd, const char *fmt, ...)
{
	(void)sd;
	(void)fmt;
}

void
syncd_log(struct syncd *sd, const char *fmt, ...)
{
	(void)sd;
	(void)fmt;
}

/* the CTs marked dirty, as the agent's table would hold them */
static struct ct cts[16];
static size_t ncts;

struct ct *
syncd_ct(struct syncd *sd, unsigned vmid, bool create)
{
	size_t i;

	(void)sd;
	for (i = 0; i < ncts; i++)
		if (cts[i].vmid == vmid)
			return &cts[i];
	if (!create || ncts == ARRAY_SIZE(cts))
		abort();
	cts[ncts].vmid = vmid;
	return &cts[ncts++];
}

static bool
dirty(unsigned vmid)
{
	size_t i;

	for (i = 0; i < ncts; i++)
		if (cts[i].vmid == vmid)
			return cts[i].dirty;
	return false;
}

double
syncd_now(void)
{
	return 0;
}

static cJSON *
object(const char *name, unsigned vmid)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"metadata\":{\"name\":\"%s\",\"uid\":\"u-%s\",\"resourceVersion\":\"7\","
		 "\"labels\":{\"corral.dev/ctid\":\"%u\",\"app.kubernetes.io/managed-by\":\"corral\"},"
		 "\"annotations\":{\"corral.dev/spec-hash\":\"h\",\"corral.dev/description\":\"d\"},"
		 "\"managedFields\":[{\"manager\":\"corral-syncd\"}]},"
		 "\"spec\":{\"resources\":{\"requests\":{\"storage\":\"8Gi\"}},\"volumeMode\":\"Filesystem\"},"
		 "\"status\":{\"phase\":\"Bound\",\"accessModes\":[\"ReadWriteOnce\"],"
		 "\"capacity\":{\"storage\":\"8Gi\"},\"conditions\":[{\"type\":\"FileSystemResizePending\","
		 "\"status\":\"True\",\"lastTransitionTime\":\"t\"}]}}",
		 name, name, vmid);
	return cJSON_Parse(text);
}

static bool
has(const cJSON *o, const char *a, const char *b, const char *c)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	if (v && b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	if (v && c)
		v = cJSON_GetObjectItemCaseSensitive(v, c);
	return v != NULL;
}

static int
children(const cJSON *o)
{
	return cJSON_GetArraySize(o);
}

static void
test_indexes(void)
{
	struct syncd sd = { 0 };
	const cJSON **objs;
	char name[64];
	bool all = true, sorted = true;
	unsigned i;
	size_t n;

	cache_reset(&sd.cache[KIND_PVC]);
	for (i = 0; i < 5000; i++) {
		cJSON *o;

		snprintf(name, sizeof(name), "pvc-%u", 4999 - i);
		o = object(name, 100 + (4999 - i) % 1000);
		if (i % 2)
			syncd_cache_take(&sd, KIND_PVC, o);
		else {
			syncd_cache_put(&sd, KIND_PVC, o);
			cJSON_Delete(o);
		}
	}
	for (i = 0; i < 5000 && all; i++) {
		const cJSON *o;

		snprintf(name, sizeof(name), "pvc-%u", i);
		o = syncd_cache_get(&sd, KIND_PVC, name);
		all = o && !strcmp(o->string, name);
	}
	ok(all, "5,000 objects, taken or copied, each found by its name");
	ok(syncd_cache_count(&sd, KIND_PVC) == 5000, "one entry each");
	ok(!syncd_cache_get(&sd, KIND_PVC, "pvc-5000"), "an unknown name is not found");

	n = syncd_cache_of_ct(&sd, KIND_PVC, 142, &objs);
	for (i = 1; i < n; i++)
		if (strcmp(objs[i - 1]->string, objs[i]->string) >= 0)
			sorted = false;
	ok(n == 5 && sorted && !strcmp(objs[0]->string, "pvc-1042"),
	   "the objects of CT 142: five, by name (%zu)", n);
	free(objs);
	ok(syncd_cache_of_ct(&sd, KIND_PVC, 99, &objs) == 0 && !objs, "none for CT 99");

	/* replaced with another ctid: it moves from one CT to the other */
	syncd_cache_take(&sd, KIND_PVC, object("pvc-42", 99));
	ok(syncd_cache_count(&sd, KIND_PVC) == 5000, "a replacement adds no entry");
	n = syncd_cache_of_ct(&sd, KIND_PVC, 142, &objs);
	free(objs);
	ok(n == 4, "CT 142 lost the object relabelled (%zu)", n);
	n = syncd_cache_of_ct(&sd, KIND_PVC, 99, &objs);
	ok(n == 1 && !strcmp(objs[0]->string, "pvc-42") &&
		   objs[0] == syncd_cache_get(&sd, KIND_PVC, "pvc-42"),
	   "CT 99 has it, the same object as by name");
	free(objs);

	for (i = 0; i < 5000; i += 2) {
		snprintf(name, sizeof(name), "pvc-%u", i);
		syncd_cache_remove(&sd, KIND_PVC, name);
	}
	syncd_cache_remove(&sd, KIND_PVC, "pvc-0");
	syncd_cache_remove(&sd, KIND_PVC, "never-there");
	ok(syncd_cache_count(&sd, KIND_PVC) == 2500, "half removed (twice for one): 2,500 left");
	ok(!syncd_cache_get(&sd, KIND_PVC, "pvc-42") && syncd_cache_get(&sd, KIND_PVC, "pvc-43"),
	   "removed ones are gone, the others stay");
	n = syncd_cache_of_ct(&sd, KIND_PVC, 142, &objs);
	free(objs);
	ok(n == 0, "CT 142's even-numbered objects are gone from its index (%zu left)", n);
	n = syncd_cache_of_ct(&sd, KIND_PVC, 143, &objs);
	free(objs);
	ok(n == 5, "CT 143's odd-numbered ones are there (%zu)", n);
	n = syncd_cache_of_ct(&sd, KIND_PVC, 99, &objs);
	free(objs);
	ok(n == 0, "and the relabelled, removed one is gone from CT 99");
	syncd_cache_release(&sd);
}

static const char pod_text[] =
	"{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"ct-100-0\","
	"\"namespace\":\"default\",\"uid\":\"u1\",\"creationTimestamp\":\"t\","
	"\"deletionTimestamp\":\"t2\",\"labels\":{\"corral.dev/ctid\":\"100\","
	"\"controller-revision-hash\":\"ct-100-abc\",\"apps.kubernetes.io/pod-index\":\"0\"},"
	"\"annotations\":{\"corral.dev/description\":\"a long text\"},"
	"\"ownerReferences\":[{\"uid\":\"s\"}],\"managedFields\":[{\"manager\":\"kubelet\"}]},"
	"\"spec\":{\"nodeName\":\"node-1\",\"containers\":[{\"name\":\"ct\",\"image\":\"debian\","
	"\"env\":[{\"name\":\"A\"}],\"resources\":{\"limits\":{\"memory\":\"512Mi\"}}}],"
	"\"volumes\":[{\"name\":\"rootfs\",\"persistentVolumeClaim\":{\"claimName\":\"local-vm-100-disk-0\","
	"\"readOnly\":false}},{\"name\":\"conf\",\"configMap\":{\"name\":\"ct-100-conf\"}}]},"
	"\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.1\",\"hostIP\":\"10.1.0.1\","
	"\"reason\":\"Evicted\",\"message\":\"The node was low on resource: memory.\","
	"\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
	"\"initContainerStatuses\":[{\"name\":\"prestart\",\"image\":\"p\",\"imageID\":\"sha256:1\","
	"\"state\":{\"terminated\":{\"exitCode\":1,\"message\":\"m\"}},\"lastState\":{},"
	"\"volumeMounts\":[{\"name\":\"rootfs\"}]}],"
	"\"containerStatuses\":[{\"ready\":true,\"state\":{\"running\":{}}}],\"qosClass\":\"Burstable\"}}";

static void
check_pod(const cJSON *p, const char *how)
{
	ok(p && has(p, "metadata", "uid", NULL) && has(p, "metadata", "deletionTimestamp", NULL) &&
		   has(p, "metadata", "labels", "corral.dev/ctid") &&
		   has(p, "metadata", "labels", "controller-revision-hash") &&
		   has(p, "spec", "nodeName", NULL) && has(p, "status", "phase", NULL) &&
		   has(p, "status", "podIP", NULL) && has(p, "status", "conditions", NULL) &&
		   has(p, "status", "reason", NULL) && has(p, "status", "message", NULL) &&
		   has(p, "status", "containerStatuses", NULL),
	   "%s pod: what the agent reads is kept", how);
	{
		const cJSON *ic = cJSON_GetArrayItem(
			cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "status"),
							 "initContainerStatuses"),
			0);
		const cJSON *vols = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(p, "spec"), "volumes");
		const cJSON *v0 = cJSON_GetArrayItem(vols, 0);

		ok(ic && has(ic, "name", NULL, NULL) && has(ic, "state", "terminated", "message") &&
			   has(ic, "lastState", NULL, NULL) && !has(ic, "image", NULL, NULL) &&
			   !has(ic, "volumeMounts", NULL, NULL),
		   "%s pod: of the init containers, name, state and last state", how);
		ok(v0 && has(v0, "persistentVolumeClaim", "claimName", NULL) &&
			   !has(v0, "persistentVolumeClaim", "readOnly", NULL) && !has(v0, "name", NULL, NULL) &&
			   cJSON_GetArraySize(vols) == 2 && !cJSON_GetArrayItem(vols, 1)->child,
		   "%s pod: of the volumes, the claims' names only", how);
	}
	ok(p && !has(p, "metadata", "managedFields", NULL) &&
		   !has(p, "metadata", "namespace", NULL) &&
		   !has(p, "metadata", "ownerReferences", NULL) &&
		   !has(p, "metadata", "labels", "apps.kubernetes.io/pod-index") &&
		   !has(p, "metadata", "annotations", "corral.dev/description") &&
		   !has(p, "status", "hostIP", NULL) &&
		   !has(p, "status", "qosClass", NULL) && !has(p, "kind", NULL, NULL),
	   "%s pod: the rest is dropped", how);
	ok(p && children(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
			p, "status"), "containerStatuses")) == 1 &&
		   has(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
				   cJSON_GetObjectItemCaseSensitive(p, "status"), "containerStatuses"), 0),
		       "state", "running", NULL),
	   "%s pod: a kept member keeps all it holds", how);
	{
		const cJSON *c = cJSON_GetArrayItem(
			p ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "spec"),
							     "containers")
			  : NULL,
			0);

		ok(c && has(c, "name", NULL, NULL) && has(c, "resources", "limits", "memory") &&
			   !has(c, "image", NULL, NULL) && !has(c, "env", NULL, NULL),
		   "%s pod: of each container, its name and resources only (in-place resize)", how);
	}
}

static void
test_slim(void)
{
	struct syncd sd = { 0 };
	cJSON *pod = cJSON_Parse(pod_text);
	const cJSON *p;
	int k;

	for (k = 0; k < KIND_MAX; k++)
		cache_reset(&sd.cache[k]);
	syncd_cache_put(&sd, KIND_POD, pod);
	check_pod(syncd_cache_get(&sd, KIND_POD, "ct-100-0"), "a copied");
	ok(has(pod, "spec", "containers", NULL) && has(pod, "metadata", "managedFields", NULL),
	   "the object copied from is untouched");
	syncd_cache_take(&sd, KIND_POD, pod);
	check_pod(syncd_cache_get(&sd, KIND_POD, "ct-100-0"), "a taken");

	syncd_cache_take(&sd, KIND_STATEFULSET,
			 cJSON_Parse("{\"metadata\":{\"name\":\"ct-100\",\"labels\":{\"corral.dev/ctid\":\"100\"}},"
				     "\"spec\":{\"replicas\":1,\"serviceName\":\"ct-100\",\"template\":{"
				     "\"metadata\":{\"annotations\":{\"corral.dev/restart-hash\":\"r\",\"x\":\"y\"}},"
				     "\"spec\":{\"containers\":[{\"name\":\"ct\",\"image\":\"debian\","
				     "\"resources\":{\"limits\":{\"cpu\":\"2\"}}}]}}},"
				     "\"status\":{\"replicas\":1,\"updateRevision\":\"ct-100-abc\"}}"));
	p = syncd_cache_get(&sd, KIND_STATEFULSET, "ct-100");
	{
		const cJSON *t = p ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "spec"),
								      "template")
				   : NULL;
		const cJSON *c = cJSON_GetArrayItem(
			cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t, "spec"), "containers"),
			0);

		ok(p && has(p, "status", "updateRevision", NULL) && !has(p, "status", "replicas", NULL) &&
			   has(p, "spec", "replicas", NULL) && !has(p, "spec", "serviceName", NULL),
		   "StatefulSet: status.updateRevision and spec.replicas");
		ok(t && has(t, "metadata", "annotations", "corral.dev/restart-hash") &&
			   !has(t, "metadata", "annotations", "x") && c && has(c, "name", NULL, NULL) &&
			   has(c, "resources", "limits", "cpu") && !has(c, "image", NULL, NULL),
		   "StatefulSet: of the template, the restart hash and the containers' resources");
	}

	syncd_cache_take(&sd, KIND_SECRET,
			 cJSON_Parse("{\"metadata\":{\"name\":\"ct-100-secrets\",\"uid\":\"u\","
				     "\"annotations\":{\"corral.dev/spec-hash\":\"h\"}},"
				     "\"data\":{\"password\":\"c2VjcmV0\"},\"type\":\"Opaque\"}"));
	p = syncd_cache_get(&sd, KIND_SECRET, "ct-100-secrets");
	ok(p && !has(p, "data", NULL, NULL) && !has(p, "type", NULL, NULL) &&
		   has(p, "metadata", "annotations", "corral.dev/spec-hash"),
	   "Secret: no data kept, the spec hash is");

	syncd_cache_take(&sd, KIND_PVC, object("pvc-1", 100));
	p = syncd_cache_get(&sd, KIND_PVC, "pvc-1");
	ok(p && has(p, "spec", "resources", "requests") && !has(p, "spec", "volumeMode", NULL) &&
		   has(p, "status", "capacity", "storage") && has(p, "metadata", "annotations", "corral.dev/spec-hash") &&
		   !has(p, "metadata", "resourceVersion", NULL) && !has(p, "metadata", "annotations", "corral.dev/description"),
	   "PVC: requests, capacity and the spec hash");
	{
		const cJSON *c = p ? cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
				       cJSON_GetObjectItemCaseSensitive(p, "status"), "conditions"), 0)
				 : NULL;

		ok(c && has(c, "type", NULL, NULL) && has(c, "status", NULL, NULL) &&
			   !has(c, "lastTransitionTime", NULL, NULL) && has(p, "status", "phase", NULL) &&
			   !has(p, "status", "accessModes", NULL),
		   "PVC: of the status, the capacity, the phase and the conditions' type, status and message");
	}
	syncd_cache_release(&sd);

	sd.dry_run = true;
	cache_reset(&sd.cache[KIND_POD]);
	syncd_cache_take(&sd, KIND_POD, cJSON_Parse(pod_text));
	p = syncd_cache_get(&sd, KIND_POD, "ct-100-0");
	ok(p && has(p, "metadata", "managedFields", NULL) && has(p, "spec", "containers", NULL),
	   "--dry-run keeps whole objects (it prints them)");
	syncd_cache_release(&sd);
}

static cJSON *
versioned(const char *name, unsigned vmid, const char *rv, const char *hash)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "{\"metadata\":{\"name\":\"%s\",\"uid\":\"u-%s\",\"resourceVersion\":\"%s\","
		 "\"labels\":{\"corral.dev/ctid\":\"%u\"},"
		 "\"annotations\":{\"corral.dev/spec-hash\":\"%s\"}},\"data\":{\"k\":\"v\"}}",
		 name, name, rv, vmid, hash);
	return cJSON_Parse(text);
}

/* A re-list marks the CTs whose objects changed while the agent was not watching. */
static void
test_mark_changed(void)
{
	struct syncd sd = { 0 };
	struct cache_kind fresh = { 0 };

	cache_reset(&sd.cache[KIND_CONFIGMAP]);
	syncd_cache_take(&sd, KIND_CONFIGMAP, versioned("ct-100-conf", 100, "1", "a"));
	syncd_cache_take(&sd, KIND_CONFIGMAP, versioned("ct-101-conf", 101, "2", "a"));
	syncd_cache_take(&sd, KIND_CONFIGMAP, versioned("ct-102-conf", 102, "3", "a"));
	syncd_cache_take(&sd, KIND_CONFIGMAP, versioned("ct-104-conf", 104, "4", "a"));
	cache_reset(&fresh);
	/* 100: only its resourceVersion (and data, not read) changed */
	cache_take(&sd, &fresh, KIND_CONFIGMAP, versioned("ct-100-conf", 100, "9", "a"));
	/* 101: its spec hash changed; 102: gone; 103: new; 104 relabelled to 105 */
	cache_take(&sd, &fresh, KIND_CONFIGMAP, versioned("ct-101-conf", 101, "10", "b"));
	cache_take(&sd, &fresh, KIND_CONFIGMAP, versioned("ct-103-conf", 103, "11", "a"));
	cache_take(&sd, &fresh, KIND_CONFIGMAP, versioned("ct-104-conf", 105, "12", "a"));
	mark_changed(&sd, &sd.cache[KIND_CONFIGMAP], &fresh);
	ok(!dirty(100), "re-list: an object changed in nothing the agent reads marks no CT");
	ok(dirty(101), "re-list: a changed spec hash marks its CT");
	ok(dirty(102), "re-list: a deleted object marks its CT");
	ok(dirty(103), "re-list: a new object marks its CT");
	ok(dirty(104) && dirty(105), "re-list: a relabelled object marks both CTs");
	cache_release(&fresh);
	syncd_cache_release(&sd);

	/* the first list marks nothing: there was no cache to differ from */
	ncts = 0;
	cache_reset(&fresh);
	cache_take(&sd, &fresh, KIND_CONFIGMAP, versioned("ct-100-conf", 100, "1", "a"));
	mark_changed(&sd, &sd.cache[KIND_CONFIGMAP], &fresh);
	ok(ncts == 0, "a first list marks no CT");
	cache_release(&fresh);
}

/*
 * Objects are stored as compact text and parsed for a reader: the same tree
 * until syncd_cache_trim(), a fresh one after, none left behind by a
 * replacement or a removal (ASan and valgrind see leaks and dangling trees).
 */
static void
test_stored_form(void)
{
	struct syncd sd = { 0 };
	struct cache_entry *e;
	const cJSON *p, *q, **objs;
	cJSON *kept;
	char *text;
	size_t n;

	cache_reset(&sd.cache[KIND_PVC]);
	syncd_cache_take(&sd, KIND_PVC, object("pvc-1", 100));
	e = *name_slot(sd.cache[KIND_PVC].index, "pvc-1");
	ok(e && e->json && !e->tree && !strchr(e->json, ' ') && !strchr(e->json, '\n') &&
		   !strstr(e->json, "managedFields") && strstr(e->json, "\"8Gi\""),
	   "stored as compact text of the kept members, not parsed until read: %s",
	   e ? e->json : "(none)");
	p = syncd_cache_get(&sd, KIND_PVC, "pvc-1");
	ok(p && e->tree == p && p->string && !strcmp(p->string, "pvc-1") &&
		   sd.cache[KIND_PVC].index->nlive == 1,
	   "a read parses it, named as it is stored");
	ok(syncd_cache_get(&sd, KIND_PVC, "pvc-1") == p, "a second read: the same tree");
	n = syncd_cache_of_ct(&sd, KIND_PVC, 100, &objs);
	ok(n == 1 && objs[0] == p, "by CT: the same tree too");
	free(objs);
	text = cJSON_PrintUnformatted(p);
	ok(text && !strcmp(text, e->json), "the tree prints back to the stored text");
	cJSON_free(text);

	kept = cJSON_Duplicate(p, true);
	syncd_cache_trim(&sd);
	ok(!e->tree && sd.cache[KIND_PVC].index->nlive == 0, "a trim drops the tree");
	q = syncd_cache_get(&sd, KIND_PVC, "pvc-1");
	ok(q && cJSON_Compare(q, kept, true), "read again: an equal tree");
	cJSON_Delete(kept);

	/* replaced while a tree is out: the tree goes, the new version is read */
	kept = object("pvc-1", 100);
	cJSON_ReplaceItemInObjectCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(kept, "spec"),
						  "resources"),
		"requests", cJSON_Parse("{\"storage\":\"16Gi\"}"));
	syncd_cache_put(&sd, KIND_PVC, kept);
	cJSON_Delete(kept);
	ok(!e->tree && sd.cache[KIND_PVC].index->nlive == 0, "a replacement drops the old tree");
	q = syncd_cache_get(&sd, KIND_PVC, "pvc-1");
	ok(q && !strcmp(cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(
					cJSON_GetObjectItemCaseSensitive(
						cJSON_GetObjectItemCaseSensitive(q, "spec"), "resources"),
					"requests"),
				"storage")->valuestring,
			"16Gi"),
	   "and the next read sees the new version");
	syncd_cache_take(&sd, KIND_PVC, object("pvc-2", 100));
	ok(syncd_cache_get(&sd, KIND_PVC, "pvc-2") && sd.cache[KIND_PVC].index->nlive == 2,
	   "two trees out");
	syncd_cache_remove(&sd, KIND_PVC, "pvc-1");
	ok(sd.cache[KIND_PVC].index->nlive == 1 && sd.cache[KIND_PVC].index->live[0] ==
							      *name_slot(sd.cache[KIND_PVC].index, "pvc-2"),
	   "a removal drops its tree, the other stays");
	/* released with a tree out: nothing leaks */
	syncd_cache_release(&sd);
}

static bool fail_prints;

/* cJSON's allocator: fails print buffers (cJSON asks 256 bytes first) on demand */
static void *
failing_malloc(size_t n)
{
	return fail_prints && n >= 256 ? NULL : malloc(n);
}

/*
 * An object whose text cannot be made (out of memory, on an object too big
 * for the stack buffer) is forgotten, not left at its old version: the next
 * pass then finds nothing cached and asks the API.
 */
static void
test_print_fails(void)
{
	struct syncd sd = { 0 };
	cJSON_Hooks hooks = { failing_malloc, free };
	cJSON *big = object("pvc-big", 100), *conds;
	char type[64];
	int i;

	conds = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(big, "status"),
						 "conditions");
	for (i = 0; i < 100; i++) {
		cJSON *c = cJSON_CreateObject();

		snprintf(type, sizeof(type), "SomeConditionTypeNumber%03d", i);
		cJSON_AddStringToObject(c, "type", type);
		cJSON_AddItemToArray(conds, c);
	}
	cache_reset(&sd.cache[KIND_PVC]);
	cJSON_InitHooks(&hooks);
	syncd_cache_put(&sd, KIND_PVC, big);
	ok(syncd_cache_get(&sd, KIND_PVC, "pvc-big") != NULL, "a big object is stored (%zu bytes)",
	   strlen((*name_slot(sd.cache[KIND_PVC].index, "pvc-big"))->json));
	fail_prints = true;
	syncd_cache_put(&sd, KIND_PVC, big);
	fail_prints = false;
	ok(!syncd_cache_get(&sd, KIND_PVC, "pvc-big") && syncd_cache_count(&sd, KIND_PVC) == 0,
	   "its text cannot be made: forgotten, not kept at the old version");
	cJSON_InitHooks(NULL);
	cJSON_Delete(big);
	syncd_cache_release(&sd);
}

int
main(void)
{
	test_indexes();
	test_slim();
	test_stored_form();
	test_print_fails();
	test_mark_changed();
	plan_done();
	return tap_failed ? 1 : 0;
}

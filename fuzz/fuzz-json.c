/*
 * libFuzzer target: what the API server sends, as corral-syncd consumes it.
 *
 * The input is one or more watch streams separated by "\n---\n". Each starts
 * with two bytes: the kind it is a watch of (PVC, ConfigMap, ..., Pod,
 * VolumeSnapshot; modulo their number) and the size of the chunks it arrives
 * in (1 to 255 bytes; 0: all at once); the rest is the stream. Each goes
 * through libkube's watch parser (kube_watch_feed: JSON lines cut anywhere,
 * Status errors), its events into the agent's cache (syncd_cache_event), and
 * then the agent publishes the status of every CT the events named
 * (syncd_status_write: pods, PVC capacities and conditions, snapshot
 * readiness), which pct reads back (pct_status_read). The first stream's
 * bytes are also read by pct as a status file of their own, and given to
 * kube_status_message() as an error response body.
 *
 * Checked: no crash, leak or undefined behaviour; every event has a string
 * type and an object; the cache holds only named objects, under their
 * names, which its index finds; every status file the agent writes is JSON
 * that pct reads with a status.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube-internal.h"
#include "pct/pct.h"
#include "syncd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEP "\n---\n"

static char *rundir;

static void
setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char *tmpl = xasprintf("%s/fuzz-json.XXXXXX", base);

	if (!mkdtemp(tmpl))
		abort();
	rundir = tmpl;
	setenv("CORRAL_RUNDIR", rundir, 1);
}

struct feed_ctx {
	struct syncd *sd;
	enum syncd_kind kind;
};

static void
on_event(const char *type, const cJSON *obj, void *arg)
{
	struct feed_ctx *fc = arg;

	if (!type || !cJSON_IsObject(obj))
		abort();
	syncd_cache_event(fc->sd, fc->kind, type, obj);
}

static void
feed(struct syncd *sd, const char *s, size_t n)
{
	struct kube k = {0};
	struct kube_watch *w;
	struct feed_ctx fc;
	size_t chunk, off;

	if (n < 2)
		return;
	fc.sd = sd;
	fc.kind = (enum syncd_kind)((unsigned char)s[0] % KIND_MAX);
	chunk = (unsigned char)s[1];
	s += 2;
	n -= 2;
	w = xcalloc(1, sizeof(*w));
	w->k = &k;
	w->path = xstrdup("/api/v1/namespaces/default/things");
	w->cb = on_event;
	w->ctx = &fc;
	w->queue_tail = &w->queue;
	w->active = true;
	k.watches = w;
	for (off = 0; off < n;) {
		size_t len = chunk ? (n - off < chunk ? n - off : chunk) : n - off;

		if (kube_watch_feed(w, s + off, len) < 0) {
			if (!w->error || !w->error->msg)
				abort();
			break;
		}
		off += len;
	}
	kube_watch_dispatch(&k);
	if (w->queue)
		abort();
	kube_watch_free(w);
}

static void
check_object(struct syncd *sd, const char *name, unsigned vmid, void *arg)
{
	enum syncd_kind k = *(enum syncd_kind *)arg;
	const cJSON **objs;
	const cJSON *o = syncd_cache_get(sd, k, name), *n;
	size_t i, count;
	bool found = false;

	/* its index finds it, parsed back from the stored form with its name */
	if (!o || !o->string || strcmp(o->string, name))
		abort();
	n = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "metadata"), "name");
	if (!cJSON_IsString(n) || strcmp(n->valuestring, name))
		abort();
	/* read twice, the same tree until the trim */
	if (syncd_cache_get(sd, k, name) != o)
		abort();
	if (!vmid)
		return;
	count = syncd_cache_of_ct(sd, k, vmid, &objs);
	for (i = 0; i < count; i++)
		found |= objs[i] == o;
	free(objs);
	if (!found)
		abort();
}

static void
check_cache(struct syncd *sd)
{
	for (int k = 0; k < KIND_MAX; k++) {
		enum syncd_kind kind = (enum syncd_kind)k;

		syncd_cache_each(sd, kind, check_object, &kind);
		syncd_cache_trim(sd);
	}
}

static void
check_status(unsigned vmid, bool must_exist)
{
	struct pct_status st;

	pct_status_read(vmid, &st);
	if (must_exist && (!st.known || !st.status))
		abort();
	pct_status_release(&st);
}

static void
remove_status(unsigned vmid)
{
	_cleanup_free_ char *path = xasprintf("%s/ct/%u.status", rundir, vmid);

	(void)unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syncd sd = {0};
	const char *s = (const char *)data, *end = s + size;
	size_t i;

	if (!rundir)
		setup();
	sd.rundir = rundir;
	sd.kube_mode = true;
	sd.has_snapshots = true;
	for (i = 0; i < KIND_MAX; i++)
		syncd_cache_clear(&sd, (enum syncd_kind)i);

	/* the first stream as a status file pct reads, and as an error body */
	{
		const char *sep = memmem(s, size, SEP, strlen(SEP));
		size_t n = sep ? (size_t)(sep - s) : size;
		_cleanup_free_ char *path = xasprintf("%s/ct/1.status", rundir);
		_cleanup_free_ char *dir = xasprintf("%s/ct", rundir);
		_cleanup_free_ char *copy = xstrndup(s, n);
		cJSON *body;
		char *msg;

		(void)pctconf_mkdir_p(dir, 0755);
		if (pctconf_write_file_atomic(path, s, n, 0644, NULL) == 0)
			check_status(1, false);
		remove_status(1);
		body = kube_parse_json(copy, strlen(copy));
		msg = kube_status_message(n > 0 ? 400 + (unsigned char)s[0] % 200 : 500, body);
		if (!msg || !*msg)
			abort();
		free(msg);
		cJSON_Delete(body);
	}

	while (s < end) {
		const char *sep = memmem(s, (size_t)(end - s), SEP, strlen(SEP));
		size_t n = sep ? (size_t)(sep - s) : (size_t)(end - s);

		feed(&sd, s, n);
		s += n + (sep ? strlen(SEP) : 0);
	}
	check_cache(&sd);
	/* what the agent publishes for each CT the events named, and what pct reads of it */
	for (i = 0; i < sd.ncts && i < 64; i++) {
		syncd_status_write(&sd, &sd.cts[i]);
		check_status(sd.cts[i].vmid, true);
		remove_status(sd.cts[i].vmid);
	}
	for (i = 0; i < sd.ncts; i++)
		syncd_ct_release(&sd.cts[i]);
	free(sd.cts);
	syncd_cache_release(&sd);
	return 0;
}

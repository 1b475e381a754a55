/*
 * libkube watches against the fake API server: events in order while
 * requests go on, kube_wait() returning for the caller's fd, JSON lines cut
 * at every possible chunk boundary, a dropped stream, a clean end and resuming
 * from the last resourceVersion, 410 Expired, a refused watch, callbacks that
 * call back into libkube.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake.h"
#include "kube.h"
#include "pct-error.h"
#include "tap.h"

#define CM_PATH "/api/v1/namespaces/default/configmaps"

static struct fake fk;

struct rec {
	struct strbuf log; /* "TYPE name" lines, bookmarks left out */
	int events;
	int bookmarks;
	int errors;
	/* reentrancy test */
	struct kube *k;
	struct kube_watch *self;
	bool stop_self;
	int inner_wait;
	long inner_status;
};

static void
rec_release(struct rec *r)
{
	strbuf_release(&r->log);
}

static const char *
name_of(const cJSON *obj)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "name"));

	return n ? n : "?";
}

static void
on_event(const char *type, const cJSON *obj, void *ctx)
{
	struct rec *r = ctx;

	r->events++;
	if (!strcmp(type, "BOOKMARK")) {
		r->bookmarks++;
		return;
	}
	if (!strcmp(type, "ERROR"))
		r->errors++;
	if (!strcmp(name_of(obj), "kube-root-ca.crt"))
		return;
	strbuf_addf(&r->log, "%s %s\n", type, name_of(obj));
	if (r->stop_self) {
		struct pct_error *err = NULL;
		cJSON *resp = NULL;

		r->inner_wait = kube_wait(r->k, -1, 0, &err);
		pct_error_free(&err);
		kube_request(r->k, "GET", "/version", NULL, NULL, NULL, &r->inner_status, &resp,
			     &err);
		cJSON_Delete(resp);
		pct_error_free(&err);
		kube_watch_stop(r->self);
		r->self = NULL;
		r->stop_self = false;
	}
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* kube_wait until the log has n lines or the watch ended, up to ms. */
static void
wait_lines(struct kube *k, struct rec *r, int n, struct kube_watch *w, int ms)
{
	long deadline = now_ms() + ms;

	while (now_ms() < deadline) {
		struct pct_error *err = NULL;
		int lines = 0;

		for (size_t i = 0; i < r->log.len; i++)
			lines += r->log.buf[i] == '\n';
		if (lines >= n || (w && !kube_watch_active(w)))
			return;
		if (kube_wait(k, -1, 100, &err) < 0) {
			printf("# kube_wait: %s\n", err->msg);
			pct_error_free(&err);
			return;
		}
	}
}

static void
wait_inactive(struct kube *k, struct kube_watch *w, int ms)
{
	long deadline = now_ms() + ms;

	while (kube_watch_active(w) && now_ms() < deadline) {
		struct pct_error *err = NULL;

		if (kube_wait(k, -1, 100, &err) < 0)
			pct_error_free(&err);
	}
}

static void
cm_apply(struct kube *k, const char *name, const char *labels, const char *data)
{
	_cleanup_free_ char *path = kube_path("v1", "default", "configmaps", name);
	_cleanup_free_ char *text = xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
					      "\"metadata\":{\"name\":\"%s\",\"labels\":%s},"
					      "\"data\":{\"d\":\"%s\"}}",
					      name, labels, data);
	cJSON *obj = cJSON_Parse(text);
	struct pct_error *err = NULL;

	if (kube_apply(k, path, obj, "corral-syncd", true, NULL, &err) < 0) {
		printf("# apply %s: %s\n", name, err->msg);
		pct_error_free(&err);
	}
	cJSON_Delete(obj);
}

static void
test_wait_fd(struct kube *k)
{
	struct pct_error *err = NULL;
	int fds[2];
	long t0;
	char c;
	int ret;

	if (pipe(fds) < 0) {
		ok(0, "pipe: %s", strerror(errno));
		return;
	}
	ret = kube_wait(k, fds[0], 200, &err);
	is_int(ret, 0, "kube_wait without watches and an idle fd: 0 at the timeout");
	(void)!write(fds[1], "x", 1);
	t0 = now_ms();
	ret = kube_wait(k, fds[0], 5000, &err);
	is_int(ret, 1, "kube_wait returns 1 for a readable fd");
	ok(now_ms() - t0 < 1000, "at once (%ld ms)", now_ms() - t0);
	(void)!read(fds[0], &c, 1);
	close(fds[0]);
	close(fds[1]);
}

static void
test_events(struct kube *k)
{
	struct rec r = {STRBUF_INIT};
	struct kube_watch *w = NULL;
	struct pct_error *err = NULL;
	_cleanup_free_ char *path = kube_path("v1", "default", "configmaps", "w1");
	cJSON *patch = cJSON_Parse("{\"data\":{\"d\":\"two\"}}");
	int fds[2];
	long t0;
	int ret;

	ret = kube_watch_start(k, CM_PATH, "w=1", NULL, on_event, &r, &w, &err);
	ok(ret == 0 && kube_watch_active(w), "start a watch with a label selector");
	kube_wait(k, -1, 200, &err); /* connect */
	cm_apply(k, "w1", "{\"w\":\"1\"}", "one");
	cm_apply(k, "other", "{\"w\":\"2\"}", "x");
	kube_merge_patch(k, path, patch, NULL, &err);
	kube_delete(k, path, NULL, NULL, NULL, &err);
	pct_error_free(&err);
	wait_lines(k, &r, 3, w, 5000);
	is_str(r.log.buf, "ADDED w1\nMODIFIED w1\nDELETED w1\n",
	       "ADDED, MODIFIED, DELETED in order; other labels filtered by the server");
	ok(kube_watch_active(w), "still active");
	ok(kube_watch_resource_version(w) != NULL, "a resourceVersion to resume from: %s",
	   kube_watch_resource_version(w) ? kube_watch_resource_version(w) : "none");

	if (pipe(fds) == 0) {
		(void)!write(fds[1], "x", 1);
		t0 = now_ms();
		ret = kube_wait(k, fds[0], 5000, &err);
		is_int(ret, 1, "with a watch open, kube_wait still returns for the fd");
		ok(now_ms() - t0 < 1000, "at once");
		close(fds[0]);
		close(fds[1]);
	}
	kube_watch_stop(w);
	cJSON_Delete(patch);
	rec_release(&r);
}

static void
test_chunks(struct kube *k)
{
	static const char *const sizes[] = {"1", "7", "65536"};

	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		struct rec r = {STRBUF_INIT};
		struct kube_watch *w = NULL;
		struct pct_error *err = NULL;
		_cleanup_free_ char *cfg = xasprintf("{\"watch_chunk\":%s}", sizes[s]);
		_cleanup_free_ char *label = xasprintf("{\"chunk\":\"%s\"}", sizes[s]);
		_cleanup_free_ char *sel = xasprintf("chunk=%s", sizes[s]);
		struct strbuf want = STRBUF_INIT;

		fake_ctl(&fk, "/_fake/config", cfg);
		kube_watch_start(k, CM_PATH, sel, NULL, on_event, &r, &w, &err);
		kube_wait(k, -1, 100, &err);
		for (int i = 0; i < 6; i++) {
			_cleanup_free_ char *name = xasprintf("c%s-%d", sizes[s], i);
			_cleanup_free_ char *data = xasprintf("%0*d", 50 + 300 * i, i);

			cm_apply(k, name, label, data);
			strbuf_addf(&want, "ADDED %s\n", name);
		}
		wait_lines(k, &r, 6, w, 5000);
		is_str(r.log.buf, want.buf, "events intact when the stream comes in %s-byte chunks",
		       sizes[s]);
		ok(kube_watch_active(w) && !kube_watch_error(w), "and the watch is fine");
		kube_watch_stop(w);
		strbuf_release(&want);
		pct_error_free(&err);
		rec_release(&r);
	}
	fake_ctl(&fk, "/_fake/config", "{\"watch_chunk\":0}");
}

static void
test_dropped(struct kube *k)
{
	struct rec r = {STRBUF_INIT};
	struct kube_watch *w = NULL;
	struct pct_error *err = NULL;
	const struct pct_error *we;

	kube_watch_start(k, CM_PATH, NULL, NULL, on_event, &r, &w, &err);
	wait_lines(k, &r, 1, w, 3000); /* the initial ADDED events: connected */
	fake_ctl(&fk, "/_fake/watches/drop", "{}");
	wait_inactive(k, w, 5000);
	ok(!kube_watch_active(w), "a dropped watch is reported inactive");
	we = kube_watch_error(w);
	ok(we && we->code == KUBE_E_TRANSPORT && strstr(we->msg, "watch " CM_PATH) &&
		   strstr(we->msg, "broke"),
	   "with a transport error: %s", we ? we->msg : "none");
	kube_watch_stop(w);
	pct_error_free(&err);
	rec_release(&r);
}

static void
test_resume(struct kube *k)
{
	struct rec r = {STRBUF_INIT}, r2 = {STRBUF_INIT};
	struct kube_watch *w = NULL, *w2 = NULL;
	struct pct_error *err = NULL;
	_cleanup_free_ char *rv = NULL;
	long t0 = now_ms();

	fake_ctl(&fk, "/_fake/config", "{\"bookmark_interval\":0.2}");
	kube_set_watch_timeout(k, 1);
	kube_watch_start(k, CM_PATH, "resume=1", NULL, on_event, &r, &w, &err);
	cm_apply(k, "r1", "{\"resume\":\"1\"}", "a");
	wait_inactive(k, w, 5000);
	ok(!kube_watch_active(w) && !kube_watch_error(w),
	   "the server's timeoutSeconds ends the watch cleanly (%ld ms)", now_ms() - t0);
	is_str(r.log.buf, "ADDED r1\n", "it saw r1");
	ok(r.bookmarks > 0, "and bookmarks (%d)", r.bookmarks);
	rv = xstrdup(kube_watch_resource_version(w) ? kube_watch_resource_version(w) : "");
	kube_watch_stop(w);
	cm_apply(k, "r2", "{\"resume\":\"1\"}", "b");
	kube_set_watch_timeout(k, 300);
	kube_watch_start(k, CM_PATH, "resume=1", rv, on_event, &r2, &w2, &err);
	wait_lines(k, &r2, 1, w2, 5000);
	kube_wait(k, -1, 300, &err);
	is_str(r2.log.buf, "ADDED r2\n", "resuming from resourceVersion %s sees only what is new",
	       rv);
	kube_watch_stop(w2);
	fake_ctl(&fk, "/_fake/config", "{\"bookmark_interval\":60}");
	pct_error_free(&err);
	rec_release(&r);
	rec_release(&r2);
}

static void
test_expired(struct kube *k)
{
	struct rec r = {STRBUF_INIT};
	struct kube_watch *w = NULL;
	struct pct_error *err = NULL;
	const struct pct_error *we;

	fake_ctl(&fk, "/_fake/compact", "{}");
	kube_watch_start(k, CM_PATH, NULL, "3", on_event, &r, &w, &err);
	wait_inactive(k, w, 5000);
	is_int(r.errors, 1, "a too old resourceVersion: the ERROR event reaches the callback");
	we = kube_watch_error(w);
	ok(!kube_watch_active(w) && we && we->code == KUBE_E_STATUS(410) &&
		   strstr(we->msg, "too old resource version"),
	   "the watch ended with 410: %s", we ? we->msg : "none");
	kube_watch_stop(w);
	pct_error_free(&err);
	rec_release(&r);
}

static void
test_refused(struct kube *k)
{
	struct rec r = {STRBUF_INIT};
	struct kube_watch *w = NULL;
	struct pct_error *err = NULL;
	const struct pct_error *we;

	fake_ctl(&fk, "/_fake/config",
		 "{\"forbid\":[{\"user\":\"*\",\"verb\":\"watch\",\"resource\":\"configmaps\"}]}");
	kube_watch_start(k, CM_PATH, NULL, NULL, on_event, &r, &w, &err);
	wait_inactive(k, w, 5000);
	we = kube_watch_error(w);
	ok(!kube_watch_active(w) && we && we->code == KUBE_E_STATUS(403) &&
		   strstr(we->msg, "cannot watch resource \"configmaps\""),
	   "a forbidden watch ends with the server's message: %s", we ? we->msg : "none");
	fake_ctl(&fk, "/_fake/config", "{\"forbid\":[]}");
	kube_watch_stop(w);
	pct_error_free(&err);
	rec_release(&r);
}

static void
test_reentrancy(struct kube *k)
{
	struct rec r = {STRBUF_INIT};
	struct kube_watch *w = NULL;
	struct pct_error *err = NULL;

	r.k = k;
	r.stop_self = true;
	r.inner_wait = 7;
	kube_watch_start(k, CM_PATH, "w=2", NULL, on_event, &r, &w, &err);
	r.self = w;
	wait_lines(k, &r, 1, NULL, 5000);
	is_int(r.inner_wait, -1, "kube_wait from a callback is refused");
	is_int(r.inner_status, 200, "a request from a callback works");
	ok(r.self == NULL, "the callback stopped its own watch");
	kube_wait(k, -1, 100, &err);
	is_str(r.log.buf, "ADDED other\n", "and no event came after that");
	pct_error_free(&err);
	rec_release(&r);
}

int
main(void)
{
	_cleanup_free_ char *kc = NULL;
	struct kube_config *cfg = NULL;
	struct kube *k = NULL;
	struct kube_watch *left = NULL;
	struct pct_error *err = NULL;
	struct rec r = {STRBUF_INIT};

	if (fake_start(&fk, "tls", true, NULL) < 0)
		skip_all("cannot start the fake API server");
	kc = fake_kubeconfig(&fk, "kc", "cert-data");
	if (kube_config_load(kc, NULL, &cfg, &err) < 0 || kube_open(cfg, 10, &k, &err) < 0) {
		printf("# %s\n", err->msg);
		fake_stop(&fk);
		skip_all("cannot open the fake API server");
	}
	kube_config_free(cfg);
	test_wait_fd(k);
	test_events(k);
	test_chunks(k);
	test_dropped(k);
	test_resume(k);
	test_expired(k);
	test_refused(k);
	test_reentrancy(k);
	ok(kube_watch_start(k, CM_PATH, NULL, NULL, on_event, &r, &left, &err) == 0,
	   "a watch left open is freed by kube_close");
	kube_wait(k, -1, 100, &err);
	kube_close(k);
	rec_release(&r);
	fake_stop(&fk);
	fake_cleanup(tap_failed != 0);
	return exit_status();
}

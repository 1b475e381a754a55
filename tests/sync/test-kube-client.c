/*
 * libkube requests against the fake API server: every kubeconfig flavour
 * over TLS, TLS and auth failures as sentences, server-side apply (create,
 * no-op reapply, update, conflict, force), merge patch of the scale
 * subresource, list with selectors, delete with preconditions, 5xx, a hung
 * server, a dropped connection, connection reuse, version discovery. No
 * error message may contain a credential.
 */
#include "config.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake.h"
#include "kube.h"
#include "pct-error.h"
#include "tap.h"

static struct fake tls;
static struct strbuf messages = STRBUF_INIT; /* every error message seen */

#define NS_CM "/api/v1/namespaces/default/configmaps"

static void
cjson_freep(cJSON **p)
{
	if (*p)
		cJSON_Delete(*p);
}

static struct kube *
open_kc(const char *kc, long timeout)
{
	struct kube_config *cfg = NULL;
	struct kube *k = NULL;
	struct pct_error *err = NULL;

	if (kube_config_load(kc, NULL, &cfg, &err) < 0 || kube_open(cfg, timeout, &k, &err) < 0) {
		printf("# cannot open %s: %s\n", kc, err->msg);
		pct_error_free(&err);
		k = NULL;
	}
	kube_config_free(cfg);
	return k;
}

/* Keep err's message for the credentials check; returns its code (0 if none). */
static int
seen(struct pct_error **err)
{
	int code = *err ? (*err)->code : 0;

	if (*err) {
		strbuf_addstr(&messages, (*err)->msg);
		strbuf_addch(&messages, '\n');
	}
	return code;
}

static const char *
jstr(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* jstr(), "" instead of NULL: for strcmp and xstrdup */
static const char *
jstrz(const cJSON *o, const char *a, const char *b)
{
	const char *s = jstr(o, a, b);

	return s ? s : "";
}

static char *
last_user(struct fake *f)
{
	cJSON *log = NULL;
	const cJSON *reqs;
	char *user = NULL;
	int n;

	fake_http(f, "GET", "/_fake/log", NULL, NULL, &log);
	reqs = cJSON_GetObjectItemCaseSensitive(log, "requests");
	n = cJSON_GetArraySize(reqs);
	if (n > 0 && jstr(cJSON_GetArrayItem(reqs, n - 1), "user", NULL))
		user = xstrdup(jstr(cJSON_GetArrayItem(reqs, n - 1), "user", NULL));
	cJSON_Delete(log);
	return user;
}

static void
test_kubeconfig_flavours(void)
{
	static const char *const modes[] = {"token",	"cert",	      "cert-data", "ca-data",
					    "insecure", "token-file", NULL};

	for (int i = 0; modes[i]; i++) {
		_cleanup_free_ char *kc = NULL;
		_cleanup_free_ char *name = xasprintf("kc-%s", modes[i]);
		struct kube *k;
		struct pct_error *err = NULL;
		cJSON *ns = NULL;
		int ret;

		kc = fake_kubeconfig(&tls, name, modes[i]);
		k = open_kc(kc, 10);
		if (!k) {
			ok(0, "%s: open", modes[i]);
			continue;
		}
		ret = kube_get(k, "/api/v1/namespaces/default", &ns, &err);
		ok(ret == 0 && !strcmp(jstrz(ns, "metadata", "name"), "default"),
		   "%s kubeconfig over TLS: GET namespace default", modes[i]);
		if (ret < 0)
			printf("#   %s\n", err->msg);
		if (!strcmp(modes[i], "cert") || !strcmp(modes[i], "cert-data")) {
			_cleanup_free_ char *u = last_user(&tls);

			is_str(u, "corral-test", "%s: the server saw the certificate's CN",
			       modes[i]);
		}
		seen(&err);
		pct_error_free(&err);
		cJSON_Delete(ns);
		kube_close(k);
	}
}

static void
expect_transport(const char *mode, const char *want, const char *what)
{
	_cleanup_free_ char *kc = NULL;
	_cleanup_free_ char *name = xasprintf("kc-%s", mode);
	struct kube *k;
	struct pct_error *err = NULL;
	cJSON *v = NULL;
	int ret;

	kc = fake_kubeconfig(&tls, name, mode);
	k = open_kc(kc, 5);
	ret = k ? kube_get(k, "/version", &v, &err) : -1;
	ok(ret < 0 && err && err->code == KUBE_E_TRANSPORT && strstr(err->msg, want) &&
		   strstr(err->msg, tls.url),
	   "%s: %s", what, err ? err->msg : "(no error)");
	seen(&err);
	pct_error_free(&err);
	cJSON_Delete(v);
	kube_close(k);
}

static void
test_tls_failures(void)
{
	expect_transport("wrong-ca", "is not trusted",
			 "a CA that did not sign the server fails clearly");
	expect_transport("no-ca", "is not trusted",
			 "no CA: the system store does not trust the test CA");
	expect_transport("other-client", "refused the client certificate",
			 "a client certificate from another CA is refused, and said so");
}

static void
test_auth_failures(void)
{
	_cleanup_free_ char *kc = fake_kubeconfig(&tls, "kc-bad-token", "bad-token");
	_cleanup_free_ char *good = fake_kubeconfig(&tls, "kc-token", "token");
	struct kube *k = open_kc(kc, 5);
	struct pct_error *err = NULL;
	cJSON *v = NULL;
	int ret;

	ret = k ? kube_get(k, "/api/v1/namespaces/default", &v, &err) : -1;
	ok(ret < 0 && err && err->code == KUBE_E_STATUS(401), "a wrong token: 401");
	is_str(err ? err->msg : NULL,
	       "unauthorized: the API server did not accept the credentials (HTTP 401)",
	       "401 as a sentence");
	seen(&err);
	pct_error_free(&err);
	kube_close(k);

	fake_ctl(&tls, "/_fake/config",
		 "{\"forbid\":[{\"user\":\"corral-test\",\"verb\":\"get\","
		 "\"resource\":\"persistentvolumeclaims\"}]}");
	k = open_kc(good, 5);
	ret = k ? kube_get(k, "/api/v1/namespaces/default/persistentvolumeclaims/ct-1-rootfs", &v,
			   &err)
		: -1;
	ok(ret < 0 && err && err->code == KUBE_E_STATUS(403), "a forbidden read: 403");
	is_str(err ? err->msg : NULL,
	       "persistentvolumeclaims \"ct-1-rootfs\" is forbidden: User \"corral-test\" cannot "
	       "get "
	       "resource \"persistentvolumeclaims\" in API group \"\" in the namespace \"default\"",
	       "403 keeps the server's sentence");
	seen(&err);
	pct_error_free(&err);
	fake_ctl(&tls, "/_fake/config", "{\"forbid\":[]}");
	kube_close(k);
}

static const char CM[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"ct-100-conf\","
	"\"labels\":{\"app.kubernetes.io/managed-by\":\"corral\",\"corral.dev/ctid\":\"100\"}},"
	"\"data\":{\"100.conf\":\"memory: 512\\n\"}}";

static void
test_apply(struct kube *k)
{
	_cleanup_free_ char *path = kube_path("v1", "default", "configmaps", "ct-100-conf");
	_cleanup_(cjson_freep) cJSON *obj = cJSON_Parse(CM);
	_cleanup_free_ char *rv1 = NULL;
	struct pct_error *err = NULL;
	cJSON *res = NULL;
	unsigned long w0 = kube_get_stats(k)->writes;
	int ret;

	fake_ctl(&tls, "/_fake/log/clear", "{}");
	ret = kube_apply(k, path, obj, "corral-syncd", false, &res, &err);
	ok(ret == 0 && jstr(res, "metadata", "uid"), "apply creates (uid %s)",
	   jstr(res, "metadata", "uid") ? jstr(res, "metadata", "uid") : "none");
	rv1 = xstrdup(jstrz(res, "metadata", "resourceVersion"));
	cJSON_Delete(res);
	res = NULL;
	ret = kube_apply(k, path, obj, "corral-syncd", false, &res, &err);
	ok(ret == 0, "apply again");
	is_str(jstr(res, "metadata", "resourceVersion"), rv1,
	       "reapplying the same object changes nothing on the server");
	cJSON_Delete(res);
	res = NULL;
	is_int(kube_get_stats(k)->writes - w0, 2, "the client counted two writes");
	is_int(fake_log_count(&tls, "PATCH", "/configmaps/ct-100-conf"), 2,
	       "the server logged two PATCHes");
	{
		_cleanup_(cjson_freep) cJSON *log = NULL;
		const cJSON *e;

		fake_http(&tls, "GET", "/_fake/log", NULL, NULL, &log);
		e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(log, "requests"), 0);
		is_str(jstr(e, "content_type", NULL), "application/apply-patch+yaml",
		       "apply-patch+yaml content type");
		is_str(jstr(e, "params", "fieldManager"), "corral-syncd", "fieldManager sent");
	}

	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "data"),
					       "100.conf", cJSON_CreateString("memory: 1024\n"));
	ret = kube_apply(k, path, obj, "corral-syncd", false, &res, &err);
	ok(ret == 0 && strcmp(jstrz(res, "metadata", "resourceVersion"), rv1),
	   "a changed object is written");
	cJSON_Delete(res);
	res = NULL;

	fake_http(&tls, "PATCH", NS_CM "/ct-100-conf?fieldManager=kubectl-edit",
		  "application/merge-patch+json", "{\"data\":{\"100.conf\":\"edited\"}}", NULL);
	ret = kube_apply(k, path, obj, "corral-syncd", false, &res, &err);
	ok(ret < 0 && err && err->code == KUBE_E_STATUS(409),
	   "a field another manager changed: 409");
	is_str(err ? err->msg : NULL,
	       "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: "
	       ".data.100.conf",
	       "the conflict names manager and field");
	seen(&err);
	pct_error_free(&err);
	ret = kube_apply(k, path, obj, "corral-syncd", true, &res, &err);
	ok(ret == 0, "force takes the field back");
	cJSON_Delete(res);
	res = NULL;

	{
		_cleanup_(cjson_freep) cJSON *bad =
			cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{"
				    "\"name\":\"Bad_Name\"}}");
		_cleanup_free_ char *bp = kube_path("v1", "default", "configmaps", "Bad_Name");

		ret = kube_apply(k, bp, bad, "corral-syncd", false, NULL, &err);
		ok(ret < 0 && err && err->code == KUBE_E_STATUS(422) &&
			   str_has_prefix(err->msg,
					  "ConfigMap \"Bad_Name\" is invalid: metadata.name: "),
		   "an invalid name: 422 with the server's sentence");
		seen(&err);
		pct_error_free(&err);
		ret = kube_apply(k, bp, bad, "", false, NULL, &err);
		ok(ret < 0 && err && err->code == PCT_E_INVALID, "apply needs a field manager");
		seen(&err);
		pct_error_free(&err);
	}
}

static const char PVC[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":"
	"\"ct-100-rootfs\",\"labels\":{\"corral.dev/ctid\":\"100\"}},\"spec\":{\"accessModes\":"
	"[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"%s\"}}}}";
static const char STS[] =
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"ct-100\","
	"\"labels\":{\"corral.dev/"
	"ctid\":\"100\"}},\"spec\":{\"replicas\":1,\"serviceName\":\"ct-100\","
	"\"selector\":{\"matchLabels\":{\"corral.dev/ctid\":\"100\"}},\"updateStrategy\":{\"type\":"
	"\"OnDelete\"},\"template\":{\"metadata\":{\"labels\":{\"corral.dev/ctid\":\"100\"}},"
	"\"spec\":{\"containers\":[{\"name\":\"ct\",\"image\":\"debian:bookworm\",\"volumeMounts\":"
	"[{\"name\":\"rootfs\",\"mountPath\":\"/data\"}]}],\"volumes\":[{\"name\":\"rootfs\","
	"\"persistentVolumeClaim\":{\"claimName\":\"ct-100-rootfs\"}}]}}}}";

static void
test_workload(struct kube *k)
{
	_cleanup_free_ char *pvcp =
		kube_path("v1", "default", "persistentvolumeclaims", "ct-100-rootfs");
	_cleanup_free_ char *stsp = kube_path("apps/v1", "default", "statefulsets", "ct-100");
	_cleanup_free_ char *podp = kube_path("v1", "default", "pods", "ct-100-0");
	_cleanup_free_ char *scale = xasprintf("%s/scale", stsp);
	_cleanup_free_ char *p8 = xasprintf(PVC, "8Gi");
	_cleanup_free_ char *p4 = xasprintf(PVC, "4Gi");
	_cleanup_(cjson_freep) cJSON *pvc8 = cJSON_Parse(p8);
	_cleanup_(cjson_freep) cJSON *pvc4 = cJSON_Parse(p4);
	_cleanup_(cjson_freep) cJSON *sts = cJSON_Parse(STS);
	_cleanup_(cjson_freep) cJSON *patch = cJSON_Parse("{\"spec\":{\"replicas\":0}}");
	struct pct_error *err = NULL;
	cJSON *o = NULL;
	int ret;

	ret = kube_apply(k, pvcp, pvc8, "corral-syncd", true, NULL, &err);
	ok(ret == 0, "apply the rootfs PVC");
	ret = kube_apply(k, stsp, sts, "corral-syncd", true, NULL, &err);
	ok(ret == 0, "apply the StatefulSet");
	ret = kube_get(k, podp, &o, &err);
	ok(ret == 0 && !strcmp(jstrz(o, "status", "phase"), "Running"), "its pod runs");
	cJSON_Delete(o);
	o = NULL;
	ret = kube_apply(k, pvcp, pvc4, "corral-syncd", true, NULL, &err);
	ok(ret < 0 && err && err->code == KUBE_E_STATUS(422) &&
		   strstr(err->msg,
			  "spec.resources.requests.storage: Forbidden: field can not be less than"),
	   "shrinking the PVC: %s", err ? err->msg : "(accepted)");
	seen(&err);
	pct_error_free(&err);
	ret = kube_merge_patch(k, scale, patch, &o, &err);
	ok(ret == 0 &&
		   cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(
			   cJSON_GetObjectItemCaseSensitive(o, "spec"), "replicas")) &&
		   cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "spec"),
						    "replicas")
				   ->valueint == 0,
	   "merge patch of the scale subresource");
	cJSON_Delete(o);
	o = NULL;
	ret = kube_get(k, podp, &o, &err);
	ok(ret < 0 && err && err->code == KUBE_E_STATUS(404), "the pod is gone: 404");
	is_str(err ? err->msg : NULL, "pods \"ct-100-0\" not found", "404 as the server says it");
	seen(&err);
	pct_error_free(&err);
}

static int
list_names(struct kube *k, const char *sel, char **out)
{
	struct pct_error *err = NULL;
	struct strbuf sb = STRBUF_INIT;
	cJSON *list = NULL;
	const cJSON *it;
	int ret;

	ret = kube_list(k, NS_CM, sel, &list, &err);
	if (ret < 0) {
		*out = xstrdup(err->msg);
		seen(&err);
		pct_error_free(&err);
		return ret;
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list, "items"))
	{
		const char *n = jstr(it, "metadata", "name");

		if (!strcmp(n, "kube-root-ca.crt"))
			continue;
		if (sb.len)
			strbuf_addch(&sb, ' ');
		strbuf_addstr(&sb, n);
	}
	cJSON_Delete(list);
	*out = strbuf_detach(&sb, NULL);
	return 0;
}

static void
test_list(struct kube *k)
{
	static const char *const cms[][2] = {
		{"l1", "{\"app\":\"x\",\"tier\":\"a\"}"}, {"l2", "{\"app\":\"y\"}"}, {"l3", "{}"}};
	struct pct_error *err = NULL;
	char *names;
	int ret;

	for (size_t i = 0; i < ARRAY_SIZE(cms); i++) {
		_cleanup_free_ char *text =
			xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
				  "\"metadata\":{\"name\":\"%s\",\"labels\":%s}}",
				  cms[i][0], cms[i][1]);
		_cleanup_free_ char *path = kube_path("v1", "default", "configmaps", cms[i][0]);
		_cleanup_(cjson_freep) cJSON *o = cJSON_Parse(text);

		if (kube_apply(k, path, o, "corral-syncd", true, NULL, &err) < 0) {
			printf("# %s\n", err->msg);
			pct_error_free(&err);
		}
	}
	list_names(k, "app=x", &names);
	is_str(names, "l1", "labelSelector app=x");
	free(names);
	list_names(k, "app in (x,y)", &names);
	is_str(names, "l1 l2", "labelSelector app in (x,y) (escaped in the query)");
	free(names);
	list_names(k, "app!=x,!tier", &names);
	is_str(names, "ct-100-conf l2 l3", "labelSelector app!=x,!tier");
	free(names);
	list_names(k, "corral.dev/ctid=100", &names);
	is_str(names, "ct-100-conf", "labelSelector with a prefixed key");
	free(names);
	list_names(k, NULL, &names);
	is_str(names, "ct-100-conf l1 l2 l3", "no selector: everything");
	free(names);
	ret = list_names(k, "app in (x", &names);
	ok(ret < 0 && strstr(names, "expected"), "a bad selector: the server's 400 message (%s)",
	   names);
	free(names);
}

static void
test_delete(struct kube *k)
{
	_cleanup_free_ char *path = kube_path("v1", "default", "configmaps", "l1");
	_cleanup_(cjson_freep) cJSON *o = NULL;
	struct pct_error *err = NULL;
	_cleanup_free_ char *uid = NULL;
	_cleanup_free_ char *rv = NULL;
	int ret;

	kube_get(k, path, &o, &err);
	uid = xstrdup(jstrz(o, "metadata", "uid"));
	rv = xstrdup(jstrz(o, "metadata", "resourceVersion"));
	ret = kube_delete(k, path, "00000000-0000-0000-0000-000000000000", NULL, NULL, &err);
	ok(ret < 0 && err && err->code == KUBE_E_STATUS(409) &&
		   strstr(err->msg, "Precondition failed: UID in precondition"),
	   "delete with a wrong uid: 409 (%s)", err ? err->msg : "deleted");
	seen(&err);
	pct_error_free(&err);
	ret = kube_delete(k, path, NULL, "1", NULL, &err);
	ok(ret < 0 && err && err->code == KUBE_E_STATUS(409) &&
		   strstr(err->msg, "Precondition failed: ResourceVersion in precondition: 1"),
	   "delete with a stale resourceVersion: 409");
	seen(&err);
	pct_error_free(&err);
	ret = kube_delete(k, path, uid, rv, "Background", &err);
	ok(ret == 0, "delete with matching preconditions");
	ret = kube_delete(k, path, NULL, NULL, NULL, &err);
	ok(ret < 0 && err && err->code == KUBE_E_STATUS(404), "delete again: 404");
	is_str(err ? err->msg : NULL, "configmaps \"l1\" not found", "404 message");
	seen(&err);
	pct_error_free(&err);
}

static double
elapsed(struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
test_faults(const char *kc)
{
	struct kube *k = open_kc(kc, 1);
	struct pct_error *err = NULL;
	struct timespec t0;
	cJSON *o = NULL;
	int ret;

	fake_ctl(&tls, "/_fake/fault", "{\"code\":503,\"count\":1}");
	ret = kube_get(k, "/api/v1/namespaces/default", &o, &err);
	ok(ret < 0 && err && err->code == KUBE_E_STATUS(503), "503: an error with its code");
	is_str(err ? err->msg : NULL, "the server is currently unable to handle the request",
	       "503 Status message");
	seen(&err);
	pct_error_free(&err);
	ret = kube_get(k, "/api/v1/namespaces/default", &o, &err);
	ok(ret == 0, "the next request works");
	cJSON_Delete(o);
	o = NULL;

	fake_ctl(&tls, "/_fake/fault", "{\"code\":502,\"text\":\"Bad Gateway\\n\"}");
	ret = kube_get(k, "/api/v1/namespaces/default", &o, &err);
	is_str(err ? err->msg : NULL, "the API server failed (HTTP 502 Bad Gateway)",
	       "a 5xx without a Status body");
	seen(&err);
	pct_error_free(&err);

	/* libcurl retries once on a fresh connection when a reused one dies: drop both */
	fake_ctl(&tls, "/_fake/fault", "{\"type\":\"drop\",\"count\":2}");
	ret = kube_get(k, "/api/v1/namespaces/default", &o, &err);
	ok(ret < 0 && err && err->code == KUBE_E_TRANSPORT && strstr(err->msg, "broke"),
	   "a dropped connection: %s", err ? err->msg : "no error");
	seen(&err);
	pct_error_free(&err);
	fake_http(&tls, "DELETE", "/_fake/fault", NULL, NULL, NULL);

	fake_ctl(&tls, "/_fake/fault", "{\"type\":\"hang\",\"seconds\":30}");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = kube_get(k, "/api/v1/namespaces/default", &o, &err);
	ok(ret < 0 && err && err->code == KUBE_E_TRANSPORT && strstr(err->msg, "no answer from"),
	   "a hung server: timeout error: %s", err ? err->msg : "no error");
	ok(elapsed(&t0) < 5.0, "after the 1 s timeout (%.1f s)", elapsed(&t0));
	seen(&err);
	pct_error_free(&err);
	fake_http(&tls, "DELETE", "/_fake/fault", NULL, NULL, NULL);
	ret = kube_get(k, "/api/v1/namespaces/default", &o, &err);
	ok(ret == 0, "works again once the server answers");
	cJSON_Delete(o);
	kube_close(k);
}

static void
test_refused(void)
{
	struct kube_config cfg = {.server = "http://127.0.0.1:1", .source = "test"};
	struct kube *k = NULL;
	struct pct_error *err = NULL;
	cJSON *o = NULL;
	int ret;

	ret = kube_open(&cfg, 2, &k, &err);
	if (ret == 0)
		ret = kube_get(k, "/version", &o, &err);
	ok(ret < 0 && err && err->code == KUBE_E_TRANSPORT &&
		   strstr(err->msg, "cannot connect to http://127.0.0.1:1"),
	   "connection refused: %s", err ? err->msg : "");
	seen(&err);
	pct_error_free(&err);
	kube_close(k);
}

static void
test_reuse(const char *kc)
{
	struct kube *k = open_kc(kc, 10);
	struct pct_error *err = NULL;
	long before = fake_stat(&tls, "connections");
	long after;
	int failures = 0;

	for (int i = 0; i < 40; i++) {
		cJSON *o = NULL;

		if (kube_get(k, i % 2 ? "/version" : "/api/v1/namespaces/default", &o, &err) < 0) {
			failures++;
			pct_error_free(&err);
		}
		cJSON_Delete(o);
	}
	after = fake_stat(&tls, "connections");
	ok(failures == 0, "40 requests");
	is_int(kube_get_stats(k)->requests, 40, "40 requests counted");
	ok(after - before <= 2, "the server saw %ld TCP connection(s) for 40 requests",
	   after - before);
	ok(kube_get_stats(k)->connections <= 2, "libkube opened %lu connection(s)",
	   kube_get_stats(k)->connections);
	ok(kube_get_stats(k)->bytes_received > 40 * 100 && kube_get_stats(k)->bytes_sent > 40 * 50,
	   "bytes counted (%llu received, %llu sent)", kube_get_stats(k)->bytes_received,
	   kube_get_stats(k)->bytes_sent);
	kube_close(k);
}

static void
test_discovery(struct kube *k)
{
	struct pct_error *err = NULL;
	int major = 0, minor = 0, ret;
	bool has = false;

	ret = kube_server_version(k, &major, &minor, &err);
	ok(ret == 0 && major == 1 && minor == 33, "server version 1.33");
	fake_ctl(&tls, "/_fake/version", "{\"minor\":\"30+\"}");
	ret = kube_server_version(k, &major, &minor, &err);
	ok(ret == 0 && minor == 30, "\"30+\" counts as 30");
	fake_ctl(&tls, "/_fake/version", "{\"minor\":\"33\"}");

	ret = kube_has_resource(k, "snapshot.storage.k8s.io/v1", "volumesnapshots", &has, &err);
	ok(ret == 0 && has, "VolumeSnapshot is served");
	fake_ctl(&tls, "/_fake/snapshot-api", "{\"enabled\":false}");
	ret = kube_has_resource(k, "snapshot.storage.k8s.io/v1", "volumesnapshots", &has, &err);
	ok(ret == 0 && !has, "without the snapshot CRDs it is not");
	fake_ctl(&tls, "/_fake/snapshot-api", "{\"enabled\":true}");
	ret = kube_has_resource(k, "apps/v1", "statefulsets", &has, &err);
	ok(ret == 0 && has, "apps/v1 statefulsets");
	ret = kube_has_resource(k, "v1", "pods/resize", &has, &err);
	ok(ret == 0 && has, "pods/resize at 1.33");
	ret = kube_has_resource(k, "v1", "widgets", &has, &err);
	ok(ret == 0 && !has, "no widgets");
	seen(&err);
	pct_error_free(&err);
}

static void
test_raw(struct kube *k)
{
	struct pct_error *err = NULL;
	cJSON *r = NULL;
	long status = 0;
	int ret;

	ret = kube_request(k, "GET", NS_CM "/nope", NULL, NULL, NULL, &status, &r, &err);
	ok(ret == 0 && status == 404, "kube_request: an HTTP error is not an error");
	is_str(jstr(r, "reason", NULL), "NotFound", "the Status body is returned");
	cJSON_Delete(r);
	r = NULL;
	ret = kube_request(k, "GET", "/apis/nothing.example.com/v1", NULL, NULL, NULL, &status, &r,
			   &err);
	ok(ret == 0 && status == 404 && r == NULL, "a non-JSON body gives no JSON");
	ret = kube_request(k, "POST", NS_CM, NULL, "application/json",
			   "{\"metadata\":{\"name\":\"raw\"},\"data\":{\"a\":\"b\"}}", &status, &r,
			   &err);
	ok(ret == 0 && status == 201, "kube_request POST creates");
	cJSON_Delete(r);
	seen(&err);
	pct_error_free(&err);
}

static void
test_token_rotation(void)
{
	_cleanup_free_ char *kc = fake_kubeconfig(&tls, "kc-rot", "token-file");
	_cleanup_free_ char *tf = xasprintf("%s/token", tls.dir);
	struct kube *k = open_kc(kc, 5);
	struct pct_error *err = NULL;
	cJSON *o = NULL;
	int ret;

	ret = kube_get(k, "/version", &o, &err);
	ok(ret == 0, "tokenFile: works");
	cJSON_Delete(o);
	o = NULL;
	usleep(20000);
	fake_write_file(tf, "rotated-but-wrong\n");
	ret = kube_get(k, "/version", &o, &err);
	ok(ret < 0 && err && err->code == KUBE_E_STATUS(401), "a rotated token file is re-read");
	seen(&err);
	pct_error_free(&err);
	usleep(20000);
	fake_write_file(tf, FAKE_TOKEN "\n");
	ret = kube_get(k, "/version", &o, &err);
	ok(ret == 0, "and re-read again");
	cJSON_Delete(o);
	kube_close(k);
}

static void
test_no_credentials_in_messages(void)
{
	_cleanup_free_ char *keyfile = xasprintf("%s/client.key", fake_certs());
	_cleanup_free_ char *key = NULL;
	size_t len;
	char *line2;

	pct_read_file(keyfile, 1 << 16, &key, &len);
	line2 = key ? strchr(key, '\n') : NULL;
	if (line2)
		line2[20] = '\0'; /* a piece of the key's base64 */
	ok(messages.len > 0, "error messages were collected (%zu bytes)", messages.len);
	ok(!strstr(messages.buf, FAKE_TOKEN) && !strstr(messages.buf, "not-the-right-token") &&
		   !strstr(messages.buf, "rotated-but-wrong") && !strstr(messages.buf, "Bearer") &&
		   !(line2 && strstr(messages.buf, line2 + 1)),
	   "no token, Authorization header or key material in any error message");
}

int
main(void)
{
	_cleanup_free_ char *kc = NULL;
	struct kube *k;

	if (fake_start(&tls, "tls", true, NULL) < 0)
		skip_all("cannot start the fake API server");
	kc = fake_kubeconfig(&tls, "kc-token", "token");
	test_kubeconfig_flavours();
	test_tls_failures();
	test_auth_failures();
	k = open_kc(kc, 10);
	if (!k) {
		fake_stop(&tls);
		skip_all("cannot open the fake API server");
	}
	test_apply(k);
	test_workload(k);
	test_list(k);
	test_delete(k);
	test_discovery(k);
	test_raw(k);
	kube_close(k);
	test_faults(kc);
	test_refused();
	test_reuse(kc);
	test_token_rotation();
	test_no_credentials_in_messages();
	strbuf_release(&messages);
	fake_stop(&tls);
	fake_cleanup(tap_failed != 0);
	return exit_status();
}

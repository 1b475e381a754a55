/*
 * kube_config_load(): kubeconfig variants, merged $KUBECONFIG files, the
 * in-cluster fallback, and errors that name file and line but never a
 * credential. Also the pure helpers kube_path() and kube_status_message().
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fake.h"
#include "kube.h"
#include "pct-error.h"
#include "tap.h"

#define SECRET_TOKEN "s3cr3t-t0ken-VALUE"
#define SECRET_KEY_B64 "U0VDUkVULUtFWS1EQVRB" /* "SECRET-KEY-DATA" */

static char *
tmpfile_with(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", fake_tmpdir(), name);

	fake_write_file(p, text);
	return p;
}

/* Load, expecting failure; returns the message (caller frees) or NULL on success. */
static char *
load_error(const char *path, const char *ctx)
{
	struct kube_config *cfg = NULL;
	struct pct_error *err = NULL;
	char *msg;

	if (kube_config_load(path, ctx, &cfg, &err) == 0) {
		kube_config_free(cfg);
		return NULL;
	}
	msg = xstrdup(err->msg);
	pct_error_free(&err);
	return msg;
}

static int
no_secret(const char *msg)
{
	return msg && !strstr(msg, SECRET_TOKEN) && !strstr(msg, SECRET_KEY_B64) &&
	       !strstr(msg, "SECRET-KEY-DATA");
}

static const char KC_BASIC[] =
	"apiVersion: v1\n"
	"kind: Config\n"
	"current-context: dev\n"
	"clusters:\n"
	"- name: c1\n"
	"  cluster:\n"
	"    server: https://127.0.0.1:6443/\n"
	"    certificate-authority: pki/ca.crt\n"
	"- name: c2\n"
	"  cluster:\n"
	"    server: https://10.0.0.2:443\n"
	"    certificate-authority-data: "
	"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmZha2UKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=\n"
	"    insecure-skip-tls-verify: yes\n"
	"contexts:\n"
	"- name: dev\n"
	"  context:\n"
	"    cluster: c1\n"
	"    user: alice\n"
	"    namespace: corral\n"
	"- name: ops\n"
	"  context:\n"
	"    cluster: c2\n"
	"    user: bob\n"
	"users:\n"
	"- name: alice\n"
	"  user:\n"
	"    token: " SECRET_TOKEN "\n"
	"- name: bob\n"
	"  user:\n"
	"    client-certificate: /abs/client.crt\n"
	"    client-key: rel/client.key\n";

static void
test_basic(void)
{
	struct kube_config *cfg = NULL;
	struct pct_error *err = NULL;
	char *path = tmpfile_with("basic.yaml", KC_BASIC);
	char *want;
	int ret;

	ret = kube_config_load(path, NULL, &cfg, &err);
	ok(ret == 0, "token kubeconfig with current-context loads");
	if (ret < 0) {
		printf("# %s\n", err->msg);
		pct_error_free(&err);
		return;
	}
	is_str(cfg->server, "https://127.0.0.1:6443", "server, trailing slash dropped");
	want = xasprintf("%s/pki/ca.crt", fake_tmpdir());
	is_str(cfg->ca_file, want,
	       "relative certificate-authority resolved against the file's directory");
	free(want);
	is_str(cfg->token, SECRET_TOKEN, "token");
	is_str(cfg->namespace, "corral", "the context's namespace");
	is_str(cfg->source, path, "source names the file");
	ok(!cfg->insecure && !cfg->cert_file && !cfg->ca_data, "nothing else set");
	kube_config_free(cfg);
	cfg = NULL;

	ret = kube_config_load(path, "ops", &cfg, &err);
	ok(ret == 0, "an explicit context overrides current-context");
	if (ret == 0) {
		is_str(cfg->server, "https://10.0.0.2:443", "its cluster's server");
		is_str(cfg->ca_data,
		       "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n",
		       "certificate-authority-data decoded");
		ok(cfg->insecure, "insecure-skip-tls-verify: yes");
		is_str(cfg->cert_file, "/abs/client.crt", "absolute client-certificate kept");
		want = xasprintf("%s/rel/client.key", fake_tmpdir());
		is_str(cfg->key_file, want, "relative client-key resolved");
		free(want);
		is_str(cfg->namespace, "default", "no namespace in the context: default");
		ok(!cfg->token, "no token");
	}
	pct_error_free(&err);
	kube_config_free(cfg);
	free(path);
}

static void
test_data_forms(void)
{
	struct kube_config *cfg = NULL;
	struct pct_error *err = NULL;
	char *path = tmpfile_with("data.yaml",
				  "current-context: x\n"
				  "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
				  "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
				  "users:\n"
				  "- name: u\n"
				  "  user:\n"
				  "    client-certificate-data: Q0VSVC1EQVRB\n"
				  "    client-key-data: " SECRET_KEY_B64 "\n"
				  "    tokenFile: tok\n");
	int ret;

	ret = kube_config_load(path, "", &cfg, &err);
	ok(ret == 0, "-data forms load (flow style YAML too)");
	if (ret == 0) {
		is_str(cfg->cert_data, "CERT-DATA", "client-certificate-data decoded");
		is_str(cfg->key_data, "SECRET-KEY-DATA", "client-key-data decoded");
		ok(cfg->token_file && str_has_suffix(cfg->token_file, "/tok"),
		   "tokenFile resolved: %s", cfg->token_file ? cfg->token_file : "(null)");
	}
	pct_error_free(&err);
	kube_config_free(cfg);
	free(path);
}

static void
test_errors(void)
{
	char *path, *msg, *want;

	path = tmpfile_with("bad.yaml", "current-context: x\nclusters:\n- name: c\n  cluster: [\n"
					"users: {a: b\n");
	msg = load_error(path, NULL);
	ok(msg && strstr(msg, path) && strstr(msg, "line "), "bad YAML: file and line: %s",
	   msg ? msg : "(loaded)");
	ok(msg && strstr(msg, "line 5"), "the line of the problem");
	free(msg);
	free(path);

	path = tmpfile_with("tab.yaml", "current-context: x\n\tclusters: []\n");
	msg = load_error(path, NULL);
	ok(msg && strstr(msg, "line 2"), "a tab in the indentation: line 2: %s", msg ? msg : "");
	free(msg);
	free(path);

	path = tmpfile_with("basic2.yaml", KC_BASIC);
	msg = load_error(path, "nope");
	want = xasprintf("kubeconfig '%s': context 'nope' not found", path);
	is_str(msg, want, "a missing context is named");
	ok(no_secret(msg), "no credential in the message");
	free(want);
	free(msg);
	free(path);

	path = tmpfile_with("nocur.yaml", "clusters: []\ncontexts: []\nusers: []\n");
	msg = load_error(path, NULL);
	ok(msg && strstr(msg, "no current-context"), "no current-context: %s", msg ? msg : "");
	free(msg);
	free(path);

	path = tmpfile_with("nocluster.yaml",
			    "current-context: x\ncontexts: [{name: x, context: {cluster: gone, "
			    "user: u}}]\nusers: [{name: u, user: {token: " SECRET_TOKEN "}}]\n");
	msg = load_error(path, NULL);
	ok(msg && strstr(msg, "cluster 'gone' not found") && no_secret(msg),
	   "a missing cluster is named: %s", msg ? msg : "");
	free(msg);
	free(path);

	path = tmpfile_with("b64.yaml", "current-context: x\n"
					"clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
					"contexts: [{name: x, context: {cluster: c, user: u}}]\n"
					"users:\n"
					"- name: u\n"
					"  user:\n"
					"    client-certificate-data: Q0VSVC1EQVRB\n"
					"    client-key-data: " SECRET_KEY_B64 "!!!\n");
	msg = load_error(path, NULL);
	ok(msg && strstr(msg, "line 8") && strstr(msg, "client-key-data") &&
		   strstr(msg, "not valid base64"),
	   "invalid base64: key and line: %s", msg ? msg : "");
	ok(no_secret(msg), "the key data is not in the message");
	free(msg);
	free(path);

	path = tmpfile_with("exec.yaml",
			    "current-context: x\n"
			    "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
			    "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
			    "users:\n- name: u\n  user:\n    exec:\n      command: aws\n");
	msg = load_error(path, NULL);
	ok(msg && strstr(msg, "exec credential plugin") && strstr(msg, "line 7"),
	   "exec plugins are refused clearly: %s", msg ? msg : "");
	free(msg);
	free(path);

	path = tmpfile_with("halfcert.yaml",
			    "current-context: x\n"
			    "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
			    "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
			    "users: [{name: u, user: {client-certificate: a.crt}}]\n");
	msg = load_error(path, NULL);
	ok(msg && strstr(msg, "client certificate but no client key"),
	   "certificate without key: %s", msg ? msg : "");
	free(msg);
	free(path);

	path = tmpfile_with("creds-url.yaml",
			    "current-context: x\n"
			    "clusters: [{name: c, cluster: {server: 'https://admin:" SECRET_TOKEN
			    "@h:1'}}]\n"
			    "contexts: [{name: x, context: {cluster: c}}]\n");
	msg = load_error(path, NULL);
	ok(msg && strstr(msg, "must not contain credentials") && no_secret(msg),
	   "credentials in the server URL are refused, not repeated: %s", msg ? msg : "");
	free(msg);
	free(path);

	path = tmpfile_with("badbool.yaml", "current-context: x\n"
					    "clusters: [{name: c, cluster: {server: 'https://h:1', "
					    "insecure-skip-tls-verify: maybe}}]\n"
					    "contexts: [{name: x, context: {cluster: c}}]\n");
	msg = load_error(path, NULL);
	ok(msg && strstr(msg, "line 2") && strstr(msg, "true or false"), "a bad boolean: %s",
	   msg ? msg : "");
	free(msg);
	free(path);

	path = xasprintf("%s/does-not-exist", fake_tmpdir());
	msg = load_error(path, NULL);
	ok(msg && strstr(msg, "cannot read kubeconfig") && strstr(msg, "No such file"),
	   "an explicit missing file is an error, not in-cluster: %s", msg ? msg : "");
	free(msg);
	free(path);
}

static void
test_merge(void)
{
	struct kube_config *cfg = NULL;
	struct pct_error *err = NULL;
	char *a = tmpfile_with("a.yaml", "current-context: first\n"
					 "contexts: [{name: first, context: {cluster: c, user: u, "
					 "namespace: ns-a}}]\n");
	char *b = tmpfile_with("b.yaml", "current-context: second\n"
					 "clusters: [{name: c, cluster: {server: 'https://b:1'}}]\n"
					 "users: [{name: u, user: {token: tb}}]\n");
	char *env = xasprintf("%s:%s/missing.yaml:%s", a, fake_tmpdir(), b);
	int ret;

	setenv("KUBECONFIG", env, 1);
	ret = kube_config_load(NULL, NULL, &cfg, &err);
	ok(ret == 0, "$KUBECONFIG with several files (one missing) merges");
	if (ret == 0) {
		is_str(cfg->namespace, "ns-a", "the first file's current-context wins");
		is_str(cfg->server, "https://b:1", "the cluster comes from the second file");
		is_str(cfg->token, "tb", "the user too");
		ok(cfg->source && strstr(cfg->source, "a.yaml") && strstr(cfg->source, "b.yaml"),
		   "source names both files");
	} else {
		printf("# %s\n", err->msg);
	}
	pct_error_free(&err);
	kube_config_free(cfg);
	unsetenv("KUBECONFIG");
	free(env);
	free(a);
	free(b);
}

static void
test_in_cluster(void)
{
	_cleanup_(kube_config_freep) struct kube_config *cfg = NULL;
	struct pct_error *err = NULL;
	char *sa = xasprintf("%s/sa", fake_tmpdir());
	char *p;
	char *msg;
	int ret;

	mkdir(sa, 0755);
	p = xasprintf("%s/token", sa);
	fake_write_file(p, SECRET_TOKEN "\n");
	free(p);
	p = xasprintf("%s/ca.crt", sa);
	fake_write_file(p, "-----BEGIN CERTIFICATE-----\n");
	free(p);
	p = xasprintf("%s/namespace", sa);
	fake_write_file(p, "corral-system\n");
	free(p);
	setenv("HOME", fake_tmpdir(), 1); /* no .kube/config there */
	unsetenv("KUBECONFIG");
	setenv("CORRAL_SERVICEACCOUNT_DIR", sa, 1);
	unsetenv("KUBERNETES_SERVICE_HOST");
	msg = load_error(NULL, NULL);
	ok(msg && strstr(msg, "KUBERNETES_SERVICE_HOST"), "no kubeconfig, not in a cluster: %s",
	   msg ? msg : "");
	free(msg);

	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	ret = kube_config_load(NULL, NULL, &cfg, &err);
	ok(ret == 0, "in-cluster service account");
	if (ret == 0) {
		is_str(cfg->server, "https://10.96.0.1:443", "server from the environment");
		ok(cfg->token_file && str_has_suffix(cfg->token_file, "/sa/token"),
		   "token file (re-read on use)");
		ok(!cfg->token, "the token itself is not kept");
		ok(cfg->ca_file && str_has_suffix(cfg->ca_file, "/sa/ca.crt"), "CA file");
		is_str(cfg->namespace, "corral-system", "namespace file");
		is_str(cfg->source, "in-cluster", "source");
	} else {
		printf("# %s\n", err->msg);
	}
	pct_error_free(&err);
	kube_config_freep(&cfg);

	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	ret = kube_config_load(NULL, NULL, &cfg, &err);
	is_str(ret == 0 ? cfg->server : NULL, "https://[fd00::1]:443",
	       "IPv6 service host in brackets");
	pct_error_free(&err);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("CORRAL_SERVICEACCOUNT_DIR");
	free(sa);
}

/* kube_config_parse: the same rules on text in memory (the fuzz target's entry point) */
static void
test_parse(void)
{
	struct kube_config *cfg = NULL;
	struct pct_error *err = NULL;
	/* not NUL-terminated: the length counts */
	static const char text[] = "current-context: x\n"
				   "clusters: [{name: c, cluster: {server: 'https://h:1/'}}]\n"
				   "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
				   "users: [{name: u, user: {token: " SECRET_TOKEN ", "
				   "client-key: k.key, client-certificate: c.crt}}]\n"
				   "garbage after the length: [";
	int ret;

	ret = kube_config_parse("/etc/x/kc", text, strlen(text) - strlen("garbage after the length: ["),
				NULL, &cfg, &err);
	ok(ret == 0, "kube_config_parse: text in memory, exactly len bytes");
	if (ret == 0) {
		is_str(cfg->server, "https://h:1", "its server");
		is_str(cfg->key_file, "/etc/x/k.key", "relative paths resolved against name's directory");
		is_str(cfg->source, "/etc/x/kc", "source is the name");
		is_str(cfg->token, SECRET_TOKEN, "token");
	} else {
		printf("# %s\n", err->msg);
	}
	kube_config_freep(&cfg);
	pct_error_free(&err);

	ret = kube_config_parse("mem", text, strlen(text), NULL, &cfg, &err);
	ok(ret < 0 && err && strstr(err->msg, "kubeconfig 'mem': line ") && no_secret(err->msg),
	   "kube_config_parse: errors name it and the line: %s", err ? err->msg : "(parsed)");
	ok(!cfg, "no configuration on error");
	pct_error_free(&err);

	ret = kube_config_parse("mem", "", 0, "ctx", &cfg, &err);
	ok(ret < 0 && err && strstr(err->msg, "context 'ctx' not found"),
	   "an empty text: the context is not found: %s", err ? err->msg : "(parsed)");
	pct_error_free(&err);
}

static void
test_helpers(void)
{
	char *p;
	cJSON *st;

	p = kube_path("v1", "default", "persistentvolumeclaims", "ct-100-rootfs");
	is_str(p, "/api/v1/namespaces/default/persistentvolumeclaims/ct-100-rootfs", "core path");
	free(p);
	p = kube_path("apps/v1", "default", "statefulsets", NULL);
	is_str(p, "/apis/apps/v1/namespaces/default/statefulsets", "group collection path");
	free(p);
	p = kube_path("storage.k8s.io/v1", NULL, "storageclasses", "a b/c");
	is_str(p, "/apis/storage.k8s.io/v1/storageclasses/a%20b%2Fc",
	       "cluster scope, name escaped");
	free(p);

	st = cJSON_Parse("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
			 "\"Failure\",\"message\":\"persistentvolumeclaims \\\"x\\\" not found\","
			 "\"reason\":\"NotFound\",\"code\":404}");
	p = kube_status_message(404, st);
	is_str(p, "persistentvolumeclaims \"x\" not found", "a Status message is the sentence");
	free(p);
	cJSON_Delete(st);
	st = cJSON_Parse("{\"kind\":\"Status\",\"message\":\"Unauthorized\",\"reason\":"
			 "\"Unauthorized\",\"code\":401}");
	p = kube_status_message(401, st);
	is_str(p, "unauthorized: the API server did not accept the credentials (HTTP 401)",
	       "401 is explained");
	free(p);
	cJSON_Delete(st);
	p = kube_status_message(404, NULL);
	is_str(p, "the server could not find the requested resource (HTTP 404)",
	       "404 without a body");
	free(p);
	p = kube_status_message(502, NULL);
	is_str(p, "the API server failed (HTTP 502 Bad Gateway)", "5xx without a Status");
	free(p);
	p = kube_status_message(418, NULL);
	is_str(p, "unexpected answer from the API server (HTTP 418)", "anything else");
	free(p);
}

int
main(void)
{
	test_basic();
	test_data_forms();
	test_errors();
	test_merge();
	test_in_cluster();
	test_parse();
	test_helpers();
	fake_cleanup(tap_failed != 0);
	return exit_status();
}

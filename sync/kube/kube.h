/*
 * libkube: a small Kubernetes REST client for corral-syncd (and later pct):
 * kubeconfig (libyaml) or in-cluster service account, libcurl with TLS
 * verification, connection reuse and HTTP/2 where offered, cJSON bodies,
 * server-side apply, get, list with labelSelector, watch, delete with
 * preconditions, and Kubernetes Status errors turned into plain messages.
 *
 * Depends only on conf-parser's pct-error/pct-util. Never prints; never logs
 * credentials. Not thread-safe: one struct kube per thread.
 */
#ifndef KUBE_H
#define KUBE_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "pct-error.h"

/* Error codes (struct pct_error.code) beyond those of pct-error.h. */
enum {
	KUBE_E_HTTP = 20000,	/* + HTTP status, e.g. KUBE_E_HTTP + 409 */
	KUBE_E_TRANSPORT = 21000, /* connection refused, TLS failure, timeout, reset */
};
#define KUBE_E_STATUS(code) (KUBE_E_HTTP + (code))

/* Where and how to reach the API server. Strings owned by the struct. */
struct kube_config {
	char *server;	       /* https://host:port */
	char *ca_file;	       /* certificate-authority */
	char *ca_data;	       /* certificate-authority-data, decoded PEM */
	bool insecure;	       /* insecure-skip-tls-verify */
	char *token;	       /* bearer token (user.token or in-cluster) */
	char *token_file;      /* re-read on every connection (in-cluster rotation) */
	char *cert_file;       /* client-certificate */
	char *cert_data;       /* client-certificate-data, decoded PEM */
	char *key_file;	       /* client-key */
	char *key_data;	       /* client-key-data, decoded PEM */
	char *namespace;       /* the context's namespace, or the in-cluster one */
	char *source;	       /* where this came from, for messages: path or "in-cluster" */
};

/*
 * Read a kubeconfig: `path` (NULL or "" = $KUBECONFIG, then ~/.kube/config),
 * `context` (NULL or "" = current-context). When no kubeconfig exists, the
 * in-cluster service account (/var/run/secrets/kubernetes.io/serviceaccount,
 * KUBERNETES_SERVICE_HOST/PORT) is used. Errors name the file and, where
 * libyaml gives one, the line.
 */
int kube_config_load(const char *path, const char *context, struct kube_config **out,
		     struct pct_error **err);
/*
 * The same for one kubeconfig held in memory (len bytes of text, which need
 * not end in NUL): name stands for its path in messages and for resolving
 * relative paths in it; never reads the environment or the in-cluster files.
 */
int kube_config_parse(const char *name, const char *text, size_t len, const char *context,
		      struct kube_config **out, struct pct_error **err);
void kube_config_free(struct kube_config *cfg);
/* For _cleanup_(kube_config_freep); accepts NULL. */
void kube_config_freep(struct kube_config **cfg);

struct kube;

/* Counters for tests and benchmarks. */
struct kube_stats {
	unsigned long requests; /* every request sent */
	unsigned long writes;	/* POST, PUT, PATCH, DELETE */
	unsigned long long bytes_sent;
	unsigned long long bytes_received;
	unsigned long connections; /* TCP connections opened (the rest were reused) */
};

/* Open a connection handle (no I/O yet). timeout: seconds per request. */
int kube_open(const struct kube_config *cfg, long timeout, struct kube **out,
	      struct pct_error **err);
/* Also stops and frees the watches still open: their pointers become invalid. */
void kube_close(struct kube *k);
/* For _cleanup_(kube_closep); accepts NULL. */
void kube_closep(struct kube **k);
const struct kube_stats *kube_get_stats(const struct kube *k);

/*
 * API paths. group_version "v1" gives /api/v1, anything else /apis/<gv>.
 * ns NULL for cluster-scoped resources, name NULL for the collection.
 * Returns a new string.
 */
char *kube_path(const char *group_version, const char *ns, const char *resource,
		const char *name);

/*
 * One request. body may be NULL. *status gets the HTTP status, *resp the
 * parsed JSON body (NULL if none or not JSON; caller deletes). A transport
 * failure returns -1 with KUBE_E_TRANSPORT; HTTP errors are NOT errors here.
 */
int kube_request(struct kube *k, const char *method, const char *path, const char *query,
		 const char *content_type, const char *body, long *status, cJSON **resp,
		 struct pct_error **err);

/* GET an object. 404 is -1 with KUBE_E_STATUS(404). */
int kube_get(struct kube *k, const char *path, cJSON **obj, struct pct_error **err);
/* LIST a collection with an optional labelSelector; *list is the List object. */
int kube_list(struct kube *k, const char *path, const char *label_selector, cJSON **list,
	      struct pct_error **err);
/* LIST a collection with a fieldSelector ("involvedObject.name=x,..."); one page. */
int kube_list_fields(struct kube *k, const char *path, const char *field_selector, cJSON **list,
		     struct pct_error **err);
/*
 * One page of a LIST: at most limit items (0: no limit), after the page whose
 * metadata.continue is continue_token (NULL: the first page). The last page
 * has no metadata.continue. Pages share the first page's resourceVersion on a
 * real server; an expired token is -1 with KUBE_E_STATUS(410).
 */
int kube_list_page(struct kube *k, const char *path, const char *label_selector, long limit,
		   const char *continue_token, cJSON **list, struct pct_error **err);
/*
 * Server-side apply: PATCH path (the object's own URL) with
 * application/apply-patch+yaml (the JSON text of obj), fieldManager and
 * force. *result (may be NULL) gets the object the server returned.
 */
int kube_apply(struct kube *k, const char *path, const cJSON *obj, const char *field_manager,
	       bool force, cJSON **result, struct pct_error **err);
/* JSON merge patch (application/merge-patch+json), e.g. for the scale subresource. */
int kube_merge_patch(struct kube *k, const char *path, const cJSON *patch, cJSON **result,
		     struct pct_error **err);
/*
 * DELETE with optional preconditions (uid, resourceVersion) and
 * propagationPolicy (NULL = server default). 404 is -1 with KUBE_E_STATUS(404).
 */
int kube_delete(struct kube *k, const char *path, const char *uid, const char *resource_version,
		const char *propagation, struct pct_error **err);

/* Server version from /version, e.g. major 1, minor 33 ("33+" counts as 33). */
int kube_server_version(struct kube *k, int *major, int *minor, struct pct_error **err);
/* Does the server serve this group/version/resource (discovery)? */
int kube_has_resource(struct kube *k, const char *group_version, const char *resource,
		      bool *has, struct pct_error **err);

/*
 * Watches run inside kube_wait(), multiplexed with the caller's own fd (the
 * inotify fd of corral-syncd), so the agent stays single-threaded.
 * The callback gets each event: type "ADDED", "MODIFIED", "DELETED",
 * "BOOKMARK" or "ERROR" and the object (borrowed, valid during the call).
 * Callbacks run from kube_wait() only, after libcurl has returned: they may
 * call any libkube function (requests, kube_watch_start, kube_watch_stop of
 * any watch, their own included) except kube_wait() and kube_close().
 * kube_watch_start() does no I/O: connection errors and a refused watch show
 * up in kube_watch_active()/kube_watch_error() after kube_wait().
 */
typedef void (*kube_watch_cb)(const char *type, const cJSON *obj, void *ctx);
struct kube_watch;

int kube_watch_start(struct kube *k, const char *path, const char *label_selector,
		     const char *resource_version, kube_watch_cb cb, void *ctx,
		     struct kube_watch **out, struct pct_error **err);
/* False once the stream has ended (server timeout, error, dropped connection). */
bool kube_watch_active(const struct kube_watch *w);
/*
 * Why an ended watch ended: NULL when the server closed the stream normally
 * (timeoutSeconds), else the error (KUBE_E_TRANSPORT for a dropped
 * connection, KUBE_E_STATUS(410) when the resourceVersion is too old and the
 * caller must list again, KUBE_E_STATUS(n) for a refused watch). Borrowed.
 */
const struct pct_error *kube_watch_error(const struct kube_watch *w);
/*
 * The newest resourceVersion the watch has seen (events and bookmarks), to
 * start the next watch from; the one it started from before that, or NULL.
 * Borrowed, valid until the next kube_wait() or kube_watch_stop().
 */
const char *kube_watch_resource_version(const struct kube_watch *w);
/* Stops and frees the watch (also safe from inside its own callback). */
void kube_watch_stop(struct kube_watch *w);
/*
 * The timeoutSeconds asked of the server for new watches (default 300): the
 * server ends the stream cleanly after it, and the caller starts a new one
 * from kube_watch_resource_version().
 */
void kube_set_watch_timeout(struct kube *k, long seconds);

/*
 * Wait up to timeout_ms for watch data (dispatched to the callbacks) or for
 * fd (may be -1) to become readable. Returns 1 when fd is readable, 0
 * otherwise (timeout or watch activity), -1 on error.
 */
int kube_wait(struct kube *k, int fd, int timeout_ms, struct pct_error **err);

/*
 * A Kubernetes Status body (or any error response) as a sentence a person
 * understands: "persistentvolumeclaims \"ct-100-disk-0\" is forbidden: ...".
 */
char *kube_status_message(long http_status, const cJSON *body);

#endif

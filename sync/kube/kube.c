/*
 * libkube requests: one libcurl easy handle for synchronous requests, a
 * share (connection cache, DNS, TLS sessions) common to it and to the
 * watches' handles, so that requests reuse connections. TLS verification is
 * on unless the kubeconfig says insecure-skip-tls-verify. HTTP/2 is used
 * where the server offers it over TLS. Errors are sentences; the token, the
 * client key and the Authorization header never appear in one.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "kube-internal.h"
#include "pct-error.h"
#include "pct-util.h"

#define KUBE_USER_AGENT "corral/" PACKAGE_VERSION " (libkube)"
#define KUBE_MAX_BODY (256L << 20)
#define KUBE_DEFAULT_TIMEOUT 30
#define KUBE_CONNECT_TIMEOUT 10

void
kube_closep(struct kube **k)
{
	if (k && *k) {
		kube_close(*k);
		*k = NULL;
	}
}

static int
check_readable(const struct kube_config *cfg, const char *what, const char *path,
	       struct pct_error **err)
{
	if (path && access(path, R_OK) < 0)
		return pct_error_errno(err, errno, "cannot read the %s '%s' (from %s)", what, path,
				       cfg->source ? cfg->source : "the configuration");
	return 0;
}

int
kube_open(const struct kube_config *cfg, long timeout, struct kube **out, struct pct_error **err)
{
	_cleanup_(kube_closep) struct kube *k = NULL;
	int ret;

	if (!cfg || !cfg->server || !*cfg->server)
		return pct_error_set(err, PCT_E_INVALID, "no API server to connect to");
	ret = check_readable(cfg, "certificate-authority", cfg->ca_data ? NULL : cfg->ca_file, err);
	if (ret == 0)
		ret = check_readable(cfg, "client-certificate",
				     cfg->cert_data ? NULL : cfg->cert_file, err);
	if (ret == 0)
		ret = check_readable(cfg, "client-key", cfg->key_data ? NULL : cfg->key_file, err);
	if (ret < 0)
		return ret;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return pct_error_set(err, PCT_E_INTERNAL, "cannot initialise libcurl");
	k = xcalloc(1, sizeof(*k));
	k->cfg = kube_config_dup(cfg);
	k->timeout = timeout > 0 ? timeout : KUBE_DEFAULT_TIMEOUT;
	k->watch_timeout = 300;
	k->share = curl_share_init();
	k->easy = curl_easy_init();
	k->multi = curl_multi_init();
	if (!k->share || !k->easy || !k->multi)
		return pct_error_set(err, PCT_E_INTERNAL, "cannot initialise libcurl handles");
	curl_share_setopt(k->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(k->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(k->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	if (cfg->token)
		k->token = xstrdup(cfg->token);
	*out = steal_ptr(k);
	return 0;
}

void
kube_close(struct kube *k)
{
	if (!k)
		return;
	while (k->watches)
		kube_watch_stop(k->watches);
	while (k->zombies) {
		struct kube_watch *w = k->zombies;

		k->zombies = w->next;
		kube_watch_free(w);
	}
	if (k->multi)
		curl_multi_cleanup(k->multi);
	if (k->easy)
		curl_easy_cleanup(k->easy);
	if (k->share)
		curl_share_cleanup(k->share);
	kube_config_free(k->cfg);
	kube_free_secret(k->token);
	free(k);
	curl_global_cleanup();
}

const struct kube_stats *
kube_get_stats(const struct kube *k)
{
	return &k->stats;
}

void
kube_set_watch_timeout(struct kube *k, long seconds)
{
	k->watch_timeout = seconds > 0 ? seconds : 300;
}

/* ---- paths and queries ---- */

char *
kube_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct strbuf sb = STRBUF_INIT;

	strbuf_grow(&sb, strlen(s));
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (pct_isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			strbuf_addch(&sb, *p);
		} else {
			strbuf_addch(&sb, '%');
			strbuf_addch(&sb, hex[*p >> 4]);
			strbuf_addch(&sb, hex[*p & 15]);
		}
	}
	return strbuf_detach(&sb, NULL);
}

static void
add_segment(struct strbuf *sb, const char *seg)
{
	_cleanup_free_ char *e = kube_escape(seg);

	strbuf_addch(sb, '/');
	strbuf_addstr(sb, e);
}

char *
kube_path(const char *group_version, const char *ns, const char *resource, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	if (!strcmp(group_version, "v1")) {
		strbuf_addstr(&sb, "/api/v1");
	} else {
		strbuf_addstr(&sb, "/apis/");
		strbuf_addstr(&sb, group_version); /* "group/version": its slash stays */
	}
	if (ns) {
		strbuf_addstr(&sb, "/namespaces");
		add_segment(&sb, ns);
	}
	add_segment(&sb, resource);
	if (name)
		add_segment(&sb, name);
	return strbuf_detach(&sb, NULL);
}

/* ---- handles ---- */

/*
 * The bearer token, re-read from token_file when the file changed (rotation).
 * A token in the kubeconfig wins over its tokenFile, as in client-go.
 */
static int
kube_token(struct kube *k, struct pct_error **err)
{
	struct stat st;
	char *tok;
	size_t len;

	if (!k->cfg->token_file || k->cfg->token)
		return 0;
	if (stat(k->cfg->token_file, &st) < 0)
		return pct_error_errno(err, errno, "cannot read the token file '%s'",
				       k->cfg->token_file);
	if (k->token && st.st_mtim.tv_sec == k->token_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == k->token_mtime.tv_nsec)
		return 0;
	if (pct_read_file(k->cfg->token_file, 1 << 20, &tok, &len) < 0)
		return pct_error_errno(err, errno, "cannot read the token file '%s'",
				       k->cfg->token_file);
	while (len > 0 && pct_isspace((unsigned char)tok[len - 1]))
		tok[--len] = '\0';
	kube_free_secret(k->token);
	k->token = tok;
	k->token_mtime = st.st_mtim;
	return 0;
}

static void
set_blob(CURL *h, CURLoption opt, const char *pem)
{
	struct curl_blob blob = {.data = (void *)pem, .len = strlen(pem), .flags = CURL_BLOB_COPY};

	curl_easy_setopt(h, opt, &blob);
}

int
kube_setup_handle(struct kube *k, CURL *h, struct curl_slist **headers, const char *ctype,
		  struct pct_error **err)
{
	const struct kube_config *c = k->cfg;
	struct curl_slist *l = NULL;
	int ret;

	ret = kube_token(k, err);
	if (ret < 0)
		return ret;
	curl_easy_setopt(h, CURLOPT_SHARE, k->share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
			 k->timeout < KUBE_CONNECT_TIMEOUT ? k->timeout
							   : (long)KUBE_CONNECT_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, KUBE_USER_AGENT);
	if (c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (c->ca_data) {
		set_blob(h, CURLOPT_CAINFO_BLOB, c->ca_data);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL); /* this CA only, not the system's */
	} else if (c->ca_file) {
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	}
	if (c->cert_data) {
		set_blob(h, CURLOPT_SSLCERT_BLOB, c->cert_data);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	} else if (c->cert_file) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (c->key_data) {
		set_blob(h, CURLOPT_SSLKEY_BLOB, c->key_data);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	} else if (c->key_file) {
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	l = curl_slist_append(l, "Accept: application/json");
	l = curl_slist_append(l, "Expect:");
	if (ctype) {
		_cleanup_free_ char *ct = xasprintf("Content-Type: %s", ctype);

		l = curl_slist_append(l, ct);
	}
	if (k->token && *k->token) {
		char *auth = xasprintf("Authorization: Bearer %s", k->token);

		l = curl_slist_append(l, auth);
		kube_free_secret(auth);
	}
	if (!l)
		return pct_error_set(err, ENOMEM, "out of memory");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
	*headers = l;
	return 0;
}

/* curl_slist_free_all, first overwriting the header values (the Authorization one). */
static void
headers_free(struct curl_slist **l)
{
	for (struct curl_slist *p = *l; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(*l);
	*l = NULL;
}

void
kube_account(struct kube *k, CURL *h)
{
	curl_off_t down = 0, up = 0;
	long hdr = 0, req = 0, conns = 0;

	curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &down);
	curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &up);
	curl_easy_getinfo(h, CURLINFO_HEADER_SIZE, &hdr);
	curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &req);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
	k->stats.bytes_received += (unsigned long long)down + (unsigned long long)hdr;
	k->stats.bytes_sent += (unsigned long long)up + (unsigned long long)req;
	k->stats.connections += (unsigned long)conns;
}

int
kube_transport_error(struct kube *k, CURLcode rc, const char *errbuf, const char *what,
		     struct pct_error **err)
{
	const char *detail = errbuf && *errbuf ? errbuf : curl_easy_strerror(rc);
	const char *src = k->cfg->source ? k->cfg->source : "the configuration";

	/* the server's TLS alert about our certificate, whenever it arrives (TLS 1.3: late) */
	if ((k->cfg->cert_file || k->cfg->cert_data) &&
	    (strstr(detail, "alert unknown ca") || strstr(detail, "alert bad certificate") ||
	     strstr(detail, "certificate required") || strstr(detail, "alert certificate unknown")))
		return pct_error_set(err, KUBE_E_TRANSPORT,
				     "%s: %s refused the client certificate in %s: %s", what,
				     k->cfg->server, src, detail);
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return pct_error_set(err, KUBE_E_TRANSPORT,
				     "%s: no answer from %s within %ld s (%s)", what,
				     k->cfg->server, k->timeout, detail);
	case CURLE_PEER_FAILED_VERIFICATION:
		return pct_error_set(err, KUBE_E_TRANSPORT,
				     "%s: the TLS certificate of %s is not trusted: %s (check the "
				     "certificate-authority in %s)",
				     what, k->cfg->server, detail, src);
	case CURLE_SSL_CACERT_BADFILE:
		return pct_error_set(err, KUBE_E_TRANSPORT,
				     "%s: the certificate-authority in %s is not usable: %s", what,
				     src, detail);
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
		return pct_error_set(err, KUBE_E_TRANSPORT,
				     "%s: the client certificate or key in %s is not usable: %s",
				     what, src, detail);
	case CURLE_SSL_CONNECT_ERROR:
		return pct_error_set(
			err, KUBE_E_TRANSPORT,
			"%s: the TLS handshake with %s failed (is the client certificate "
			"in %s accepted by this server?): %s",
			what, k->cfg->server, src, detail);
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return pct_error_set(err, KUBE_E_TRANSPORT, "%s: cannot connect to %s: %s", what,
				     k->cfg->server, detail);
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		return pct_error_set(err, KUBE_E_TRANSPORT, "%s: the connection to %s broke: %s",
				     what, k->cfg->server, detail);
	case CURLE_WRITE_ERROR:
		return pct_error_set(err, KUBE_E_TRANSPORT,
				     "%s: the answer of %s is too large or could not be read", what,
				     k->cfg->server);
	default:
		return pct_error_set(err, KUBE_E_TRANSPORT, "%s: request to %s failed: %s", what,
				     k->cfg->server, detail);
	}
}

static size_t
collect(char *data, size_t size, size_t n, void *ud)
{
	struct strbuf *sb = ud;
	size_t len = size * n;

	if (sb->len + len > (size_t)KUBE_MAX_BODY)
		return 0;
	strbuf_add(sb, data, len);
	return len;
}

static bool
is_write(const char *method)
{
	return strcmp(method, "GET") && strcmp(method, "HEAD");
}

int
kube_request(struct kube *k, const char *method, const char *path, const char *query,
	     const char *content_type, const char *body, long *status, cJSON **resp,
	     struct pct_error **err)
{
	_cleanup_free_ char *url = NULL;
	_cleanup_free_ char *what = NULL;
	struct curl_slist *headers = NULL;
	struct strbuf out = STRBUF_INIT;
	size_t body_len = body ? strlen(body) : 0;
	CURLcode rc;
	long code = 0;
	int ret;

	*status = 0;
	if (resp)
		*resp = NULL;
	url = xasprintf("%s%s%s%s", k->cfg->server, path, query && *query ? "?" : "",
			query ? query : "");
	what = xasprintf("%s %s", method, path);
	curl_easy_reset(k->easy);
	ret = kube_setup_handle(k, k->easy, &headers, body ? content_type : NULL, err);
	if (ret < 0)
		return pct_error_prefix(err, "%s", what);
	curl_easy_setopt(k->easy, CURLOPT_URL, url);
	curl_easy_setopt(k->easy, CURLOPT_TIMEOUT, k->timeout);
	curl_easy_setopt(k->easy, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(k->easy, CURLOPT_WRITEDATA, &out);
	k->errbuf[0] = '\0';
	curl_easy_setopt(k->easy, CURLOPT_ERRORBUFFER, k->errbuf);
	if (!strcmp(method, "GET")) {
		curl_easy_setopt(k->easy, CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(k->easy, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(k->easy, CURLOPT_CUSTOMREQUEST, method);
		if (body || strcmp(method, "DELETE")) {
			curl_easy_setopt(k->easy, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)body_len);
			curl_easy_setopt(k->easy, CURLOPT_POSTFIELDS, body ? body : "");
		}
	}
	k->stats.requests++;
	if (is_write(method))
		k->stats.writes++;
	rc = curl_easy_perform(k->easy);
	kube_account(k, k->easy);
	curl_easy_setopt(k->easy, CURLOPT_HTTPHEADER, NULL);
	headers_free(&headers);
	if (rc != CURLE_OK) {
		strbuf_release(&out);
		return kube_transport_error(k, rc, k->errbuf, what, err);
	}
	curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &code);
	*status = code;
	if (resp && out.len > 0)
		*resp = kube_parse_json(out.buf, out.len);
	strbuf_release(&out);
	return 0;
}

cJSON *
kube_parse_json(char *buf, size_t len)
{
	const char *end = NULL;
	cJSON *j;

	/*
	 * The whole text, not a prefix: "404 page not found" is not the number
	 * 404. cJSON checks for the terminating NUL within the length: len + 1.
	 */
	if (buf[len] != '\0')
		return NULL;
	j = cJSON_ParseWithLengthOpts(buf, len + 1, &end, true);
	if (j && !cJSON_IsObject(j) && !cJSON_IsArray(j)) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

/* ---- Status errors ---- */

static const char *
reason_phrase(long code)
{
	switch (code) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "";
	}
}

static const char *
json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

char *
kube_status_message(long http_status, const cJSON *body)
{
	const char *kind = json_str(body, "kind");
	const char *msg = json_str(body, "message");
	const char *reason = json_str(body, "reason");
	bool is_status = kind && !strcmp(kind, "Status");

	if (http_status == 401 || (is_status && reason && !strcmp(reason, "Unauthorized")))
		return xstrdup("unauthorized: the API server did not accept the credentials "
			       "(HTTP 401)");
	if (is_status && msg && *msg)
		return xstrdup(msg);
	switch (http_status) {
	case 403:
		return xstrdup("forbidden (HTTP 403)");
	case 404:
		return xstrdup("the server could not find the requested resource (HTTP 404)");
	case 409:
		return xstrdup("conflict with the object on the server (HTTP 409)");
	case 422:
		return xstrdup("the server found the object invalid (HTTP 422)");
	case 429:
		return xstrdup("the API server asks to slow down (HTTP 429 Too Many Requests)");
	default:
		break;
	}
	if (http_status >= 500)
		return xasprintf("the API server failed (HTTP %ld%s%s)", http_status,
				 *reason_phrase(http_status) ? " " : "",
				 reason_phrase(http_status));
	return xasprintf("unexpected answer from the API server (HTTP %ld%s%s)", http_status,
			 *reason_phrase(http_status) ? " " : "", reason_phrase(http_status));
}

static int
status_error(long status, const cJSON *resp, struct pct_error **err)
{
	_cleanup_free_ char *msg = kube_status_message(status, resp);

	return pct_error_set(err, KUBE_E_STATUS(status), "%s", msg);
}

/* ---- verbs ---- */

static int
request_ok(struct kube *k, const char *method, const char *path, const char *query,
	   const char *ctype, const char *body, cJSON **resp, struct pct_error **err)
{
	_cleanup_(cjson_deletep) cJSON *r = NULL;
	long status;
	int ret;

	ret = kube_request(k, method, path, query, ctype, body, &status, &r, err);
	if (ret < 0)
		return ret;
	if (status < 200 || status >= 300)
		return status_error(status, r, err);
	if (resp)
		*resp = steal_ptr(r);
	return 0;
}

int
kube_get(struct kube *k, const char *path, cJSON **obj, struct pct_error **err)
{
	_cleanup_(cjson_deletep) cJSON *r = NULL;
	int ret;

	ret = request_ok(k, "GET", path, NULL, NULL, NULL, &r, err);
	if (ret < 0)
		return ret;
	if (!cJSON_IsObject(r))
		return pct_error_set(err, KUBE_E_TRANSPORT,
				     "GET %s: the answer is not a JSON object", path);
	*obj = steal_ptr(r);
	return 0;
}

/* GET a list: the answer must have an items array */
static int
get_list(struct kube *k, const char *path, const char *query, cJSON **list,
	 struct pct_error **err)
{
	_cleanup_(cjson_deletep) cJSON *r = NULL;
	int ret;

	ret = request_ok(k, "GET", path, query, NULL, NULL, &r, err);
	if (ret < 0)
		return ret;
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(r, "items")))
		return pct_error_set(err, KUBE_E_TRANSPORT, "GET %s: the answer is not a list",
				     path);
	*list = steal_ptr(r);
	return 0;
}

int
kube_list_page(struct kube *k, const char *path, const char *label_selector, long limit,
	       const char *continue_token, cJSON **list, struct pct_error **err)
{
	struct strbuf query = STRBUF_INIT;
	int ret;

	if (label_selector && *label_selector) {
		_cleanup_free_ char *sel = kube_escape(label_selector);

		strbuf_addf(&query, "labelSelector=%s", sel);
	}
	if (limit > 0)
		strbuf_addf(&query, "%slimit=%ld", query.len ? "&" : "", limit);
	if (continue_token && *continue_token) {
		_cleanup_free_ char *tok = kube_escape(continue_token);

		strbuf_addf(&query, "%scontinue=%s", query.len ? "&" : "", tok);
	}
	ret = get_list(k, path, query.len ? query.buf : NULL, list, err);
	strbuf_release(&query);
	return ret;
}

int
kube_list(struct kube *k, const char *path, const char *label_selector, cJSON **list,
	  struct pct_error **err)
{
	return kube_list_page(k, path, label_selector, 0, NULL, list, err);
}

int
kube_list_fields(struct kube *k, const char *path, const char *field_selector, cJSON **list,
		 struct pct_error **err)
{
	_cleanup_free_ char *sel = kube_escape(field_selector);
	_cleanup_free_ char *query = xasprintf("fieldSelector=%s", sel);

	return get_list(k, path, query, list, err);
}

int
kube_apply(struct kube *k, const char *path, const cJSON *obj, const char *field_manager,
	   bool force, cJSON **result, struct pct_error **err)
{
	_cleanup_free_ char *body = NULL;
	_cleanup_free_ char *fm = NULL;
	_cleanup_free_ char *query = NULL;

	if (!field_manager || !*field_manager)
		return pct_error_set(err, PCT_E_INVALID, "apply %s: a field manager is required",
				     path);
	body = cJSON_PrintUnformatted(obj);
	if (!body)
		return pct_error_set(err, ENOMEM, "apply %s: cannot print the object", path);
	fm = kube_escape(field_manager);
	query = xasprintf("fieldManager=%s%s", fm, force ? "&force=true" : "");
	return request_ok(k, "PATCH", path, query, "application/apply-patch+yaml", body, result,
			  err);
}

int
kube_merge_patch(struct kube *k, const char *path, const cJSON *patch, cJSON **result,
		 struct pct_error **err)
{
	_cleanup_free_ char *body = cJSON_PrintUnformatted(patch);

	if (!body)
		return pct_error_set(err, ENOMEM, "patch %s: cannot print the patch", path);
	return request_ok(k, "PATCH", path, NULL, "application/merge-patch+json", body, result,
			  err);
}

int
kube_delete(struct kube *k, const char *path, const char *uid, const char *resource_version,
	    const char *propagation, struct pct_error **err)
{
	_cleanup_(cjson_deletep) cJSON *opts = NULL;
	_cleanup_free_ char *body = NULL;

	if (uid || resource_version || propagation) {
		opts = cJSON_CreateObject();
		cJSON_AddStringToObject(opts, "kind", "DeleteOptions");
		cJSON_AddStringToObject(opts, "apiVersion", "v1");
		if (uid || resource_version) {
			cJSON *pre = cJSON_AddObjectToObject(opts, "preconditions");

			if (uid)
				cJSON_AddStringToObject(pre, "uid", uid);
			if (resource_version)
				cJSON_AddStringToObject(pre, "resourceVersion", resource_version);
		}
		if (propagation)
			cJSON_AddStringToObject(opts, "propagationPolicy", propagation);
		body = cJSON_PrintUnformatted(opts);
	}
	return request_ok(k, "DELETE", path, NULL, body ? "application/json" : NULL, body, NULL,
			  err);
}

int
kube_server_version(struct kube *k, int *major, int *minor, struct pct_error **err)
{
	_cleanup_(cjson_deletep) cJSON *v = NULL;
	const char *maj, *min;
	int ret;

	ret = kube_get(k, "/version", &v, err);
	if (ret < 0)
		return ret;
	maj = json_str(v, "major");
	min = json_str(v, "minor");
	if (!maj || !min || !pct_isdigit((unsigned char)*maj) || !pct_isdigit((unsigned char)*min))
		return pct_error_set(err, KUBE_E_TRANSPORT,
				     "the server's /version has no usable major and minor version");
	*major = atoi(maj); /* "1"; "33+" counts as 33 */
	*minor = atoi(min);
	return 0;
}

int
kube_has_resource(struct kube *k, const char *group_version, const char *resource, bool *has,
		  struct pct_error **err)
{
	_cleanup_(cjson_deletep) cJSON *r = NULL;
	_cleanup_free_ char *path = NULL;
	const cJSON *res, *it;
	long status;
	int ret;

	*has = false;
	path = strcmp(group_version, "v1") ? xasprintf("/apis/%s", group_version)
					   : xstrdup("/api/v1");
	ret = kube_request(k, "GET", path, NULL, NULL, NULL, &status, &r, err);
	if (ret < 0)
		return ret;
	if (status == 404)
		return 0; /* the group/version is not served */
	if (status != 200)
		return status_error(status, r, err);
	res = cJSON_GetObjectItemCaseSensitive(r, "resources");
	cJSON_ArrayForEach(it, res)
	{
		const char *name = json_str(it, "name");

		if (name && !strcmp(name, resource)) {
			*has = true;
			break;
		}
	}
	return 0;
}

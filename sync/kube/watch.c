/*
 * Watches: one libcurl easy handle per watch on the struct kube's multi
 * handle, driven by kube_wait(), which also polls the caller's own fd, so the
 * agent stays single-threaded.
 *
 * The stream is JSON lines ({"type":..,"object":..}\n) in chunks that may cut
 * a line anywhere; complete lines are parsed as they arrive and queued, and
 * the queue is dispatched to the callbacks after libcurl returns, never from
 * inside libcurl, so a callback may call any libkube function but kube_wait.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "kube-internal.h"
#include "pct-error.h"
#include "pct-util.h"

#define WATCH_MAX_LINE (64L << 20)
#define WATCH_MAX_ERRBODY (64 << 10)
#define WATCH_CLIENT_SLACK 60 /* seconds beyond timeoutSeconds before we give up */

static void
event_free_all(struct kube_event *e)
{
	while (e) {
		struct kube_event *next = e->next;

		free(e->type);
		cJSON_Delete(e->obj);
		free(e);
		e = next;
	}
}

void
kube_watch_free(struct kube_watch *w)
{
	if (!w)
		return;
	if (w->easy)
		curl_easy_cleanup(w->easy);
	if (w->headers) {
		for (struct curl_slist *p = w->headers; p; p = p->next)
			explicit_bzero(p->data, strlen(p->data));
		curl_slist_free_all(w->headers);
	}
	event_free_all(w->queue);
	strbuf_release(&w->line);
	strbuf_release(&w->errbody);
	free(w->path);
	free(w->rv);
	pct_error_free(&w->error);
	free(w);
}

bool
kube_watch_active(const struct kube_watch *w)
{
	return w && w->active;
}

const struct pct_error *
kube_watch_error(const struct kube_watch *w)
{
	return w ? w->error : NULL;
}

const char *
kube_watch_resource_version(const struct kube_watch *w)
{
	return w ? w->rv : NULL;
}

static void
watch_fail(struct kube_watch *w, int code, const char *fmt, const char *detail)
{
	if (!w->error)
		pct_error_set(&w->error, code, fmt, w->path, detail);
}

/* One complete line of the stream (line[len] is its newline, which we may overwrite). */
static int
watch_line(struct kube_watch *w, char *line, size_t len)
{
	cJSON *ev;
	const cJSON *type, *obj, *rv;
	struct kube_event *e;

	while (len > 0 && pct_isspace((unsigned char)line[len - 1]))
		len--;
	if (len == 0)
		return 0;
	line[len] = '\0';
	ev = kube_parse_json(line, len);
	type = cJSON_GetObjectItemCaseSensitive(ev, "type");
	obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
	if (!cJSON_IsString(type) || !cJSON_IsObject(obj)) {
		cJSON_Delete(ev);
		watch_fail(w, KUBE_E_TRANSPORT, "watch %s: %s",
			   "the server sent something that is not a watch event");
		return -1;
	}
	if (!strcmp(type->valuestring, "ERROR")) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(obj, "code");
		long long c;
		_cleanup_free_ char *msg = NULL;

		/* an HTTP status; anything else (3.7e82, from a fuzzer) is a 500 */
		if (!cJSON_IsNumber(code) || !pct_double_to_ll(code->valuedouble, 100, 599, &c))
			c = 500;
		msg = kube_status_message((long)c, obj);

		watch_fail(w, KUBE_E_STATUS((int)c), "watch %s: %s", msg);
	} else {
		rv = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "resourceVersion");
		if (cJSON_IsString(rv) && rv->valuestring[0]) {
			free(w->rv);
			w->rv = xstrdup(rv->valuestring);
		}
	}
	e = xcalloc(1, sizeof(*e));
	e->type = xstrdup(type->valuestring);
	e->obj = ev;
	*w->queue_tail = e;
	w->queue_tail = &e->next;
	return 0;
}

int
kube_watch_feed(struct kube_watch *w, const char *data, size_t len)
{
	size_t start = 0;

	strbuf_add(&w->line, data, len);
	for (size_t i = w->line.len - len; i < w->line.len; i++) {
		if (w->line.buf[i] != '\n')
			continue;
		if (watch_line(w, w->line.buf + start, i - start) < 0)
			return -1;
		start = i + 1;
	}
	if (start > 0) {
		memmove(w->line.buf, w->line.buf + start, w->line.len - start);
		w->line.len -= start;
		w->line.buf[w->line.len] = '\0';
	}
	if (w->line.len > (size_t)WATCH_MAX_LINE) {
		watch_fail(w, KUBE_E_TRANSPORT, "watch %s: %s", "an event is larger than 64 MiB");
		return -1;
	}
	return 0;
}

static size_t
watch_write(char *data, size_t size, size_t n, void *ud)
{
	struct kube_watch *w = ud;
	size_t len = size * n;
	long code = 0;

	curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		if (w->errbody.len < WATCH_MAX_ERRBODY)
			strbuf_add(&w->errbody, data, len);
		return len;
	}
	return kube_watch_feed(w, data, len) < 0 ? 0 : len;
}

int
kube_watch_start(struct kube *k, const char *path, const char *label_selector,
		 const char *resource_version, kube_watch_cb cb, void *ctx, struct kube_watch **out,
		 struct pct_error **err)
{
	struct kube_watch *w;
	struct strbuf url = STRBUF_INIT;
	int ret;

	w = xcalloc(1, sizeof(*w));
	w->k = k;
	w->cb = cb;
	w->ctx = ctx;
	w->path = xstrdup(path);
	w->queue_tail = &w->queue;
	if (resource_version && *resource_version)
		w->rv = xstrdup(resource_version);
	w->easy = curl_easy_init();
	if (!w->easy) {
		kube_watch_free(w);
		return pct_error_set(err, PCT_E_INTERNAL, "watch %s: cannot make a libcurl handle",
				     path);
	}
	ret = kube_setup_handle(k, w->easy, &w->headers, NULL, err);
	if (ret < 0) {
		kube_watch_free(w);
		return pct_error_prefix(err, "watch %s", path);
	}
	strbuf_addf(&url, "%s%s?watch=1&allowWatchBookmarks=true&timeoutSeconds=%ld",
		    k->cfg->server, path, k->watch_timeout);
	if (label_selector && *label_selector) {
		_cleanup_free_ char *e = kube_escape(label_selector);

		strbuf_addf(&url, "&labelSelector=%s", e);
	}
	if (resource_version && *resource_version) {
		_cleanup_free_ char *e = kube_escape(resource_version);

		strbuf_addf(&url, "&resourceVersion=%s", e);
	}
	curl_easy_setopt(w->easy, CURLOPT_URL, url.buf);
	strbuf_release(&url);
	curl_easy_setopt(w->easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(w->easy, CURLOPT_TIMEOUT, k->watch_timeout + WATCH_CLIENT_SLACK);
	curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, watch_write);
	curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(w->easy, CURLOPT_PRIVATE, w);
	curl_easy_setopt(w->easy, CURLOPT_ERRORBUFFER, w->errbuf);
	if (curl_multi_add_handle(k->multi, w->easy) != CURLM_OK) {
		kube_watch_free(w);
		return pct_error_set(err, PCT_E_INTERNAL, "watch %s: cannot start the transfer",
				     path);
	}
	w->in_multi = true;
	w->active = true;
	w->next = k->watches;
	k->watches = w;
	k->stats.requests++;
	*out = w;
	return 0;
}

static void
watch_unlink(struct kube *k, struct kube_watch *w)
{
	for (struct kube_watch **pp = &k->watches; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	w->next = NULL;
}

void
kube_watch_stop(struct kube_watch *w)
{
	struct kube *k;

	if (!w || w->stopped)
		return;
	k = w->k;
	watch_unlink(k, w);
	if (w->in_multi) {
		kube_account(k, w->easy);
		curl_multi_remove_handle(k->multi, w->easy);
		w->in_multi = false;
	}
	w->active = false;
	w->stopped = true;
	if (k->dispatching) {
		w->next = k->zombies;
		k->zombies = w;
	} else {
		kube_watch_free(w);
	}
}

/* Transfers that ended: why, and their bytes in the stats. Returns how many ended. */
static int
watch_collect(struct kube *k)
{
	CURLMsg *msg;
	int left, n = 0;

	while ((msg = curl_multi_info_read(k->multi, &left))) {
		struct kube_watch *w = NULL;
		long code = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&w);
		curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &code);
		if (msg->data.result != CURLE_OK) {
			if (!w->error) {
				_cleanup_free_ char *what = xasprintf("watch %s", w->path);

				kube_transport_error(k, msg->data.result, w->errbuf, what,
						     &w->error);
			}
		} else if (code != 200 && !w->error) {
			_cleanup_(cjson_deletep) cJSON *body =
				w->errbody.len ? kube_parse_json(w->errbody.buf, w->errbody.len)
					       : NULL;
			_cleanup_free_ char *m = kube_status_message(code, body);

			pct_error_set(&w->error, KUBE_E_STATUS(code), "watch %s: %s", w->path, m);
		}
		kube_account(k, w->easy);
		curl_multi_remove_handle(k->multi, w->easy);
		w->in_multi = false;
		w->active = false;
		n++;
	}
	return n;
}

int
kube_watch_dispatch(struct kube *k)
{
	struct kube_watch **ws;
	size_t nw = 0, i = 0;
	int n = 0;

	for (struct kube_watch *w = k->watches; w; w = w->next)
		nw++;
	if (nw == 0)
		return 0;
	ws = xcalloc(nw, sizeof(*ws));
	for (struct kube_watch *w = k->watches; w; w = w->next)
		ws[i++] = w;
	k->dispatching = true;
	for (i = 0; i < nw; i++) {
		struct kube_watch *w = ws[i];

		while (!w->stopped && w->queue) {
			struct kube_event *e = w->queue;

			w->queue = e->next;
			if (!w->queue)
				w->queue_tail = &w->queue;
			e->next = NULL;
			if (w->cb)
				w->cb(e->type, cJSON_GetObjectItemCaseSensitive(e->obj, "object"),
				      w->ctx);
			event_free_all(e);
			n++;
		}
	}
	k->dispatching = false;
	free(ws);
	while (k->zombies) {
		struct kube_watch *w = k->zombies;

		k->zombies = w->next;
		kube_watch_free(w);
	}
	return n;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static bool
fd_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

int
kube_wait(struct kube *k, int fd, int timeout_ms, struct pct_error **err)
{
	long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;

	if (k->dispatching)
		return pct_error_set(err, EINVAL, "kube_wait() called from a watch callback");
	for (;;) {
		struct curl_waitfd wfd = {.fd = fd, .events = CURL_WAIT_POLLIN};
		int running, numfds, ended, dispatched;
		long wait;
		CURLMcode mc;

		mc = curl_multi_perform(k->multi, &running);
		if (mc != CURLM_OK)
			return pct_error_set(err, PCT_E_INTERNAL, "watching: %s",
					     curl_multi_strerror(mc));
		ended = watch_collect(k);
		dispatched = kube_watch_dispatch(k);
		if (fd_readable(fd))
			return 1;
		if (ended || dispatched)
			return 0;
		if (timeout_ms >= 0) {
			wait = deadline - now_ms();
			if (wait <= 0)
				return 0;
		} else {
			wait = 1000;
		}
		mc = curl_multi_poll(k->multi, fd >= 0 ? &wfd : NULL, fd >= 0 ? 1 : 0,
				     (int)(wait > 1000 ? 1000 : wait), &numfds);
		if (mc != CURLM_OK)
			return pct_error_set(err, PCT_E_INTERNAL, "watching: %s",
					     curl_multi_strerror(mc));
	}
}

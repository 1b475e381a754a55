/*
 * libkube internals shared by kube.c (requests), kubeconfig.c and watch.c.
 * Not installed, not for callers.
 */
#ifndef KUBE_INTERNAL_H
#define KUBE_INTERNAL_H

#include <curl/curl.h>
#include <sys/types.h>
#include <time.h>

#include "kube.h"
#include "pct-util.h"

struct kube {
	struct kube_config *cfg; /* our own copy */
	long timeout;		 /* seconds per request */
	long watch_timeout;	 /* timeoutSeconds asked of the server for a watch */
	CURLSH *share;		 /* connection cache, DNS and TLS sessions for every handle */
	CURL *easy;		 /* the handle of synchronous requests */
	CURLM *multi;		 /* watches */
	struct kube_watch *watches;
	struct kube_watch *zombies; /* stopped during a callback, freed after dispatch */
	bool dispatching;
	struct kube_stats stats;
	char *token; /* the token in use (from cfg->token or cfg->token_file) */
	struct timespec token_mtime;
	char errbuf[CURL_ERROR_SIZE];
};

struct kube_event {
	char *type;
	cJSON *obj; /* the whole event; the object is its "object" member */
	struct kube_event *next;
};

struct kube_watch {
	struct kube *k;
	CURL *easy;
	struct curl_slist *headers;
	char *path; /* for messages */
	kube_watch_cb cb;
	void *ctx;
	struct strbuf line;    /* an incomplete JSON line across chunks */
	struct strbuf errbody; /* the body of a non-200 answer */
	struct kube_event *queue, **queue_tail;
	char *rv;		 /* the last resourceVersion seen */
	struct pct_error *error; /* why it ended, NULL for a clean end */
	bool active;
	bool stopped;
	bool in_multi;
	struct kube_watch *next;
	char errbuf[CURL_ERROR_SIZE];
};

/* kube.c */
/* Set the options every handle shares: TLS, auth header list (returned), timeouts. */
int kube_setup_handle(struct kube *k, CURL *h, struct curl_slist **headers, const char *ctype,
		      struct pct_error **err);
/* A transport failure (CURLcode) as a sentence naming the server, never a credential. */
int kube_transport_error(struct kube *k, CURLcode rc, const char *errbuf, const char *what,
			 struct pct_error **err);
/*
 * Parse a JSON object or array that is all of buf[0..len) (buf[len] must be
 * NUL); NULL for anything else.
 */
cJSON *kube_parse_json(char *buf, size_t len);
/* Percent-encode a query value. */
char *kube_escape(const char *s);
/* Add a finished transfer's bytes and new connections to the stats. */
void kube_account(struct kube *k, CURL *h);

/* kubeconfig.c */
struct kube_config *kube_config_dup(const struct kube_config *cfg);

/* watch.c */
void kube_watch_free(struct kube_watch *w);
/*
 * Take len bytes of a 200 watch stream (any cut): complete lines become
 * queued events. -1 when the stream is bad (w->error says why): the transfer
 * must end.
 */
int kube_watch_feed(struct kube_watch *w, const char *data, size_t len);
/* Hand the queued events of k's watches to their callbacks. Returns how many. */
int kube_watch_dispatch(struct kube *k);

/* Overwrite a secret before freeing it. */
void kube_free_secret(char *s);

static inline void
cjson_deletep(cJSON **p)
{
	if (*p)
		cJSON_Delete(*p);
}

static inline void
curl_slist_freep(struct curl_slist **p)
{
	if (*p)
		curl_slist_free_all(*p);
}

#endif

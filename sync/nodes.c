/*
 * corral-syncd: whether unprivileged CTs get a user namespace of their own
 * (hostUsers: false), from what the cluster says it can do; userns.c holds
 * the pure parts and the wording.
 *
 * With user-namespaces = auto and output = kube, the agent lists the nodes
 * at each (re)connect and watches them from there (cluster-scoped get, list
 * and watch on nodes): every node must report userNamespaces for its
 * default runtime handler. It keeps only each node's name and that answer.
 * Before Kubernetes 1.33, where kube-apiserver's UserNamespacesSupport
 * feature gate is off unless an administrator turned it on (and the API
 * server then drops hostUsers from what it stores), one dry-run StatefulSet
 * asks whether the API server keeps the field. A 403 on the nodes means no
 * user namespaces, said once in the log and in every CT's status; the list
 * is tried again at each periodic resync, so granting the permission is
 * seen without a restart. A watch that may not be made (403) is replaced by
 * a list at each periodic resync. Nothing of this runs at a resync otherwise:
 * the node watch carries every change.
 *
 * A change of the decision marks every CT: the pod templates of
 * unprivileged CTs change; a running CT keeps its pod (OnDelete) and shows
 * "pending restart" until it is restarted.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "syncd.h"
#include "userns.h"

#define NODES_PATH "/api/v1/nodes"
#define NODES_PAGE 100
#define NODES_BACKOFF_MAX 30.0

struct userns_node_info {
	char *name;
	enum userns_node support;
};

/* The nodes are asked only in this mode; otherwise the decision is fixed. */
static bool
from_nodes(const struct syncd *sd)
{
	return sd->kube_mode && sd->settings->user_namespaces < 0;
}

static void
nodes_clear(struct syncd_userns *u)
{
	size_t i;

	for (i = 0; i < u->nnodes; i++)
		free(u->nodes[i].name);
	free(u->nodes);
	u->nodes = NULL;
	u->nnodes = u->anodes = 0;
}

/* The index of name in the (sorted) table, or where it would go. */
static size_t
node_slot(const struct syncd_userns *u, const char *name, bool *found)
{
	size_t lo = 0, hi = u->nnodes;

	*found = false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(u->nodes[mid].name, name);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
node_put(struct syncd_userns *u, const cJSON *node)
{
	const char *name = js(jget(node, "metadata", "name", NULL));
	bool found;
	size_t i;

	if (!name)
		return;
	i = node_slot(u, name, &found);
	if (!found) {
		u->nodes = xgrow(u->nodes, u->nnodes + 1, &u->anodes, sizeof(*u->nodes));
		memmove(&u->nodes[i + 1], &u->nodes[i], (u->nnodes - i) * sizeof(*u->nodes));
		u->nodes[i].name = xstrdup(name);
		u->nnodes++;
	}
	u->nodes[i].support = userns_node_support(node);
}

static void
node_remove(struct syncd_userns *u, const cJSON *node)
{
	const char *name = js(jget(node, "metadata", "name", NULL));
	bool found;
	size_t i;

	if (!name)
		return;
	i = node_slot(u, name, &found);
	if (!found)
		return;
	free(u->nodes[i].name);
	memmove(&u->nodes[i], &u->nodes[i + 1], (u->nnodes - i - 1) * sizeof(*u->nodes));
	u->nnodes--;
}

static bool
all_nodes_support(const struct syncd_userns *u)
{
	size_t i;

	for (i = 0; i < u->nnodes; i++)
		if (u->nodes[i].support != USERNS_NODE_YES)
			return false;
	return u->nnodes > 0;
}

/*
 * Does the API server keep hostUsers: false? Asked once per (re)connect and
 * re-list, before 1.33 only, with a StatefulSet the server validates and
 * answers but does not store (dryRun=All): the agent may create
 * StatefulSets, and the server drops disabled fields from their templates
 * as from pods. 1 kept, 0 dropped, -1 no answer (the nodes are trusted).
 */
static int
probe_apiserver(struct syncd *sd)
{
	static const char body[] =
		"{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\","
		"\"metadata\":{\"generateName\":\"corral-userns-probe-\"},"
		"\"spec\":{\"replicas\":0,\"serviceName\":\"corral-userns-probe\","
		"\"selector\":{\"matchLabels\":{\"corral.dev/probe\":\"userns\"}},"
		"\"template\":{\"metadata\":{\"labels\":{\"corral.dev/probe\":\"userns\"}},"
		"\"spec\":{\"hostUsers\":false,\"automountServiceAccountToken\":false,"
		"\"containers\":[{\"name\":\"probe\",\"image\":\"corral-userns-probe\"}]}}}}";
	_cleanup_free_ char *path =
		kube_path("apps/v1", sd->settings->namespace, "statefulsets", NULL);
	_cleanup_error_ struct pct_error *err = NULL;
	cJSON *resp = NULL;
	long status = 0;
	int kept;

	if (kube_request(sd->kube, "POST", path, "dryRun=All&fieldManager=" CORRAL_FIELD_MANAGER,
			 "application/json", body, &status, &resp, &err) < 0 ||
	    status != 201) {
		_cleanup_free_ char *msg =
			err ? xstrdup(err->msg) : kube_status_message(status, resp);

		syncd_log(sd, "cannot ask the API server whether it keeps hostUsers (a dry run: %s); trusting the nodes",
			  msg);
		cJSON_Delete(resp);
		return -1;
	}
	kept = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(resp, "spec"), "template"),
			"spec"),
		"hostUsers"));
	cJSON_Delete(resp);
	return kept;
}

/*
 * Decide again from what is known; log the decision when its text changed
 * (say: not while connecting, where syncd_userns_log() follows the
 * "connected" line) and look at every CT again after a change.
 */
static void
decide(struct syncd *sd, bool say)
{
	struct syncd_userns *u = &sd->userns;
	struct userns_facts f = {
		.setting = sd->settings->user_namespaces,
		.cluster = sd->kube_mode,
		.forbidden = u->forbidden,
		.apiserver = -1,
	};
	bool use, first = !u->why, changed;
	char *why = NULL;
	size_t i;

	if (from_nodes(sd) && !u->probed && u->minor < 33 && all_nodes_support(u)) {
		u->apiserver = probe_apiserver(sd);
		u->probed = true;
	}
	f.apiserver = u->apiserver;
	f.nodes = u->nnodes;
	for (i = 0; i < u->nnodes; i++) {
		if (u->nodes[i].support == USERNS_NODE_YES) {
			f.supporting++;
		} else if (!f.without) {
			f.without = u->nodes[i].name;
			f.without_why = u->nodes[i].support;
		}
	}
	use = userns_decide(&f, &why);
	if (!first && use == sd->caps.user_namespaces && !strcmp(why, u->why)) {
		free(why);
		return;
	}
	changed = !first && use != sd->caps.user_namespaces;
	sd->caps.user_namespaces = use;
	free(u->why);
	u->why = why;
	if (say)
		syncd_userns_log(sd);
	if (changed)
		syncd_log(sd, "the pod templates of unprivileged CTs change: running ones wait for a restart (pct reboot)");
	/* their templates or their status change */
	if (!first)
		for (i = 0; i < sd->ncts; i++)
			sd->cts[i].dirty = true;
}

void
syncd_userns_log(struct syncd *sd)
{
	struct syncd_userns *u = &sd->userns;
	_cleanup_free_ char *line = NULL;

	if (!u->why)
		return;
	line = xasprintf("user namespaces for unprivileged CTs: %s, %s",
			 sd->caps.user_namespaces ? "yes" : "no", u->why);
	if (u->logged && !strcmp(u->logged, line))
		return;
	syncd_log(sd, "%s", line);
	free(u->logged);
	u->logged = steal_ptr(line);
}

/*
 * List every node into a fresh table. 403 is no error: the agent may not
 * read the nodes, so there are no user namespaces (u->forbidden says why).
 */
static int
list_nodes(struct syncd *sd, struct pct_error **err)
{
	struct syncd_userns *u = &sd->userns;
	struct syncd_userns fresh = { 0 };
	char *token = NULL, *version = NULL;
	int ret = 0, restarts = 0;

	for (;;) {
		cJSON *page = NULL, *items, *it;
		const cJSON *md, *v;

		ret = kube_list_page(sd->kube, NODES_PATH, NULL, NODES_PAGE, token, &page, err);
		if (ret < 0 && token && restarts++ < 3 &&
		    pct_error_consume(err, KUBE_E_STATUS(410))) {
			/* the continue token expired: start again */
			nodes_clear(&fresh);
			free(token);
			free(version);
			token = version = NULL;
			continue;
		}
		if (ret < 0)
			break;
		items = cJSON_GetObjectItemCaseSensitive(page, "items");
		cJSON_ArrayForEach(it, items)
			node_put(&fresh, it);
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
	free(token);
	if (ret < 0 && (*err)->code == KUBE_E_STATUS(403)) {
		nodes_clear(&fresh);
		nodes_clear(u);
		free(version);
		free(u->forbidden);
		u->forbidden = xstrdup((*err)->msg);
		pct_error_free(err);
		u->listed = false;
		return 0;
	}
	if (ret < 0) {
		nodes_clear(&fresh);
		free(version);
		return ret;
	}
	free(u->forbidden);
	u->forbidden = NULL;
	nodes_clear(u);
	u->nodes = fresh.nodes;
	u->nnodes = fresh.nnodes;
	u->anodes = fresh.anodes;
	free(u->resource_version);
	u->resource_version = version;
	u->listed = true;
	/* a re-list may follow a restart of the API server, with other feature gates */
	u->probed = false;
	u->apiserver = -1;
	return 0;
}

static void
on_node_event(const char *type, const cJSON *obj, void *arg)
{
	struct syncd *sd = arg;
	struct syncd_userns *u = &sd->userns;
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "resourceVersion");

	if (!strcmp(type, "ERROR")) {
		/* 410 Gone and friends: the watch ends; list again */
		u->listed = false;
		return;
	}
	if (cJSON_IsString(rv)) {
		free(u->resource_version);
		u->resource_version = xstrdup(rv->valuestring);
	}
	u->failures = 0;
	if (!strcmp(type, "BOOKMARK"))
		return;
	if (!strcmp(type, "DELETED"))
		node_remove(u, obj);
	else
		node_put(u, obj);
	decide(sd, true);
}

static int
watch_nodes(struct syncd *sd, struct pct_error **err)
{
	struct syncd_userns *u = &sd->userns;

	return kube_watch_start(sd->kube, NODES_PATH, NULL, u->resource_version, on_node_event, sd,
				&u->watch, err);
}

static void
backoff(struct syncd *sd, const char *msg)
{
	struct syncd_userns *u = &sd->userns;
	double delay = pow(2.0, u->failures < 5 ? u->failures : 5);

	if (delay > NODES_BACKOFF_MAX)
		delay = NODES_BACKOFF_MAX;
	u->failures++;
	u->retry_at = syncd_now() + delay;
	syncd_debug(sd, "nodes: %s; retrying in %.0f s", msg, delay);
}

int
syncd_userns_connect(struct syncd *sd, int major, int minor, struct pct_error **err)
{
	struct syncd_userns *u = &sd->userns;
	int ret;

	syncd_userns_stop(sd);
	u->minor = major > 1 ? 1000 : minor;
	u->failures = 0;
	u->retry_at = 0;
	u->nowatch = false;
	if (!from_nodes(sd)) {
		decide(sd, false);
		return 0;
	}
	ret = list_nodes(sd, err);
	if (ret < 0)
		return pct_error_prefix(err, "cannot read the nodes");
	decide(sd, false);
	if (u->listed && !sd->once) {
		ret = watch_nodes(sd, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void
syncd_userns_manifests(struct syncd *sd)
{
	decide(sd, false);
	syncd_userns_log(sd);
}

void
syncd_userns_rewatch(struct syncd *sd)
{
	struct syncd_userns *u = &sd->userns;
	_cleanup_error_ struct pct_error *err = NULL;

	if (!from_nodes(sd) || sd->once || u->forbidden || u->nowatch)
		return;
	if (u->watch && kube_watch_active(u->watch))
		return;
	if (u->watch) {
		const struct pct_error *we = kube_watch_error(u->watch);

		if (!we) {
			/* the server ended the stream (timeoutSeconds): go on from there */
			u->failures = 0;
		} else if (we->code == KUBE_E_STATUS(410)) {
			u->listed = false;
		} else if (we->code == KUBE_E_STATUS(403)) {
			if (!u->nowatch_said)
				syncd_log(sd, "may not watch the nodes (%s); reading them at each resync instead",
					  we->msg);
			u->nowatch = u->nowatch_said = true;
		} else {
			/* lost: the server may have restarted; list again */
			u->listed = false;
			backoff(sd, we->msg);
		}
		kube_watch_stop(u->watch);
		u->watch = NULL;
		if (u->nowatch)
			return;
	}
	if (syncd_now() < u->retry_at)
		return;
	if (!u->listed) {
		if (list_nodes(sd, &err) < 0) {
			backoff(sd, err->msg);
			return;
		}
		decide(sd, true);
		if (u->forbidden)
			return;
	}
	if (watch_nodes(sd, &err) < 0)
		backoff(sd, err->msg);
}

double
syncd_userns_next_retry(const struct syncd *sd)
{
	const struct syncd_userns *u = &sd->userns;

	if (!from_nodes(sd) || sd->once || u->forbidden || u->nowatch ||
	    (u->watch && kube_watch_active(u->watch)))
		return 0;
	return u->retry_at;
}

void
syncd_userns_resync(struct syncd *sd)
{
	struct syncd_userns *u = &sd->userns;

	if (!from_nodes(sd) || sd->once || (!u->forbidden && !u->nowatch))
		return;
	/* one list (and a watch, if it is allowed now) per periodic resync */
	if (u->forbidden) {
		_cleanup_error_ struct pct_error *err = NULL;

		if (list_nodes(sd, &err) < 0) {
			syncd_debug(sd, "nodes: %s", err->msg);
			return;
		}
		decide(sd, true);
		if (u->forbidden)
			return;
	} else {
		u->listed = false;
	}
	u->nowatch = false;
	u->retry_at = 0;
	syncd_userns_rewatch(sd);
}

void
syncd_userns_stop(struct syncd *sd)
{
	if (sd->userns.watch)
		kube_watch_stop(sd->userns.watch);
	sd->userns.watch = NULL;
}

void
syncd_userns_release(struct syncd *sd)
{
	struct syncd_userns *u = &sd->userns;

	syncd_userns_stop(sd);
	nodes_clear(u);
	free(u->why);
	free(u->logged);
	free(u->forbidden);
	free(u->resource_version);
	memset(u, 0, sizeof(*u));
}

void
syncd_userns_status(struct syncd *sd, const struct ct *ct, const cJSON *pod, cJSON *j)
{
	const cJSON *hu;
	int pod_has = -1;
	bool value;
	char *reason;

	if (!ct->rendered || !sd->userns.why)
		return;
	if (pod && !cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "metadata"),
						     "deletionTimestamp")) {
		hu = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "spec"),
						      "hostUsers");
		pod_has = cJSON_IsFalse(hu) ? 1 : 0;
	}
	userns_status(ct->privileged, sd->caps.user_namespaces, sd->userns.why, pod_has,
		      ct->pending_restart, &value, &reason);
	cJSON_AddBoolToObject(j, "userns", value);
	cJSON_AddStringToObject(j, "userns_reason", reason);
	free(reason);
}

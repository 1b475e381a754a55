/*
 * What the cluster says about a CT beyond the phase of its pod: an init
 * container that fails (the guest setup, Proxmox's pre-start hook), an image
 * that cannot be pulled, a sandbox or volume the kubelet cannot set up, a PVC
 * a provisioner has not bound yet, an expansion the storage refused.
 *
 * Most of it is in the status of the pod and the PVCs, which the cache
 * holds. Some of it is only in Events: why a sandbox cannot be created, why
 * a PVC is not bound, why an expansion failed (Kubernetes 1.31 puts nothing
 * in the PVC's status). The agent does not watch Events; it lists those of
 * one object (by kind, name and uid) only when that object has been stuck
 * for a while, and not more often than every few seconds, so a cluster of
 * healthy CTs costs no request at all (doc/architecture.md, "Observing").
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "resize.h"
#include "syncd.h"

/* a pod scheduled but with nothing of it running for this long: read its Events */
#define STUCK_SECONDS 10.0
/* and again this often, while it stays so */
#define STUCK_EVENTS_EVERY 10.0
/* Events of a PVC that an operation or pct resize waits for: this often */
#define PVC_EVENTS_EVERY 2.0
/* ... and, once nobody waits any more (wait-timeout passed), this often */
#define PVC_EVENTS_LATER 60.0
/* an expansion's failure Event may predate the agent's first sight of its request by this */
#define EXPANSION_SKEW 5.0
/* longest text taken from a container's termination message (its log's tail) */
#define MESSAGE_MAX 512

void
syncd_recheck(struct ct *ct, double t)
{
	if (!ct->recheck_at || t < ct->recheck_at)
		ct->recheck_at = t;
}

static void
set_str(char **p, const char *v)
{
	free(*p);
	*p = v ? xstrdup(v) : NULL;
}

/* ---- Events ---- */

/*
 * The Events of one object (core v1, which every kube-apiserver serves), or
 * NULL when they cannot be read: observing is best effort, and a refusal
 * (RBAC without events) is logged once per CT and state.
 */
static cJSON *
events_of(struct syncd *sd, struct ct *ct, const char *kind, const cJSON *obj)
{
	const char *name = js(jget(obj, "metadata", "name", NULL));
	const char *uid = js(jget(obj, "metadata", "uid", NULL));
	_cleanup_free_ char *path = NULL, *sel = NULL;
	_cleanup_error_ struct pct_error *err = NULL;
	cJSON *list = NULL;

	if (!name || sd->dry_run)
		return NULL;
	path = kube_path("v1", sd->settings->namespace, "events", NULL);
	sel = uid ? xasprintf("involvedObject.kind=%s,involvedObject.name=%s,involvedObject.uid=%s",
			      kind, name, uid)
		  : xasprintf("involvedObject.kind=%s,involvedObject.name=%s", kind, name);
	if (kube_list_fields(sd->kube, path, sel, &list, &err) < 0) {
		syncd_log_ct(sd, ct, "CT %u: cannot read the Events of %s %s: %s", ct->vmid, kind,
			     name, err->msg);
		return NULL;
	}
	syncd_debug(sd, "CT %u: read the Events of %s %s", ct->vmid, kind, name);
	return list;
}

/* When an Event last happened, as RFC 3339 text (second resolution compares as text). */
static const char *
event_time(const cJSON *e)
{
	const char *t = js(cJSON_GetObjectItemCaseSensitive(e, "lastTimestamp"));

	if (!t)
		t = js(jget(e, "series", "lastObservedTime", NULL));
	if (!t)
		t = js(cJSON_GetObjectItemCaseSensitive(e, "eventTime"));
	if (!t)
		t = js(jget(e, "metadata", "creationTimestamp", NULL));
	return t ? t : "";
}

static bool
in_list(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/*
 * The newest Event whose reason is in reasons (NULL: any) and, if type is
 * given, of that type. Ties (the same second) go to the later item: the
 * server lists an object's Events by name, which carries their creation time.
 */
static const cJSON *
newest_event(const cJSON *list, const char *const *reasons, const char *type)
{
	const cJSON *e, *best = NULL;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(list, "items"))
	{
		const char *r = js(cJSON_GetObjectItemCaseSensitive(e, "reason"));

		if (reasons && !in_list(r, reasons))
			continue;
		if (type && (!js(cJSON_GetObjectItemCaseSensitive(e, "type")) ||
			     strcmp(js(cJSON_GetObjectItemCaseSensitive(e, "type")), type)))
			continue;
		if (!best || strncmp(event_time(e), event_time(best), 19) >= 0)
			best = e;
	}
	return best;
}

/* When an Event last happened, in seconds since the epoch (0 when unknown). */
static double
event_epoch(const cJSON *e)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(event_time(e), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	return t == (time_t)-1 ? 0 : (double)t;
}

/* "Reason: message" of an Event, on one line */
static char *
event_text(const cJSON *e)
{
	const char *r = js(cJSON_GetObjectItemCaseSensitive(e, "reason"));
	const char *m = js(cJSON_GetObjectItemCaseSensitive(e, "message"));
	_cleanup_free_ char *flat = m ? pct_flatten(m) : NULL;

	return xasprintf("%s%s%s", r ? r : "Event", flat ? ": " : "", flat ? flat : "");
}

/* ---- containers ---- */

/* A container's message on one line, its tail when it is long (a log's last lines). */
static char *
one_line(const char *m)
{
	_cleanup_free_ char *flat = pct_flatten(m);
	size_t n = strlen(flat);

	if (n <= MESSAGE_MAX)
		return steal_ptr(flat);
	return xasprintf("...%s", flat + n - MESSAGE_MAX);
}

/*
 * Why one container does not run, in words, or NULL: waiting for a reason
 * other than its turn (ContainerCreating, PodInitializing), or ended with an
 * error. An init container that ends with an error ends the start, as
 * Proxmox's pre-start hook does: the first failure says so (the kubelet
 * would only retry it, in CrashLoopBackOff). Its message is the termination
 * message (the agent asks for the log's tail, FallbackToLogsOnError), else
 * the kubelet's.
 */
static char *
container_problem(const cJSON *c, bool init)
{
	const char *name = js(cJSON_GetObjectItemCaseSensitive(c, "name"));
	const cJSON *w = jget(c, "state", "waiting", NULL);
	const cJSON *t = jget(c, "state", "terminated", NULL);
	const cJSON *last = jget(c, "lastState", "terminated", NULL);
	const char *what = init ? "init container" : "container";
	const char *r, *m, *tr, *tm;
	const cJSON *code, *term;
	struct strbuf sb = STRBUF_INIT;

	if (!name)
		name = "?";
	if (w) {
		r = js(cJSON_GetObjectItemCaseSensitive(w, "reason"));
		m = js(cJSON_GetObjectItemCaseSensitive(w, "message"));
		if (!r || !strcmp(r, "ContainerCreating") || !strcmp(r, "PodInitializing"))
			return NULL;
		if (!strcmp(r, "ImagePullBackOff") || !strcmp(r, "ErrImagePull") ||
		    !strcmp(r, "InvalidImageName")) {
			if (!init && !strcmp(name, "ct"))
				return xasprintf("the image cannot be pulled (%s)%s%s", r,
						 m ? ": " : "", m ? m : "");
			return xasprintf("the image of %s '%s' cannot be pulled (%s)%s%s", what,
					 name, r, m ? ": " : "", m ? m : "");
		}
		if (strcmp(r, "CrashLoopBackOff") != 0 || !last)
			return xasprintf("%s '%s' cannot start (%s)%s%s", what, name, r,
					 m ? ": " : "", m ? m : "");
		term = last; /* back-off after a failure: the failure says why */
	} else if (t) {
		code = cJSON_GetObjectItemCaseSensitive(t, "exitCode");
		if (!init || !cJSON_IsNumber(code) || code->valueint == 0)
			return NULL; /* a CT's own exit is the pod's phase (observe) */
		r = NULL;
		m = NULL;
		term = t;
	} else {
		return NULL;
	}
	tr = js(cJSON_GetObjectItemCaseSensitive(term, "reason"));
	tm = js(cJSON_GetObjectItemCaseSensitive(term, "message"));
	code = cJSON_GetObjectItemCaseSensitive(term, "exitCode");
	/* "(CrashLoopBackOff, exit code 1)", "(Error, exit code 1)", "(OOMKilled, exit code 137)" */
	strbuf_addf(&sb, "%s '%s' failed (%s", what, name, r ? r : "");
	if (tr && (!r || strcmp(tr, "Error") != 0))
		strbuf_addf(&sb, "%s%s", r ? ", " : "", tr);
	if (cJSON_IsNumber(code))
		strbuf_addf(&sb, "%sexit code %d", r || tr ? ", " : "", code->valueint);
	strbuf_addch(&sb, ')');
	if (tm && *tm) {
		_cleanup_free_ char *line = one_line(tm);

		if (*line)
			strbuf_addf(&sb, ": %s", line);
	} else if (m) {
		strbuf_addf(&sb, ": %s", m);
	}
	return strbuf_detach(&sb, NULL);
}

/* The first container that says why the pod does not run: init containers first, in order. */
static char *
containers_problem(const cJSON *pod)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, jget(pod, "status", "initContainerStatuses", NULL))
	{
		char *why = container_problem(c, true);

		if (why)
			return why;
	}
	cJSON_ArrayForEach(c, jget(pod, "status", "containerStatuses", NULL))
	{
		char *why = container_problem(c, false);

		if (why)
			return why;
	}
	return NULL;
}

/* ---- a pod stuck before anything of it runs: its sandbox, its volumes ---- */

static const cJSON *
condition(const cJSON *obj, const char *type)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, jget(obj, "status", "conditions", NULL))
	{
		const char *t = js(cJSON_GetObjectItemCaseSensitive(c, "type"));

		if (t && !strcmp(t, type))
			return c;
	}
	return NULL;
}

static bool
condition_is(const cJSON *obj, const char *type, const char *status)
{
	const char *s = js(cJSON_GetObjectItemCaseSensitive(condition(obj, type), "status"));

	return s && !strcmp(s, status);
}

static bool
started(const cJSON *statuses)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, statuses)
	{
		if (jget(c, "state", "running", NULL) || jget(c, "state", "terminated", NULL) ||
		    jget(c, "lastState", "terminated", NULL))
			return true;
	}
	return false;
}

/* Scheduled, Pending, and not one of its containers ever ran. */
static bool
pod_stuck(const cJSON *pod)
{
	const char *phase = js(jget(pod, "status", "phase", NULL));

	return phase && !strcmp(phase, "Pending") && condition_is(pod, "PodScheduled", "True") &&
	       !started(jget(pod, "status", "initContainerStatuses", NULL)) &&
	       !started(jget(pod, "status", "containerStatuses", NULL));
}

/*
 * The kubelet's word on a pod that stays stuck: the newest of its Events
 * about setting the pod up, when that is a failure (a later "Pulling" or
 * "Started" means it got past it).
 */
static char *
stuck_problem(const cJSON *events)
{
	static const char *const reasons[] = { "FailedCreatePodSandBox", "FailedMount",
					       "FailedAttachVolume", "FailedMapVolume",
					       "Pulling", "Pulled", "Created", "Started", NULL };
	const cJSON *e = newest_event(events, reasons, NULL);
	const char *r = e ? js(cJSON_GetObjectItemCaseSensitive(e, "reason")) : NULL;
	const char *m = e ? js(cJSON_GetObjectItemCaseSensitive(e, "message")) : NULL;
	_cleanup_free_ char *flat = m ? pct_flatten(m) : NULL;

	if (!r || strncmp(r, "Failed", 6) != 0)
		return NULL;
	if (!strcmp(r, "FailedCreatePodSandBox"))
		return xasprintf("the pod's sandbox cannot be created (%s)%s%s", r,
				 flat ? ": " : "", flat ? flat : "");
	return xasprintf("the pod's volumes cannot be set up (%s)%s%s", r, flat ? ": " : "",
			 flat ? flat : "");
}

static char *
sandbox_problem(struct syncd *sd, struct ct *ct, const cJSON *pod, bool want_running)
{
	const char *uid = pod ? js(jget(pod, "metadata", "uid", NULL)) : NULL;
	double now = syncd_now();

	if (!want_running || !uid || !pod_stuck(pod)) {
		set_str(&ct->stuck_uid, NULL);
		set_str(&ct->stuck_reason, NULL);
		return NULL;
	}
	if (!ct->stuck_uid || strcmp(ct->stuck_uid, uid) != 0) {
		set_str(&ct->stuck_uid, uid);
		set_str(&ct->stuck_reason, NULL);
		ct->stuck_since = now;
		ct->stuck_events_at = now + STUCK_SECONDS;
	}
	if (now >= ct->stuck_events_at) {
		cJSON *events = events_of(sd, ct, "Pod", pod);

		free(ct->stuck_reason);
		ct->stuck_reason = events ? stuck_problem(events) : NULL;
		cJSON_Delete(events);
		ct->stuck_events_at = now + STUCK_EVENTS_EVERY;
	}
	syncd_recheck(ct, ct->stuck_events_at);
	return ct->stuck_reason ? xstrdup(ct->stuck_reason) : NULL;
}

/* ---- PVCs: binding, expansion ---- */

/* what the agent keeps for one PVC (ct->volwatch) */
static cJSON *
volwatch(struct ct *ct, const cJSON *pvc)
{
	const char *name = js(jget(pvc, "metadata", "name", NULL));
	const char *uid = js(jget(pvc, "metadata", "uid", NULL));
	cJSON *w;

	if (!ct->volwatch)
		ct->volwatch = cJSON_CreateObject();
	w = cJSON_GetObjectItemCaseSensitive(ct->volwatch, name ? name : "");
	if (w && uid && js(cJSON_GetObjectItemCaseSensitive(w, "uid")) &&
	    strcmp(js(cJSON_GetObjectItemCaseSensitive(w, "uid")), uid) != 0) {
		cJSON_DeleteItemFromObjectCaseSensitive(ct->volwatch, name);
		w = NULL; /* another PVC of that name */
	}
	if (!w) {
		w = cJSON_AddObjectToObject(ct->volwatch, name ? name : "");
		cJSON_AddStringToObject(w, "uid", uid ? uid : "");
	}
	return w;
}

static double
wnum(const cJSON *w, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(w, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void
wset_num(cJSON *w, const char *key, double v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(w, key);
	cJSON_AddNumberToObject(w, key, v);
}

static void
wset_str(cJSON *w, const char *key, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(w, key);
	if (v)
		cJSON_AddStringToObject(w, key, v);
}

static bool
pvc_bound(const cJSON *pvc)
{
	const char *phase = js(jget(pvc, "status", "phase", NULL));

	return phase && !strcmp(phase, "Bound");
}

/*
 * Read the Events of a Pending PVC (at most every PVC_EVENTS_EVERY seconds)
 * and keep what they say in its volwatch entry: "bind" (the newest Event,
 * the Warnings first) and "wffc" (its StorageClass binds at the first
 * consumer: nothing to wait for before the CT starts).
 */
static cJSON *
pending_pvc(struct syncd *sd, struct ct *ct, const cJSON *pvc)
{
	static const char *const wffc[] = { "WaitForFirstConsumer", NULL };
	cJSON *w = volwatch(ct, pvc);
	double now = syncd_now();
	cJSON *events;

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "wffc")))
		return w;
	if (wnum(w, "bind_next") > now) {
		syncd_recheck(ct, wnum(w, "bind_next"));
		return w;
	}
	wset_num(w, "bind_next", now + PVC_EVENTS_EVERY);
	syncd_recheck(ct, now + PVC_EVENTS_EVERY);
	events = events_of(sd, ct, "PersistentVolumeClaim", pvc);
	if (events) {
		const cJSON *e = newest_event(events, NULL, "Warning");
		const cJSON *last = newest_event(events, NULL, NULL);
		_cleanup_free_ char *text = NULL;

		if (!e)
			e = last;
		text = e ? event_text(e) : NULL;
		wset_str(w, "bind", text);
		if (last && last == newest_event(events, wffc, NULL))
			cJSON_AddTrueToObject(w, "wffc");
	}
	cJSON_Delete(events);
	return w;
}

int
syncd_pvc_ready(struct syncd *sd, struct ct *ct, const cJSON *pvc, char **why)
{
	cJSON *w;

	if (why)
		*why = NULL;
	if (!pvc || jget(pvc, "metadata", "deletionTimestamp", NULL))
		return 0;
	if (pvc_bound(pvc))
		return 1;
	w = pending_pvc(sd, ct, pvc);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "wffc")))
		return 1;
	if (why && js(cJSON_GetObjectItemCaseSensitive(w, "bind")))
		*why = xstrdup(js(cJSON_GetObjectItemCaseSensitive(w, "bind")));
	return 0;
}

/*
 * The pod is not scheduled. While a claim it mounts is Pending (being
 * provisioned; the scheduler says "pod has unbound immediate
 * PersistentVolumeClaims" until it is bound), that is no failure: the agent
 * waits up to bind-timeout, then says which PVC and what its Events say.
 * The scheduler's word can lag: the claims may be bound already while the
 * pod still says so, until the scheduler tries it again (on a real cluster
 * the agent often sees the claims bound first). So a message about the
 * claims is waited for too, and after bind-timeout reported as it is.
 */
static char *
unbound_claims(struct syncd *sd, struct ct *ct, const cJSON *pod, const char *msg,
	       bool *waiting)
{
	const cJSON *v, *first = NULL;
	size_t pending = 0;
	double now = syncd_now();

	cJSON_ArrayForEach(v, jget(pod, "spec", "volumes", NULL))
	{
		const char *claim = js(jget(v, "persistentVolumeClaim", "claimName", NULL));
		const cJSON *pvc = claim ? syncd_cache_get(sd, KIND_PVC, claim) : NULL;

		if (!pvc || jget(pvc, "metadata", "deletionTimestamp", NULL) || pvc_bound(pvc))
			continue;
		if (!first)
			first = pvc;
		pending++;
	}
	if (!pending && !(msg && strcasestr(msg, "PersistentVolumeClaim"))) {
		ct->bind_since = 0;
		set_str(&ct->bind_error, NULL);
		return NULL;
	}
	if (!ct->bind_since)
		ct->bind_since = now;
	if (now < ct->bind_since + (double)sd->settings->bind_timeout) {
		*waiting = true;
		syncd_recheck(ct, ct->bind_since + (double)sd->settings->bind_timeout);
		return NULL;
	}
	if (!pending)
		return NULL; /* bound, and still not scheduled: the scheduler's word */
	if (!ct->bind_error) {
		/* once: the Events of the first PVC that waits */
		cJSON *events = events_of(sd, ct, "PersistentVolumeClaim", first);
		const cJSON *e = newest_event(events, NULL, "Warning");
		_cleanup_free_ char *text = NULL;

		if (!e)
			e = newest_event(events, NULL, NULL);
		text = e ? event_text(e) : xstrdup("no Event says why");
		wset_str(volwatch(ct, first), "bind", text);
		ct->bind_error = xasprintf("PVC %s is not bound after %ld s (%s)%s",
					   js(jget(first, "metadata", "name", NULL)),
					   sd->settings->bind_timeout, text,
					   pending > 1 ? "; other PVCs of the CT wait too" : "");
		cJSON_Delete(events);
	}
	return xstrdup(ct->bind_error);
}

char *
syncd_observe_pod(struct syncd *sd, struct ct *ct, const cJSON *pod, bool want_running,
		  bool *waiting)
{
	const cJSON *sched;
	char *why;

	*waiting = false;
	if (!pod) {
		sandbox_problem(sd, ct, NULL, false);
		ct->bind_since = 0;
		set_str(&ct->bind_error, NULL);
		return NULL;
	}
	why = containers_problem(pod);
	if (why) {
		sandbox_problem(sd, ct, pod, false);
		return why;
	}
	sched = condition(pod, "PodScheduled");
	if (condition_is(pod, "PodScheduled", "False")) {
		const char *r = js(cJSON_GetObjectItemCaseSensitive(sched, "reason"));
		const char *m = js(cJSON_GetObjectItemCaseSensitive(sched, "message"));

		sandbox_problem(sd, ct, pod, false);
		if (want_running) {
			why = unbound_claims(sd, ct, pod, m, waiting);
			if (why || *waiting)
				return why;
		}
		return xasprintf("the pod cannot be scheduled (%s)%s%s", r ? r : "Unschedulable",
				 m ? ": " : "", m ? m : "");
	}
	ct->bind_since = 0;
	set_str(&ct->bind_error, NULL);
	return sandbox_problem(sd, ct, pod, want_running);
}

/* ---- expansion ---- */

static unsigned long long
quantity_bytes(const char *s)
{
	long double v;

	if (!s || !resize_quantity(s, &v) || v < 0)
		return 0;
	return (unsigned long long)v;
}

/*
 * A failed expansion of a PVC whose request is above its capacity: the
 * status says so from Kubernetes 1.32 (RecoverVolumeExpansionFailure: the
 * conditions ControllerResizeError or NodeResizeError, a status
 * ...ResizeInfeasible); on 1.31 only a Warning Event VolumeResizeFailed
 * does. Its repeats are not a clock: the recorder's spam filter drops most
 * of them once an object had many Events (a real 1.31 cluster showed the
 * failure last 25 minutes before the resizer's latest "Resizing"), so any
 * such Event counts that is not older than the request as the agent first
 * saw it (or, for a request found at the agent's start, any at all).
 */
static void
watch_expansion(struct syncd *sd, struct ct *ct, const cJSON *pvc)
{
	static const char *const failed[] = { "VolumeResizeFailed", NULL };
	const char *name = js(jget(pvc, "metadata", "name", NULL));
	const char *req = js(jget(jget(pvc, "spec", "resources", "requests"), "storage", NULL, NULL));
	const char *cap = js(jget(pvc, "status", "capacity", "storage"));
	const char *alloc = js(jget(pvc, "status", "allocatedResourceStatuses", "storage"));
	const cJSON *c;
	cJSON *w;
	_cleanup_free_ char *error = NULL;
	double now = syncd_now();

	if (!name || !req || !cap || !pvc_bound(pvc) ||
	    quantity_bytes(req) <= quantity_bytes(cap) ||
	    condition_is(pvc, "FileSystemResizePending", "True")) {
		/* nothing asked, done, or the storage's part done (the node's follows) */
		w = ct->volwatch ? cJSON_GetObjectItemCaseSensitive(ct->volwatch, name ? name : "")
				 : NULL;
		if (w) {
			cJSON_DeleteItemFromObjectCaseSensitive(w, "request");
			cJSON_DeleteItemFromObjectCaseSensitive(w, "resize_error");
			cJSON_DeleteItemFromObjectCaseSensitive(w, "resize_since");
			cJSON_DeleteItemFromObjectCaseSensitive(w, "resize_next");
		}
		return;
	}
	w = volwatch(ct, pvc);
	if (!js(cJSON_GetObjectItemCaseSensitive(w, "request")) ||
	    strcmp(js(cJSON_GetObjectItemCaseSensitive(w, "request")), req) != 0) {
		wset_str(w, "request", req);
		wset_str(w, "resize_error", NULL);
		wset_num(w, "resize_since", now);
		wset_num(w, "resize_next", now);
		/* a request found at the agent's start: made at any time before */
		wset_num(w, "resize_wall", sd->passes ? (double)time(NULL) : 0);
	}
	cJSON_ArrayForEach(c, jget(pvc, "status", "conditions", NULL))
	{
		const char *t = js(cJSON_GetObjectItemCaseSensitive(c, "type"));
		const char *m = js(cJSON_GetObjectItemCaseSensitive(c, "message"));

		if (t && (!strcmp(t, "ControllerResizeError") || !strcmp(t, "NodeResizeError")) &&
		    condition_is(pvc, t, "True") && !error)
			error = xasprintf("%s%s%s", t, m ? ": " : "", m ? m : "");
	}
	if (!error && !js(cJSON_GetObjectItemCaseSensitive(w, "resize_error")) &&
	    now >= wnum(w, "resize_next")) {
		cJSON *events = events_of(sd, ct, "PersistentVolumeClaim", pvc);
		const cJSON *e = newest_event(events, failed, "Warning");

		/* not one about an earlier request (EXPANSION_SKEW: the clocks of two hosts) */
		if (e && event_epoch(e) + EXPANSION_SKEW >= wnum(w, "resize_wall"))
			error = event_text(e);
		else if (alloc && strstr(alloc, "Infeasible"))
			error = xstrdup(alloc);
		cJSON_Delete(events);
		wset_num(w, "resize_next",
			 now + (now - wnum(w, "resize_since") < (double)sd->settings->wait_timeout
					? PVC_EVENTS_EVERY
					: PVC_EVENTS_LATER));
	}
	if (error) {
		_cleanup_free_ char *msg = xasprintf("expansion to %s failed: %s", req, error);

		if (!js(cJSON_GetObjectItemCaseSensitive(w, "resize_error")) ||
		    strcmp(js(cJSON_GetObjectItemCaseSensitive(w, "resize_error")), msg) != 0)
			wset_str(w, "resize_error", msg);
		syncd_log_ct(sd, ct, "CT %u: PVC %s: %s", ct->vmid, name, msg);
	} else if (!js(cJSON_GetObjectItemCaseSensitive(w, "resize_error")) &&
		   now - wnum(w, "resize_since") < (double)sd->settings->wait_timeout) {
		/* pct resize waits for the answer: look again soon */
		syncd_recheck(ct, wnum(w, "resize_next"));
	}
}

void
syncd_observe_volumes(struct syncd *sd, struct ct *ct)
{
	const cJSON **objs;
	size_t n, i;

	if (!sd->kube_mode)
		return;
	n = syncd_cache_of_ct(sd, KIND_PVC, ct->vmid, &objs);
	for (i = 0; i < n; i++)
		watch_expansion(sd, ct, objs[i]);
	/* forget the PVCs that are gone */
	if (ct->volwatch) {
		cJSON *w = ct->volwatch->child, *next;

		for (; w; w = next) {
			next = w->next;
			if (!syncd_cache_get(sd, KIND_PVC, w->string))
				cJSON_Delete(cJSON_DetachItemViaPointer(ct->volwatch, w));
		}
	}
	free(objs);
}

const char *
syncd_volume_resize_error(const struct ct *ct, const char *pvc)
{
	const cJSON *w = ct->volwatch ? cJSON_GetObjectItemCaseSensitive(ct->volwatch, pvc) : NULL;

	return js(cJSON_GetObjectItemCaseSensitive(w, "resize_error"));
}

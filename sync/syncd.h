/*
 * corral-syncd internals: the agent state shared by its files.
 *
 *   syncd.c      main, options, the event loop (inotify + API watches + timers)
 *   watch.c      inotify on the config and state directories (libinotifytools)
 *   cache.c      an informer-style cache of our objects, filled by LIST+WATCH
 *   reconcile.c  one level-triggered pass per CT: file -> desired -> diff -> apply
 *   manifests.c  the no-cluster output: one YAML file per CT (libyaml)
 *   status.c     CORRAL_RUNDIR/ct/<vmid>.status and the heartbeat
 *   desired.c    the pure mapping of a config to Kubernetes objects
 *   nodes.c      user namespaces for unprivileged CTs, from the nodes (userns.c: pure)
 *   resize.c     in-place pod resize, the pure parts; podresize.c sends it
 */
#ifndef SYNCD_H
#define SYNCD_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <time.h>

#include "desired.h"
#include "jget.h"
#include "kube.h"
#include "pctconf.h"
#include "settings.h"

/* Kinds we manage, in apply order. */
enum syncd_kind {
	KIND_PVC,
	KIND_CONFIGMAP,
	KIND_SECRET,
	KIND_SERVICE,
	KIND_STATEFULSET,
	KIND_POD,	     /* observed only */
	KIND_VOLUMESNAPSHOT, /* only when the cluster serves snapshot.storage.k8s.io/v1 */
	KIND_MAX,
};

struct kind_info {
	const char *kind;
	const char *group_version;
	const char *resource;
};
extern const struct kind_info syncd_kinds[KIND_MAX];
enum syncd_kind syncd_kind_of(const char *kind);

/* The cache of one kind: name -> object, kept current by LIST + WATCH. */
struct cache_index;
struct cache_kind {
	struct cache_index *index; /* by name, and by CT (the ctid label); NULL: none */
	char *resource_version;
	struct kube_watch *watch;
	bool listed;
	unsigned failures; /* consecutive failed watches or lists, for backoff */
	bool list_failed;  /* a list failed since the last one that worked */
	double retry_at;   /* monotonic seconds: when to list or watch again */
};

/* What the agent knows about one CT. */
struct ct {
	unsigned vmid;
	bool has_file;
	bool dirty;
	char applied_digest[41]; /* config digest of the last successful apply */
	char *applied_hashes;	 /* rendered manifest hash (manifests mode) */
	double generation;	 /* state generation applied */
	unsigned failures;	 /* consecutive failures, for backoff */
	double next_attempt;	 /* monotonic seconds */
	char *error;		 /* the last error, for status */
	char **logged;		 /* messages logged at the CT's previous pass (no log floods) */
	size_t nlogged;
	char **logged_now;	 /* messages of the current pass */
	size_t nlogged_now;
	char *power;		 /* desired: running | stopped */
	bool refused;
	bool invalid;		 /* the file does not validate: last good state kept */
	bool pending_restart;
	char last_status[41];	 /* SHA-1 of the last status file text written, or "" */
	char *restart_done;	 /* the last reboot request handled (survives agent restarts) */
	bool status_loaded;	 /* restart_done was read back from the status file */
	bool destroyed;		 /* pct destroy: every object and PVC is gone */
	cJSON *ops;		 /* outcomes of storage operations: id -> {state, error} */
	cJSON *op_started;	 /* id -> wall-clock start, for timeouts */
	char *resize_error;	 /* why the server refused to resize the pod in place */
	char *resize_refused;	 /* the refused patch and pod: not sent again */
	bool rendered;		 /* its objects were computed once: privileged is known */
	bool privileged;	 /* unprivileged: 0 (never a user namespace) */
	/* observe.c: what only the agent's clock or the cluster's Events tell */
	double recheck_at;	 /* monotonic: look at the CT again then, though nothing changed */
	char *stuck_uid;	 /* the pod seen scheduled with nothing of it running yet */
	double stuck_since;	 /* monotonic, since when */
	double stuck_events_at;	 /* when its Events may be read (again) */
	char *stuck_reason;	 /* what they said */
	double bind_since;	 /* monotonic: the pod waits for a PVC to be bound since then */
	char *bind_error;	 /* why it waited too long (made once) */
	cJSON *volwatch;	 /* PVC name -> what the agent watches for it (binding, expansion) */
	char *start_failed;	 /* why the last start failed (shown while the CT stays stopped) */
	double start_failed_gen; /* the generation of that start */
	char *deleted_pod_uid;	 /* the pod the agent deleted (stop, reboot): no longer the CT's */
	double destroy_wait_since; /* monotonic: pct destroy waits for the pod to go since then */
};

/* nodes.c: whether unprivileged CTs get a user namespace of their own. */
struct userns_node_info;
struct syncd_userns {
	char *why;	   /* the reason of the decision (caps.user_namespaces), in words */
	char *logged;	   /* the last decision logged */
	struct userns_node_info *nodes; /* name and support of every node, by name */
	size_t nnodes, anodes;
	char *forbidden;   /* the agent may not list the nodes: the server's message */
	bool nowatch;	   /* it may list but not watch them: listed at each resync */
	bool nowatch_said;
	int minor;	   /* the server's minor version (1000 past 1.x) */
	int apiserver;	   /* the dry run: 1 kept hostUsers, 0 dropped it, -1 not asked */
	bool probed;
	char *resource_version;
	struct kube_watch *watch;
	bool listed;
	unsigned failures; /* consecutive failed watches or lists, for backoff */
	double retry_at;   /* monotonic seconds */
};

struct syncd {
	struct corral_settings *settings;
	const char *confdir;
	const char *statedir;
	const char *rundir;
	bool once, dry_run, debug, foreground;
	bool kube_mode;
	struct kube *kube;
	struct desired_caps caps;
	struct syncd_userns userns; /* how caps.user_namespaces was decided */
	bool has_snapshots; /* VolumeSnapshot API present */
	bool has_pod_resize; /* pods/resize subresource present (Kubernetes 1.33+) */
	struct cache_kind cache[KIND_MAX];
	struct ct *cts;
	size_t ncts, acts;
	bool mass_delete_blocked;
	bool api_trouble;	/* lists or watches keep failing: said once, until they work */
	bool allow_mass_delete; /* --allow-mass-delete */
	unsigned long passes;
	bool converged; /* every CT of the last pass is in its desired state */
	volatile int stop;
};

/* Logging: stderr, one line, "corral-syncd: CT <id>: message". */
void syncd_log(struct syncd *sd, const char *fmt, ...) _printf_(2, 3);
void syncd_debug(struct syncd *sd, const char *fmt, ...) _printf_(2, 3);
/*
 * Log for a CT once per change of state: a message the CT's previous pass
 * (or this one) already logged is not repeated, however many messages a pass
 * has. syncd_log_ct_pass() starts a pass.
 */
void syncd_log_ct(struct syncd *sd, struct ct *ct, const char *fmt, ...) _printf_(3, 4);
void syncd_log_ct_pass(struct ct *ct);

struct ct *syncd_ct(struct syncd *sd, unsigned vmid, bool create);
double syncd_now(void);

/* watch.c */
int syncd_watch_init(struct syncd *sd, struct pct_error **err);
int syncd_watch_fd(void);
/* Drain pending inotify events, marking CTs dirty; returns the number seen. */
size_t syncd_watch_drain(struct syncd *sd);
void syncd_watch_close(void);
/*
 * Has the config directory appeared, gone or been replaced since it was
 * watched? Then it is watched again and true is returned: read every config.
 * Call it at every wake-up, and at least every syncd_watch_check_interval()
 * seconds.
 */
bool syncd_watch_check(struct syncd *sd);
double syncd_watch_check_interval(void);
bool syncd_is_conf_name(const char *name, unsigned *vmid);
bool syncd_is_state_name(const char *name, unsigned *vmid);

/* podresize.c */
/*
 * Give the CT's running pod the resources of sts (the desired StatefulSet)
 * through pods/<pod>/resize, when the server has it and they differ. A
 * refusal is kept in ct->resize_error (the change then waits for a restart)
 * and is not a failure; -1 only when the server cannot be reached.
 */
int syncd_resize_pod(struct syncd *sd, struct ct *ct, const cJSON *sts, struct pct_error **err);

/* cache.c */
int syncd_cache_sync(struct syncd *sd, struct pct_error **err);
void syncd_cache_put(struct syncd *sd, enum syncd_kind k, const cJSON *obj);
/* syncd_cache_put of an object the cache then owns (no copy). */
void syncd_cache_take(struct syncd *sd, enum syncd_kind k, cJSON *obj);
/* One watch event (type, object as the server sent it) of kind k into the cache. */
void syncd_cache_event(struct syncd *sd, enum syncd_kind k, const char *type, const cJSON *obj);
void syncd_cache_remove(struct syncd *sd, enum syncd_kind k, const char *name);
/*
 * An object of the cache, by name. The cache stores objects as text and
 * parses one when it is read: the tree stays valid until syncd_cache_trim()
 * or until the object is replaced or removed (a watch event, an apply).
 */
const cJSON *syncd_cache_get(struct syncd *sd, enum syncd_kind k, const char *name);
/* The objects of kind k labelled with this CT (sorted by name; free the array). */
size_t syncd_cache_of_ct(struct syncd *sd, enum syncd_kind k, unsigned vmid, const cJSON ***out);
/* Drop the trees readers were given: between CTs, and once per loop. */
void syncd_cache_trim(struct syncd *sd);
size_t syncd_cache_count(const struct syncd *sd, enum syncd_kind k);
/* fn(sd, name, vmid (0: no ctid label), arg) for every object of kind k, in no order. */
void syncd_cache_each(struct syncd *sd, enum syncd_kind k,
		      void (*fn)(struct syncd *sd, const char *name, unsigned vmid, void *arg),
		      void *arg);
/* An empty cache of kind k, before (or without) its first LIST. */
void syncd_cache_clear(struct syncd *sd, enum syncd_kind k);
void syncd_cache_release(struct syncd *sd);
/*
 * Restart ended watches, with a fresh LIST where the cache may be stale (the
 * connection was lost: the server may have restarted; 410 Gone). Failures
 * back off per kind and are logged, once per outage.
 */
void syncd_cache_rewatch(struct syncd *sd);
/* When syncd_cache_rewatch() has something to retry (monotonic), or 0. */
double syncd_cache_next_retry(const struct syncd *sd);
/* Ask discovery again whether VolumeSnapshots are served; follow a change. */
bool syncd_snapshots_served(struct syncd *sd);

/* nodes.c */
/*
 * Decide at (re)connect: with user-namespaces = auto, list the nodes (and,
 * unless --once, watch them); before 1.33 ask the API server with a dry run
 * whether it keeps hostUsers. A 403 on the nodes is no error (no user
 * namespaces, and why); other API errors are.
 */
int syncd_userns_connect(struct syncd *sd, int major, int minor, struct pct_error **err);
/* output = manifests: decide from corral.conf alone, and say so. */
void syncd_userns_manifests(struct syncd *sd);
/* Log the decision and its reason, when they changed since last logged. */
void syncd_userns_log(struct syncd *sd);
/* Restart the node watch when it ended (with a list where needed, backing off). */
void syncd_userns_rewatch(struct syncd *sd);
/* When syncd_userns_rewatch() has something to retry (monotonic), or 0. */
double syncd_userns_next_retry(const struct syncd *sd);
/* At a periodic resync: list the nodes again if they may not be read or watched. */
void syncd_userns_resync(struct syncd *sd);
/* Stop the node watch (before kube_close(), which frees it). */
void syncd_userns_stop(struct syncd *sd);
void syncd_userns_release(struct syncd *sd);
/* The CT's "userns" and "userns_reason" status fields (pod: its cached pod, or NULL). */
void syncd_userns_status(struct syncd *sd, const struct ct *ct, const cJSON *pod, cJSON *j);

/* reconcile.c */
int syncd_reconcile_all(struct syncd *sd);
int syncd_reconcile_dirty(struct syncd *sd);
int syncd_reconcile_one(struct syncd *sd, struct ct *ct, struct pct_error **err);

/* ops.c */
/* Advance the CT's queued storage operations; *pending when one still runs. */
int syncd_ops_step(struct syncd *sd, struct ct *ct, const struct pctconf *conf, const cJSON *ops,
		   bool *pending, struct pct_error **err);
char *syncd_snap_label(const char *snapname);
char *syncd_vs_name(const char *volid, const char *snapname);
char *syncd_base_vs_name(const char *volid);
void syncd_ct_release(struct ct *ct);

/* observe.c */
/*
 * Why the CT's pod does not run, beyond its phase: an (init) container that
 * failed or cannot be pulled, a sandbox or volume the kubelet cannot set up
 * (Events, read only for a pod stuck a while), a PVC that stays Pending past
 * bind-timeout. NULL when there is nothing to say; *waiting when the pod is
 * unschedulable only because a PVC is being provisioned (not an error yet).
 */
char *syncd_observe_pod(struct syncd *sd, struct ct *ct, const cJSON *pod, bool want_running,
			bool *waiting);
/* Watch the expansions of the CT's PVCs: a failure goes into ct->volwatch. */
void syncd_observe_volumes(struct syncd *sd, struct ct *ct);
/* The failed expansion of a PVC of the CT, or NULL. */
const char *syncd_volume_resize_error(const struct ct *ct, const char *pvc);
/*
 * A PVC an operation created: 1 bound (or waiting for its first consumer: the
 * StorageClass binds at the CT's start), 0 not yet; *why (caller frees, may
 * be NULL) says what its Events say, for a timeout's message.
 */
int syncd_pvc_ready(struct syncd *sd, struct ct *ct, const cJSON *pvc, char **why);
/* Look at the CT again at monotonic time t, though nothing changes. */
void syncd_recheck(struct ct *ct, double t);
/* reconcile.c: the CT's pod is going (deletionTimestamp, or the agent deleted it; ct may be NULL) */
bool syncd_pod_terminating(struct ct *ct, const cJSON *pod);

/* manifests.c */
int syncd_manifest_write(struct syncd *sd, unsigned vmid, const cJSON *objects, bool *changed,
			 struct pct_error **err);
int syncd_manifest_remove(struct syncd *sd, unsigned vmid, struct pct_error **err);
char *syncd_yaml(const cJSON *objects);
char *syncd_yaml_object(const cJSON *object);

/* diff.c: --dry-run output */
/* have cut down to the fields (and list items) want has; NULL for NULL */
cJSON *syncd_project(const cJSON *have, const cJSON *want);
/* A unified diff of two texts (old NULL: the object does not exist yet). */
void syncd_print_diff(FILE *f, const char *title, const char *old_text, const char *new_text);

/* status.c */
void syncd_status_write(struct syncd *sd, struct ct *ct);
void syncd_status_remove(struct syncd *sd, unsigned vmid);
void syncd_heartbeat(struct syncd *sd);
void syncd_heartbeat_remove(struct syncd *sd);

#endif

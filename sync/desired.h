/*
 * The desired Kubernetes objects of one CT, computed from its parsed config
 * by a pure function: no I/O, so it is unit-tested on fixtures.
 */
#ifndef SYNCD_DESIRED_H
#define SYNCD_DESIRED_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "pctconf.h"
#include "settings.h"

#define CORRAL_MANAGED_BY "corral"
#define CORRAL_FIELD_MANAGER "corral-syncd"
#define LABEL_MANAGED_BY "app.kubernetes.io/managed-by"
#define LABEL_CTID "corral.dev/ctid"
#define LABEL_VOLUME "corral.dev/volume"
#define ANN_SPEC_HASH "corral.dev/spec-hash"
#define ANN_VOLID "corral.dev/volid"
#define ANN_DIGEST "corral.dev/config-digest"
/* on the pod template: hash of the keys corral-prestart applies at start */
#define ANN_GUEST_SETUP "corral.dev/guest-setup"

/* What the cluster can do; decided at connect (syncd.c, nodes.c). */
struct desired_caps {
	bool user_namespaces; /* unprivileged CTs get hostUsers: false */
};

struct desired_input {
	const struct pctconf *conf;	    /* the parsed file */
	const char *raw;		    /* its bytes, for the ConfigMap */
	size_t rawlen;
	const struct corral_settings *settings;
	struct desired_caps caps;
	bool running; /* desired power state */
	const char *restart_token; /* changes the pod template to force a new pod (reboot) */
	const char *password_hash;   /* kept by pct create, for the first start */
	const char *authorized_keys; /* idem */
};

/* One volume of the CT (rootfs, mpN, unusedN). */
struct desired_volume {
	char *key;	/* rootfs, mp0, unused3 */
	char *volid;	/* local-lvm:vm-100-disk-0 */
	char *pvc;	/* PVC name */
	unsigned long long size; /* bytes, 0 when unknown */
};

struct desired {
	cJSON *objects;	  /* array of complete objects, PVCs first, StatefulSet last */
	char *refused;	  /* why nothing may be created, or NULL */
	char **warnings;  /* caveats worth a log line */
	size_t nwarnings;
	struct desired_volume *volumes; /* every volume the config references */
	size_t nvolumes;
	bool privileged; /* unprivileged: 0: a privileged pod, never hostUsers: false */
};

int syncd_desired(const struct desired_input *in, struct desired *out, struct pct_error **err);
void desired_release(struct desired *d);

/* PVC name of a volume id: DNS-1123, unique per storage and volume name. */
char *desired_pvc_name(const char *volid);
/* "8G" style bytes as a Kubernetes quantity ("8Gi"). */
char *desired_quantity(unsigned long long bytes);
/* Hash of an object without its hash annotation (sha1 hex of compact JSON). */
void desired_hash(const cJSON *obj, char out[41]);
const char *desired_object_hash(const cJSON *obj);
const char *desired_object_kind(const cJSON *obj);
const char *desired_object_name(const cJSON *obj);

#endif

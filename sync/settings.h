/*
 * /etc/corral/corral.conf (CORRAL_CONFIG), read with libconfuse: the
 * settings shared by pct and corral-syncd. A missing file means the
 * embedded defaults (manifests output, no cluster needed).
 */
#ifndef CORRAL_SETTINGS_H
#define CORRAL_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "pct-error.h"

struct corral_storage {
	char *id;	     /* Proxmox storage id, e.g. local-lvm */
	char *storage_class; /* Kubernetes StorageClass ("" = cluster default) */
	char *snapshot_class;
};

struct corral_template {
	char *name;  /* Proxmox template name, e.g. local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst */
	char *image; /* OCI image reference */
};

struct corral_settings {
	char *path;	/* the file read, or NULL for built-in defaults */
	char *namespace;
	char *output;	/* "kube" or "manifests" */
	char *manifest_dir;
	char *kubeconfig;
	char *context;
	char *kubectl;
	long resync_interval;
	long debounce_ms;
	long request_timeout;
	bool allow_privileged;
	/*
	 * hostUsers: false for unprivileged CTs: 1 yes, 0 no, -1 auto (from
	 * what the nodes report, sync/nodes.c; yes for manifests).
	 */
	int user_namespaces;
	char **bind_roots;
	size_t nbind_roots;
	char *prestart_image;
	char *default_storage;
	char *mac_prefix;
	long wait_timeout; /* seconds pct waits for the agent */
	long snapshot_timeout; /* seconds a VolumeSnapshot may take to become ready */
	long bind_timeout; /* seconds a starting CT's PVCs may stay Pending */
	struct corral_storage *storages;
	size_t nstorages;
	struct corral_template *templates;
	size_t ntemplates;
};

/* Path of the settings file: CORRAL_CONFIG or /etc/corral/corral.conf. */
const char *corral_settings_path(void);
/*
 * Load settings. A missing file gives the defaults; any error names the
 * file, the line and the option ("corral.conf:12: invalid value for option 'output'").
 */
int corral_settings_load(const char *path, struct corral_settings **out, struct pct_error **err);
void corral_settings_free(struct corral_settings *s);
const struct corral_storage *corral_settings_storage(const struct corral_settings *s,
						     const char *id);
const char *corral_settings_template(const struct corral_settings *s, const char *name);
/* Is path below one of the allowed bind-mount roots? */
bool corral_settings_bind_allowed(const struct corral_settings *s, const char *path);

#endif

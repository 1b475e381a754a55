/*
 * In-place resize of a running CT's pod (Kubernetes' pods/resize
 * subresource, KEP-1287): the pure parts, unit-tested on fixtures.
 *
 * A StatefulSet with updateStrategy OnDelete leaves its pod alone when the
 * template changes, so a new memory or CPU value reaches a running CT only
 * through the resize subresource. These functions compare container
 * resources as the API server does (quantities by value, a missing request
 * defaulted from its limit), build the patch that carries the template's
 * resources to the pod, and judge whether a pod still waits for a restart.
 */
#ifndef SYNCD_RESIZE_H
#define SYNCD_RESIZE_H

#include <cjson/cJSON.h>
#include <stdbool.h>

/* Pod template annotation: hash of the template without container resources. */
#define ANN_RESTART_HASH "corral.dev/restart-hash"
/* The CT's container in the pod. */
#define RESIZE_CONTAINER "ct"

/*
 * A quantity ("512Mi", "1.5", "250m", "1e3") as a number; false when the
 * text is not a quantity.
 */
bool resize_quantity(const char *s, long double *out);
/* The resources object of the named container of a pod spec, or NULL. */
const cJSON *resize_container_resources(const cJSON *podspec, const char *name);
/*
 * Same cpu and memory requests and limits, as the API server sees them: a
 * missing request counts as its limit, "1Gi" equals "1024Mi".
 */
bool resize_resources_equal(const cJSON *a, const cJSON *b);
/*
 * The strategic-merge patch for pods/<pod>/resize that gives container
 * `name` of a pod whose resources are `have` the resources `want`: requests
 * and limits of cpu and memory only, a missing request set to its limit (so
 * the QoS class of a Guaranteed pod stays), a value the pod has and `want`
 * lacks set to null. NULL when nothing differs. Caller deletes.
 */
cJSON *resize_patch(const cJSON *want, const cJSON *have, const char *name);
/*
 * Hash of a pod template (sha1 hex) without what changes in place: container
 * resources and the config-digest and restart-hash annotations. Two pods of
 * the same restart hash differ at most in their resources.
 */
void resize_restart_hash(const cJSON *template, char out[41]);
/*
 * Does the pod wait for a restart to match its StatefulSet's template? With
 * the restart hash on both: when the hashes differ, or when the pod's
 * resources (its spec, then what the kubelet reports running) differ from
 * the template's. Without it (a pod from before): when its revision is not
 * the update revision. *why (may be NULL; caller frees) gets, in words, a
 * resize the kubelet defers, refuses or failed, or NULL.
 */
bool resize_pending_restart(const cJSON *pod, const cJSON *sts, char **why);

#endif

/*
 * In-place resize of a running CT's pod: memory, cores, cpulimit and cpuunits
 * changed on a running CT reach its pod through pods/<pod>/resize
 * (Kubernetes 1.33+), as Proxmox hot-plugs them into a running container.
 * The StatefulSet keeps OnDelete and gets the same resources, so a pod
 * created later has them too. Where the server lacks the subresource, or
 * refuses the resize, the change waits for the next restart and the status
 * says why (resize.c judges that from the pod).
 */
#include "config.h"

#include <string.h>

#include "resize.h"
#include "syncd.h"

static const char *
meta(const cJSON *o, const char *field)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(o, "metadata"), field);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? xstrdup(s) : NULL;
}

/* "memory 1Gi, cpu 2" from the patch's limits, for the log */
static char *
describe(const cJSON *patch)
{
	const cJSON *c = cJSON_GetArrayItem(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(patch, "spec"),
						 "containers"),
		0);
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(c, "resources");
	const cJSON *lim = cJSON_GetObjectItemCaseSensitive(res, "limits");
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(res, "requests");
	const cJSON *mem = cJSON_GetObjectItemCaseSensitive(lim, "memory");
	const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(lim, "cpu");
	const cJSON *share = cJSON_GetObjectItemCaseSensitive(req, "cpu");

	return xasprintf("memory %s, cpu limit %s, cpu request %s",
			 cJSON_IsString(mem) ? mem->valuestring : "none",
			 cJSON_IsString(cpu) ? cpu->valuestring : "none",
			 cJSON_IsString(share) ? share->valuestring : "none");
}

int
syncd_resize_pod(struct syncd *sd, struct ct *ct, const cJSON *sts, struct pct_error **err)
{
	_cleanup_free_ char *podname = xasprintf("ct-%u-0", ct->vmid);
	_cleanup_free_ char *base = NULL, *path = NULL, *body = NULL, *key = NULL, *what = NULL;
	cJSON *patch;
	cJSON *resp = NULL;
	const cJSON *pod = syncd_cache_get(sd, KIND_POD, podname);
	const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(sts, "spec"), "template");
	const char *uid = meta(pod, "uid");
	long status = 0;
	int ret;

	if (!sd->has_pod_resize || !pod || !uid || meta(pod, "deletionTimestamp") ||
	    !cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "spec"),
					      "nodeName")) {
		set_str(&ct->resize_error, NULL);
		return 0;
	}
	patch = resize_patch(resize_container_resources(cJSON_GetObjectItemCaseSensitive(tmpl,
											  "spec"),
							RESIZE_CONTAINER),
			     resize_container_resources(cJSON_GetObjectItemCaseSensitive(pod, "spec"),
							RESIZE_CONTAINER),
			     RESIZE_CONTAINER);
	if (!patch) {
		set_str(&ct->resize_error, NULL);
		set_str(&ct->resize_refused, NULL);
		return 0;
	}
	body = cJSON_PrintUnformatted(patch);
	key = xasprintf("%s %s", uid, body);
	what = describe(patch);
	/* the uid as precondition: never resize a pod that replaced this one */
	cJSON_AddStringToObject(cJSON_AddObjectToObject(patch, "metadata"), "uid", uid);
	free(body);
	body = cJSON_PrintUnformatted(patch);
	cJSON_Delete(patch);
	if (ct->resize_refused && !strcmp(ct->resize_refused, key))
		return 0; /* refused as it is: waits for a restart or another change */
	if (sd->dry_run) {
		syncd_log_ct(sd, ct, "CT %u: would resize pod %s in place (%s)", ct->vmid, podname,
			     what);
		return 0;
	}
	base = kube_path("v1", sd->settings->namespace, "pods", podname);
	path = xasprintf("%s/resize", base);
	ret = kube_request(sd->kube, "PATCH", path, "fieldManager=" CORRAL_FIELD_MANAGER,
			   "application/strategic-merge-patch+json", body, &status, &resp, err);
	if (ret < 0)
		return ret;
	if (status >= 200 && status < 300) {
		if (cJSON_IsObject(resp))
			syncd_cache_put(sd, KIND_POD, resp);
		syncd_log(sd, "CT %u: pod resized in place (%s)", ct->vmid, what);
		set_str(&ct->resize_error, NULL);
		set_str(&ct->resize_refused, NULL);
		cJSON_Delete(resp);
		return 0;
	}
	if (status == 409 || status == 429 || status >= 500) {
		/* another pod, or a server in trouble: the next pass looks again */
		_cleanup_free_ char *msg = kube_status_message(status, resp);

		cJSON_Delete(resp);
		if (status == 409)
			return 0;
		return pct_error_set(err, KUBE_E_STATUS(status), "resize pod %s: %s", podname, msg);
	}
	{
		_cleanup_free_ char *msg = kube_status_message(status, resp);

		cJSON_Delete(resp);
		free(ct->resize_error);
		ct->resize_error = xasprintf("in-place resize refused: %s; the change waits for a restart",
					     msg);
		set_str(&ct->resize_refused, key);
		syncd_log_ct(sd, ct, "CT %u: %s", ct->vmid, ct->resize_error);
	}
	return 0;
}

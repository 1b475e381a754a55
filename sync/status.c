/*
 * What the agent publishes for pct, under CORRAL_RUNDIR (written atomically):
 *   ct/<vmid>.status  {"vmid", "status", "phase", "node", "ip", "error", "volumes"
 *                      (volid, pvc, capacity, request, resize_error, ...),
 *                      "pending_restart", "inplace_resize", "digest",
 *                      "userns", "userns_reason" (nodes.c),
 *                      "generation", "mode", "updated"; for the agent itself:
 *                      "restart", "ops", "resize_refused", "resize_error"}
 *   syncd.heartbeat   {"pid", "time", "interval"}
 * A status file is rewritten only when its content changes (besides time).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "syncd.h"

#define HEARTBEAT_INTERVAL 10

static const cJSON *
jpath(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	return b ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
}

static unsigned long long
quantity_bytes(const char *s)
{
	char *end;
	unsigned long long v;

	if (!s)
		return 0;
	v = strtoull(s, &end, 10);
	if (!strcmp(end, "Ki"))
		return v << 10;
	if (!strcmp(end, "Mi"))
		return v << 20;
	if (!strcmp(end, "Gi"))
		return v << 30;
	if (!strcmp(end, "Ti"))
		return v << 40;
	if (!strcmp(end, "k"))
		return v * 1000ULL;
	if (!strcmp(end, "M"))
		return v * 1000000ULL;
	if (!strcmp(end, "G"))
		return v * 1000000000ULL;
	if (!strcmp(end, "T"))
		return v * 1000000000000ULL;
	return v;
}

/* the CT's PVCs (for pct rescan) and snapshot readiness (pct listsnapshot --verbose) */
static void
add_volumes(struct syncd *sd, struct ct *ct, cJSON *j)
{
	cJSON *vols = cJSON_AddArrayToObject(j, "volumes");
	cJSON *snaps = cJSON_AddObjectToObject(j, "snapshots");
	const cJSON **objs;
	size_t n, i;
	char id[16];

	snprintf(id, sizeof(id), "%u", ct->vmid);
	n = syncd_cache_of_ct(sd, KIND_PVC, ct->vmid, &objs);
	for (i = 0; i < n; i++) {
		const cJSON *it = objs[i];
		const cJSON *c = jpath(jpath(it, "metadata", "labels"), LABEL_CTID, NULL);
		const cJSON *volid = jpath(jpath(it, "metadata", "annotations"), ANN_VOLID, NULL);
		const cJSON *cap = jpath(jpath(it, "status", "capacity"), "storage", NULL);
		const cJSON *conds = jpath(it, "status", "conditions"), *cd;
		cJSON *v;
		bool fs_pending = false;

		if (!cJSON_IsString(c) || strcmp(c->valuestring, id) || !cJSON_IsString(volid))
			continue;
		cJSON_ArrayForEach(cd, conds)
		{
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(cd, "type");

			if (cJSON_IsString(t) && !strcmp(t->valuestring, "FileSystemResizePending"))
				fs_pending = true;
		}
		v = cJSON_CreateObject();
		cJSON_AddStringToObject(v, "volid", volid->valuestring);
		cJSON_AddStringToObject(v, "pvc", it->string);
		cJSON_AddNumberToObject(v, "capacity",
					(double)quantity_bytes(cJSON_IsString(cap) ? cap->valuestring : NULL));
		{
			const cJSON *req = jpath(jpath(jpath(it, "spec", "resources"), "requests", NULL),
						 "storage", NULL);
			const char *failed = syncd_volume_resize_error(ct, it->string);

			cJSON_AddNumberToObject(v, "request", (double)quantity_bytes(
								  cJSON_IsString(req) ? req->valuestring : NULL));
			/* pct resize fails with it, and puts the old size back into the file */
			if (failed)
				cJSON_AddStringToObject(v, "resize_error", failed);
		}
		if (fs_pending)
			cJSON_AddTrueToObject(v, "filesystem_resize_pending");
		cJSON_AddItemToArray(vols, v);
	}
	free(objs);
	n = syncd_cache_of_ct(sd, KIND_VOLUMESNAPSHOT, ct->vmid, &objs);
	for (i = 0; i < n; i++) {
		const cJSON *it = objs[i];
		const cJSON *c = jpath(jpath(it, "metadata", "labels"), LABEL_CTID, NULL);
		const cJSON *name = jpath(jpath(it, "metadata", "annotations"), "corral.dev/snapname", NULL);
		bool ready = cJSON_IsTrue(jpath(it, "status", "readyToUse"));
		cJSON *s;

		if (!cJSON_IsString(c) || strcmp(c->valuestring, id) || !cJSON_IsString(name))
			continue;
		s = cJSON_GetObjectItemCaseSensitive(snaps, name->valuestring);
		if (!s) {
			s = cJSON_AddObjectToObject(snaps, name->valuestring);
			cJSON_AddNumberToObject(s, "volumes", 0);
			cJSON_AddNumberToObject(s, "ready", 0);
		}
		{
			cJSON *nv = cJSON_GetObjectItemCaseSensitive(s, "volumes");
			cJSON *nr = cJSON_GetObjectItemCaseSensitive(s, "ready");

			cJSON_SetNumberValue(nv, nv->valuedouble + 1);
			if (ready)
				cJSON_SetNumberValue(nr, nr->valuedouble + 1);
		}
	}
	free(objs);
}

void
syncd_status_write(struct syncd *sd, struct ct *ct)
{
	_cleanup_free_ char *dir = xasprintf("%s/ct", sd->rundir);
	_cleanup_free_ char *path = xasprintf("%s/ct/%u.status", sd->rundir, ct->vmid);
	_cleanup_free_ char *pod = xasprintf("ct-%u-0", ct->vmid);
	_cleanup_error_ struct pct_error *err = NULL;
	cJSON *j = cJSON_CreateObject();
	const char *status;
	char *text, *cmp, hash[41];
	bool running = ct->power && !strcmp(ct->power, "running");

	cJSON_AddNumberToObject(j, "vmid", ct->vmid);
	if (sd->kube_mode) {
		const cJSON *p = syncd_cache_get(sd, KIND_POD, pod);
		const cJSON *v;
		const char *phase = NULL;
		bool ready = false;

		if (p) {
			v = jpath(p, "status", "phase");
			phase = cJSON_IsString(v) ? v->valuestring : NULL;
			v = jpath(p, "status", "containerStatuses");
			if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0)
				ready = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
					cJSON_GetArrayItem(v, 0), "ready"));
		}
		if (!p)
			/* a CT that should run but is refused or invalid: its error */
			status = running ? (ct->error ? "error" : ct->refused ? "stopped" : "starting")
					 : "stopped";
		else if (syncd_pod_terminating(ct, p))
			status = "stopping";
		else if (phase && !strcmp(phase, "Running") && ready)
			status = running ? "running" : "stopping";
		else
			status = running ? (ct->error ? "error" : "starting") : "stopping";
		cJSON_AddStringToObject(j, "status", status);
		if (phase)
			cJSON_AddStringToObject(j, "phase", phase);
		if (p) {
			v = jpath(p, "spec", "nodeName");
			if (cJSON_IsString(v))
				cJSON_AddStringToObject(j, "node", v->valuestring);
			v = jpath(p, "status", "podIP");
			if (cJSON_IsString(v))
				cJSON_AddStringToObject(j, "ip", v->valuestring);
		}
		cJSON_AddStringToObject(j, "mode", "kube");
	} else {
		/* no cluster to observe: the manifest says what would run */
		cJSON_AddStringToObject(j, "status", ct->error ? "error" : running ? "running" : "stopped");
		cJSON_AddStringToObject(j, "phase", "Rendered");
		cJSON_AddStringToObject(j, "mode", "manifests");
	}
	cJSON_AddBoolToObject(j, "pending_restart", ct->pending_restart);
	syncd_userns_status(sd, ct, sd->kube_mode ? syncd_cache_get(sd, KIND_POD, pod) : NULL, j);
	/* pct applies memory, cpulimit and cpuunits of a running CT at once when true */
	cJSON_AddBoolToObject(j, "inplace_resize", sd->kube_mode && sd->has_pod_resize);
	if (ct->error)
		cJSON_AddStringToObject(j, "error", ct->error);
	if (ct->applied_digest[0])
		cJSON_AddStringToObject(j, "digest", ct->applied_digest);
	cJSON_AddNumberToObject(j, "generation", ct->generation);
	if (ct->restart_done)
		cJSON_AddStringToObject(j, "restart", ct->restart_done);
	/* a resize the server refused is not sent again by a restarted agent either */
	if (ct->resize_refused && ct->resize_error) {
		cJSON_AddStringToObject(j, "resize_refused", ct->resize_refused);
		cJSON_AddStringToObject(j, "resize_error", ct->resize_error);
	}
	if (ct->destroyed)
		cJSON_AddTrueToObject(j, "destroyed");
	if (ct->ops)
		cJSON_AddItemToObject(j, "ops", cJSON_Duplicate(ct->ops, true));
	if (sd->kube_mode)
		add_volumes(sd, ct, j);
	/* a hash of the text, not the text: 41 bytes a CT instead of hundreds */
	cmp = cJSON_PrintUnformatted(j);
	pctconf_sha1_hex(cmp, strlen(cmp), hash);
	cJSON_free(cmp);
	if (!strcmp(ct->last_status, hash)) {
		cJSON_Delete(j);
		return;
	}
	memcpy(ct->last_status, hash, sizeof(hash));
	cJSON_AddNumberToObject(j, "updated", (double)time(NULL));
	text = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (pctconf_mkdir_p(dir, 0755) == 0) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addf(&sb, "%s\n", text);
		if (pctconf_write_file_atomic(path, sb.buf, sb.len, 0644, &err) < 0)
			syncd_log(sd, "CT %u: %s", ct->vmid, err->msg);
		strbuf_release(&sb);
	}
	cJSON_free(text);
}

void
syncd_status_remove(struct syncd *sd, unsigned vmid)
{
	_cleanup_free_ char *path = xasprintf("%s/ct/%u.status", sd->rundir, vmid);

	(void)unlink(path);
}

void
syncd_heartbeat(struct syncd *sd)
{
	_cleanup_free_ char *path = xasprintf("%s/syncd.heartbeat", sd->rundir);
	_cleanup_error_ struct pct_error *err = NULL;
	_cleanup_free_ char *text = xasprintf("{\"pid\": %ld, \"time\": %lld, \"interval\": %d, \"mode\": \"%s\"}\n",
					      (long)getpid(), (long long)time(NULL),
					      HEARTBEAT_INTERVAL, sd->kube_mode ? "kube" : "manifests");

	if (pctconf_mkdir_p(sd->rundir, 0755) < 0)
		return;
	if (pctconf_write_file_atomic(path, text, strlen(text), 0644, &err) < 0)
		syncd_log(sd, "%s", err->msg);
}

/* At a clean exit: pct must not wait on an agent that is gone. */
void
syncd_heartbeat_remove(struct syncd *sd)
{
	_cleanup_free_ char *path = xasprintf("%s/syncd.heartbeat", sd->rundir);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	cJSON *j;
	const cJSON *pid;

	if (pct_read_file(path, 1 << 16, &buf, &len) < 0)
		return;
	j = cJSON_ParseWithLength(buf, len);
	pid = cJSON_GetObjectItemCaseSensitive(j, "pid");
	/* only our own: another agent may have taken over */
	if (cJSON_IsNumber(pid) && pid->valuedouble == (double)getpid())
		(void)unlink(path);
	cJSON_Delete(j);
}

/*
 * pct resize <vmid> <disk> <size> [--digest SHA1]
 *
 * Grow a volume: the new size goes into `size=` (printed canonically) and
 * corral-syncd grows the PVC (CSI volume expansion). `+` makes the size
 * relative; no unit means bytes, as in Proxmox. Shrinking and the same size
 * are refused with Proxmox's messages. When the agent runs, pct waits until
 * it applied the change and the storage grew the volume, and reports what
 * the cluster said (the API server's refusal for a StorageClass without
 * expansion, the CSI driver's for a size it cannot give); when the cluster
 * refuses, the file gets its old size back, as Proxmox writes the file only
 * after the storage grew the volume.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "power.h"

/* \+?\d+(\.\d+)?[KMGT]? */
static bool
size_pattern(const char *s)
{
	const char *p = s;

	if (*p == '+')
		p++;
	if (!pct_isdigit((unsigned char)*p))
		return false;
	while (pct_isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!pct_isdigit((unsigned char)*p))
			return false;
		while (pct_isdigit((unsigned char)*p))
			p++;
	}
	if (*p && strchr("KMGT", *p))
		p++;
	return *p == '\0';
}

static void
cjson_freep(cJSON **p)
{
	cJSON_Delete(*p);
}

/* The entry of volid in the "volumes" of the CT's status file (caller deletes), or NULL. */
static cJSON *
status_volume(unsigned vmid, const char *volid)
{
	_cleanup_free_ char *path = xasprintf("%s/ct/%u.status", pctconf_rundir(), vmid);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	cJSON *j, *v, *out = NULL;

	if (pct_read_file(path, 4u << 20, &buf, &len) < 0)
		return NULL;
	j = cJSON_ParseWithLength(buf, len);
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(j, "volumes"))
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(v, "volid");

		if (cJSON_IsString(id) && !strcmp(id->valuestring, volid)) {
			out = cJSON_Duplicate(v, true);
			break;
		}
	}
	cJSON_Delete(j);
	return out;
}

static double
num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/*
 * Wait until the agent has applied the new size (the status carries the
 * file's digest) and the storage has answered, as Proxmox's resize does
 * before it writes the file: the volume has the size (or its file system
 * grows at the next mount: FileSystemResizePending), or the storage refused
 * (resize_error). A refusal of the API server comes first, as the agent's
 * error. Without an agent there is nothing to wait for.
 */
static int
wait_resized(unsigned vmid, const char *digest, const char *volid, unsigned long long size,
	     struct pct_error **err)
{
	long i, limit = pct_wait_timeout() * 20;
	bool applied = false;

	if (!pct_agent_alive())
		return 0;
	for (i = 0; i < limit; i++) {
		struct pct_status st;
		_cleanup_(cjson_freep) cJSON *vol = NULL;
		const cJSON *why;
		int ret = 1;

		pct_status_read(vmid, &st);
		applied = st.digest && !strcmp(st.digest, digest);
		if (applied && st.phase && !strcmp(st.phase, "Rendered"))
			ret = 0; /* manifests: nothing to grow here */
		else if (!applied && st.error && st.digest && i > 20)
			ret = pct_error_set(err, PCT_E_INVALID, "resize of CT %u failed: %s", vmid,
					    st.error);
		pct_status_release(&st);
		if (ret <= 0)
			return ret;
		if (applied && (vol = status_volume(vmid, volid))) {
			why = cJSON_GetObjectItemCaseSensitive(vol, "resize_error");
			if (num(vol, "capacity") >= (double)size ||
			    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(vol, "filesystem_resize_pending")))
				return 0;
			if (cJSON_IsString(why) && num(vol, "request") >= (double)size) {
				const cJSON *pvc = cJSON_GetObjectItemCaseSensitive(vol, "pvc");

				return pct_error_set(err, PCT_E_INVALID,
						     "resize of CT %u failed: PVC %s: %s", vmid,
						     cJSON_IsString(pvc) ? pvc->valuestring : volid,
						     why->valuestring);
			}
		}
		usleep(50000);
	}
	if (applied)
		return pct_error_set(err, PCT_E_TIMEOUT,
				     "resize of CT %u: the storage did not grow '%s' within %ld s (the request stands)",
				     vmid, volid, pct_wait_timeout());
	return pct_error_set(err, PCT_E_TIMEOUT, "corral-syncd did not apply the new size within %ld s",
			     pct_wait_timeout());
}

/*
 * The cluster refused the new size (a StorageClass without expansion):
 * Proxmox resizes the volume before it writes the file, so the file keeps
 * the old size. Put it back, unless someone changed the file since.
 */
static void
restore_size(unsigned vmid, const char *disk, const char *oldvalue, const char *newdigest)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	_cleanup_error_ struct pct_error *e2 = NULL;
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;

	if (pct_lock(vmid, &lk, &e2) < 0)
		return;
	if (pct_load(vmid, &conf, &e2) == 0 && !strcmp(pctconf_digest(conf), newdigest)) {
		pctconf_set(&conf->main, disk, oldvalue);
		(void)pct_save(conf, &e2);
	}
	pctconf_unlock(&lk);
	if (e2)
		pct_warn("%s", e2->msg);
}

static int
cmd_resize_exec(struct pct_args *args, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	const char *disk = pct_args_get(args, "disk"), *size = pct_args_get(args, "size");
	const char *digest = pct_args_get(args, "digest");
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	const struct pctconf_key *row = pctconf_key_lookup(disk, NULL);
	struct pct_param_errors pe = { STRBUF_INIT, 0 };
	struct pctconf_props p;
	struct strbuf msg = STRBUF_INIT;
	unsigned long long cur, req, next = 0;
	const char *value, *vol, *cursz;
	_cleanup_free_ char *printed = NULL, *bytes = NULL, *newdigest = NULL, *oldvalue = NULL;
	_cleanup_free_ char *volid = NULL;
	bool relative = size[0] == '+';
	int ret;

	if (!row || (strcmp(disk, "rootfs") && strcmp(row->name, "mp"))) {
		struct strbuf e = STRBUF_INIT;
		int i;

		strbuf_addstr(&e, "rootfs");
		for (i = 0; i < 256; i++)
			strbuf_addf(&e, ", mp%d", i);
		pct_param_error_add(&pe, "disk", "value '%s' does not have a value in the enumeration '%s'",
				    disk, e.buf);
		strbuf_release(&e);
	}
	if (!size_pattern(size))
		pct_param_error_add(&pe, "size", "value does not match the regex pattern");
	if (pe.n)
		return pct_param_error_raise(&pe, err);
	strbuf_release(&pe.text);
	/* number x unit, no unit = bytes; then int() */
	{
		double v = strtod(size + relative, NULL);
		char unit = size[strlen(size) - 1];

		if (unit == 'K')
			v *= 1024.0;
		else if (unit == 'M')
			v *= 1024.0 * 1024;
		else if (unit == 'G')
			v *= 1024.0 * 1024 * 1024;
		else if (unit == 'T')
			v *= 1024.0 * 1024 * 1024 * 1024;
		req = (unsigned long long)v;
	}
	ret = pct_lock(args->vmid, &lk, err);
	if (ret < 0)
		return ret;
	ret = pct_load(args->vmid, &conf, err);
	if (ret < 0)
		goto out;
	ret = pctconf_check_lock(conf, err);
	if (ret < 0)
		goto out;
	if (digest && *digest && strcmp(digest, pctconf_digest(conf))) {
		ret = pct_error_set(err, PCT_E_CONFLICT,
				    "detected modified configuration - file changed by other user? Try again.");
		goto out;
	}
	value = pctconf_get(&conf->main, disk);
	oldvalue = xstrdup(value ? value : "");
	if (pctconf_props_parse(row->props, value ? value : "", &p, &msg, disk) < 0) {
		ret = pct_error_set(err, PCT_E_INVALID, "%s", msg.buf);
		strbuf_release(&msg);
		goto out;
	}
	vol = pctconf_props_get(&p, "volume");
	cursz = pctconf_props_get(&p, "size");
	if (!vol || pctconf_classify_mountpoint(vol) != PCTCONF_MP_VOLUME || !cursz ||
	    !pctconf_parse_size(cursz, &cur)) {
		ret = pct_error_set(err, PCT_E_INVALID, "Could not determine current size of volume '%s'",
				    vol ? vol : disk);
		pctconf_props_release(&p);
		goto out;
	}
	volid = xstrdup(vol);
	next = relative ? cur + req : req;
	if (next < cur) {
		ret = pct_error_set(err, PCT_E_REFUSED, "unable to shrink disk size");
	} else if (next == cur) {
		ret = pct_error_set(err, PCT_E_INVALID, "disk is already at specified size");
	} else {
		bytes = xasprintf("%llu", next);
		pctconf_props_set(&p, "size", bytes);
		printed = pctconf_props_print(&p, !strcmp(disk, "rootfs") ? (const char *const[]){ "mp", NULL } : NULL,
					      err);
		ret = printed ? 0 : -1;
	}
	pctconf_props_release(&p);
	if (ret < 0)
		goto out;
	pctconf_set(&conf->main, disk, printed);
	ret = pct_save(conf, err);
	if (ret >= 0) {
		_cleanup_(pctconf_freep) struct pctconf *again = NULL;

		ret = pct_load(args->vmid, &again, err);
		if (ret == 0)
			newdigest = xstrdup(pctconf_digest(again));
	}
out:
	pctconf_unlock(&lk);
	if (ret < 0)
		return -1;
	ret = wait_resized(args->vmid, newdigest, volid, next, err);
	if (ret < 0 && newdigest && (*err)->code == PCT_E_INVALID)
		restore_size(args->vmid, disk, oldvalue, newdigest);
	return ret;
}

static const char *const resize_args[] = { "vmid", "disk", "size", NULL };
static const struct pctconf_prop resize_opts[] = {
	{ .name = "digest", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL, .max_length = 40,
	  .help = "Prevent changes if the config file has a different SHA1 digest." },
	{ .name = "disk", .type = PCTCONF_STR, .help = "The disk you want to resize." },
	{ .name = "size", .type = PCTCONF_STR, .typetext = "\\+?\\d+(\\.\\d+)?[KMGT]?",
	  .help = "The new size; with '+' it is added to the current size." },
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_resize = {
	.name = "resize",
	.args = resize_args,
	.opts = resize_opts,
	.help = "Resize a container mount point.",
	.exec = cmd_resize_exec,
};

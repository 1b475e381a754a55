/*
 * pct clone <vmid> <newid> [--full] [--hostname] [--description] [--snapname]
 *                          [--storage] [--pool] [--target] [--bwlimit]
 *
 * Proxmox's clone_vm on the files: the source gets `lock: disk`, the new CT
 * is claimed with `lock: create`; its config is the source's main section
 * (or the --snapname section) without unusedN, snapshots, parent, snaptime,
 * snapstate, pending and template, with every netN given a new hwaddr, and
 * every volume a new volume id. Bind and device mount points are refused.
 * corral-syncd creates the new PVCs: cloned from the source PVCs (full),
 * restored from the snapshot's VolumeSnapshots with --snapname, or, for a
 * linked clone of a template (the default for templates), restored from
 * the template's base VolumeSnapshots, which the first linked clone makes.
 * --storage (full clones only) puts them in another StorageClass. A linked
 * clone of a CT that is not a template needs --snapname, as on Proxmox's
 * storages. A failed clone removes the new CT again and unlocks the source.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ops.h"
#include "settings.h"
#include "state.h"

static bool
skipped_key(const char *key)
{
	const struct pctconf_key *row = pctconf_key_lookup(key, NULL);

	return (row && !strcmp(row->name, "unused")) || !strcmp(key, "snapshots") ||
	       !strcmp(key, "parent") || !strcmp(key, "snaptime") || !strcmp(key, "snapstate") ||
	       !strcmp(key, "pending") || !strcmp(key, "template") || !strcmp(key, "lock");
}

/* One volume of the clone: a new volume id on the same (or --storage's) storage. */
static int
clone_volume(const char *k, const char *v, struct pctconf *dst, const char *storage,
	     cJSON *volumes, struct pct_error **err)
{
	const struct pctconf_key *row = pctconf_key_lookup(k, NULL);
	struct pctconf_props p;
	struct strbuf msg = STRBUF_INIT;
	const char *vol;
	_cleanup_free_ char *vstorage = NULL, *newvol = NULL, *printed = NULL;
	enum pctconf_mp_type type;
	cJSON *pair;

	if (pctconf_props_parse(row->props, v, &p, &msg, NULL) < 0) {
		pct_error_set(err, PCT_E_INVALID, "unable to parse %s: %s", k, msg.buf);
		strbuf_release(&msg);
		return -1;
	}
	vol = pctconf_props_get(&p, "volume");
	type = pctconf_classify_mountpoint(vol);
	if (type != PCTCONF_MP_VOLUME) {
		pctconf_props_release(&p);
		return pct_error_set(err, PCT_E_REFUSED, "unable to clone mountpoint '%s' (type %s)", k,
				     type == PCTCONF_MP_BIND ? "bind" : "device");
	}
	if (!pctconf_parse_volume_id(vol, &vstorage, NULL)) {
		pctconf_props_release(&p);
		return pct_error_set(err, PCT_E_INVALID, "unable to parse volume ID '%s'", vol);
	}
	newvol = pctconf_alloc_volid(dst, storage ? storage : vstorage);
	pair = cJSON_CreateObject();
	cJSON_AddStringToObject(pair, "key", k);
	cJSON_AddStringToObject(pair, "source", vol);
	cJSON_AddStringToObject(pair, "target", newvol);
	cJSON_AddItemToArray(volumes, pair);
	pctconf_props_set(&p, "volume", newvol);
	printed = pctconf_props_print(&p, !strcmp(k, "rootfs") ? (const char *const[]){ "mp", NULL } : NULL,
				      err);
	pctconf_props_release(&p);
	if (!printed)
		return -1;
	pctconf_set(&dst->main, k, printed);
	return 0;
}

static bool
is_mountpoint(const char *k)
{
	const struct pctconf_key *row = pctconf_key_lookup(k, NULL);

	return row && (!strcmp(k, "rootfs") || !strcmp(row->name, "mp"));
}

/* The new config; volumes maps old volid -> new volid (pairs in a JSON array). */
static int
build_clone(const struct pctconf_section *src, struct pctconf *dst, const char *storage,
	    const char *mac_prefix, cJSON *volumes, struct pct_error **err)
{
	size_t i;
	int n;

	/* volumes in Proxmox's order (rootfs, mp0, mp1, ...): rootfs gets disk-0 */
	for (n = -1; n < 256; n++) {
		char key[16];
		const char *v;

		if (n < 0)
			snprintf(key, sizeof(key), "rootfs");
		else
			snprintf(key, sizeof(key), "mp%d", n);
		v = pctconf_get(src, key);
		if (v && clone_volume(key, v, dst, storage, volumes, err) < 0)
			return -1;
	}
	for (i = 0; i < src->nvals; i++) {
		const char *k = src->vals[i].key;
		const char *v = src->vals[i].value;
		const struct pctconf_key *row = pctconf_key_lookup(k, NULL);

		if (skipped_key(k) || is_mountpoint(k))
			continue;
		if (row && !strcmp(row->name, "net")) {
			/* a new hwaddr for every interface */
			struct pctconf_props p;
			struct strbuf msg = STRBUF_INIT;
			_cleanup_free_ char *canon = NULL;

			if (pctconf_props_parse(row->props, v, &p, &msg, NULL) == 0) {
				pctconf_props_unset(&p, "hwaddr");
				{
					_cleanup_free_ char *nohw = pctconf_props_print(&p, NULL, err);

					pctconf_props_release(&p);
					if (!nohw)
						return -1;
					canon = pctconf_net_canonical(nohw, mac_prefix, err);
				}
				if (!canon)
					return -1;
				pctconf_set(&dst->main, k, canon);
				continue;
			}
			strbuf_release(&msg);
		}
		pctconf_set_len(&dst->main, k, v, src->vals[i].len);
	}
	if (src->description)
		pctconf_set_description(&dst->main, src->description, src->desc_len);
	if (src->env)
		pctconf_set_env(&dst->main, src->env, src->env_len);
	for (i = 0; i < src->nlxc; i++)
		pctconf_lxc_add(&dst->main, src->lxc[i].key, src->lxc[i].value, src->lxc[i].len);
	return 0;
}

/*
 * A linked clone comes from a snapshot: the --snapname one, or a template's
 * base snapshot. The current state of a CT that is not a template has none,
 * and Proxmox's storages say so for the first volume in key order.
 */
static int
check_linked(const struct pctconf_section *src, struct pct_error **err)
{
	const char *first = NULL, *firstvol = NULL;
	size_t i;

	for (i = 0; i < src->nvals; i++) {
		const char *k = src->vals[i].key;

		if (is_mountpoint(k) && (!first || strcmp(k, first) < 0)) {
			first = k;
			firstvol = src->vals[i].value;
		}
	}
	if (first) {
		const struct pctconf_key *row = pctconf_key_lookup(first, NULL);
		struct pctconf_props p;
		struct strbuf msg = STRBUF_INIT;
		int ret = 0;

		if (pctconf_props_parse(row->props, firstvol, &p, &msg, NULL) < 0) {
			strbuf_release(&msg);
			return 0; /* build_clone says what is wrong with it */
		}
		firstvol = pctconf_props_get(&p, "volume");
		if (firstvol && pctconf_classify_mountpoint(firstvol) == PCTCONF_MP_VOLUME)
			ret = pct_error_set(err, PCT_E_REFUSED,
					    "Linked clone feature for '%s' is not available", firstvol);
		pctconf_props_release(&p);
		return ret;
	}
	return 0;
}

/* Has the section a mount point on a storage volume (rootfs included)? */
static bool
has_volume(const struct pctconf_section *sec)
{
	size_t i;

	for (i = 0; i < sec->nvals; i++) {
		_cleanup_free_ char *volid = pctconf_mp_volid(sec->vals[i].key, sec->vals[i].value);

		if (volid)
			return true;
	}
	return false;
}

static int
set_source_lock(unsigned vmid, bool set, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	int ret;

	ret = pct_lock(vmid, &lk, err);
	if (ret < 0)
		return ret;
	ret = pct_load(vmid, &conf, err);
	if (ret == 0 && set) {
		ret = pctconf_check_lock(conf, err);
		if (ret == 0)
			pctconf_set(&conf->main, "lock", "disk");
	} else if (ret == 0) {
		const char *l = pctconf_get(&conf->main, "lock");

		if (l && !strcmp(l, "disk"))
			pctconf_unset(&conf->main, "lock");
	}
	if (ret == 0)
		ret = pct_save(conf, err) < 0 ? -1 : 0;
	pctconf_unlock(&lk);
	return ret;
}

static int
cmd_clone_exec(struct pct_args *args, struct pct_error **err)
{
	const struct corral_settings *s;
	_cleanup_(pctconf_freep) struct pctconf *src = NULL, *dst = NULL;
	_cleanup_free_ char *path = NULL, *text = NULL, *id = NULL;
	const char *newid_s = pct_args_get(args, "newid");
	const char *snapname = pct_args_get(args, "snapname");
	const char *storage = pct_args_get(args, "storage");
	const char *hostname = pct_args_get(args, "hostname");
	const char *descr = pct_args_get(args, "description");
	unsigned newid = (unsigned)strtoul(newid_s, NULL, 10);
	const struct pctconf_section *from;
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	cJSON *volumes = cJSON_CreateArray(), *op;
	bool full, claimed = false;
	char node[256] = "localhost";
	size_t len;
	int ret;

	ret = pct_settings(&s, err);
	if (ret < 0)
		goto fail_novol;
	ret = pct_op_require_agent("clone", err);
	if (ret < 0)
		goto fail_novol;
	if (pct_args_get(args, "target")) {
		ret = pct_error_set(err, PCT_E_INVALID,
				    "--target does not apply: every CT runs on the cluster, not on a node");
		goto fail_novol;
	}
	if (storage && !corral_settings_storage(s, storage)) {
		struct pct_param_errors pe = { STRBUF_INIT, 0 };

		pct_param_error_add(&pe, "storage", "storage '%s' does not exist", storage);
		ret = pct_param_error_raise(&pe, err);
		goto fail_novol;
	}
	(void)gethostname(node, sizeof(node) - 1);
	/* Proxmox checks the new ID first (the claim below settles races) */
	{
		_cleanup_free_ char *newpath = pctconf_path(NULL, newid);

		if (access(newpath, F_OK) == 0) {
			ret = pct_error_set(err, PCT_E_EXISTS, "CT %u already exists on node '%s'",
					    newid, node);
			goto fail_novol;
		}
	}
	ret = set_source_lock(args->vmid, true, err);
	if (ret < 0)
		goto fail_novol;
	ret = pct_load(args->vmid, &src, err);
	if (ret < 0)
		goto fail;
	full = pct_args_get(args, "full") ? pct_args_bool(args, "full", false)
					  : !pctconf_value_true(pctconf_get(&src->main, "template"));
	if (storage && !full) {
		ret = pct_error_set(err, PCT_E_INVALID,
				    "parameter 'storage' not allowed for linked clones");
		goto fail;
	}
	from = &src->main;
	if (snapname) {
		from = pctconf_snapshot(src, snapname);
		if (!from) {
			ret = pct_error_set(err, PCT_E_NOENT, "snapshot '%s' does not exist", snapname);
			goto fail;
		}
	} else if (!full && !pctconf_value_true(pctconf_get(&src->main, "template"))) {
		ret = check_linked(&src->main, err);
		if (ret < 0)
			goto fail;
	} else if (full && has_volume(&src->main) && pct_is_running(args->vmid)) {
		/* Proxmox copies a volume only while nothing writes to it */
		ret = pct_error_set(err, PCT_E_INVALID,
				    "Cannot do full clones on a running container without snapshots");
		goto fail;
	}
	/* claim the new ID */
	path = pctconf_path(NULL, newid);
	ret = pctconf_lock(newid, PCTCONF_LOCK_EX, 5.0, NULL, &lk, err);
	if (ret < 0)
		goto fail;
	ret = pctconf_create_file(path, "lock: create\n", 13, 0644, err);
	if (ret < 0) {
		if ((*err)->code == PCT_E_EXISTS) {
			pct_error_free(err);
			ret = pct_error_set(err, PCT_E_EXISTS, "CT %u already exists on node '%s'",
					    newid, node);
		}
		pctconf_unlock(&lk);
		goto fail;
	}
	claimed = true;
	dst = pctconf_new(path, newid);
	ret = build_clone(from, dst, storage, s->mac_prefix, volumes, err);
	if (ret < 0) {
		pctconf_unlock(&lk);
		goto fail;
	}
	if (hostname)
		pctconf_set(&dst->main, "hostname", hostname);
	if (descr)
		pctconf_set_description(&dst->main, descr, strlen(descr));
	pctconf_set(&dst->main, "lock", "create");
	text = pctconf_write(dst, &len, err);
	ret = text ? pctconf_write_file_atomic(path, text, len, 0644, err) : -1;
	if (ret == 0) {
		op = cJSON_CreateObject();
		cJSON_AddStringToObject(op, "op", "clone");
		cJSON_AddNumberToObject(op, "source", args->vmid);
		if (snapname)
			cJSON_AddStringToObject(op, "snapname", snapname);
		cJSON_AddBoolToObject(op, "full", full);
		cJSON_AddItemToObject(op, "volumes", cJSON_Duplicate(volumes, true));
		ret = pct_op_run(newid, op, &id, err);
	}
	pctconf_unlock(&lk);
	if (ret < 0)
		goto fail;
	{
		const cJSON *v;

		cJSON_ArrayForEach(v, volumes)
			printf("create %s clone of %s (%s)\n", full ? "full" : "linked",
			       cJSON_GetObjectItemCaseSensitive(v, "key")->valuestring,
			       cJSON_GetObjectItemCaseSensitive(v, "source")->valuestring);
	}
	ret = pct_op_wait(newid, id, pct_op_timeout(), NULL, err);
	if (ret < 0)
		goto fail;
	/* done: drop the create lock of the new CT and the disk lock of the source */
	ret = pct_lock(newid, &lk, err);
	if (ret == 0) {
		pctconf_unset(&dst->main, "lock");
		ret = pct_save(dst, err) < 0 ? -1 : 0;
		pctconf_unlock(&lk);
	}
	if (ret == 0)
		ret = set_source_lock(args->vmid, false, err);
	cJSON_Delete(volumes);
	return ret;
fail:
	{
		_cleanup_error_ struct pct_error *e2 = NULL;

		if (claimed) {
			/* the new CT goes again; its PVCs, if any were made, with it */
			char **vols = NULL;
			size_t n = 0;
			const cJSON *v;

			cJSON_ArrayForEach(v, volumes)
			{
				vols = xrealloc(vols, (n + 1) * sizeof(*vols));
				vols[n++] = xstrdup(cJSON_GetObjectItemCaseSensitive(v, "target")->valuestring);
			}
			if (pct_lock(newid, &lk, &e2) == 0) {
				(void)pct_state_add_destroy(newid, vols, n, &e2);
				(void)unlink(path);
				pctconf_unlock(&lk);
			}
			pctconf_strv_free(vols, n);
		}
		(void)set_source_lock(args->vmid, false, &e2);
		if (*err && (*err)->code != PCT_E_USAGE && claimed) {
			char *m = xasprintf("clone failed: %s", (*err)->msg);

			free((*err)->msg);
			(*err)->msg = m;
		}
	}
fail_novol:
	cJSON_Delete(volumes);
	return -1;
}

static const char *const clone_args[] = { "vmid", "newid", NULL };
static const struct pctconf_prop clone_opts[] = {
	{ .name = "bwlimit", .type = PCTCONF_NUM, .flags = PCTCONF_OPTIONAL | PCTCONF_HAS_MIN,
	  .min = 0, .help = "Accepted for compatibility; the CSI driver copies the data." },
	{ .name = "description", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,
	  .help = "Description for the new CT." },
	{ .name = "full", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,
	  .help = "Create a full copy of all volumes (default: full unless the source is a template)." },
	{ .name = "hostname", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL, .format = "dns-name",
	  .help = "Set a hostname for the new CT." },
	{ .name = "newid", .type = PCTCONF_INT, .format = "pve-vmid",
	  .flags = PCTCONF_HAS_MIN | PCTCONF_HAS_MAX, .min = 100, .max = 999999999,
	  .help = "VMID for the clone." },
	{ .name = "pool", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,
	  .help = "Accepted for compatibility; there are no pools." },
	{ .name = "snapname", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,
	  .format = "pve-configid", .max_length = 40, .help = "The name of the snapshot." },
	{ .name = "storage", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,
	  .format = "pve-storage-id", .help = "Target storage for a full clone." },
	{ .name = "target", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,
	  .help = "Not applicable: the cluster schedules CTs." },
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_clone = {
	.name = "clone",
	.args = clone_args,
	.opts = clone_opts,
	.help = "Create a container clone/copy.",
	.exec = cmd_clone_exec,
};

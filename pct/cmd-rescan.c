/*
 * pct rescan [--vmid N] [--dryrun]
 *
 * Proxmox's rescan against the cluster: every PVC corral-syncd found
 * labelled for a CT that its config does not reference is added as
 * unusedN, and `size=` of each volume grows to its PVC's capacity (never
 * shrinks: an expansion under way shows less than was asked for). The agent
 * reports the PVCs it sees in the CT's status file ("volumes").
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <string.h>

#include "pct.h"

static cJSON *
agent_volumes(unsigned vmid)
{
	_cleanup_free_ char *path = xasprintf("%s/ct/%u.status", pctconf_rundir(), vmid);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	cJSON *j, *v;

	if (pct_read_file(path, 4u << 20, &buf, &len) < 0)
		return NULL;
	j = cJSON_ParseWithLength(buf, len);
	v = cJSON_DetachItemFromObjectCaseSensitive(j, "volumes");
	cJSON_Delete(j);
	return v;
}

/* capacity of volid as the agent saw it, 0 when unknown */
static unsigned long long
capacity_of(const cJSON *vols, const char *volid)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, vols)
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(v, "volid");
		const cJSON *cap = cJSON_GetObjectItemCaseSensitive(v, "capacity");

		long long n;

		if (cJSON_IsString(id) && !strcmp(id->valuestring, volid) && cJSON_IsNumber(cap) &&
		    pct_double_to_ll(cap->valuedouble, 0, 1LL << 53, &n))
			return (unsigned long long)n;
	}
	return 0;
}

static int
rescan_one(unsigned vmid, bool dryrun, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	cJSON *vols = agent_volumes(vmid);
	const cJSON *v;
	bool changed = false;
	size_t i;
	int ret;

	ret = pct_lock(vmid, &lk, err);
	if (ret < 0)
		goto out;
	ret = pct_load(vmid, &conf, err);
	if (ret == 0)
		ret = pctconf_check_lock(conf, err);
	if (ret < 0)
		goto out;
	/* unreferenced PVCs become unusedN */
	cJSON_ArrayForEach(v, vols)
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(v, "volid");
		int n;

		if (!cJSON_IsString(id) || pctconf_volid_referenced(conf, id->valuestring))
			continue;
		n = pctconf_add_unused(&conf->main, id->valuestring);
		if (n >= 0) {
			printf("CT %u: add unreferenced volume '%s' as 'unused%d' to config.\n", vmid,
			       id->valuestring, n);
			changed = true;
		}
	}
	/* size= follows the PVC's capacity */
	for (i = 0; i < conf->main.nvals; i++) {
		const char *k = conf->main.vals[i].key;
		const struct pctconf_key *row = pctconf_key_lookup(k, NULL);
		_cleanup_free_ char *volid = pctconf_mp_volid(k, conf->main.vals[i].value);
		struct pctconf_props p;
		struct strbuf msg = STRBUF_INIT;
		unsigned long long cap, cur = 0;
		const char *sz;

		if (!volid || !(cap = capacity_of(vols, volid)))
			continue;
		if (pctconf_props_parse(row->props, conf->main.vals[i].value, &p, &msg, NULL) < 0) {
			strbuf_release(&msg);
			continue;
		}
		sz = pctconf_props_get(&p, "size");
		/* only up: a PVC whose expansion is under way has less than it asked
		 * for, and the agent never shrinks a PVC */
		if (!sz || !pctconf_parse_size(sz, &cur) || cur < cap) {
			_cleanup_free_ char *b = xasprintf("%llu", cap);
			_cleanup_free_ char *printed = NULL;
			_cleanup_free_ char *key = xstrdup(k);

			pctconf_props_set(&p, "size", b);
			printed = pctconf_props_print(&p, !strcmp(k, "rootfs") ? (const char *const[]){ "mp", NULL } : NULL,
						      err);
			if (printed) {
				printf("CT %u: updated volume size of '%s' in config.\n", vmid, volid);
				pctconf_set(&conf->main, key, printed);
				changed = true;
			}
		}
		pctconf_props_release(&p);
	}
	if (changed && !dryrun)
		ret = pct_save(conf, err) < 0 ? -1 : 0;
out:
	pctconf_unlock(&lk);
	cJSON_Delete(vols);
	return ret;
}

static int
cmd_rescan_exec(struct pct_args *args, struct pct_error **err)
{
	const char *vmid = pct_args_get(args, "vmid");
	bool dryrun = pct_args_bool(args, "dryrun", false);

	if (dryrun)
		printf("NOTE: running in dry-run mode, won't write changes out!\n");
	if (!pct_agent_alive())
		pct_warn("corral-syncd is not running: the volumes shown are from its last report");
	printf("rescan volumes...\n");
	if (vmid)
		return rescan_one((unsigned)strtoul(vmid, NULL, 10), dryrun, err);
	{
		DIR *d = opendir(pctconf_confdir());
		struct dirent *de;
		int ret = 0;

		if (!d)
			return 0;
		while ((de = readdir(d)) && ret == 0) {
			unsigned id;

			if (pctconf_name_vmid(de->d_name, &id))
				ret = rescan_one(id, dryrun, err);
		}
		closedir(d);
		return ret;
	}
}

static const struct pctconf_prop rescan_opts[] = {
	{ .name = "dryrun", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Do not write any changes out." },
	{ .name = "vmid", .type = PCTCONF_INT, .flags = PCTCONF_OPTIONAL | PCTCONF_HAS_MIN | PCTCONF_HAS_MAX,
	  .format = "pve-vmid", .min = 100, .max = 999999999, .help = "Only this CT." },
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_rescan = {
	.name = "rescan",
	.opts = rescan_opts,
	.help = "Rescan all storages and update disk sizes and unused disk images.",
	.exec = cmd_rescan_exec,
};

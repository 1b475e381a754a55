/*
 * The snapshot state machine of Proxmox's AbstractConfig (§7), on the file
 * side only: callers do the storage step (VolumeSnapshots) between prepare
 * and commit, and write the file after each step under the config lock.
 */
#include "config.h"

#include <string.h>

#include "pctconf.h"

int
pctconf_check_lock(const struct pctconf *conf, struct pct_error **err)
{
	const char *lock = pctconf_get(&conf->main, "lock");

	if (pctconf_value_true(lock))
		return pct_error_set(err, PCT_E_LOCKED, "CT is locked (%s)", lock);
	return 0;
}

int
pctconf_check_snapname(const char *name, struct pct_error **err)
{
	if (!pctconf_is_configid(name))
		return pct_error_set(err, PCT_E_PARAM,
				     "snapname: invalid format - invalid configuration ID '%s'\n",
				     name);
	if (strlen(name) > 40)
		return pct_error_set(err, PCT_E_PARAM,
				     "snapname: value may only be 40 characters long");
	if (!strcmp(name, "current") || !strcmp(name, "vzdump"))
		return pct_error_set(err, PCT_E_INVALID,
				     "unable to use snapshot name '%s' (reserved name)", name);
	return 0;
}

bool
pctconf_snapshot_skips_key(const char *key)
{
	return !strcmp(key, "snapshots") || !strcmp(key, "snapstate") ||
	       !strcmp(key, "snaptime") || !strcmp(key, "vmstate") || !strcmp(key, "lock") ||
	       !strcmp(key, "digest") || !strcmp(key, "description") ||
	       (str_has_prefix(key, "unused") && pctconf_key_lookup(key, NULL));
}

/* __snapshot_copy_config: everything but the skip list; lxc and env too. */
static void
copy_config(const struct pctconf_section *src, struct pctconf_section *dst)
{
	size_t i;

	for (i = 0; i < src->nvals; i++)
		if (!pctconf_snapshot_skips_key(src->vals[i].key))
			pctconf_set_len(dst, src->vals[i].key, src->vals[i].value,
					src->vals[i].len);
	if (src->env)
		pctconf_set_env(dst, src->env, src->env_len);
	for (i = 0; i < src->nlxc; i++)
		pctconf_lxc_add(dst, src->lxc[i].key, src->lxc[i].value, src->lxc[i].len);
}

static bool
is_template(const struct pctconf *conf)
{
	return pctconf_value_true(pctconf_get(&conf->main, "template"));
}

int
pctconf_snapshot_prepare(struct pctconf *conf, const char *name, const char *description,
			 time_t now, struct pct_error **err)
{
	struct pctconf_section *snap;
	char t[32];
	size_t i;

	if (is_template(conf))
		return pct_error_set(err, PCT_E_REFUSED,
				     "you can't take a snapshot if it's a template");
	if (pctconf_check_lock(conf, err) < 0)
		return -1;
	if (pctconf_snapshot(conf, name))
		return pct_error_set(err, PCT_E_EXISTS, "snapshot name '%s' already used", name);
	pctconf_set(&conf->main, "lock", "snapshot");
	for (i = 0; i < conf->nsnaps; i++) {
		const char *parent = pctconf_get(conf->snaps[i], "parent");

		if (parent && !strcmp(parent, name)) {
			pctconf_unset(conf->snaps[i], "parent");
			pctconf_diag_add(conf, PCTCONF_WARNING, 0, "parent",
					 "deleting parent '%s' reference from '%s' to avoid bogus snapshot cycle.",
					 name, conf->snaps[i]->name);
		}
	}
	snap = pctconf_snapshot_add(conf, name);
	copy_config(&conf->main, snap);
	pctconf_set(snap, "snapstate", "prepare");
	snprintf(t, sizeof(t), "%lld", (long long)now);
	pctconf_set(snap, "snaptime", t);
	if (description && *description)
		pctconf_set_description(snap, description, strlen(description));
	return 0;
}

int
pctconf_snapshot_commit(struct pctconf *conf, const char *name, struct pct_error **err)
{
	struct pctconf_section *snap;
	const char *lock = pctconf_get(&conf->main, "lock");
	const char *state;

	if (!lock || strcmp(lock, "snapshot") != 0)
		return pct_error_set(err, PCT_E_INVALID, "missing snapshot lock");
	snap = pctconf_snapshot(conf, name);
	if (!snap)
		return pct_error_set(err, PCT_E_NOENT, "snapshot '%s' does not exist", name);
	state = pctconf_get(snap, "snapstate");
	if (!state || strcmp(state, "prepare") != 0)
		return pct_error_set(err, PCT_E_INVALID, "wrong snapshot state");
	pctconf_unset(snap, "snapstate");
	pctconf_unset(&conf->main, "lock");
	pctconf_set(&conf->main, "parent", name);
	return 0;
}

int
pctconf_snapshot_delete_prepare(struct pctconf *conf, const char *name, bool force,
				struct pct_error **err)
{
	struct pctconf_section *snap = pctconf_snapshot(conf, name);

	(void)force;
	if (!snap)
		return pct_error_set(err, PCT_E_NOENT, "snapshot '%s' does not exist", name);
	if (pctconf_check_lock(conf, err) < 0)
		return -1;
	if (is_template(conf))
		return pct_error_set(err, PCT_E_REFUSED,
				     "you can't delete a snapshot if vm is a template");
	pctconf_set(&conf->main, "lock", "snapshot-delete");
	pctconf_set(snap, "snapstate", "delete");
	return 0;
}

static void
reparent(struct pctconf_section *s, const char *name, const char *newparent)
{
	const char *p = pctconf_get(s, "parent");

	if (!p || strcmp(p, name) != 0)
		return;
	if (newparent)
		pctconf_set(s, "parent", newparent);
	else
		pctconf_unset(s, "parent");
}

int
pctconf_snapshot_delete_finish(struct pctconf *conf, const char *name, struct pct_error **err)
{
	struct pctconf_section *snap = pctconf_snapshot(conf, name);
	_cleanup_free_ char *newparent = NULL;
	char **vols = NULL;
	size_t nvols = 0, i;

	if (!snap)
		return pct_error_set(err, PCT_E_NOENT, "snapshot '%s' does not exist", name);
	if (pctconf_get(snap, "parent"))
		newparent = xstrdup(pctconf_get(snap, "parent"));
	/* the volumes whose storage snapshots were deleted */
	{
		struct pctconf tmp = { 0 };

		tmp.main = *snap;
		nvols = pctconf_volumes(&tmp, false, false, &vols);
	}
	reparent(&conf->main, name, newparent);
	for (i = 0; i < conf->nsnaps; i++)
		if (conf->snaps[i] != snap)
			reparent(conf->snaps[i], name, newparent);
	pctconf_snapshot_remove(conf, name);
	pctconf_unset(&conf->main, "lock");
	/* the writer drops the unusedN entries main still mounts */
	for (i = 0; i < nvols; i++)
		pctconf_add_unused(&conf->main, vols[i]);
	pctconf_strv_free(vols, nvols);
	return 0;
}

int
pctconf_snapshot_abort(struct pctconf *conf, const char *name)
{
	const char *lock = pctconf_get(&conf->main, "lock");

	pctconf_snapshot_remove(conf, name);
	if (lock && (!strcmp(lock, "snapshot") || !strcmp(lock, "snapshot-delete")))
		pctconf_unset(&conf->main, "lock");
	return 0;
}

int
pctconf_snapshot_rollback_prepare(struct pctconf *conf, const char *name, struct pct_error **err)
{
	struct pctconf_section *snap;
	const char *state;

	if (is_template(conf))
		return pct_error_set(err, PCT_E_REFUSED, "you can't rollback if vm is a template");
	snap = pctconf_snapshot(conf, name);
	if (!snap)
		return pct_error_set(err, PCT_E_NOENT, "snapshot '%s' does not exist", name);
	state = pctconf_get(snap, "snapstate");
	if (state)
		return pct_error_set(err, PCT_E_INVALID,
				     "unable to rollback to incomplete snapshot (snapstate = %s)",
				     state);
	if (pctconf_check_lock(conf, err) < 0)
		return -1;
	pctconf_set(&conf->main, "lock", "rollback");
	return 0;
}

int
pctconf_snapshot_rollback_finish(struct pctconf *conf, const char *name, struct pct_error **err)
{
	struct pctconf_section *snap = pctconf_snapshot(conf, name);
	struct pctconf_section newmain = { 0 };
	const char *lock = pctconf_get(&conf->main, "lock");
	char **cur = NULL, **snapvols = NULL;
	size_t ncur, nsnap, i, j;

	if (!lock || strcmp(lock, "rollback") != 0)
		return pct_error_set(err, PCT_E_INVALID, "got wrong lock");
	if (!snap)
		return pct_error_set(err, PCT_E_NOENT, "snapshot '%s' does not exist", name);
	pctconf_unset(&conf->main, "lock");
	{
		struct pctconf a = { 0 }, b = { 0 };

		a.main = conf->main;
		b.main = *snap;
		ncur = pctconf_volumes(&a, false, false, &cur);
		nsnap = pctconf_volumes(&b, false, false, &snapvols);
	}
	for (i = 0; i < ncur; i++) {
		bool found = false;

		for (j = 0; j < nsnap; j++)
			if (!strcmp(cur[i], snapvols[j]))
				found = true;
		if (!found)
			pctconf_add_unused(&conf->main, cur[i]);
	}
	pctconf_strv_free(cur, ncur);
	pctconf_strv_free(snapvols, nsnap);
	/* __snapshot_apply_config: old description and unusedN, the snapshot's keys */
	for (i = 0; i < conf->main.nvals; i++) {
		const char *k = conf->main.vals[i].key;

		if (str_has_prefix(k, "unused") && pctconf_key_lookup(k, NULL))
			pctconf_set_len(&newmain, k, conf->main.vals[i].value,
					conf->main.vals[i].len);
	}
	if (conf->main.description)
		pctconf_set_description(&newmain, conf->main.description, conf->main.desc_len);
	copy_config(snap, &newmain);
	pctconf_set(&newmain, "parent", name);
	pctconf_section_release(&conf->main);
	conf->main = newmain;
	pctconf_section_release(&conf->pending);
	conf->pending.name = xstrdup("pve:pending");
	return 0;
}

/*
 * pct set <vmid> [--KEY VALUE]... [--delete KEYS] [--revert KEYS] [--digest SHA1]
 *
 * Proxmox's update_vm / update_pct_config: values and deletes go to
 * [pve:pending] first, then the keys this call touched are applied at once
 * for a stopped CT (vmconfig_apply_pending), or, for a running one (as
 * corral-syncd reports it), only those Kubernetes can change on a running
 * pod (see doc/kubernetes-mapping.md); the rest stay pending until the next
 * start. Runs under the CT's config lock. Writes nothing when nothing
 * changes (same bytes, same mtime), which --output-format json reports as
 * "changed": false.
 */
#include "config.h"

#include <string.h>

#include "pct.h"
#include "settings.h"
#include "state.h"

struct live_ctx {
	bool inplace_resize;
};

/* What a running pod can take without a restart (beyond the fast-plug keys). */
static bool
live_key(const char *key, bool del, void *ctx)
{
	const struct live_ctx *lc = ctx;

	if (!strcmp(key, "swap"))
		return true; /* no per-pod swap in Kubernetes: nothing to apply */
	if (!strcmp(key, "memory") || !strcmp(key, "cpulimit") || !strcmp(key, "cpuunits"))
		return lc->inplace_resize && !del;
	if (del && str_has_prefix(key, "unused"))
		return true;
	return false;
}

static bool
strv_has(char **v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static bool
section_has(const struct pctconf_section *s, const char *key)
{
	if (!strcmp(key, "description"))
		return s->description != NULL;
	if (!strcmp(key, "env"))
		return s->env != NULL;
	return pctconf_get(s, key) != NULL;
}

static bool
is_key_row(const char *key, const char *row)
{
	const struct pctconf_key *k = pctconf_key_lookup(key, NULL);

	return k && !strcmp(k->name, row);
}

static int
check_lists(struct pct_args *args, char **del, size_t ndel, char **rev, size_t nrev,
	    struct pct_error **err)
{
	struct pct_param_errors pe = { STRBUF_INIT, 0 };
	size_t i;

	for (i = 0; i < nrev; i++) {
		if (!pctconf_key_lookup(rev[i], NULL))
			pct_param_error_add(&pe, "revert", "unknown option '%s'", rev[i]);
		else if (pct_args_get(args, rev[i]))
			pct_param_error_add(&pe, "revert",
					    "you can't use '-%s' and '-revert %s' at the same time",
					    rev[i], rev[i]);
	}
	for (i = 0; i < ndel; i++) {
		if (!pctconf_key_lookup(del[i], NULL))
			pct_param_error_add(&pe, "delete", "unknown option '%s'", del[i]);
		else if (pct_args_get(args, del[i]))
			pct_param_error_add(&pe, "delete",
					    "you can't use '-%s' and -delete %s' at the same time",
					    del[i], del[i]);
		else if (strv_has(rev, nrev, del[i]))
			pct_param_error_add(&pe, "delete",
					    "you can't use '-delete %s' and '-revert %s' at the same time",
					    del[i], del[i]);
	}
	if (pe.n)
		return pct_param_error_raise(&pe, err);
	strbuf_release(&pe.text);
	return 0;
}

static int
cmp_param(const void *a, const void *b)
{
	return strcmp(((const struct pct_param *)a)->name, ((const struct pct_param *)b)->name);
}

/* update_pct_config: revert, delete, set; returns -1 on the first die */
static int
update_config(struct pctconf *conf, struct pct_args *args, char **del, size_t ndel, char **rev,
	      size_t nrev, char ***modified, size_t *nmod, struct pct_error **err)
{
	bool protection = pctconf_value_true(pctconf_get(&conf->main, "protection"));
	struct pct_param *sorted;
	size_t i, nkeys = 0, amod = 0;

	for (i = 0; i < nrev; i++) {
		if (!strcmp(rev[i], "description"))
			pctconf_set_description(&conf->pending, NULL, 0);
		else if (!strcmp(rev[i], "env"))
			pctconf_set_env(&conf->pending, NULL, 0);
		else
			pctconf_unset(&conf->pending, rev[i]);
		pctconf_pending_delete_remove(conf, rev[i]);
	}
	for (i = 0; i < ndel; i++) {
		const char *k = del[i];

		if (!section_has(&conf->main, k) && !section_has(&conf->pending, k)) {
			pct_warn("cannot delete '%s' - not set in current configuration!", k);
			continue;
		}
		*modified = xgrow(*modified, *nmod + 1, &amod, sizeof(**modified));
		(*modified)[(*nmod)++] = xstrdup(k);
		if (!strcmp(k, "memory") || !strcmp(k, "rootfs") || !strcmp(k, "ostype"))
			return pct_error_set(err, PCT_E_REFUSED, "unable to delete required option '%s'",
					     k);
		if ((is_key_row(k, "unused") || is_key_row(k, "mp")) && protection)
			return pct_error_set(err, PCT_E_REFUSED,
					     "can't remove CT %u drive '%s' - protection mode enabled",
					     conf->vmid, k);
		if (!strcmp(k, "unprivileged"))
			return pct_error_set(err, PCT_E_REFUSED,
					     "unable to delete read-only option: '%s'", k);
		pctconf_pending_delete_add(conf, k, false);
	}
	sorted = xcalloc(args->n + 1, sizeof(*sorted));
	for (i = 0; i < args->n; i++)
		if (args->v[i].is_key)
			sorted[nkeys++] = args->v[i];
	qsort(sorted, nkeys, sizeof(*sorted), cmp_param);
	for (i = 0; i < nkeys; i++) {
		const char *k = sorted[i].name;
		_cleanup_free_ char *value = NULL;

		*modified = xgrow(*modified, *nmod + 1, &amod, sizeof(**modified));
		(*modified)[(*nmod)++] = xstrdup(k);
		if ((is_key_row(k, "mp") || !strcmp(k, "rootfs")) && protection) {
			free(sorted);
			return pct_error_set(err, PCT_E_REFUSED,
					     "can't update CT %u drive '%s' - protection mode enabled",
					     conf->vmid, k);
		}
		if (!strcmp(k, "unprivileged")) {
			free(sorted);
			return pct_error_set(err, PCT_E_REFUSED,
					     "unable to modify read-only option: '%s'", k);
		}
		if (is_key_row(k, "dev")) {
			const struct pctconf_key *row = pctconf_key_lookup(k, NULL);
			struct pctconf_props props;
			struct strbuf msg = STRBUF_INIT;
			bool has_path = false;

			if (pctconf_props_parse(row->props, sorted[i].value, &props, &msg, NULL) == 0) {
				has_path = pctconf_props_get(&props, "path") != NULL;
				pctconf_props_release(&props);
			}
			strbuf_release(&msg);
			if (!has_path) {
				free(sorted);
				return pct_error_set(err, PCT_E_INVALID,
						     "Path is not defined for passthrough device %s", k);
			}
		}
		value = pctconf_normalize_api_value(k, sorted[i].value);
		if (!strcmp(k, "description"))
			pctconf_set_description(&conf->pending, value, strlen(value));
		else if (!strcmp(k, "env"))
			pctconf_set_env(&conf->pending, value, strlen(value));
		else
			pctconf_set(&conf->pending, k, value);
		pctconf_pending_delete_remove(conf, k);
	}
	free(sorted);
	pctconf_cleanup_pending(conf);
	return 0;
}

static int
cmd_set_exec(struct pct_args *args, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	const struct corral_settings *settings;
	const char *digest = pct_args_get(args, "digest");
	const char *delete = pct_args_get(args, "delete");
	const char *revert = pct_args_get(args, "revert");
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	struct pctconf_apply res = { 0 };
	char **del = NULL, **rev = NULL, **modified = NULL;
	size_t ndel = 0, nrev = 0, nmod = 0, i;
	int ret, changed = 0;

	if (!pct_args_has_keys(args) && !delete && !revert)
		return pct_error_set(err, PCT_E_PARAM, "no options specified");
	ret = pct_settings(&settings, err);
	if (ret < 0)
		return ret;
	if (delete)
		ndel = pctconf_split_list(delete, &del);
	if (revert)
		nrev = pctconf_split_list(revert, &rev);
	ret = pct_lock(args->vmid, &lk, err);
	if (ret < 0)
		goto out;
	ret = pct_load(args->vmid, &conf, err);
	if (ret < 0)
		goto out;
	pct_state_reserve_volumes(conf);
	ret = pctconf_check_lock(conf, err);
	if (ret < 0)
		goto out;
	if (digest && *digest && strcmp(digest, pctconf_digest(conf)) != 0) {
		ret = pct_error_set(err, PCT_E_CONFLICT,
				    "detected modified configuration - file changed by other user? Try again.");
		goto out;
	}
	ret = check_lists(args, del, ndel, rev, nrev, err);
	if (ret < 0)
		goto out;
	ret = update_config(conf, args, del, ndel, rev, nrev, &modified, &nmod, err);
	if (ret < 0)
		goto out;
	{
		const char **sel = xcalloc(nmod + 1, sizeof(*sel));
		struct pct_status st;

		for (i = 0; i < nmod; i++)
			sel[i] = modified[i];
		pct_status_read(args->vmid, &st);
		if (st.known && st.status &&
		    (!strcmp(st.status, "running") || !strcmp(st.status, "starting"))) {
			struct live_ctx lc = { st.inplace_resize };

			pctconf_hotplug_pending(conf, sel, live_key, &lc, settings->mac_prefix, &res);
		} else {
			pctconf_apply_pending(conf, sel, settings->mac_prefix, &res);
		}
		pct_status_release(&st);
		free(sel);
	}
	if (res.nerrors) {
		struct pct_param_errors pe = { STRBUF_INIT, 0 };

		for (i = 0; i < res.nerrors; i++)
			pct_param_error_add(&pe, res.errors[i].key, "%s", res.errors[i].msg);
		ret = pct_param_error_raise(&pe, err);
		goto out;
	}
	ret = pct_save(conf, err);
	if (ret < 0)
		goto out;
	changed = ret;
	ret = pct_state_add_destroy(args->vmid, res.destroy, res.ndestroy, err);
	if (ret < 0)
		goto out;
	if (args->format != PCT_OUT_TEXT) {
		struct pct_out *o = pct_out_new_object();

		pct_out_add_bool(o, "changed", changed > 0);
		pct_out_print(o, args->format);
		pct_out_free(o);
	}
	ret = 0;
out:
	pctconf_unlock(&lk);
	pctconf_apply_release(&res);
	pctconf_strv_free(del, ndel);
	pctconf_strv_free(rev, nrev);
	pctconf_strv_free(modified, nmod);
	return ret;
}

static const char *const set_args[] = { "vmid", NULL };
static const struct pctconf_prop set_opts[] = {
	{ .name = "delete", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,
	  .format = "pve-configid-list", .help = "A list of settings you want to delete." },
	{ .name = "digest", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL, .max_length = 40,
	  .help = "Prevent changes if the current configuration file has a different SHA1 digest." },
	{ .name = "revert", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,
	  .format = "pve-configid-list", .help = "Revert a pending change." },
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_set = {
	.name = "set",
	.args = set_args,
	.opts = set_opts,
	.flags = PCT_CMD_KEY_OPTS | PCT_CMD_OUTPUT_FORMAT,
	.help = "Set container options.",
	.exec = cmd_set_exec,
};

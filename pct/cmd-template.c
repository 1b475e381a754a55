/*
 * pct template <vmid>
 *
 * Mark a stopped CT without snapshots as a template (`template: 1`). A
 * template never runs; it is the source of clones. The volumes keep their
 * names: PVCs cannot be renamed the way Proxmox renames vm- to base-.
 */
#include "config.h"

#include "pct.h"

static int
cmd_template_exec(struct pct_args *args, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	int ret;

	ret = pct_lock(args->vmid, &lk, err);
	if (ret < 0)
		return ret;
	ret = pct_load(args->vmid, &conf, err);
	if (ret < 0)
		goto out;
	ret = pctconf_check_lock(conf, err);
	if (ret < 0)
		goto out;
	if (conf->nsnaps) {
		ret = pct_error_set(err, PCT_E_REFUSED,
				    "unable to create template, because CT contains snapshots");
		goto out;
	}
	if (pctconf_value_true(pctconf_get(&conf->main, "template"))) {
		ret = pct_error_set(err, PCT_E_REFUSED, "you can't convert a template to a template");
		goto out;
	}
	if (pct_is_running(args->vmid)) {
		ret = pct_error_set(err, PCT_E_REFUSED,
				    "you can't convert a CT to template if the CT is running");
		goto out;
	}
	pctconf_set(&conf->main, "template", "1");
	ret = pct_save(conf, err);
	if (ret > 0)
		ret = 0;
out:
	pctconf_unlock(&lk);
	return ret;
}

static const char *const template_args[] = { "vmid", NULL };
static const struct pctconf_prop template_opts[] = {
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_template = {
	.name = "template",
	.args = template_args,
	.opts = template_opts,
	.help = "Create a Template.",
	.exec = cmd_template_exec,
};

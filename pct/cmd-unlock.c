/*
 * pct unlock <vmid>
 *
 * Remove the `lock:` key. Fails with Proxmox's message when there is none.
 */
#include "config.h"

#include <syslog.h>

#include "pct.h"

static int
cmd_unlock_exec(struct pct_args *args, struct pct_error **err)
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
	if (!pctconf_get(&conf->main, "lock")) {
		ret = pct_error_set(err, PCT_E_INVALID, "no lock found trying to remove any lock");
		goto out;
	}
	pctconf_unset(&conf->main, "lock");
	ret = pct_save(conf, err);
	if (ret >= 0) {
		openlog("pct", LOG_PID, LOG_USER);
		syslog(LOG_INFO, "executed 'pct unlock %u'", args->vmid);
		closelog();
		ret = 0;
	}
out:
	pctconf_unlock(&lk);
	return ret;
}

static const char *const unlock_args[] = { "vmid", NULL };
static const struct pctconf_prop unlock_opts[] = {
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_unlock = {
	.name = "unlock",
	.args = unlock_args,
	.opts = unlock_opts,
	.help = "Unlock the VM.",
	.exec = cmd_unlock_exec,
};

/*
 * pct start <vmid> [--skiplock] [--debug]
 *
 * Like Proxmox's vm_start: refuse a running CT, a template and a locked CT
 * (unless --skiplock, or the lock is `mounted`), apply every pending change
 * to the config first, then ask
 * corral-syncd to run the CT (replicas 1) and wait until it reports the CT
 * running, an error (image pull, scheduling), or wait-timeout passes. A start
 * that fails is taken back, so the CT does not keep trying. On a locked CT
 * the agent only scales the StatefulSet (the config waits for the lock to go).
 */
#include "config.h"

#include <string.h>

#include "power.h"
#include "settings.h"

static int
cmd_start_exec(struct pct_args *args, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	const struct corral_settings *s;
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	struct pctconf_apply res = { 0 };
	const char *lock;
	bool skip; /* a lock is there and this start skips it */
	double gen;
	size_t i;
	int ret;

	ret = pct_settings(&s, err);
	if (ret < 0)
		return ret;
	ret = pct_lock(args->vmid, &lk, err);
	if (ret < 0)
		return ret;
	ret = pct_load(args->vmid, &conf, err);
	if (ret < 0)
		goto out;
	/* Proxmox's order: running, template, then the lock */
	if (pct_is_running(args->vmid)) {
		ret = pct_error_set(err, PCT_E_INVALID, "CT %u already running", args->vmid);
		goto out;
	}
	if (pctconf_value_true(pctconf_get(&conf->main, "template"))) {
		ret = pct_error_set(err, PCT_E_REFUSED, "you can't start a CT if it's a template");
		goto out;
	}
	lock = pctconf_get(&conf->main, "lock");
	if (lock && !*lock)
		lock = NULL;
	if (!pct_args_bool(args, "skiplock", false) && lock && strcmp(lock, "mounted") != 0) {
		ret = pctconf_check_lock(conf, err);
		goto out;
	}
	skip = lock != NULL;
	/* vm_start applies every pending change first */
	pctconf_apply_pending(conf, NULL, s->mac_prefix, &res);
	for (i = 0; i < res.nerrors; i++)
		pct_warn("%s", res.errors[i].msg);
	ret = pct_save(conf, err);
	if (ret < 0)
		goto out;
	/* the agent must know that this request may pass the lock */
	ret = pct_power_request(args->vmid, "running", -1, false, skip, &gen, err);
	pctconf_unlock(&lk);
	if (ret < 0)
		goto done;
	ret = pct_power_wait(args->vmid, gen, "running", pct_wait_timeout(), "start", err);
	if (ret < 0 && (*err)->code != PCT_E_TIMEOUT) {
		/* a failed start leaves the CT stopped, as in Proxmox */
		_cleanup_error_ struct pct_error *e2 = NULL;
		double g2;

		if (pct_lock(args->vmid, &lk, &e2) == 0) {
			(void)pct_power_request(args->vmid, "stopped", -1, false, skip, &g2, &e2);
			pctconf_unlock(&lk);
		}
	}
	goto done;
out:
	pctconf_unlock(&lk);
done:
	pctconf_apply_release(&res);
	return ret < 0 ? -1 : 0;
}

static const char *const start_args[] = { "vmid", NULL };
static const struct pctconf_prop start_opts[] = {
	{ .name = "debug", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Accepted for compatibility; see corral-syncd --debug." },
	{ .name = "skiplock", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,
	  .help = "Ignore locks." },
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_start = {
	.name = "start",
	.args = start_args,
	.opts = start_opts,
	.help = "Start the container.",
	.exec = cmd_start_exec,
};

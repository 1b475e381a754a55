/*
 * pct reboot <vmid> [--timeout N]
 *
 * Apply the pending changes and recreate the pod, so they take effect (the
 * StatefulSet's OnDelete strategy holds changes until the pod is replaced).
 * Waits until corral-syncd reports the CT running again.
 */
#include "config.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "power.h"
#include "settings.h"
#include "state.h"

/* the power state last recorded for the CT is "running" */
static bool
wants_running(unsigned vmid)
{
	cJSON *state = pct_state_load(vmid);
	bool yes = !strcmp(pct_state_power(state), "running");

	cJSON_Delete(state);
	return yes;
}

static int
cmd_reboot_exec(struct pct_args *args, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	const struct corral_settings *s;
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	struct pctconf_apply res = { 0 };
	const char *timeout = pct_args_get(args, "timeout");
	long grace = timeout ? strtol(timeout, NULL, 10) : -1;
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
	/*
	 * Not running: what the agent reports, or with no agent the power state
	 * last asked for. A reboot must not start a CT that was stopped (it
	 * would once the agent runs again); of one that should run, the reboot
	 * is recorded like a start or stop and takes effect when the agent runs.
	 */
	if (pct_agent_alive() ? !pct_is_running(args->vmid) : !wants_running(args->vmid)) {
		ret = pct_error_set(err, PCT_E_INVALID, "CT %u not running", args->vmid);
		goto out;
	}
	ret = pctconf_check_lock(conf, err);
	if (ret < 0)
		goto out;
	pctconf_apply_pending(conf, NULL, s->mac_prefix, &res);
	for (i = 0; i < res.nerrors; i++)
		pct_warn("%s", res.errors[i].msg);
	ret = pct_save(conf, err);
	if (ret < 0)
		goto out;
	ret = pct_power_request(args->vmid, "running", grace, true, false, &gen, err);
	pctconf_unlock(&lk);
	pctconf_apply_release(&res);
	if (ret < 0)
		return ret;
	return pct_power_wait(args->vmid, gen, "running",
			      pct_wait_timeout() + (grace > 0 ? grace : 60), "reboot", err);
out:
	pctconf_unlock(&lk);
	pctconf_apply_release(&res);
	return ret;
}

static const char *const reboot_args[] = { "vmid", NULL };
static const struct pctconf_prop reboot_opts[] = {
	{ .name = "timeout", .type = PCTCONF_INT, .flags = PCTCONF_OPTIONAL | PCTCONF_HAS_MIN,
	  .min = 0, .help = "Seconds the CT's init has to end before it is stopped." },
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_reboot = {
	.name = "reboot",
	.args = reboot_args,
	.opts = reboot_opts,
	.help = "Reboot the container by shutting it down and starting it again; applies pending changes.",
	.exec = cmd_reboot_exec,
};

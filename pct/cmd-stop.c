/*
 * pct stop <vmid> [--skiplock] [--overrule-shutdown]
 * pct shutdown <vmid> [--timeout N] [--forceStop]
 *
 * stop is immediate (the pod is deleted with the shortest grace period the
 * agent uses, 1 s: a pod is never force-deleted, see doc/architecture.md); shutdown
 * lets the CT's PID 1 end within --timeout seconds (default 60), after
 * which Kubernetes stops it anyway: on Kubernetes a shutdown always ends
 * stopped, as if --forceStop were given. Both wait for corral-syncd to
 * report the CT stopped. As in Proxmox, stop refuses a locked CT unless
 * --skiplock (or the lock is `mounted`), and shutdown refuses any lock.
 */
#include "config.h"

#include <string.h>

#include "power.h"

static int
stop_common(struct pct_args *args, bool immediate, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	const char *timeout = pct_args_get(args, "timeout");
	long grace = immediate ? 0 : (timeout ? strtol(timeout, NULL, 10) : 60);
	const char *lock;
	double gen;
	int ret;

	ret = pct_lock(args->vmid, &lk, err);
	if (ret < 0)
		return ret;
	ret = pct_load(args->vmid, &conf, err);
	if (ret < 0)
		goto out;
	/* Proxmox's order: not running, then the lock */
	if (pct_agent_alive() && !pct_is_running(args->vmid)) {
		struct pct_status st;
		bool starting;

		pct_status_read(args->vmid, &st);
		starting = st.status && !strcmp(st.status, "starting");
		pct_status_release(&st);
		if (!starting) {
			ret = pct_error_set(err, PCT_E_INVALID, "CT %u not running", args->vmid);
			goto out;
		}
	}
	lock = pctconf_get(&conf->main, "lock");
	if (lock && !*lock)
		lock = NULL;
	/* stop: unless --skiplock or the lock is `mounted`; shutdown: always */
	if (lock && (!immediate || (!pct_args_bool(args, "skiplock", false) &&
				    strcmp(lock, "mounted") != 0))) {
		ret = pctconf_check_lock(conf, err);
		goto out;
	}
	/* the agent must know that this request may pass the lock */
	ret = pct_power_request(args->vmid, "stopped", grace, false, lock != NULL, &gen, err);
	pctconf_unlock(&lk);
	if (ret < 0)
		return ret;
	/* the agent needs the grace period plus time to see the pod go */
	return pct_power_wait(args->vmid, gen, "stopped", pct_wait_timeout() + grace,
			      immediate ? "stop" : "shutdown", err);
out:
	pctconf_unlock(&lk);
	return ret;
}

static int
cmd_stop_exec(struct pct_args *args, struct pct_error **err)
{
	return stop_common(args, true, err);
}

static int
cmd_shutdown_exec(struct pct_args *args, struct pct_error **err)
{
	return stop_common(args, false, err);
}

static const char *const vmid_args[] = { "vmid", NULL };
static const struct pctconf_prop stop_opts[] = {
	{ .name = "overrule-shutdown", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "A running shutdown is overruled (a stop always is on Kubernetes)." },
	{ .name = "skiplock", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,
	  .help = "Ignore locks." },
	PCT_PROP_VMID,
	{ .name = NULL },
};
static const struct pctconf_prop shutdown_opts[] = {
	{ .name = "forceStop", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Stop the CT after the timeout (always the case on Kubernetes)." },
	{ .name = "timeout", .type = PCTCONF_INT, .flags = PCTCONF_OPTIONAL | PCTCONF_HAS_MIN,
	  .min = 0, .def = "60", .help = "Seconds the CT's init has to end." },
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_stop = {
	.name = "stop",
	.args = vmid_args,
	.opts = stop_opts,
	.help = "Stop the container (immediately).",
	.exec = cmd_stop_exec,
};

const struct pct_cmd pct_cmd_shutdown = {
	.name = "shutdown",
	.args = vmid_args,
	.opts = shutdown_opts,
	.help = "Shut down the container gracefully.",
	.exec = cmd_shutdown_exec,
};

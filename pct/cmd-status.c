/*
 * pct status <vmid> [--verbose]
 *
 * "status: running|stopped" as corral-syncd observed it. When no agent has
 * reported on this CT, pct says so instead of guessing.
 */
#include "config.h"

#include <string.h>

#include "pct.h"

static int
cmd_status_exec(struct pct_args *args, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	bool verbose = pct_args_bool(args, "verbose", false);
	struct pct_status st;
	const char *status;
	int ret;

	ret = pct_load(args->vmid, &conf, err);
	if (ret < 0)
		return ret;
	pct_status_read(args->vmid, &st);
	status = st.known && st.status ? st.status : "unknown";
	if (!st.agent)
		fprintf(stderr, "corral-syncd is not running: %s\n",
			st.known ? "the status shown is the last one it reported"
				 : "no status has been reported for this CT");
	else if (!st.known)
		fprintf(stderr, "corral-syncd has not reported a status for CT %u yet\n", args->vmid);
	if (args->format != PCT_OUT_TEXT) {
		struct pct_out *o = pct_out_new_object();

		pct_out_add_num(o, "vmid", args->vmid);
		pct_out_add_str(o, "status", status);
		pct_out_add_bool(o, "agent", st.agent);
		if (verbose) {
			const char *v;

			if (st.phase)
				pct_out_add_str(o, "phase", st.phase);
			if (st.node)
				pct_out_add_str(o, "node", st.node);
			if (st.ip)
				pct_out_add_str(o, "ip", st.ip);
			if (st.error)
				pct_out_add_str(o, "error", st.error);
			pct_out_add_bool(o, "pending-restart", st.pending_restart);
			if (st.userns >= 0) {
				pct_out_add_bool(o, "userns", st.userns > 0);
				if (st.userns_reason)
					pct_out_add_str(o, "userns-reason", st.userns_reason);
			}
			if ((v = pctconf_get(&conf->main, "lock")))
				pct_out_add_str(o, "lock", v);
		}
		pct_out_print(o, args->format);
		pct_out_free(o);
		pct_status_release(&st);
		return 0;
	}
	if (!verbose) {
		printf("status: %s\n", status);
	} else {
		/* sorted keys, undefined ones left out */
		const char *lock = pctconf_get(&conf->main, "lock");
		const char *mem = pctconf_get(&conf->main, "memory");
		const char *swap = pctconf_get(&conf->main, "swap");
		const char *tags = pctconf_get(&conf->main, "tags");
		const char *cores = pctconf_get(&conf->main, "cores");
		_cleanup_free_ char *name = NULL;

		if (st.error)
			printf("error: %s\n", st.error);
		if (st.ip)
			printf("ip: %s\n", st.ip);
		if (lock)
			printf("lock: %s\n", lock);
		printf("maxmem: %llu\n", (mem ? strtoull(mem, NULL, 10) : 512ULL) * 1024 * 1024);
		printf("maxswap: %llu\n", (swap ? strtoull(swap, NULL, 10) : 512ULL) * 1024 * 1024);
		name = pctconf_get(&conf->main, "hostname") ? xstrdup(pctconf_get(&conf->main, "hostname"))
							     : xasprintf("CT%u", args->vmid);
		printf("name: %s\n", name);
		if (st.node)
			printf("node: %s\n", st.node);
		printf("pending-restart: %d\n", st.pending_restart ? 1 : 0);
		if (st.phase)
			printf("phase: %s\n", st.phase);
		printf("status: %s\n", status);
		if (tags)
			printf("tags: %s\n", tags);
		if (pctconf_value_true(pctconf_get(&conf->main, "template")))
			printf("template: 1\n");
		printf("type: lxc\n");
		/* whether the CT's pod runs in a user namespace of its own, and why */
		if (st.userns >= 0)
			printf("userns: %d%s%s%s\n", st.userns, st.userns_reason ? " (" : "",
			       st.userns_reason ? st.userns_reason : "", st.userns_reason ? ")" : "");
		printf("vmid: %u\n", args->vmid);
		(void)cores;
	}
	pct_status_release(&st);
	return 0;
}

static const char *const status_args[] = { "vmid", NULL };
static const struct pctconf_prop status_opts[] = {
	{ .name = "verbose", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,
	  .help = "Verbose output format." },
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_status = {
	.name = "status",
	.args = status_args,
	.opts = status_opts,
	.flags = PCT_CMD_OUTPUT_FORMAT,
	.help = "Show CT status.",
	.exec = cmd_status_exec,
};

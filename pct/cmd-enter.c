/*
 * pct enter <vmid> [--keep-env]
 * pct console <vmid> [--escape ^a]
 * pct exec <vmid> [--keep-env] -- COMMAND...
 *
 * A shell in, or a command run in, a running CT through `kubectl exec`
 * (pods have no ttys to attach a console to). The caller's environment is
 * never forwarded: kubectl exec starts from the container's (--keep-env and
 * --escape are accepted for compatibility). cmode: shell gives a plain
 * shell; tty and console give a login shell.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kubectl.h"

static const char login_shell[] =
	"if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi";
static const char plain_shell[] =
	"if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi";

static int
exec_in_ct(struct pct_args *args, bool shell, const char *notrunning, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	struct pct_argv a = { 0 };
	bool tty = isatty(0) && isatty(1);
	size_t i;
	int ret;

	ret = pct_load(args->vmid, &conf, err);
	if (ret < 0)
		return ret;
	ret = pct_require_running(args->vmid, notrunning, err);
	if (ret < 0)
		return ret;
	if (!shell && !args->nextra)
		return pct_error_set(err, PCT_E_PARAM, "missing command");
	ret = pct_kubectl_exec_argv(args->vmid, conf, true, tty, &a, err);
	if (ret < 0)
		return ret;
	if (shell) {
		const char *cmode = pctconf_get(&conf->main, "cmode");

		pct_argv_add(&a, "/bin/sh");
		pct_argv_add(&a, "-c");
		pct_argv_add(&a, cmode && !strcmp(cmode, "shell") ? plain_shell : login_shell);
	} else {
		for (i = 0; i < args->nextra; i++)
			pct_argv_add(&a, args->extra[i]);
	}
	fflush(stdout);
	execvp(a.v[0], a.v);
	ret = pct_error_errno(err, errno, "unable to run '%s'", a.v[0]);
	pct_argv_release(&a);
	return ret;
}

static int
cmd_enter_exec(struct pct_args *args, struct pct_error **err)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "container '%u' not running!", args->vmid);
	return exec_in_ct(args, true, msg, err);
}

static int
cmd_exec_exec(struct pct_args *args, struct pct_error **err)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "container '%u' not running!", args->vmid);
	return exec_in_ct(args, false, msg, err);
}

static const char *const vmid_args[] = { "vmid", NULL };
static const char *const exec_args[] = { "vmid", "extra-args", NULL };
static const struct pctconf_prop enter_opts[] = {
	{ .name = "keep-env", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "1",
	  .help = "Accepted for compatibility; kubectl exec uses the container's environment." },
	PCT_PROP_VMID,
	{ .name = NULL },
};
static const struct pctconf_prop console_opts[] = {
	{ .name = "escape", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL, .def = "^a",
	  .help = "Accepted for compatibility; end the session with exit or Ctrl-D." },
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_enter = {
	.name = "enter",
	.args = vmid_args,
	.opts = enter_opts,
	.help = "Launch a shell for the specified container.",
	.exec = cmd_enter_exec,
};

const struct pct_cmd pct_cmd_console = {
	.name = "console",
	.args = vmid_args,
	.opts = console_opts,
	.help = "Launch a console for the specified container.",
	.exec = cmd_enter_exec,
};

const struct pct_cmd pct_cmd_exec = {
	.name = "exec",
	.args = exec_args,
	.opts = enter_opts,
	.help = "Launch a command inside the specified container.",
	.exec = cmd_exec_exec,
};

/*
 * pct fmt FILE [--in-place] [--check]      (Corral extension)
 *
 * Print FILE parsed and written back exactly as Proxmox's writer writes it.
 * Problems Proxmox would warn about go to stderr as FILE:LINE: messages.
 * --in-place replaces the file atomically (only when it changes);
 * --check exits 1 when the file is not in canonical form.
 */
#include "config.h"

#include <string.h>

#include "pct.h"


static int
cmd_fmt_exec(struct pct_args *args, struct pct_error **err)
{
	const char *path = pct_args_get(args, "file");
	bool in_place = pct_args_bool(args, "in-place", false);
	bool check = pct_args_bool(args, "check", false);
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	_cleanup_free_ char *raw = NULL, *text = NULL;
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	size_t rawlen = 0, len, i;
	unsigned vmid = 0;
	int ret;

	/* a CT config in the config directory is rewritten under its lock */
	if (in_place && pctconf_name_vmid(strrchr(path, '/') ? strrchr(path, '/') + 1 : path, &vmid) &&
	    pct_lock(vmid, &lk, err) < 0)
		return -1;
	ret = pctconf_load_file(path, 0, &conf, err);
	if (ret < 0)
		goto out;
	for (i = 0; i < conf->ndiags; i++)
		pct_print_diag(stderr, path, &conf->diags[i], false);
	text = pctconf_write(conf, &len, err);
	if (!text) {
		ret = -1;
		goto out;
	}
	if (check || in_place)
		(void)pct_read_file(path, PCTCONF_MAX_FILE_SIZE, &raw, &rawlen);
	if (check) {
		ret = (raw && rawlen == len && !memcmp(raw, text, len)) ? 0 : 1;
		if (ret)
			fprintf(stderr, "%s: not in canonical form\n", path);
		goto out;
	}
	if (in_place) {
		ret = 0;
		if (!raw || rawlen != len || memcmp(raw, text, len))
			ret = pctconf_write_file_atomic(path, text, len, 0644, err);
		goto out;
	}
	fwrite(text, 1, len, stdout);
	ret = 0;
out:
	pctconf_unlock(&lk);
	return ret;
}

static const char *const fmt_args[] = { "file", NULL };
static const struct pctconf_prop fmt_opts[] = {
	{ .name = "check", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Only check: exit 1 when the file is not in canonical form." },
	{ .name = "file", .type = PCTCONF_STR, .help = "The config file." },
	{ .name = "in-place", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Rewrite the file atomically instead of printing it." },
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_fmt = {
	.name = "fmt",
	.args = fmt_args,
	.opts = fmt_opts,
	.flags = PCT_CMD_EXTENSION,
	.help = "Print a config file in the canonical form Proxmox writes (Corral extension).",
	.exec = cmd_fmt_exec,
};

/*
 * pct config <vmid> [--current] [--snapshot NAME]
 *
 * The config with pending values applied (pending deletes of Perl-true
 * values removed), or the main section only with --current, or a snapshot.
 * Like Proxmox, the result is validated against the full schema before it
 * is printed: a value the parser tolerated but the API refuses fails with
 * "400 Result verification failed".
 */
#include "config.h"

#include <string.h>

#include "items.h"
#include "pct.h"

static int
verify_result(const struct pctconf_section *s, struct pct_error **err)
{
	struct strbuf lines = STRBUF_INIT;
	struct pct_item *it;
	size_t n = pct_items(s, &it), i;

	for (i = 0; i < n; i++) {
		struct strbuf msg = STRBUF_INIT;

		if (!pctconf_key_lookup(it[i].key, NULL))
			continue; /* unknown keys are printed as they are */
		if (!strcmp(it[i].key, "description")) {
			size_t c = 0, j;

			for (j = 0; j < it[i].len; j++)
				c += ((unsigned char)it[i].value[j] & 0xC0) != 0x80;
			if (c > 8192)
				strbuf_addf(&lines, "description: value may only be 8192 characters long\n");
			continue;
		}
		if (pctconf_check_api(it[i].key, it[i].value, it[i].len, &msg) < 0)
			strbuf_addf(&lines, "%s: %s\n", it[i].key, msg.buf);
		strbuf_release(&msg);
	}
	free(it);
	if (lines.len) {
		pct_error_set(err, PCT_E_USAGE, "400 Result verification failed\n%s", lines.buf);
		strbuf_release(&lines);
		return -1;
	}
	return 0;
}

static void
print_section(const struct pctconf_section *s, const char *digest, enum pct_output_format fmt)
{
	struct pct_item *it;
	size_t n = pct_items(s, &it), i;

	if (fmt != PCT_OUT_TEXT) {
		struct pct_out *o = pct_out_new_object();

		for (i = 0; i < n; i++)
			pct_out_add_confval(o, it[i].key, it[i].value, it[i].len);
		/* as the API returns it: what pct set --digest compares with */
		pct_out_add_str(o, "digest", digest);
		if (s->nlxc) {
			struct pct_out *arr = pct_out_new_array();

			/* raw lxc.* pairs in file order */
			for (i = 0; i < s->nlxc; i++) {
				struct pct_out *pair = pct_out_new_object();

				pct_out_add_str(pair, "key", s->lxc[i].key);
				pct_out_add_len(pair, "value", s->lxc[i].value, s->lxc[i].len);
				pct_out_array_add(arr, pair);
			}
			pct_out_add_array(o, "lxc", arr);
		}
		pct_out_print(o, fmt);
		pct_out_free(o);
		free(it);
		return;
	}
	for (i = 0; i < n; i++) {
		if (!strcmp(it[i].key, "digest"))
			continue;
		printf("%s: ", it[i].key);
		pct_print_value(it[i].key, it[i].value, it[i].len);
		putchar('\n');
	}
	for (i = 0; i < s->nlxc; i++) {
		printf("%s: ", s->lxc[i].key);
		fwrite(s->lxc[i].value, 1, s->lxc[i].len, stdout);
		putchar('\n');
	}
	free(it);
}

static int
cmd_config_exec(struct pct_args *args, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	const char *snapname = pct_args_get(args, "snapshot");
	bool current = pct_args_bool(args, "current", false);
	struct pctconf_section view = { 0 };
	const struct pctconf_section *s;
	int ret;

	if (snapname && current) {
		struct pct_param_errors pe = { STRBUF_INIT, 0 };

		pct_param_error_add(&pe, "current", "cannot use 'snapshot' parameter with 'current'");
		pct_param_error_add(&pe, "snapshot", "cannot use 'snapshot' parameter with 'current'");
		return pct_param_error_raise(&pe, err);
	}
	ret = pct_load(args->vmid, &conf, err);
	if (ret < 0)
		return ret;
	if (snapname) {
		s = pctconf_snapshot(conf, snapname);
		if (!s)
			return pct_error_set(err, PCT_E_NOENT, "snapshot '%s' does not exist", snapname);
	} else if (current) {
		s = &conf->main;
	} else {
		pctconf_current(conf, &view);
		s = &view;
	}
	ret = verify_result(s, err);
	if (ret == 0)
		print_section(s, pctconf_digest(conf), args->format);
	pctconf_section_release(&view);
	return ret;
}

static const char *const config_args[] = { "vmid", NULL };
static const struct pctconf_prop config_opts[] = {
	{ .name = "current", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Show the current values instead of the pending ones." },
	{ .name = "snapshot", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,
	  .format = "pve-configid", .max_length = 40,
	  .help = "Show the config of this snapshot." },
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_config = {
	.name = "config",
	.args = config_args,
	.opts = config_opts,
	.flags = PCT_CMD_OUTPUT_FORMAT,
	.help = "Get container configuration.",
	.exec = cmd_config_exec,
};

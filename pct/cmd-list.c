/*
 * pct list
 *
 * VMID, status (as corral-syncd reports it), lock and name of every CT in
 * the config directory, sorted by vmid. Prints nothing when there is none.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>

#include "pct.h"

struct row {
	unsigned vmid;
	char *status;
	char *lock;
	char *name;
};

static int
cmp_row(const void *a, const void *b)
{
	unsigned x = ((const struct row *)a)->vmid, y = ((const struct row *)b)->vmid;

	return x < y ? -1 : x > y;
}

/* hostname with all whitespace removed, or CT<vmid> */
static char *
display_name(const struct pctconf *conf)
{
	const char *h = pctconf_get(&conf->main, "hostname");
	struct strbuf sb = STRBUF_INIT;

	if (!h || !*h)
		return xasprintf("CT%u", conf->vmid);
	for (; *h; h++)
		if (!pct_isspace((unsigned char)*h))
			strbuf_addch(&sb, *h);
	return strbuf_detach(&sb, NULL);
}

static int
cmd_list_exec(struct pct_args *args, struct pct_error **err)
{
	const char *dir = pctconf_confdir();
	struct row *rows = NULL;
	size_t n = 0, alloc = 0, i;
	bool agent = pct_agent_alive();
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT) {
			/* no CTs: an empty list is still valid JSON/YAML */
			if (args->format != PCT_OUT_TEXT) {
				struct pct_out *arr = pct_out_new_array();

				pct_out_print(arr, args->format);
				pct_out_free(arr);
			}
			return 0;
		}
		return pct_error_errno(err, errno, "unable to read directory '%s'", dir);
	}
	while ((de = readdir(d))) {
		_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
		_cleanup_error_ struct pct_error *lerr = NULL;
		struct pct_status st;
		unsigned vmid;

		if (!pctconf_name_vmid(de->d_name, &vmid))
			continue;
		if (pctconf_load(dir, vmid, &conf, &lerr) < 0)
			continue;
		pct_warn_parse(conf);
		pct_status_read(vmid, &st);
		rows = xgrow(rows, n + 1, &alloc, sizeof(*rows));
		rows[n].vmid = vmid;
		rows[n].status = xstrdup(st.known && st.status ? st.status : agent ? "stopped" : "unknown");
		rows[n].lock = xstrdup(pctconf_get(&conf->main, "lock") ? pctconf_get(&conf->main, "lock") : "");
		rows[n].name = display_name(conf);
		n++;
		pct_status_release(&st);
	}
	closedir(d);
	if (n) /* rows is NULL then */
		qsort(rows, n, sizeof(*rows), cmp_row);
	if (args->format != PCT_OUT_TEXT) {
		struct pct_out *arr = pct_out_new_array();

		for (i = 0; i < n; i++) {
			struct pct_out *o = pct_out_new_object();

			pct_out_add_num(o, "vmid", rows[i].vmid);
			pct_out_add_str(o, "status", rows[i].status);
			if (rows[i].lock[0])
				pct_out_add_str(o, "lock", rows[i].lock);
			pct_out_add_str(o, "name", rows[i].name);
			pct_out_array_add(arr, o);
		}
		pct_out_print(arr, args->format);
		pct_out_free(arr);
	} else if (n) {
		printf("%-10s %-10s %-12s %-20s\n", "VMID", "Status", "Lock", "Name");
		for (i = 0; i < n; i++)
			printf("%-10u %-10s %-12s %-20s\n", rows[i].vmid, rows[i].status, rows[i].lock,
			       rows[i].name);
	}
	for (i = 0; i < n; i++) {
		free(rows[i].status);
		free(rows[i].lock);
		free(rows[i].name);
	}
	free(rows);
	return 0;
}

const struct pct_cmd pct_cmd_list = {
	.name = "list",
	.flags = PCT_CMD_OUTPUT_FORMAT,
	.help = "Container index.",
	.exec = cmd_list_exec,
};

/*
 * pct pending <vmid>
 *
 * Current and pending values per key: "cur k: v", "new k: v", "del k: v",
 * sorted by key, descriptions encode_text'ed (format_pending).
 */
#include "config.h"

#include <string.h>

#include "items.h"
#include "pct.h"

struct prow {
	const char *key;
	const char *cur;
	size_t curlen;
	const char *new;
	size_t newlen;
	int del; /* 0, 1, 2 = forced */
};

static int
cmp_prow(const void *a, const void *b)
{
	return strcmp(((const struct prow *)a)->key, ((const struct prow *)b)->key);
}

static struct prow *
find_row(struct prow *v, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].key, key))
			return &v[i];
	return NULL;
}

static int
cmd_pending_exec(struct pct_args *args, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	struct pct_item *cur = NULL, *pend = NULL;
	struct pctconf_pdel *del = NULL;
	size_t ncur, npend, ndel, n = 0, i;
	struct prow *rows;
	int ret;

	ret = pct_load(args->vmid, &conf, err);
	if (ret < 0)
		return ret;
	ncur = pct_items(&conf->main, &cur);
	npend = pct_items(&conf->pending, &pend);
	ndel = pctconf_pdel_parse(pctconf_get(&conf->pending, "delete"), &del);
	rows = xcalloc(ncur + npend + ndel + 1, sizeof(*rows));
	for (i = 0; i < ncur; i++) {
		rows[n].key = cur[i].key;
		rows[n].cur = cur[i].value;
		rows[n].curlen = cur[i].len;
		n++;
	}
	for (i = 0; i < npend; i++) {
		struct prow *r;

		if (!strcmp(pend[i].key, "delete"))
			continue;
		r = find_row(rows, n, pend[i].key);
		if (!r) {
			r = &rows[n++];
			r->key = pend[i].key;
		}
		r->new = pend[i].value;
		r->newlen = pend[i].len;
	}
	for (i = 0; i < ndel; i++) {
		struct prow *r = find_row(rows, n, del[i].key);

		if (!r) {
			r = &rows[n++];
			r->key = del[i].key;
		}
		r->del = del[i].force ? 2 : 1;
	}
	if (n > 1)
		qsort(rows, n, sizeof(*rows), cmp_prow);
	if (args->format != PCT_OUT_TEXT) {
		struct pct_out *arr = pct_out_new_array();

		for (i = 0; i < n; i++) {
			struct pct_out *o = pct_out_new_object();

			if (!strcmp(rows[i].key, "digest")) {
				pct_out_free(o);
				continue;
			}
			pct_out_add_str(o, "key", rows[i].key);
			if (rows[i].cur)
				pct_out_add_confval_as(o, "value", rows[i].key, rows[i].cur, rows[i].curlen);
			if (rows[i].new)
				pct_out_add_confval_as(o, "pending", rows[i].key, rows[i].new, rows[i].newlen);
			if (rows[i].del)
				pct_out_add_num(o, "delete", rows[i].del);
			pct_out_array_add(arr, o);
		}
		pct_out_print(arr, args->format);
		pct_out_free(arr);
		goto out;
	}
	for (i = 0; i < n; i++) {
		const struct prow *r = &rows[i];

		if (!strcmp(r->key, "digest"))
			continue;
		if (r->cur && r->del) {
			printf("del %s: ", r->key);
			pct_print_value(r->key, r->cur, r->curlen);
			putchar('\n');
		} else if (r->cur && r->new) {
			printf("cur %s: ", r->key);
			pct_print_value(r->key, r->cur, r->curlen);
			printf("\nnew %s: ", r->key);
			pct_print_value(r->key, r->new, r->newlen);
			putchar('\n');
		} else if (r->cur) {
			printf("cur %s: ", r->key);
			pct_print_value(r->key, r->cur, r->curlen);
			putchar('\n');
		} else if (r->new) {
			printf("new %s: ", r->key);
			pct_print_value(r->key, r->new, r->newlen);
			putchar('\n');
		}
	}
out:
	free(rows);
	free(cur);
	free(pend);
	pctconf_pdel_free(del, ndel);
	return 0;
}

static const char *const pending_args[] = { "vmid", NULL };
static const struct pctconf_prop pending_opts[] = {
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_pending = {
	.name = "pending",
	.args = pending_args,
	.opts = pending_opts,
	.flags = PCT_CMD_OUTPUT_FORMAT,
	.help = "Get container configuration, including pending changes.",
	.exec = cmd_pending_exec,
};

/*
 * pct listsnapshot <vmid>
 *
 * The snapshot tree as Proxmox prints it: "`-> name  time  description",
 * one more leading space per level, siblings by snaptime, `current` last
 * (as the child of main's parent).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <string.h>
#include <time.h>

#include "pct.h"

/* the agent's view of each snapshot's VolumeSnapshots (--verbose) */
static cJSON *agent_snaps;

struct node {
	const char *name;
	const char *parent;
	long long snaptime;
	bool has_time;
	char *desc; /* first line, or "no-description" */
	bool current;
	struct node **children;
	size_t nchildren;
	bool placed;
};

static int
cmp_node(const void *a, const void *b)
{
	const struct node *x = *(struct node *const *)a, *y = *(struct node *const *)b;

	/* by snaptime; entries without one (current) last */
	if (x->has_time != y->has_time)
		return x->has_time ? -1 : 1;
	if (x->snaptime != y->snaptime)
		return x->snaptime < y->snaptime ? -1 : 1;
	return 0;
}

static void
print_node(const struct node *n, int depth)
{
	char prefix[64], t[64] = "";
	int len, i;

	for (i = 0; i < depth && i < 40; i++)
		prefix[i] = ' ';
	strcpy(prefix + i, "`->");
	len = 30 - (int)strlen(prefix);
	if (len < 0)
		len = 0;
	if (n->has_time) {
		time_t tt = (time_t)n->snaptime;
		struct tm tm;

		localtime_r(&tt, &tm);
		strftime(t, sizeof(t), "%F %H:%M:%S", &tm);
	}
	printf("%s %-*s %-23s %s", prefix, len, n->name, t, n->desc);
	if (agent_snaps && !n->current) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(agent_snaps, n->name);
		const cJSON *nv = cJSON_GetObjectItemCaseSensitive(s, "volumes");
		const cJSON *nr = cJSON_GetObjectItemCaseSensitive(s, "ready");

		if (!s)
			printf(" [no VolumeSnapshots]");
		else
			printf(" [%s: %.0f/%.0f VolumeSnapshots ready]",
			       nr->valuedouble == nv->valuedouble ? "ready" : "not ready",
			       nr->valuedouble, nv->valuedouble);
	}
	putchar('\n');
	{
		struct node **kids = xmalloc((n->nchildren ? n->nchildren : 1) * sizeof(*kids));
		size_t k;

		if (n->nchildren) { /* children is NULL for a leaf */
			memcpy(kids, n->children, n->nchildren * sizeof(*kids));
			qsort(kids, n->nchildren, sizeof(*kids), cmp_node);
		}
		for (k = 0; k < n->nchildren; k++)
			print_node(kids[k], depth + 1);
		free(kids);
	}
}

static char *
first_line(const char *d, size_t len, const char *def)
{
	const char *nl;

	if (!d || !len)
		return xstrdup(def);
	nl = memchr(d, '\n', len);
	if (nl == d)
		return xstrdup(def);
	return xstrndup(d, nl ? (size_t)(nl - d) : len);
}

static int
cmd_listsnapshot_exec(struct pct_args *args, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	struct node *nodes, **roots;
	size_t n, i, j, nroots = 0;
	int ret;

	ret = pct_load(args->vmid, &conf, err);
	if (ret < 0)
		return ret;
	if (pct_args_bool(args, "verbose", false)) {
		_cleanup_free_ char *path = xasprintf("%s/ct/%u.status", pctconf_rundir(), args->vmid);
		_cleanup_free_ char *buf = NULL;
		size_t blen;

		if (pct_read_file(path, 4u << 20, &buf, &blen) == 0) {
			cJSON *st = cJSON_ParseWithLength(buf, blen);

			agent_snaps = cJSON_DetachItemFromObjectCaseSensitive(st, "snapshots");
			cJSON_Delete(st);
		}
		if (!agent_snaps)
			agent_snaps = cJSON_CreateObject();
	}
	n = conf->nsnaps + 1;
	nodes = xcalloc(n, sizeof(*nodes));
	roots = xcalloc(n, sizeof(*roots));
	for (i = 0; i < conf->nsnaps; i++) {
		const struct pctconf_section *s = conf->snaps[i];
		const char *t = pctconf_get(s, "snaptime");

		nodes[i].name = s->name;
		nodes[i].parent = pctconf_get(s, "parent");
		nodes[i].has_time = true;
		nodes[i].snaptime = t ? strtoll(t, NULL, 10) : 0;
		nodes[i].desc = first_line(s->description, s->desc_len, "no-description");
	}
	nodes[n - 1].name = "current";
	nodes[n - 1].parent = pctconf_get(&conf->main, "parent");
	nodes[n - 1].current = true;
	nodes[n - 1].desc = xstrdup("You are here!");
	for (i = 0; i < n; i++) {
		struct node *parent = NULL;

		if (nodes[i].parent)
			for (j = 0; j < conf->nsnaps; j++)
				if (j != i && !strcmp(nodes[j].name, nodes[i].parent))
					parent = &nodes[j];
		if (parent) {
			parent->children = xrealloc(parent->children,
						    (parent->nchildren + 1) * sizeof(struct node *));
			parent->children[parent->nchildren++] = &nodes[i];
		} else {
			roots[nroots++] = &nodes[i];
		}
	}
	if (args->format != PCT_OUT_TEXT) {
		struct pct_out *arr = pct_out_new_array();

		for (i = 0; i < n; i++) {
			struct pct_out *o = pct_out_new_object();

			pct_out_add_str(o, "name", nodes[i].name);
			if (nodes[i].parent)
				pct_out_add_str(o, "parent", nodes[i].parent);
			if (!nodes[i].current) {
				const struct pctconf_section *s = conf->snaps[i];

				pct_out_add_num(o, "snaptime", (double)nodes[i].snaptime);
				pct_out_add_len(o, "description", s->description ? s->description : "",
						s->description ? s->desc_len : 0);
				if (pctconf_get(s, "snapstate"))
					pct_out_add_str(o, "snapstate", pctconf_get(s, "snapstate"));
			} else {
				pct_out_add_str(o, "description", "You are here!");
				pct_out_add_str(o, "digest", pctconf_digest(conf));
			}
			pct_out_array_add(arr, o);
		}
		pct_out_print(arr, args->format);
		pct_out_free(arr);
	} else {
		qsort(roots, nroots, sizeof(*roots), cmp_node);
		for (i = 0; i < nroots; i++)
			print_node(roots[i], 0);
	}
	for (i = 0; i < n; i++) {
		free(nodes[i].desc);
		free(nodes[i].children);
	}
	free(nodes);
	free(roots);
	cJSON_Delete(agent_snaps);
	agent_snaps = NULL;
	return 0;
}

static const char *const listsnapshot_args[] = { "vmid", NULL };
static const struct pctconf_prop listsnapshot_opts[] = {
	{ .name = "verbose", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL | PCTCONF_EXTENSION,
	  .help = "Corral extension: show whether each snapshot's VolumeSnapshots are ready." },
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_listsnapshot = {
	.name = "listsnapshot",
	.args = listsnapshot_args,
	.opts = listsnapshot_opts,
	.flags = PCT_CMD_OUTPUT_FORMAT,
	.help = "List all snapshots.",
	.exec = cmd_listsnapshot_exec,
};

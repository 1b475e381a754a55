/*
 * What --dry-run prints: per object, a unified diff (3 lines of context) of
 * the YAML of what the cluster has against what the agent would apply. The
 * cluster's object is first cut down to the fields the agent sets, so the
 * server's own fields (uid, managedFields, status, defaults) do not show;
 * server-side apply leaves those alone anyway.
 */
#include "config.h"

#include <string.h>

#include "syncd.h"

static cJSON *project(const cJSON *have, const cJSON *want);

cJSON *
syncd_project(const cJSON *have, const cJSON *want)
{
	static const char *const typemeta[] = { "apiVersion", "kind" };
	cJSON *cut = project(have, want), *out, *c;
	size_t i;

	if (!cut || !cJSON_IsObject(cut))
		return cut;
	/* items of a list carry no apiVersion and kind; they are the same, first */
	out = cJSON_CreateObject();
	for (i = 0; i < ARRAY_SIZE(typemeta); i++) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(want, typemeta[i]);

		c = cJSON_DetachItemFromObjectCaseSensitive(cut, typemeta[i]);
		if (c)
			cJSON_AddItemToObject(out, typemeta[i], c);
		else if (t)
			cJSON_AddItemToObject(out, typemeta[i], cJSON_Duplicate(t, 1));
	}
	while ((c = cut->child)) {
		cJSON_DetachItemViaPointer(cut, c);
		cJSON_AddItemToObject(out, c->string, c);
	}
	cJSON_Delete(cut);
	return out;
}

static cJSON *
project(const cJSON *have, const cJSON *want)
{
	const cJSON *w, *h;
	cJSON *out;
	int i, n;

	if (!have)
		return NULL;
	if (cJSON_IsObject(want) && cJSON_IsObject(have)) {
		out = cJSON_CreateObject();
		cJSON_ArrayForEach(w, want)
		{
			h = cJSON_GetObjectItemCaseSensitive(have, w->string);
			if (h)
				cJSON_AddItemToObject(out, w->string, project(h, w));
		}
		return out;
	}
	if (cJSON_IsArray(want) && cJSON_IsArray(have)) {
		out = cJSON_CreateArray();
		n = cJSON_GetArraySize(have);
		for (i = 0; i < n; i++) {
			h = cJSON_GetArrayItem(have, i);
			w = cJSON_GetArrayItem(want, i);
			cJSON_AddItemToArray(out, w ? project(h, w) : cJSON_Duplicate(h, 1));
		}
		return out;
	}
	return cJSON_Duplicate(have, 1);
}

struct lines {
	char **v;
	size_t n;
};

static void
split_lines(char *text, struct lines *l)
{
	size_t alloc = 0;
	char *p = text, *nl;

	l->v = NULL;
	l->n = 0;
	while (p && *p) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		l->v = xgrow(l->v, l->n + 1, &alloc, sizeof(*l->v));
		l->v[l->n++] = p;
		p = nl ? nl + 1 : NULL;
	}
}

/* One edit script line: ' ', '-' or '+' and the line. */
struct edit {
	char op;
	const char *s;
};

#define CONTEXT 3

static void
print_hunks(FILE *f, const struct edit *e, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start, end, j;

		while (i < n && e[i].op == ' ')
			i++;
		if (i == n)
			break;
		start = i > CONTEXT ? i - CONTEXT : 0;
		/* extend over changes closer than 2 * CONTEXT apart */
		end = i;
		for (j = i; j < n; j++) {
			if (e[j].op != ' ')
				end = j;
			else if (j - end > 2 * CONTEXT)
				break;
		}
		end = end + CONTEXT + 1 < n ? end + CONTEXT + 1 : n;
		fputs("@@\n", f);
		for (j = start; j < end; j++)
			fprintf(f, "%c%s\n", e[j].op, e[j].s);
		i = end;
	}
}

void
syncd_print_diff(FILE *f, const char *title, const char *old_text, const char *new_text)
{
	_cleanup_free_ char *a = xstrdup(old_text ? old_text : "");
	_cleanup_free_ char *b = xstrdup(new_text ? new_text : "");
	_cleanup_free_ unsigned *lcs = NULL;
	_cleanup_free_ struct edit *e = NULL;
	struct lines la, lb;
	size_t i, j, n = 0, w;

	split_lines(a, &la);
	split_lines(b, &lb);
	/* lcs[i][j]: longest common subsequence of la[i..] and lb[j..] */
	w = lb.n + 1;
	lcs = xcalloc((la.n + 1) * w, sizeof(*lcs));
	for (i = la.n; i-- > 0;)
		for (j = lb.n; j-- > 0;)
			lcs[i * w + j] = !strcmp(la.v[i], lb.v[j])
						 ? lcs[(i + 1) * w + j + 1] + 1
					 : lcs[(i + 1) * w + j] >= lcs[i * w + j + 1] ? lcs[(i + 1) * w + j]
										      : lcs[i * w + j + 1];
	e = xcalloc(la.n + lb.n + 1, sizeof(*e));
	for (i = 0, j = 0; i < la.n || j < lb.n;) {
		if (i < la.n && j < lb.n && !strcmp(la.v[i], lb.v[j])) {
			e[n++] = (struct edit){ ' ', la.v[i] };
			i++;
			j++;
		} else if (i < la.n && (j == lb.n || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
			e[n++] = (struct edit){ '-', la.v[i++] };
		} else {
			e[n++] = (struct edit){ '+', lb.v[j++] };
		}
	}
	fprintf(f, "--- %s%s\n+++ %s (would be applied)\n", title,
		old_text ? " (now)" : " (does not exist)", title);
	print_hunks(f, e, n);
	free(la.v);
	free(lb.v);
}

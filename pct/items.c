/*
 * A section as the API returns it: every key (description and env
 * included) in Perl's sort order, for pct config, pct pending and JSON.
 */
#include "config.h"

#include <string.h>

#include "pct.h"
#include "items.h"

static int
cmp_item(const void *a, const void *b)
{
	return strcmp(((const struct pct_item *)a)->key, ((const struct pct_item *)b)->key);
}

size_t
pct_items(const struct pctconf_section *s, struct pct_item **out)
{
	size_t n = s->nvals + 2, i, k = 0;
	struct pct_item *v = xcalloc(n, sizeof(*v));

	for (i = 0; i < s->nvals; i++) {
		v[k].key = s->vals[i].key;
		v[k].value = s->vals[i].value;
		v[k].len = s->vals[i].len;
		k++;
	}
	if (s->description) {
		v[k].key = "description";
		v[k].value = s->description;
		v[k].len = s->desc_len;
		k++;
	}
	if (s->env) {
		v[k].key = "env";
		v[k].value = s->env;
		v[k].len = s->env_len;
		k++;
	}
	qsort(v, k, sizeof(*v), cmp_item);
	*out = v;
	return k;
}

void
pct_print_value(const char *key, const char *value, size_t len)
{
	if (!strcmp(key, "description")) {
		struct strbuf sb = STRBUF_INIT;

		pctconf_encode_text(value, len, &sb);
		fwrite(sb.buf ? sb.buf : "", 1, sb.len, stdout);
		strbuf_release(&sb);
		return;
	}
	fwrite(value, 1, len, stdout);
}

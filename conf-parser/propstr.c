/*
 * Property strings (§4): "local-lvm:vm-100-disk-0,size=8G", parse with full
 * sub-key validation, canonical print.
 */
#include "config.h"

#include <string.h>

#include "pctconf.h"

static bool
in_arena(const struct pctconf_props *p, const char *v)
{
	return v >= p->arena && v < p->arena + sizeof(p->arena);
}

static void
free_value(const struct pctconf_props *p, char *v)
{
	if (!in_arena(p, v))
		free(v);
}

/* a copy of v[0..len) in the arena when it fits, else on the heap */
static char *
store(struct pctconf_props *p, const char *v, size_t len)
{
	char *dst;

	if (p->used + len + 1 > sizeof(p->arena))
		return xstrndup(v, len);
	dst = p->arena + p->used;
	memcpy(dst, v, len);
	dst[len] = '\0';
	p->used += len + 1;
	return dst;
}

const char *
pctconf_props_get(const struct pctconf_props *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].prop->name, name))
			return p->v[i].value;
	return NULL;
}

void
pctconf_props_set(struct pctconf_props *p, const char *name, const char *value)
{
	const struct pctconf_prop *prop = pctconf_prop_lookup(p->desc, name);
	size_t i;

	if (!prop)
		return;
	for (i = 0; i < p->n; i++) {
		if (p->v[i].prop == prop) {
			free_value(p, p->v[i].value);
			p->v[i].value = xstrdup(value);
			return;
		}
	}
	if (p->n == PCTCONF_MAX_PROPS)
		return;
	p->v[p->n].prop = prop;
	p->v[p->n].value = xstrdup(value);
	p->n++;
}

void
pctconf_props_unset(struct pctconf_props *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (!strcmp(p->v[i].prop->name, name)) {
			free_value(p, p->v[i].value);
			memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof(p->v[0]));
			p->n--;
			return;
		}
	}
}

void
pctconf_props_release(struct pctconf_props *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free_value(p, p->v[i].value);
	p->n = 0;
	p->used = 0;
}

/* parse_boolean: 1|on|yes|true -> "1", 0|off|no|false -> "0" (case-insensitive) */
const char *
pctconf_parse_boolean(const char *v)
{
	if (!strcmp(v, "1") || !pct_strcasecmp(v, "on") || !pct_strcasecmp(v, "yes") ||
	    !pct_strcasecmp(v, "true"))
		return "1";
	if (!strcmp(v, "0") || !pct_strcasecmp(v, "off") || !pct_strcasecmp(v, "no") ||
	    !pct_strcasecmp(v, "false"))
		return "0";
	return NULL;
}

static struct pctconf_propval *
find_val(struct pctconf_props *p, const struct pctconf_prop *prop)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->v[i].prop == prop)
			return &p->v[i];
	return NULL;
}

static int
add_val(struct pctconf_props *p, const struct pctconf_prop *prop, const char *v, size_t len)
{
	const char *b = NULL;
	char *value = store(p, v, len);

	if (prop->type == PCTCONF_BOOL)
		b = pctconf_parse_boolean(value);
	if (b && strcmp(b, value) != 0) {
		free_value(p, value);
		value = store(p, b, 1);
	}
	if (p->n == PCTCONF_MAX_PROPS) {
		free_value(p, value);
		return -1;
	}
	p->v[p->n].prop = prop;
	p->v[p->n].value = value;
	p->n++;
	return 0;
}

static int
cmp_errline(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * check_object on the parsed hash: every sub-key checked with check_prop,
 * missing required keys reported. Messages "<key>: <msg>" go to lines[].
 */
static size_t
check_object(const struct pctconf_props *p, const char *path, char ***lines)
{
	const struct pctconf_prop *prop;
	char **v = NULL;
	size_t n = 0, alloc = 0;

	for (prop = p->desc; prop->name; prop++) {
		struct strbuf msg = STRBUF_INIT;
		const char *value = NULL;
		size_t i;

		for (i = 0; i < p->n; i++)
			if (p->v[i].prop == prop)
				value = p->v[i].value;
		if (!value) {
			if (prop->flags & PCTCONF_OPTIONAL)
				continue;
			strbuf_addstr(&msg, "property is missing and it is not optional");
		} else if (pctconf_check_prop(prop, value, &msg) == 0) {
			continue;
		}
		v = xgrow(v, n + 1, &alloc, sizeof(*v));
		if (path)
			v[n++] = xasprintf("%s.%s: %s\n", path, prop->name, strbuf_str(&msg));
		else
			v[n++] = xasprintf("%s: %s\n", prop->name, strbuf_str(&msg));
		strbuf_release(&msg);
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_errline);
	*lines = v;
	return n;
}

int
pctconf_props_parse(const struct pctconf_prop *desc, const char *s, struct pctconf_props *out,
		    struct strbuf *msg, const char *path)
{
	const struct pctconf_prop *defkey = pctconf_prop_default(desc);
	const char *p = s;
	bool bare_seen = false;
	char **lines;
	size_t nlines, i;

	out->desc = desc;
	out->n = 0;
	out->used = 0;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t j;
		bool blank = true;

		for (j = 0; j < len; j++)
			if (!pct_isspace((unsigned char)p[j]))
				blank = false;
		if (blank)
			goto next;
		/* ^([^=]+)=(.+)$ : the value cannot span a newline, but $ may match
		 * before a final one, which is then not part of the value */
		size_t vlen = eq ? len - (size_t)(eq - p) - 1 : 0;
		bool kv = eq && eq > p && vlen > 0;

		if (kv) {
			const char *nl = memchr(eq + 1, '\n', vlen);

			if (nl && nl == eq + vlen && nl > eq + 1)
				vlen--; /* "k=v\n" */
			else if (nl)
				kv = false;
		}
		if (kv) {
			_cleanup_free_ char *k = xstrndup(p, (size_t)(eq - p));
			const struct pctconf_prop *prop = pctconf_prop_lookup(desc, k);

			if (prop && find_val(out, prop)) {
				strbuf_addf(msg, "duplicate key in comma-separated list property: %s\n", k);
				goto fail;
			}
			if (!prop) {
				strbuf_addf(msg, "invalid key in comma-separated list property: %s\n", k);
				goto fail;
			}
			add_val(out, prop, eq + 1, vlen);
		} else if (!eq) {
			struct pctconf_propval *dv;

			if (!defkey) {
				strbuf_addstr(msg, "value without key, but schema does not define a default key\n");
				goto fail;
			}
			/* a second bare value, or a default key set by name to a
			 * Perl-true value, is a duplicate; "volume=0,x" gives x */
			dv = find_val(out, defkey);
			if (bare_seen || (dv && pctconf_value_true(dv->value))) {
				strbuf_addf(msg, "duplicate key in comma-separated list property: %s\n",
					    defkey->name);
				goto fail;
			}
			bare_seen = true;
			if (dv) {
				free_value(out, dv->value);
				dv->value = store(out, p, len);
			} else {
				add_val(out, defkey, p, len);
			}
		} else {
			strbuf_addstr(msg, "missing key in comma-separated list property\n");
			goto fail;
		}
	next:
		if (!end)
			break;
		p = end + 1;
	}
	nlines = check_object(out, path, &lines);
	if (nlines) {
		/* PVE::Exception: "format error\n", then "<path>: <msg>\n" per error */
		strbuf_addstr(msg, "format error\n");
		for (i = 0; i < nlines; i++)
			strbuf_addstr(msg, lines[i]);
		pctconf_strv_free(lines, nlines);
		goto fail;
	}
	return 0;
fail:
	pctconf_props_release(out);
	return -1;
}

static int
cmp_propval(const void *a, const void *b)
{
	const struct pctconf_propval *x = a, *y = b;

	return strcmp(x->prop->name, y->prop->name);
}

static bool
skipped(const char *const *skip, const char *name)
{
	for (; skip && *skip; skip++)
		if (!strcmp(*skip, name))
			return true;
	return false;
}

char *
pctconf_props_print(const struct pctconf_props *p, const char *const *skip,
		    struct pct_error **err)
{
	struct pctconf_propval sorted[PCTCONF_MAX_PROPS];
	struct strbuf out = STRBUF_INIT;
	bool first = true;
	int pass;
	size_t i;

	memcpy(sorted, p->v, p->n * sizeof(sorted[0]));
	qsort(sorted, p->n, sizeof(sorted[0]), cmp_propval);
	/* pass 0: the default key; 1: required keys; 2: the rest */
	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < p->n; i++) {
			const struct pctconf_prop *prop = sorted[i].prop;
			bool isdef = prop->flags & PCTCONF_DEFAULT_KEY;
			bool required = !(prop->flags & PCTCONF_OPTIONAL) && !isdef;
			const char *v = sorted[i].value;

			if (skipped(skip, prop->name) || !v)
				continue;
			if ((pass == 0) != isdef || (pass == 1 && !required) ||
			    (pass == 2 && required))
				continue;
			if (!first)
				strbuf_addch(&out, ',');
			first = false;
			if (pass != 0)
				strbuf_addf(&out, "%s=", prop->name);
			if (prop->format && !strcmp(prop->format, "disk-size")) {
				unsigned long long bytes;
				_cleanup_free_ char *fs = NULL;

				if (!pctconf_parse_size(v, &bytes)) {
					pct_error_set(err, PCT_E_INVALID, "invalid size: %s", v);
					strbuf_release(&out);
					return NULL;
				}
				fs = pctconf_format_size(bytes);
				strbuf_addstr(&out, fs);
				continue;
			}
			if (strchr(v, ',')) {
				pct_error_set(err, PCT_E_INVALID, "illegal value with commas for %s",
					      prop->name);
				strbuf_release(&out);
				return NULL;
			}
			strbuf_addstr(&out, v);
		}
	}
	return strbuf_detach(&out, NULL);
}

enum pctconf_mp_type
pctconf_classify_mountpoint(const char *volume)
{
	if (volume[0] == '/')
		return str_has_prefix(volume, "/dev/") ? PCTCONF_MP_DEVICE : PCTCONF_MP_BIND;
	return PCTCONF_MP_VOLUME;
}

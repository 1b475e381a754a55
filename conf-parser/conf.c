/*
 * The config model: one struct pctconf_section for the main section,
 * [pve:pending] and every snapshot; raw values kept sorted by key as Perl's
 * `sort keys` orders them, lxc.* pairs in file order.
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "pctconf.h"

static void chomp_all(char *s);

struct pctconf *
pctconf_new(const char *path, unsigned vmid)
{
	struct pctconf *c = xcalloc(1, sizeof(*c));

	c->path = xstrdup(path ? path : "");
	c->vmid = vmid;
	c->pending.name = xstrdup("pve:pending");
	return c;
}

const char *
pctconf_digest(const struct pctconf *conf)
{
	/* The cache is not part of the value: computing it does not change the config. */
	struct pctconf *c = (struct pctconf *)conf;

	if (c->digest_pending) {
		pctconf_sha1_hex(c->digest_raw, c->digest_rawlen, c->digest_hex);
		free(c->digest_raw);
		c->digest_raw = NULL;
		c->digest_pending = false;
	}
	return c->digest_hex;
}

void
pctconf_section_release(struct pctconf_section *s)
{
	size_t i;

	for (i = 0; i < s->nvals; i++)
		free(s->vals[i].key); /* the value lives in the same block */
	for (i = 0; i < s->nlxc; i++) {
		free(s->lxc[i].key);
		free(s->lxc[i].value);
	}
	free(s->vals);
	free(s->lxc);
	free(s->description);
	free(s->env);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

void
pctconf_free(struct pctconf *c)
{
	size_t i;

	if (!c)
		return;
	pctconf_section_release(&c->main);
	pctconf_section_release(&c->pending);
	for (i = 0; i < c->nsnaps; i++) {
		pctconf_section_release(c->snaps[i]);
		free(c->snaps[i]);
	}
	free(c->snaps);
	for (i = 0; i < c->ndiags; i++) {
		free(c->diags[i].key);
		free(c->diags[i].msg);
		free(c->diags[i].detail);
	}
	free(c->diags);
	free(c->digest_raw);
	pctconf_strv_free(c->reserved, c->nreserved);
	free(c->path);
	free(c);
}

void
pctconf_freep(struct pctconf **c)
{
	pctconf_free(*c);
	*c = NULL;
}

void
pctconf_section_copy(struct pctconf_section *dst, const struct pctconf_section *src)
{
	size_t i;

	pctconf_section_release(dst);
	dst->name = src->name ? xstrdup(src->name) : NULL;
	dst->line = src->line;
	if (src->description)
		pctconf_set_description(dst, src->description, src->desc_len);
	dst->desc_line = src->desc_line;
	for (i = 0; i < src->nvals; i++) {
		pctconf_set_len(dst, src->vals[i].key, src->vals[i].value, src->vals[i].len);
		dst->vals[i].line = src->vals[i].line;
	}
	if (src->env)
		pctconf_set_env(dst, src->env, src->env_len);
	dst->env_line = src->env_line;
	for (i = 0; i < src->nlxc; i++) {
		pctconf_lxc_add(dst, src->lxc[i].key, src->lxc[i].value, src->lxc[i].len);
		dst->lxc[i].line = src->lxc[i].line;
	}
}

struct pctconf *
pctconf_dup(const struct pctconf *c)
{
	struct pctconf *d = pctconf_new(c->path, c->vmid);
	size_t i;

	memcpy(d->digest_hex, pctconf_digest(c), sizeof(d->digest_hex));
	for (i = 0; i < c->nreserved; i++)
		pctconf_reserve_volid(d, c->reserved[i]);
	pctconf_section_copy(&d->main, &c->main);
	pctconf_section_copy(&d->pending, &c->pending);
	for (i = 0; i < c->nsnaps; i++)
		pctconf_section_copy(pctconf_snapshot_add(d, c->snaps[i]->name), c->snaps[i]);
	for (i = 0; i < c->ndiags; i++) {
		pctconf_diag_add(d, c->diags[i].level, c->diags[i].line, c->diags[i].key, "%s",
				 c->diags[i].msg);
		if (c->diags[i].detail)
			pctconf_diag_set_detail(d, c->diags[i].detail);
	}
	return d;
}

/* Binary search: index of key, or the insertion point with *found = false. */
static size_t
find_key(const struct pctconf_section *s, const char *key, bool *found)
{
	size_t lo = 0, hi = s->nvals;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(s->vals[mid].key, key);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

const struct pctconf_val *
pctconf_get_val(const struct pctconf_section *s, const char *key)
{
	bool found;
	size_t i = find_key(s, key, &found);

	return found ? &s->vals[i] : NULL;
}

const char *
pctconf_get(const struct pctconf_section *s, const char *key)
{
	const struct pctconf_val *v = pctconf_get_val(s, key);

	return v ? v->value : NULL;
}

void
pctconf_set_len(struct pctconf_section *s, const char *key, const char *value, size_t len)
{
	bool found;
	size_t i, klen = strlen(key);
	char *block;

	/* the fast path of a file in writer order: a key after the last one */
	if (!s->nvals || strcmp(s->vals[s->nvals - 1].key, key) < 0) {
		i = s->nvals;
		found = false;
	} else {
		i = find_key(s, key, &found);
	}
	/* key and value in one block: "key\0value\0" */
	block = xmalloc(klen + len + 2);
	memcpy(block, key, klen + 1);
	memcpy(block + klen + 1, value, len);
	block[klen + 1 + len] = '\0';
	if (found) {
		unsigned line = s->vals[i].line;

		free(s->vals[i].key);
		s->vals[i].key = block;
		s->vals[i].value = block + klen + 1;
		s->vals[i].len = len;
		s->vals[i].line = line;
		return;
	}
	s->vals = xgrow(s->vals, s->nvals + 1, &s->avals, sizeof(*s->vals));
	memmove(&s->vals[i + 1], &s->vals[i], (s->nvals - i) * sizeof(*s->vals));
	s->vals[i].key = block;
	s->vals[i].value = block + klen + 1;
	s->vals[i].len = len;
	s->vals[i].line = 0;
	s->nvals++;
}

void
pctconf_set(struct pctconf_section *s, const char *key, const char *value)
{
	pctconf_set_len(s, key, value, strlen(value));
}

bool
pctconf_unset(struct pctconf_section *s, const char *key)
{
	bool found;
	size_t i = find_key(s, key, &found);

	if (!found)
		return false;
	free(s->vals[i].key);
	memmove(&s->vals[i], &s->vals[i + 1], (s->nvals - i - 1) * sizeof(*s->vals));
	s->nvals--;
	return true;
}

void
pctconf_set_description(struct pctconf_section *s, const char *text, size_t len)
{
	free(s->description);
	s->description = NULL;
	s->desc_len = 0;
	if (!text)
		return;
	s->description = xmalloc(len + 1);
	memcpy(s->description, text, len);
	s->description[len] = '\0';
	s->desc_len = len;
}

void
pctconf_set_env(struct pctconf_section *s, const char *env, size_t len)
{
	free(s->env);
	s->env = NULL;
	s->env_len = 0;
	if (!env)
		return;
	s->env = xmalloc(len + 1);
	memcpy(s->env, env, len);
	s->env[len] = '\0';
	s->env_len = len;
}

void
pctconf_lxc_add(struct pctconf_section *s, const char *key, const char *value, size_t len)
{
	struct pctconf_lxc *l;

	s->lxc = xgrow(s->lxc, s->nlxc + 1, &s->alxc, sizeof(*s->lxc));
	l = &s->lxc[s->nlxc++];
	l->key = xstrdup(key);
	l->value = xmalloc(len + 1);
	memcpy(l->value, value, len);
	l->value[len] = '\0';
	l->len = len;
	l->line = 0;
}

bool
pctconf_section_empty(const struct pctconf_section *s)
{
	return !s->description && !s->nvals && !s->env && !s->nlxc;
}

static size_t
find_snap(const struct pctconf *c, const char *name, bool *found)
{
	size_t lo = 0, hi = c->nsnaps;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(c->snaps[mid]->name, name);

		if (r == 0) {
			*found = true;
			return mid;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

struct pctconf_section *
pctconf_snapshot(const struct pctconf *c, const char *name)
{
	bool found;
	size_t i = find_snap(c, name, &found);

	return found ? c->snaps[i] : NULL;
}

struct pctconf_section *
pctconf_snapshot_add(struct pctconf *c, const char *name)
{
	bool found;
	size_t i = find_snap(c, name, &found);
	struct pctconf_section *s;

	if (found) {
		/* a duplicate header starts the section afresh */
		pctconf_section_release(c->snaps[i]);
		c->snaps[i]->name = xstrdup(name);
		return c->snaps[i];
	}
	s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(name);
	c->snaps = xgrow(c->snaps, c->nsnaps + 1, &c->asnaps, sizeof(*c->snaps));
	memmove(&c->snaps[i + 1], &c->snaps[i], (c->nsnaps - i) * sizeof(*c->snaps));
	c->snaps[i] = s;
	c->nsnaps++;
	return s;
}

bool
pctconf_snapshot_remove(struct pctconf *c, const char *name)
{
	bool found;
	size_t i = find_snap(c, name, &found);

	if (!found)
		return false;
	pctconf_section_release(c->snaps[i]);
	free(c->snaps[i]);
	memmove(&c->snaps[i], &c->snaps[i + 1], (c->nsnaps - i - 1) * sizeof(*c->snaps));
	c->nsnaps--;
	return true;
}

void
pctconf_diag_add(struct pctconf *c, enum pctconf_diag_level level, unsigned line,
		 const char *key, const char *fmt, ...)
{
	struct pctconf_diag *d;
	va_list ap;

	c->diags = xgrow(c->diags, c->ndiags + 1, &c->adiags, sizeof(*c->diags));
	d = &c->diags[c->ndiags++];
	d->level = level;
	d->line = line;
	d->detail = NULL;
	d->key = key ? xstrdup(key) : NULL;
	va_start(ap, fmt);
	d->msg = xvasprintf(fmt, ap);
	va_end(ap);
	/* Proxmox's die texts end in newlines; the place is added when printing */
	chomp_all(d->msg);
}

static void
chomp_all(char *s)
{
	size_t n = strlen(s);

	while (n && s[n - 1] == '\n')
		s[--n] = '\0';
}

void
pctconf_diag_set_detail(struct pctconf *c, const char *detail)
{
	struct pctconf_diag *d;

	if (!c->ndiags)
		return;
	d = &c->diags[c->ndiags - 1];
	free(d->detail);
	d->detail = xstrdup(detail);
	chomp_all(d->detail);
}

char *
pctconf_diag_format(const struct pctconf *c, const struct pctconf_diag *d)
{
	if (d->line)
		return xasprintf("%s:%u: %s", c->path, d->line, d->msg);
	return xasprintf("%s: %s", c->path, d->msg);
}

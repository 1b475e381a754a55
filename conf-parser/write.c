/*
 * write_pct_config (§3): the file text Proxmox writes for a parsed config.
 */
#include "config.h"

#include <string.h>

#include "pctconf.h"

/* Keys the section generator never writes as "key: value". */
static bool
writer_skips(const char *key)
{
	switch (key[0]) {
	case 'd':
		return !strcmp(key, "digest") || !strcmp(key, "description");
	case 'p':
		return !strcmp(key, "pending");
	case 's':
		return !strcmp(key, "snapshots") || !strcmp(key, "snapname");
	case 'e':
		return !strcmp(key, "env");
	case 'l':
		return !strcmp(key, "lxc");
	default:
		return false;
	}
}

/*
 * The volume id of a volume-type mount point value (rootfs or mpN), or
 * NULL: parse_volume with noerr, type 'volume', and a volume id that
 * parse_volume_id accepts (get_vm_volumes).
 */
char *
pctconf_mp_volid(const char *key, const char *value)
{
	const struct pctconf_key *row = pctconf_key_lookup(key, NULL);
	struct pctconf_props props;
	struct strbuf msg = STRBUF_INIT;
	const char *vol;
	char *res = NULL;

	if (!row || !row->props || (strcmp(row->name, "rootfs") && strcmp(row->name, "mp")))
		return NULL;
	if (pctconf_props_parse(row->props, value, &props, &msg, NULL) < 0) {
		strbuf_release(&msg);
		return NULL;
	}
	vol = pctconf_props_get(&props, "volume");
	if (vol && *vol && pctconf_classify_mountpoint(vol) == PCTCONF_MP_VOLUME &&
	    pctconf_parse_volume_id(vol, NULL, NULL))
		res = xstrdup(vol);
	pctconf_props_release(&props);
	return res;
}

/* Is key one of rootfs, mp0..mp255? */
static bool
is_mp_key(const char *key)
{
	unsigned idx;
	const struct pctconf_key *row;

	if (!strcmp(key, "rootfs"))
		return true;
	if (strncmp(key, "mp", 2) != 0)
		return false;
	row = pctconf_key_lookup(key, &idx);
	return row && !strcmp(row->name, "mp");
}

/* unused* keys of the main section whose value a mount point still uses */
static bool
unused_in_use(const struct pctconf_section *s, const struct pctconf_val *v)
{
	size_t i;

	for (i = 0; i < s->nvals; i++) {
		_cleanup_free_ char *volid = NULL;

		if (!is_mp_key(s->vals[i].key))
			continue;
		volid = pctconf_mp_volid(s->vals[i].key, s->vals[i].value);
		if (volid && !strcmp(volid, v->value) && strlen(v->value) == v->len)
			return true;
	}
	return false;
}

static void
write_description(const struct pctconf_section *s, struct strbuf *out)
{
	const char *p, *end;
	size_t keep;

	if (!s->description || !s->desc_len || (s->desc_len == 1 && s->description[0] == '0'))
		return;
	/* split(/\n/): trailing empty fields are dropped, inner and leading ones kept */
	keep = s->desc_len;
	while (keep && s->description[keep - 1] == '\n')
		keep--;
	p = s->description;
	end = s->description + keep;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		strbuf_addch(out, '#');
		pctconf_encode_text(p, n, out);
		strbuf_addch(out, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
}

static void
write_env(const struct pctconf_section *s, struct strbuf *out)
{
	size_t i = 0, n = s->env_len, end;

	if (!s->env)
		return;
	/* split(/\0+/): a leading empty field is kept, trailing ones dropped */
	while (n && s->env[n - 1] == '\0')
		n--;
	if (n == 0)
		return;
	while (i <= n) {
		end = i;
		while (end < n && s->env[end] != '\0')
			end++;
		strbuf_addstr(out, "lxc.environment.runtime: ");
		strbuf_add(out, s->env + i, end - i);
		strbuf_addch(out, '\n');
		if (end >= n)
			break;
		i = end;
		while (i < n && s->env[i] == '\0')
			i++;
	}
}

static int
write_section(const struct pctconf_section *s, bool top, struct strbuf *out,
	      struct pct_error **err)
{
	bool has_unused = false;
	size_t i;

	write_description(s, out);
	if (top)
		for (i = 0; i < s->nvals && !has_unused; i++)
			has_unused = str_has_prefix(s->vals[i].key, "unused");
	for (i = 0; i < s->nvals; i++) {
		const struct pctconf_val *v = &s->vals[i];

		if (writer_skips(v->key))
			continue;
		if (top && !strcmp(v->key, "snapstate"))
			continue;
		if (has_unused && str_has_prefix(v->key, "unused") && unused_in_use(s, v))
			continue;
		if (memchr(v->value, '\n', v->len))
			return pct_error_set(err, PCT_E_INVALID,
					     "detected invalid newline inside property '%s'", v->key);
		strbuf_addstr(out, v->key);
		strbuf_addstr(out, ": ");
		strbuf_add(out, v->value, v->len);
		strbuf_addch(out, '\n');
	}
	write_env(s, out);
	for (i = 0; i < s->nlxc; i++) {
		if (!strcmp(s->lxc[i].key, "lxc.environment.runtime"))
			continue;
		strbuf_addstr(out, s->lxc[i].key);
		strbuf_addstr(out, ": ");
		strbuf_add(out, s->lxc[i].value, s->lxc[i].len);
		strbuf_addch(out, '\n');
	}
	return 0;
}

void
pctconf_write_section(const struct pctconf_section *s, struct strbuf *out)
{
	(void)write_section(s, false, out, NULL);
}

char *
pctconf_write(const struct pctconf *conf, size_t *len, struct pct_error **err)
{
	struct strbuf out = STRBUF_INIT;
	size_t i;

	strbuf_grow(&out, 1024);
	if (write_section(&conf->main, true, &out, err) < 0)
		goto fail;
	if (!pctconf_section_empty(&conf->pending)) {
		strbuf_addstr(&out, "\n[pve:pending]\n");
		if (write_section(&conf->pending, false, &out, err) < 0)
			goto fail;
	}
	for (i = 0; i < conf->nsnaps; i++) {
		strbuf_addf(&out, "\n[%s]\n", conf->snaps[i]->name);
		if (write_section(conf->snaps[i], false, &out, err) < 0)
			goto fail;
	}
	return strbuf_detach(&out, len);
fail:
	strbuf_release(&out);
	return NULL;
}

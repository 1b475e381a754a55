/*
 * Pending changes (§2.5, §8): the `delete:` grammar, cleanup_pending,
 * load_current_config, unused volumes, and applying pending values to the
 * main section for a stopped CT (vmconfig_apply_pending) or a running one
 * (vmconfig_hotplug_pending).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "pctconf.h"

size_t
pctconf_pdel_parse(const char *s, struct pctconf_pdel **out)
{
	struct pctconf_pdel *v = NULL;
	size_t n = 0, alloc = 0;
	const char *p = s;

	*out = NULL;
	/* return {} if !$data */
	if (!s || !*s || !strcmp(s, "0"))
		return 0;
	for (;;) {
		const char *start;
		char *key;
		bool force = false;
		size_t i;

		while (*p && (pct_isspace((unsigned char)*p) || *p == ',' || *p == ';'))
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && !pct_isspace((unsigned char)*p) && *p != ',' && *p != ';')
			p++;
		if (*start == '!') {
			force = true;
			start++;
		}
		key = xstrndup(start, (size_t)(p - start));
		/* a hash in Proxmox: a repeated key keeps one entry, the last force wins */
		for (i = 0; i < n; i++) {
			if (!strcmp(v[i].key, key)) {
				v[i].force = force;
				free(key);
				key = NULL;
				break;
			}
		}
		if (!key)
			continue;
		v = xgrow(v, n + 1, &alloc, sizeof(*v));
		v[n].key = key;
		v[n].force = force;
		n++;
	}
	*out = v;
	return n;
}

void
pctconf_pdel_free(struct pctconf_pdel *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].key);
	free(v);
}

static int
cmp_pdel(const void *a, const void *b)
{
	return strcmp(((const struct pctconf_pdel *)a)->key, ((const struct pctconf_pdel *)b)->key);
}

char *
pctconf_pdel_print(const struct pctconf_pdel *v, size_t n)
{
	struct pctconf_pdel *sorted = xmalloc((n ? n : 1) * sizeof(*sorted));
	struct strbuf out = STRBUF_INIT;
	size_t i;

	/* v is NULL for an empty list: neither memcpy nor qsort may see it */
	if (n) {
		memcpy(sorted, v, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_pdel);
	}
	for (i = 0; i < n; i++) {
		if (i)
			strbuf_addch(&out, ',');
		if (sorted[i].force)
			strbuf_addch(&out, '!');
		strbuf_addstr(&out, sorted[i].key);
	}
	free(sorted);
	return strbuf_detach(&out, NULL);
}

static void
store_pdel(struct pctconf *conf, struct pctconf_pdel *v, size_t n)
{
	if (n) {
		_cleanup_free_ char *s = pctconf_pdel_print(v, n);

		pctconf_set(&conf->pending, "delete", s);
	} else {
		pctconf_unset(&conf->pending, "delete");
	}
}

bool
pctconf_pending_delete_has(const struct pctconf *conf, const char *key, bool *force)
{
	struct pctconf_pdel *v;
	size_t n = pctconf_pdel_parse(pctconf_get(&conf->pending, "delete"), &v), i;
	bool found = false;

	for (i = 0; i < n; i++) {
		if (!strcmp(v[i].key, key)) {
			found = true;
			if (force)
				*force = v[i].force;
		}
	}
	pctconf_pdel_free(v, n);
	return found;
}

void
pctconf_pending_delete_add(struct pctconf *conf, const char *key, bool force)
{
	struct pctconf_pdel *v;
	size_t n = pctconf_pdel_parse(pctconf_get(&conf->pending, "delete"), &v), i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].key, key))
			break;
	if (i == n) {
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n].key = xstrdup(key);
		n++;
	}
	v[i].force = force;
	store_pdel(conf, v, n);
	pctconf_pdel_free(v, n);
}

void
pctconf_pending_delete_remove(struct pctconf *conf, const char *key)
{
	struct pctconf_pdel *v;
	size_t n = pctconf_pdel_parse(pctconf_get(&conf->pending, "delete"), &v), i;

	for (i = 0; i < n; i++) {
		if (!strcmp(v[i].key, key)) {
			free(v[i].key);
			memmove(&v[i], &v[i + 1], (n - i - 1) * sizeof(*v));
			n--;
			store_pdel(conf, v, n);
			break;
		}
	}
	pctconf_pdel_free(v, n);
}

/* Perl truthiness of a stored value: not undef, not "" and not "0". */
bool
pctconf_value_true(const char *v)
{
	return v && *v && strcmp(v, "0") != 0;
}

/* Is `key` set in a section? description and env live outside the key list. */
static bool
section_defined(const struct pctconf_section *s, const char *key)
{
	if (!strcmp(key, "description"))
		return s->description != NULL;
	if (!strcmp(key, "env"))
		return s->env != NULL;
	if (!strcmp(key, "lxc"))
		return s->nlxc > 0;
	return pctconf_get_val(s, key) != NULL;
}

bool
pctconf_cleanup_pending(struct pctconf *conf)
{
	struct pctconf_section *main = &conf->main, *pend = &conf->pending;
	struct pctconf_pdel *v;
	size_t n, i, keep = 0;
	bool changed = false;

	for (i = 0; i < pend->nvals;) {
		const struct pctconf_val *pv = &pend->vals[i];
		const struct pctconf_val *mv = pctconf_get_val(main, pv->key);

		if (strcmp(pv->key, "delete") != 0 && mv && mv->len == pv->len &&
		    !memcmp(mv->value, pv->value, pv->len)) {
			_cleanup_free_ char *k = xstrdup(pv->key);

			pctconf_unset(pend, k);
			changed = true;
			continue;
		}
		i++;
	}
	if (pend->description && main->description && pend->desc_len == main->desc_len &&
	    !memcmp(pend->description, main->description, pend->desc_len)) {
		pctconf_set_description(pend, NULL, 0);
		changed = true;
	}
	if (pend->env && main->env && pend->env_len == main->env_len &&
	    !memcmp(pend->env, main->env, pend->env_len)) {
		pctconf_set_env(pend, NULL, 0);
		changed = true;
	}
	n = pctconf_pdel_parse(pctconf_get(pend, "delete"), &v);
	for (i = 0; i < n; i++) {
		if (section_defined(main, v[i].key)) {
			v[keep++] = v[i];
		} else {
			free(v[i].key);
			changed = true;
		}
	}
	store_pdel(conf, v, keep);
	pctconf_pdel_free(v, keep);
	return changed;
}

void
pctconf_current(const struct pctconf *conf, struct pctconf_section *out)
{
	const struct pctconf_section *pend = &conf->pending;
	struct pctconf_pdel *v;
	size_t n, i;

	pctconf_section_copy(out, &conf->main);
	for (i = 0; i < pend->nvals; i++) {
		if (!strcmp(pend->vals[i].key, "delete"))
			continue;
		pctconf_set_len(out, pend->vals[i].key, pend->vals[i].value, pend->vals[i].len);
	}
	if (pend->description)
		pctconf_set_description(out, pend->description, pend->desc_len);
	if (pend->env)
		pctconf_set_env(out, pend->env, pend->env_len);
	n = pctconf_pdel_parse(pctconf_get(pend, "delete"), &v);
	for (i = 0; i < n; i++) {
		const char *k = v[i].key;

		if (!strcmp(k, "description")) {
			if (out->description && !(out->desc_len == 1 && out->description[0] == '0'))
				pctconf_set_description(out, NULL, 0);
		} else if (!strcmp(k, "env")) {
			if (out->env && out->env_len && !(out->env_len == 1 && out->env[0] == '0'))
				pctconf_set_env(out, NULL, 0);
		} else if (pctconf_value_true(pctconf_get(out, k))) {
			pctconf_unset(out, k);
		}
	}
	pctconf_pdel_free(v, n);
}

/* ---- volumes ---- */

int
pctconf_add_unused(struct pctconf_section *s, const char *volid)
{
	int key = -1, i;

	for (i = 255; i >= 0; i--) {
		char name[16];
		const char *v;

		snprintf(name, sizeof(name), "unused%d", i);
		v = pctconf_get(s, name);
		if (v && !strcmp(v, volid))
			return i;
		if (!v)
			key = i;
	}
	if (key < 0)
		return -1;
	{
		char name[16];

		snprintf(name, sizeof(name), "unused%d", key);
		pctconf_set(s, name, volid);
	}
	return key;
}

static void
strv_add_unique(char ***v, size_t *n, size_t *alloc, const char *s)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return;
	*v = xgrow(*v, *n + 1, alloc, sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

/*
 * The volumes of a section in foreach_volume order: rootfs, then mp0 to
 * mp255 by number (the order decides which unusedN a freed volume gets),
 * then, when asked, unused0 to unused255.
 */
static void
section_volumes(const struct pctconf_section *s, bool with_unused, char ***v, size_t *n,
		size_t *alloc)
{
	char key[16];
	unsigned i;

	for (i = 0; i <= 256; i++) {
		const struct pctconf_val *val;
		_cleanup_free_ char *volid = NULL;

		if (i == 0)
			snprintf(key, sizeof(key), "rootfs");
		else
			snprintf(key, sizeof(key), "mp%u", i - 1);
		val = pctconf_get_val(s, key);
		if (!val)
			continue;
		volid = pctconf_mp_volid(key, val->value);
		if (volid)
			strv_add_unique(v, n, alloc, volid);
	}
	if (!with_unused)
		return;
	for (i = 0; i < 256; i++) {
		const struct pctconf_val *val;

		snprintf(key, sizeof(key), "unused%u", i);
		val = pctconf_get_val(s, key);
		if (val && pctconf_parse_volume_id(val->value, NULL, NULL))
			strv_add_unique(v, n, alloc, val->value);
	}
}

size_t
pctconf_volumes(const struct pctconf *conf, bool with_snapshots, bool with_unused, char ***out)
{
	char **v = NULL;
	size_t n = 0, alloc = 0, i;

	section_volumes(&conf->main, with_unused, &v, &n, &alloc);
	if (with_snapshots)
		for (i = 0; i < conf->nsnaps; i++)
			section_volumes(conf->snaps[i], with_unused, &v, &n, &alloc);
	*out = v;
	return n;
}

/* ---- allocation of new volume names and MAC addresses ---- */

/* Is volid used anywhere in the config (main, pending, snapshots, unused)? */
static bool
volid_referenced(const struct pctconf *conf, const char *volid)
{
	char **v;
	size_t n = pctconf_volumes(conf, true, true, &v), i;
	bool found = false;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], volid))
			found = true;
	pctconf_strv_free(v, n);
	if (!found) {
		size_t alloc = 0;

		n = 0;
		v = NULL;
		section_volumes(&conf->pending, true, &v, &n, &alloc);
		for (i = 0; i < n; i++)
			if (!strcmp(v[i], volid))
				found = true;
		pctconf_strv_free(v, n);
	}
	return found;
}

bool
pctconf_volid_referenced(const struct pctconf *conf, const char *volid)
{
	return volid_referenced(conf, volid);
}

char *
pctconf_alloc_volid(const struct pctconf *conf, const char *storage)
{
	unsigned n;

	/* vm-<vmid>-disk-<n>, the lowest n the config does not reference and
	 * the agent is not about to destroy */
	for (n = 0;; n++) {
		_cleanup_free_ char *volid =
			xasprintf("%s:vm-%u-disk-%u", storage, conf->vmid, n);
		size_t i;
		bool used = volid_referenced(conf, volid);

		/* a disk number is taken on any storage */
		if (!used) {
			char **v;
			size_t nv = pctconf_volumes(conf, true, true, &v);
			_cleanup_free_ char *suffix = xasprintf(":vm-%u-disk-%u", conf->vmid, n);

			for (i = 0; i < nv; i++)
				if (str_has_suffix(v[i], suffix))
					used = true;
			pctconf_strv_free(v, nv);
			for (i = 0; i < conf->nreserved; i++)
				if (str_has_suffix(conf->reserved[i], suffix))
					used = true;
		}
		if (!used)
			return steal_ptr(volid);
	}
}

void
pctconf_reserve_volid(struct pctconf *conf, const char *volid)
{
	size_t alloc = conf->nreserved;

	strv_add_unique(&conf->reserved, &conf->nreserved, &alloc, volid);
}

char *
pctconf_random_mac(const char *prefix)
{
	unsigned char b[6];
	char buf[18];
	size_t i, plen;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* getrandom cannot fail for 6 bytes once the pool is ready */
		for (i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)rand();
	}
	b[0] = (unsigned char)((b[0] & 0xfe) | 0x02);
	snprintf(buf, sizeof(buf), "%02X:%02X:%02X:%02X:%02X:%02X", b[0], b[1], b[2], b[3], b[4],
		 b[5]);
	plen = prefix ? strlen(prefix) : 0;
	for (i = 0; i < plen && i < 17; i++)
		buf[i] = (char)(prefix[i] >= 'a' && prefix[i] <= 'z' ? prefix[i] - 32 : prefix[i]);
	return xstrdup(buf);
}

/* ---- applying pending values ---- */

/* ^([^:\s]+):(\d+(\.\d+)?)$ -- a new volume of SIZE GiB on STORAGE */
bool
pctconf_parse_new_disk(const char *v, char **storage, double *gib)
{
	const char *colon = strchr(v, ':');
	const char *p;
	bool dot = false;

	if (!colon || colon == v)
		return false;
	for (p = v; p < colon; p++)
		if (pct_isspace((unsigned char)*p))
			return false;
	p = colon + 1;
	if (!pct_isdigit((unsigned char)*p))
		return false;
	for (; *p; p++) {
		if (*p == '.' && !dot && pct_isdigit((unsigned char)p[1])) {
			dot = true;
			continue;
		}
		if (!pct_isdigit((unsigned char)*p))
			return false;
	}
	if (storage)
		*storage = xstrndup(v, (size_t)(colon - v));
	if (gib)
		*gib = strtod(colon + 1, NULL);
	return true;
}

/* Canonical netN: type=veth, a generated hwaddr when missing. */
char *
pctconf_net_canonical(const char *value, const char *mac_prefix, struct pct_error **err)
{
	const struct pctconf_key *row = pctconf_key_lookup("net0", NULL);
	struct pctconf_props props;
	struct strbuf msg = STRBUF_INIT;
	char *out;

	if (pctconf_props_parse(row->props, value, &props, &msg, NULL) < 0) {
		pct_error_set(err, PCT_E_INVALID, "%s", strbuf_str(&msg));
		strbuf_release(&msg);
		return NULL;
	}
	pctconf_props_set(&props, "type", "veth");
	if (!pctconf_props_get(&props, "hwaddr")) {
		_cleanup_free_ char *mac = pctconf_random_mac(mac_prefix);

		pctconf_props_set(&props, "hwaddr", mac);
	}
	out = pctconf_props_print(&props, NULL, err);
	pctconf_props_release(&props);
	return out;
}

/*
 * A mount point value made canonical (print_ct_mountpoint); STORAGE:SIZE
 * allocates a new volume name with size=<SIZE>G.
 */
char *
pctconf_mp_canonical(struct pctconf *conf, const char *key, const char *value,
		     struct pct_error **err)
{
	const struct pctconf_key *row = pctconf_key_lookup(key, NULL);
	static const char *const skip_rootfs[] = { "mp", NULL };
	struct pctconf_props props;
	struct strbuf msg = STRBUF_INIT;
	const char *vol;
	char *out;

	if (!row || !row->props)
		return NULL;
	if (pctconf_props_parse(row->props, value, &props, &msg, NULL) < 0) {
		pct_error_set(err, PCT_E_INVALID, "%s", strbuf_str(&msg));
		strbuf_release(&msg);
		return NULL;
	}
	vol = pctconf_props_get(&props, "volume");
	if (vol) {
		_cleanup_free_ char *storage = NULL;
		double gib;

		if (pctconf_parse_new_disk(vol, &storage, &gib)) {
			_cleanup_free_ char *volid = pctconf_alloc_volid(conf, storage);
			_cleanup_free_ char *size = NULL;
			/* create_disks: int(SIZE * 1024) MiB, so whole MiB only */
			unsigned long long bytes =
				(unsigned long long)(gib * 1024.0) * 1024ULL * 1024ULL;

			size = xasprintf("%llu", bytes);
			pctconf_props_set(&props, "volume", volid);
			pctconf_props_set(&props, "size", size);
		}
	}
	out = pctconf_props_print(&props, !strcmp(row->name, "rootfs") ? skip_rootfs : NULL, err);
	pctconf_props_release(&props);
	return out;
}

static bool
in_selection(const char *const *keys, const char *key)
{
	if (!keys)
		return true;
	for (; *keys; keys++)
		if (!strcmp(*keys, key))
			return true;
	return false;
}

static void
apply_error(struct pctconf_apply *res, const char *key, const char *fmt, const char *msg)
{
	res->errors = xgrow(res->errors, res->nerrors + 1, &res->aerrors, sizeof(*res->errors));
	res->errors[res->nerrors].key = xstrdup(key);
	res->errors[res->nerrors].msg = xasprintf(fmt, key, msg);
	res->nerrors++;
}

static void
add_destroy(struct pctconf_apply *res, const char *volid)
{
	size_t alloc = res->ndestroy;

	strv_add_unique(&res->destroy, &res->ndestroy, &alloc, volid);
}

void
pctconf_apply_release(struct pctconf_apply *res)
{
	size_t i;

	for (i = 0; i < res->nerrors; i++) {
		free(res->errors[i].key);
		free(res->errors[i].msg);
	}
	free(res->errors);
	pctconf_strv_free(res->destroy, res->ndestroy);
	memset(res, 0, sizeof(*res));
}

/* Apply one pending value (mp/rootfs allocation, net canonical) to main. */
static int
apply_value(struct pctconf *conf, const char *key, const char *mac_prefix,
	    struct pctconf_apply *res, struct pct_error **err)
{
	const struct pctconf_val *pv = pctconf_get_val(&conf->pending, key);
	const struct pctconf_key *row = pctconf_key_lookup(key, NULL);
	_cleanup_free_ char *value = xmemdup(pv->value, pv->len + 1);
	size_t len = pv->len;

	if (row && !strcmp(row->name, "net")) {
		char *canon = pctconf_net_canonical(value, mac_prefix, err);

		if (!canon)
			return -1;
		free(value);
		value = canon;
		len = strlen(value);
	} else if (row && (!strcmp(row->name, "mp") || !strcmp(row->name, "rootfs"))) {
		_cleanup_free_ char *oldvol = NULL;
		char *canon = pctconf_mp_canonical(conf, key, value, err);

		if (!canon)
			return -1;
		free(value);
		value = canon;
		len = strlen(value);
		/*
		 * The previous volume of this mount point becomes unusedN.
		 * Proxmox's in-use check gets the old mount point string, never
		 * a volume id, so it always adds it (no duplicates); the writer
		 * drops the entry again while a mount point of the main section
		 * still uses the volume. A volume only a snapshot still uses
		 * stays listed, as in Proxmox.
		 */
		if (pctconf_get(&conf->main, key))
			oldvol = pctconf_mp_volid(key, pctconf_get(&conf->main, key));
		pctconf_set_len(&conf->main, key, value, len);
		pctconf_unset(&conf->pending, key);
		if (oldvol)
			pctconf_add_unused(&conf->main, oldvol);
		(void)res;
		return 0;
	}
	pctconf_set_len(&conf->main, key, value, len);
	pctconf_unset(&conf->pending, key);
	return 0;
}

static void
apply_delete(struct pctconf *conf, const char *key, struct pctconf_apply *res)
{
	const struct pctconf_key *row = pctconf_key_lookup(key, NULL);

	if (row && !strcmp(row->name, "mp")) {
		_cleanup_free_ char *volid = pctconf_mp_volid(key, pctconf_get(&conf->main, key));

		if (volid)
			pctconf_add_unused(&conf->main, volid);
	} else if (row && !strcmp(row->name, "unused")) {
		_cleanup_free_ char *volid = xstrdup(pctconf_get(&conf->main, key));

		pctconf_unset(&conf->main, key);
		if (!volid_referenced(conf, volid))
			add_destroy(res, volid);
	}
	if (!strcmp(key, "description"))
		pctconf_set_description(&conf->main, NULL, 0);
	else if (!strcmp(key, "env"))
		pctconf_set_env(&conf->main, NULL, 0);
	else
		pctconf_unset(&conf->main, key);
	pctconf_pending_delete_remove(conf, key);
}

void
pctconf_apply_pending(struct pctconf *conf, const char *const *keys, const char *mac_prefix,
		      struct pctconf_apply *res)
{
	struct pctconf_pdel *del;
	size_t ndel, i;
	char **pkeys = NULL;
	size_t npkeys = 0, apkeys = 0;

	ndel = pctconf_pdel_parse(pctconf_get(&conf->pending, "delete"), &del);
	if (ndel > 1)
		qsort(del, ndel, sizeof(*del), cmp_pdel);
	for (i = 0; i < ndel; i++) {
		if (!in_selection(keys, del[i].key))
			continue;
		apply_delete(conf, del[i].key, res);
	}
	pctconf_pdel_free(del, ndel);
	pctconf_cleanup_pending(conf);

	/* values, sorted (vals are kept sorted); copy the names first */
	for (i = 0; i < conf->pending.nvals; i++) {
		const char *k = conf->pending.vals[i].key;

		if (!strcmp(k, "delete") || !in_selection(keys, k))
			continue;
		pkeys = xgrow(pkeys, npkeys + 1, &apkeys, sizeof(*pkeys));
		pkeys[npkeys++] = xstrdup(k);
	}
	for (i = 0; i < npkeys; i++) {
		_cleanup_error_ struct pct_error *err = NULL;

		if (apply_value(conf, pkeys[i], mac_prefix, res, &err) < 0)
			apply_error(res, pkeys[i], "unable to apply pending change %s : %s",
				    err ? err->msg : "error");
	}
	pctconf_strv_free(pkeys, npkeys);
	if (conf->pending.description && in_selection(keys, "description")) {
		pctconf_set_description(&conf->main, conf->pending.description,
					conf->pending.desc_len);
		pctconf_set_description(&conf->pending, NULL, 0);
	}
	if (conf->pending.env && in_selection(keys, "env")) {
		pctconf_set_env(&conf->main, conf->pending.env, conf->pending.env_len);
		pctconf_set_env(&conf->pending, NULL, 0);
	}
}

/* Keys Proxmox moves to the main section at once on a running CT. */
static const char *const fastplug_keys[] = {
	"cores", "description", "hookscript", "hostname", "lock", "onboot", "protection",
	"startup", "tags", NULL,
};

bool
pctconf_is_fastplug(const char *key)
{
	return in_selection(fastplug_keys, key);
}

void
pctconf_hotplug_pending(struct pctconf *conf, const char *const *keys,
			bool (*live)(const char *key, bool del, void *ctx), void *ctx,
			const char *mac_prefix, struct pctconf_apply *res)
{
	struct pctconf_pdel *del;
	size_t ndel, i;
	char **pkeys = NULL;
	size_t npkeys = 0, apkeys = 0;

	/* deletes that can be applied live */
	ndel = pctconf_pdel_parse(pctconf_get(&conf->pending, "delete"), &del);
	if (ndel > 1)
		qsort(del, ndel, sizeof(*del), cmp_pdel);
	for (i = 0; i < ndel; i++) {
		const char *k = del[i].key;

		if (!in_selection(keys, k))
			continue;
		if (pctconf_is_fastplug(k) || (live && live(k, true, ctx)))
			apply_delete(conf, k, res);
	}
	pctconf_pdel_free(del, ndel);
	pctconf_cleanup_pending(conf);

	for (i = 0; i < conf->pending.nvals; i++) {
		const char *k = conf->pending.vals[i].key;

		if (!strcmp(k, "delete") || !in_selection(keys, k))
			continue;
		if (!pctconf_is_fastplug(k) && !(live && live(k, false, ctx)))
			continue;
		pkeys = xgrow(pkeys, npkeys + 1, &apkeys, sizeof(*pkeys));
		pkeys[npkeys++] = xstrdup(k);
	}
	for (i = 0; i < npkeys; i++) {
		_cleanup_error_ struct pct_error *err = NULL;

		if (apply_value(conf, pkeys[i], mac_prefix, res, &err) < 0)
			apply_error(res, pkeys[i], "unable to hotplug %s: %s",
				    err ? err->msg : "error");
	}
	pctconf_strv_free(pkeys, npkeys);
	if (conf->pending.description && in_selection(keys, "description")) {
		pctconf_set_description(&conf->main, conf->pending.description,
					conf->pending.desc_len);
		pctconf_set_description(&conf->pending, NULL, 0);
	}
}

/* get_unique_tags with the default tag-style: lower-cased, sorted, unique, ';' */
static int
cmp_ci(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
pctconf_unique_tags(const char *value)
{
	char **v;
	size_t n = pctconf_split_list(value, &v), i;
	struct strbuf out = STRBUF_INIT;
	const char *prev = NULL;

	for (i = 0; i < n; i++) {
		char *c;

		for (c = v[i]; *c; c++)
			*c = (char)pct_tolower((unsigned char)*c);
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_ci);
	for (i = 0; i < n; i++) {
		if (prev && !strcmp(prev, v[i]))
			continue;
		if (out.len)
			strbuf_addch(&out, ';');
		strbuf_addstr(&out, v[i]);
		prev = v[i];
	}
	pctconf_strv_free(v, n);
	return strbuf_detach(&out, NULL);
}

char *
pctconf_normalize_api_value(const char *key, const char *value)
{
	if (!strcmp(key, "nameserver") || !strcmp(key, "searchdomain")) {
		char **v;
		size_t n = pctconf_split_list(value, &v), i;
		struct strbuf out = STRBUF_INIT;

		for (i = 0; i < n; i++) {
			if (i)
				strbuf_addch(&out, ' ');
			strbuf_addstr(&out, v[i]);
		}
		pctconf_strv_free(v, n);
		return strbuf_detach(&out, NULL);
	}
	if (!strcmp(key, "tags"))
		return pctconf_unique_tags(value);
	if (!strcmp(key, "cpuunits")) {
		unsigned long long u;

		/* clamped to the cgroup v2 maximum */
		if (pct_parse_uint(value, 0, ~0ULL, &u) && u > 10000)
			return xstrdup("10000");
	}
	return xstrdup(value);
}

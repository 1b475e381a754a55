/*
 * Desired objects of a CT (DESIGN-NOTES §3, doc/kubernetes-mapping.md):
 *
 *   PersistentVolumeClaim   one per storage-backed volume (rootfs, mpN, unusedN)
 *   ConfigMap  ct-<ID>-conf the .conf itself, for the pre-start guest setup
 *   Service    ct-<ID>      headless: the CT's stable DNS name
 *   StatefulSet ct-<ID>     replicas 0/1 from the desired power state,
 *                           updateStrategy OnDelete (changes wait for a restart)
 *
 * Pure: the config, the settings and the server's capabilities in, cJSON out.
 * Every object carries the managed-by and ctid labels and a spec hash, so a
 * pass with nothing changed sends no write.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "desired.h"
#include "resize.h"

/* ---- small cJSON helpers ---- */

static cJSON *
obj(cJSON *parent, const char *key)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(parent, key, o);
	return o;
}

static cJSON *
arr(cJSON *parent, const char *key)
{
	cJSON *a = cJSON_CreateArray();

	cJSON_AddItemToObject(parent, key, a);
	return a;
}

static void
str(cJSON *parent, const char *key, const char *value)
{
	cJSON_AddItemToObject(parent, key, cJSON_CreateString(value));
}

static void
num(cJSON *parent, const char *key, double value)
{
	cJSON_AddItemToObject(parent, key, cJSON_CreateNumber(value));
}

static void
boolean(cJSON *parent, const char *key, bool value)
{
	cJSON_AddItemToObject(parent, key, cJSON_CreateBool(value));
}

static cJSON *
new_object(const char *api_version, const char *kind, const char *name, const char *ns,
	   unsigned vmid, cJSON **labels_out)
{
	cJSON *o = cJSON_CreateObject(), *md, *labels;
	char id[16];

	str(o, "apiVersion", api_version);
	str(o, "kind", kind);
	md = obj(o, "metadata");
	str(md, "name", name);
	str(md, "namespace", ns);
	labels = obj(md, "labels");
	str(labels, LABEL_MANAGED_BY, CORRAL_MANAGED_BY);
	snprintf(id, sizeof(id), "%u", vmid);
	str(labels, LABEL_CTID, id);
	if (labels_out)
		*labels_out = labels;
	return o;
}

static void
add_warning(struct desired *d, const char *fmt, ...) _printf_(2, 3);

static void
add_warning(struct desired *d, const char *fmt, ...)
{
	va_list ap;

	d->warnings = xrealloc(d->warnings, (d->nwarnings + 1) * sizeof(*d->warnings));
	va_start(ap, fmt);
	d->warnings[d->nwarnings++] = xvasprintf(fmt, ap);
	va_end(ap);
}

/* ---- names and quantities ---- */

char *
desired_pvc_name(const char *volid)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	bool dash = false;

	/* "local-lvm:vm-100-disk-0" -> "local-lvm-vm-100-disk-0" */
	for (p = volid; *p; p++) {
		int c = pct_tolower((unsigned char)*p);

		if (pct_isalnum((unsigned char)c)) {
			strbuf_addch(&sb, c);
			dash = false;
		} else if (!dash && sb.len) {
			strbuf_addch(&sb, '-');
			dash = true;
		}
	}
	while (sb.len && sb.buf[sb.len - 1] == '-')
		sb.buf[--sb.len] = '\0';
	if (sb.len > 63 || !sb.len) {
		/* too long for a label-safe name: keep a prefix and a hash */
		char hash[41];

		pctconf_sha1_hex(volid, strlen(volid), hash);
		if (sb.len > 48)
			sb.len = 48;
		while (sb.len && sb.buf[sb.len - 1] == '-')
			sb.len--;
		sb.buf[sb.len] = '\0';
		strbuf_addf(&sb, "%s%.12s", sb.len ? "-" : "vol-", hash);
	}
	return strbuf_detach(&sb, NULL);
}

char *
desired_quantity(unsigned long long bytes)
{
	static const char *const units[] = { "Ki", "Mi", "Gi", "Ti", "Pi" };
	unsigned long long v = bytes;
	int u = -1;

	while (v && v % 1024 == 0 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		return xasprintf("%llu", bytes);
	return xasprintf("%llu%s", v, units[u]);
}

static char *
cpu_quantity(double cores)
{
	long m = (long)(cores * 1000 + 0.5);

	if (m % 1000 == 0)
		return xasprintf("%ld", m / 1000);
	return xasprintf("%ldm", m);
}

/* ---- hashing ---- */

void
desired_hash(const cJSON *o, char out[41])
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(md, "annotations");
	cJSON *copy = NULL;
	char *text;

	/* the hash is of the object without its hash: a copy only when it has one */
	if (cJSON_GetObjectItemCaseSensitive(ann, ANN_SPEC_HASH)) {
		copy = cJSON_Duplicate(o, true);
		md = cJSON_GetObjectItemCaseSensitive(copy, "metadata");
		cJSON_DeleteItemFromObjectCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(md, "annotations"), ANN_SPEC_HASH);
		o = copy;
	}
	text = cJSON_PrintUnformatted(o);
	pctconf_sha1_hex(text, strlen(text), out);
	cJSON_free(text);
	cJSON_Delete(copy);
}

static void
stamp_hash(cJSON *o)
{
	cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	cJSON *ann = cJSON_GetObjectItemCaseSensitive(md, "annotations");
	char h[41];

	if (!ann)
		ann = obj(md, "annotations");
	desired_hash(o, h);
	str(ann, ANN_SPEC_HASH, h);
}

const char *
desired_object_hash(const cJSON *o)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(md, "annotations");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(ann, ANN_SPEC_HASH);

	return cJSON_IsString(h) ? h->valuestring : NULL;
}

const char *
desired_object_kind(const cJSON *o)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "kind");

	return cJSON_IsString(k) ? k->valuestring : "";
}

const char *
desired_object_name(const cJSON *o)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(md, "name");

	return cJSON_IsString(n) ? n->valuestring : "";
}

/* ---- the mapping ---- */

struct build {
	const struct desired_input *in;
	const struct pctconf_section *s;
	const struct corral_settings *set;
	struct desired *d;
	unsigned vmid;
	const char *ns;
	bool privileged;
	cJSON *volumes;	  /* pod spec volumes */
	cJSON *mounts;	  /* container volumeMounts */
	cJSON *pvcs;	  /* PVC objects */
	const char *secret; /* name of the CT's Secret, when there is one */
};

static const char *
get(const struct build *b, const char *key)
{
	return pctconf_get(b->s, key);
}

/* Refuse with a reason; the first reason wins. */
static int
refuse(struct build *b, const char *fmt, ...) _printf_(2, 3);

static int
refuse(struct build *b, const char *fmt, ...)
{
	va_list ap;

	if (b->d->refused)
		return -1;
	va_start(ap, fmt);
	b->d->refused = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

static bool
forbidden_bind_source(const char *path)
{
	static const char *const never[] = { "/", "/etc", "/var", "/usr", "/bin", "/sbin",
					     "/lib", "/boot", "/proc", "/sys", "/dev", "/run", NULL };
	size_t n = strlen(path), i;

	while (n > 1 && path[n - 1] == '/')
		n--;
	for (i = 0; never[i]; i++)
		if (strlen(never[i]) == n && !strncmp(path, never[i], n))
			return true;
	return false;
}

/* A component of path that is a symlink on this host, or NULL. */
static char *
symlink_component(const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	char *p;
	struct stat st;

	for (p = copy + 1;; p++) {
		char c = *p;

		if (c == '/' || c == '\0') {
			*p = '\0';
			if (lstat(copy, &st) == 0 && S_ISLNK(st.st_mode))
				return xstrdup(copy);
			if (c == '\0')
				return NULL;
			*p = '/';
		}
	}
}

/* The path inside the container where a mount point lands. */
static char *
mount_target(const struct build *b, const char *mp)
{
	if (b->privileged)
		return xasprintf("/rootfs%s", strcmp(mp, "/") ? mp : "");
	if (!strcmp(mp, "/"))
		return xstrdup("/data");
	return xstrdup(mp);
}

/* the length of path without trailing slashes ("/data/" is "/data") */
static size_t
path_len(const char *p)
{
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		n--;
	return n;
}

static void
add_mount(struct build *b, const char *volname, const char *path, bool ro)
{
	cJSON *m, *it;
	size_t n = path_len(path);

	/* two volumes at one path: the API server refuses the pod, again and again */
	cJSON_ArrayForEach(it, b->mounts)
	{
		const char *p = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "mountPath"));
		const char *other = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "name"));
		bool rootfs_new = !strcmp(volname, "rootfs");
		const char *shown = path;

		if (!p || !other || path_len(p) != n || strncmp(p, path, n))
			continue;
		if (b->privileged && str_has_prefix(shown, "/rootfs"))
			shown = shown[7] ? shown + 7 : "/";
		(void)refuse(b, "%s: mount point '%.*s' is already used by %s%s",
			     rootfs_new ? other : volname, (int)path_len(shown), shown,
			     rootfs_new ? volname : other,
			     !b->privileged && (rootfs_new || !strcmp(other, "rootfs"))
				     ? " (an unprivileged CT has its rootfs volume at /data)"
				     : "");
		return;
	}
	m = cJSON_CreateObject();

	str(m, "name", volname);
	str(m, "mountPath", path);
	if (ro)
		boolean(m, "readOnly", true);
	cJSON_AddItemToArray(b->mounts, m);
}

static void
add_volume_record(struct build *b, const char *key, const char *volid, const char *pvc,
		  unsigned long long size)
{
	struct desired *d = b->d;
	struct desired_volume *v;

	d->volumes = xrealloc(d->volumes, (d->nvolumes + 1) * sizeof(*d->volumes));
	v = &d->volumes[d->nvolumes++];
	v->key = xstrdup(key);
	v->volid = xstrdup(volid);
	v->pvc = xstrdup(pvc);
	v->size = size;
}

/* A volume the config references without a PVC to apply (unused, snapshots). */
static void
record_volume(struct build *b, const char *key, const char *volid, unsigned long long size)
{
	_cleanup_free_ char *pvc = desired_pvc_name(volid);
	size_t i;

	for (i = 0; i < b->d->nvolumes; i++)
		if (!strcmp(b->d->volumes[i].volid, volid))
			return;
	add_volume_record(b, key, volid, pvc, size);
}

static int
pvc_object(struct build *b, const char *key, const char *volid, unsigned long long size)
{
	_cleanup_free_ char *pvcname = desired_pvc_name(volid);
	_cleanup_free_ char *storage = NULL, *qty = NULL;
	const struct corral_storage *st;
	cJSON *o, *labels, *spec, *md, *ann;
	bool dup = false;
	size_t i;

	for (i = 0; i < b->d->nvolumes; i++)
		if (!strcmp(b->d->volumes[i].volid, volid))
			dup = true;
	if (dup)
		return 0;
	if (!pctconf_parse_volume_id(volid, &storage, NULL))
		return refuse(b, "%s: unable to parse volume ID '%s'", key, volid);
	st = corral_settings_storage(b->set, storage);
	if (!st)
		return refuse(b, "%s: storage '%s' has no StorageClass in corral.conf", key,
			      storage);
	if (!size)
		return refuse(b, "%s: volume '%s' has no size", key, volid);
	add_volume_record(b, key, volid, pvcname, size);
	o = new_object("v1", "PersistentVolumeClaim", pvcname, b->ns, b->vmid, &labels);
	str(labels, LABEL_VOLUME, key);
	md = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	ann = obj(md, "annotations");
	str(ann, ANN_VOLID, volid);
	spec = obj(o, "spec");
	cJSON_AddItemToArray(arr(spec, "accessModes"), cJSON_CreateString("ReadWriteOnce"));
	qty = desired_quantity(size);
	str(obj(obj(spec, "resources"), "requests"), "storage", qty);
	if (st->storage_class[0])
		str(spec, "storageClassName", st->storage_class);
	str(spec, "volumeMode", "Filesystem");
	stamp_hash(o);
	cJSON_AddItemToArray(b->pvcs, o);
	return 0;
}

static int
map_mountpoint(struct build *b, const char *key, const char *value, bool unused)
{
	const struct pctconf_key *row = pctconf_key_lookup(key, NULL);
	struct pctconf_props props;
	struct strbuf msg = STRBUF_INIT;
	const char *vol, *mp, *size;
	unsigned long long bytes = 0;
	int ret = 0;

	if (pctconf_props_parse(row->props, value, &props, &msg, key) < 0) {
		_cleanup_free_ char *flat = xstrdup(msg.buf);
		char *nl;

		while ((nl = strchr(flat, '\n')))
			*nl = ' ';
		strbuf_release(&msg);
		return refuse(b, "%s: %s", key, flat);
	}
	vol = pctconf_props_get(&props, "volume");
	mp = unused ? NULL : (!strcmp(key, "rootfs") ? "/" : pctconf_props_get(&props, "mp"));
	size = pctconf_props_get(&props, "size");
	if (size)
		(void)pctconf_parse_size(size, &bytes);
	switch (pctconf_classify_mountpoint(vol)) {
	case PCTCONF_MP_VOLUME: {
		_cleanup_free_ char *pvc = desired_pvc_name(vol);
		char volname[32];

		if (unused) {
			/* its PVC exists from when it was mounted: keep it, never resize it */
			if (pctconf_parse_volume_id(vol, NULL, NULL))
				record_volume(b, key, vol, 0);
			break;
		}
		ret = pvc_object(b, key, vol, bytes);
		if (ret < 0)
			break;
		snprintf(volname, sizeof(volname), "%s", key);
		{
			cJSON *v = cJSON_CreateObject();

			str(v, "name", volname);
			str(obj(v, "persistentVolumeClaim"), "claimName", pvc);
			cJSON_AddItemToArray(b->volumes, v);
		}
		{
			_cleanup_free_ char *target = mount_target(b, mp);

			add_mount(b, volname, target,
				  pctconf_value_true(pctconf_props_get(&props, "ro")));
		}
		break;
	}
	case PCTCONF_MP_BIND: {
		_cleanup_free_ char *target = NULL, *link = NULL;
		cJSON *v;

		if (unused)
			break;
		if (forbidden_bind_source(vol)) {
			ret = refuse(b, "%s: bind mount of '%s' is not allowed", key, vol);
			break;
		}
		if (!corral_settings_bind_allowed(b->set, vol)) {
			ret = refuse(b, "%s: bind mount source '%s' is outside the allowed roots (bind-mount-roots in corral.conf)",
				     key, vol);
			break;
		}
		link = symlink_component(vol);
		if (link) {
			ret = refuse(b, "%s: bind mount source '%s' contains a symlink ('%s')", key,
				     vol, link);
			break;
		}
		v = cJSON_CreateObject();
		str(v, "name", key);
		{
			cJSON *hp = obj(v, "hostPath");

			str(hp, "path", vol);
			str(hp, "type", "Directory");
		}
		cJSON_AddItemToArray(b->volumes, v);
		target = mount_target(b, mp);
		add_mount(b, key, target, pctconf_value_true(pctconf_props_get(&props, "ro")));
		break;
	}
	case PCTCONF_MP_DEVICE: {
		_cleanup_free_ char *target = NULL;
		cJSON *v;

		if (unused)
			break;
		if (!b->privileged) {
			ret = refuse(b, "%s: device mount points need a privileged CT", key);
			break;
		}
		v = cJSON_CreateObject();
		str(v, "name", key);
		str(obj(v, "hostPath"), "path", vol);
		cJSON_AddItemToArray(b->volumes, v);
		target = mount_target(b, mp);
		add_mount(b, key, target, pctconf_value_true(pctconf_props_get(&props, "ro")));
		break;
	}
	}
	pctconf_props_release(&props);
	return ret;
}

static int
map_devices(struct build *b)
{
	size_t i;

	for (i = 0; i < b->s->nvals; i++) {
		const char *key = b->s->vals[i].key;
		const struct pctconf_key *row = pctconf_key_lookup(key, NULL);
		struct pctconf_props props;
		struct strbuf msg = STRBUF_INIT;
		const char *path;
		cJSON *v;

		if (!row || strcmp(row->name, "dev") != 0)
			continue;
		if (!b->privileged)
			return refuse(b, "%s: device pass-through needs a privileged CT", key);
		if (pctconf_props_parse(row->props, b->s->vals[i].value, &props, &msg, key) < 0) {
			strbuf_release(&msg);
			return refuse(b, "%s: invalid device", key);
		}
		path = pctconf_props_get(&props, "path");
		if (path) {
			v = cJSON_CreateObject();
			str(v, "name", key);
			str(obj(v, "hostPath"), "path", path);
			cJSON_AddItemToArray(b->volumes, v);
			add_mount(b, key, path, pctconf_value_true(pctconf_props_get(&props, "deny-write")));
		}
		pctconf_props_release(&props);
	}
	return 0;
}

static const char *
k8s_arch(const char *arch)
{
	if (!arch || !strcmp(arch, "amd64"))
		return "amd64";
	if (!strcmp(arch, "arm64"))
		return "arm64";
	if (!strcmp(arch, "armhf"))
		return "arm";
	if (!strcmp(arch, "i386"))
		return "386";
	return arch; /* riscv64, riscv32 */
}

/* A tag as a label name suffix: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, <= 63 */
static bool
label_safe(const char *t)
{
	size_t n = strlen(t), i;

	if (!n || n > 63 || !pct_isalnum((unsigned char)t[0]) || !pct_isalnum((unsigned char)t[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!pct_isalnum((unsigned char)t[i]) && !strchr("-_.", t[i]))
			return false;
	return true;
}

static void
map_tags(struct build *b, cJSON *labels)
{
	const char *tags = get(b, "tags");
	char **v;
	size_t n, i;

	if (!tags)
		return;
	n = pctconf_split_list(tags, &v);
	for (i = 0; i < n; i++) {
		_cleanup_free_ char *k = xasprintf("tags.corral.dev/%s", v[i]);

		if (label_safe(v[i]))
			str(labels, k, "true");
		else
			add_warning(b->d, "tag '%s' cannot be a Kubernetes label; not mapped", v[i]);
	}
	pctconf_strv_free(v, n);
}

/* PID 1 for images without an init: ends at once on SIGTERM. */
static const char keeper_script[] =
	"trap 'exit 0' TERM INT; while :; do sleep 86400 & wait $!; done";

/*
 * Persistent rootfs, first step (init container, the CT's own image): copy
 * the image's root filesystem into the rootfs volume, once. The copy is
 * made from a bind mount of / that is not recursive: it shows the image's
 * own files and nothing the runtime mounted over them. The kubelet's
 * /etc/hosts (with this first pod's IP, which a later pod does not have),
 * /etc/hostname and /etc/resolv.conf, /dev, /proc, /sys and the volume
 * itself stay out. Where the image has no such file, the runtime made an
 * empty one to mount over: an empty regular /etc/hosts, /etc/hostname or
 * /etc/resolv.conf is not copied (corral-prestart writes them, as Proxmox's
 * hook does), nor is the empty mount point of the volume, /rootfs. The bind
 * lives inside the volume (/.corral/image), so it is not in the copy. The
 * markers live inside the volume.
 */
static const char seed_script[] =
	"set -e; if [ ! -e /rootfs/.corral/seeded ]; then "
	"i=/rootfs/.corral/image; mkdir -p \"$i\"; mount --bind / \"$i\"; "
	"cp -a --one-file-system \"$i/.\" /rootfs/; umount \"$i\"; rmdir \"$i\"; "
	"for f in etc/hosts etc/hostname etc/resolv.conf; do "
	"if [ -f \"/rootfs/$f\" ] && [ ! -L \"/rootfs/$f\" ] && [ ! -s \"/rootfs/$f\" ]; then "
	"rm \"/rootfs/$f\"; fi; done; rmdir /rootfs/rootfs 2>/dev/null || :; "
	": > /rootfs/.corral/first-start; : > /rootfs/.corral/seeded; fi";

/*
 * Persistent rootfs, the CT itself: the kernel hostname from the CT's
 * /etc/hostname (corral-prestart wrote it; the StatefulSet controller made
 * the pod's own hostname ct-<ID>-0, and a privileged container may change
 * it in its UTS namespace, as LXC's lxc.uts.name does), then /proc, /sys and
 * /dev bound in, then its init (or the keeper) chrooted into the volume. The
 * hostname is best effort, in a subshell: no file (or a symbolic link), an
 * empty or too long name, a read-only /proc/sys never stop the start. exec
 * keeps the signal path: SIGTERM reaches the CT's PID 1 directly.
 */
static const char chroot_script[] =
	"set -e; ([ ! -L /rootfs/etc/hostname ] && read -r h </rootfs/etc/hostname && "
	"[ -n \"$h\" ] && printf %s \"$h\" >/proc/sys/kernel/hostname) 2>/dev/null || :; "
	"for d in proc sys dev; do mkdir -p \"/rootfs/$d\"; "
	"mount --rbind \"/$d\" \"/rootfs/$d\"; done; exec chroot /rootfs \"$@\"";

static void
map_command(struct build *b, cJSON *c)
{
	const char *ep = get(b, "entrypoint");
	cJSON *cmd = arr(c, "command");

	if (b->privileged) {
		cJSON_AddItemToArray(cmd, cJSON_CreateString("/bin/sh"));
		cJSON_AddItemToArray(cmd, cJSON_CreateString("-c"));
		cJSON_AddItemToArray(cmd, cJSON_CreateString(chroot_script));
		cJSON_AddItemToArray(cmd, cJSON_CreateString("sh"));
	}
	if (ep && *ep) {
		/* the init command with its arguments, split on blanks as LXC does */
		_cleanup_free_ char *copy = xstrdup(ep);
		char *tok, *save = NULL;

		for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
			cJSON_AddItemToArray(cmd, cJSON_CreateString(tok));
		return;
	}
	cJSON_AddItemToArray(cmd, cJSON_CreateString("/bin/sh"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString("-c"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString(keeper_script));
}

/* The persistent rootfs' init containers: seed once, then the guest setup. */
static void
map_init_containers(struct build *b, cJSON *podspec, const char *secret)
{
	cJSON *ics = arr(podspec, "initContainers"), *c, *m;

	c = cJSON_CreateObject();
	str(c, "name", "seed");
	str(c, "image", get(b, "ostemplate"));
	m = arr(c, "command");
	cJSON_AddItemToArray(m, cJSON_CreateString("/bin/sh"));
	cJSON_AddItemToArray(m, cJSON_CreateString("-c"));
	cJSON_AddItemToArray(m, cJSON_CreateString(seed_script));
	boolean(obj(c, "securityContext"), "privileged", true);
	/* a failure's last lines reach the pod's status: pct start says why (observe.c) */
	str(c, "terminationMessagePolicy", "FallbackToLogsOnError");
	m = arr(c, "volumeMounts");
	{
		cJSON *vm = cJSON_CreateObject();

		str(vm, "name", "rootfs");
		str(vm, "mountPath", "/rootfs");
		cJSON_AddItemToArray(m, vm);
	}
	cJSON_AddItemToArray(ics, c);

	c = cJSON_CreateObject();
	str(c, "name", "prestart");
	str(c, "image", b->set->prestart_image);
	m = arr(c, "command");
	cJSON_AddItemToArray(m, cJSON_CreateString("/corral-prestart"));
	cJSON_AddItemToArray(m, cJSON_CreateString("/etc/corral/ct/ct.conf"));
	cJSON_AddItemToArray(m, cJSON_CreateString("/rootfs"));
	cJSON_AddItemToArray(m, cJSON_CreateString("--secrets=/etc/corral/secrets"));
	str(c, "terminationMessagePolicy", "FallbackToLogsOnError");
	m = arr(c, "volumeMounts");
	{
		cJSON *vm = cJSON_CreateObject();

		str(vm, "name", "rootfs");
		str(vm, "mountPath", "/rootfs");
		cJSON_AddItemToArray(m, vm);
		vm = cJSON_CreateObject();
		str(vm, "name", "conf");
		str(vm, "mountPath", "/etc/corral/ct");
		boolean(vm, "readOnly", true);
		cJSON_AddItemToArray(m, vm);
		if (secret) {
			vm = cJSON_CreateObject();
			str(vm, "name", "secrets");
			str(vm, "mountPath", "/etc/corral/secrets");
			boolean(vm, "readOnly", true);
			cJSON_AddItemToArray(m, vm);
		}
	}
	cJSON_AddItemToArray(ics, c);
}

static void
map_env(struct build *b, cJSON *c)
{
	const struct pctconf_section *s = b->s;
	const char *tz = get(b, "timezone");
	cJSON *env = NULL;
	size_t i = 0;

	while (s->env && i < s->env_len) {
		const char *piece = s->env + i;
		size_t n = strnlen(piece, s->env_len - i);
		const char *eq = memchr(piece, '=', n);

		if (eq && eq > piece) {
			_cleanup_free_ char *name = xstrndup(piece, (size_t)(eq - piece));
			_cleanup_free_ char *val = xstrndup(eq + 1, n - (size_t)(eq - piece) - 1);
			cJSON *e = cJSON_CreateObject();

			if (!env)
				env = arr(c, "env");
			str(e, "name", name);
			str(e, "value", val);
			cJSON_AddItemToArray(env, e);
		}
		i += n + 1;
	}
	if (tz && strcmp(tz, "host") != 0) {
		cJSON *e = cJSON_CreateObject();

		if (!env)
			env = arr(c, "env");
		str(e, "name", "TZ");
		str(e, "value", tz);
		cJSON_AddItemToArray(env, e);
	}
}

static const char *
lxc_value(const struct pctconf_section *s, const char *key)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < s->nlxc; i++)
		if (!strcmp(s->lxc[i].key, key))
			v = s->lxc[i].value; /* the last one wins, as in LXC */
	return v;
}

static void
map_resources(struct build *b, cJSON *c)
{
	const char *mem = get(b, "memory"), *cores = get(b, "cores"), *cpulimit = get(b, "cpulimit");
	const char *units = get(b, "cpuunits");
	cJSON *res = obj(c, "resources"), *lim = obj(res, "limits"), *req = obj(res, "requests");
	double limit = 0;
	unsigned long long m = 512;

	if (mem)
		(void)pct_parse_uint(mem, 16, ~0ULL >> 21, &m);
	{
		_cleanup_free_ char *q = xasprintf("%lluMi", m);

		str(lim, "memory", q);
		str(req, "memory", q);
	}
	if (cpulimit && strtod(cpulimit, NULL) > 0)
		limit = strtod(cpulimit, NULL);
	else if (cores)
		limit = strtod(cores, NULL);
	if (limit > 0) {
		_cleanup_free_ char *q = cpu_quantity(limit);

		str(lim, "cpu", q);
	}
	if (units) {
		/* cpuunits is a relative weight (100 = one core's share) */
		double r = strtod(units, NULL) / 100.0;

		if (limit > 0 && r > limit)
			r = limit;
		if (r > 0) {
			_cleanup_free_ char *q = cpu_quantity(r);

			str(req, "cpu", q);
		}
	}
	/* memory, cores, cpulimit and cpuunits change on a running CT in place (resize.c) */
	{
		cJSON *pol = arr(c, "resizePolicy");
		size_t i;

		for (i = 0; i < 2; i++) {
			cJSON *p = cJSON_CreateObject();

			str(p, "resourceName", i ? "memory" : "cpu");
			str(p, "restartPolicy", "NotRequired");
			cJSON_AddItemToArray(pol, p);
		}
	}
}

static void
map_security(struct build *b, cJSON *podspec, cJSON *c)
{
	cJSON *sc = obj(c, "securityContext");
	const char *uid = lxc_value(b->s, "lxc.init.uid"), *gid = lxc_value(b->s, "lxc.init.gid");

	if (b->privileged) {
		boolean(sc, "privileged", true);
	} else {
		static const char *const caps[] = { "CHOWN",  "DAC_OVERRIDE",	 "FOWNER", "FSETID",
						    "KILL",   "NET_BIND_SERVICE", "SETGID", "SETPCAP",
						    "SETUID", "SYS_CHROOT",	 "AUDIT_WRITE", NULL };
		cJSON *cp = obj(sc, "capabilities"), *add;
		size_t i;

		boolean(sc, "allowPrivilegeEscalation", false);
		cJSON_AddItemToArray(arr(cp, "drop"), cJSON_CreateString("ALL"));
		add = arr(cp, "add");
		for (i = 0; caps[i]; i++)
			cJSON_AddItemToArray(add, cJSON_CreateString(caps[i]));
		str(obj(sc, "seccompProfile"), "type", "RuntimeDefault");
		/* without, the CT's root is the host's root: the agent says so once,
		 * and pct status --verbose for each CT (nodes.c) */
		if (b->in->caps.user_namespaces)
			boolean(podspec, "hostUsers", false);
	}
	if (uid && pct_isdigit((unsigned char)*uid))
		num(sc, "runAsUser", strtod(uid, NULL));
	if (gid && pct_isdigit((unsigned char)*gid))
		num(sc, "runAsGroup", strtod(gid, NULL));
}

static void
map_dns(struct build *b, cJSON *podspec)
{
	const char *ns = get(b, "nameserver"), *sd = get(b, "searchdomain");
	cJSON *dc;
	char **v;
	size_t n, i;

	if (!ns && !sd)
		return;
	str(podspec, "dnsPolicy", ns ? "None" : "ClusterFirst");
	dc = obj(podspec, "dnsConfig");
	if (ns) {
		cJSON *a = arr(dc, "nameservers");

		n = pctconf_split_list(ns, &v);
		for (i = 0; i < n && i < 3; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
		pctconf_strv_free(v, n);
	}
	if (sd) {
		cJSON *a = arr(dc, "searches");

		n = pctconf_split_list(sd, &v);
		for (i = 0; i < n; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
		pctconf_strv_free(v, n);
	}
}

static void
map_bandwidth(struct build *b, cJSON *ann)
{
	const char *net0 = get(b, "net0");
	const struct pctconf_key *row = pctconf_key_lookup("net0", NULL);
	struct pctconf_props props;
	struct strbuf msg = STRBUF_INIT;
	const char *rate;

	if (!net0 || pctconf_props_parse(row->props, net0, &props, &msg, NULL) < 0) {
		strbuf_release(&msg);
		return;
	}
	rate = pctconf_props_get(&props, "rate");
	if (rate) {
		/* rate is MB/s; the bandwidth plugin wants bits per second */
		_cleanup_free_ char *q = xasprintf("%.0fM", strtod(rate, NULL) * 8);

		str(ann, "kubernetes.io/ingress-bandwidth", q);
		str(ann, "kubernetes.io/egress-bandwidth", q);
	}
	pctconf_props_release(&props);
}

static long
grace_seconds(const struct build *b)
{
	long long order, up, down;
	const char *st = get(b, "startup");

	/* never 0: a pod deleted with grace 0 is force-deleted, its volumes still mounted */
	if (st && pctconf_parse_startup(st, &order, &up, &down) && down >= 0)
		return down < 1 ? 1 : (long)down;
	return 60;
}

/*
 * What corral-prestart writes into the guest at each start (host name, the
 * PVE sections of /etc/hosts and /etc/resolv.conf, the time zone) comes from
 * these keys; a pod started before they changed has the old ones until it
 * restarts. Their hash on the pod template makes such a change show as
 * "pending restart" (resize.c compares the templates).
 */
static void
guest_setup_hash(const struct build *b, char out[41])
{
	static const char *const keys[] = { "hostname", "nameserver", "searchdomain", "timezone" };
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = get(b, keys[i]);

		strbuf_addf(&sb, "%s=%s\n", keys[i], v ? v : "");
	}
	pctconf_sha1_hex(sb.buf, sb.len, out);
	strbuf_release(&sb);
}

static cJSON *
statefulset(struct build *b, const char *name)
{
	char guest[41];
	cJSON *labels, *o = new_object("apps/v1", "StatefulSet", name, b->ns, b->vmid, &labels);
	cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metadata"), *ann = obj(md, "annotations");
	cJSON *spec = obj(o, "spec"), *tmpl, *tmd, *tlabels, *tann, *podspec, *c;
	bool template = pctconf_value_true(get(b, "template"));
	char id[16];

	snprintf(id, sizeof(id), "%u", b->vmid);
	map_tags(b, labels);
	if (b->s->description)
		str(ann, "corral.dev/description", b->s->description);
	num(spec, "replicas", b->in->running && !template ? 1 : 0);
	str(spec, "serviceName", name);
	str(spec, "podManagementPolicy", "Parallel");
	str(obj(spec, "updateStrategy"), "type", "OnDelete");
	str(obj(obj(spec, "selector"), "matchLabels"), LABEL_CTID, id);
	tmpl = obj(spec, "template");
	tmd = obj(tmpl, "metadata");
	tlabels = obj(tmd, "labels");
	str(tlabels, LABEL_MANAGED_BY, CORRAL_MANAGED_BY);
	str(tlabels, LABEL_CTID, id);
	tann = obj(tmd, "annotations");
	str(tann, ANN_DIGEST, pctconf_digest(b->in->conf));
	guest_setup_hash(b, guest);
	str(tann, ANN_GUEST_SETUP, guest);
	if (b->in->restart_token && *b->in->restart_token)
		str(tann, "corral.dev/restart", b->in->restart_token);
	map_bandwidth(b, tann);
	podspec = obj(tmpl, "spec");
	/*
	 * No hostname or subdomain here: the StatefulSet controller sets them on
	 * the pod to its name (ct-<ID>-0) and spec.serviceName (ct-<ID>), whatever
	 * the template says. The CT's hostname reaches a privileged CT through
	 * corral-prestart and chroot_script; see doc/kubernetes-mapping.md.
	 */
	boolean(podspec, "enableServiceLinks", false);
	boolean(podspec, "automountServiceAccountToken", false);
	num(podspec, "terminationGracePeriodSeconds", (double)grace_seconds(b));
	str(obj(podspec, "nodeSelector"), "kubernetes.io/arch", k8s_arch(get(b, "arch")));
	map_dns(b, podspec);
	c = cJSON_CreateObject();
	str(c, "name", "ct");
	str(c, "image", get(b, "ostemplate"));
	map_command(b, c);
	map_env(b, c);
	if (lxc_value(b->s, "lxc.init.cwd"))
		str(c, "workingDir", lxc_value(b->s, "lxc.init.cwd"));
	map_resources(b, c);
	map_security(b, podspec, c);
	boolean(c, "stdin", true);
	boolean(c, "tty", true);
	cJSON_AddItemToObject(c, "volumeMounts", b->mounts);
	if (b->privileged)
		map_init_containers(b, podspec, b->secret);
	cJSON_AddItemToArray(arr(podspec, "containers"), c);
	if (b->privileged && b->secret) {
		cJSON *v = cJSON_CreateObject();

		str(v, "name", "secrets");
		str(obj(v, "secret"), "secretName", b->secret);
		cJSON_AddItemToArray(b->volumes, v);
	}
	cJSON_AddItemToObject(podspec, "volumes", b->volumes);
	b->mounts = NULL;
	b->volumes = NULL;
	{
		char h[41];

		resize_restart_hash(tmpl, h);
		str(tann, ANN_RESTART_HASH, h);
	}
	return o;
}

static void
b64(struct strbuf *sb, const char *raw, size_t len)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i < len; i += 3) {
		unsigned v = (unsigned)(unsigned char)raw[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)(unsigned char)raw[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)raw[i + 2];
		strbuf_addch(sb, tbl[(v >> 18) & 63]);
		strbuf_addch(sb, tbl[(v >> 12) & 63]);
		strbuf_addch(sb, i + 1 < len ? tbl[(v >> 6) & 63] : '=');
		strbuf_addch(sb, i + 2 < len ? tbl[v & 63] : '=');
	}
}

/* Valid UTF-8 as Go's utf8.Valid sees it (no overlongs, surrogates or NUL). */
static bool
valid_utf8(const char *s, size_t len)
{
	size_t i = 0, need, k;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		unsigned char lo = 0x80, hi = 0xBF;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 1;
		else if (c >= 0xE0 && c <= 0xEF)
			need = 2;
		else if (c >= 0xF0 && c <= 0xF4)
			need = 3;
		else
			return false;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
		else if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
		if (i + need >= len)
			return false;
		for (k = 1; k <= need; k++) {
			unsigned char d = (unsigned char)s[i + k];

			if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xBF))
				return false;
		}
		i += need + 1;
	}
	return true;
}

static cJSON *
configmap(struct build *b, const char *name)
{
	cJSON *o = new_object("v1", "ConfigMap", name, b->ns, b->vmid, NULL);
	const char *raw = b->in->raw;
	size_t len = b->in->rawlen;
	bool utf8;

	/* ConfigMap data must be UTF-8; anything else goes as binaryData */
	utf8 = valid_utf8(raw, len);
	if (utf8) {
		_cleanup_free_ char *text = xstrndup(raw, len);

		str(obj(o, "data"), "ct.conf", text);
	} else {
		struct strbuf sb = STRBUF_INIT;

		b64(&sb, raw, len);
		str(obj(o, "binaryData"), "ct.conf", strbuf_str(&sb));
		strbuf_release(&sb);
	}
	return o;
}

/* root's password hash and authorized_keys for the first start */
static cJSON *
secret(struct build *b, const char *name)
{
	cJSON *o = new_object("v1", "Secret", name, b->ns, b->vmid, NULL), *data;
	struct strbuf sb = STRBUF_INIT;

	str(o, "type", "Opaque");
	data = obj(o, "data");
	if (b->in->password_hash) {
		b64(&sb, b->in->password_hash, strlen(b->in->password_hash));
		str(data, "password", sb.buf);
		strbuf_reset(&sb);
	}
	if (b->in->authorized_keys) {
		b64(&sb, b->in->authorized_keys, strlen(b->in->authorized_keys));
		str(data, "authorized_keys", sb.buf);
	}
	strbuf_release(&sb);
	return o;
}

static cJSON *
service(struct build *b, const char *name)
{
	cJSON *o = new_object("v1", "Service", name, b->ns, b->vmid, NULL);
	cJSON *spec = obj(o, "spec");
	char id[16];

	snprintf(id, sizeof(id), "%u", b->vmid);
	str(spec, "clusterIP", "None");
	str(obj(spec, "selector"), LABEL_CTID, id);
	boolean(spec, "publishNotReadyAddresses", true);
	return o;
}

int
syncd_desired(const struct desired_input *in, struct desired *out, struct pct_error **err)
{
	const struct pctconf *conf = in->conf;
	struct build b = { 0 };
	_cleanup_free_ char *name = xasprintf("ct-%u", conf->vmid);
	_cleanup_free_ char *cmname = xasprintf("ct-%u-conf", conf->vmid);
	const char *unpriv;
	size_t i;
	cJSON *o;

	(void)err;
	memset(out, 0, sizeof(*out));
	b.in = in;
	b.s = &conf->main;
	b.set = in->settings;
	b.d = out;
	b.vmid = conf->vmid;
	b.ns = in->settings->namespace;
	unpriv = get(&b, "unprivileged");
	b.privileged = unpriv && !strcmp(unpriv, "0");
	out->privileged = b.privileged;
	b.volumes = cJSON_CreateArray();
	b.mounts = cJSON_CreateArray();
	b.pvcs = cJSON_CreateArray();
	out->objects = cJSON_CreateArray();

	if (!get(&b, "ostemplate") || !*get(&b, "ostemplate"))
		refuse(&b, "no image: set 'ostemplate: <OCI image reference>' (pct create records it)");
	if (b.privileged && !in->settings->allow_privileged)
		refuse(&b, "privileged CTs (unprivileged: 0) are not allowed by corral.conf (allow-privileged = false)");
	if (!get(&b, "rootfs"))
		refuse(&b, "rootfs: not set");
	for (i = 0; i < b.s->nvals && !out->refused; i++) {
		const char *key = b.s->vals[i].key;
		const struct pctconf_key *row = pctconf_key_lookup(key, NULL);

		if (!row)
			continue;
		if (!strcmp(key, "rootfs") || !strcmp(row->name, "mp"))
			map_mountpoint(&b, key, b.s->vals[i].value, false);
		else if (!strcmp(row->name, "unused"))
			map_mountpoint(&b, key, b.s->vals[i].value, true);
	}
	/* volumes only snapshots reference keep their PVCs (never resized) */
	for (i = 0; i < conf->nsnaps && !out->refused; i++) {
		const struct pctconf_section *s = conf->snaps[i];
		size_t j;

		for (j = 0; j < s->nvals; j++) {
			const char *key = s->vals[j].key;
			const struct pctconf_key *row = pctconf_key_lookup(key, NULL);
			_cleanup_free_ char *volid = NULL;

			if (!row || (strcmp(key, "rootfs") && strcmp(row->name, "mp")))
				continue;
			volid = pctconf_mp_volid(key, s->vals[j].value);
			if (volid)
				record_volume(&b, key, volid, 0);
		}
	}
	if (!out->refused)
		map_devices(&b);
	if (out->refused) {
		cJSON_Delete(b.volumes);
		cJSON_Delete(b.mounts);
		cJSON_Delete(b.pvcs);
		return 0;
	}
	/* PVCs first, then what the pod needs, the StatefulSet last */
	while (cJSON_GetArraySize(b.pvcs) > 0)
		cJSON_AddItemToArray(out->objects, cJSON_DetachItemFromArray(b.pvcs, 0));
	cJSON_Delete(b.pvcs);
	o = configmap(&b, cmname);
	stamp_hash(o);
	cJSON_AddItemToArray(out->objects, o);
	o = service(&b, name);
	stamp_hash(o);
	cJSON_AddItemToArray(out->objects, o);
	if (b.privileged && (in->password_hash || in->authorized_keys)) {
		_cleanup_free_ char *sname = xasprintf("ct-%u-secrets", conf->vmid);

		o = secret(&b, sname);
		stamp_hash(o);
		cJSON_AddItemToArray(out->objects, o);
		b.secret = desired_object_name(o);
	}
	/* the config, read by corral-prestart (privileged CTs) */
	if (b.privileged) {
		cJSON *v = cJSON_CreateObject();

		str(v, "name", "conf");
		str(obj(v, "configMap"), "name", cmname);
		cJSON_AddItemToArray(b.volumes, v);
	}
	o = statefulset(&b, name);
	stamp_hash(o);
	cJSON_AddItemToArray(out->objects, o);
	return 0;
}

void
desired_release(struct desired *d)
{
	size_t i;

	cJSON_Delete(d->objects);
	free(d->refused);
	for (i = 0; i < d->nwarnings; i++)
		free(d->warnings[i]);
	free(d->warnings);
	for (i = 0; i < d->nvolumes; i++) {
		free(d->volumes[i].key);
		free(d->volumes[i].volid);
		free(d->volumes[i].pvc);
	}
	free(d->volumes);
	memset(d, 0, sizeof(*d));
}

/*
 * pct create <vmid> <ostemplate> [OPTIONS]
 *
 * Create a CT config the way Proxmox's create_vm does: the ID is claimed
 * atomically with `lock: create`, the options go through the same rules as
 * `pct set` on an empty config (normalised lists, canonical netN with a
 * generated hwaddr, STORAGE:SIZE volumes allocated), rootfs defaults to
 * <storage>:4, then hostname CT<vmid>, memory 512 and swap 512 are filled in
 * and the lock is dropped.
 *
 * <ostemplate> is an OCI image reference (docker.io/library/debian:bookworm)
 * or a Proxmox template name (local:vztmpl/debian-12-standard_...tar.zst)
 * mapped to an image by the `template` sections of corral.conf. The image is
 * kept in the `ostemplate:` key, which Proxmox's parser keeps as an unknown
 * key. --password and --ssh-public-keys are kept for the first start under
 * CORRAL_STATEDIR/ct/<vmid>/, readable by root only; never in the .conf.
 */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>

#include "pct.h"
#include "settings.h"
#include "state.h"

/* [registry[:port]/]path[:tag][@algo:hex], repository path in lower case */
static bool
valid_image_ref(const char *ref)
{
	const char *at = strchr(ref, '@'), *p;
	const char *last_slash, *colon;
	size_t n = at ? (size_t)(at - ref) : strlen(ref);

	if (!n || n > 255)
		return false;
	if (at) {
		const char *c = strchr(at + 1, ':');

		if (!c || c == at + 1 || strlen(c + 1) < 32)
			return false;
		for (p = c + 1; *p; p++)
			if (!strchr("0123456789abcdef", *p))
				return false;
	}
	last_slash = memrchr(ref, '/', n);
	colon = memrchr(ref, ':', n);
	if (colon && (!last_slash || colon > last_slash)) {
		/* a tag: \w[\w.-]{0,127} */
		if (colon + 1 == ref + n || !pct_isword((unsigned char)colon[1]) ||
		    (size_t)(ref + n - colon - 1) > 128)
			return false;
		for (p = colon + 1; p < ref + n; p++)
			if (!pct_isword((unsigned char)*p) && *p != '.' && *p != '-')
				return false;
		n = (size_t)(colon - ref);
	}
	for (p = ref; p < ref + n; p++) {
		unsigned char c = (unsigned char)*p;

		if (!(pct_isalnum(c) || strchr("._-/:", c)))
			return false;
	}
	/* the path after the registry must be lower case */
	{
		const char *first_slash = memchr(ref, '/', n);
		bool registry = first_slash && (memchr(ref, '.', (size_t)(first_slash - ref)) ||
						memchr(ref, ':', (size_t)(first_slash - ref)) ||
						!strncmp(ref, "localhost/", 10));
		const char *path = registry ? first_slash + 1 : ref;

		for (p = path; p < ref + n; p++)
			if ((*p >= 'A' && *p <= 'Z') || *p == ':')
				return false;
		if (path == ref + n || *path == '/' || ref[n - 1] == '/')
			return false;
	}
	return true;
}

/* A Proxmox template name rather than an image: "storage:vztmpl/..." or an archive. */
static bool
is_pve_template(const char *s)
{
	const char *colon = strchr(s, ':');

	if (colon && !strncmp(colon + 1, "vztmpl/", 7))
		return true;
	return str_has_suffix(s, ".tar.gz") || str_has_suffix(s, ".tar.xz") ||
	       str_has_suffix(s, ".tar.zst") || str_has_suffix(s, ".tar.bz2");
}

static int
resolve_template(const struct corral_settings *s, const char *tmpl, char **image,
		 struct pct_error **err)
{
	const char *img;

	if (!is_pve_template(tmpl)) {
		if (!valid_image_ref(tmpl))
			return pct_error_set(err, PCT_E_INVALID,
					     "invalid OCI image reference '%s'", tmpl);
		*image = xstrdup(tmpl);
		return 0;
	}
	img = corral_settings_template(s, tmpl);
	if (!img) {
		struct strbuf known = STRBUF_INIT;
		size_t i;

		for (i = 0; i < s->ntemplates; i++)
			strbuf_addf(&known, "%s%s", i ? ", " : "", s->templates[i].name);
		pct_error_set(err, PCT_E_INVALID,
			      "unknown template '%s' - known templates (corral.conf): %s", tmpl,
			      known.len ? known.buf : "none");
		strbuf_release(&known);
		return -1;
	}
	*image = xstrdup(img);
	return 0;
}

/* The distribution an image or template name stands for, as Proxmox would detect it. */
static const char *
guess_ostype(const char *tmpl, const char *image)
{
	static const struct {
		const char *name;
		const char *ostype;
	} names[] = {
		{ "almalinux", "centos" }, { "alpine", "alpine" },   { "archlinux", "archlinux" },
		{ "centos", "centos" },	   { "debian", "debian" },   { "devuan", "devuan" },
		{ "fedora", "fedora" },	   { "gentoo", "gentoo" },   { "leap", "opensuse" },
		{ "nixos", "nixos" },	   { "opensuse", "opensuse" }, { "rockylinux", "centos" },
		{ "tumbleweed", "opensuse" }, { "ubuntu", "ubuntu" },
	};
	const char *cands[2] = { NULL, NULL };
	size_t i, c;

	/* template archive: "debian-12-standard_..." */
	if (is_pve_template(tmpl)) {
		const char *base = strrchr(tmpl, '/');

		cands[0] = base ? base + 1 : tmpl;
	}
	/* image: last path component of the repository */
	{
		const char *base = strrchr(image, '/');

		cands[1] = base ? base + 1 : image;
	}
	for (c = 0; c < 2; c++) {
		if (!cands[c])
			continue;
		for (i = 0; i < ARRAY_SIZE(names); i++) {
			size_t n = strlen(names[i].name);

			if (!strncmp(cands[c], names[i].name, n) &&
			    (cands[c][n] == '\0' || strchr("-_:.@", cands[c][n])))
				return names[i].ostype;
		}
	}
	return NULL;
}

static const char *
host_arch(void)
{
	struct utsname u;

	if (uname(&u) == 0) {
		if (!strcmp(u.machine, "aarch64"))
			return "arm64";
		if (!strncmp(u.machine, "armv7", 5))
			return "armhf";
		if (!strcmp(u.machine, "i686") || !strcmp(u.machine, "i386"))
			return "i386";
		if (!strcmp(u.machine, "riscv64"))
			return "riscv64";
	}
	return "amd64";
}

static char *
read_password(struct pct_error **err)
{
	char a[512], b[512];
	struct termios old, noecho;
	bool tty = isatty(0) && tcgetattr(0, &old) == 0;

	if (tty) {
		noecho = old;
		noecho.c_lflag &= (tcflag_t)~ECHO;
		tcsetattr(0, TCSAFLUSH, &noecho);
		fputs("Enter password: ", stderr);
	}
	if (!fgets(a, sizeof(a), stdin)) {
		if (tty)
			tcsetattr(0, TCSAFLUSH, &old);
		pct_error_set(err, PCT_E_PARAM, "unable to read password");
		return NULL;
	}
	if (tty) {
		fputs("\nRetype password: ", stderr);
		if (!fgets(b, sizeof(b), stdin))
			b[0] = '\0';
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
		a[strcspn(a, "\n")] = '\0';
		b[strcspn(b, "\n")] = '\0';
		if (strcmp(a, b) != 0) {
			pct_error_set(err, PCT_E_PARAM, "Passwords do not match.");
			return NULL;
		}
	}
	a[strcspn(a, "\n")] = '\0';
	return xstrdup(a);
}

/* CORRAL_STATEDIR/ct/<vmid>/{password,authorized_keys}, mode 0600 in a 0700 dir */
static int
keep_secrets(unsigned vmid, const char *password, const char *keys, struct pct_error **err)
{
	_cleanup_free_ char *dir = xasprintf("%s/ct/%u", pctconf_statedir(), vmid);
	_cleanup_free_ char *pw = NULL, *kp = NULL;

	if (!password && !keys)
		return 0;
	if (pctconf_mkdir_p(dir, 0700) < 0 || chmod(dir, 0700) < 0)
		return pct_error_errno(err, errno, "unable to create directory '%s'", dir);
	if (password) {
		struct crypt_data cd;
		char *setting, *hash;
		struct strbuf sb = STRBUF_INIT;
		int ret;

		memset(&cd, 0, sizeof(cd));
		setting = crypt_gensalt_rn("$6$", 0, NULL, 0, cd.setting, sizeof(cd.setting));
		hash = setting ? crypt_r(password, setting, &cd) : NULL;
		if (!hash || hash[0] == '*')
			return pct_error_set(err, PCT_E_INTERNAL, "unable to hash the password");
		pw = xasprintf("%s/password", dir);
		strbuf_addf(&sb, "%s\n", hash);
		ret = pctconf_write_file_atomic(pw, sb.buf, sb.len, 0600, err);
		strbuf_release(&sb);
		explicit_bzero(&cd, sizeof(cd));
		if (ret < 0)
			return -1;
	}
	if (keys) {
		kp = xasprintf("%s/authorized_keys", dir);
		if (pctconf_write_file_atomic(kp, keys, strlen(keys), 0600, err) < 0)
			return -1;
	}
	return 0;
}

static bool
is_plain_number(const char *v)
{
	const char *p = v;

	if (!pct_isdigit((unsigned char)*p))
		return false;
	while (pct_isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!pct_isdigit((unsigned char)*p))
			return false;
		while (pct_isdigit((unsigned char)*p))
			p++;
	}
	return *p == '\0';
}

/* every STORAGE of a STORAGE:SIZE volume must be in corral.conf */
static int
check_storage(const struct corral_settings *s, const char *key, const char *value,
	      struct pct_param_errors *pe)
{
	const struct pctconf_key *row = pctconf_key_lookup(key, NULL);
	struct pctconf_props props;
	struct strbuf msg = STRBUF_INIT;
	_cleanup_free_ char *storage = NULL;
	const char *vol;

	if (!row || !row->props || pctconf_props_parse(row->props, value, &props, &msg, NULL) < 0) {
		strbuf_release(&msg);
		return 0;
	}
	vol = pctconf_props_get(&props, "volume");
	if (vol && pctconf_parse_new_disk(vol, &storage, NULL) &&
	    !corral_settings_storage(s, storage))
		pct_param_error_add(pe, key, "storage '%s' does not exist", storage);
	pctconf_props_release(&props);
	return 0;
}

static int
build_config(struct pctconf *conf, struct pct_args *args, const struct corral_settings *s,
	     const char *storage, struct pct_error **err)
{
	struct pct_param_errors pe = { STRBUF_INIT, 0 };
	struct pctconf_apply res = { 0 };
	bool has_rootfs = false;
	size_t i;

	for (i = 0; i < args->n; i++) {
		const char *k = args->v[i].name;
		const char *v = args->v[i].value;
		const struct pctconf_key *row;
		_cleanup_free_ char *value = NULL;

		if (!args->v[i].is_key)
			continue;
		row = pctconf_key_lookup(k, NULL);
		if (!strcmp(row->name, "unused")) {
			pct_warn("ignoring '%s', cannot create/restore with unused volume", k);
			continue;
		}
		if (!strcmp(k, "unprivileged"))
			continue; /* set below */
		if (!strcmp(k, "rootfs") || !strcmp(row->name, "mp")) {
			has_rootfs |= !strcmp(k, "rootfs");
			/* a bare number is a new volume of that many GiB on --storage */
			{
				const char *comma = strchr(v, ',');
				_cleanup_free_ char *first = comma ? xstrndup(v, (size_t)(comma - v))
								   : xstrdup(v);

				if (is_plain_number(first))
					value = xasprintf("%s:%s", storage, v);
			}
			check_storage(s, k, value ? value : v, &pe);
		}
		if (!value)
			value = pctconf_normalize_api_value(k, v);
		if (!strcmp(k, "description"))
			pctconf_set_description(&conf->pending, value, strlen(value));
		else if (!strcmp(k, "env"))
			pctconf_set_env(&conf->pending, value, strlen(value));
		else
			pctconf_set(&conf->pending, k, value);
	}
	if (pe.n)
		return pct_param_error_raise(&pe, err);
	strbuf_release(&pe.text);
	if (!has_rootfs) {
		_cleanup_free_ char *rootfs = xasprintf("%s:4", storage);

		pctconf_set(&conf->pending, "rootfs", rootfs);
	}
	/* volumes are allocated in Proxmox's foreach_volume order: rootfs first */
	{
		static const char *const rootfs_only[] = { "rootfs", NULL };

		pctconf_apply_pending(conf, rootfs_only, s->mac_prefix, &res);
	}
	pctconf_apply_pending(conf, NULL, s->mac_prefix, &res);
	if (res.nerrors) {
		struct pct_param_errors pe2 = { STRBUF_INIT, 0 };

		for (i = 0; i < res.nerrors; i++)
			pct_param_error_add(&pe2, res.errors[i].key, "%s", res.errors[i].msg);
		pctconf_apply_release(&res);
		return pct_param_error_raise(&pe2, err);
	}
	pctconf_apply_release(&res);
	return 0;
}

static int
cmd_create_exec(struct pct_args *args, struct pct_error **err)
{
	const struct corral_settings *s;
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	_cleanup_free_ char *image = NULL, *path = NULL, *password = NULL, *keys = NULL;
	_cleanup_free_ char *text = NULL;
	const char *tmpl = pct_args_get(args, "ostemplate");
	const char *storage = pct_args_get(args, "storage");
	const char *pw = pct_args_get(args, "password");
	const char *keyfile = pct_args_get(args, "ssh-public-keys");
	const char *unpriv = pct_args_get(args, "unprivileged");
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	bool claimed = false;
	char node[256] = "localhost";
	size_t len;
	int ret;

	ret = pct_settings(&s, err);
	if (ret < 0)
		return ret;
	if (pct_args_bool(args, "restore", false))
		return pct_error_set(err, PCT_E_INVALID,
				     "restoring a backup archive is not supported by Corral");
	if (!storage)
		storage = s->default_storage;
	if (!corral_settings_storage(s, storage)) {
		struct pct_param_errors pe = { STRBUF_INIT, 0 };

		pct_param_error_add(&pe, "storage", "storage '%s' does not exist", storage);
		return pct_param_error_raise(&pe, err);
	}
	ret = resolve_template(s, tmpl, &image, err);
	if (ret < 0)
		return ret;
	if (keyfile) {
		size_t klen;

		if (pct_read_file(keyfile, 1 << 20, &keys, &klen) < 0)
			return pct_error_errno(err, errno, "unable to read file '%s'", keyfile);
	}
	if (pw) {
		password = *pw ? xstrdup(pw) : read_password(err);
		if (!password)
			return -1;
		if (strlen(password) < 5) {
			struct pct_param_errors pe = { STRBUF_INIT, 0 };

			pct_param_error_add(&pe, "password", "value must be at least 5 characters long");
			return pct_param_error_raise(&pe, err);
		}
	}
	/* checked before the ID is claimed, so the message is not prefixed */
	if (!pct_args_get(args, "rootfs")) {
		size_t i;

		for (i = 0; i < args->n; i++)
			if (args->v[i].is_key && str_has_prefix(args->v[i].name, "mp"))
				return pct_error_set(err, PCT_E_INVALID,
						     "mount points configured, but 'rootfs' not set - aborting");
	}
	(void)gethostname(node, sizeof(node) - 1);
	path = pctconf_path(NULL, args->vmid);
	ret = pctconf_mkdir_p(pctconf_confdir(), 0755);
	if (ret < 0)
		return pct_error_errno(err, errno, "unable to create directory '%s'",
				       pctconf_confdir());
	ret = pctconf_lock(args->vmid, PCTCONF_LOCK_EX, 5.0, NULL, &lk, err);
	if (ret < 0)
		return ret;
	if (access(path, F_OK) == 0) {
		ret = pct_error_set(err, PCT_E_EXISTS, "CT %u already exists on node '%s'",
				    args->vmid, node);
		goto out;
	}
	/* claim the ID: of two creators exactly one links its file */
	ret = pctconf_create_file(path, "lock: create\n", 13, 0644, err);
	if (ret < 0) {
		if ((*err)->code == PCT_E_EXISTS) {
			pct_error_free(err);
			ret = pct_error_set(err, PCT_E_EXISTS, "CT %u already exists on node '%s'",
					    args->vmid, node);
		}
		goto out;
	}
	claimed = true;
	conf = pctconf_new(path, args->vmid);
	pct_state_reserve_volumes(conf);
	ret = build_config(conf, args, s, storage, err);
	if (ret < 0)
		goto out;
	pctconf_set(&conf->main, "ostemplate", image);
	pctconf_set(&conf->main, "unprivileged", unpriv ? unpriv : "1");
	if (!pctconf_get(&conf->main, "arch"))
		pctconf_set(&conf->main, "arch", host_arch());
	if (!pctconf_get(&conf->main, "ostype") && guess_ostype(tmpl, image))
		pctconf_set(&conf->main, "ostype", guess_ostype(tmpl, image));
	if (!pctconf_value_true(pctconf_get(&conf->main, "hostname"))) {
		_cleanup_free_ char *h = xasprintf("CT%u", args->vmid);

		pctconf_set(&conf->main, "hostname", h);
	}
	if (!pctconf_value_true(pctconf_get(&conf->main, "memory")))
		pctconf_set(&conf->main, "memory", "512");
	if (!pctconf_get(&conf->main, "swap"))
		pctconf_set(&conf->main, "swap", "512");
	ret = keep_secrets(args->vmid, password, keys, err);
	if (ret < 0)
		goto out;
	text = pctconf_write(conf, &len, err);
	if (!text) {
		ret = -1;
		goto out;
	}
	ret = pctconf_write_file_atomic(path, text, len, 0644, err);
	if (ret < 0)
		goto out;
	claimed = false;
	if (pct_args_bool(args, "start", false))
		ret = pct_state_set_power(args->vmid, "running", err);
	else
		ret = pct_state_set_power(args->vmid, "stopped", err);
out:
	if (claimed) {
		_cleanup_free_ char *sdir = xasprintf("%s/ct/%u", pctconf_statedir(), args->vmid);
		_cleanup_free_ char *f1 = xasprintf("%s/password", sdir);
		_cleanup_free_ char *f2 = xasprintf("%s/authorized_keys", sdir);

		(void)unlink(path);
		(void)unlink(f1);
		(void)unlink(f2);
		(void)rmdir(sdir);
		if (*err && (*err)->code != PCT_E_USAGE) {
			char *m = xasprintf("unable to create CT %u - %s", args->vmid, (*err)->msg);

			free((*err)->msg);
			(*err)->msg = m;
		}
	}
	if (password)
		explicit_bzero(password, strlen(password));
	pctconf_unlock(&lk);
	return ret < 0 ? -1 : 0;
}

static const char *const create_args[] = { "vmid", "ostemplate", NULL };
static const struct pctconf_prop create_opts[] = {
	{ .name = "bwlimit", .type = PCTCONF_NUM, .flags = PCTCONF_OPTIONAL | PCTCONF_HAS_MIN,
	  .min = 0, .help = "Accepted for compatibility; images are pulled by the cluster." },
	{ .name = "force", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,
	  .help = "Accepted for compatibility (restore only)." },
	{ .name = "ha-managed", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Accepted for compatibility; the StatefulSet keeps the CT running." },
	{ .name = "ignore-unpack-errors", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,
	  .help = "Accepted for compatibility; nothing is unpacked." },
	{ .name = "ostemplate", .type = PCTCONF_STR, .max_length = 255,
	  .help = "OCI image reference, or a Proxmox template name mapped in corral.conf." },
	{ .name = "password", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL | PCTCONF_OPTIONAL_VALUE,
	  .typetext = "password",
	  .help = "Root password set at the first start (asked for when given without a value)." },
	{ .name = "pool", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,
	  .help = "Accepted for compatibility; there are no pools." },
	{ .name = "restore", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,
	  .help = "Accepted for compatibility; restores are not supported." },
	{ .name = "ssh-public-keys", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,
	  .typetext = "filepath",
	  .help = "File with public SSH keys for root, set at the first start." },
	{ .name = "start", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Start the CT after creating it." },
	{ .name = "storage", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,
	  .format = "pve-storage-id", .def = "local",
	  .help = "Default storage for new volumes (a storage section of corral.conf)." },
	{ .name = "unique", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,
	  .help = "Accepted for compatibility (restore only)." },
	PCT_PROP_VMID,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_create = {
	.name = "create",
	.args = create_args,
	.opts = create_opts,
	.flags = PCT_CMD_KEY_OPTS,
	.help = "Create a container.",
	.exec = cmd_create_exec,
};

/*
 * Guest files (§10): the "# --- BEGIN PVE ---" marker algorithm of
 * ct_modify_file as a pure function, remove_pve_sections, chroot-like path
 * resolution inside a container root (openat2 RESOLVE_IN_ROOT, no
 * privileges needed), the .pve-ignore.<name> opt-out, and OS detection.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "pctconf.h"

#define PVE_HEAD "# --- BEGIN PVE ---\n"
#define PVE_TAIL "# --- END PVE ---\n"

struct lines {
	const char **s;
	size_t *len;
	size_t n, alloc, alloc2;
};

/* split(/\n/): trailing empty fields dropped */
static void
split_lines(const char *s, size_t len, struct lines *l)
{
	const char *p = s, *end = s + len;

	while (len && s[len - 1] == '\n')
		end = s + --len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		l->s = xgrow(l->s, l->n + 1, &l->alloc, sizeof(*l->s));
		l->len = xgrow(l->len, l->n + 1, &l->alloc2, sizeof(*l->len));
		l->s[l->n] = p;
		l->len[l->n] = n;
		l->n++;
		if (!nl)
			break;
		p = nl + 1;
	}
	/* "a\n\nb": the inner empty field is a line too; "" gives none */
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && pct_isspace((unsigned char)*p))
		p++;
	return p;
}

static bool
word_at(const char *p, const char *end, const char *w, bool icase)
{
	size_t n = strlen(w), i;

	if ((size_t)(end - p) < n)
		return false;
	for (i = 0; i < n; i++) {
		int a = (unsigned char)p[i], b = (unsigned char)w[i];

		if (icase ? pct_tolower(a) != pct_tolower(b) : a != b)
			return false;
	}
	return true;
}

/* ^#\s*---\s*BEGIN\s*PVE\s* (case-sensitive) or the END form (case-insensitive) */
static bool
is_marker(const char *s, size_t len, const char *word, bool icase)
{
	const char *p = s, *end = s + len;

	if (p >= end || *p != '#')
		return false;
	p = skip_ws(p + 1, end);
	if (!word_at(p, end, "---", false))
		return false;
	p = skip_ws(p + 3, end);
	if (!word_at(p, end, word, icase))
		return false;
	p = skip_ws(p + strlen(word), end);
	return word_at(p, end, "PVE", icase);
}

enum pctconf_marker_action
pctconf_marker_modify(const char *old, size_t oldlen, bool exists, const char *data,
		      enum pctconf_marker_mode mode, bool delete_if_empty, char **out,
		      size_t *outlen, bool *apply_perms)
{
	struct strbuf d = STRBUF_INIT, o = STRBUF_INIT;
	struct lines l = { 0 };
	size_t beg = 0, end = 0, i;
	bool have_beg = false, have_end = false;
	enum pctconf_marker_action act = PCTCONF_MARKER_NONE;

	*out = NULL;
	*outlen = 0;
	*apply_perms = false;
	strbuf_addstr(&d, data);
	if (d.len && d.buf[d.len - 1] != '\n')
		strbuf_addch(&d, '\n');
	if (!exists) {
		if (d.len) {
			strbuf_addstr(&o, PVE_HEAD);
			strbuf_add(&o, d.buf, d.len);
			strbuf_addstr(&o, PVE_TAIL);
			*apply_perms = true;
			act = PCTCONF_MARKER_WRITE;
		}
		goto done;
	}
	split_lines(old, oldlen, &l);
	for (i = 0; i < l.n; i++) {
		if (!have_beg) {
			if (is_marker(l.s[i], l.len[i], "BEGIN", false)) {
				beg = i;
				have_beg = true;
			}
		} else if (is_marker(l.s[i], l.len[i], "END", true)) {
			end = i;
			have_end = true;
			break;
		}
	}
	if (have_beg && have_end) {
		if (!d.len && beg == 0 && end == l.n - 1) {
			act = delete_if_empty ? PCTCONF_MARKER_UNLINK : PCTCONF_MARKER_NONE;
			goto done;
		}
		for (i = 0; i < l.n; i++) {
			if (i > beg && i <= end)
				continue;
			if (i)
				strbuf_addch(&o, '\n');
			if (i == beg) {
				strbuf_addstr(&o, PVE_HEAD);
				strbuf_add(&o, d.buf, d.len);
				strbuf_addstr(&o, "# --- END PVE ---");
			} else {
				strbuf_add(&o, l.s[i], l.len[i]);
			}
		}
		strbuf_addch(&o, '\n');
		act = PCTCONF_MARKER_WRITE;
	} else if (d.len) {
		struct strbuf content = STRBUF_INIT;

		for (i = 0; i < l.n; i++) {
			if (i)
				strbuf_addch(&content, '\n');
			strbuf_add(&content, l.s[i], l.len[i]);
		}
		strbuf_addch(&content, '\n');
		if (mode == PCTCONF_MARKER_PREPEND || mode == PCTCONF_MARKER_REPLACE) {
			strbuf_addstr(&o, PVE_HEAD);
			strbuf_add(&o, d.buf, d.len);
			strbuf_addstr(&o, PVE_TAIL);
		}
		if (mode == PCTCONF_MARKER_PREPEND)
			strbuf_add(&o, content.buf, content.len);
		if (mode == PCTCONF_MARKER_APPEND) {
			strbuf_add(&o, content.buf, content.len);
			strbuf_addstr(&o, PVE_HEAD);
			strbuf_add(&o, d.buf, d.len);
			strbuf_addstr(&o, PVE_TAIL);
		}
		strbuf_release(&content);
		*apply_perms = true;
		act = PCTCONF_MARKER_WRITE;
	}
done:
	free(l.s);
	free(l.len);
	strbuf_release(&d);
	if (act == PCTCONF_MARKER_WRITE)
		*out = strbuf_detach(&o, outlen);
	else
		strbuf_release(&o);
	return act;
}

/* ^\h*<text> at a line start */
static bool
line_starts_with(const char *p, const char *end, const char *text)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return word_at(p, end, text, false);
}

char *
pctconf_remove_pve_sections(const char *s, size_t len, size_t *outlen)
{
	const char *end = s + len, *p, *beg = NULL, *last_end = NULL;
	struct strbuf o = STRBUF_INIT;

	/* s/^\h*# --- BEGIN PVE ---.*^\h*# --- END PVE ---.*?$//gms: from the
	 * first BEGIN line to the end of the last END line after it */
	for (p = s; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if (!beg) {
			if (line_starts_with(p, le, "# --- BEGIN PVE ---"))
				beg = p;
		} else if (line_starts_with(p, le, "# --- END PVE ---")) {
			last_end = le;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (beg && last_end) {
		strbuf_add(&o, s, (size_t)(beg - s));
		strbuf_add(&o, last_end, (size_t)(end - last_end));
	} else {
		strbuf_add(&o, s, len);
	}
	return strbuf_detach(&o, outlen);
}

/* ---- paths inside a container root ---- */

int
pctconf_ct_open(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how;
	long fd;

	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	if (flags & O_CREAT)
		how.mode = mode;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	return fd < 0 ? -1 : (int)fd;
}

int
pctconf_open_beneath(int dirfd, const char *path, int flags)
{
	struct open_how how;
	long fd;

	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	return fd < 0 ? -1 : (int)fd;
}

/* stat a path inside the root, following symlinks inside it (-f, -d, -e) */
static int
ct_stat(int rootfd, const char *path, struct stat *st)
{
	_cleanup_close_ int fd = pctconf_ct_open(rootfd, path, O_PATH, 0);

	if (fd < 0)
		return -1;
	return fstat(fd, st);
}

bool
pctconf_ct_file_ignored(int rootfd, const char *path)
{
	_cleanup_free_ char *ign = NULL;
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (slash)
		ign = xasprintf("%.*s/.pve-ignore.%s", (int)(slash - path), path, slash + 1);
	else
		ign = xasprintf(".pve-ignore.%s", path);
	return ct_stat(rootfd, ign, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- OS detection (§10.1) ---- */

static bool
ct_exists(int rootfd, const char *path, bool want_dir)
{
	struct stat st;

	if (ct_stat(rootfd, path, &st) < 0)
		return false;
	return want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode); /* -d or -f */
}

int
pctconf_ct_read(int rootfd, const char *path, size_t max, char **out, size_t *len)
{
	_cleanup_close_ int fd = pctconf_ct_open(rootfd, path, O_RDONLY, 0);
	struct strbuf sb = STRBUF_INIT;
	char buf[8192];

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			strbuf_release(&sb);
			return -1;
		}
		if (n == 0)
			break;
		if (sb.len + (size_t)n > max) {
			strbuf_release(&sb);
			errno = EFBIG;
			return -1;
		}
		strbuf_add(&sb, buf, (size_t)n);
	}
	*out = strbuf_detach(&sb, len);
	return 0;
}

/*
 * One value of an os-release file: '...' (no escapes), "..." (backslash
 * escapes), or the leading [A-Za-z0-9]* of an unquoted value.
 */
char *
pctconf_os_release_get(const char *text, const char *key)
{
	const char *p = text;
	char *res = NULL;

	while (*p) {
		const char *eol = strchr(p, '\n');
		const char *le = eol ? eol : p + strlen(p);
		const char *q = p, *k;

		while (q < le && pct_isspace((unsigned char)*q))
			q++;
		k = q;
		if (q < le && (pct_isalpha((unsigned char)*q) || *q == '_')) {
			while (q < le && (pct_isalnum((unsigned char)*q) || *q == '_'))
				q++;
			if (q < le && *q == '=' && (size_t)(q - k) == strlen(key) &&
			    !strncmp(k, key, (size_t)(q - k))) {
				struct strbuf v = STRBUF_INIT;

				q++;
				if (*q == '\'') {
					const char *e = memchr(q + 1, '\'', (size_t)(le - q - 1));

					if (e)
						strbuf_add(&v, q + 1, (size_t)(e - q - 1));
				} else if (*q == '"') {
					for (q++; q < le && *q != '"'; q++) {
						if (*q == '\\' && q + 1 < le && strchr("\"'`$\\nt", q[1])) {
							q++;
							strbuf_addch(&v, *q == 'n' ? '\n' : *q == 't' ? '\t' : *q);
						} else {
							strbuf_addch(&v, *q);
						}
					}
				} else {
					while (q < le && pct_isalnum((unsigned char)*q))
						strbuf_addch(&v, *q++);
				}
				free(res);
				res = strbuf_detach(&v, NULL);
			}
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	return res;
}

static const char *const plugins[] = {
	"alpine", "archlinux", "centos", "debian", "devuan", "fedora", "gentoo", "nixos",
	"openeuler", "opensuse", "ubuntu", "unmanaged", NULL,
};

static const struct {
	const char *id;
	const char *type;
} aliases[] = {
	{ "almalinux", "centos" }, { "arch", "archlinux" }, { "openEuler", "openeuler" },
	{ "opensuse-leap", "opensuse" }, { "opensuse-slowroll", "opensuse" },
	{ "opensuse-tumbleweed", "opensuse" }, { "rocky", "centos" }, { "sles", "opensuse" },
};

static const struct {
	const char *file;
	const char *type;
	bool dir;
} fallbacks[] = {
	{ "/etc/debian_version", "debian", false },
	{ "/etc/devuan_version", "devuan", false },
	{ "/etc/SuSE-brand", "opensuse", false },
	{ "/etc/SuSE-release", "opensuse", false },
	{ "/etc/fedora-release", "fedora", false },
	{ "/etc/centos-release", "centos", false },
	{ "/etc/redhat-release", "centos", false },
	{ "/etc/arch-release", "archlinux", false },
	{ "/etc/alpine-release", "alpine", false },
	{ "/etc/gentoo-release", "gentoo", false },
	{ "/nix/store", "nixos", true },
	{ "/etc/openEuler-release", "openeuler", false },
};

static bool
lsb_is_ubuntu(int rootfd)
{
	_cleanup_free_ char *text = NULL;
	const char *p, *end;
	size_t len;

	if (pctconf_ct_read(rootfd, "/etc/lsb-release", 1 << 20, &text, &len) < 0)
		return false;
	/* a line DISTRIB_ID=Ubuntu, case-insensitive */
	for (p = text, end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if (le - p == 17 && word_at(p, le, "DISTRIB_ID=Ubuntu", true))
			return true;
		if (!nl)
			break;
		p = nl + 1;
	}
	return false;
}

int
pctconf_detect_ostype(int rootfd, const char *conf_ostype, char **ostype,
		      struct strbuf *warnings, struct pct_error **err)
{
	_cleanup_free_ char *osr = NULL, *id = NULL;
	const char *type = NULL;
	size_t len, i;

	*ostype = NULL;
	if (conf_ostype && !strcmp(conf_ostype, "unmanaged")) {
		*ostype = xstrdup("unmanaged");
		return 0;
	}
	if (pctconf_ct_read(rootfd, "/etc/os-release", 1 << 20, &osr, &len) < 0)
		(void)pctconf_ct_read(rootfd, "/usr/lib/os-release", 1 << 20, &osr, &len);
	if (osr)
		id = pctconf_os_release_get(osr, "ID");
	if (pctconf_value_true(id)) { /* Perl truth: "" and "0" are no ID */
		for (i = 0; plugins[i]; i++)
			if (!strcmp(id, plugins[i]))
				type = plugins[i];
		for (i = 0; !type && i < ARRAY_SIZE(aliases); i++)
			if (!strcmp(id, aliases[i].id))
				type = aliases[i].type;
		if (!type && warnings)
			strbuf_addf(warnings,
				    "unknown ID '%s' in /etc/os-release file, trying fallback detection\n",
				    id);
	}
	if (!type) {
		if (lsb_is_ubuntu(rootfd))
			type = "ubuntu";
		for (i = 0; !type && i < ARRAY_SIZE(fallbacks); i++)
			if (ct_exists(rootfd, fallbacks[i].file, fallbacks[i].dir))
				type = fallbacks[i].type;
	}
	if (!type) {
		if (ct_exists(rootfd, "/etc/os-release", false))
			return pct_error_set(err, PCT_E_INVALID, "unable to detect OS distribution");
		if (warnings)
			strbuf_addstr(warnings, "/etc/os-release file not found and autodetection failed, falling back to 'unmanaged'\n");
		type = "unmanaged";
	}
	if (conf_ostype && *conf_ostype && strcmp(conf_ostype, type) != 0 && warnings) {
		struct stat st;

		if (ct_stat(rootfd, "/etc", &st) < 0)
			strbuf_addstr(warnings,
				      "WARNING: /etc not present in CT, is the rootfs mounted?\n");
		strbuf_addf(warnings, "got unexpected ostype (%s != %s)\n", type, conf_ostype);
	}
	*ostype = xstrdup(type);
	return 0;
}

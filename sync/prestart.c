/*
 * corral-prestart CONF ROOTFS [--create]
 *
 * The guest setup Proxmox's pre-start hook does, run as an init container on
 * a CT's persistent rootfs before every start (DESIGN-NOTES §5, spec §10):
 *
 *   - detect the OS type the Proxmox way, refuse unsupported versions, warn
 *     when the configured ostype disagrees;
 *   - /etc/hostname (or the distribution's equivalent);
 *   - the PVE section of /etc/hosts and of /etc/resolv.conf, leaving the
 *     user's own lines alone; .pve-ignore.<name> freezes a file;
 *   - the time zone.
 *
 * With --create (or when ROOTFS/.corral/first-start exists, which the seed
 * step leaves behind) also what Proxmox does once after creating a CT:
 * machine-id cleared, cron minutes randomised, root's password and
 * authorized_keys from the files pct create kept (mounted from the CT's
 * Secret at /etc/corral/secrets).
 *
 * Every path is resolved inside ROOTFS as chroot(2) would (openat2
 * RESOLVE_IN_ROOT): an absolute symlink cannot lead out. Files are replaced
 * atomically (<file>.tmp.<pid> + rename), so a symlinked target becomes a
 * regular file and is never followed. Network files are not written: the
 * pod network belongs to Kubernetes. Statically linked, libc only.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pctconf.h"

static int rootfd = -1;
static const char *secrets_dir = "/etc/corral/secrets";

static void
warnx(const char *fmt, ...) _printf_(1, 2);

static void
warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
die(const char *fmt, ...) _printf_(1, 2);

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("corral-prestart: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- files inside the root ---- */

static char *
dir_of(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');

	*base = slash ? slash + 1 : path;
	return slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
}

/* ct_file_set_contents: atomic replace inside the root; skipped when ignored */
static int
ct_write(const char *path, const char *data, size_t len, mode_t mode)
{
	const char *base;
	_cleanup_free_ char *dir = dir_of(path, &base);
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.%ld", base, (long)getpid());
	_cleanup_close_ int dfd = -1, fd = -1;

	if (pctconf_ct_file_ignored(rootfd, path))
		return 0;
	dfd = pctconf_ct_open(rootfd, *dir ? dir : "/", O_PATH | O_DIRECTORY, 0);
	if (dfd < 0) {
		warnx("unable to open directory '%s' in the container: %s", dir, strerror(errno));
		return -1;
	}
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) < 0 || pct_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		warnx("unable to write '%s' in the container: %s", path, strerror(errno));
		if (fd >= 0)
			(void)unlinkat(dfd, tmp, 0);
		return -1;
	}
	if (renameat(dfd, tmp, dfd, base) < 0) {
		warnx("unable to replace '%s' in the container: %s", path, strerror(errno));
		(void)unlinkat(dfd, tmp, 0);
		return -1;
	}
	return 0;
}

static bool
ct_is_file(const char *path)
{
	_cleanup_close_ int fd = pctconf_ct_open(rootfd, path, O_PATH, 0);
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

static bool
ct_exists(const char *path)
{
	_cleanup_close_ int fd = pctconf_ct_open(rootfd, path, O_PATH, 0);

	return fd >= 0;
}

static char *
ct_read(const char *path, size_t *len)
{
	char *buf = NULL;

	if (pctconf_ct_read(rootfd, path, 16u << 20, &buf, len) < 0)
		return NULL;
	return buf;
}

/* ct_modify_file with the marker algorithm of §10.4 */
static void
ct_modify(const char *path, const char *data, enum pctconf_marker_mode mode, mode_t perms)
{
	_cleanup_free_ char *old = NULL, *out = NULL;
	size_t oldlen = 0, outlen;
	bool apply_perms;
	bool exists = ct_is_file(path);
	enum pctconf_marker_action act;

	if (pctconf_ct_file_ignored(rootfd, path))
		return;
	if (exists)
		old = ct_read(path, &oldlen);
	act = pctconf_marker_modify(old ? old : "", oldlen, exists && old, data, mode, false, &out,
				    &outlen, &apply_perms);
	if (act == PCTCONF_MARKER_WRITE) {
		mode_t m = 0644;

		if (!apply_perms && exists) {
			_cleanup_close_ int fd = pctconf_ct_open(rootfd, path, O_PATH, 0);
			struct stat st;

			if (fd >= 0 && fstat(fd, &st) == 0)
				m = st.st_mode & 07777;
		} else if (apply_perms) {
			m = perms;
		}
		(void)ct_write(path, out, outlen, m);
	}
}

/* ---- DNS settings: the config's, else this (the pod's) resolv.conf ---- */

struct dns {
	char **search;
	size_t nsearch;
	char **servers;
	size_t nservers;
};

static void
host_dns(struct dns *d, bool want_search, bool want_servers)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	char *line, *save = NULL;

	if (pct_read_file("/etc/resolv.conf", 1 << 20, &buf, &len) < 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (want_search && !strncmp(line, "search", 6) && pct_isspace((unsigned char)line[6])) {
			pctconf_strv_free(d->search, d->nsearch);
			d->nsearch = pctconf_split_list(line + 7, &d->search);
		} else if (want_servers && !strncmp(line, "nameserver", 10) &&
			   pct_isspace((unsigned char)line[10]) && d->nservers < 3) {
			char **v;
			size_t n = pctconf_split_list(line + 11, &v);

			if (n) {
				d->servers = xrealloc(d->servers, (d->nservers + 1) * sizeof(char *));
				d->servers[d->nservers++] = steal_ptr(v[0]);
			}
			pctconf_strv_free(v, n);
		}
	}
}

static void
lookup_dns(const struct pctconf_section *s, struct dns *d)
{
	const char *sd = pctconf_get(s, "searchdomain"), *ns = pctconf_get(s, "nameserver");

	memset(d, 0, sizeof(*d));
	if (sd)
		d->nsearch = pctconf_split_list(sd, &d->search);
	if (ns)
		d->nservers = pctconf_split_list(ns, &d->servers);
	if (!sd && !ns)
		host_dns(d, true, true);
}

static void
dns_release(struct dns *d)
{
	pctconf_strv_free(d->search, d->nsearch);
	pctconf_strv_free(d->servers, d->nservers);
}

/* ---- the setup steps ---- */

static bool
full_hostname_family(const char *ostype)
{
	return !strcmp(ostype, "centos") || !strcmp(ostype, "fedora") ||
	       !strcmp(ostype, "openeuler");
}

static void
set_hostname(const char *ostype, const char *hostname)
{
	_cleanup_free_ char *shortname = xstrndup(hostname, strcspn(hostname, "."));

	if (!strcmp(ostype, "gentoo")) {
		_cleanup_free_ char *t = xasprintf("hostname=\"%s\"\n", shortname);

		(void)ct_write("/etc/conf.d/hostname", t, strlen(t), 0644);
		return;
	}
	if (full_hostname_family(ostype)) {
		_cleanup_free_ char *t = xasprintf("%s\n", hostname);

		(void)ct_write("/etc/hostname", t, strlen(t), 0644);
		if (ct_is_file("/etc/sysconfig/network")) {
			_cleanup_free_ char *old = NULL;
			struct strbuf out = STRBUF_INIT;
			size_t len;
			bool replaced = false;
			char *line, *save = NULL;

			old = ct_read("/etc/sysconfig/network", &len);
			for (line = old ? strtok_r(old, "\n", &save) : NULL; line;
			     line = strtok_r(NULL, "\n", &save)) {
				/* ^HOSTNAME=\h*(\S+)\h*$ */
				if (!strncmp(line, "HOSTNAME=", 9)) {
					strbuf_addf(&out, "HOSTNAME=%s\n", hostname);
					replaced = true;
				} else {
					strbuf_addf(&out, "%s\n", line);
				}
			}
			if (!replaced)
				strbuf_addf(&out, "HOSTNAME=%s\n", hostname);
			(void)ct_write("/etc/sysconfig/network", out.buf, out.len, 0644);
			strbuf_release(&out);
		}
		return;
	}
	{
		_cleanup_free_ char *t = xasprintf("%s\n", shortname);

		(void)ct_write("/etc/hostname", t, strlen(t), 0644);
	}
}

/* an address of net0 without its prefix length, if static */
static char *
net0_address(const struct pctconf_section *s)
{
	const struct pctconf_key *row = pctconf_key_lookup("net0", NULL);
	const char *net0 = pctconf_get(s, "net0");
	struct pctconf_props p;
	struct strbuf msg = STRBUF_INIT;
	const char *ip, *ip6;
	char *res = NULL;

	if (!net0 || pctconf_props_parse(row->props, net0, &p, &msg, NULL) < 0) {
		strbuf_release(&msg);
		return NULL;
	}
	ip = pctconf_props_get(&p, "ip");
	ip6 = pctconf_props_get(&p, "ip6");
	if (ip && strcmp(ip, "dhcp") && strcmp(ip, "manual"))
		res = xstrndup(ip, strcspn(ip, "/"));
	else if (ip6 && strcmp(ip6, "auto") && strcmp(ip6, "dhcp") && strcmp(ip6, "manual"))
		res = xstrndup(ip6, strcspn(ip6, "/"));
	pctconf_props_release(&p);
	return res;
}

/* ^\h*<prefix>\h+ somewhere in text */
static bool
has_line(const char *text, const char *prefix)
{
	const char *p = text;
	size_t n = strlen(prefix);

	while (p && *p) {
		const char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (!strncmp(q, prefix, n) && (q[n] == ' ' || q[n] == '\t'))
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

static void
update_etc_hosts(const struct pctconf_section *s, const char *hostname, const struct dns *d)
{
	_cleanup_free_ char *shortname = xstrndup(hostname, strcspn(hostname, "."));
	_cleanup_free_ char *addr = net0_address(s), *old = NULL, *stripped = NULL;
	struct strbuf names = STRBUF_INIT, data = STRBUF_INIT;
	bool exists = ct_is_file("/etc/hosts");
	size_t len = 0, slen, i;

	if (pctconf_ct_file_ignored(rootfd, "/etc/hosts"))
		return;
	if (strchr(hostname, '.')) {
		strbuf_addf(&names, "%s %s", hostname, shortname);
	} else {
		for (i = 0; i < d->nsearch; i++)
			strbuf_addf(&names, "%s%s.%s", i ? " " : "", hostname, d->search[i]);
		strbuf_addf(&names, "%s%s", names.len ? " " : "", hostname);
	}
	if (exists)
		old = ct_read("/etc/hosts", &len);
	stripped = old ? pctconf_remove_pve_sections(old, len, &slen) : NULL;
	if (!stripped || !has_line(stripped, "127.0.0.1"))
		strbuf_addstr(&data, "127.0.0.1 localhost.localnet localhost\n");
	if (!stripped || !has_line(stripped, "::1"))
		strbuf_addstr(&data, "::1 localhost.localnet localhost\n");
	if (addr)
		strbuf_addf(&data, "%s %s\n", addr, names.buf);
	else if (strcmp(shortname, "localhost") != 0)
		strbuf_addf(&data, "127.0.1.1 %s\n", names.buf);
	else
		strbuf_addstr(&data, "127.0.1.1 localhost\n");
	ct_modify("/etc/hosts", data.buf, PCTCONF_MARKER_APPEND, 0644);
	strbuf_release(&names);
	strbuf_release(&data);
}

static void
set_dns(const struct dns *d)
{
	struct strbuf data = STRBUF_INIT;
	size_t i;

	if (d->nsearch) {
		strbuf_addstr(&data, "search");
		for (i = 0; i < d->nsearch; i++)
			strbuf_addf(&data, " %s", d->search[i]);
		strbuf_addch(&data, '\n');
	}
	for (i = 0; i < d->nservers; i++)
		strbuf_addf(&data, "nameserver %s\n", d->servers[i]);
	ct_modify("/etc/resolv.conf", strbuf_str(&data), PCTCONF_MARKER_REPLACE, 0644);
	strbuf_release(&data);
}

static void
set_timezone(const char *tz)
{
	_cleanup_free_ char *zone = NULL, *target = NULL;
	char host[4096];

	if (!strcmp(tz, "host")) {
		/* the zone this (the setup) container runs with */
		ssize_t n = readlink("/etc/localtime", host, sizeof(host) - 1);
		const char *z;

		if (n <= 0)
			return;
		host[n] = '\0';
		z = strstr(host, "zoneinfo/");
		if (!z)
			return;
		zone = xstrdup(z + 9);
	} else {
		zone = xstrdup(tz);
	}
	target = xasprintf("/usr/share/zoneinfo/%s", zone);
	if (!ct_is_file(target)) {
		warnx("container does not have %s, timezone can not be modified", target);
		return;
	}
	if (!pctconf_ct_file_ignored(rootfd, "/etc/localtime")) {
		_cleanup_close_ int dfd = pctconf_ct_open(rootfd, "/etc", O_PATH | O_DIRECTORY, 0);
		char cur[4096];
		ssize_t n = dfd >= 0 ? readlinkat(dfd, "localtime", cur, sizeof(cur) - 1) : -1;

		if (n >= 0)
			cur[n] = '\0';
		if (dfd >= 0 && (n < 0 || strcmp(cur, target) != 0)) {
			_cleanup_free_ char *tmp = xasprintf("localtime.tmp.%ld", (long)getpid());

			if (symlinkat(target, dfd, tmp) < 0 || renameat(dfd, tmp, dfd, "localtime") < 0) {
				warnx("unable to set /etc/localtime: %s", strerror(errno));
				(void)unlinkat(dfd, tmp, 0);
			}
		}
	}
	if (ct_exists("/etc/timezone")) {
		_cleanup_free_ char *t = xasprintf("%s\n", zone);

		(void)ct_write("/etc/timezone", t, strlen(t), 0644);
	}
}

/* ---- once, after create ---- */

static void
clear_machine_id(void)
{
	_cleanup_close_ int etc = pctconf_ct_open(rootfd, "/etc", O_PATH | O_DIRECTORY, 0);
	_cleanup_close_ int dbus = pctconf_ct_open(rootfd, "/var/lib/dbus", O_PATH | O_DIRECTORY, 0);
	struct stat st;

	if (etc >= 0 && !pctconf_ct_file_ignored(rootfd, "/etc/machine-id"))
		(void)unlinkat(etc, "machine-id", 0);
	if (dbus >= 0 && ct_exists("/lib/systemd/systemd") &&
	    fstatat(dbus, "machine-id", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(st.st_mode) &&
	    !pctconf_ct_file_ignored(rootfd, "/var/lib/dbus/machine-id"))
		(void)unlinkat(dbus, "machine-id", 0);
}

/* lines ^\d+(\s+\S+){4}\s+root\s+\S.* get a random minute */
static void
randomize_crontab(const char *path)
{
	_cleanup_free_ char *old = NULL;
	struct strbuf out = STRBUF_INIT;
	size_t len;
	const char *p;
	bool changed = false;

	old = ct_read(path, &len);
	if (!old)
		return;
	for (p = old; p < old + len;) {
		const char *nl = memchr(p, '\n', (size_t)(old + len - p));
		const char *end = nl ? nl : old + len;
		const char *q = p;
		int fields = 0;

		while (q < end && pct_isdigit((unsigned char)*q))
			q++;
		if (q > p) {
			const char *r = q;

			while (fields < 5 && r < end) {
				const char *ws = r;

				while (r < end && pct_isspace((unsigned char)*r))
					r++;
				if (r == ws)
					break;
				{
					const char *w = r;

					while (r < end && !pct_isspace((unsigned char)*r))
						r++;
					if (fields == 4 && !(r - w == 4 && !strncmp(w, "root", 4)))
						break;
					if (r == w)
						break;
				}
				fields++;
			}
			if (fields == 5 && r < end) {
				unsigned char b;

				(void)getrandom(&b, 1, 0);
				strbuf_addf(&out, "%u", b % 60);
				strbuf_add(&out, q, (size_t)(end - q));
				changed = true;
				goto next;
			}
		}
		strbuf_add(&out, p, (size_t)(end - p));
	next:
		if (nl)
			strbuf_addch(&out, '\n');
		p = nl ? nl + 1 : end;
	}
	if (changed)
		(void)ct_write(path, out.buf, out.len, 0644);
	strbuf_release(&out);
}

static void
randomize_cron(void)
{
	_cleanup_close_ int dfd = pctconf_ct_open(rootfd, "/etc/cron.d", O_RDONLY | O_DIRECTORY, 0);
	DIR *d;
	struct dirent *de;

	randomize_crontab("/etc/crontab");
	if (dfd < 0)
		return;
	d = fdopendir(steal_fd(dfd));
	if (!d)
		return;
	while ((de = readdir(d))) {
		_cleanup_free_ char *path = NULL;

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("/etc/cron.d/%s", de->d_name);
		if (ct_is_file(path))
			randomize_crontab(path);
	}
	closedir(d);
}

/* root's password hash into /etc/shadow (or /etc/passwd without shadow) */
static void
set_root_password(const char *hash)
{
	const char *file = ct_is_file("/etc/shadow") ? "/etc/shadow" : "/etc/passwd";
	_cleanup_free_ char *old = NULL;
	struct strbuf out = STRBUF_INIT;
	size_t len;
	const char *p;

	old = ct_read(file, &len);
	if (!old)
		return;
	for (p = old; p < old + len;) {
		const char *nl = memchr(p, '\n', (size_t)(old + len - p));
		const char *end = nl ? nl : old + len;

		if (end - p > 5 && !strncmp(p, "root:", 5)) {
			const char *rest = memchr(p + 5, ':', (size_t)(end - p - 5));

			strbuf_addf(&out, "root:%s", hash);
			if (rest)
				strbuf_add(&out, rest, (size_t)(end - rest));
		} else {
			strbuf_add(&out, p, (size_t)(end - p));
		}
		if (nl)
			strbuf_addch(&out, '\n');
		p = nl ? nl + 1 : end;
	}
	(void)ct_write(file, out.buf, out.len, !strcmp(file, "/etc/shadow") ? 0640 : 0644);
	strbuf_release(&out);
}

static char *
root_home(void)
{
	_cleanup_free_ char *pw = NULL;
	size_t len;
	char *line, *save = NULL;

	pw = ct_read("/etc/passwd", &len);
	for (line = pw ? strtok_r(pw, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "root:", 5)) {
			int field = 0;
			char *f, *fs = NULL;

			for (f = strtok_r(line, ":", &fs); f; f = strtok_r(NULL, ":", &fs))
				if (++field == 6)
					return xstrdup(f);
		}
	}
	return xstrdup("/root");
}

static void
set_authorized_keys(const char *keys)
{
	_cleanup_free_ char *home = root_home();
	_cleanup_free_ char *ssh = xasprintf("%s/.ssh", home);
	_cleanup_free_ char *ak = xasprintf("%s/authorized_keys", ssh);
	_cleanup_close_ int hfd = pctconf_ct_open(rootfd, home, O_PATH | O_DIRECTORY, 0);

	if (hfd < 0)
		return;
	if (mkdirat(hfd, ".ssh", 0700) < 0 && errno != EEXIST)
		return;
	{
		_cleanup_close_ int sfd = pctconf_ct_open(rootfd, ssh, O_RDONLY | O_DIRECTORY, 0);

		if (sfd >= 0)
			(void)fchmod(sfd, 0700);
	}
	ct_modify(ak, keys, PCTCONF_MARKER_APPEND, 0600);
}

static void
post_create(void)
{
	_cleanup_free_ char *pwfile = xasprintf("%s/password", secrets_dir);
	_cleanup_free_ char *kfile = xasprintf("%s/authorized_keys", secrets_dir);
	_cleanup_free_ char *hash = NULL, *keys = NULL;
	size_t len;

	clear_machine_id();
	randomize_cron();
	if (pct_read_file(pwfile, 1 << 16, &hash, &len) == 0) {
		hash[strcspn(hash, "\n")] = '\0';
		if (*hash)
			set_root_password(hash);
	}
	if (pct_read_file(kfile, 1 << 20, &keys, &len) == 0 && len)
		set_authorized_keys(keys);
}

/* ---- main ---- */

int
main(int argc, char **argv)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	_cleanup_error_ struct pct_error *err = NULL;
	_cleanup_free_ char *ostype = NULL;
	struct strbuf warnings = STRBUF_INIT;
	const struct pctconf_section *s;
	const char *hostname, *tz;
	bool create = false;
	struct dns d;
	int i;

	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--create"))
			create = true;
		else if (!strncmp(argv[i], "--secrets=", 10))
			secrets_dir = argv[i] + 10;
		else
			die("unknown option '%s'", argv[i]);
	}
	if (argc < 3) {
		fputs("usage: corral-prestart CONF ROOTFS [--create] [--secrets=DIR]\n", stderr);
		return 2;
	}
	if (pctconf_load_file(argv[1], 0, &conf, &err) < 0)
		die("%s", err->msg);
	s = &conf->main;
	rootfd = open(argv[2], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		die("unable to open the container root '%s': %s", argv[2], strerror(errno));
	if (pctconf_detect_ostype(rootfd, pctconf_get(s, "ostype"), &ostype, &warnings, &err) < 0)
		die("%s", err->msg);
	if (pctconf_check_os_version(rootfd, ostype, &warnings, &err) < 0)
		die("%s", err->msg);
	if (warnings.len)
		fputs(warnings.buf, stderr);
	strbuf_release(&warnings);
	if (!strcmp(ostype, "unmanaged"))
		return 0;
	if (!create && ct_exists("/.corral/first-start"))
		create = true;
	if (create)
		post_create();
	hostname = pctconf_get(s, "hostname");
	if (!hostname || !*hostname)
		hostname = "localhost";
	lookup_dns(s, &d);
	set_hostname(ostype, hostname);
	update_etc_hosts(s, hostname, &d);
	set_dns(&d);
	dns_release(&d);
	tz = pctconf_get(s, "timezone");
	if (tz && strcmp(ostype, "nixos") != 0)
		set_timezone(tz);
	if (create) {
		_cleanup_close_ int cd = pctconf_ct_open(rootfd, "/.corral", O_PATH | O_DIRECTORY, 0);

		if (cd >= 0)
			(void)unlinkat(cd, "first-start", 0);
	}
	close(rootfd);
	return 0;
}

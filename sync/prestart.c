/*
 * corral-prestart CONF ROOTFS [--create] [--secrets=DIR] [--resolv-conf=FILE]
 *                 [--host-root=DIR]
 *
 * The guest setup Proxmox's pre-start hook does, run as an init container on
 * a CT's persistent rootfs before every start (DESIGN-NOTES §5, spec §10):
 *
 *   - detect the OS type the Proxmox way, refuse unsupported releases (exit 1,
 *     nothing written), warn when the configured ostype disagrees;
 *   - /fastboot, the host name (/etc/hostname, /etc/sysconfig/network or
 *     /etc/conf.d/hostname, per distribution);
 *   - the PVE sections of /etc/hosts and /etc/resolv.conf, leaving the
 *     user's own lines alone; .pve-ignore.<name> freezes a file;
 *   - the time zone.
 *
 * With --create (or when ROOTFS/.corral/first-start exists, which the seed
 * step leaves behind) first what Proxmox does once after creating a CT:
 * machine-id cleared, template fixups, cron minutes randomised, root's
 * password hash and authorized_keys from the secrets directory (the CT's
 * Secret, default /etc/corral/secrets). The marker is removed after a
 * successful run.
 *
 * CONF and the secrets are the kubelet's projection of the CT's ConfigMap
 * and Secret: symbolic links are followed there, but only those that stay
 * in the file's directory (openat2 RESOLVE_BENEATH).
 *
 * DNS settings missing from the config come from --resolv-conf (default
 * /etc/resolv.conf: the pod's, as Proxmox takes the host's); `timezone: host`
 * reads /etc/localtime and /etc/timezone below --host-root (default /).
 *
 * Every path is resolved inside ROOTFS as chroot(2) would (openat2
 * RESOLVE_IN_ROOT): an absolute symlink cannot lead out. Files are replaced
 * atomically (<file>.tmp.<pid> + rename), so a symlinked target becomes a
 * regular file and is never followed. Network files and consoles are not
 * set up: the pod network belongs to Kubernetes. Statically linked, libc
 * only, no NSS: /etc/passwd is parsed here. doc/corral-prestart.md lists
 * what is done and where it deliberately differs from Proxmox.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pctconf.h"

#define CT_FILE_MAX (16u << 20)

static int rootfd = -1;
static int hostfd = -1;
static const char *secrets_dir = "/etc/corral/secrets";
static const char *resolv_conf = "/etc/resolv.conf";
static const char *host_root = "/";

static void warnx(const char *fmt, ...) _printf_(1, 2);
static void die(const char *fmt, ...) _printf_(1, 2) __attribute__((noreturn));

/* Proxmox's warn(): the text as it is */
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

/* Perl's \h on bytes: space, tab and no-break space (0xA0) */
static bool
is_h(unsigned char c)
{
	return c == ' ' || c == '\t' || c == 0xa0;
}

/* ---- files inside the root ---- */

/* "/a/b/c" -> "/a/b" and base "c"; "/c" -> "/" */
static char *
dir_of(const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');

	*base = slash ? slash + 1 : path;
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* ---- the config and the secrets: volumes the kubelet projected ---- */

/*
 * Read a file of the CT's ConfigMap or Secret volume. The kubelet projects
 * each key as a symbolic link into a timestamped directory it swaps at once
 * on an update (ct.conf -> ..data/ct.conf, ..data -> ..2026_01_02_...), so
 * links are followed, but only those that stay in the file's directory: a
 * link that leads out of the volume (or an absolute one) fails with EXDEV.
 * The volumes are read-only and outside ROOTFS, so no one who controls the
 * CT's files can put a link there. (libpctconf's pctconf_load_file refuses
 * every link: it guards the user's /etc/corral/ct, where a planted link
 * could make root read any file.) -1 with errno as pct_read_file.
 */
static int
volume_read(const char *path, size_t max, char **out, size_t *len)
{
	const char *base;
	_cleanup_free_ char *dir = dir_of(path, &base);
	_cleanup_close_ int dfd = -1, fd = -1;

	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	fd = pctconf_open_beneath(dfd, base, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	return pct_read_fd(fd, max, out, len);
}

/* strerror, and what EXDEV means here */
static const char *
volume_strerror(int e)
{
	return e == EXDEV ? "a symbolic link leads out of its directory" : strerror(e);
}

/* the CT's config, with pctconf_load_file's messages */
static struct pctconf *
load_conf(const char *path)
{
	_cleanup_free_ char *raw = NULL;
	size_t len;

	if (volume_read(path, PCTCONF_MAX_FILE_SIZE, &raw, &len) < 0) {
		switch (errno) {
		case ENOENT:
			die("Configuration file '%s' does not exist", path);
		case EISDIR:
			die("'%s' is a directory, not a config file", path);
		case EINVAL:
			die("'%s' is not a regular file", path);
		case EFBIG:
			die("unable to read file '%s' - larger than %u MiB", path,
			    PCTCONF_MAX_FILE_SIZE >> 20);
		default:
			die("unable to open file '%s': %s", path, volume_strerror(errno));
		}
	}
	return pctconf_parse(path, 0, raw, len);
}

static int
ct_stat(const char *path, struct stat *st, bool follow)
{
	_cleanup_close_ int fd =
		pctconf_ct_open(rootfd, path, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);

	if (fd < 0)
		return -1;
	return fstat(fd, st);
}

static bool
ct_is_file(const char *path) /* -f */
{
	struct stat st;

	return ct_stat(path, &st, true) == 0 && S_ISREG(st.st_mode);
}

static bool
ct_is_dir(const char *path) /* -d */
{
	struct stat st;

	return ct_stat(path, &st, true) == 0 && S_ISDIR(st.st_mode);
}

static bool
ct_exists(const char *path) /* -e */
{
	struct stat st;

	return ct_stat(path, &st, true) == 0;
}

static bool
ct_is_symlink(const char *path) /* -l */
{
	struct stat st;

	return ct_stat(path, &st, false) == 0 && S_ISLNK(st.st_mode);
}

/* -x as root sees it: a directory, or any execute bit */
static bool
ct_is_executable(const char *path)
{
	struct stat st;

	return ct_stat(path, &st, true) == 0 && (S_ISDIR(st.st_mode) || (st.st_mode & 0111));
}

static bool
ct_ignored(const char *path)
{
	return pctconf_ct_file_ignored(rootfd, path);
}

/* NULL with errno on failure */
static char *
ct_read(const char *path, size_t *len)
{
	char *buf = NULL;

	if (pctconf_ct_read(rootfd, path, CT_FILE_MAX, &buf, len) < 0)
		return NULL;
	return buf;
}

/* file_get_contents: a file that cannot be read ends the setup */
static char *
ct_read_or_die(const char *path, size_t *len)
{
	char *buf = ct_read(path, len);

	if (!buf)
		die("can't open '%s' - %s", path, strerror(errno));
	return buf;
}

/*
 * ct_file_set_contents: write <path>.tmp.<pid> (O_EXCL; a stale one is
 * removed, three tries), set the mode (and owner when given), rename it over
 * path. Skipped when the file is ignored. Errors end the setup with
 * Proxmox's messages.
 */
static void
ct_write_owned(const char *path, const char *data, size_t len, mode_t mode,
	       const struct stat *owner)
{
	const char *base;
	_cleanup_free_ char *dir = dir_of(path, &base);
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.%ld", base, (long)getpid());
	_cleanup_free_ char *tmppath = xasprintf("%s.tmp.%ld", path, (long)getpid());
	_cleanup_close_ int dfd = -1, fd = -1;
	int tries;

	if (ct_ignored(path))
		return;
	dfd = pctconf_ct_open(rootfd, dir, O_PATH | O_DIRECTORY, 0);
	if (dfd < 0)
		die("unable to open file '%s' - %s", tmppath, strerror(errno));
	for (tries = 0; tries < 3; tries++) {
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
		if (unlinkat(dfd, tmp, 0) < 0)
			die("unable to delete old temp file: %s", strerror(errno));
	}
	if (fd < 0)
		die("unable to open file '%s' - %s", tmppath, strerror(errno));
	if (owner)
		(void)fchown(fd, owner->st_uid, owner->st_gid);
	if (fchmod(fd, mode) < 0 || pct_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		int e = errno;

		(void)unlinkat(dfd, tmp, 0);
		die("unable to write '%s' - %s", tmppath, strerror(e));
	}
	if (close(steal_fd(fd)) < 0) {
		int e = errno;

		(void)unlinkat(dfd, tmp, 0);
		die("closing file '%s' failed - %s", tmppath, strerror(e));
	}
	if (renameat(dfd, tmp, dfd, base) < 0) {
		int e = errno;

		(void)unlinkat(dfd, tmp, 0);
		die("close (rename) atomic file '%s' failed: %s", path, strerror(e));
	}
}

static void
ct_write(const char *path, const char *data, size_t len, mode_t mode)
{
	ct_write_owned(path, data, len, mode, NULL);
}

static void
ct_write_str(const char *path, const char *text)
{
	ct_write(path, text, strlen(text), 0644);
}

/* ct_unlink: errors are ignored, as in Proxmox */
static void
ct_unlink(const char *path)
{
	const char *base;
	_cleanup_free_ char *dir = dir_of(path, &base);
	_cleanup_close_ int dfd = -1;

	if (ct_ignored(path))
		return;
	dfd = pctconf_ct_open(rootfd, dir, O_PATH | O_DIRECTORY, 0);
	if (dfd >= 0)
		(void)unlinkat(dfd, base, 0);
}

/*
 * ct_modify_file (§10.4): the PVE section of path. perms (0 = none) only
 * apply where Proxmox applies them: to a new file and when a section is
 * added; a rewritten section leaves the file at the default 0644.
 */
static void
ct_modify(const char *path, const char *data, enum pctconf_marker_mode mode, mode_t perms)
{
	_cleanup_free_ char *old = NULL, *out = NULL;
	size_t oldlen = 0, outlen;
	bool exists, apply_perms;

	if (ct_ignored(path))
		return;
	exists = ct_is_file(path);
	if (exists)
		old = ct_read_or_die(path, &oldlen);
	if (pctconf_marker_modify(old ? old : "", oldlen, exists, data, mode, false, &out, &outlen,
				  &apply_perms) == PCTCONF_MARKER_WRITE)
		ct_write(path, out, outlen, apply_perms && perms ? perms : 0644);
}

/*
 * abs_path inside a root: symlinks followed (at most 40), ".." stops at the
 * root. From the first component that does not exist on, the rest is joined
 * as written. *exists tells whether the whole path resolved.
 */
static char *
root_realpath(int fd, const char *path, bool *exists)
{
	struct strbuf res = STRBUF_INIT;
	char *todo = xstrdup(path), *p = todo;
	bool missing = false;
	int links = 0;

	for (;;) {
		_cleanup_close_ int cfd = -1;
		char comp[256], target[4096];
		size_t n;
		struct stat st;
		ssize_t tl;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		n = strcspn(p, "/");
		if (n >= sizeof(comp)) {
			missing = true;
			n = sizeof(comp) - 1;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		p += strcspn(p, "/");
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			char *slash = res.len ? strrchr(res.buf, '/') : NULL;

			if (slash && !missing)
				res.len = (size_t)(slash - res.buf), res.buf[res.len] = '\0';
			else if (slash)
				strbuf_addstr(&res, "/..");
			continue;
		}
		if (!missing) {
			_cleanup_free_ char *cand = xasprintf("%s/%s", strbuf_str(&res), comp);

			cfd = pctconf_ct_open(fd, cand, O_PATH | O_NOFOLLOW, 0);
			if (cfd < 0 || fstat(cfd, &st) < 0)
				missing = true;
		}
		if (!missing && S_ISLNK(st.st_mode) && links++ < 40 &&
		    (tl = readlinkat(cfd, "", target, sizeof(target) - 1)) > 0) {
			char *next;

			target[tl] = '\0';
			next = xasprintf("%s/%s", target, p);
			free(todo);
			todo = p = next;
			if (target[0] == '/')
				strbuf_reset(&res);
			continue;
		}
		strbuf_addf(&res, "/%s", comp);
	}
	free(todo);
	if (exists)
		*exists = !missing;
	if (!res.len)
		strbuf_addch(&res, '/');
	return strbuf_detach(&res, NULL);
}

/* ---- DNS: the config's, else the host's resolv.conf ---- */

/* One IPv4 octet of Proxmox's $IPV4RE at p: candidate lengths in regex order. */
static size_t
ipv4_octets(const char *p, size_t lens[5])
{
	size_t n = 0;

	if (p[0] == '2' && p[1] == '5' && p[2] >= '0' && p[2] <= '5')
		lens[n++] = 3;
	if (p[0] == '2' && p[1] >= '0' && p[1] <= '4' && pct_isdigit((unsigned char)p[2]))
		lens[n++] = 3;
	if (p[0] == '1' && pct_isdigit((unsigned char)p[1]) && pct_isdigit((unsigned char)p[2]))
		lens[n++] = 3;
	if (p[0] >= '1' && p[0] <= '9' && pct_isdigit((unsigned char)p[1]))
		lens[n++] = 2;
	if (pct_isdigit((unsigned char)p[0]))
		lens[n++] = 1;
	return n;
}

/* length of the IPv4 address $IPV4RE matches at p (backtracking like Perl), 0 if none */
static size_t
ipv4_at(const char *p, int octet)
{
	size_t lens[5], n = ipv4_octets(p, lens), i, r;

	for (i = 0; i < n; i++) {
		if (octet == 3)
			return lens[i];
		if (p[lens[i]] == '.' && (r = ipv4_at(p + lens[i] + 1, octet + 1)))
			return lens[i] + 1 + r;
	}
	return 0;
}

/* an address $IPRE matches at p: IPv4 first, else the longest valid IPv6 prefix */
static char *
ip_at(const char *p)
{
	size_t n = ipv4_at(p, 0), run;
	struct in6_addr a6;
	char buf[64];

	if (n)
		return xstrndup(p, n);
	run = strspn(p, "0123456789abcdefABCDEF:.");
	for (n = run < sizeof(buf) ? run : sizeof(buf) - 1; n > 1; n--) {
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) == 1)
			return xstrdup(buf);
	}
	return NULL;
}

struct dns {
	char *search;	  /* searchdomain text, NULL when undefined */
	char *nameserver; /* nameserver text, NULL when undefined */
};

/* read_etc_resolv_conf: search = first word of the last search/domain line, three nameservers */
static void
host_resolv(char **search, char **nameservers)
{
	_cleanup_free_ char *buf = NULL;
	struct strbuf ns = STRBUF_INIT;
	size_t len, count = 0;
	char *line, *next;

	*search = NULL;
	*nameservers = NULL;
	if (pct_read_file(resolv_conf, 1 << 20, &buf, &len) < 0)
		return;
	for (line = buf; line && line < buf + len; line = next) {
		char *p = line;

		next = memchr(line, '\n', (size_t)(buf + len - line));
		if (next)
			*next++ = '\0';
		if ((str_has_prefix(p, "search") || str_has_prefix(p, "domain")) &&
		    pct_isspace((unsigned char)p[6])) {
			for (p += 6; pct_isspace((unsigned char)*p); p++)
				;
			if (*p) {
				free(*search);
				*search = xstrndup(p, strcspn(p, " \t\n\v\f\r"));
			}
			continue;
		}
		while (pct_isspace((unsigned char)*p))
			p++;
		if (str_has_prefix(p, "nameserver") && pct_isspace((unsigned char)p[10])) {
			_cleanup_free_ char *ip = NULL;

			for (p += 10; pct_isspace((unsigned char)*p); p++)
				;
			ip = ip_at(p);
			if (ip && ++count <= 3)
				strbuf_addf(&ns, "%s%s", ns.len ? " " : "", ip);
		}
	}
	*nameservers = strbuf_detach(&ns, NULL);
}

/* lookup_dns_conf: nameserver and searchdomain fall back to the host's independently */
static void
lookup_dns(const struct pctconf_section *s, struct dns *d)
{
	const char *sd = pctconf_get(s, "searchdomain"), *ns = pctconf_get(s, "nameserver");
	char *host_search = NULL, *host_ns = NULL;

	if (!sd || !ns)
		host_resolv(&host_search, &host_ns);
	d->search = sd ? xstrdup(sd) : steal_ptr(host_search);
	d->nameserver = ns ? xstrdup(ns) : steal_ptr(host_ns);
	free(host_search);
	free(host_ns);
}

static void
dns_release(struct dns *d)
{
	free(d->search);
	free(d->nameserver);
}

static void
set_dns(const struct dns *d)
{
	struct strbuf data = STRBUF_INIT;
	char **v;
	size_t n, i;

	if (pctconf_value_true(d->search)) {
		n = pctconf_split_list(d->search, &v);
		strbuf_addstr(&data, "search");
		for (i = 0; i < n; i++)
			strbuf_addf(&data, " %s", v[i]);
		strbuf_addstr(&data, n ? "\n" : " \n"); /* "search " . join(' ', ...) */
		pctconf_strv_free(v, n);
	}
	n = d->nameserver ? pctconf_split_list(d->nameserver, &v) : 0;
	for (i = 0; i < n; i++)
		strbuf_addf(&data, "nameserver %s\n", v[i]);
	if (d->nameserver)
		pctconf_strv_free(v, n);
	ct_modify("/etc/resolv.conf", strbuf_str(&data), PCTCONF_MARKER_REPLACE, 0);
	strbuf_release(&data);
}

/* ---- host name and /etc/hosts ---- */

/* one address as get_primary_ips leaves it: undef for the modes, a Perl-false value as is */
static char *
perl_ip(const char *ip, bool v6)
{
	const char *slash;
	size_t n;

	if (!ip)
		return NULL;
	if (!pctconf_value_true(ip))
		return xstrdup(ip);
	if (!strcmp(ip, "dhcp") || !strcmp(ip, "manual") || (v6 && !strcmp(ip, "auto")))
		return NULL;
	/* s!/\d+$!! */
	n = strlen(ip);
	slash = strrchr(ip, '/');
	if (slash && slash[1] && strspn(slash + 1, "0123456789") == strlen(slash + 1))
		n = (size_t)(slash - ip);
	return xstrndup(ip, n);
}

/* get_primary_ips on net0, then $ipv4 || $ipv6; NULL when undefined */
static char *
primary_ip(const struct pctconf_section *s)
{
	const struct pctconf_key *row = pctconf_key_lookup("net0", NULL);
	const char *net0 = pctconf_get(s, "net0");
	struct pctconf_props p;
	struct strbuf msg = STRBUF_INIT;
	char *v4, *v6;

	if (!net0)
		return NULL;
	if (pctconf_props_parse(row->props, net0, &p, &msg, "net0") < 0) {
		char *c;

		while (msg.len && msg.buf[msg.len - 1] == '\n')
			msg.buf[--msg.len] = '\0';
		for (c = msg.buf; *c; c++)
			if (*c == '\n')
				*c = ' ';
		die("unable to parse net0: %s", msg.buf);
	}
	v4 = perl_ip(pctconf_props_get(&p, "ip"), false);
	v6 = perl_ip(pctconf_props_get(&p, "ip6"), true);
	pctconf_props_release(&p);
	strbuf_release(&msg);
	if (pctconf_value_true(v4)) {
		free(v6);
		return v4;
	}
	free(v4);
	return v6;
}

/* /^\h*<prefix>\h+/m in text */
static bool
has_line(const char *text, size_t len, const char *prefix)
{
	const char *p = text, *end = text + len;
	size_t n = strlen(prefix);

	while (p < end) {
		const char *q = p;

		while (q < end && is_h((unsigned char)*q))
			q++;
		if ((size_t)(end - q) > n && !memcmp(q, prefix, n) && is_h((unsigned char)q[n]))
			return true;
		p = memchr(p, '\n', (size_t)(end - p));
		if (!p)
			break;
		p++;
	}
	return false;
}

static void
update_etc_hosts(const char *hostip, const char *hostname, const char *namepart,
		 const char *searchdomains)
{
	struct strbuf names = STRBUF_INIT, data = STRBUF_INIT;
	char **v;
	size_t n, i;

	if (ct_ignored("/etc/hosts"))
		return;
	if (strchr(hostname, '.')) {
		strbuf_addf(&names, "%s %s", hostname, namepart);
	} else {
		n = pctconf_split_list(searchdomains ? searchdomains : "", &v);
		for (i = 0; i < n; i++)
			strbuf_addf(&names, "%s%s.%s", i ? " " : "", hostname, v[i]);
		pctconf_strv_free(v, n);
		strbuf_addf(&names, "%s%s", names.len ? " " : "", hostname);
	}
	if (ct_is_file("/etc/hosts")) {
		size_t len, slen;
		_cleanup_free_ char *old = ct_read_or_die("/etc/hosts", &len);
		_cleanup_free_ char *stripped = pctconf_remove_pve_sections(old, len, &slen);

		if (!has_line(stripped, slen, "127.0.0.1"))
			strbuf_addstr(&data, "127.0.0.1 localhost.localnet localhost\n");
		if (!has_line(stripped, slen, "::1"))
			strbuf_addstr(&data, "::1 localhost.localnet localhost\n");
	} else {
		strbuf_addstr(&data, "127.0.0.1 localhost.localnet localhost\n"
				     "::1 localhost.localnet localhost\n");
	}
	if (hostip)
		strbuf_addf(&data, "%s %s\n", hostip, names.buf);
	else if (strcmp(namepart, "localhost") != 0)
		strbuf_addf(&data, "127.0.1.1 %s\n", names.buf);
	else
		strbuf_addf(&data, "127.0.1.1 %s\n", namepart);
	ct_modify("/etc/hosts", data.buf, PCTCONF_MARKER_APPEND, 0);
	strbuf_release(&names);
	strbuf_release(&data);
}

/*
 * s/^HOSTNAME=\h*(\S+)\h*$/HOSTNAME=<name>/m on the first line it matches;
 * without one, "HOSTNAME=<name>\n" is appended to the text as it is.
 */
static void
sysconfig_set_hostname(const char *text, size_t len, const char *hostname, struct strbuf *out)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *a = p + 9, *b = le;
		bool match = false;

		if (le - p > 9 && !memcmp(p, "HOSTNAME=", 9)) {
			const char *q;

			/* \h*\S+\h*: spaces and tabs only at the ends, no other \s */
			while (a < b && (*a == ' ' || *a == '\t'))
				a++;
			while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
				b--;
			match = b > a;
			for (q = a; match && q < b; q++)
				if (pct_isspace((unsigned char)*q))
					match = false;
		}
		if (match) {
			strbuf_add(out, text, (size_t)(p - text));
			strbuf_addf(out, "HOSTNAME=%s", hostname);
			strbuf_add(out, le, (size_t)(end - le));
			return;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	strbuf_add(out, text, len);
	strbuf_addf(out, "HOSTNAME=%s\n", hostname);
}

static bool
ostype_in(const char *ostype, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(ostype, *list))
			return true;
	return false;
}

static const char *const centos_family[] = { "centos", "fedora", "openeuler", NULL };

static void
set_hostname(const char *ostype, const char *hostname, const char *hostip, const struct dns *d)
{
	_cleanup_free_ char *namepart = xstrndup(hostname, strcspn(hostname, "."));
	_cleanup_free_ char *text = NULL;

	update_etc_hosts(hostip, hostname, namepart, d->search);
	if (!strcmp(ostype, "gentoo")) {
		text = xasprintf("hostname=\"%s\"\n", namepart);
		ct_write_str("/etc/conf.d/hostname", text);
	} else if (ostype_in(ostype, centos_family)) {
		/* Red Hat wants the FQDN, in /etc/sysconfig/network's HOSTNAME too */
		text = xasprintf("%s\n", hostname);
		ct_write_str("/etc/hostname", text);
		if (ct_is_file("/etc/sysconfig/network")) {
			_cleanup_free_ char *old = NULL;
			struct strbuf out = STRBUF_INIT;
			size_t len;

			old = ct_read_or_die("/etc/sysconfig/network", &len);
			sysconfig_set_hostname(old, len, hostname, &out);
			ct_write("/etc/sysconfig/network", out.buf, out.len, 0644);
			strbuf_release(&out);
		}
	} else {
		text = xasprintf("%s\n", namepart);
		ct_write_str("/etc/hostname", text);
	}
}

/* ---- time zone ---- */

static int
host_root_fd(void)
{
	if (hostfd < 0)
		hostfd = open(host_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return hostfd;
}

/*
 * The host's zone for `timezone: host`: the path its /etc/localtime leads to
 * (Proxmox's abs_path) and its zone name (/etc/timezone). When /etc/localtime
 * is no symlink (a copied or bind-mounted file), the zone name decides.
 */
static bool
host_zone(char **tz_path, char **zone)
{
	int fd = host_root_fd();
	_cleanup_free_ char *text = NULL;
	char *path = NULL;
	bool exists = false;
	size_t len;

	*tz_path = *zone = NULL;
	if (fd < 0)
		return false;
	if (pctconf_ct_read(fd, "/etc/timezone", 1 << 16, &text, &len) == 0 && len)
		*zone = xstrndup(text, strcspn(text, "\n"));
	path = root_realpath(fd, "/etc/localtime", &exists);
	if (strcmp(path, "/etc/localtime") != 0) {
		*tz_path = path;
		if (!*zone) {
			const char *z = strstr(path, "/zoneinfo/"), *next;

			while (z && (next = strstr(z + 1, "/zoneinfo/")))
				z = next;
			if (z)
				*zone = xstrdup(z + 10);
		}
		return true;
	}
	free(path);
	if (*zone) {
		*tz_path = xasprintf("/usr/share/zoneinfo/%s", *zone);
		return true;
	}
	return false;
}

static void
set_timezone(const char *tz)
{
	_cleanup_free_ char *tz_path = NULL, *zone = NULL, *cur = NULL;

	if (!tz)
		return;
	if (!strcmp(tz, "host")) {
		if (!host_zone(&tz_path, &zone)) {
			warnx("unable to determine the host's time zone from '%s', "
			      "timezone can not be modified",
			      host_root);
			return;
		}
	} else {
		tz_path = xasprintf("/usr/share/zoneinfo/%s", tz);
		zone = xstrdup(tz);
	}
	if (!ct_is_file(tz_path)) {
		warnx("container does not have %s, timezone can not be modified", tz_path);
		return;
	}
	cur = root_realpath(rootfd, "/etc/localtime", NULL);
	if (strcmp(cur, tz_path) != 0 && !ct_ignored("/etc/localtime")) {
		_cleanup_close_ int dfd = pctconf_ct_open(rootfd, "/etc", O_PATH | O_DIRECTORY, 0);
		_cleanup_free_ char *tmp = xasprintf("localtime.%ld.new.tmpfile", (long)getpid());

		(void)unlinkat(dfd, tmp, 0);
		if (dfd < 0 || symlinkat(tz_path, dfd, tmp) < 0 ||
		    renameat(dfd, tmp, dfd, "localtime") < 0) {
			warnx("unable to set /etc/localtime: %s", strerror(errno));
			if (dfd >= 0)
				(void)unlinkat(dfd, tmp, 0);
		}
	}
	/* not all distributions have /etc/timezone */
	if (zone && ct_is_file("/etc/timezone")) {
		_cleanup_free_ char *t = xasprintf("%s\n", zone);

		ct_write_str("/etc/timezone", t);
	}
}

/* ---- once, after create ---- */

static void
clear_machine_id(void)
{
	bool systemd = ct_is_executable("/lib/systemd/systemd") ||
		       ct_is_executable("/usr/lib/systemd/systemd");

	if (systemd && ct_is_file("/var/lib/dbus/machine-id") &&
	    !ct_is_symlink("/var/lib/dbus/machine-id"))
		ct_unlink("/var/lib/dbus/machine-id");
	if (ct_is_file("/etc/machine-id"))
		ct_unlink("/etc/machine-id");
}

/* split(/\n/): trailing empty lines dropped; calls fn for each line */
static void
for_each_line(const char *text, size_t len, void (*fn)(const char *, size_t, void *), void *ctx)
{
	const char *p = text, *end = text + len;

	while (len && text[len - 1] == '\n')
		end = text + --len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		fn(p, (size_t)(le - p), ctx);
		p = le + 1;
	}
}

/* /^127.0.1.1\s+LXC_NAME$/ (the dots match any byte) */
static bool
is_lxc_name_line(const char *l, size_t n)
{
	size_t i = 9, ws;

	if (n < 9 || memcmp(l, "127", 3) || l[4] != '0' || l[6] != '1' || l[8] != '1' ||
	    l[3] == '\n' || l[5] == '\n' || l[7] == '\n')
		return false;
	for (ws = 0; i < n && pct_isspace((unsigned char)l[i]); i++)
		ws++;
	return ws && n - i == 8 && !memcmp(l + i, "LXC_NAME", 8);
}

struct joined {
	struct strbuf out;
	size_t lines;
};

/* join("\n", grep { !LXC_NAME } ...) */
static void
keep_non_lxc_name(const char *l, size_t n, void *ctx)
{
	struct joined *j = ctx;

	if (is_lxc_name_line(l, n))
		return;
	if (j->lines++)
		strbuf_addch(&j->out, '\n');
	strbuf_add(&j->out, l, n);
}

/* templates from images.linuxcontainers.org have a bogus LXC_NAME line */
static void
remove_lxc_name_from_etc_hosts(void)
{
	_cleanup_free_ char *old = NULL;
	struct joined j = { STRBUF_INIT, 0 };
	size_t len;

	if (!ct_exists("/etc/hosts"))
		return;
	old = ct_read_or_die("/etc/hosts", &len);
	for_each_line(old, len, keep_non_lxc_name, &j);
	strbuf_addch(&j.out, '\n');
	ct_write("/etc/hosts", j.out.buf, j.out.len, 0644);
	strbuf_release(&j.out);
}

/*
 * Not Proxmox's: a rootfs seeded by an earlier agent, whose seed copied
 * what the runtime had mounted over the image's files, holds the kubelet's
 * /etc/hosts of its first pod, with that pod's IP and name, which no later
 * pod has. The kubelet starts the file with this line. Such a file is not
 * the image's: it goes, once after create, and the PVE section is then
 * written into a new file, as on an image without one.
 */
static void
drop_kubelet_etc_hosts(void)
{
	static const char head[] = "# Kubernetes-managed hosts file";
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (!ct_is_file("/etc/hosts"))
		return;
	text = ct_read("/etc/hosts", &len);
	if (text && len >= sizeof(head) - 1 && !memcmp(text, head, sizeof(head) - 1))
		ct_unlink("/etc/hosts");
}

static void
template_fixup(const char *ostype)
{
	static const char *const lxc_name_fixup[] = {
		"alpine", "archlinux", "centos", "fedora", "gentoo", "openeuler", "opensuse", NULL,
	};

	/* systemd-firstboot would otherwise ask for the locale on no tty, forever */
	if (!strcmp(ostype, "centos") && !ct_is_file("/etc/locale.conf"))
		ct_write_str("/etc/locale.conf", "LANG=C.utf8");
	if (ostype_in(ostype, lxc_name_fixup))
		remove_lxc_name_from_etc_hosts();
}

/*
 * ^\d+(\s+\S+\s+\S+\s+\S+\s+\S+\s+root\s+\S.*)$ : the offset where the
 * minute ends, or 0 when the line is no root entry.
 */
static size_t
cron_root_entry(const char *l, size_t n)
{
	size_t i = 0, minute, tok, s;

	while (i < n && pct_isdigit((unsigned char)l[i]))
		i++;
	if (!i)
		return 0;
	minute = i;
	for (tok = 0; tok < 6; tok++) {
		if (i >= n || !pct_isspace((unsigned char)l[i]))
			return 0;
		while (i < n && pct_isspace((unsigned char)l[i]))
			i++;
		if (i >= n)
			return 0;
		if (tok == 5) /* \S.* */
			return minute;
		for (s = i; i < n && !pct_isspace((unsigned char)l[i]); i++)
			;
		if (tok == 4 && (i - s != 4 || memcmp(l + s, "root", 4)))
			return 0;
	}
	return 0;
}

static void
randomize_line(const char *l, size_t n, void *ctx)
{
	struct strbuf *out = ctx;
	size_t rest = cron_root_entry(l, n);

	if (rest) {
		unsigned int r = 0;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			r = (unsigned int)time(NULL) ^ (unsigned int)getpid();
		strbuf_addf(out, "%u", r % 59); /* int(rand()*59): 0..58 */
		strbuf_add(out, l + rest, n - rest);
	} else {
		strbuf_add(out, l, n);
	}
	strbuf_addch(out, '\n');
}

static void
randomize_crontab_file(const char *path)
{
	_cleanup_free_ char *old = NULL;
	struct strbuf out = STRBUF_INIT;
	size_t len;

	old = ct_read_or_die(path, &len);
	for_each_line(old, len, randomize_line, &out);
	ct_write(path, strbuf_str(&out), out.len, 0644);
	strbuf_release(&out);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* /etc/crontab, then /etc/cron.d/<[A-Za-z0-9_-]+> */
static void
randomize_crontab(void)
{
	_cleanup_close_ int dfd = pctconf_ct_open(rootfd, "/etc/cron.d", O_RDONLY | O_DIRECTORY, 0);
	char **names = NULL;
	size_t n = 0, alloc = 0, i;
	DIR *d;
	struct dirent *de;

	if (ct_is_file("/etc/crontab"))
		randomize_crontab_file("/etc/crontab");
	if (dfd < 0 || !(d = fdopendir(steal_fd(dfd))))
		return;
	while ((de = readdir(d))) {
		if (strspn(de->d_name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789-_") != strlen(de->d_name))
			continue;
		names = xgrow(names, n + 1, &alloc, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		_cleanup_free_ char *path = xasprintf("/etc/cron.d/%s", names[i]);

		if (ct_is_file(path))
			randomize_crontab_file(path);
	}
	pctconf_strv_free(names, n);
}

/*
 * $replacepw: root's line of passwd (s/^root:[^:]*:/root:PW:/) or shadow
 * (s/^root:[^:]*:[^:]*:/root:PW:DAYS:/), every other byte kept, the old
 * mode and owner too.
 */
static void
replace_root_pw(const char *file, const char *pw, bool shadow)
{
	_cleanup_free_ char *old = NULL;
	struct strbuf out = STRBUF_INIT;
	struct stat st;
	const char *p, *end;
	size_t len;

	if (ct_stat(file, &st, true) < 0 || !(old = ct_read(file, &len))) {
		warnx("unable to open file '%s' - %s", file, strerror(errno));
		return;
	}
	for (p = old, end = old + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl + 1 : end, *f = NULL;

		if (le - p > 5 && !memcmp(p, "root:", 5)) {
			f = memchr(p + 5, ':', (size_t)(le - p - 5));
			if (f && shadow)
				f = memchr(f + 1, ':', (size_t)(le - f - 1));
		}
		if (f) {
			strbuf_addf(&out, "root:%s:", pw);
			if (shadow)
				strbuf_addf(&out, "%ld:", (long)(time(NULL) / 86400));
			strbuf_add(&out, f + 1, (size_t)(le - f - 1));
		} else {
			strbuf_add(&out, p, (size_t)(le - p));
		}
		p = le;
	}
	ct_write_owned(file, strbuf_str(&out), out.len, st.st_mode & 07777, &st);
	strbuf_release(&out);
}

/* set_user_password: no password -> '*' */
static void
set_root_password(const char *hash)
{
	const char *pw = hash ? hash : "*";

	if (!ct_is_file("/etc/passwd"))
		return;
	if (ct_is_file("/etc/shadow")) {
		replace_root_pw("/etc/shadow", pw, true);
		replace_root_pw("/etc/passwd", "x", false);
	} else {
		replace_root_pw("/etc/passwd", pw, false);
	}
}

/* root's home: /root/, or field 6 of the first ^root:([^:]*:){4}([^:]*): line; NULL if none */
static char *
root_home(void)
{
	_cleanup_free_ char *pw = NULL;
	const char *p, *end;
	size_t len;

	if (!ct_is_file("/etc/passwd"))
		return xstrdup("/root/");
	pw = ct_read("/etc/passwd", &len);
	for (p = pw, end = pw ? pw + len : NULL; p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if (le - p > 5 && !memcmp(p, "root:", 5)) {
			const char *f = p + 5, *c;
			int i;

			for (i = 0; i < 4 && f && f < le; i++) {
				c = memchr(f, ':', (size_t)(le - f));
				f = c ? c + 1 : NULL;
			}
			if (i == 4 && f && (c = memchr(f, ':', (size_t)(le - f))))
				return xstrndup(f, (size_t)(c - f));
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return NULL;
}

static void
set_authorized_keys(const char *home, const char *keys)
{
	_cleanup_free_ char *ssh = xasprintf("%s/.ssh", home);
	_cleanup_free_ char *ak = xasprintf("%s/authorized_keys", ssh);

	if (!ct_is_dir(ssh)) {
		_cleanup_close_ int hfd = pctconf_ct_open(rootfd, home, O_PATH | O_DIRECTORY, 0);

		if (hfd >= 0)
			(void)mkdirat(hfd, ".ssh", 0700);
	}
	ct_modify(ak, keys, PCTCONF_MARKER_APPEND, 0700);
}

/* What the create steps need, read and checked before anything is written. */
struct create_input {
	char *hash; /* NULL: no password given */
	char *keys; /* NULL: no keys given */
	char *home;
};

/* a crypt(5) hash: $id$..., no ':' and no whitespace (plain text is refused) */
static bool
is_crypt_hash(const char *s)
{
	const char *p;

	if (s[0] != '$' || !s[1] || s[1] == '$')
		return false;
	for (p = s; *p; p++)
		if (*p == ':' || pct_isspace((unsigned char)*p))
			return false;
	return strchr(s + 1, '$') != NULL;
}

static void
create_prepare(struct create_input *in)
{
	_cleanup_free_ char *pwfile = xasprintf("%s/password", secrets_dir);
	_cleanup_free_ char *kfile = xasprintf("%s/authorized_keys", secrets_dir);
	char *buf = NULL;
	size_t len;

	memset(in, 0, sizeof(*in));
	if (volume_read(pwfile, 1 << 16, &buf, &len) == 0) {
		buf[strcspn(buf, "\n")] = '\0';
		if (*buf && !is_crypt_hash(buf)) {
			free(buf);
			die("'%s' does not hold a crypt(5) password hash", pwfile);
		}
		if (*buf)
			in->hash = buf;
		else
			free(buf);
	} else if (errno != ENOENT) {
		die("unable to read '%s' - %s", pwfile, volume_strerror(errno));
	}
	buf = NULL;
	if (volume_read(kfile, 1 << 20, &buf, &len) == 0) {
		if (pctconf_value_true(buf))
			in->keys = buf;
		else
			free(buf);
	} else if (errno != ENOENT) {
		die("unable to read '%s' - %s", kfile, volume_strerror(errno));
	}
	if (in->keys) {
		in->home = root_home();
		if (!in->home || !(ct_is_dir(in->home) || ct_is_symlink(in->home)))
			die("home directory '%s' of root does not exist!",
			    in->home ? in->home : "");
	}
}

static void
create_release(struct create_input *in)
{
	if (in->hash)
		explicit_bzero(in->hash, strlen(in->hash));
	free(in->hash);
	free(in->keys);
	free(in->home);
}

/* post_create_hook up to the steps pre-start repeats */
static void
post_create(const char *ostype, const struct create_input *in)
{
	clear_machine_id();
	drop_kubelet_etc_hosts();
	template_fixup(ostype);
	randomize_crontab();
	set_root_password(in->hash);
	if (in->keys)
		set_authorized_keys(in->home, in->keys);
}

/* ---- main ---- */

static void
usage(FILE *f)
{
	fputs("usage: corral-prestart CONF ROOTFS [--create] [--secrets=DIR] [--resolv-conf=FILE]\n"
	      "                       [--host-root=DIR]\n",
	      f);
}

/* --name=VALUE or --name VALUE */
static bool
option_value(int argc, char **argv, int *i, const char *name, const char **out)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return false;
	if (argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return true;
	}
	if (argv[*i][n] == '\0') {
		if (*i + 1 >= argc)
			die("option '%s' needs a value", name);
		*out = argv[++*i];
		return true;
	}
	return false;
}

static void
print_warnings(struct strbuf *w)
{
	if (w->len)
		fputs(w->buf, stderr);
	strbuf_reset(w);
}

int
main(int argc, char **argv)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	_cleanup_error_ struct pct_error *err = NULL;
	_cleanup_free_ char *ostype = NULL, *hostip = NULL;
	struct strbuf warnings = STRBUF_INIT;
	struct create_input in;
	const struct pctconf_section *s;
	const char *args[2], *hostname;
	bool create = false;
	size_t nargs = 0;
	struct dns d;
	int i;

	umask(022);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--create")) {
			create = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (option_value(argc, argv, &i, "--secrets", &secrets_dir) ||
			   option_value(argc, argv, &i, "--resolv-conf", &resolv_conf) ||
			   option_value(argc, argv, &i, "--host-root", &host_root)) {
			continue;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			die("unknown option '%s'", argv[i]);
		} else if (nargs < 2) {
			args[nargs++] = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (nargs != 2) {
		usage(stderr);
		return 2;
	}
	conf = load_conf(args[0]);
	s = &conf->main;
	rootfd = open(args[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		die("unable to open the container root '%s': %s", args[1], strerror(errno));
	{
		/* without openat2 every lookup would fail and the CT look empty */
		int probe = pctconf_ct_open(rootfd, "/", O_PATH | O_DIRECTORY, 0);

		if (probe < 0 && errno == ENOSYS)
			die("openat2(2) is not available: Linux 5.6 or later is needed");
		if (probe >= 0)
			close(probe);
	}

	/* Setup->new: detection, then the plugin's release check */
	if (pctconf_detect_ostype(rootfd, pctconf_get(s, "ostype"), &ostype, &warnings, &err) < 0) {
		print_warnings(&warnings);
		die("%s", err->msg);
	}
	print_warnings(&warnings);
	if (pctconf_check_os_version(rootfd, ostype, &warnings, &err) < 0) {
		print_warnings(&warnings);
		die("%s", err->msg);
	}
	print_warnings(&warnings);
	strbuf_release(&warnings);
	if (ct_stat("/.corral/first-start", &(struct stat){ 0 }, false) == 0)
		create = true;

	if (strcmp(ostype, "unmanaged") != 0) {
		hostname = pctconf_get(s, "hostname");
		if (!pctconf_value_true(hostname))
			hostname = "localhost";
		hostip = primary_ip(s);
		lookup_dns(s, &d);
		if (create) {
			create_prepare(&in);
			post_create(ostype, &in);
			create_release(&in);
		}
		/* pre_start_hook */
		ct_write("/fastboot", "", 0, 0644);
		set_hostname(ostype, hostname, hostip, &d);
		set_dns(&d);
		if (strcmp(ostype, "nixos") != 0)
			set_timezone(pctconf_get(s, "timezone"));
		dns_release(&d);
	}
	if (create) {
		_cleanup_close_ int cd =
			pctconf_ct_open(rootfd, "/.corral", O_PATH | O_DIRECTORY, 0);

		if (cd >= 0 && unlinkat(cd, "first-start", 0) < 0 && errno != ENOENT)
			die("unable to remove '/.corral/first-start': %s", strerror(errno));
	}
	if (hostfd >= 0)
		close(hostfd);
	close(rootfd);
	return 0;
}

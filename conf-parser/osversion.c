/*
 * The version checks of Proxmox's setup plugins (§10.1 step 6): each
 * plugin's constructor reads its release file and refuses releases it does
 * not support, so a CT with such a rootfs neither starts nor is created.
 * Some releases are only warned about (Proxmox's log_warn, "WARN: ..."). The
 * rules are summarised in doc/corral-prestart.md.
 *
 * Files are read inside the container root as chroot(2) would see them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "pctconf.h"

#define RELEASE_FILE_MAX (1u << 20)

/* -f inside the root */
static bool
ct_regular(int rootfd, const char *path)
{
	_cleanup_close_ int fd = pctconf_ct_open(rootfd, path, O_PATH, 0);
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * file_read_firstline: the first line without its newline; NULL for a
 * missing, unreadable or empty file (Perl's undef).
 */
static char *
read_firstline(int rootfd, const char *path)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (pctconf_ct_read(rootfd, path, RELEASE_FILE_MAX, &text, &len) < 0 || len == 0)
		return NULL;
	return xstrndup(text, strcspn(text, "\n"));
}

/* The os-release text Proxmox parses: /etc/os-release, else /usr/lib/os-release. */
static char *
read_os_release(int rootfd)
{
	static const char *const paths[] = { "/etc/os-release", "/usr/lib/os-release" };
	size_t i, len;

	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		char *text = NULL;

		if (ct_regular(rootfd, paths[i]) &&
		    pctconf_ct_read(rootfd, paths[i], RELEASE_FILE_MAX, &text, &len) == 0)
			return text;
	}
	return NULL;
}

/*
 * A string used as a number in Perl: leading whitespace, an optional sign,
 * digits with an optional fraction and exponent; anything else counts as 0.
 */
static double
perl_num(const char *s)
{
	const char *p = s;
	double v = 0, scale = 1;
	bool neg = false;

	if (!s)
		return 0;
	while (pct_isspace((unsigned char)*p))
		p++;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	while (pct_isdigit((unsigned char)*p))
		v = v * 10 + (*p++ - '0');
	if (*p == '.')
		for (p++; pct_isdigit((unsigned char)*p); p++)
			v += (*p - '0') * (scale /= 10);
	if ((*p == 'e' || *p == 'E') &&
	    (pct_isdigit((unsigned char)p[1]) ||
	     ((p[1] == '+' || p[1] == '-') && pct_isdigit((unsigned char)p[2])))) {
		int e = 0, esign = 1;

		p++;
		if (*p == '+' || *p == '-')
			esign = *p++ == '-' ? -1 : 1;
		while (pct_isdigit((unsigned char)*p) && e < 400)
			e = e * 10 + (*p++ - '0');
		while (e-- > 0)
			v = esign > 0 ? v * 10 : v / 10;
	}
	return neg ? -v : v;
}

/* The leading run of digits, as a number (int() of a matched \d+); -1 if none. */
static long
leading_int(const char *s)
{
	long v = 0;

	if (!pct_isdigit((unsigned char)*s))
		return -1;
	while (pct_isdigit((unsigned char)*s) && v < 100000000)
		v = v * 10 + (*s++ - '0');
	return v;
}

/* ---- Debian ---- */

static const struct {
	const char *name;
	const char *version;
} debian_names[] = {
	{ "stretch/sid", "9.1" }, { "buster/sid", "10" }, { "bullseye/sid", "11" },
	{ "bookworm/sid", "12" }, { "trixie/sid", "13" }, { "forky/sid", "14" },
	{ "duke/sid", "15" },	  { "kali-rolling", "12" },
};

#define DEBIAN_MINIMUM_RELEASE 4  /* hard limit */
#define DEBIAN_MAXIMUM_RELEASE 14 /* soft limit: newer ones get a warning */

static int
check_debian(int rootfd, struct strbuf *warnings, struct pct_error **err)
{
	_cleanup_free_ char *line = read_firstline(rootfd, "/etc/debian_version");
	const char *version;
	long v;
	size_t i;

	if (!line)
		return pct_error_set(err, PCT_E_INVALID, "unable to read version info");
	version = line;
	for (i = 0; i < ARRAY_SIZE(debian_names); i++)
		if (!strcmp(line, debian_names[i].name))
			version = debian_names[i].version;
	/* ^(\d+(\.\d+)?)(\.\d+)? and int($1): only the leading digits count */
	v = leading_int(version);
	if (v < 0)
		return pct_error_set(err, PCT_E_INVALID, "unable to parse version info '%s'",
				     version);
	if (v < DEBIAN_MINIMUM_RELEASE)
		return pct_error_set(err, PCT_E_REFUSED,
				     "Container Debian version '%ld' is too old", v);
	if (v >= DEBIAN_MAXIMUM_RELEASE + 1 && warnings)
		strbuf_addf(warnings,
			    "WARN: The container's Debian version '%ld' is newer than the "
			    "tested version '%d'. While everything may work fine, full "
			    "compatibility cannot be guaranteed. Please check for PVE system "
			    "updates.\n",
			    v, DEBIAN_MAXIMUM_RELEASE);
	return 0;
}

/* ---- Ubuntu ---- */

static const char *const ubuntu_known[] = {
	"12.04", "14.04", "15.04", "15.10", "16.04", "16.10", "17.04", "17.10", "18.04",
	"18.10", "19.04", "19.10", "20.04", "20.10", "21.04", "21.10", "22.04", "22.10",
	"23.04", "23.10", "24.04", "24.10", "25.04", "25.10", "26.04", "26.10", NULL,
};

/* case-insensitive prefix compare of a line */
static bool
line_has_prefix_ci(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix), i;

	if (len < n)
		return false;
	for (i = 0; i < n; i++)
		if (pct_tolower((unsigned char)line[i]) != pct_tolower((unsigned char)prefix[i]))
			return false;
	return true;
}

static int
check_ubuntu(int rootfd, struct strbuf *warnings, struct pct_error **err)
{
	_cleanup_free_ char *text = NULL, *version = NULL;
	const char *p, *end;
	bool is_ubuntu = false;
	size_t len, i;

	if (pctconf_ct_read(rootfd, "/etc/lsb-release", RELEASE_FILE_MAX, &text, &len) < 0)
		return pct_error_set(err, errno, "can't open '/etc/lsb-release' - %s",
				     strerror(errno));
	for (p = text, end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		/* m/^DISTRIB_ID=Ubuntu$/mi */
		if (n == 17 && line_has_prefix_ci(p, n, "DISTRIB_ID=Ubuntu"))
			is_ubuntu = true;
		/* m/^DISTRIB_RELEASE=(\d+\.\d+)$/mi, the first such line */
		if (!version && line_has_prefix_ci(p, n, "DISTRIB_RELEASE=")) {
			const char *v = p + 16, *q = v, *le = p + n;

			while (q < le && pct_isdigit((unsigned char)*q))
				q++;
			if (q > v && q < le && *q == '.') {
				const char *f = ++q;

				while (q < le && pct_isdigit((unsigned char)*q))
					q++;
				if (q > f && q == le)
					version = xstrndup(v, (size_t)(le - v));
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (!is_ubuntu)
		return pct_error_set(err, PCT_E_INVALID, "got unknown DISTRIB_ID");
	if (!version)
		return pct_error_set(err, PCT_E_INVALID, "unable to read version info");
	for (i = 0; ubuntu_known[i]; i++)
		if (!strcmp(version, ubuntu_known[i]))
			return 0;
	/* cannot support 16.10 or older: their systemd is not cgroupv2 ready */
	if (leading_int(version) < 17)
		return pct_error_set(err, PCT_E_REFUSED, "unsupported ancient Ubuntu version '%s'",
				     version);
	if (warnings)
		strbuf_addf(warnings,
			    "WARN: The container's Ubuntu version '%s' is not in the known "
			    "version list. As it's newer than the minimum supported version "
			    "it's likely to work OK, but full compatibility cannot be "
			    "guaranteed. Please check for PVE system updates.\n",
			    version);
	return 0;
}

/* ---- Devuan ---- */

static const char *const devuan_names[] = {
	"jessie",	 "ascii",	   "ascii/ceres",    "beowulf",	  "beowulf/ceres",
	"chimaera",	 "chimaera/ceres", "daedalus",	     "daedalus/ceres", "excalibur",
	"excalibur/ceres", NULL,
};

static int
check_devuan(int rootfd, struct pct_error **err)
{
	_cleanup_free_ char *line = read_firstline(rootfd, "/etc/devuan_version");
	char *c;
	size_t i;

	if (!line)
		return pct_error_set(err, PCT_E_INVALID, "unable to read version info");
	for (c = line; *c; c++)
		*c = (char)pct_tolower((unsigned char)*c);
	for (i = 0; devuan_names[i]; i++)
		if (!strcmp(line, devuan_names[i]))
			return 0;
	return pct_error_set(err, PCT_E_REFUSED, "unsupported Devuan version '%s'", line);
}

/* ---- CentOS family (centos, rocky, alma: /etc/redhat-release) ---- */

/*
 * The number after the first "release\s+" where it matches \d+\.\d+ (with
 * want_fraction) or \d+; -1 if none.
 */
static double
release_number(const char *line, bool want_fraction)
{
	const char *p;

	for (p = strstr(line, "release"); p; p = strstr(p + 1, "release")) {
		const char *q = p + 7, *d;

		if (!pct_isspace((unsigned char)*q))
			continue;
		while (pct_isspace((unsigned char)*q))
			q++;
		d = q;
		while (pct_isdigit((unsigned char)*q))
			q++;
		if (q == d)
			continue;
		if (!want_fraction)
			return perl_num(d);
		if (*q == '.' && pct_isdigit((unsigned char)q[1]))
			return perl_num(d);
	}
	return -1;
}

static int
check_centos(int rootfd, struct pct_error **err)
{
	_cleanup_free_ char *line = read_firstline(rootfd, "/etc/redhat-release");
	double v;

	if (!line)
		return pct_error_set(err, PCT_E_INVALID, "unable to read version info");
	v = release_number(line, true);
	if (v < 0)
		v = release_number(line, false);
	if (v >= 5 && v < 11)
		return 0;
	return pct_error_set(err, PCT_E_REFUSED, "unsupported centos release '%s'", line);
}

/* ---- openSUSE / SLES ---- */

static bool
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!pct_isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

static int
check_suse(const char *version, const char *id, struct pct_error **err)
{
	const char *dot = version ? strchr(version, '.') : NULL;
	size_t len = version ? strlen(version) : 0;

	if (dot && all_digits(version, (size_t)(dot - version)) &&
	    all_digits(dot + 1, strlen(dot + 1))) {
		long major = leading_int(version), minor = leading_int(dot + 1);

		if (major >= 42 || (major == 13 && minor <= 2) ||
		    (id && !strcmp(id, "sles") && major == 12) || major == 15 || major == 16)
			return 0;
		return pct_error_set(err, PCT_E_REFUSED, "unsupported suse release '%s'", version);
	}
	if (len == 8 && all_digits(version, 8)) { /* Tumbleweed, Slowroll: YYYYMMDD */
		long year = leading_int(version);
		int month = (version[4] - '0') * 10 + (version[5] - '0');
		int day = (version[6] - '0') * 10 + (version[7] - '0');

		year /= 10000;
		if (year >= 2017 && month <= 12 && day <= 31)
			return 0;
		return pct_error_set(err, PCT_E_REFUSED, "unsupported suse tumbleweed release '%s'",
				     version);
	}
	return pct_error_set(err, PCT_E_INVALID, "unrecognized suse release");
}

/* ---- Gentoo ---- */

static int
check_gentoo(int rootfd, struct pct_error **err)
{
	_cleanup_free_ char *line = read_firstline(rootfd, "/etc/gentoo-release");

	if (!line)
		return pct_error_set(err, PCT_E_INVALID, "unable to read version info");
	if (!line_has_prefix_ci(line, strlen(line), "gentoo base system release "))
		return pct_error_set(err, PCT_E_REFUSED, "unrecognized gentoo version: %s", line);
	return 0;
}

int
pctconf_check_os_version(int rootfd, const char *ostype, struct strbuf *warnings,
			 struct pct_error **err)
{
	_cleanup_free_ char *osr = NULL, *version = NULL, *id = NULL;

	if (!strcmp(ostype, "debian"))
		return check_debian(rootfd, warnings, err);
	if (!strcmp(ostype, "ubuntu"))
		return check_ubuntu(rootfd, warnings, err);
	if (!strcmp(ostype, "devuan"))
		return check_devuan(rootfd, err);
	if (!strcmp(ostype, "centos"))
		return check_centos(rootfd, err);
	if (!strcmp(ostype, "gentoo"))
		return check_gentoo(rootfd, err);
	if (!strcmp(ostype, "alpine") || !strcmp(ostype, "archlinux") ||
	    !strcmp(ostype, "nixos") || !strcmp(ostype, "unmanaged"))
		return 0;
	if (strcmp(ostype, "fedora") && strcmp(ostype, "opensuse") && strcmp(ostype, "openeuler"))
		return pct_error_set(err, PCT_E_INVALID, "no such OS type '%s'", ostype);

	/* the rest go by VERSION_ID of os-release */
	osr = read_os_release(rootfd);
	if (osr) {
		version = pctconf_os_release_get(osr, "VERSION_ID");
		id = pctconf_os_release_get(osr, "ID");
	}
	if (!strcmp(ostype, "fedora")) {
		if (perl_num(version) >= 22)
			return 0;
		return pct_error_set(err, PCT_E_REFUSED, "unsupported Fedora release '%s'",
				     version ? version : "");
	}
	if (!strcmp(ostype, "openeuler")) {
		/* only the lower boundary: newer releases are likely fine */
		if (version && perl_num(version) >= 24)
			return 0;
		return pct_error_set(err, PCT_E_REFUSED, "unsupported openEuler release '%s'",
				     version ? version : "");
	}
	return check_suse(version, id, err);
}

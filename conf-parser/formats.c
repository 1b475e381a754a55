/*
 * Named string formats (PVE::JSONSchema register_format and friends) with
 * Proxmox's messages, and split_list.
 *
 * A "-list" suffix means: split_list, then verify every element.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "pctconf.h"

/* ---- lists ---- */

size_t
pctconf_split_list(const char *s, char ***out)
{
	char **v = NULL;
	size_t n = 0, alloc = 0;
	const char *p = s;

	*out = NULL;
	/* values from a file never hold NUL (it would end the C string), so the
	 * NUL-separated variant of split_list cannot occur here */
	for (;;) {
		const char *start;

		while (*p && (pct_isspace((unsigned char)*p) || *p == ',' || *p == ';'))
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && !pct_isspace((unsigned char)*p) && *p != ',' && *p != ';')
			p++;
		v = xgrow(v, n + 1, &alloc, sizeof(*v));
		v[n++] = xstrndup(start, (size_t)(p - start));
	}
	*out = v;
	return n;
}

void
pctconf_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- addresses ---- */

static bool
is_ipv4(const char *s)
{
	struct in_addr a;

	/* glibc's inet_pton takes exactly a dotted quad without leading zeros,
	 * which is Proxmox's $IPV4RE */
	return inet_pton(AF_INET, s, &a) == 1;
}

static bool
is_ipv6(const char *s)
{
	struct in6_addr a;

	/* RFC 3986 IPv6address, as Proxmox's $IPV6RE */
	return inet_pton(AF_INET6, s, &a) == 1;
}

static int
fmt_ipv4(const char *v, struct strbuf *msg)
{
	if (is_ipv4(v))
		return 0;
	strbuf_addstr(msg, "value does not look like a valid IPv4 address");
	return -1;
}

static int
fmt_ipv6(const char *v, struct strbuf *msg)
{
	if (is_ipv6(v))
		return 0;
	strbuf_addstr(msg, "value does not look like a valid IPv6 address");
	return -1;
}

static int
fmt_ip(const char *v, struct strbuf *msg)
{
	if (is_ipv4(v) || is_ipv6(v))
		return 0;
	strbuf_addstr(msg, "value does not look like a valid IP address");
	return -1;
}

/* ADDR/MASK with 7 < MASK <= max; MASK may have leading zeros as in Perl's \d+ */
static bool
is_cidr(const char *v, bool v6)
{
	const char *slash = strrchr(v, '/');
	unsigned long long mask;
	char *addr;
	bool ok;

	if (!slash || !slash[1])
		return false;
	if (!pct_parse_uint(slash + 1, 0, ~0ULL, &mask)) {
		/* digits too long to be a number are not <= 32 anyway */
		const char *p;

		for (p = slash + 1; *p; p++)
			if (!pct_isdigit((unsigned char)*p))
				return false;
		return false;
	}
	if (mask <= 7 || mask > (v6 ? 128u : 32u))
		return false;
	addr = xstrndup(v, (size_t)(slash - v));
	ok = v6 ? is_ipv6(addr) : is_ipv4(addr);
	free(addr);
	return ok;
}

static int
fmt_ipv4_config(const char *v, struct strbuf *msg)
{
	if (!strcmp(v, "dhcp") || !strcmp(v, "manual") || is_cidr(v, false))
		return 0;
	strbuf_addstr(msg, "value does not look like a valid ipv4 network configuration");
	return -1;
}

static int
fmt_ipv6_config(const char *v, struct strbuf *msg)
{
	if (!strcmp(v, "auto") || !strcmp(v, "dhcp") || !strcmp(v, "manual") || is_cidr(v, true))
		return 0;
	strbuf_addstr(msg, "value does not look like a valid ipv6 network configuration");
	return -1;
}

static int
fmt_cidrv4(const char *v, struct strbuf *msg)
{
	if (is_cidr(v, false))
		return 0;
	strbuf_addstr(msg, "value does not look like a valid IPv4 CIDR network");
	return -1;
}

static int
fmt_cidrv6(const char *v, struct strbuf *msg)
{
	if (is_cidr(v, true))
		return 0;
	strbuf_addstr(msg, "value does not look like a valid IPv6 CIDR network");
	return -1;
}

/* ^[a-z][a-z0-9_]{1,20}([:\.]\d+)?$ (case-insensitive) */
static bool
is_iface(const char *v)
{
	size_t n = 0;

	if (!pct_isalpha((unsigned char)*v))
		return false;
	v++;
	while (pct_isalnum((unsigned char)*v) || *v == '_') {
		v++;
		n++;
	}
	if (n < 1 || n > 20)
		return false;
	if (!*v)
		return true;
	if (*v != ':' && *v != '.')
		return false;
	v++;
	if (!pct_isdigit((unsigned char)*v))
		return false;
	while (pct_isdigit((unsigned char)*v))
		v++;
	return !*v;
}

/* an IP address, or fe80:...%<iface> */
static int
fmt_ip_with_ll_iface(const char *v, struct strbuf *msg)
{
	const char *pct = strchr(v, '%');

	/* ^(fe80:[^%]+)%(.*)$ */
	if (str_has_prefix(v, "fe80:") && pct && pct > v + 5) {
		char *addr = xstrndup(v, (size_t)(pct - v));
		bool ok = (is_ipv4(addr) || is_ipv6(addr)) && is_iface(pct + 1);

		free(addr);
		if (ok)
			return 0;
	}
	return fmt_ip(v, msg);
}

/* ---- names and ids ---- */

/* ([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?) labels joined with '.' */
bool
pctconf_is_dns_name(const char *v)
{
	for (;;) {
		if (!pct_isalnum((unsigned char)*v))
			return false;
		while (pct_isalnum((unsigned char)*v) || *v == '-')
			v++;
		if (v[-1] == '-')
			return false;
		if (!*v)
			return true;
		if (*v++ != '.')
			return false;
	}
}

static int
fmt_dns_name(const char *v, struct strbuf *msg)
{
	if (pctconf_is_dns_name(v))
		return 0;
	strbuf_addstr(msg, "value does not look like a valid DNS name");
	return -1;
}

/* ^[a-z][a-z0-9_-]+$ (case-insensitive) */
bool
pctconf_is_configid(const char *v)
{
	if (!pct_isalpha((unsigned char)*v))
		return false;
	v++;
	if (!*v)
		return false;
	for (; *v; v++)
		if (!pct_isalnum((unsigned char)*v) && *v != '_' && *v != '-')
			return false;
	return true;
}

static int
fmt_configid(const char *v, struct strbuf *msg)
{
	if (pctconf_is_configid(v))
		return 0;
	strbuf_addf(msg, "invalid configuration ID '%s'", v);
	return -1;
}

/* storage ids: ^[a-z][a-z0-9\-\_\.]*[a-z0-9]$ (case-insensitive) */
static bool
is_storage_id(const char *v, size_t n)
{
	size_t i;

	if (n < 2 || !pct_isalpha((unsigned char)v[0]) || !pct_isalnum((unsigned char)v[n - 1]))
		return false;
	for (i = 1; i < n - 1; i++)
		if (!pct_isalnum((unsigned char)v[i]) && !strchr("-_.", v[i]))
			return false;
	return true;
}

static int
fmt_storage_id(const char *v, struct strbuf *msg)
{
	if (is_storage_id(v, strlen(v)))
		return 0;
	strbuf_addf(msg, "storage ID '%s' contains illegal characters", v);
	return -1;
}

bool
pctconf_parse_volume_id(const char *volid, char **storage, char **name)
{
	const char *colon;

	/* ^([a-z][a-z0-9\-\_\.]*[a-z0-9]):(.+)$ -- the storage part is greedy but
	 * cannot hold ':', so it ends at the first colon */
	colon = strchr(volid, ':');
	if (!colon || !colon[1] || !is_storage_id(volid, (size_t)(colon - volid)))
		return false;
	if (storage)
		*storage = xstrndup(volid, (size_t)(colon - volid));
	if (name)
		*name = xstrdup(colon + 1);
	return true;
}

static int
fmt_volume_id(const char *v, struct strbuf *msg)
{
	if (pctconf_parse_volume_id(v, NULL, NULL))
		return 0;
	strbuf_addf(msg, "unable to parse volume ID '%s'", v);
	return -1;
}

/* ^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$ (case-insensitive) */
static int
fmt_mac_addr(const char *v, struct strbuf *msg)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	int i;

	if (strlen(v) != 17)
		goto bad;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (v[i] != ':')
				goto bad;
		} else if (!strchr(hex, v[i])) {
			goto bad;
		}
	}
	if (!strchr("02468aceACE", v[1]))
		goto bad;
	return 0;
bad:
	strbuf_addstr(msg, "value does not look like a valid unicast MAC address");
	return -1;
}

/* ^[a-z0-9_][a-z0-9_\-\+\.]*$ (case-insensitive) */
bool
pctconf_is_tag(const char *v)
{
	if (!pct_isalnum((unsigned char)*v) && *v != '_')
		return false;
	for (v++; *v; v++)
		if (!pct_isalnum((unsigned char)*v) && !strchr("_-+.", *v))
			return false;
	return true;
}

static int
fmt_tag(const char *v, struct strbuf *msg)
{
	if (pctconf_is_tag(v))
		return 0;
	strbuf_addstr(msg, "invalid characters in tag");
	return -1;
}

/* ---- paths ---- */

static int
fmt_mp_string(const char *v, struct strbuf *msg)
{
	const char *p;

	/* no "/./" or "/../", no trailing "/." or "/..", no leading "../" */
	for (p = strchr(v, '/'); p; p = strchr(p + 1, '/')) {
		size_t dots = 0;

		while (p[1 + dots] == '.' && dots < 2)
			dots++;
		if (dots && (p[1 + dots] == '/' || p[1 + dots] == '\0'))
			goto bad;
	}
	if (str_has_prefix(v, "../"))
		goto bad;
	return 0;
bad:
	strbuf_addf(msg, "%s contains illegal character sequences", v);
	return -1;
}

static int
fmt_dev_string(const char *v, struct strbuf *msg)
{
	const char *p;

	if (!str_has_prefix(v, "/dev/"))
		goto bad;
	for (p = strchr(v, '/'); p; p = strchr(p + 1, '/')) {
		size_t dots = 0;

		while (p[1 + dots] == '.' && dots < 2)
			dots++;
		if (dots && (p[1 + dots] == '/' || p[1 + dots] == '\0'))
			goto bad;
	}
	return 0;
bad:
	strbuf_addf(msg, "%s is not a valid device path", v);
	return -1;
}

/* ---- sizes (§4.3) ---- */

bool
pctconf_parse_size(const char *s, unsigned long long *bytes)
{
	const char *p = s, *num_end;
	double v, mult = 1;
	char *end;

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
	num_end = p;
	if (*p) {
		switch (*p) {
		case 'K':
			mult = 1024.0;
			break;
		case 'M':
			mult = 1024.0 * 1024;
			break;
		case 'G':
			mult = 1024.0 * 1024 * 1024;
			break;
		case 'T':
			mult = 1024.0 * 1024 * 1024 * 1024;
			break;
		default:
			return false;
		}
		p++;
		if (*p && strcmp(p, "iB") != 0)
			return false;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end != num_end)
		return false;
	v *= mult;
	if (v >= 18446744073709551615.0)
		*bytes = ~0ULL;
	else
		*bytes = (unsigned long long)v;
	return true;
}

char *
pctconf_format_size(unsigned long long size)
{
	static const char units[] = { 'K', 'M', 'G', 'T' };
	unsigned long long v = size;
	int u;

	/* the largest unit that divides exactly; T at most; 0 gives "0T" as in Perl */
	if (v % 1024)
		return xasprintf("%llu", v);
	for (u = 0; u < 4; u++) {
		v /= 1024;
		if (u == 3 || v % 1024)
			return xasprintf("%llu%c", v, units[u]);
	}
	return xasprintf("%llu", size);
}

static int
fmt_disk_size(const char *v, struct strbuf *msg)
{
	unsigned long long b;

	if (pctconf_parse_size(v, &b))
		return 0;
	strbuf_addf(msg, "value does not look like a valid disk size: %s", v);
	return -1;
}

/* ---- startup order ---- */

static bool
all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!pct_isdigit((unsigned char)*s))
			return false;
	return true;
}

bool
pctconf_parse_startup(const char *v, long long *order, long long *up, long long *down)
{
	_cleanup_free_ char *copy = NULL;
	char *part, *save = NULL;

	/* Perl: return undef if !$value ("" and "0") */
	if (!*v || !strcmp(v, "0"))
		return false;
	if (order)
		*order = -1;
	if (up)
		*up = -1;
	if (down)
		*down = -1;
	copy = xstrdup(v);
	for (part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		const char *num = NULL;
		long long *slot = NULL;
		const char *q;

		for (q = part; *q && pct_isspace((unsigned char)*q); q++)
			;
		if (!*q)
			continue;
		if (str_has_prefix(part, "order=")) {
			num = part + 6;
			slot = order;
		} else if (str_has_prefix(part, "up=")) {
			num = part + 3;
			slot = up;
		} else if (str_has_prefix(part, "down=")) {
			num = part + 5;
			slot = down;
		} else {
			num = part;
			slot = order;
		}
		if (!all_digits(num))
			return false;
		if (slot)
			*slot = strtoll(num, NULL, 10);
	}
	return true;
}

static int
fmt_startup(const char *v, struct strbuf *msg)
{
	if (pctconf_parse_startup(v, NULL, NULL, NULL))
		return 0;
	strbuf_addstr(msg, "unable to parse startup options");
	return -1;
}

/* ---- time zones ---- */

static char **zones;
static size_t nzones;
static pthread_once_t zones_once = PTHREAD_ONCE_INIT;

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
load_zones(void)
{
	const char *path = pct_getenv_default("CORRAL_ZONETAB", "/usr/share/zoneinfo/zone.tab");
	_cleanup_free_ char *buf = NULL;
	size_t len, alloc = 0;
	char *line, *save = NULL;

	if (pct_read_file(path, 16u << 20, &buf, &len) < 0)
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *p = line;
		char *f1, *f2, *end;

		while (pct_isspace((unsigned char)*p))
			p++;
		if (*p == '#')
			continue;
		/* (split /\t/, $line)[2] */
		f1 = strchr(line, '\t');
		if (!f1)
			continue;
		f2 = strchr(f1 + 1, '\t');
		if (!f2)
			continue;
		end = strchr(f2 + 1, '\t');
		zones = xgrow(zones, nzones + 1, &alloc, sizeof(*zones));
		zones[nzones++] = end ? xstrndup(f2 + 1, (size_t)(end - f2 - 1)) : xstrdup(f2 + 1);
	}
	if (nzones > 1)
		qsort(zones, nzones, sizeof(*zones), cmp_str);
}

bool
pctconf_is_timezone(const char *v)
{
	if (!strcmp(v, "UTC"))
		return true;
	pthread_once(&zones_once, load_zones);
	return nzones && bsearch(&v, zones, nzones, sizeof(*zones), cmp_str) != NULL;
}

static int
fmt_ct_timezone(const char *v, struct strbuf *msg)
{
	if (!strcmp(v, "host") || pctconf_is_timezone(v))
		return 0;
	strbuf_addf(msg, "invalid time zone '%s'", v);
	return -1;
}

/* ^[1-9][0-9]{2,8}$ */
static int
fmt_vmid(const char *v, struct strbuf *msg)
{
	size_t n = strlen(v), i;

	if (n >= 3 && n <= 9 && v[0] >= '1' && v[0] <= '9') {
		for (i = 1; i < n && pct_isdigit((unsigned char)v[i]); i++)
			;
		if (i == n)
			return 0;
	}
	strbuf_addstr(msg, "value does not look like a valid VM ID");
	return -1;
}

/* ---- registry ---- */

struct format {
	const char *name;
	pctconf_verify_fn fn;
};

static const struct format formats[] = {
	{ "CIDRv4", fmt_cidrv4 },
	{ "CIDRv6", fmt_cidrv6 },
	{ "disk-size", fmt_disk_size },
	{ "dns-name", fmt_dns_name },
	{ "ip", fmt_ip },
	{ "ipv4", fmt_ipv4 },
	{ "ipv6", fmt_ipv6 },
	{ "lxc-ip-with-ll-iface", fmt_ip_with_ll_iface },
	{ "mac-addr", fmt_mac_addr },
	{ "pve-configid", fmt_configid },
	{ "pve-ct-timezone", fmt_ct_timezone },
	{ "pve-ipv4-config", fmt_ipv4_config },
	{ "pve-ipv6-config", fmt_ipv6_config },
	{ "pve-lxc-dev-string", fmt_dev_string },
	{ "pve-lxc-mp-string", fmt_mp_string },
	{ "pve-startup-order", fmt_startup },
	{ "pve-storage-id", fmt_storage_id },
	{ "pve-tag", fmt_tag },
	{ "pve-vmid", fmt_vmid },
	{ "pve-volume-id", fmt_volume_id },
};

static pctconf_verify_fn
find_format(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(formats); i++)
		if (strlen(formats[i].name) == len && !strncmp(formats[i].name, name, len))
			return formats[i].fn;
	return NULL;
}

/*
 * Format names come from the key table's string literals: remember the
 * lookups by address, so the hot path of the parser skips the search.
 */
static pctconf_verify_fn
find_format_cached(const char *format, size_t len)
{
	static __thread struct {
		const char *name;
		size_t len;
		pctconf_verify_fn fn;
	} memo[32];
	size_t slot = ((uintptr_t)format >> 3) % ARRAY_SIZE(memo);

	if (memo[slot].name == format && memo[slot].len == len)
		return memo[slot].fn;
	memo[slot].name = format;
	memo[slot].len = len;
	memo[slot].fn = find_format(format, len);
	return memo[slot].fn;
}

int
pctconf_check_format(const char *format, const char *value, struct strbuf *msg)
{
	size_t flen = strlen(format);
	pctconf_verify_fn fn;

	if (str_has_suffix(format, "-list")) {
		char **items;
		size_t n, i;
		int ret = 0;

		fn = find_format_cached(format, flen - 5);
		if (!fn) {
			strbuf_addf(msg, "undefined format '%s'", format);
			return -1;
		}
		n = pctconf_split_list(value, &items);
		for (i = 0; i < n && ret == 0; i++)
			ret = fn(items[i], msg);
		pctconf_strv_free(items, n);
		return ret;
	}
	fn = find_format_cached(format, flen);
	if (!fn) {
		strbuf_addf(msg, "undefined format '%s'", format);
		return -1;
	}
	return fn(value, msg);
}

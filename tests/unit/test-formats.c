/*
 * Every named format (PVE::JSONSchema register_format and friends, §4.4 and
 * notes/jsonschema-facts.md §1): values it accepts, values it rejects, and
 * Proxmox's exact message. Also split_list, the startup order parser, sizes,
 * volume ids and mount point classification.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pctconf.h"
#include "tap.h"

static void
acc(const char *format, const char *value)
{
	struct strbuf msg = STRBUF_INIT;
	int ret = pctconf_check_format(format, value, &msg);

	if (!ok(ret == 0, "%s accepts '%s'", format, value))
		tap_diag_str("message", strbuf_str(&msg));
	strbuf_release(&msg);
}

static void
rej(const char *format, const char *value, const char *want)
{
	struct strbuf msg = STRBUF_INIT;
	int ret = pctconf_check_format(format, value, &msg);

	ok(ret < 0, "%s rejects '%s'", format, value);
	is_str(strbuf_str(&msg), want, "%s: message for '%s'", format, value);
	strbuf_release(&msg);
}

#define IPV4_MSG "value does not look like a valid IPv4 address"
#define IPV6_MSG "value does not look like a valid IPv6 address"
#define IP_MSG "value does not look like a valid IP address"

static void
ipv4(void)
{
	static const char *const good[] = { "0.0.0.0", "255.255.255.255", "192.168.1.1",
					    "1.2.3.4", "10.0.0.10", "100.64.0.1" };
	/* leading zeros are not octets of $IPV4RE */
	static const char *const bad[] = { "01.2.3.4", "00.0.0.0", "1.2.3.04", "1.02.3.4",
					   "256.1.1.1", "1.2.3.256", "1.2.3", "1.2.3.4.5",
					   " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/24", "", "a.b.c.d",
					   "1..2.3", "-1.2.3.4", "0x1.2.3.4" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		acc("ipv4", good[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		rej("ipv4", bad[i], IPV4_MSG);
}

static void
ipv6(void)
{
	static const char *const good[] = {
		"::", "::1", "1::", "fe80::1", "FE80::1", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1::2:3:4:5:6:7", "1:2:3:4:5:6:1.2.3.4",
		"1::1.2.3.4", "1:2:3:4:5::1.2.3.4", "2001:0db8:0000:0000:0000:0000:0000:0001",
		"2001:db8::ff00:42:8329",
	};
	static const char *const bad[] = {
		"::ffff:01.2.3.4", "1:2:3:4:5:6::1.2.3.4", "12345::", "1:::2", "1::2::3", ":1::",
		"1:", ":::", "1:2:3:4:5:6:7::8", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "", "g::1",
		"1.2.3.4", "::1/128",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		acc("ipv6", good[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		rej("ipv6", bad[i], IPV6_MSG);
	acc("ip", "10.1.2.3");
	acc("ip", "fd00::1");
	rej("ip", "10.1.2.3/8", IP_MSG);
	rej("ip", "010.1.2.3", IP_MSG);
	rej("ip", "localhost", IP_MSG);
}

static void
cidr(void)
{
	const char *v4 = "value does not look like a valid IPv4 CIDR network";
	const char *v6 = "value does not look like a valid IPv6 CIDR network";
	const char *c4 = "value does not look like a valid ipv4 network configuration";
	const char *c6 = "value does not look like a valid ipv6 network configuration";

	/* mask 8..32 (v4) and 8..128 (v6), compared as numbers */
	acc("CIDRv4", "10.0.0.0/8");
	acc("CIDRv4", "192.168.1.10/24");
	acc("CIDRv4", "1.2.3.4/32");
	acc("CIDRv4", "1.2.3.4/024");
	rej("CIDRv4", "10.0.0.0/7", v4);
	rej("CIDRv4", "10.0.0.0/0", v4);
	rej("CIDRv4", "1.2.3.4/33", v4);
	rej("CIDRv4", "1.2.3.4", v4);
	rej("CIDRv4", "1.2.3.4/", v4);
	rej("CIDRv4", "1.2.3.4/x", v4);
	rej("CIDRv4", "01.2.3.4/24", v4);
	rej("CIDRv4", "1.2.3.4/99999999999999999999999", v4);
	rej("CIDRv4", "fd00::/64", v4);
	acc("CIDRv6", "fd00::/8");
	acc("CIDRv6", "fd00::1/64");
	acc("CIDRv6", "::1/128");
	acc("CIDRv6", "::1/0128");
	rej("CIDRv6", "fd00::/7", v6);
	rej("CIDRv6", "fd00::/129", v6);
	rej("CIDRv6", "fd00::1", v6);
	rej("CIDRv6", "10.0.0.0/8", v6);
	/* pve-ipv4-config / pve-ipv6-config (net ip, ip6) */
	acc("pve-ipv4-config", "dhcp");
	acc("pve-ipv4-config", "manual");
	acc("pve-ipv4-config", "192.168.1.10/24");
	rej("pve-ipv4-config", "DHCP", c4);
	rej("pve-ipv4-config", "auto", c4);
	rej("pve-ipv4-config", "192.168.1.10", c4);
	rej("pve-ipv4-config", "192.168.1.300/24", c4);
	rej("pve-ipv4-config", "192.168.01.1/24", c4);
	acc("pve-ipv6-config", "auto");
	acc("pve-ipv6-config", "dhcp");
	acc("pve-ipv6-config", "manual");
	acc("pve-ipv6-config", "fd00:20::21/64");
	rej("pve-ipv6-config", "AUTO", c6);
	rej("pve-ipv6-config", "fd00::1", c6);
	rej("pve-ipv6-config", "fd00::1/7", c6);
	rej("pve-ipv6-config", "10.0.0.1/24", c6);
}

static void
ll_iface(void)
{
	acc("lxc-ip-with-ll-iface", "1.1.1.1");
	acc("lxc-ip-with-ll-iface", "2606:4700:4700::1111");
	acc("lxc-ip-with-ll-iface", "fe80::1%eth0");
	acc("lxc-ip-with-ll-iface", "fe80::1%vmbr0.100");
	acc("lxc-ip-with-ll-iface", "fe80::1%eth0:1");
	acc("lxc-ip-with-ll-iface", "fe80::1%ab");
	acc("lxc-ip-with-ll-iface", "fe80::1%a12345678901234567890");
	/* the prefix is a literal lower-case fe80: */
	rej("lxc-ip-with-ll-iface", "FE80::1%eth0", IP_MSG);
	rej("lxc-ip-with-ll-iface", "fe80::1%", IP_MSG);
	rej("lxc-ip-with-ll-iface", "fe80::1%e", IP_MSG);
	rej("lxc-ip-with-ll-iface", "fe80::1%a123456789012345678901", IP_MSG);
	rej("lxc-ip-with-ll-iface", "fe80::1%eth-0", IP_MSG);
	rej("lxc-ip-with-ll-iface", "fe80::1%1eth", IP_MSG);
	rej("lxc-ip-with-ll-iface", "fe80::1%eth0.", IP_MSG);
	rej("lxc-ip-with-ll-iface", "fd00::1%eth0", IP_MSG);
	rej("lxc-ip-with-ll-iface", "dns.example.com", IP_MSG);
	/* the list form (nameserver): split_list, first bad element */
	acc("lxc-ip-with-ll-iface-list", "1.1.1.1 8.8.8.8,9.9.9.9;fe80::1%eth0");
	acc("lxc-ip-with-ll-iface-list", "");
	rej("lxc-ip-with-ll-iface-list", "1.1.1.1,dns.example.com", IP_MSG);
}

static void
mac(void)
{
	const char *m = "value does not look like a valid unicast MAC address";

	acc("mac-addr", "BC:24:11:00:00:01");
	acc("mac-addr", "bc:24:11:aa:bb:cc");
	acc("mac-addr", "02:00:00:00:00:00");
	acc("mac-addr", "fE:ff:FF:ff:ff:ff");
	acc("mac-addr", "00:00:00:00:00:00");
	/* the second digit must be even: no multicast bit */
	rej("mac-addr", "01:00:5E:00:00:01", m);
	rej("mac-addr", "BD:24:11:00:00:01", m);
	rej("mac-addr", "ff:ff:ff:ff:ff:ff", m);
	rej("mac-addr", "BC-24-11-00-00-01", m);
	rej("mac-addr", "BC:24:11:00:00", m);
	rej("mac-addr", "BC:24:11:00:00:01:02", m);
	rej("mac-addr", "GC:24:11:00:00:01", m);
	rej("mac-addr", "BC:24:11:00:00:1", m);
	rej("mac-addr", "BC2411000001", m);
	rej("mac-addr", "", m);
}

static void
names(void)
{
	const char *dns = "value does not look like a valid DNS name";
	const char *tag = "invalid characters in tag";
	static const char *const dns_good[] = { "a", "web01", "web-01.example.com", "123",
						"1.2.3.4", "a--b", "XN--BCHER-KVA.example",
						"a.b.c.d.e" };
	static const char *const dns_bad[] = { "", "-a", "a-", "a_b", "a..b", "a.", ".a",
					       "a b", "a.-b", "a.b-", "caf\xC3\xA9" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dns_good); i++)
		acc("dns-name", dns_good[i]);
	for (i = 0; i < ARRAY_SIZE(dns_bad); i++)
		rej("dns-name", dns_bad[i], dns);
	acc("dns-name-list", "");
	acc("dns-name-list", ",");
	acc("dns-name-list", " ; ");
	acc("dns-name-list", "example.com,, corp.example.com;lab");
	rej("dns-name-list", "a.example,-b", dns);

	acc("pve-tag", "web");
	acc("pve-tag", "_x");
	acc("pve-tag", "1");
	acc("pve-tag", "a+b.c-d_e");
	acc("pve-tag", "Prod");
	rej("pve-tag", "", tag);
	rej("pve-tag", "-a", tag);
	rej("pve-tag", "+a", tag);
	rej("pve-tag", ".a", tag);
	rej("pve-tag", "a b", tag);
	rej("pve-tag", "a:b", tag);
	rej("pve-tag", "t\xC3\xA4g", tag);
	acc("pve-tag-list", "web;DB,Prod  x");
	acc("pve-tag-list", "");
	acc("pve-tag-list", ";;");
	rej("pve-tag-list", "web;-db", tag);

	acc("pve-configid", "ab");
	acc("pve-configid", "a1");
	acc("pve-configid", "a-b");
	acc("pve-configid", "a_b");
	acc("pve-configid", "Snap1");
	acc("pve-configid", "A-");
	rej("pve-configid", "a", "invalid configuration ID 'a'");
	rej("pve-configid", "1a", "invalid configuration ID '1a'");
	rej("pve-configid", "-a", "invalid configuration ID '-a'");
	rej("pve-configid", "_ab", "invalid configuration ID '_ab'");
	rej("pve-configid", "a.b", "invalid configuration ID 'a.b'");
	rej("pve-configid", "a b", "invalid configuration ID 'a b'");
	rej("pve-configid", "", "invalid configuration ID ''");
	rej("pve-configid", "pve:pending", "invalid configuration ID 'pve:pending'");

	acc("pve-storage-id", "local");
	acc("pve-storage-id", "local-lvm");
	acc("pve-storage-id", "a1");
	acc("pve-storage-id", "my.store_1");
	acc("pve-storage-id", "AB");
	rej("pve-storage-id", "a", "storage ID 'a' contains illegal characters");
	rej("pve-storage-id", "1a", "storage ID '1a' contains illegal characters");
	rej("pve-storage-id", "local-", "storage ID 'local-' contains illegal characters");
	rej("pve-storage-id", "a:b", "storage ID 'a:b' contains illegal characters");
	rej("pve-storage-id", "_x", "storage ID '_x' contains illegal characters");

	acc("pve-vmid", "100");
	acc("pve-vmid", "123");
	acc("pve-vmid", "999999999");
	rej("pve-vmid", "99", "value does not look like a valid VM ID");
	rej("pve-vmid", "0100", "value does not look like a valid VM ID");
	rej("pve-vmid", "1000000000", "value does not look like a valid VM ID");
	rej("pve-vmid", "abc", "value does not look like a valid VM ID");
	rej("pve-vmid", "", "value does not look like a valid VM ID");
}

static void
volume_ids(void)
{
	char *storage = NULL, *name = NULL;

	acc("pve-volume-id", "local:vm-100-disk-0");
	acc("pve-volume-id", "local-lvm:vm-100-disk-0");
	acc("pve-volume-id", "nfs:100/vm-100-disk-0.qcow2");
	acc("pve-volume-id", "a1:x");
	acc("pve-volume-id", "local:snippets/hook.pl");
	acc("pve-volume-id", "local:iso/x:y.iso");
	rej("pve-volume-id", "local", "unable to parse volume ID 'local'");
	rej("pve-volume-id", "local:", "unable to parse volume ID 'local:'");
	rej("pve-volume-id", ":x", "unable to parse volume ID ':x'");
	rej("pve-volume-id", "1local:x", "unable to parse volume ID '1local:x'");
	rej("pve-volume-id", "l:x", "unable to parse volume ID 'l:x'");
	rej("pve-volume-id", "local-:x", "unable to parse volume ID 'local-:x'");
	rej("pve-volume-id", "/dev/sda", "unable to parse volume ID '/dev/sda'");

	ok(pctconf_parse_volume_id("local:iso/x:y.iso", &storage, &name), "parse_volume_id");
	is_str(storage, "local", "parse_volume_id: the storage ends at the first colon");
	is_str(name, "iso/x:y.iso", "parse_volume_id: the name keeps later colons");
	free(storage);
	free(name);
	ok(!pctconf_parse_volume_id("/srv/data", NULL, NULL), "a path is not a volume id");

	is_int(pctconf_classify_mountpoint("/dev/sdb1"), PCTCONF_MP_DEVICE, "/dev/... is a device");
	is_int(pctconf_classify_mountpoint("/dev"), PCTCONF_MP_BIND, "/dev itself is a bind mount");
	is_int(pctconf_classify_mountpoint("/srv/data"), PCTCONF_MP_BIND, "/srv/data is a bind mount");
	is_int(pctconf_classify_mountpoint("local:vm-100-disk-0"), PCTCONF_MP_VOLUME,
	       "a volume id is a volume");
	is_int(pctconf_classify_mountpoint("dev/sdb"), PCTCONF_MP_VOLUME,
	       "a relative path counts as a volume");
}

static void
paths(void)
{
	static const char *const mp_good[] = { "/a/.b", "/a/..b", "/a/b.", "./a", "/...",
					       "/.../", "local:vm-100-disk-0", "/srv/data", "" };
	static const char *const mp_bad[] = { "/a/./b", "/a/../b", "/a/.", "/a/..", "../a",
					      "/..", "/.", "a/../b" };
	static const char *const dev_good[] = { "/dev/ttyUSB0", "/dev/dri/renderD128",
						"/dev/.hidden", "/dev/", "/dev/a..b" };
	static const char *const dev_bad[] = { "/dev/../etc/shadow", "/dev/./x", "/dev/..",
					       "/dev/.", "/dev", "/devices/x", "dev/x",
					       "/etc/passwd", "" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mp_good); i++)
		acc("pve-lxc-mp-string", mp_good[i]);
	for (i = 0; i < ARRAY_SIZE(mp_bad); i++) {
		char *want = xasprintf("%s contains illegal character sequences", mp_bad[i]);

		rej("pve-lxc-mp-string", mp_bad[i], want);
		free(want);
	}
	for (i = 0; i < ARRAY_SIZE(dev_good); i++)
		acc("pve-lxc-dev-string", dev_good[i]);
	for (i = 0; i < ARRAY_SIZE(dev_bad); i++) {
		char *want = xasprintf("%s is not a valid device path", dev_bad[i]);

		rej("pve-lxc-dev-string", dev_bad[i], want);
		free(want);
	}
}

static void
startup(void)
{
	const char *m = "unable to parse startup options";
	long long order, up, down;

	acc("pve-startup-order", "1");
	acc("pve-startup-order", "order=1");
	acc("pve-startup-order", "up=30");
	acc("pve-startup-order", "down=60");
	acc("pve-startup-order", "order=1,up=30,down=60");
	acc("pve-startup-order", ", ,");
	acc("pve-startup-order", "1,,");
	acc("pve-startup-order", "00");
	acc("pve-startup-order", "0,");
	acc("pve-startup-order", "up=1,up=2");
	/* "" and "0" are false in Perl: invalid */
	rej("pve-startup-order", "", m);
	rej("pve-startup-order", "0", m);
	rej("pve-startup-order", "order=x", m);
	rej("pve-startup-order", "up=", m);
	rej("pve-startup-order", " 1", m);
	rej("pve-startup-order", "1 ", m);
	rej("pve-startup-order", "foo=1", m);
	rej("pve-startup-order", "order=-1", m);
	rej("pve-startup-order", "order=1;up=2", m);

	ok(pctconf_parse_startup("order=3,up=30,down=60", &order, &up, &down) && order == 3 &&
		   up == 30 && down == 60,
	   "parse_startup: order, up and down");
	ok(pctconf_parse_startup("5", &order, &up, &down) && order == 5 && up == -1 && down == -1,
	   "parse_startup: a bare number is the order; absent parts are -1");
	ok(pctconf_parse_startup("up=1,up=2", &order, &up, &down) && up == 2,
	   "parse_startup: a later duplicate wins");
	ok(pctconf_parse_startup(", ,", &order, &up, &down) && order == -1 && up == -1 &&
		   down == -1,
	   "parse_startup: ', ,' is valid and empty");
}

static void
timezones(void)
{
	/* tests/fixtures/zone.tab: column 3 holds Europe/Vienna, Europe/Berlin,
	 * America/New_York, Asia/Tokyo */
	acc("pve-ct-timezone", "host");
	acc("pve-ct-timezone", "UTC");
	acc("pve-ct-timezone", "Europe/Vienna");
	acc("pve-ct-timezone", "Europe/Berlin");
	acc("pve-ct-timezone", "America/New_York");
	acc("pve-ct-timezone", "Asia/Tokyo");
	rej("pve-ct-timezone", "Etc/UTC", "invalid time zone 'Etc/UTC'");
	rej("pve-ct-timezone", "utc", "invalid time zone 'utc'");
	rej("pve-ct-timezone", "GMT", "invalid time zone 'GMT'");
	rej("pve-ct-timezone", "Europe/vienna", "invalid time zone 'Europe/vienna'");
	rej("pve-ct-timezone", "Europe/Vienna ", "invalid time zone 'Europe/Vienna '");
	rej("pve-ct-timezone", "AT", "invalid time zone 'AT'");
	rej("pve-ct-timezone", "+4813+01620", "invalid time zone '+4813+01620'");
	rej("pve-ct-timezone", "most of Germany", "invalid time zone 'most of Germany'");
	rej("pve-ct-timezone", "Host", "invalid time zone 'Host'");
	rej("pve-ct-timezone", "", "invalid time zone ''");
	ok(pctconf_is_timezone("UTC") && !pctconf_is_timezone("host"),
	   "is_timezone: UTC yes, host is only a pve-ct-timezone");
}

static void
sizes(void)
{
	static const struct {
		const char *in;
		unsigned long long bytes;
	} good[] = {
		{ "0", 0 },
		{ "1", 1 },
		{ "1.9", 1 },
		{ "0.1", 0 },
		{ "1K", 1024 },
		{ "1.5K", 1536 },
		{ "0.5K", 512 },
		{ "1M", 1048576 },
		{ "1.5G", 1610612736ULL },
		{ "1.1G", 1181116006ULL },
		{ "8G", 8589934592ULL },
		{ "10T", 10995116277760ULL },
		{ "0T", 0 },
		{ "8GiB", 8589934592ULL },
		{ "512MiB", 536870912ULL },
		{ "2KiB", 2048 },
		{ "1TiB", 1099511627776ULL },
	};
	static const char *const bad[] = { "8g", "8GB", "8 G", "-1", "1.", ".5", "1P", "",
					   "1B", "1KB", "1Gi", "1GIB", "+1G", "1e3", "G" };
	static const struct {
		unsigned long long bytes;
		const char *out;
	} fmt[] = {
		{ 0, "0T" },
		{ 1, "1" },
		{ 1000, "1000" },
		{ 1023, "1023" },
		{ 1024, "1K" },
		{ 1536, "1536" },
		{ 1025 * 1024, "1025K" },
		{ 1048576, "1M" },
		{ 1610612736ULL, "1536M" },
		{ 8589934592ULL, "8G" },
		{ 1099511627776ULL, "1T" },
		{ 3 * 1099511627776ULL, "3T" },
		{ 1024 * 1099511627776ULL, "1024T" },
		{ 1099511627776ULL + 1073741824ULL, "1025G" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		unsigned long long b = 42;

		ok(pctconf_parse_size(good[i].in, &b) && b == good[i].bytes,
		   "parse_size('%s') = %llu", good[i].in, good[i].bytes);
		acc("disk-size", good[i].in);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		unsigned long long b;
		char *want = xasprintf("value does not look like a valid disk size: %s", bad[i]);

		ok(!pctconf_parse_size(bad[i], &b), "parse_size rejects '%s'", bad[i]);
		rej("disk-size", bad[i], want);
		free(want);
	}
	for (i = 0; i < ARRAY_SIZE(fmt); i++) {
		char *s = pctconf_format_size(fmt[i].bytes);

		is_str(s, fmt[i].out, "format_size(%llu)", fmt[i].bytes);
		free(s);
	}
	{
		unsigned long long b;
		char *s;

		ok(pctconf_parse_size("1.5G", &b), "1.5G parses");
		s = pctconf_format_size(b);
		is_str(s, "1536M", "1.5G is printed as 1536M");
		free(s);
	}
}

static void
lists(void)
{
	static const struct {
		const char *in;
		const char *joined; /* elements joined with '|' */
	} cases[] = {
		{ "a,b;c  d", "a|b|c|d" },
		{ " ,a,,b, ", "a|b" },
		{ ",,;", "" },
		{ "0", "0" },
		{ "", "" },
		{ "\ta\nb\x0b" "c\x0c" "d\re", "a|b|c|d|e" },
		{ "1.1.1.1 fe80::1%eth0", "1.1.1.1|fe80::1%eth0" },
	};
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char **v;
		size_t n = pctconf_split_list(cases[i].in, &v);
		struct strbuf sb = STRBUF_INIT;

		for (j = 0; j < n; j++) {
			if (j)
				strbuf_addch(&sb, '|');
			strbuf_addstr(&sb, v[j]);
		}
		is_str(strbuf_str(&sb), cases[i].joined, "split_list case %zu", i);
		strbuf_release(&sb);
		pctconf_strv_free(v, n);
	}
}

static void
registry(void)
{
	rej("no-such-format", "x", "undefined format 'no-such-format'");
	rej("no-such-format-list", "x", "undefined format 'no-such-format-list'");
	/* "-list" of a single-value format: each element is checked */
	acc("ipv4-list", "1.2.3.4,5.6.7.8");
	rej("ipv4-list", "1.2.3.4;5.6.7", IPV4_MSG);
}

int
main(void)
{
	if (!getenv("CORRAL_ZONETAB")) {
		const char *top = getenv("top_srcdir");
		static char path[4096];

		snprintf(path, sizeof(path), "%s/tests/fixtures/zone.tab", top ? top : ".");
		setenv("CORRAL_ZONETAB", path, 1);
	}
	ipv4();
	ipv6();
	cidr();
	ll_iface();
	mac();
	names();
	volume_ids();
	paths();
	startup();
	timezones();
	sizes();
	lists();
	registry();
	return exit_status();
}

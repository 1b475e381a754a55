/*
 * The two validation levels (§2.2): check_type while parsing a file (type,
 * format, property strings; booleans and integers normalised) and the API
 * check of `pct set`/`pct create`/`pct config` (also enum, range, pattern,
 * maxLength), with Proxmox's exact texts, including the trailing newline of
 * a failed format check ("invalid format - <msg>\n").
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pctconf.h"
#include "tap.h"

/* check_type must accept; norm is the normalised value or NULL */
static void
type_ok(const char *key, const char *value, const char *norm)
{
	struct strbuf msg = STRBUF_INIT;
	char *n = NULL;
	int ret = pctconf_check_type(key, value, strlen(value), &n, &msg);

	if (!ok(ret == 0, "check_type %s: '%s' accepted", key, value))
		tap_diag_str("message", strbuf_str(&msg));
	is_str(n, norm, "check_type %s: '%s' normalised", key, value);
	free(n);
	strbuf_release(&msg);
}

static void
type_fail_len(const char *key, const char *value, size_t len, const char *want)
{
	struct strbuf msg = STRBUF_INIT;
	char *n = NULL;
	int ret = pctconf_check_type(key, value, len, &n, &msg);

	ok(ret < 0, "check_type %s: refused", key);
	is_str(strbuf_str(&msg), want, "check_type %s: message", key);
	free(n);
	strbuf_release(&msg);
}

static void
type_fail(const char *key, const char *value, const char *want)
{
	type_fail_len(key, value, strlen(value), want);
}

static void
api_ok_len(const char *key, const char *value, size_t len)
{
	struct strbuf msg = STRBUF_INIT;
	int ret = pctconf_check_api(key, value, len, &msg);

	if (!ok(ret == 0, "API %s: accepted", key))
		tap_diag_str("message", strbuf_str(&msg));
	strbuf_release(&msg);
}

static void
api_ok(const char *key, const char *value)
{
	api_ok_len(key, value, strlen(value));
}

static void
api_fail_len(const char *key, const char *value, size_t len, const char *want)
{
	struct strbuf msg = STRBUF_INIT;
	int ret = pctconf_check_api(key, value, len, &msg);

	ok(ret < 0, "API %s: refused", key);
	is_str(strbuf_str(&msg), want, "API %s: message", key);
	strbuf_release(&msg);
}

static void
api_fail(const char *key, const char *value, const char *want)
{
	api_fail_len(key, value, strlen(value), want);
}

static void
parse_level(void)
{
	type_fail("foo", "bar", "unknown setting 'foo'\n");
	type_fail("vmstate", "local:x", "unknown setting 'vmstate'\n");
	type_fail("snapstate", "prepare", "unknown setting 'snapstate'\n");
	type_fail("delete", "memory", "unknown setting 'delete'\n");
	type_fail("net32", "name=eth0", "unknown setting 'net32'\n");
	/* the unknown-key check comes first, then the line feed check */
	type_fail("foo", "a\rb", "unknown setting 'foo'\n");
	type_fail("hostname", "a\rb", "property contains a line feed\n");
	type_fail("memory", "5\n12", "property contains a line feed\n");
	type_fail("onboot", "1\r", "property contains a line feed\n");

	/* booleans: normalised */
	type_ok("onboot", "1", NULL);
	type_ok("onboot", "0", NULL);
	type_ok("onboot", "yes", "1");
	type_ok("onboot", "ON", "1");
	type_ok("onboot", "True", "1");
	type_ok("onboot", "no", "0");
	type_ok("onboot", "OFF", "0");
	type_ok("onboot", "false", "0");
	type_fail("onboot", "2", "type check ('boolean') failed - got '2'\n");
	type_fail("onboot", "y", "type check ('boolean') failed - got 'y'\n");
	type_fail("onboot", " ", "type check ('boolean') failed - got ' '\n");
	/* integers: int($1) */
	type_ok("memory", "512", NULL);
	type_ok("memory", "0512", "512");
	type_ok("memory", "000", "0");
	type_ok("swap", "18446744073709551615", NULL);
	type_ok("swap", "018446744073709551615", "18446744073709551615");
	type_ok("swap", "18446744073709551616", "1.84467440737096e+19");
	type_ok("swap", "99999999999999999999", "1e+20");
	type_ok("snaptime", "1700000000", NULL);
	type_fail("memory", "+512", "type check ('integer') failed - got '+512'\n");
	type_fail("memory", "-1", "type check ('integer') failed - got '-1'\n");
	type_fail("memory", "512.0", "type check ('integer') failed - got '512.0'\n");
	type_fail("memory", "1k", "type check ('integer') failed - got '1k'\n");
	type_fail("memory", " ", "type check ('integer') failed - got ' '\n");
	/* numbers: checked, not normalised */
	type_ok("cpulimit", "1.50", NULL);
	type_ok("cpulimit", "007", NULL);
	type_ok("cpulimit", "0.0", NULL);
	type_fail("cpulimit", ".5", "type check ('number') failed - got '.5'\n");
	type_fail("cpulimit", "1.", "type check ('number') failed - got '1.'\n");
	type_fail("cpulimit", "1e3", "type check ('number') failed - got '1e3'\n");
	type_fail("cpulimit", "-1", "type check ('number') failed - got '-1'\n");
	type_fail("cpulimit", "1.2.3", "type check ('number') failed - got '1.2.3'\n");

	/* not checked while parsing: enum, range, pattern, maxLength */
	type_ok("ostype", "redhat", NULL);
	type_ok("arch", "sparc", NULL);
	type_ok("cmode", "serial", NULL);
	type_ok("lock", "foo", NULL);
	type_ok("memory", "8", NULL);
	type_ok("tty", "99", NULL);
	type_ok("cores", "0", NULL);
	type_ok("cpulimit", "9000", NULL);
	type_ok("entrypoint", "\x01init", NULL);
	type_ok("env", "not an environment", NULL);
	type_ok("parent", "a-snapshot-name-that-is-longer-than-forty-chars", NULL);
	{
		char *h = xmalloc(301);

		memset(h, 'a', 300);
		h[300] = '\0';
		type_ok("hostname", h, NULL);
		api_fail("hostname", h, "value may only be 255 characters long");
		free(h);
	}
	/* formats and property strings are checked, raw value kept (no norm) */
	type_fail("hostname", "a_b", "value does not look like a valid DNS name\n");
	type_fail("parent", "a", "invalid configuration ID 'a'\n");
	type_fail("timezone", "Etc/UTC", "invalid time zone 'Etc/UTC'\n");
	type_fail("startup", "0", "unable to parse startup options\n");
	type_fail("tags", "web;-db", "invalid characters in tag\n");
	type_ok("tags", "Web;DB", NULL);
	type_ok("nameserver", " ", NULL);
	type_fail("net0", "name=eth0,ip=bad", "format error\nip: invalid format - value does not "
					     "look like a valid ipv4 network configuration\n\n");
	type_fail("features", "bogus=1", "invalid key in comma-separated list property: bogus\n");
	type_ok("features", "nesting=yes", NULL);
	type_ok("net0", "bridge=vmbr0,name=eth0,firewall=on", NULL);
	/* NUL bytes (only from a damaged file): -list formats split on NUL */
	{
		struct strbuf msg = STRBUF_INIT;
		char *n = NULL;

		ok(pctconf_check_type("nameserver", "1.1.1.1\0" "8.8.8.8", 15, &n, &msg) == 0,
		   "check_type nameserver: NUL-separated list accepted");
		ok(pctconf_check_type("tags", "a\0b\0\0", 6, &n, &msg) == 0,
		   "check_type tags: NUL-separated, trailing empty elements dropped");
		ok(pctconf_check_type("hostname", "ab\0cd", 5, &n, &msg) < 0,
		   "check_type hostname: a NUL byte is refused");
		strbuf_release(&msg);
	}
	type_fail_len("nameserver", "1.1.1.1\0x", 9,
		      "value does not look like a valid IP address\n");
	type_fail_len("nameserver", "\0" "1.1.1.1", 8,
		      "value does not look like a valid IP address\n");
}

static void
api_level(void)
{
	api_fail("foo", "1",
		 "property is not defined in schema and the schema does not allow additional properties");
	/* range */
	api_fail("memory", "8", "value must have a minimum value of 16");
	api_ok("memory", "16");
	api_fail("tty", "7", "value must have a maximum value of 6");
	api_ok("tty", "0");
	api_fail("cores", "0", "value must have a minimum value of 1");
	api_fail("cores", "8193", "value must have a maximum value of 8192");
	api_fail("cpulimit", "8192.5", "value must have a maximum value of 8192");
	api_fail("cpuunits", "500001", "value must have a maximum value of 500000");
	api_fail("swap", "-1", "value must have a minimum value of 0");
	api_fail("snaptime", "-1", "value must have a minimum value of 0");
	/* the API type checks are JSON schema's: looser numbers and integers */
	api_ok("cpulimit", "1e3");
	api_ok("cpulimit", ".5");
	api_ok("memory", "+512");
	api_fail("memory", "512.0", "type check ('integer') failed - got '512.0'");
	api_fail("memory", "abc", "type check ('integer') failed - got 'abc'");
	api_fail("cpulimit", "x", "type check ('number') failed - got 'x'");
	/* the API wants 1 or 0 for booleans */
	api_fail("onboot", "yes", "type check ('boolean') failed - got 'yes'");
	api_ok("onboot", "1");
	/* enums, listed in schema order */
	api_fail("ostype", "redhat",
		 "value 'redhat' does not have a value in the enumeration 'debian, devuan, ubuntu, "
		 "centos, fedora, opensuse, archlinux, alpine, gentoo, nixos, unmanaged'");
	api_fail("ostype", "openeuler",
		 "value 'openeuler' does not have a value in the enumeration 'debian, devuan, ubuntu, "
		 "centos, fedora, opensuse, archlinux, alpine, gentoo, nixos, unmanaged'");
	api_fail("arch", "sparc",
		 "value 'sparc' does not have a value in the enumeration 'amd64, i386, arm64, armhf, "
		 "riscv32, riscv64'");
	api_fail("cmode", "serial",
		 "value 'serial' does not have a value in the enumeration 'shell, console, tty'");
	api_fail("lock", "foo",
		 "value 'foo' does not have a value in the enumeration 'backup, create, destroyed, "
		 "disk, fstrim, migrate, mounted, rollback, snapshot, snapshot-delete'");
	api_ok("lock", "snapshot-delete");
	/* formats: the verifier's own newline stays in the message */
	api_fail("hostname", "a_b", "invalid format - value does not look like a valid DNS name\n");
	api_fail("parent", "a", "invalid format - invalid configuration ID 'a'\n");
	api_fail("timezone", "Etc/UTC", "invalid format - invalid time zone 'Etc/UTC'\n");
	api_fail("startup", "0", "invalid format - unable to parse startup options\n");
	api_fail("nameserver", "1.1.1.1,x",
		 "invalid format - value does not look like a valid IP address\n");
	api_fail("searchdomain", "a.example -b",
		 "invalid format - value does not look like a valid DNS name\n");
	api_fail("tags", "a b,-c", "invalid format - invalid characters in tag\n");
	api_fail("hookscript", "snippets/h.pl",
		 "invalid format - unable to parse volume ID 'snippets/h.pl'\n");
	/* maxLength */
	api_fail("parent", "a23456789012345678901234567890123456789012",
		 "value may only be 40 characters long");
	api_ok("parent", "a234567890123456789012345678901234567890");
	/* format before maxLength */
	api_fail("parent", "123456789012345678901234567890123456789012",
		 "invalid format - invalid configuration ID "
		 "'123456789012345678901234567890123456789012'\n");
	/* maxLength counts characters, not bytes */
	{
		struct strbuf d = STRBUF_INIT;
		size_t i;

		for (i = 0; i < 8192; i++)
			strbuf_addstr(&d, "\xC3\xA9");
		api_ok("description", d.buf);
		strbuf_addch(&d, 'x');
		api_fail("description", d.buf, "value may only be 8192 characters long");
		strbuf_release(&d);
	}
	/* patterns */
	api_fail("entrypoint", "\x01init", "value does not match the regex pattern");
	api_fail("entrypoint", "/sbin/init\n", "value does not match the regex pattern");
	api_ok("entrypoint", "/sbin/init\t--log-level=debug");
	api_fail("entrypoint", "", "value does not match the regex pattern");
	/* env: NUL-separated NAME=value list */
	api_ok_len("env", "A=1\0B=two words\0C=", 18);
	api_ok_len("env", "PATH=/bin", 9);
	api_fail_len("env", "A=1\0\0B=2", 8, "value does not match the regex pattern");
	api_fail_len("env", "A=1\0", 4, "value does not match the regex pattern");
	api_fail_len("env", "=x", 2, "value does not match the regex pattern");
	api_fail_len("env", "A-B=1", 5, "value does not match the regex pattern");
	api_fail_len("env", "A=\x01", 3, "value does not match the regex pattern");
	api_fail_len("env", "", 0, "value does not match the regex pattern");
	api_ok_len("env", "A=\tx", 4);
	/* property strings: "invalid format - " + the inner exception text */
	api_fail("net0", "name=eth0,ip=bad",
		 "invalid format - format error\nnet0.ip: invalid format - value does not look "
		 "like a valid ipv4 network configuration\n\n");
	api_fail("net0", "name=eth0,mtu=x",
		 "invalid format - format error\nnet0.mtu: type check ('integer') failed - got 'x'\n");
	api_fail("net0", "name=eth0,foo=1",
		 "invalid format - invalid key in comma-separated list property: foo\n");
	api_fail("mp0", "local:vm-100-disk-1",
		 "invalid format - format error\nmp0.mp: property is missing and it is not optional\n");
	api_ok("net0", "name=eth0,bridge=vmbr0,firewall=1,ip=dhcp");
	api_ok("rootfs", "local-lvm:vm-100-disk-0,size=8G");
	api_ok("dev0", "/dev/ttyUSB0,mode=0660");
	api_ok("unused7", "local:vm-100-disk-7");
	/* check_prop on one sub-key */
	{
		const struct pctconf_key *k = pctconf_key_lookup("net0", NULL);
		const struct pctconf_prop *name = pctconf_prop_lookup(k->props, "name");
		const struct pctconf_prop *tag = pctconf_prop_lookup(k->props, "tag");
		struct strbuf msg = STRBUF_INIT;

		ok(pctconf_check_prop(name, "eth0.100", &msg) == 0, "check_prop: name eth0.100");
		ok(pctconf_check_prop(name, "eth/0", &msg) < 0, "check_prop: name eth/0");
		is_str(strbuf_str(&msg), "value does not match the regex pattern",
		       "check_prop: pattern message");
		strbuf_reset(&msg);
		ok(pctconf_check_prop(tag, "4095", &msg) < 0, "check_prop: tag 4095");
		is_str(strbuf_str(&msg), "value must have a maximum value of 4094",
		       "check_prop: range message");
		strbuf_release(&msg);
	}
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
	parse_level();
	api_level();
	return exit_status();
}

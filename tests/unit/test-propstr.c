/*
 * Property strings (§4.1, §4.2, notes/jsonschema-facts.md §4): parsing with
 * the default key, duplicates, invalid and missing keys, no trimming, boolean
 * normalisation, full sub-key validation with Proxmox's exception text, and
 * the canonical print order (default key, required keys, the rest).
 */
#include "config.h"

#include <string.h>

#include "pctconf.h"
#include "tap.h"

static const struct pctconf_prop *
props_of(const char *key)
{
	const struct pctconf_key *k = pctconf_key_lookup(key, NULL);

	return k ? k->props : NULL;
}

/* parse must succeed; returns the parsed set (caller releases) */
static void
parse_ok(const char *key, const char *s, struct pctconf_props *p)
{
	struct strbuf msg = STRBUF_INIT;
	int ret = pctconf_props_parse(props_of(key), s, p, &msg, NULL);

	if (!ok(ret == 0, "%s: '%s' parses", key, s))
		tap_diag_str("message", strbuf_str(&msg));
	strbuf_release(&msg);
}

/* parse must fail with exactly this message (path NULL unless given) */
static void
parse_fail(const char *key, const char *s, const char *path, const char *want)
{
	struct strbuf msg = STRBUF_INIT;
	struct pctconf_props p;
	int ret = pctconf_props_parse(props_of(key), s, &p, &msg, path);

	ok(ret < 0, "%s: '%s' is refused", key, s);
	is_str(strbuf_str(&msg), want, "%s: message for '%s'", key, s);
	strbuf_release(&msg);
}

static void
check_get(const struct pctconf_props *p, const char *name, const char *want, const char *what)
{
	is_str(pctconf_props_get(p, name), want, "%s: %s", what, name);
}

/* parse, print canonically (skip may be NULL), compare */
static void
canon(const char *key, const char *s, const char *const *skip, const char *want)
{
	struct pctconf_props p;
	struct pct_error *err = NULL;
	char *out;

	parse_ok(key, s, &p);
	out = pctconf_props_print(&p, skip, &err);
	is_str(out, want, "%s: canonical form of '%s'", key, s);
	free(out);
	pct_error_free(&err);
	pctconf_props_release(&p);
}

static void
default_key(void)
{
	struct pctconf_props p;

	parse_ok("rootfs", "local-lvm:vm-100-disk-0,size=8G", &p);
	check_get(&p, "volume", "local-lvm:vm-100-disk-0", "bare value");
	check_get(&p, "size", "8G", "bare value");
	pctconf_props_release(&p);
	parse_ok("rootfs", "size=8G,volume=local:x", &p);
	check_get(&p, "volume", "local:x", "volume= by name");
	pctconf_props_release(&p);
	parse_ok("mp0", "mp=/data,local:vm-100-disk-1", &p);
	check_get(&p, "volume", "local:vm-100-disk-1", "bare value after a named key");
	check_get(&p, "mp", "/data", "bare value after a named key");
	pctconf_props_release(&p);
	/* a default key set by name to a Perl-false value is replaced quietly */
	parse_ok("rootfs", "volume=0,local:b", &p);
	check_get(&p, "volume", "local:b", "volume=0 then a bare value");
	pctconf_props_release(&p);
	parse_ok("unused0", "local:vm-100-disk-3", &p);
	check_get(&p, "volume", "local:vm-100-disk-3", "unusedN");
	pctconf_props_release(&p);
	parse_ok("dev0", "/dev/ttyUSB0,mode=0660", &p);
	check_get(&p, "path", "/dev/ttyUSB0", "devN");
	pctconf_props_release(&p);
	/* a value may hold '=' after the first one */
	parse_ok("mp0", "local:a,mp=/x=y", &p);
	check_get(&p, "mp", "/x=y", "value with '='");
	pctconf_props_release(&p);
	/* empty and blank parts are skipped */
	parse_ok("rootfs", "local:a,, ,size=1G,", &p);
	is_int(p.n, 2, "empty and blank parts skipped");
	pctconf_props_release(&p);
	parse_fail("net0", "eth0", NULL,
		   "value without key, but schema does not define a default key\n");
	parse_fail("features", "nesting=1,cifs", NULL,
		   "value without key, but schema does not define a default key\n");
}

static void
bad_keys(void)
{
	parse_fail("rootfs", "local:a,local:b", NULL,
		   "duplicate key in comma-separated list property: volume\n");
	parse_fail("rootfs", "volume=local:a,local:b", NULL,
		   "duplicate key in comma-separated list property: volume\n");
	parse_fail("rootfs", "local:a,volume=local:b", NULL,
		   "duplicate key in comma-separated list property: volume\n");
	parse_fail("rootfs", "local:a,size=1G,size=2G", NULL,
		   "duplicate key in comma-separated list property: size\n");
	parse_fail("net0", "name=eth0,name=eth1", NULL,
		   "duplicate key in comma-separated list property: name\n");
	parse_fail("rootfs", "local:a,foo=1", NULL,
		   "invalid key in comma-separated list property: foo\n");
	parse_fail("net0", "NAME=eth0", NULL, "invalid key in comma-separated list property: NAME\n");
	/* keys and values are not trimmed */
	parse_fail("rootfs", "local:a, size=1G", NULL,
		   "invalid key in comma-separated list property:  size\n");
	parse_fail("rootfs", "local:a,size =1G", NULL,
		   "invalid key in comma-separated list property: size \n");
	parse_fail("rootfs", "local:a,size= 1G", NULL,
		   "format error\nsize: invalid format - value does not look like a valid disk size:  1G\n\n");
	parse_fail("rootfs", "local:a,=x", NULL, "missing key in comma-separated list property\n");
	parse_fail("rootfs", "local:a,size=", NULL, "missing key in comma-separated list property\n");
	parse_fail("features", "=", NULL, "missing key in comma-separated list property\n");
}

static void
required_keys(void)
{
	parse_fail("net0", "bridge=vmbr0", NULL,
		   "format error\nname: property is missing and it is not optional\n");
	parse_fail("net0", "bridge=vmbr0", "net0",
		   "format error\nnet0.name: property is missing and it is not optional\n");
	parse_fail("mp0", "local:a", NULL,
		   "format error\nmp: property is missing and it is not optional\n");
	parse_fail("rootfs", "size=8G", NULL,
		   "format error\nvolume: property is missing and it is not optional\n");
	parse_fail("unused0", "", NULL,
		   "format error\nvolume: property is missing and it is not optional\n");
	/* devN: path is optional in the schema */
	{
		struct pctconf_props p;

		parse_ok("dev0", "mode=0660", &p);
		pctconf_props_release(&p);
	}
}

static void
booleans(void)
{
	struct pctconf_props p;
	static const char *const t[] = { "1", "on", "ON", "Yes", "TRUE", "true", "yEs" };
	static const char *const f[] = { "0", "off", "No", "FALSE", "false", "OfF" };
	static const char *const neither[] = { "2", "", "y", "onn", " 1", "1 ", "t" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		is_str(pctconf_parse_boolean(t[i]), "1", "parse_boolean('%s')", t[i]);
	for (i = 0; i < ARRAY_SIZE(f); i++)
		is_str(pctconf_parse_boolean(f[i]), "0", "parse_boolean('%s')", f[i]);
	for (i = 0; i < ARRAY_SIZE(neither); i++)
		ok(pctconf_parse_boolean(neither[i]) == NULL, "parse_boolean('%s') is undef",
		   neither[i]);

	parse_ok("features", "nesting=yes,keyctl=OFF,fuse=True,mknod=0", &p);
	check_get(&p, "nesting", "1", "booleans normalised");
	check_get(&p, "keyctl", "0", "booleans normalised");
	check_get(&p, "fuse", "1", "booleans normalised");
	check_get(&p, "mknod", "0", "booleans normalised");
	pctconf_props_release(&p);
	parse_fail("features", "nesting=2", NULL,
		   "format error\nnesting: type check ('boolean') failed - got '2'\n");
	parse_fail("net0", "name=eth0,firewall=y", "net0",
		   "format error\nnet0.firewall: type check ('boolean') failed - got 'y'\n");
}

static void
sub_keys(void)
{
	struct pctconf_props p;

	parse_fail("net0", "name=eth0,mtu=10", NULL,
		   "format error\nmtu: value must have a minimum value of 64\n");
	parse_fail("net0", "name=eth0,mtu=65536", NULL,
		   "format error\nmtu: value must have a maximum value of 65535\n");
	parse_fail("net0", "name=eth0,tag=4095", NULL,
		   "format error\ntag: value must have a maximum value of 4094\n");
	parse_fail("net0", "name=eth0,tag=0", NULL,
		   "format error\ntag: value must have a minimum value of 1\n");
	parse_fail("net0", "name=eth0,mtu=abc", NULL,
		   "format error\nmtu: type check ('integer') failed - got 'abc'\n");
	parse_fail("net0", "name=eth0,tag=0x10", NULL,
		   "format error\ntag: type check ('integer') failed - got '0x10'\n");
	parse_fail("net0", "name=eth0,rate=abc", NULL,
		   "format error\nrate: type check ('number') failed - got 'abc'\n");
	parse_fail("net0", "name=eth0,type=vethx", NULL,
		   "format error\ntype: value 'vethx' does not have a value in the enumeration 'veth'\n");
	parse_fail("net0", "name=eth 0", NULL,
		   "format error\nname: value does not match the regex pattern\n");
	parse_fail("net0", "name=eth0,bridge=a=b", NULL,
		   "format error\nbridge: value does not match the regex pattern\n");
	parse_fail("net0", "name=eth0,trunks=1;2;x", NULL,
		   "format error\ntrunks: value does not match the regex pattern\n");
	parse_fail("net0", "name=eth0,hwaddr=01:00:5E:00:00:01", NULL,
		   "format error\nhwaddr: invalid format - value does not look like a valid unicast MAC address\n\n");
	parse_fail("net0", "name=eth0,ip=10.0.0.1", "net0",
		   "format error\nnet0.ip: invalid format - value does not look like a valid ipv4 network configuration\n\n");
	parse_fail("net0", "name=eth0,gw6=fe80::1%eth0", NULL,
		   "format error\ngw6: invalid format - value does not look like a valid IPv6 address\n\n");
	/* the sub-key number and integer checks are the JSON-schema ones (looser) */
	parse_ok("net0", "name=eth0,rate=1e3,mtu=+100", &p);
	pctconf_props_release(&p);
	parse_ok("net0", "name=eth0,rate=.5", &p);
	pctconf_props_release(&p);
	parse_ok("net0", "name=eth0,trunks=1;20;4094,tag=4094,mtu=65535", &p);
	pctconf_props_release(&p);
	/* several errors: one line each (sorted; Proxmox uses hash order) */
	parse_fail("net0", "name=eth0,tag=5000,mtu=10", NULL,
		   "format error\nmtu: value must have a minimum value of 64\n"
		   "tag: value must have a maximum value of 4094\n");

	parse_ok("dev0", "/dev/ttyUSB0,mode=0777,uid=0,gid=0,deny-write=1", &p);
	pctconf_props_release(&p);
	parse_fail("dev0", "/dev/ttyUSB0,mode=777", NULL,
		   "format error\nmode: value does not match the regex pattern\n");
	parse_fail("dev0", "/dev/ttyUSB0,mode=0888", NULL,
		   "format error\nmode: value does not match the regex pattern\n");
	parse_fail("dev0", "/dev/ttyUSB0,uid=-1", NULL,
		   "format error\nuid: value must have a minimum value of 0\n");
	parse_fail("dev0", "/dev/../etc/shadow", NULL,
		   "format error\npath: invalid format - /dev/../etc/shadow is not a valid device path\n\n");

	parse_ok("rootfs", "local:a,mountoptions=noatime;nodev;discard;lazytime;noexec;nosuid", &p);
	pctconf_props_release(&p);
	parse_fail("rootfs", "local:a,mountoptions=noatime;bogus", NULL,
		   "format error\nmountoptions: value does not match the regex pattern\n");
	parse_fail("rootfs", "local:a,mountoptions=noatime;", NULL,
		   "format error\nmountoptions: value does not match the regex pattern\n");
	parse_ok("mp0", "local:a,mp=/x,idmap=passthrough", &p);
	pctconf_props_release(&p);
	parse_ok("mp0", "local:a,mp=/x,idmap=u:0:100000:65536;g:0:100000:65536", &p);
	pctconf_props_release(&p);
	parse_fail("mp0", "local:a,mp=/x,idmap=u:0:100000:0", NULL,
		   "format error\nidmap: value does not match the regex pattern\n");
	parse_fail("mp0", "local:a,mp=/x,idmap=x:0:1:1", NULL,
		   "format error\nidmap: value does not match the regex pattern\n");
	parse_fail("mp0", "local:a,mp=/a/../b", NULL,
		   "format error\nmp: invalid format - /a/../b contains illegal character sequences\n\n");
	parse_fail("rootfs", "local:a,size=8gb", "rootfs",
		   "format error\nrootfs.size: invalid format - value does not look like a valid disk size: 8gb\n\n");
	parse_ok("features", "mount=nfs;cifs,nesting=1", &p);
	pctconf_props_release(&p);
	parse_fail("features", "mount=nfs/x", NULL,
		   "format error\nmount: value does not match the regex pattern\n");
	parse_fail("unused0", "volume=100", NULL,
		   "format error\nvolume: invalid format - unable to parse volume ID '100'\n\n");
}

static void
printing(void)
{
	static const char *const skip_mp[] = { "mp", NULL };
	static const char *const skip_size[] = { "size", NULL };
	struct pctconf_props p;
	struct pct_error *err = NULL;
	char *out;

	/* default key, then required keys, then the rest, each sorted */
	canon("net0",
	      "type=veth,ip=dhcp,bridge=vmbr0,name=eth0,hwaddr=BC:24:11:AA:BB:CC,firewall=yes",
	      NULL, "name=eth0,bridge=vmbr0,firewall=1,hwaddr=BC:24:11:AA:BB:CC,ip=dhcp,type=veth");
	canon("net0",
	      "trunks=10;20,tag=5,rate=12.5,mtu=1450,link_down=1,ip6=auto,ip=dhcp,host-managed=1,"
	      "hwaddr=BC:24:11:00:00:01,gw6=fd00::1,gw=10.0.0.1,firewall=0,bridge=vmbr0,name=eth0,type=veth",
	      NULL,
	      "name=eth0,bridge=vmbr0,firewall=0,gw=10.0.0.1,gw6=fd00::1,host-managed=1,"
	      "hwaddr=BC:24:11:00:00:01,ip=dhcp,ip6=auto,link_down=1,mtu=1450,rate=12.5,tag=5,"
	      "trunks=10;20,type=veth");
	canon("mp0", "mp=/data,local:vm-100-disk-1,size=1073741824,backup=on,acl=0", NULL,
	      "local:vm-100-disk-1,mp=/data,acl=0,backup=1,size=1G");
	canon("mp0",
	      "shared=1,size=8G,ro=1,replicate=0,quota=1,mountoptions=noatime,keepattrs=1,"
	      "idmap=passthrough,backup=0,acl=1,mp=/m,/srv/x",
	      NULL,
	      "/srv/x,mp=/m,acl=1,backup=0,idmap=passthrough,keepattrs=1,mountoptions=noatime,"
	      "quota=1,replicate=0,ro=1,shared=1,size=8G");
	canon("rootfs", "ro=1,local:x,size=8192M", skip_mp, "local:x,ro=1,size=8G");
	canon("rootfs", "local:x,size=8192M,ro=1", skip_size, "local:x,ro=1");
	canon("dev0", "gid=5,/dev/ttyUSB0,mode=0660", NULL, "/dev/ttyUSB0,gid=5,mode=0660");
	canon("dev0", "mode=0660,deny-write=1,uid=0,gid=0,path=/dev/ttyUSB0", NULL,
	      "/dev/ttyUSB0,deny-write=1,gid=0,mode=0660,uid=0");
	canon("unused0", "volume=local:x", NULL, "local:x");
	canon("features", "nesting=yes,keyctl=1,fuse=0,mount=nfs", NULL,
	      "fuse=0,keyctl=1,mount=nfs,nesting=1");
	/* disk-size values are printed with format_size */
	canon("rootfs", "local:a,size=1.5G", NULL, "local:a,size=1536M");
	canon("rootfs", "local:a,size=0", NULL, "local:a,size=0T");
	canon("rootfs", "local:a,size=1000", NULL, "local:a,size=1000");
	canon("rootfs", "local:a,size=10T", NULL, "local:a,size=10T");
	canon("rootfs", "local:a,size=1024K", NULL, "local:a,size=1M");
	canon("rootfs", "local:a,size=4GiB", NULL, "local:a,size=4G");

	/* a value with a comma cannot be printed */
	parse_ok("mp0", "local:a,mp=/x", &p);
	pctconf_props_set(&p, "mp", "/a,b");
	out = pctconf_props_print(&p, NULL, &err);
	ok(out == NULL && err, "a value with a comma is refused");
	is_str(err ? err->msg : NULL, "illegal value with commas for mp", "commas: message");
	pct_error_free(&err);
	pctconf_props_set(&p, "mp", "/x");
	pctconf_props_set(&p, "volume", "local:a,b");
	out = pctconf_props_print(&p, NULL, &err);
	ok(out == NULL, "the default key's value is checked for commas too");
	is_str(err ? err->msg : NULL, "illegal value with commas for volume",
	       "commas in the default key: message");
	pct_error_free(&err);
	pctconf_props_set(&p, "volume", "local:b");
	pctconf_props_unset(&p, "mp");
	pctconf_props_set(&p, "size", "2G");
	out = pctconf_props_print(&p, NULL, &err);
	is_str(out, "local:b,size=2G", "set and unset sub-keys");
	free(out);
	pctconf_props_release(&p);
}

int
main(void)
{
	default_key();
	bad_keys();
	required_keys();
	booleans();
	sub_keys();
	printing();
	return exit_status();
}

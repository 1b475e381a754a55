/*
 * Pending changes (§2.5, §8, notes/pct-facts.md §1 and §10): the delete
 * list grammar, add/remove, cleanup_pending, load_current_config (what
 * `pct config` shows), vmconfig_apply_pending (stopped CT: net made canonical
 * with a generated MAC, STORAGE:SIZE allocation, mp delete -> unusedN,
 * unusedN delete -> destroy), the hot-plug split for a running CT, and the
 * values `pct set` stores (tags, nameserver, searchdomain, cpuunits).
 */
#include "config.h"

#include <string.h>

#include "pctconf.h"
#include "tap.h"

static struct pctconf *
conf_from(const char *text)
{
	return pctconf_parse("/etc/pve/lxc/100.conf", 0, text, strlen(text));
}

/* the file text as the writer writes it (caller frees) */
static char *
text_of(const struct pctconf *c)
{
	struct pct_error *err = NULL;
	size_t len;
	char *t = pctconf_write(c, &len, &err);

	pct_error_free(&err);
	return t;
}

static void
is_file(const struct pctconf *c, const char *want, const char *name)
{
	char *t = text_of(c);

	is_str(t, want, "%s", name);
	free(t);
}

static void
delete_grammar(void)
{
	static const struct {
		const char *in;
		const char *printed;
		size_t n;
	} cases[] = {
		{ "memory", "memory", 1 },
		{ "swap,!cores", "!cores,swap", 2 },
		{ "swap; !memory ,!!cores", "!!cores,!memory,swap", 3 },
		{ "  a b\tc;;d,,e  ", "a,b,c,d,e", 5 },
		{ "memory,!memory", "!memory", 1 },
		{ "!memory,memory", "memory", 1 },
		{ "net10,net2,net1", "net1,net10,net2", 3 },
		{ "", "", 0 },
		{ "0", "", 0 },
		{ " , ; ", "", 0 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pctconf_pdel *v;
		size_t n = pctconf_pdel_parse(cases[i].in, &v);
		char *p = pctconf_pdel_print(v, n);

		is_int(n, cases[i].n, "parse_pending_delete('%s'): entries", cases[i].in);
		is_str(p, cases[i].printed, "print_pending_delete(parse('%s'))", cases[i].in);
		free(p);
		pctconf_pdel_free(v, n);
	}
	{
		struct pctconf_pdel *v;
		size_t n = pctconf_pdel_parse("swap; !memory ,!!cores", &v);

		ok(n == 3 && !strcmp(v[0].key, "swap") && !v[0].force && !strcmp(v[1].key, "memory") &&
			   v[1].force && !strcmp(v[2].key, "!cores") && v[2].force,
		   "only one '!' is stripped: !!cores is key '!cores', forced");
		pctconf_pdel_free(v, n);
	}
}

static void
add_remove(void)
{
	struct pctconf *c = conf_from("memory: 512\nswap: 512\ncores: 2\n");
	bool force = false;

	pctconf_pending_delete_add(c, "swap", false);
	is_str(pctconf_get(&c->pending, "delete"), "swap", "add to an empty list");
	pctconf_pending_delete_add(c, "cores", true);
	is_str(pctconf_get(&c->pending, "delete"), "!cores,swap", "add forced, list re-sorted");
	ok(pctconf_pending_delete_has(c, "cores", &force) && force, "has: cores, forced");
	pctconf_pending_delete_add(c, "cores", false);
	is_str(pctconf_get(&c->pending, "delete"), "cores,swap", "re-adding without force clears it");
	pctconf_pending_delete_add(c, "arch", false);
	is_str(pctconf_get(&c->pending, "delete"), "arch,cores,swap", "add keeps the list sorted");
	pctconf_pending_delete_remove(c, "nothere");
	is_str(pctconf_get(&c->pending, "delete"), "arch,cores,swap", "removing an absent key: no change");
	pctconf_pending_delete_remove(c, "cores");
	is_str(pctconf_get(&c->pending, "delete"), "arch,swap", "remove");
	pctconf_pending_delete_remove(c, "arch");
	pctconf_pending_delete_remove(c, "swap");
	ok(pctconf_get(&c->pending, "delete") == NULL, "the delete key goes with the last entry");
	ok(!pctconf_pending_delete_has(c, "swap", NULL), "has: swap gone");
	is_file(c, "cores: 2\nmemory: 512\nswap: 512\n", "an emptied pending section is not written");
	pctconf_free(c);
}

static void
cleanup(void)
{
	struct pctconf *c = conf_from("#same\ncores: 2\nmemory: 512\nonboot: 0\n\n"
				      "[pve:pending]\n#same\ncores: 2\ndelete: swap,!onboot,tags,memory\n"
				      "memory: 1024\nhostname: new\n");

	ok(pctconf_cleanup_pending(c), "cleanup_pending reports a change");
	is_file(c,
		"#same\ncores: 2\nmemory: 512\nonboot: 0\n\n[pve:pending]\ndelete: memory,!onboot\n"
		"hostname: new\nmemory: 1024\n",
		"equal values and deletes of unset keys dropped, list re-printed");
	ok(!pctconf_cleanup_pending(c), "a second cleanup changes nothing");
	pctconf_free(c);

	c = conf_from("memory: 512\n\n[pve:pending]\ndelete: swap\nmemory: 512\n");
	ok(pctconf_cleanup_pending(c), "cleanup of a pending section that becomes empty");
	is_file(c, "memory: 512\n", "the empty pending section disappears");
	pctconf_free(c);
}

static void
current(void)
{
	struct pctconf *c = conf_from(
		"#old description\narch: amd64\ncores: 2\ndebug: 1\nmemory: 512\nonboot: 0\n"
		"tags: \nlxc.apparmor.profile: unconfined\n\n"
		"[pve:pending]\n#new description\ndelete: onboot,debug,tags,arch,nothere\n"
		"memory: 1024\nswap: 256\nlxc.cap.drop: \n");
	struct pctconf_section cur = { 0 };

	pctconf_current(c, &cur);
	is_str(cur.description, "new description\n", "pending description shown");
	is_str(pctconf_get(&cur, "memory"), "1024", "pending value shown");
	is_str(pctconf_get(&cur, "swap"), "256", "pending-only key shown");
	is_str(pctconf_get(&cur, "cores"), "2", "untouched key kept");
	ok(pctconf_get(&cur, "arch") == NULL, "pending delete of a Perl-true value applied");
	ok(pctconf_get(&cur, "debug") == NULL, "pending delete of debug: 1 applied");
	is_str(pctconf_get(&cur, "onboot"), "0", "onboot: 0 survives a pending delete");
	ok(pctconf_get(&cur, "tags") == NULL, "a value of a single space is Perl-true: deleted");
	is_int(cur.nlxc, 1, "pending lxc entries are not applied");
	pctconf_section_release(&cur);
	/* the main section itself is untouched */
	is_str(pctconf_get(&c->main, "memory"), "512", "pctconf_current leaves the config alone");
	pctconf_free(c);

	c = conf_from("description: 0\nmemory: 512\n\n[pve:pending]\ndelete: memory\n");
	pctconf_current(c, &cur);
	ok(pctconf_get(&cur, "memory") == NULL, "memory deleted");
	pctconf_section_release(&cur);
	pctconf_free(c);
}

static bool
is_bc2411_mac(const char *net)
{
	const char *h = strstr(net, "hwaddr=");
	struct strbuf msg = STRBUF_INIT;
	char mac[18];
	bool good;

	if (!h || strlen(h + 7) < 17)
		return false;
	memcpy(mac, h + 7, 17);
	mac[17] = '\0';
	good = !strncmp(mac, "BC:24:11:", 9) && pctconf_check_format("mac-addr", mac, &msg) == 0;
	strbuf_release(&msg);
	return good;
}

static void
macs(void)
{
	char *a = pctconf_random_mac("BC:24:11");
	char *b = pctconf_random_mac("BC:24:11");
	char *c = pctconf_random_mac("BC:24:11");
	char *l = pctconf_random_mac("bc:24:1");
	char *n = pctconf_random_mac(NULL);
	struct strbuf msg = STRBUF_INIT;
	size_t i;
	bool upper = true;

	ok(!strncmp(a, "BC:24:11:", 9) && strlen(a) == 17, "random_ether_addr with BC:24:11: %s", a);
	ok(strcmp(a, b) || strcmp(b, c), "three generated MACs are not all equal");
	ok(!strncmp(l, "BC:24:1", 7), "a lower-case partial prefix is upper-cased, char by char: %s", l);
	for (i = 0; n[i]; i++)
		if (n[i] >= 'a' && n[i] <= 'f')
			upper = false;
	ok(upper, "hex digits are upper-case: %s", n);
	ok(pctconf_check_format("mac-addr", n, &msg) == 0, "no prefix: unicast: %s", n);
	ok(strchr("26AE", n[1]) != NULL, "no prefix: locally administered, unicast: %s", n);
	strbuf_release(&msg);
	free(a);
	free(b);
	free(c);
	free(l);
	free(n);
}

static void
new_disks(void)
{
	char *st = NULL;
	double gib = 0;

	ok(pctconf_parse_new_disk("local-lvm:8", &st, &gib) && !strcmp(st, "local-lvm") && gib == 8,
	   "STORAGE:SIZE local-lvm:8");
	free(st);
	st = NULL;
	ok(pctconf_parse_new_disk("local:1.5", &st, &gib) && gib == 1.5, "local:1.5");
	free(st);
	ok(!pctconf_parse_new_disk("local:8G", NULL, NULL), "local:8G is a volume name, not a size");
	ok(!pctconf_parse_new_disk("local: 8", NULL, NULL), "local: 8 is not a new disk");
	ok(!pctconf_parse_new_disk(":8", NULL, NULL), ":8 is not a new disk");
	ok(!pctconf_parse_new_disk("a b:8", NULL, NULL), "a storage with a blank is not");
	ok(!pctconf_parse_new_disk("local:8.", NULL, NULL), "local:8. is not");
	ok(!pctconf_parse_new_disk("local:.5", NULL, NULL), "local:.5 is not");
	ok(!pctconf_parse_new_disk("local:vm-100-disk-0", NULL, NULL), "a volume id is not");
}

static void
apply_stopped(void)
{
	struct pctconf *c;
	struct pctconf_apply res = { 0 };
	const char *net;

	/* netN: canonical, type=veth, a generated hwaddr */
	c = conf_from("memory: 512\n\n[pve:pending]\nnet0: ip=dhcp,bridge=vmbr0,name=eth0\n"
		      "net1: name=eth1,hwaddr=bc:24:11:aa:bb:cc,firewall=yes,type=veth\n");
	pctconf_apply_pending(c, NULL, "BC:24:11", &res);
	net = pctconf_get(&c->main, "net0");
	ok(net && !strncmp(net, "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:", 39) &&
		   strlen(net) == strlen("name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:00,ip=dhcp,type=veth") &&
		   !strcmp(net + 47, ",ip=dhcp,type=veth"),
	   "net0 applied canonically: %s", net ? net : "(null)");
	ok(net && is_bc2411_mac(net), "net0: generated MAC has the BC:24:11 prefix and is unicast");
	is_str(pctconf_get(&c->main, "net1"), "name=eth1,firewall=1,hwaddr=bc:24:11:aa:bb:cc,type=veth",
	       "net1: an existing hwaddr is kept, booleans printed as 1");
	ok(pctconf_section_empty(&c->pending), "nothing left pending");
	is_int(res.nerrors, 0, "no errors");
	pctconf_apply_release(&res);
	pctconf_free(c);

	/* mpN STORAGE:SIZE allocates the lowest free vm-<vmid>-disk-<n> */
	c = conf_from("rootfs: local-lvm:vm-100-disk-0,size=8G\nunused0: local-lvm:vm-100-disk-1\n\n"
		      "[pve:pending]\nmp0: local-lvm:8,mp=/data,backup=1\nmp1: local:1.5,mp=/half\n"
		      "mp2: local:0.0015,mp=/tiny\n\n[snap]\nmp0: local-lvm:vm-100-disk-2,mp=/old\n");
	pctconf_apply_pending(c, NULL, "BC:24:11", &res);
	is_str(pctconf_get(&c->main, "mp0"), "local-lvm:vm-100-disk-3,mp=/data,backup=1,size=8G",
	       "mp0: disks 0-2 are taken (main, unused, snapshot): disk-3");
	is_str(pctconf_get(&c->main, "mp1"), "local:vm-100-disk-4,mp=/half,size=1536M",
	       "mp1: 1.5 GiB is printed 1536M; disk numbers are unique across storages");
	is_str(pctconf_get(&c->main, "mp2"), "local:vm-100-disk-5,mp=/tiny,size=1M",
	       "mp2: the size is whole MiB (int(SIZE * 1024))");
	pctconf_apply_release(&res);
	pctconf_free(c);

	/* rootfs is allocated and printed canonically too (§8; `mp` is never printed) */
	c = conf_from("memory: 512\n\n[pve:pending]\nrootfs: size=1G,local-lvm:4,ro=yes\n");
	pctconf_apply_pending(c, NULL, NULL, &res);
	is_str(pctconf_get(&c->main, "rootfs"), "local-lvm:vm-100-disk-0,ro=1,size=4G",
	       "rootfs: STORAGE:SIZE allocated, the new size wins, printed canonically");
	pctconf_apply_release(&res);
	pctconf_free(c);

	/* replacing a mount point: the old volume becomes unusedN */
	c = conf_from("mp0: local-lvm:vm-100-disk-1,mp=/data\nmp1: local-lvm:vm-100-disk-2,mp=/b\n"
		      "mp2: /srv/bind,mp=/c\n\n"
		      "[pve:pending]\nmp0: local-lvm:vm-100-disk-5,mp=/data\n"
		      "mp1: local-lvm:vm-100-disk-2,mp=/b,ro=1\nmp2: local-lvm:vm-100-disk-6,mp=/c\n\n"
		      "[snap]\nmp0: local-lvm:vm-100-disk-1,mp=/data\n");
	pctconf_apply_pending(c, NULL, NULL, &res);
	is_file(c,
		"mp0: local-lvm:vm-100-disk-5,mp=/data\nmp1: local-lvm:vm-100-disk-2,mp=/b,ro=1\n"
		"mp2: local-lvm:vm-100-disk-6,mp=/c\nunused0: local-lvm:vm-100-disk-1\n\n"
		"[snap]\nmp0: local-lvm:vm-100-disk-1,mp=/data\n",
		"old volume -> unused0 (also while a snapshot uses it); the same volume re-used "
		"is dropped again by the writer; a bind mount leaves nothing");
	pctconf_apply_release(&res);
	pctconf_free(c);

	/* deletes: mp volume -> unusedN, bind mp -> gone, unusedN -> destroyed */
	c = conf_from("memory: 512\nmp0: local-lvm:vm-100-disk-1,mp=/data\nmp1: /srv/x,mp=/x\n"
		      "mp2: /dev/sdb1,mp=/dev-mnt\nswap: 512\nunused3: local-lvm:vm-100-disk-8\n"
		      "unused4: local-lvm:vm-100-disk-9\n\n"
		      "[pve:pending]\ndelete: mp0,mp1,mp2,swap,unused3,unused4\n\n"
		      "[snap]\nmp0: local-lvm:vm-100-disk-9,mp=/old\n");
	pctconf_apply_pending(c, NULL, NULL, &res);
	is_file(c,
		"memory: 512\nunused0: local-lvm:vm-100-disk-1\n\n"
		"[snap]\nmp0: local-lvm:vm-100-disk-9,mp=/old\n",
		"deletes applied: mp0's volume is unused0, bind and device mounts vanish");
	ok(res.ndestroy == 1 && !strcmp(res.destroy[0], "local-lvm:vm-100-disk-8"),
	   "unused3 is destroyed; unused4 is not (a snapshot still uses it)");
	pctconf_apply_release(&res);
	pctconf_free(c);

	/* a selection applies only the keys given; errors keep the key pending */
	{
		static const char *const sel[] = { "memory", "net0", "swap", NULL };

		c = conf_from("cores: 1\nmemory: 512\nswap: 512\n\n[pve:pending]\n"
			      "#desc\ncores: 4\ndelete: swap\nmemory: 1024\nnet0: name=eth0,ip=bad\n");
		pctconf_apply_pending(c, sel, "BC:24:11", &res);
		is_file(c,
			"cores: 1\nmemory: 1024\n\n[pve:pending]\n#desc\ncores: 4\n"
			"net0: name=eth0,ip=bad\n",
			"selection: memory and the swap delete applied; cores and the description stay");
		is_int(res.nerrors, 1, "one error");
		if (res.nerrors)
			is_str(res.errors[0].msg,
			       "unable to apply pending change net0 : format error\nip: invalid format - "
			       "value does not look like a valid ipv4 network configuration\n\n",
			       "the error names the key, with Proxmox's ' : '");
		pctconf_apply_release(&res);
		pctconf_free(c);
	}

	/* everything (keys == NULL, as at start): description and env too */
	c = conf_from("#old\nmemory: 512\n\n[pve:pending]\n#new\nlxc.environment.runtime: A=1\n");
	pctconf_apply_pending(c, NULL, NULL, &res);
	is_file(c, "#new\nmemory: 512\nlxc.environment.runtime: A=1\n",
		"pending description and env applied");
	pctconf_apply_release(&res);
	pctconf_free(c);
}

static bool
live_memory(const char *key, bool del, void *ctx)
{
	(void)ctx;
	if (!strcmp(key, "memory") || !strcmp(key, "swap"))
		return true;
	/* Proxmox: only ^net(\d)$ deletes are hot-unplugged */
	if (del && !strncmp(key, "net", 3) && key[3] >= '0' && key[3] <= '9' && !key[4])
		return true;
	return del && !strncmp(key, "unused", 6);
}

static void
hotplug(void)
{
	static const char *const fast[] = { "description", "onboot", "startup", "protection",
					    "hostname", "hookscript", "cores", "tags", "lock" };
	static const char *const slow[] = { "arch", "ostype", "rootfs", "features", "nameserver",
					    "searchdomain", "timezone", "tty", "console", "cmode",
					    "entrypoint", "env", "debug", "template", "memory",
					    "mp0", "net0", "dev0" };
	struct pctconf *c;
	struct pctconf_apply res = { 0 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fast); i++)
		ok(pctconf_is_fastplug(fast[i]), "%s is fast-pluggable", fast[i]);
	for (i = 0; i < ARRAY_SIZE(slow); i++)
		ok(!pctconf_is_fastplug(slow[i]), "%s is not fast-pluggable", slow[i]);

	c = conf_from("arch: amd64\ncores: 1\nhostname: a\nmemory: 512\n"
		      "net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,type=veth\n"
		      "net10: name=eth10,bridge=vmbr0,hwaddr=BC:24:11:00:00:02,type=veth\n"
		      "onboot: 1\nunused0: local:vm-100-disk-7\n\n"
		      "[pve:pending]\n#running\narch: arm64\ncores: 2\n"
		      "delete: net0,net10,onboot,unused0\nhostname: b\nmemory: 1024\n"
		      "ostype: alpine\n");
	pctconf_hotplug_pending(c, NULL, live_memory, NULL, "BC:24:11", &res);
	is_file(c,
		"#running\narch: amd64\ncores: 2\nhostname: b\nmemory: 1024\n"
		"net10: name=eth10,bridge=vmbr0,hwaddr=BC:24:11:00:00:02,type=veth\n\n"
		"[pve:pending]\narch: arm64\ndelete: net10\nostype: alpine\n",
		"fast-plug keys and live keys applied; net10's delete and the rest stay pending");
	ok(res.ndestroy == 1 && !strcmp(res.destroy[0], "local:vm-100-disk-7"),
	   "a hot-unplugged unusedN is destroyed");
	pctconf_apply_release(&res);
	pctconf_free(c);

	/* without a live callback only the fast-plug keys move */
	c = conf_from("memory: 512\n\n[pve:pending]\nmemory: 1024\ntags: a;b\n");
	pctconf_hotplug_pending(c, NULL, NULL, NULL, NULL, &res);
	is_file(c, "memory: 512\ntags: a;b\n\n[pve:pending]\nmemory: 1024\n",
		"no live callback: memory stays pending");
	pctconf_apply_release(&res);
	pctconf_free(c);
}

static void
api_values(void)
{
	static const struct {
		const char *key, *in, *out;
	} cases[] = {
		{ "tags", "Web,db;web  Alpha", "alpha;db;web" },
		{ "tags", "", "" },
		{ "tags", "b;A;a", "a;b" },
		{ "nameserver", "1.1.1.1,8.8.8.8;9.9.9.9", "1.1.1.1 8.8.8.8 9.9.9.9" },
		{ "searchdomain", " example.com,,corp.example.com ", "example.com corp.example.com" },
		{ "cpuunits", "20000", "10000" },
		{ "cpuunits", "10000", "10000" },
		{ "cpuunits", "100", "100" },
		{ "memory", "0512", "0512" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *v = pctconf_normalize_api_value(cases[i].key, cases[i].in);

		is_str(v, cases[i].out, "pct set stores %s '%s' as '%s'", cases[i].key, cases[i].in,
		       cases[i].out);
		free(v);
	}
}

static void
unused_slots(void)
{
	struct pctconf_section s = { 0 };
	char name[16];
	int i;

	is_int(pctconf_add_unused(&s, "local:a"), 0, "first unused volume: unused0");
	is_int(pctconf_add_unused(&s, "local:b"), 1, "second: unused1");
	is_int(pctconf_add_unused(&s, "local:a"), 0, "no duplicates: local:a stays unused0");
	pctconf_unset(&s, "unused0");
	pctconf_set(&s, "unused5", "local:c");
	is_int(pctconf_add_unused(&s, "local:d"), 0, "the lowest free index is taken");
	for (i = 0; i < 256; i++) {
		snprintf(name, sizeof(name), "unused%d", i);
		pctconf_set(&s, name, "local:x");
	}
	is_int(pctconf_add_unused(&s, "local:new"), -1, "all 256 used: -1");
	pctconf_section_release(&s);
}

int
main(void)
{
	delete_grammar();
	add_remove();
	cleanup();
	current();
	macs();
	new_disks();
	apply_stopped();
	hotplug();
	api_values();
	unused_slots();
	return exit_status();
}

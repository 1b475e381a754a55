/*
 * The key table: a walk over every row (LXC's config_jump_table test), and a
 * per-key round trip: set -> write -> parse -> get -> compare -> delete.
 */
#include "config.h"

#include <string.h>

#include "pctconf.h"
#include "tap.h"

/* A valid value for every row, by type and format. */
static const char *
sample_value(const struct pctconf_key *k)
{
	static const struct {
		const char *key;
		const char *value;
	} samples[] = {
		{ "arch", "arm64" },
		{ "cmode", "shell" },
		{ "description", "a description" },
		{ "dev", "/dev/ttyUSB0,gid=20,mode=0660" },
		{ "entrypoint", "/usr/bin/tini -- /init" },
		{ "env", "FOO=bar" },
		{ "features", "fuse=1,nesting=1" },
		{ "hookscript", "local:snippets/hook.sh" },
		{ "hostname", "web1.example.com" },
		{ "lock", "backup" },
		{ "mp", "local-lvm:vm-100-disk-1,mp=/srv,backup=1,size=8G" },
		{ "nameserver", "1.1.1.1 2606:4700:4700::1111" },
		{ "net", "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=10.0.0.2/24,type=veth" },
		{ "ostemplate", "docker.io/library/debian:bookworm" },
		{ "ostype", "debian" },
		{ "parent", "before-upgrade" },
		{ "rootfs", "local-lvm:vm-100-disk-0,size=8G" },
		{ "searchdomain", "example.com" },
		{ "startup", "order=1,up=30,down=60" },
		{ "tags", "db;web" },
		{ "timezone", "Europe/Vienna" },
		{ "unused", "local-lvm:vm-100-disk-9" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(samples); i++)
		if (!strcmp(samples[i].key, k->name))
			return samples[i].value;
	switch (k->type) {
	case PCTCONF_BOOL:
		return "1";
	case PCTCONF_INT:
	case PCTCONF_NUM:
		return (k->flags & PCTCONF_HAS_MIN) && k->min > 2 ? "64" : "2";
	default:
		return NULL;
	}
}

static void
walk_table(void)
{
	const struct pctconf_key *k, *prev = NULL;
	size_t n = 0;

	for (k = pctconf_keys; k->name; k++, n++) {
		ok(k->help && *k->help, "%s: has help text", k->name);
		ok(k->kube_note && *k->kube_note, "%s: has a Kubernetes mapping note", k->name);
		if (prev)
			ok(strcmp(prev->name, k->name) < 0, "%s: sorted after %s", k->name, prev->name);
		if (k->flags & PCTCONF_INDEXED)
			ok(k->max_index > 0, "%s: indexed row has max_index", k->name);
		if (k->type == PCTCONF_PROPSTR) {
			const struct pctconf_prop *p;

			ok(k->props != NULL, "%s: property string row has sub-keys", k->name);
			for (p = k->props; p && p->name; p++)
				ok(p->help && *p->help, "%s.%s: has help text", k->name, p->name);
		}
		if (k->choices && k->def && strcmp(k->name, "cpuunits"))
			ok(pctconf_check_api(k->name, k->def, strlen(k->def), &(struct strbuf)STRBUF_INIT) == 0,
			   "%s: default '%s' is a valid choice", k->name, k->def);
		prev = k;
	}
	is_int(n, pctconf_nkeys, "pctconf_nkeys counts the rows");
	ok(pctconf_key_lookup("net31", NULL) != NULL, "net31 exists");
	ok(pctconf_key_lookup("net32", NULL) == NULL, "net32 does not");
	ok(pctconf_key_lookup("mp255", NULL) && pctconf_key_lookup("unused255", NULL) &&
		   pctconf_key_lookup("dev255", NULL),
	   "mp255, unused255 and dev255 exist");
	ok(!pctconf_key_lookup("mp256", NULL) && !pctconf_key_lookup("mp01", NULL) &&
		   !pctconf_key_lookup("memory1", NULL) && !pctconf_key_lookup("net", NULL),
	   "mp256, mp01, memory1 and bare net are unknown");
	ok(!pctconf_key_lookup("vmstate", NULL) && !pctconf_key_lookup("snapstate", NULL) &&
		   !pctconf_key_lookup("digest", NULL),
	   "vmstate, snapstate and digest are not keys");
}

/* set -> write -> parse -> get -> compare -> delete -> write -> parse */
static void
round_trip(const char *key, const char *value)
{
	struct pctconf *c = pctconf_new("/x/100.conf", 100), *d;
	struct strbuf msg = STRBUF_INIT;
	struct pct_error *err = NULL;
	char *text;
	size_t len;
	const char *got;

	if (!strcmp(key, "description"))
		pctconf_set_description(&c->main, value, strlen(value));
	else if (!strcmp(key, "env"))
		pctconf_set_env(&c->main, value, strlen(value));
	else
		pctconf_set(&c->main, key, value);
	ok(pctconf_check_api(key, value, strlen(value), &msg) == 0, "%s: '%s' passes the API check%s%s",
	   key, value, msg.len ? ": " : "", msg.len ? msg.buf : "");
	text = pctconf_write(c, &len, &err);
	d = pctconf_parse("/x/100.conf", 0, text, len);
	if (!strcmp(key, "description"))
		got = d->main.description;
	else if (!strcmp(key, "env"))
		got = d->main.env;
	else
		got = pctconf_get(&d->main, key);
	if (!strcmp(key, "description")) {
		char *want = xasprintf("%s\n", value);

		is_str(got, want, "%s: round trip (a description gets its newline)", key);
		free(want);
	} else {
		is_str(got, value, "%s: round trip", key);
	}
	is_int(d->ndiags, 0, "%s: no warnings on read", key);
	free(text);
	if (!strcmp(key, "description"))
		pctconf_set_description(&d->main, NULL, 0);
	else if (!strcmp(key, "env"))
		pctconf_set_env(&d->main, NULL, 0);
	else
		pctconf_unset(&d->main, key);
	text = pctconf_write(d, &len, &err);
	is_int(len, 0, "%s: cleared, the file is empty", key);
	free(text);
	pctconf_free(c);
	pctconf_free(d);
	strbuf_release(&msg);
}

int
main(void)
{
	const struct pctconf_key *k;

	walk_table();
	for (k = pctconf_keys; k->name; k++) {
		const char *v = sample_value(k);
		char name[32];

		if (!v) {
			ok(0, "%s: no sample value in the test", k->name);
			continue;
		}
		if (k->flags & PCTCONF_INDEXED) {
			snprintf(name, sizeof(name), "%s0", k->name);
			round_trip(name, v);
			snprintf(name, sizeof(name), "%s%u", k->name, k->max_index);
			round_trip(name, v);
		} else {
			round_trip(k->name, v);
		}
	}
	return exit_status();
}

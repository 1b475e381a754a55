/*
 * libFuzzer target: property strings. Parse arbitrary text against every
 * property-string row of the key table; whatever parses must print, and the
 * printed form must parse again to the same printed form.
 *
 * Exception, as in Proxmox's print_property_string: the default key's value
 * is printed bare, so one that holds '=' ("volume=a=b" prints "a=b") reads
 * back as a key, and a blank one ("volume=\r") as an empty part; such
 * values are only checked to print.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "pctconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
bare_unsafe(const char *v)
{
	const char *p;

	if (strchr(v, '='))
		return 1;
	for (p = v; *p; p++)
		if (!pct_isspace((unsigned char)*p))
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "rootfs", "mp0", "net0", "dev0", "features", "unused0" };
	char *s = malloc(size + 1);
	size_t k;

	memcpy(s, data, size);
	s[size] = '\0';
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const struct pctconf_key *row = pctconf_key_lookup(keys[k], NULL);
		const struct pctconf_prop *def = pctconf_prop_default(row->props);
		struct pctconf_props p, q;
		struct strbuf msg = STRBUF_INIT;
		struct pct_error *err = NULL;
		const char *dv;
		char *out, *out2;
		int skip;

		if (pctconf_props_parse(row->props, s, &p, &msg, keys[k]) < 0) {
			strbuf_release(&msg);
			continue;
		}
		dv = def ? pctconf_props_get(&p, def->name) : NULL;
		skip = dv && bare_unsafe(dv);
		out = pctconf_props_print(&p, NULL, &err);
		pctconf_props_release(&p);
		if (!out || skip) {
			free(out);
			pct_error_free(&err);
			strbuf_release(&msg);
			continue;
		}
		if (pctconf_props_parse(row->props, out, &q, &msg, keys[k]) < 0)
			__builtin_trap();
		out2 = pctconf_props_print(&q, NULL, &err);
		pctconf_props_release(&q);
		if (!out2 || strcmp(out, out2) != 0)
			__builtin_trap();
		free(out);
		free(out2);
		strbuf_release(&msg);
	}
	free(s);
	return 0;
}

/*
 * pct lint FILE... [--kube]      (Corral extension)
 *
 * Apply Proxmox's API-level validation (enum, range, pattern, length,
 * formats, property strings) to every key of every section and print
 * "FILE:LINE: key: message" for each problem, parse-time problems included.
 * Exit 1 when any file has an error. With --kube, also say for every key
 * whether it maps to Kubernetes, maps with a caveat, or does not apply.
 */
#include "config.h"

#include <string.h>

#include "pct.h"


static size_t
utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

static void
report(const char *path, unsigned line, const char *key, const char *msg, size_t *errors)
{
	_cleanup_free_ char *flat = pct_flatten(msg);

	printf("%s:%u: %s: %s\n", path, line, key, flat);
	(*errors)++;
}

static void
lint_section(const char *path, const struct pctconf_section *s, bool pending, size_t *errors)
{
	size_t i;

	for (i = 0; i < s->nvals; i++) {
		const struct pctconf_val *v = &s->vals[i];
		struct strbuf msg = STRBUF_INIT;

		if (!strcmp(v->key, "delete") && pending) {
			struct pctconf_pdel *d;
			size_t n = pctconf_pdel_parse(v->value, &d), j;

			for (j = 0; j < n; j++)
				if (!pctconf_key_lookup(d[j].key, NULL) &&
				    strcmp(d[j].key, "description") != 0)
					report(path, v->line, "delete",
					       "unknown option in pending delete list", errors);
			pctconf_pdel_free(d, n);
			continue;
		}
		if (!pctconf_key_lookup(v->key, NULL))
			continue; /* unknown keys were reported by the parser */
		if (pctconf_check_api(v->key, v->value, v->len, &msg) < 0)
			report(path, v->line, v->key, msg.buf, errors);
		strbuf_release(&msg);
	}
	if (s->env && pctconf_pat_env(s->env, s->env_len) < 0)
		report(path, s->env_line, "env", "value does not match the regex pattern", errors);
	if (s->description && utf8_chars(s->description, s->desc_len) > 8192)
		report(path, s->desc_line, "description", "value may only be 8192 characters long",
		       errors);
}

static const char *
kube_word(enum pctconf_kube k)
{
	switch (k) {
	case PCTCONF_KUBE_MAPS:
		return "maps";
	case PCTCONF_KUBE_CAVEAT:
		return "maps with a caveat";
	case PCTCONF_KUBE_NA:
		return "not applicable";
	}
	return "not applicable";
}

static void
kube_key(const char *path, unsigned line, const char *key)
{
	const struct pctconf_key *row = pctconf_key_lookup(key, NULL);

	if (!strcmp(key, "snapstate") || !strcmp(key, "delete")) {
		printf("%s:%u: %s: not applicable: bookkeeping in the file\n", path, line, key);
		return;
	}
	if (!row) {
		printf("%s:%u: %s: not applicable: unknown key, kept in the file\n", path, line, key);
		return;
	}
	printf("%s:%u: %s: %s: %s\n", path, line, key, kube_word(row->kube), row->kube_note);
}

static void
kube_lxc(const char *path, const struct pctconf_lxc *l)
{
	static const struct {
		const char *key;
		const char *note;
	} mapped[] = {
		{ "lxc.init.cwd", "container workingDir" },
		{ "lxc.init.uid", "securityContext.runAsUser" },
		{ "lxc.init.gid", "securityContext.runAsGroup" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mapped); i++) {
		if (!strcmp(l->key, mapped[i].key)) {
			printf("%s:%u: %s: maps: %s\n", path, l->line, l->key, mapped[i].note);
			return;
		}
	}
	printf("%s:%u: %s: not applicable: raw LXC keys have no pod equivalent\n", path, l->line,
	       l->key);
}

static void
kube_section(const char *path, const struct pctconf_section *s)
{
	size_t i;

	if (s->description)
		kube_key(path, s->desc_line, "description");
	for (i = 0; i < s->nvals; i++)
		kube_key(path, s->vals[i].line, s->vals[i].key);
	if (s->env)
		kube_key(path, s->env_line, "env");
	for (i = 0; i < s->nlxc; i++)
		kube_lxc(path, &s->lxc[i]);
}

static int
cmd_lint_exec(struct pct_args *args, struct pct_error **err)
{
	bool kube = pct_args_bool(args, "kube", false);
	size_t f, errors = 0;

	(void)err;
	for (f = 0; f < args->nextra; f++) {
		const char *path = args->extra[f];
		_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
		_cleanup_error_ struct pct_error *lerr = NULL;
		size_t i;

		if (pctconf_load_file(path, 0, &conf, &lerr) < 0) {
			printf("%s: %s\n", path, lerr->msg);
			errors++;
			continue;
		}
		for (i = 0; i < conf->ndiags; i++) {
			pct_print_diag(stdout, path, &conf->diags[i], true);
			if (conf->diags[i].level == PCTCONF_ERROR)
				errors++;
		}
		lint_section(path, &conf->main, false, &errors);
		lint_section(path, &conf->pending, true, &errors);
		for (i = 0; i < conf->nsnaps; i++)
			lint_section(path, conf->snaps[i], false, &errors);
		if (kube)
			kube_section(path, &conf->main);
	}
	if (!args->nextra) {
		fprintf(stderr, "400 not enough arguments\npct lint <file>... [OPTIONS]\n");
		return 255;
	}
	return errors ? 1 : 0;
}

static const char *const lint_args[] = { "extra-args", NULL };
static const struct pctconf_prop lint_opts[] = {
	{ .name = "kube", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Also say for every key how it maps onto Kubernetes." },
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_lint = {
	.name = "lint",
	.args = lint_args,
	.opts = lint_opts,
	.flags = PCT_CMD_EXTENSION,
	.help = "Validate config files as Proxmox's API does (Corral extension).",
	.exec = cmd_lint_exec,
};

/*
 * pct main: the command table, Proxmox-compatible argument parsing
 * (Getopt::Long as PVE::JSONSchema::get_options configures it), parameter
 * validation against the key table, help, and the one place where errors
 * are printed and exit codes chosen.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>

#include "pct.h"
#include "settings.h"

const struct pct_cmd *const pct_cmds[] = {
	&pct_cmd_clone,
	&pct_cmd_config,
	&pct_cmd_console,
	&pct_cmd_create,
	&pct_cmd_delsnapshot,
	&pct_cmd_destroy,
	&pct_cmd_enter,
	&pct_cmd_exec,
	&pct_cmd_fmt,
	&pct_cmd_help,
	&pct_cmd_lint,
	&pct_cmd_list,
	&pct_cmd_listsnapshot,
	&pct_cmd_pending,
	&pct_cmd_pull,
	&pct_cmd_push,
	&pct_cmd_reboot,
	&pct_cmd_rescan,
	&pct_cmd_resize,
	&pct_cmd_rollback,
	&pct_cmd_set,
	&pct_cmd_shutdown,
	&pct_cmd_snapshot,
	&pct_cmd_start,
	&pct_cmd_status,
	&pct_cmd_stop,
	&pct_cmd_template,
	&pct_cmd_unlock,
	NULL,
};

static const char *const output_format_choices[] = { "text", "json", "json-pretty", "yaml", NULL };

static const struct pctconf_prop prop_output_format = {
	.name = "output-format", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,
	.choices = output_format_choices, .def = "text",
	.help = "Output format (Corral extension for scripts and Ansible).",
};

/* ---- small helpers shared by the commands ---- */

void
pct_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *
pct_args_get(const struct pct_args *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].name, name))
			return a->v[i].value;
	return NULL;
}

bool
pct_args_bool(const struct pct_args *a, const char *name, bool def)
{
	const char *v = pct_args_get(a, name);

	return v ? !strcmp(v, "1") : def;
}

bool
pct_args_has_keys(const struct pct_args *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].is_key)
			return true;
	return false;
}

void
pct_param_error_add(struct pct_param_errors *pe, const char *key, const char *fmt, ...)
{
	va_list ap;

	strbuf_addf(&pe->text, "%s: ", key);
	va_start(ap, fmt);
	strbuf_vaddf(&pe->text, fmt, ap);
	va_end(ap);
	strbuf_addch(&pe->text, '\n');
	pe->n++;
}

int
pct_param_error_raise(struct pct_param_errors *pe, struct pct_error **err)
{
	pct_error_set(err, PCT_E_USAGE, "400 Parameter verification failed.\n%s",
		      strbuf_str(&pe->text));
	strbuf_release(&pe->text);
	pe->n = 0;
	return -1;
}

static void
lock_waiting(void)
{
	fputs("trying to acquire lock...\n", stderr);
}

/* Proxmox waits 10 s for a CT's lock; CORRAL_LOCK_TIMEOUT (seconds) changes that. */
static double
lock_timeout(void)
{
	const char *v = getenv("CORRAL_LOCK_TIMEOUT");
	char *end;
	double t;

	if (!v || !*v)
		return 10.0;
	t = strtod(v, &end);
	return *end || !(t > 0) || t > 86400 ? 10.0 : t;
}

int
pct_lock(unsigned vmid, struct pctconf_lock *lk, struct pct_error **err)
{
	return pctconf_lock(vmid, PCTCONF_LOCK_EX, lock_timeout(), lock_waiting, lk, err);
}

int
pct_load(unsigned vmid, struct pctconf **out, struct pct_error **err)
{
	int ret;

	ret = pctconf_load(NULL, vmid, out, err);
	if (ret < 0)
		return ret;
	pct_warn_parse(*out);
	return 0;
}

int
pct_save(struct pctconf *conf, struct pct_error **err)
{
	_cleanup_free_ char *path = pctconf_path(NULL, conf->vmid);

	return pctconf_save(conf, path, err);
}

static struct corral_settings *settings;

int
pct_settings(const struct corral_settings **out, struct pct_error **err)
{
	if (!settings && corral_settings_load(NULL, &settings, err) < 0)
		return -1;
	*out = settings;
	return 0;
}

/* ---- option tables ---- */

struct optdef {
	char *name; /* "memory", "net3" */
	const struct pctconf_prop *prop; /* command option or positional */
	const struct pctconf_key *key;	 /* config key */
};

struct optset {
	struct optdef *v;
	size_t n, alloc;
	struct pctconf_prop *keyprops; /* BOOL/list info for config keys */
};

static bool
prop_is_list(const struct pctconf_prop *p)
{
	return p->format && str_has_suffix(p->format, "-list");
}

static bool
key_is_list(const struct pctconf_key *k)
{
	return k->format && str_has_suffix(k->format, "-list");
}

static void
optset_add(struct optset *os, const char *name, const struct pctconf_prop *prop,
	   const struct pctconf_key *key)
{
	os->v = xgrow(os->v, os->n + 1, &os->alloc, sizeof(*os->v));
	os->v[os->n].name = xstrdup(name);
	os->v[os->n].prop = prop;
	os->v[os->n].key = key;
	os->n++;
}

static int
cmp_optdef(const void *a, const void *b)
{
	return strcmp(((const struct optdef *)a)->name, ((const struct optdef *)b)->name);
}

static void
optset_build(const struct pct_cmd *cmd, struct optset *os)
{
	const struct pctconf_prop *p;
	const struct pctconf_key *k;

	for (p = cmd->opts; p && p->name; p++)
		optset_add(os, p->name, p, NULL);
	if (cmd->flags & PCT_CMD_OUTPUT_FORMAT)
		optset_add(os, prop_output_format.name, &prop_output_format, NULL);
	if (cmd->flags & PCT_CMD_KEY_OPTS) {
		for (k = pctconf_keys; k->name; k++) {
			if (k->flags & PCTCONF_INTERNAL)
				continue;
			if (pctconf_prop_lookup(cmd->opts, k->name))
				continue;
			if (k->flags & PCTCONF_INDEXED) {
				unsigned i;

				for (i = 0; i <= k->max_index; i++) {
					char name[32];

					snprintf(name, sizeof(name), "%s%u", k->name, i);
					optset_add(os, name, NULL, k);
				}
			} else {
				optset_add(os, k->name, NULL, k);
			}
		}
	}
	qsort(os->v, os->n, sizeof(*os->v), cmp_optdef);
}

static void
optset_release(struct optset *os)
{
	size_t i;

	for (i = 0; i < os->n; i++)
		free(os->v[i].name);
	free(os->v);
}

static bool
opt_is_bool(const struct optdef *d)
{
	return d->prop ? d->prop->type == PCTCONF_BOOL : d->key->type == PCTCONF_BOOL;
}

/* Getopt's ":s": booleans and interactive options take an optional value */
static bool
opt_value_optional(const struct optdef *d)
{
	return opt_is_bool(d) || (d->prop && (d->prop->flags & PCTCONF_OPTIONAL_VALUE));
}

static bool
opt_is_list(const struct optdef *d)
{
	return d->prop ? prop_is_list(d->prop) : key_is_list(d->key);
}

/* Getopt::Long: case-insensitive, exact match first, then a unique prefix. */
static const struct optdef *
optset_find(const struct optset *os, const char *name, struct strbuf *ambiguous)
{
	const struct optdef *found = NULL;
	size_t nlen = strlen(name), i, matches = 0;

	for (i = 0; i < os->n; i++)
		if (!pct_strcasecmp(os->v[i].name, name))
			return &os->v[i];
	for (i = 0; i < os->n; i++) {
		if (strlen(os->v[i].name) >= nlen && !strncasecmp(os->v[i].name, name, nlen)) {
			if (matches)
				strbuf_addstr(ambiguous, ", ");
			strbuf_addstr(ambiguous, os->v[i].name);
			matches++;
			found = &os->v[i];
		}
	}
	if (matches == 1) {
		strbuf_reset(ambiguous);
		return found;
	}
	if (matches == 0)
		strbuf_reset(ambiguous);
	return NULL;
}

static void
args_set(struct pct_args *a, const char *name, const char *value, bool is_key, bool list)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (strcmp(a->v[i].name, name) != 0)
			continue;
		if (list) {
			char *joined = xasprintf("%s,%s", a->v[i].value, value);

			free(a->v[i].value);
			a->v[i].value = joined;
		} else {
			free(a->v[i].value);
			a->v[i].value = xstrdup(value);
		}
		return;
	}
	a->v = xgrow(a->v, a->n + 1, &a->alloc, sizeof(*a->v));
	a->v[a->n].name = xstrdup(name);
	a->v[a->n].value = xstrdup(value);
	a->v[a->n].is_key = is_key;
	a->n++;
}

static void
args_release(struct pct_args *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].value);
	}
	free(a->v);
	pctconf_strv_free(a->extra, a->nextra);
	memset(a, 0, sizeof(*a));
}

/* ---- usage and help ---- */

static size_t
nargs(const struct pct_cmd *cmd)
{
	size_t n = 0;

	while (cmd->args && cmd->args[n])
		n++;
	return n;
}

static bool
has_options(const struct pct_cmd *cmd)
{
	const struct pctconf_prop *p;

	if (cmd->flags & PCT_CMD_KEY_OPTS)
		return true;
	for (p = cmd->opts; p && p->name; p++) {
		size_t i;
		bool positional = false;

		for (i = 0; cmd->args && cmd->args[i]; i++)
			if (!strcmp(cmd->args[i], p->name))
				positional = true;
		if (!positional && !(p->flags & PCTCONF_EXTENSION))
			return true;
	}
	return false;
}

static const struct pctconf_prop *
arg_prop(const struct pct_cmd *cmd, const char *name)
{
	const struct pctconf_prop *p = pctconf_prop_lookup(cmd->opts, name);

	return p;
}

/* getopt_usage, short form: "pct set <vmid> [OPTIONS]" */
static void
usage_line(const struct pct_cmd *cmd, struct strbuf *out)
{
	size_t i;

	strbuf_addf(out, "pct %s", cmd->name);
	if (!nargs(cmd))
		strbuf_addch(out, ' ');
	for (i = 0; cmd->args && cmd->args[i]; i++) {
		const struct pctconf_prop *p = arg_prop(cmd, cmd->args[i]);
		bool optional = !strcmp(cmd->args[i], "extra-args") ||
				(p && (p->flags & PCTCONF_OPTIONAL));

		strbuf_addf(out, optional ? " [<%s>]" : " <%s>", cmd->args[i]);
	}
	if (has_options(cmd))
		strbuf_addstr(out, " [OPTIONS]");
	strbuf_addch(out, '\n');
}

static void
typetext(const struct pctconf_prop *p, const struct pctconf_key *k, struct strbuf *out)
{
	enum pctconf_type type = p ? p->type : k->type;
	const char *const *choices = p ? p->choices : k->choices;
	const char *tt = p ? p->typetext : k->typetext;
	unsigned flags = p ? p->flags : k->flags;
	double min = p ? p->min : k->min, max = p ? p->max : k->max;

	if (tt) {
		strbuf_addf(out, "<%s>", tt);
		return;
	}
	if (choices) {
		const char **sorted;
		size_t n = 0, i, j;

		while (choices[n])
			n++;
		sorted = xmalloc(n * sizeof(*sorted));
		memcpy(sorted, choices, n * sizeof(*sorted));
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && strcmp(sorted[j - 1], sorted[j]) > 0; j--) {
				const char *t = sorted[j];

				sorted[j] = sorted[j - 1];
				sorted[j - 1] = t;
			}
		strbuf_addch(out, '<');
		for (i = 0; i < n; i++)
			strbuf_addf(out, "%s%s", i ? " | " : "", sorted[i]);
		strbuf_addch(out, '>');
		free(sorted);
		return;
	}
	if (k && k->props) {
		const struct pctconf_prop *sp, *def = pctconf_prop_default(k->props);
		bool first = true;
		int pass;

		/* default key, required keys, the rest */
		for (pass = 0; pass < 3; pass++) {
			for (sp = k->props; sp->name; sp++) {
				bool isdef = sp == def, req = !(sp->flags & PCTCONF_OPTIONAL) && !isdef;
				struct strbuf t = STRBUF_INIT;

				if ((pass == 0) != isdef || (pass == 1 && !req) || (pass == 2 && (req || isdef)))
					continue;
				if (sp->typetext)
					strbuf_addf(&t, "<%s>", sp->typetext);
				else if (sp->type == PCTCONF_BOOL)
					strbuf_addstr(&t, "<1|0>");
				else if (sp->choices)
					strbuf_addf(&t, "<%s>", sp->choices[0]);
				else
					strbuf_addf(&t, "<%s>", pctconf_type_name(sp->type));
				if (isdef)
					strbuf_addf(out, "[%s=]%s", sp->name, t.buf);
				else if (req)
					strbuf_addf(out, "%s,%s=%s", first ? "" : " ", sp->name, t.buf);
				else
					strbuf_addf(out, "%s[,%s=%s]", first ? "" : " ", sp->name, t.buf);
				first = false;
				strbuf_release(&t);
			}
		}
		return;
	}
	strbuf_addf(out, "<%s>", pctconf_type_name(type));
	if ((type == PCTCONF_INT || type == PCTCONF_NUM) && (flags & PCTCONF_HAS_MIN)) {
		if (flags & PCTCONF_HAS_MAX)
			strbuf_addf(out, " (%.15g - %.15g)", min, max);
		else
			strbuf_addf(out, " (%.15g - N)", min);
	}
}

static void
help_prop(const char *display, const struct pctconf_prop *p, const struct pctconf_key *k,
	  struct strbuf *out)
{
	struct strbuf tt = STRBUF_INIT;
	const char *def = p ? p->def : k->def;
	const char *help = p ? p->help : k->help;

	typetext(p, k, &tt);
	strbuf_addf(out, "  %-10s %s", display, tt.buf);
	if (def)
		strbuf_addf(out, "   (default=%s)", def);
	strbuf_addch(out, '\n');
	if (help)
		strbuf_addf(out, "             %s\n", help);
	strbuf_addch(out, '\n');
	strbuf_release(&tt);
}

static void
help_verbose(const struct pct_cmd *cmd, struct strbuf *out)
{
	struct optset os = { 0 };
	size_t i, j;
	const char *last_indexed = NULL;

	strbuf_addstr(out, "USAGE: ");
	usage_line(cmd, out);
	if (cmd->help)
		strbuf_addf(out, "\n  %s\n", cmd->help);
	strbuf_addch(out, '\n');
	for (i = 0; cmd->args && cmd->args[i]; i++) {
		const struct pctconf_prop *p = arg_prop(cmd, cmd->args[i]);
		char display[64];

		snprintf(display, sizeof(display), "<%s>", cmd->args[i]);
		if (p)
			help_prop(display, p, NULL, out);
		else
			strbuf_addf(out, "  %-10s <array>\n             Extra arguments as array\n\n",
				    display);
	}
	optset_build(cmd, &os);
	for (i = 0; i < os.n; i++) {
		const struct optdef *d = &os.v[i];
		char display[64];
		bool positional = false;

		for (j = 0; cmd->args && cmd->args[j]; j++)
			if (!strcmp(cmd->args[j], d->name))
				positional = true;
		if (positional)
			continue;
		if (d->key && (d->key->flags & PCTCONF_INDEXED)) {
			/* one entry for net0..net31: "-net[n]" */
			if (last_indexed == d->key->name)
				continue;
			last_indexed = d->key->name;
			snprintf(display, sizeof(display), "-%s[n]", d->key->name);
		} else {
			snprintf(display, sizeof(display), "-%s", d->name);
		}
		help_prop(display, d->prop, d->key, out);
	}
	optset_release(&os);
}

static void
usage_all(FILE *f)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf_addstr(&sb, "USAGE: pct <COMMAND> [ARGS] [OPTIONS]\n\n");
	for (i = 0; pct_cmds[i]; i++) {
		strbuf_addstr(&sb, "       ");
		usage_line(pct_cmds[i], &sb);
	}
	fputs(sb.buf, f);
	strbuf_release(&sb);
}

static const struct pct_cmd *
find_cmd(const char *name, bool *incomplete)
{
	const struct pct_cmd *found = NULL;
	size_t i, n = strlen(name), matches = 0;

	*incomplete = false;
	if (!strcmp(name, "move_volume"))
		name = "move-volume";
	for (i = 0; pct_cmds[i]; i++)
		if (!strcmp(pct_cmds[i]->name, name))
			return pct_cmds[i];
	for (i = 0; pct_cmds[i]; i++) {
		if (!strncmp(pct_cmds[i]->name, name, n)) {
			found = pct_cmds[i];
			matches++;
		}
	}
	if (matches == 1)
		return found;
	*incomplete = matches > 1;
	return NULL;
}

/* pct help [CMD] [--verbose] */
static int
cmd_help_exec(struct pct_args *args, struct pct_error **err)
{
	const char *verbose = pct_args_get(args, "verbose");
	struct strbuf out = STRBUF_INIT;
	size_t i;

	if (args->nextra) {
		bool incomplete;
		const struct pct_cmd *cmd = find_cmd(args->extra[0], &incomplete);

		if (!cmd) {
			fprintf(stderr, "ERROR: unknown command '%s'\n", args->extra[0]);
			usage_all(stderr);
			return pct_error_set(err, PCT_E_USAGE, "%s", "");
		}
		if (verbose && !strcmp(verbose, "1")) {
			help_verbose(cmd, &out);
		} else {
			strbuf_addstr(&out, "USAGE: ");
			usage_line(cmd, &out);
			strbuf_addch(&out, '\n');
		}
	} else if (verbose && !strcmp(verbose, "0")) {
		strbuf_addstr(&out, "USAGE: ");
		for (i = 0; pct_cmds[i]; i++) {
			if (i)
				strbuf_addstr(&out, "       ");
			usage_line(pct_cmds[i], &out);
		}
	} else {
		/* as Proxmox: without a command, the full help of every command */
		for (i = 0; pct_cmds[i]; i++)
			help_verbose(pct_cmds[i], &out);
	}
	fputs(out.buf, stdout);
	strbuf_release(&out);
	return 0;
}

static const char *const help_args[] = { "extra-args", NULL };
static const struct pctconf_prop help_opts[] = {
	{ .name = "verbose", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,
	  .help = "Verbose output format." },
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_help = {
	.name = "help",
	.args = help_args,
	.opts = help_opts,
	.help = "Get help about specified command.",
	.exec = cmd_help_exec,
};

/* ---- argument parsing ---- */

static int
usage_error(const struct pct_cmd *cmd, struct pct_error **err, const char *fmt, ...)
	_printf_(3, 4);

static int
usage_error(const struct pct_cmd *cmd, struct pct_error **err, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	(void)cmd;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	pct_error_set(err, PCT_E_USAGE, "%s", sb.buf);
	strbuf_release(&sb);
	return -1;
}

static bool
looks_like_option(const char *a)
{
	return a[0] == '-' && a[1] != '\0';
}

static int
parse_args(const struct pct_cmd *cmd, int argc, char **argv, struct pct_args *out,
	   struct pct_error **err)
{
	struct optset os = { 0 };
	char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	size_t npos = 0, i, na = nargs(cmd);
	bool getopt_failed = false, options_done = false;
	struct pct_param_errors pe = { STRBUF_INIT, 0 };
	int ret = -1;

	optset_build(cmd, &os);
	for (i = 0; i < (size_t)argc; i++) {
		const char *a = argv[i];
		const struct optdef *d;
		struct strbuf amb = STRBUF_INIT;
		_cleanup_free_ char *name = NULL;
		const char *value = NULL, *eq;

		if (options_done || !looks_like_option(a)) {
			pos[npos++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			options_done = true;
			continue;
		}
		if (a[1] == '-' && a[2] == '-') {
			fprintf(stderr, "Unknown option: %s\n", a + 2);
			getopt_failed = true;
			continue;
		}
		a += a[1] == '-' ? 2 : 1;
		eq = strchr(a, '=');
		name = eq ? xstrndup(a, (size_t)(eq - a)) : xstrdup(a);
		d = optset_find(&os, name, &amb);
		if (!d) {
			_cleanup_free_ char *lower = xstrdup(name);
			char *c;

			for (c = lower; *c; c++)
				*c = (char)pct_tolower((unsigned char)*c);
			if (amb.len)
				fprintf(stderr, "Option %s is ambiguous (%s)\n", lower, amb.buf);
			else
				fprintf(stderr, "Unknown option: %s\n", lower);
			strbuf_release(&amb);
			getopt_failed = true;
			continue;
		}
		strbuf_release(&amb);
		if (opt_value_optional(d)) {
			/* Getopt's ":s" takes the next word unless it looks like an
			 * option; Corral's own commands only take a boolean word, so
			 * that "pct fmt --check FILE" works as one expects */
			if (eq)
				value = eq + 1;
			else if (i + 1 < (size_t)argc && !looks_like_option(argv[i + 1]) &&
				 (!(cmd->flags & PCT_CMD_EXTENSION) ||
				  pctconf_parse_boolean(argv[i + 1])))
				value = argv[++i];
			else
				value = "";
		} else {
			if (eq && eq[1])
				value = eq + 1;
			else if (!eq && i + 1 < (size_t)argc)
				value = argv[++i];
			if (!value) {
				fprintf(stderr, "Option %s requires an argument\n", d->name);
				getopt_failed = true;
				continue;
			}
		}
		args_set(out, d->name, value, d->key != NULL, opt_is_list(d));
	}
	if (getopt_failed) {
		usage_error(cmd, err, "400 unable to parse option\n");
		goto out;
	}
	/* positionals */
	{
		size_t p = 0;

		for (i = 0; i < na; i++) {
			const char *an = cmd->args[i];

			if (!strcmp(an, "extra-args")) {
				out->extra = xcalloc(npos - p + 1, sizeof(char *));
				for (; p < npos; p++)
					out->extra[out->nextra++] = xstrdup(pos[p]);
				continue;
			}
			if (p < npos) {
				args_set(out, an, pos[p++], false, false);
			} else {
				const struct pctconf_prop *ap = arg_prop(cmd, an);

				if (!ap || !(ap->flags & PCTCONF_OPTIONAL)) {
					usage_error(cmd, err, "400 not enough arguments\n");
					goto out;
				}
			}
		}
		if (p < npos) {
			usage_error(cmd, err, "400 too many arguments\n");
			goto out;
		}
	}
	/* booleans: "" is 1; 1|on|yes|true|0|off|no|false */
	for (i = 0; i < out->n; i++) {
		struct strbuf amb = STRBUF_INIT;
		const struct optdef *d = optset_find(&os, out->v[i].name, &amb);
		const char *b;

		strbuf_release(&amb);
		if (!d || !opt_is_bool(d))
			continue;
		b = out->v[i].value[0] ? pctconf_parse_boolean(out->v[i].value) : "1";
		if (!b) {
			usage_error(cmd, err, "400 unable to parse boolean option\n");
			goto out;
		}
		free(out->v[i].value);
		out->v[i].value = xstrdup(b);
	}
	/* schema validation of every parameter */
	for (i = 0; i < out->n; i++) {
		struct strbuf amb = STRBUF_INIT, msg = STRBUF_INIT;
		const struct optdef *d = optset_find(&os, out->v[i].name, &amb);
		int r;

		strbuf_release(&amb);
		if (!d)
			continue;
		if (d->prop)
			r = pctconf_check_prop(d->prop, out->v[i].value, &msg);
		else if (cmd->flags & PCT_CMD_NO_VALIDATE)
			r = 0;
		else
			r = pctconf_check_api(out->v[i].name, out->v[i].value,
					      strlen(out->v[i].value), &msg);
		if (r < 0)
			pct_param_error_add(&pe, out->v[i].name, "%s", msg.buf);
		strbuf_release(&msg);
	}
	if (pe.n) {
		pct_param_error_raise(&pe, err);
		goto out;
	}
	{
		const char *vmid = pct_args_get(out, "vmid");
		const char *fmt = pct_args_get(out, "output-format");

		if (vmid)
			out->vmid = (unsigned)strtoul(vmid, NULL, 10);
		if (fmt)
			out->format = !strcmp(fmt, "json")	  ? PCT_OUT_JSON
				      : !strcmp(fmt, "json-pretty") ? PCT_OUT_JSON_PRETTY
				      : !strcmp(fmt, "yaml")	  ? PCT_OUT_YAML
								  : PCT_OUT_TEXT;
	}
	ret = 0;
out:
	strbuf_release(&pe.text);
	optset_release(&os);
	free(pos);
	return ret;
}

/*
 * The command line (without argv[0]) to a command and its parsed, validated
 * arguments; what main() does before running the command. On failure *cmd
 * is the command when one was found (for its usage line) and *err says why.
 */
int
pct_parse_cmdline(int argc, char **argv, const struct pct_cmd **cmd, struct pct_args *args,
		  struct pct_error **err)
{
	bool incomplete;

	*cmd = NULL;
	if (argc < 1)
		return pct_error_set(err, PCT_E_USAGE, "ERROR: no command specified");
	*cmd = find_cmd(argv[0], &incomplete);
	if (!*cmd)
		return pct_error_set(err, PCT_E_USAGE, "ERROR: %s command 'pct %s'",
				     incomplete ? "incomplete" : "unknown", argv[0]);
	return parse_args(*cmd, argc - 1, argv + 1, args, err);
}

void
pct_args_release(struct pct_args *args)
{
	args_release(args);
}

/* ---- main ---- */
#ifndef PCT_NO_MAIN

static void
on_signal(int sig)
{
	pctconf_tempfile_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

int
main(int argc, char **argv)
{
	_cleanup_error_ struct pct_error *err = NULL;
	struct pct_args args = { 0 };
	const struct pct_cmd *cmd;
	int ret;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);

	ret = pct_parse_cmdline(argc - 1, argv + 1, &cmd, &args, &err);
	if (ret < 0 && !cmd) {
		fprintf(stderr, "%s\n", err->msg);
		usage_all(stderr);
		return 255;
	}
	if (ret == 0)
		ret = cmd->exec(&args, &err);
	args_release(&args);
	corral_settings_free(settings);
	settings = NULL;
	fflush(stdout);
	if (ret >= 0 && !err)
		return ret;
	if (err) {
		if (err->code == PCT_E_USAGE) {
			struct strbuf u = STRBUF_INIT;

			if (err->msg[0]) {
				usage_line(cmd, &u);
				fprintf(stderr, "%s%s", err->msg, u.buf);
			}
			strbuf_release(&u);
		} else {
			size_t n = strlen(err->msg);

			fprintf(stderr, "%s%s", err->msg, n && err->msg[n - 1] == '\n' ? "" : "\n");
		}
	}
	return ret > 0 ? ret : 255;
}
#endif /* PCT_NO_MAIN */

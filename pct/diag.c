/*
 * Printing the problems found in a file: "FILE:LINE: message" lines, the
 * way `pct fmt` and `pct lint` report them, and the bare parser warnings
 * every command that loads a CT's config prints, as Proxmox's pct does.
 */
#include "config.h"

#include <string.h>

#include "pct.h"

/* "vm 100 - text" -> "text" */
static const char *
skip_vm_prefix(const char *msg)
{
	const char *p = msg;

	if (strncmp(p, "vm ", 3) != 0)
		return msg;
	p += 3;
	while (pct_isdigit((unsigned char)*p))
		p++;
	return strncmp(p, " - ", 3) == 0 ? p + 3 : msg;
}

void
pct_print_diag(FILE *f, const char *path, const struct pctconf_diag *d, bool lint)
{
	_cleanup_free_ char *flat = NULL;

	if (lint && d->key && d->detail) {
		flat = pct_flatten(d->detail);
		fprintf(f, "%s:%u: %s%s: %s\n", path, d->line,
			d->level == PCTCONF_WARNING ? "warning: " : "", d->key, flat);
		return;
	}
	flat = pct_flatten(lint ? skip_vm_prefix(d->msg) : d->msg);
	if (d->line)
		fprintf(f, "%s:%u: %s%s\n", path, d->line,
			lint && d->level == PCTCONF_WARNING ? "warning: " : "", flat);
	else
		fprintf(f, "%s: %s\n", path, flat);
}

/*
 * Proxmox's parse_pct_config warns (Perl's warn, so on stderr) about every
 * line it cannot take each time a command loads the config, and carries on.
 * The texts are the parser's ("vm 100 - unable to parse value of 'foo' -
 * unknown setting 'foo'"), printed as they are. Proxmox's per-process parse
 * cache keeps a file from warning again until it is written; Corral prints a
 * CT's warnings once per command, so an internal re-read stays quiet.
 */
void
pct_warn_parse(const struct pctconf *conf)
{
	static unsigned *warned;
	static size_t nwarned, awarned;
	size_t i;

	if (!conf->ndiags)
		return;
	for (i = 0; i < nwarned; i++)
		if (warned[i] == conf->vmid)
			return;
	warned = xgrow(warned, nwarned + 1, &awarned, sizeof(*warned));
	warned[nwarned++] = conf->vmid;
	fflush(stdout);
	for (i = 0; i < conf->ndiags; i++)
		fprintf(stderr, "%s\n", conf->diags[i].msg);
}

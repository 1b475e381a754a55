/*
 * libFuzzer target: the config parser and writer. Any input must parse
 * without a crash or leak, write, and the writer must be stable:
 * write(parse(write(parse(x)))) == write(parse(x)).
 *
 * One documented exception, shared with Proxmox's writer: env is written
 * as one "lxc.environment.runtime: <piece>" line per NUL-separated piece, and
 * the next read trims blanks around each piece. A piece with blanks at an
 * edge (from "env: " or a NUL byte inside a value) therefore changes once.
 * The same holds for a [pve:pending] section whose only content the writer
 * does not print: a description of empty comment lines ("#"), an empty env
 * ("lxc.environment.runtime: " with nothing after it), keys the writer skips
 * ("lxc: x", "digest: x", as Proxmox's write_pct_config does): Proxmox writes
 * the header for the non-empty hash but no line, and the next read finds the
 * section empty.
 * Such inputs must converge within two more rounds: a pending section whose
 * only key is such an env becomes an empty "[pve:pending]" header first
 * (Proxmox writes the header for a non-empty hash, then no line for the
 * empty env), and disappears the round after.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "pctconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
env_edge_blank(const struct pctconf_section *s)
{
	size_t i;

	for (i = 0; s->env && i < s->env_len; i++) {
		int start = i == 0 || s->env[i - 1] == '\0';
		int end = i + 1 == s->env_len || s->env[i + 1] == '\0';

		if ((start || end) && pct_isspace((unsigned char)s->env[i]))
			return 1;
	}
	return 0;
}

/*
 * A pending section that is not empty but of which the writer prints no line:
 * empty comment lines, an empty env, keys the writer skips as Proxmox does
 * ("lxc", "digest", ...).
 */
static int
pending_writes_nothing(const struct pctconf_section *s)
{
	struct strbuf sb = STRBUF_INIT;
	int nothing;

	if (pctconf_section_empty(s))
		return 0;
	pctconf_write_section(s, &sb);
	nothing = sb.len == 0;
	strbuf_release(&sb);
	return nothing;
}

static int
env_quirk(const struct pctconf *c)
{
	size_t i;

	if (env_edge_blank(&c->main) || env_edge_blank(&c->pending) ||
	    pending_writes_nothing(&c->pending))
		return 1;
	for (i = 0; i < c->nsnaps; i++)
		if (env_edge_blank(c->snaps[i]))
			return 1;
	return 0;
}

static char *
round_trip(const char *in, size_t len, size_t *outlen, int *quirk)
{
	struct pct_error *err = NULL;
	struct pctconf *c = pctconf_parse("/fuzz/100.conf", 0, in, len);
	char *w;

	if (quirk)
		*quirk = env_quirk(c);
	w = pctconf_write(c, outlen, &err);
	pctconf_free(c);
	pct_error_free(&err);
	return w;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t l1, l2, l3;
	char *w1, *w2, *w3;
	int quirk;

	w1 = round_trip((const char *)data, size, &l1, &quirk);
	if (!w1)
		return 0; /* a newline inside a value: Proxmox dies there too */
	w2 = round_trip(w1, l1, &l2, NULL);
	if (!w2)
		__builtin_trap();
	if (l1 != l2 || memcmp(w1, w2, l1) != 0) {
		int round;

		if (!quirk)
			__builtin_trap();
		for (round = 0; round < 2; round++) {
			w3 = round_trip(w2, l2, &l3, NULL);
			if (!w3)
				__builtin_trap();
			if (l3 == l2 && memcmp(w2, w3, l2) == 0) {
				free(w3);
				break;
			}
			free(w2);
			w2 = w3;
			l2 = l3;
		}
		if (round == 2)
			__builtin_trap();
	}
	free(w1);
	free(w2);
	return 0;
}

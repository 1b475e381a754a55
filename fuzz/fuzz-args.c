/*
 * libFuzzer target: pct's command line. The input is split at NUL bytes
 * into words (at most 64), which are parsed as "pct WORDS...": the command
 * lookup, options, positionals and the schema check of every value, as
 * pct does before it runs a command (nothing is run).
 *
 * Checked: no crash or leak; a failure always says why; a success gives
 * every parameter a value, and parsing is deterministic (the same words
 * give the same parameters).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pct/pct.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
parse(int argc, char **argv, struct pct_args *args)
{
	struct pct_error *err = NULL;
	const struct pct_cmd *cmd;
	int ret = pct_parse_cmdline(argc, argv, &cmd, args, &err);

	if (ret < 0 && (!err || !err->msg))
		abort();
	if (ret == 0 && (err || !cmd))
		abort();
	pct_error_free(&err);
	return ret;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[65], *p, *end;
	struct pct_args a1 = { 0 }, a2 = { 0 };
	int argc = 0, r1, r2;
	size_t i;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	end = buf + size;
	for (p = buf; p <= end && argc < 64; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	r1 = parse(argc, argv, &a1);
	r2 = parse(argc, argv, &a2);
	if (r1 != r2)
		abort();
	if (r1 == 0) {
		if (a1.n != a2.n || a1.nextra != a2.nextra || a1.vmid != a2.vmid)
			abort();
		for (i = 0; i < a1.n; i++)
			if (!a1.v[i].value || strcmp(a1.v[i].name, a2.v[i].name) ||
			    strcmp(a1.v[i].value, a2.v[i].value))
				abort();
	}
	pct_args_release(&a1);
	pct_args_release(&a2);
	free(buf);
	return 0;
}

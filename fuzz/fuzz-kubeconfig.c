/*
 * libFuzzer target: kubeconfig files (libyaml), through kube_config_parse(),
 * the loader corral-syncd and pct use, minus the file system.
 *
 * An input whose first line is "@NAME" selects the context NAME; otherwise
 * current-context is used.
 *
 * Checked: no crash or leak; a failure always says why; a
 * success gives an http(s) server without credentials in it, a namespace and
 * a source; and a credential (the value of a token, password or
 * client-key-data line that appears once in the input) is never in a message,
 * unless the message says the same words when the value is another.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube.h"
#include "pct-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* How many times needle (n bytes) occurs in hay (h bytes). */
static size_t
count(const char *hay, size_t h, const char *needle, size_t n)
{
	size_t c = 0;
	const char *p = hay, *end = hay + h;

	while (p < end && (p = memmem(p, (size_t)(end - p), needle, n))) {
		c++;
		p++;
	}
	return c;
}

/*
 * Does the message hold v (a part of text) even when v is replaced by other
 * bytes? Then it is the message's own wording ("token: current-context"
 * and a message about current-context), not the value leaking.
 */
static bool
own_words(const char *text, size_t len, const char *context, const char *v, size_t vlen)
{
	char *copy = xmalloc(len ? len : 1);
	struct kube_config *cfg = NULL;
	struct pct_error *err = NULL;
	bool own = false;

	memcpy(copy, text, len);
	memset(copy + (v - text), 'Z', vlen);
	if (kube_config_parse("/fuzz/kubeconfig", copy, len, context, &cfg, &err) < 0 && err &&
	    err->msg)
		own = memmem(err->msg, strlen(err->msg), v, vlen) != NULL;
	kube_config_free(cfg);
	pct_error_free(&err);
	free(copy);
	return own;
}

/*
 * abort() when msg holds the value of a credential line of text. The value
 * must occur only once in the whole input (all): a context name asked for
 * may hold the same bytes, and a message may name that context.
 */
static void
check_no_secret(const char *text, size_t len, const char *context, const char *all,
		size_t alllen, const char *msg)
{
	static const char *const keys[] = {"token:", "password:", "client-key-data:"};
	const char *line = text, *end = text + len;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end, *p = line;

		while (p < le && (*p == ' ' || *p == '-'))
			p++;
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
			size_t kl = strlen(keys[k]);
			const char *v, *ve;

			if ((size_t)(le - p) <= kl || memcmp(p, keys[k], kl))
				continue;
			for (v = p + kl; v < le && *v == ' '; v++)
				;
			for (ve = le; ve > v && (ve[-1] == ' ' || ve[-1] == '\r'); ve--)
				;
			/* long enough not to be a word of a message, and only this value */
			if (ve - v >= 12 && !memchr(v, '\0', (size_t)(ve - v)) &&
			    count(all, alllen, v, (size_t)(ve - v)) == 1 &&
			    memmem(msg, strlen(msg), v, (size_t)(ve - v)) &&
			    !own_words(text, len, context, v, (size_t)(ve - v)))
				abort();
		}
		line = le + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct kube_config *cfg = NULL;
	struct pct_error *err = NULL;
	char *context = NULL;
	size_t len = size;
	int ret;

	if (len > 0 && text[0] == '@') {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;

		context = xstrndup(text + 1, n - 1);
		text += nl ? n + 1 : n;
		len -= nl ? n + 1 : n;
	}
	ret = kube_config_parse("/fuzz/kubeconfig", text, len, context, &cfg, &err);
	if (ret < 0) {
		if (!err || !err->msg || !*err->msg || cfg)
			abort();
		check_no_secret(text, len, context, (const char *)data, size, err->msg);
	} else {
		const char *host;

		if (ret != 0 || err || !cfg || !cfg->server || !cfg->namespace || !cfg->source)
			abort();
		if (strncmp(cfg->server, "https://", 8) && strncmp(cfg->server, "http://", 7))
			abort();
		host = strstr(cfg->server, "://") + 3;
		if (memchr(host, '@', strcspn(host, "/?#")))
			abort();
		if ((cfg->cert_file || cfg->cert_data) != (cfg->key_file || cfg->key_data))
			abort();
	}
	kube_config_free(cfg);
	pct_error_free(&err);
	free(context);
	return 0;
}

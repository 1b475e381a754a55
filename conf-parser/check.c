/*
 * The two validation levels of Proxmox (§2.2):
 *
 *   - check_type, while parsing a file: unknown keys, line feeds, boolean,
 *     integer and number syntax (with normalisation), formats and property
 *     strings. No enum, range, pattern or length checks.
 *   - the API check (JSON schema check_prop), used by `pct set`, `pct create`
 *     and on the output of `pct config`: everything.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "pctconf.h"

/* ^(\d+)$ -> Perl's int($1): exact up to 2^64-1, beyond that "%.15g" of a double */
static char *
perl_int(const char *digits)
{
	const char *p = digits;
	unsigned long long v;
	char buf[64];

	while (*p == '0' && p[1])
		p++;
	if (strlen(p) <= 20 && pct_parse_uint(p, 0, UINT64_MAX, &v))
		return xasprintf("%llu", v);
	snprintf(buf, sizeof(buf), "%.15g", strtod(p, NULL));
	return xstrdup(buf);
}

static bool
match_digits(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return false;
	for (i = 0; i < len; i++)
		if (!pct_isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* ^(\d+)(\.\d+)?$ */
static bool
match_number(const char *s, size_t len)
{
	const char *dot = memchr(s, '.', len);

	if (!dot)
		return match_digits(s, len);
	return match_digits(s, (size_t)(dot - s)) &&
	       match_digits(dot + 1, len - (size_t)(dot - s) - 1);
}

static void
add_got(struct strbuf *msg, const char *type, const char *v, size_t len, const char *nl)
{
	_cleanup_free_ char *q = pct_quote_bytes(v, len);

	strbuf_addf(msg, "type check ('%s') failed - got '%s'%s", type, q, nl);
}

/*
 * split_list on a value holding NUL bytes splits on NUL (trailing empty
 * fields dropped, leading ones kept); every element is verified.
 */
static int
check_nul_list(const char *format, const char *value, size_t len, struct strbuf *msg)
{
	_cleanup_free_ char *base = xstrndup(format, strlen(format) - 5);
	size_t start = 0, end = len;

	while (end && value[end - 1] == '\0')
		end--;
	while (start < end) {
		const char *nul = memchr(value + start, '\0', end - start);
		size_t n = nul ? (size_t)(nul - value) - start : end - start;
		_cleanup_free_ char *item = xstrndup(value + start, n);

		if (pctconf_check_format(base, item, msg) < 0) {
			strbuf_addch(msg, '\n');
			return -1;
		}
		start += n + 1;
	}
	return 0;
}

int
pctconf_check_type(const char *key, const char *value, size_t len, char **norm,
		   struct strbuf *msg)
{
	const struct pctconf_key *row = pctconf_key_lookup(key, NULL);
	const char *b;

	*norm = NULL;
	if (!row) {
		strbuf_addf(msg, "unknown setting '%s'\n", key);
		return -1;
	}
	if (memchr(value, '\n', len) || memchr(value, '\r', len)) {
		strbuf_addstr(msg, "property contains a line feed\n");
		return -1;
	}
	switch (row->type) {
	case PCTCONF_BOOL:
		b = strlen(value) == len ? pctconf_parse_boolean(value) : NULL;
		if (!b) {
			add_got(msg, "boolean", value, len, "\n");
			return -1;
		}
		if (strcmp(b, value) != 0)
			*norm = xstrdup(b);
		return 0;
	case PCTCONF_INT:
		if (!match_digits(value, len)) {
			add_got(msg, "integer", value, len, "\n");
			return -1;
		}
		*norm = perl_int(value);
		if (!strcmp(*norm, value)) {
			free(*norm);
			*norm = NULL;
		}
		return 0;
	case PCTCONF_NUM:
		if (!match_number(value, len)) {
			add_got(msg, "number", value, len, "\n");
			return -1;
		}
		return 0;
	case PCTCONF_STR:
		if (!row->format)
			return 0;
		if (strlen(value) != len) {
			if (str_has_suffix(row->format, "-list"))
				return check_nul_list(row->format, value, len, msg);
			/* a NUL byte: the single-value formats of the config keys
			 * refuse it; verify the part before it for the message, and
			 * fail regardless */
			if (pctconf_check_format(row->format, value, msg) == 0)
				strbuf_addstr(msg, "value contains a NUL byte");
			strbuf_addch(msg, '\n');
			return -1;
		}
		if (pctconf_check_format(row->format, value, msg) < 0) {
			strbuf_addch(msg, '\n');
			return -1;
		}
		return 0;
	case PCTCONF_PROPSTR: {
		struct pctconf_props props;
		int ret;

		if (strlen(value) != len) {
			strbuf_addstr(msg, "value contains a NUL byte\n");
			return -1;
		}
		ret = pctconf_props_parse(row->props, value, &props, msg, NULL);
		if (ret == 0)
			pctconf_props_release(&props);
		return ret;
	}
	}
	return 0;
}

/* JSON schema is_integer / is_number */
static bool
schema_is_integer(const char *v)
{
	if (*v == '+' || *v == '-')
		v++;
	return match_digits(v, strlen(v));
}

static bool
schema_is_number(const char *v)
{
	const char *p = v;
	bool digits_before = false, digits_after = false;

	if (*p == '+' || *p == '-')
		p++;
	while (pct_isdigit((unsigned char)*p)) {
		p++;
		digits_before = true;
	}
	if (*p == '.') {
		p++;
		while (pct_isdigit((unsigned char)*p)) {
			p++;
			digits_after = true;
		}
	}
	if (!digits_before && !digits_after)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!pct_isdigit((unsigned char)*p))
			return false;
		while (pct_isdigit((unsigned char)*p))
			p++;
	}
	return *p == '\0';
}

/*
 * maxLength counts characters: Proxmox checks decoded strings (the CLI
 * decodes its arguments, descriptions are character strings), so a UTF-8
 * sequence counts once. Continuation bytes are not counted.
 */
static size_t
utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* Perl stringification of a schema limit: integers plain, others %.15g */
static void
add_limit(struct strbuf *msg, double v)
{
	strbuf_addf(msg, "%.15g", v);
}

static int
check_common(enum pctconf_type type, unsigned flags, const char *format,
	     pctconf_verify_fn pattern, const char *const *choices, double min, double max,
	     size_t max_length, const struct pctconf_prop *props, const char *value,
	     const char *path, struct strbuf *msg)
{
	switch (type) {
	case PCTCONF_BOOL:
		if (strcmp(value, "0") && strcmp(value, "1")) {
			add_got(msg, "boolean", value, strlen(value), "");
			return -1;
		}
		break;
	case PCTCONF_INT:
		if (!schema_is_integer(value)) {
			add_got(msg, "integer", value, strlen(value), "");
			return -1;
		}
		break;
	case PCTCONF_NUM:
		if (!schema_is_number(value)) {
			add_got(msg, "number", value, strlen(value), "");
			return -1;
		}
		break;
	case PCTCONF_STR:
	case PCTCONF_PROPSTR:
		break;
	}
	if (props) {
		struct pctconf_props p;
		struct strbuf sub = STRBUF_INIT;

		if (pctconf_props_parse(props, value, &p, &sub, path) < 0) {
			strbuf_addf(msg, "invalid format - %s", strbuf_str(&sub));
			strbuf_release(&sub);
			return -1;
		}
		pctconf_props_release(&p);
	}
	if (format) {
		struct strbuf sub = STRBUF_INIT;

		if (pctconf_check_format(format, value, &sub) < 0) {
			strbuf_addf(msg, "invalid format - %s\n", strbuf_str(&sub));
			strbuf_release(&sub);
			return -1;
		}
	}
	if (pattern && pattern(value, NULL) < 0) {
		strbuf_addstr(msg, "value does not match the regex pattern");
		return -1;
	}
	if (max_length && utf8_length(value) > max_length) {
		strbuf_addf(msg, "value may only be %zu characters long", max_length);
		return -1;
	}
	if ((flags & (PCTCONF_HAS_MIN | PCTCONF_HAS_MAX)) && schema_is_number(value)) {
		double v = strtod(value, NULL);

		if ((flags & PCTCONF_HAS_MAX) && v > max) {
			strbuf_addstr(msg, "value must have a maximum value of ");
			add_limit(msg, max);
			return -1;
		}
		if ((flags & PCTCONF_HAS_MIN) && v < min) {
			strbuf_addstr(msg, "value must have a minimum value of ");
			add_limit(msg, min);
			return -1;
		}
	}
	if (choices) {
		const char *const *c;

		for (c = choices; *c; c++)
			if (!strcmp(*c, value))
				return 0;
		strbuf_addf(msg, "value '%s' does not have a value in the enumeration '", value);
		for (c = choices; *c; c++)
			strbuf_addf(msg, "%s%s", c == choices ? "" : ", ", *c);
		strbuf_addch(msg, '\'');
		return -1;
	}
	return 0;
}

int
pctconf_check_prop(const struct pctconf_prop *prop, const char *value, struct strbuf *msg)
{
	return check_common(prop->type, prop->flags, prop->format, prop->pattern, prop->choices,
			    prop->min, prop->max, prop->max_length, NULL, value, NULL, msg);
}

int
pctconf_check_api(const char *key, const char *value, size_t len, struct strbuf *msg)
{
	const struct pctconf_key *row = pctconf_key_lookup(key, NULL);

	if (!row) {
		strbuf_addstr(msg, "property is not defined in schema and the schema does not allow additional properties");
		return -1;
	}
	if (!strcmp(key, "env")) {
		if (pctconf_pat_env(value, len) < 0) {
			strbuf_addstr(msg, "value does not match the regex pattern");
			return -1;
		}
		return 0;
	}
	if (strlen(value) != len) {
		_cleanup_free_ char *q = pct_quote_bytes(value, len);

		strbuf_addf(msg, "value '%s' contains a NUL byte", q);
		return -1;
	}
	return check_common(row->type, row->flags, row->format, row->pattern, row->choices,
			    row->min, row->max, row->max_length, row->props, value, key, msg);
}

/*
 * doc/pct.conf.5 documents every row of the key table and every sub-key of
 * every property string, and nothing that is not in the table. For each it
 * must also state the allowed values, the numeric limits, the index range
 * and the default that the table holds. The page's conventions are
 * described in its header comment.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pctconf.h"
#include "tap.h"

#define MAX_ITEMS 512

struct item {
	char name[64];
	bool indexed;
	int parent;	     /* index of the key for a sub-key, -1 for a key */
	struct strbuf text;  /* the item's text, roff removed */
	unsigned line;
};

static struct item items[MAX_ITEMS];
static size_t nitems;

/* roff to plain words: drop a leading macro, font escapes and \& */
static void
add_text(struct strbuf *sb, const char *line)
{
	const char *p = line;

	if (*p == '.') {
		while (*p && *p != ' ')
			p++;
	}
	for (; *p; p++) {
		if (*p == '\\' && p[1] == 'f' && p[2]) {
			p += 2;
			continue;
		}
		if (*p == '\\' && (p[1] == '&' || p[1] == '-')) {
			if (p[1] == '-')
				strbuf_addch(sb, '-');
			p++;
			continue;
		}
		if (*p == '"')
			continue;
		/* runs of blanks become one space */
		if (*p == ' ' && (!sb->len || sb->buf[sb->len - 1] == ' '))
			continue;
		strbuf_addch(sb, *p);
	}
	if (sb->len && sb->buf[sb->len - 1] != ' ')
		strbuf_addch(sb, ' ');
}

/* the name in a tag line: ".B arch", ".BI net N", ".BI gw= X", ".RB [ volume= ] ..." */
static bool
tag_name(const char *line, char *name, size_t size, bool *indexed)
{
	const char *p = line, *start;
	size_t n;

	*indexed = false;
	if (!strncmp(p, ".RB [ ", 6))
		p += 6;
	else if (!strncmp(p, ".BI ", 4))
		p += 4;
	else if (!strncmp(p, ".B ", 3))
		p += 3;
	else
		return false;
	start = p;
	while (*p && *p != ' ' && *p != '=')
		p++;
	n = (size_t)(p - start);
	if (!n || n >= size)
		return false;
	memcpy(name, start, n);
	name[n] = '\0';
	if (!strncmp(line, ".BI ", 4) && !strcmp(p, " N"))
		*indexed = true;
	return true;
}

static int
load(const char *path)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len;
	bool in_keys = false, want_tag = false;
	int depth = 0, key = -1, cur = -1;
	unsigned no = 0;

	if (pct_read_file(path, 1 << 22, &buf, &len) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		no++;
		if (!strncmp(line, ".SH ", 4)) {
			in_keys = !strcmp(line, ".SH KEYS");
			cur = -1;
			continue;
		}
		if (!in_keys || !strncmp(line, ".\\\"", 3))
			continue;
		if (!strcmp(line, ".RS")) {
			depth++;
			continue;
		}
		if (!strcmp(line, ".RE")) {
			depth--;
			cur = key;
			continue;
		}
		if (!strcmp(line, ".TP")) {
			want_tag = true;
			continue;
		}
		if (want_tag) {
			struct item *it;
			bool indexed;
			char name[64];

			want_tag = false;
			if (nitems == MAX_ITEMS || !tag_name(line, name, sizeof(name), &indexed)) {
				ok(0, "doc/pct.conf.5:%u: a tag line the test understands: %s", no, line);
				continue;
			}
			it = &items[nitems];
			snprintf(it->name, sizeof(it->name), "%s", name);
			it->indexed = indexed;
			it->parent = depth == 0 ? -1 : key;
			it->line = no;
			it->text = (struct strbuf)STRBUF_INIT;
			cur = (int)nitems++;
			if (depth == 0)
				key = cur;
		}
		if (cur >= 0)
			add_text(&items[cur].text, line);
	}
	free(buf);
	return 0;
}

static const struct item *
find_item(const char *name, int parent)
{
	size_t i;

	for (i = 0; i < nitems; i++)
		if (!strcmp(items[i].name, name) && items[i].parent == parent)
			return &items[i];
	return NULL;
}

/* word w in the text: not next to [A-Za-z0-9_-] on either side */
static bool
has_word(const char *text, const char *w)
{
	size_t n = strlen(w);
	const char *p = text;

	while ((p = strstr(p, w))) {
		char before = p == text ? ' ' : p[-1], after = p[n];

		if (!pct_isalnum((unsigned char)before) && before != '_' && before != '-' &&
		    !pct_isalnum((unsigned char)after) && after != '_' && after != '-')
			return true;
		p++;
	}
	return false;
}

/* "Default: <def>" in the text */
static bool
has_default(const char *text, const char *def)
{
	char *want = xasprintf("Default: %s", def);
	const char *p = text;
	bool found = false;

	while ((p = strstr(p, want))) {
		char after = p[strlen(want)];

		if (!pct_isalnum((unsigned char)after)) {
			found = true;
			break;
		}
		p++;
	}
	free(want);
	return found;
}

static void
check_limits(const char *what, const char *text, unsigned flags, double min, double max)
{
	char num[64];

	if (flags & PCTCONF_HAS_MIN) {
		snprintf(num, sizeof(num), "%.15g", min);
		ok(has_word(text, num), "%s: the minimum %s is documented", what, num);
	}
	if (flags & PCTCONF_HAS_MAX) {
		snprintf(num, sizeof(num), "%.15g", max);
		ok(has_word(text, num), "%s: the maximum %s is documented", what, num);
	}
}

static void
check_choices(const char *what, const char *text, const char *const *choices)
{
	for (; choices && *choices; choices++)
		ok(has_word(text, *choices), "%s: the value %s is documented", what, *choices);
}

int
main(void)
{
	const char *top = getenv("top_srcdir");
	char *path = xasprintf("%s/doc/pct.conf.5", top ? top : ".");
	const struct pctconf_key *k;
	size_t i;

	if (load(path) < 0) {
		ok(0, "read %s", path);
		free(path);
		return exit_status();
	}
	ok(nitems > 0, "doc/pct.conf.5 has a KEYS section with items");

	for (k = pctconf_keys; k->name; k++) {
		const struct item *it = find_item(k->name, -1);
		const char *text;

		if (!ok(it != NULL, "%s is documented", k->name))
			continue;
		text = it->text.buf;
		is_int(it->indexed, (k->flags & PCTCONF_INDEXED) != 0,
		       "%s: documented %s", k->name,
		       (k->flags & PCTCONF_INDEXED) ? "as indexed (.BI name N)" : "as a plain key");
		if (k->flags & PCTCONF_INDEXED) {
			char first[64], last[64];

			snprintf(first, sizeof(first), "%s0", k->name);
			snprintf(last, sizeof(last), "%s%u", k->name, k->max_index);
			ok(has_word(text, first) && has_word(text, last), "%s: range %s to %s documented",
			   k->name, first, last);
		}
		check_choices(k->name, text, k->choices);
		check_limits(k->name, text, k->flags, k->min, k->max);
		if (k->def)
			ok(has_default(text, k->def), "%s: the default '%s' is documented", k->name,
			   k->def);
		if (k->max_length) {
			char num[32];

			snprintf(num, sizeof(num), "%zu", k->max_length);
			ok(has_word(text, num), "%s: the length limit %s is documented", k->name, num);
		}
		if (k->type == PCTCONF_PROPSTR) {
			const struct pctconf_prop *p;
			const struct pctconf_prop *defkey = pctconf_prop_default(k->props);
			int parent = (int)(it - items);

			if (defkey)
				ok(strstr(text, "default key") && has_word(text, defkey->name),
				   "%s: the default key %s is named", k->name, defkey->name);
			for (p = k->props; p->name; p++) {
				const struct item *sub = find_item(p->name, parent);
				char what[128];

				snprintf(what, sizeof(what), "%s.%s", k->name, p->name);
				if (!ok(sub != NULL, "%s is documented under %s", what, k->name))
					continue;
				check_choices(what, sub->text.buf, p->choices);
				check_limits(what, sub->text.buf, p->flags, p->min, p->max);
				if (p->def)
					ok(has_default(sub->text.buf, p->def),
					   "%s: the default '%s' is documented", what, p->def);
				if (p->type == PCTCONF_BOOL)
					ok(strstr(sub->text.buf, "Boolean") != NULL,
					   "%s: documented as a boolean", what);
				if (!(p->flags & PCTCONF_OPTIONAL) && !(p->flags & PCTCONF_DEFAULT_KEY))
					ok(strstr(sub->text.buf, "required") != NULL,
					   "%s: documented as required", what);
			}
		}
		if (k->type == PCTCONF_BOOL)
			ok(strstr(text, "Boolean") != NULL, "%s: documented as a boolean", k->name);
	}

	/* nothing documented that the table does not have */
	for (i = 0; i < nitems; i++) {
		const struct item *it = &items[i];
		char name[160];

		if (it->parent < 0) {
			snprintf(name, sizeof(name), "%.60s%s", it->name, it->indexed ? "0" : "");
			ok(pctconf_key_lookup(name, NULL) != NULL,
			   "doc/pct.conf.5:%u: %s is a key of the table", it->line, it->name);
		} else {
			const struct item *key = &items[it->parent];
			const struct pctconf_key *row;

			snprintf(name, sizeof(name), "%.60s%s", key->name, key->indexed ? "0" : "");
			row = pctconf_key_lookup(name, NULL);
			ok(row && pctconf_prop_lookup(row->props, it->name),
			   "doc/pct.conf.5:%u: %s is a sub-key of %s", it->line, it->name, key->name);
		}
	}
	for (i = 0; i < nitems; i++)
		strbuf_release(&items[i].text);
	free(path);
	return exit_status();
}

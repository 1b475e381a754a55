#ifndef PCT_ITEMS_H
#define PCT_ITEMS_H

#include "pct.h"

struct pct_item {
	const char *key; /* borrowed from the section */
	const char *value;
	size_t len;
};

/* All keys of a section, description and env included, sorted. Free *out. */
size_t pct_items(const struct pctconf_section *s, struct pct_item **out);
/* The value as pct config prints it: description encode_text'ed, others raw. */
void pct_print_value(const char *key, const char *value, size_t len);

#endif

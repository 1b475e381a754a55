/*
 * Reading parsed API objects: o[a][b][c] and a JSON string's text, NULL
 * where any step is missing or of another type. Shared by the agent's
 * modules, including the pure ones that do not include syncd.h.
 */
#ifndef SYNCD_JGET_H
#define SYNCD_JGET_H

#include <cjson/cJSON.h>

/* o[a][b][c] (b and c may be NULL) */
static inline const cJSON *
jget(const cJSON *o, const char *a, const char *b, const char *c)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	if (c)
		v = cJSON_GetObjectItemCaseSensitive(v, c);
	return v;
}

/* a JSON string's text, or NULL */
static inline const char *
js(const cJSON *v)
{
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

#endif

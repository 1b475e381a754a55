/*
 * Structured output for --output-format: objects are built as cJSON and
 * printed as JSON (cJSON) or YAML (libyaml's emitter).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>
#include <yaml.h>

#include "pct.h"

struct pct_out {
	cJSON *j;
};

static struct pct_out *
wrap(cJSON *j)
{
	struct pct_out *o = xmalloc(sizeof(*o));

	if (!j)
		abort();
	o->j = j;
	return o;
}

struct pct_out *
pct_out_new_object(void)
{
	return wrap(cJSON_CreateObject());
}

struct pct_out *
pct_out_new_array(void)
{
	return wrap(cJSON_CreateArray());
}

void
pct_out_add_str(struct pct_out *o, const char *key, const char *value)
{
	cJSON_AddItemToObject(o->j, key, cJSON_CreateString(value ? value : ""));
}

void
pct_out_add_len(struct pct_out *o, const char *key, const char *value, size_t len)
{
	/* JSON strings cannot carry NUL through cJSON: NUL-separated values (env)
	 * are shown with "\u0000" replaced by a newline */
	_cleanup_free_ char *copy = xmemdup(value, len + 1);
	size_t i;

	copy[len] = '\0';
	for (i = 0; i < len; i++)
		if (copy[i] == '\0')
			copy[i] = '\n';
	pct_out_add_str(o, key, copy);
}

void
pct_out_add_num(struct pct_out *o, const char *key, double value)
{
	cJSON_AddItemToObject(o->j, key, cJSON_CreateNumber(value));
}

void
pct_out_add_bool(struct pct_out *o, const char *key, bool value)
{
	cJSON_AddItemToObject(o->j, key, cJSON_CreateBool(value));
}

void
pct_out_add_confval(struct pct_out *o, const char *key, const char *value, size_t len)
{
	pct_out_add_confval_as(o, key, key, value, len);
}

void
pct_out_add_confval_as(struct pct_out *o, const char *name, const char *key, const char *value,
		       size_t len)
{
	const struct pctconf_key *row = pctconf_key_lookup(key, NULL);

	if (row && strlen(value) == len &&
	    (row->type == PCTCONF_INT || row->type == PCTCONF_BOOL || row->type == PCTCONF_NUM)) {
		char *end;
		double d = strtod(value, &end);

		if (*value && !*end && isfinite(d)) {
			pct_out_add_num(o, name, d);
			return;
		}
	}
	pct_out_add_len(o, name, value, len);
}

void
pct_out_add_array(struct pct_out *o, const char *key, struct pct_out *arr)
{
	cJSON_AddItemToObject(o->j, key, arr->j);
	free(arr);
}

void
pct_out_array_add(struct pct_out *arr, struct pct_out *item)
{
	cJSON_AddItemToArray(arr->j, item->j);
	free(item);
}

void
pct_out_free(struct pct_out *o)
{
	if (!o)
		return;
	cJSON_Delete(o->j);
	free(o);
}

static int
yaml_write(void *data, unsigned char *buffer, size_t size)
{
	return fwrite(buffer, 1, size, (FILE *)data) == size;
}

static void
yaml_scalar(yaml_emitter_t *em, const char *s, bool plain_ok)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), plain_ok,
				     1, plain_ok ? YAML_ANY_SCALAR_STYLE
						 : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	yaml_emitter_emit(em, &ev);
}

static void
yaml_node(yaml_emitter_t *em, const cJSON *j)
{
	yaml_event_t ev;
	const cJSON *c;
	char buf[64];

	if (cJSON_IsObject(j)) {
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		yaml_emitter_emit(em, &ev);
		cJSON_ArrayForEach(c, j)
		{
			yaml_scalar(em, c->string, true);
			yaml_node(em, c);
		}
		yaml_mapping_end_event_initialize(&ev);
		yaml_emitter_emit(em, &ev);
	} else if (cJSON_IsArray(j)) {
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		yaml_emitter_emit(em, &ev);
		cJSON_ArrayForEach(c, j)
			yaml_node(em, c);
		yaml_sequence_end_event_initialize(&ev);
		yaml_emitter_emit(em, &ev);
	} else if (cJSON_IsNumber(j)) {
		snprintf(buf, sizeof(buf), "%.15g", j->valuedouble);
		yaml_scalar(em, buf, true);
	} else if (cJSON_IsBool(j)) {
		yaml_scalar(em, cJSON_IsTrue(j) ? "true" : "false", true);
	} else if (cJSON_IsNull(j)) {
		yaml_scalar(em, "null", true);
	} else {
		/* strings that look like numbers or booleans are quoted */
		const char *s = j->valuestring ? j->valuestring : "";
		char *end;
		bool numeric = *s && (strtod(s, &end), *end == '\0');
		bool special = !strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "null") ||
			       !strcmp(s, "yes") || !strcmp(s, "no") || !strcmp(s, "on") ||
			       !strcmp(s, "off") || !strcmp(s, "~") || !*s;

		yaml_scalar(em, s, !numeric && !special);
	}
}

void
pct_out_print(struct pct_out *o, enum pct_output_format fmt)
{
	if (fmt == PCT_OUT_YAML) {
		yaml_emitter_t em;
		yaml_event_t ev;

		yaml_emitter_initialize(&em);
		yaml_emitter_set_output(&em, yaml_write, stdout);
		yaml_emitter_set_unicode(&em, 1);
		yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
		yaml_emitter_emit(&em, &ev);
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
		yaml_emitter_emit(&em, &ev);
		yaml_node(&em, o->j);
		yaml_document_end_event_initialize(&ev, 1);
		yaml_emitter_emit(&em, &ev);
		yaml_stream_end_event_initialize(&ev);
		yaml_emitter_emit(&em, &ev);
		yaml_emitter_delete(&em);
		return;
	}
	{
		char *s = fmt == PCT_OUT_JSON_PRETTY ? cJSON_Print(o->j) : cJSON_PrintUnformatted(o->j);

		if (s) {
			fputs(s, stdout);
			fputc('\n', stdout);
			cJSON_free(s);
		}
	}
}

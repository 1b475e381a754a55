/*
 * The embedded default, no cluster needed: one YAML file per CT in the
 * manifest directory (multi-document: PVCs, ConfigMap, Service,
 * StatefulSet), written atomically and only when it changes, removed when
 * the CT goes. A GitOps tool (Flux, Argo CD) can apply the directory.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <yaml.h>

#include "syncd.h"

static int
emit_write(void *data, unsigned char *buf, size_t size)
{
	strbuf_add((struct strbuf *)data, buf, size);
	return 1;
}

static void
emit_scalar(yaml_emitter_t *em, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
				     style == YAML_PLAIN_SCALAR_STYLE || style == YAML_ANY_SCALAR_STYLE,
				     style != YAML_PLAIN_SCALAR_STYLE, style);
	yaml_emitter_emit(em, &ev);
}

/*
 * A string that YAML would read as something else must be quoted. The tools
 * that read the manifests (kubectl, Flux, Argo CD: go-yaml; PyYAML) resolve
 * plain scalars by YAML 1.1 rules: besides booleans and null, integers with
 * 0b/0o/0x prefixes and '_' separators (1_000), sexagesimal numbers (1:20),
 * timestamps (2001-01-01), .inf and .nan, and the '=' and '<<' keys. Rather
 * than mirror every regex, anything that starts like a number and holds only
 * characters those forms use is quoted; a needless quote is still the same
 * string.
 */
static bool
needs_quotes(const char *s)
{
	static const char *const special[] = { "true", "false", "yes", "no", "on", "off", "null",
					       "~", "y", "n", ".inf", "-.inf", "+.inf", ".nan",
					       "=", "<<", NULL };
	const char *p = s;
	char *end;
	size_t i;

	if (!*s)
		return true;
	for (i = 0; special[i]; i++)
		if (!pct_strcasecmp(s, special[i]))
			return true;
	(void)strtod(s, &end);
	if (!*end)
		return true;
	for (; *p; p++)
		if ((unsigned char)*p < 0x20)
			return true;
	p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (pct_isdigit((unsigned char)*p) || (*p == '.' && pct_isdigit((unsigned char)p[1])))
		return strspn(p, "0123456789abcdefABCDEF_xXoO:.+-eE tTzZ") == strlen(p);
	return false;
}

static void
emit_node(yaml_emitter_t *em, const cJSON *j)
{
	yaml_event_t ev;
	const cJSON *c;
	char buf[64];

	if (cJSON_IsObject(j)) {
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		yaml_emitter_emit(em, &ev);
		cJSON_ArrayForEach(c, j)
		{
			emit_scalar(em, c->string, YAML_PLAIN_SCALAR_STYLE);
			emit_node(em, c);
		}
		yaml_mapping_end_event_initialize(&ev);
		yaml_emitter_emit(em, &ev);
	} else if (cJSON_IsArray(j)) {
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		yaml_emitter_emit(em, &ev);
		cJSON_ArrayForEach(c, j)
			emit_node(em, c);
		yaml_sequence_end_event_initialize(&ev);
		yaml_emitter_emit(em, &ev);
	} else if (cJSON_IsNumber(j)) {
		snprintf(buf, sizeof(buf), "%.15g", j->valuedouble);
		emit_scalar(em, buf, YAML_PLAIN_SCALAR_STYLE);
	} else if (cJSON_IsBool(j)) {
		emit_scalar(em, cJSON_IsTrue(j) ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
	} else if (cJSON_IsNull(j)) {
		emit_scalar(em, "null", YAML_PLAIN_SCALAR_STYLE);
	} else {
		const char *s = j->valuestring ? j->valuestring : "";

		emit_scalar(em, s,
			    strchr(s, '\n') ? YAML_LITERAL_SCALAR_STYLE
			    : needs_quotes(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
					      : YAML_ANY_SCALAR_STYLE);
	}
}

char *
syncd_yaml(const cJSON *objects)
{
	struct strbuf sb = STRBUF_INIT;
	yaml_emitter_t em;
	yaml_event_t ev;
	const cJSON *o;

	yaml_emitter_initialize(&em);
	yaml_emitter_set_output(&em, emit_write, &sb);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	yaml_emitter_emit(&em, &ev);
	cJSON_ArrayForEach(o, objects)
	{
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
		yaml_emitter_emit(&em, &ev);
		emit_node(&em, o);
		yaml_document_end_event_initialize(&ev, 1);
		yaml_emitter_emit(&em, &ev);
	}
	yaml_stream_end_event_initialize(&ev);
	yaml_emitter_emit(&em, &ev);
	yaml_emitter_delete(&em);
	return strbuf_detach(&sb, NULL);
}

/* One object as a YAML document without the "---" line (for --dry-run). */
char *
syncd_yaml_object(const cJSON *object)
{
	cJSON *one = cJSON_CreateArray();
	char *yaml;

	cJSON_AddItemToArray(one, cJSON_Duplicate(object, 1));
	yaml = syncd_yaml(one);
	cJSON_Delete(one);
	if (!strncmp(yaml, "---\n", 4))
		memmove(yaml, yaml + 4, strlen(yaml + 4) + 1);
	return yaml;
}

int
syncd_manifest_write(struct syncd *sd, unsigned vmid, const cJSON *objects, bool *changed,
		     struct pct_error **err)
{
	_cleanup_free_ char *yaml = syncd_yaml(objects);
	_cleanup_free_ char *path = xasprintf("%s/ct-%u.yaml", sd->settings->manifest_dir, vmid);
	_cleanup_free_ char *old = NULL;
	size_t oldlen, len = strlen(yaml);

	*changed = false;
	if (pct_read_file(path, 64u << 20, &old, &oldlen) == 0 && oldlen == len &&
	    !memcmp(old, yaml, len))
		return 0;
	if (pctconf_mkdir_p(sd->settings->manifest_dir, 0755) < 0)
		return pct_error_errno(err, errno, "unable to create '%s'",
				       sd->settings->manifest_dir);
	if (pctconf_write_file_atomic(path, yaml, len, 0644, err) < 0)
		return -1;
	*changed = true;
	return 0;
}

int
syncd_manifest_remove(struct syncd *sd, unsigned vmid, struct pct_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/ct-%u.yaml", sd->settings->manifest_dir, vmid);

	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return 0;
		return pct_error_errno(err, errno, "unable to remove '%s'", path);
	}
	syncd_log(sd, "CT %u: config removed; manifest %s removed (its PVCs stay in the cluster)",
		  vmid, path);
	return 0;
}

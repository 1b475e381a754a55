/*
 * In-place resize of a CT's pod: the pure parts (see resize.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "jget.h"
#include "pctconf.h"
#include "pct-util.h"
#include "resize.h"

#define ANN_CONFIG_DIGEST "corral.dev/config-digest"

static const char *const resize_names[] = { "cpu", "memory" };

bool
resize_quantity(const char *s, long double *out)
{
	static const struct {
		const char *suffix;
		long double mul;
		int div; /* divide by 10^div instead (exact for m, u, n) */
	} units[] = {
		{ "Ki", 1024.0L, 0 }, { "Mi", 1048576.0L, 0 }, { "Gi", 1073741824.0L, 0 },
		{ "Ti", 1099511627776.0L, 0 }, { "Pi", 1125899906842624.0L, 0 },
		{ "Ei", 1152921504606846976.0L, 0 }, { "n", 1, 9 }, { "u", 1, 6 }, { "m", 1, 3 },
		{ "", 1, 0 }, { "k", 1e3L, 0 }, { "M", 1e6L, 0 }, { "G", 1e9L, 0 },
		{ "T", 1e12L, 0 }, { "P", 1e15L, 0 }, { "E", 1e18L, 0 },
	};
	const char *p = s;
	char *end;
	long double v;
	size_t i;

	if (!s || !*s)
		return false;
	if (*p == '+' || *p == '-')
		p++;
	if (!isdigit((unsigned char)*p) && *p != '.')
		return false;
	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	{
		_cleanup_free_ char *num = xstrndup(s, (size_t)(p - s));

		v = strtold(num, &end);
		if (*end)
			return false;
	}
	if (*p == 'e' || *p == 'E') {
		long e = strtol(p + 1, &end, 10);

		if (end == p + 1 || *end || e < -30 || e > 30)
			return false;
		for (; e > 0; e--)
			v *= 10;
		for (; e < 0; e++)
			v /= 10;
		*out = v;
		return true;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].suffix))
			continue;
		if (units[i].div) {
			int d;

			for (d = 0; d < units[i].div; d++)
				v /= 10;
		} else {
			v *= units[i].mul;
		}
		*out = v;
		return true;
	}
	return false;
}

const cJSON *
resize_container_resources(const cJSON *podspec, const char *name)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(podspec, "containers"))
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(c, "name");

		if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
			return cJSON_GetObjectItemCaseSensitive(c, "resources");
	}
	return NULL;
}

/* A request or limit as the server keeps it (a request defaults to its limit). */
static const char *
effective(const cJSON *res, bool request, const char *name)
{
	const cJSON *v;

	if (request) {
		v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "requests"),
						     name);
		if (cJSON_IsString(v))
			return v->valuestring;
	}
	v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "limits"), name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool
same_quantity(const char *a, const char *b)
{
	long double x, y;

	if (!a || !b)
		return !a && !b;
	if (!resize_quantity(a, &x) || !resize_quantity(b, &y))
		return !strcmp(a, b);
	return x == y;
}

bool
resize_resources_equal(const cJSON *a, const cJSON *b)
{
	size_t i;
	int request;

	for (request = 0; request < 2; request++)
		for (i = 0; i < 2; i++)
			if (!same_quantity(effective(a, request, resize_names[i]),
					   effective(b, request, resize_names[i])))
				return false;
	return true;
}

cJSON *
resize_patch(const cJSON *want, const cJSON *have, const char *name)
{
	cJSON *patch, *c, *res;
	int request;
	size_t i;

	if (resize_resources_equal(want, have))
		return NULL;
	patch = cJSON_CreateObject();
	c = cJSON_CreateObject();
	cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(patch, "spec"),
						    "containers"),
			     c);
	cJSON_AddStringToObject(c, "name", name);
	res = cJSON_AddObjectToObject(c, "resources");
	for (request = 1; request >= 0; request--) {
		cJSON *part = cJSON_AddObjectToObject(res, request ? "requests" : "limits");

		for (i = 0; i < 2; i++) {
			const char *w = effective(want, request, resize_names[i]);
			const char *h = effective(have, request, resize_names[i]);

			if (w)
				cJSON_AddStringToObject(part, resize_names[i], w);
			else if (h)
				cJSON_AddNullToObject(part, resize_names[i]);
		}
	}
	return patch;
}

void
resize_restart_hash(const cJSON *template, char out[41])
{
	cJSON *copy = cJSON_Duplicate(template, true);
	cJSON *ann = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(copy, "metadata"), "annotations");
	cJSON *c;
	char *text;

	cJSON_DeleteItemFromObjectCaseSensitive(ann, ANN_CONFIG_DIGEST);
	cJSON_DeleteItemFromObjectCaseSensitive(ann, ANN_RESTART_HASH);
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
				      cJSON_GetObjectItemCaseSensitive(copy, "spec"), "containers"))
		cJSON_DeleteItemFromObjectCaseSensitive(c, "resources");
	text = cJSON_PrintUnformatted(copy);
	pctconf_sha1_hex(text, strlen(text), out);
	cJSON_free(text);
	cJSON_Delete(copy);
}

/* What the kubelet says of a resize it has not carried out, or NULL. */
static char *
resize_state(const cJSON *pod)
{
	const cJSON *c;
	const char *old = js(jget(pod, "status", "resize", NULL)); /* before 1.33 */

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
				      cJSON_GetObjectItemCaseSensitive(pod, "status"), "conditions"))
	{
		const char *t = js(jget(c, "type", NULL, NULL)), *s = js(jget(c, "status", NULL, NULL));
		const char *r = js(jget(c, "reason", NULL, NULL)), *m = js(jget(c, "message", NULL, NULL));

		if (!t || !s || strcmp(s, "True"))
			continue;
		if (!strcmp(t, "PodResizePending"))
			return xasprintf("in-place resize %s%s%s",
					 r && !strcmp(r, "Infeasible") ? "infeasible"
					 : r && !strcmp(r, "Deferred") ? "deferred"
								       : "pending",
					 m ? ": " : "", m ? m : "");
		if (!strcmp(t, "PodResizeInProgress") && r && !strcmp(r, "Error"))
			return xasprintf("in-place resize failed%s%s", m ? ": " : "", m ? m : "");
	}
	if (old && (!strcmp(old, "Infeasible") || !strcmp(old, "Deferred")))
		return xasprintf("in-place resize %s", !strcmp(old, "Infeasible") ? "infeasible"
										  : "deferred");
	return NULL;
}

/* The resources the kubelet reports for the container, or NULL (not reported). */
static const cJSON *
status_resources(const cJSON *pod, const char *name)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
				      cJSON_GetObjectItemCaseSensitive(pod, "status"), "containerStatuses"))
	{
		const char *n = js(jget(c, "name", NULL, NULL));

		if (n && !strcmp(n, name))
			return cJSON_GetObjectItemCaseSensitive(c, "resources");
	}
	return NULL;
}

bool
resize_pending_restart(const cJSON *pod, const cJSON *sts, char **why)
{
	const char *rev = js(jget(pod, "metadata", "labels", "controller-revision-hash"));
	const char *upd = js(jget(sts, "status", "updateRevision", NULL));
	const char *ph = js(jget(pod, "metadata", "annotations", ANN_RESTART_HASH));
	const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(sts, "spec"), "template");
	const char *th = js(jget(tmpl, "metadata", "annotations", ANN_RESTART_HASH));
	const cJSON *want, *spec, *actual;

	if (why)
		*why = NULL;
	if (!pod || !sts)
		return false;
	if (!ph || !th)
		return rev && upd && strcmp(rev, upd) != 0;
	if (strcmp(ph, th))
		return true;
	want = resize_container_resources(cJSON_GetObjectItemCaseSensitive(tmpl, "spec"),
					  RESIZE_CONTAINER);
	spec = resize_container_resources(cJSON_GetObjectItemCaseSensitive(pod, "spec"),
					  RESIZE_CONTAINER);
	if (!resize_resources_equal(want, spec))
		return true;
	actual = status_resources(pod, RESIZE_CONTAINER);
	if (actual && !resize_resources_equal(spec, actual)) {
		char *state = resize_state(pod);

		if (!state)
			return false; /* accepted; the kubelet is at it */
		if (why)
			*why = state;
		else
			free(state);
		return true;
	}
	return false;
}

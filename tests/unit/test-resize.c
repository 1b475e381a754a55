/*
 * In-place pod resize, the pure parts (sync/resize.c): quantities compared
 * by value, the resize patch, the restart hash and the pending-restart
 * judgment of a pod against its StatefulSet.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "resize.h"
#include "tap.h"

static char *
patch(const char *want, const char *have)
{
	cJSON *w = cJSON_Parse(want), *h = cJSON_Parse(have);
	cJSON *p = resize_patch(w, h, "ct");
	char *s = p ? cJSON_PrintUnformatted(p) : NULL;

	cJSON_Delete(w);
	cJSON_Delete(h);
	cJSON_Delete(p);
	return s;
}

static bool
equal(const char *a, const char *b)
{
	cJSON *x = cJSON_Parse(a), *y = cJSON_Parse(b);
	bool r = resize_resources_equal(x, y);

	cJSON_Delete(x);
	cJSON_Delete(y);
	return r;
}

static bool
qty(const char *s, long double want)
{
	long double v;

	return resize_quantity(s, &v) && v == want;
}

/* a pending-restart judgment; *why as text ("" for none) */
static bool
pending(const char *pod, const char *sts, char **why)
{
	cJSON *p = cJSON_Parse(pod), *s = cJSON_Parse(sts);
	bool r = resize_pending_restart(p, s, why);

	if (!*why)
		*why = strdup("");
	cJSON_Delete(p);
	cJSON_Delete(s);
	return r;
}

#define RES_512 "{\"limits\":{\"memory\":\"512Mi\",\"cpu\":\"1\"},\"requests\":{\"memory\":\"512Mi\",\"cpu\":\"1\"}}"
#define RES_1G "{\"limits\":{\"memory\":\"1Gi\",\"cpu\":\"1\"},\"requests\":{\"memory\":\"1Gi\",\"cpu\":\"1\"}}"
#define STS(hash, res) \
	"{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"corral.dev/restart-hash\":\"" hash \
	"\"}},\"spec\":{\"containers\":[{\"name\":\"ct\",\"resources\":" res "}]}}}," \
	"\"status\":{\"updateRevision\":\"new\"}}"
#define POD(hash, res, status_res, conds) \
	"{\"metadata\":{\"labels\":{\"controller-revision-hash\":\"old\"},\"annotations\":" \
	"{\"corral.dev/restart-hash\":\"" hash "\"}},\"spec\":{\"containers\":[{\"name\":\"ct\"," \
	"\"resources\":" res "}]},\"status\":{\"containerStatuses\":[{\"name\":\"ct\"," \
	"\"resources\":" status_res "}],\"conditions\":" conds "}}"

int
main(void)
{
	char *s, *why;
	cJSON *t1, *t2;
	char h1[41], h2[41];

	ok(qty("512Mi", 536870912.0L), "512Mi");
	ok(qty("1Gi", 1073741824.0L) && qty("1024Mi", 1073741824.0L), "1Gi and 1024Mi");
	ok(qty("250m", 0.25L) && qty("1500m", 1.5L) && qty("2", 2) && qty("0.5", 0.5L),
	   "cpu: millicores, cores, fractions");
	ok(qty("1e3", 1000) && qty("1k", 1000) && qty("1M", 1e6L), "decimal suffixes, exponent");
	ok(!resize_quantity("", NULL) && !resize_quantity("1Xi", NULL) &&
		   !resize_quantity("Mi", NULL) && !resize_quantity("1 Gi", NULL),
	   "not quantities");

	ok(equal("{\"limits\":{\"memory\":\"1024Mi\"}}", "{\"limits\":{\"memory\":\"1Gi\"}}"),
	   "quantities compare by value");
	ok(equal("{\"limits\":{\"cpu\":\"2\"}}",
		 "{\"limits\":{\"cpu\":\"2000m\"},\"requests\":{\"cpu\":\"2\"}}"),
	   "a missing request counts as its limit (the server's default)");
	ok(!equal("{\"limits\":{\"cpu\":\"2\"},\"requests\":{\"cpu\":\"500m\"}}",
		  "{\"limits\":{\"cpu\":\"2\"}}"),
	   "a request below the limit differs from none");
	ok(!equal("{\"limits\":{\"cpu\":\"2\"}}", "{}"), "a limit against none");
	ok(equal(NULL, "{}"), "no resources at all");
	ok(equal("{\"limits\":{\"ephemeral-storage\":\"1Gi\"}}", "{}"),
	   "only cpu and memory count");

	s = patch(RES_512, "{\"limits\":{\"memory\":\"512Mi\",\"cpu\":\"1\"},"
			   "\"requests\":{\"memory\":\"512Mi\",\"cpu\":\"1000m\"}}");
	ok(s == NULL, "no patch when nothing differs");
	free(s);

	s = patch("{\"limits\":{\"memory\":\"1024Mi\",\"cpu\":\"2\"},\"requests\":{\"memory\":\"1024Mi\"}}",
		  RES_512);
	is_str(s,
	       "{\"spec\":{\"containers\":[{\"name\":\"ct\",\"resources\":{"
	       "\"requests\":{\"cpu\":\"2\",\"memory\":\"1024Mi\"},"
	       "\"limits\":{\"cpu\":\"2\",\"memory\":\"1024Mi\"}}}]}}",
	       "the patch: requests and limits of cpu and memory, a missing request as its limit");
	free(s);

	s = patch("{\"limits\":{\"memory\":\"512Mi\"},\"requests\":{\"memory\":\"512Mi\"}}", RES_512);
	is_str(s,
	       "{\"spec\":{\"containers\":[{\"name\":\"ct\",\"resources\":{"
	       "\"requests\":{\"cpu\":null,\"memory\":\"512Mi\"},"
	       "\"limits\":{\"cpu\":null,\"memory\":\"512Mi\"}}}]}}",
	       "what the pod has and the template lacks is removed (null)");
	free(s);

	s = patch("{\"limits\":{\"memory\":\"512Mi\",\"cpu\":\"2\"},"
		  "\"requests\":{\"memory\":\"512Mi\",\"cpu\":\"500m\"}}",
		  RES_512);
	is_str(s,
	       "{\"spec\":{\"containers\":[{\"name\":\"ct\",\"resources\":{"
	       "\"requests\":{\"cpu\":\"500m\",\"memory\":\"512Mi\"},"
	       "\"limits\":{\"cpu\":\"2\",\"memory\":\"512Mi\"}}}]}}",
	       "cpuunits: a cpu request of its own");
	free(s);

	t1 = cJSON_Parse("{\"metadata\":{\"annotations\":{\"corral.dev/config-digest\":\"a\","
			 "\"x\":\"1\"}},\"spec\":{\"hostname\":\"h\",\"containers\":[{\"name\":\"ct\","
			 "\"resources\":" RES_512 "}]}}");
	t2 = cJSON_Parse("{\"metadata\":{\"annotations\":{\"corral.dev/config-digest\":\"b\","
			 "\"x\":\"1\",\"corral.dev/restart-hash\":\"zz\"}},\"spec\":{\"hostname\":"
			 "\"h\",\"containers\":[{\"name\":\"ct\",\"resources\":" RES_1G "}]}}");
	resize_restart_hash(t1, h1);
	resize_restart_hash(t2, h2);
	is_str(h1, h2, "restart hash: resources, config digest and the hash itself left out");
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(t2, "spec"), "hostname",
				  cJSON_CreateString("other"));
	resize_restart_hash(t2, h2);
	ok(strcmp(h1, h2) != 0, "restart hash: a new hostname changes it");
	cJSON_Delete(t1);
	cJSON_Delete(t2);

	ok(!pending(POD("h", RES_1G, RES_1G, "[]"), STS("h", RES_1G), &why) && !*why,
	   "resized in place: no restart pending although the revision differs");
	free(why);
	ok(pending(POD("h", RES_512, RES_512, "[]"), STS("h", RES_1G), &why) && !*why,
	   "not resized (no subresource, or refused): pending");
	free(why);
	ok(pending(POD("h", RES_1G, RES_1G, "[]"), STS("other", RES_1G), &why),
	   "another change (hostname): pending");
	free(why);
	ok(!pending(POD("h", RES_1G, RES_512, "[]"), STS("h", RES_1G), &why) && !*why,
	   "accepted, the kubelet not done yet: not pending");
	free(why);
	ok(pending(POD("h", RES_1G, RES_512,
		       "[{\"type\":\"PodResizePending\",\"status\":\"True\",\"reason\":\"Infeasible\","
		       "\"message\":\"Node didn't have enough capacity: memory\"}]"),
		   STS("h", RES_1G), &why),
	   "infeasible: pending");
	is_str(why, "in-place resize infeasible: Node didn't have enough capacity: memory",
	       "infeasible: the kubelet's message");
	free(why);
	ok(pending(POD("h", RES_1G, RES_512,
		       "[{\"type\":\"PodResizePending\",\"status\":\"True\",\"reason\":\"Deferred\"}]"),
		   STS("h", RES_1G), &why),
	   "deferred: pending");
	is_str(why, "in-place resize deferred", "deferred: said");
	free(why);
	ok(pending(POD("h", RES_1G, RES_512,
		       "[{\"type\":\"PodResizeInProgress\",\"status\":\"True\",\"reason\":\"Error\","
		       "\"message\":\"boom\"}]"),
		   STS("h", RES_1G), &why),
	   "failed: pending");
	is_str(why, "in-place resize failed: boom", "failed: the message");
	free(why);
	ok(!pending("{\"metadata\":{\"labels\":{\"controller-revision-hash\":\"new\"}}}",
		    STS("h", RES_1G), &why),
	   "a pod from before the restart hash: revision compared, same");
	free(why);
	ok(pending("{\"metadata\":{\"labels\":{\"controller-revision-hash\":\"old\"}}}",
		   STS("h", RES_1G), &why),
	   "a pod from before the restart hash: revision compared, differs");
	free(why);
	why = NULL;
	ok(!resize_pending_restart(NULL, NULL, &why) && !why, "no pod: nothing pending");
	return exit_status();
}

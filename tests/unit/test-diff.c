/*
 * corral-syncd --dry-run output (sync/diff.c): the cut of a cluster object
 * to the fields the agent sets, and the unified line diff.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "syncd.h"
#include "tap.h"

static char *
diff(const char *title, const char *a, const char *b)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	syncd_print_diff(f, title, a, b);
	fclose(f);
	return buf;
}

static char *
project(const char *have, const char *want)
{
	cJSON *h = cJSON_Parse(have), *w = cJSON_Parse(want);
	cJSON *p = syncd_project(h, w);
	char *s = p ? cJSON_PrintUnformatted(p) : NULL;

	cJSON_Delete(h);
	cJSON_Delete(w);
	cJSON_Delete(p);
	return s;
}

int
main(void)
{
	char *s;

	s = diff("X", "a\nb\nc\n", "a\nB\nc\n");
	is_str(s, "--- X (now)\n+++ X (would be applied)\n@@\n a\n-b\n+B\n c\n",
	       "a changed line: removal first, then addition, with context");
	free(s);

	s = diff("X", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n",
		 "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\nnew\n");
	is_str(s, "--- X (now)\n+++ X (would be applied)\n@@\n 14\n 15\n 16\n+new\n",
	       "three lines of context, not the whole text");
	free(s);

	s = diff("X", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n",
		 "one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\nsixteen\n");
	is_str(s,
	       "--- X (now)\n+++ X (would be applied)\n@@\n-1\n+one\n 2\n 3\n 4\n@@\n 13\n 14\n"
	       " 15\n-16\n+sixteen\n",
	       "changes far apart: two hunks");
	free(s);

	s = diff("X", "a\nb\n", "a\nb\n");
	is_str(s, "--- X (now)\n+++ X (would be applied)\n", "no change: headers only");
	free(s);

	s = diff("Y", NULL, "kind: Service\n");
	is_str(s, "--- Y (does not exist)\n+++ Y (would be applied)\n@@\n+kind: Service\n",
	       "a new object: every line added");
	free(s);

	s = diff("X", "a\nx\nb\nx\nc\n", "a\nb\nc\n");
	is_str(s, "--- X (now)\n+++ X (would be applied)\n@@\n a\n-x\n b\n-x\n c\n",
	       "the longest common subsequence is kept");
	free(s);

	s = project("{\"metadata\":{\"name\":\"a\",\"uid\":\"u\",\"managedFields\":[{}]},"
		    "\"spec\":{\"replicas\":1,\"x\":2},\"status\":{\"y\":1}}",
		    "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\","
		    "\"metadata\":{\"name\":\"a\"},\"spec\":{\"replicas\":0}}");
	is_str(s,
	       "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"a\"},"
	       "\"spec\":{\"replicas\":1}}",
	       "the cluster's object cut to the desired fields; apiVersion and kind first");
	free(s);

	s = project("{\"l\":[{\"a\":1,\"b\":2},{\"a\":3},{\"a\":4}]}", "{\"l\":[{\"a\":0},{\"a\":0}]}");
	is_str(s, "{\"l\":[{\"a\":1},{\"a\":3},{\"a\":4}]}",
	       "list items cut by position; extra items in the cluster stay visible");
	free(s);

	s = project("{\"a\":\"x\"}", "{\"a\":{\"b\":1}}");
	is_str(s, "{\"a\":\"x\"}", "a field of another type is shown as it is");
	free(s);

	ok(syncd_project(NULL, NULL) == NULL, "no object: nothing");
	return exit_status();
}

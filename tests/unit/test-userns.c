/*
 * User namespaces for unprivileged CTs, the pure parts (sync/userns.c): what
 * a node reports for the default runtime handler (as kubelets 1.28 and
 * 1.31.2 with containerd 1.6 and 2.0 report it), the decision from
 * corral.conf, the nodes and the API server, and what pct status says.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pctconf.h"
#include "tap.h"
#include "userns.h"

static enum userns_node
support(const char *json)
{
	cJSON *n = cJSON_Parse(json);
	enum userns_node s;

	if (!n) {
		printf("# bad JSON: %s\n", json);
		exit(1);
	}
	s = userns_node_support(n);
	cJSON_Delete(n);
	return s;
}

static void
test_node(void)
{
	/* v1.31.2, containerd 2.0, UserNamespacesSupport on: as the node reports it */
	ok(support("{\"metadata\":{\"name\":\"n\"},\"status\":{\"runtimeHandlers\":["
		   "{\"features\":{\"recursiveReadOnlyMounts\":true,\"userNamespaces\":true},\"name\":\"runc\"},"
		   "{\"features\":{\"recursiveReadOnlyMounts\":true,\"userNamespaces\":true},\"name\":\"\"}]}}") ==
		   USERNS_NODE_YES,
	   "the default handler (\"\") with userNamespaces: supported");
	/* v1.28.7, containerd 1.6: no runtimeHandlers at all */
	ok(support("{\"metadata\":{\"name\":\"n\"},\"status\":{\"nodeInfo\":{\"kubeletVersion\":\"v1.28.7\"}}}") ==
		   USERNS_NODE_NO_HANDLERS,
	   "no runtimeHandlers (before 1.30): not supported");
	ok(support("{\"status\":{\"runtimeHandlers\":[]}}") == USERNS_NODE_NO_HANDLERS,
	   "an empty list is none");
	ok(support("{\"status\":{\"runtimeHandlers\":[{\"name\":\"\",\"features\":{\"recursiveReadOnlyMounts\":true,\"userNamespaces\":false}},"
		   "{\"name\":\"kata\",\"features\":{\"userNamespaces\":true}}]}}") == USERNS_NODE_NO,
	   "only another handler has them: the pods use the default one");
	ok(support("{\"status\":{\"runtimeHandlers\":[{\"name\":\"\",\"features\":{\"recursiveReadOnlyMounts\":true}}]}}") ==
		   USERNS_NODE_NO,
	   "no userNamespaces field (the API server's gate dropped it): not supported");
	ok(support("{\"status\":{\"runtimeHandlers\":[{\"name\":\"runc\",\"features\":{\"userNamespaces\":true}}]}}") ==
		   USERNS_NODE_NO_DEFAULT,
	   "no handler named \"\": no default handler");
	ok(support("{\"status\":{\"runtimeHandlers\":[{\"features\":{\"userNamespaces\":true}}]}}") ==
		   USERNS_NODE_YES,
	   "a handler without a name is the default one");
	ok(support("{\"status\":{\"runtimeHandlers\":{\"name\":\"\"}}}") == USERNS_NODE_NO_HANDLERS,
	   "a malformed status is no support");
}

static struct userns_facts
facts(void)
{
	struct userns_facts f = { .setting = -1, .cluster = true, .apiserver = -1 };

	return f;
}

static void
decide(const struct userns_facts *f, bool want, const char *why, const char *what)
{
	char *got = NULL;
	bool use = userns_decide(f, &got);

	ok(use == want, "%s: %s", what, want ? "yes" : "no");
	is_str(got, why, "%s: the reason", what);
	free(got);
}

static void
test_decide(void)
{
	struct userns_facts f = facts();

	f.nodes = f.supporting = 3;
	decide(&f, true, "detected from the nodes: every node supports them", "every node supports them");
	f.nodes = f.supporting = 1;
	decide(&f, true, "detected from the nodes: the node supports them", "one node");
	f.nodes = 3;
	f.supporting = 2;
	f.without = "old-1";
	f.without_why = USERNS_NODE_NO_HANDLERS;
	decide(&f, false,
	       "not supported by the cluster: node old-1 reports no runtime handlers (Kubernetes before 1.30, or a container runtime that does not report them); 2 of 3 nodes support them",
	       "a node without runtime handlers");
	f.nodes = 1;
	f.supporting = 0;
	f.without = "corral-node";
	decide(&f, false,
	       "not supported by the cluster: node corral-node reports no runtime handlers (Kubernetes before 1.30, or a container runtime that does not report them)",
	       "the one node of a 1.28 cluster");
	f.without_why = USERNS_NODE_NO;
	decide(&f, false,
	       "not supported by the cluster: node corral-node reports no user namespaces for its default runtime handler",
	       "a node whose default handler lacks them");
	f.without_why = USERNS_NODE_NO_DEFAULT;
	decide(&f, false, "not supported by the cluster: node corral-node reports no default runtime handler",
	       "a node without a default handler");
	f = facts();
	decide(&f, false, "not supported by the cluster: it has no nodes", "no nodes");
	f.nodes = f.supporting = 2;
	f.apiserver = 0;
	decide(&f, false,
	       "not supported by the cluster: the nodes have them, but the API server drops hostUsers (its UserNamespacesSupport feature gate is off)",
	       "the API server drops hostUsers");
	f.apiserver = 1;
	decide(&f, true, "detected from the nodes: every node supports them", "the API server keeps it");
	f = facts();
	f.forbidden = "nodes is forbidden: User \"corral\" cannot list resource \"nodes\" in API group \"\" at the cluster scope";
	decide(&f, false,
	       "the agent may not read the nodes (nodes is forbidden: User \"corral\" cannot list resource \"nodes\" in API group \"\" at the cluster scope); grant it get, list and watch on nodes, or set user-namespaces in corral.conf",
	       "403 on the nodes");
	/* corral.conf wins over everything the cluster says */
	f.setting = 1;
	decide(&f, true, "forced by corral.conf (user-namespaces = yes)", "yes in corral.conf");
	f = facts();
	f.nodes = f.supporting = 1;
	f.setting = 0;
	decide(&f, false, "forced by corral.conf (user-namespaces = no)", "no in corral.conf");
	f = facts();
	f.cluster = false;
	decide(&f, true, "assumed: output = manifests has no cluster to ask", "manifests");
	f.setting = 0;
	decide(&f, false, "forced by corral.conf (user-namespaces = no)", "manifests, no in corral.conf");
}

static void
status(bool privileged, bool want, int pod_has, bool pending, bool value, const char *reason,
       const char *what)
{
	bool v;
	char *r = NULL;

	userns_status(privileged, want, "WHY", pod_has, pending, &v, &r);
	ok(v == value, "%s: %d", what, value);
	is_str(r, reason, "%s: the reason", what);
	free(r);
}

static void
test_status(void)
{
	status(true, true, 0, false, false, "a privileged CT", "privileged");
	status(false, true, -1, false, true, "WHY", "no pod: the decision");
	status(false, false, -1, false, false, "WHY", "no pod, no user namespaces");
	status(false, true, 1, false, true, "WHY", "a pod as decided");
	status(false, false, 0, false, false, "WHY", "a pod without, as decided");
	status(false, false, 1, true, true, "until the next start; then 0: WHY",
	       "a pod from before the decision changed");
	status(false, true, 0, true, false, "until the next start; then 1: WHY",
	       "a pod from before the nodes had them");
	status(false, true, 0, false, false,
	       "WHY, but the API server dropped hostUsers from the pod (its UserNamespacesSupport feature gate is off)",
	       "the API server dropped hostUsers (forced on a 1.28 cluster)");
}

int
main(void)
{
	test_node();
	test_decide();
	test_status();
	return exit_status();
}

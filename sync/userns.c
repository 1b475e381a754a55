/*
 * User namespaces for unprivileged CTs: what a node reports, the decision,
 * and what pct status says of it (see userns.h; doc/kubernetes-mapping.md).
 */
#include "config.h"

#include <string.h>

#include "pctconf.h"
#include "userns.h"

enum userns_node
userns_node_support(const cJSON *node)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(node, "status");
	const cJSON *handlers = cJSON_GetObjectItemCaseSensitive(st, "runtimeHandlers"), *h;

	if (!cJSON_IsArray(handlers) || !cJSON_GetArraySize(handlers))
		return USERNS_NODE_NO_HANDLERS;
	cJSON_ArrayForEach(h, handlers)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(h, "name");
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(h, "features");

		/* the API omits an empty name: "" and absent are the same handler */
		if (name && (!cJSON_IsString(name) || strcmp(name->valuestring, USERNS_HANDLER)))
			continue;
		return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "userNamespaces"))
			       ? USERNS_NODE_YES
			       : USERNS_NODE_NO;
	}
	return USERNS_NODE_NO_DEFAULT;
}

bool
userns_decide(const struct userns_facts *f, char **why)
{
	const char *what = NULL;

	if (f->setting > 0) {
		*why = xstrdup("forced by corral.conf (user-namespaces = yes)");
		return true;
	}
	if (f->setting == 0) {
		*why = xstrdup("forced by corral.conf (user-namespaces = no)");
		return false;
	}
	if (!f->cluster) {
		*why = xstrdup("assumed: output = manifests has no cluster to ask");
		return true;
	}
	if (f->forbidden) {
		*why = xasprintf("the agent may not read the nodes (%s); grant it get, list and watch on nodes, or set user-namespaces in corral.conf",
				 f->forbidden);
		return false;
	}
	if (!f->nodes) {
		*why = xstrdup("not supported by the cluster: it has no nodes");
		return false;
	}
	if (f->without) {
		switch (f->without_why) {
		case USERNS_NODE_NO_HANDLERS:
			what = "reports no runtime handlers (Kubernetes before 1.30, or a container runtime that does not report them)";
			break;
		case USERNS_NODE_NO_DEFAULT:
			what = "reports no default runtime handler";
			break;
		default:
			what = "reports no user namespaces for its default runtime handler";
			break;
		}
		if (f->nodes > 1)
			*why = xasprintf("not supported by the cluster: node %s %s; %zu of %zu nodes support them",
					 f->without, what, f->supporting, f->nodes);
		else
			*why = xasprintf("not supported by the cluster: node %s %s", f->without, what);
		return false;
	}
	if (f->apiserver == 0) {
		*why = xstrdup("not supported by the cluster: the nodes have them, but the API server drops hostUsers (its UserNamespacesSupport feature gate is off)");
		return false;
	}
	*why = xstrdup(f->nodes > 1 ? "detected from the nodes: every node supports them"
				    : "detected from the nodes: the node supports them");
	return true;
}

void
userns_status(bool privileged, bool want, const char *why, int pod_has, bool pending_restart,
	      bool *value, char **reason)
{
	if (privileged) {
		*value = false;
		*reason = xstrdup("a privileged CT");
		return;
	}
	if (pod_has < 0 || (pod_has > 0) == want) {
		*value = want;
		*reason = xstrdup(why);
		return;
	}
	*value = pod_has > 0;
	if (pending_restart)
		/* the decision changed after the pod was made */
		*reason = xasprintf("until the next start; then %d: %s", want ? 1 : 0, why);
	else if (want)
		/* we sent hostUsers: false and the pod came without it */
		*reason = xasprintf("%s, but the API server dropped hostUsers from the pod (its UserNamespacesSupport feature gate is off)",
				    why);
	else
		*reason = xasprintf("the pod was made with hostUsers: false; %s", why);
}

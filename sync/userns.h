/*
 * Whether an unprivileged CT's pod gets a user namespace of its own
 * (hostUsers: false), from what the cluster says it can do: the pure parts,
 * unit-tested (sync/nodes.c asks the cluster).
 *
 * A pod names no runtimeClassName, so it runs under the node's default
 * runtime handler, which the kubelet (1.30 and later) reports in
 * status.runtimeHandlers under the name "", with features.userNamespaces.
 * A pod with hostUsers: false on a node whose handler lacks them does not
 * start, and the scheduler does not know: so every node must have them.
 */
#ifndef SYNCD_USERNS_H
#define SYNCD_USERNS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* The runtime handler of a pod without runtimeClassName, as nodes name it. */
#define USERNS_HANDLER ""

/* What a node reports of user namespaces for the default runtime handler. */
enum userns_node {
	USERNS_NODE_NO_HANDLERS, /* no status.runtimeHandlers (before 1.30, or an older runtime) */
	USERNS_NODE_NO_DEFAULT,	 /* handlers, but none named "" */
	USERNS_NODE_NO,		 /* the default handler, without userNamespaces: true */
	USERNS_NODE_YES,
};

enum userns_node userns_node_support(const cJSON *node);

/* What the agent knows when it decides. */
struct userns_facts {
	int setting;	       /* corral.conf user-namespaces: 1 yes, 0 no, -1 auto */
	bool cluster;	       /* output = kube (else manifests: no cluster to ask) */
	const char *forbidden; /* the nodes may not be read: the server's message, or NULL */
	size_t nodes;	       /* nodes seen */
	size_t supporting;     /* of which report user namespaces for the default handler */
	const char *without;   /* the first node (by name) that does not, or NULL */
	enum userns_node without_why;
	int apiserver;	       /* a dry run kept hostUsers: 1; dropped it: 0; not asked: -1 */
};

/*
 * Do unprivileged CTs get hostUsers: false? *why gets the reason in words
 * ("detected from the nodes (...)", "forced by corral.conf (...)", "not
 * supported by the cluster: ..."), for the log and pct status --verbose.
 * The caller frees *why.
 */
bool userns_decide(const struct userns_facts *f, char **why);

/*
 * What pct status --verbose says of one CT: *value (its pod runs in a user
 * namespace of its own) and *reason (caller frees). privileged: the CT is
 * privileged; want, why: the decision; pod_has: the pod's spec.hostUsers is
 * false (1), is not (0), there is no pod (-1); pending_restart: the pod
 * waits for a restart to take its StatefulSet's template.
 */
void userns_status(bool privileged, bool want, const char *why, int pod_has,
		   bool pending_restart, bool *value, char **reason);

#endif

#!/bin/sh
# The permissions corral-syncd.8 lists are the ones it needs: the agent runs
# with a service account bound to exactly the rules of the man page (read
# from doc/corral-syncd.8 itself, so the two cannot drift) and drives a CT
# and pct through create, start, exec, a hot and a pending set, reboot, a
# start that fails (it reads Events), snapshot, rollback, stop and destroy;
# user namespaces are still detected from the nodes; no request of the agent
# is forbidden.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/kube/kube-lib.sh"

kube_setup 'bind-timeout = 10
storage nosc {
	storage-class = "does-not-exist"
}' || exit 1

SA=corral-syncd
NODES_ROLE=$KNS-nodes
KUBE_CLUSTER_OBJECTS="clusterrole/$NODES_ROLE clusterrolebinding/$NODES_ROLE"

# the YAML of the man page's PERMISSIONS section, for this namespace
man_rules () {
	sed -n '/^\.SH PERMISSIONS/,/^\.SH /p' "$top_srcdir/doc/corral-syncd.8" |
		sed -n '/^\.ft C$/,/^\.ft$/p' | grep -v '^\.' |
		sed "s/namespace: corral}/namespace: $KNS}/; s/name: corral-syncd-nodes}/name: $NODES_ROLE}/"
}

# sa_kubeconfig FILE: a kubeconfig with the service account's token
sa_kubeconfig () {
	_server=$(kubectl --kubeconfig="$KUBECONFIG" config view --raw --flatten --minify -o jsonpath='{.clusters[0].cluster.server}') &&
	_ca=$(kubectl --kubeconfig="$KUBECONFIG" config view --raw --flatten --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}') &&
	_token=$(kc create token "$SA" --duration=1h) &&
	[ -n "$_server" ] && [ -n "$_ca" ] && [ -n "$_token" ] &&
	cat >"$1" <<-EOF
	apiVersion: v1
	kind: Config
	current-context: sa
	clusters:
	- name: c
	  cluster: {server: "$_server", certificate-authority-data: "$_ca"}
	users:
	- name: sa
	  user: {token: "$_token"}
	contexts:
	- name: sa
	  context: {cluster: c, user: sa, namespace: "$KNS"}
	EOF
}

test_expect_success 'setup: the agent runs as a service account with the man page'"'"'s rules, and no more' '
	man_rules >rules.yaml &&
	grep -q "kind: Role" rules.yaml && grep -q "kind: ClusterRole" rules.yaml &&
	kc create serviceaccount "$SA" >/dev/null &&
	kc apply -f rules.yaml >/dev/null &&
	kc create rolebinding corral-syncd --role=corral-syncd --serviceaccount="$KNS:$SA" >/dev/null &&
	kubectl --kubeconfig="$KUBECONFIG" create clusterrolebinding "$NODES_ROLE" \
		--clusterrole="$NODES_ROLE" --serviceaccount="$KNS:$SA" >/dev/null &&
	sa_kubeconfig sa.kubeconfig &&
	kubectl --kubeconfig=sa.kubeconfig auth can-i delete pods | grep -qx yes &&
	! kubectl --kubeconfig=sa.kubeconfig auth can-i create pods >/dev/null &&
	! kubectl --kubeconfig=sa.kubeconfig auth can-i get secrets -n default >/dev/null &&
	sed -i "s|^kubeconfig = .*|kubeconfig = \"$PWD/sa.kubeconfig\"|" "$CORRAL_CONFIG" &&
	kube_agent_restart
'

test_expect_success 'create, start, a hot and a pending set, reboot: all with these rules' '
	ct_create 840 --unprivileged 1 --mp0 local:1,mp=/srv/data &&
	pct start 840 && status_is 840 running &&
	in_ct 840 sh -c "echo kept >/srv/data/v" &&
	pct set 840 --description "with rbac" --memory 768 &&
	pct reboot 840 && status_is 840 running &&
	test "$(pod_field 840 "{.spec.containers[?(@.name==\"ct\")].resources.limits.memory}")" = 768Mi
'

test_expect_success 'user namespaces are still detected from the nodes' '
	if [ "$VERSION" = v1.28.7 ]; then
		pct status 840 --verbose | grep -q "^userns: 0 (not supported by the cluster: node $NODE reports no runtime handlers"
	else
		pct status 840 --verbose | grep -qx "userns: 1 (detected from the nodes: the node supports them)"
	fi
'

test_expect_success 'a start that fails: the agent reads the Events to say why' '
	ct_create 841 --unprivileged 1 --rootfs nosc:1 &&
	test_must_fail pct start 841 2>err &&
	cat err &&
	grep -q "PVC nosc-vm-841-disk-0 is not bound after 10 s" err &&
	grep -q "does-not-exist" err &&
	pct destroy 841
'

test_expect_success 'snapshot, rollback, stop and destroy' '
	if [ "$CSI" = no ]; then
		pct stop 840
	else
		pct snapshot 840 s1 &&
		in_ct 840 sh -c "echo changed >/srv/data/v" &&
		pct rollback 840 s1 --start 1 &&
		test "$(in_ct 840 cat /srv/data/v)" = kept &&
		pct stop 840
	fi &&
	pct destroy 840 &&
	wait_for "test -z \"\$(kc get pvc -o name)\"" 120
'

test_expect_success 'no request of the agent was forbidden' '
	! grep -i "forbidden" "$AGENT_LOG"
'

test_done

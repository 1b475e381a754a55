#!/bin/sh
# User namespaces for unprivileged CTs (hostUsers: false), decided from what
# the nodes report (status.runtimeHandlers, the default handler "", its
# features.userNamespaces) instead of the server's version: listed at connect
# and watched, nothing asked at a resync; a node without them (a 1.28
# kubelet) turns them off and running CTs wait for a restart; a kubelet that
# comes back with them turns them on again; 403 on the nodes means none, said
# once, and granting the permission is seen at the next resync; corral.conf's
# yes and no ask no node; before 1.33 a dry run asks whether the API server
# keeps hostUsers; pct status --verbose says which and why.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"
. "$top_srcdir/tests/sync/agent-lib.sh"

# userns_is VMID TEXT: pct status --verbose says "userns: TEXT"
userns_is () {
	_ui=$("$PCT" status "$1" --verbose 2>/dev/null | sed -n 's/^userns: //p')
	if [ "$_ui" != "$2" ]; then
		echo "CT $1: userns: '$_ui', expected '$2'"
		return 1
	fi
}

# pending_restart_is VMID 0|1
pending_restart_is () {
	"$PCT" status "$1" --verbose | grep -qx "pending-restart: $2"
}

# template_host_users VMID: spec.template.spec.hostUsers of the CT's StatefulSet (None: absent)
template_host_users () {
	kget "$APPS/statefulsets/ct-$1" "$TRASH/.sts" &&
	json_eval "$TRASH/.sts" 'repr(d["spec"]["template"]["spec"].get("hostUsers"))'
}

pod_host_users () {
	kget "$NS/pods/ct-$1-0" "$TRASH/.pod" &&
	json_eval "$TRASH/.pod" 'repr(d["spec"].get("hostUsers"))'
}

# template_is VMID VALUE, pod_is VMID VALUE: for wait_for
template_is () {
	test "$(template_host_users "$1")" = "$2"
}

pod_is () {
	test "$(pod_host_users "$1")" = "$2"
}

log_count () {
	grep -c -e "$1" "$TRASH/syncd.log" || :
}

# wait_log REGEX N: the agent's log has N lines matching REGEX
wait_log () {
	_wl_end=$(($(date +%s) + 60))
	while [ "$(log_count "$1")" -lt "$2" ]; do
		[ "$(date +%s)" -lt "$_wl_end" ] || { echo "timed out waiting for $2 lines of '$1'"; return 1; }
		sleep 0.1
	done
}

# node_requests [watch]: the agent's reads of nodes: lists (GET), or watches
node_requests () {
	fake_ctl GET /_fake/log | "$PYTHON" -S -c 'import json, sys
w = len(sys.argv) > 1
print(sum(1 for e in json.load(sys.stdin)["requests"]
          if e["method"] == "GET" and e["path"].startswith("/api/v1/nodes")
          and bool(e.get("watch")) == w))' "$@"
}

# watches_at_least N: the agent has made N watches of nodes
watches_at_least () {
	test "$(node_requests watch)" -ge "$1"
}

# dry_runs: StatefulSets created with dryRun=All (the API server asked about hostUsers)
dry_runs () {
	fake_ctl GET /_fake/log | "$PYTHON" -S -c 'import json, sys
print(sum(1 for e in json.load(sys.stdin)["requests"]
          if e["method"] == "POST" and "dryRun=All" in (e["query"] or "")))'
}

log_lines () {
	grep -c -F -e "$1" "$TRASH/syncd.log" || :
}

HANDLERS_NONE='{"nodeInfo":{"kubeletVersion":"v1.28.7","containerRuntimeVersion":"containerd://1.6.20"}}'
old_node () { # old_node NAME: a node as a 1.28 kubelet with containerd 1.6 registers it
	fake_api POST /api/v1/nodes "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"$1\"},\"status\":$HANDLERS_NONE}" >/dev/null &&
	test "$(fake_status)" = 201
}

NO_HANDLERS="reports no runtime handlers (Kubernetes before 1.30, or a container runtime that does not report them)"
YES_ONE="detected from the nodes: the node supports them"
YES_ALL="detected from the nodes: every node supports them"
FORBIDDEN='the agent may not read the nodes (nodes is forbidden: User "corral-test" cannot list resource "nodes" in API group "" at the cluster scope); grant it get, list and watch on nodes, or set user-namespaces in corral.conf'

fake_start || exit 1
SYNCD_RESYNC=1 syncd_config "allow-privileged = true"
ct_new 100
ct_new 101
sed -i "s/^unprivileged: 1$/unprivileged: 0/" "$CORRAL_CONFDIR/101.conf"
ct_new 102
syncd_start || exit 1

test_expect_success 'a node with user namespaces: an unprivileged CT gets hostUsers false; the status says why' '
	agent_log_has "connected to .*(Kubernetes 1.33, user namespaces, volume snapshots, in-place resize)$" &&
	test "$(log_lines "user namespaces for unprivileged CTs: yes, $YES_ONE")" = 1 &&
	pct start 100 &&
	test "$(template_host_users 100)" = False &&
	test "$(pod_host_users 100)" = False &&
	userns_is 100 "1 ($YES_ONE)" &&
	wait_for 30 userns_is 101 "0 (a privileged CT)" &&
	test "$(template_host_users 101)" = None &&
	"$PCT" status 100 --verbose --output-format json >st.json &&
	json_is st.json "d[\"userns\"]" true &&
	json_is st.json "d[\"userns-reason\"]" "$YES_ONE" &&
	"$PCT" status 100 >plain &&
	! grep -q userns plain
'

test_expect_success 'the nodes are listed once and watched; resyncs ask nothing, nor a dry run from 1.33' '
	p=$(log_count "periodic resync") &&
	wait_log "periodic resync" $((p + 3)) &&
	test "$(node_requests)" = 1 &&
	test "$(node_requests watch)" = 1 &&
	test "$(dry_runs)" = 0
'

test_expect_success 'a node without runtime handlers joins (a 1.28 kubelet): none; the running CT waits for a restart' '
	old_node old-1 &&
	why="not supported by the cluster: node old-1 $NO_HANDLERS; 1 of 2 nodes support them" &&
	wait_for 30 userns_is 100 "1 (until the next start; then 0: $why)" &&
	pending_restart_is 100 1 &&
	test "$(template_host_users 100)" = None &&
	test "$(pod_host_users 100)" = False &&
	userns_is 102 "0 ($why)" &&
	agent_log_has "user namespaces for unprivileged CTs: no, $why" &&
	agent_log_has "the pod templates of unprivileged CTs change: running ones wait for a restart" &&
	test "$(node_requests)" = 1
'

test_expect_success '... pct reboot: the new pod runs without' '
	pct reboot 100 &&
	wait_for 30 pod_is 100 None &&
	wait_for 30 userns_is 100 "0 (not supported by the cluster: node old-1 $NO_HANDLERS; 1 of 2 nodes support them)" &&
	pending_restart_is 100 0
'

test_expect_success 'its kubelet comes back with user namespaces (its status changes): on again' '
	fake_api PATCH /api/v1/nodes/old-1/status "{\"status\":{\"runtimeHandlers\":[{\"name\":\"runc\",\"features\":{\"recursiveReadOnlyMounts\":true,\"userNamespaces\":true}},{\"name\":\"\",\"features\":{\"recursiveReadOnlyMounts\":true,\"userNamespaces\":true}}]}}" \
		application/merge-patch+json >/dev/null &&
	test "$(fake_status)" = 200 &&
	wait_for 30 userns_is 100 "0 (until the next start; then 1: $YES_ALL)" &&
	test "$(template_host_users 100)" = False &&
	userns_is 102 "1 ($YES_ALL)" &&
	agent_log_has "user namespaces for unprivileged CTs: yes, $YES_ALL"
'

test_expect_success 'a node whose default handler lacks them, then leaves: off, then on' '
	old_node old-2 &&
	fake_api PATCH /api/v1/nodes/old-2/status "{\"status\":{\"runtimeHandlers\":[{\"name\":\"\",\"features\":{\"recursiveReadOnlyMounts\":true,\"userNamespaces\":false}},{\"name\":\"kata\",\"features\":{\"userNamespaces\":true}}]}}" \
		application/merge-patch+json >/dev/null &&
	wait_for 30 userns_is 102 "0 (not supported by the cluster: node old-2 reports no user namespaces for its default runtime handler; 2 of 3 nodes support them)" &&
	fake_api DELETE /api/v1/nodes/old-2 >/dev/null &&
	wait_for 30 userns_is 102 "1 ($YES_ALL)" &&
	test "$(node_requests)" = 1
'

syncd_stop
fake_api DELETE /api/v1/nodes/old-1 >/dev/null
fake_ctl POST /_fake/log/clear >/dev/null
fake_ctl POST /_fake/config '{"forbid":[{"user":"corral-test","verb":"list","resource":"nodes"},{"user":"corral-test","verb":"watch","resource":"nodes"},{"user":"corral-test","verb":"get","resource":"nodes"}]}' >/dev/null
: >"$TRASH/syncd.log"
syncd_start || exit 1

test_expect_success 'the agent may not read the nodes (403): none, said once; CTs still start' '
	test "$(log_lines "user namespaces for unprivileged CTs: no, $FORBIDDEN")" = 1 &&
	agent_log_has "connected to .*(Kubernetes 1.33, volume snapshots, in-place resize)$" &&
	wait_for 30 userns_is 102 "0 ($FORBIDDEN)" &&
	pct start 102 &&
	test "$(pod_host_users 102)" = None &&
	userns_is 102 "0 ($FORBIDDEN)" &&
	userns_is 100 "0 ($FORBIDDEN)" &&
	pending_restart_is 100 0
'

test_expect_success '... one list per periodic resync, no watch, no new line in the log' '
	p=$(log_count "periodic resync") &&
	n=$(node_requests) &&
	wait_log "periodic resync" $((p + 3)) &&
	m=$(node_requests) &&
	q=$(log_count "periodic resync") &&
	test $((m - n)) -ge 2 && test $((m - n)) -le $((q - p + 1)) &&
	test "$(node_requests watch)" = 0 &&
	test "$(log_lines "user namespaces for unprivileged CTs")" = 1 &&
	kill -0 "$SYNCD_PID"
'

test_expect_success '... granted: seen at the next resync, and watched from then on' '
	fake_ctl POST /_fake/config "{\"forbid\":[]}" >/dev/null &&
	wait_for 30 userns_is 102 "0 (until the next start; then 1: $YES_ONE)" &&
	agent_log_has "user namespaces for unprivileged CTs: yes, $YES_ONE" &&
	wait_for 30 watches_at_least 1 &&
	test "$(node_requests watch)" = 1 &&
	n=$(node_requests) && p=$(log_count "periodic resync") &&
	wait_log "periodic resync" $((p + 2)) &&
	test "$(node_requests)" = "$n"
'

syncd_stop
fake_ctl POST /_fake/config '{"forbid":[{"user":"corral-test","verb":"watch","resource":"nodes"}]}' >/dev/null
fake_ctl POST /_fake/log/clear >/dev/null
: >"$TRASH/syncd.log"
syncd_start || exit 1

test_expect_success 'may list the nodes but not watch them: read at each resync instead, said once' '
	wait_log "may not watch the nodes" 1 &&
	test "$(log_count "may not watch the nodes")" = 1 &&
	p=$(log_count "periodic resync") &&
	wait_log "periodic resync" $((p + 3)) &&
	test "$(node_requests)" -ge 3 &&
	userns_is 102 "0 (until the next start; then 1: $YES_ONE)" &&
	old_node old-3 &&
	wait_for 30 userns_is 102 "0 (not supported by the cluster: node old-3 $NO_HANDLERS; 1 of 2 nodes support them)" &&
	test "$(log_count "may not watch the nodes")" = 1
'

syncd_stop
fake_api DELETE /api/v1/nodes/old-3 >/dev/null
fake_ctl POST /_fake/config '{"forbid":[]}' >/dev/null
fake_ctl POST /_fake/log/clear >/dev/null
SYNCD_RESYNC=1 syncd_config "allow-privileged = true
user-namespaces = \"no\""
: >"$TRASH/syncd.log"
syncd_start || exit 1

test_expect_success 'corral.conf says no: no node is asked; the status says who decided' '
	wait_for 30 userns_is 102 "0 (forced by corral.conf (user-namespaces = no))" &&
	test "$(template_host_users 102)" = None &&
	agent_log_has "user namespaces for unprivileged CTs: no, forced by corral.conf (user-namespaces = no)" &&
	test "$(node_requests)" = 0 && test "$(node_requests watch)" = 0 &&
	pct stop 100 && pct stop 102
'

syncd_stop
fake_ctl POST /_fake/version '{"minor": "32"}' >/dev/null
fake_ctl POST /_fake/log/clear >/dev/null
SYNCD_RESYNC=1 syncd_config "allow-privileged = true"
: >"$TRASH/syncd.log"
syncd_start || exit 1

test_expect_success 'before 1.33 a dry run asks the API server: with its gate off it drops hostUsers, so none' '
	agent_log_has "user namespaces for unprivileged CTs: no, not supported by the cluster: the nodes have them, but the API server drops hostUsers (its UserNamespacesSupport feature gate is off)" &&
	test "$(dry_runs)" = 1 &&
	wait_for 30 template_is 102 None &&
	fake_api GET "$APPS/statefulsets" >sts.json &&
	json_is sts.json "[i[\"metadata\"][\"name\"] for i in d[\"items\"]]" "[\"ct-100\", \"ct-101\", \"ct-102\"]"
'

syncd_stop
fake_ctl POST /_fake/config '{"userns_gate": true}' >/dev/null
fake_ctl POST /_fake/log/clear >/dev/null
: >"$TRASH/syncd.log"
syncd_start || exit 1

test_expect_success '... with its gate on (as on the test cluster of 1.31): detected' '
	agent_log_has "user namespaces for unprivileged CTs: yes, $YES_ONE" &&
	test "$(dry_runs)" = 1 &&
	wait_for 30 template_is 102 False
'

syncd_stop
fake_ctl POST /_fake/config '{"userns_gate": false}' >/dev/null
fake_ctl POST /_fake/log/clear >/dev/null
SYNCD_RESYNC=1 syncd_config "allow-privileged = true
user-namespaces = \"yes\""
: >"$TRASH/syncd.log"
syncd_start || exit 1

test_expect_success 'corral.conf says yes to a server that drops hostUsers: the status says what the pod has' '
	test "$(dry_runs)" = 0 && test "$(node_requests)" = 0 &&
	pct start 102 &&
	test "$(pod_host_users 102)" = None &&
	wait_for 30 userns_is 102 "0 (forced by corral.conf (user-namespaces = yes), but the API server dropped hostUsers from the pod (its UserNamespacesSupport feature gate is off))" &&
	pending_restart_is 102 0
'

test_expect_success '... and the agent does not keep applying what the server drops' '
	n=$(fake_log_count PATCH) &&
	p=$(log_count "periodic resync") &&
	wait_log "periodic resync" $((p + 2)) &&
	test "$(fake_log_count PATCH)" = "$n"
'

test_done

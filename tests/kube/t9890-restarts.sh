#!/bin/sh
# Faults on a real cluster, with CTs running: the agent killed with SIGKILL in
# the middle of operations, the API server stopped while files are edited and
# CTs stopped, containerd and the kubelet restarted, the CNI config broken. Every case converges and
# nothing is lost. This script stops the cluster's components: run.sh runs it
# alone, after the others.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/kube/kube-lib.sh"

kube_setup || exit 1

cluster () {
	"$top_srcdir/tests/kube/cluster.sh" "$1" "$KUBE_CLUSTER" "$2"
}

# the whole cluster is back at the end, whatever happened
restore_cluster () {
	for c in apiserver containerd kubelet; do
		[ -f "$KUBE_CLUSTER/pid/$c" ] || cluster start "$c"
	done
}

# converged VMID MEMORY: the agent applied MEMORY to the StatefulSet and
# reports the CT running with its pod ready
converged () {
	test "$(kc get statefulset "ct-$1" -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}')" = "$2" &&
	status_is "$1" running
}

test_expect_success 'setup: a privileged and an unprivileged CT, running, with data' '
	ct_create 400 --unprivileged 0 --mp0 local:1,mp=/srv/data &&
	ct_create 401 --unprivileged 1 --mp0 local:1,mp=/srv/data &&
	pct start 400 && pct start 401 &&
	in_ct 400 sh -c "echo p >/srv/data/v && echo p >/root/v" &&
	in_ct 401 sh -c "echo u >/srv/data/v && echo u >/data/v"
'

test_expect_success 'the agent killed during a snapshot: the new agent finishes it' '
	{ pct snapshot 400 snap1 >snap.out 2>&1 & } &&
	snap=$! &&
	wait_for "grep -q \"^lock: snapshot\" \"$CORRAL_CONFDIR/400.conf\" && kc get volumesnapshots -o name | grep -q snap1" 120 &&
	agent_kill &&
	agent_start --debug &&
	wait $snap &&
	! grep -q "^lock:" "$CORRAL_CONFDIR/400.conf" &&
	pct listsnapshot 400 --verbose | grep snap1 | grep -q "ready: 2/2"
'

test_expect_success 'the agent killed during a start: the new agent finishes it' '
	pct stop 401 &&
	{ pct start 401 >start.out 2>&1 & } &&
	start=$! &&
	wait_for "test \"\$(kc get statefulset ct-401 -o jsonpath={.spec.replicas})\" = 1" 60 &&
	agent_kill &&
	agent_start --debug &&
	wait $start &&
	status_is 401 running &&
	test "$(in_ct 401 cat /data/v)" = u
'

test_expect_success 'the API server stopped: edits and a stop made meanwhile are applied when it is back' '
	cluster stop apiserver &&
	vi_edit "$CORRAL_CONFDIR/400.conf" "s/^memory: .*/memory: 300/" &&
	pct set 401 --memory 280 &&
	{ pct stop 401 >stop.out 2>&1 & } &&
	stop=$! &&
	sleep 5 &&
	cluster start apiserver &&
	wait $stop &&
	status_is 401 stopped &&
	wait_for "test \"\$(kc get statefulset ct-400 -o jsonpath={.spec.template.spec.containers[0].resources.limits.memory})\" = 300Mi" 120 &&
	pct start 401 &&
	test "$(pod_field 401 "{.spec.containers[0].resources.limits.memory}")" = 280Mi &&
	test "$(in_ct 401 cat /srv/data/v)" = u
'
restore_cluster

test_expect_success 'containerd restarted: the CTs keep running, exec works, nothing restarted' '
	uid400=$(pod_uid 400) && uid401=$(pod_uid 401) &&
	in_ct 400 sh -c "echo before >/tmp/alive" &&
	cluster restart containerd &&
	wait_for "in_ct 400 true" 120 &&
	test "$(in_ct 400 cat /tmp/alive)" = before &&
	test "$(pod_uid 400)" = "$uid400" && test "$(pod_uid 401)" = "$uid401" &&
	status_is 400 running && status_is 401 running
'
restore_cluster

test_expect_success 'the kubelet restarted: the CTs keep running; stop and start work after' '
	uid400=$(pod_uid 400) &&
	cluster restart kubelet &&
	wait_for "in_ct 400 true" 120 &&
	test "$(pod_uid 400)" = "$uid400" &&
	test "$(in_ct 400 cat /tmp/alive)" = before &&
	status_is 400 running &&
	pct reboot 400 &&
	converged 400 300Mi &&
	test "$(in_ct 400 cat /root/v)" = p &&
	test "$(in_ct 400 cat /srv/data/v)" = p
'
restore_cluster

test_expect_success 'the kubelet stopped while a CT is stopped: its volumes are released before anything is deleted' '
	pv=$(pv_of "$(volid 401 mp0)") &&
	cluster stop kubelet &&
	{ pct stop 401 >stop.out 2>&1 & } &&
	stop=$! &&
	sleep 5 &&
	cluster start kubelet &&
	wait $stop &&
	status_is 401 stopped &&
	volume_released "$pv"
'
restore_cluster

test_expect_success 'a pod sandbox that cannot be created (a broken CNI config): pct start says so' '
	conflist="$KUBE_CLUSTER/etc/cni/10-corral.conflist" &&
	cp "$conflist" conflist.good &&
	ct_create 402 --unprivileged 1 &&
	sed -i "s/\"type\": \"bridge\"/\"type\": \"nope-bridge\"/" "$conflist" &&
	test_must_fail pct start 402 2>err;
	rc=$?
	cp conflist.good "$conflist" &&
	test $rc = 0 && cat err &&
	grep -q "sandbox cannot be created (FailedCreatePodSandBox)" err &&
	grep -q "nope-bridge" err &&
	wait_for "status_is 402 stopped" 60 &&
	pct start 402 && status_is 402 running &&
	pct stop 402 && pct destroy 402
'

test_expect_success 'everything converged: destroy leaves nothing, no volume deleted in use' '
	pvs="$(pv_of "$(volid 400 rootfs)") $(pv_of "$(volid 400 mp0)") $(pv_of "$(volid 401 rootfs)") $(pv_of "$(volid 401 mp0)")" &&
	pct stop 400 && pct destroy 400 && pct destroy 401 &&
	for pv in $pvs; do
		wait_for "! kubectl get pv $pv" 120 &&
		volume_released "$pv" || return 1
	done &&
	wait_for "test -z \"\$(kc get volumesnapshots -o name)\"" 120
'

test_done

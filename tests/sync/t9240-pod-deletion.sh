#!/bin/sh
# A CT's pod goes the way a kubelet lets it go. With the fake's
# pod_termination_delay a deleted pod stays Terminating until "the kubelet"
# has stopped it and unmounted its volumes; a force delete
# (gracePeriodSeconds 0) drops the object at once and leaves the volumes
# mounted a while, and a PVC deleted then is counted as deleted in use (a
# real CSI driver: "Volume ... is still used"). pct stop never force-deletes
# (during a shutdown it shortens the grace period); pct reboot returns only
# once the new pod runs; destroy and rollback delete or replace volumes only
# once the pod is gone.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"
. "$top_srcdir/tests/sync/agent-lib.sh"

PVC=$NS/persistentvolumeclaims

# deleted_in_use: the PVCs the fake saw deleted while still mounted, one line
deleted_in_use () {
	fake_ctl GET /_fake/stats | "$PYTHON" -S -c 'import json, sys
print(" ".join(json.load(sys.stdin)["deleted_in_use"]))'
}

# pod_running_with_new_uid VMID OLD-UID: the CT's pod is another one, running, not terminating
pod_running_with_new_uid () {
	kget "$NS/pods/ct-$1-0" "$TRASH/.pod" &&
	"$PYTHON" -S -c 'import json, sys
d = json.load(open(sys.argv[1]))
md = d["metadata"]
sys.exit(0 if md["uid"] != sys.argv[2] and not md.get("deletionTimestamp")
         and d.get("status", {}).get("phase") == "Running" else 1)' "$TRASH/.pod" "$2"
}

# pod_phase_is NAME PHASE
pod_phase_is () {
	kget "$NS/pods/$1" "$TRASH/.phase" && json_is "$TRASH/.phase" "d[\"status\"][\"phase\"]" "$2"
}

fake_start --pod-termination-delay 4 || exit 1
syncd_config
ct_new 300
echo "mp0: local:vm-300-disk-1,mp=/srv/data,size=1G" >>"$CORRAL_CONFDIR/300.conf"
ct_new 301
echo "mp0: local:vm-301-disk-1,mp=/srv/data,size=1G" >>"$CORRAL_CONFDIR/301.conf"
ct_new 302
syncd_start || exit 1

test_expect_success 'setup: the PVCs exist' '
	wait_for 60 kget $PVC/local-vm-300-disk-1 pvc &&
	wait_for 60 kget $PVC/local-vm-301-disk-1 pvc &&
	wait_for 60 kget $PVC/local-vm-302-disk-0 pvc
'

test_expect_success 'pct stop: a graceful delete of the pod, never a force delete; returns once it is gone' '
	pct start 300 &&
	pct stop 300 &&
	test "$(grace_of_last_pod_delete 300)" = 1 &&
	kgone $NS/pods/ct-300-0 &&
	status_is 300 stopped &&
	test -z "$(deleted_in_use)"
'

test_expect_success 'pct reboot returns once the new pod runs, three times in a row' '
	pct start 300 &&
	for i in 1 2 3; do
		uid=$(pod_uid 300) &&
		pct reboot 300 &&
		pod_running_with_new_uid 300 "$uid" &&
		status_is 300 running || return 1
	done
'

# pod_deletes VMID: how many DELETEs of the CT's pod the fake saw
pod_deletes () {
	fake_log_count DELETE "/pods/ct-$1-0\$"
}

test_expect_success 'pct shutdown --timeout 600 gives the pod 600 s, not its own 60; pct stop shortens it' '
	n=$(pod_deletes 300) &&
	{ pct shutdown 300 --timeout 600 >shutdown.out 2>&1 & } &&
	wait_for 30 pod_has 300 "d[\"metadata\"].get(\"deletionGracePeriodSeconds\")" 600 &&
	pct stop 300 &&
	wait &&
	test "$(pod_deletes 300)" = $((n + 2)) &&
	test "$(grace_of_last_pod_delete 300)" = 1 &&
	status_is 300 stopped &&
	pct start 300
'

test_expect_success 'pct rollback of a running CT: the volumes are replaced once the pod is gone' '
	pct start 302 &&
	pct snapshot 302 s1 &&
	pct rollback 302 s1 &&
	kget $PVC/local-vm-302-disk-0 pvc &&
	json_is pvc "d[\"metadata\"][\"annotations\"].get(\"corral.dev/restored-by\", \"\") != \"\"" true &&
	test -z "$(deleted_in_use)"
'

test_expect_success 'pct destroy right after pct stop: no volume deleted while mounted' '
	pct stop 300 &&
	pct destroy 300 &&
	kgone $PVC/local-vm-300-disk-0 && kgone $PVC/local-vm-300-disk-1 &&
	test -z "$(deleted_in_use)"
'

test_expect_success 'pct destroy --force of a running CT: the pod goes gracefully, then the volumes' '
	pct start 301 &&
	pct destroy 301 --force >out &&
	grep -qx "forced to stop CT 301 before destroying!" out &&
	test "$(grace_of_last_pod_delete 301)" = 1 &&
	kgone $NS/pods/ct-301-0 &&
	kgone $PVC/local-vm-301-disk-0 && kgone $PVC/local-vm-301-disk-1 &&
	test -z "$(deleted_in_use)" &&
	agent_log_has "CT 301: waiting for pod ct-301-0 to go"
'

test_expect_success 'the fake counts a PVC deleted while a force-deleted pod still has it mounted' '
	fake_ctl POST /_fake/config "{\"pod_termination_delay\": 60}" >/dev/null &&
	fake_api POST $PVC "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"scratch\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}" >/dev/null &&
	fake_api POST $NS/pods "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"scratch\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}],\"volumes\":[{\"name\":\"v\",\"persistentVolumeClaim\":{\"claimName\":\"scratch\"}}]}}" >/dev/null &&
	wait_for 30 pod_phase_is scratch Running &&
	fake_api DELETE $NS/pods/scratch "{\"gracePeriodSeconds\": 0}" >/dev/null &&
	kgone $NS/pods/scratch &&
	fake_api DELETE $PVC/scratch >/dev/null &&
	test "$(deleted_in_use)" = "default/scratch"
'

test_done

#!/bin/sh
# The storage's own answers, as a real CSI driver and provisioner give them
# (Kubernetes 1.31: in Events): pct resize fails when the driver refuses the
# size, and the file keeps the size the volume has; the agent then keeps the
# request the API server cannot lower, without an error. Rollback and clone
# are done once their new PVCs are bound (a StorageClass that binds at the
# first consumer: at once), and fail, naming the PVC, when one never binds.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"
. "$top_srcdir/tests/sync/agent-lib.sh"

CONF=$CORRAL_CONFDIR
PVC=$NS/persistentvolumeclaims
SC=/apis/storage.k8s.io/v1/storageclasses

# pvc_is NAME EXPR VALUE: EXPR (json_eval) on the PVC gives VALUE
pvc_is () {
	kget $PVC/$1 "$TRASH/.pvc" && json_is "$TRASH/.pvc" "$2" "$3"
}

# restored_by_op NAME: the PVC exists and was made by an operation of pct
restored_by_op () {
	kget $PVC/$1 "$TRASH/.pvcr" &&
	json_eval "$TRASH/.pvcr" 'd["metadata"]["annotations"]["corral.dev/restored-by"]'
}

# no_error VMID: the agent reports no error for the CT
no_error () {
	test -f "$CORRAL_RUNDIR/ct/$1.status" && ! grep -q "\"error\"" "$CORRAL_RUNDIR/ct/$1.status"
}

# unbindable CLASSES: the provisioner of these StorageClasses does not run (JSON list)
unbindable () {
	fake_ctl POST /_fake/config "{\"unbindable\": $1}" >/dev/null
}

fake_start || exit 1
# the server of the real cluster this was checked on: expansion failures only in Events
fake_ctl POST /_fake/version '{"minor": "31"}' >/dev/null
# the CSI hostpath driver refuses volumes over 1 TiB
fake_ctl POST /_fake/config '{"max_volume_size": "1Ti"}' >/dev/null
fake_api POST $SC '{"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"wffc"},"provisioner":"fake.csi.corral.dev","volumeBindingMode":"WaitForFirstConsumer","allowVolumeExpansion":true}' >/dev/null
test "$(fake_status)" = 201 || { echo "cannot create StorageClass wffc"; exit 1; }
syncd_config '
storage wffc {
	storage-class = "wffc"
	snapshot-class = "fake-snapclass"
}'
for id in 400 401 402 403; do
	ct_new $id
done
sed -i "s/^rootfs: local:/rootfs: wffc:/" "$CONF/403.conf"
syncd_start || exit 1

test_expect_success 'setup: the PVCs are bound (the first consumer binds 403)' '
	for id in 400 401 402; do
		wait_for 60 pvc_is local-vm-$id-disk-0 "d[\"status\"][\"phase\"]" Bound || return 1
	done &&
	pct start 403 && wait_for 60 pvc_is wffc-vm-403-disk-0 "d[\"status\"][\"phase\"]" Bound &&
	pct stop 403
'

test_expect_success 'pct resize beyond what the driver allows: fails with the driver'"'"'s answer' '
	test_must_fail --code=255 pct resize 400 rootfs 2T 2>err &&
	grep -q "^resize of CT 400 failed: PVC local-vm-400-disk-0: expansion to 2Ti failed: VolumeResizeFailed: resize volume \"pvc-[0-9a-f-]*\" by resizer \"fake.csi.corral.dev\" failed: rpc error: code = OutOfRange desc = Requested capacity 2199023255552 exceeds maximum allowed 1099511627776$" err
'

test_expect_success '... the file keeps the size the volume has, as Proxmox leaves it' '
	grep -qx "rootfs: local:vm-400-disk-0,size=4G" "$CONF/400.conf" &&
	pvc_is local-vm-400-disk-0 "d[\"status\"][\"capacity\"][\"storage\"]" 4Gi
'

test_expect_success '... the agent keeps the request it cannot lower, without an error; the CT starts' '
	pvc_is local-vm-400-disk-0 "d[\"spec\"][\"resources\"][\"requests\"][\"storage\"]" 2Ti &&
	wait_for 60 agent_log_has "CT 400: PVC local-vm-400-disk-0 keeps its request of 2Ti" &&
	wait_for 60 no_error 400 &&
	pct start 400 && status_is 400 running && no_error 400 &&
	pct stop 400
'

test_expect_success '... and the status says why the expansion is stuck' '
	grep -q "\"resize_error\":\"expansion to 2Ti failed: VolumeResizeFailed: " "$CORRAL_RUNDIR/ct/400.status"
'

test_expect_success 'a later resize below the stuck request: the storage still refuses the 2Ti' '
	test_must_fail --code=255 pct resize 400 rootfs 5G 2>err &&
	grep -q "^resize of CT 400 failed: PVC local-vm-400-disk-0: expansion to 2Ti failed: " err &&
	grep -qx "rootfs: local:vm-400-disk-0,size=4G" "$CONF/400.conf"
'

test_expect_success 'pct snapshot of the CTs' '
	pct snapshot 401 s1 && pct snapshot 403 s1
'

test_expect_success 'pct rollback waits until the restored PVC is bound' '
	unbindable "[\"standard\"]" &&
	pct rollback 401 s1 >out 2>err &
	pid=$! &&
	wait_for 60 restored_by_op local-vm-401-disk-0 &&
	pvc_is local-vm-401-disk-0 "d[\"status\"][\"phase\"]" Pending &&
	sleep 1 && kill -0 $pid &&
	section "$CONF/401.conf" main | grep -qx "lock: rollback" &&
	unbindable "[]" &&
	wait $pid && test_cmp /dev/null err &&
	pvc_is local-vm-401-disk-0 "d[\"status\"][\"phase\"]" Bound &&
	! grep -q "^lock:" "$CONF/401.conf"
'

test_expect_success 'a restored PVC that never binds: the rollback fails, naming it' '
	unbindable "[\"standard\"]" &&
	test_must_fail --code=255 pct rollback 401 s1 2>err &&
	unbindable "[]" &&
	grep -q "^rollback of CT 401 to '"'"'s1'"'"' failed .*PVC local-vm-401-disk-0 (restored from VolumeSnapshot local-vm-401-disk-0-s1) is not bound after 5 s (ExternalProvisioning: Waiting for a volume to be created either by the external provisioner '"'"'fake.csi.corral.dev'"'"' or manually by the system administrator" err &&
	section "$CONF/401.conf" main | grep -qx "lock: rollback" &&
	pct unlock 401
'

test_expect_success 'a rollback onto a StorageClass that binds at the first consumer: done at once' '
	pct rollback 403 s1 &&
	! grep -q "^lock:" "$CONF/403.conf" &&
	test "$(restored_by_op wffc-vm-403-disk-0)" != "" &&
	pvc_is wffc-vm-403-disk-0 "d[\"status\"][\"phase\"]" Pending &&
	pct start 403 && status_is 403 running &&
	pvc_is wffc-vm-403-disk-0 "d[\"status\"][\"phase\"]" Bound
'

test_expect_success 'pct clone waits until the new PVC is bound' '
	unbindable "[\"standard\"]" &&
	pct clone 402 410 >out 2>err &
	pid=$! &&
	wait_for 60 restored_by_op local-vm-410-disk-0 &&
	sleep 1 && kill -0 $pid &&
	grep -qx "lock: create" "$CONF/410.conf" &&
	unbindable "[]" &&
	wait $pid &&
	pvc_is local-vm-410-disk-0 "d[\"status\"][\"phase\"]" Bound &&
	! grep -q "^lock:" "$CONF/410.conf"
'

test_expect_success 'a cloned PVC that never binds: the clone fails, naming it' '
	unbindable "[\"standard\"]" &&
	test_must_fail --code=255 pct clone 402 411 2>err &&
	unbindable "[]" &&
	grep -q "PVC local-vm-411-disk-0 (clone of local:vm-402-disk-0) is not bound after 5 s (ExternalProvisioning: " err &&
	test ! -e "$CONF/411.conf"
'

test_done

#!/bin/sh
# The edges of pct's storage verbs with a running corral-syncd and the fake
# API server: templates and their linked clones (restored from a base
# VolumeSnapshot), full clones into another StorageClass, the locks a clone
# holds while the cluster works, unusedN deletion and protection, bind
# mount points and snapshots, a StorageClass without expansion, a locked
# rollback, and the agent killed with SIGKILL in the middle of a snapshot.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"
. "$top_srcdir/tests/sync/agent-lib.sh"

CONF=$CORRAL_CONFDIR
VS=$SNAPS/volumesnapshots
PVC=$NS/persistentvolumeclaims
SC=/apis/storage.k8s.io/v1/storageclasses

# mark_ready NAME: the snapshot controller says it is ready (snapshot_ready: manual)
mark_ready () {
	fake_ctl POST /_fake/volumesnapshot "{\"name\": \"$1\", \"ready\": true}" >/dev/null
}

# pvc_bound NAME: the PVC exists and is Bound
pvc_bound () {
	kget $PVC/$1 "$TRASH/.pvc" && json_is "$TRASH/.pvc" 'd["status"]["phase"]' Bound
}

# no_error VMID: the agent reports no error for the CT
no_error () {
	test -f "$CORRAL_RUNDIR/ct/$1.status" && ! grep -q "\"error\"" "$CORRAL_RUNDIR/ct/$1.status"
}

# vs_of VMID: the names of the VolumeSnapshots labelled for the CT, sorted
vs_of () {
	fake_api GET "$VS?labelSelector=corral.dev/ctid%3D$1" >"$TRASH/.vsl" &&
	json_eval "$TRASH/.vsl" '" ".join(sorted(i["metadata"]["name"] for i in d["items"]))'
}

# labelled_pvc VMID VOLID: a 1Gi PVC labelled for the CT that its config does not name
labelled_pvc () {
	_name=$(echo "$2" | tr : -)
	fake_api POST $PVC "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"$_name\",\"labels\":{\"app.kubernetes.io/managed-by\":\"corral\",\"corral.dev/ctid\":\"$1\"},\"annotations\":{\"corral.dev/volid\":\"$2\"}},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}" >/dev/null &&
	test "$(fake_status)" = 201
}

# has_volume VMID VOLID: the agent reports a PVC for VOLID in the CT's status
has_volume () {
	grep -q "\"volid\":\"$2\"" "$CORRAL_RUNDIR/ct/$1.status"
}

# no_vs VMID: no VolumeSnapshot is labelled for the CT
no_vs () {
	test -z "$(vs_of "$1")"
}

# patched_at_least N REGEX: the fake saw N or more PATCH requests to matching paths
patched_at_least () {
	test "$(fake_log_count PATCH "$2")" -ge "$1"
}

# heartbeat_after T: the agent wrote its heartbeat after unix time T
heartbeat_after () {
	test "$(json_eval "$CORRAL_RUNDIR/syncd.heartbeat" 'int(d["time"])')" -gt "$1"
}

fake_start || exit 1
# "fast": another class of the same CSI driver
fake_api POST $SC '{"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"fast"},"provisioner":"fake.csi.corral.dev","allowVolumeExpansion":true}' >/dev/null
test "$(fake_status)" = 201 || { echo "cannot create StorageClass fast"; exit 1; }
SYNCD_SNAPSHOT_TIMEOUT=60
syncd_config '
storage fast {
	storage-class = "fast"
	snapshot-class = "fake-snapclass"
}
storage slow {
	storage-class = "no-expand"
}'
ct_new 500
echo "mp0: local:vm-500-disk-1,mp=/srv/data,size=1G" >>"$CONF/500.conf"
ct_new 501
ct_new 520
ct_new 521
echo "protection: 1" >>"$CONF/521.conf"
ct_new 522
ct_new 530
sed -i "s/^rootfs: .*/rootfs: slow:vm-530-disk-0,size=4G/" "$CONF/530.conf"
ct_new 540
syncd_start || exit 1

test_expect_success 'setup: the PVCs are bound' '
	for p in local-vm-500-disk-0 local-vm-500-disk-1 local-vm-501-disk-0 \
		local-vm-520-disk-0 local-vm-540-disk-0 slow-vm-530-disk-0; do
		wait_for 60 pvc_bound $p || return 1
	done
'

# ---- templates and linked clones ----

test_expect_success 'pct template; a template never starts' '
	pct template 500 &&
	grep -qx "template: 1" "$CONF/500.conf" &&
	test_must_fail --code=255 pct start 500 2>err &&
	echo "you can'\''t start a CT if it'\''s a template" >expect && test_cmp expect err &&
	test "$(replicas 500)" = 0
'

test_expect_success 'a running CT made a template by hand is stopped by the agent' '
	pct start 501 && status_is 501 running &&
	echo "template: 1" >>"$CONF/501.conf" &&
	wait_for 60 status_is 501 stopped &&
	test "$(replicas 501)" = 0 &&
	json_is "$CORRAL_STATEDIR/ct/501.state" "d[\"power\"]" running &&
	kgone $NS/pods/ct-501-0 &&
	sed -i "/^template:/d" "$CONF/501.conf" &&
	wait_for 60 status_is 501 running &&
	pct stop 501
'

fake_ctl POST /_fake/config '{"snapshot_ready": "manual"}' >/dev/null

test_expect_success 'linked clone of a template: lock disk and lock create while the base snapshot is not ready' '
	pct clone 500 510 --hostname linked >out 2>err &
	pid=$! &&
	wait_for 60 kget $VS/local-vm-500-disk-0--base vs0 &&
	wait_for 60 kget $VS/local-vm-500-disk-1--base vs1 &&
	section "$CONF/500.conf" main >main && grep -qx "lock: disk" main &&
	grep -qx "lock: create" "$CONF/510.conf" &&
	kgone $PVC/local-vm-510-disk-0 &&
	mark_ready local-vm-500-disk-0--base &&
	mark_ready local-vm-500-disk-1--base &&
	wait $pid &&
	test_cmp /dev/null err &&
	grep -qx "create linked clone of rootfs (local:vm-500-disk-0)" out &&
	grep -qx "create linked clone of mp0 (local:vm-500-disk-1)" out &&
	! grep -q "^lock:" "$CONF/500.conf" && ! grep -q "^lock:\|^template:" "$CONF/510.conf" &&
	grep -qx "rootfs: local:vm-510-disk-0,size=4G" "$CONF/510.conf" &&
	grep -qx "hostname: linked" "$CONF/510.conf"
'

test_expect_success '... the base VolumeSnapshots belong to the template' '
	for v in 0 1; do
		kget $VS/local-vm-500-disk-$v--base vs &&
		json_is vs "d[\"spec\"][\"source\"][\"persistentVolumeClaimName\"]" local-vm-500-disk-$v &&
		json_is vs "d[\"metadata\"][\"labels\"][\"corral.dev/ctid\"]" 500 &&
		json_is vs "d[\"metadata\"][\"labels\"][\"corral.dev/template-base\"]" true &&
		json_is vs "\"corral.dev/snapshot\" in d[\"metadata\"][\"labels\"]" false || return 1
	done &&
	pct listsnapshot 500 >out &&
	! grep -q base out
'

test_expect_success '... the clone PVCs are restored from them' '
	for v in 0 1; do
		wait_for 60 pvc_bound local-vm-510-disk-$v &&
		kget $PVC/local-vm-510-disk-$v new &&
		json_is new "d[\"spec\"][\"dataSource\"][\"kind\"]" VolumeSnapshot &&
		json_is new "d[\"spec\"][\"dataSource\"][\"name\"]" local-vm-500-disk-$v--base &&
		json_is new "d[\"metadata\"][\"labels\"][\"corral.dev/ctid\"]" 510 || return 1
	done
'

test_expect_success 'a second linked clone reuses the base VolumeSnapshots' '
	kget $VS/local-vm-500-disk-0--base before &&
	pct clone 500 511 >out &&
	grep -qx "create linked clone of rootfs (local:vm-500-disk-0)" out &&
	kget $VS/local-vm-500-disk-0--base after &&
	test "$(json_eval before "d[\"metadata\"][\"uid\"]")" = "$(json_eval after "d[\"metadata\"][\"uid\"]")" &&
	test "$(vs_of 500)" = "local-vm-500-disk-0--base local-vm-500-disk-1--base" &&
	kget $PVC/local-vm-511-disk-1 new &&
	json_is new "d[\"spec\"][\"dataSource\"][\"name\"]" local-vm-500-disk-1--base
'

fake_ctl POST /_fake/config '{"snapshot_ready": "immediate"}' >/dev/null

test_expect_success 'the linked clone runs; the template still does not' '
	pct start 510 && status_is 510 running &&
	test "$(replicas 500)" = 0 &&
	pct stop 510
'

# ---- --storage and --full ----

test_expect_success '--storage for a linked clone (a template without --full) is refused' '
	cp "$CONF/500.conf" before &&
	test_must_fail --code=255 pct clone 500 512 --storage fast 2>err &&
	echo "parameter '\''storage'\'' not allowed for linked clones" >expect && test_cmp expect err &&
	test ! -e "$CONF/512.conf" && test_cmp before "$CONF/500.conf" &&
	test_must_fail --code=255 pct clone 501 512 --storage fast --full 0 2>err &&
	test_cmp expect err && test ! -e "$CONF/512.conf" &&
	! grep -q "^lock:" "$CONF/501.conf"
'

test_expect_success 'a linked clone of the current state of a CT that is not a template is refused' '
	test_must_fail --code=255 pct clone 501 512 --full 0 2>err &&
	echo "Linked clone feature for '\''local:vm-501-disk-0'\'' is not available" >expect &&
	test_cmp expect err &&
	test ! -e "$CONF/512.conf" && ! grep -q "^lock:" "$CONF/501.conf"
'

test_expect_success 'clone --full --storage: locks held while the cluster refuses the new PVCs' '
	fake_ctl POST /_fake/fault "{\"code\": 500, \"count\": -1, \"method\": \"PATCH\", \"path\": \"persistentvolumeclaims/fast-vm-513-\"}" >/dev/null &&
	pct clone 500 513 --full --storage fast >out 2>err &
	pid=$! &&
	wait_for 60 patched_at_least 2 persistentvolumeclaims/fast-vm-513-disk-0 &&
	section "$CONF/500.conf" main >main && grep -qx "lock: disk" main &&
	grep -qx "lock: create" "$CONF/513.conf" &&
	kgone $PVC/fast-vm-513-disk-0 &&
	fake_ctl DELETE /_fake/fault >/dev/null &&
	wait $pid &&
	grep -qx "create full clone of rootfs (local:vm-500-disk-0)" out &&
	! grep -q "^lock:" "$CONF/500.conf" && ! grep -q "^lock:" "$CONF/513.conf"
'

test_expect_success '... the PVCs are in the other StorageClass, cloned from the source PVCs' '
	grep -qx "rootfs: fast:vm-513-disk-0,size=4G" "$CONF/513.conf" &&
	grep -qx "mp0: fast:vm-513-disk-1,mp=/srv/data,size=1G" "$CONF/513.conf" &&
	for v in 0 1; do
		wait_for 60 pvc_bound fast-vm-513-disk-$v &&
		kget $PVC/fast-vm-513-disk-$v new &&
		json_is new "d[\"spec\"][\"storageClassName\"]" fast &&
		json_is new "d[\"spec\"][\"dataSource\"][\"kind\"]" PersistentVolumeClaim &&
		json_is new "d[\"spec\"][\"dataSource\"][\"name\"]" local-vm-500-disk-$v || return 1
	done
'

test_expect_success '--storage without --full on a CT that is not a template: a full clone' '
	pct clone 501 514 --storage fast >out &&
	grep -qx "create full clone of rootfs (local:vm-501-disk-0)" out &&
	grep -qx "rootfs: fast:vm-514-disk-0,size=4G" "$CONF/514.conf" &&
	wait_for 60 pvc_bound fast-vm-514-disk-0 &&
	kget $PVC/fast-vm-514-disk-0 new &&
	json_is new "d[\"spec\"][\"storageClassName\"]" fast
'

test_expect_success 'destroying the template deletes its base VolumeSnapshots, not its clones' '
	pct destroy 500 &&
	wait_for 60 no_vs 500 &&
	kgone $PVC/local-vm-500-disk-0 &&
	pvc_bound local-vm-510-disk-0 && pvc_bound local-vm-511-disk-1 && pvc_bound fast-vm-513-disk-0
'

# ---- unusedN and protection ----

test_expect_success 'pct set --delete unusedN: the agent deletes the PVC' '
	labelled_pvc 520 local:vm-520-disk-1 &&
	wait_for 60 has_volume 520 local:vm-520-disk-1 &&
	pct rescan --vmid 520 >out &&
	grep -qx "unused0: local:vm-520-disk-1" "$CONF/520.conf" &&
	pvc_bound local-vm-520-disk-1 &&
	pct set 520 --delete unused0 &&
	! grep -q "^unused0:" "$CONF/520.conf" &&
	wait_for 60 kgone $PVC/local-vm-520-disk-1 &&
	pvc_bound local-vm-520-disk-0
'

test_expect_success 'with protection: 1 the unused volume and its PVC stay' '
	labelled_pvc 521 local:vm-521-disk-1 &&
	wait_for 60 has_volume 521 local:vm-521-disk-1 &&
	pct rescan --vmid 521 >out &&
	grep -qx "unused0: local:vm-521-disk-1" "$CONF/521.conf" &&
	cp "$CONF/521.conf" before &&
	test_must_fail --code=255 pct set 521 --delete unused0 2>err &&
	grep -q "can'\''t remove CT 521 drive '\''unused0'\'' - protection mode enabled" err &&
	test_cmp before "$CONF/521.conf" &&
	pvc_bound local-vm-521-disk-1 &&
	! grep -q "local:vm-521-disk-1" "$CORRAL_STATEDIR/ct/521.state" 2>/dev/null
'

test_expect_success '... and the agent keeps it even when asked behind pct'"'"'s back' '
	sed -i "/^unused0:/d" "$CONF/521.conf" &&
	printf "{\"destroy-volumes\": [\"local:vm-521-disk-1\"]}\n" >"$CORRAL_STATEDIR/ct/521.state" &&
	touch "$CONF/521.conf" &&
	wait_for 60 agent_log_has "CT 521: not deleting volume local:vm-521-disk-1: protection mode enabled" &&
	pvc_bound local-vm-521-disk-1
'

# ---- bind mount points and snapshots ----

test_expect_success 'snapshot with a bind mount point: refused, even with backup=0 (as Proxmox)' '
	echo "mp0: /srv/host,mp=/mnt/host,backup=0" >>"$CONF/522.conf" &&
	cp "$CONF/522.conf" before &&
	test_must_fail --code=255 pct snapshot 522 s1 2>err &&
	echo "snapshot feature is not available" >expect && test_cmp expect err &&
	test_cmp before "$CONF/522.conf" &&
	sed -i "s/^mp0: .*/mp0: \/srv\/host,mp=\/mnt\/host/" "$CONF/522.conf" &&
	cp "$CONF/522.conf" before &&
	test_must_fail --code=255 pct snapshot 522 s1 2>err &&
	test_cmp expect err && test_cmp before "$CONF/522.conf" &&
	no_vs 522
'

test_expect_success '... the lock is checked first, as Proxmox does' '
	echo "lock: backup" >>"$CONF/522.conf" &&
	test_must_fail --code=255 pct snapshot 522 s1 2>err &&
	echo "CT is locked (backup)" >expect && test_cmp expect err
'

# ---- faults ----

test_expect_success 'resize on a StorageClass without expansion: the API server refuses' '
	test_must_fail --code=255 pct resize 530 rootfs +1G 2>err &&
	grep -q "^resize of CT 530 failed: .*only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize" err
'

test_expect_success '... the file keeps the old size, the PVC its request, the agent recovers' '
	grep -qx "rootfs: slow:vm-530-disk-0,size=4G" "$CONF/530.conf" &&
	kget $PVC/slow-vm-530-disk-0 pvc &&
	json_is pvc "d[\"spec\"][\"resources\"][\"requests\"][\"storage\"]" 4Gi &&
	wait_for 60 no_error 530
'

test_expect_success 'rollback of a locked CT is refused' '
	pct snapshot 540 s1 &&
	sed -i "1i lock: backup" "$CONF/540.conf" &&
	section "$CONF/540.conf" main >main && grep -qx "lock: backup" main &&
	cp "$CONF/540.conf" before &&
	test_must_fail --code=255 pct rollback 540 s1 2>err &&
	echo "CT is locked (backup)" >expect && test_cmp expect err &&
	test_cmp before "$CONF/540.conf" &&
	pct unlock 540
'

fake_ctl POST /_fake/config '{"snapshot_ready": "manual"}' >/dev/null

test_expect_success 'the agent killed mid-snapshot and restarted: the snapshot completes' '
	pct snapshot 540 s2 >out 2>err &
	pid=$! &&
	wait_for 60 kget $VS/local-vm-540-disk-0-s2 vs &&
	section "$CONF/540.conf" s2 >s2 && grep -qx "snapstate: prepare" s2 &&
	kill -9 $SYNCD_PID && wait $SYNCD_PID 2>/dev/null;
	t=$(date +%s) &&
	{ "$SYNCD" --debug >>"$TRASH/syncd.log" 2>&1 & echo $! >"$TRASH/syncd.pid"; } &&
	wait_for 60 heartbeat_after $t &&
	mark_ready local-vm-540-disk-0-s2 &&
	wait $pid &&
	test_cmp /dev/null err &&
	section "$CONF/540.conf" main >main &&
	grep -qx "parent: s2" main && ! grep -q "^lock:" main &&
	! grep -q "^snapstate:" "$CONF/540.conf"
'
SYNCD_PID=$(cat "$TRASH/syncd.pid")

test_expect_success 'the agent killed and gone too long: pct cleans up, the agent deletes later' '
	cp "$CONF/540.conf" before &&
	pct snapshot 540 s3 >out 2>err &
	pid=$! &&
	wait_for 60 kget $VS/local-vm-540-disk-0-s3 vs &&
	kill -9 $SYNCD_PID && wait $SYNCD_PID 2>/dev/null;
	rm -f "$CORRAL_RUNDIR/syncd.heartbeat" &&
	test_must_fail --code=255 wait $pid &&
	grep -qx "snapshot create failed: starting cleanup" err &&
	grep -qx "corral-syncd stopped while the request was running" err &&
	test_cmp before "$CONF/540.conf" &&
	kget $VS/local-vm-540-disk-0-s3 vs
'
syncd_start || exit 1

test_expect_success '... the restarted agent deletes the VolumeSnapshots of the aborted snapshot' '
	wait_for 60 kgone $VS/local-vm-540-disk-0-s3 &&
	kget $VS/local-vm-540-disk-0-s2 vs
'

test_expect_success 'pct and the agent both killed mid-snapshot: pct unlock clears the lock' '
	"$PCT" snapshot 540 s4 >out 2>err &
	pid=$! &&
	wait_for 60 kget $VS/local-vm-540-disk-0-s4 vs &&
	kill -9 $pid $SYNCD_PID; wait $pid $SYNCD_PID 2>/dev/null;
	section "$CONF/540.conf" main >main && grep -qx "lock: snapshot" main &&
	section "$CONF/540.conf" s4 >s4 && grep -qx "snapstate: prepare" s4 &&
	test_must_fail --code=255 pct snapshot 540 s5 2>err &&
	echo "CT is locked (snapshot)" >expect && test_cmp expect err &&
	pct unlock 540 &&
	! grep -q "^lock:" "$CONF/540.conf"
'
syncd_start || exit 1

test_expect_success '... and pct delsnapshot removes the half-made snapshot and its VolumeSnapshots' '
	test_must_fail --code=255 pct rollback 540 s4 2>err &&
	echo "unable to rollback to incomplete snapshot (snapstate = prepare)" >expect &&
	test_cmp expect err &&
	pct delsnapshot 540 s4 &&
	! grep -q "^\[s4\]" "$CONF/540.conf" &&
	wait_for 60 kgone $VS/local-vm-540-disk-0-s4 &&
	section "$CONF/540.conf" main >main &&
	grep -qx "parent: s2" main && ! grep -q "^lock:" main
'

fake_ctl POST /_fake/config '{"snapshot_ready": "immediate"}' >/dev/null

test_expect_success 'after all that, snapshots work as before' '
	pct snapshot 540 s6 &&
	section "$CONF/540.conf" main >main && grep -qx "parent: s6" main &&
	pct listsnapshot 540 --verbose >out &&
	grep -q "s6 .*\[ready: 1/1 VolumeSnapshots ready\]$" out
'

test_done

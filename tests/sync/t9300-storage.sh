#!/bin/sh
# pct's storage verbs with a running corral-syncd and the fake API server:
# snapshot, listsnapshot --verbose, delsnapshot, rollback, clone, resize,
# rescan and destroy, checked both in the config file (Proxmox's snapshot
# state machine, pve-conf-format.md §7) and in the cluster's objects
# (VolumeSnapshots, PVCs with a dataSource). A snapshot that never becomes
# ready, a cluster without the snapshot API and a missing agent fail with a
# clear message and leave no half state.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"
. "$top_srcdir/tests/sync/agent-lib.sh"

CONF=$CORRAL_CONFDIR
VS=$SNAPS/volumesnapshots
PVC=$NS/persistentvolumeclaims

# vs_ready NAME: the VolumeSnapshot is ready to use
vs_ready () {
	kget "$VS/$1" "$TRASH/.vs" && json_is "$TRASH/.vs" 'd["status"]["readyToUse"]' true
}

# mark_ready NAME: the snapshot controller says it is ready (snapshot_ready: manual)
mark_ready () {
	fake_ctl POST /_fake/volumesnapshot "{\"name\": \"$1\", \"ready\": true}" >/dev/null
}

# has_volume VMID VOLID: the agent reports a PVC for VOLID in the CT's status
has_volume () {
	grep -q "\"volid\":\"$2\"" "$CORRAL_RUNDIR/ct/$1.status"
}

# no_error VMID: the agent reports no error for the CT
no_error () {
	! grep -q "\"error\"" "$CORRAL_RUNDIR/ct/$1.status"
}

# labelled_pvc VMID VOLID SIZE: a PVC labelled for the CT that its config does not name
labelled_pvc () {
	_name=$(echo "$2" | tr : -)
	fake_api POST $PVC "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"$_name\",\"labels\":{\"app.kubernetes.io/managed-by\":\"corral\",\"corral.dev/ctid\":\"$1\"},\"annotations\":{\"corral.dev/volid\":\"$2\"}},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"$3\"}}}}" >/dev/null &&
	test "$(fake_status)" = 201
}

# pvc_request_is NAME SIZE: the PVC requests SIZE
pvc_request_is () {
	kget $PVC/$1 "$TRASH/.pvcreq" &&
	json_is "$TRASH/.pvcreq" "d[\"spec\"][\"resources\"][\"requests\"][\"storage\"]" "$2"
}

fake_start || exit 1
syncd_config
ct_new 200
echo "mp0: local:vm-200-disk-1,mp=/srv/data,size=1G" >>"$CONF/200.conf"
ct_new 201
ct_new 202
syncd_start || exit 1

test_expect_success 'setup: the CTs PVCs exist; 200 runs' '
	wait_for 60 kget $PVC/local-vm-200-disk-1 pvc &&
	wait_for 60 kget $PVC/local-vm-201-disk-0 pvc &&
	pct start 200
'

test_expect_success 'pct snapshot: a VolumeSnapshot per volume, ready' '
	pct snapshot 200 s1 --description "first one" >out 2>err &&
	test_cmp /dev/null err &&
	for v in 0 1; do
		kget $VS/local-vm-200-disk-$v-s1 vs &&
		json_is vs "d[\"spec\"][\"source\"][\"persistentVolumeClaimName\"]" local-vm-200-disk-$v &&
		json_is vs "d[\"spec\"][\"volumeSnapshotClassName\"]" fake-snapclass &&
		json_is vs "d[\"metadata\"][\"labels\"][\"corral.dev/ctid\"]" 200 &&
		json_is vs "d[\"metadata\"][\"labels\"][\"corral.dev/snapshot\"]" s1 &&
		json_is vs "d[\"metadata\"][\"annotations\"][\"corral.dev/snapname\"]" s1 &&
		json_is vs "d[\"metadata\"][\"annotations\"][\"corral.dev/volid\"]" local:vm-200-disk-$v &&
		json_is vs "d[\"status\"][\"readyToUse\"]" true || return 1
	done
'

test_expect_success 'pct snapshot: the [s1] section with snaptime, committed; main has parent' '
	section "$CONF/200.conf" main >main &&
	grep -qx "parent: s1" main && ! grep -q "^lock:" main &&
	section "$CONF/200.conf" s1 >s1 &&
	grep -qx "#first one" s1 &&
	grep -qx "snaptime: [0-9][0-9]*" s1 &&
	now=$(date +%s) && t=$(sed -n "s/^snaptime: //p" s1) &&
	test $t -le $now && test $t -gt $((now - 600)) &&
	! grep -q "^snapstate:" s1 &&
	grep -qx "mp0: local:vm-200-disk-1,mp=/srv/data,size=1G" s1 &&
	grep -qx "rootfs: local:vm-200-disk-0,size=4G" s1
'

test_expect_success 'pct listsnapshot --verbose: readiness of the VolumeSnapshots' '
	pct listsnapshot 200 --verbose >out &&
	grep -q "^\`-> s1  .* first one \[ready: 2/2 VolumeSnapshots ready\]$" out &&
	grep -q "^ \`-> current  .* You are here!$" out &&
	pct listsnapshot 200 >plain &&
	! grep -q VolumeSnapshots plain
'

test_expect_success 'snapshot names: reserved and duplicate names are refused' '
	test_must_fail --code=255 pct snapshot 200 current 2>err &&
	grep -q "unable to use snapshot name .current. (reserved name)" err &&
	test_must_fail --code=255 pct snapshot 200 s1 2>err &&
	echo "snapshot name '\''s1'\'' already used" >expect && test_cmp expect err
'

fake_ctl POST /_fake/config '{"snapshot_ready": "manual"}' >/dev/null

test_expect_success 'while the VolumeSnapshots are not ready: lock snapshot, snapstate prepare' '
	pct snapshot 200 s2 >out 2>err &
	pid=$! &&
	wait_for 60 kget $VS/local-vm-200-disk-0-s2 vs &&
	wait_for 60 kget $VS/local-vm-200-disk-1-s2 vs &&
	section "$CONF/200.conf" main >main &&
	grep -qx "lock: snapshot" main &&
	section "$CONF/200.conf" s2 >s2 &&
	grep -qx "snapstate: prepare" s2 &&
	grep -qx "parent: s1" s2 &&
	wait_for 60 sh -c "\"\$PCT\" listsnapshot 200 --verbose | grep -q \"s2 .*\\[not ready: 0/2 VolumeSnapshots ready\\]\"" &&
	mark_ready local-vm-200-disk-0-s2 &&
	wait_for 60 sh -c "\"\$PCT\" listsnapshot 200 --verbose | grep -q \"s2 .*\\[not ready: 1/2 VolumeSnapshots ready\\]\"" &&
	mark_ready local-vm-200-disk-1-s2 &&
	wait $pid &&
	section "$CONF/200.conf" main >main &&
	grep -qx "parent: s2" main && ! grep -q "^lock:" main &&
	! grep -q "^snapstate:" "$CONF/200.conf" &&
	pct listsnapshot 200 --verbose >out &&
	grep -q "^ \`-> s2  .* no-description \[ready: 2/2 VolumeSnapshots ready\]$" out
'

test_expect_success 'a snapshot that never becomes ready: snapshot-timeout, clear error' '
	cp "$CONF/200.conf" before &&
	test_must_fail --code=255 pct snapshot 200 s3 >out 2>err &&
	grep -qx "snapshot create failed: starting cleanup" err &&
	grep -qx "the VolumeSnapshots of '\''s3'\'' did not become ready within 5 s" err
'

test_expect_success '... and no half state: the file as before, the VolumeSnapshots deleted' '
	test_cmp before "$CONF/200.conf" &&
	wait_for 60 kgone $VS/local-vm-200-disk-0-s3 &&
	wait_for 60 kgone $VS/local-vm-200-disk-1-s3 &&
	vs_ready local-vm-200-disk-0-s2
'

fake_ctl POST /_fake/config '{"snapshot_ready": "immediate"}' >/dev/null

test_expect_success 'pct delsnapshot: VolumeSnapshots and section gone, children re-parented' '
	pct delsnapshot 200 s1 >out 2>err &&
	test_cmp /dev/null err &&
	kgone $VS/local-vm-200-disk-0-s1 && kgone $VS/local-vm-200-disk-1-s1 &&
	! grep -q "^\[s1\]" "$CONF/200.conf" &&
	section "$CONF/200.conf" s2 >s2 && ! grep -q "^parent:" s2 &&
	section "$CONF/200.conf" main >main &&
	grep -qx "parent: s2" main && ! grep -q "^lock:" main &&
	! grep -q "^unused" main
'

test_expect_success 'pct delsnapshot of a snapshot that does not exist' '
	test_must_fail --code=255 pct delsnapshot 200 nope 2>err &&
	echo "snapshot '\''nope'\'' does not exist" >expect && test_cmp expect err
'

test_expect_success 'delsnapshot when the VolumeSnapshots cannot be deleted: stays locked' '
	pct snapshot 200 s5 &&
	fake_ctl POST /_fake/fault "{\"code\": 500, \"count\": -1, \"method\": \"DELETE\", \"path\": \"volumesnapshots\"}" >/dev/null &&
	test_must_fail --code=255 pct delsnapshot 200 s5 2>err &&
	grep -q "unable to delete VolumeSnapshot local-vm-200-disk-.-s5" err &&
	section "$CONF/200.conf" main >main && grep -qx "lock: snapshot-delete" main &&
	section "$CONF/200.conf" s5 >s5 && grep -qx "snapstate: delete" s5 &&
	test_must_fail --code=255 pct delsnapshot 200 s5 2>err &&
	echo "CT is locked (snapshot-delete)" >expect && test_cmp expect err
'

test_expect_success 'delsnapshot --force removes the half-deleted snapshot from the file' '
	pct delsnapshot 200 s5 --force >out 2>err &&
	grep -q "unable to delete VolumeSnapshot" err &&
	! grep -q "^\[s5\]" "$CONF/200.conf" &&
	section "$CONF/200.conf" main >main &&
	! grep -q "^lock:" main && grep -qx "parent: s2" main &&
	fake_ctl DELETE /_fake/fault >/dev/null
'

test_expect_success 'pct rollback of a running CT: stopped, PVCs restored from the snapshot' '
	pct snapshot 200 s4 &&
	pct set 200 --cores 2 &&
	grep -qx "cores: 2" "$CONF/200.conf" &&
	kget $PVC/local-vm-200-disk-0 old0 && kget $PVC/local-vm-200-disk-1 old1 &&
	status_is 200 running &&
	pct rollback 200 s4 >out 2>err &&
	test_cmp /dev/null err &&
	for v in 0 1; do
		kget $PVC/local-vm-200-disk-$v new &&
		test "$(json_eval new "d[\"metadata\"][\"uid\"]")" != "$(json_eval old$v "d[\"metadata\"][\"uid\"]")" &&
		json_is new "d[\"spec\"][\"dataSource\"][\"kind\"]" VolumeSnapshot &&
		json_is new "d[\"spec\"][\"dataSource\"][\"name\"]" local-vm-200-disk-$v-s4 &&
		json_is new "d[\"metadata\"][\"labels\"][\"corral.dev/ctid\"]" 200 &&
		json_is new "d[\"status\"][\"phase\"]" Bound || return 1
	done
'

test_expect_success '... the main section is the snapshot again; the CT stays stopped (no --start)' '
	section "$CONF/200.conf" main >main &&
	! grep -q "^cores:" main && ! grep -q "^lock:" main &&
	grep -qx "parent: s4" main &&
	grep -q "^\[s4\]" "$CONF/200.conf" && grep -q "^\[s2\]" "$CONF/200.conf" &&
	status_is 200 stopped && test "$(replicas 200)" = 0
'

test_expect_success 'pct rollback --start: rolled back and running' '
	pct rollback 200 s2 --start &&
	status_is 200 running &&
	section "$CONF/200.conf" main >main && grep -qx "parent: s2" main &&
	kget $PVC/local-vm-200-disk-0 new &&
	json_is new "d[\"spec\"][\"dataSource\"][\"name\"]" local-vm-200-disk-0-s2
'

test_expect_success 'pct rollback to a snapshot that does not exist' '
	test_must_fail --code=255 pct rollback 200 nope 2>err &&
	echo "snapshot '\''nope'\'' does not exist" >expect && test_cmp expect err &&
	status_is 200 running
'

test_expect_success 'pct clone of a running CT without --snapname: refused as Proxmox does' '
	status_is 200 running &&
	test_must_fail --code=255 pct clone 200 300 --hostname copy 2>err &&
	echo "Cannot do full clones on a running container without snapshots" >expect &&
	test_cmp expect err &&
	test ! -e "$CONF/300.conf" && ! grep -q "^lock:" "$CONF/200.conf" &&
	kgone $PVC/local-vm-300-disk-0
'

test_expect_success 'pct clone: a full clone of the current state gets its own PVCs' '
	pct stop 200 &&
	pct clone 200 300 --hostname copy >out 2>err &&
	grep -qx "create full clone of rootfs (local:vm-200-disk-0)" out &&
	grep -qx "create full clone of mp0 (local:vm-200-disk-1)" out &&
	grep -qx "rootfs: local:vm-300-disk-0,size=4G" "$CONF/300.conf" &&
	grep -qx "mp0: local:vm-300-disk-1,mp=/srv/data,size=1G" "$CONF/300.conf" &&
	grep -qx "hostname: copy" "$CONF/300.conf" &&
	! grep -q "^\[\|^parent:\|^lock:" "$CONF/300.conf" &&
	! grep -q "^lock:" "$CONF/200.conf" &&
	for v in 0 1; do
		kget $PVC/local-vm-300-disk-$v new &&
		json_is new "d[\"spec\"][\"dataSource\"][\"kind\"]" PersistentVolumeClaim &&
		json_is new "d[\"spec\"][\"dataSource\"][\"name\"]" local-vm-200-disk-$v &&
		json_is new "d[\"metadata\"][\"labels\"][\"corral.dev/ctid\"]" 300 || return 1
	done &&
	pct start 200
'

test_expect_success 'the clone runs on its own PVCs' '
	pct start 300 &&
	kget $NS/pods/ct-300-0 pod &&
	json_eval pod "sorted(v[\"persistentVolumeClaim\"][\"claimName\"] for v in d[\"spec\"][\"volumes\"] if \"persistentVolumeClaim\" in v)" >claims &&
	echo "[\"local-vm-300-disk-0\", \"local-vm-300-disk-1\"]" >expect && test_cmp expect claims &&
	pct stop 300
'

test_expect_success 'pct clone --snapname: PVCs restored from the snapshot' '
	pct clone 200 301 --snapname s2 >out &&
	grep -qx "rootfs: local:vm-301-disk-0,size=4G" "$CONF/301.conf" &&
	for v in 0 1; do
		kget $PVC/local-vm-301-disk-$v new &&
		json_is new "d[\"spec\"][\"dataSource\"][\"kind\"]" VolumeSnapshot &&
		json_is new "d[\"spec\"][\"dataSource\"][\"name\"]" local-vm-200-disk-$v-s2 || return 1
	done
'

test_expect_success 'pct clone onto an existing CT is refused' '
	test_must_fail --code=255 pct clone 200 300 2>err &&
	grep -q "^CT 300 already exists on node " err &&
	! grep -q "^lock:" "$CONF/200.conf"
'

fake_ctl POST /_fake/config '{"resize_delay": -1}' >/dev/null

test_expect_success 'pct resize grows the PVC request and waits until the storage grew it' '
	pct resize 201 rootfs +1G >out 2>err &
	pid=$! &&
	wait_for 60 pvc_request_is local-vm-201-disk-0 5Gi &&
	grep -qx "rootfs: local:vm-201-disk-0,size=5G" "$CONF/201.conf" &&
	kget $PVC/local-vm-201-disk-0 pvc &&
	json_is pvc "d[\"status\"][\"capacity\"][\"storage\"]" 4Gi &&
	sleep 1 && kill -0 $pid &&
	fake_ctl POST /_fake/pvc "{\"name\": \"local-vm-201-disk-0\", \"finish_resize\": true, \"offline\": true}" >/dev/null &&
	wait $pid && test_cmp /dev/null err &&
	kget $PVC/local-vm-201-disk-0 pvc &&
	json_is pvc "d[\"status\"][\"capacity\"][\"storage\"]" 5Gi &&
	grep -q "\"capacity\":5368709120" "$CORRAL_RUNDIR/ct/201.status"
'

test_expect_success 'pct resize to an absolute size: done once the node alone has to grow the file system' '
	pct resize 201 rootfs 6G &
	pid=$! &&
	wait_for 60 pvc_request_is local-vm-201-disk-0 6Gi &&
	grep -qx "rootfs: local:vm-201-disk-0,size=6G" "$CONF/201.conf" &&
	fake_ctl POST /_fake/pvc "{\"name\": \"local-vm-201-disk-0\", \"finish_resize\": true}" >/dev/null &&
	wait $pid &&
	kget $PVC/local-vm-201-disk-0 pvc &&
	json_is pvc "d[\"status\"][\"conditions\"][0][\"type\"]" FileSystemResizePending
'

test_expect_success 'shrinking and the same size are refused' '
	test_must_fail --code=255 pct resize 201 rootfs 2G 2>err &&
	echo "unable to shrink disk size" >expect && test_cmp expect err &&
	test_must_fail --code=255 pct resize 201 rootfs 6G 2>err &&
	echo "disk is already at specified size" >expect && test_cmp expect err &&
	grep -qx "rootfs: local:vm-201-disk-0,size=6G" "$CONF/201.conf"
'

fake_ctl POST /_fake/config '{"resize_delay": 0}' >/dev/null

test_expect_success 'pct rescan --dryrun: reports an unreferenced PVC, writes nothing' '
	labelled_pvc 201 local:vm-201-disk-5 1Gi &&
	wait_for 60 has_volume 201 local:vm-201-disk-5 &&
	cp "$CONF/201.conf" before &&
	pct rescan --vmid 201 --dryrun >out &&
	grep -qx "CT 201: add unreferenced volume '\''local:vm-201-disk-5'\'' as '\''unused0'\'' to config." out &&
	test_cmp before "$CONF/201.conf"
'

test_expect_success 'pct rescan: an unreferenced PVC labelled for the CT becomes unusedN' '
	pct rescan --vmid 201 >out &&
	grep -qx "CT 201: add unreferenced volume '\''local:vm-201-disk-5'\'' as '\''unused0'\'' to config." out &&
	grep -qx "unused0: local:vm-201-disk-5" "$CONF/201.conf" &&
	pct rescan --vmid 201 >out &&
	! grep -q "add unreferenced" out
'

test_expect_success 'pct rescan keeps size= while an expansion is under way' '
	grep -q "\"capacity\":5368709120" "$CORRAL_RUNDIR/ct/201.status" &&
	! grep -q "updated volume size" out &&
	grep -qx "rootfs: local:vm-201-disk-0,size=6G" "$CONF/201.conf"
'

test_expect_success 'pct rescan grows size= to the capacity of the PVC' '
	fake_ctl POST /_fake/pvc "{\"name\": \"local-vm-201-disk-0\", \"finish_resize\": true, \"offline\": true}" >/dev/null &&
	wait_for 60 grep -q "\"capacity\":6442450944" "$CORRAL_RUNDIR/ct/201.status" &&
	sed -i "s/^rootfs: .*/rootfs: local:vm-201-disk-0,size=5G/" "$CONF/201.conf" &&
	wait_for 60 grep -q "refusing to shrink" "$CORRAL_RUNDIR/ct/201.status" &&
	pct rescan --vmid 201 >out &&
	grep -qx "CT 201: updated volume size of '\''local:vm-201-disk-0'\'' in config." out &&
	grep -qx "rootfs: local:vm-201-disk-0,size=6G" "$CONF/201.conf" &&
	wait_for 60 no_error 201
'

test_expect_success 'pct destroy: refused while running' '
	test_must_fail --code=255 pct destroy 200 2>err &&
	echo "unable to destroy CT 200 - container is running" >expect && test_cmp expect err &&
	test -f "$CONF/200.conf"
'

test_expect_success 'pct destroy --force --purge: objects, PVCs, snapshots and the file are gone' '
	pct destroy 200 --force --purge >out &&
	grep -qx "forced to stop CT 200 before destroying!" out &&
	test ! -e "$CONF/200.conf" && test ! -e "$CORRAL_STATEDIR/ct/200.state" &&
	kgone $APPS/statefulsets/ct-200 && kgone $NS/services/ct-200 &&
	kgone $NS/configmaps/ct-200-conf && kgone $NS/pods/ct-200-0 &&
	kgone $PVC/local-vm-200-disk-0 && kgone $PVC/local-vm-200-disk-1 &&
	fake_api GET "$VS?labelSelector=corral.dev/ctid%3D200" >list &&
	json_is list "len(d[\"items\"])" 0
'

test_expect_success 'the clones keep their PVCs' '
	kget $PVC/local-vm-300-disk-0 pvc && kget $PVC/local-vm-301-disk-1 pvc &&
	status_is 300 stopped
'

test_expect_success 'pct destroy keeps a PVC labelled for the CT that no config references' '
	labelled_pvc 301 local:vm-301-disk-9 1Gi &&
	pct destroy 301 &&
	test ! -e "$CONF/301.conf" &&
	kgone $PVC/local-vm-301-disk-0 && kgone $PVC/local-vm-301-disk-1 &&
	kget $PVC/local-vm-301-disk-9 pvc
'

test_expect_success 'pct destroy --destroy-unreferenced-disks deletes those too' '
	labelled_pvc 201 local:vm-201-disk-9 1Gi &&
	wait_for 60 has_volume 201 local:vm-201-disk-9 &&
	pct destroy 201 --destroy-unreferenced-disks &&
	test ! -e "$CONF/201.conf" &&
	kgone $PVC/local-vm-201-disk-0 && kgone $PVC/local-vm-201-disk-5 &&
	kgone $PVC/local-vm-201-disk-9
'

fake_ctl POST /_fake/snapshot-api '{"enabled": false}' >/dev/null

test_expect_success 'the snapshot API goes away: pct snapshot refuses with the reason' '
	cp "$CONF/300.conf" before &&
	test_must_fail --code=255 pct snapshot 300 sx >out 2>err &&
	grep -qx "snapshot create failed: starting cleanup" err &&
	grep -qx "the cluster has no VolumeSnapshot API (snapshot.storage.k8s.io/v1): snapshot feature is not available" err &&
	test_cmp before "$CONF/300.conf"
'

syncd_stop
syncd_start || exit 1

test_expect_success 'an agent started without the snapshot API refuses the same way' '
	cp "$CONF/300.conf" before &&
	agent_log_has "connected to .*(Kubernetes 1.33, user namespaces, in-place resize)$" &&
	test_must_fail --code=255 pct snapshot 300 sx 2>err &&
	grep -qx "the cluster has no VolumeSnapshot API (snapshot.storage.k8s.io/v1): snapshot feature is not available" err &&
	test_cmp before "$CONF/300.conf"
'

fake_ctl POST /_fake/snapshot-api '{"enabled": true}' >/dev/null

test_expect_success 'once the API is served again, snapshots work without an agent restart' '
	pct snapshot 300 sx &&
	vs_ready local-vm-300-disk-0-sx && vs_ready local-vm-300-disk-1-sx &&
	grep -q "^\[sx\]" "$CONF/300.conf"
'

syncd_stop

test_expect_success 'no agent: snapshot, rollback, clone and delsnapshot refuse at once' '
	cp "$CONF/300.conf" before &&
	test_must_fail --code=255 pct snapshot 300 sy 2>err &&
	echo "corral-syncd is not running: pct snapshot needs it for the storage step" >expect &&
	test_cmp expect err &&
	test_must_fail --code=255 pct rollback 300 sx 2>err &&
	echo "corral-syncd is not running: pct rollback needs it for the storage step" >expect &&
	test_cmp expect err &&
	test_must_fail --code=255 pct clone 300 400 2>err &&
	echo "corral-syncd is not running: pct clone needs it for the storage step" >expect &&
	test_cmp expect err &&
	test_must_fail --code=255 pct delsnapshot 300 sx 2>err &&
	echo "corral-syncd is not running: pct delsnapshot needs it for the storage step" >expect &&
	test_cmp expect err &&
	test_cmp before "$CONF/300.conf" && test ! -e "$CONF/400.conf"
'

test_done

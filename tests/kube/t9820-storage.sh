#!/bin/sh
# Snapshots, rollback, clones and resize through a real CSI driver (the CSI
# hostpath driver and the snapshot controller): the data each step promises,
# checked inside the CTs; no volume deleted while mounted; a resize the
# storage refuses fails the command.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/kube/kube-lib.sh"

if [ "$CSI" = no ]; then
	kube_setup || exit 1
	test_expect_success 'without the VolumeSnapshot API, pct snapshot is refused with the reason' '
		ct_create 300 --unprivileged 1 &&
		test_must_fail pct snapshot 300 first 2>err &&
		grep -qi "snapshot" err &&
		! grep -q "^\[first\]" "$CORRAL_CONFDIR/300.conf" &&
		! grep -q "^lock:" "$CORRAL_CONFDIR/300.conf"
	'
	test_done
fi

kube_setup || exit 1

# data VMID PATH: what the CT holds at PATH (empty when missing)
data () {
	in_ct "$1" cat "$2" 2>/dev/null
}

test_expect_success 'setup: a running CT with data on its rootfs and a mount point' '
	ct_create 300 --unprivileged 1 --mp0 local:1,mp=/srv/data &&
	pct start 300 &&
	in_ct 300 sh -c "echo one >/data/v && echo one >/srv/data/v"
'

test_expect_success 'pct snapshot of a running CT; listsnapshot shows it ready' '
	pct snapshot 300 first --description "before two" &&
	grep -q "^\[first\]" "$CORRAL_CONFDIR/300.conf" &&
	pct listsnapshot 300 >list && grep -q "first" list &&
	pct listsnapshot 300 --verbose >vlist && grep -q "ready: 2/2" vlist &&
	status_is 300 running
'

test_expect_success 'pct snapshot of a stopped CT' '
	in_ct 300 sh -c "echo two >/data/v && echo two >/srv/data/v" &&
	pct stop 300 &&
	pct snapshot 300 second &&
	pct listsnapshot 300 --verbose >vlist && grep "second" vlist | grep -q "ready: 2/2"
'

test_expect_success 'pct rollback: the volumes hold the snapshot'"'"'s data, none deleted while mounted' '
	pct start 300 && in_ct 300 sh -c "echo three >/data/v" &&
	old_pvs="$(pv_of "$(volid 300 rootfs)") $(pv_of "$(volid 300 mp0)")" &&
	pct stop 300 &&
	pct rollback 300 first &&
	pct start 300 &&
	test "$(data 300 /data/v)" = one &&
	test "$(data 300 /srv/data/v)" = one &&
	for pv in $old_pvs; do
		volume_released "$pv" || return 1
	done
'

test_expect_success 'pct rollback --start of the stopped snapshot' '
	pct stop 300 &&
	pct rollback 300 second --start &&
	status_is 300 running &&
	test "$(data 300 /data/v)" = two
'

test_expect_success 'pct delsnapshot: the section and its VolumeSnapshots go' '
	kc get volumesnapshots -o name >before && test -s before &&
	pct delsnapshot 300 second &&
	! grep -q "^\[second\]" "$CORRAL_CONFDIR/300.conf" &&
	wait_for "test \$(kc get volumesnapshots -o name | grep -c second) = 0" 120 &&
	grep -q "^\[first\]" "$CORRAL_CONFDIR/300.conf"
'

test_expect_success 'pct clone --snapname: the clone holds the snapshot'"'"'s data' '
	pct clone 300 301 --snapname first --hostname snapclone &&
	pct start 301 &&
	test "$(data 301 /data/v)" = one &&
	test "$(data 301 /srv/data/v)" = one
'

test_expect_success 'full clone of a stopped CT: the clone holds the current data' '
	in_ct 300 sh -c "echo four >/data/v" &&
	pct stop 300 &&
	pct clone 300 302 --full --hostname fullclone &&
	pct start 302 &&
	test "$(data 302 /data/v)" = four &&
	in_ct 302 sh -c "echo mine >/data/v" &&
	pct start 300 && test "$(data 300 /data/v)" = four
'

test_expect_success 'linked clones of a template' '
	ct_create 310 --unprivileged 1 &&
	pct start 310 && in_ct 310 sh -c "echo base >/data/v" && pct stop 310 &&
	pct template 310 &&
	pct clone 310 311 --hostname linked1 &&
	pct clone 310 312 --hostname linked2 &&
	pct start 311 && pct start 312 &&
	test "$(data 311 /data/v)" = base &&
	test "$(data 312 /data/v)" = base &&
	in_ct 311 sh -c "echo changed >/data/v" &&
	test "$(data 312 /data/v)" = base
'

test_expect_success 'pct resize of a stopped CT: the volume grows, the file system at the next start' '
	pct stop 302 &&
	pct resize 302 rootfs 2G &&
	grep -q "^rootfs: .*size=2G" "$CORRAL_CONFDIR/302.conf" &&
	test "$(kc get pvc $(pvc_of "$(volid 302 rootfs)") -o jsonpath={.spec.resources.requests.storage})" = 2Gi &&
	pct start 302 &&
	wait_for "test \"\$(kc get pvc $(pvc_of "$(volid 302 rootfs)") -o jsonpath={.status.capacity.storage})\" = 2Gi" 120 &&
	test "$(data 302 /data/v)" = mine
'

test_expect_success 'pct resize of a running CT: the mounted volume grows online' '
	pct resize 300 mp0 +1G &&
	grep -q "^mp0: .*size=2G" "$CORRAL_CONFDIR/300.conf" &&
	wait_for "test \"\$(kc get pvc $(pvc_of "$(volid 300 mp0)") -o jsonpath={.status.capacity.storage})\" = 2Gi" 120 &&
	status_is 300 running && test "$(data 300 /srv/data/v)" = two
'

test_expect_success 'pct resize beyond what the storage allows fails with its message; the file keeps the old size' '
	cp "$CORRAL_CONFDIR/300.conf" before.conf &&
	test_must_fail pct resize 300 rootfs 2T 2>err &&
	cat err &&
	grep -qi "resize" err &&
	grep -q "^rootfs: .*size=1G" "$CORRAL_CONFDIR/300.conf" &&
	status_is 300 running
'

test_expect_success 'pct destroy of the clones and the template: volumes deleted only once unmounted' '
	pvs="" &&
	for id in 300 301 302 311 312 310; do
		pvs="$pvs $(pv_of "$(volid $id rootfs)")" &&
		pct stop $id 2>/dev/null; pct destroy $id || return 1
	done &&
	for pv in $pvs; do
		wait_for "! kubectl get pv $pv" 120 &&
		volume_released "$pv" || return 1
	done &&
	wait_for "test -z \"\$(kc get volumesnapshots -o name)\"" 120
'

test_done

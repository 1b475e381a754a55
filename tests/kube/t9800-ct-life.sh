#!/bin/sh
# An unprivileged CT's whole life on a real cluster: create with a mount
# point and a name server, start at once, exec, enter through a terminal,
# push and pull, data kept across stop and start, pct set (at once and
# pending) and a vi
# edit followed by reboots, shutdown, stop, destroy; its volumes unmounted
# before they are deleted.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/kube/kube-lib.sh"

kube_setup || exit 1

test_expect_success 'pct create: an unprivileged CT with a mount point and a name server; its PVCs bind' '
	ct_create 100 --unprivileged 1 --memory 256 --mp0 local:1,mp=/srv/data \
		--nameserver 10.0.0.53 --searchdomain example.test &&
	root=$(volid 100 rootfs) && mp=$(volid 100 mp0) &&
	test -n "$root" && test -n "$mp" &&
	wait_for "test \"\$(kc get pvc $(pvc_of "$root") -o jsonpath={.status.phase})\" = Bound" 120 &&
	wait_for "test \"\$(kc get pvc $(pvc_of "$mp") -o jsonpath={.status.phase})\" = Bound" 120
'

test_expect_success 'pct start right after pct create: the CT runs' '
	ct_create 101 --unprivileged 1 --mp0 local:1,mp=/srv/data &&
	pct start 101 &&
	status_is 101 running &&
	test "$(pod_field 101 "{.status.phase}")" = Running &&
	pct start 100 && status_is 100 running
'

test_expect_success 'pct exec: output, stdin and the exit code pass through' '
	test "$(in_ct 100 sh -c "echo out; echo err >&2" 2>/dev/null)" = out &&
	test "$(echo piped | pct exec 100 -- cat)" = piped &&
	test_must_fail --code=3 in_ct 100 sh -c "exit 3"
'

test_expect_success 'the name server and search domain are the CT'"'"'s resolv.conf' '
	in_ct 100 cat /etc/resolv.conf >resolv &&
	grep -qx "nameserver 10.0.0.53" resolv &&
	grep -qx "search example.test" resolv
'

test_expect_success 'the memory limit is the config'"'"'s' '
	test "$(pod_field 100 "{.spec.containers[0].resources.limits.memory}")" = 256Mi &&
	test "$(in_ct 100 sh -c "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes")" = 268435456
'

test_expect_success 'pct push and pct pull: every byte of a 3 MiB file, and its mode' '
	dd if=/dev/urandom of=blob bs=1024 count=3072 2>/dev/null &&
	pct push 100 blob /srv/data/blob --perms 0640 &&
	test "$(in_ct 100 stat -c %a /srv/data/blob)" = 640 &&
	pct pull 100 /srv/data/blob back &&
	cmp blob back
'

test_expect_success 'pct enter: a shell in a terminal' '
	tmux_session enter "$PCT enter 100" &&
	wait_for "tmux_screen enter | grep -q \"root@\"" 30 &&
	tmux_send enter "echo entered-\$((6*7)) >/srv/data/entered; exit" &&
	wait_for "test \"\$(in_ct 100 cat /srv/data/entered)\" = entered-42" 30
'

test_expect_success 'pct set of keys that apply at once on a running CT: no restart, the objects follow' '
	uid=$(pod_uid 100) &&
	pct set 100 --description "web front" --tags "web;prod" --onboot 1 &&
	pct config 100 >cfg && grep -qx "onboot: 1" cfg && grep -qx "tags: prod;web" cfg &&
	! pct pending 100 | grep -q "^new " &&
	wait_for "test \"\$(meta_of statefulset ct-100 annotations corral.dev/description)\" = \"web front\"" 60 &&
	wait_for "test \"\$(meta_of statefulset ct-100 labels tags.corral.dev/web)\" = true" 60 &&
	pct status 100 --verbose | grep -qx "pending-restart: 0" &&
	test "$(pod_uid 100)" = "$uid"
'

test_expect_success 'data on the rootfs volume and the mount point survive stop and start' '
	head -c 4096 /dev/urandom | od -An -tx1 | tr -d " \n" >keep &&
	pct push 100 keep /data/keep && pct push 100 keep /srv/data/keep &&
	pct stop 100 && status_is 100 stopped &&
	wait_for "! kc get pod ct-100-0" 60 &&
	pct start 100 && status_is 100 running &&
	test "$(in_ct 100 cat /data/keep)" = "$(cat keep)" &&
	test "$(in_ct 100 cat /srv/data/keep)" = "$(cat keep)"
'

test_expect_success 'pct stop: the pod goes only once its volumes are unmounted' '
	pv_root=$(pv_of "$(volid 100 rootfs)") && pv_mp=$(pv_of "$(volid 100 mp0)") &&
	{ [ "$CSI" = no ] || { mounted "$pv_root" && mounted "$pv_mp"; }; } &&
	pct stop 100 &&
	wait_for "! kc get pod ct-100-0" 60 &&
	volume_released "$pv_root" && volume_released "$pv_mp" &&
	pct start 100
'

test_expect_success 'pct set on a running CT: memory waits for the restart; pct reboot applies it' '
	pct set 100 --memory 384 &&
	pct pending 100 >pending && grep -q "^new memory: 384" pending &&
	test "$(pod_field 100 "{.spec.containers[0].resources.limits.memory}")" = 256Mi &&
	old=$(pod_uid 100) &&
	pct reboot 100 &&
	test "$(pod_uid 100)" != "$old" &&
	in_ct 100 true &&
	test "$(pod_field 100 "{.spec.containers[0].resources.limits.memory}")" = 384Mi &&
	pct config 100 | grep -qx "memory: 384" &&
	! pct pending 100 | grep -q "^new "
'

test_expect_success 'three reboots in a row: each returns with the new pod running' '
	for i in 1 2 3; do
		old=$(pod_uid 100) &&
		pct reboot 100 &&
		new=$(pod_uid 100) && test -n "$new" && test "$new" != "$old" &&
		in_ct 100 true || return 1
	done
'

test_expect_success 'a vi edit of the file while running: pending restart, applied by a reboot' '
	vi_edit "$CORRAL_CONFDIR/100.conf" "s/^memory: .*/memory: 320/" &&
	wait_for "pct status 100 --verbose | grep -qx \"pending-restart: 1\"" 60 &&
	test "$(pod_field 100 "{.spec.containers[0].resources.limits.memory}")" = 384Mi &&
	pct reboot 100 &&
	test "$(pod_field 100 "{.spec.containers[0].resources.limits.memory}")" = 320Mi &&
	pct status 100 --verbose | grep -qx "pending-restart: 0"
'

test_expect_success 'pct shutdown ends stopped; the data stays' '
	pct shutdown 100 --timeout 20 && status_is 100 stopped &&
	wait_for "! kc get pod ct-100-0" 60 &&
	pct start 100 && test "$(in_ct 100 cat /srv/data/keep)" = "$(cat keep)"
'

test_expect_success 'pct destroy: the CT'"'"'s objects and volumes go, none of them while mounted' '
	pv_root=$(pv_of "$(volid 100 rootfs)") && pv_mp=$(pv_of "$(volid 100 mp0)") &&
	pvc_root=$(pvc_of "$(volid 100 rootfs)") && pvc_mp=$(pvc_of "$(volid 100 mp0)") &&
	pct stop 100 && pct destroy 100 &&
	test ! -e "$CORRAL_CONFDIR/100.conf" &&
	wait_for "! kc get pvc $pvc_root && ! kc get pvc $pvc_mp" 120 &&
	wait_for "! kubectl get pv $pv_root && ! kubectl get pv $pv_mp" 120 &&
	! kc get statefulset ct-100 && ! kc get service ct-100 && ! kc get configmap ct-100-conf &&
	volume_released "$pv_root" && volume_released "$pv_mp"
'

test_expect_success 'pct destroy of a running CT is refused, as on Proxmox' '
	test_must_fail pct destroy 101 2>err &&
	grep -q "running" err &&
	pct stop 101 && pct destroy 101
'

test_done

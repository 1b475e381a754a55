#!/bin/sh
# A privileged CT on a real cluster: its persistent root filesystem is seeded
# once from the image, corral-prestart writes the guest files as Proxmox's
# pre-start hook does (host name, PVE sections of /etc/hosts, root's password
# and keys, time zone), exec and enter run inside the rootfs, a package-like
# change survives restarts, /etc/hosts never keeps a pod's address, and a vi
# edit of the host name takes effect at the next reboot.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/kube/kube-lib.sh"

kube_setup || exit 1

cat >key.pub <<'EOF'
ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHc3ydg2PRiXH5HgBV0Phm0CNpE6rJzX8PQkCkC6xTaS corral-test@example
EOF

test_expect_success 'pct create: a privileged CT with password, keys, time zone and a mount point' '
	ct_create 200 --unprivileged 0 --hostname web.example.test --password "Corral-Test-9" \
		--ssh-public-keys key.pub --timezone Europe/Vienna --mp0 local:1,mp=/srv/data &&
	grep -qx "unprivileged: 0" "$CORRAL_CONFDIR/200.conf"
'

test_expect_success 'pct start: the CT runs (its config is read through the kubelet'"'"'s links)' '
	pct start 200 && status_is 200 running
'

test_expect_success 'pct exec runs inside the persistent rootfs' '
	in_ct 200 test -e /.corral/seeded &&
	test "$(in_ct 200 sh -c ". /etc/os-release; echo \$ID")" = debian
'

test_expect_success 'the host name: /etc/hostname and the kernel host name are the config'"'"'s' '
	test "$(in_ct 200 cat /etc/hostname)" = web &&
	test "$(in_ct 200 uname -n)" = web
'

test_expect_success '/etc/hosts: the PVE section, and nothing of the kubelet'"'"'s' '
	in_ct 200 cat /etc/hosts >hosts &&
	sed -n "/^# --- BEGIN PVE ---/,/^# --- END PVE ---/p" hosts >section &&
	grep -q "^127.0.1.1 web.example.test web\$" section &&
	! grep -q "ct-200-0" hosts &&
	! grep -q "$(pod_field 200 "{.status.podIP}")" hosts &&
	! grep -q "Kubernetes-managed" hosts
'

test_expect_success 'root'"'"'s password is the one given to pct create' '
	hash=$(in_ct 200 sh -c "getent shadow root | cut -d: -f2") &&
	salt=$(echo "$hash" | cut -d"\$" -f3) &&
	test "$(openssl passwd -6 -salt "$salt" "Corral-Test-9")" = "$hash"
'

test_expect_success 'root'"'"'s authorized_keys hold the key, in a PVE section' '
	in_ct 200 cat /root/.ssh/authorized_keys >keys &&
	grep -qxF "$(cat key.pub)" keys &&
	grep -q "^# --- BEGIN PVE ---" keys &&
	test "$(in_ct 200 stat -c %a /root/.ssh)" = 700
'

test_expect_success 'the time zone' '
	test "$(in_ct 200 readlink /etc/localtime)" = /usr/share/zoneinfo/Europe/Vienna
'

test_expect_success 'a change to the root filesystem and the user'"'"'s /etc/hosts lines survive stop and start' '
	in_ct 200 sh -c "echo installed >/usr/local/bin/marker && echo \"10.9.9.9 mine.example\" >>/etc/hosts" &&
	old_ip=$(pod_field 200 "{.status.podIP}") &&
	pct stop 200 && pct start 200 &&
	test "$(in_ct 200 cat /usr/local/bin/marker)" = installed &&
	in_ct 200 cat /etc/hosts >hosts2 &&
	grep -qx "10.9.9.9 mine.example" hosts2 &&
	! grep -q "ct-200-0" hosts2 &&
	if [ -n "$old_ip" ]; then ! grep -qw "$old_ip" hosts2; fi
'

test_expect_success 'the first-start steps ran once: the password set at create stays changed' '
	in_ct 200 sh -c "echo root:Changed-Later-1 | chpasswd" &&
	hash=$(in_ct 200 sh -c "getent shadow root | cut -d: -f2") &&
	pct reboot 200 &&
	test "$(in_ct 200 sh -c "getent shadow root | cut -d: -f2")" = "$hash"
'

test_expect_success 'pct enter: a shell inside the rootfs, in a terminal' '
	tmux_session enter "$PCT enter 200" &&
	wait_for "tmux_screen enter | grep -q \"root@\"" 30 &&
	tmux_send enter "cat /.corral/seeded >/dev/null && echo inside >/root/entered; exit" &&
	wait_for "test \"\$(in_ct 200 cat /root/entered)\" = inside" 30
'

test_expect_success 'a vi edit of the host name: pending restart, applied by pct reboot' '
	vi_edit "$CORRAL_CONFDIR/200.conf" "s/^hostname: .*/hostname: db.example.test/" &&
	wait_for "pct status 200 --verbose | grep -qx \"pending-restart: 1\"" 60 &&
	test "$(in_ct 200 cat /etc/hostname)" = web &&
	pct reboot 200 &&
	test "$(in_ct 200 cat /etc/hostname)" = db &&
	test "$(in_ct 200 uname -n)" = db &&
	in_ct 200 grep -q "^127.0.1.1 db.example.test db\$" /etc/hosts &&
	! in_ct 200 grep -q "web.example.test" /etc/hosts &&
	pct status 200 --verbose | grep -qx "pending-restart: 0"
'

test_expect_success 'data on the mount point survives' '
	in_ct 200 sh -c "echo kept >/srv/data/kept" &&
	pct stop 200 && pct start 200 &&
	test "$(in_ct 200 cat /srv/data/kept)" = kept
'

test_expect_success 'pct destroy: volumes deleted only once unmounted' '
	pv_root=$(pv_of "$(volid 200 rootfs)") && pv_mp=$(pv_of "$(volid 200 mp0)") &&
	pct stop 200 && pct destroy 200 &&
	wait_for "! kubectl get pv $pv_root && ! kubectl get pv $pv_mp" 120 &&
	! kc get secret ct-200-secrets &&
	volume_released "$pv_root" && volume_released "$pv_mp"
'

test_done

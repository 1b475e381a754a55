#!/bin/sh
# pct create: defaults (hostname CT<vmid>, memory 512, swap 512, rootfs
# <storage>:4, unprivileged 1), OCI references and template aliases from
# corral.conf, refused IDs, an existing ID, concurrent creates of one ID,
# secrets kept under CORRAL_STATEDIR/ct/<vmid>/ mode 0600 and never in the
# .conf, and the desired power state for the agent.
. "$(dirname "$0")/test-lib.sh"

cat >"$CORRAL_CONFIG" <<\EOF
template "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst" {
	image = "docker.io/library/debian:bookworm"
}
template "local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz" {
	image = "docker.io/library/alpine:3.20"
}
storage local {
}
storage local-lvm {
	storage-class = "fast"
}
EOF

test_expect_success 'defaults of a plain create' '
	pct create 100 docker.io/library/debian:bookworm >out 2>err &&
	test_cmp /dev/null out && test_cmp /dev/null err &&
	cat >expect <<-\EOF &&
	arch: amd64
	hostname: CT100
	memory: 512
	ostemplate: docker.io/library/debian:bookworm
	ostype: debian
	rootfs: local:vm-100-disk-0,size=4G
	swap: 512
	unprivileged: 1
	EOF
	test_cmp expect "$CORRAL_CONFDIR/100.conf"
'

test_expect_success 'the new config is readable by pct config and lint-clean' '
	pct config 100 >out &&
	pct lint "$CORRAL_CONFDIR/100.conf"
'

test_expect_success 'the agent is told the CT is stopped' '
	python3 -c "import json; d=json.load(open(\"$CORRAL_STATEDIR/ct/100.state\")); assert d[\"power\"]==\"stopped\", d"
'

test_expect_success 'a template alias from corral.conf maps to its image' '
	pct create 101 local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz &&
	grep -qx "ostemplate: docker.io/library/alpine:3.20" "$CORRAL_CONFDIR/101.conf" &&
	grep -qx "ostype: alpine" "$CORRAL_CONFDIR/101.conf"
'

test_expect_success 'an unknown template alias lists the known ones' '
	test_must_fail --code=255 pct create 102 local:vztmpl/centos-9-default_20240101_amd64.tar.xz 2>err &&
	echo "unknown template '\''local:vztmpl/centos-9-default_20240101_amd64.tar.xz'\'' - known templates (corral.conf): local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst, local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz" >expect &&
	test_cmp expect err &&
	! test -e "$CORRAL_CONFDIR/102.conf"
'

test_expect_success 'an invalid OCI reference is refused' '
	test_must_fail --code=255 pct create 102 docker.io/Library/Debian:12 2>err &&
	grep -q "invalid OCI image reference" err &&
	! test -e "$CORRAL_CONFDIR/102.conf"
'

test_expect_success 'OCI references with registry port, digest and without tag' '
	pct create 103 registry.example.com:5000/team/app:1.2.3 &&
	pct create 104 "ghcr.io/org/img@sha256:$(printf "a%.0s" $(seq 64))" &&
	pct create 105 alpine &&
	grep -qx "ostemplate: alpine" "$CORRAL_CONFDIR/105.conf" &&
	grep -qx "ostype: alpine" "$CORRAL_CONFDIR/105.conf"
'

test_expect_success 'an existing ID is refused with Proxmox'\''s message, file untouched' '
	freeze "$CORRAL_CONFDIR/100.conf" &&
	test_must_fail --code=255 pct create 100 docker.io/library/debian:bookworm --memory 64 2>err &&
	echo "CT 100 already exists on node '\''$(hostname)'\''" >expect &&
	test_cmp expect err &&
	test_unchanged "$CORRAL_CONFDIR/100.conf"
'

test_expect_success 'IDs below 100 are refused' '
	test_must_fail --code=255 pct create 99 alpine 2>err &&
	grep -qx "vmid: invalid format - value does not look like a valid VM ID" err &&
	! test -e "$CORRAL_CONFDIR/99.conf"
'

test_expect_success 'missing ostemplate: 400 not enough arguments' '
	test_must_fail --code=255 pct create 106 2>err &&
	printf "%s\n" "400 not enough arguments" "pct create <vmid> <ostemplate> [OPTIONS]" >expect &&
	test_cmp expect err
'

test_expect_success 'options: swap 0 is kept, rootfs as a bare number, mp allocated, net canonical' '
	pct create 110 docker.io/library/debian:bookworm --swap 0 --rootfs 8 \
		--mp0 local-lvm:2,mp=/srv --net0 name=eth0,bridge=vmbr0,ip=dhcp \
		--hostname web --memory 1024 --nameserver 1.1.1.1,8.8.8.8 --tags "B,a;b" &&
	C="$CORRAL_CONFDIR/110.conf" &&
	grep -qx "swap: 0" "$C" &&
	grep -qx "rootfs: local:vm-110-disk-0,size=8G" "$C" &&
	grep -qx "mp0: local-lvm:vm-110-disk-1,mp=/srv,size=2G" "$C" &&
	grep -Eqx "net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11(:[0-9A-F]{2}){3},ip=dhcp,type=veth" "$C" &&
	grep -qx "hostname: web" "$C" &&
	grep -qx "memory: 1024" "$C" &&
	grep -qx "nameserver: 1.1.1.1 8.8.8.8" "$C" &&
	grep -qx "tags: a;b" "$C"
'

test_expect_success '--storage picks the storage of the default rootfs' '
	pct create 111 alpine --storage local-lvm &&
	grep -qx "rootfs: local-lvm:vm-111-disk-0,size=4G" "$CORRAL_CONFDIR/111.conf"
'

test_expect_success 'an unknown --storage is a parameter error' '
	test_must_fail --code=255 pct create 112 alpine --storage nosuch 2>err &&
	printf "%s\n" "400 Parameter verification failed." "storage: storage '\''nosuch'\'' does not exist" \
		"pct create <vmid> <ostemplate> [OPTIONS]" >expect &&
	test_cmp expect err && ! test -e "$CORRAL_CONFDIR/112.conf"
'

test_expect_success 'an unknown storage in a volume is a parameter error' '
	test_must_fail --code=255 pct create 112 alpine --rootfs nosuch:4 2>err &&
	grep -qx "rootfs: storage '\''nosuch'\'' does not exist" err &&
	! test -e "$CORRAL_CONFDIR/112.conf"
'

test_expect_success 'unusedN options are ignored with a warning' '
	pct create 113 alpine --unused0 local:vm-113-disk-9 2>err &&
	echo "ignoring '\''unused0'\'', cannot create/restore with unused volume" >expect &&
	test_cmp expect err &&
	! grep -q "^unused0" "$CORRAL_CONFDIR/113.conf"
'

test_expect_success 'mount points without rootfs are refused' '
	test_must_fail --code=255 pct create 114 alpine --mp0 local:1,mp=/x 2>err &&
	echo "mount points configured, but '\''rootfs'\'' not set - aborting" >expect &&
	test_cmp expect err &&
	! test -e "$CORRAL_CONFDIR/114.conf"
'

test_expect_success '--unprivileged 0 is stored' '
	pct create 115 alpine --unprivileged 0 &&
	grep -qx "unprivileged: 0" "$CORRAL_CONFDIR/115.conf"
'

test_expect_success 'a parameter error creates nothing' '
	test_must_fail --code=255 pct create 116 alpine --memory 8 2>err &&
	grep -qx "memory: value must have a minimum value of 16" err &&
	! test -e "$CORRAL_CONFDIR/116.conf" &&
	! test -e "$CORRAL_STATEDIR/ct/116.state"
'

test_expect_success 'password and ssh keys are kept 0600 under the state dir, never in the .conf' '
	echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITEST root@test" >key.pub &&
	pct create 120 alpine --password sekrit-pw --ssh-public-keys key.pub &&
	D="$CORRAL_STATEDIR/ct/120" &&
	test "$(stat -c %a "$D")" = 700 &&
	test "$(stat -c %a "$D/password")" = 600 &&
	test "$(stat -c %a "$D/authorized_keys")" = 600 &&
	test_cmp key.pub "$D/authorized_keys" &&
	grep -q "^\\\$6\\\$" "$D/password" &&
	! grep -rq "sekrit-pw" "$CORRAL_CONFDIR" "$CORRAL_STATEDIR" &&
	! grep -q "AAAAITEST" "$CORRAL_CONFDIR/120.conf"
'

test_expect_success '--password without a value reads it from stdin' '
	echo "from-stdin-pw" | pct create 121 alpine --password &&
	test -s "$CORRAL_STATEDIR/ct/121/password" &&
	! grep -rq "from-stdin-pw" "$CORRAL_CONFDIR" "$CORRAL_STATEDIR"
'

test_expect_success 'an unreadable --ssh-public-keys file creates nothing' '
	test_must_fail --code=255 pct create 122 alpine --ssh-public-keys /nonexistent 2>err &&
	grep -q "/nonexistent" err &&
	! test -e "$CORRAL_CONFDIR/122.conf"
'

test_expect_success '--start asks the agent to run it' '
	pct create 123 alpine --start &&
	python3 -c "import json; d=json.load(open(\"$CORRAL_STATEDIR/ct/123.state\")); assert d[\"power\"]==\"running\", d"
'

test_expect_success 'two concurrent creates of one ID: exactly one succeeds' '
	for i in 1 2 3 4 5 6 7 8; do
		( pct create 130 alpine --memory $((256 + i)) >/dev/null 2>"err.$i"; echo $? >"rc.$i" ) &
	done &&
	wait &&
	test "$(cat rc.* | grep -cx 0)" = 1 &&
	test "$(cat rc.* | grep -cx 255)" = 7 &&
	test "$(cat err.* | grep -c "^CT 130 already exists on node")" = 7 &&
	pct config 130 >/dev/null &&
	! grep -q "^lock:" "$CORRAL_CONFDIR/130.conf"
'

test_expect_success 'a volume of an earlier CT 140 the agent has yet to destroy is not reused' '
	mkdir -p "$CORRAL_STATEDIR/ct" &&
	echo "{\"destroy-volumes\":[\"local:vm-140-disk-0\"]}" >"$CORRAL_STATEDIR/ct/140.state" &&
	pct create 140 alpine &&
	grep -qx "rootfs: local:vm-140-disk-1,size=4G" "$CORRAL_CONFDIR/140.conf"
'

test_expect_success 'no temporary files are left behind' '
	! ls "$CORRAL_CONFDIR" | grep -v "^[0-9]*\.conf$"
'

test_done

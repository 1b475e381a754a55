#!/bin/sh
# pct set on a running CT (as the agent reports it): fast-plug keys move to
# the main section at once, everything the pod cannot take live stays in
# [pve:pending] until the next start; --revert drops pending changes;
# pending entries of earlier calls stay pending.
. "$(dirname "$0")/test-lib.sh"

basic_ct 100
C="$CORRAL_CONFDIR/100.conf"
agent_status 100 running

test_expect_success 'fast-plug keys apply at once, the rest goes to [pve:pending]' '
	pct set 100 --hostname web --onboot 1 --cores 2 --tags prod --memory 1024 --ostype ubuntu \
		--net0 name=eth0,ip=dhcp &&
	cat >expect <<-\EOF &&
	arch: amd64
	cores: 2
	hostname: web
	memory: 512
	onboot: 1
	ostype: debian
	rootfs: local:vm-100-disk-0,size=4G
	swap: 512
	tags: prod
	unprivileged: 1

	[pve:pending]
	memory: 1024
	net0: name=eth0,ip=dhcp
	ostype: ubuntu
	EOF
	test_cmp expect "$C"
'

test_expect_success 'pct config shows the pending values, --current does not' '
	pct config 100 >out &&
	grep -qx "memory: 1024" out && grep -qx "ostype: ubuntu" out &&
	pct config 100 --current >out &&
	grep -qx "memory: 512" out && grep -qx "ostype: debian" out
'

test_expect_success 'a delete of a key the pod cannot drop live is pending' '
	pct set 100 --delete arch &&
	grep -qx "arch: amd64" "$C" &&
	sed -n "/^\[pve:pending\]/,\$p" "$C" | grep -qx "delete: arch" &&
	! pct config 100 | grep -q "^arch:"
'

test_expect_success 'pending deletes are sorted and joined with commas' '
	basic_ct 103 && printf "cmode: tty\ntimezone: UTC\n" >>"$CORRAL_CONFDIR/103.conf" &&
	agent_status 103 running &&
	pct set 103 --delete timezone --delete arch,cmode &&
	sed -n "s/^delete: //p" "$CORRAL_CONFDIR/103.conf" >actual &&
	echo "arch,cmode,timezone" >expect &&
	test_cmp expect actual &&
	pct pending 103 | grep "^del " >actual &&
	printf "%s\n" "del arch: amd64" "del cmode: tty" "del timezone: UTC" >expect &&
	test_cmp expect actual
'

test_expect_success 'deleting a fast-plug key applies at once' '
	pct set 100 --delete onboot &&
	! grep -q "^onboot:" "$C"
'

test_expect_success 'memory stays pending unless the cluster resizes pods in place' '
	pct set 100 --memory 2048 &&
	grep -qx "memory: 512" "$C" &&
	printf "{\"vmid\": 100, \"status\": \"running\", \"inplace_resize\": true}\n" \
		>"$CORRAL_RUNDIR/ct/100.status" &&
	pct set 100 --memory 3072 &&
	grep -qx "memory: 3072" "$C" &&
	! sed -n "/^\[pve:pending\]/,\$p" "$C" | grep -q "^memory:" &&
	agent_status 100 running
'

test_expect_success 'setting a pending key back to its current value clears it' '
	pct set 100 --ostype debian &&
	! sed -n "/^\[pve:pending\]/,\$p" "$C" | grep -q "^ostype:"
'

test_expect_success '--revert drops a pending value' '
	pct set 100 --tty 4 &&
	sed -n "/^\[pve:pending\]/,\$p" "$C" | grep -qx "tty: 4" &&
	pct set 100 --revert tty &&
	! grep -q "^tty:" "$C"
'

test_expect_success '--revert drops a pending delete' '
	pct set 100 --revert arch &&
	! grep -q "^delete:" "$C" &&
	pct config 100 | grep -qx "arch: amd64"
'

test_expect_success '--revert of a key with nothing pending changes nothing' '
	freeze "$C" &&
	pct set 100 --revert cmode &&
	test_unchanged "$C"
'

test_expect_success 'a new mount point stays pending, unallocated' '
	pct set 100 --mp0 local:2,mp=/data &&
	sed -n "/^\[pve:pending\]/,\$p" "$C" | grep -qx "mp0: local:2,mp=/data"
'

test_expect_success 'unusedN deletes apply at once and reach the state file' '
	basic_ct 104 && echo "unused3: local:vm-104-disk-9" >>"$CORRAL_CONFDIR/104.conf" &&
	agent_status 104 running &&
	pct set 104 --delete unused3 &&
	! grep -q "^unused3:" "$CORRAL_CONFDIR/104.conf" &&
	! grep -q "pve:pending" "$CORRAL_CONFDIR/104.conf" &&
	grep -q "\"local:vm-104-disk-9\"" "$CORRAL_STATEDIR/ct/104.state"
'

test_expect_success 'once stopped, pct set applies only the keys it touches' '
	agent_status 100 stopped &&
	pct set 100 --cmode shell &&
	grep -qx "cmode: shell" "$C" &&
	sed -n "/^\[pve:pending\]/,\$p" "$C" | grep -qx "net0: name=eth0,ip=dhcp"
'

test_expect_success 'touching a pending key on a stopped CT applies it' '
	pct set 100 --net0 name=eth0,ip=dhcp &&
	grep -Eqx "net0: name=eth0,hwaddr=BC:24:11(:[0-9A-F]{2}){3},ip=dhcp,type=veth" "$C"
'

test_expect_success 'a starting CT counts as running' '
	basic_ct 101 && agent_status 101 starting &&
	pct set 101 --arch arm64 &&
	sed -n "/^\[pve:pending\]/,\$p" "$CORRAL_CONFDIR/101.conf" | grep -qx "arch: arm64"
'

test_expect_success 'a status without a fresh heartbeat still counts (last known state)' '
	basic_ct 102 && agent_status 102 running && rm "$CORRAL_RUNDIR/syncd.heartbeat" &&
	pct set 102 --arch arm64 &&
	sed -n "/^\[pve:pending\]/,\$p" "$CORRAL_CONFDIR/102.conf" | grep -qx "arch: arm64"
'

test_done

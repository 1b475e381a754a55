#!/bin/sh
# pct set on a stopped CT (no agent status, or the agent says stopped):
# every change is applied at once (pve-conf-format.md §8 step 5), values
# are normalised the way Proxmox stores them, netN is printed canonically
# with a generated BC:24:11 hwaddr, mpN STORAGE:SIZE allocates a volume,
# deleting an mp keeps its volume as unusedN, and deleting unusedN records
# the volume in the state file for the agent.
. "$(dirname "$0")/test-lib.sh"

basic_ct 100
C="$CORRAL_CONFDIR/100.conf"

test_expect_success 'values are applied to the main section, nothing pending' '
	pct set 100 --memory 1024 --cores 2 --ostype ubuntu --arch arm64 >out 2>err &&
	test_cmp /dev/null out && test_cmp /dev/null err &&
	cat >expect <<-\EOF &&
	arch: arm64
	cores: 2
	hostname: ct100
	memory: 1024
	ostype: ubuntu
	rootfs: local:vm-100-disk-0,size=4G
	swap: 512
	unprivileged: 1
	EOF
	test_cmp expect "$C"
'

test_expect_success 'an agent that reports "stopped" changes nothing' '
	agent_status 100 stopped &&
	pct set 100 --tty 3 &&
	grep -qx "tty: 3" "$C" && ! grep -q "pve:pending" "$C"
'

test_expect_success 'deletes are applied' '
	pct set 100 --delete tty,cores &&
	! grep -q "^tty:" "$C" && ! grep -q "^cores:" "$C" && ! grep -q "pve:pending" "$C"
'

test_expect_success 'nameserver and searchdomain are stored space-separated' '
	pct set 100 --nameserver "1.1.1.1;8.8.8.8, 9.9.9.9" --searchdomain "a.example,b.example" &&
	grep -qx "nameserver: 1.1.1.1 8.8.8.8 9.9.9.9" "$C" &&
	grep -qx "searchdomain: a.example b.example" "$C"
'

test_expect_success 'a link-local nameserver with an interface' '
	pct set 100 --nameserver "fe80::1%eth0" &&
	grep -qx "nameserver: fe80::1%eth0" "$C"
'

test_expect_success 'tags are lower-cased, sorted, de-duplicated and ;-joined' '
	pct set 100 --tags "Web,db;web  Alpha" &&
	grep -qx "tags: alpha;db;web" "$C"
'

test_expect_success 'booleans are stored as 1/0' '
	pct set 100 --onboot yes --console off --protection false &&
	grep -qx "onboot: 1" "$C" && grep -qx "console: 0" "$C" && grep -qx "protection: 0" "$C"
'

test_expect_success 'cpuunits above 10000 is clamped (cgroup v2)' '
	pct set 100 --cpuunits 20000 && grep -qx "cpuunits: 10000" "$C"
'

test_expect_success 'features, startup and devN are stored as given' '
	pct set 100 --features keyctl=yes,nesting=1 --startup "order=2,up=30" --dev0 /dev/fuse,mode=0666 &&
	grep -qx "features: keyctl=yes,nesting=1" "$C" &&
	grep -qx "startup: order=2,up=30" "$C" &&
	grep -qx "dev0: /dev/fuse,mode=0666" "$C"
'

test_expect_success 'a device without a path' '
	test_must_fail --code=255 pct set 100 --dev1 mode=0666 2>err &&
	echo "Path is not defined for passthrough device dev1" >expect &&
	test_cmp expect err
'

test_expect_success 'description is stored as comment lines' '
	pct set 100 --description "first: line
second 100%" &&
	head -n 2 "$C" >actual &&
	printf "%s\n" "#first%3A line" "#second 100%25" >expect &&
	test_cmp expect actual
'

test_expect_success 'env is stored as lxc.environment.runtime lines' '
	pct set 100 --env "FOO=bar baz" &&
	grep -qx "lxc.environment.runtime: FOO=bar baz" "$C"
'

test_expect_success 'netN is printed canonically with a generated BC:24:11 hwaddr and type=veth' '
	pct set 100 --net0 "ip=10.0.0.5/24,name=eth0,gw=10.0.0.1,bridge=vmbr0,firewall=yes" &&
	grep -Eqx "net0: name=eth0,bridge=vmbr0,firewall=1,gw=10.0.0.1,hwaddr=BC:24:11(:[0-9A-F]{2}){3},ip=10.0.0.5/24,type=veth" "$C"
'

test_expect_success 'a given hwaddr is kept' '
	pct set 100 --net1 name=eth1,hwaddr=02:00:00:00:00:01,ip=dhcp &&
	grep -qx "net1: name=eth1,hwaddr=02:00:00:00:00:01,ip=dhcp,type=veth" "$C"
'

test_expect_success 'generated MAC addresses differ' '
	pct set 100 --net2 name=eth2 --net3 name=eth3 &&
	a=$(sed -n "s/^net2: .*hwaddr=\([^,]*\).*/\1/p" "$C") &&
	b=$(sed -n "s/^net3: .*hwaddr=\([^,]*\).*/\1/p" "$C") &&
	test -n "$a" && test "$a" != "$b"
'

test_expect_success 'corral.conf mac-prefix is used' '
	echo "mac-prefix = \"02:AB\"" >"$CORRAL_CONFIG" &&
	pct set 100 --net4 name=eth4 &&
	rm "$CORRAL_CONFIG" &&
	grep -Eqx "net4: name=eth4,hwaddr=02:AB(:[0-9A-F]{2}){4},type=veth" "$C"
'

test_expect_success 'mpN STORAGE:SIZE allocates the next free volume with size=<N>G' '
	pct set 100 --mp0 local:8,mp=/srv/data,backup=1 &&
	grep -qx "mp0: local:vm-100-disk-1,mp=/srv/data,backup=1,size=8G" "$C"
'

test_expect_success 'a fractional size is printed in the largest exact unit' '
	pct set 100 --mp1 local:1.5,mp=/half &&
	grep -qx "mp1: local:vm-100-disk-2,mp=/half,size=1536M" "$C"
'

test_expect_success 'an existing volume is printed canonically' '
	pct set 100 --mp2 "mp=/c,local:vm-100-disk-7,ro=1,size=2048M" &&
	grep -qx "mp2: local:vm-100-disk-7,mp=/c,ro=1,size=2G" "$C"
'

test_expect_success 'a bind mount' '
	pct set 100 --mp3 /srv/share,mp=/share &&
	grep -qx "mp3: /srv/share,mp=/share" "$C"
'

test_expect_success 'deleting a volume mount point keeps the volume as unusedN' '
	pct set 100 --delete mp0 &&
	! grep -q "^mp0:" "$C" &&
	grep -qx "unused0: local:vm-100-disk-1" "$C"
'

test_expect_success 'deleting a bind mount leaves no unused entry' '
	pct set 100 --delete mp3 &&
	! grep -q "^mp3:" "$C" && ! grep -q "^unused.*/srv/share" "$C"
'

test_expect_success 'deleting unusedN asks the agent to destroy the volume' '
	pct set 100 --delete unused0 &&
	! grep -q "^unused0:" "$C" &&
	python3 -c "
import json
d = json.load(open(\"$CORRAL_STATEDIR/ct/100.state\"))
assert d[\"destroy-volumes\"] == [\"local:vm-100-disk-1\"], d
assert d[\"generation\"] >= 1, d
"
'

test_expect_success 'a volume waiting for destruction is not handed out again' '
	pct set 100 --mp5 local:3,mp=/new &&
	! grep -q "vm-100-disk-1[,]" "$C" &&
	grep -q "^mp5: local:vm-100-disk-" "$C"
'

test_expect_success 'replacing a volume mount point keeps the old volume as unusedN' '
	pct set 100 --mp1 local:2,mp=/half &&
	grep -q "^unused[0-9]*: local:vm-100-disk-2$" "$C"
'

test_expect_success 'the result is lint-clean' '
	pct lint "$C"
'

test_expect_success 'no options: no options specified' '
	freeze "$C" &&
	test_must_fail --code=255 pct set 100 2>err &&
	echo "no options specified" >expect && test_cmp expect err &&
	test_unchanged "$C"
'

test_expect_success 'a CT that does not exist' '
	test_must_fail --code=255 pct set 999 --memory 512 2>err &&
	echo "Configuration file '\''$CORRAL_CONFDIR/999.conf'\'' does not exist" >expect &&
	test_cmp expect err &&
	! test -e "$CORRAL_CONFDIR/999.conf"
'

test_done

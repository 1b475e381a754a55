#!/bin/sh
# pct config: keys in byte order, pending values applied (deletes only of
# Perl-true values), --current, --snapshot, description encode_text'ed on
# one line, env raw with NUL bytes, lxc.* pairs last in file order, unknown
# keys printed (after the parser's warning on stderr), and "400 Result
# verification failed" for values the parser tolerated but the API refuses.
# Also the json/json-pretty/yaml outputs.
. "$(dirname "$0")/test-lib.sh"

printf '%s\n' \
	'#Contact: é 100%' \
	'#second line' \
	'arch: amd64' \
	'cores: 2' \
	'foo: kept' \
	'hostname: web' \
	'memory: 512' \
	'mp10: local:vm-101-disk-2,mp=/b' \
	'mp2: local:vm-101-disk-1,mp=/a' \
	'net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=dhcp,type=veth' \
	'onboot: 0' \
	'ostype: debian' \
	'parent: snap2' \
	'rootfs: local:vm-101-disk-0,size=8G' \
	'lxc.environment.runtime: A=1' \
	'lxc.apparmor.profile: unconfined' \
	'lxc.environment.runtime: B=two words' \
	'lxc.cgroup2.devices.allow: c 10:200 rwm' \
	'' \
	'[pve:pending]' \
	'cores: 4' \
	'delete: onboot,hostname' \
	'swap: 1024' \
	'' \
	'[snap1]' \
	'#first snapshot' \
	'#more text' \
	'arch: amd64' \
	'memory: 256' \
	'snaptime: 1704103200' \
	'' \
	'[snap2]' \
	'arch: amd64' \
	'memory: 384' \
	'parent: snap1' \
	'snapstate: prepare' \
	'snaptime: 1704189600' >"$CORRAL_CONFDIR/101.conf"

test_expect_success 'pending values applied; pending deletes of true values applied' '
	pct config 101 >actual 2>err &&
	printf "%s\n" \
		"arch: amd64" \
		"cores: 4" \
		"description: Contact%3A %C3%A9 100%25%0Asecond line%0A" \
		"env: A=1@B=two words" \
		"foo: kept" \
		"memory: 512" \
		"mp10: local:vm-101-disk-2,mp=/b" \
		"mp2: local:vm-101-disk-1,mp=/a" \
		"net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=dhcp,type=veth" \
		"onboot: 0" \
		"ostype: debian" \
		"parent: snap2" \
		"rootfs: local:vm-101-disk-0,size=8G" \
		"swap: 1024" \
		"lxc.apparmor.profile: unconfined" \
		"lxc.cgroup2.devices.allow: c 10:200 rwm" | tr @ "\000" >expect &&
	test_cmp expect actual
'

test_expect_success 'env is printed with a NUL byte between the variables' '
	pct config 101 | grep -a "^env: " | od -An -c | tr -s " " >actual &&
	grep -q "1 \\\\0 B" actual
'

test_expect_success '--current: the main section only' '
	pct config 101 --current >actual &&
	grep -qx "cores: 2" actual &&
	grep -qx "hostname: web" actual &&
	grep -qx "onboot: 0" actual &&
	! grep -q "^swap:" actual
'

test_expect_success '--current 0 is the default view' '
	pct config 101 --current 0 >actual && pct config 101 >expect && test_cmp expect actual
'

test_expect_success '--snapshot: that section, snaptime included' '
	pct config 101 --snapshot snap1 >actual &&
	printf "%s\n" "arch: amd64" "description: first snapshot%0Amore text%0A" "memory: 256" \
		"snaptime: 1704103200" >expect &&
	test_cmp expect actual
'

test_expect_success '--snapshot shows parent and snapstate' '
	pct config 101 --snapshot snap2 >actual &&
	printf "%s\n" "arch: amd64" "memory: 384" "parent: snap1" "snapstate: prepare" \
		"snaptime: 1704189600" >expect &&
	test_cmp expect actual
'

test_expect_success '--snapshot of a snapshot that does not exist' '
	test_must_fail --code=255 pct config 101 --snapshot nope >out 2>err &&
	printf "%s\n" "vm 101 - unable to parse value of '\''foo'\'' - unknown setting '\''foo'\''" \
		"snapshot '\''nope'\'' does not exist" >expect &&
	test_cmp expect err && test_cmp /dev/null out
'

test_expect_success '--snapshot with --current: both keys reported' '
	test_must_fail --code=255 pct config 101 --snapshot snap1 --current 2>err &&
	sed "1d;\$d" err | sort >actual &&
	printf "%s\n" "current: cannot use '\''snapshot'\'' parameter with '\''current'\''" \
		"snapshot: cannot use '\''snapshot'\'' parameter with '\''current'\''" >expect &&
	test_cmp expect actual &&
	head -n 1 err | grep -qx "400 Parameter verification failed." &&
	tail -n 1 err | grep -qx "pct config <vmid> \[OPTIONS\]"
'

test_expect_success '--snapshot with --current 0 is fine' '
	pct config 101 --snapshot snap1 --current 0 >actual &&
	grep -qx "memory: 256" actual
'

test_expect_success 'a description set by pct set prints with %0A and %3A' '
	basic_ct 102 &&
	pct set 102 --description "line one: a
line two" &&
	pct config 102 | grep "^description" >actual &&
	echo "description: line one%3A a%0Aline two%0A" >expect &&
	test_cmp expect actual
'

test_expect_success 'env set by pct set round-trips through lxc.environment.runtime lines' '
	pct set 102 --env "X=1" &&
	grep -q "^lxc.environment.runtime: X=1" "$CORRAL_CONFDIR/102.conf" &&
	! grep -q "^env:" "$CORRAL_CONFDIR/102.conf"
'

# Result verification
result_error () {
	cat >"$TRASH/expect.$test_count"
	test_expect_success "$1" "
		write_conf 110 <<-EOF &&
		$2
		EOF
		freeze '$CORRAL_CONFDIR/110.conf' &&
		test_must_fail --code=255 pct config 110 >out 2>err &&
		test_cmp '$TRASH/expect.$test_count' err &&
		test_cmp /dev/null out &&
		test_unchanged '$CORRAL_CONFDIR/110.conf'
	"
}

result_error 'result verification: enum the parser did not check' 'ostype: redhat' <<-\EOF
400 Result verification failed
ostype: value 'redhat' does not have a value in the enumeration 'debian, devuan, ubuntu, centos, fedora, opensuse, archlinux, alpine, gentoo, nixos, unmanaged'
pct config <vmid> [OPTIONS]
EOF

result_error 'result verification: minimum the parser did not check' 'memory: 8' <<-\EOF
400 Result verification failed
memory: value must have a minimum value of 16
pct config <vmid> [OPTIONS]
EOF

result_error 'result verification: a raw invalid integer kept by the parser' 'memory: 1k' <<-\EOF
vm 110 - unable to parse value of 'memory' - type check ('integer') failed - got '1k'
400 Result verification failed
memory: type check ('integer') failed - got '1k'
pct config <vmid> [OPTIONS]
EOF

result_error 'result verification: a bad property string (blank lines)' 'net0: name=eth0,ip=bad' <<-\EOF
vm 110 - unable to parse value of 'net0' - format error
ip: invalid format - value does not look like a valid ipv4 network configuration
400 Result verification failed
net0: invalid format - format error
net0.ip: invalid format - value does not look like a valid ipv4 network configuration


pct config <vmid> [OPTIONS]
EOF

result_error 'result verification: a lock value outside the enum' 'lock: foo' <<-\EOF
400 Result verification failed
lock: value 'foo' does not have a value in the enumeration 'backup, create, destroyed, disk, fstrim, migrate, mounted, rollback, snapshot, snapshot-delete'
pct config <vmid> [OPTIONS]
EOF

test_expect_success 'result verification applies to the pending view: a bad pending value' '
	basic_ct 111 &&
	printf "\n[pve:pending]\nmemory: 4\n" >>"$CORRAL_CONFDIR/111.conf" &&
	test_must_fail pct config 111 2>err &&
	grep -qx "memory: value must have a minimum value of 16" err &&
	pct config 111 --current >out && grep -qx "memory: 512" out
'

test_expect_success 'unknown keys are printed, not refused' '
	basic_ct 112 && echo "vmstate: local:x" >>"$CORRAL_CONFDIR/112.conf" &&
	pct config 112 >out && grep -qx "vmstate: local:x" out
'

test_expect_success 'booleans and integers are printed as the parser normalised them' '
	write_conf 113 <<-\EOF &&
	memory: 0512
	onboot: yes
	EOF
	pct config 113 >actual 2>/dev/null &&
	printf "%s\n" "memory: 512" "onboot: 1" >expect &&
	test_cmp expect actual
'

# Structured output (Corral extension)
test_expect_success '--output-format json: typed values, lxc pairs as a list' '
	basic_ct 120 &&
	echo "lxc.apparmor.profile: unconfined" >>"$CORRAL_CONFDIR/120.conf" &&
	pct config 120 --output-format json >actual &&
	echo "{\"arch\":\"amd64\",\"hostname\":\"ct120\",\"memory\":512,\"ostype\":\"debian\",\"rootfs\":\"local:vm-120-disk-0,size=4G\",\"swap\":512,\"unprivileged\":1,\"digest\":\"$(sha1sum <"$CORRAL_CONFDIR/120.conf" | cut -d" " -f1)\",\"lxc\":[{\"key\":\"lxc.apparmor.profile\",\"value\":\"unconfined\"}]}" >expect &&
	test_cmp expect actual
'

test_expect_success '--output-format json carries the digest of the whole file, also for a snapshot' '
	d=$(sha1sum <"$CORRAL_CONFDIR/101.conf" | cut -d" " -f1) &&
	pct config 101 --snapshot snap1 --output-format json >snap.json &&
	python3 -c "import json,sys; assert json.load(open(\"snap.json\"))[\"digest\"] == sys.argv[1]" "$d" &&
	pct config 101 --current --output-format json >cur.json &&
	python3 -c "import json,sys; assert json.load(open(\"cur.json\"))[\"digest\"] == sys.argv[1]" "$d"
'

test_expect_success '--output-format json-pretty parses to the same JSON' '
	pct config 120 --output-format json-pretty >pretty &&
	test "$(wc -l <pretty)" -gt 5 &&
	python3 -c "import json,sys; a=json.load(open(\"pretty\")); b=json.load(open(\"actual\")); sys.exit(a!=b)"
'

test_expect_success '--output-format yaml' '
	pct config 120 --output-format yaml >actual &&
	head -n 1 actual | grep -qx -- "---" &&
	grep -qx "memory: 512" actual &&
	grep -qx "hostname: ct120" actual &&
	grep -qx "  value: unconfined" actual
'

test_expect_success '--output-format json keeps the description as text' '
	pct config 101 --output-format json >actual &&
	python3 -c "import json; d=json.load(open(\"actual\")); assert d[\"description\"]==\"Contact: \u00e9 100%\nsecond line\n\", d; assert d[\"cores\"]==4"
'

test_expect_success '--output-format with a bad value' '
	test_must_fail --code=255 pct config 120 --output-format xml 2>err &&
	grep -qx "output-format: value '\''xml'\'' does not have a value in the enumeration '\''text, json, json-pretty, yaml'\''" err
'

test_done

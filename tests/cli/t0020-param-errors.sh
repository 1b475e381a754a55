#!/bin/sh
# Parameter verification as Proxmox's CLI prints it: "400 Parameter
# verification failed.", one "<key>: <message>" line per key, the short
# usage line (no "USAGE:" prefix) on stderr, exit status 255, nothing on
# stdout and no file touched. Format errors keep the verifier's own trailing
# newline, hence the blank lines.
. "$(dirname "$0")/test-lib.sh"

basic_ct 100
CONF="$CORRAL_CONFDIR/100.conf"

# expect_param_error NAME 'ARGS' <<EOF (the expected stderr)
expect_param_error () {
	cat >"$TRASH/expect.$test_count"
	test_expect_success "$1" "
		freeze '$CONF' &&
		test_must_fail --code=255 pct $2 >out 2>err &&
		test_cmp '$TRASH/expect.$test_count' err &&
		test_cmp /dev/null out &&
		test_unchanged '$CONF'
	"
}

for id in 0100 99 1 99999999999 1000000000; do
	expect_param_error "vmid $id is refused by the pve-vmid format" "set $id --memory 512" <<-EOF
	400 Parameter verification failed.
	vmid: invalid format - value does not look like a valid VM ID

	pct set <vmid> [OPTIONS]
	EOF
done

expect_param_error 'vmid abc fails the integer type check' 'config abc' <<-\EOF
400 Parameter verification failed.
vmid: type check ('integer') failed - got 'abc'
pct config <vmid> [OPTIONS]
EOF

expect_param_error 'vmid -1 is an option to Getopt' 'config -1' <<-\EOF
Unknown option: 1
400 unable to parse option
pct config <vmid> [OPTIONS]
EOF

expect_param_error 'vmid 0100 for pct create' 'create 0100 docker.io/library/debian:12' <<-\EOF
400 Parameter verification failed.
vmid: invalid format - value does not look like a valid VM ID

pct create <vmid> <ostemplate> [OPTIONS]
EOF

expect_param_error 'integer type check' 'set 100 --memory abc' <<-\EOF
400 Parameter verification failed.
memory: type check ('integer') failed - got 'abc'
pct set <vmid> [OPTIONS]
EOF

expect_param_error 'integer with a decimal point' 'set 100 --cores 1.5' <<-\EOF
400 Parameter verification failed.
cores: type check ('integer') failed - got '1.5'
pct set <vmid> [OPTIONS]
EOF

expect_param_error 'number type check' 'set 100 --cpulimit x' <<-\EOF
400 Parameter verification failed.
cpulimit: type check ('number') failed - got 'x'
pct set <vmid> [OPTIONS]
EOF

expect_param_error 'minimum (memory 8)' 'set 100 --memory 8' <<-\EOF
400 Parameter verification failed.
memory: value must have a minimum value of 16
pct set <vmid> [OPTIONS]
EOF

expect_param_error 'minimum (swap -1)' 'set 100 --swap -1' <<-\EOF
400 Parameter verification failed.
swap: value must have a minimum value of 0
pct set <vmid> [OPTIONS]
EOF

expect_param_error 'maximum (cores 8193)' 'set 100 --cores 8193' <<-\EOF
400 Parameter verification failed.
cores: value must have a maximum value of 8192
pct set <vmid> [OPTIONS]
EOF

expect_param_error 'maximum (tty 7)' 'set 100 --tty 7' <<-\EOF
400 Parameter verification failed.
tty: value must have a maximum value of 6
pct set <vmid> [OPTIONS]
EOF

expect_param_error 'maximum (cpulimit 8192.5)' 'set 100 --cpulimit 8192.5' <<-\EOF
400 Parameter verification failed.
cpulimit: value must have a maximum value of 8192
pct set <vmid> [OPTIONS]
EOF

expect_param_error 'enum' 'set 100 --arch sparc' <<-\EOF
400 Parameter verification failed.
arch: value 'sparc' does not have a value in the enumeration 'amd64, i386, arm64, armhf, riscv32, riscv64'
pct set <vmid> [OPTIONS]
EOF

expect_param_error 'enum (ostype)' 'set 100 --ostype redhat' <<-\EOF
400 Parameter verification failed.
ostype: value 'redhat' does not have a value in the enumeration 'debian, devuan, ubuntu, centos, fedora, opensuse, archlinux, alpine, gentoo, nixos, unmanaged'
pct set <vmid> [OPTIONS]
EOF

expect_param_error 'named format (hostname)' 'set 100 --hostname bad_name' <<-\EOF
400 Parameter verification failed.
hostname: invalid format - value does not look like a valid DNS name

pct set <vmid> [OPTIONS]
EOF

expect_param_error 'list format (nameserver), first bad element' 'set 100 --nameserver 1.1.1.1,nope' <<-\EOF
400 Parameter verification failed.
nameserver: invalid format - value does not look like a valid IP address

pct set <vmid> [OPTIONS]
EOF

expect_param_error 'tags' 'set 100 --tags a,b/c' <<-\EOF
400 Parameter verification failed.
tags: invalid format - invalid characters in tag

pct set <vmid> [OPTIONS]
EOF

expect_param_error 'time zone not in zone.tab' 'set 100 --timezone Etc/UTC' <<-\EOF
400 Parameter verification failed.
timezone: invalid format - invalid time zone 'Etc/UTC'

pct set <vmid> [OPTIONS]
EOF

expect_param_error 'startup order' 'set 100 --startup first' <<-\EOF
400 Parameter verification failed.
startup: invalid format - unable to parse startup options

pct set <vmid> [OPTIONS]
EOF

expect_param_error 'maxLength (hostname of 256 chars)' "set 100 --hostname $(printf 'a%.0s' $(seq 256))" <<-\EOF
400 Parameter verification failed.
hostname: value may only be 255 characters long
pct set <vmid> [OPTIONS]
EOF

test_expect_success 'one line per bad key (Proxmox: hash order; any order is fine)' '
	test_must_fail --code=255 pct set 100 --tty 9 --memory 1 --arch x 2>err &&
	sed -n "1p;\$p" err >actual &&
	printf "%s\n" "400 Parameter verification failed." "pct set <vmid> [OPTIONS]" >expect &&
	test_cmp expect actual &&
	sed "1d;\$d" err | sort >actual &&
	cat >expect <<-\EOF &&
	arch: value '\''x'\'' does not have a value in the enumeration '\''amd64, i386, arm64, armhf, riscv32, riscv64'\''
	memory: value must have a minimum value of 16
	tty: value must have a maximum value of 6
	EOF
	test_cmp expect actual
'

# property strings: the nested "format error" and its blank lines
expect_param_error 'property string: bad sub-key value (two blank lines)' \
	'set 100 --net0 name=eth0,ip=bad' <<-\EOF
400 Parameter verification failed.
net0: invalid format - format error
net0.ip: invalid format - value does not look like a valid ipv4 network configuration


pct set <vmid> [OPTIONS]
EOF

expect_param_error 'property string: sub-key type error (one blank line)' \
	'set 100 --net0 name=eth0,mtu=x' <<-\EOF
400 Parameter verification failed.
net0: invalid format - format error
net0.mtu: type check ('integer') failed - got 'x'

pct set <vmid> [OPTIONS]
EOF

expect_param_error 'property string: sub-key range' 'set 100 --net0 name=eth0,tag=4095' <<-\EOF
400 Parameter verification failed.
net0: invalid format - format error
net0.tag: value must have a maximum value of 4094

pct set <vmid> [OPTIONS]
EOF

expect_param_error 'property string: required sub-key missing' 'set 100 --net0 bridge=vmbr0' <<-\EOF
400 Parameter verification failed.
net0: invalid format - format error
net0.name: property is missing and it is not optional

pct set <vmid> [OPTIONS]
EOF

expect_param_error 'property string: unknown sub-key' 'set 100 --net0 name=eth0,foo=1' <<-\EOF
400 Parameter verification failed.
net0: invalid format - invalid key in comma-separated list property: foo

pct set <vmid> [OPTIONS]
EOF

expect_param_error 'property string: duplicate sub-key' 'set 100 --net0 name=eth0,name=eth1' <<-\EOF
400 Parameter verification failed.
net0: invalid format - duplicate key in comma-separated list property: name

pct set <vmid> [OPTIONS]
EOF

expect_param_error 'property string: value without key and no default key' 'set 100 --net0 eth0' <<-\EOF
400 Parameter verification failed.
net0: invalid format - value without key, but schema does not define a default key

pct set <vmid> [OPTIONS]
EOF

expect_param_error 'property string: missing key' 'set 100 --net0 name=eth0,=x' <<-\EOF
400 Parameter verification failed.
net0: invalid format - missing key in comma-separated list property

pct set <vmid> [OPTIONS]
EOF

expect_param_error 'property string: bad MAC address' 'set 100 --net0 name=eth0,hwaddr=01:00:00:00:00:01' <<-\EOF
400 Parameter verification failed.
net0: invalid format - format error
net0.hwaddr: invalid format - value does not look like a valid unicast MAC address


pct set <vmid> [OPTIONS]
EOF

expect_param_error 'property string: mount point path with ..' 'set 100 --mp0 local:1,mp=/a/../b' <<-\EOF
400 Parameter verification failed.
mp0: invalid format - format error
mp0.mp: invalid format - /a/../b contains illegal character sequences


pct set <vmid> [OPTIONS]
EOF

expect_param_error 'property string: bad disk size' 'set 100 --mp0 local:vm-100-disk-1,mp=/a,size=8g' <<-\EOF
400 Parameter verification failed.
mp0: invalid format - format error
mp0.size: invalid format - value does not look like a valid disk size: 8g


pct set <vmid> [OPTIONS]
EOF

expect_param_error 'property string: device path outside /dev' 'set 100 --dev0 /etc/passwd' <<-\EOF
400 Parameter verification failed.
dev0: invalid format - format error
dev0.path: invalid format - /etc/passwd is not a valid device path


pct set <vmid> [OPTIONS]
EOF

expect_param_error 'property string: features boolean' 'set 100 --features nesting=maybe' <<-\EOF
400 Parameter verification failed.
features: invalid format - format error
features.nesting: type check ('boolean') failed - got 'maybe'

pct set <vmid> [OPTIONS]
EOF

expect_param_error 'snapshot name with a slash' 'config 100 --snapshot a/b' <<-\EOF
400 Parameter verification failed.
snapshot: invalid format - invalid configuration ID 'a/b'

pct config <vmid> [OPTIONS]
EOF

expect_param_error 'snapshot name ..' 'config 100 --snapshot ..' <<-\EOF
400 Parameter verification failed.
snapshot: invalid format - invalid configuration ID '..'

pct config <vmid> [OPTIONS]
EOF

expect_param_error 'snapshot name of one character' 'config 100 --snapshot a' <<-\EOF
400 Parameter verification failed.
snapshot: invalid format - invalid configuration ID 'a'

pct config <vmid> [OPTIONS]
EOF

expect_param_error 'snapshot name longer than 40' "config 100 --snapshot s$(printf 'x%.0s' $(seq 40))" <<-\EOF
400 Parameter verification failed.
snapshot: value may only be 40 characters long
pct config <vmid> [OPTIONS]
EOF

expect_param_error '--delete of a name that is not a config ID' 'set 100 --delete ../x' <<-\EOF
400 Parameter verification failed.
delete: invalid format - invalid configuration ID '../x'

pct set <vmid> [OPTIONS]
EOF

expect_param_error '--digest longer than 40' "set 100 --memory 512 --digest $(printf '0%.0s' $(seq 41))" <<-\EOF
400 Parameter verification failed.
digest: value may only be 40 characters long
pct set <vmid> [OPTIONS]
EOF

expect_param_error 'pct create: --password shorter than 5' \
	'create 200 docker.io/library/debian:12 --password abc' <<-\EOF
400 Parameter verification failed.
password: value must be at least 5 characters long
pct create <vmid> <ostemplate> [OPTIONS]
EOF

test_expect_success 'no config file was created by the refused creates' '
	! test -e "$CORRAL_CONFDIR/200.conf" && ! test -e "$CORRAL_CONFDIR/0100.conf"
'

test_expect_success 'internal keys are not options of pct set (parent, snaptime)' '
	test_must_fail pct set 100 --parent snap1 2>err &&
	head -n 1 err >actual && echo "Unknown option: parent" >expect && test_cmp expect actual &&
	test_must_fail pct set 100 --snaptime 1 2>err &&
	head -n 1 err >actual && echo "Unknown option: snaptime" >expect && test_cmp expect actual
'

test_expect_success 'a config that does not exist' '
	test_must_fail --code=255 pct config 999 2>err &&
	echo "Configuration file '\''$CORRAL_CONFDIR/999.conf'\'' does not exist" >expect &&
	test_cmp expect err
'

test_done

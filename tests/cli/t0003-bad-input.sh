#!/bin/sh
# Bad input: random bytes, NUL bytes, a 100 MB file, a 1 MB line, a
# directory, a symlink, an unreadable file and a full disk. pct never
# crashes on them, says which file (and line) is at fault, and never leaves
# a torn or temporary file behind.
. "$(dirname "$0")/test-lib.sh"

PCT_IS_ASAN=
if command -v ldd >/dev/null 2>&1 && ldd "$PCT" 2>/dev/null | grep -q 'libasan'; then
	PCT_IS_ASAN=1
fi

# every line of $2 is a "FILE:LINE: " diagnostic for file $1
all_located () {
	if grep -a -v "^$1:[0-9][0-9]*: " "$2" >unlocated; then
		echo "lines without FILE:LINE:"
		head -c 2000 unlocated
		return 1
	fi
}

# no "<name>.tmp.<pid>" files below a directory
no_temp_files () {
	if find "$1" -name '*.tmp.*' | grep -q .; then
		echo "temporary files left:"
		find "$1" -name '*.tmp.*'
		return 1
	fi
}

test_expect_success 'random bytes: no crash, every warning has a file and a line' '
	head -c 262144 /dev/urandom >rand.conf &&
	pct fmt rand.conf >rand.out 2>rand.err &&
	all_located rand.conf rand.err &&
	head -c 65536 /dev/urandom | tr "\n" "x" >oneline.conf &&
	pct fmt oneline.conf >oneline.out 2>oneline.err &&
	test "$(wc -l <oneline.err)" -le 2 &&
	all_located oneline.conf oneline.err
'

test_expect_success 'random bytes after valid lines: the valid lines survive' '
	printf "arch: amd64\nmemory: 512\n" >mixed.conf &&
	head -c 4096 /dev/urandom | tr -d "\n[#" | tr "\000" x >>mixed.conf &&
	pct fmt mixed.conf >mixed.out 2>mixed.err &&
	grep -q "^arch: amd64\$" mixed.out &&
	all_located mixed.conf mixed.err
'

test_expect_success 'NUL bytes: warned about with their line, bytes kept' '
	printf "hostname: a\000b\n\000\nmemory: 512\n#x\000y\n[snap\000]\n" >nul.conf &&
	pct fmt nul.conf >nul.out 2>nul.err &&
	printf "#x%%00y\nhostname: a\000b\nmemory: 512\n" >nul.expect &&
	test_cmp nul.expect nul.out &&
	cat >nul.err.expect <<-\EOF &&
	nul.conf:1: vm 0 - line contains a NUL byte
	nul.conf:1: vm 0 - unable to parse value of '"'"'hostname'"'"' - value contains a NUL byte
	nul.conf:2: vm 0 - line contains a NUL byte
	nul.conf:2: vm 0 - unable to parse config: \x00
	nul.conf:4: vm 0 - line contains a NUL byte
	nul.conf:5: vm 0 - line contains a NUL byte
	nul.conf:5: vm 0 - unable to parse config: [snap\x00]
	EOF
	test_cmp nul.err.expect nul.err
'

test_expect_success 'NUL bytes: a NUL-separated list is a list (split_list)' '
	printf "nameserver: 1.1.1.1\0008.8.8.8\n" >nullist.conf &&
	pct fmt nullist.conf >nullist.out 2>nullist.err &&
	printf "nullist.conf:1: vm 0 - line contains a NUL byte\n" >nullist.err.expect &&
	test_cmp nullist.err.expect nullist.err
'

# 10 MB: one main key, then N times an lxc line and a comment line. The
# writer puts all comments first, then the key, then the lxc lines. (How
# fast is a benchmark's business, bench/; this checks that it works and that
# memory stays in proportion.)
big_size=10000000
[ -n "${VALGRIND:-}" ] && big_size=2000000
test_expect_success "a ${big_size}-byte file: parsed and written, memory in proportion" '
	printf "lxc.cgroup2.devices.allow: c 10:200 rwm\n#a line of the description\n" >pair &&
	pair_len=$(wc -c <pair) &&
	n=$((big_size / pair_len)) &&
	{ printf "arch: amd64\n"; yes "lxc.cgroup2.devices.allow: c 10:200 rwm
#a line of the description" | head -n $((2 * n)); } >big.conf &&
	test "$(wc -c <big.conf)" -ge $((big_size - pair_len)) &&
	if [ -z "$PCT_IS_ASAN" ] && [ -z "${VALGRIND:-}" ] && [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%M" -o big.rss "$PCT" fmt big.conf >big.out 2>big.err
	else
		pct fmt big.conf >big.out 2>big.err
	fi &&
	test_cmp /dev/null big.err &&
	test "$(wc -l <big.out)" -eq $((2 * n + 1)) &&
	test "$(head -n 1 big.out)" = "#a line of the description" &&
	test "$(sed -n "$((n + 1))p" big.out)" = "arch: amd64" &&
	test "$(tail -n 1 big.out)" = "lxc.cgroup2.devices.allow: c 10:200 rwm" &&
	if [ -f big.rss ]; then
		rss_kb=$(tail -n 1 big.rss) &&
		echo "max RSS ${rss_kb} KiB for $(($(wc -c <big.conf) / 1024)) KiB of input" &&
		test "$rss_kb" -lt $((6 * big_size / 1024 + 65536))
	fi
'

test_expect_success 'a file over the 128 MiB limit is refused, by name, without reading it' '
	truncate -s 200M huge.conf &&
	test_must_fail pct fmt huge.conf 2>huge.err &&
	grep -q "^unable to read file '"'"'huge.conf'"'"' - larger than 128 MiB\$" huge.err
'

test_expect_success 'a 1 MB line: a value, a description and an unparseable line' '
	long=$(head -c 1048576 /dev/zero | tr "\000" a) &&
	printf "hostname: %s\n" "$long" >longval.conf &&
	pct fmt longval.conf >longval.out 2>longval.err &&
	test_cmp longval.conf longval.out &&
	test_cmp /dev/null longval.err &&
	printf "description: %s\nlxc.apparmor.raw: %s\n" "$long" "$long" >longdesc.conf &&
	pct fmt longdesc.conf >longdesc.out 2>longdesc.err &&
	printf "#%s\nlxc.apparmor.raw: %s\n" "$long" "$long" >longdesc.expect &&
	test_cmp longdesc.expect longdesc.out &&
	printf "memory: 512\nHOSTNAME: %s\n" "$long" >longbad.conf &&
	pct fmt longbad.conf >longbad.out 2>longbad.err &&
	printf "memory: 512\n" >longbad.expect &&
	test_cmp longbad.expect longbad.out &&
	printf "longbad.conf:2: vm 0 - unable to parse config: HOSTNAME: %s\n" "$long" >longbad.err.expect &&
	test_cmp longbad.err.expect longbad.err
'

test_expect_success 'a directory: refused by name, by fmt, config and set' '
	mkdir dir.conf "$CORRAL_CONFDIR/101.conf" &&
	test_must_fail pct fmt dir.conf 2>dir.err &&
	grep -q "^'"'"'dir.conf'"'"' is a directory, not a config file\$" dir.err &&
	test_must_fail pct config 101 2>dir2.err &&
	grep -q "101.conf'"'"' is a directory" dir2.err &&
	test_must_fail pct set 101 --memory 1024 2>dir3.err &&
	grep -q "101.conf'"'"' is a directory" dir3.err &&
	test -d "$CORRAL_CONFDIR/101.conf" &&
	no_temp_files "$CORRAL_CONFDIR"
'

test_expect_success 'a symlink: refused by name, and never written through' '
	printf "memory: 512\n" >target.conf &&
	cp target.conf target.orig &&
	ln -s "$PWD/target.conf" "$CORRAL_CONFDIR/102.conf" &&
	test_must_fail pct fmt "$CORRAL_CONFDIR/102.conf" 2>link.err &&
	grep -q "102.conf'"'"' is a symbolic link" link.err &&
	test_must_fail pct set 102 --memory 1024 2>link2.err &&
	grep -q "102.conf'"'"' is a symbolic link" link2.err &&
	test_must_fail pct fmt --in-place "$CORRAL_CONFDIR/102.conf" 2>/dev/null &&
	test_cmp target.orig target.conf &&
	test -L "$CORRAL_CONFDIR/102.conf" &&
	no_temp_files "$CORRAL_CONFDIR"
'

# root reads every file: drop privileges for this test when we are root
as_user=
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null 2>&1; then
		as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
	fi
fi
if [ "$(id -u)" = 0 ] && [ -z "$as_user" ]; then
	test_skip 'an unreadable file' 'running as root without setpriv to drop privileges'
else
	test_expect_success "an unreadable file: refused by name${as_user:+ (as uid 65534)}" '
		chmod 755 "$TRASH" &&
		printf "memory: 512\n" >secret.conf &&
		chmod 000 secret.conf &&
		test_must_fail $as_user "$PCT" fmt "$TRASH/secret.conf" 2>secret.err &&
		cat secret.err &&
		grep -q "^unable to open file '"'"'$TRASH/secret.conf'"'"': Permission denied\$" secret.err
	'
fi

# A full file system: a small tmpfs in a private mount namespace
mount_ns=
if command -v unshare >/dev/null 2>&1; then
	if unshare -m true 2>/dev/null; then
		mount_ns="unshare -m"
	elif unshare -rm true 2>/dev/null; then
		mount_ns="unshare -rm"
	fi
fi
if [ -n "$mount_ns" ] && ! $mount_ns sh -c 'mkdir -p "$1" && mount -t tmpfs -o size=64k tmpfs "$1"' sh "$TRASH/probe" 2>/dev/null; then
	mount_ns=
fi
if [ -z "$mount_ns" ]; then
	test_skip 'a full disk during a write' 'cannot mount a tmpfs here (no mount namespace)'
else
	cat >full.sh <<-\EOF
	set -e
	mkdir -p full
	mount -t tmpfs -o size=64k tmpfs full
	mkdir -p full/ct
	# non-canonical (unsorted, "key:value"), about 20 KiB
	i=0
	{
		echo "swap:512"
		while [ $i -lt 600 ]; do echo "lxc.mount.entry: /srv/d$i srv/d$i none bind 0 0"; i=$((i + 1)); done
		echo "memory:512"
	} >full/ct/100.conf
	cp full/ct/100.conf before.conf
	dd if=/dev/zero of=full/fill bs=4096 2>/dev/null || true
	status=0
	"$PCT" fmt --in-place full/ct/100.conf 2>fmt.err || status=$?
	echo "fmt: $status" >full.status
	status=0
	CORRAL_CONFDIR=$PWD/full/ct "$PCT" set 100 --memory 1024 2>set.err || status=$?
	echo "set: $status" >>full.status
	cmp before.conf full/ct/100.conf
	find full -name '*.tmp.*' >full.tmp
	umount full
	EOF
	test_expect_success 'a full disk during a write: a clear error, the old file intact' '
		$mount_ns sh full.sh &&
		cat full.status fmt.err set.err &&
		grep -q "^fmt: [1-9]" full.status &&
		grep -q "^set: [1-9]" full.status &&
		grep -q "100.conf.tmp.[0-9]*'"'"': No space left on device" fmt.err &&
		grep -q "100.conf.tmp.[0-9]*'"'"': No space left on device" set.err &&
		test_cmp /dev/null full.tmp
	'
fi

test_done

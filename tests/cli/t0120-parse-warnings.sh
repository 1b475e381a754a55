#!/bin/sh
# Parse warnings when a command loads a CT's config: Proxmox's
# parse_pct_config warns on stderr about every line it cannot take ("vm 100 -
# unable to parse value of 'foo' - unknown setting 'foo'", lxc.* key
# warnings, dropped lines) each time pct config, set, list, ... load the
# file, and carries on. The text is the parser's own; stdout stays as it was.
# A CT's warnings are printed once per command.
. "$(dirname "$0")/test-lib.sh"

bad_ct () {
	printf '%s\n' \
		'arch: amd64' \
		'foo: bar' \
		'hostname: ct100' \
		'memory: 512' \
		'ostype: debian' \
		'rootfs: local:vm-100-disk-0,size=4G' \
		'HOSTNAME: upper' \
		'lxc.utsname: old' \
		'lxc.rootfs.path: /x' \
		'lxc.nosuch: 1' >"$CORRAL_CONFDIR/100.conf"
}

# the warnings of bad_ct, in file order
expect_warnings () {
	printf '%s\n' \
		"vm 100 - unable to parse value of 'foo' - unknown setting 'foo'" \
		"vm 100 - unable to parse config: HOSTNAME: upper" \
		"vm 100 - lxc.utsname is deprecated and was renamed to lxc.uts.name" \
		"vm 100 - lxc.rootfs.path: lxc.rootfs.path is auto generated from rootfs" \
		"vm 100 - unable to parse config: lxc.nosuch: 1" >expect
}

test_expect_success 'pct config: the parser warnings on stderr, the config on stdout' '
	bad_ct && expect_warnings &&
	pct config 100 >out 2>err &&
	test_cmp expect err &&
	grep -qx "foo: bar" out &&
	grep -qx "hostname: ct100" out &&
	grep -qx "lxc.utsname: old" out &&
	! grep -q "vm 100" out
'

test_expect_success 'a multi-line message is printed as Proxmox prints it' '
	basic_ct 101 &&
	echo "net0: name=eth0,ip=1.2.3" >>"$CORRAL_CONFDIR/101.conf" &&
	test_must_fail pct config 101 >out 2>err &&
	head -n 2 err >actual &&
	printf "%s\n" "vm 101 - unable to parse value of '\''net0'\'' - format error" \
		"ip: invalid format - value does not look like a valid ipv4 network configuration" \
		>expect &&
	test_cmp expect actual &&
	grep -q "^400 Result verification failed" err
'

test_expect_success 'a clean config: nothing on stderr' '
	basic_ct 102 &&
	pct config 102 >out 2>err &&
	test_cmp /dev/null err
'

test_expect_success 'pct config --output-format json: stdout stays JSON' '
	bad_ct && expect_warnings &&
	pct config 100 --output-format json >out 2>err &&
	test_cmp expect err &&
	grep -q "^{" out && ! grep -q "vm 100" out
'

test_expect_success 'pct set: warns once, changes the file, keeps the unknown key' '
	bad_ct && expect_warnings &&
	pct set 100 --cores 2 >out 2>err &&
	test_cmp expect err &&
	test_cmp /dev/null out &&
	grep -qx "cores: 2" "$CORRAL_CONFDIR/100.conf" &&
	grep -qx "foo: bar" "$CORRAL_CONFDIR/100.conf"
'

test_expect_success 'pct list: the warnings of every CT, the table on stdout' '
	rm -f "$CORRAL_CONFDIR"/*.conf &&
	bad_ct && basic_ct 102 && expect_warnings &&
	pct list >out 2>err &&
	test_cmp expect err &&
	grep -q "^100 " out && grep -q "^102 " out
'

test_expect_success 'pct list: nothing on stderr when every config is clean' '
	rm -f "$CORRAL_CONFDIR"/*.conf &&
	basic_ct 102 && basic_ct 103 &&
	pct list >out 2>err &&
	test_cmp /dev/null err
'

test_expect_success 'the other commands that load a config warn too' '
	bad_ct && expect_warnings &&
	for cmd in "pending 100" "listsnapshot 100" "status 100" "template 100"; do
		pct $cmd >out 2>err || { echo "pct $cmd failed"; cat err; exit 1; }
		grep "^vm 100 - " err >actual &&
		test_cmp expect actual || { echo "pct $cmd"; exit 1; }
	done &&
	bad_ct &&
	test_must_fail pct unlock 100 2>err &&
	head -n 5 err >actual && test_cmp expect actual &&
	echo "no lock found trying to remove any lock" >expect2 &&
	tail -n 1 err >actual && test_cmp expect2 actual
'

test_expect_success 'a command that reads the config twice warns once' '
	bad_ct && expect_warnings &&
	pct resize 100 rootfs +1G >out 2>err &&
	test_cmp expect err &&
	grep -qx "rootfs: local:vm-100-disk-0,size=5G" "$CORRAL_CONFDIR/100.conf"
'

test_expect_success 'a missing CT: only the error, no warnings' '
	test_must_fail --code=255 pct config 999 2>err &&
	! grep -q "^vm " err
'

test_expect_success 'pct fmt and pct lint keep their FILE:LINE: form' '
	bad_ct &&
	pct fmt "$CORRAL_CONFDIR/100.conf" >out 2>err &&
	grep -q "100.conf:2: vm 100 - unable to parse value of '\''foo'\''" err &&
	! grep -q "^vm 100" err
'

test_done

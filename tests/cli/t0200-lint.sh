#!/bin/sh
# pct lint (Corral extension): the API-level checks plus the parser's
# problems as FILE:LINE: lines on stdout, exit 1 on any error, 0 when clean;
# several files at once; --kube says how each key maps.
. "$(dirname "$0")/test-lib.sh"

printf '%s\n' 'arch: sparc' 'memory: 8' 'foo: bar' 'hostname: ok' 'garbage' \
	'' '[pve:pending]' 'delete: nosuch' '' '[snap1]' 'tty: 9' >bad.conf
printf '%s\n' 'arch: amd64' 'memory: 512' >good.conf

test_expect_success 'a clean file: nothing printed, exit 0' '
	pct lint good.conf >out 2>err &&
	test_cmp /dev/null out && test_cmp /dev/null err
'

test_expect_success 'problems with file and line, exit 1' '
	test_must_fail --code=1 pct lint bad.conf >out &&
	grep -qx "bad.conf:1: arch: value '\''sparc'\'' does not have a value in the enumeration '\''amd64, i386, arm64, armhf, riscv32, riscv64'\''" out &&
	grep -qx "bad.conf:2: memory: value must have a minimum value of 16" out &&
	grep -qx "bad.conf:3: foo: unknown setting '\''foo'\''" out &&
	grep -qx "bad.conf:5: unable to parse config: garbage" out &&
	grep -qx "bad.conf:8: delete: unknown option in pending delete list" out &&
	grep -qx "bad.conf:11: tty: value must have a maximum value of 6" out
'

test_expect_success 'several files: each reported, exit 1 if any is bad' '
	test_must_fail --code=1 pct lint good.conf bad.conf >out &&
	! grep -q "^good.conf" out && grep -q "^bad.conf" out
'

test_expect_success 'a missing file is an error' '
	test_must_fail --code=1 pct lint nothere.conf >out &&
	grep -q "^nothere.conf: " out
'

test_expect_success 'no file: not enough arguments' '
	test_must_fail --code=255 pct lint 2>err &&
	head -n 1 err | grep -qx "400 not enough arguments"
'

test_expect_success 'a file pct create wrote is clean' '
	pct create 100 alpine &&
	pct lint "$CORRAL_CONFDIR/100.conf"
'

test_expect_success '--kube: one line per key' '
	pct lint --kube good.conf >out &&
	grep -q "^good.conf:1: arch: maps" out &&
	grep -q "^good.conf:2: memory: maps" out
'

test_expect_success 'lint never writes the file' '
	freeze bad.conf &&
	test_must_fail pct lint bad.conf >/dev/null &&
	test_unchanged bad.conf
'

test_done

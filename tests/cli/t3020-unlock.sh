#!/bin/sh
# pct unlock: removes the lock key; without one: "no lock found trying to
# remove any lock", exit 255, file untouched.
. "$(dirname "$0")/test-lib.sh"

basic_ct 100
C="$CORRAL_CONFDIR/100.conf"

test_expect_success 'no lock: Proxmox'\''s message, exit 255, no write' '
	freeze "$C" &&
	test_must_fail --code=255 pct unlock 100 >out 2>err &&
	echo "no lock found trying to remove any lock" >expect &&
	test_cmp expect err && test_cmp /dev/null out &&
	test_unchanged "$C"
'

for l in backup create destroyed disk fstrim migrate mounted rollback snapshot snapshot-delete; do
	test_expect_success "unlock removes lock: $l" "
		basic_ct 101 && cp '$CORRAL_CONFDIR/101.conf' want &&
		echo 'lock: $l' >>'$CORRAL_CONFDIR/101.conf' &&
		pct unlock 101 >out 2>err &&
		test_cmp /dev/null out && test_cmp /dev/null err &&
		test_cmp want '$CORRAL_CONFDIR/101.conf'
	"
done

test_expect_success 'unlock keeps pending changes and snapshots' '
	write_conf 103 <<-\EOF &&
	lock: snapshot
	memory: 512

	[pve:pending]
	memory: 1024

	[snap1]
	memory: 256
	snaptime: 1
	EOF
	pct unlock 103 &&
	cat >expect <<-\EOF &&
	memory: 512

	[pve:pending]
	memory: 1024

	[snap1]
	memory: 256
	snaptime: 1
	EOF
	test_cmp expect "$CORRAL_CONFDIR/103.conf"
'

test_expect_success 'unlock makes pct set work again' '
	basic_ct 104 && echo "lock: backup" >>"$CORRAL_CONFDIR/104.conf" &&
	test_must_fail pct set 104 --memory 1024 2>/dev/null &&
	pct unlock 104 &&
	pct set 104 --memory 1024
'

test_expect_success 'a CT that does not exist' '
	test_must_fail --code=255 pct unlock 999 2>err &&
	grep -q "999.conf'\'' does not exist" err &&
	! test -e "$CORRAL_CONFDIR/999.conf"
'

test_done

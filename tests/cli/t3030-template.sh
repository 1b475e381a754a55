#!/bin/sh
# pct template: sets template: 1; refused for a locked CT, a CT with
# snapshots, a template, and a running CT.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'a stopped CT becomes a template' '
	basic_ct 100 &&
	pct template 100 >out 2>err &&
	test_cmp /dev/null out && test_cmp /dev/null err &&
	grep -qx "template: 1" "$CORRAL_CONFDIR/100.conf"
'

test_expect_success 'a template cannot become a template again' '
	freeze "$CORRAL_CONFDIR/100.conf" &&
	test_must_fail --code=255 pct template 100 2>err &&
	echo "you can'\''t convert a template to a template" >expect &&
	test_cmp expect err &&
	test_unchanged "$CORRAL_CONFDIR/100.conf"
'

test_expect_success 'a CT with snapshots cannot become a template' '
	basic_ct 101 && printf "\n[snap1]\nmemory: 512\nsnaptime: 1\n" >>"$CORRAL_CONFDIR/101.conf" &&
	freeze "$CORRAL_CONFDIR/101.conf" &&
	test_must_fail --code=255 pct template 101 2>err &&
	echo "unable to create template, because CT contains snapshots" >expect &&
	test_cmp expect err &&
	test_unchanged "$CORRAL_CONFDIR/101.conf"
'

test_expect_success 'a locked CT cannot become a template (lock checked first)' '
	basic_ct 102 && echo "lock: backup" >>"$CORRAL_CONFDIR/102.conf" &&
	freeze "$CORRAL_CONFDIR/102.conf" &&
	test_must_fail --code=255 pct template 102 2>err &&
	echo "CT is locked (backup)" >expect && test_cmp expect err &&
	test_unchanged "$CORRAL_CONFDIR/102.conf"
'

test_expect_success 'a running CT cannot become a template' '
	basic_ct 103 && agent_status 103 running &&
	test_must_fail --code=255 pct template 103 2>err &&
	echo "you can'\''t convert a CT to template if the CT is running" >expect &&
	test_cmp expect err &&
	! grep -q "^template:" "$CORRAL_CONFDIR/103.conf"
'

test_expect_success 'template: 0 in the file is not a template' '
	basic_ct 104 && echo "template: 0" >>"$CORRAL_CONFDIR/104.conf" &&
	pct template 104 &&
	grep -qx "template: 1" "$CORRAL_CONFDIR/104.conf"
'

test_expect_success 'a CT that does not exist' '
	test_must_fail --code=255 pct template 999 2>err &&
	grep -q "999.conf'\'' does not exist" err
'

test_done

#!/bin/sh
# Idempotency for Ansible: the same pct set twice leaves the file untouched
# the second time (same bytes, same mtime) and --output-format json says
# {"changed":false}; a real change says {"changed":true}.
. "$(dirname "$0")/test-lib.sh"

basic_ct 100
C="$CORRAL_CONFDIR/100.conf"

test_expect_success 'first run changes the file and says so' '
	pct set 100 --memory 1024 --nameserver 1.1.1.1,8.8.8.8 --tags "b;A" --onboot yes \
		--output-format json >actual &&
	echo "{\"changed\":true}" >expect &&
	test_cmp expect actual
'

test_expect_success 'second run: same bytes, same mtime, changed false' '
	freeze "$C" &&
	pct set 100 --memory 1024 --nameserver 1.1.1.1,8.8.8.8 --tags "b;A" --onboot yes \
		--output-format json >actual &&
	echo "{\"changed\":false}" >expect &&
	test_cmp expect actual &&
	test_unchanged "$C"
'

test_expect_success 'without --output-format nothing is printed either way' '
	pct set 100 --memory 1024 >out && test_cmp /dev/null out &&
	pct set 100 --memory 1025 >out && test_cmp /dev/null out
'

test_expect_success 'setting a value spelled differently but stored the same is no change' '
	freeze "$C" &&
	pct set 100 --onboot true --nameserver "1.1.1.1 8.8.8.8" --tags "a,b" --output-format json >actual &&
	echo "{\"changed\":false}" >expect && test_cmp expect actual &&
	test_unchanged "$C"
'

test_expect_success 'deleting an unset key twice is no change' '
	pct set 100 --delete cores --output-format json >actual 2>/dev/null &&
	echo "{\"changed\":false}" >expect && test_cmp expect actual
'

test_expect_success 'a delete is a change the first time only' '
	pct set 100 --delete onboot --output-format json >actual &&
	echo "{\"changed\":true}" >expect && test_cmp expect actual &&
	freeze "$C" &&
	pct set 100 --delete onboot --output-format json >actual 2>/dev/null &&
	echo "{\"changed\":false}" >expect && test_cmp expect actual &&
	test_unchanged "$C"
'

test_expect_success 'a net with a given hwaddr is idempotent' '
	pct set 100 --net0 name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=dhcp &&
	freeze "$C" &&
	pct set 100 --net0 name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=dhcp,type=veth \
		--output-format json >actual &&
	echo "{\"changed\":false}" >expect && test_cmp expect actual &&
	test_unchanged "$C"
'

test_expect_success 'the same pending change on a running CT twice is no change' '
	agent_status 100 running &&
	pct set 100 --arch arm64 --output-format json >actual &&
	echo "{\"changed\":true}" >expect && test_cmp expect actual &&
	freeze "$C" &&
	pct set 100 --arch arm64 --output-format json >actual &&
	echo "{\"changed\":false}" >expect && test_cmp expect actual &&
	test_unchanged "$C"
'

test_expect_success 'yaml and json-pretty carry the same flag' '
	pct set 100 --arch arm64 --output-format yaml >actual &&
	printf "%s\n" "---" "changed: false" >expect && test_cmp expect actual &&
	pct set 100 --arch arm64 --output-format json-pretty >actual &&
	python3 -c "import json; assert json.load(open(\"actual\")) == {\"changed\": False}"
'

test_expect_success 'pct unlock twice: second run fails, file untouched' '
	basic_ct 101 && echo "lock: backup" >>"$CORRAL_CONFDIR/101.conf" &&
	pct unlock 101 &&
	freeze "$CORRAL_CONFDIR/101.conf" &&
	test_must_fail pct unlock 101 2>/dev/null &&
	test_unchanged "$CORRAL_CONFDIR/101.conf"
'

test_done

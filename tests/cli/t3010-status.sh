#!/bin/sh
# pct status: "status: X" as the agent reported it; without an agent or a
# report pct says so on stderr and prints "status: unknown".
. "$(dirname "$0")/test-lib.sh"

basic_ct 100

test_expect_success 'no agent, no report: unknown, and why on stderr' '
	pct status 100 >out 2>err &&
	echo "status: unknown" >expect && test_cmp expect out &&
	echo "corral-syncd is not running: no status has been reported for this CT" >expect &&
	test_cmp expect err
'

test_expect_success 'agent running, CT reported' '
	agent_status 100 running &&
	pct status 100 >out 2>err &&
	echo "status: running" >expect && test_cmp expect out &&
	test_cmp /dev/null err
'

test_expect_success 'agent gone: the last reported state, and a warning' '
	rm "$CORRAL_RUNDIR/syncd.heartbeat" &&
	pct status 100 >out 2>err &&
	echo "status: running" >expect && test_cmp expect out &&
	echo "corral-syncd is not running: the status shown is the last one it reported" >expect &&
	test_cmp expect err
'

test_expect_success 'agent running but no report for this CT yet' '
	basic_ct 101 && agent_status 100 stopped &&
	pct status 101 >out 2>err &&
	echo "status: unknown" >expect && test_cmp expect out &&
	echo "corral-syncd has not reported a status for CT 101 yet" >expect && test_cmp expect err
'

test_expect_success '--verbose: sorted key: value lines' '
	agent_status 100 running &&
	pct status 100 --verbose >out &&
	sort out >sorted && test_cmp sorted out &&
	grep -qx "status: running" out &&
	grep -qx "maxmem: 536870912" out &&
	grep -qx "name: ct100" out &&
	grep -qx "type: lxc" out &&
	grep -qx "vmid: 100" out
'

test_expect_success '--output-format json' '
	pct status 100 --output-format json >actual &&
	echo "{\"vmid\":100,\"status\":\"running\",\"agent\":true}" >expect &&
	test_cmp expect actual
'

test_expect_success 'a CT that does not exist' '
	test_must_fail --code=255 pct status 999 2>err &&
	grep -q "999.conf'\'' does not exist" err
'

test_expect_success 'missing vmid' '
	test_must_fail --code=255 pct status 2>err &&
	printf "%s\n" "400 not enough arguments" "pct status <vmid> [OPTIONS]" >expect &&
	test_cmp expect err
'

test_done

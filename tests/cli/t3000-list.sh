#!/bin/sh
# pct list: nothing at all without CTs; else the exact printf table with its
# trailing spaces, sorted numerically, status from the agent ("unknown"
# without one, "stopped" for an unreported CT while the agent runs), the
# lock, and the hostname without whitespace (or CT<vmid>).
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'no CTs: nothing printed, exit 0' '
	pct list >out 2>err &&
	test_cmp /dev/null out && test_cmp /dev/null err
'

test_expect_success 'no config directory at all: nothing printed' '
	CORRAL_CONFDIR="$TRASH/none" pct list >out &&
	test_cmp /dev/null out
'

test_expect_success 'setup' '
	basic_ct 1000 && basic_ct 200 && basic_ct 30000 &&
	echo "lock: backup" >>"$CORRAL_CONFDIR/200.conf" &&
	sed -i "/^hostname:/d" "$CORRAL_CONFDIR/30000.conf" &&
	touch "$CORRAL_CONFDIR/notes.txt" "$CORRAL_CONFDIR/99.conf.bak"
'

test_expect_success 'no agent: status unknown; sorted numerically; trailing spaces kept' '
	pct list >actual &&
	{
		printf "%-10s %-10s %-12s %-20s\n" VMID Status Lock Name
		printf "%-10s %-10s %-12s %-20s\n" 200 unknown backup ct200
		printf "%-10s %-10s %-12s %-20s\n" 1000 unknown "" ct1000
		printf "%-10s %-10s %-12s %-20s\n" 30000 unknown "" CT30000
	} >expect &&
	test_cmp expect actual &&
	head -n 1 actual | grep -q "Name                $"
'

test_expect_success 'with an agent: reported states, unreported CTs stopped' '
	agent_status 1000 running &&
	pct list >actual &&
	{
		printf "%-10s %-10s %-12s %-20s\n" VMID Status Lock Name
		printf "%-10s %-10s %-12s %-20s\n" 200 stopped backup ct200
		printf "%-10s %-10s %-12s %-20s\n" 1000 running "" ct1000
		printf "%-10s %-10s %-12s %-20s\n" 30000 stopped "" CT30000
	} >expect &&
	test_cmp expect actual
'

test_expect_success 'a stale heartbeat means no agent' '
	printf "{\"pid\": 1, \"time\": %s, \"interval\": 10}\n" $(( $(date +%s) - 3600 )) \
		>"$CORRAL_RUNDIR/syncd.heartbeat" &&
	pct list | grep "^30000 " | grep -q " unknown "
'

test_expect_success 'whitespace is removed from the name; a long name is not cut' '
	basic_ct 300 &&
	sed -i "s/^hostname: .*/hostname: a-very-long-host-name-that-goes-on/" "$CORRAL_CONFDIR/300.conf" &&
	pct list | grep "^300 " >actual &&
	printf "%-10s %-10s %-12s %-20s\n" 300 unknown "" a-very-long-host-name-that-goes-on >expect &&
	test_cmp expect actual
'

test_expect_success 'whitespace inside a hand-written hostname is removed' '
	printf "hostname: a b\tc\nmemory: 512\n" >"$CORRAL_CONFDIR/301.conf" &&
	pct list 2>/dev/null | grep "^301 " >actual &&
	printf "%-10s %-10s %-12s %-20s\n" 301 unknown "" abc >expect &&
	test_cmp expect actual
'

test_expect_success 'a config that does not parse cleanly is still listed' '
	printf "hostname: broken\ngarbage line\n" >"$CORRAL_CONFDIR/400.conf" &&
	pct list 2>/dev/null | grep -q "^400 .* broken"
'

test_expect_success 'too many arguments' '
	test_must_fail --code=255 pct list 100 2>err &&
	printf "%s\n" "400 too many arguments" "pct list " >expect &&
	test_cmp expect err
'

test_expect_success '--output-format json' '
	pct list --output-format json >actual &&
	python3 -c "
import json
d = json.load(open(\"actual\"))
assert [e[\"vmid\"] for e in d] == [200, 300, 301, 400, 1000, 30000], d
assert d[0][\"lock\"] == \"backup\" and \"lock\" not in d[1], d
assert d[-1][\"name\"] == \"CT30000\", d
"
'

test_expect_success '--output-format json without a config directory is an empty list' '
	CORRAL_CONFDIR="$TRASH/none" pct list --output-format json >actual &&
	echo "[]" >expect && test_cmp expect actual &&
	mkdir empty && CORRAL_CONFDIR="$TRASH/empty" pct list --output-format json >actual &&
	test_cmp expect actual
'

test_done

#!/bin/sh
# pct listsnapshot: the snapshot tree as Proxmox prints it (TZ=UTC here):
# "`-> name time description", one more leading space per level, name
# padded to 30 - length(prefix), siblings by snaptime, current last as the
# child of main's parent with "You are here!".
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'no snapshots: only current' '
	basic_ct 100 &&
	pct listsnapshot 100 >actual &&
	printf "%s %-27s %-23s %s\n" "\`->" current "" "You are here!" >expect &&
	test_cmp expect actual
'

test_expect_success 'a chain of snapshots' '
	write_conf 101 <<-\EOF &&
	arch: amd64
	memory: 512
	parent: snap2

	[snap1]
	#first snapshot
	#second line is not shown
	arch: amd64
	memory: 512
	snaptime: 1704103200

	[snap2]
	arch: amd64
	memory: 512
	parent: snap1
	snaptime: 1704189600
	EOF
	pct listsnapshot 101 >actual &&
	cat >expect <<-\EOF &&
	`-> snap1                       2024-01-01 10:00:00     first snapshot
	 `-> snap2                      2024-01-02 10:00:00     no-description
	  `-> current                                           You are here!
	EOF
	test_cmp expect actual
'

test_expect_success 'branches: siblings sorted by snaptime, current where main points' '
	write_conf 102 <<-\EOF &&
	memory: 512
	parent: base

	[base]
	memory: 512
	snaptime: 1700000000

	[late]
	memory: 512
	parent: base
	snaptime: 1700000300

	[early]
	memory: 512
	parent: base
	snaptime: 1700000100

	[other-root]
	#root two
	memory: 512
	snaptime: 1600000000
	EOF
	pct listsnapshot 102 >actual &&
	cat >expect <<-\EOF &&
	`-> other-root                  2020-09-13 12:26:40     root two
	`-> base                        2023-11-14 22:13:20     no-description
	 `-> early                      2023-11-14 22:15:00     no-description
	 `-> late                       2023-11-14 22:18:20     no-description
	EOF
	printf "%s %-26s %-23s %s\n" " \`->" current "" "You are here!" >>expect &&
	test_cmp expect actual
'

test_expect_success 'the time is local time (TZ)' '
	TZ=Europe/Vienna pct listsnapshot 101 | head -n 1 >actual &&
	echo "\`-> snap1                       2024-01-01 11:00:00     first snapshot" >expect &&
	test_cmp expect actual
'

test_expect_success 'a snapshot without snaptime shows 1970' '
	write_conf 103 <<-\EOF &&
	memory: 512

	[nosnaptime]
	memory: 512
	EOF
	pct listsnapshot 103 | head -n 1 >actual &&
	echo "\`-> nosnaptime                  1970-01-01 00:00:00     no-description" >expect &&
	test_cmp expect actual
'

test_expect_success 'a deep tree: the name column shrinks with the prefix' '
	{
		echo "memory: 512"; echo "parent: s9"
		i=1; while [ $i -le 9 ]; do
			echo; echo "[s$i]"; echo "memory: 512"
			[ $i -gt 1 ] && echo "parent: s$((i - 1))"
			echo "snaptime: $((1700000000 + i))"
			i=$((i + 1))
		done
	} >"$CORRAL_CONFDIR/104.conf" &&
	pct listsnapshot 104 >actual &&
	sed -n 9p actual >line9 &&
	printf "%s %-19s %-23s %s\n" "        \`->" s9 "2023-11-14 22:13:29" no-description >expect &&
	test_cmp expect line9
'

test_expect_success '--output-format json' '
	pct listsnapshot 101 --output-format json >actual &&
	python3 -c "
import json
d = {e[\"name\"]: e for e in json.load(open(\"actual\"))}
assert d[\"snap2\"][\"parent\"] == \"snap1\", d
assert d[\"snap1\"][\"snaptime\"] == 1704103200, d
assert d[\"current\"][\"parent\"] == \"snap2\", d
assert len(d[\"current\"][\"digest\"]) == 40, d
"
'

test_expect_success 'a CT that does not exist' '
	test_must_fail --code=255 pct listsnapshot 999 2>err &&
	grep -q "999.conf'\'' does not exist" err
'

test_expect_success 'an invalid vmid' '
	test_must_fail --code=255 pct listsnapshot 99 2>err &&
	grep -qx "vmid: invalid format - value does not look like a valid VM ID" err
'

test_done

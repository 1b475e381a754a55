#!/bin/sh
# pct pending: one line per key sorted, "cur k: v" for unchanged values,
# "cur"+"new" for changed ones, "new" for keys only pending, "del k: v" for
# pending deletes of set keys (nothing for deletes of unset keys).
. "$(dirname "$0")/test-lib.sh"

printf '%s\n' \
	'#my ct' \
	'arch: amd64' \
	'cores: 2' \
	'hostname: web' \
	'memory: 512' \
	'onboot: 1' \
	'lxc.apparmor.profile: unconfined' \
	'' \
	'[pve:pending]' \
	'#new: text' \
	'cores: 4' \
	'delete: onboot,!tags,swap' \
	'nameserver: 1.1.1.1' >"$CORRAL_CONFDIR/100.conf"

test_expect_success 'cur/new/del lines in key order' '
	pct pending 100 >actual &&
	printf "%s\n" \
		"cur arch: amd64" \
		"cur cores: 2" \
		"new cores: 4" \
		"cur description: my ct%0A" \
		"new description: new%3A text%0A" \
		"cur hostname: web" \
		"cur memory: 512" \
		"new nameserver: 1.1.1.1" \
		"del onboot: 1" >expect &&
	test_cmp expect actual
'

test_expect_success 'nothing pending: only cur lines' '
	basic_ct 101 &&
	pct pending 101 >actual &&
	sed "s/^/cur /" "$CORRAL_CONFDIR/101.conf" >expect &&
	test_cmp expect actual
'

test_expect_success 'pending of a running CT after pct set' '
	basic_ct 102 && agent_status 102 running &&
	pct set 102 --memory 1024 --tty 3 --delete arch &&
	pct pending 102 >actual &&
	printf "%s\n" \
		"del arch: amd64" \
		"cur hostname: ct102" \
		"cur memory: 512" \
		"new memory: 1024" \
		"cur ostype: debian" \
		"cur rootfs: local:vm-102-disk-0,size=4G" \
		"cur swap: 512" \
		"new tty: 3" \
		"cur unprivileged: 1" >expect &&
	test_cmp expect actual
'

test_expect_success '--output-format json' '
	pct pending 100 --output-format json >actual &&
	python3 -c "
import json
d = json.load(open(\"actual\"))
byk = {i[\"key\"]: i for i in d}
assert byk[\"cores\"][\"pending\"] == 4 and byk[\"cores\"][\"value\"] == 2, byk
assert byk[\"arch\"][\"value\"] == \"amd64\", byk
assert byk[\"onboot\"][\"delete\"] == 1, byk
assert byk[\"tags\"][\"delete\"] == 2, byk
assert \"value\" not in byk[\"nameserver\"], byk
"
'

test_expect_success 'a config that does not exist' '
	test_must_fail --code=255 pct pending 999 2>err &&
	grep -q "999.conf'\'' does not exist" err
'

test_done

#!/bin/sh
# Command resolution and help: no command, unknown and incomplete commands,
# the short usage lines, pct help CMD and pct help CMD --verbose.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'no command: ERROR and the usage of every command on stderr, exit 255' '
	test_must_fail --code=255 pct >out 2>err &&
	test_cmp /dev/null out &&
	head -n 3 err >actual &&
	printf "%s\n" "ERROR: no command specified" "USAGE: pct <COMMAND> [ARGS] [OPTIONS]" "" >expect &&
	test_cmp expect actual &&
	grep -qx "       pct set <vmid> \[OPTIONS\]" err &&
	grep -qx "       pct create <vmid> <ostemplate> \[OPTIONS\]" err &&
	grep -qx "       pct list " err
'

test_expect_success 'unknown command' '
	test_must_fail --code=255 pct frobnicate 2>err &&
	head -n 1 err >actual &&
	echo "ERROR: unknown command '\''pct frobnicate'\''" >expect &&
	test_cmp expect actual
'

test_expect_success 'an ambiguous command prefix is an incomplete command' '
	test_must_fail --code=255 pct s 2>err &&
	head -n 1 err >actual &&
	echo "ERROR: incomplete command '\''pct s'\''" >expect &&
	test_cmp expect actual
'

test_expect_success 'pct help CMD: USAGE line and a blank line' '
	pct help set >actual &&
	printf "USAGE: pct set <vmid> [OPTIONS]\n\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'usage lines of the commands without options' '
	printf "USAGE: pct list \n\n" >expect && pct help list >actual && test_cmp expect actual &&
	printf "USAGE: pct unlock <vmid>\n\n" >expect && pct help unlock >actual &&
	test_cmp expect actual &&
	printf "USAGE: pct template <vmid>\n\n" >expect && pct help template >actual &&
	test_cmp expect actual &&
	printf "USAGE: pct pending <vmid>\n\n" >expect && pct help pending >actual &&
	test_cmp expect actual &&
	printf "USAGE: pct listsnapshot <vmid>\n\n" >expect && pct help listsnapshot >actual &&
	test_cmp expect actual
'

test_expect_success 'pct help create and status' '
	printf "USAGE: pct create <vmid> <ostemplate> [OPTIONS]\n\n" >expect &&
	pct help create >actual && test_cmp expect actual &&
	printf "USAGE: pct status <vmid> [OPTIONS]\n\n" >expect &&
	pct help status >actual && test_cmp expect actual
'

test_expect_success 'pct help of an unknown command fails' '
	test_must_fail --code=255 pct help nosuch 2>err &&
	head -n 1 err >actual &&
	echo "ERROR: unknown command '\''nosuch'\''" >expect &&
	test_cmp expect actual
'

test_expect_success 'pct help CMD --verbose lists the positionals and every option' '
	pct help config --verbose >out &&
	head -n 1 out >actual &&
	echo "USAGE: pct config <vmid> [OPTIONS]" >expect &&
	test_cmp expect actual &&
	grep -q "^  <vmid>     <integer> (100 - 999999999)" out &&
	grep -q "^  -current   <boolean>" out &&
	grep -q "^  -snapshot  <string>" out
'

test_expect_success 'pct help set --verbose: every config key is an option' '
	pct help set --verbose >out &&
	for k in arch cmode console cores cpulimit cpuunits debug description entrypoint env \
		features hookscript hostname lock memory nameserver onboot ostype protection \
		rootfs searchdomain startup swap tags template timezone tty unprivileged; do
		grep -q "^  -$k " out || { echo "missing -$k"; exit 1; }
	done &&
	for k in dev mp net unused; do
		grep -q "^  -$k\[n\] " out || { echo "missing -$k[n]"; exit 1; }
	done &&
	grep -q "^  -delete " out && grep -q "^  -revert " out && grep -q "^  -digest " out &&
	! grep -q "^  -parent " out && ! grep -q "^  -snaptime " out
'

test_expect_success 'pct help --verbose 0: the short usage of every command' '
	pct help --verbose 0 >out &&
	head -n 1 out >actual &&
	echo "USAGE: pct clone <vmid> <newid> [OPTIONS]" >expect &&
	test_cmp expect actual &&
	grep -qx "       pct unlock <vmid>" out
'

test_expect_success 'pct help without a command prints the full help of every command' '
	pct help >out &&
	grep -c "^USAGE: pct " out >count &&
	test "$(cat count)" -ge 12
'

test_expect_success 'doc/pct.1 has a section for every verb pct has, and for no other' '
	pct help --verbose 0 | sed -n "s/^\(USAGE: \)\{0,1\} *pct \([a-z-]*\).*/\2/p" |
		sort -u >verbs &&
	test "$(wc -l <verbs)" -ge 20 &&
	sed -n "s/^\.SS \"pct \([a-z-]*\).*/\1/p" "$top_srcdir/doc/pct.1" | sort -u >documented &&
	comm -23 verbs documented >undocumented &&
	comm -13 verbs documented >extra &&
	test_cmp /dev/null undocumented &&
	test_cmp /dev/null extra
'

test_done

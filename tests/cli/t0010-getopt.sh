#!/bin/sh
# Option parsing as Proxmox's pct does it (Getopt::Long configured by
# PVE::JSONSchema::get_options): -opt and --opt, --opt=value, unique
# abbreviations, ambiguous prefixes, case-insensitive names, booleans with an
# optional value, repeated list options joined with commas, permuted
# positionals, and "--" ending the options.
. "$(dirname "$0")/test-lib.sh"

basic_ct 100
CONF="$CORRAL_CONFDIR/100.conf"

test_expect_success '--opt value, -opt value, --opt=value are the same' '
	pct set 100 --memory 600 && grep -qx "memory: 600" "$CONF" &&
	pct set 100 -memory 700 && grep -qx "memory: 700" "$CONF" &&
	pct set 100 --memory=800 && grep -qx "memory: 800" "$CONF" &&
	pct set 100 -memory=900 && grep -qx "memory: 900" "$CONF"
'

test_expect_success 'a unique abbreviation selects the option (--mem, --host)' '
	pct set 100 --mem 1024 --host web1 &&
	grep -qx "memory: 1024" "$CONF" &&
	grep -qx "hostname: web1" "$CONF"
'

test_expect_success 'option names are case-insensitive (--MEMORY)' '
	pct set 100 --MEMORY 1100 && grep -qx "memory: 1100" "$CONF"
'

test_expect_success 'an ambiguous prefix lists the candidates in sorted order' '
	freeze "$CONF" &&
	test_must_fail --code=255 pct set 100 --n 1.1.1.1 >out 2>err &&
	cat >expect <<-\EOF &&
	Option n is ambiguous (nameserver, net0, net1, net10, net11, net12, net13, net14, net15, net16, net17, net18, net19, net2, net20, net21, net22, net23, net24, net25, net26, net27, net28, net29, net3, net30, net31, net4, net5, net6, net7, net8, net9)
	400 unable to parse option
	pct set <vmid> [OPTIONS]
	EOF
	test_cmp expect err &&
	test_cmp /dev/null out &&
	test_unchanged "$CONF"
'

test_expect_success 'ambiguity between two options: --s (searchdomain, startup, swap)' '
	test_must_fail pct set 100 --s 5 2>err &&
	head -n 1 err >actual &&
	echo "Option s is ambiguous (searchdomain, startup, swap)" >expect &&
	test_cmp expect actual
'

test_expect_success 'an exact name wins over longer names with that prefix (--net1 vs --net10)' '
	pct set 100 --net1 name=eth1,ip=dhcp &&
	grep -q "^net1: name=eth1," "$CONF" &&
	! grep -q "^net10:" "$CONF"
'

test_expect_success 'unknown option: Getopt message, 400 unable to parse option, usage' '
	freeze "$CONF" &&
	test_must_fail --code=255 pct set 100 --foo 1 2>err &&
	cat >expect <<-\EOF &&
	Unknown option: foo
	400 unable to parse option
	pct set <vmid> [OPTIONS]
	EOF
	test_cmp expect err &&
	test_unchanged "$CONF"
'

test_expect_success 'the unknown option is reported lower-cased' '
	test_must_fail pct set 100 --FooBar 1 2>err &&
	head -n 1 err >actual && echo "Unknown option: foobar" >expect && test_cmp expect actual
'

test_expect_success 'three dashes are not an option prefix (---memory)' '
	test_must_fail pct set 100 ---memory 5 2>err &&
	head -n 1 err >actual && echo "Unknown option: -memory" >expect && test_cmp expect actual
'

test_expect_success 'no --no-KEY negation for booleans' '
	test_must_fail pct set 100 --no-onboot 2>err &&
	head -n 1 err >actual && echo "Unknown option: no-onboot" >expect && test_cmp expect actual
'

test_expect_success 'every unknown option is reported before failing' '
	test_must_fail pct set 100 --foo 1 --bar 2 2>err &&
	cat >expect <<-\EOF &&
	Unknown option: foo
	Unknown option: bar
	400 unable to parse option
	pct set <vmid> [OPTIONS]
	EOF
	test_cmp expect err
'

test_expect_success 'a value option at the end: requires an argument' '
	test_must_fail --code=255 pct set 100 --memory 2>err &&
	cat >expect <<-\EOF &&
	Option memory requires an argument
	400 unable to parse option
	pct set <vmid> [OPTIONS]
	EOF
	test_cmp expect err
'

test_expect_success '--memory= (empty value) also requires an argument' '
	test_must_fail pct set 100 --memory= 2>err &&
	head -n 1 err >actual && echo "Option memory requires an argument" >expect &&
	test_cmp expect actual
'

test_expect_success 'a value option takes the next word even if it starts with a dash' '
	test_must_fail pct set 100 --memory -5 2>err &&
	grep -qx "memory: value must have a minimum value of 16" err
'

test_expect_success 'a repeated scalar option: the last value wins' '
	pct set 100 --memory 1 --memory 1200 && grep -qx "memory: 1200" "$CONF"
'

test_expect_success 'boolean without value means 1' '
	pct set 100 --onboot && grep -qx "onboot: 1" "$CONF"
'

for v in 1 on yes true ON Yes TRUE; do
	test_expect_success "boolean value '$v' is stored as 1" "
		pct set 100 --onboot 0 && pct set 100 --onboot $v && grep -qx 'onboot: 1' '$CONF'
	"
done

for v in 0 off no false OFF No FALSE; do
	test_expect_success "boolean value '$v' is stored as 0" "
		pct set 100 --onboot 1 && pct set 100 --onboot $v && grep -qx 'onboot: 0' '$CONF'
	"
done

test_expect_success 'boolean --opt=value form' '
	pct set 100 --onboot=yes && grep -qx "onboot: 1" "$CONF" &&
	pct set 100 --onboot=off && grep -qx "onboot: 0" "$CONF"
'

test_expect_success 'boolean followed by another option takes no value' '
	pct set 100 --onboot --memory 1300 &&
	grep -qx "onboot: 1" "$CONF" && grep -qx "memory: 1300" "$CONF"
'

test_expect_success 'a bad boolean value: 400 unable to parse boolean option' '
	freeze "$CONF" &&
	test_must_fail --code=255 pct set 100 --onboot maybe 2>err &&
	cat >expect <<-\EOF &&
	400 unable to parse boolean option
	pct set <vmid> [OPTIONS]
	EOF
	test_cmp expect err &&
	test_unchanged "$CONF"
'

test_expect_success 'a boolean eats a following number (--onboot 100)' '
	test_must_fail pct set --onboot 100 100 2>err &&
	grep -qx "400 unable to parse boolean option" err
'

test_expect_success 'a boolean does not eat something that looks like an option (--onboot -5)' '
	test_must_fail pct set 100 --onboot -5 2>err &&
	head -n 1 err >actual && echo "Unknown option: 5" >expect && test_cmp expect actual
'

test_expect_success '--onboot= is an empty value and leaves the next word positional' '
	test_must_fail pct set 100 --onboot= 7 2>err &&
	grep -qx "400 too many arguments" err
'

test_expect_success 'repeated list options are joined with commas (nameserver, searchdomain)' '
	pct set 100 --nameserver 1.1.1.1 --nameserver 8.8.8.8 \
		--searchdomain a.example --searchdomain b.example &&
	grep -qx "nameserver: 1.1.1.1 8.8.8.8" "$CONF" &&
	grep -qx "searchdomain: a.example b.example" "$CONF"
'

test_expect_success 'repeated --delete options are joined' '
	pct set 100 --delete nameserver --delete searchdomain &&
	! grep -q "^nameserver:" "$CONF" && ! grep -q "^searchdomain:" "$CONF"
'

test_expect_success 'options and positionals may be mixed (permute)' '
	pct set --memory 1400 100 && grep -qx "memory: 1400" "$CONF"
'

test_expect_success '-- ends the options: what follows is positional' '
	test_must_fail --code=255 pct set 100 -- --memory 5 2>err &&
	cat >expect <<-\EOF &&
	400 too many arguments
	pct set <vmid> [OPTIONS]
	EOF
	test_cmp expect err
'

test_expect_success '-- before the vmid works' '
	pct set --memory 1500 -- 100 && grep -qx "memory: 1500" "$CONF"
'

test_expect_success 'missing positional: 400 not enough arguments' '
	test_must_fail --code=255 pct set --memory 512 2>err &&
	cat >expect <<-\EOF &&
	400 not enough arguments
	pct set <vmid> [OPTIONS]
	EOF
	test_cmp expect err
'

test_expect_success 'the positional given as an option still counts as missing' '
	test_must_fail pct set --vmid 100 --memory 512 2>err &&
	grep -qx "400 not enough arguments" err
'

test_expect_success 'extra positional: 400 too many arguments' '
	freeze "$CONF" &&
	test_must_fail --code=255 pct set 100 101 --memory 512 2>err &&
	cat >expect <<-\EOF &&
	400 too many arguments
	pct set <vmid> [OPTIONS]
	EOF
	test_cmp expect err &&
	test_unchanged "$CONF"
'

test_expect_success 'a lone dash is a positional, not an option' '
	test_must_fail pct config - 2>err &&
	grep -q "^vmid: " err
'

test_expect_success 'commands may be abbreviated when unique (pct conf)' '
	pct conf 100 >actual &&
	pct config 100 >expect &&
	test_cmp expect actual
'

test_expect_success 'command options are abbreviated too (pct config 100 --cur)' '
	pct set 100 --memory 2048 &&
	pct config 100 --cur >out && grep -qx "memory: 2048" out
'

test_done

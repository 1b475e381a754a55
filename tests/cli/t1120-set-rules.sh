#!/bin/sh
# The refusals of pct set (pve-conf-format.md §8, pct-facts §2): deleting
# unset keys, required and read-only keys, protection, the lock key, the
# digest, and conflicting --delete/--revert/--KEY combinations. A refused
# call writes nothing.
. "$(dirname "$0")/test-lib.sh"

basic_ct 100
C="$CORRAL_CONFDIR/100.conf"

# refused DESCRIPTION 'ARGS' <<EOF (expected stderr)
refused () {
	cat >"$TRASH/expect.$test_count"
	test_expect_success "$1" "
		freeze '$C' &&
		test_must_fail --code=255 pct $2 >out 2>err &&
		test_cmp '$TRASH/expect.$test_count' err &&
		test_cmp /dev/null out &&
		test_unchanged '$C'
	"
}

test_expect_success 'deleting a key that is not set: a warning, exit 0, no write' '
	freeze "$C" &&
	pct set 100 --delete tty 2>err &&
	echo "cannot delete '\''tty'\'' - not set in current configuration!" >expect &&
	test_cmp expect err &&
	test_unchanged "$C"
'

test_expect_success 'the warning is given per key; the other deletes still happen' '
	echo "cmode: shell" >>"$C" &&
	pct set 100 --delete tty,cmode,cores 2>err &&
	printf "%s\n" "cannot delete '\''tty'\'' - not set in current configuration!" \
		"cannot delete '\''cores'\'' - not set in current configuration!" >expect &&
	test_cmp expect err &&
	! grep -q "^cmode:" "$C"
'

test_expect_success 'deleting an unset required key only warns' '
	basic_ct 101 && sed -i "/^memory:/d" "$CORRAL_CONFDIR/101.conf" &&
	pct set 101 --delete memory 2>err &&
	grep -qx "cannot delete '\''memory'\'' - not set in current configuration!" err
'

for k in memory rootfs ostype; do
	refused "required option $k cannot be deleted" "set 100 --delete $k" <<-EOF
	unable to delete required option '$k'
	EOF
done

refused 'unprivileged cannot be deleted' 'set 100 --delete unprivileged' <<-\EOF
unable to delete read-only option: 'unprivileged'
EOF

refused 'unprivileged cannot be changed' 'set 100 --unprivileged 0' <<-\EOF
unable to modify read-only option: 'unprivileged'
EOF

refused 'a key given to --delete and as an option' 'set 100 --delete cores --cores 2' <<-\EOF
400 Parameter verification failed.
delete: you can't use '-cores' and -delete cores' at the same time
pct set <vmid> [OPTIONS]
EOF

refused 'a key given to --revert and as an option' 'set 100 --revert cores --cores 2' <<-\EOF
400 Parameter verification failed.
revert: you can't use '-cores' and '-revert cores' at the same time
pct set <vmid> [OPTIONS]
EOF

refused 'a key given to --delete and --revert' 'set 100 --delete swap --revert swap' <<-\EOF
400 Parameter verification failed.
delete: you can't use '-delete swap' and '-revert swap' at the same time
pct set <vmid> [OPTIONS]
EOF

refused 'an unknown key in --delete' 'set 100 --delete foo' <<-\EOF
400 Parameter verification failed.
delete: unknown option 'foo'
pct set <vmid> [OPTIONS]
EOF

refused 'an unknown key in --revert' 'set 100 --revert foo' <<-\EOF
400 Parameter verification failed.
revert: unknown option 'foo'
pct set <vmid> [OPTIONS]
EOF

refused 'a wrong digest' 'set 100 --memory 1024 --digest 0123456789abcdef0123456789abcdef01234567' <<-\EOF
detected modified configuration - file changed by other user? Try again.
EOF

test_expect_success 'the right digest (sha1 of the file) is accepted' '
	d=$(sha1sum "$C" | cut -d" " -f1) &&
	pct set 100 --memory 1024 --digest "$d" &&
	grep -qx "memory: 1024" "$C"
'

test_expect_success 'an empty digest is ignored' '
	pct set 100 --memory 1100 --digest "" && grep -qx "memory: 1100" "$C"
'

# protection
test_expect_success 'setup: a protected CT with a mount point and an unused volume' '
	printf "%s\n" "mp0: local:vm-100-disk-1,mp=/srv,size=8G" "protection: 1" \
		"unused0: local:vm-100-disk-2" >>"$C"
'

refused 'protection: a mount point cannot be deleted' 'set 100 --delete mp0' <<-\EOF
can't remove CT 100 drive 'mp0' - protection mode enabled
EOF

refused 'protection: an unused volume cannot be deleted' 'set 100 --delete unused0' <<-\EOF
can't remove CT 100 drive 'unused0' - protection mode enabled
EOF

refused 'protection: a mount point cannot be changed' 'set 100 --mp0 local:vm-100-disk-1,mp=/other' <<-\EOF
can't update CT 100 drive 'mp0' - protection mode enabled
EOF

refused 'protection: rootfs cannot be changed' 'set 100 --rootfs local:vm-100-disk-0,size=8G' <<-\EOF
can't update CT 100 drive 'rootfs' - protection mode enabled
EOF

refused 'protection: a new mount point cannot be added' 'set 100 --mp1 local:1,mp=/x' <<-\EOF
can't update CT 100 drive 'mp1' - protection mode enabled
EOF

test_expect_success 'protection: other keys can still be changed' '
	pct set 100 --memory 2048 && grep -qx "memory: 2048" "$C"
'

test_expect_success 'protection can be removed, then the mount point deleted' '
	pct set 100 --protection 0 &&
	pct set 100 --delete mp0 &&
	! grep -q "^mp0:" "$C" &&
	grep -q "^unused[0-9]*: local:vm-100-disk-1$" "$C"
'

# the lock key
test_expect_success 'setup: a locked CT' '
	basic_ct 102 && echo "lock: backup" >>"$CORRAL_CONFDIR/102.conf"
'

for args in "--memory 1024" "--lock snapshot" "--delete lock" "--revert memory"; do
	test_expect_success "a locked CT refuses pct set $args" "
		freeze '$CORRAL_CONFDIR/102.conf' &&
		test_must_fail --code=255 pct set 102 $args 2>err &&
		echo 'CT is locked (backup)' >expect &&
		test_cmp expect err &&
		test_unchanged '$CORRAL_CONFDIR/102.conf'
	"
done

test_expect_success 'pct set --lock sets the lock of an unlocked CT' '
	basic_ct 103 &&
	pct set 103 --lock backup &&
	grep -qx "lock: backup" "$CORRAL_CONFDIR/103.conf"
'

test_expect_success 'an invalid lock value is refused' '
	basic_ct 104 &&
	test_must_fail pct set 104 --lock foo 2>err &&
	grep -q "^lock: value '\''foo'\'' does not have a value in the enumeration" err
'

test_expect_success 'deleting a key that is only pending drops it from the delete list' '
	basic_ct 105 && agent_status 105 running &&
	pct set 105 --tty 3 &&
	pct set 105 --delete tty &&
	sed -n "/^\[pve:pending\]/,\$p" "$CORRAL_CONFDIR/105.conf" >pending &&
	! grep -q "^delete:" pending
'

test_expect_success 'an error in applying a change writes nothing' '
	basic_ct 106 &&
	freeze "$CORRAL_CONFDIR/106.conf" &&
	test_must_fail pct set 106 --memory 1024 --dev0 mode=0600 2>err &&
	test_unchanged "$CORRAL_CONFDIR/106.conf"
'

test_done

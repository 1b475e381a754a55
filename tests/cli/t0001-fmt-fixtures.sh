#!/bin/sh
# pct fmt reproduces Proxmox's writer on every fixture, byte for byte, and
# reports the same problems Proxmox warns about, with file and line.
. "$(dirname "$0")/test-lib.sh"

FIX="$top_srcdir/tests/fixtures/conf"

for conf in "$FIX"/*.conf; do
	name=$(basename "$conf" .conf)
	test -f "$FIX/$name.expect" || continue
	cp "$conf" "$name.conf"
	test_expect_success "fmt $name: writer output" "
		pct fmt $name.conf >$name.out 2>$name.stderr &&
		test_cmp '$FIX/$name.expect' $name.out
	"
	if [ -f "$FIX/$name.err" ]; then
		test_expect_success "fmt $name: warnings with file:line" "
			test_cmp '$FIX/$name.err' $name.stderr
		"
	else
		test_expect_success "fmt $name: no warnings" "
			test_cmp /dev/null $name.stderr
		"
	fi
	# NNN.expect2: Proxmox's writer is not idempotent on this input; the
	# second pass must give exactly that file
	second=$name.out
	[ -f "$FIX/$name.expect2" ] && second="$FIX/$name.expect2"
	test_expect_success "fmt $name: second pass (write(parse(write(parse(x)))))" "
		cp $name.out again.conf &&
		pct fmt again.conf >again.out 2>/dev/null &&
		test_cmp '$second' again.out
	"
done

test_expect_success 'fmt --check: 0 for canonical, 1 otherwise' '
	cp "$FIX/001-basic.expect" canon.conf &&
	pct fmt --check canon.conf &&
	cp "$FIX/002-quirks.conf" quirks.conf &&
	test_must_fail --code=1 pct fmt --check quirks.conf 2>/dev/null
'

test_expect_success 'fmt --in-place rewrites atomically and only when needed' '
	cp "$FIX/002-quirks.conf" 105.conf &&
	pct fmt --in-place 105.conf 2>/dev/null &&
	test_cmp "$FIX/002-quirks.expect" 105.conf &&
	touch -d "2001-01-01" 105.conf &&
	pct fmt --in-place 105.conf 2>/dev/null &&
	test "$(stat -c %Y 105.conf)" = "$(date -d 2001-01-01 +%s)" &&
	! ls 105.conf.tmp.* 2>/dev/null
'

test_expect_success 'fmt of a missing file fails with its name' '
	test_must_fail pct fmt nothere.conf 2>err &&
	grep -q "nothere.conf" err
'

test_expect_success 'fmt refuses a directory and a symlink' '
	mkdir dir.conf &&
	test_must_fail pct fmt dir.conf 2>err && grep -q "is a directory" err &&
	ln -s "$FIX/001-basic.conf" link.conf &&
	test_must_fail pct fmt link.conf 2>err && grep -q "symbolic link" err
'

test_done

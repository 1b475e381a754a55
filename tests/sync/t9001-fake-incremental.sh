#!/bin/sh
# The fake API server's controllers look only at what changed since they last
# ran (doc/fake-apiserver.md, "Speed"). Random writes, each followed by a
# check that a full pass of every controller finds nothing left to do: what
# the other tests see is what the full passes did before the shortcut.
. "$(dirname "$0")/../cli/test-lib.sh"

PYTHON=$(python3 -c 'import sys; print(sys.executable)') || PYTHON=python3

for seed in 1 2 3; do
	test_expect_success "random writes, seed $seed: the incremental passes miss nothing" "
		\"$PYTHON\" \"$top_srcdir/tests/sync/fake-incremental.py\" \
			\"$top_srcdir/tests/sync/fake-apiserver.py\" $seed 700 \"$TRASH/missed-$seed\" ||
		{ cat \"$TRASH/missed-$seed\"; false; }
	"
done

test_expect_success 'the check fails when a controller skips what it must look at' '
	sed "s/^            pods = self._sorted(only)\$/            pods = []/" \
		"$top_srcdir/tests/sync/fake-apiserver.py" >broken.py &&
	! cmp -s broken.py "$top_srcdir/tests/sync/fake-apiserver.py" &&
	test_must_fail "$PYTHON" "$top_srcdir/tests/sync/fake-incremental.py" broken.py 1 700 \
		"$TRASH/missed-broken" &&
	test -s "$TRASH/missed-broken"
'

test_done

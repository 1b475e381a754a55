#!/bin/sh
# corral-syncd against the fake API server: an agent that starts again does
# not rewrite the status files that already say what it would write (at
# 10,000 CTs that was 20,000 fsyncs per restart), and still rewrites the
# ones that change.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"

SYNCD=$top_builddir/sync/corral-syncd

FAKE_DIR=$TRASH/fake
fake_start || exit 1
fake_kubeconfig "$TRASH/kubeconfig" token
cat >"$CORRAL_CONFIG" <<EOF
output = "kube"
kubeconfig = "$TRASH/kubeconfig"
namespace = "default"
EOF
for id in 100 101; do
	cat >"$CORRAL_CONFDIR/$id.conf" <<EOF
arch: amd64
hostname: ct$id
memory: 512
ostemplate: docker.io/library/debian:bookworm
ostype: debian
rootfs: local:vm-$id-disk-0,size=1G
EOF
done

inode () {
	stat -c %i "$CORRAL_RUNDIR/ct/$1.status"
}

test_expect_success 'the first passes write a status per CT' '
	"$SYNCD" --once 2>log1 &&
	"$SYNCD" --once 2>log2 &&
	test -s "$CORRAL_RUNDIR/ct/100.status" &&
	test -s "$CORRAL_RUNDIR/ct/101.status"
'

test_expect_success 'a restart with nothing changed rewrites no status file' '
	a=$(inode 100) && b=$(inode 101) &&
	cp "$CORRAL_RUNDIR/ct/100.status" before &&
	"$SYNCD" --once 2>log3 &&
	test "$(inode 100)" = "$a" && test "$(inode 101)" = "$b" &&
	test_cmp before "$CORRAL_RUNDIR/ct/100.status"
'

test_expect_success 'a changed CT gets its status rewritten, the other not' '
	a=$(inode 100) && b=$(inode 101) &&
	sed -i "s/^memory: 512/memory: 1024/" "$CORRAL_CONFDIR/100.conf" &&
	"$SYNCD" --once 2>log4 &&
	test "$(inode 100)" != "$a" && test "$(inode 101)" = "$b" &&
	digest=$(sha1sum "$CORRAL_CONFDIR/100.conf" | cut -d" " -f1) &&
	grep "\"digest\":\"$digest\"" "$CORRAL_RUNDIR/ct/100.status"
'

test_expect_success 'a status file that says something else is rewritten' '
	sed -i "s/\"status\":\"[a-z]*\"/\"status\":\"bogus\"/" "$CORRAL_RUNDIR/ct/101.status" &&
	grep bogus "$CORRAL_RUNDIR/ct/101.status" &&
	b=$(inode 101) &&
	"$SYNCD" --once 2>log5 &&
	test "$(inode 101)" != "$b" &&
	! grep bogus "$CORRAL_RUNDIR/ct/101.status"
'

test_done

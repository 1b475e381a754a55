#!/bin/sh
# corral-syncd when its disks fail it, in a private mount namespace (root,
# or a user namespace; skipped otherwise):
#   a full file system under the manifests and under the run directory
#   (status files): the write fails with the file and the reason, the old
#   files stay whole, no temp file is left, and the next pass after space
#   comes back catches up;
#   the config directory unmounted under a running agent (an empty mount
#   point where the files were): the mass-deletion guard holds, nothing is
#   deleted, and when the files are back the agent carries on without a
#   single write.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"
. "$top_srcdir/tests/sync/syncd-lib.sh"

mount_ns=
if command -v unshare >/dev/null 2>&1; then
	if unshare -m true 2>/dev/null; then
		mount_ns="unshare -m"
	elif unshare -rm true 2>/dev/null; then
		mount_ns="unshare -rm"
	fi
fi
if [ -n "$mount_ns" ] && ! $mount_ns sh -c 'mkdir -p "$1" && mount -t tmpfs -o size=64k tmpfs "$1"' \
	sh "$TRASH/probe" 2>/dev/null; then
	mount_ns=
fi
if [ -z "$mount_ns" ]; then
	echo "1..0 # SKIP cannot mount a tmpfs here (no mount namespace)"
	exit 0
fi

fake_start || exit 1
fake_kubeconfig "$TRASH/kc" token
export SYNCD FAKE_URL PYTHON

i=100
while [ $i -lt 110 ]; do
	ct_conf $i
	i=$((i + 1))
done
set_power 100 running

# --- a full disk ----------------------------------------------------------------------

cat >full.sh <<\EOF
set -u
mkdir -p full
mount -t tmpfs -o size=256k tmpfs full
mkdir -p full/man full/run
export CORRAL_RUNDIR=$PWD/full/run
printf 'output = "manifests"\nmanifest-dir = "%s/full/man"\n' "$PWD" >man.conf
"$SYNCD" --once --config man.conf 2>first.err
echo "first: $?" >full.status
mkdir -p before
cp full/man/*.yaml full/run/ct/*.status before/
# fill the file system, then change every CT
dd if=/dev/zero of=full/fill bs=4096 2>/dev/null
for f in "$CORRAL_CONFDIR"/*.conf; do
	sed -i 's/^memory: .*/memory: 1024/' "$f"
done
"$SYNCD" --once --config man.conf 2>full.err
echo "full: $?" >>full.status
for f in before/*; do
	case $f in
	*.yaml) cmp -s "$f" "full/man/$(basename "$f")" || echo "manifest changed: $f" ;;
	*.status) "$PYTHON" -S -c 'import json, sys; json.load(open(sys.argv[1]))' \
		"full/run/ct/$(basename "$f")" || echo "status torn: $f" ;;
	esac
done >>full.status
find full -name '*.tmp.*' >full.tmp
# space back: the next pass catches up
rm full/fill
"$SYNCD" --once --config man.conf 2>after.err
echo "after: $?" >>full.status
grep -l "memory: 1024" full/man/*.yaml | wc -l >after.count
find full -name '*.tmp.*' >>full.tmp
umount full
EOF

test_expect_success 'a full disk under the manifests: a clear error, old files whole, none left half-written' '
	$mount_ns sh full.sh &&
	cat full.status &&
	grep -qx "first: 0" full.status &&
	grep -qx "full: 1" full.status &&
	! grep -q "changed\|torn" full.status &&
	grep -q "CT 100: unable to .*ct-100.yaml.tmp.[0-9]*'"'"': No space left on device" full.err &&
	test_cmp /dev/null full.tmp
'

test_expect_success 'space back: the next pass writes every manifest' '
	grep -qx "after: 0" full.status &&
	test "$(cat after.count)" = 10
'

# the run directory full while the agent applies to the cluster
cat >full-run.sh <<\EOF
set -u
mkdir -p full
mount -t tmpfs -o size=64k tmpfs full
export CORRAL_RUNDIR=$PWD/full
mkdir -p full/ct
dd if=/dev/zero of=full/fill bs=4096 2>/dev/null
"$SYNCD" --once 2>run-full.err
echo "full: $?" >run.status
ls full/ct | wc -l >run-full.count
find full -name '*.tmp.*' >run.tmp
rm full/fill
"$SYNCD" --once 2>run-after.err
echo "after: $?" >>run.status
ls full/ct | grep -c '\.status$' >run-after.count
find full -name '*.tmp.*' >>run.tmp
umount full
EOF
cat >"$CORRAL_CONFIG" <<EOF
output = "kube"
kubeconfig = "$TRASH/kc"
namespace = "default"
resync-interval = 1
EOF

test_expect_success 'a full run directory: the objects are applied, each status write fails clearly' '
	$mount_ns sh full-run.sh &&
	cat run.status &&
	fake_api GET /apis/apps/v1/namespaces/default/statefulsets/ct-109 >/dev/null &&
	test "$(fake_status)" = 200 &&
	grep -q "CT 100: unable to .*/100.status.tmp.[0-9]*'"'"': No space left on device" run-full.err &&
	test "$(cat run-full.count)" = 0 &&
	test_cmp /dev/null run.tmp
'

test_expect_success 'space back: every status is published' '
	grep -qx "after: 0" run.status &&
	test "$(cat run-after.count)" = 10
'

# --- the config directory unmounted under a running agent ------------------------------

# in the namespace: the files on a tmpfs, the agent running; umount; mount again
cat >unmount.sh <<\EOF
set -u
count () {
	curl -sS "$FAKE_URL/_fake/objects" | "$PYTHON" -S -c 'import json, sys
print(sum(1 for o in json.load(sys.stdin)["objects"]
          if o["metadata"].get("labels", {}).get("app.kubernetes.io/managed-by") == "corral"))'
}
stat_of () {
	curl -sS "$FAKE_URL/_fake/stats" | "$PYTHON" -S -c 'import json, sys
print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
# wait_until SECONDS COMMAND...
wait_until () {
	end=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}
mkdir -p cfg
cp "$CORRAL_CONFDIR"/*.conf saved/
mount -t tmpfs tmpfs cfg
cp saved/*.conf cfg/
export CORRAL_CONFDIR=$PWD/cfg
"$SYNCD" >unmount.log 2>&1 &
pid=$!
wait_until 60 grep -q "connected to" unmount.log
sleep 3
count >objects.before
stat_of writes >writes.before
umount cfg
wait_until 30 grep -q "lost their config file at once" unmount.log
echo "guard: $?" >unmount.status
sleep 3
count >objects.during
stat_of writes >writes.during
mount -t tmpfs tmpfs cfg
cp saved/*.conf cfg/
wait_until 30 grep -q "config files are back; deletions allowed again" unmount.log
echo "back: $?" >>unmount.status
sleep 3
count >objects.after
stat_of writes >writes.after
kill -TERM $pid
wait $pid
echo "agent: $?" >>unmount.status
umount cfg
EOF

test_expect_success 'the config directory unmounted: the guard holds, nothing deleted' '
	mkdir -p saved &&
	$mount_ns sh unmount.sh &&
	cat unmount.status &&
	grep -qx "guard: 0" unmount.status &&
	grep -q "$TRASH/cfg: 10 of 10 CTs lost their config file at once; refusing to delete any" unmount.log &&
	test "$(cat objects.before)" -ge 40 &&
	test "$(cat objects.during)" = "$(cat objects.before)" &&
	test "$(cat writes.during)" = "$(cat writes.before)"
'

test_expect_success 'the files back: deletions allowed again, and not one write' '
	grep -qx "back: 0" unmount.status &&
	grep -qx "agent: 0" unmount.status &&
	test "$(cat objects.after)" = "$(cat objects.before)" &&
	test "$(cat writes.after)" = "$(cat writes.before)"
'

test_done

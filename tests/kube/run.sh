#!/bin/sh
# run.sh: the real-cluster suite. Builds the images, starts a one-node cluster
# (tests/kube/cluster.sh), runs the tests inside its namespaces through the
# build's `make check`, brings the cluster down, and checks that nothing was
# left behind. Run as root, from `make check-kube` (which sets the variables
# below) or by hand from a configured build directory:
#
#   make check-kube                         # v1.31.2, CSI hostpath, every test
#   make check-kube KUBE_VERSION=v1.28.7    # the older cluster: Debian's containerd,
#                                           # no user namespaces, no CSI driver
#   make check-kube KUBE_TESTS=tests/kube/t9800-ct-life.sh   # one script
#
# KUBE_BINARIES: the binaries (default ../shared/kube beside the checkout).
# KUBE_JOBS: scripts run at once (default 3). KUBE_KEEP=1 leaves the
# cluster up at the end (cluster.sh down DIR stops it).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
: "${top_builddir:=$(pwd)}"
: "${MAKE:=make}"
: "${KUBE_VERSION:=v1.31.2}"
: "${KUBE_BINARIES:=$(cd "$top/.." && pwd)/shared/kube}"
: "${KUBE_JOBS:=3}"
: "${KUBE_TESTS:?the tests to run (make check-kube sets them)}"
: "${KUBE_SERIAL_TESTS:=}"
export KUBE_BINARIES

say () { echo "=== kube: $*"; }

[ "$(id -u)" = 0 ] || { echo "run.sh: the real-cluster suite needs root" >&2; exit 1; }
for p in kubectl etcd mmdebstrap umoci tmux nsenter unshare; do
	command -v "$p" >/dev/null 2>&1 || { echo "run.sh: $p is missing" >&2; exit 1; }
done
[ -d "$KUBE_BINARIES/$KUBE_VERSION" ] || {
	echo "run.sh: no $KUBE_BINARIES/$KUBE_VERSION (set KUBE_BINARIES)" >&2; exit 1; }

cd "$top_builddir"
say "images"
$MAKE -s image
KUBE_IMAGES=$top_builddir/kube-images
export KUBE_IMAGES
"$here/images.sh" "$KUBE_IMAGES" "$(ls corral-prestart-*.oci.tar | tail -n 1)"

cluster=$top_builddir/kube-cluster-$KUBE_VERSION
if [ -f "$cluster/cluster.env" ]; then
	"$here/cluster.sh" down "$cluster"
fi
rm -rf "$cluster"
opts="--version $KUBE_VERSION"
[ "$KUBE_VERSION" != v1.28.7 ] || opts="$opts --no-csi"
KUBE_BINCACHE=$top_builddir/kube-bin
export KUBE_BINCACHE
say "cluster $KUBE_VERSION"
start=$(date +%s)
finish () {
	rc=$?
	if [ -z "${KUBE_KEEP:-}" ]; then
		"$here/cluster.sh" down "$cluster" || rc=1
		leftover_check || rc=1
	else
		echo "cluster left up: $here/cluster.sh down $cluster"
	fi
	exit $rc
}
# nothing of the cluster on the host once it is down: no process, namespace or cgroup
leftover_check () {
	. "$cluster/cluster.env"
	bad=0
	if ip netns list | grep -q "^$NETNS\\b"; then echo "left behind: network namespace $NETNS"; bad=1; fi
	if find /sys/fs/cgroup -maxdepth 2 -name "$CGROUP" | grep -q .; then
		echo "left behind: cgroup $CGROUP"; bad=1
	fi
	if grep -q " $cluster/" /proc/self/mountinfo; then echo "left behind: mounts under $cluster"; bad=1; fi
	if pgrep -f "$cluster/" >/dev/null; then echo "left behind: processes of $cluster"; bad=1; fi
	return $bad
}
trap finish EXIT
trap 'exit 1' INT TERM
"$here/cluster.sh" up "$cluster" $opts
say "cluster up in $(($(date +%s) - start)) s"

# the tests run inside the cluster's namespaces, through the build's harness
run_tests () {
	"$here/cluster.sh" run "$cluster" env KUBE_CLUSTER="$cluster" KUBE_IMAGES="$KUBE_IMAGES" TEST_TRACE=1 \
		$MAKE -s -j"$1" check TESTS="$2" || {
		for t in $2; do
			l=${t%.sh}.log
			if grep -q '^FAIL\|^ERROR' "${t%.sh}.trs" 2>/dev/null; then
				echo "--- $l"; cat "$l"
			fi
		done
		return 1
	}
}
rc=0
say "tests ($KUBE_JOBS at once): $KUBE_TESTS"
run_tests "$KUBE_JOBS" "$KUBE_TESTS" || rc=1
if [ -n "$KUBE_SERIAL_TESTS" ]; then
	say "tests that restart the cluster's components, alone: $KUBE_SERIAL_TESTS"
	run_tests 1 "$KUBE_SERIAL_TESTS" || rc=1
fi
say "done in $(($(date +%s) - start)) s"
exit $rc

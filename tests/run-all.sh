#!/bin/sh
# The whole test suite, as CI runs it: the normal build and `make check`, the
# real-cluster suite (on Kubernetes v1.31.2, then v1.28.7), the same `make
# check` built with ASan+UBSan, valgrind on the CLI tests, and a short
# libFuzzer run of every fuzz target. Run from a source checkout, as root.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

[ -x configure ] || ./autogen.sh
# out-of-tree builds need an unconfigured source tree
if [ -f config.status ]; then
	make -s distclean >/dev/null 2>&1 || true
fi

echo "=== build and make check"
mkdir -p build/plain
(cd build/plain && ../../configure -q && make -s -j"$jobs" && make -s -j"$jobs" check) || {
	cat build/plain/test-suite.log 2>/dev/null; exit 1; }

# The real-cluster suite (tests/kube/run.sh): a one-node Kubernetes from
# ../shared/kube, as root. Without those binaries it cannot run: say so.
kube_binaries=${KUBE_BINARIES:-$(cd "$top/.." && pwd)/shared/kube}
kube_skipped=
if [ -d "$kube_binaries/v1.31.2" ] && [ "$(id -u)" -eq 0 ]; then
	echo "=== the real-cluster suite (Kubernetes v1.31.2, containerd 2, CSI hostpath)"
	(cd build/plain && KUBE_BINARIES="$kube_binaries" make -s check-kube) || exit 1
	echo "=== the real-cluster suite on the older cluster (Kubernetes v1.28.7, Debian's containerd)"
	(cd build/plain && KUBE_BINARIES="$kube_binaries" make -s check-kube KUBE_VERSION=v1.28.7) || exit 1
else
	kube_skipped="no $kube_binaries/v1.31.2, or not root"
	echo "=== the real-cluster suite CANNOT RUN here: $kube_skipped" >&2
fi

echo "=== make check under ASan+UBSan"
mkdir -p build/asan
(cd build/asan && ../../configure -q --enable-sanitizers CC="${SAN_CC:-gcc}" &&
	make -s -j"$jobs" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 make -s -j"$jobs" check) || {
	cat build/asan/test-suite.log 2>/dev/null; exit 1; }

if command -v valgrind >/dev/null 2>&1; then
	echo "=== CLI tests under valgrind"
	(cd build/plain && make -s -j"$jobs" check VALGRIND=1 TESTS="$(cd "$top" && ls tests/cli/t[0-9]*.sh | tr '\n' ' ')") || {
		cat build/plain/test-suite.log; exit 1; }
else
	echo "=== valgrind not installed: skipping the valgrind run" >&2
	exit 1
fi

if command -v clang >/dev/null 2>&1; then
	echo "=== short fuzz run"
	"$top/fuzz/run.sh" short
else
	echo "=== clang not installed: no fuzz run" >&2
	exit 1
fi
if [ -n "$kube_skipped" ]; then
	echo "=== all tests passed, but the real-cluster suite did not run: $kube_skipped"
else
	echo "=== all tests passed"
fi

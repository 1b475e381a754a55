#!/bin/sh
# Every benchmark, one table: "make bench" (or bench/run.sh from a built
# tree; BUILDDIR names an out-of-tree build). Results go to stdout and to
# bench/results/<date>-<commit>.txt in the build tree.
#
#   bench/run.sh [--quick] [parser] [pct] [agent]
#
# --quick runs fewer repetitions and skips the 10,000-CT sizes; use it to
# check that the benchmarks still run, not to quote numbers.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILDDIR:-$src}
build=$(cd "$build" && pwd)
quick=0
parts=
for a in "$@"; do
	case $a in
	--quick) quick=1 ;;
	parser | pct | agent) parts="$parts $a" ;;
	*) echo "usage: bench/run.sh [--quick] [parser] [pct] [agent]" >&2; exit 2 ;;
	esac
done
[ -n "$parts" ] || parts="parser pct agent"
status=0

PCT=$build/pct/pct
BEXEC=$build/bench/bench-exec
BPARSE=$build/bench/bench-parse
for b in "$PCT" "$BEXEC" "$BPARSE"; do
	[ -x "$b" ] || { echo "bench: $b is missing; run 'make bench' first" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/corral-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
commit=$(git -C "$src" describe --always --dirty 2>/dev/null || echo unknown)
mkdir -p "$build/bench/results"
out="$build/bench/results/$(date -u +%Y%m%dT%H%M%SZ)-$commit.txt"

{
	echo "# corral benchmarks"
	echo "# date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "# commit:  $commit"
	echo "# machine: $(uname -sm), ${cpu:-unknown CPU}, $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "# load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at start"
	[ $quick = 1 ] && echo "# QUICK RUN: fewer repetitions, not for quoting"
	echo "#"
	printf '%-58s | %10s | %10s | %10s | %s\n' benchmark median min max unit
	printf '%-58s-+-%10s-+-%10s-+-%10s-+-%s\n' "$(printf '%058d' 0 | tr 0 -)" ---------- ---------- ---------- ----
} | tee "$out"

row() { # name median min max unit
	printf '%-58s | %10s | %10s | %10s | %s\n' "$1" "$2" "$3" "$4" "$5" | tee -a "$out"
}

# "name | median | min | max | unit" lines from a benchmark program, as rows
rows() {
	while IFS='|' read -r name med min max unit; do
		row "$(echo $name)" "$(echo $med)" "$(echo $min)" "$(echo $max)" "$(echo $unit)"
	done
}

# ---- parser: parse + write in one process, one core ----
bench_parser() {
	secs=0.5
	[ $quick = 1 ] && secs=0.1
	taskset -c 0 "$BPARSE" "$secs" 2>/dev/null || "$BPARSE" "$secs"
}

. "$src/bench/lib.sh"

pct_env() { # name
	export CORRAL_CONFDIR="$work/$1/ct" CORRAL_LOCKDIR="$work/$1/lock"
	export CORRAL_STATEDIR="$work/$1/state" CORRAL_RUNDIR="$work/$1/run"
	export CORRAL_CONFIG="$work/corral.conf"
}

exec_row() { # name runs command... (started with fork and exec, as a shell does)
	name=$1 runs=$2
	shift 2
	set -- $("$BEXEC" -n "$runs" -- "$@")
	row "$name" "$1" "$2" "$3" ms
	last_rss=$4
}

spawn_row() { # name runs command... (posix_spawn, as Python's subprocess does)
	name=$1 runs=$2
	shift 2
	set -- $("$BEXEC" -s -n "$runs" -- "$@")
	row "$name" "$1" "$2" "$3" ms
}

bench_pct() {
	n=200
	[ $quick = 1 ] && n=20
	printf 'output = "manifests"\nmanifest-dir = "%s/manifests"\n' "$work" >"$work/corral.conf"
	pct_env one
	make_cts "$CORRAL_CONFDIR" 1
	# what starting any program costs here: the floor under every pct row
	exec_row "start floor: /bin/true" $n /bin/true
	spawn_row "start floor: /bin/true, posix_spawn" $n /bin/true
	exec_row "pct config 100" $n "$PCT" config 100
	row "pct config 100: peak RSS" "$last_rss" "" "" KiB
	spawn_row "pct config 100, posix_spawn" $n "$PCT" config 100
	exec_row "pct set 100 --memory (a change)" $n "$PCT" set 100 --memory 20%i
	exec_row "pct set 100 --memory 512 (no-op after the first)" $n "$PCT" set 100 --memory 512
	exec_row "pct fmt 100.conf" $n "$PCT" fmt "$CORRAL_CONFDIR/100.conf"
	spawn_row "pct fmt 100.conf, posix_spawn" $n "$PCT" fmt "$CORRAL_CONFDIR/100.conf"
	exec_row "pct lint 100.conf" $n "$PCT" lint "$CORRAL_CONFDIR/100.conf"
	sizes="10 1000 10000"
	[ $quick = 1 ] && sizes="10 1000"
	for size in $sizes; do
		pct_env "list$size"
		make_cts "$CORRAL_CONFDIR" "$size"
		runs=$n
		[ "$size" -ge 10000 ] && runs=$((n / 10))
		[ "$runs" -ge 5 ] || runs=5
		exec_row "pct list, $size CTs" $runs "$PCT" list
		row "pct list, $size CTs: peak RSS" "$last_rss" "" "" KiB
	done
}

for p in $parts; do
	case $p in
	parser) bench_parser | rows ;;
	pct) bench_pct ;;
	agent)
		if [ -x "$build/sync/corral-syncd" ]; then
			{ QUICK=$quick BUILDDIR=$build WORK=$work "$src/bench/bench-agent.sh" ||
				echo $? >"$work/agent.failed"; } | rows
			if [ -f "$work/agent.failed" ]; then
				echo "# agent: FAILED (bench/bench-agent.sh said why above)" | tee -a "$out"
				status=1
			fi
		else
			echo "# agent: $build/sync/corral-syncd is not built, skipped" | tee -a "$out"
		fi ;;
	esac
done
echo "# written to $out"
exit $status

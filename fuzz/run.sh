#!/bin/sh
# Build the libFuzzer targets with clang and run them.
#   fuzz/run.sh short   a quick run (CI): 20 s per target
#   fuzz/run.sh long    the documented long run (make fuzz): 15 min per target
# Seeds come from the fixture corpus; new inputs go to build/fuzz/corpus-*.
#   parse      the config parser and writer (tests/fixtures/conf)
#   propstr    property strings (the fixtures' values)
#   args       pct's command line (the CLI tests' command lines)
#   kubeconfig kubeconfig YAML (tests/fixtures/kubeconfig)
#   json       API responses: watch streams into the agent's cache and status
#              files, Status bodies (tests/fixtures/watch)
# FUZZ_TARGETS="json kubeconfig" picks targets; FUZZ_SECONDS the time of each.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-short}
case "$mode" in
short) secs=${FUZZ_SECONDS:-20} ;;
long) secs=${FUZZ_SECONDS:-900} ;;
*) echo "usage: $0 short|long" >&2; exit 2 ;;
esac
out="$top/build/fuzz"
mkdir -p "$out"
# config.h of the plain build (tests/run-all.sh), or of an in-tree build
if [ -f "$top/build/plain/config.h" ]; then
	cfgdir=$top/build/plain
elif [ -f "$top/config.h" ]; then
	cfgdir=$top
else
	echo "run after a build (tests/run-all.sh, or ./configure && make)" >&2
	exit 1
fi
libsrc=$(ls "$top"/conf-parser/*.c)
pctsrc="$(ls "$top"/pct/*.c) $top/sync/settings.c $top/sync/state.c"
pctlibs="$(pkg-config --cflags --libs libcjson yaml-0.1 libconfuse) -lcrypt"
kubesrc=$(ls "$top"/sync/kube/*.c)
syncdsrc=$(ls "$top"/sync/*.c | grep -v -e /prestart.c -e /syncd.c)
syncdlibs="$(pkg-config --cflags --libs libcurl libcjson yaml-0.1 libconfuse) -linotifytools -lm"
targets=${FUZZ_TARGETS:-parse propstr args kubeconfig json}
for target in $targets; do
	bin="$out/fuzz-$target"
	case $target in
	# pct prints "Unknown option" lines as Proxmox does; close_fd_mask=2
	# drops them (libFuzzer keeps its own and the sanitizers' reports)
	args) extra="-DPCT_NO_MAIN -I$top $pctsrc $pctlibs" flags=-close_fd_mask=2 ;;
	kubeconfig)
		extra="-I$top/sync/kube $top/sync/kube/kubeconfig.c $(pkg-config --cflags --libs yaml-0.1)"
		flags= ;;
	# the agent without its main(), libkube, and pct's reader of status files
	json)
		extra="-DSYNCD_NO_MAIN -I$top -I$top/sync/kube $top/sync/syncd.c $syncdsrc $kubesrc"
		extra="$extra $top/pct/status.c $syncdlibs"
		flags=-close_fd_mask=2 ;;
	*) extra= flags= ;;
	esac
	# shellcheck disable=SC2086 # word lists
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I"$cfgdir" -I"$top/conf-parser" -I"$top/sync" \
		"$top/fuzz/fuzz-$target.c" $libsrc $extra -o "$bin" -lpthread
	corpus="$out/corpus-$target"
	mkdir -p "$corpus"
	case $target in
	parse | propstr) cp "$top"/tests/fixtures/conf/*.conf "$corpus"/ 2>/dev/null || true ;;
	kubeconfig) cp "$top"/tests/fixtures/kubeconfig/*.yaml "$corpus"/ ;;
	json) cp "$top"/tests/fixtures/watch/*.stream "$corpus"/ ;;
	esac
	# inputs that once crashed stay in the seed corpus as regression tests
	cp "$top"/tests/fixtures/fuzz/"$target"-* "$corpus"/ 2>/dev/null || true
	if [ "$target" = args ]; then
		# command lines from the CLI tests, one per file, words NUL-separated
		grep -h -o '"\$PCT" [^|&;>]*' "$top"/tests/cli/t*.sh 2>/dev/null | sed 's/^"\$PCT" //' |
			head -n 2000 | split -l 1 - "$corpus/cmd-" 2>/dev/null || true
		for f in "$corpus"/cmd-*; do
			[ -f "$f" ] && tr ' \n' '\0\0' <"$f" >"$f.tmp" && mv "$f.tmp" "$f"
		done
	fi
	if [ "$target" = propstr ]; then
		grep -h -o '^[a-z0-9]*: .*' "$top"/tests/fixtures/conf/*.conf | sed 's/^[a-z0-9]*: //' |
			split -l 1 - "$corpus/line-" 2>/dev/null || true
	fi
	echo "fuzz-$target: ${secs}s"
	if ! CORRAL_ZONETAB="$top/tests/fixtures/zone.tab" \
		"$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 $flags "$corpus" >"$out/log-$target" 2>&1; then
		tail -n 60 "$out/log-$target"
		echo "fuzz-$target FAILED (crash input saved in $top)" >&2
		exit 1
	fi
	grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$out/log-$target" || true
done

#!/bin/sh
# The agent's benchmarks, for bench/run.sh (what each number means: bench/README.md).
# corral-syncd runs against tests/sync/fake-apiserver.py on loopback, over plain HTTP
# (one first sync also over TLS). CORRAL_RUNDIR is on a tmpfs (/dev/shm) when there is
# one, as /run is in production. Prints "name | median | min | max | unit" lines on
# stdout, progress on stderr; exits non-zero when a benchmark fails (a resync that
# writes, an edit never applied, an agent that does not converge).
#
#   BUILDDIR=build QUICK=0|1 WORK=dir bench/bench-agent.sh
#
# QUICK=1: one run per size, no 10,000 CTs, 100 edits, 30 s idle: checks that it runs.
# SIZES="0 1000" RUNS=1 NO_DAEMON=1: only those first syncs, no daemon benchmarks.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${BUILDDIR:-$src}" && pwd)
quick=${QUICK:-0}
own_work=
if [ -z "${WORK:-}" ]; then
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/corral-bench-agent.XXXXXX")
	own_work=1
fi
work=$WORK/agent
rm -rf "$work"
mkdir -p "$work"
# status files live in /run (a tmpfs) in production: not on a disk that fsyncs
shm=
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	shm=$(mktemp -d /dev/shm/corral-bench.XXXXXX)
fi

SYNCD=$build/sync/corral-syncd
BEXEC=$build/bench/bench-exec
FAKE=$src/tests/sync/fake-apiserver.py
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
TCK=$(getconf CLK_TCK)
. "$src/bench/lib.sh"

if [ $quick = 1 ]; then
	runs=1 sizes="0 100 1000" edits=100 idle=30
else
	runs=3 sizes="0 100 1000 10000" edits=1000 idle=60
fi
daemon_cts=1000
# SIZES="0 1000" RUNS=1 NO_DAEMON=1: only some first syncs (to look at one number)
sizes=${SIZES:-$sizes}
runs=${RUNS:-$runs}
[ -z "${NO_DAEMON:-}" ] || daemon_cts=none

pids=
fake_pid=
syncd_pid=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || :
		wait "$p" 2>/dev/null || :
	done
	if [ -n "$own_work" ]; then rm -rf "$WORK"; fi
	if [ -n "$shm" ]; then rm -rf "$shm"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

log() { echo "bench-agent: $*" >&2; }
calc() { awk "BEGIN { printf \"%.${2:-0}f\", $1 }"; } # expression [decimals]
fail() { log "FAIL: $*"; exit 1; }
row() { printf '%s | %s | %s | %s | %s\n' "$1" "$2" "$3" "$4" "$5"; }
forget() { # pid: no longer ours to stop
	_l=
	for _p in $pids; do [ "$_p" = "$1" ] || _l="$_l $_p"; done
	pids=$_l
}

# user + system CPU of a running process, in milliseconds
cpu_ms() {
	sed 's/.*) //' "/proc/$1/stat" | awk -v t="$TCK" '{ print ($12 + $13) * 1000 / t }'
}

# a JSON expression over what GET URL returns: json_get URL 'expr on d'
json_get() {
	case $1 in
	https:*) set -- "$1" "$2" --cacert "$work/pki/ca.crt" ;;
	*) set -- "$1" "$2" ;;
	esac
	curl -sS --max-time 600 "$1" ${3:+"$3" "$4"} | "$PYTHON" -c 'import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if not isinstance(v, (dict, list)) else json.dumps(v))' "$2"
}

# requests by method since a stats snapshot: "GET 7, PATCH 4000"
methods_since() { # before-json after-json
	"$PYTHON" -c 'import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
d = {m: b.get(m, 0) - a.get(m, 0) for m in b if b.get(m, 0) - a.get(m, 0)}
print(", ".join("%s %d" % kv for kv in sorted(d.items())) or "none")' "$1" "$2"
}
writes_in() { # "GET 7, PATCH 4000" -> 4000
	echo "$1" | tr ',' '\n' | awk '$1 ~ /^(POST|PUT|PATCH|DELETE)$/ { n += $2 } END { print n + 0 }'
}
by_method() { json_get "$url/_fake/stats" 'd.get("by_method", {})'; }

# ---- the fake API server ----

fake_start() { # dir [--tls]
	rm -f "$1/port"
	_tls= _scheme=http
	if [ "${2:-}" = --tls ]; then
		[ -f "$work/pki/ca.crt" ] || "$src/tests/sync/mkcerts.sh" "$work/pki" ||
			fail "cannot make the test certificates (openssl)"
		_tls="--tls-cert $work/pki/server.crt --tls-key $work/pki/server.key --token bench-token"
		_scheme=https
	fi
	# $_tls: several arguments
	"$PYTHON" "$FAKE" --port 0 --write-port-file "$1/port" --parent-pid $$ --lifetime 14400 \
		--quiet --no-log-bodies $_tls >"$1/fake.log" 2>&1 &
	fake_pid=$!
	pids="$pids $fake_pid"
	_i=0
	while [ ! -s "$1/port" ]; do
		_i=$((_i + 1))
		if [ $_i -gt 1200 ] || ! kill -0 "$fake_pid" 2>/dev/null; then
			cat "$1/fake.log" >&2
			fail "the fake API server did not start"
		fi
		sleep 0.05
	done
	_port=$(cat "$1/port")
	url=$_scheme://127.0.0.1:$_port
	{
		echo "apiVersion: v1"
		echo "kind: Config"
		echo "current-context: bench"
		echo "clusters:"
		echo "- name: bench"
		echo "  cluster:"
		echo "    server: $url"
		[ -z "$_tls" ] || echo "    certificate-authority: $work/pki/ca.crt"
		echo "contexts:"
		echo "- name: bench"
		echo "  context:"
		echo "    cluster: bench"
		echo "    user: bench"
		echo "    namespace: default"
		echo "users:"
		echo "- name: bench"
		if [ -n "$_tls" ]; then
			echo "  user:"
			echo "    token: bench-token"
		else
			echo "  user: {}"
		fi
	} >"$1/kubeconfig"
}

fake_stop() {
	kill "$fake_pid" 2>/dev/null || :
	wait "$fake_pid" 2>/dev/null || :
	forget "$fake_pid"
	fake_pid=
}

# settings and the CORRAL_* directories of one agent: agent_env DIR [SETTING...]
agent_env() {
	_d=$1
	shift
	{
		echo 'output = "kube"'
		echo "kubeconfig = \"$_d/kubeconfig\""
		echo 'namespace = "default"'
		printf 'storage "local-lvm" {\n\tstorage-class = "standard"\n}\n'
		for _s in "$@"; do echo "$_s"; done
	} >"$_d/corral.conf"
	export CORRAL_CONFDIR="$_d/ct" CORRAL_STATEDIR="$_d/state"
	export CORRAL_RUNDIR="${shm:-$_d}/run-$(basename "$_d")"
	export CORRAL_LOCKDIR="$_d/lock" CORRAL_CONFIG="$_d/corral.conf"
}

# the first N of the generated configs
copy_cts() { # dir n
	mkdir -p "$1"
	[ "$2" -gt 0 ] || return 0
	seq -f "$work/all/%g.conf" 100 $((99 + $2)) | xargs cp -t "$1"
}

# "requests ..., bytes sent, bytes received" from the agent's --debug log
wire() { # log -> "sent received" in KiB
	sed -n 's/.* requests (.* writes), \([0-9]*\) bytes sent, \([0-9]*\) bytes received.*/\1 \2/p' "$1" |
		tail -n 1 | awk '{ printf "%.0f %.0f\n", $1 / 1024, $2 / 1024 }'
}

# median min max of the numbers on stdin
stats() {
	sort -g | awk '{ v[NR] = $1 } END { printf "%s %s %s\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

# ---- first sync and resync, per size ----

# one corral-syncd --once --debug: agent_run DIR NAME; sets run_methods and
# run_line ("wall-ms agent-cpu-ms fake-cpu-ms rss-kib sent-kib received-kib | methods")
agent_run() {
	_m0=$(by_method)
	_c0=$(cpu_ms "$fake_pid")
	# bench-exec fails when corral-syncd --once exits non-zero: not converged
	set -- "$1" "$2" $("$BEXEC" -n 1 -w 0 -o "$1/$2.log" -- "$SYNCD" --once --debug)
	[ $# -eq 7 ] || fail "$1: $2 failed: $(tail -n 3 "$1/$2.log")"
	_c1=$(cpu_ms "$fake_pid")
	_m1=$(by_method)
	run_methods=$(methods_since "$_m0" "$_m1")
	run_line="$3 $7 $(calc "$_c1 - $_c0") $6 $(wire "$1/$2.log") | $run_methods"
}

one_sync() { # n run [--tls]
	_d=$work/sync-$1-$2${3:+-tls}
	mkdir -p "$_d"
	fake_start "$_d" ${3:-}
	agent_env "$_d"
	copy_cts "$_d/ct" "$1"
	agent_run "$_d" first
	echo "$run_line" >>"$work/first-$1${3:+-tls}"
	[ "$(ls "$CORRAL_RUNDIR/ct" 2>/dev/null | grep -c '\.status$')" -eq "$1" ] ||
		fail "first sync of $1 CTs: not every CT has a status file"
	[ -z "${3:-}" ] || return 0
	# two more agents on the synced cluster, reads only. The first also brings the
	# status files up to date (a --once has no watches: it did not see the PVCs
	# bound); the second is the resync with nothing changed at all.
	for _r in resync1 resync2; do
		agent_run "$_d" $_r
		if [ "$(writes_in "$run_methods")" -ne 0 ]; then
			row "agent: resync ($_r), nothing changed, $1 CTs: WRITES" \
				"$(writes_in "$run_methods")" "" "" "requests that must not be ($run_methods)"
			fail "a resync of $1 unchanged CTs ($_r) sent writes: $run_methods"
		fi
	done
	echo "$run_line" >>"$work/resync-$1"
}

col() { # file column [scale]: the column of every run, divided by scale
	cut -d' ' -f"$2" "$1" | awk -v d="${3:-1}" '{ printf "%.3f\n", $1 / d }'
}

total() { # "GET 7, PATCH 4000" -> 4007
	echo "$1" | tr ',' '\n' | awk '{ n += $2 } END { print n + 0 }'
}

report_sync() { # file label n
	_f=$1 _l=$2 _n=$3
	_runs=$(wc -l <"$_f")
	row "agent: $_l: wall" $(col "$_f" 1 1000 | stats) "s ($_runs run(s))"
	row "agent: $_l: agent peak RSS" $(cut -d' ' -f4 "$_f" | stats) KiB
	[ "$_n" -gt 0 ] || return 0
	row "agent: $_l: agent CPU" $(col "$_f" 2 1000 | stats) s
	row "agent: $_l: fake API server CPU" $(col "$_f" 3 1000 | stats) s
	_rm=$(sed 's/.* | //' "$_f" | tail -n 1)
	row "agent: $_l: requests" "$(total "$_rm")" "" "" "$_rm"
	row "agent: $_l: sent" "$(cut -d' ' -f5 "$_f" | tail -n 1)" "" "" "KiB (headers and bodies)"
	row "agent: $_l: received" "$(cut -d' ' -f6 "$_f" | tail -n 1)" "" "" KiB
}

report_per_ct() { # file n
	_base=$(col "$work/first-0" 4 | stats | cut -d' ' -f1)
	row "agent: first sync, $2 CTs: per CT, wall" $(col "$1" 1 "$2" | stats) ms
	row "agent: first sync, $2 CTs: per CT, agent CPU" $(col "$1" 2 "$2" | stats) ms
	row "agent: first sync, $2 CTs: per CT, fake CPU" $(col "$1" 3 "$2" | stats) ms
	row "agent: first sync, $2 CTs: per CT, RSS above 0 CTs" \
		$(cut -d' ' -f4 "$1" | awk -v n="$2" -v b="$_base" '{ printf "%.2f\n", ($1 - b) / n }' | stats) KiB
}

# ---- the daemon: idle CPU, rename-to-write latency, periodic resync ----

daemon_start() { # dir name [SETTING...]
	_d=$1 _name=$2
	shift 2
	agent_env "$_d" "$@"
	"$SYNCD" --debug >"$_d/$_name.log" 2>&1 &
	syncd_pid=$!
	pids="$pids $syncd_pid"
	_t0=$(date +%s.%N)
	_i=0
	# ready: the first full pass done, the onboot CTs started (once per boot
	# of the machine: at the first start), every CT running
	while ! grep -q 'full pass done' "$_d/$_name.log" || [ ! -f "$CORRAL_RUNDIR/onboot.done" ] ||
		[ "$(grep -l '"status":"running"' "$CORRAL_RUNDIR/ct/"*.status | wc -l)" -lt "$daemon_cts" ]; do
		_i=$((_i + 1))
		kill -0 "$syncd_pid" 2>/dev/null || fail "corral-syncd stopped: $(tail -n 3 "$_d/$_name.log")"
		[ $_i -lt 3000 ] || fail "corral-syncd: not every CT running within 10 minutes"
		sleep 0.2
	done
	ready_s=$(calc "$(date +%s.%N) - $_t0" 2)
	ready_cpu=$(cpu_ms "$syncd_pid")
	sleep 2 # let the watches settle
}

daemon_stop() {
	kill "$syncd_pid" 2>/dev/null || :
	wait "$syncd_pid" 2>/dev/null || :
	forget "$syncd_pid"
	syncd_pid=
}

edit_rows() { # json label
	"$PYTHON" -c 'import json, math, sys
d = json.loads(sys.argv[1])
label = sys.argv[2]
def pct(v, p):
    return v[max(0, math.ceil(p / 100.0 * len(v)) - 1)]
w, s = d["write_ms"], d["status_ms"]
n = d["edits"]
print("agent: rename -> first API write, %s: p50 | %.1f | %.1f | %.1f | ms (%d edits; min, max)" % (label, pct(w, 50), w[0], w[-1], n))
print("agent: rename -> first API write, %s: p99 | %.1f | | | ms" % (label, pct(w, 99)))
print("agent: rename -> status file updated, %s: p50 | %.1f | %.1f | %.1f | ms (min, max)" % (label, pct(s, 50), s[0], s[-1]))
m = d["by_method"]
print("agent: requests per edit, %s | %.2f | | | writes (%s)" % (label, sum(v for k, v in m.items() if k in ("POST", "PUT", "PATCH", "DELETE")) / float(n), ", ".join("%s %d" % kv for kv in sorted(m.items()))))
' "$1" "$2"
}

bench_daemon() { # dir of the last first sync of daemon_cts CTs (its fake still runs)
	_d=$1
	log "daemon, $daemon_cts CTs: start (the CTs are onboot: it starts them all), then idle ${idle} s"
	daemon_start "$_d" idle
	row "agent: daemon start, $daemon_cts onboot CTs: all running" "$ready_s" "" "" \
		"s ($(calc "$ready_cpu / 1000" 2) s agent CPU, $(calc "$ready_cpu / $daemon_cts" 2) ms per CT)"
	_m0=$(by_method)
	_a0=$(cpu_ms "$syncd_pid")
	_f0=$(cpu_ms "$fake_pid")
	sleep "$idle"
	_a1=$(cpu_ms "$syncd_pid")
	_f1=$(cpu_ms "$fake_pid")
	_m1=$(by_method)
	row "agent: idle ${idle} s, $daemon_cts CTs: agent CPU" "$(calc "$_a1 - $_a0")" "" "" \
		"ms ($(calc "($_a1 - $_a0) / ($idle * 10)" 3) % of a core)"
	row "agent: idle ${idle} s, $daemon_cts CTs: fake API server CPU" "$(calc "$_f1 - $_f0")" "" "" ms
	_rm=$(methods_since "$_m0" "$_m1")
	row "agent: idle ${idle} s, $daemon_cts CTs: requests" "$(echo "$_rm" | tr ',' '\n' | awk '{ n += $2 } END { print n + 0 }')" "" "" "$_rm"
	row "agent: daemon, $daemon_cts CTs: RSS after start + idle" "$(awk '/VmRSS/ { print $2 }' "/proc/$syncd_pid/status")" "" "" KiB

	log "daemon, $daemon_cts CTs: $edits edits, debounce-ms 50 (the default)"
	_j=$("$PYTHON" "$src/bench/agent-edit.py" --url "$url" --confdir "$CORRAL_CONFDIR" \
		--rundir "$CORRAL_RUNDIR" --ids "100-$((99 + daemon_cts))" --count "$edits" \
		--memory-base 3000 --settle-ms 100) || fail "the edits with debounce-ms 50 failed"
	edit_rows "$_j" "debounce 50 ms"
	row "agent: daemon, $daemon_cts CTs: RSS after $edits edits" "$(awk '/VmRSS/ { print $2 }' "/proc/$syncd_pid/status")" "" "" KiB
	daemon_stop

	log "daemon, $daemon_cts CTs: $edits edits, debounce-ms 1"
	daemon_start "$_d" edits1 "debounce-ms = 1"
	_j=$("$PYTHON" "$src/bench/agent-edit.py" --url "$url" --confdir "$CORRAL_CONFDIR" \
		--rundir "$CORRAL_RUNDIR" --ids "100-$((99 + daemon_cts))" --count "$edits" \
		--memory-base 5000 --settle-ms 50) || fail "the edits with debounce-ms 1 failed"
	edit_rows "$_j" "debounce 1 ms"
	daemon_stop

	log "daemon, $daemon_cts CTs: periodic resyncs with nothing changed"
	daemon_start "$_d" resync "resync-interval = 2"
	_m0=$(by_method)
	_n0=$(grep -c 'full pass done' "$_d/resync.log" || :)
	_a0=$(cpu_ms "$syncd_pid")
	sleep 10.5
	_a1=$(cpu_ms "$syncd_pid")
	_n1=$(grep -c 'full pass done' "$_d/resync.log" || :)
	_m1=$(by_method)
	_passes=$((_n1 - _n0))
	[ "$_passes" -gt 0 ] || fail "no periodic resync ran in 10 s with resync-interval 2"
	_rm=$(methods_since "$_m0" "$_m1")
	row "agent: periodic resync, nothing changed, $daemon_cts CTs: CPU" \
		"$(calc "($_a1 - $_a0) / $_passes" 1)" "" "" "ms per pass ($_passes passes)"
	row "agent: periodic resync, nothing changed, $daemon_cts CTs: requests" \
		"$(echo "$_rm" | tr ',' '\n' | awk '{ n += $2 } END { print n + 0 }')" "" "" "$_rm in $_passes passes"
	daemon_stop
	if [ "$(writes_in "$_rm")" -ne 0 ]; then
		fail "periodic resyncs of unchanged CTs sent writes: $_rm"
	fi
}

# ---- main ----

command -v curl >/dev/null || fail "curl is needed"
max=0
for n in $sizes; do [ "$n" -gt $max ] && max=$n; done
log "generating $max configs"
make_cts "$work/all" "$max"
for n in $sizes; do
	r=1
	nruns=$runs
	[ "$n" -lt 10000 ] || nruns=1
	while [ $r -le $nruns ]; do
		log "first sync and resyncs of $n CTs, run $r of $nruns"
		one_sync "$n" "$r"
		# the last 1,000-CT cluster stays up for the daemon benchmarks
		[ "$n" = "$daemon_cts" ] && [ $r = $nruns ] || fake_stop
		r=$((r + 1))
	done
	if [ "$n" = 0 ]; then
		report_sync "$work/first-0" "first sync, 0 CTs (the baseline)" 0
		continue
	fi
	report_sync "$work/first-$n" "first sync, $n CTs" "$n"
	report_per_ct "$work/first-$n" "$n"
	report_sync "$work/resync-$n" "resync, nothing changed, $n CTs" "$n"
	if [ "$n" = "$daemon_cts" ]; then
		bench_daemon "$work/sync-$n-$nruns"
		fake_stop
		log "first sync of $n CTs over TLS"
		one_sync "$n" 1 --tls
		fake_stop
		report_sync "$work/first-$n-tls" "first sync, $n CTs, over TLS" "$n"
	fi
done

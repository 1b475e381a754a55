#!/bin/sh
# corral-syncd killed with SIGKILL at random points of a pass: 100 times with
# CORRAL_STRESS=full, 25 by default. Before each kill the CTs change (memory
# edited, power flipped, a CT added, another removed), so the pass has
# applies, scale changes and deletions to make; the kill lands at a random
# delay from 0 to 1.5 times a pass. After each kill the status files are
# whole JSON, and the next agent converges (--once exits 0) to exactly the
# objects the files describe, leaves no temp file behind, and a pass after
# it writes nothing.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"
. "$top_srcdir/tests/sync/syncd-lib.sh"

KILLS=25
[ "${CORRAL_STRESS:-}" = full ] && KILLS=100
NCT=40
FIRST=2000

fake_start || exit 1
fake_kubeconfig "$TRASH/kc" token
cat >"$CORRAL_CONFIG" <<EOF
output = "kube"
kubeconfig = "$TRASH/kc"
namespace = "default"
EOF

i=$FIRST
while [ $i -lt $((FIRST + NCT)) ]; do
	ct_conf $i
	[ $((i % 4)) = 0 ] && set_power $i running
	i=$((i + 1))
done
: >removed
next_ct=$((FIRST + NCT))

writes () {
	fake_ctl GET /_fake/stats | "$PYTHON" -S -c 'import json, sys; print(json.load(sys.stdin)["writes"])'
}

# status files and the heartbeat: whole JSON objects (never torn by a kill)
cat >whole.py <<\PY
import json, os, sys
bad = 0
for d in (sys.argv[1], sys.argv[1] + "/ct"):
    for f in os.listdir(d):
        if f.endswith(".status") or f == "syncd.heartbeat":
            try:
                json.load(open(os.path.join(d, f)))
            except ValueError as e:
                print("%s/%s: %s" % (d, f, e))
                bad += 1
sys.exit(1 if bad else 0)
PY

# change K: edit memory of 8 CTs, flip the power of 2, add one CT, remove one
change () {
	awk -v k="$1" -v first=$FIRST -v n=$NCT 'BEGIN { srand(k); for (j = 0; j < 10; j++) print first + int(rand() * n) }' >pick
	j=0
	while read -r id; do
		j=$((j + 1))
		[ -f "$CORRAL_CONFDIR/$id.conf" ] || continue
		if [ $j -le 8 ]; then
			vi_edit "$CORRAL_CONFDIR/$id.conf" "s/^memory: .*/memory: $((256 + 64 * ((j + $1) % 8)))/"
		elif grep -q running "$CORRAL_STATEDIR/ct/$id.state" 2>/dev/null; then
			set_power $id stopped
		else
			set_power $id running
		fi
	done <pick
	ct_conf $next_ct
	next_ct=$((next_ct + 1))
	victim=$(awk -v k="$1" -v first=$FIRST -v n=$NCT 'BEGIN { srand(k + 7); print first + int(rand() * n) }')
	if [ -f "$CORRAL_CONFDIR/$victim.conf" ]; then
		rm "$CORRAL_CONFDIR/$victim.conf"
		echo "$victim" >>removed
	fi
}

test_expect_success 'setup: the first sync converges' '
	syncd --once 2>once.err &&
	fake_ctl GET /_fake/objects >objects.json &&
	"$PYTHON" -S "$top_srcdir/tests/sync/expect-objects.py" objects.json removed
'

# how long a pass with that much to do takes: the bound of the random delays
change 0
t0=$(date +%s%N)
syncd --once 2>/dev/null
t1=$(date +%s%N)
pass_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
seed=${CORRAL_SEED:-$$}
awk -v n=$KILLS -v max="$pass_s" -v seed="$seed" \
	'BEGIN { srand(seed); for (i = 0; i < n; i++) printf "%.3f\n", rand() * max * 1.5 }' >delays
echo "# a pass with changes takes ${pass_s} s; $KILLS kills at random delays up to 1.5 times that (seed $seed)"

k=0 fails=0 torn=0 temps=0 early=0 listing=0 applying=0
: >failures
while read -r d; do
	k=$((k + 1))
	change $k
	agent_start --debug
	sleep "$d"
	agent_kill
	# where the kill landed, as far as the log tells
	if ! grep -q "connected to" "$AGENT_LOG"; then
		early=$((early + 1))
	elif ! grep -q ": applied " "$AGENT_LOG"; then
		listing=$((listing + 1))
	else
		applying=$((applying + 1))
	fi
	if ! "$PYTHON" -S whole.py "$CORRAL_RUNDIR" >>failures 2>&1; then
		torn=$((torn + 1))
	fi
	if ls -a "$CORRAL_RUNDIR" "$CORRAL_RUNDIR/ct" | grep -q "\.tmp\."; then
		temps=$((temps + 1))
	fi
	if ! syncd --once 2>once.err; then
		echo "kill $k ($d s): the next agent did not converge:" >>failures
		cat once.err >>failures
		fails=$((fails + 1))
		continue
	fi
	fake_ctl GET /_fake/objects >objects.json
	if ! "$PYTHON" -S "$top_srcdir/tests/sync/expect-objects.py" objects.json removed >>failures 2>/dev/null; then
		echo "kill $k ($d s): wrong objects after the next agent" >>failures
		fails=$((fails + 1))
		continue
	fi
	if ls -a "$CORRAL_RUNDIR" "$CORRAL_RUNDIR/ct" | grep -q "\.tmp\."; then
		echo "kill $k ($d s): temp files left after the next agent" >>failures
		fails=$((fails + 1))
	fi
done <delays

test_expect_success "$KILLS kills: status files whole after every kill" '
	test $torn = 0 || { cat failures; false; }
'

test_expect_success "$KILLS kills: the next agent converged every time, to the right objects, no temp file" '
	test $k = $KILLS &&
	test $fails = 0 || { cat failures; false; }
'

test_expect_success 'and a pass after all that writes nothing' '
	w0=$(writes) &&
	syncd --once 2>once.err &&
	test "$(writes)" = "$w0"
'
echo "# $KILLS kills: $early before the agent connected, $listing while it listed and compared," \
	"$applying after its first apply; $temps left a temp file behind (removed by the next agent); $(wc -l <removed) CTs removed, $((next_ct - FIRST - NCT)) added"

test_done

#!/bin/sh
# The API server failing while corral-syncd syncs 1,000 CTs (CORRAL_STRESS=full;
# 300 by default): 5xx answers, connections dropped before and after the
# request was carried out, requests that hang past the agent's timeout,
# watches cut, and the server restarted (its store kept, as etcd keeps it)
# in the middle of the first pass while CTs are edited, added and removed.
# The agent converges to exactly the objects the files describe: none
# missing, none left over, no duplicate, every spec what a clean pass
# computes (a pass afterwards writes nothing), a status for every CT.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"
. "$top_srcdir/tests/sync/syncd-lib.sh"

N=300
[ "${CORRAL_STRESS:-}" = full ] && N=1000
FIRST=1000
LAST=$((FIRST + N - 1))
# generous: the fake is one Python process, and CI machines are shared
DEADLINE=$((120 + N / 2))

STATE=$TRASH/etcd.json
fake_start --state-file "$STATE" || exit 1
PORT=$FAKE_PORT
fake_kubeconfig "$TRASH/kc" token
cat >"$CORRAL_CONFIG" <<EOF
output = "kube"
kubeconfig = "$TRASH/kc"
namespace = "default"
request-timeout = 2
resync-interval = 20
EOF

# restart_fake SECONDS: SIGTERM (the fake saves its store), SECONDS down, start again
restart_fake () {
	kill -TERM "$FAKE_PID" && wait "$FAKE_PID" 2>/dev/null
	sleep "$1"
	fake_start --state-file "$STATE" --port "$PORT"
}

# add_faults SEED: 5xx, drops before and after the work, hangs, on every kind of request
add_faults () {
	fake_ctl POST /_fake/fault "{\"code\": 503, \"count\": -1, \"probability\": 0.03, \"seed\": $1}" &&
	fake_ctl POST /_fake/fault "{\"code\": 500, \"count\": -1, \"probability\": 0.01, \"seed\": $(($1 + 1))}" &&
	fake_ctl POST /_fake/fault "{\"code\": 429, \"count\": -1, \"probability\": 0.01, \"retry_after\": 1, \"seed\": $(($1 + 2))}" &&
	fake_ctl POST /_fake/fault "{\"type\": \"drop\", \"count\": -1, \"probability\": 0.01, \"seed\": $(($1 + 3))}" &&
	fake_ctl POST /_fake/fault "{\"type\": \"drop-after\", \"count\": -1, \"watch\": false, \"probability\": 0.01, \"seed\": $(($1 + 4))}" &&
	fake_ctl POST /_fake/fault "{\"type\": \"hang\", \"count\": -1, \"watch\": false, \"seconds\": 4, \"probability\": 0.002, \"seed\": $(($1 + 5))}"
} >/dev/null

# fault_hits: how many requests the faults hit so far (this server)
fault_hits () {
	fake_ctl GET /_fake/fault | "$PYTHON" -S -c 'import json, sys
print(sum(f.get("hits", 0) for f in json.load(sys.stdin)["faults"]))'
}

# configmaps: how many ConfigMaps of ours exist, read from the fake's control
# endpoint: the API paths answer with the injected faults, this one never does
configmaps () {
	fake_ctl GET /_fake/objects | "$PYTHON" -S -c 'import json, sys
print(sum(1 for o in json.load(sys.stdin)["objects"]
          if o["kind"] == "ConfigMap" and o["metadata"].get("namespace") == "default"
          and o["metadata"].get("labels", {}).get("app.kubernetes.io/managed-by") == "corral"))'
}

converged () {
	fake_ctl GET /_fake/objects >objects.json &&
	"$PYTHON" -S "$top_srcdir/tests/sync/expect-objects.py" objects.json removed >check.out 2>&1
}

test_expect_success 'the fake: probabilistic faults, drop-after carries the write out, a restart keeps the store' '
	fake_ctl POST /_fake/fault "{\"type\": \"drop-after\", \"count\": 1, \"path\": \"/configmaps/probe\"}" >/dev/null &&
	! fake_api PATCH "/api/v1/namespaces/default/configmaps/probe?fieldManager=t" \
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"probe\"}}" \
		application/apply-patch+yaml >/dev/null 2>&1 &&
	fake_api GET /api/v1/namespaces/default/configmaps/probe >/dev/null && test "$(fake_status)" = 200 &&
	fake_ctl POST /_fake/fault "{\"code\": 503, \"count\": -1, \"probability\": 0.5, \"seed\": 7, \"path\": \"/namespaces/kube-public\$\"}" >/dev/null &&
	n=0 && for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		fake_api GET /api/v1/namespaces/kube-public >/dev/null
		[ "$(fake_status)" = 503 ] && n=$((n + 1))
	done &&
	test $n -gt 2 && test $n -lt 18 &&
	test "$(fault_hits)" = $((n + 1)) &&
	fake_ctl DELETE /_fake/fault >/dev/null &&
	fake_api DELETE /api/v1/namespaces/default/configmaps/probe >/dev/null
'

i=$FIRST
while [ $i -le $LAST ]; do
	ct_conf $i
	[ $((i % 10)) = 0 ] && set_power $i running
	i=$((i + 1))
done
: >removed
start=$(date +%s)
agent_start
# faults from the first write on (a server failing the agent's start is t9120's)
wait_for '[ $(configmaps) -ge 1 ]' $DEADLINE || exit 1
add_faults 1

test_expect_success "a third of the $N CTs synced through the faults" '
	wait_for "[ \$(configmaps) -ge $((N / 3)) ]" $DEADLINE &&
	test "$(configmaps)" -lt $N
'
hits1=$(fault_hits)

# the restart, mid-pass: 3 s without a server, while CTs change
restart_fake 3 || exit 1
hits_at_restart=$hits1
i=$FIRST
while [ $i -lt $((FIRST + 10)) ]; do
	vi_edit "$CORRAL_CONFDIR/$i.conf" "s/^memory: .*/memory: 768/"
	i=$((i + 1))
done
i=$((LAST + 1))
while [ $i -le $((LAST + 5)) ]; do
	ct_conf $i
	i=$((i + 1))
done
i=$((FIRST + 20))
while [ $i -lt $((FIRST + 25)) ]; do
	rm "$CORRAL_CONFDIR/$i.conf"
	echo $i >>removed
	i=$((i + 1))
done
add_faults 101
fake_ctl POST /_fake/watches/drop >/dev/null

test_expect_success 'the agent carries on after the restart: two thirds synced' '
	wait_for "[ \$(configmaps) -ge $((2 * N / 3)) ]" $DEADLINE
'
fake_ctl POST /_fake/watches/drop >/dev/null
hits2=$(fault_hits)
fake_ctl DELETE /_fake/fault >/dev/null

test_expect_success 'converged: every object there, none left over, no duplicate' '
	wait_for converged $DEADLINE ||
	{ cat check.out; false; }
'

test_expect_success 'no PVC was ever deleted, not even of the removed CTs' '
	test "$(fake_log_count DELETE persistentvolumeclaims)" = 0
'
end=$(date +%s)

agent_stop >agent-stop.out 2>&1
stopped=$?
test_expect_success 'every spec is what a clean pass computes: a pass afterwards writes nothing' '
	test $stopped = 0 || { cat agent-stop.out; false; } &&
	before=$(fake_ctl GET /_fake/stats | "$PYTHON" -S -c "import json, sys; print(json.load(sys.stdin)[\"writes\"])") &&
	syncd --once 2>once.err &&
	after=$(fake_ctl GET /_fake/stats | "$PYTHON" -S -c "import json, sys; print(json.load(sys.stdin)[\"writes\"])") &&
	test "$before" = "$after"
'

test_expect_success 'the edits made while the server was down are in the StatefulSets' '
	fake_api GET /apis/apps/v1/namespaces/default/statefulsets/ct-$FIRST >sts.json &&
	jsonq_is sts.json "d[\"spec\"][\"template\"][\"spec\"][\"containers\"][0][\"resources\"][\"limits\"][\"memory\"]" 768Mi &&
	fake_api GET /apis/apps/v1/namespaces/default/statefulsets/ct-$((FIRST + 11)) >sts.json &&
	jsonq_is sts.json "d[\"spec\"][\"template\"][\"spec\"][\"containers\"][0][\"resources\"][\"limits\"][\"memory\"]" 512Mi
'

cat >status.py <<\PY
import json, os, re, sys
confdir, rundir, removed = sys.argv[1], sys.argv[2], sys.argv[3]
bad = 0
n = 0
for f in sorted(os.listdir(confdir)):
    m = re.fullmatch(r"([0-9]+)\.conf", f)
    if not m:
        continue
    n += 1
    try:
        st = json.load(open("%s/ct/%s.status" % (rundir, m.group(1))))
    except (OSError, ValueError) as e:
        print("CT %s: %s" % (m.group(1), e))
        bad += 1
        continue
    if st.get("error") or st.get("vmid") != int(m.group(1)):
        print("CT %s: %s" % (m.group(1), st))
        bad += 1
for i in open(removed).read().split():
    if os.path.exists("%s/ct/%s.status" % (rundir, i)):
        print("CT %s was removed, its status is still there" % i)
        bad += 1
for d in (rundir, rundir + "/ct"):
    for f in os.listdir(d):
        if ".tmp." in f:
            print("temp file %s/%s" % (d, f))
            bad += 1
print(n)
sys.exit(1 if bad else 0)
PY
test_expect_success 'a status file for every CT, without an error; none for the removed ones; no temp file' '
	"$PYTHON" -S status.py "$CORRAL_CONFDIR" "$CORRAL_RUNDIR" removed >status.out ||
	{ cat status.out; false; } &&
	test "$(tail -n 1 status.out)" = $N
'

echo "# $N CTs (+5 added, 5 removed, 10 edited during a 3 s restart of the server) converged" \
	"in $((end - start)) s; $((hits1 + hits2)) requests hit by faults" \
	"($hits_at_restart before the restart); agent log: $(log_count 'retrying') retry lines"

test_done

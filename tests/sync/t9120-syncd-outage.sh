#!/bin/sh
# corral-syncd when the API server is not there or misbehaves: unreachable
# at start (the daemon keeps trying, with backoff, and converges once a
# server appears), 503s in the middle of a pass, dropped watch connections,
# a server restarted with its state lost. Never a busy loop, never a
# duplicate object, one log line per outage.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"
. "$top_srcdir/tests/sync/syncd-lib.sh"

# a free port, and the PKI and kubeconfig of a fake that is not running yet
fake_start --tls || exit 1
PORT=$FAKE_PORT
fake_kubeconfig "$TRASH/kc" token
fake_stop

cat >"$CORRAL_CONFIG" <<EOF
output = "kube"
kubeconfig = "$TRASH/kc"
namespace = "default"
resync-interval = 300
request-timeout = 10
EOF

ct_conf 100
ct_conf 101

MEM='d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]'

# the objects of the CTs in the cluster, as "KIND NAME" lines (pods aside)
objects () {
	fake_ctl GET /_fake/objects | "$PYTHON" -S -c 'import json, sys
for o in json.load(sys.stdin)["objects"]:
    md = o["metadata"]
    if md.get("labels", {}).get("corral.dev/ctid") and o["kind"] != "Pod":
        print(o["kind"], md["name"])' | sort
}

cat >all-objects <<\EOF
ConfigMap ct-100-conf
ConfigMap ct-101-conf
PersistentVolumeClaim local-vm-100-disk-0
PersistentVolumeClaim local-vm-101-disk-0
Service ct-100
Service ct-101
StatefulSet ct-100
StatefulSet ct-101
EOF

# requests: how many API requests the fake saw since its log was cleared
requests () {
	fake_ctl GET /_fake/log | "$PYTHON" -S -c 'import json, sys
print(len(json.load(sys.stdin)["requests"]))'
}

test_expect_success '--once with no API server: exit 2 and why' '
	test_must_fail --code=2 syncd --once 2>err &&
	grep -q "^corral-syncd: unable to reach the API server https://127.0.0.1:$PORT: GET /version: cannot connect to https://127.0.0.1:$PORT" err
'

test_expect_success 'the daemon with no API server: it says so once and stops cleanly' '
	agent_start --debug &&
	wait_log "unable to reach the API server https://127.0.0.1:$PORT: .*; retrying with backoff \\(up to 30 s\\)" &&
	test -s "$CORRAL_RUNDIR/syncd.heartbeat" &&
	agent_stop &&
	test $(log_count "retrying with backoff") = 1 &&
	grep -q "stopping" "$AGENT_LOG"
'

test_expect_success 'the daemon keeps trying while there is no server' '
	agent_start --debug &&
	wait_log "retrying with backoff" &&
	wait_log "retrying in 4 s" &&
	agent_running
'

# the server appears on that port
fake_start --tls --port "$PORT" || exit 1

test_expect_success 'a server on that port: the agent connects and converges' '
	wait_log "connected to https://127.0.0.1:$PORT" 1 90 &&
	wait_for "kget sts ct-101" &&
	wait_for "objects >actual && test_cmp all-objects actual" &&
	test $(log_count "retrying with backoff") = 1
'

test_expect_success '503s on every write of a pass: retried until converged, no duplicate' '
	wait_for "pass_done 101" &&
	fake_log_clear &&
	fake_ctl POST /_fake/fault "{\"code\":503,\"count\":3,\"method\":\"PATCH\"}" >/dev/null &&
	vi_edit "$CORRAL_CONFDIR/100.conf" "s/^memory: .*/memory: 768/" &&
	wait_log "CT 100: .*the server is currently unable to handle the request.*\\(retrying in [0-9]+ s\\)" &&
	wait_for "kis sts ct-100 \"\$MEM\" 768Mi" &&
	wait_for "jsonq_is \"\$CORRAL_RUNDIR/ct/100.status\" \"\\\"error\\\" in d\" false" &&
	objects >actual && test_cmp all-objects actual &&
	fake_ctl GET /_fake/fault >faults.json &&
	jsonq_is faults.json "d[\"faults\"][0][\"hits\"]" 3 &&
	fake_writes | sort -u >actual &&
	cat >expect <<-EOF &&
	PATCH $(kpath cm ct-100-conf)
	PATCH $(kpath sts ct-100)
	EOF
	test_cmp expect actual &&
	fake_ctl DELETE /_fake/fault >/dev/null
'

test_expect_success 'watches dropped: the agent watches again and sees what changed meanwhile' '
	fake_log_clear &&
	fake_ctl POST /_fake/watches/drop >dropped.json &&
	# a watch per kind, and the nodes (user namespaces)
	jsonq_is dropped.json "d[\"dropped\"]" 8 &&
	fake_api DELETE "$(kpath cm ct-101-conf)" >/dev/null &&
	wait_for "kget cm ct-101-conf" &&
	wait_for "[ \$(watch_requests) -ge 8 ]" &&
	objects >actual && test_cmp all-objects actual &&
	vi_edit "$CORRAL_CONFDIR/101.conf" "s/^memory: .*/memory: 640/" &&
	wait_for "kis sts ct-101 \"\$MEM\" 640Mi" &&
	test $(watch_requests) -le 16
'

test_expect_success 'watches refused over and over: backoff, one log line, no busy loop' '
	fake_log_clear &&
	fake_ctl POST /_fake/fault "{\"type\":\"drop\",\"watch\":true,\"count\":-1}" >/dev/null &&
	fake_ctl POST /_fake/watches/drop >/dev/null &&
	wait_log "watch .*; retrying with backoff \\(up to 30 s\\)" &&
	sleep 3 &&
	n=$(requests) &&
	echo "$n requests while the watches were refused" &&
	test "$n" -lt 150 &&
	agent_running &&
	test $(log_count "watch .*; retrying with backoff") = 1
'

test_expect_success 'watches allowed again: an edit converges, the outage is over' '
	fake_ctl DELETE /_fake/fault >/dev/null &&
	wait_for "[ \$(fake_stat active_watches) = 8 ]" &&
	vi_edit "$CORRAL_CONFDIR/100.conf" "s/^memory: .*/memory: 700/" &&
	wait_for "kis sts ct-100 \"\$MEM\" 700Mi" &&
	wait_log "the API server answers again" &&
	objects >actual && test_cmp all-objects actual
'

test_expect_success 'the server resets, its state lost: the agent recreates everything' '
	fake_ctl POST /_fake/reset >/dev/null &&
	wait_for "objects >actual && test_cmp all-objects actual" &&
	kis sts ct-100 "$MEM" 700Mi &&
	kis sts ct-101 "$MEM" 640Mi
'

# the server goes away, and an edit happens meanwhile
fake_stop

test_expect_success 'no server: an edit waits, the agent backs off' '
	vi_edit "$CORRAL_CONFDIR/101.conf" "s/^memory: .*/memory: 900/" &&
	wait_log "CT 101: .*cannot connect to https://127.0.0.1:$PORT.*\\(retrying in [0-9]+ s\\)" &&
	wait_log "retrying with backoff" 3 &&
	agent_running
'

# a new server on the same port, with nothing in it
fake_start --tls --port "$PORT" || exit 1

test_expect_success 'a new, empty server: the agent recreates every object, with the edit' '
	wait_for "objects >actual && test_cmp all-objects actual" 90 &&
	wait_for "kis sts ct-101 \"\$MEM\" 900Mi" &&
	kis sts ct-100 "$MEM" 700Mi &&
	wait_log "the API server answers again" 2 &&
	agent_stop
'

test_expect_success 'the token never appeared in anything the agent wrote' '
	grep -q "connected to" "$SYNCD_ALL" &&
	! grep -F -e "$FAKE_TOKEN" "$SYNCD_ALL"
'

test_done

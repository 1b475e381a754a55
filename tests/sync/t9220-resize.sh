#!/bin/sh
# In-place resize of a running CT (pods/resize, Kubernetes 1.33+): memory and
# cores reach the running pod without a new one; a server without the
# subresource keeps them pending until a restart, as before; a resize the
# server refuses or the kubelet cannot do says why in the status and waits
# for a restart; swap has nothing to resize; other keys still need a restart.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"
. "$top_srcdir/tests/sync/agent-lib.sh"

# status_json VMID EXPR: EXPR (json_eval) on the CT's status file
status_json () {
	json_eval "$CORRAL_RUNDIR/ct/$1.status" "$2"
}

# pending_restart_is VMID 0|1
pending_restart_is () {
	"$PCT" status "$1" --verbose | grep -qx "pending-restart: $2"
}

# verbose_error_has VMID TEXT: pct status --verbose has an error line with TEXT
verbose_error_has () {
	"$PCT" status "$1" --verbose | grep "^error: " | grep -qF "$2"
}

# conf_map_has VMID TEXT: the CT's ConfigMap (its config file) has TEXT
conf_map_has () {
	kget "$NS/configmaps/ct-$1-conf" "$TRASH/.cm" && grep -q "$2" "$TRASH/.cm"
}

LIM='d["spec"]["containers"][0]["resources"]["limits"]'
REQ='d["spec"]["containers"][0]["resources"]["requests"]'
RUN='d["status"]["containerStatuses"][0]["resources"]["limits"]'

fake_start || exit 1
syncd_config
ct_new 200
echo "cores: 1" >>"$CORRAL_CONFDIR/200.conf"
ct_new 201
# a server from before in-place resize
fake_ctl POST /_fake/version '{"minor": "32"}' >/dev/null
syncd_start || exit 1

test_expect_success 'a server without pods/resize: memory on a running CT stays pending' '
	agent_log_has "connected to .*(Kubernetes 1.32, volume snapshots)$" &&
	pct start 200 &&
	test "$(status_json 200 "d[\"inplace_resize\"]")" = false &&
	uid=$(pod_uid 200) &&
	pct set 200 --memory 1024 &&
	grep -qx "memory: 512" "$CORRAL_CONFDIR/200.conf" &&
	pct pending 200 >out &&
	grep -qx "cur memory: 512" out && grep -qx "new memory: 1024" out &&
	sleep 2 &&
	pod_has 200 "$LIM[\"memory\"]" 512Mi &&
	test "$(pod_uid 200)" = "$uid" &&
	test "$(fake_log_count PATCH /resize)" = 0
'

test_expect_success 'setup: stop; the server becomes 1.33' '
	pct stop 200 &&
	pct set 200 --revert memory
'

syncd_stop
fake_ctl POST /_fake/version '{"minor": "33"}' >/dev/null
syncd_start || exit 1

test_expect_success 'the agent finds pods/resize and says so in the status' '
	agent_log_has "connected to .*(Kubernetes 1.33, user namespaces, volume snapshots, in-place resize)$" &&
	pct start 200 && pct start 201 &&
	test "$(status_json 200 "d[\"inplace_resize\"]")" = true &&
	kget $APPS/statefulsets/ct-200 sts &&
	json_is sts "d[\"spec\"][\"template\"][\"spec\"][\"containers\"][0][\"resizePolicy\"]" \
		"[{\"resourceName\": \"cpu\", \"restartPolicy\": \"NotRequired\"}, {\"resourceName\": \"memory\", \"restartPolicy\": \"NotRequired\"}]" &&
	pending_restart_is 200 0
'

test_expect_success 'memory and cores up on a running CT: resized in place, same pod' '
	uid=$(pod_uid 200) &&
	pct set 200 --memory 2048 --cores 2 &&
	grep -qx "memory: 2048" "$CORRAL_CONFDIR/200.conf" &&
	grep -qx "cores: 2" "$CORRAL_CONFDIR/200.conf" &&
	wait_for 60 pod_has 200 "$RUN[\"memory\"]" 2Gi &&
	wait_for 60 pod_has 200 "$RUN[\"cpu\"]" 2 &&
	pod_has 200 "$LIM[\"memory\"]" 2Gi && pod_has 200 "$REQ[\"cpu\"]" 2 &&
	pod_has 200 "d[\"status\"][\"qosClass\"]" Guaranteed &&
	test "$(pod_uid 200)" = "$uid" &&
	wait_for 60 pending_restart_is 200 0 &&
	! verbose_error_has 200 resize &&
	agent_log_has "CT 200: pod resized in place (memory 2048Mi, cpu limit 2, cpu request 2)"
'

test_expect_success 'memory down on 1.33: refused by the server, the reason in the status, pending restart' '
	uid=$(pod_uid 200) &&
	pct set 200 --memory 1024 &&
	grep -qx "memory: 1024" "$CORRAL_CONFDIR/200.conf" &&
	wait_for 60 verbose_error_has 200 "in-place resize refused: Pod \"ct-200-0\" is invalid: spec.containers[0].resources.limits[memory]: Forbidden: memory limits cannot be decreased unless resizePolicy is RestartContainer; the change waits for a restart" &&
	pending_restart_is 200 1 &&
	status_is 200 running &&
	pod_has 200 "$LIM[\"memory\"]" 2Gi &&
	test "$(pod_uid 200)" = "$uid"
'

test_expect_success '... the refused resize is not sent again at every pass' '
	n=$(fake_log_count PATCH /pods/ct-200-0/resize) &&
	pct set 200 --description "poke" &&
	wait_for 60 conf_map_has 200 poke &&
	sleep 1 &&
	test "$(fake_log_count PATCH /pods/ct-200-0/resize)" = "$n"
'

n_resize=$(fake_log_count PATCH /pods/ct-200-0/resize)
passes=$(grep -c "full pass done" "$TRASH/syncd.log")
syncd_stop
syncd_start || exit 1

test_expect_success '... nor by a restarted agent (the refusal is in the status file)' '
	wait_for 60 test "$(grep -c "full pass done" "$TRASH/syncd.log")" -gt "$passes" &&
	test "$(fake_log_count PATCH /pods/ct-200-0/resize)" = "$n_resize" &&
	verbose_error_has 200 "in-place resize refused" &&
	pending_restart_is 200 1
'

test_expect_success '... and a reboot brings the new memory; nothing pending' '
	pct reboot 200 &&
	status_is 200 running &&
	pod_has 200 "$LIM[\"memory\"]" 1Gi &&
	wait_for 60 pending_restart_is 200 0 &&
	! verbose_error_has 200 resize
'

test_expect_success 'a resize the kubelet cannot do (Infeasible): the reason, pending restart' '
	fake_ctl POST /_fake/pod "{\"name\": \"ct-200-0\", \"resize\": \"Infeasible\", \"message\": \"Node didn'"'"'t have enough capacity: memory, requested: 68719476736, capacity: 8589934592\"}" >/dev/null &&
	pct set 200 --memory 65536 &&
	wait_for 60 pod_has 200 "$LIM[\"memory\"]" 64Gi &&
	pod_has 200 "$RUN[\"memory\"]" 1Gi &&
	wait_for 60 verbose_error_has 200 "in-place resize infeasible: Node didn'"'"'t have enough capacity: memory, requested: 68719476736, capacity: 8589934592; the change waits for a restart" &&
	pending_restart_is 200 1 && status_is 200 running
'

test_expect_success '... once the kubelet takes it, the error goes and nothing is pending' '
	fake_ctl POST /_fake/pod "{\"name\": \"ct-200-0\", \"resize\": null}" >/dev/null &&
	wait_for 60 pod_has 200 "$RUN[\"memory\"]" 64Gi &&
	wait_for 60 pending_restart_is 200 0 &&
	! verbose_error_has 200 resize
'

test_expect_success 'cores on a CT without: the QoS class would change, refused with the reason' '
	pct set 201 --cores 2 &&
	grep -qx "cores: 2" "$CORRAL_CONFDIR/201.conf" &&
	wait_for 60 verbose_error_has 201 "Pod QOS Class may not change as a result of resizing" &&
	pending_restart_is 201 1 &&
	pod_has 201 "d[\"status\"][\"qosClass\"]" Burstable
'

test_expect_success 'swap on a running CT: at once, nothing to resize, no restart' '
	n=$(fake_log_count PATCH /pods/ct-200-0/resize) &&
	pct set 200 --swap 1024 &&
	grep -qx "swap: 1024" "$CORRAL_CONFDIR/200.conf" &&
	! grep -q "pve:pending" "$CORRAL_CONFDIR/200.conf" &&
	sleep 2 &&
	pending_restart_is 200 0 &&
	test "$(fake_log_count PATCH /pods/ct-200-0/resize)" = "$n"
'

test_expect_success 'memory with a key that needs a restart: memory in place, the rest pending' '
	uid=$(pod_uid 200) &&
	pct set 200 --memory 98304 --hostname other &&
	wait_for 60 pod_has 200 "$RUN[\"memory\"]" 96Gi &&
	wait_for 60 pending_restart_is 200 1 &&
	! verbose_error_has 200 resize &&
	test "$(pod_uid 200)" = "$uid"
'

test_done

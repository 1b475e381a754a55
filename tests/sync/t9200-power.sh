#!/bin/sh
# pct's power verbs with a running corral-syncd and the fake API server: start,
# stop, shutdown and reboot drive the StatefulSet and wait for the pod; the
# messages and exit codes are Proxmox's; a pod that cannot run fails the
# start with the reason; onboot CTs start once per boot in startup order; the
# verbs refuse at once without an agent.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"
. "$top_srcdir/tests/sync/agent-lib.sh"

# log_count_is N REGEX: the agent logged N lines matching REGEX
log_count_is () {
	test "$(grep -c "$2" "$TRASH/syncd.log")" = "$1"
}

# onboot_order: the CTs the agent started at boot, in order, one line
onboot_order () {
	sed -n "s/^corral-syncd: CT \([0-9]*\): starting (onboot)$/\1/p" "$TRASH/syncd.log" |
		tr "\n" " "
}

fake_start || exit 1
syncd_config
for id in 100 101 102 103 110 111 112 113; do
	ct_new $id
done
sed -i "s|^ostemplate: .*|ostemplate: registry.example/bad-image:1|" "$CORRAL_CONFDIR/102.conf"
printf "onboot: 1\nstartup: order=2\n" >>"$CORRAL_CONFDIR/110.conf"
printf "onboot: 1\nstartup: order=1,up=1\n" >>"$CORRAL_CONFDIR/111.conf"
printf "onboot: 1\n" >>"$CORRAL_CONFDIR/112.conf"
# the first CT to start at boot hangs in ContainerCreating until the test says
fake_ctl POST /_fake/pod '{"name": "ct-111-0", "reason": "ContainerCreating", "phase": "Pending", "sticky": true}' >/dev/null
syncd_start || exit 1

test_expect_success 'onboot: the first CT in startup order starts; the next waits until it runs' '
	wait_for 60 agent_log_has "CT 111: starting (onboot)" &&
	wait_for 60 kget $NS/pods/ct-111-0 pod &&
	wait_for 60 status_is 111 starting &&
	sleep 2 &&
	status_is 111 starting &&
	status_is 110 stopped && test "$(replicas 110)" = 0 &&
	! agent_log_has "CT 110: starting"
'

test_expect_success 'onboot: once it runs, the others follow in order; no onboot, no start' '
	fake_ctl POST /_fake/pod "{\"name\": \"ct-111-0\", \"clear\": true}" >/dev/null &&
	wait_for 60 status_is 111 running &&
	wait_for 60 status_is 110 running &&
	wait_for 60 status_is 112 running &&
	test "$(onboot_order)" = "111 110 112 " &&
	status_is 113 stopped && test "$(replicas 113)" = 0 &&
	test -f "$CORRAL_RUNDIR/onboot.done"
'

test_expect_success 'setup: stop the onboot CTs again' '
	pct stop 110 && pct stop 111 && pct stop 112
'

syncd_stop
syncd_start || exit 1

test_expect_success 'onboot runs once per boot: an agent restart starts nothing' '
	wait_for 60 log_count_is 2 "connected to" &&
	wait_for 60 status_is 111 stopped &&
	sleep 2 &&
	status_is 111 stopped && status_is 110 stopped && status_is 112 stopped &&
	log_count_is 1 "CT(s) marked onboot" &&
	test "$(onboot_order)" = "111 110 112 "
'

syncd_stop
rm -f "$CORRAL_RUNDIR/onboot.done"
syncd_start || exit 1

test_expect_success 'a new boot (the marker in the run directory is gone) starts them again' '
	wait_for 60 status_is 112 running &&
	status_is 111 running && status_is 110 running &&
	test "$(onboot_order)" = "111 110 112 111 110 112 " &&
	pct stop 110 && pct stop 111 && pct stop 112
'

test_expect_success 'pct start: one replica, returns once the pod runs' '
	status_is 100 stopped && test "$(replicas 100)" = 0 &&
	pct start 100 >out 2>err &&
	test_cmp /dev/null out && test_cmp /dev/null err &&
	test "$(replicas 100)" = 1 &&
	kget $NS/pods/ct-100-0 pod &&
	json_is pod "d[\"status\"][\"phase\"]" Running &&
	status_is 100 running
'

test_expect_success 'status and list show it running; --verbose has node and IP' '
	pct status 100 --verbose >out &&
	grep -qx "status: running" out &&
	grep -qx "node: fake-node-1" out &&
	grep -qx "phase: Running" out &&
	grep -qx "pending-restart: 0" out &&
	grep -qx "ip: $(json_eval pod "d[\"status\"][\"podIP\"]")" out &&
	grep -qx "ip: 10\.244\.[0-9]*\.[0-9]*" out &&
	pct list >list &&
	printf "%-10s %-10s %-12s %-20s\n" 100 running "" ct100 >expect &&
	grep "^100 " list >actual && test_cmp expect actual &&
	printf "%-10s %-10s %-12s %-20s\n" 101 stopped "" ct101 >expect &&
	grep "^101 " list >actual && test_cmp expect actual &&
	pct status 100 --verbose --output-format json >json &&
	json_is json "d[\"status\"]" running && json_is json "d[\"node\"]" fake-node-1
'

test_expect_success 'starting a running CT: Proxmox message, exit 255, nothing changes' '
	uid=$(pod_uid 100) &&
	test_must_fail --code=255 pct start 100 2>err &&
	echo "CT 100 already running" >expect && test_cmp expect err &&
	test "$(pod_uid 100)" = "$uid"
'

test_expect_success 'pct stop: no replica, the pod deleted with the shortest grace period, waits for stopped' '
	pct stop 100 >out 2>err &&
	test_cmp /dev/null out && test_cmp /dev/null err &&
	status_is 100 stopped &&
	test "$(replicas 100)" = 0 &&
	kgone $NS/pods/ct-100-0 &&
	test "$(grace_of_last_pod_delete 100)" = 1
'

test_expect_success 'stopping or shutting down a stopped CT: Proxmox message, exit 255' '
	test_must_fail --code=255 pct stop 100 2>err &&
	echo "CT 100 not running" >expect && test_cmp expect err &&
	test_must_fail --code=255 pct shutdown 100 2>err &&
	test_cmp expect err &&
	test_must_fail --code=255 pct reboot 100 2>err &&
	test_cmp expect err
'

test_expect_success 'pct shutdown --timeout N: the pod gets N seconds' '
	pct start 100 &&
	pct shutdown 100 --timeout 7 &&
	status_is 100 stopped && test "$(replicas 100)" = 0 &&
	kgone $NS/pods/ct-100-0 &&
	test "$(grace_of_last_pod_delete 100)" = 7
'

test_expect_success 'pct shutdown --forceStop: stopped in the end' '
	pct start 100 &&
	pct shutdown 100 --forceStop 1 --timeout 3 &&
	status_is 100 stopped && kgone $NS/pods/ct-100-0 &&
	test "$(grace_of_last_pod_delete 100)" = 3
'

test_expect_success 'memory on a running CT is applied in place: same pod, no restart pending' '
	pct start 100 &&
	uid=$(pod_uid 100) &&
	pct set 100 --memory 1024 &&
	grep -qx "memory: 1024" "$CORRAL_CONFDIR/100.conf" &&
	! grep -q "pve:pending" "$CORRAL_CONFDIR/100.conf" &&
	wait_for 60 pod_has 100 "d[\"status\"][\"containerStatuses\"][0][\"resources\"][\"limits\"][\"memory\"]" 1Gi &&
	kget $NS/pods/ct-100-0 pod &&
	json_is pod "d[\"spec\"][\"containers\"][0][\"resources\"][\"limits\"][\"memory\"]" 1Gi &&
	json_is pod "d[\"spec\"][\"containers\"][0][\"resources\"][\"requests\"][\"memory\"]" 1Gi &&
	test "$(pod_uid 100)" = "$uid" &&
	wait_for 60 sh -c "\"\$PCT\" status 100 --verbose | grep -qx \"pending-restart: 0\"" &&
	pct status 100 --verbose >out &&
	grep -qx "maxmem: 1073741824" out && ! grep -q "^error:" out &&
	test "$(fake_log_count PATCH "/pods/ct-100-0/resize")" = 1
'

test_expect_success 'a change that needs a restart shows as pending restart' '
	pct set 100 --hostname renamed &&
	grep -qx "hostname: renamed" "$CORRAL_CONFDIR/100.conf" &&
	wait_for 60 sh -c "\"\$PCT\" status 100 --verbose | grep -qx \"pending-restart: 1\"" &&
	kget $NS/pods/ct-100-0 pod && kget $APPS/statefulsets/ct-100 sts &&
	test "$(json_eval pod "d[\"metadata\"][\"labels\"][\"controller-revision-hash\"]")" != \
		"$(json_eval sts "d[\"status\"][\"updateRevision\"]")"
'

test_expect_success 'pct reboot: a new pod with the pending changes; no restart pending' '
	uid=$(pod_uid 100) &&
	pct reboot 100 &&
	status_is 100 running &&
	test "$(pod_uid 100)" != "$uid" &&
	kget $NS/pods/ct-100-0 pod && kget $APPS/statefulsets/ct-100 sts &&
	test "$(json_eval pod "d[\"metadata\"][\"labels\"][\"controller-revision-hash\"]")" = \
		"$(json_eval sts "d[\"status\"][\"updateRevision\"]")" &&
	json_is pod "d[\"spec\"][\"containers\"][0][\"resources\"][\"limits\"][\"memory\"]" 1Gi &&
	grep -qx "memory: 1024" "$CORRAL_CONFDIR/100.conf" &&
	! grep -q "pve:pending" "$CORRAL_CONFDIR/100.conf" &&
	pct status 100 --verbose >out &&
	grep -qx "pending-restart: 0" out && grep -qx "maxmem: 1073741824" out
'

test_expect_success 'an image that cannot be pulled fails the start with the reason' '
	fake_ctl POST /_fake/config "{\"image_pull_fail\": [\"bad-image\"]}" >/dev/null &&
	test_must_fail --code=255 pct start 102 2>err &&
	grep -q "^unable to start CT 102 - the image cannot be pulled (ImagePullBackOff)" err &&
	grep -q "bad-image:1" err
'

test_expect_success 'a failed start is taken back: the CT ends stopped' '
	wait_for 60 status_is 102 stopped &&
	test "$(replicas 102)" = 0 &&
	grep -q "\"power\":\"stopped\"" "$CORRAL_STATEDIR/ct/102.state"
'

test_expect_success 'a pod that fails (phase Failed) fails the start with the reason' '
	fake_ctl POST /_fake/pod "{\"name\": \"ct-103-0\", \"phase\": \"Failed\", \"reason\": \"Error\", \"sticky\": true}" >/dev/null &&
	test_must_fail --code=255 pct start 103 2>err &&
	echo "unable to start CT 103 - the pod failed (Error): the container exited with code 1" >expect &&
	test_cmp expect err &&
	wait_for 60 status_is 103 stopped
'

test_expect_success 'an evicted pod: the eviction message' '
	fake_ctl POST /_fake/pod "{\"name\": \"ct-103-0\", \"phase\": \"Failed\", \"reason\": \"Evicted\", \"message\": \"The node was low on resource: memory.\", \"sticky\": true}" >/dev/null &&
	test_must_fail --code=255 pct start 103 2>err &&
	echo "unable to start CT 103 - the pod failed (Evicted): The node was low on resource: memory." >expect &&
	test_cmp expect err
'

test_expect_success 'once the pod can run, the start succeeds' '
	fake_ctl POST /_fake/pod "{\"name\": \"ct-103-0\", \"clear\": true}" >/dev/null &&
	wait_for 60 status_is 103 stopped &&
	pct start 103 && status_is 103 running &&
	pct stop 103
'

test_expect_success 'a CT whose applies keep failing backs off' '
	fake_ctl POST /_fake/fault "{\"code\": 500, \"count\": -1, \"method\": \"PATCH\", \"path\": \"configmaps/ct-101-conf\"}" >/dev/null &&
	pct set 101 --description "try again" &&
	wait_for 60 agent_log_has "CT 101: ConfigMap ct-101-conf: .*(retrying in \(8\|[1-9][0-9]\) s)$" &&
	fake_ctl DELETE /_fake/fault >/dev/null
'

test_expect_success '... but a new request is tried at once, not after the backoff' '
	sed "s/^wait-timeout = .*/wait-timeout = 3/" "$CORRAL_CONFIG" >short.conf &&
	CORRAL_CONFIG=$TRASH/short.conf pct start 101 &&
	status_is 101 running &&
	pct stop 101
'

syncd_stop

test_expect_success 'an agent that stopped cleanly leaves no heartbeat' '
	test ! -e "$CORRAL_RUNDIR/syncd.heartbeat"
'

test_expect_success 'no agent: the power verbs refuse at once and say why' '
	test_must_fail --code=255 pct start 101 2>err &&
	echo "unable to start CT 101 - corral-syncd is not running (the request is recorded and takes effect when it runs)" >expect &&
	test_cmp expect err &&
	test_must_fail --code=255 pct stop 100 2>err &&
	echo "unable to stop CT 100 - corral-syncd is not running (the request is recorded and takes effect when it runs)" >expect &&
	test_cmp expect err
'

test_expect_success 'a stale heartbeat counts as no agent' '
	printf "{\"pid\": %s, \"time\": %s, \"interval\": 10}\n" $$ $(( $(date +%s) - 120 )) \
		>"$CORRAL_RUNDIR/syncd.heartbeat" &&
	test_must_fail --code=255 pct shutdown 103 2>err &&
	echo "unable to shutdown CT 103 - corral-syncd is not running (the request is recorded and takes effect when it runs)" >expect &&
	test_cmp expect err &&
	pct status 100 >out 2>err &&
	grep -q "^corral-syncd is not running" err
'

syncd_start || exit 1

test_expect_success 'the recorded requests take effect when the agent runs again' '
	wait_for 60 status_is 101 running &&
	wait_for 60 status_is 100 stopped &&
	test "$(replicas 101)" = 1 && test "$(replicas 100)" = 0
'

test_done

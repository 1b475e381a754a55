#!/bin/sh
# Why a start fails before the CT runs, as a real kubelet and provisioner
# show it: an init container (the guest setup, Proxmox's pre-start hook)
# that exits with an error or crash-loops, whose image cannot be pulled; a
# sandbox the kubelet cannot create (only an Event says why); PVCs that a
# provisioner binds a moment after pct create (no failure: the start waits),
# or never (a StorageClass that does not exist, no provisioner: the start
# fails after bind-timeout, naming the PVC and what its Events say). A failed
# start is taken back, and pct status --verbose keeps saying why.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"
. "$top_srcdir/tests/sync/agent-lib.sh"

SC=/apis/storage.k8s.io/v1/storageclasses
PRESTART_LOG="corral-prestart: '/etc/corral/ct.conf' is a symbolic link; config files must be regular files"

# verbose_error VMID: the error line of pct status --verbose
verbose_error () {
	"$PCT" status "$1" --verbose | sed -n "s/^error: //p"
}

# events_read: how many times the agent listed Events
events_read () {
	fake_log_count GET "/events\$"
}

# fail_container POD CONTAINER REASON EXIT_CODE LOG: the kubelet reports that container so
fail_container () {
	_fc_body=$("$PYTHON" -S -c 'import json, sys
print(json.dumps({"name": sys.argv[1], "container": sys.argv[2], "reason": sys.argv[3],
                  "exit_code": int(sys.argv[4]), "log": sys.argv[5], "sticky": True}))' "$@") &&
	fake_ctl POST /_fake/pod "$_fc_body" >/dev/null
}

# power_is VMID POWER: the state file asks for POWER
power_is () {
	grep -q "\"power\":\"$2\"" "$CORRAL_STATEDIR/ct/$1.state"
}

fake_start || exit 1
# "slow": a StorageClass whose provisioner does not run (its PVCs stay Pending)
fake_api POST $SC '{"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"slow"},"provisioner":"fake.csi.corral.dev"}' >/dev/null
test "$(fake_status)" = 201 || { echo "cannot create StorageClass slow"; exit 1; }
fake_ctl POST /_fake/config '{"unbindable": ["slow"]}' >/dev/null
syncd_config '
allow-privileged = true
bind-timeout = 5
storage nosc {
	storage-class = "does-not-exist"
}
storage slow {
	storage-class = "slow"
}'
for id in 300 302 304 305 306; do
	ct_new $id
done
sed -i "s/^unprivileged: 1/unprivileged: 0/" "$CORRAL_CONFDIR/300.conf"
sed -i "s/^rootfs: local:/rootfs: nosc:/" "$CORRAL_CONFDIR/304.conf"
sed -i "s/^rootfs: local:/rootfs: slow:/" "$CORRAL_CONFDIR/305.conf"
syncd_start || exit 1

test_expect_success 'setup: the agent deployed the CTs (stopped)' '
	for id in 300 302 304 305 306; do
		wait_for 60 status_is $id stopped || return 1
	done
'

test_expect_success 'an init container that fails: the start fails at once, with its name, exit code and error' '
	fail_container ct-300-0 prestart Error 1 "$(printf "%s\n" "$PRESTART_LOG")" &&
	test_must_fail --code=255 pct start 300 2>err &&
	echo "unable to start CT 300 - init container '"'"'prestart'"'"' failed (Error, exit code 1): $PRESTART_LOG" >expect &&
	test_cmp expect err
'

test_expect_success '... taken back, as Proxmox leaves a CT whose pre-start hook failed: stopped' '
	wait_for 60 status_is 300 stopped &&
	test "$(replicas 300)" = 0 &&
	power_is 300 stopped
'

test_expect_success '... and pct status --verbose still says why' '
	echo "last start failed: init container '"'"'prestart'"'"' failed (Error, exit code 1): $PRESTART_LOG" >expect &&
	verbose_error 300 >actual &&
	test_cmp expect actual
'

test_expect_success 'an init container in CrashLoopBackOff: the failure before the back-off says why' '
	fail_container ct-300-0 prestart CrashLoopBackOff 2 "$(printf "WARN: a warning\ncorral-prestart: it broke\n")" &&
	test_must_fail --code=255 pct start 300 2>err &&
	echo "unable to start CT 300 - init container '"'"'prestart'"'"' failed (CrashLoopBackOff, exit code 2): WARN: a warning; corral-prestart: it broke" >expect &&
	test_cmp expect err &&
	wait_for 60 status_is 300 stopped
'

test_expect_success 'the image of an init container that cannot be pulled fails the start' '
	fake_ctl POST /_fake/pod "{\"name\": \"ct-300-0\", \"clear\": true}" >/dev/null &&
	fake_ctl POST /_fake/config "{\"image_pull_fail\": [\"corral-prestart\"]}" >/dev/null &&
	test_must_fail --code=255 pct start 300 2>err &&
	fake_ctl POST /_fake/config "{\"image_pull_fail\": []}" >/dev/null &&
	grep -q "^unable to start CT 300 - the image of init container '"'"'prestart'"'"' cannot be pulled (ImagePullBackOff): Back-off pulling image \".*corral-prestart:.*\"$" err &&
	wait_for 60 status_is 300 stopped
'

test_expect_success 'once the init containers succeed, the CT runs and the old reason is gone' '
	pct start 300 &&
	status_is 300 running &&
	test -z "$(verbose_error 300)" &&
	pct stop 300
'

test_expect_success 'a start that goes well reads no Events' '
	before=$(events_read) &&
	pct start 306 && status_is 306 running &&
	pct stop 306 &&
	test "$(events_read)" = "$before"
'

test_expect_success 'a sandbox that cannot be created: the start fails with the kubelet'"'"'s Event' '
	fake_ctl POST /_fake/pod "{\"name\": \"ct-302-0\", \"sandbox\": \"rpc error: code = Unknown desc = unable to get OCI runtime for sandbox: no runtime for \\\"nope\\\" is configured\", \"sticky\": true}" >/dev/null &&
	before=$(events_read) &&
	test_must_fail --code=255 pct start 302 2>err &&
	echo "unable to start CT 302 - the pod'"'"'s sandbox cannot be created (FailedCreatePodSandBox): Failed to create pod sandbox: rpc error: code = Unknown desc = unable to get OCI runtime for sandbox: no runtime for \"nope\" is configured" >expect &&
	test_cmp expect err &&
	wait_for 60 status_is 302 stopped &&
	n=$(( $(events_read) - before )) &&
	test "$n" -ge 1 && test "$n" -le 3 &&
	fake_ctl POST /_fake/pod "{\"name\": \"ct-302-0\", \"clear\": true}" >/dev/null
'

test_expect_success 'a PVC the provisioner binds a moment later: pct create and pct start at once succeed' '
	fake_ctl POST /_fake/config "{\"bind_delay\": 2}" >/dev/null &&
	pct create 303 docker.io/library/debian:bookworm --rootfs local:1 --mp0 local:1,mp=/srv/data >out &&
	pct start 303 2>err &&
	fake_ctl POST /_fake/config "{\"bind_delay\": 0}" >/dev/null &&
	test_cmp /dev/null err &&
	status_is 303 running &&
	test -z "$(verbose_error 303)"
'

test_expect_success '... also when the scheduler still says so after the PVCs are bound' '
	fake_ctl POST /_fake/config "{\"bind_delay\": 1, \"scheduler_backoff\": 2}" >/dev/null &&
	pct create 307 docker.io/library/debian:bookworm --rootfs local:1 >out &&
	pct start 307 2>err &&
	fake_ctl POST /_fake/config "{\"bind_delay\": 0, \"scheduler_backoff\": 0}" >/dev/null &&
	test_cmp /dev/null err &&
	status_is 307 running
'

test_expect_success 'a PVC of a StorageClass that does not exist: the start fails after bind-timeout, naming it' '
	test_must_fail --code=255 pct start 304 2>err &&
	echo "unable to start CT 304 - PVC nosc-vm-304-disk-0 is not bound after 5 s (ProvisioningFailed: storageclass.storage.k8s.io \"does-not-exist\" not found)" >expect &&
	test_cmp expect err &&
	wait_for 60 status_is 304 stopped &&
	power_is 304 stopped
'

test_expect_success 'a PVC no provisioner binds: the same, with what the PV controller says' '
	test_must_fail --code=255 pct start 305 2>err &&
	echo "unable to start CT 305 - PVC slow-vm-305-disk-0 is not bound after 5 s (ExternalProvisioning: Waiting for a volume to be created either by the external provisioner '"'"'fake.csi.corral.dev'"'"' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.)" >expect &&
	test_cmp expect err &&
	wait_for 60 status_is 305 stopped
'

test_expect_success 'once the provisioner binds it, the CT starts' '
	fake_ctl POST /_fake/config "{\"unbindable\": []}" >/dev/null &&
	pct start 305 && status_is 305 running &&
	pct stop 305
'

test_expect_success 'a pod unschedulable for another reason still fails the start at once' '
	fake_ctl POST /_fake/config "{\"unschedulable\": true}" >/dev/null &&
	test_must_fail --code=255 pct start 306 2>err &&
	fake_ctl POST /_fake/config "{\"unschedulable\": false}" >/dev/null &&
	grep -q "^unable to start CT 306 - the pod cannot be scheduled (Unschedulable): 0/1 nodes are available: 1 Insufficient memory" err
'

test_done

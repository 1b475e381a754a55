#!/bin/sh
# Starts that cannot succeed, on a real cluster: pct start fails promptly with
# the reason (an init container that cannot run or whose image cannot be
# pulled, a PVC that never binds), takes the start back, and pct status
# --verbose keeps saying why; the CT starts once the cause is gone.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/kube/kube-lib.sh"

kube_setup 'bind-timeout = 10
storage nosc {
	storage-class = "does-not-exist"
}' || exit 1

# with_prestart IMAGE: the agent again, with another prestart-image
with_prestart () {
	sed -i "s|^prestart-image = .*|prestart-image = \"$1\"|" "$CORRAL_CONFIG" &&
	kube_agent_restart
}

# power_of VMID: what the state file asks for
power_of () {
	jsonq "$CORRAL_STATEDIR/ct/$1.state" 'd["power"]'
}

test_expect_success 'setup: a privileged CT' '
	ct_create 700 --unprivileged 0
'

test_expect_success 'the prestart image cannot be pulled: pct start fails at once, naming the init container' '
	with_prestart localhost/corral-test/does-not-exist:1 &&
	test_must_fail pct start 700 2>err &&
	cat err &&
	grep -q "init container .prestart. cannot be pulled" err &&
	test "$(power_of 700)" = stopped &&
	wait_for "status_is 700 stopped" 60 &&
	pct status 700 --verbose | grep -q "^error: last start failed: .*prestart"
'

test_expect_success 'the prestart container cannot run: pct start fails with the runtime'"'"'s reason' '
	with_prestart "$KUBE_IMAGE" &&
	test_must_fail pct start 700 2>err &&
	cat err &&
	grep -q "init container .prestart. cannot start (RunContainerError)" err &&
	grep -q "corral-prestart" err &&
	wait_for "status_is 700 stopped" 60 &&
	wait_for "! kc get pod ct-700-0" 60
'

test_expect_success 'with the right image the same CT starts, and the error is gone' '
	with_prestart "$(kube_prestart_image)" &&
	pct start 700 && status_is 700 running &&
	! pct status 700 --verbose | grep -q "^error:"
'

test_expect_success 'a PVC that never binds: pct start fails naming it and why, after bind-timeout' '
	ct_create 701 --unprivileged 1 --rootfs nosc:1 &&
	test_must_fail pct start 701 2>err &&
	cat err &&
	grep -q "PVC nosc-vm-701-disk-0 is not bound after 10 s" err &&
	grep -q "does-not-exist" err &&
	test "$(power_of 701)" = stopped &&
	wait_for "status_is 701 stopped" 60 &&
	pct status 701 --verbose | grep -q "^error: last start failed: PVC nosc-vm-701-disk-0"
'

test_expect_success 'cleanup' '
	pct stop 700 && pct destroy 700 && pct destroy 701
'

test_done

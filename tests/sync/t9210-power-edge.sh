#!/bin/sh
# The power verbs at their edges, with corral-syncd and the fake API server:
# the host name a CT gets (the StatefulSet controller names the pod's host;
# a privileged CT sets its own from /etc/hostname); locked CTs and
# --skiplock; pct reboot without an agent; two starts at once; a template;
# a storage id without StorageClass; an invalid file; the agent killed with
# SIGKILL during a start.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"
. "$top_srcdir/tests/sync/agent-lib.sh"

# sts_patches VMID: the PATCHes of the CT's StatefulSet, one line each:
# "<content type> <replicas or ->"
sts_patches () {
	fake_ctl GET /_fake/log | "$PYTHON" -S -c 'import json, sys
for e in json.load(sys.stdin)["requests"]:
    if e["method"] != "PATCH" or not e["path"].endswith("/statefulsets/ct-%s" % sys.argv[1]):
        continue
    b = e.get("body")
    if isinstance(b, str):
        try:
            b = json.loads(b)
        except ValueError:
            b = None
    r = b.get("spec", {}).get("replicas", "-") if isinstance(b, dict) else "?"
    print(e.get("content_type", e.get("headers", {}).get("Content-Type", "?")), r)' "$1"
}

# nothing_of VMID: the fake holds no object of the CT
nothing_of () {
	kgone $APPS/statefulsets/ct-$1 &&
	kgone $NS/services/ct-$1 &&
	kgone $NS/configmaps/ct-$1-conf &&
	kgone $NS/persistentvolumeclaims/local-vm-$1-disk-0 &&
	kgone $NS/persistentvolumeclaims/nfs-vm-$1-disk-0
}

fake_start || exit 1
syncd_config "allow-privileged = true"
for id in 200 201 203 204 205 206 207 208 209; do
	ct_new $id
done
sed -i -e "s/^unprivileged: 1/unprivileged: 0/" -e "s/^hostname: .*/hostname: web.example.com/" \
	"$CORRAL_CONFDIR/200.conf"
# locked before the agent ever saw it: never deployed
ct_new 202
echo "lock: backup" >>"$CORRAL_CONFDIR/202.conf"
echo "template: 1" >>"$CORRAL_CONFDIR/204.conf"
sed -i "s/^rootfs: local:/rootfs: nfs:/" "$CORRAL_CONFDIR/205.conf"
syncd_start || exit 1

test_expect_success 'setup: the agent deployed the CTs (stopped)' '
	wait_for 60 kget $APPS/statefulsets/ct-201 sts &&
	wait_for 60 kget $APPS/statefulsets/ct-203 sts &&
	wait_for 60 status_is 201 stopped &&
	test "$(replicas 201)" = 0
'

test_expect_success 'the pod is named by the StatefulSet: hostname ct-ID-0, subdomain the Service' '
	pct start 200 &&
	kget $NS/pods/ct-200-0 pod &&
	json_is pod "d[\"spec\"][\"hostname\"]" ct-200-0 &&
	json_is pod "d[\"spec\"][\"subdomain\"]" ct-200 &&
	kget $APPS/statefulsets/ct-200 sts &&
	json_is sts "\"hostname\" in d[\"spec\"][\"template\"][\"spec\"]" false &&
	json_is sts "d[\"spec\"][\"serviceName\"]" ct-200
'

# The privileged CT's wrapper, taken from the pod, run here with its
# absolute paths made relative (./r for /rootfs, ./kernel-hostname for
# /proc/sys/kernel/hostname) and mount and chroot replaced by recorders.
test_expect_success 'setup: the privileged wrapper, runnable here' '
	json_eval pod "d[\"spec\"][\"containers\"][0][\"command\"][2]" >script.orig &&
	grep -q "exec chroot /rootfs" script.orig &&
	sed -e "s|/proc/sys/kernel/hostname|./kernel-hostname|g" -e "s|/rootfs|./r|g" \
		script.orig >script &&
	! grep -q "/rootfs\|/proc/sys" script &&
	mkdir -p bin r/etc &&
	printf "#!/bin/sh\necho \"mount \$*\" >>\"\$CALLS\"\n" >bin/mount &&
	printf "#!/bin/sh\necho \"chroot \$*\" >>\"\$CALLS\"\n" >bin/chroot &&
	chmod +x bin/mount bin/chroot
'

run_wrapper () {
	rm -f calls kernel-hostname &&
	: >kernel-hostname &&
	CALLS=$TRASH/calls PATH="$TRASH/bin:$PATH" sh -c "$(cat script)" sh /sbin/init --x
}

test_expect_success 'the wrapper sets the kernel hostname from /etc/hostname, then chroots' '
	printf "web\nsecond line\n" >r/etc/hostname &&
	run_wrapper &&
	printf web >expect && test_cmp expect kernel-hostname &&
	test "$(tail -n 1 calls)" = "chroot ./r /sbin/init --x" &&
	grep -qx "mount --rbind /proc ./r/proc" calls
'

test_expect_success 'no /etc/hostname, a symlink, or a hostname it cannot write: the start goes on' '
	rm r/etc/hostname &&
	run_wrapper &&
	test_cmp /dev/null kernel-hostname &&
	test "$(tail -n 1 calls)" = "chroot ./r /sbin/init --x" &&
	echo secret >outside && ln -s ../../outside r/etc/hostname &&
	run_wrapper &&
	test_cmp /dev/null kernel-hostname &&
	test "$(tail -n 1 calls)" = "chroot ./r /sbin/init --x" &&
	rm r/etc/hostname && echo web >r/etc/hostname &&
	rm -f calls && rm -f kernel-hostname && mkdir kernel-hostname &&
	CALLS=$TRASH/calls PATH="$TRASH/bin:$PATH" sh -c "$(cat script)" sh /sbin/init &&
	test "$(tail -n 1 calls)" = "chroot ./r /sbin/init" &&
	rmdir kernel-hostname
'

test_expect_success 'setup: CT 201 gets a lock while stopped; 203 is mounted' '
	echo "lock: backup" >>"$CORRAL_CONFDIR/201.conf" &&
	echo "lock: mounted" >>"$CORRAL_CONFDIR/203.conf" &&
	wait_for 60 agent_log_has "CT 201: CT is locked (backup); left alone" &&
	wait_for 60 agent_log_has "CT 203: CT is locked (mounted); left alone"
'

test_expect_success 'a locked CT does not start without --skiplock: Proxmox message, exit 255' '
	test_must_fail --code=255 pct start 201 2>err &&
	echo "CT is locked (backup)" >expect && test_cmp expect err &&
	test "$(replicas 201)" = 0 && status_is 201 stopped &&
	! grep -q skiplock "$CORRAL_STATEDIR/ct/201.state"
'

test_expect_success 'stop and shutdown of a stopped locked CT: not running comes first' '
	test_must_fail --code=255 pct stop 201 2>err &&
	echo "CT 201 not running" >expect && test_cmp expect err &&
	test_must_fail --code=255 pct shutdown 201 2>err &&
	test_cmp expect err
'

test_expect_success 'pct start --skiplock runs a locked CT; the lock stays' '
	pct start 201 --skiplock >out 2>err &&
	test_cmp /dev/null out && test_cmp /dev/null err &&
	status_is 201 running &&
	test "$(replicas 201)" = 1 &&
	kget $NS/pods/ct-201-0 pod && json_is pod "d[\"status\"][\"phase\"]" Running &&
	grep -qx "lock: backup" "$CORRAL_CONFDIR/201.conf" &&
	agent_log_has "CT 201: starting with --skiplock (locked .backup.; the config waits for the lock to go)"
'

test_expect_success 'only the replicas changed: no apply of the locked config' '
	sts_patches 201 >patches &&
	test "$(grep -c "merge-patch" patches)" = 1 &&
	grep -q "merge-patch.* 1$" patches &&
	kget $APPS/statefulsets/ct-201 sts &&
	json_is sts "d[\"metadata\"].get(\"annotations\", {}).get(\"corral.dev/spec-hash\")" null
'

test_expect_success 'a config change of the locked running CT waits for the lock' '
	n=$(sts_patches 201 | wc -l) &&
	sed -i "s/^memory: .*/memory: 1024/" "$CORRAL_CONFDIR/201.conf" &&
	sleep 3 &&
	test "$(sts_patches 201 | wc -l)" = "$n" &&
	kget $APPS/statefulsets/ct-201 sts &&
	json_is sts "d[\"spec\"][\"template\"][\"spec\"][\"containers\"][0][\"resources\"][\"limits\"][\"memory\"]" 512Mi
'

test_expect_success 'stop and shutdown of a running locked CT: the lock, exit 255' '
	test_must_fail --code=255 pct stop 201 2>err &&
	echo "CT is locked (backup)" >expect && test_cmp expect err &&
	test_must_fail --code=255 pct shutdown 201 2>err &&
	test_cmp expect err &&
	status_is 201 running && test "$(replicas 201)" = 1
'

test_expect_success 'pct stop --skiplock stops a locked CT' '
	pct stop 201 --skiplock &&
	status_is 201 stopped &&
	test "$(replicas 201)" = 0 &&
	kgone $NS/pods/ct-201-0 &&
	grep -qx "lock: backup" "$CORRAL_CONFDIR/201.conf"
'

# sts_memory VMID: the memory limit in the CT's StatefulSet
sts_memory () {
	kget $APPS/statefulsets/ct-$1 "$TRASH/.stsm" &&
	json_eval "$TRASH/.stsm" 'd["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]'
}
sts_memory_is () {
	test "$(sts_memory "$1")" = "$2"
}

test_expect_success 'once unlocked, the agent applies the held-back config in full' '
	pct unlock 201 &&
	wait_for 60 sts_memory_is 201 1Gi &&
	test "$(replicas 201)" = 0 &&
	kget $APPS/statefulsets/ct-201 sts &&
	json_is sts "len(d[\"metadata\"][\"annotations\"][\"corral.dev/spec-hash\"])" 40
'

test_expect_success 'a mounted CT starts and stops without --skiplock, as in Proxmox' '
	pct start 203 && status_is 203 running && test "$(replicas 203)" = 1 &&
	test_must_fail --code=255 pct shutdown 203 2>err &&
	echo "CT is locked (mounted)" >expect && test_cmp expect err &&
	pct stop 203 && status_is 203 stopped && test "$(replicas 203)" = 0
'

test_expect_success 'start --skiplock of a locked CT never deployed: the reason, nothing created' '
	test_must_fail --code=255 pct start 202 --skiplock 2>err &&
	echo "unable to start CT 202 - CT is locked (backup) and has never been deployed; --skiplock can only start a CT whose objects exist (pct unlock removes the lock)" >expect &&
	test_cmp expect err &&
	nothing_of 202 &&
	grep -q "\"power\":\"stopped\"" "$CORRAL_STATEDIR/ct/202.state"
'

test_expect_success 'a template does not start: Proxmox message, exit 255' '
	test_must_fail --code=255 pct start 204 2>err &&
	echo "you can'"'"'t start a CT if it'"'"'s a template" >expect && test_cmp expect err &&
	test "$(replicas 204)" = 0 &&
	! grep -q "\"power\":\"running\"" "$CORRAL_STATEDIR/ct/204.state"
'

test_expect_success 'a storage id without StorageClass: pct start names it; nothing created' '
	test_must_fail --code=255 pct start 205 2>err &&
	echo "unable to start CT 205 - rootfs: storage '"'"'nfs'"'"' has no StorageClass in corral.conf" >expect &&
	test_cmp expect err &&
	nothing_of 205
'

test_expect_success 'an invalid file: pct start names file and line; nothing created' '
	pct stop 200 &&
	mkdir -p staging &&
	(CORRAL_CONFDIR=$TRASH/staging && ct_new 210) &&
	sed -i "s/^memory: .*/memory: 8/" staging/210.conf &&
	mv staging/210.conf "$CORRAL_CONFDIR/210.conf" &&
	line=$(grep -n "^memory:" "$CORRAL_CONFDIR/210.conf" | cut -d: -f1) &&
	test_must_fail --code=255 pct start 210 >out 2>err &&
	echo "unable to start CT 210 - $CORRAL_CONFDIR/210.conf:$line: memory: value must have a minimum value of 16" >expect &&
	test_cmp expect err &&
	nothing_of 210 &&
	wait_for 60 status_is 210 stopped
'

test_expect_success 'two pct start at once: one start, both succeed' '
	before=$(sts_patches 207 | grep -c " 1$")
	{ pct start 207 >out1 2>err1; echo $? >rc1; } &
	{ pct start 207 >out2 2>err2; echo $? >rc2; } &
	wait &&
	test -n "$before" &&
	status_is 207 running &&
	test "$(sts_patches 207 | grep -c " 1$")" = $((before + 1)) &&
	test "$(cat rc1)" = 0 && test "$(cat rc2)" = 0 &&
	cat err1 err2 | grep -v "^trying to acquire lock\.\.\.$" >errs ;
	test_cmp /dev/null errs &&
	test "$(replicas 207)" = 1
'

test_expect_success 'setup: CT 208 hangs in ContainerCreating' '
	fake_ctl POST /_fake/pod "{\"name\": \"ct-208-0\", \"reason\": \"ContainerCreating\", \"phase\": \"Pending\", \"sticky\": true}" >/dev/null
'

( cd "$TRASH" && pct start 208 >start208.out 2>start208.err; echo $? >start208.rc ) &
START_PID=$!
wait_for 60 kget $NS/pods/ct-208-0 "$TRASH/.p208"
wait_for 60 status_is 208 starting
kill -9 "$SYNCD_PID"
wait "$SYNCD_PID" 2>/dev/null
SYNCD_PID=
fake_ctl POST /_fake/pod '{"name": "ct-208-0", "clear": true}' >/dev/null
syncd_start || exit 1
wait "$START_PID"

test_expect_success 'the agent killed with SIGKILL during a start: the next one converges to running' '
	wait_for 60 status_is 208 running &&
	test "$(replicas 208)" = 1 &&
	kget $NS/pods/ct-208-0 pod && json_is pod "d[\"status\"][\"phase\"]" Running &&
	{ test "$(cat start208.rc)" = 0 ||
	  grep -q "^unable to start CT 208 - corral-syncd stopped while waiting" start208.err; }
'

test_expect_success 'setup: CT 209 runs' '
	pct start 209 && status_is 209 running
'

syncd_stop

test_expect_success 'no agent: pct reboot of a CT that was stopped refuses and records nothing' '
	test_must_fail --code=255 pct reboot 201 2>err &&
	echo "CT 201 not running" >expect && test_cmp expect err &&
	grep -q "\"power\":\"stopped\"" "$CORRAL_STATEDIR/ct/201.state" &&
	! grep -q "\"restart\"" "$CORRAL_STATEDIR/ct/201.state"
'

test_expect_success 'no agent: pct reboot of a CT that runs is recorded, and says so at once' '
	uid=$(pod_uid 209) && echo "$uid" >uid209 &&
	test_must_fail --code=255 pct reboot 209 2>err &&
	echo "unable to reboot CT 209 - corral-syncd is not running (the request is recorded and takes effect when it runs)" >expect &&
	test_cmp expect err &&
	grep -q "\"power\":\"running\"" "$CORRAL_STATEDIR/ct/209.state" &&
	grep -q "\"restart\"" "$CORRAL_STATEDIR/ct/209.state"
'

syncd_start || exit 1

test_expect_success '... and the pod is recreated when the agent runs again' '
	wait_for 60 agent_log_has "CT 209: rebooting (pod recreated)" &&
	wait_for 60 status_is 209 running &&
	test "$(pod_uid 209)" != "$(cat uid209)"
'

test_done

#!/bin/sh
# corral-syncd against the fake API server (TLS, bearer token): the objects
# of a CT and their marks; no write when nothing changed (second pass,
# resync, restart); an edit reaches the cluster through inotify with only
# the writes it needs; deletion keeps PVCs; the mass-delete guard across
# restarts; refusals (privileged CTs, bind mounts); an invalid file keeps
# the last good objects; insecure TLS is warned about; the token never shows.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"
. "$top_srcdir/tests/sync/syncd-lib.sh"

fake_start --tls || exit 1
fake_kubeconfig "$TRASH/kc" token

# the bind mount roots, without symlinks in the path (lstat sees real directories)
BINDS=$(cd "$TRASH" && pwd -P)/binds
mkdir -p "$BINDS/ok/data" "$BINDS/other" "$BINDS/ok/real"
ln -s "$BINDS/ok/real" "$BINDS/ok/link"

settings () {
	cat <<-EOF
	output = "kube"
	kubeconfig = "$TRASH/kc"
	namespace = "default"
	resync-interval = ${1:-300}
	allow-privileged = ${2:-false}
	bind-mount-roots = {"$BINDS/ok"}
	EOF
}
settings >"$CORRAL_CONFIG"
settings 1 >fast.conf
settings 300 true >priv.conf

ct_conf 100
ct_conf 101 "mp0: local:vm-101-disk-1,mp=/srv,size=1G"
ct_conf 103 "mp0: $BINDS/ok/data,mp=/mnt/data"
ct_conf 104 "tags: c++;web+db"

# expressions over a StatefulSet
MEM='d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]'
DIGEST='d["spec"]["template"]["metadata"]["annotations"]["corral.dev/config-digest"]'
VOLUMES='d["spec"]["template"]["spec"]["volumes"]'

test_expect_success 'first pass: PVCs, ConfigMap, Service and StatefulSet of each CT' '
	syncd --once --debug 2>err &&
	grep -q "connected to $FAKE_URL (Kubernetes 1.33" err &&
	objects_of 101 >actual &&
	cat >expect <<-\EOF &&
	ConfigMap ct-101-conf
	PersistentVolumeClaim local-vm-101-disk-0
	PersistentVolumeClaim local-vm-101-disk-1
	Service ct-101
	StatefulSet ct-101
	EOF
	test_cmp expect actual &&
	objects_of 100 >actual &&
	test $(wc -l <actual) = 4 &&
	objects_of 103 >actual &&
	test $(wc -l <actual) = 4 &&
	grep -q "CT 104: tag '\''c++'\'' cannot be a Kubernetes label; not mapped" err &&
	grep -q "CT 104: tag '\''web+db'\'' cannot be a Kubernetes label; not mapped" err
'

test_expect_success 'only server-side apply, by corral-syncd, forced' '
	fake_ctl GET /_fake/log >log.json &&
	json_assert log.json <<-\EOF
	set((e["method"], e["content_type"], e["query"]) for e in d["requests"] if e["method"] != "GET") == {("PATCH", "application/apply-patch+yaml", "fieldManager=corral-syncd&force=true")}
	len([e for e in d["requests"] if e["method"] == "PATCH"]) == 17
	EOF
'

test_expect_success 'marks: labels, spec hash, no owner references' '
	fake_ctl GET /_fake/objects >objects.json &&
	json_assert objects.json <<-\EOF
	len([o for o in d["objects"] if o["metadata"].get("labels", {}).get("corral.dev/ctid") == "100" and o["kind"] != "Pod"]) == 4
	all(o["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "corral" for o in d["objects"] if o["metadata"].get("labels", {}).get("corral.dev/ctid") and o["kind"] != "Pod")
	all(len(o["metadata"]["annotations"]["corral.dev/spec-hash"]) == 40 for o in d["objects"] if o["metadata"].get("labels", {}).get("corral.dev/ctid") and o["kind"] != "Pod")
	not any("ownerReferences" in o["metadata"] for o in d["objects"] if o["metadata"].get("labels", {}).get("corral.dev/ctid") and o["kind"] != "Pod")
	all([m["manager"] for m in o["metadata"]["managedFields"] if m["operation"] == "Apply"] == ["corral-syncd"] for o in d["objects"] if o["metadata"].get("labels", {}).get("corral.dev/ctid") and o["kind"] != "Pod")
	EOF
'

test_expect_success 'the StatefulSet: stopped CT, image, volumes, the bind mount' '
	fake_ctl GET /_fake/objects >objects.json &&
	json_assert objects.json <<-EOF
	sts("ct-100")["spec"]["replicas"] == 0
	ctr("ct-100")["image"] == "docker.io/library/debian:bookworm"
	sorted(v["persistentVolumeClaim"]["claimName"] for v in pod("ct-101")["volumes"] if "persistentVolumeClaim" in v) == ["local-vm-101-disk-0", "local-vm-101-disk-1"]
	[v["hostPath"] for v in pod("ct-103")["volumes"] if "hostPath" in v] == [{"path": "$BINDS/ok/data", "type": "Directory"}]
	EOF
'

test_expect_success 'status files: stopped, no error, the volumes' '
	json_assert "$CORRAL_RUNDIR/ct/101.status" <<-\EOF
	[d["status"], d["mode"]] == ["stopped", "kube"]
	"error" not in d
	sorted(v["pvc"] for v in d["volumes"]) == ["local-vm-101-disk-0", "local-vm-101-disk-1"]
	EOF
'

test_expect_success 'a second pass: no write' '
	fake_log_clear &&
	syncd --once --debug 2>err &&
	no_writes &&
	! grep -q "applied" err
'

test_expect_success 'the running agent: resyncs send no write, log no message twice' '
	fake_log_clear &&
	agent_start --debug --config fast.conf &&
	wait_log "periodic resync" 3 &&
	agent_stop &&
	no_writes &&
	test $(log_count "CT 104: tag .c\+\+. cannot be") = 1 &&
	test $(log_count "CT 104: tag .web\+db. cannot be") = 1
'

test_expect_success 'the agent started: it lists, watches, and writes nothing' '
	fake_log_clear && pass_mark &&
	agent_start --debug &&
	agent_settled 104 &&
	no_writes
'

test_expect_success 'a vi-style edit (new file, rename) reaches the cluster: two writes' '
	fake_log_clear &&
	vi_edit "$CORRAL_CONFDIR/100.conf" "s/^memory: .*/memory: 768/" &&
	wait_for "kis sts ct-100 \"\$MEM\" 768Mi" &&
	wait_for "kget cm ct-100-conf | grep -q \"memory: 768\"" &&
	grep -q "event MOVED_TO on 100.conf" "$AGENT_LOG" &&
	fake_writes >actual &&
	cat >expect <<-EOF &&
	PATCH $(kpath cm ct-100-conf)
	PATCH $(kpath sts ct-100)
	EOF
	test_cmp expect actual
'

test_expect_success 'an in-place edit (truncate and write) too' '
	fake_log_clear &&
	inplace_edit "$CORRAL_CONFDIR/100.conf" "s/^memory: .*/memory: 640/" &&
	wait_for "kis sts ct-100 \"\$MEM\" 640Mi" &&
	grep -q "event CLOSE_WRITE.* on 100.conf" "$AGENT_LOG" &&
	fake_writes | sort -u >actual &&
	cat >expect <<-EOF &&
	PATCH $(kpath cm ct-100-conf)
	PATCH $(kpath sts ct-100)
	EOF
	test_cmp expect actual
'

test_expect_success 'a larger disk: the PVC grows' '
	fake_log_clear &&
	vi_edit "$CORRAL_CONFDIR/101.conf" "s/vm-101-disk-1,mp=\/srv,size=1G/vm-101-disk-1,mp=\/srv,size=2G/" &&
	wait_for "kis pvc local-vm-101-disk-1 \"d[\\\"spec\\\"][\\\"resources\\\"][\\\"requests\\\"][\\\"storage\\\"]\" 2Gi" &&
	wait_for "kis sts ct-101 \"\$DIGEST\" \$(sha1sum <\"\$CORRAL_CONFDIR/101.conf\" | cut -c1-40)" &&
	fake_writes >actual &&
	cat >expect <<-EOF &&
	PATCH $(kpath pvc local-vm-101-disk-1)
	PATCH $(kpath cm ct-101-conf)
	PATCH $(kpath sts ct-101)
	EOF
	test_cmp expect actual
'

test_expect_success 'a smaller disk is refused, nothing written' '
	fake_log_clear &&
	vi_edit "$CORRAL_CONFDIR/101.conf" "s/vm-101-disk-1,mp=\/srv,size=2G/vm-101-disk-1,mp=\/srv,size=1G/" &&
	wait_for "grep -q \"refusing to shrink\" \"\$CORRAL_RUNDIR/ct/101.status\"" &&
	jsonq "$CORRAL_RUNDIR/ct/101.status" "d[\"error\"]" >msg &&
	echo "PVC local-vm-101-disk-1: refusing to shrink from 2147483648 to 1073741824 bytes (volumes only grow)" >expect &&
	test_cmp expect msg &&
	no_writes &&
	vi_edit "$CORRAL_CONFDIR/101.conf" "s/vm-101-disk-1,mp=\/srv,size=1G/vm-101-disk-1,mp=\/srv,size=2G/"
'

test_expect_success 'an invalid file: the last good objects stay, file:line in the status' '
	wait_for "! grep -q error \"\$CORRAL_RUNDIR/ct/101.status\"" &&
	fake_log_clear &&
	vi_edit "$CORRAL_CONFDIR/100.conf" "s/^memory: .*/memory: lots/" &&
	wait_for "grep -q lots \"\$CORRAL_RUNDIR/ct/100.status\"" &&
	jsonq "$CORRAL_RUNDIR/ct/100.status" "d[\"error\"]" >msg &&
	echo "$CORRAL_CONFDIR/100.conf:4: vm 100 - unable to parse value of '\''memory'\'' - type check ('\''integer'\'') failed - got '\''lots'\''" >expect &&
	test_cmp expect msg &&
	wait_log "CT 100: $CORRAL_CONFDIR/100.conf:4: .*; keeping the last good state" &&
	no_writes &&
	kis sts ct-100 "$MEM" 640Mi
'

test_expect_success 'the file deleted: StatefulSet, Service, ConfigMap go, PVCs stay' '
	fake_log_clear &&
	rm "$CORRAL_CONFDIR/100.conf" &&
	wait_for "kgone sts ct-100" &&
	wait_for "kgone cm ct-100-conf" &&
	kgone svc ct-100 &&
	kget pvc local-vm-100-disk-0 >/dev/null &&
	fake_writes | sort >actual &&
	sort >expect <<-EOF &&
	DELETE $(kpath cm ct-100-conf)
	DELETE $(kpath sts ct-100)
	DELETE $(kpath svc ct-100)
	EOF
	test_cmp expect actual &&
	wait_for "! test -e \"\$CORRAL_RUNDIR/ct/100.status\"" &&
	wait_log "CT 100: config removed.* local-vm-100-disk-0 kept"
'

test_expect_success 'CTs removed one by one: orphan PVCs logged once, no mass deletion at a restart' '
	rm "$CORRAL_CONFDIR/101.conf" &&
	wait_for "kgone sts ct-101" &&
	rm "$CORRAL_CONFDIR/104.conf" &&
	wait_for "kgone sts ct-104" &&
	agent_stop &&
	agent_start --debug --config fast.conf &&
	wait_log "periodic resync" 3 &&
	agent_stop &&
	test $(log_count "CT 100: config removed; PVC local-vm-100-disk-0 kept") = 1 &&
	test $(log_count "CT 101: config removed; PVC local-vm-101-disk-1 kept") = 1 &&
	! grep -q "lost their config file" "$AGENT_LOG" &&
	kget pvc local-vm-101-disk-1 >/dev/null
'

test_expect_success 'the agent restarted with nothing changed: no write' '
	ct_conf 100 && ct_conf 101 "mp0: local:vm-101-disk-1,mp=/srv,size=2G" &&
	ct_conf 104 "tags: c++;web+db" &&
	syncd --once 2>err &&
	fake_log_clear && pass_mark &&
	agent_start --debug &&
	agent_settled 104 &&
	agent_stop &&
	no_writes
'

test_expect_success 'most files gone while the agent is down: nothing deleted at its start' '
	mkdir -p away &&
	mv "$CORRAL_CONFDIR/100.conf" "$CORRAL_CONFDIR/101.conf" "$CORRAL_CONFDIR/104.conf" away/ &&
	fake_log_clear &&
	agent_start --debug &&
	wait_log "3 of 4 CTs lost their config file at once; refusing to delete any" &&
	agent_stop &&
	agent_start --debug &&
	wait_log "3 of 4 CTs lost their config file at once; refusing to delete any" &&
	no_writes &&
	kget sts ct-100 >/dev/null && kget sts ct-101 >/dev/null && kget sts ct-104 >/dev/null
'

test_expect_success 'files back: deletions allowed again, nothing was deleted' '
	mv away/100.conf away/101.conf away/104.conf "$CORRAL_CONFDIR/" &&
	wait_log "config files are back; deletions allowed again" &&
	agent_stop &&
	no_writes
'

test_expect_success 'the config directory gone at the agent start: nothing deleted, not recreated' '
	mv "$CORRAL_CONFDIR" ct.away &&
	fake_log_clear &&
	agent_start --debug &&
	wait_log "$CORRAL_CONFDIR is missing or unreadable; refusing to delete the objects of 4 CT\\(s\\)" &&
	! test -e "$CORRAL_CONFDIR" &&
	no_writes
'

test_expect_success 'the directory back: the agent sees it without a resync' '
	mv ct.away "$CORRAL_CONFDIR" &&
	wait_log "config files are back; deletions allowed again" &&
	vi_edit "$CORRAL_CONFDIR/103.conf" "s/^memory: .*/memory: 700/" &&
	wait_for "kis sts ct-103 \"\$MEM\" 700Mi" &&
	agent_stop &&
	fake_writes | sort >actual &&
	sort >expect <<-EOF &&
	PATCH $(kpath cm ct-103-conf)
	PATCH $(kpath sts ct-103)
	EOF
	test_cmp expect actual
'

test_expect_success 'a privileged CT is refused by default: status says why, nothing created' '
	ct_conf 102 &&
	sed -i "s/^unprivileged: 1$/unprivileged: 0/" "$CORRAL_CONFDIR/102.conf" &&
	mkdir -p "$CORRAL_STATEDIR/ct/102" &&
	echo "\$6\$salt\$hash" >"$CORRAL_STATEDIR/ct/102/password" &&
	fake_log_clear &&
	test_must_fail --code=1 syncd --once 2>err &&
	jsonq "$CORRAL_RUNDIR/ct/102.status" "d[\"error\"]" >msg &&
	echo "privileged CTs (unprivileged: 0) are not allowed by corral.conf (allow-privileged = false)" >expect &&
	test_cmp expect msg &&
	grep -q "CT 102: refused: privileged CTs" err &&
	no_writes &&
	objects_of 102 >actual && test_cmp /dev/null actual
'

test_expect_success 'allowed: a privileged pod with its Secret' '
	syncd --once --config priv.conf 2>err &&
	objects_of 102 >actual &&
	cat >expect <<-\EOF &&
	ConfigMap ct-102-conf
	PersistentVolumeClaim local-vm-102-disk-0
	Secret ct-102-secrets
	Service ct-102
	StatefulSet ct-102
	EOF
	test_cmp expect actual &&
	kget sts ct-102 >sts.json &&
	jsonq_is sts.json "d[\"spec\"][\"template\"][\"spec\"][\"containers\"][0][\"securityContext\"][\"privileged\"]" true
'

test_expect_success 'its file deleted: the Secret goes with the rest, the PVC stays' '
	fake_log_clear &&
	agent_start --debug --config priv.conf &&
	agent_settled 104 &&
	rm "$CORRAL_CONFDIR/102.conf" &&
	wait_for "kgone secret ct-102-secrets" &&
	wait_for "kgone sts ct-102" &&
	agent_stop &&
	objects_of 102 >actual &&
	echo "PersistentVolumeClaim local-vm-102-disk-0" >expect &&
	test_cmp expect actual &&
	fake_writes | sort >actual &&
	sort >expect <<-EOF &&
	DELETE $(kpath cm ct-102-conf)
	DELETE $(kpath secret ct-102-secrets)
	DELETE $(kpath sts ct-102)
	DELETE $(kpath svc ct-102)
	EOF
	test_cmp expect actual
'

# refused_bind SOURCE MESSAGE: CT 103 with mp0 from SOURCE is refused with MESSAGE
refused_bind () {
	cp "$CORRAL_CONFDIR/103.conf" 103.good &&
	sed -i "s#^mp0: .*#mp0: $1,mp=/mnt/data#" "$CORRAL_CONFDIR/103.conf" &&
	fake_log_clear &&
	test_must_fail --code=1 syncd --once 2>err &&
	jsonq "$CORRAL_RUNDIR/ct/103.status" "d[\"error\"]" >msg &&
	echo "$2" >expect &&
	test_cmp expect msg &&
	grep -q "CT 103: refused: $2" err &&
	no_writes &&
	kis sts ct-103 "[v[\"hostPath\"][\"path\"] for v in $VOLUMES if \"hostPath\" in v]" "[\"$BINDS/ok/data\"]" &&
	mv 103.good "$CORRAL_CONFDIR/103.conf"
}

test_expect_success 'bind mounts of /, /etc and /var are refused, the last good objects stay' '
	refused_bind / "mp0: bind mount of '\''/'\'' is not allowed" &&
	refused_bind /etc "mp0: bind mount of '\''/etc'\'' is not allowed" &&
	refused_bind /var/ "mp0: bind mount of '\''/var/'\'' is not allowed"
'

test_expect_success 'a bind mount outside bind-mount-roots is refused' '
	refused_bind "$BINDS/other" \
		"mp0: bind mount source '\''$BINDS/other'\'' is outside the allowed roots (bind-mount-roots in corral.conf)" &&
	refused_bind "$BINDS/okay" \
		"mp0: bind mount source '\''$BINDS/okay'\'' is outside the allowed roots (bind-mount-roots in corral.conf)"
'

test_expect_success 'a bind mount through a symlink is refused' '
	refused_bind "$BINDS/ok/link/x" \
		"mp0: bind mount source '\''$BINDS/ok/link/x'\'' contains a symlink ('\''$BINDS/ok/link'\'')"
'

test_expect_success 'the good bind mount again: converged, no error' '
	syncd --once 2>err &&
	jsonq_is "$CORRAL_RUNDIR/ct/103.status" "\"error\" in d" false
'

test_expect_success 'insecure-skip-tls-verify is warned about' '
	fake_kubeconfig "$TRASH/kc-insecure" insecure &&
	sed "s#$TRASH/kc\"#$TRASH/kc-insecure\"#" "$CORRAL_CONFIG" >insecure.conf &&
	syncd --once --config insecure.conf 2>err &&
	grep -qx "corral-syncd: warning: $TRASH/kc-insecure: insecure-skip-tls-verify is set; the API server'\''s certificate is not checked" err &&
	syncd --once 2>err &&
	! grep -q insecure err
'

test_expect_success 'a token the server refuses: a clear message, exit 2, the token not shown' '
	sed "s/$FAKE_TOKEN/not-the-right-token-4242/" "$TRASH/kc" >"$TRASH/kc-wrong" &&
	sed "s#$TRASH/kc\"#$TRASH/kc-wrong\"#" "$CORRAL_CONFIG" >wrong.conf &&
	test_must_fail --code=2 syncd --once --debug --config wrong.conf 2>err &&
	echo "corral-syncd: unable to reach the API server $FAKE_URL: unauthorized: the API server did not accept the credentials (HTTP 401)" >expect &&
	sed "/^corral-syncd: [0-9]* requests ([0-9]* writes), /d" err >err.msg &&
	test_cmp expect err.msg &&
	! grep -q not-the-right-token err
'

test_expect_success 'the token never appeared in anything the agent wrote' '
	test -s "$SYNCD_ALL" &&
	grep -q "applied StatefulSet" "$SYNCD_ALL" &&
	! grep -F -e "$FAKE_TOKEN" "$SYNCD_ALL" &&
	! grep -r -F -e "$FAKE_TOKEN" "$CORRAL_RUNDIR"
'

test_done

#!/bin/sh
# Security checks, end to end: each unsafe input is refused with a message
# that says what and where, and nothing of it reaches the cluster.
#   a .conf that is a symlink (to a file elsewhere), a FIFO or a directory;
#   path traversal in snapshot names, keys, section names, volume ids, bind
#   mount sources and mount paths; bind mounts of /, /etc, /var and friends;
#   a bind mount source through a symlink, or outside bind-mount-roots; a
#   privileged CT while corral.conf forbids them; a kubeconfig with
#   insecure-skip-tls-verify (warned); credentials (the API token, the
#   client key, the root password and its hash) in logs, status files and
#   pct's output: never.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"
. "$top_srcdir/tests/sync/syncd-lib.sh"

fake_start --tls || exit 1
fake_kubeconfig "$TRASH/kc" token
fake_kubeconfig "$TRASH/kc-insecure" insecure
fake_kubeconfig "$TRASH/kc-cert" cert-data

# bind mount roots without symlinks on the way (lstat sees real directories)
BINDS=$(cd "$TRASH" && pwd -P)/binds
mkdir -p "$BINDS/data" "$BINDS/real"
ln -s "$BINDS/real" "$BINDS/link"
ln -s / "$BINDS/root"

settings () {
	cat <<-EOF
	output = "kube"
	kubeconfig = "$1"
	namespace = "default"
	allow-privileged = ${2:-false}
	bind-mount-roots = {"$BINDS"}
	EOF
}
settings "$TRASH/kc" >"$CORRAL_CONFIG"

STS=/apis/apps/v1/namespaces/default/statefulsets
MEM='d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]'

# status_error ID: the error the agent published for CT ID
status_error () {
	jsonq_raw "$CORRAL_RUNDIR/ct/$1.status" 'd.get("error") or ""'
}

# refused ID MESSAGE: the last pass said MESSAGE for CT ID in its log (once.err: a
# line "CT ID: ...MESSAGE...") and in the CT's status (its "error")
refused () {
	if ! grep -F "CT $1: " once.err | grep -qF -- "$2"; then
		echo "not in the log: CT $1: ...$2"
		cat once.err
		return 1
	fi
	if ! status_error "$1" | grep -qF "$2"; then
		echo "not in the status of CT $1: $2"
		cat "$CORRAL_RUNDIR/ct/$1.status"
		return 1
	fi
}

# --- config files that are not regular files ----------------------------------------

ct_conf 100
test_expect_success 'setup: CT 100 in the cluster' '
	syncd --once 2>once.err &&
	fake_api GET $STS/ct-100 >sts.json && jsonq_is sts.json "$MEM" 512Mi
'

test_expect_success 'a .conf that is a symlink to a file elsewhere: pct and the agent refuse it' '
	sed -e "s/^memory: .*/memory: 2048/" -e "s/^hostname: .*/hostname: from-elsewhere/" \
		"$CORRAL_CONFDIR/100.conf" >elsewhere.conf &&
	cp elsewhere.conf elsewhere.orig &&
	mv "$CORRAL_CONFDIR/100.conf" ct100.good &&
	ln -s "$TRASH/elsewhere.conf" "$CORRAL_CONFDIR/100.conf" &&
	ln -s "$TRASH/elsewhere.conf" "$CORRAL_CONFDIR/101.conf" &&
	test_must_fail pct config 100 2>err &&
	grep -q "100.conf'"'"' is a symbolic link; config files must be regular files" err &&
	test_must_fail pct set 100 --memory 4096 2>err &&
	grep -q "is a symbolic link" err &&
	test_cmp elsewhere.orig elsewhere.conf &&
	test_must_fail syncd --once 2>once.err &&
	refused 100 "'"'"'$CORRAL_CONFDIR/100.conf'"'"' is a symbolic link; config files must be regular files" &&
	grep -qF "CT 100: '"'"'$CORRAL_CONFDIR/100.conf'"'"' is a symbolic link; config files must be regular files; keeping the last good state" once.err &&
	refused 101 "is a symbolic link" &&
	fake_api GET $STS/ct-100 >sts.json && jsonq_is sts.json "$MEM" 512Mi &&
	test -z "$(objects_of 101)" &&
	! fake_ctl GET /_fake/objects | grep -q from-elsewhere
'

test_expect_success 'the file back: the agent acts on it again' '
	rm "$CORRAL_CONFDIR/100.conf" "$CORRAL_CONFDIR/101.conf" &&
	mv ct100.good "$CORRAL_CONFDIR/100.conf" &&
	syncd --once 2>once.err &&
	test -z "$(status_error 100)"
'

test_expect_success 'a FIFO as a .conf: refused at once, the agent does not block on it' '
	mkfifo "$CORRAL_CONFDIR/102.conf" &&
	rc=0 && timeout 60 "$SYNCD" --once 2>once.err || rc=$? &&
	test $rc = 1 &&
	refused 102 "'"'"'$CORRAL_CONFDIR/102.conf'"'"' is not a regular file" &&
	test_must_fail pct config 102 2>err &&
	grep -q "is not a regular file" err &&
	rm "$CORRAL_CONFDIR/102.conf"
'

test_expect_success 'a directory as a .conf: refused, by name' '
	mkdir "$CORRAL_CONFDIR/103.conf" &&
	test_must_fail syncd --once 2>once.err &&
	refused 103 "'"'"'$CORRAL_CONFDIR/103.conf'"'"' is a directory, not a config file" &&
	test -z "$(objects_of 103)" &&
	rmdir "$CORRAL_CONFDIR/103.conf"
'

# --- path traversal -------------------------------------------------------------------

test_expect_success 'path traversal in snapshot names, keys and CT ids: pct refuses' '
	for verb in snapshot delsnapshot rollback; do
		test_must_fail pct $verb 100 ../../etc/x 2>err &&
		grep -q "snapname: invalid format - invalid configuration ID '"'"'../../etc/x'"'"'" err ||
		exit 1
	done &&
	test_must_fail pct set 100 --delete ../x 2>err &&
	grep -q "invalid configuration ID '"'"'../x'"'"'" err &&
	test_must_fail pct config ../../etc 2>err &&
	grep -q "vmid: type check ('"'"'integer'"'"') failed - got '"'"'../../etc'"'"'" err &&
	test_must_fail pct set 100 --rootfs "local:../../etc/passwd,size=1G" 2>err &&
	grep -q "local:../../etc/passwd contains illegal character sequences" err &&
	test_must_fail pct set 100 --mp0 "$BINDS/../../etc,mp=/x" 2>err &&
	grep -q "contains illegal character sequences" err &&
	test_must_fail pct set 100 --mp0 "$BINDS/data,mp=/../../etc" 2>err &&
	grep -q "mp0.mp: invalid format - /../../etc contains illegal character sequences" err &&
	! grep -q "^mp0" "$CORRAL_CONFDIR/100.conf"
'

rm -f "$CORRAL_CONFDIR/102.conf" "$CORRAL_CONFDIR/101.conf"
rmdir "$CORRAL_CONFDIR/103.conf" 2>/dev/null
test_expect_success 'path traversal in a file: the agent names file and line, keeps the last good state' '
	ct_conf 104 &&
	syncd --once 2>once.err &&
	for bad in "[../../etc/passwd]" "../etc/x: y" "parent: ../../etc" \
		"rootfs: local:../../etc/passwd,size=1G" "mp0: $BINDS/../../etc,mp=/x" \
		"mp0: $BINDS/data,mp=/../../etc"; do
		ct_conf 104 "memory: 2048" "$bad" &&
		test_must_fail syncd --once 2>once.err &&
		line=$(grep -nF -- "$bad" "$CORRAL_CONFDIR/104.conf" | cut -d: -f1) &&
		refused 104 "$CORRAL_CONFDIR/104.conf:$line:" &&
		grep -qF "CT 104: $CORRAL_CONFDIR/104.conf:$line:" once.err &&
		fake_api GET $STS/ct-104 >sts.json && jsonq_is sts.json "$MEM" 512Mi || {
			echo "with: $bad"; exit 1; }
	done &&
	ct_conf 104 && syncd --once 2>once.err
'

# --- bind mounts ----------------------------------------------------------------------

test_expect_success 'bind mounts of /, /etc, /var (and /usr, /proc, /dev ...) are refused' '
	for src in / /etc /var /etc/ /usr /boot /proc /sys /dev /run /root-not-listed; do
		ct_conf 105 "mp0: $src,mp=/mnt/x" &&
		test_must_fail syncd --once 2>once.err &&
		case $src in
		/root-not-listed) refused 105 "mp0: bind mount source '"'"'$src'"'"' is outside the allowed roots (bind-mount-roots in corral.conf)" ;;
		*) refused 105 "mp0: bind mount of '"'"'$src'"'"' is not allowed" ;;
		esac &&
		grep -qF "CT 105: refused: mp0: " once.err &&
		test -z "$(objects_of 105)" || { echo "with: $src"; exit 1; }
	done
'

test_expect_success 'a bind mount source through a symlink is refused, even below a root' '
	ct_conf 105 "mp0: $BINDS/link/sub,mp=/mnt/x" &&
	test_must_fail syncd --once 2>once.err &&
	refused 105 "mp0: bind mount source '"'"'$BINDS/link/sub'"'"' contains a symlink ('"'"'$BINDS/link'"'"')" &&
	ct_conf 105 "mp0: $BINDS/root/etc,mp=/mnt/x" &&
	test_must_fail syncd --once 2>once.err &&
	refused 105 "contains a symlink ('"'"'$BINDS/root'"'"')" &&
	test -z "$(objects_of 105)"
'

test_expect_success 'a bind mount below a root, without symlinks, is allowed' '
	ct_conf 105 "mp0: $BINDS/data,mp=/mnt/x" &&
	syncd --once 2>once.err &&
	test -z "$(status_error 105)" &&
	fake_api GET $STS/ct-105 >sts.json &&
	jsonq_is sts.json "[v[\"hostPath\"][\"path\"] for v in d[\"spec\"][\"template\"][\"spec\"][\"volumes\"] if \"hostPath\" in v]" "[\"$BINDS/data\"]"
'

rm -f "$CORRAL_CONFDIR/105.conf"

# --- privileged CTs -------------------------------------------------------------------

test_expect_success 'a privileged CT while corral.conf forbids them: refused, nothing created' '
	ct_conf 106 "unprivileged: 0" &&
	sed -i "/^unprivileged: 1$/d" "$CORRAL_CONFDIR/106.conf" &&
	test_must_fail syncd --once 2>once.err &&
	grep -qF "CT 106: refused: privileged CTs" once.err &&
	refused 106 "privileged CTs (unprivileged: 0) are not allowed by corral.conf (allow-privileged = false)" &&
	test -z "$(objects_of 106)" &&
	! fake_ctl GET /_fake/objects | grep -q "\"privileged\": *true"
'

test_expect_success 'an existing CT made privileged: refused, the unprivileged objects stay' '
	ct_conf 107 &&
	syncd --once 2>/dev/null;
	test -n "$(objects_of 107)" &&
	sed -i "s/^unprivileged: 1$/unprivileged: 0/" "$CORRAL_CONFDIR/107.conf" &&
	test_must_fail syncd --once 2>once.err &&
	refused 107 "privileged CTs (unprivileged: 0) are not allowed" &&
	fake_api GET $STS/ct-107 >sts.json &&
	jsonq_is sts.json "d[\"spec\"][\"template\"][\"spec\"][\"containers\"][0].get(\"securityContext\", {}).get(\"privileged\", False)" false
'
rm -f "$CORRAL_CONFDIR/106.conf" "$CORRAL_CONFDIR/107.conf"

# --- the API server's certificate -----------------------------------------------------

test_expect_success 'a kubeconfig with insecure-skip-tls-verify: it works, and it is warned about' '
	settings "$TRASH/kc-insecure" >insecure.conf &&
	syncd --once --config insecure.conf 2>once.err &&
	grep -qx "corral-syncd: warning: $TRASH/kc-insecure: insecure-skip-tls-verify is set; the API server'"'"'s certificate is not checked" once.err &&
	syncd --once 2>once.err &&
	! grep -q insecure once.err
'

# --- credentials ----------------------------------------------------------------------

test_expect_success 'credentials never in logs, status files or pct output' '
	pw="Corral-T9600-pw-$$" &&
	echo "$pw" | pct create 110 alpine --password --unprivileged 0 >pct.out 2>&1 &&
	hash=$(cat "$CORRAL_STATEDIR/ct/110/password") &&
	test -n "$hash" &&
	key=$(sed -n "s/^ *client-key-data: //p" kc-cert) &&
	keypem=$(echo "$key" | base64 -d | sed -n 2p) &&
	test -n "$keypem" &&
	settings "$TRASH/kc-cert" true >cert.conf &&
	settings "$TRASH/kc" true >priv.conf &&
	syncd --once --debug --config cert.conf 2>>pct.out &&
	syncd --once --debug --config priv.conf 2>>pct.out &&
	agent_start --debug --config priv.conf &&
	wait_log "connected to" &&
	set_power 110 running &&
	wait_for "fake_api GET /api/v1/namespaces/default/pods/ct-110-0 >/dev/null && test \$(fake_status) = 200" &&
	cat "$CORRAL_RUNDIR/syncd.heartbeat" >>pct.out &&
	agent_stop &&
	cat "$AGENT_LOG" >>pct.out &&
	for v in config status pending; do pct $v 110 >>pct.out 2>&1; done &&
	pct list >>pct.out 2>&1 &&
	pct config 110 --output-format json >>pct.out 2>&1 &&
	settings "$TRASH/kc-wrong" >wrong.conf &&
	sed "s/token: .*/token: not-$FAKE_TOKEN-either/" kc >kc-wrong &&
	test_must_fail syncd --once --debug --config wrong.conf 2>>pct.out &&
	grep -q "unauthorized" pct.out &&
	cat "$CORRAL_RUNDIR"/ct/*.status >>pct.out &&
	fake_api GET /api/v1/namespaces/default/secrets/ct-110-secrets >secret.json &&
	test "$(fake_status)" = 200 &&
	test "$(jsonq_raw secret.json "d[\"data\"][\"password\"]" | base64 -d)" = "$hash" &&
	for s in "$pw" "$hash" "$FAKE_TOKEN" "$key" "$keypem"; do
		if grep -qF -- "$s" pct.out; then
			echo "leaked: $(echo "$s" | cut -c1-12)..."
			exit 1
		fi
	done
'

test_done

# agent-lib.sh: run corral-syncd against the fake API server from a shell test.
#
#   . "$(dirname "$0")/../cli/test-lib.sh"
#   . "$top_srcdir/tests/sync/fake-lib.sh"
#   . "$top_srcdir/tests/sync/agent-lib.sh"
#   fake_start || exit 1          # at the top level
#   syncd_config                  # corral.conf for the fake (small timeouts)
#   syncd_start || exit 1         # at the top level too: the agent outlives test bodies
#   ...
#   syncd_stop                    # also done at exit
#
# syncd_config takes extra corral.conf lines as its argument. The agent
# logs to $TRASH/syncd.log; SYNCD_PID is its pid.

SYNCD=${SYNCD:-$top_builddir/sync/corral-syncd}
SYNCD_PID=
NS=/api/v1/namespaces/default
APPS=/apis/apps/v1/namespaces/default
SNAPS=/apis/snapshot.storage.k8s.io/v1/namespaces/default

trap 'syncd_stop; fake_stop; test_cleanup' EXIT

# syncd_config [TEXT]: corral.conf for the last fake started, plus TEXT
syncd_config () {
	fake_kubeconfig "$TRASH/kubeconfig" token
	{
		cat <<-EOF
		output = "kube"
		kubeconfig = "$TRASH/kubeconfig"
		namespace = "default"
		resync-interval = ${SYNCD_RESYNC:-300}
		debounce-ms = 20
		request-timeout = 10
		wait-timeout = ${SYNCD_WAIT_TIMEOUT:-120}
		snapshot-timeout = ${SYNCD_SNAPSHOT_TIMEOUT:-5}
		storage local {
			storage-class = "standard"
			snapshot-class = "fake-snapclass"
		}
		EOF
		printf '%s\n' "${1:-}"
	} >"$CORRAL_CONFIG"
}

# syncd_start [ARGS]: start the agent and wait for its heartbeat
syncd_start () {
	rm -f "$CORRAL_RUNDIR/syncd.heartbeat"
	"$SYNCD" --debug "$@" >>"$TRASH/syncd.log" 2>&1 &
	SYNCD_PID=$!
	wait_for 60 test -s "$CORRAL_RUNDIR/syncd.heartbeat" || {
		echo "corral-syncd did not start:" >&2
		cat "$TRASH/syncd.log" >&2
		return 1
	}
}

# syncd_stop: stop the agent started by syncd_start (by pid)
syncd_stop () {
	if [ -n "$SYNCD_PID" ]; then
		kill "$SYNCD_PID" 2>/dev/null
		wait "$SYNCD_PID" 2>/dev/null
		SYNCD_PID=
	fi
}

# wait_for SECONDS COMMAND...: poll COMMAND until it succeeds, or fail
wait_for () {
	_wf_end=$(( $(date +%s) + $1 ))
	shift
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$_wf_end" ]; then
			echo "timed out waiting for: $*"
			return 1
		fi
		sleep 0.1
	done
}

# ct_new VMID: a small stopped CT with an image
ct_new () {
	basic_ct "$1" &&
	echo "ostemplate: docker.io/library/debian:bookworm" >>"$CORRAL_CONFDIR/$1.conf"
}

# status_is VMID STATUS: the agent reports STATUS for the CT
status_is () {
	test "$(pct status "$1" 2>/dev/null)" = "status: $2"
}

# kget PATH FILE: GET an object of the fake into FILE (fails unless 200)
kget () {
	fake_api GET "$1" >"$2" && test "$(fake_status)" = 200
}

# kgone PATH: the object does not exist
kgone () {
	fake_api GET "$1" >/dev/null && test "$(fake_status)" = 404
}

# json_is FILE EXPR EXPECTED
json_is () {
	_ji_got=$(json_eval "$1" "$2") || return 1
	if [ "$_ji_got" != "$3" ]; then
		echo "$2: expected '$3', got '$_ji_got'"
		return 1
	fi
}

# pod_uid VMID: the uid of the CT's pod
pod_uid () {
	kget "$NS/pods/ct-$1-0" "$TRASH/.pod" && json_eval "$TRASH/.pod" 'd["metadata"]["uid"]'
}

# pod_has VMID EXPR EXPECTED: the CT's pod, EXPR on it (json_eval) gives EXPECTED
pod_has () {
	kget "$NS/pods/ct-$1-0" "$TRASH/.podhas" && json_is "$TRASH/.podhas" "$2" "$3"
}

# replicas VMID: spec.replicas of the CT's StatefulSet
replicas () {
	kget "$APPS/statefulsets/ct-$1" "$TRASH/.sts" && json_eval "$TRASH/.sts" 'd["spec"]["replicas"]'
}

# grace_of_last_pod_delete VMID: gracePeriodSeconds of the last DELETE of its pod
grace_of_last_pod_delete () {
	fake_ctl GET /_fake/log | "$PYTHON" -S -c 'import json, sys
d = [e for e in json.load(sys.stdin)["requests"]
     if e["method"] == "DELETE" and e["path"].endswith("/pods/ct-%s-0" % sys.argv[1])]
b = d[-1].get("body") if d else None
print(b.get("gracePeriodSeconds", "none") if isinstance(b, dict) else "none")' "$1"
}

# section FILE NAME: the lines of section [NAME] ("main" for the main one)
section () {
	awk -v want="$2" '
		/^\[/ { cur = substr($0, 2, length($0) - 2); next }
		{ if (cur == "" && want == "main" || cur == want) print }' "$1"
}

# agent_log_has REGEX: the agent logged a matching line
agent_log_has () {
	grep -q "$1" "$TRASH/syncd.log"
}

# kube-lib.sh: tests against the real one-node cluster of tests/kube/run.sh.
#
#   . "$(dirname "$0")/../cli/test-lib.sh"
#   . "$top_srcdir/tests/kube/kube-lib.sh"
#   kube_setup [CORRAL.CONF LINES] || exit 1    # at the top level
#   test_expect_success '...' '
#       ct_create 100 --unprivileged 1 && pct start 100 && in_ct 100 true
#   '
#   test_done
#
# KUBE_CLUSTER names the cluster's directory (tests/kube/cluster.sh); the
# script runs inside its namespaces (run.sh runs every test through
# `cluster.sh run`). Without it the script skips, saying why.
#
# Each script gets a Kubernetes namespace of its own (labelled corral-test=1),
# a corral.conf that points corral-syncd at it, and its own agent, so the
# scripts run in parallel; at exit the agent is stopped and the namespace
# deleted, and the script waits until the namespace, its pods and their
# volumes are gone.
#
#   kc ARGS...              kubectl on the test's namespace
#   ct_create VMID [OPTS]   pct create VMID from the test image (Debian 12)
#   in_ct VMID CMD...       pct exec VMID -- CMD...
#   status_is VMID STATUS   pct status says STATUS
#   pod_field VMID JSONPATH the CT's pod, a kubectl jsonpath of it
#   pod_uid VMID            the uid of the CT's pod (empty: none)
#   pvc_of VOLID            the PVC name of a volume id (local:vm-100-disk-0)
#   pv_of VOLID             the PersistentVolume bound to that PVC
#   mounted PV              a mount of that PV exists on the node
#   volume_released PV      not mounted, and never deleted while in use
#   kube_events             the namespace's events, one line each (for messages)
#   kube_agent_restart      the agent again, with corral.conf as it now is
#
# Cluster-scoped objects a script creates go into KUBE_CLUSTER_OBJECTS
# (KIND/NAME ...): deleted at exit.
#
# wait_for 'COMMANDS' [SECONDS] and the agent helpers come from
# tests/sync/syncd-lib.sh.

if [ -z "${KUBE_CLUSTER:-}" ] || [ ! -f "$KUBE_CLUSTER/cluster.env" ]; then
	echo "1..0 # SKIP no real cluster (run through tests/kube/run.sh)"
	exit 0
fi
# shellcheck disable=SC1091
. "$KUBE_CLUSTER/cluster.env"
export KUBECONFIG

. "$top_srcdir/tests/sync/syncd-lib.sh"

KUBE_IMAGE=localhost/corral-test/debian:12
KUBE_TEMPLATE=local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst
# the namespace: the script's name and pid, a DNS label
KNS=$(printf '%s-%s' "$TEST_NAME" "$$" | tr 'A-Z_.' 'a-z--' | cut -c1-63)

kc () {
	kubectl --kubeconfig="$KUBECONFIG" --namespace="$KNS" "$@"
}

# kube_has_kubectl: pct exec, enter, push and pull need the machine's kubectl
kube_has_kubectl () {
	command -v kubectl >/dev/null 2>&1
}

kube_prestart_image () {
	awk '$1 == "prestart.oci.tar" {print $2 ":" $3}' "$KUBE_IMAGES/images.list"
}

# kube_setup [TEXT]: namespace, corral.conf (plus TEXT), agent
kube_setup () {
	kube_has_kubectl || {
		echo "kubectl is needed for the real-cluster tests" >&2
		return 1
	}
	kc create namespace "$KNS" >/dev/null &&
	kubectl --kubeconfig="$KUBECONFIG" label namespace "$KNS" corral-test=1 >/dev/null || return 1
	_ks_class=csi-hostpath _ks_snap=csi-hostpath-snapclass
	if [ "$CSI" = no ]; then
		_ks_class=hostpath _ks_snap=
	fi
	cat >"$CORRAL_CONFIG" <<-EOF
	output = "kube"
	kubeconfig = "$KUBECONFIG"
	namespace = "$KNS"
	allow-privileged = true
	prestart-image = "$(kube_prestart_image)"
	debounce-ms = 20
	wait-timeout = ${KUBE_WAIT_TIMEOUT:-180}
	snapshot-timeout = ${KUBE_SNAPSHOT_TIMEOUT:-180}
	storage local {
		storage-class = "$_ks_class"
		snapshot-class = "$_ks_snap"
	}
	storage local-lvm {
		storage-class = "$_ks_class"
		snapshot-class = "$_ks_snap"
	}
	template "$KUBE_TEMPLATE" {
		image = "$KUBE_IMAGE"
	}
	EOF
	printf '%s\n' "${1:-}" >>"$CORRAL_CONFIG"
	agent_start --debug
	wait_for "test -s '$CORRAL_RUNDIR/syncd.heartbeat'" 60 || return 1
	wait_log "connected to" 1 60
}

# kube_agent_restart: stop the agent, start it again with corral.conf as it now
# is, and wait until pct sees it alive (its first heartbeat) and it is connected
kube_agent_restart () {
	agent_stop &&
	rm -f "$CORRAL_RUNDIR/syncd.heartbeat" &&
	agent_start --debug &&
	wait_for "test -s '$CORRAL_RUNDIR/syncd.heartbeat'" 60 &&
	wait_log "connected to" 1 60
}

# the namespace goes at exit, after the agent; wait until it is gone (its
# pods stopped, its volumes unmounted and deleted)
kube_cleanup () {
	_kc_rc=$?
	syncd_cleanup_agent
	tmux -S "$TMUX_SOCKET" kill-server >/dev/null 2>&1 || true
	# cluster-scoped objects a test made (KIND/NAME ...): no namespace takes them along
	for _kc_o in ${KUBE_CLUSTER_OBJECTS:-}; do
		kubectl --kubeconfig="$KUBECONFIG" delete "$_kc_o" --ignore-not-found >/dev/null 2>&1 || true
	done
	if [ -n "${KNS:-}" ]; then
		kubectl --kubeconfig="$KUBECONFIG" delete namespace "$KNS" --wait=false \
			>/dev/null 2>&1 || true
		_kc_end=$(($(date +%s) + 300))
		while kubectl --kubeconfig="$KUBECONFIG" get namespace "$KNS" >/dev/null 2>&1; do
			if [ "$(date +%s)" -ge "$_kc_end" ]; then
				echo "# namespace $KNS still there 300 s after its deletion"
				break
			fi
			sleep 1
		done
	fi
	test_cleanup
	return $_kc_rc
}

syncd_cleanup_agent () {
	_sc_pid=$(agent_pid)
	if [ -n "$_sc_pid" ]; then
		kill -TERM "$_sc_pid" 2>/dev/null
		_sc_n=0
		while kill -0 "$_sc_pid" 2>/dev/null && [ $_sc_n -lt 200 ]; do
			_sc_n=$((_sc_n + 1))
			sleep 0.05
		done
		kill -KILL "$_sc_pid" 2>/dev/null
	fi
	return 0
}
trap 'kube_cleanup' EXIT

# ct_create VMID [OPTIONS]: pct create from the test image, 1 GiB rootfs
ct_create () {
	_cc_id=$1
	shift
	pct create "$_cc_id" "$KUBE_TEMPLATE" --rootfs local:1 --hostname "ct$_cc_id" "$@"
}

in_ct () {
	_ic_id=$1
	shift
	pct exec "$_ic_id" -- "$@"
}

status_is () {
	test "$(pct status "$1" 2>/dev/null)" = "status: $2"
}

pod_field () {
	kc get pod "ct-$1-0" -o jsonpath="$2" 2>/dev/null
}

# meta_of KIND NAME labels|annotations KEY: a label or annotation of an object
# (read as JSON: a jsonpath would need its dots escaped through two evals)
meta_of () {
	kc get "$1" "$2" -o json | "${PYTHON:-python3}" -c 'import json, sys
print(json.load(sys.stdin)["metadata"].get(sys.argv[1], {}).get(sys.argv[2], ""))' "$3" "$4"
}

pod_uid () {
	pod_field "$1" '{.metadata.uid}'
}

pvc_of () {
	# local:vm-100-disk-0 -> local-vm-100-disk-0 (doc/architecture.md)
	printf '%s\n' "$1" | tr ':' '-'
}

pv_of () {
	kc get pvc "$(pvc_of "$1")" -o jsonpath='{.spec.volumeName}' 2>/dev/null
}

# volid VMID KEY: the volume id of a rootfs or mount point in the CT's file
volid () {
	pct config "$1" | sed -n "s/^$2: \\([^,]*\\).*/\\1/p"
}

# mounted PV: the node has a mount of PV (the test runs in the cluster's mount namespace)
mounted () {
	[ -n "$1" ] && grep -q "/$1/" /proc/self/mountinfo
}

# volume_released PV: PV is not mounted on the node, and the CSI driver never
# saw it deleted while it was still in use
volume_released () {
	if mounted "$1"; then
		echo "$1 is still mounted:"
		grep "/$1/" /proc/self/mountinfo
		return 1
	fi
	if kube_node_log_has csi-hostpath "$1.*still used"; then
		echo "$1 was deleted while still in use:"
		grep -E "$1.*still used" "$KUBE_CLUSTER/log/csi-hostpath.log"
		return 1
	fi
}

kube_events () {
	kc get events -o jsonpath='{range .items[*]}{.involvedObject.kind}/{.involvedObject.name} {.reason}: {.message}{"\n"}{end}'
}

# kube_node_log_has COMPONENT REGEX: a cluster component's log has a line matching REGEX
kube_node_log_has () {
	grep -q -E -e "$2" "$KUBE_CLUSTER/log/$1.log"
}

# tmux_session NAME COMMAND: COMMAND in a detached tmux session of the test's own
# server (pct is $PCT there: the test's pct function is not a command)
TMUX_SOCKET=$TRASH/tmux.sock
tmux_session () {
	tmux -S "$TMUX_SOCKET" new-session -d -s "$1" -x 200 -y 50 "$2"
}
tmux_send () {
	tmux -S "$TMUX_SOCKET" send-keys -t "$1" "$2" Enter
}
tmux_screen () {
	tmux -S "$TMUX_SOCKET" capture-pane -p -t "$1"
}

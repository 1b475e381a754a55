#!/bin/sh
# Real-node figures: how long a CT takes to come up on the one-node cluster of
# tests/kube (v1.31.2, containerd 2, the CSI hostpath driver), beside the
# cluster's own floor, a bare pod with the same image. As root:
#
#   make bench-kube                 (from a configured build directory)
#   bench/bench-kube.sh [RUNS]      (BUILDDIR= the build; default 5 runs)
#
# Rows, each the median, min and max of RUNS runs, the pct and floor runs
# taken in turn (A B A B ...) so that a machine whose speed drifts moves both:
#
#   bare pod + PVC, apply -> Ready    the floor of a create: kubectl apply of a pod with
#                                     the CT image and a new 1 GiB PVC, until Ready (the
#                                     scheduler retries the pod once the PVC is bound, after
#                                     its back-off; corral-syncd creates the pod only then)
#   pct create + start -> running     pct create (rootfs 1 GiB) and pct start, until
#                                     pct start returns (the agent reports the pod ready)
#   bare pod, apply -> Ready          the floor of a start: the same pod again, its PVC
#                                     bound already
#   pct start -> running              a stopped CT
#   bare pod, delete + apply -> Ready the floor of a reboot: the pod deleted, a new one Ready
#   pct reboot -> running again       until pct reboot returns with the new pod ready
#   kubectl exec -- true              the floor of an exec
#   pct exec -- true                  pct's exec round trip
#
# The cluster is started for the run and stopped at the end (tests/kube/cluster.sh).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${BUILDDIR:-$src}" && pwd)
runs=${1:-5}
export PCT=$build/pct/pct SYNCD=$build/sync/corral-syncd

if [ -z "${BENCH_KUBE_INSIDE:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "bench-kube: needs root" >&2; exit 1; }
	(cd "$build" && ${MAKE:-make} -s image)
	images=$build/kube-images
	"$src/tests/kube/images.sh" "$images" "$(ls "$build"/corral-prestart-*.oci.tar | tail -n 1)"
	cluster=$build/kube-cluster-bench
	[ ! -f "$cluster/cluster.env" ] || "$src/tests/kube/cluster.sh" down "$cluster"
	rm -rf "$cluster"
	trap '"$src/tests/kube/cluster.sh" down "$cluster"' EXIT
	trap 'exit 1' INT TERM
	KUBE_IMAGES=$images KUBE_BINCACHE=$build/kube-bin "$src/tests/kube/cluster.sh" up "$cluster"
	"$src/tests/kube/cluster.sh" run "$cluster" env BENCH_KUBE_INSIDE=1 KUBE_CLUSTER="$cluster" \
		KUBE_IMAGES="$images" BUILDDIR="$build" sh "$0" "$runs"
	exit $?
fi

# ---- inside the cluster's namespaces ----
. "$KUBE_CLUSTER/cluster.env"
export KUBECONFIG
work=$(mktemp -d "${TMPDIR:-/tmp}/corral-bench-kube.XXXXXX")
ns=bench-$$
kc () { kubectl --kubeconfig="$KUBECONFIG" -n "$ns" "$@"; }
syncd_pid=
cleanup () {
	[ -z "$syncd_pid" ] || kill "$syncd_pid" 2>/dev/null || true
	kubectl --kubeconfig="$KUBECONFIG" delete namespace "$ns" --wait=true --timeout=300s >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
export CORRAL_CONFDIR=$work/ct CORRAL_LOCKDIR=$work/lock CORRAL_STATEDIR=$work/state
export CORRAL_RUNDIR=$work/run CORRAL_CONFIG=$work/corral.conf
mkdir -p "$CORRAL_CONFDIR" "$CORRAL_STATEDIR" "$CORRAL_RUNDIR/ct"
image=localhost/corral-test/debian:12
cat >"$CORRAL_CONFIG" <<EOF
output = "kube"
kubeconfig = "$KUBECONFIG"
namespace = "$ns"
debounce-ms = 20
wait-timeout = 300
storage local {
	storage-class = "csi-hostpath"
}
EOF
kubectl --kubeconfig="$KUBECONFIG" create namespace "$ns" >/dev/null
"$SYNCD" >"$work/syncd.log" 2>&1 &
syncd_pid=$!
while [ ! -s "$CORRAL_RUNDIR/syncd.heartbeat" ]; do sleep 0.1; done

now () { date +%s.%N; }
# secs COMMAND...: the command's wall time in seconds; fails with it
secs () {
	_t0=$(now)
	"$@" >>"$work/out.log" 2>&1 || { echo "bench-kube: failed: $*" >&2; tail -n 20 "$work/out.log" >&2; return 1; }
	echo "$(now) $_t0" | awk '{printf "%.3f\n", $1 - $2}'
}
# stats NAME FILE: median, min, max of FILE's numbers, as a row
stats () {
	sort -n "$2" | awk -v name="$1" '{v[NR] = $1}
		END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		     printf "%-44s | %8.2f | %8.2f | %8.2f | s\n", name, m, v[1], v[NR]}'
}

bare_pod () { # NAME: a pod like a CT's (same image, a 1 GiB PVC of the same class), until Ready
	cat <<EOF | kc apply -f - >/dev/null
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: $1}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: csi-hostpath
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: ct
    image: $image
    command: ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 86400 & wait \$!; done"]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: $1}}]
EOF
	kc wait --for=condition=Ready "pod/$1" --timeout=300s
}

bare_reboot () { # NAME: delete the pod, create it again, until Ready
	kc delete pod "$1" --wait=true >/dev/null &&
	bare_pod "$1"
}

create_start () { # VMID
	"$PCT" create "$1" "$image" --rootfs local:1 --unprivileged 1 && "$PCT" start "$1"
}

# ready VMID [OLD-UID]: pct returned with the CT's pod really ready (and a new one)
ready () {
	_r=$(kc get pod "ct-$1-0" -o jsonpath='{.metadata.uid} {.status.containerStatuses[?(@.name=="ct")].ready}') &&
	case "$_r" in
	"${2:-none} "*) echo "bench-kube: CT $1: still the old pod" >&2; return 1 ;;
	*" true") ;;
	*) echo "bench-kube: CT $1: pct returned, but its pod is not ready ($_r)" >&2; return 1 ;;
	esac
}

: >"$work/floor-create" ; : >"$work/pct-create"; : >"$work/floor-start"
: >"$work/pct-start"; : >"$work/floor-reboot"; : >"$work/pct-reboot"
i=0
while [ $i -lt "$runs" ]; do
	id=$((200 + i))
	secs bare_pod "floor-$i" >>"$work/floor-create"
	secs create_start $id >>"$work/pct-create"
	ready $id
	kc delete pod "floor-$i" --wait=true >/dev/null
	"$PCT" stop $id >/dev/null
	secs bare_pod "floor-$i" >>"$work/floor-start"
	secs "$PCT" start $id >>"$work/pct-start"
	ready $id
	secs bare_reboot "floor-$i" >>"$work/floor-reboot"
	uid=$(kc get pod "ct-$id-0" -o jsonpath='{.metadata.uid}')
	secs "$PCT" reboot $id >>"$work/pct-reboot"
	ready $id "$uid"
	i=$((i + 1))
done

echo "# real node: Kubernetes $(kubectl --kubeconfig="$KUBECONFIG" version -o json 2>/dev/null |
	sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -n 1), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $runs runs"
printf '%-44s | %8s | %8s | %8s | %s\n' benchmark median min max unit
stats "bare pod + PVC, apply -> Ready (floor)" "$work/floor-create"
stats "pct create + start -> running" "$work/pct-create"
stats "bare pod, PVC bound, apply -> Ready (floor)" "$work/floor-start"
stats "pct start -> running" "$work/pct-start"
stats "bare pod, delete + apply -> Ready (floor)" "$work/floor-reboot"
stats "pct reboot -> running again" "$work/pct-reboot"

# the exec round trip: farm-bench when the machine has it, pairs of runs otherwise
if command -v farm-bench >/dev/null 2>&1; then
	farm-bench -n 20 --vs "kubectl --kubeconfig=$KUBECONFIG -n $ns exec ct-200-0 -c ct -- true" \
		-- "$PCT" exec 200 -- true
else
	: >"$work/floor-exec"; : >"$work/pct-exec"
	i=0
	while [ $i -lt 20 ]; do
		secs kc exec ct-200-0 -c ct -- true >>"$work/floor-exec"
		secs "$PCT" exec 200 -- true >>"$work/pct-exec"
		i=$((i + 1))
	done
	stats "kubectl exec -- true (floor)" "$work/floor-exec"
	stats "pct exec -- true" "$work/pct-exec"
fi

#!/bin/bash
# cluster.sh: a real one-node Kubernetes for the tests, inside a network
# namespace of its own, from the binaries in ../shared/kube (see its README).
#
#   cluster.sh up DIR [--version v1.31.2|v1.28.7] [--no-csi]
#   cluster.sh down DIR
#   cluster.sh run DIR COMMAND...      COMMAND inside the cluster's namespaces
#   cluster.sh stop|start|restart DIR COMPONENT
#                                      one of apiserver, kubelet, containerd,
#                                      controller-manager, scheduler (the pods
#                                      stay as they are)
#
# Everything lives in DIR: certificates, etcd's data, containerd's root and
# state, the kubelet's root, pod logs, the CSI driver's volumes, logs of every
# component (DIR/log/) and their pids (DIR/pid/). The cluster runs in a
# network namespace (no route, no NAT: nothing leaves it) and in a mount
# namespace of its own (every mount the kubelet, containerd and the CSI driver
# make vanishes with it). The processes are found again by the pid files and by
# the cgroup DIR/cgroup names, into which everything is started; `down` kills
# them all, removes the cgroups and the network namespace, and leaves nothing
# behind but DIR.
#
# Environment: KUBE_BINARIES (default ../shared/kube next to the checkout),
# KUBE_IMAGES (a directory of OCI archives to import: *.oci.tar), KUBE_BINCACHE
# (where unpacked binaries are kept between runs, default DIR/bin).
set -euo pipefail

die () { echo "cluster.sh: $*" >&2; exit 1; }
say () { echo "cluster.sh: $*" >&2; }

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

cmd=${1:-}; shift || true
[ -n "$cmd" ] || die "usage: cluster.sh up|down|run|restart DIR ..."
DIR=${1:-}; shift || true
[ -n "$DIR" ] || die "no directory given"
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

# ---- what a cluster is made of ----
NODE=corral-node
NODE_IP=10.231.0.1
POD_CIDR=10.232.0.0/16
SERVICE_CIDR=10.233.0.0/24
API=https://$NODE_IP:6443

load_env () {
	[ -f "$DIR/cluster.env" ] || die "$DIR is not a cluster directory (no cluster.env)"
	# shellcheck disable=SC1091
	. "$DIR/cluster.env"
}

# in_ns COMMAND...: run inside the cluster's network and mount namespaces
in_ns () {
	nsenter --target "$(cat "$DIR/pid/anchor")" --mount --net --wd="$PWD" -- "$@"
}

# ---- cgroups: every process of the cluster is started into DIR's cgroup ----
cgroup_controllers () {
	# v1 (hybrid) hierarchies, or the v2 unified one
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		echo /sys/fs/cgroup
	else
		for c in pids memory cpu cpuacct cpuset blkio devices freezer systemd unified hugetlb net_cls net_prio perf_event rdma misc; do
			[ -d "/sys/fs/cgroup/$c" ] && echo "/sys/fs/cgroup/$c"
		done
	fi
	return 0
}

cgroup_enter () { # cgroup_enter NAME [PID]: make NAME in every hierarchy, move PID there
	for h in $(cgroup_controllers); do
		path=$h
		for part in $(echo "$1" | tr / ' '); do
			parent=$path path=$path/$part
			[ -d "$path" ] && continue
			mkdir "$path"
			# a new v1 cpuset cgroup starts with no cpus and no mems
			if [ -f "$path/cpuset.cpus" ]; then
				cat "$parent/cpuset.cpus" >"$path/cpuset.cpus"
				cat "$parent/cpuset.mems" >"$path/cpuset.mems"
			fi
		done
		[ -z "${2:-}" ] || echo "$2" >"$path/cgroup.procs"
	done
}

# the pids of every process in the cluster's cgroups (all of them, recursively)
cgroup_pids () {
	for h in $(cgroup_controllers); do
		[ -d "$h/$CGROUP" ] || continue
		find "$h/$CGROUP" -name cgroup.procs -exec cat {} + 2>/dev/null
	done | sort -un
}

cgroup_remove () {
	for h in $(cgroup_controllers); do
		[ -d "$h/$CGROUP" ] || continue
		# deepest first
		find "$h/$CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}

# ---- starting the components ----
# start NAME COMMAND...: in the namespaces and the cgroup, logging to DIR/log/NAME.log
start () {
	name=$1; shift
	(
		cgroup_enter "$CGROUP/daemons" "$BASHPID"
		exec nsenter --target "$(cat "$DIR/pid/anchor")" --mount --net -- "$@"
	) >>"$DIR/log/$name.log" 2>&1 </dev/null &
	echo $! >"$DIR/pid/$name"
}

stop_component () { # stop_component NAME [SIGNAL]
	[ -f "$DIR/pid/$1" ] || return 0
	p=$(cat "$DIR/pid/$1")
	kill "-${2:-TERM}" "$p" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null || true
	while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
	rm -f "$DIR/pid/$1"
}

# wait_until SECONDS WHAT COMMAND...
wait_until () {
	secs=$1 what=$2; shift 2
	end=$(($(date +%s) + secs))
	until "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$end" ]; then
			say "timed out after ${secs}s waiting for $what"
			return 1
		fi
		sleep 0.2
	done
}

kc () { in_ns "$DIR/kubectl-shim" "$@"; }

unpack () {
	src=$KUBE_BINARIES/$1
	mkdir -p "$BIN"
	for f in "$src"/*.xz; do
		n=$(basename "$f" .xz)
		want=$(awk -v n="$n" '$2 == n || $2 == "*"n {print $1}' "$src/SHA256SUMS")
		if [ -x "$BIN/$n" ] && [ -n "$want" ] &&
		   [ "$(sha256sum "$BIN/$n" | cut -d" " -f1)" = "$want" ]; then
			continue
		fi
		xz -dc "$f" >"$BIN/$n.tmp"
		chmod +x "$BIN/$n.tmp"
		if [ -n "$want" ] && [ "$(sha256sum "$BIN/$n.tmp" | cut -d" " -f1)" != "$want" ]; then
			die "$f does not match $src/SHA256SUMS"
		fi
		mv "$BIN/$n.tmp" "$BIN/$n"
	done
}

# ---- certificates ----
mkcert () { # mkcert NAME SUBJECT [SAN]
	openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$1.key" -out "$PKI/$1.csr" \
		-subj "$2" 2>/dev/null
	if [ -n "${3:-}" ]; then
		printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" >"$PKI/$1.ext"
	else
		printf 'extendedKeyUsage=clientAuth\n' >"$PKI/$1.ext"
	fi
	openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
		-CAcreateserial -days 30 -out "$PKI/$1.crt" -extfile "$PKI/$1.ext" 2>/dev/null
	rm -f "$PKI/$1.csr" "$PKI/$1.ext"
}

kubeconfig () { # kubeconfig NAME: DIR/NAME.kubeconfig with NAME's certificate
	cat >"$DIR/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: corral-test
  cluster:
    server: $API
    certificate-authority: $PKI/ca.crt
users:
- name: $1
  user:
    client-certificate: $PKI/$1.crt
    client-key: $PKI/$1.key
contexts:
- name: corral-test
  context: {cluster: corral-test, user: $1}
current-context: corral-test
EOF
}

make_pki () {
	mkdir -p "$PKI"
	[ -f "$PKI/ca.crt" ] && return 0
	openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.crt" \
		-days 30 -subj "/CN=corral-test-ca" 2>/dev/null
	mkcert apiserver "/CN=kube-apiserver" \
		"IP:$NODE_IP,IP:${SERVICE_CIDR%.0/24}.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:localhost,IP:127.0.0.1"
	mkcert kubelet-serving "/CN=$NODE" "IP:$NODE_IP,DNS:$NODE"
	mkcert admin "/O=system:masters/CN=corral-admin"
	mkcert apiserver-kubelet "/O=system:masters/CN=kube-apiserver-kubelet-client"
	mkcert kubelet "/O=system:nodes/CN=system:node:$NODE"
	mkcert controller-manager "/CN=system:kube-controller-manager"
	mkcert scheduler "/CN=system:kube-scheduler"
	openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
	openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
	for n in admin kubelet controller-manager scheduler; do kubeconfig $n; done
}

# ---- configuration files ----
write_configs () {
	mkdir -p "$DIR/etc/cni" "$DIR/etc/containerd"
	cat >"$DIR/etc/cni/10-corral.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "corral-test",
  "plugins": [{
    "type": "bridge",
    "bridge": "corral0",
    "isGateway": false,
    "ipMasq": false,
    "hairpinMode": true,
    "ipam": {
      "type": "host-local",
      "dataDir": "$DIR/cni-ipam",
      "ranges": [[{"subnet": "$POD_CIDR"}]]
    }
  }]
}
EOF
	if [ "$VERSION" = v1.28.7 ]; then
		# Debian 12's containerd 1.6 and runc
		cat >"$DIR/etc/containerd/config.toml" <<EOF
version = 2
root = "$DIR/containerd/root"
state = "$DIR/containerd/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.nri.v1.nri"]
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/corral-test/pause:1"
  restrict_oom_score_adj = true
  netns_mounts_under = "$DIR/netns"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$DIR/etc/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$RUNC"
        Root = "$DIR/runc"
        SystemdCgroup = false
EOF
	else
		cat >"$DIR/etc/containerd/config.toml" <<EOF
version = 3
root = "$DIR/containerd/root"
state = "$DIR/containerd/state"
disabled_plugins = ["io.containerd.nri.v1.nri"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins.'io.containerd.cri.v1.images']
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "localhost/corral-test/pause:1"
[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = true
  netns_mounts_under = "$DIR/netns"
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$DIR/etc/cni"
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      runtime_path = "$BIN/containerd-shim-runc-v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "$RUNC"
        Root = "$DIR/runc"
        SystemdCgroup = false
EOF
	fi
	userns=
	if [ "$VERSION" != v1.28.7 ]; then
		userns='featureGates:
  UserNamespacesSupport: true'
	fi
	cat >"$DIR/etc/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: AlwaysAllow}
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP/pods
failSwapOn: false
containerRuntimeEndpoint: unix://$SOCK
imageServiceEndpoint: unix://$SOCK
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
serializeImagePulls: false
resolvConf: $DIR/etc/resolv.conf
healthzPort: 0
readOnlyPort: 0
staticPodPath: ""
syncFrequency: 10s
fileCheckFrequency: 10s
nodeStatusUpdateFrequency: 4s
$userns
EOF
	# pods get a resolv.conf with no server reachable: nothing leaves the namespace
	printf 'nameserver 127.0.0.1\n' >"$DIR/etc/resolv.conf"
	cat >"$DIR/etc/csi-driver.yaml" <<EOF
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: hostpath.csi.k8s.io}
spec:
  attachRequired: false
  podInfoOnMount: true
  volumeLifecycleModes: [Persistent, Ephemeral]
  fsGroupPolicy: File
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: csi-hostpath
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: hostpath.csi.k8s.io
reclaimPolicy: Delete
volumeBindingMode: Immediate
allowVolumeExpansion: true
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata: {name: csi-hostpath-snapclass}
driver: hostpath.csi.k8s.io
deletionPolicy: Delete
EOF
	cat >"$DIR/etc/hostpath-sc.yaml" <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: hostpath
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
EOF
}

# ---- the components ----
start_etcd () {
	start etcd etcd --name corral-test --data-dir "$DIR/etcd" \
		--listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
		--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster corral-test=http://127.0.0.1:2380 --log-level warn
}

start_apiserver () {
	gates=
	[ "$VERSION" = v1.28.7 ] || gates=--feature-gates=UserNamespacesSupport=true
	start apiserver "$BIN/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
		--advertise-address="$NODE_IP" --bind-address="$NODE_IP" --secure-port=6443 \
		--service-cluster-ip-range="$SERVICE_CIDR" --allow-privileged=true \
		--authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
		--client-ca-file="$PKI/ca.crt" --tls-cert-file="$PKI/apiserver.crt" \
		--tls-private-key-file="$PKI/apiserver.key" \
		--kubelet-client-certificate="$PKI/apiserver-kubelet.crt" \
		--kubelet-client-key="$PKI/apiserver-kubelet.key" \
		--service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
		--service-account-issuer=https://kubernetes.default.svc \
		--kubelet-preferred-address-types=InternalIP \
		--endpoint-reconciler-type=none --profiling=false $gates
}

start_controllers () {
	if [ "$VERSION" = v1.28.7 ]; then
		ctrls='*,-nodeipam,-cloud-node-lifecycle,-service,-route'
	else
		ctrls='*,-node-ipam-controller,-cloud-node-lifecycle-controller,-service-lb-controller,-node-route-controller'
	fi
	hostpath=
	[ "$CSI" = yes ] || hostpath=--enable-hostpath-provisioner
	start controller-manager "$BIN/kube-controller-manager" \
		--kubeconfig="$DIR/controller-manager.kubeconfig" \
		--service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
		--use-service-account-credentials=true --controllers="$ctrls" \
		--leader-elect=false --profiling=false $hostpath
	start scheduler "$BIN/kube-scheduler" --kubeconfig="$DIR/scheduler.kubeconfig" \
		--leader-elect=false --profiling=false
}

start_containerd () {
	in_ns mkdir -p "$(dirname "$SOCK")"
	# containerd would make its parent 0700: a pod in a user namespace runs as
	# an unprivileged host uid, which must be able to reach its rootfs below
	# state/ (runc: "remount-private ... permission denied")
	mkdir -p "$DIR/containerd" && chmod 0755 "$DIR/containerd"
	start containerd "$CONTAINERD" --config "$DIR/etc/containerd/config.toml"
	wait_until 60 "containerd" in_ns "$CTR" --address "$SOCK" version
}

start_kubelet () {
	start kubelet "$BIN/kubelet" --config="$DIR/etc/kubelet.yaml" \
		--kubeconfig="$DIR/kubelet.kubeconfig" --root-dir="$KUBELET_ROOT" \
		--node-ip="$NODE_IP" --hostname-override="$NODE" --v=1
}

start_csi () {
	sock=$KUBELET_ROOT/plugins/csi-hostpath/csi.sock
	in_ns mkdir -p "$(dirname "$sock")"
	mkdir -p "$DIR/csi-state"
	start csi-hostpath "$BIN/hostpathplugin" --drivername=hostpath.csi.k8s.io \
		--endpoint="unix://$sock" --nodeid="$NODE" --statedir="$DIR/csi-state" --v=2
	wait_until 30 "the CSI socket" in_ns test -S "$sock"
	start csi-registrar "$BIN/csi-node-driver-registrar" --csi-address="$sock" \
		--kubelet-registration-path="$sock" \
		--plugin-registration-path="$KUBELET_ROOT/plugins_registry"
	start csi-provisioner "$BIN/csi-provisioner" --csi-address="$sock" \
		--kubeconfig="$DIR/admin.kubeconfig" --feature-gates=Topology=true \
		--extra-create-metadata --leader-election=false
	start csi-snapshotter "$BIN/csi-snapshotter" --csi-address="$sock" \
		--kubeconfig="$DIR/admin.kubeconfig" --leader-election=false
	start csi-resizer "$BIN/csi-resizer" --csi-address="$sock" \
		--kubeconfig="$DIR/admin.kubeconfig" --handle-volume-inuse-error=false \
		--leader-election=false
	start snapshot-controller "$BIN/snapshot-controller" --kubeconfig="$DIR/admin.kubeconfig" \
		--leader-election=false
}

import_images () {
	[ -n "${KUBE_IMAGES:-}" ] || return 0
	[ -f "$KUBE_IMAGES/images.list" ] || die "no $KUBE_IMAGES/images.list (tests/kube/images.sh)"
	while read -r archive name tag; do
		in_ns "$CTR" --address "$SOCK" -n k8s.io images import --base-name "$name" \
			"$KUBE_IMAGES/$archive" >/dev/null || die "cannot import $KUBE_IMAGES/$archive"
		refs=$(in_ns "$CTR" --address "$SOCK" -n k8s.io images ls -q)
		printf '%s\n' "$refs" | grep -qx "$name:$tag" ||
			die "importing $archive gave no image $name:$tag"
	done <"$KUBE_IMAGES/images.list"
}

node_ready () {
	[ "$(kc get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

csi_registered () {
	case " $(kc get csinode "$NODE" -o jsonpath='{.spec.drivers[*].name}') " in
	*" hostpath.csi.k8s.io "*) return 0 ;;
	*) return 1 ;;
	esac
}

crds_established () {
	for c in volumesnapshotclasses volumesnapshotcontents volumesnapshots; do
		[ "$(kc get crd "$c.snapshot.storage.k8s.io" \
			-o jsonpath='{.status.conditions[?(@.type=="Established")].status}')" = True ] || return 1
	done
}

up () {
	VERSION=v1.31.2 CSI=yes
	while [ $# -gt 0 ]; do
		case $1 in
		--version) VERSION=$2; shift 2 ;;
		--no-csi) CSI=no; shift ;;
		*) die "unknown option $1" ;;
		esac
	done
	[ "$(id -u)" = 0 ] || die "must run as root"
	[ ! -f "$DIR/pid/anchor" ] || die "$DIR already holds a cluster; cluster.sh down $DIR first"
	: "${KUBE_BINARIES:=$(cd "$top/.." && pwd)/shared/kube}"
	[ -d "$KUBE_BINARIES/$VERSION" ] || die "no $KUBE_BINARIES/$VERSION"
	BIN=${KUBE_BINCACHE:-$DIR/bin}/$VERSION
	PKI=$DIR/pki
	# Sockets live at short paths inside the cluster's mount namespace (where
	# /run and /var/lib are directories of DIR, see below): a unix socket's
	# path has at most 107 bytes, and DIR may be deep.
	SOCK=/run/containerd/containerd.sock
	KUBELET_ROOT=/var/lib/kubelet
	CGROUP=corral-test-$(printf '%s' "$DIR" | sha1sum | cut -c1-10)
	NETNS=$CGROUP
	CNI_BIN=/usr/lib/cni
	[ -x "$CNI_BIN/bridge" ] || die "no CNI plugins in $CNI_BIN (containernetworking-plugins)"
	command -v etcd >/dev/null || die "no etcd (etcd-server)"
	for p in xz openssl nsenter ip; do command -v $p >/dev/null || die "no $p"; done

	mkdir -p "$DIR/log" "$DIR/pid"
	# pods in user namespaces run as unprivileged host uids that must reach
	# their rootfs below DIR: every directory above it must let others pass
	d=$DIR
	while [ "$d" != / ]; do
		[ -n "$(find "$d" -maxdepth 0 -perm -o=x)" ] ||
			die "$d is not searchable by other users (chmod o+x): pods in user namespaces could not reach their root file systems below it"
		d=$(dirname "$d")
	done
	unpack "$VERSION"
	[ "$CSI" = no ] || unpack csi
	if [ "$VERSION" = v1.28.7 ]; then
		CONTAINERD=$(command -v containerd) || die "no containerd (Debian's containerd)"
		RUNC=$(command -v runc) || die "no runc (Debian's runc)"
		CTR=$(command -v ctr)
	else
		CONTAINERD=$BIN/containerd RUNC=$BIN/runc CTR=$BIN/ctr
	fi
	# kubectl: the machine's, if any (the tests that need it say so); a shim
	# that points it at this cluster. In DIR, not in BIN: clusters share
	# KUBE_BINCACHE, and a shim there points at the last one brought up
	cat >"$DIR/kubectl-shim" <<EOF
#!/bin/sh
exec kubectl --kubeconfig="$DIR/admin.kubeconfig" "\$@"
EOF
	chmod +x "$DIR/kubectl-shim"
	command -v kubectl >/dev/null || die "no kubectl (needed to set the cluster up)"

	cat >"$DIR/cluster.env" <<EOF
VERSION=$VERSION
CSI=$CSI
BIN=$BIN
PKI=$PKI
SOCK=$SOCK
KUBELET_ROOT=$KUBELET_ROOT
CGROUP=$CGROUP
NETNS=$NETNS
CONTAINERD=$CONTAINERD
RUNC=$RUNC
CTR=$CTR
CNI_BIN=$CNI_BIN
NODE=$NODE
NODE_IP=$NODE_IP
KUBECONFIG=$DIR/admin.kubeconfig
EOF
	make_pki
	write_configs

	# the namespaces: a network namespace with the node's address, and an
	# anchor process that holds a mount namespace of the cluster's own
	ip netns add "$NETNS"
	ip -n "$NETNS" link set lo up
	ip -n "$NETNS" addr add "$NODE_IP/32" dev lo
	(
		cgroup_enter "$CGROUP/daemons" "$BASHPID"
		# not `ip netns exec`: it mounts a new /sys, without the cgroup file systems
		exec nsenter --net="/run/netns/$NETNS" unshare --mount --propagation slave sleep infinity
	) </dev/null >/dev/null 2>&1 &
	anchor_sh=$!
	# the anchor is sleep, at the end of nsenter and unshare's exec chain: same pid
	echo $anchor_sh >"$DIR/pid/anchor"
	wait_until 10 "the anchor" sh -c "readlink /proc/$anchor_sh/exe | grep -q sleep"
	# The kubelet, containerd and CNI write below /run, /var/lib and /var/log
	# whatever their configuration says (device plugins, shim sockets, CNI
	# results, pod logs, network namespaces): in the cluster's mount namespace,
	# directories of DIR stand in for them, so nothing is left on the host.
	for d in run var/lib var/log; do
		mkdir -p "$DIR/host/$d"
		in_ns mount --bind "$DIR/host/$d" "/$d"
	done
	# (and the in-tree hostPath provisioner's fixed /tmp/hostpath_pv)
	if [ "$CSI" = no ]; then
		if [ ! -d /tmp/hostpath_pv ]; then
			mkdir /tmp/hostpath_pv && : >"$DIR/host/made-tmp-hostpath_pv"
		fi
		mkdir -p "$DIR/hostpath_pv"
		in_ns mount --bind "$DIR/hostpath_pv" /tmp/hostpath_pv
	fi
	cgroup_enter "$CGROUP/pods"

	start_etcd
	start_apiserver
	wait_until 120 "the API server" kc get --raw /readyz
	start_controllers
	start_containerd
	import_images
	start_kubelet
	wait_until 120 "node $NODE Ready" node_ready
	if [ "$CSI" = yes ]; then
		kc apply -f "$top/../shared/kube/csi/crd" >/dev/null 2>&1 ||
			kc apply -f "$KUBE_BINARIES/csi/crd" >/dev/null
		wait_until 60 "the VolumeSnapshot CRDs" crds_established
		kc apply -f "$DIR/etc/csi-driver.yaml" >/dev/null
		start_csi
		wait_until 60 "the CSI driver on $NODE" csi_registered
	else
		kc apply -f "$DIR/etc/hostpath-sc.yaml" >/dev/null
	fi
	wait_until 60 "the default service account" kc -n default get serviceaccount default
	say "cluster $VERSION up in $DIR (network namespace $NETNS)"
}

down () {
	[ -f "$DIR/cluster.env" ] || return 0
	load_env
	# pods first, gracefully, while everything still runs
	if [ -f "$DIR/pid/anchor" ] && kill -0 "$(cat "$DIR/pid/anchor")" 2>/dev/null &&
	   [ -f "$DIR/pid/kubelet" ] && [ -f "$DIR/pid/apiserver" ]; then
		# (in the cluster's network namespace: its API server is not reachable outside)
		timeout 30 nsenter --target "$(cat "$DIR/pid/anchor")" --mount --net -- \
			"$DIR/kubectl-shim" delete namespaces -l corral-test=1 --wait=false >/dev/null 2>&1 || true
	fi
	for c in csi-registrar csi-provisioner csi-snapshotter csi-resizer snapshot-controller \
	         scheduler controller-manager kubelet; do
		stop_component "$c"
	done
	# containers: stopped through containerd, then the shims go with the cgroup
	if [ -f "$DIR/pid/containerd" ] && [ -f "$DIR/pid/anchor" ]; then
		for t in $(in_ns "$CTR" --address "$SOCK" -n k8s.io tasks list -q 2>/dev/null); do
			in_ns "$CTR" --address "$SOCK" -n k8s.io tasks kill -s KILL "$t" >/dev/null 2>&1 || true
		done
	fi
	for c in csi-hostpath containerd apiserver etcd; do
		stop_component "$c"
	done
	# whatever is left in the cgroups: shims, containers, the anchor
	for _ in $(seq 50); do
		pids=$(cgroup_pids)
		[ -n "$pids" ] || break
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null || true
		sleep 0.1
	done
	rm -f "$DIR/pid/anchor"
	cgroup_remove
	ip netns del "$NETNS" 2>/dev/null || true
	if [ -f "$DIR/host/made-tmp-hostpath_pv" ]; then
		rmdir /tmp/hostpath_pv 2>/dev/null || true
		rm -f "$DIR/host/made-tmp-hostpath_pv"
	fi
	say "cluster in $DIR is down"
}

# the components a test may stop and start (with the pods left running)
component_check () {
	case $1 in
	apiserver|kubelet|containerd|controller-manager|scheduler) ;;
	*) die "unknown component '$1' (apiserver, kubelet, containerd, controller-manager, scheduler)" ;;
	esac
}

start_component () {
	[ ! -f "$DIR/pid/$1" ] || die "$1 runs already"
	case $1 in
	apiserver) start_apiserver; wait_until 120 "the API server" kc get --raw /readyz ;;
	kubelet) start_kubelet; wait_until 120 "node $NODE Ready" node_ready ;;
	containerd) start_containerd ;;
	controller-manager|scheduler)
		# (the two are started together)
		stop_component controller-manager; stop_component scheduler; start_controllers ;;
	esac
}

case $cmd in
up) up "$@" ;;
down) down ;;
run) load_env; in_ns "$@" ;;
stop) load_env; component_check "${1:-}"; stop_component "$1" ;;
start) load_env; component_check "${1:-}"; start_component "$1" ;;
restart) load_env; component_check "${1:-}"; stop_component "$1"; start_component "$1" ;;
*) die "unknown command $cmd" ;;
esac

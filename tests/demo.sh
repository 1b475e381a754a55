#!/bin/sh
# The main job on the embedded default, without a cluster: a config
# directory in a temporary place, a few CTs created with pct and one written
# by hand, pct fmt, pct lint and pct config on them, then one pass of
# corral-syncd, which renders the Kubernetes objects of every CT as YAML
# manifests (output = "manifests", the default when there is no cluster).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PCT=${PCT:-$top/pct/pct}
SYNCD=${SYNCD:-$top/sync/corral-syncd}
demo=$(mktemp -d "${TMPDIR:-/tmp}/corral-demo.XXXXXX")
export CORRAL_CONFDIR="$demo/ct" CORRAL_LOCKDIR="$demo/lock" CORRAL_STATEDIR="$demo/state"
export CORRAL_RUNDIR="$demo/run" CORRAL_CONFIG="$demo/corral.conf"
mkdir -p "$CORRAL_CONFDIR"
cat >"$CORRAL_CONFIG" <<CONF
# a corral.conf for the demo: manifests output, two storages, one template alias
output = "manifests"
manifest-dir = "$demo/manifests"
storage local { storage-class = "" }
storage local-lvm { storage-class = "fast-ssd" snapshot-class = "csi-snapclass" }
template "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst" {
	image = "docker.io/library/debian:bookworm"
}
CONF

step () { printf '\n$ %s\n' "$*"; "$@"; }

step "$PCT" create 100 docker.io/library/debian:bookworm --hostname web1 --memory 1024 \
	--net0 name=eth0,ip=dhcp --tags "web;prod"
step "$PCT" create 101 local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst --storage local-lvm \
	--rootfs 8 --mp0 local-lvm:16,mp=/srv/data --onboot 1
cat >"$CORRAL_CONFDIR/102.conf" <<'HAND'
# written by hand, the way a vi user does
hostname: db1
memory: 4096
cores: 2
rootfs: local-lvm:vm-102-disk-0,size=32G
net0: name=eth0,ip=dhcp
ostemplate: docker.io/library/postgres:16
swap: 0
lxc.environment.runtime: POSTGRES_PASSWORD=demo
HAND
step "$PCT" set 100 --cores 2 --delete swap
step "$PCT" list
step "$PCT" config 100
step "$PCT" config 101
step "$PCT" fmt "$CORRAL_CONFDIR/102.conf"
step "$PCT" lint --kube "$CORRAL_CONFDIR/100.conf"
step "$SYNCD" --once
step ls "$demo/manifests"
step sed -n '/^kind: StatefulSet/,$p' "$demo/manifests/ct-100.yaml"
printf '\nconfigs in %s, manifests in %s\n' "$CORRAL_CONFDIR" "$demo/manifests"

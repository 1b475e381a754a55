#!/bin/sh
# A privileged CT's pod as a node runs it, without a cluster: the agent
# renders the StatefulSet (output = "manifests"); its two init containers
# then run as the kubelet and the runtime would run them. The seed runs
# chrooted in a mount namespace of its own, on a root with what the runtime
# mounts over the image (the kubelet's /etc/hosts, /etc/hostname and
# /etc/resolv.conf, a /dev with termination-log, /proc, the volume at
# /rootfs); corral-prestart reads the ConfigMap and the Secret projected as
# the kubelet projects them (keys as symbolic links into ..data). Then the
# pod starts again with another pod IP. The CT's files must be the image's
# and corral-prestart's, never the kubelet's.
. "$(dirname "$0")/../cli/prestart-lib.sh"
. "$top_srcdir/tests/sync/syncd-lib.sh"

OUT=$TRASH/manifests
cat >"$CORRAL_CONFIG" <<EOF
output = "manifests"
manifest-dir = "$OUT"
namespace = "corral"
allow-privileged = true
storage local {
	storage-class = "fast"
}
EOF

B='# --- BEGIN PVE ---'
E='# --- END PVE ---'
KEY='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3cG3nPVFtCd4fBk2ZA7xY3EMQ4tHjGBcbd5cD8PyTu alice@laptop'

# A mount namespace where mounts are allowed: the user's own, or root's.
if ! unshare -Urmpf true 2>/dev/null; then
	test_skip 'a privileged pod, as a node runs it' 'no user and mount namespaces (unshare -Urmpf)'
	test_done
fi

# the image: os-release, accounts, its own /etc/hosts; no /etc/hostname and no
# /etc/resolv.conf (as Docker's and mmdebstrap's images); the host's programs
# stand in for its /usr
mk_image () {
	mk_debian img &&
	printf "root:x:0:0:root:/root:/bin/bash\n" >img/etc/passwd &&
	printf "root:*:19000:0:99999:7:::\n" >img/etc/shadow && mkdir -p img/root img/usr &&
	printf "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n# the image's own\n" \
		>img/etc/hosts &&
	for d in bin sbin lib lib32 lib64 libx32; do
		if [ -L "/$d" ]; then
			ln -s "$(readlink "/$d")" "img/$d" || return 1
		elif [ -d "/$d" ]; then
			mkdir "img/$d" || return 1
		fi
	done
}

# the files the kubelet mounts into every container of a pod with IP $2: kubelet-$1/
kubelet_files () {
	mkdir -p "kubelet-$1" &&
	printf "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n%s\tct-100-0.ct-100.corral.svc.cluster.local\tct-100-0\n" "$2" \
		>"kubelet-$1/hosts" &&
	echo ct-100-0 >"kubelet-$1/hostname" &&
	printf "search corral.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n" \
		>"kubelet-$1/resolv.conf"
}

# the seed container, started as runc starts it: run_seed KUBELET-DIR
# (mount points it makes in the root go to the container's own copy)
cat >seed-pod.sh <<-\EOF
	set -e
	R=$PWD/ctr-root kl=$PWD/$1
	# the container's own root file system (an overlay: a device of its own)
	mkdir -p "$R" && mount -t tmpfs tmpfs "$R" && cp -a "$PWD/img/." "$R/"
	for d in usr bin sbin lib lib32 lib64 libx32; do
		if [ -d "$R/$d" ] && [ ! -L "$R/$d" ]; then mount --bind "/$d" "$R/$d"; fi
	done
	mkdir -p "$R/proc" "$R/dev" "$R/sys" "$R/rootfs"
	mount -t proc proc "$R/proc"
	mount -t tmpfs tmpfs "$R/dev"
	: >"$R/dev/null" && mount --bind /dev/null "$R/dev/null"
	: >"$R/dev/termination-log"
	mount -t tmpfs tmpfs "$R/sys"
	for f in hosts hostname resolv.conf; do
		[ -e "$R/etc/$f" ] || : >"$R/etc/$f"
		mount --bind "$kl/$f" "$R/etc/$f"
	done
	mount --bind "$PWD/vol" "$R/rootfs"
	exec chroot "$R" /bin/sh -c "$(cat "$PWD/seed.sh")"
EOF
run_seed () {
	unshare -Urmpf sh seed-pod.sh "$1"
}

# the prestart container: its command, with the volumes' paths below $TRASH
run_prestart () {
	rp_resolv=$1 &&
	set -- $(jsonq docs.json '" ".join(next(o for o in d if o["kind"] == "StatefulSet")["spec"]["template"]["spec"]["initContainers"][1]["command"])') &&
	test "$1" = /corral-prestart && shift &&
	for a in "$@"; do
		case $a in
		/rootfs) echo "$TRASH/vol" ;;
		/etc/corral/*) echo "$TRASH/pod$a" ;;
		--secrets=*) echo "--secrets=$TRASH/pod${a#--secrets=}" ;;
		*) echo "$a" ;;
		esac
	done >args &&
	xargs "$PRESTART" --resolv-conf="$rp_resolv" --host-root="$HOST" <args
}

test_expect_success 'pct create and the agent: the manifest of a privileged CT' '
	printf "%s\n" "$KEY" >key.pub &&
	pct create 100 docker.io/library/debian:12 --unprivileged 0 --hostname web1 \
		--rootfs local:1 --password sekrit-pw --ssh-public-keys key.pub &&
	syncd --once 2>err && yaml_json "$OUT/ct-100.yaml" >docs.json &&
	jsonq_raw docs.json "next(o for o in d if o[\"kind\"] == \"StatefulSet\")[\"spec\"][\"template\"][\"spec\"][\"initContainers\"][0][\"command\"][2]" >seed.sh &&
	test -s seed.sh
'

test_expect_success 'the kubelet projects the ConfigMap and the Secret into the pod' '
	ics="next(o for o in d if o[\"kind\"] == \"StatefulSet\")[\"spec\"][\"template\"][\"spec\"][\"initContainers\"][1][\"volumeMounts\"]" &&
	cdir=$(jsonq docs.json "next(m[\"mountPath\"] for m in $ics if m[\"name\"] == \"conf\")") &&
	sdir=$(jsonq docs.json "next(m[\"mountPath\"] for m in $ics if m[\"name\"] == \"secrets\")") &&
	jsonq_raw docs.json "next(o for o in d if o[\"kind\"] == \"ConfigMap\")[\"data\"][\"ct.conf\"]" >ct.conf.in &&
	kubelet_volume "pod$cdir" ct.conf ct.conf.in &&
	for k in password authorized_keys; do
		jsonq docs.json "next(o for o in d if o[\"kind\"] == \"Secret\")[\"data\"][\"$k\"]" |
			base64 -d >"$k.in" || exit 1
	done &&
	kubelet_volume "pod$sdir" password password.in authorized_keys authorized_keys.in &&
	test -L "pod$cdir/ct.conf" && test -L "pod$sdir/password"
'

test_expect_success 'first start: the seed copies the image, not what the kubelet mounted over it' '
	mk_image && mkdir vol && kubelet_files 1 10.232.0.2 &&
	run_seed kubelet-1 &&
	cp img/etc/hosts expect && test_cmp expect vol/etc/hosts &&
	test ! -e vol/etc/hostname && test ! -e vol/etc/resolv.conf &&
	test ! -e vol/dev/termination-log && test ! -e vol/dev/null &&
	test ! -e vol/rootfs && test ! -e vol/.corral/image &&
	test -e vol/.corral/seeded && test -e vol/.corral/first-start &&
	test -f vol/etc/os-release && test -z "$(ls vol/usr)"
'

test_expect_success 'first start: corral-prestart writes the guest files, root'"'"'s password and key' '
	run_prestart kubelet-1/resolv.conf 2>err && test_cmp /dev/null err &&
	printf "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n# the image'"'"'s own\n%s\n127.0.1.1 web1.corral.svc.cluster.local web1\n%s\n" "$B" "$E" >expect &&
	test_cmp expect vol/etc/hosts &&
	echo web1 >expect && test_cmp expect vol/etc/hostname &&
	printf "%s\n" "$B" "search corral.svc.cluster.local" "nameserver 10.96.0.10" "$E" >expect &&
	test_cmp expect vol/etc/resolv.conf &&
	sed -n 1p vol/etc/shadow | grep -q "^root:\$6\$[^:]*:[0-9]*:0:99999:7:::$" &&
	printf "%s\n" "$B" "$KEY" "$E" >expect && test_cmp expect vol/root/.ssh/authorized_keys &&
	test ! -e vol/.corral/first-start
'

test_expect_success 'a restart with a new pod IP: no pod IP in the CT, before or after' '
	cp vol/etc/hosts hosts.first && kubelet_files 2 10.232.0.7 &&
	run_seed kubelet-2 && test_cmp hosts.first vol/etc/hosts &&
	run_prestart kubelet-2/resolv.conf &&
	test_cmp hosts.first vol/etc/hosts &&
	! grep -r -l -e 10.232.0.2 -e 10.232.0.7 -e ct-100-0 -e Kubernetes-managed vol/etc
'

test_done

# prestart-lib.sh: helpers for the corral-prestart tests (t3500-prestart-*.sh).
#
# Each test builds container root trees under $TRASH and runs
# corral-prestart on them as an ordinary user: no chroot, no mounts. The
# "host" files (resolv.conf, /etc/localtime, /etc/timezone) and the secrets
# directory are under $TRASH too.

# (from tests/cli or tests/sync: both are two levels below the top)
. "$(dirname "$0")/../../tests/cli/test-lib.sh"

: "${PRESTART:=$top_builddir/sync/corral-prestart}"
export PRESTART

HOST="$TRASH/host"
SECRETS="$TRASH/secrets"
mkdir -p "$HOST/etc" "$SECRETS"
printf 'search pod.example svc.example\nnameserver 10.96.0.10\noptions ndots:5\n' \
	>"$HOST/etc/resolv.conf"

# prestart CONF ROOTFS [OPTIONS]: the host files and secrets of this test.
# Not under valgrind even with VALGRIND set: valgrind does not implement
# openat2(2), which every path lookup uses, and it reports the internals of
# a static glibc; the ASan+UBSan build checks corral-prestart instead.
prestart () {
	"$PRESTART" --resolv-conf="$HOST/etc/resolv.conf" --host-root="$HOST" --secrets="$SECRETS" "$@"
}

# ctconf FILE: a CT config from stdin (the file name gives the vmid)
ctconf () {
	cat >"$1"
}

# os_release ROOT TEXT: /etc/os-release
os_release () {
	mkdir -p "$1/etc"
	printf '%s\n' "$2" >"$1/etc/os-release"
}

# Root trees of each distribution, as small as detection and the release
# checks need. mk_<os> ROOT [VERSION]
mk_debian () {
	os_release "$1" 'ID=debian'
	printf '%s\n' "${2:-12.5}" >"$1/etc/debian_version"
}
mk_ubuntu () {
	os_release "$1" 'ID=ubuntu'
	printf 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=%s\nDISTRIB_CODENAME=x\n' "${2:-24.04}" \
		>"$1/etc/lsb-release"
}
mk_devuan () {
	os_release "$1" 'ID=devuan'
	printf '%s\n' "${2:-daedalus}" >"$1/etc/devuan_version"
}
# mk_centos ROOT [ID] [REDHAT-RELEASE LINE]
mk_centos () {
	os_release "$1" "ID=\"${2:-centos}\""
	printf '%s\n' "${3:-CentOS Stream release 9}" >"$1/etc/redhat-release"
}
mk_fedora () {
	os_release "$1" "ID=fedora
VERSION_ID=${2:-40}"
	printf 'Fedora release %s\n' "${2:-40}" >"$1/etc/fedora-release"
}
# mk_suse ROOT [ID] [VERSION_ID]
mk_suse () {
	os_release "$1" "ID=\"${2:-opensuse-leap}\"
VERSION_ID=\"${3:-15.5}\""
}
mk_archlinux () {
	os_release "$1" 'ID=arch'
	: >"$1/etc/arch-release"
}
mk_alpine () {
	os_release "$1" 'ID=alpine'
	printf '3.19.1\n' >"$1/etc/alpine-release"
}
mk_gentoo () {
	os_release "$1" 'ID=gentoo'
	printf '%s\n' "${2:-Gentoo Base System release 2.14}" >"$1/etc/gentoo-release"
	mkdir -p "$1/etc/conf.d"
}
mk_nixos () {
	os_release "$1" 'ID=nixos'
	mkdir -p "$1/nix/store"
}
mk_openeuler () {
	os_release "$1" "ID=openEuler
VERSION_ID=\"${2:-24.03}\""
}

# snapshot ROOT: every path below ROOT with type, mode, link target and content
# hash, to show that nothing changed
snapshot () {
	(cd "$1" && find . -printf '%p %y %m %l\n' | sort &&
		find . -type f -exec md5sum {} + | sort -k 2)
}

# mode PATH: octal permission bits
mode () {
	stat -c %a "$1"
}

# kubelet_volume DIR KEY FILE [KEY FILE]...: DIR as the kubelet projects a
# ConfigMap or Secret volume (its AtomicWriter), with the content of FILE as
# KEY: the keys' files in a new directory ..<timestamp>, ..data a symbolic
# link to it (swapped with a rename), each KEY a link ..data/KEY, and the
# directory of the last projection removed. Called again, it is an update.
kubelet_volume () {
	kv_dir=$1 && shift && mkdir -p "$kv_dir" &&
	kv_old=$(readlink "$kv_dir/..data" 2>/dev/null || :) &&
	kv_ts=$(basename "$(mktemp -d "$kv_dir/..2026_12_06_20_34_57.XXXXXXXXXX")") &&
	chmod 755 "$kv_dir/$kv_ts" &&
	while [ $# -ge 2 ]; do
		cp "$2" "$kv_dir/$kv_ts/$1" && chmod 644 "$kv_dir/$kv_ts/$1" &&
		{ [ -L "$kv_dir/$1" ] || ln -s "..data/$1" "$kv_dir/$1"; } &&
		shift 2 || return 1
	done &&
	ln -s "$kv_ts" "$kv_dir/..data_tmp" && mv -T "$kv_dir/..data_tmp" "$kv_dir/..data" &&
	{ [ -z "$kv_old" ] || rm -rf "${kv_dir:?}/$kv_old"; }
}

#!/bin/sh
# images.sh: the images the test cluster runs, built offline into OUTDIR as OCI
# archives, with the name each is imported under (OUTDIR/images.list):
#
#   images.sh OUTDIR PRESTART_ARCHIVE
#
#   pause.oci.tar     localhost/corral-test/pause:1    the sandbox (tests/kube/pause.c, static)
#   debian.oci.tar    localhost/corral-test/debian:12  Debian 12 minbase from mmdebstrap
#   prestart.oci.tar  localhost/corral-prestart:VERSION  `make image`'s archive, as given
#
# The Debian image is the one slow step (about half a minute with a near
# mirror): it is kept and reused while tests/kube/images.sh and its package
# list are unchanged, unless KUBE_IMAGES_REBUILD is set.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:?usage: images.sh OUTDIR PRESTART_ARCHIVE}
prestart=${2:?usage: images.sh OUTDIR PRESTART_ARCHIVE}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/corral-images.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}

# the sandbox
${CC:-cc} -static -O2 -Wall -o "$work/pause" "$here/pause.c"
strip "$work/pause"
tar --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
	-C "$work" -cf "$work/pause.tar" pause
"$top/etc/oci-image.sh" "$work/pause.oci.tar" 1 "$work/pause.tar" \
	--config.entrypoint=/pause --clear=config.cmd
mv "$work/pause.oci.tar" "$out/pause.oci.tar"

# a Debian CT image, as close to Proxmox's debian-12-standard as the tests need:
# minbase (with passwd, for root's password), procps, and tzdata for the timezone
packages=procps,tzdata
key=$(cat "$0" | sha1sum | cut -c1-12)
if [ -n "${KUBE_IMAGES_REBUILD:-}" ] || [ ! -f "$out/debian.oci.tar" ] ||
   [ "$(cat "$out/debian.key" 2>/dev/null)" != "$key" ]; then
	mmdebstrap --quiet --variant=minbase --include="$packages" --format=tar \
		--customize-hook='rm -f "$1/etc/hostname" "$1/etc/resolv.conf"' \
		bookworm "$work/debian.tar" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
	"$top/etc/oci-image.sh" "$work/debian.oci.tar" 12 "$work/debian.tar" \
		--config.cmd=/bin/bash --config.env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	mv "$work/debian.oci.tar" "$out/debian.oci.tar"
	echo "$key" >"$out/debian.key"
fi

cp "$prestart" "$out/prestart.oci.tar"
# the tag inside the archive is the version make image gave it
ptag=$(tar -xOf "$prestart" ./index.json |
	sed -n 's/.*"org.opencontainers.image.ref.name":"\([^"]*\)".*/\1/p')
[ -n "$ptag" ] || { echo "images.sh: no tag in $prestart" >&2; exit 1; }

cat >"$out/images.list" <<EOF
pause.oci.tar localhost/corral-test/pause 1
debian.oci.tar localhost/corral-test/debian 12
prestart.oci.tar localhost/corral-prestart $ptag
EOF

#!/bin/sh
# oci-image.sh: an OCI image archive from one layer, with umoci; no container
# engine, no registry, no network.
#
#   oci-image.sh OUT.oci.tar TAG LAYER.tar [umoci-config-option...]
#
# LAYER.tar is an uncompressed tar of the image's whole file system (for one
# static program: that program and nothing else). The options go to `umoci
# config` (e.g. --config.entrypoint=/corral-prestart). The image is tagged TAG
# (org.opencontainers.image.ref.name) inside the archive, which is an OCI image
# layout in a tar: `skopeo copy oci-archive:OUT.oci.tar:TAG docker://REGISTRY/NAME:TAG`,
# `ctr -n k8s.io images import --base-name NAME OUT.oci.tar` (which names it NAME:TAG), or
# `podman load -i OUT.oci.tar` (which names it localhost/TAG:latest, to be tagged NAME:TAG).
#
# The image's dates come from SOURCE_DATE_EPOCH when it is set, so the same
# layer gives the same archive.
set -eu

[ $# -ge 3 ] || { echo "usage: oci-image.sh OUT.oci.tar TAG LAYER.tar [umoci-config-option...]" >&2; exit 2; }
out=$1 tag=$2 layer=$3
shift 3
command -v umoci >/dev/null 2>&1 || {
	echo "oci-image.sh: umoci is needed to build images (Debian: apt-get install umoci)" >&2
	exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/oci-image.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

when=
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	when=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
fi

umoci init --layout "$work/layout"
umoci new --image "$work/layout:$tag"
umoci raw add-layer --image "$work/layout:$tag" ${when:+--history.created "$when"} \
	--history.created_by "oci-image.sh $(basename "$layer")" "$layer"
umoci config --no-history --image "$work/layout:$tag" --os linux \
	--architecture "$(dpkg --print-architecture 2>/dev/null || uname -m)" \
	${when:+--created "$when"} "$@"
umoci gc --layout "$work/layout"
chmod -R a+rX "$work/layout"

# the archive: a tar of the layout, its entries in a fixed order and owner
(cd "$work/layout" && find . -mindepth 1 | LC_ALL=C sort >"$work/list" &&
	tar --owner=0 --group=0 --numeric-owner ${SOURCE_DATE_EPOCH:+--mtime=@$SOURCE_DATE_EPOCH} \
		--no-recursion -cf "$work/out.tar" -T "$work/list")
mv "$work/out.tar" "$out"

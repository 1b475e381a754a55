#!/bin/sh
# `make image`: the archive is what doc/corral-prestart.md says it is. It is an
# OCI image layout in a tar, with one image tagged with the package version
# (the tag of the agent's default prestart-image). The image has one layer
# whose only file is /corral-prestart: this build's program, stripped and
# statically linked. Its entrypoint is /corral-prestart, with no cmd. The
# archive is read with tar and Python (every blob checked against its
# digest), and again with umoci; the same build makes the same archive.
. "$(dirname "$0")/test-lib.sh"

umoci=$(sed -n 's/^UMOCI = //p' "$top_builddir/Makefile" 2>/dev/null)
if [ -z "$umoci" ]; then
	test_skip 'make image' 'configure found no umoci (Debian: apt-get install umoci)'
	test_done
fi
if readelf -l "$top_builddir/sync/corral-prestart" | grep -q 'program interpreter'; then
	test_skip 'make image' 'corral-prestart is not static (a --enable-sanitizers build)'
	test_done
fi
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
ARCHIVE=$TRASH/corral-prestart-$version.oci.tar

# make_image OUT: the rule of `make image`, writing OUT instead of the build
# directory's corral-prestart-VERSION.oci.tar
make_image () {
	${MAKE:-make} -s -C "$top_builddir" PRESTART_ARCHIVE="$1" "$1"
}

test_expect_success 'make image writes the archive' '
	make_image "$ARCHIVE" && test -s "$ARCHIVE"
'

test_expect_success 'an OCI layout: one image, tagged with the version, every blob as its digest says' '
	mkdir layout && tar -xf "$ARCHIVE" -C layout &&
	python3 -S - "$TRASH/layout" "$version" >report <<-\EOF &&
	import hashlib, json, os, sys
	top, version = sys.argv[1], sys.argv[2]
	def blob(desc, media):
	    assert desc["mediaType"] == media, desc
	    algo, hexd = desc["digest"].split(":")
	    data = open(os.path.join(top, "blobs", algo, hexd), "rb").read()
	    assert algo == "sha256" and hashlib.sha256(data).hexdigest() == hexd, desc
	    assert len(data) == desc["size"], desc
	    return data
	assert json.load(open(os.path.join(top, "oci-layout"))) == {"imageLayoutVersion": "1.0.0"}
	index = json.load(open(os.path.join(top, "index.json")))
	assert len(index["manifests"]) == 1, index
	desc = index["manifests"][0]
	assert desc["annotations"]["org.opencontainers.image.ref.name"] == version, desc
	manifest = json.loads(blob(desc, "application/vnd.oci.image.manifest.v1+json"))
	config = json.loads(blob(manifest["config"], "application/vnd.oci.image.config.v1+json"))
	assert len(manifest["layers"]) == 1, manifest["layers"]
	layer = manifest["layers"][0]
	data = blob(layer, layer["mediaType"])
	assert layer["mediaType"] in ("application/vnd.oci.image.layer.v1.tar",
	                              "application/vnd.oci.image.layer.v1.tar+gzip"), layer
	if layer["mediaType"].endswith("+gzip"):
	    import gzip
	    data = gzip.decompress(data)
	assert config["os"] == "linux", config
	assert config["config"]["Entrypoint"] == ["/corral-prestart"], config["config"]
	assert not config["config"].get("Cmd"), config["config"]
	assert config["rootfs"] == {"type": "layers",
	                            "diff_ids": ["sha256:" + hashlib.sha256(data).hexdigest()]}, config["rootfs"]
	open(os.path.join(top, "..", "layer.tar"), "wb").write(data)
	print(config["architecture"])
	EOF
	test "$(cat report)" = "$(dpkg --print-architecture 2>/dev/null || uname -m)"
'

test_expect_success 'one layer, one file: /corral-prestart, root'"'"'s, 0755' '
	tar -tvf layer.tar >list &&
	test "$(wc -l <list)" -eq 1 &&
	grep -q "^-rwxr-xr-x 0/0 .* corral-prestart$" list &&
	mkdir root && tar -xf layer.tar -C root && ls -A root >actual &&
	echo corral-prestart >expect && test_cmp expect actual
'

test_expect_success 'the file is this build'"'"'s corral-prestart, stripped, static, and it runs' '
	strip -o stripped "$top_builddir/sync/corral-prestart" && cmp stripped root/corral-prestart &&
	readelf -l root/corral-prestart >elf && ! grep -q "program interpreter" elf &&
	! readelf -d root/corral-prestart | grep -q NEEDED &&
	root/corral-prestart --help >out && grep -q "^usage: corral-prestart CONF ROOTFS" out
'

test_expect_success 'umoci reads it the same way' '
	"$umoci" unpack --rootless --image "layout:$version" bundle >/dev/null &&
	ls -A bundle/rootfs >actual && echo corral-prestart >expect && test_cmp expect actual &&
	cmp stripped bundle/rootfs/corral-prestart &&
	python3 -S -c "import json; print(json.load(open(\"bundle/config.json\"))[\"process\"][\"args\"])" >actual &&
	echo "['"'"'/corral-prestart'"'"']" >expect && test_cmp expect actual
'

test_expect_success 'the tag is the one the agent runs by default' '
	grep -q "^#define PRESTART_IMAGE \".*/corral-prestart:$version\"$" "$top_builddir/config.h"
'

test_expect_success 'the same build makes the same archive' '
	make_image "$TRASH/again.oci.tar" && cmp "$ARCHIVE" again.oci.tar
'

test_done

#!/bin/sh
# corral-syncd without a cluster (output = "manifests"): one multi-document
# YAML file per CT, written only when it changes, kept when the config turns
# invalid, removed with the config; the mass-delete guard; --dry-run.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/syncd-lib.sh"

OUT=$TRASH/manifests
cat >"$CORRAL_CONFIG" <<EOF
output = "manifests"
manifest-dir = "$OUT"
namespace = "ct-space"
storage local {
	storage-class = "fast"
}
storage slow {
	storage-class = ""
}
EOF

# 100: two volumes on two storages, tags, a description; 101: running;
# 102: plain; 103: values YAML would read as something else
write_conf 100 <<-\EOF
#web server
#  second line, indented
arch: amd64
cores: 2
cpuunits: 50
hostname: web.example.com
memory: 1024
mp0: slow:vm-100-disk-1,mp=/srv/data,size=2G
nameserver: 10.0.0.53
ostemplate: docker.io/library/nginx:1.27
ostype: debian
rootfs: local:vm-100-disk-0,size=8G
swap: 512
tags: prod;web
unprivileged: 1
EOF
ct_conf 101
set_power 101 running
ct_conf 102
ct_conf 103 "lxc.environment.runtime: A=1_000" "lxc.environment.runtime: B=.inf" \
	"lxc.environment.runtime: C==" "lxc.environment.runtime: D=2001-01-01" \
	"lxc.environment.runtime: E=1:20" "lxc.environment.runtime: F=0b11" \
	"lxc.environment.runtime: G=y" "lxc.environment.runtime: H=~" \
	"lxc.environment.runtime: I=0o17" "lxc.environment.runtime: J=-.5"

# docs ID: the manifest of CT ID as JSON (also checked against PyYAML when present)
docs () {
	yaml_json "$OUT/ct-$1.yaml" >"docs-$1.json"
}

test_expect_success 'first pass: one manifest per CT, exit 0' '
	syncd --once 2>err &&
	ls "$OUT" >actual &&
	printf "%s\n" ct-100.yaml ct-101.yaml ct-102.yaml ct-103.yaml >expect &&
	test_cmp expect actual &&
	grep -q "no cluster: writing manifests to $OUT" err &&
	grep -q "CT 100: manifest written" err
'

test_expect_success 'each manifest is YAML: PVCs, ConfigMap, Service, StatefulSet' '
	for id in 100 101 102 103; do docs $id || return 1; done &&
	json_assert docs-100.json <<-\EOF &&
	[(o["kind"], o["metadata"]["name"]) for o in d] == [("PersistentVolumeClaim", "slow-vm-100-disk-1"), ("PersistentVolumeClaim", "local-vm-100-disk-0"), ("ConfigMap", "ct-100-conf"), ("Service", "ct-100"), ("StatefulSet", "ct-100")]
	set(o["metadata"]["namespace"] for o in d) == {"ct-space"}
	EOF
	json_assert docs-102.json <<-\EOF
	[o["kind"] for o in d] == ["PersistentVolumeClaim", "ConfigMap", "Service", "StatefulSet"]
	EOF
'

test_expect_success 'every object: managed-by and ctid labels, a spec hash, no owner' '
	for id in 100 101 102 103; do
		json_assert docs-$id.json <<-EOF || return 1
		set((o["metadata"]["labels"]["app.kubernetes.io/managed-by"], o["metadata"]["labels"]["corral.dev/ctid"]) for o in d) == {("corral", "$id")}
		all(len(o["metadata"]["annotations"]["corral.dev/spec-hash"]) == 40 for o in d)
		not any("ownerReferences" in o["metadata"] for o in d)
		EOF
	done
'

test_expect_success 'PVCs: size, StorageClass per storage, volume label and volid' '
	json_assert docs-100.json <<-\EOF
	obj("PersistentVolumeClaim", "local-vm-100-disk-0")["spec"]["resources"]["requests"]["storage"] == "8Gi"
	obj("PersistentVolumeClaim", "local-vm-100-disk-0")["spec"]["storageClassName"] == "fast"
	obj("PersistentVolumeClaim", "local-vm-100-disk-0")["spec"]["accessModes"] == ["ReadWriteOnce"]
	obj("PersistentVolumeClaim", "local-vm-100-disk-0")["metadata"]["labels"]["corral.dev/volume"] == "rootfs"
	obj("PersistentVolumeClaim", "local-vm-100-disk-0")["metadata"]["annotations"]["corral.dev/volid"] == "local:vm-100-disk-0"
	obj("PersistentVolumeClaim", "slow-vm-100-disk-1")["spec"]["resources"]["requests"]["storage"] == "2Gi"
	"storageClassName" not in obj("PersistentVolumeClaim", "slow-vm-100-disk-1")["spec"]
	obj("PersistentVolumeClaim", "slow-vm-100-disk-1")["metadata"]["labels"]["corral.dev/volume"] == "mp0"
	EOF
'

test_expect_success 'ConfigMap: the config file, byte for byte' '
	jsonq_raw docs-100.json "[o for o in d if o[\"kind\"] == \"ConfigMap\"][0][\"data\"][\"ct.conf\"]" >actual &&
	test_cmp "$CORRAL_CONFDIR/100.conf" actual
'

test_expect_success 'Service: headless, selects the CT' '
	json_assert docs-100.json <<-\EOF
	obj("Service", "ct-100")["spec"]["clusterIP"] == "None"
	obj("Service", "ct-100")["spec"]["selector"] == {"corral.dev/ctid": "100"}
	EOF
'

test_expect_success 'StatefulSet: replicas from the power state, OnDelete, image, resources' '
	json_assert docs-101.json <<-\EOF &&
	sts("ct-101")["spec"]["replicas"] == 1
	EOF
	json_assert docs-100.json <<-\EOF
	sts("ct-100")["spec"]["replicas"] == 0
	sts("ct-100")["spec"]["updateStrategy"] == {"type": "OnDelete"}
	sts("ct-100")["spec"]["serviceName"] == "ct-100"
	sts("ct-100")["spec"]["selector"]["matchLabels"] == {"corral.dev/ctid": "100"}
	sts("ct-100")["metadata"]["labels"]["tags.corral.dev/prod"] == "true"
	sts("ct-100")["metadata"]["annotations"]["corral.dev/description"] == "web server\n  second line, indented\n"
	"hostname" not in pod("ct-100") and "subdomain" not in pod("ct-100")
	pod("ct-100")["hostUsers"] is False
	pod("ct-100")["dnsConfig"]["nameservers"] == ["10.0.0.53"]
	ctr("ct-100")["image"] == "docker.io/library/nginx:1.27"
	ctr("ct-100")["resources"] == {"limits": {"cpu": "2", "memory": "1024Mi"}, "requests": {"cpu": "500m", "memory": "1024Mi"}}
	ctr("ct-100")["securityContext"]["allowPrivilegeEscalation"] is False
	sorted((m["name"], m["mountPath"]) for m in ctr("ct-100")["volumeMounts"]) == [("mp0", "/srv/data"), ("rootfs", "/data")]
	sorted((v["name"], v.get("persistentVolumeClaim", v.get("configMap"))) for v in pod("ct-100")["volumes"]) == [("mp0", {"claimName": "slow-vm-100-disk-1"}), ("rootfs", {"claimName": "local-vm-100-disk-0"})]
	EOF
'

test_expect_success 'strings that look like numbers, dates or booleans stay strings' '
	json_assert docs-103.json <<-\EOF
	[(e["name"], e["value"]) for e in ctr("ct-103")["env"]] == [("A", "1_000"), ("B", ".inf"), ("C", "="), ("D", "2001-01-01"), ("E", "1:20"), ("F", "0b11"), ("G", "y"), ("H", "~"), ("I", "0o17"), ("J", "-.5")]
	EOF
'

test_expect_success 'status: rendered, with the digest of the config' '
	json_assert "$CORRAL_RUNDIR/ct/100.status" <<-EOF &&
	[d["status"], d["phase"], d["mode"]] == ["stopped", "Rendered", "manifests"]
	"error" not in d
	d["digest"] == "$(sha1sum <"$CORRAL_CONFDIR/100.conf" | cut -c1-40)"
	EOF
	json_assert "$CORRAL_RUNDIR/ct/101.status" <<-\EOF
	d["status"] == "running"
	EOF
'

test_expect_success 'a second pass rewrites nothing (same bytes, inode and mtime)' '
	for id in 100 101 102 103; do
		stat -c %i "$OUT/ct-$id.yaml" >"inode-$id" && freeze "$OUT/ct-$id.yaml" || return 1
	done &&
	syncd --once 2>err &&
	! grep -q "manifest written" err &&
	for id in 100 101 102 103; do
		test_unchanged "$OUT/ct-$id.yaml" &&
		stat -c %i "$OUT/ct-$id.yaml" >actual && test_cmp "inode-$id" actual || return 1
	done
'

test_expect_success 'an edit rewrites only that CT manifest' '
	vi_edit "$CORRAL_CONFDIR/102.conf" "s/^memory: .*/memory: 2048/" &&
	syncd --once 2>err &&
	grep -q "CT 102: manifest written" err &&
	test $(grep -c "manifest written" err) = 1 &&
	for id in 100 101 103; do test_unchanged "$OUT/ct-$id.yaml" || return 1; done &&
	docs 102 &&
	echo "ctr(\"ct-102\")[\"resources\"][\"limits\"][\"memory\"] == \"2048Mi\"" | json_assert docs-102.json &&
	freeze "$OUT/ct-102.yaml"
'

test_expect_success 'an invalid file: exit 1, the manifest kept, file:line in the status' '
	vi_edit "$CORRAL_CONFDIR/102.conf" "s/^memory: .*/memory: lots/" &&
	test_must_fail --code=1 syncd --once 2>err &&
	test_unchanged "$OUT/ct-102.yaml" &&
	line=$(grep -n "^memory:" "$CORRAL_CONFDIR/102.conf" | cut -d: -f1) &&
	jsonq_is "$CORRAL_RUNDIR/ct/102.status" "d[\"status\"]" error &&
	jsonq "$CORRAL_RUNDIR/ct/102.status" "d[\"error\"]" >msg &&
	echo "$CORRAL_CONFDIR/102.conf:$line: vm 102 - unable to parse value of '\''memory'\'' - type check ('\''integer'\'') failed - got '\''lots'\''" >expect &&
	test_cmp expect msg &&
	grep -q "CT 102: $CORRAL_CONFDIR/102.conf:$line: .*; keeping the last good state" err &&
	for id in 100 101 103; do test_unchanged "$OUT/ct-$id.yaml" || return 1; done
'

test_expect_success 'several problems: the first one, and how many more' '
	vi_edit "$CORRAL_CONFDIR/102.conf" "s/^cores: .*/cores: many/" &&
	test_must_fail --code=1 syncd --once 2>err &&
	jsonq "$CORRAL_RUNDIR/ct/102.status" "d[\"error\"]" >msg &&
	grep -q "^$CORRAL_CONFDIR/102.conf:2: .*cores.* (and 1 more problem; see pct lint)$" msg
'

test_expect_success 'a problem over several lines is one log line' '
	ct_conf 102 "mp0: /srv/../etc,mp=/mnt" &&
	test_must_fail --code=1 syncd --once 2>err &&
	grep "CT 102: " err >lines &&
	test $(wc -l <lines) = 1 &&
	grep -q "^corral-syncd: CT 102: $CORRAL_CONFDIR/102.conf:10: .*format error; volume: invalid format - /srv/../etc contains illegal character sequences; keeping the last good state$" lines &&
	jsonq_is "$CORRAL_RUNDIR/ct/102.status" "\"\\n\" in d[\"error\"]" false &&
	test_unchanged "$OUT/ct-102.yaml"
'

test_expect_success 'the file fixed: the manifest follows, the error is gone' '
	ct_conf 102 &&
	syncd --once 2>err &&
	grep -q "CT 102: manifest written" err &&
	jsonq_is "$CORRAL_RUNDIR/ct/102.status" "\"error\" in d" false
'

test_expect_success 'a deleted config removes its manifest and its status' '
	rm "$CORRAL_CONFDIR/103.conf" &&
	syncd --once 2>err &&
	! test -e "$OUT/ct-103.yaml" &&
	! test -e "$CORRAL_RUNDIR/ct/103.status" &&
	grep -q "CT 103: config removed; manifest $OUT/ct-103.yaml removed" err &&
	test -f "$OUT/ct-100.yaml" && test -f "$OUT/ct-101.yaml" && test -f "$OUT/ct-102.yaml"
'

test_expect_success 'most files gone at once: nothing removed, exit 1' '
	ct_conf 104 && ct_conf 105 && syncd --once 2>err &&
	mkdir -p away &&
	mv "$CORRAL_CONFDIR/101.conf" "$CORRAL_CONFDIR/102.conf" "$CORRAL_CONFDIR/104.conf" away/ &&
	test_must_fail --code=1 syncd --once 2>err &&
	grep -q "3 of 5 CTs lost their config file at once; refusing to delete any" err &&
	for id in 100 101 102 104 105; do
		test -f "$OUT/ct-$id.yaml" && test -f "$CORRAL_RUNDIR/ct/$id.status" || return 1
	done
'

test_expect_success 'the guard holds on the next run too' '
	test_must_fail --code=1 syncd --once 2>err &&
	grep -q "refusing to delete any" err &&
	test -f "$OUT/ct-101.yaml"
'

test_expect_success 'the config directory gone: nothing removed' '
	mv "$CORRAL_CONFDIR" ct.away &&
	test_must_fail --code=1 syncd --once 2>err &&
	grep -q "$CORRAL_CONFDIR is missing or unreadable; refusing to delete the objects of 5 CT(s)" err &&
	for id in 100 101 102 104 105; do test -f "$OUT/ct-$id.yaml" || return 1; done &&
	! test -e "$CORRAL_CONFDIR" &&
	mv ct.away "$CORRAL_CONFDIR"
'

test_expect_success '--dry-run says what it would do and changes nothing' '
	for id in 100 101 102 104 105; do freeze "$OUT/ct-$id.yaml" || return 1; done &&
	cp "$CORRAL_RUNDIR/ct/100.status" status.before &&
	vi_edit "$CORRAL_CONFDIR/100.conf" "s/^memory: .*/memory: 4096/" &&
	syncd --dry-run --allow-mass-delete >out 2>err &&
	grep -qx -- "--- $OUT/ct-100.yaml (now)" out &&
	grep -qx -- "+++ $OUT/ct-100.yaml (would be applied)" out &&
	grep -qx -- "- *memory: 1024Mi" out &&
	grep -qx -- "+ *memory: 4096Mi" out &&
	grep -qx "would remove the manifest of CT 101" out &&
	grep -qx "would remove the manifest of CT 102" out &&
	grep -qx "would remove the manifest of CT 104" out &&
	! grep -q "ct-105" out &&
	for id in 100 101 102 104 105; do test_unchanged "$OUT/ct-$id.yaml" || return 1; done &&
	test_cmp status.before "$CORRAL_RUNDIR/ct/100.status" &&
	test -f "$CORRAL_RUNDIR/ct/101.status"
'

test_expect_success '--allow-mass-delete removes them' '
	syncd --once --allow-mass-delete 2>err &&
	ls "$OUT" >actual &&
	printf "%s\n" ct-100.yaml ct-105.yaml >expect &&
	test_cmp expect actual &&
	! test -e "$CORRAL_RUNDIR/ct/101.status" &&
	docs 100 &&
	echo "ctr(\"ct-100\")[\"resources\"][\"limits\"][\"memory\"] == \"4096Mi\"" | json_assert docs-100.json
'

test_expect_success 'files back after the removal: manifests again' '
	mv away/*.conf "$CORRAL_CONFDIR/" &&
	syncd --once 2>err &&
	ls "$OUT" >actual &&
	printf "%s\n" ct-100.yaml ct-101.yaml ct-102.yaml ct-104.yaml ct-105.yaml >expect &&
	test_cmp expect actual
'

test_expect_success 'startup down=0: the pod still gets a grace period of one second, never a force delete' '
	ct_conf 106 "startup: order=1,down=0" &&
	ct_conf 107 "startup: down=45" &&
	syncd --once 2>err &&
	docs 106 && docs 107 &&
	echo "pod(\"ct-106\")[\"terminationGracePeriodSeconds\"] == 1" | json_assert docs-106.json &&
	echo "pod(\"ct-107\")[\"terminationGracePeriodSeconds\"] == 45" | json_assert docs-107.json
'

test_done

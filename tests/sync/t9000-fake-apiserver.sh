#!/bin/sh
# The fake API server itself, spoken to with curl: CRUD, Status shapes,
# server-side apply, selectors, watch streams, simulated controllers, faults,
# authentication and TLS. What the fake promises here is what libkube's tests
# and the agent's tests rely on.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"

NS=/api/v1/namespaces/default
STS=/apis/apps/v1/namespaces/default/statefulsets
APPLY=application/apply-patch+yaml
MERGE=application/merge-patch+json
SMP=application/strategic-merge-patch+json

# expect_status CODE: the last fake_api answered CODE
expect_status () {
	got=$(fake_status)
	if [ "$got" != "$1" ]; then
		echo "expected HTTP $1, got $got:"
		cat "$FAKE_DIR/body"
		return 1
	fi
}

# jq-less checks: json_is FILE EXPR EXPECTED
json_is () {
	got=$(json_eval "$1" "$2") || return 1
	if [ "$got" != "$3" ]; then
		echo "$2: expected '$3', got '$got'"
		return 1
	fi
}

# fakes are started at the top level: test bodies run in subshells
FAKE_DIR=$TRASH/plain
fake_start || exit 1
PLAIN_URL=$FAKE_URL PLAIN_DIR=$FAKE_DIR
FAKE_DIR=$TRASH/fake
fake_start --tls || exit 1

test_expect_success 'the fake runs with TLS and client certificates' '
	fake_ctl GET /_fake/health >out &&
	json_is out "d[\"ok\"]" true &&
	json_is out "d[\"port\"]" $FAKE_PORT
'

test_expect_success 'discovery: /version, /api, /apis and resource lists' '
	fake_api GET /version >out && expect_status 200 &&
	json_is out "d[\"major\"]" 1 && json_is out "d[\"minor\"]" 33 &&
	json_is out "d[\"gitVersion\"]" v1.33.4 &&
	fake_api GET /api >out && json_is out "d[\"versions\"]" "[\"v1\"]" &&
	fake_api GET /apis >out &&
	json_is out "sorted(g[\"name\"] for g in d[\"groups\"])" \
		"[\"apps\", \"snapshot.storage.k8s.io\", \"storage.k8s.io\"]" &&
	fake_api GET /apis/apps/v1 >out &&
	json_is out "[r[\"name\"] for r in d[\"resources\"]]" \
		"[\"statefulsets\", \"statefulsets/status\", \"statefulsets/scale\"]" &&
	fake_api GET /api/v1 >out &&
	json_is out "\"pods/resize\" in [r[\"name\"] for r in d[\"resources\"]]" true
'

test_expect_success 'discovery follows the configured version and the snapshot API switch' '
	fake_ctl POST /_fake/version "{\"minor\":\"30+\",\"gitVersion\":\"v1.30.2-eks-1\"}" >/dev/null &&
	fake_api GET /version >out && json_is out "d[\"minor\"]" 30+ &&
	json_is out "d[\"gitVersion\"]" v1.30.2-eks-1 &&
	fake_api GET /api/v1 >out &&
	json_is out "\"pods/resize\" in [r[\"name\"] for r in d[\"resources\"]]" false &&
	fake_ctl POST /_fake/snapshot-api "{\"enabled\":false}" >/dev/null &&
	fake_api GET /apis/snapshot.storage.k8s.io/v1 >out && expect_status 404 &&
	grep -q "404 page not found" out &&
	fake_api GET /apis >out &&
	json_is out "\"snapshot.storage.k8s.io\" in [g[\"name\"] for g in d[\"groups\"]]" false &&
	fake_ctl POST /_fake/snapshot-api "{\"enabled\":true}" >/dev/null &&
	fake_ctl POST /_fake/version "{\"minor\":\"33\",\"gitVersion\":null}" >/dev/null &&
	fake_api GET /apis/snapshot.storage.k8s.io/v1 >out && expect_status 200
'

test_expect_success 'create, get, list; uid, resourceVersion, creationTimestamp' '
	fake_api POST $NS/configmaps "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\",\"labels\":{\"app\":\"x\",\"tier\":\"db\"}},\"data\":{\"k\":\"v\"}}" >out &&
	expect_status 201 &&
	json_is out "d[\"kind\"]" ConfigMap &&
	json_is out "len(d[\"metadata\"][\"uid\"])" 36 &&
	json_is out "d[\"metadata\"][\"resourceVersion\"].isdigit()" true &&
	json_is out "d[\"metadata\"][\"creationTimestamp\"].endswith(\"Z\")" true &&
	json_is out "d[\"metadata\"][\"managedFields\"][0][\"operation\"]" Update &&
	fake_api GET $NS/configmaps/a >out && expect_status 200 &&
	json_is out "d[\"data\"]" "{\"k\": \"v\"}" &&
	fake_api GET $NS/configmaps >out &&
	json_is out "d[\"kind\"]" ConfigMapList &&
	json_is out "d[\"metadata\"][\"resourceVersion\"].isdigit()" true &&
	json_is out "sorted(i[\"metadata\"][\"name\"] for i in d[\"items\"])" "[\"a\", \"kube-root-ca.crt\"]" &&
	json_is out "\"kind\" in d[\"items\"][0]" false
'

test_expect_success 'Status bodies: NotFound, AlreadyExists, Invalid name, MethodNotAllowed' '
	fake_api GET $NS/configmaps/nope >out && expect_status 404 &&
	cat >expect <<-\EOF &&
	{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"configmaps"},"code":404}
	EOF
	test_cmp expect out &&
	fake_api GET $STS/nope >out &&
	json_is out "d[\"message\"]" "statefulsets.apps \"nope\" not found" &&
	json_is out "d[\"details\"]" "{\"name\": \"nope\", \"group\": \"apps\", \"kind\": \"statefulsets\"}" &&
	fake_api POST $NS/configmaps "{\"metadata\":{\"name\":\"a\"}}" >out && expect_status 409 &&
	json_is out "d[\"reason\"]" AlreadyExists &&
	json_is out "d[\"message\"]" "configmaps \"a\" already exists" &&
	fake_api POST $NS/configmaps "{\"metadata\":{\"name\":\"Not_Valid\"}}" >out && expect_status 422 &&
	json_is out "d[\"reason\"]" Invalid &&
	json_is out "d[\"details\"][\"causes\"][0][\"field\"]" metadata.name &&
	json_is out "d[\"message\"].startswith(\"ConfigMap \\\"Not_Valid\\\" is invalid: metadata.name: Invalid value: \\\"Not_Valid\\\": a lowercase RFC 1123 subdomain\")" true &&
	fake_api POST $NS/configmaps/a "{}" >out && expect_status 405 &&
	json_is out "d[\"reason\"]" MethodNotAllowed &&
	fake_api GET /api/v1/namespaces/default/widgets >out && expect_status 404 &&
	json_is out "d[\"message\"]" "the server could not find the requested resource" &&
	fake_api POST /api/v1/namespaces/nowhere/configmaps "{\"metadata\":{\"name\":\"x\"}}" >out &&
	expect_status 404 && json_is out "d[\"message\"]" "namespaces \"nowhere\" not found"
'

test_expect_success 'PUT: replace with resourceVersion conflict check' '
	fake_api GET $NS/configmaps/a >cur &&
	rv=$(json_eval cur "d[\"metadata\"][\"resourceVersion\"]") &&
	fake_api PUT $NS/configmaps/a "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"$rv\",\"labels\":{\"app\":\"x\",\"tier\":\"db\"}},\"data\":{\"k\":\"w\"}}" >out &&
	expect_status 200 && json_is out "d[\"data\"][\"k\"]" w &&
	fake_api PUT $NS/configmaps/a "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"$rv\"},\"data\":{\"k\":\"z\"}}" >out &&
	expect_status 409 && json_is out "d[\"reason\"]" Conflict &&
	json_is out "d[\"message\"]" "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; please apply your changes to the latest version and try again" &&
	fake_api PUT $NS/configmaps/ghost "{\"metadata\":{\"name\":\"ghost\"}}" >out && expect_status 404
'

test_expect_success 'merge patch, strategic merge patch, JSON patch; unsupported media type' '
	fake_api PATCH $NS/configmaps/a "{\"data\":{\"k2\":\"v2\"}}" $MERGE >out && expect_status 200 &&
	json_is out "sorted(d[\"data\"])" "[\"k\", \"k2\"]" &&
	fake_api PATCH $NS/configmaps/a "{\"data\":{\"k2\":null}}" application/strategic-merge-patch+json >out &&
	json_is out "sorted(d[\"data\"])" "[\"k\"]" &&
	fake_api PATCH $NS/configmaps/a "[{\"op\":\"replace\",\"path\":\"/data/k\",\"value\":\"j\"}]" application/json-patch+json >out &&
	json_is out "d[\"data\"][\"k\"]" j &&
	fake_api PATCH $NS/configmaps/a "{}" text/plain >out && expect_status 415 &&
	json_is out "d[\"reason\"]" UnsupportedMediaType &&
	fake_api PATCH $NS/configmaps/a "{}" "$MERGE" >/dev/null &&
	fake_api PATCH "$NS/configmaps/a?force=true" "{}" $MERGE >out && expect_status 422 &&
	json_is out "d[\"message\"]" "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch"
'

test_expect_success 'label selectors: =, ==, !=, in, notin, exists, !key; field selectors' '
	fake_api POST $NS/configmaps "{\"metadata\":{\"name\":\"b\",\"labels\":{\"app\":\"y\"}}}" >/dev/null &&
	fake_api POST $NS/configmaps "{\"metadata\":{\"name\":\"c\"}}" >/dev/null &&
	names="sorted(i[\"metadata\"][\"name\"] for i in d[\"items\"] if i[\"metadata\"][\"name\"] != \"kube-root-ca.crt\")" &&
	fake_api GET "$NS/configmaps?labelSelector=app%3Dx" >out && json_is out "$names" "[\"a\"]" &&
	fake_api GET "$NS/configmaps?labelSelector=app%3D%3Dy" >out && json_is out "$names" "[\"b\"]" &&
	fake_api GET "$NS/configmaps?labelSelector=app!%3Dx" >out && json_is out "$names" "[\"b\", \"c\"]" &&
	fake_api GET "$NS/configmaps?labelSelector=app%20in%20(x,y)" >out && json_is out "$names" "[\"a\", \"b\"]" &&
	fake_api GET "$NS/configmaps?labelSelector=app%20notin%20(x)" >out && json_is out "$names" "[\"b\", \"c\"]" &&
	fake_api GET "$NS/configmaps?labelSelector=tier" >out && json_is out "$names" "[\"a\"]" &&
	fake_api GET "$NS/configmaps?labelSelector=!app" >out && json_is out "$names" "[\"c\"]" &&
	fake_api GET "$NS/configmaps?labelSelector=app%3Dx,tier%3Ddb" >out && json_is out "$names" "[\"a\"]" &&
	fake_api GET "$NS/configmaps?fieldSelector=metadata.name%3Db" >out && json_is out "$names" "[\"b\"]" &&
	fake_api GET "$NS/configmaps?labelSelector=app%20in%20(x" >out && expect_status 400 &&
	json_is out "d[\"reason\"]" BadRequest &&
	fake_api GET "$NS/configmaps?fieldSelector=data.k%3Dx" >out && expect_status 400 &&
	json_is out "d[\"message\"]" "field label not supported: data.k"
'

test_expect_success 'DELETE: preconditions, Status Success, 404' '
	fake_api GET $NS/configmaps/b >cur &&
	uid=$(json_eval cur "d[\"metadata\"][\"uid\"]") &&
	fake_api DELETE $NS/configmaps/b "{\"preconditions\":{\"uid\":\"00000000-0000-0000-0000-000000000000\"}}" >out &&
	expect_status 409 &&
	json_is out "d[\"message\"]" "Operation cannot be fulfilled on configmaps \"b\": Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000, UID in object meta: $uid" &&
	fake_api DELETE $NS/configmaps/b "{\"preconditions\":{\"resourceVersion\":\"1\"}}" >out &&
	expect_status 409 &&
	fake_api DELETE $NS/configmaps/b "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"preconditions\":{\"uid\":\"$uid\"},\"propagationPolicy\":\"Background\"}" >out &&
	expect_status 200 && json_is out "d[\"status\"]" Success &&
	json_is out "d[\"details\"][\"uid\"]" "$uid" &&
	fake_api DELETE $NS/configmaps/b >out && expect_status 404 &&
	json_is out "d[\"reason\"]" NotFound
'

cat >sts.json <<'EOF'
{"apiVersion":"apps/v1","kind":"StatefulSet",
 "metadata":{"name":"ct-100","labels":{"app.kubernetes.io/managed-by":"corral","corral.dev/ctid":"100"}},
 "spec":{"replicas":1,"serviceName":"ct-100","selector":{"matchLabels":{"corral.dev/ctid":"100"}},
  "updateStrategy":{"type":"OnDelete"},
  "template":{"metadata":{"labels":{"corral.dev/ctid":"100"}},
   "spec":{"containers":[{"name":"ct","image":"debian:bookworm",
     "volumeMounts":[{"name":"rootfs","mountPath":"/data"}]}],
    "volumes":[{"name":"rootfs","persistentVolumeClaim":{"claimName":"ct-100-rootfs"}}]}}}}
EOF
cat >pvc.json <<'EOF'
{"apiVersion":"v1","kind":"PersistentVolumeClaim",
 "metadata":{"name":"ct-100-rootfs","labels":{"corral.dev/ctid":"100"}},
 "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"8192Mi"}}}}
EOF

test_expect_success 'server-side apply: fieldManager required (422), create 201, reapply 200 without a write' '
	fake_api PATCH $NS/persistentvolumeclaims/ct-100-rootfs "$(cat pvc.json)" $APPLY >out &&
	expect_status 422 &&
	json_is out "d[\"message\"]" "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch" &&
	fake_api PATCH "$NS/persistentvolumeclaims/ct-100-rootfs?fieldManager=corral-syncd" "$(cat pvc.json)" $APPLY >out &&
	expect_status 201 &&
	json_is out "d[\"spec\"][\"resources\"][\"requests\"][\"storage\"]" 8Gi &&
	json_is out "d[\"spec\"][\"storageClassName\"]" standard &&
	json_is out "[(m[\"manager\"], m[\"operation\"]) for m in d[\"metadata\"][\"managedFields\"]]" "[[\"corral-syncd\", \"Apply\"]]" &&
	fake_api GET $NS/persistentvolumeclaims/ct-100-rootfs >out &&
	json_is out "d[\"status\"][\"phase\"]" Bound &&
	json_is out "d[\"status\"][\"capacity\"][\"storage\"]" 8Gi &&
	json_is out "d[\"spec\"][\"volumeName\"].startswith(\"pvc-\")" true &&
	json_is out "d[\"metadata\"][\"finalizers\"]" "[\"kubernetes.io/pvc-protection\"]" &&
	rv=$(json_eval out "d[\"metadata\"][\"resourceVersion\"]") &&
	fake_api PATCH "$NS/persistentvolumeclaims/ct-100-rootfs?fieldManager=corral-syncd" "$(cat pvc.json)" $APPLY >out &&
	expect_status 200 &&
	json_is out "d[\"metadata\"][\"resourceVersion\"]" "$rv"
'

test_expect_success 'server-side apply: a field dropped from the configuration is removed' '
	sed "s/\"labels\":{\"corral.dev\/ctid\":\"100\"}/\"labels\":{}/" pvc.json >pvc2.json &&
	fake_api PATCH "$NS/persistentvolumeclaims/ct-100-rootfs?fieldManager=corral-syncd" "$(cat pvc2.json)" $APPLY >out &&
	expect_status 200 && json_is out "\"labels\" in d[\"metadata\"]" false &&
	fake_api PATCH "$NS/persistentvolumeclaims/ct-100-rootfs?fieldManager=corral-syncd" "$(cat pvc.json)" $APPLY >out &&
	json_is out "d[\"metadata\"][\"labels\"]" "{\"corral.dev/ctid\": \"100\"}"
'

test_expect_success 'server-side apply: conflict with another manager, then force' '
	fake_api PATCH "$NS/configmaps/a?fieldManager=editor" "{\"data\":{\"k\":\"edited\"}}" $MERGE >/dev/null &&
	fake_api PATCH "$NS/configmaps/a?fieldManager=corral-syncd" "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"mine\"}}" $APPLY >out &&
	expect_status 409 && json_is out "d[\"reason\"]" Conflict &&
	json_is out "d[\"message\"]" "Apply failed with 1 conflict: conflict with \"editor\" using v1: .data.k" &&
	json_is out "d[\"details\"][\"causes\"][0][\"field\"]" .data.k &&
	fake_api PATCH "$NS/configmaps/a?fieldManager=corral-syncd&force=true" "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"mine\"}}" $APPLY >out &&
	expect_status 200 && json_is out "d[\"data\"][\"k\"]" mine &&
	json_is out "sorted(m[\"manager\"] for m in d[\"metadata\"][\"managedFields\"] if \"f:data\" in m[\"fieldsV1\"] and \"f:k\" in m[\"fieldsV1\"][\"f:data\"])" "[\"corral-syncd\"]"
'

test_expect_success 'server-side apply: name mismatch 400, missing kind 400, resourceVersion conflict 409' '
	fake_api PATCH "$NS/configmaps/a?fieldManager=m" "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"zz\"}}" $APPLY >out &&
	expect_status 400 &&
	fake_api PATCH "$NS/configmaps/a?fieldManager=m" "{\"metadata\":{\"name\":\"a\"}}" $APPLY >out &&
	expect_status 400 &&
	fake_api PATCH "$NS/configmaps/a?fieldManager=m" "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\"}}" $APPLY >out &&
	expect_status 409
'

test_expect_success 'unknown fields: pruned with a Warning header, refused with fieldValidation=Strict' '
	fake_curl -D headers -o out -X PATCH -H "Authorization: Bearer $FAKE_TOKEN" \
		-H "Content-Type: $APPLY" \
		--data-binary "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"u\",\"lables\":{\"a\":\"b\"}},\"data\":{\"k\":\"v\"},\"dtaa\":{}}" \
		"$FAKE_URL$NS/configmaps/u?fieldManager=m" &&
	grep -i "^Warning: 299 - \"unknown field \\\\\"dtaa\\\\\"\"" headers &&
	json_is out "\"dtaa\" in d" false &&
	json_is out "\"lables\" in d[\"metadata\"]" false &&
	json_is out "\"f:dtaa\" in str(d[\"metadata\"][\"managedFields\"])" false &&
	fake_api PATCH "$NS/configmaps/u?fieldManager=m&fieldValidation=Strict" "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"u\"},\"dtaa\":{}}" $APPLY >out &&
	expect_status 400 &&
	json_is out "d[\"message\"]" "strict decoding error: unknown field \"dtaa\""
'

test_expect_success 'PVC: shrink refused (422), growth follows, refused without allowVolumeExpansion (403)' '
	sed "s/8192Mi/4Gi/" pvc.json >small.json &&
	fake_api PATCH "$NS/persistentvolumeclaims/ct-100-rootfs?fieldManager=corral-syncd" "$(cat small.json)" $APPLY >out &&
	expect_status 422 &&
	json_is out "d[\"details\"][\"causes\"][0][\"field\"]" spec.resources.requests.storage &&
	json_is out "d[\"message\"]" "PersistentVolumeClaim \"ct-100-rootfs\" is invalid: spec.resources.requests.storage: Forbidden: field can not be less than status.capacity" &&
	fake_ctl POST /_fake/version "{\"minor\":\"30\"}" >/dev/null &&
	fake_api PATCH "$NS/persistentvolumeclaims/ct-100-rootfs?fieldManager=corral-syncd" "$(cat small.json)" $APPLY >out &&
	json_is out "d[\"message\"]" "PersistentVolumeClaim \"ct-100-rootfs\" is invalid: spec.resources.requests.storage: Forbidden: field can not be less than previous value" &&
	fake_ctl POST /_fake/version "{\"minor\":\"33\"}" >/dev/null &&
	sed "s/8192Mi/9Gi/" pvc.json >big.json &&
	fake_api PATCH "$NS/persistentvolumeclaims/ct-100-rootfs?fieldManager=corral-syncd" "$(cat big.json)" $APPLY >out &&
	expect_status 200 &&
	fake_api GET $NS/persistentvolumeclaims/ct-100-rootfs >out &&
	json_is out "d[\"status\"][\"conditions\"][0][\"type\"]" FileSystemResizePending &&
	json_is out "d[\"status\"][\"capacity\"][\"storage\"]" 8Gi &&
	sed "s/8192Mi/1Gi/; s/ct-100-rootfs/noexp/; s/\"accessModes\"/\"storageClassName\":\"no-expand\",\"accessModes\"/" pvc.json >ne.json &&
	fake_api PATCH "$NS/persistentvolumeclaims/noexp?fieldManager=corral-syncd" "$(cat ne.json)" $APPLY >/dev/null &&
	sed "s/1Gi/2Gi/" ne.json >ne2.json &&
	fake_api PATCH "$NS/persistentvolumeclaims/noexp?fieldManager=corral-syncd" "$(cat ne2.json)" $APPLY >out &&
	expect_status 403 &&
	json_is out "d[\"message\"]" "persistentvolumeclaims \"noexp\" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize" &&
	fake_api PATCH "$NS/persistentvolumeclaims/noexp" "{\"spec\":{\"accessModes\":[\"ReadWriteMany\"]}}" $MERGE >out &&
	expect_status 422 &&
	json_is out "d[\"details\"][\"causes\"][0][\"field\"]" spec
'

test_expect_success 'pods/resize: only cpu and memory change, as the real server validates' '
	fake_api POST $NS/pods "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"rz\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"docker.io/library/debian:bookworm\",\"resources\":{\"limits\":{\"memory\":\"512Mi\",\"cpu\":\"1\"}}}]}}" >out &&
	expect_status 201 && rv=$(json_eval out "d[\"metadata\"][\"resourceVersion\"]") &&
	json_is out "d[\"spec\"][\"containers\"][0][\"resources\"][\"requests\"][\"cpu\"]" 1 &&
	fake_api PATCH $NS/pods/rz/resize "{\"spec\":{\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":{\"memory\":\"1024Mi\"},\"requests\":{\"memory\":\"1024Mi\"}}}]}}" $SMP >out &&
	expect_status 200 &&
	json_is out "d[\"spec\"][\"containers\"][0][\"resources\"][\"limits\"][\"memory\"]" 1Gi &&
	json_is out "int(d[\"metadata\"][\"resourceVersion\"]) > $rv" true &&
	fake_api GET $NS/pods/rz >out &&
	json_is out "d[\"status\"][\"containerStatuses\"][0][\"resources\"][\"limits\"][\"memory\"]" 1Gi &&
	json_is out "d[\"status\"][\"containerStatuses\"][0][\"allocatedResources\"][\"memory\"]" 1Gi &&
	fake_api PATCH $NS/pods/rz/resize "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x:1\"}]}}" $SMP >out &&
	expect_status 422 &&
	json_is out "d[\"message\"]" "Pod \"rz\" is invalid: spec: Forbidden: only cpu and memory resources are mutable" &&
	fake_api PATCH $NS/pods/rz/resize "{\"spec\":{\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":{\"memory\":\"256Mi\"},\"requests\":{\"memory\":\"256Mi\"}}}]}}" $SMP >out &&
	expect_status 422 &&
	json_is out "d[\"message\"]" "Pod \"rz\" is invalid: spec.containers[0].resources.limits[memory]: Forbidden: memory limits cannot be decreased unless resizePolicy is RestartContainer" &&
	json_is out "d[\"details\"][\"causes\"][0][\"reason\"]" FieldValueForbidden &&
	fake_api PATCH $NS/pods/rz/resize "{\"spec\":{\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":{\"cpu\":\"2\"}}}]}}" $SMP >out &&
	expect_status 422 &&
	json_is out "d[\"message\"]" "Pod \"rz\" is invalid: spec: Invalid value: \"Guaranteed\": Pod QOS Class may not change as a result of resizing" &&
	fake_api PATCH $NS/pods/rz/resize "{\"spec\":{\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":{\"cpu\":null}}}]}}" $SMP >out &&
	expect_status 422 &&
	json_is out "d[\"message\"]" "Pod \"rz\" is invalid: spec.containers[0].resources.limits[cpu]: Forbidden: resource limits cannot be removed"
'

test_expect_success 'pods/resize: a kubelet made to refuse keeps the old resources and says Infeasible' '
	fake_ctl POST /_fake/pod "{\"name\": \"rz\", \"resize\": \"Infeasible\"}" >/dev/null &&
	fake_api PATCH $NS/pods/rz/resize "{\"spec\":{\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":{\"cpu\":\"2\"},\"requests\":{\"cpu\":\"2\"}}}]}}" $SMP >out &&
	expect_status 200 &&
	fake_api GET $NS/pods/rz >out &&
	json_is out "d[\"spec\"][\"containers\"][0][\"resources\"][\"limits\"][\"cpu\"]" 2 &&
	json_is out "d[\"status\"][\"containerStatuses\"][0][\"resources\"][\"limits\"][\"cpu\"]" 1 &&
	json_is out "[(c[\"reason\"], c[\"message\"]) for c in d[\"status\"][\"conditions\"] if c[\"type\"] == \"PodResizePending\"]" \
		"[[\"Infeasible\", \"Node didn'"'"'t have enough capacity: memory\"]]" &&
	fake_ctl POST /_fake/pod "{\"name\": \"rz\", \"resize\": null}" >/dev/null &&
	fake_api GET $NS/pods/rz >out &&
	json_is out "d[\"status\"][\"containerStatuses\"][0][\"resources\"][\"limits\"][\"cpu\"]" 2 &&
	json_is out "[c for c in d[\"status\"][\"conditions\"] if c[\"type\"] == \"PodResizePending\"]" "[]" &&
	fake_ctl POST /_fake/version "{\"minor\":\"32\"}" >/dev/null &&
	fake_api PATCH $NS/pods/rz/resize "{}" $SMP >out && expect_status 404 &&
	fake_ctl POST /_fake/version "{\"minor\":\"33\"}" >/dev/null &&
	fake_api DELETE $NS/pods/rz >out
'

test_expect_success 'StatefulSet: replicas 1 runs pod -0; resize completes once the pod runs' '
	fake_api PATCH "$STS/ct-100?fieldManager=corral-syncd" "$(cat sts.json)" $APPLY >out &&
	expect_status 201 && json_is out "d[\"metadata\"][\"generation\"]" 1 &&
	fake_api GET $NS/pods/ct-100-0 >pod && expect_status 200 &&
	json_is pod "d[\"status\"][\"phase\"]" Running &&
	json_is pod "d[\"status\"][\"podIP\"].startswith(\"10.244.\")" true &&
	json_is pod "d[\"spec\"][\"nodeName\"]" fake-node-1 &&
	json_is pod "d[\"status\"][\"containerStatuses\"][0][\"ready\"]" true &&
	json_is pod "d[\"metadata\"][\"labels\"][\"corral.dev/ctid\"]" 100 &&
	json_is pod "d[\"metadata\"][\"ownerReferences\"][0][\"kind\"]" StatefulSet &&
	fake_api GET $STS/ct-100 >out &&
	json_is out "d[\"status\"][\"readyReplicas\"]" 1 &&
	json_is out "d[\"status\"][\"currentRevision\"] == d[\"status\"][\"updateRevision\"]" true &&
	json_is pod "d[\"metadata\"][\"labels\"][\"controller-revision-hash\"]" "$(json_eval out "d[\"status\"][\"updateRevision\"]")" &&
	fake_api GET $NS/persistentvolumeclaims/ct-100-rootfs >out &&
	json_is out "d[\"status\"][\"capacity\"][\"storage\"]" 9Gi &&
	json_is out "\"conditions\" in d[\"status\"]" false
'

test_expect_success 'StatefulSet OnDelete: a template change waits for the pod to be deleted' '
	sed "s/debian:bookworm/debian:trixie/" sts.json >sts2.json &&
	fake_api PATCH "$STS/ct-100?fieldManager=corral-syncd" "$(cat sts2.json)" $APPLY >out &&
	json_is out "d[\"metadata\"][\"generation\"]" 2 &&
	fake_api GET $STS/ct-100 >sts &&
	old=$(json_eval sts "d[\"status\"][\"currentRevision\"]") &&
	new=$(json_eval sts "d[\"status\"][\"updateRevision\"]") &&
	test "$old" != "$new" &&
	fake_api GET $NS/pods/ct-100-0 >pod &&
	json_is pod "d[\"metadata\"][\"labels\"][\"controller-revision-hash\"]" "$old" &&
	json_is pod "d[\"spec\"][\"containers\"][0][\"image\"]" debian:bookworm &&
	fake_api DELETE $NS/pods/ct-100-0 >out && expect_status 200 &&
	json_is out "d[\"kind\"]" Pod &&
	fake_api GET $NS/pods/ct-100-0 >pod &&
	json_is pod "d[\"metadata\"][\"labels\"][\"controller-revision-hash\"]" "$new" &&
	json_is pod "d[\"spec\"][\"containers\"][0][\"image\"]" debian:trixie &&
	fake_api GET $STS/ct-100 >sts &&
	json_is sts "d[\"status\"][\"currentRevision\"]" "$old" &&
	json_is sts "d[\"status\"][\"updatedReplicas\"]" 1
'

test_expect_success 'StatefulSet: scale subresource to 0 deletes the pod; forbidden spec change 422' '
	fake_api GET $STS/ct-100/scale >out && json_is out "d[\"kind\"]" Scale &&
	json_is out "d[\"spec\"][\"replicas\"]" 1 &&
	fake_api PATCH $STS/ct-100/scale "{\"spec\":{\"replicas\":0}}" $MERGE >out &&
	expect_status 200 && json_is out "d[\"spec\"][\"replicas\"]" 0 &&
	fake_api GET $NS/pods/ct-100-0 >out && expect_status 404 &&
	fake_api PATCH "$STS/ct-100?fieldManager=corral-syncd" "$(cat sts2.json)" $APPLY >out &&
	expect_status 409 &&
	json_is out "d[\"details\"][\"causes\"][0][\"field\"]" .spec.replicas &&
	fake_api PATCH "$STS/ct-100?fieldManager=corral-syncd&force=true" "$(cat sts2.json)" $APPLY >out &&
	expect_status 200 &&
	fake_api GET $NS/pods/ct-100-0 >out && expect_status 200 &&
	fake_api PATCH $STS/ct-100 "{\"spec\":{\"serviceName\":\"other\"}}" $MERGE >out &&
	expect_status 422 &&
	json_is out "d[\"message\"].startswith(\"StatefulSet.apps \\\"ct-100\\\" is invalid: spec: Forbidden: updates to statefulset spec\")" true
'

test_expect_success 'pods: test-set ImagePullBackOff and Unschedulable look like the real ones' '
	fake_ctl POST /_fake/pod "{\"namespace\":\"default\",\"name\":\"ct-100-0\",\"phase\":\"Pending\",\"reason\":\"ImagePullBackOff\"}" >/dev/null &&
	fake_api GET $NS/pods/ct-100-0 >pod &&
	json_is pod "d[\"status\"][\"phase\"]" Pending &&
	json_is pod "d[\"status\"][\"containerStatuses\"][0][\"state\"][\"waiting\"][\"reason\"]" ImagePullBackOff &&
	json_is pod "d[\"status\"][\"containerStatuses\"][0][\"state\"][\"waiting\"][\"message\"]" "Back-off pulling image \"debian:trixie\"" &&
	fake_ctl POST /_fake/pod "{\"namespace\":\"default\",\"name\":\"ct-100-0\",\"phase\":\"Pending\",\"reason\":\"Unschedulable\"}" >/dev/null &&
	fake_api GET $NS/pods/ct-100-0 >pod &&
	json_is pod "d[\"status\"][\"conditions\"][0][\"reason\"]" Unschedulable &&
	json_is pod "d[\"status\"][\"conditions\"][0][\"message\"].startswith(\"0/1 nodes are available\")" true &&
	fake_ctl POST /_fake/pod "{\"namespace\":\"default\",\"name\":\"ct-100-0\",\"clear\":true}" >/dev/null &&
	fake_api GET $NS/pods/ct-100-0 >pod && json_is pod "d[\"status\"][\"phase\"]" Running
'

test_expect_success 'VolumeSnapshot: manual readiness, failure, clone from a snapshot' '
	fake_ctl POST /_fake/config "{\"snapshot_ready\":\"manual\"}" >/dev/null &&
	VS=/apis/snapshot.storage.k8s.io/v1/namespaces/default/volumesnapshots &&
	fake_api PATCH "$VS/ct-100-rootfs-s1?fieldManager=corral-syncd" "{\"apiVersion\":\"snapshot.storage.k8s.io/v1\",\"kind\":\"VolumeSnapshot\",\"metadata\":{\"name\":\"ct-100-rootfs-s1\"},\"spec\":{\"source\":{\"persistentVolumeClaimName\":\"ct-100-rootfs\"}}}" $APPLY >out &&
	expect_status 201 &&
	fake_api GET $VS/ct-100-rootfs-s1 >out &&
	json_is out "d[\"status\"][\"readyToUse\"]" false &&
	json_is out "d[\"spec\"][\"volumeSnapshotClassName\"]" fake-snapclass &&
	fake_api PATCH "$NS/persistentvolumeclaims/ct-101-rootfs?fieldManager=corral-syncd" "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"ct-101-rootfs\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"9Gi\"}},\"dataSource\":{\"apiGroup\":\"snapshot.storage.k8s.io\",\"kind\":\"VolumeSnapshot\",\"name\":\"ct-100-rootfs-s1\"}}}" $APPLY >out &&
	expect_status 201 &&
	json_is out "d[\"spec\"][\"dataSourceRef\"][\"kind\"]" VolumeSnapshot &&
	fake_api GET $NS/persistentvolumeclaims/ct-101-rootfs >out &&
	json_is out "d[\"status\"][\"phase\"]" Pending &&
	fake_ctl POST /_fake/volumesnapshot "{\"namespace\":\"default\",\"name\":\"ct-100-rootfs-s1\",\"ready\":true}" >/dev/null &&
	fake_api GET $VS/ct-100-rootfs-s1 >out &&
	json_is out "d[\"status\"][\"readyToUse\"]" true &&
	json_is out "d[\"status\"][\"restoreSize\"]" 9Gi &&
	fake_api GET $NS/persistentvolumeclaims/ct-101-rootfs >out &&
	json_is out "d[\"status\"][\"phase\"]" Bound &&
	fake_api PATCH "$VS/bad?fieldManager=corral-syncd" "{\"apiVersion\":\"snapshot.storage.k8s.io/v1\",\"kind\":\"VolumeSnapshot\",\"metadata\":{\"name\":\"bad\"},\"spec\":{\"source\":{\"persistentVolumeClaimName\":\"ct-100-rootfs\"}}}" $APPLY >/dev/null &&
	fake_ctl POST /_fake/volumesnapshot "{\"namespace\":\"default\",\"name\":\"bad\",\"error\":\"driver exploded\"}" >/dev/null &&
	fake_api GET $VS/bad >out &&
	json_is out "d[\"status\"][\"error\"][\"message\"]" "driver exploded" &&
	json_is out "d[\"status\"][\"readyToUse\"]" false &&
	fake_api PATCH $VS/bad "{\"spec\":{\"source\":{\"persistentVolumeClaimName\":\"x\"}}}" $MERGE >out &&
	expect_status 422 &&
	fake_api PATCH $VS/bad "{}" application/strategic-merge-patch+json >out &&
	expect_status 415
'

test_expect_success 'deleting a PVC in use waits for its pod (pvc-protection)' '
	fake_api DELETE $NS/persistentvolumeclaims/ct-100-rootfs >out && expect_status 200 &&
	json_is out "d[\"metadata\"][\"deletionTimestamp\"] is not None" true &&
	fake_api GET $NS/persistentvolumeclaims/ct-100-rootfs >out && expect_status 200 &&
	fake_api DELETE $STS/ct-100 >out && expect_status 200 &&
	fake_api GET $NS/pods/ct-100-0 >out && expect_status 404 &&
	fake_api GET $NS/persistentvolumeclaims/ct-100-rootfs >out && expect_status 404
'

test_expect_success 'watch: ADDED, MODIFIED, DELETED, selector edges, BOOKMARK, timeoutSeconds' '
	fake_ctl POST /_fake/config "{\"bookmark_interval\":0.3}" >/dev/null &&
	fake_curl -N -H "Authorization: Bearer $FAKE_TOKEN" \
		"$FAKE_URL$NS/configmaps?watch=1&labelSelector=w%3D1&allowWatchBookmarks=true&timeoutSeconds=2" >watch.out &
	wpid=$! &&
	sleep 0.3 &&
	fake_api POST $NS/configmaps "{\"metadata\":{\"name\":\"w\",\"labels\":{\"w\":\"1\"}}}" >/dev/null &&
	fake_api PATCH $NS/configmaps/w "{\"data\":{\"a\":\"b\"}}" $MERGE >/dev/null &&
	fake_api PATCH $NS/configmaps/w "{\"metadata\":{\"labels\":{\"w\":\"2\"}}}" $MERGE >/dev/null &&
	fake_api PATCH $NS/configmaps/w "{\"metadata\":{\"labels\":{\"w\":\"1\"}}}" $MERGE >/dev/null &&
	fake_api DELETE $NS/configmaps/w >/dev/null &&
	wait $wpid &&
	"$PYTHON" -c "import json,sys
ev = [json.loads(l) for l in open(\"watch.out\")]
types = [e[\"type\"] for e in ev if e[\"type\"] != \"BOOKMARK\"]
assert types == [\"ADDED\", \"MODIFIED\", \"DELETED\", \"ADDED\", \"DELETED\"], types
assert any(e[\"type\"] == \"BOOKMARK\" for e in ev)
assert all(e[\"object\"][\"kind\"] == \"ConfigMap\" for e in ev)"
'

test_expect_success 'watch from a resourceVersion replays; a compacted one gets 410 Expired' '
	fake_api GET $NS/configmaps >list &&
	rv=$(json_eval list "d[\"metadata\"][\"resourceVersion\"]") &&
	fake_api POST $NS/configmaps "{\"metadata\":{\"name\":\"r\"}}" >/dev/null &&
	fake_api GET "$NS/configmaps?watch=1&resourceVersion=$rv&timeoutSeconds=1" >out &&
	json_is out "d[\"type\"]" ADDED &&
	json_is out "d[\"object\"][\"metadata\"][\"name\"]" r &&
	fake_ctl POST /_fake/compact >/dev/null &&
	fake_api GET "$NS/configmaps?watch=1&resourceVersion=$rv&timeoutSeconds=1" >out &&
	json_is out "d[\"type\"]" ERROR &&
	json_is out "d[\"object\"][\"code\"]" 410 &&
	json_is out "d[\"object\"][\"reason\"]" Expired &&
	json_is out "d[\"object\"][\"message\"].startswith(\"too old resource version: $rv \")" true
'

test_expect_success 'watch: a dropped stream ends without the last chunk' '
	fake_curl -N -H "Authorization: Bearer $FAKE_TOKEN" \
		"$FAKE_URL/api/v1/watch/namespaces/default/configmaps?timeoutSeconds=20" >w2.out 2>w2.err &
	wpid=$! &&
	sleep 0.4 &&
	fake_ctl POST /_fake/watches/drop >out &&
	json_is out "d[\"dropped\"]" 1 &&
	{ wait $wpid; rc=$?; } ; test $rc -ne 0 &&
	grep -q "\"ADDED\"" w2.out
'

test_expect_success 'faults: 503 for the next request, path patterns, drops, delays' '
	fake_ctl POST /_fake/fault "{\"code\":503,\"count\":1}" >/dev/null &&
	fake_api GET /version >out && expect_status 503 &&
	json_is out "d[\"reason\"]" ServiceUnavailable &&
	fake_api GET /version >out && expect_status 200 &&
	fake_ctl POST /_fake/fault "{\"code\":500,\"count\":-1,\"path\":\"/configmaps\",\"method\":\"POST\"}" >/dev/null &&
	fake_api POST $NS/configmaps "{\"metadata\":{\"name\":\"f\"}}" >out && expect_status 500 &&
	json_is out "d[\"reason\"]" InternalError &&
	fake_api GET $NS/configmaps/a >out && expect_status 200 &&
	fake_ctl DELETE /_fake/fault >/dev/null &&
	fake_ctl POST /_fake/fault "{\"type\":\"drop\"}" >/dev/null &&
	test_must_fail fake_api GET /version >out &&
	fake_ctl POST /_fake/fault "{\"type\":\"delay\",\"seconds\":0.5}" >/dev/null &&
	start=$(date +%s%N) && fake_api GET /version >out && end=$(date +%s%N) &&
	test $(( (end - start) / 1000000 )) -ge 450
'

test_expect_success 'request log: method, path, query, content type, user; connections counted' '
	fake_ctl POST /_fake/log/clear >/dev/null &&
	fake_api PATCH "$NS/configmaps/a?fieldManager=corral-syncd&force=true" "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}" $APPLY >/dev/null &&
	fake_ctl GET /_fake/log >log &&
	json_is log "d[\"requests\"][0][\"method\"]" PATCH &&
	json_is log "d[\"requests\"][0][\"path\"]" $NS/configmaps/a &&
	json_is log "d[\"requests\"][0][\"params\"][\"fieldManager\"]" corral-syncd &&
	json_is log "d[\"requests\"][0][\"content_type\"]" $APPLY &&
	json_is log "d[\"requests\"][0][\"user\"]" corral-test &&
	json_is log "d[\"requests\"][0][\"status\"]" 200 &&
	test "$(fake_log_count PATCH /configmaps/)" = 1 &&
	fake_ctl GET /_fake/stats >stats &&
	json_is stats "d[\"connections\"] >= d[\"api_connections\"] > 0" true
'

test_expect_success 'auth: no credentials 401, wrong token 401, client certificate CN is the user' '
	fake_curl -o out -w "%{http_code}" "$FAKE_URL/api/v1/namespaces" >code &&
	test "$(cat code)" = 401 &&
	cat >expect <<-\EOF &&
	{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}
	EOF
	test_cmp expect out &&
	fake_curl -o out -w "%{http_code}" -H "Authorization: Bearer wrong" "$FAKE_URL/version" >code &&
	test "$(cat code)" = 401 &&
	fake_ctl POST /_fake/log/clear >/dev/null &&
	fake_curl -o out -w "%{http_code}" --cert "$FAKE_CERTS/client.crt" --key "$FAKE_CERTS/client.key" \
		"$FAKE_URL/api/v1/namespaces/default" >code &&
	test "$(cat code)" = 200 &&
	fake_ctl GET /_fake/log >log &&
	json_is log "d[\"requests\"][0][\"user\"]" corral-test
'

test_expect_success 'auth: 403 Forbidden for a configured user and resource' '
	fake_ctl POST /_fake/config "{\"forbid\":[{\"user\":\"corral-test\",\"verb\":\"*\",\"resource\":\"persistentvolumeclaims\"}]}" >/dev/null &&
	fake_api GET $NS/persistentvolumeclaims/x >out && expect_status 403 &&
	json_is out "d[\"message\"]" "persistentvolumeclaims \"x\" is forbidden: User \"corral-test\" cannot get resource \"persistentvolumeclaims\" in API group \"\" in the namespace \"default\"" &&
	fake_api GET $NS/persistentvolumeclaims >out && expect_status 403 &&
	json_is out "d[\"message\"]" "persistentvolumeclaims is forbidden: User \"corral-test\" cannot list resource \"persistentvolumeclaims\" in API group \"\" in the namespace \"default\"" &&
	fake_ctl POST /_fake/config "{\"forbid\":[]}" >/dev/null
'

test_expect_success 'nodes: the seeded node reports runtime handlers, as a v1.31.2 kubelet with containerd 2' '
	fake_api GET /api/v1 >out &&
	json_is out "[(r[\"name\"], r[\"namespaced\"]) for r in d[\"resources\"] if r[\"name\"].startswith(\"nodes\")]" \
		"[[\"nodes\", false], [\"nodes/status\", false]]" &&
	fake_api GET /api/v1/nodes >out && expect_status 200 &&
	json_is out "d[\"kind\"]" NodeList &&
	json_is out "[i[\"metadata\"][\"name\"] for i in d[\"items\"]]" "[\"fake-node-1\"]" &&
	json_is out "d[\"items\"][0][\"status\"][\"runtimeHandlers\"]" \
		"[{\"features\": {\"recursiveReadOnlyMounts\": true, \"userNamespaces\": true}, \"name\": \"runc\"}, {\"features\": {\"recursiveReadOnlyMounts\": true, \"userNamespaces\": true}, \"name\": \"\"}]" &&
	fake_api GET /api/v1/namespaces/default/nodes/fake-node-1 >out && expect_status 404
'

test_expect_success 'nodes: a kubelet registers with its status; updates keep it; /status changes it' '
	fake_api POST /api/v1/nodes "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"old-1\"},\"status\":{\"nodeInfo\":{\"kubeletVersion\":\"v1.28.7\"}}}" >out &&
	expect_status 201 &&
	json_is out "d[\"status\"][\"nodeInfo\"][\"kubeletVersion\"]" v1.28.7 &&
	json_is out "\"runtimeHandlers\" in d[\"status\"]" false &&
	fake_api PATCH "/api/v1/nodes/old-1" "{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"status\":{\"nodeInfo\":{\"kubeletVersion\":\"v0\"}}}" $MERGE >out &&
	expect_status 200 &&
	json_is out "d[\"status\"][\"nodeInfo\"][\"kubeletVersion\"]" v1.28.7 &&
	fake_api PATCH "/api/v1/nodes/old-1/status" "{\"status\":{\"runtimeHandlers\":[{\"name\":\"\",\"features\":{\"userNamespaces\":true}}]}}" $SMP >out &&
	expect_status 200 &&
	json_is out "d[\"status\"][\"runtimeHandlers\"][0][\"features\"][\"userNamespaces\"]" true &&
	fake_api DELETE /api/v1/nodes/old-1 >/dev/null && expect_status 200
'

test_expect_success 'hostUsers: kept from 1.33; dropped before, as a v1.31.2 API server with its gate off does' '
	t="{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"generateName\":\"probe-\"},\"spec\":{\"serviceName\":\"p\",\"selector\":{\"matchLabels\":{\"p\":\"1\"}},\"template\":{\"metadata\":{\"labels\":{\"p\":\"1\"}},\"spec\":{\"hostUsers\":false,\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}" &&
	fake_api POST "$STS?dryRun=All" "$t" >out && expect_status 201 &&
	json_is out "d[\"spec\"][\"template\"][\"spec\"][\"hostUsers\"]" false &&
	fake_api GET $STS >out && json_is out "len(d[\"items\"])" 0 &&
	fake_ctl POST /_fake/version "{\"minor\":\"31\"}" >/dev/null &&
	fake_api POST "$STS?dryRun=All" "$t" >out && expect_status 201 &&
	json_is out "\"hostUsers\" in d[\"spec\"][\"template\"][\"spec\"]" false &&
	fake_api POST $NS/pods "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"hu\"},\"spec\":{\"hostUsers\":false,\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}" >out &&
	expect_status 201 &&
	json_is out "\"hostUsers\" in d[\"spec\"]" false &&
	fake_ctl POST /_fake/config "{\"userns_gate\":true}" >/dev/null &&
	fake_api POST "$STS?dryRun=All" "$t" >out &&
	json_is out "d[\"spec\"][\"template\"][\"spec\"][\"hostUsers\"]" false &&
	fake_ctl POST /_fake/config "{\"userns_gate\":null}" >/dev/null &&
	fake_ctl POST /_fake/version "{\"minor\":\"33\"}" >/dev/null &&
	fake_api DELETE $NS/pods/hu >/dev/null
'

test_expect_success 'nodes: 403 with the RBAC wording of the cluster scope' '
	fake_ctl POST /_fake/config "{\"forbid\":[{\"user\":\"corral-test\",\"verb\":\"list\",\"resource\":\"nodes\"}]}" >/dev/null &&
	fake_api GET /api/v1/nodes >out && expect_status 403 &&
	json_is out "d[\"message\"]" "nodes is forbidden: User \"corral-test\" cannot list resource \"nodes\" in API group \"\" at the cluster scope" &&
	json_is out "d[\"details\"]" "{\"kind\": \"nodes\"}" &&
	fake_ctl POST /_fake/config "{\"forbid\":[]}" >/dev/null
'

test_expect_success 'TLS: a wrong CA fails the handshake, on both sides' '
	test_must_fail curl -sS --cacert "$FAKE_CERTS/other-ca.crt" -H "Authorization: Bearer $FAKE_TOKEN" \
		"$FAKE_URL/version" 2>err &&
	grep -qi "certificate" err &&
	test_must_fail curl -sS --cacert "$FAKE_CERTS/ca.crt" --cert "$FAKE_CERTS/other-client.crt" \
		--key "$FAKE_CERTS/other-client.key" "$FAKE_URL/version" 2>err &&
	fake_ctl GET /_fake/stats >stats &&
	json_is stats "d[\"tls_failures\"] >= 2" true &&
	curl -sS --cacert "$FAKE_CERTS/ca.crt" -H "Authorization: Bearer $FAKE_TOKEN" \
		"https://localhost:$FAKE_PORT/version" >out &&
	json_is out "d[\"major\"]" 1
'

test_expect_success 'reset: back to the initial objects; plain HTTP mode' '
	fake_ctl POST /_fake/reset >/dev/null &&
	fake_api GET $NS/configmaps >out &&
	json_is out "[i[\"metadata\"][\"name\"] for i in d[\"items\"]]" "[\"kube-root-ca.crt\"]" &&
	FAKE_URL=$PLAIN_URL FAKE_DIR=$PLAIN_DIR &&
	case "$FAKE_URL" in http://*) ;; *) false ;; esac &&
	fake_api GET /api/v1/namespaces/default >out && expect_status 200
'

test_done

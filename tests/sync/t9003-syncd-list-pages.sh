#!/bin/sh
# corral-syncd against the fake API server: the agent lists each kind in
# pages (of 50), and a continue token that expired between two pages (410
# Gone) starts the list again instead of ending it with what came so far
# (an empty cache: every object written again, as if the cluster had lost it).
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/sync/fake-lib.sh"

SYNCD=$top_builddir/sync/corral-syncd
NCT=60

FAKE_DIR=$TRASH/fake
fake_start || exit 1
fake_kubeconfig "$TRASH/kubeconfig" token
cat >"$CORRAL_CONFIG" <<EOF
output = "kube"
kubeconfig = "$TRASH/kubeconfig"
namespace = "default"
EOF
id=100
while [ $id -lt $((100 + NCT)) ]; do
	cat >"$CORRAL_CONFDIR/$id.conf" <<EOF
arch: amd64
hostname: ct$id
memory: 512
ostemplate: docker.io/library/debian:bookworm
ostype: debian
rootfs: local:vm-$id-disk-0,size=1G
EOF
	id=$((id + 1))
done

# the LISTs of ConfigMaps in the request log: "first" or "continue", and the status
configmap_lists () {
	fake_ctl GET /_fake/log | "$PYTHON" -S -c 'import json, sys
for e in json.load(sys.stdin)["requests"]:
    if e["method"] == "GET" and e["path"].endswith("/configmaps") and not e.get("watch"):
        print("continue" if "continue=" in (e.get("query") or "") else "first", e["status"])'
}

test_expect_success "the first pass creates the objects of $NCT CTs" '
	"$SYNCD" --once 2>log1 &&
	fake_api GET "/api/v1/namespaces/default/configmaps?labelSelector=app.kubernetes.io/managed-by%3Dcorral" >out &&
	test "$(json_eval out "len(d[\"items\"])")" = $NCT
'

test_expect_success 'a restart lists in pages and writes nothing' '
	fake_ctl POST /_fake/log/clear >/dev/null &&
	"$SYNCD" --once 2>log2 &&
	configmap_lists >lists &&
	printf "first 200\ncontinue 200\n" >expect &&
	test_cmp expect lists &&
	test "$(fake_log_count PATCH)" = 0
'

test_expect_success 'a continue token expired: the list starts again, nothing is written' '
	fake_ctl POST /_fake/log/clear >/dev/null &&
	fake_ctl POST /_fake/fault "{\"code\":410,\"count\":1,\"path\":\"/configmaps\$\",\"query\":\"continue=\"}" >/dev/null &&
	"$SYNCD" --once 2>log3 &&
	configmap_lists >lists &&
	printf "first 200\ncontinue 410\nfirst 200\ncontinue 200\n" >expect &&
	test_cmp expect lists &&
	test "$(fake_log_count PATCH)" = 0
'

test_done

# fake-lib.sh: run tests/sync/fake-apiserver.py from a shell test.
#
#   . "$top_srcdir/tests/cli/test-lib.sh"
#   . "$top_srcdir/tests/sync/fake-lib.sh"
#   fake_start --tls                   # or plain: fake_start; extra args go to the fake
#   fake_kubeconfig kc token           # token | cert | cert-data | ca-data | insecure
#   fake_api GET /api/v1/namespaces/default/configmaps >out && test "$(fake_status)" = 200
#   fake_ctl POST /_fake/fault '{"code":503,"count":2}'
#   json_eval out 'd["items"][0]["metadata"]["name"]'
#
# Variables after fake_start: FAKE_URL (https://127.0.0.1:PORT or http://...),
# FAKE_PORT, FAKE_PID, FAKE_DIR (its files: port, log, pki/), FAKE_TOKEN,
# FAKE_CERTS (ca.crt, client.crt/key, other-ca.crt, ... from mkcerts.sh).
# The fake exits with the test (stopped at EXIT, and it watches our pid).
# Several fakes: set FAKE_DIR to a different directory before each fake_start
# (on its own line: dash drops VAR=x prefixes of function calls); the
# variables describe the last one started, fake_stop stops them all. Start
# fakes at the top level of a test script, not inside test_expect_success,
# whose body runs in a subshell.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
FAKE_PY="$top_srcdir/tests/sync/fake-apiserver.py"
FAKE_TOKEN=${FAKE_TOKEN:-corral-test-token}
FAKE_PIDS=

# the interpreter itself, not a version manager's shim (each json_eval starts one)
PYTHON=$(python3 -c 'import sys; print(sys.executable)') || PYTHON=python3
export PYTHON

if ! command -v curl >/dev/null 2>&1; then
	echo "1..0 # SKIP curl is not installed"
	exit 0
fi

trap 'fake_stop; test_cleanup' EXIT

# fake_certs [DIR]: make the test PKI once (into $TRASH/pki by default)
fake_certs () {
	FAKE_CERTS=${1:-$TRASH/pki}
	if [ ! -f "$FAKE_CERTS/client.key" ]; then
		"$top_srcdir/tests/sync/mkcerts.sh" "$FAKE_CERTS" || return 1
	fi
	export FAKE_CERTS
}

# fake_start [--tls] [FAKE ARGS...]: start a fake on a free port and wait for it
fake_start () {
	tls=
	if [ "${1:-}" = --tls ]; then
		tls=1
		shift
	fi
	FAKE_DIR=${FAKE_DIR:-$TRASH/fake}
	mkdir -p "$FAKE_DIR"
	rm -f "$FAKE_DIR/port"
	set -- --port 0 --write-port-file "$FAKE_DIR/port" --parent-pid $$ --lifetime 900 \
		--token "$FAKE_TOKEN:corral-test" --quiet "$@"
	if [ -n "$tls" ]; then
		fake_certs "${FAKE_CERTS:-}" || return 1
		set -- --tls-cert "$FAKE_CERTS/server.crt" --tls-key "$FAKE_CERTS/server.key" \
			--client-ca "$FAKE_CERTS/ca.crt" "$@"
	fi
	"$PYTHON" "$FAKE_PY" "$@" >"$FAKE_DIR/log" 2>&1 &
	FAKE_PID=$!
	FAKE_PIDS="$FAKE_PIDS $FAKE_PID"
	i=0
	while [ ! -s "$FAKE_DIR/port" ]; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$FAKE_PID" 2>/dev/null; then
			echo "fake-apiserver did not start:" >&2
			cat "$FAKE_DIR/log" >&2
			return 1
		fi
		sleep 0.05
	done
	FAKE_PORT=$(cat "$FAKE_DIR/port")
	if [ -n "$tls" ]; then
		FAKE_URL=https://127.0.0.1:$FAKE_PORT
	else
		FAKE_URL=http://127.0.0.1:$FAKE_PORT
	fi
	export FAKE_URL FAKE_PORT FAKE_PID FAKE_DIR FAKE_TOKEN
}

# fake_stop: stop every fake this script started (by pid)
fake_stop () {
	for p in $FAKE_PIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	FAKE_PIDS=
}

# curl with the fake's CA (or none for plain HTTP)
fake_curl () {
	case "$FAKE_URL" in
	https:*) curl -sS --cacert "$FAKE_CERTS/ca.crt" "$@" ;;
	*) curl -sS "$@" ;;
	esac
}

# fake_api METHOD PATH [BODY [CONTENT-TYPE]]: an API request with the bearer
# token; prints the body, keeps the HTTP status for fake_status
fake_api () {
	_fa_m=$1 _fa_p=$2
	shift 2
	if [ $# -ge 1 ]; then
		fake_curl -X "$_fa_m" -H "Authorization: Bearer $FAKE_TOKEN" \
			-H "Content-Type: ${2:-application/json}" --data-binary "$1" \
			-o "$FAKE_DIR/body" -w '%{http_code}' "$FAKE_URL$_fa_p" >"$FAKE_DIR/status"
	else
		fake_curl -X "$_fa_m" -H "Authorization: Bearer $FAKE_TOKEN" \
			-o "$FAKE_DIR/body" -w '%{http_code}' "$FAKE_URL$_fa_p" >"$FAKE_DIR/status"
	fi
	rc=$?
	cat "$FAKE_DIR/body" 2>/dev/null
	return $rc
}

fake_status () {
	cat "$FAKE_DIR/status"
}

# fake_ctl METHOD PATH [JSON]: a test control request (/_fake/...), no auth
fake_ctl () {
	if [ $# -ge 3 ]; then
		fake_curl -X "$1" -H 'Content-Type: application/json' --data-binary "$3" "$FAKE_URL$2"
	else
		fake_curl -X "$1" "$FAKE_URL$2"
	fi
}

# json_eval FILE EXPR: print a Python expression over the JSON in FILE (as d)
json_eval () {
	"$PYTHON" -S -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1" "$2"
}

# objects_of VMID: the "KIND NAME" lines of the objects labelled for the CT (pods aside)
objects_of () {
	fake_ctl GET /_fake/objects | "$PYTHON" -S -c 'import json, sys
for o in json.load(sys.stdin)["objects"]:
    md = o["metadata"]
    if md.get("labels", {}).get("corral.dev/ctid") == sys.argv[1] and o["kind"] != "Pod":
        print(o["kind"], md["name"])' "$1" | sort
}

# fake_log_count [METHOD] [PATH-REGEX]: how many API requests the fake saw
fake_log_count () {
	fake_ctl GET /_fake/log | "$PYTHON" -S -c 'import json, re, sys
m, p = sys.argv[1], sys.argv[2]
print(sum(1 for e in json.load(sys.stdin)["requests"]
          if (not m or e["method"] == m) and re.search(p, e["path"])))' "${1:-}" "${2:-.}"
}

# fake_kubeconfig FILE [token|cert|cert-data|ca-data|insecure] [NAMESPACE]
fake_kubeconfig () {
	_kc=$1 _kc_mode=${2:-token} _kc_ns=${3:-default}
	b64 () { base64 -w0 <"$1"; }
	{
		echo "apiVersion: v1"
		echo "kind: Config"
		echo "current-context: fake"
		echo "clusters:"
		echo "- name: fake"
		echo "  cluster:"
		echo "    server: $FAKE_URL"
		case "$FAKE_URL:$_kc_mode" in
		http:*) ;;
		*:insecure) echo "    insecure-skip-tls-verify: true" ;;
		*:ca-data|*:cert-data) echo "    certificate-authority-data: $(b64 "$FAKE_CERTS/ca.crt")" ;;
		*) echo "    certificate-authority: $FAKE_CERTS/ca.crt" ;;
		esac
		echo "contexts:"
		echo "- name: fake"
		echo "  context:"
		echo "    cluster: fake"
		echo "    user: fake-user"
		echo "    namespace: $_kc_ns"
		echo "users:"
		echo "- name: fake-user"
		echo "  user:"
		case "$_kc_mode" in
		cert)
			echo "    client-certificate: $FAKE_CERTS/client.crt"
			echo "    client-key: $FAKE_CERTS/client.key" ;;
		cert-data)
			echo "    client-certificate-data: $(b64 "$FAKE_CERTS/client.crt")"
			echo "    client-key-data: $(b64 "$FAKE_CERTS/client.key")" ;;
		*)
			echo "    token: $FAKE_TOKEN" ;;
		esac
	} >"$_kc"
}

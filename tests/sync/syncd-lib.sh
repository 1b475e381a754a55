# syncd-lib.sh: run corral-syncd from a shell test (after test-lib.sh, and
# after fake-lib.sh when the test talks to the fake API server).
#
#   syncd --once ...            one run in the foreground (stderr as it is)
#   agent_start [ARGS...]       the daemon in the background, logging to agent.log
#   agent_stop                  SIGTERM, then its exit status (0 expected)
#   wait_for 'COMMANDS' [SECS]  until COMMANDS succeed (default: 60 s)
#   wait_log REGEX [N] [SECS]   until agent.log has N lines matching REGEX
#   yaml_json FILE >OUT         the documents of a manifest as a JSON list
#   jsonq FILE EXPR             a Python expression over the JSON in FILE (as d)
#
# Under SYNCD_WRAPPER (e.g. "valgrind -q") every agent runs inside it.
# Everything any agent wrote to stderr also goes to $SYNCD_ALL (for checks
# over the whole script's output, such as "the token never appears").

: "${SYNCD:=$top_builddir/sync/corral-syncd}"
PYTHON=${PYTHON:-python3}
AGENT_LOG=$TRASH/agent.log
SYNCD_ALL=$TRASH/syncd-output.all
: >"$SYNCD_ALL"

syncd () {
	${SYNCD_WRAPPER:-} "$SYNCD" "$@" 2>"$TRASH/.syncd-err"
	_sd_rc=$?
	cat "$TRASH/.syncd-err" >>"$SYNCD_ALL"
	cat "$TRASH/.syncd-err" >&2
	return $_sd_rc
}

# The agent's pid and exit status live in files: test bodies run in subshells,
# so a later body (or the EXIT trap) stops an agent an earlier one started.
AGENT_PIDFILE=$TRASH/agent.pid
AGENT_RCFILE=$TRASH/agent.rc

agent_start () {
	: >"$AGENT_LOG"
	rm -f "$AGENT_PIDFILE" "$AGENT_RCFILE"
	(
		${SYNCD_WRAPPER:-} "$SYNCD" "$@" >>"$AGENT_LOG" 2>&1 &
		echo $! >"$AGENT_PIDFILE.tmp" && mv "$AGENT_PIDFILE.tmp" "$AGENT_PIDFILE"
		wait $!
		echo $? >"$AGENT_RCFILE.tmp" && mv "$AGENT_RCFILE.tmp" "$AGENT_RCFILE"
	) &
	while [ ! -s "$AGENT_PIDFILE" ]; do
		sleep 0.05
	done
}

agent_pid () {
	cat "$AGENT_PIDFILE" 2>/dev/null
}

# agent_stop: SIGTERM to the daemon; fails unless it then exits 0
agent_stop () {
	_as_pid=$(agent_pid)
	[ -n "$_as_pid" ] || return 0
	kill -TERM "$_as_pid" 2>/dev/null
	_as_n=0
	while [ ! -s "$AGENT_RCFILE" ]; do
		_as_n=$((_as_n + 1))
		if [ $_as_n -gt 1200 ]; then
			echo "corral-syncd did not stop within 60 s of SIGTERM"
			kill -KILL "$_as_pid" 2>/dev/null
			rm -f "$AGENT_PIDFILE"
			return 1
		fi
		sleep 0.05
	done
	_as_rc=$(cat "$AGENT_RCFILE")
	rm -f "$AGENT_PIDFILE" "$AGENT_RCFILE"
	cat "$AGENT_LOG" >>"$SYNCD_ALL"
	if [ "$_as_rc" -ne 0 ]; then
		echo "corral-syncd exited $_as_rc after SIGTERM; its log:"
		cat "$AGENT_LOG"
		return 1
	fi
}

# agent_kill: SIGKILL to the daemon, and wait until it is gone
agent_kill () {
	_ak_pid=$(agent_pid)
	[ -n "$_ak_pid" ] || return 0
	kill -KILL "$_ak_pid" 2>/dev/null
	while [ ! -s "$AGENT_RCFILE" ]; do
		sleep 0.05
	done
	rm -f "$AGENT_PIDFILE" "$AGENT_RCFILE"
	cat "$AGENT_LOG" >>"$SYNCD_ALL"
}

agent_running () {
	_ar_pid=$(agent_pid)
	[ -n "$_ar_pid" ] && kill -0 "$_ar_pid" 2>/dev/null
}

syncd_cleanup () {
	_sc_pid=$(agent_pid)
	if [ -n "$_sc_pid" ]; then
		kill -TERM "$_sc_pid" 2>/dev/null
		_sc_n=0
		while kill -0 "$_sc_pid" 2>/dev/null && [ $_sc_n -lt 200 ]; do
			_sc_n=$((_sc_n + 1))
			sleep 0.05
		done
		kill -KILL "$_sc_pid" 2>/dev/null
	fi
	if command -v fake_stop >/dev/null 2>&1; then
		fake_stop
	fi
	test_cleanup
}
trap 'syncd_cleanup' EXIT

# wait_for COMMANDS [SECONDS]: poll until COMMANDS succeed; say what was awaited if not
wait_for () {
	_wf_end=$(($(date +%s) + ${2:-60}))
	while ! eval "$1" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$_wf_end" ]; then
			echo "timed out waiting for: $1"
			[ -s "$AGENT_LOG" ] && { echo "agent log:"; sed 's/^/  /' "$AGENT_LOG"; }
			return 1
		fi
		_wf_pid=$(agent_pid)
		if [ -n "$_wf_pid" ] && ! kill -0 "$_wf_pid" 2>/dev/null; then
			echo "corral-syncd died while waiting for: $1"
			sed 's/^/  /' "$AGENT_LOG"
			return 1
		fi
		sleep 0.1
	done
}

log_count () {
	grep -c -E -e "$1" "$AGENT_LOG" 2>/dev/null || true
}

# wait_log REGEX [N] [SECONDS]: agent.log has at least N (default 1) matching lines
wait_log () {
	wait_for "[ \$(log_count '$1') -ge ${2:-1} ]" "${3:-60}"
}

yaml_json () {
	"$PYTHON" "$top_srcdir/tests/sync/miniyaml.py" --check "$1"
}

jsonq () {
	"$PYTHON" -S -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v, sort_keys=True) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1" "$2"
}

# json_assert FILE <<EOF ... EOF: every line of stdin is a Python expression
# over the JSON in FILE (as d) that must be true; one interpreter for them all.
# Helpers: obj(KIND, NAME) finds an object in a list of objects (a manifest, or
# /_fake/objects); sts(NAME), pod(NAME) (its pod template spec), ctr(NAME)
# (its first container).
json_assert () {
	"$PYTHON" -S -c 'import json, sys
d = json.load(open(sys.argv[1]))
def objects():
    return d["objects"] if isinstance(d, dict) and "objects" in d else d
def obj(kind, name):
    for o in objects():
        if o["kind"] == kind and o["metadata"]["name"] == name:
            return o
    raise KeyError("no %s %s" % (kind, name))
def sts(name):
    return obj("StatefulSet", name)
def pod(name):
    return sts(name)["spec"]["template"]["spec"]
def ctr(name):
    return pod(name)["containers"][0]
failed = 0
for line in sys.stdin:
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    try:
        ok = eval(line)
    except Exception as e:
        print("%s: %s: %s" % (line, type(e).__name__, e))
        failed += 1
        continue
    if not ok:
        failed += 1
        print("false: " + line)
        if " == " in line:
            try:
                print("  left side: %r" % (eval(line.split(" == ")[0]),))
            except Exception:
                pass
sys.exit(1 if failed else 0)' "$1"
}

# jsonq_raw FILE EXPR: a string from the JSON in FILE, exactly (no newline added)
jsonq_raw () {
	"$PYTHON" -S -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.stdout.write(eval(sys.argv[2]))' "$1" "$2"
}

# jsonq_is FILE EXPR EXPECTED
jsonq_is () {
	_jq_got=$(jsonq "$1" "$2") || return 1
	if [ "$_jq_got" != "$3" ]; then
		echo "$2: expected '$3', got '$_jq_got'"
		return 1
	fi
}

# a CT with an image, as pct create writes it: ct_conf VMID [EXTRA LINES...]
ct_conf () {
	_cc_id=$1
	shift
	{
		echo "arch: amd64"
		echo "cores: 1"
		echo "hostname: ct$_cc_id"
		echo "memory: 512"
		echo "ostemplate: docker.io/library/debian:bookworm"
		echo "ostype: debian"
		echo "rootfs: local:vm-$_cc_id-disk-0,size=4G"
		echo "swap: 512"
		echo "unprivileged: 1"
		for _cc_l in "$@"; do
			echo "$_cc_l"
		done
	} >"$CORRAL_CONFDIR/$_cc_id.conf"
}

# set_power VMID running|stopped: what pct start/stop records
set_power () {
	mkdir -p "$CORRAL_STATEDIR/ct"
	printf '{"power": "%s", "generation": %s}\n' "$2" "$(date +%s)" \
		>"$CORRAL_STATEDIR/ct/$1.state"
}

# vi_edit FILE SED-EXPR: change FILE the way vi and Ansible do (new file, rename)
vi_edit () {
	sed -e "$2" "$1" >"$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"
}

# inplace_edit FILE SED-EXPR: truncate FILE and write it again (same inode)
inplace_edit () {
	sed -e "$2" "$1" >"$TRASH/.inplace" && cat "$TRASH/.inplace" >"$1"
}

# ---- with the fake API server (fake-lib.sh) ----

NS_PATH=/api/v1/namespaces/default

# kpath KIND NAME: the API path of one of the agent's objects in namespace default
kpath () {
	case "$1" in
	pvc) echo "$NS_PATH/persistentvolumeclaims/$2" ;;
	cm) echo "$NS_PATH/configmaps/$2" ;;
	secret) echo "$NS_PATH/secrets/$2" ;;
	svc) echo "$NS_PATH/services/$2" ;;
	pod) echo "$NS_PATH/pods/$2" ;;
	sts) echo "/apis/apps/v1/namespaces/default/statefulsets/$2" ;;
	*) echo "kpath: unknown kind $1" >&2; return 1 ;;
	esac
}

# kget KIND NAME: the object (fails unless it exists)
kget () {
	fake_api GET "$(kpath "$1" "$2")" && test "$(fake_status)" = 200
}

# kfield KIND NAME EXPR: a Python expression over the object (as d)
kfield () {
	fake_api GET "$(kpath "$1" "$2")" >"$TRASH/.kfield" && test "$(fake_status)" = 200 &&
	jsonq "$TRASH/.kfield" "$3"
}

# kis KIND NAME EXPR EXPECTED: kfield prints EXPECTED
kis () {
	test "$(kfield "$1" "$2" "$3")" = "$4"
}

# fake_stat NAME: one of the fake's counters (/_fake/stats)
fake_stat () {
	fake_ctl GET /_fake/stats | "$PYTHON" -S -c 'import json, sys
print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# watch_requests: how many watch requests the fake saw since its log was cleared
watch_requests () {
	fake_ctl GET /_fake/log | "$PYTHON" -S -c 'import json, sys
print(sum(1 for e in json.load(sys.stdin)["requests"] if e.get("watch")))'
}

# agent_settled VMID: the agent started after pass_mark finished its first pass
# (VMID: the highest CT) and has its 8 watches running (7 kinds and the nodes)
agent_settled () {
	wait_for "pass_done $1" && wait_for "[ \$(watch_requests) -ge 8 ]"
}

# kgone KIND NAME: the object does not exist
kgone () {
	fake_api GET "$(kpath "$1" "$2")" >/dev/null && test "$(fake_status)" = 404
}

# fake_writes: "METHOD PATH" of every write the fake saw since its log was cleared
fake_writes () {
	fake_ctl GET /_fake/log | "$PYTHON" -S -c 'import json, sys
for e in json.load(sys.stdin)["requests"]:
    if e["method"] in ("POST", "PUT", "PATCH", "DELETE"):
        print(e["method"], e["path"])'
}

# no_writes: the fake saw no write since its log was cleared
no_writes () {
	fake_writes >"$TRASH/.writes" &&
	if [ -s "$TRASH/.writes" ]; then
		echo "unexpected writes:"
		cat "$TRASH/.writes"
		return 1
	fi
}

fake_log_clear () {
	fake_ctl DELETE /_fake/log >/dev/null
}

# pass_mark: make every status file old; pass_done VMID: the agent started
# since has finished its first pass: it rewrote VMID's status (the agent
# writes each CT's status at its first pass, in vmid order, when it changed)
# or, under --debug, logged the pass (a restarted agent does not rewrite a
# status file that says the same)
pass_mark () {
	for _pm in "$CORRAL_RUNDIR"/ct/*.status; do
		[ -e "$_pm" ] && touch -d "2001-01-01 00:00:00" "$_pm"
	done
	return 0
}
pass_done () {
	test -e "$CORRAL_RUNDIR/ct/$1.status" && {
		grep -q "full pass done" "$AGENT_LOG" 2>/dev/null ||
		test "$(stat -c %Y "$CORRAL_RUNDIR/ct/$1.status")" != "$(date -d "2001-01-01 00:00:00" +%s)"
	}
}

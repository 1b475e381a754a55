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

: "${SYNCD:=$top_builddir/sync/corral-syncd}"
PYTHON=${PYTHON:-python3}
AGENT_PID=
AGENT_LOG=$TRASH/agent.log

syncd () {
	${SYNCD_WRAPPER:-} "$SYNCD" "$@"
}

agent_start () {
	: >"$AGENT_LOG"
	${SYNCD_WRAPPER:-} "$SYNCD" "$@" >>"$AGENT_LOG" 2>&1 &
	AGENT_PID=$!
}

# agent_stop: stop the daemon by its pid; fails unless it exits 0 after SIGTERM
agent_stop () {
	[ -n "$AGENT_PID" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID"
	_as_rc=$?
	AGENT_PID=
	if [ "$_as_rc" -ne 0 ]; then
		echo "corral-syncd exited $_as_rc after SIGTERM; its log:"
		cat "$AGENT_LOG"
		return 1
	fi
}

agent_running () {
	[ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2>/dev/null
}

syncd_cleanup () {
	if [ -n "$AGENT_PID" ]; then
		kill -TERM "$AGENT_PID" 2>/dev/null
		wait "$AGENT_PID" 2>/dev/null
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
		if [ -n "$AGENT_PID" ] && ! kill -0 "$AGENT_PID" 2>/dev/null; then
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

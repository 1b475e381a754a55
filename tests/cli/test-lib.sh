# test-lib.sh: a small TAP test library for the CLI tests (git's t/ style).
#
#   . "$(dirname "$0")/test-lib.sh"
#   test_expect_success 'description' 'commands'
#   test_done
#
# Every test script runs in its own temporary directory with its own
# CORRAL_CONFDIR, CORRAL_LOCKDIR, CORRAL_STATEDIR, CORRAL_RUNDIR and
# CORRAL_CONFIG, so scripts run in parallel and never touch /etc.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PCT:=$top_builddir/pct/pct}"
export top_srcdir top_builddir PCT

TEST_NAME=$(basename "$0" .sh)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/corral-$TEST_NAME.XXXXXX")
trap 'test_cleanup' EXIT
test_cleanup () {
	if [ "${test_failures:-0}" -eq 0 ] && [ -z "${KEEP_TRASH:-}" ]; then
		rm -rf "$TRASH"
	else
		echo "# kept $TRASH"
	fi
}

export CORRAL_CONFDIR="$TRASH/ct"
export CORRAL_LOCKDIR="$TRASH/lock"
export CORRAL_STATEDIR="$TRASH/state"
export CORRAL_RUNDIR="$TRASH/run"
export CORRAL_CONFIG="$TRASH/corral.conf"
export CORRAL_ZONETAB="$top_srcdir/tests/fixtures/zone.tab"
export TZ=UTC LC_ALL=C
mkdir -p "$CORRAL_CONFDIR" "$CORRAL_STATEDIR" "$CORRAL_RUNDIR/ct"
cd "$TRASH" || exit 1

test_count=0
test_failures=0

# Under VALGRIND=1 every pct run is checked by valgrind; its errors exit 99.
if [ -n "${VALGRIND:-}" ]; then
	pct () {
		valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			--show-leak-kinds=definite "$PCT" "$@"
	}
else
	pct () { "$PCT" "$@"; }
fi

# Under TEST_TRACE=1 a failing test shows every command it ran (set -x).
test_expect_success () {
	test_count=$((test_count + 1))
	if (eval "${TEST_TRACE:+set -x;} $2") >"$TRASH/.out" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failures=$((test_failures + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TRASH/.out"
	fi
}

test_expect_failure () {
	test_count=$((test_count + 1))
	if (eval "$2") >"$TRASH/.out" 2>&1; then
		echo "ok $test_count - $1 # TODO known breakage vanished"
	else
		echo "not ok $test_count - $1 # TODO known breakage"
	fi
}

test_skip () {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

# test_cmp EXPECTED ACTUAL
test_cmp () {
	if ! cmp -s "$1" "$2"; then
		echo "files differ: $1 $2"
		diff -u "$1" "$2" || true
		return 1
	fi
}

# test_must_fail [--code=N] COMMAND...: fails, but not by a crash
test_must_fail () {
	want=
	case "$1" in --code=*) want=${1#--code=}; shift ;; esac
	"$@"
	rc=$?
	if [ -n "${VALGRIND:-}" ] && [ "$rc" -eq 99 ]; then
		echo "valgrind reported errors: $*"
		return 1
	fi
	if [ "$rc" -eq 0 ]; then
		echo "expected failure, got success: $*"
		return 1
	fi
	if [ "$rc" -gt 128 ] && [ "$rc" -ne 255 ]; then
		echo "died by signal $((rc - 128)): $*"
		return 1
	fi
	if [ -n "$want" ] && [ "$rc" -ne "$want" ]; then
		echo "expected exit $want, got $rc: $*"
		return 1
	fi
	return 0
}

# write_conf VMID <<EOF ... EOF
write_conf () {
	cat >"$CORRAL_CONFDIR/$1.conf"
}

# agent_status VMID STATUS: pretend corral-syncd reported a status
agent_status () {
	printf '{"pid": 1, "time": %s, "interval": 10}\n' "$(date +%s)" >"$CORRAL_RUNDIR/syncd.heartbeat"
	printf '{"vmid": %s, "status": "%s", "updated": %s}\n' "$1" "$2" "$(date +%s)" \
		>"$CORRAL_RUNDIR/ct/$1.status"
}

test_done () {
	echo "1..$test_count"
	if [ "$test_failures" -gt 0 ]; then
		echo "# failed $test_failures of $test_count"
		exit 1
	fi
	exit 0
}

# freeze FILE: remember FILE's bytes and set an old mtime, for test_unchanged
freeze () {
	cp "$1" "$TRASH/.frozen.$(basename "$1")" &&
	touch -d "2001-01-01 00:00:00" "$1"
}

# test_unchanged FILE: same bytes and same mtime as at freeze time
test_unchanged () {
	test_cmp "$TRASH/.frozen.$(basename "$1")" "$1" || return 1
	if [ "$(stat -c %Y "$1")" != "$(date -d "2001-01-01 00:00:00" +%s)" ]; then
		echo "$1 was rewritten (mtime changed)"
		return 1
	fi
}

# basic_ct VMID: a small stopped CT as pct create writes it
basic_ct () {
	write_conf "$1" <<-EOF
	arch: amd64
	hostname: ct$1
	memory: 512
	ostype: debian
	rootfs: local:vm-$1-disk-0,size=4G
	swap: 512
	unprivileged: 1
	EOF
}

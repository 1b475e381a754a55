#!/bin/sh
# pct set killed with SIGKILL at random points of a write: 1,000 times with
# CORRAL_STRESS=full, 300 by default. After every kill the config is byte for
# byte the old or the new version (never torn, never empty), the CT's lock is
# free, and at most one temp file exists (a kill between the temp file and
# the rename leaves one; the next write removes it). The delays are drawn
# from 0 to 1.5 times the length of a whole run, so kills land before, during
# and after the write; the counts of each are printed.
. "$(dirname "$0")/test-lib.sh"

N=300
[ "${CORRAL_STRESS:-}" = full ] && N=1000
# the kill timing is the point: valgrind would only stretch every run (the
# other scripts run pct under valgrind)
pct () { "$PCT" "$@"; }

if ! command -v timeout >/dev/null 2>&1 || ! command -v flock >/dev/null 2>&1; then
	test_skip "pct set killed $N times" 'timeout(1) and flock(1) are needed'
	test_done
fi

C="$CORRAL_CONFDIR/100.conf"
LOCK="$CORRAL_LOCKDIR/pve-config-100.lock"

# a large config (about 180 KiB), so that writing it takes a while
test_expect_success 'setup: a large config, and its two versions' '
	{
		printf "arch: amd64\nhostname: ct100\nmemory: 512\nostype: debian\n"
		printf "rootfs: local:vm-100-disk-0,size=4G\n"
		i=0
		while [ $i -lt 3000 ]; do
			echo "lxc.mount.entry: /srv/d$i srv/d$i none bind,create=dir 0 0"
			i=$((i + 1))
		done
	} >"$C" &&
	pct set 100 --memory 1024 && cp "$C" v1024 &&
	pct set 100 --memory 2048 && cp "$C" v2048 &&
	test "$(wc -c <v1024)" -gt 180000 &&
	! cmp -s v1024 v2048
'

# the length of one whole run, in seconds, as the upper bound of the delays
start=$(date +%s%N)
pct set 100 --memory 1024
pct set 100 --memory 2048
end=$(date +%s%N)
run_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", (b - a) / 2e9 }')
awk -v n=$N -v max="$run_s" -v seed="${CORRAL_SEED:-$$}" \
	'BEGIN { srand(seed); for (i = 0; i < n; i++) printf "%.6f\n", 0.000001 + rand() * max * 1.5 }' >delays
echo "# one run takes ${run_s} s; $N kills at random delays up to 1.5 times that (seed ${CORRAL_SEED:-$$})"

# a lock left taken would make the next run fail at once instead of waiting
export CORRAL_LOCK_TIMEOUT=0
test_expect_success "pct set killed $N times: old or new file, lock free, temp files cleaned" '
	cur=2048 killed=0 finished=0 old=0 new=0 temps=0 i=0 &&
	while read -r d; do
		i=$((i + 1))
		if [ "$cur" = 1024 ]; then want=2048; else want=1024; fi
		rc=0
		timeout --foreground --preserve-status -s KILL "$d" \
			"$PCT" set 100 --memory $want 2>err || rc=$?
		case $rc in
		0) finished=$((finished + 1)) ;;
		137) killed=$((killed + 1)) ;;
		*) echo "kill $i ($d s): pct set exited $rc"; cat err; exit 1 ;;
		esac
		if cmp -s "$C" v$want; then
			new=$((new + 1)) cur=$want
		elif cmp -s "$C" v$cur; then
			old=$((old + 1))
		else
			echo "kill $i ($d s): torn file ($(wc -c <"$C") bytes)"
			exit 1
		fi
		set -- "$C".tmp.*
		if [ -e "$1" ]; then
			if [ $# -gt 1 ]; then
				echo "kill $i: $# temp files: the next write did not remove the old one"
				ls -la "$CORRAL_CONFDIR"
				exit 1
			fi
			temps=$((temps + 1))
		fi
		if ! flock -n 9 9>>"$LOCK"; then
			echo "kill $i ($d s): the lock is still taken"
			exit 1
		fi
	done <delays &&
	echo "# $i runs: $killed killed, $finished finished; the file was the old version $old times," \
		"the new one $new times; $temps kills left a temp file (mid-write)" >stats &&
	test $i = $N &&
	test $((killed + finished)) = $N
'
cat stats 2>/dev/null

test_expect_success 'after the kills: one clean write, no temp file, the file parses' '
	pct set 100 --memory 4096 &&
	grep -qx "memory: 4096" "$C" &&
	! ls "$CORRAL_CONFDIR" | grep -q "\.tmp\." &&
	pct config 100 >/dev/null
'

test_done

#!/bin/sh
# Concurrency: 50 concurrent pct set on one CT, each setting a different key
# (or appending to the description), all land; a reader never sees a file
# that does not parse; 50 CTs changed in parallel.
. "$(dirname "$0")/test-lib.sh"

N=50
# Under valgrind a pct run holds the lock so long that 50 of them queued
# behind each other exceed the 10 s lock timeout. These tests are about
# locking and atomic writes; the other scripts run pct under valgrind.
if [ -n "${VALGRIND:-}" ]; then
	pct () { "$PCT" "$@"; }
fi
# On a loaded machine 50 writers queued on one lock can take longer than
# Proxmox's 10 s: wait as long as it takes, so that every command must
# succeed and every change must land.
export CORRAL_LOCK_TIMEOUT=300
basic_ct 100
C="$CORRAL_CONFDIR/100.conf"

test_expect_success "$N concurrent pct set on one CT, one new mount point each" '
	i=0 &&
	while [ $i -lt $N ]; do
		( pct set 100 --mp$i local:1,mp=/m$i 2>"err.$i"; echo $? >"rc.$i" ) &
		i=$((i + 1))
	done &&
	wait &&
	test "$(cat rc.* | grep -cvx 0)" = 0 &&
	test "$(grep -c "^mp[0-9]*: local:vm-100-disk-[0-9]*,mp=/m[0-9]*,size=1G$" "$C")" = $N
'

test_expect_success 'every mount point got its own volume' '
	sed -n "s/^mp[0-9]*: \(local:vm-100-disk-[0-9]*\),.*/\1/p" "$C" | sort | uniq -d >dups &&
	test_cmp /dev/null dups &&
	! grep -q "^mp.*vm-100-disk-0," "$C"
'

test_expect_success 'the only other output was the lock wait message' '
	cat err.* | grep -v "^trying to acquire lock...$" >other || true &&
	test_cmp /dev/null other
'

test_expect_success "CORRAL_LOCK_TIMEOUT: a held lock times out with Proxmox's message" '
	basic_ct 104 || exit 1
	# the lock is taken before pct runs: the holder says so through a file
	( flock 9; : >held; sleep 3 ) 9>>"$CORRAL_LOCKDIR/pve-config-104.lock" &
	while [ ! -e held ]; do sleep 0.05; done &&
	( export CORRAL_LOCK_TIMEOUT=0.5; test_must_fail pct set 104 --memory 1024 2>lockerr ) &&
	wait &&
	grep -q "^can.t lock file .*pve-config-104.lock. - got timeout$" lockerr &&
	! grep -q "^memory: 1024" "$CORRAL_CONFDIR/104.conf"
'

test_expect_success "$N concurrent pct set of different scalar keys all land" '
	basic_ct 101 &&
	# no "&&" after done: "done && pct set ... &" would put the loop in a
	# background subshell whose children the wait below does not wait for
	for k in cores cpulimit cpuunits tty; do
		pct set 101 --$k 1 &
	done
	pct set 101 --hostname h1 & pct set 101 --timezone UTC & pct set 101 --cmode shell &
	pct set 101 --onboot 1 & pct set 101 --console 0 & pct set 101 --debug 1 &
	pct set 101 --startup order=3 & pct set 101 --protection 1 & pct set 101 --searchdomain x.example &
	pct set 101 --nameserver 9.9.9.9 & pct set 101 --tags t1 & pct set 101 --entrypoint /bin/sh &
	pct set 101 --features nesting=1 & pct set 101 --arch arm64 & pct set 101 --ostype alpine &
	pct set 101 --memory 256 & pct set 101 --swap 64 &
	i=0 &&
	while [ $i -lt 29 ]; do
		pct set 101 --net$i name=eth$i,ip=dhcp &
		i=$((i + 1))
	done &&
	wait &&
	C1="$CORRAL_CONFDIR/101.conf" &&
	for kv in "cores: 1" "cpulimit: 1" "cpuunits: 1" "tty: 1" "hostname: h1" "timezone: UTC" \
		"cmode: shell" "onboot: 1" "console: 0" "debug: 1" "startup: order=3" "protection: 1" \
		"searchdomain: x.example" "nameserver: 9.9.9.9" "tags: t1" "entrypoint: /bin/sh" \
		"features: nesting=1" "arch: arm64" "ostype: alpine" "memory: 256" "swap: 64"; do
		grep -qx "$kv" "$C1" || { echo "lost: $kv"; exit 1; }
	done &&
	test "$(grep -c "^net[0-9]*: name=eth" "$C1")" = 29
'

# read-modify-write with --digest, retried on "detected modified configuration"
cat >append.py <<\PY
import json, os, random, subprocess, sys, time
pct, vmid, line = os.environ["PCT"], sys.argv[1], sys.argv[2]
for attempt in range(2000):
    cur = json.loads(subprocess.run([pct, "config", vmid, "--output-format", "json"],
                                    check=True, capture_output=True).stdout)
    desc = cur.get("description", "") + line + "\n"
    r = subprocess.run([pct, "set", vmid, "--description", desc, "--digest", cur["digest"]],
                       capture_output=True, text=True)
    if r.returncode == 0:
        sys.exit(0)
    if "detected modified configuration" not in r.stderr:
        sys.exit(r.stderr)
    time.sleep(random.random() / 50)
sys.exit("gave up")
PY

test_expect_success "$N concurrent appends to the description (with --digest) all land" '
	basic_ct 102 &&
	i=0 &&
	while [ $i -lt $N ]; do
		( python3 append.py 102 "line $i" 2>"aerr.$i"; echo $? >"arc.$i" ) &
		i=$((i + 1))
	done &&
	wait &&
	test "$(cat arc.* | grep -cvx 0)" = 0 &&
	test "$(grep -c "^#line [0-9]*$" "$CORRAL_CONFDIR/102.conf")" = $N &&
	test "$(grep "^#line" "$CORRAL_CONFDIR/102.conf" | sort -u | wc -l)" = $N
'

test_expect_success 'a reader never sees a half-written file' '
	basic_ct 103 &&
	( i=0; while [ $i -lt 40 ]; do pct set 103 --mp$i local:1,mp=/r$i 2>/dev/null; i=$((i + 1)); done;
	  touch done ) &
	bad=0 &&
	while ! test -e done; do
		pct lint "$CORRAL_CONFDIR/103.conf" >/dev/null || bad=$((bad + 1))
		pct config 103 >/dev/null || bad=$((bad + 1))
	done &&
	wait &&
	test $bad = 0 &&
	test "$(grep -c "^mp" "$CORRAL_CONFDIR/103.conf")" = 40
'

test_expect_success "$N CTs changed in parallel" '
	i=200 &&
	while [ $i -lt $((200 + N)) ]; do
		basic_ct $i
		i=$((i + 1))
	done &&
	i=200 &&
	while [ $i -lt $((200 + N)) ]; do
		( pct set $i --memory $((1000 + i)) --mp0 local:2,mp=/data --net0 name=eth0 &&
		  pct set $i --hostname host$i ) &
		i=$((i + 1))
	done &&
	wait &&
	i=200 &&
	while [ $i -lt $((200 + N)) ]; do
		F="$CORRAL_CONFDIR/$i.conf"
		grep -qx "memory: $((1000 + i))" "$F" &&
		grep -qx "hostname: host$i" "$F" &&
		grep -qx "mp0: local:vm-$i-disk-1,mp=/data,size=2G" "$F" || { echo "CT $i"; cat "$F"; exit 1; }
		i=$((i + 1))
	done
'

test_expect_success "$N CTs created in parallel, then listed" '
	i=300 &&
	while [ $i -lt $((300 + N)) ]; do
		pct create $i alpine --hostname c$i >/dev/null &
		i=$((i + 1))
	done &&
	wait &&
	test "$(ls "$CORRAL_CONFDIR" | grep -c "^3[0-9][0-9]\.conf$")" = $N &&
	test "$(pct list | grep -c "^3[0-9][0-9] ")" = $N
'

test_expect_success 'no temporary or lock files in the config directory' '
	! ls -a "$CORRAL_CONFDIR" | grep -v -e "^\.\.\?$" -e "^[0-9]*\.conf$"
'

test_done

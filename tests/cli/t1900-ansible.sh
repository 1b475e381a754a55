#!/bin/sh
# The example playbooks of doc/ansible/ run with ansible-playbook against a
# temporary CORRAL_CONFDIR (connection: local). Each one changes something
# the first time and reports changed=0 the second time. Skipped when
# ansible-playbook is not installed (Debian: ansible or ansible-core).
. "$(dirname "$0")/test-lib.sh"

PLAYBOOKS="$top_srcdir/doc/ansible"

if ! command -v ansible-playbook >/dev/null 2>&1; then
	for t in 'ct-files.yml: first run' 'ct-files.yml: second run changed=0' \
		'ct-files.yml: pct lint refuses a bad config' \
		'ct-commands.yml: first run' 'ct-commands.yml: second run changed=0'; do
		test_skip "$t" 'ansible-playbook not installed'
	done
	test_done
fi

mkdir bin && ln -s "$PCT" bin/pct
export PATH="$TRASH/bin:$PATH"
export ANSIBLE_HOME="$TRASH/.ansible" ANSIBLE_LOCAL_TEMP="$TRASH/.ansible/tmp"
export ANSIBLE_REMOTE_TEMP="$TRASH/.ansible/tmp" ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_CONFIG="$TRASH/ansible.cfg"
: >"$ANSIBLE_CONFIG"
PYTHON=$(command -v python3)

# play PLAYBOOK [ARGS...]: run it, output in play.out
play () {
	LC_ALL=C.UTF-8 ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$PYTHON" \
		-e "corral_confdir=$CORRAL_CONFDIR" "$PLAYBOOKS/$@" >play.out 2>&1
	rc=$?
	[ $rc -eq 0 ] || sed 's/^/# /' play.out
	return $rc
}

# recap FIELD: the number in the PLAY RECAP line (changed, failed, ...)
recap () {
	sed -n "s/^localhost .* $1=\([0-9]*\).*/\1/p" play.out
}

test_expect_success 'ct-files.yml: first run writes both configs' '
	play ct-files.yml &&
	test "$(recap changed)" -ge 1 && test "$(recap failed)" = 0 &&
	pct fmt --check "$CORRAL_CONFDIR/120.conf" &&
	pct fmt --check "$CORRAL_CONFDIR/121.conf" &&
	pct lint "$CORRAL_CONFDIR/120.conf" "$CORRAL_CONFDIR/121.conf" &&
	pct config 120 | grep -qx "description: Web front end%0Aowner%3A team-web%0A" &&
	pct config 121 | grep -qx "mp0: local-lvm:vm-121-disk-1,mp=/var/lib/postgresql,backup=1,size=100G"
'

test_expect_success 'ct-files.yml: second run changed=0, files untouched' '
	freeze "$CORRAL_CONFDIR/120.conf" && freeze "$CORRAL_CONFDIR/121.conf" &&
	play ct-files.yml &&
	test "$(recap changed)" = 0 &&
	test_unchanged "$CORRAL_CONFDIR/120.conf" && test_unchanged "$CORRAL_CONFDIR/121.conf"
'

test_expect_success 'ct-files.yml: pct lint refuses a bad config, the old file stays' '
	cat >bad.json <<-\EOF &&
	{"containers": [{"vmid": 120, "hostname": "web1", "memory": 8,
	  "image": "docker.io/library/debian:bookworm", "rootfs": "local:vm-120-disk-0,size=8G"}]}
	EOF
	freeze "$CORRAL_CONFDIR/120.conf" &&
	! play ct-files.yml -e @bad.json >/dev/null &&
	grep -q "memory: value must have a minimum value of 16" play.out &&
	test_unchanged "$CORRAL_CONFDIR/120.conf"
'

test_expect_success 'ct-commands.yml: first run creates and sets' '
	play ct-commands.yml &&
	test "$(recap changed)" -ge 2 && test "$(recap failed)" = 0 &&
	grep -qx "hostname: cache1" "$CORRAL_CONFDIR/130.conf" &&
	grep -qx "nameserver: 1.1.1.1 9.9.9.9" "$CORRAL_CONFDIR/130.conf" &&
	grep -qx "tags: cache;prod" "$CORRAL_CONFDIR/130.conf" &&
	grep -qx "swap: 0" "$CORRAL_CONFDIR/131.conf"
'

test_expect_success 'ct-commands.yml: second run changed=0, files untouched' '
	freeze "$CORRAL_CONFDIR/130.conf" && freeze "$CORRAL_CONFDIR/131.conf" &&
	play ct-commands.yml &&
	test "$(recap changed)" = 0 &&
	test_unchanged "$CORRAL_CONFDIR/130.conf" && test_unchanged "$CORRAL_CONFDIR/131.conf"
'

test_done

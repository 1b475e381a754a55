#!/bin/sh
# User namespaces for real: on v1.31.2 (UserNamespacesSupport on, containerd 2,
# runc 1.3) an unprivileged CT's pod runs with hostUsers: false, decided from
# what the node reports; its volumes (idmapped), exec, enter, push and pull
# work, and pct status --verbose says which it is and why. On v1.28.7 (no user
# namespaces) the CT runs in the host's user namespace and the status says so.
. "$(dirname "$0")/../cli/test-lib.sh"
. "$top_srcdir/tests/kube/kube-lib.sh"

kube_setup || exit 1

HOST_MAP="0 0 4294967295"
uid_map () {
	in_ct "$1" cat /proc/self/uid_map | tr -s " \t" "  " | sed "s/^ //; s/ \$//"
}

test_expect_success 'setup: an unprivileged and a privileged CT, started' '
	ct_create 600 --unprivileged 1 --mp0 local:1,mp=/srv/data &&
	ct_create 601 --unprivileged 0 &&
	pct start 600 && pct start 601
'

if [ "$VERSION" = v1.28.7 ]; then
	test_expect_success 'an older cluster: the agent says it has no user namespaces' '
		grep -q "user namespaces for unprivileged CTs: no, not supported by the cluster: node $NODE reports no runtime handlers" "$AGENT_LOG"
	'

	test_expect_success 'the unprivileged CT runs in the host'"'"'s user namespace, and its status says why' '
		test "$(uid_map 600)" = "$HOST_MAP" &&
		pct status 600 --verbose >st &&
		grep -q "^userns: 0 (not supported by the cluster: node $NODE reports no runtime handlers" st &&
		in_ct 600 sh -c "echo a >/srv/data/a" && test "$(in_ct 600 cat /srv/data/a)" = a
	'
else
	test_expect_success 'the agent found user namespaces on the node' '
		grep -q "user namespaces for unprivileged CTs: yes, detected from the nodes" "$AGENT_LOG"
	'

	test_expect_success 'the unprivileged CT'"'"'s pod runs in a user namespace of its own' '
		test "$(pod_field 600 "{.spec.hostUsers}")" = false &&
		map=$(uid_map 600) && echo "$map" &&
		test "$map" != "$HOST_MAP" &&
		test "$(echo "$map" | cut -d" " -f1)" = 0 &&
		test "$(echo "$map" | cut -d" " -f3)" = 65536
	'

	test_expect_success 'pct status --verbose says so, and why' '
		pct status 600 --verbose >st &&
		grep -qx "userns: 1 (detected from the nodes: the node supports them)" st &&
		pct status 600 --verbose --output-format json >st.json &&
		jsonq_is st.json "d[\"userns\"]" true
	'

	test_expect_success 'volumes: the CT'"'"'s root owns what it writes, chown works, the data survives a restart' '
		in_ct 600 sh -c "echo a >/srv/data/a && chown 1000:1000 /srv/data/a && echo b >/data/b" &&
		test "$(in_ct 600 stat -c %u:%g /srv/data/a)" = 1000:1000 &&
		test "$(in_ct 600 stat -c %u /data/b)" = 0 &&
		pct stop 600 && pct start 600 &&
		test "$(in_ct 600 cat /srv/data/a)" = a &&
		test "$(in_ct 600 stat -c %u:%g /srv/data/a)" = 1000:1000 &&
		test "$(uid_map 600)" != "$HOST_MAP"
	'

	test_expect_success 'push and pull in the user namespace, with owner and mode' '
		head -c 100000 /dev/urandom >blob &&
		pct push 600 blob /srv/data/blob --user 1000 --group 1000 --perms 0640 &&
		test "$(in_ct 600 stat -c "%u:%g %a" /srv/data/blob)" = "1000:1000 640" &&
		pct pull 600 /srv/data/blob back && cmp blob back
	'

	test_expect_success 'enter: a terminal in the user namespace' '
		tmux_session enter "$PCT enter 600" &&
		wait_for "tmux_screen enter | grep -q \"root@\"" 30 &&
		tmux_send enter "cat /proc/self/uid_map >/srv/data/entered-map; exit" &&
		wait_for "in_ct 600 test -s /srv/data/entered-map" 30 &&
		test "$(in_ct 600 cat /srv/data/entered-map | tr -s " \t" "  " | sed "s/^ //")" != "$HOST_MAP"
	'
fi

test_expect_success 'a privileged CT never gets a user namespace, and its status says why' '
	test -z "$(pod_field 601 "{.spec.hostUsers}")" &&
	test "$(uid_map 601)" = "$HOST_MAP" &&
	pct status 601 --verbose | grep -qx "userns: 0 (a privileged CT)"
'

test_expect_success 'user-namespaces = no in corral.conf: the next start of the CT runs without' '
	echo "user-namespaces = \"no\"" >>"$CORRAL_CONFIG" &&
	kube_agent_restart &&
	wait_for "pct status 600 --verbose | grep -q \"^userns: \"" 60 &&
	pct reboot 600 &&
	test "$(uid_map 600)" = "$HOST_MAP" &&
	pct status 600 --verbose | grep -q "^userns: 0 (.*corral.conf"
'

test_expect_success 'cleanup: destroy both' '
	pct stop 600 && pct destroy 600 && pct stop 601 && pct destroy 601
'

test_done

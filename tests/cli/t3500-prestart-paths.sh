#!/bin/sh
# corral-prestart: paths are resolved inside the rootfs as chroot(2) would
# resolve them, so absolute symlinks stay inside and ".." stops at the root;
# files are replaced atomically, so a symlinked target becomes a regular
# file and the file it pointed to is never written.
. "$(dirname "$0")/prestart-lib.sh"

B='# --- BEGIN PVE ---'
E='# --- END PVE ---'

ctconf 100.conf <<EOF
hostname: web1
nameserver: 1.1.1.1
searchdomain: a.example
EOF

test_expect_success 'an absolute symlink is read inside the root and replaced by a file' '
	mk_debian r && printf "127.0.0.1 localhost\n::1 localhost\n" >r/etc/hosts.real &&
	ln -s /etc/hosts.real r/etc/hosts &&
	echo old >r/etc/hostname.real && ln -s /etc/hostname.real r/etc/hostname &&
	prestart 100.conf r &&
	test -f r/etc/hosts && test ! -L r/etc/hosts &&
	printf "127.0.0.1 localhost\n::1 localhost\n%s\n127.0.1.1 web1.a.example web1\n%s\n" "$B" "$E" >expect &&
	test_cmp expect r/etc/hosts &&
	printf "127.0.0.1 localhost\n::1 localhost\n" >expect && test_cmp expect r/etc/hosts.real &&
	test ! -L r/etc/hostname && echo web1 >expect && test_cmp expect r/etc/hostname &&
	echo old >expect && test_cmp expect r/etc/hostname.real
'

test_expect_success 'symlinks that lead out of the root do not escape' '
	mkdir -p outside && printf "127.0.0.1 outside\n" >outside/hosts && echo outside >outside/hostname &&
	cp outside/hosts outside-hosts.orig &&
	mk_debian e &&
	ln -s ../../outside/hosts e/etc/hosts &&
	ln -s /../../../outside/hostname e/etc/hostname &&
	ln -s "$TRASH/outside/resolv.conf" e/etc/resolv.conf &&
	prestart 100.conf e &&
	test_cmp outside-hosts.orig outside/hosts && echo outside >expect && test_cmp expect outside/hostname &&
	test ! -e outside/resolv.conf &&
	printf "%s\n" "$B" "127.0.0.1 localhost.localnet localhost" "::1 localhost.localnet localhost" \
		"127.0.1.1 web1.a.example web1" "$E" >expect &&
	test_cmp expect e/etc/hosts && test ! -L e/etc/hosts
'

test_expect_success 'a symlink inside the root that names an outside path is read inside' '
	mkdir -p in/outside && printf "127.0.0.1 inside\n" >in/outside/hosts &&
	mk_debian in && ln -s ../../outside/hosts in/etc/hosts &&
	prestart 100.conf in &&
	grep -q "^127.0.0.1 inside$" in/etc/hosts &&
	printf "127.0.0.1 outside\n" >expect && test_cmp expect outside/hosts
'

test_expect_success 'an absolute symlinked /etc resolves inside the root' '
	mkdir -p sl/real-etc && mk_debian sl && mv sl/etc/* sl/real-etc/ && rmdir sl/etc &&
	ln -s /real-etc sl/etc &&
	prestart 100.conf sl &&
	echo web1 >expect && test_cmp expect sl/real-etc/hostname &&
	test -L sl/etc && grep -q "^127.0.1.1 web1.a.example web1$" sl/real-etc/hosts
'

test_expect_success 'an /etc link that tries to leave the root finds nothing outside' '
	mkdir -p escape && mk_debian escape && snapshot escape >before &&
	mkdir esc && ln -s ../escape esc/etc &&
	prestart 100.conf esc 2>err &&
	echo "/etc/os-release file not found and autodetection failed, falling back to '"'"'unmanaged'"'"'" >expect &&
	test_cmp expect err &&
	snapshot escape >after && test_cmp before after
'

test_expect_success 'a dangling symlink target is replaced by a new file' '
	mk_debian d && ln -s /nowhere/hostname d/etc/hostname && ln -s /nowhere/hosts d/etc/hosts &&
	prestart 100.conf d &&
	test ! -L d/etc/hostname && echo web1 >expect && test_cmp expect d/etc/hostname &&
	test ! -L d/etc/hosts && grep -q "^::1 localhost.localnet localhost$" d/etc/hosts &&
	test ! -e d/nowhere
'

test_expect_success 'a symlinked .pve-ignore file counts when it leads to a file inside the root' '
	mk_debian ig && echo keep >ig/etc/hostname && echo x >ig/flag &&
	ln -s /flag ig/etc/.pve-ignore.hostname &&
	prestart 100.conf ig && echo keep >expect && test_cmp expect ig/etc/hostname &&
	mk_debian igo && echo keep >igo/etc/hostname && echo x >outside-flag &&
	ln -s "$TRASH/outside-flag" igo/etc/.pve-ignore.hostname &&
	prestart 100.conf igo && echo web1 >expect && test_cmp expect igo/etc/hostname
'

test_expect_success 'no temporary files are left behind' '
	mk_debian t && prestart 100.conf t &&
	test -z "$(find t -name "*.tmp.*" -o -name "*tmpfile*")"
'

test_expect_success 'a missing directory ends the setup with the Proxmox message' '
	mk_gentoo g && rmdir g/etc/conf.d &&
	test_must_fail --code=1 prestart 100.conf g 2>err &&
	grep -q "^corral-prestart: unable to open file '"'"'/etc/conf.d/hostname.tmp.[0-9]*'"'"' - No such file or directory$" err
'

if [ "$(id -u)" -eq 0 ]; then
	test_skip 'a read-only directory ends the setup instead of writing elsewhere' 'root ignores modes'
else
	test_expect_success 'a read-only directory ends the setup instead of writing elsewhere' '
		mk_debian ro && chmod 555 ro/etc &&
		test_must_fail --code=1 prestart 100.conf ro 2>err &&
		chmod 755 ro/etc &&
		grep -q "^corral-prestart: unable to open file '"'"'/etc/hosts.tmp.[0-9]*'"'"' - Permission denied$" err
	'
fi

test_done

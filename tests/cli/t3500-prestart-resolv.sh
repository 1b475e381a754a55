#!/bin/sh
# corral-prestart: /etc/resolv.conf (set_dns: ct_modify_file in replace
# mode) and where the DNS settings come from when the config has none: the
# host's resolv.conf (here --resolv-conf, by default the pod's), parsed as
# Proxmox's read_etc_resolv_conf does.
. "$(dirname "$0")/prestart-lib.sh"

B='# --- BEGIN PVE ---'
E='# --- END PVE ---'

ctconf 100.conf <<EOF
hostname: web1
nameserver: 1.1.1.1 8.8.8.8
searchdomain: a.example,b.example
EOF

test_expect_success 'no section: the whole file is replaced by the section' '
	mk_debian r && printf "# from the image\nnameserver 192.168.0.1\noptions edns0\n" >r/etc/resolv.conf &&
	prestart 100.conf r &&
	printf "%s\n" "$B" "search a.example b.example" "nameserver 1.1.1.1" "nameserver 8.8.8.8" "$E" >expect &&
	test_cmp expect r/etc/resolv.conf && test "$(mode r/etc/resolv.conf)" = 644
'

test_expect_success 'a section present: only the section is replaced' '
	mk_debian s && printf "# mine\n%s\nnameserver 9.9.9.9\n%s\noptions rotate\n" "$B" "$E" >s/etc/resolv.conf &&
	prestart 100.conf s &&
	printf "# mine\n%s\nsearch a.example b.example\nnameserver 1.1.1.1\nnameserver 8.8.8.8\n%s\noptions rotate\n" "$B" "$E" >expect &&
	test_cmp expect s/etc/resolv.conf
'

test_expect_success 'a missing file is created' '
	mk_debian m && prestart 100.conf m &&
	printf "%s\n" "$B" "search a.example b.example" "nameserver 1.1.1.1" "nameserver 8.8.8.8" "$E" >expect &&
	test_cmp expect m/etc/resolv.conf
'

test_expect_success 'no DNS in the config: the host search (first word only) and nameservers' '
	ctconf 101.conf <<-EOF &&
	hostname: web1
	EOF
	mk_debian h && prestart 101.conf h &&
	printf "%s\n" "$B" "search pod.example" "nameserver 10.96.0.10" "$E" >expect &&
	test_cmp expect h/etc/resolv.conf
'

test_expect_success 'host resolv.conf: last search/domain line, three nameservers, addresses only' '
	printf "%s\n" "search first.example x.example" "domain second.example" "nameserver 10.0.0.1" \
		"  nameserver   fd00::53%eth0" "nameserver not-an-ip" "nameserver 10.0.0.3 # comment" \
		"nameserver 10.0.0.4" " search ignored.example" "nameserver	1.2.3.456" >"$HOST/etc/resolv.conf" &&
	ctconf 101.conf <<-EOF &&
	hostname: web1
	EOF
	mk_debian hh && prestart 101.conf hh &&
	printf "%s\n" "$B" "search second.example" "nameserver 10.0.0.1" "nameserver fd00::53" \
		"nameserver 10.0.0.3" "$E" >expect &&
	test_cmp expect hh/etc/resolv.conf
'

test_expect_success 'an IPv4 prefix is matched like Proxmox' '
	printf "nameserver 1.2.3.456\n" >"$HOST/etc/resolv.conf" &&
	mk_debian p4 && prestart 101.conf p4 &&
	printf "%s\n" "$B" "nameserver 1.2.3.45" "$E" >expect &&
	test_cmp expect p4/etc/resolv.conf
'

test_expect_success 'nameserver and searchdomain fall back to the host independently' '
	printf "search host.example\nnameserver 10.1.1.1\n" >"$HOST/etc/resolv.conf" &&
	ctconf 102.conf <<-EOF &&
	hostname: web1
	nameserver: 9.9.9.9
	EOF
	mk_debian i1 && prestart 102.conf i1 &&
	printf "%s\n" "$B" "search host.example" "nameserver 9.9.9.9" "$E" >expect &&
	test_cmp expect i1/etc/resolv.conf &&
	ctconf 103.conf <<-EOF &&
	hostname: web1
	searchdomain: mine.example
	EOF
	mk_debian i2 && prestart 103.conf i2 &&
	printf "%s\n" "$B" "search mine.example" "nameserver 10.1.1.1" "$E" >expect &&
	test_cmp expect i2/etc/resolv.conf &&
	grep -q "^127.0.1.1 web1.mine.example web1$" i2/etc/hosts
'

test_expect_success 'nothing known at all: no file is created, an existing one stays' '
	rm -f "$HOST/etc/resolv.conf" &&
	ctconf 101.conf <<-EOF &&
	hostname: web1
	EOF
	mk_debian none && prestart 101.conf none && test ! -e none/etc/resolv.conf &&
	mk_debian keep && echo "nameserver 192.168.0.1" >keep/etc/resolv.conf &&
	prestart 101.conf keep &&
	echo "nameserver 192.168.0.1" >expect && test_cmp expect keep/etc/resolv.conf
'

test_expect_success 'nothing known and a section: the section is emptied, a lone section stays' '
	mk_debian emp && printf "nameserver 192.168.0.1\n%s\nnameserver 9.9.9.9\n%s\n" "$B" "$E" >emp/etc/resolv.conf &&
	prestart 101.conf emp &&
	printf "nameserver 192.168.0.1\n%s\n%s\n" "$B" "$E" >expect &&
	test_cmp expect emp/etc/resolv.conf &&
	mk_debian lone && printf "%s\nnameserver 9.9.9.9\n%s\n" "$B" "$E" >lone/etc/resolv.conf &&
	prestart 101.conf lone &&
	printf "%s\nnameserver 9.9.9.9\n%s\n" "$B" "$E" >expect &&
	test_cmp expect lone/etc/resolv.conf
'

test_expect_success 'a blank searchdomain still writes "search "' '
	ctconf 104.conf <<-EOF &&
	searchdomain:  
	nameserver: 1.1.1.1
	EOF
	mk_debian blank && prestart 104.conf blank &&
	printf "%s\n" "$B" "search " "nameserver 1.1.1.1" "$E" >expect &&
	test_cmp expect blank/etc/resolv.conf
'

test_expect_success '.pve-ignore.resolv.conf freezes /etc/resolv.conf' '
	mk_debian ig && echo "nameserver 192.168.0.1" >ig/etc/resolv.conf && : >ig/etc/.pve-ignore.resolv.conf &&
	prestart 100.conf ig &&
	echo "nameserver 192.168.0.1" >expect && test_cmp expect ig/etc/resolv.conf
'

test_expect_success 'a symlinked resolv.conf becomes a regular file, the target stays' '
	mk_debian ln && mkdir -p ln/run/systemd/resolve &&
	echo "nameserver 127.0.0.53" >ln/run/systemd/resolve/stub-resolv.conf &&
	ln -s ../run/systemd/resolve/stub-resolv.conf ln/etc/resolv.conf &&
	prestart 100.conf ln &&
	test -f ln/etc/resolv.conf && test ! -L ln/etc/resolv.conf &&
	printf "%s\n" "$B" "search a.example b.example" "nameserver 1.1.1.1" "nameserver 8.8.8.8" "$E" >expect &&
	test_cmp expect ln/etc/resolv.conf &&
	echo "nameserver 127.0.0.53" >expect && test_cmp expect ln/run/systemd/resolve/stub-resolv.conf
'

test_done

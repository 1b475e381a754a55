#!/bin/sh
# corral-prestart: the PVE section of /etc/hosts (update_etc_hosts and the
# marker algorithm of ct_modify_file, append mode), byte for byte.
. "$(dirname "$0")/prestart-lib.sh"

B='# --- BEGIN PVE ---'
E='# --- END PVE ---'

ctconf 100.conf <<EOF
hostname: web1
net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=10.0.0.5/24,gw=10.0.0.1,type=veth
searchdomain: a.example b.example
nameserver: 10.0.0.1
EOF

test_expect_success 'missing /etc/hosts: both localhost lines and the address line' '
	mk_debian m && prestart 100.conf m &&
	printf "%s\n" "$B" "127.0.0.1 localhost.localnet localhost" "::1 localhost.localnet localhost" \
		"10.0.0.5 web1.a.example web1.b.example web1" "$E" >expect &&
	test_cmp expect m/etc/hosts && test "$(mode m/etc/hosts)" = 644
'

test_expect_success 'existing localhost lines are not repeated, the section is appended' '
	mk_debian l && printf "127.0.0.1\tlocalhost\n::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\n" >l/etc/hosts &&
	prestart 100.conf l &&
	printf "127.0.0.1\tlocalhost\n::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\n%s\n10.0.0.5 web1.a.example web1.b.example web1\n%s\n" "$B" "$E" >expect &&
	test_cmp expect l/etc/hosts
'

test_expect_success 'leading blanks count; an address without a blank after it does not' '
	mk_debian w && printf "  \t127.0.0.1 lo\n::1localhost\n" >w/etc/hosts &&
	prestart 100.conf w &&
	printf "  \t127.0.0.1 lo\n::1localhost\n%s\n::1 localhost.localnet localhost\n10.0.0.5 web1.a.example web1.b.example web1\n%s\n" "$B" "$E" >expect &&
	test_cmp expect w/etc/hosts
'

test_expect_success 'a PVE section is replaced in place; localhost lines in it do not count' '
	mk_debian s && printf "# mine\n%s\n127.0.0.1 localhost.localnet localhost\n10.9.9.9 oldname\n%s\n192.168.1.1 router\n" "$B" "$E" >s/etc/hosts &&
	prestart 100.conf s &&
	printf "# mine\n%s\n127.0.0.1 localhost.localnet localhost\n::1 localhost.localnet localhost\n10.0.0.5 web1.a.example web1.b.example web1\n%s\n192.168.1.1 router\n" "$B" "$E" >expect &&
	test_cmp expect s/etc/hosts
'

test_expect_success 'a BEGIN without END: a new section is appended, the stray BEGIN stays' '
	mk_debian be && printf "127.0.0.1 localhost\n::1 localhost\n%s\n10.9.9.9 stray\n" "$B" >be/etc/hosts &&
	prestart 100.conf be &&
	printf "127.0.0.1 localhost\n::1 localhost\n%s\n10.9.9.9 stray\n%s\n10.0.0.5 web1.a.example web1.b.example web1\n%s\n" "$B" "$B" "$E" >expect &&
	test_cmp expect be/etc/hosts
'

test_expect_success 'several marker pairs: only the first is managed' '
	mk_debian two && printf "127.0.0.1 localhost\n::1 localhost\n%s\n1.1.1.1 first\n%s\n# between\n%s\n2.2.2.2 second\n%s\n" "$B" "$E" "$B" "$E" >two/etc/hosts &&
	prestart 100.conf two &&
	printf "127.0.0.1 localhost\n::1 localhost\n%s\n10.0.0.5 web1.a.example web1.b.example web1\n%s\n# between\n%s\n2.2.2.2 second\n%s\n" "$B" "$E" "$B" "$E" >expect &&
	test_cmp expect two/etc/hosts
'

test_expect_success 'localhost lines between two sections do not count (first BEGIN to last END)' '
	mk_debian between && printf "%s\n%s\n127.0.0.1 localhost\n%s\n%s\n" "$B" "$E" "$B" "$E" >between/etc/hosts &&
	prestart 100.conf between &&
	printf "%s\n127.0.0.1 localhost.localnet localhost\n::1 localhost.localnet localhost\n10.0.0.5 web1.a.example web1.b.example web1\n%s\n127.0.0.1 localhost\n%s\n%s\n" "$B" "$E" "$B" "$E" >expect &&
	test_cmp expect between/etc/hosts
'

test_expect_success 'marker spelling: loose BEGIN, case-insensitive END' '
	mk_debian sp && printf "127.0.0.1 localhost\n::1 localhost\n#---BEGIN PVE\nold\n#  --- end pve ---\ntail\n" >sp/etc/hosts &&
	prestart 100.conf sp &&
	printf "127.0.0.1 localhost\n::1 localhost\n%s\n10.0.0.5 web1.a.example web1.b.example web1\n%s\ntail\n" "$B" "$E" >expect &&
	test_cmp expect sp/etc/hosts
'

test_expect_success 'no trailing newline, trailing empty lines, an empty file' '
	mk_debian nn && printf "127.0.0.1 localhost\n::1 localhost" >nn/etc/hosts &&
	prestart 100.conf nn &&
	printf "127.0.0.1 localhost\n::1 localhost\n%s\n10.0.0.5 web1.a.example web1.b.example web1\n%s\n" "$B" "$E" >expect &&
	test_cmp expect nn/etc/hosts &&
	mk_debian te && printf "127.0.0.1 localhost\n::1 localhost\n\n\n" >te/etc/hosts &&
	prestart 100.conf te && test_cmp expect te/etc/hosts &&
	mk_debian em && : >em/etc/hosts && prestart 100.conf em &&
	printf "\n%s\n127.0.0.1 localhost.localnet localhost\n::1 localhost.localnet localhost\n10.0.0.5 web1.a.example web1.b.example web1\n%s\n" "$B" "$E" >expect &&
	test_cmp expect em/etc/hosts
'

test_expect_success 'a replaced section leaves the file 0644, an appended one too' '
	mk_debian pm && printf "127.0.0.1 localhost\n::1 localhost\n" >pm/etc/hosts && chmod 600 pm/etc/hosts &&
	prestart 100.conf pm && test "$(mode pm/etc/hosts)" = 644 &&
	chmod 600 pm/etc/hosts && prestart 100.conf pm && test "$(mode pm/etc/hosts)" = 644
'

test_expect_success 'FQDN: the full and the short name' '
	ctconf 101.conf <<-EOF &&
	hostname: db.corp.example
	net0: name=eth0,bridge=vmbr0,ip=192.168.7.7/16
	searchdomain: ignored.example
	EOF
	mk_debian fq && prestart 101.conf fq &&
	printf "%s\n" "$B" "127.0.0.1 localhost.localnet localhost" "::1 localhost.localnet localhost" \
		"192.168.7.7 db.corp.example db" "$E" >expect &&
	test_cmp expect fq/etc/hosts
'

test_expect_success 'no static address: 127.0.1.1 with the names' '
	ctconf 102.conf <<-EOF &&
	hostname: web2
	net0: name=eth0,bridge=vmbr0,ip=dhcp,ip6=auto
	searchdomain: a.example
	EOF
	mk_debian dh && prestart 102.conf dh &&
	printf "%s\n" "$B" "127.0.0.1 localhost.localnet localhost" "::1 localhost.localnet localhost" \
		"127.0.1.1 web2.a.example web2" "$E" >expect &&
	test_cmp expect dh/etc/hosts
'

test_expect_success 'only ip6 static: that address, without its prefix length' '
	ctconf 103.conf <<-EOF &&
	hostname: web3
	net0: name=eth0,bridge=vmbr0,ip=manual,ip6=fd00::3/64
	searchdomain: a.example
	EOF
	mk_debian v6 && prestart 103.conf v6 &&
	printf "%s\n" "$B" "127.0.0.1 localhost.localnet localhost" "::1 localhost.localnet localhost" \
		"fd00::3 web3.a.example web3" "$E" >expect &&
	test_cmp expect v6/etc/hosts
'

test_expect_success 'no net0, no hostname: 127.0.1.1 localhost; search domains from the host' '
	ctconf 104.conf <<-EOF &&
	memory: 256
	EOF
	mk_debian nh && prestart 104.conf nh &&
	printf "%s\n" "$B" "127.0.0.1 localhost.localnet localhost" "::1 localhost.localnet localhost" \
		"127.0.1.1 localhost" "$E" >expect &&
	test_cmp expect nh/etc/hosts &&
	ctconf 105.conf <<-EOF &&
	hostname: web5
	EOF
	mk_debian hs && prestart 105.conf hs &&
	printf "%s\n" "$B" "127.0.0.1 localhost.localnet localhost" "::1 localhost.localnet localhost" \
		"127.0.1.1 web5.pod.example web5" "$E" >expect &&
	test_cmp expect hs/etc/hosts
'

test_expect_success 'a net0 that does not parse ends the setup before anything is written' '
	ctconf 106.conf <<-EOF &&
	hostname: web6
	net0: name=eth0,ip=10.0.0.300/24
	EOF
	mk_debian bad && snapshot bad >before &&
	test_must_fail --code=1 prestart 106.conf bad 2>err &&
	grep -q "^corral-prestart: unable to parse net0: " err &&
	snapshot bad >after && test_cmp before after
'

test_expect_success '.pve-ignore.hosts freezes /etc/hosts' '
	mk_debian ig && echo "1.2.3.4 mine" >ig/etc/hosts && : >ig/etc/.pve-ignore.hosts &&
	prestart 100.conf ig &&
	echo "1.2.3.4 mine" >expect && test_cmp expect ig/etc/hosts &&
	mk_debian igm && : >igm/etc/.pve-ignore.hosts && prestart 100.conf igm && test ! -e igm/etc/hosts
'

test_expect_success 'a .pve-ignore.hosts directory does not count; a symlink to a file does' '
	mk_debian igd && mkdir igd/etc/.pve-ignore.hosts && prestart 100.conf igd &&
	grep -q "^10.0.0.5 " igd/etc/hosts &&
	mk_debian igl && echo x >igl/etc/flag && ln -s /etc/flag igl/etc/.pve-ignore.hosts &&
	prestart 100.conf igl && test ! -e igl/etc/hosts
'

test_expect_success 'a second run changes nothing' '
	mk_debian again && printf "127.0.0.1 localhost\n" >again/etc/hosts &&
	prestart 100.conf again && cp again/etc/hosts first &&
	prestart 100.conf again && test_cmp first again/etc/hosts
'

test_done

#!/bin/sh
# corral-prestart: the host name as each Proxmox setup plugin writes it.
# Base plugin: /etc/hostname gets the part before the first dot; CentOS,
# Fedora and openEuler: the full name, and HOSTNAME= in an existing
# /etc/sysconfig/network; Gentoo: /etc/conf.d/hostname. Also /fastboot.
. "$(dirname "$0")/prestart-lib.sh"

ctconf 100.conf <<EOF
hostname: web1.example.com
EOF

test_expect_success 'short name in /etc/hostname: debian devuan ubuntu alpine archlinux opensuse nixos' '
	echo web1 >expect &&
	for os in debian devuan ubuntu alpine archlinux suse nixos; do
		rm -rf r && mk_$os r && prestart 100.conf r &&
		test_cmp expect r/etc/hostname && test "$(mode r/etc/hostname)" = 644 ||
		{ echo "failed: $os"; exit 1; }
	done
'

test_expect_success 'full name in /etc/hostname: centos fedora openeuler' '
	echo web1.example.com >expect &&
	for os in centos fedora openeuler; do
		rm -rf r && mk_$os r && prestart 100.conf r &&
		test_cmp expect r/etc/hostname && test ! -e r/etc/sysconfig/network ||
		{ echo "failed: $os"; exit 1; }
	done
'

test_expect_success 'gentoo: /etc/conf.d/hostname only' '
	mk_gentoo g &&
	prestart 100.conf g &&
	echo "hostname=\"web1\"" >expect &&
	test_cmp expect g/etc/conf.d/hostname &&
	test ! -e g/etc/hostname
'

test_expect_success 'an existing /etc/hostname is replaced, its mode becomes 0644' '
	mk_debian old && printf "oldname\nsecond line\n" >old/etc/hostname && chmod 600 old/etc/hostname &&
	prestart 100.conf old &&
	echo web1 >expect && test_cmp expect old/etc/hostname &&
	test "$(mode old/etc/hostname)" = 644
'

test_expect_success 'no hostname in the config: localhost' '
	ctconf 101.conf <<-EOF &&
	memory: 512
	EOF
	mk_debian lh && prestart 101.conf lh &&
	echo localhost >expect && test_cmp expect lh/etc/hostname &&
	mk_centos lhc && prestart 101.conf lhc &&
	test_cmp expect lhc/etc/hostname
'

test_expect_success '/fastboot is written empty' '
	mk_debian fb && prestart 100.conf fb &&
	test -f fb/fastboot && test ! -s fb/fastboot && test "$(mode fb/fastboot)" = 644
'

test_expect_success 'sysconfig/network: the HOSTNAME line is replaced' '
	mk_centos s1 && mkdir -p s1/etc/sysconfig &&
	printf "NETWORKING=yes\nHOSTNAME=old.example.com\nGATEWAY=10.0.0.1\n" >s1/etc/sysconfig/network &&
	prestart 100.conf s1 &&
	printf "NETWORKING=yes\nHOSTNAME=web1.example.com\nGATEWAY=10.0.0.1\n" >expect &&
	test_cmp expect s1/etc/sysconfig/network
'

test_expect_success 'sysconfig/network: blanks around the value still match' '
	mk_fedora s2 && mkdir -p s2/etc/sysconfig &&
	printf "HOSTNAME= \told  \t\nNETWORKING=yes" >s2/etc/sysconfig/network &&
	prestart 100.conf s2 &&
	printf "HOSTNAME=web1.example.com\nNETWORKING=yes" >expect &&
	test_cmp expect s2/etc/sysconfig/network
'

test_expect_success 'sysconfig/network: only the first matching line is replaced' '
	mk_centos s3 && mkdir -p s3/etc/sysconfig &&
	printf "HOSTNAME=a b\nHOSTNAME=one\nHOSTNAME=two\n" >s3/etc/sysconfig/network &&
	prestart 100.conf s3 &&
	printf "HOSTNAME=a b\nHOSTNAME=web1.example.com\nHOSTNAME=two\n" >expect &&
	test_cmp expect s3/etc/sysconfig/network
'

test_expect_success 'sysconfig/network: no match appends to the text as it is' '
	mk_openeuler s4 && mkdir -p s4/etc/sysconfig &&
	printf "NETWORKING=yes\n# HOSTNAME=x\nHOSTNAME=\n HOSTNAME=y" >s4/etc/sysconfig/network &&
	prestart 100.conf s4 &&
	printf "NETWORKING=yes\n# HOSTNAME=x\nHOSTNAME=\n HOSTNAME=yHOSTNAME=web1.example.com\n" >expect &&
	test_cmp expect s4/etc/sysconfig/network
'

test_expect_success 'sysconfig/network: an empty file gets the line' '
	mk_centos s5 && mkdir -p s5/etc/sysconfig && : >s5/etc/sysconfig/network &&
	prestart 100.conf s5 &&
	echo HOSTNAME=web1.example.com >expect &&
	test_cmp expect s5/etc/sysconfig/network
'

test_expect_success 'sysconfig/network is not touched on a Debian' '
	mk_debian s6 && mkdir -p s6/etc/sysconfig &&
	echo HOSTNAME=old >s6/etc/sysconfig/network &&
	prestart 100.conf s6 &&
	echo HOSTNAME=old >expect && test_cmp expect s6/etc/sysconfig/network
'

test_expect_success '.pve-ignore.hostname freezes /etc/hostname, /etc/hosts still follows' '
	mk_debian ig && echo frozen >ig/etc/hostname && : >ig/etc/.pve-ignore.hostname &&
	prestart 100.conf ig &&
	echo frozen >expect && test_cmp expect ig/etc/hostname &&
	grep -q "^127.0.1.1 web1.example.com web1$" ig/etc/hosts
'

test_expect_success '.pve-ignore.network freezes sysconfig/network, .pve-ignore.hostname conf.d' '
	mk_centos ign && mkdir -p ign/etc/sysconfig &&
	echo HOSTNAME=keep >ign/etc/sysconfig/network && : >ign/etc/sysconfig/.pve-ignore.network &&
	prestart 100.conf ign &&
	echo HOSTNAME=keep >expect && test_cmp expect ign/etc/sysconfig/network &&
	mk_gentoo igg && echo "hostname=\"keep\"" >igg/etc/conf.d/hostname &&
	: >igg/etc/conf.d/.pve-ignore.hostname &&
	prestart 100.conf igg &&
	echo "hostname=\"keep\"" >expect && test_cmp expect igg/etc/conf.d/hostname
'

test_expect_success 'a second run changes nothing' '
	mk_centos twice && mkdir -p twice/etc/sysconfig && echo NETWORKING=yes >twice/etc/sysconfig/network &&
	prestart 100.conf twice && snapshot twice >one &&
	prestart 100.conf twice && snapshot twice >two &&
	test_cmp one two
'

test_done

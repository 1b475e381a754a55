#!/bin/sh
# corral-prestart: OS detection and the release checks of Proxmox's setup
# plugins. A refused release exits non-zero with Proxmox's message and
# writes nothing; a release Proxmox only warns about gets "WARN: ..." and
# the setup goes on. Warnings are compared byte for byte.
. "$(dirname "$0")/prestart-lib.sh"

ctconf 100.conf <<EOF
hostname: ct100
EOF

# accepts ROOT: the setup ran (exit 0, /fastboot written), stderr empty
accepts () {
	prestart 100.conf "$1" 2>err &&
	test -f "$1/fastboot" &&
	test_cmp /dev/null err
}

# refuses ROOT MESSAGE: exit 1 with "corral-prestart: MESSAGE", nothing written
refuses () {
	snapshot "$1" >before &&
	test_must_fail --code=1 prestart 100.conf "$1" 2>err &&
	printf 'corral-prestart: %s\n' "$2" >expect &&
	test_cmp expect err &&
	snapshot "$1" >after &&
	test_cmp before after
}

test_expect_success 'debian: numeric, testing and derivative names are accepted' '
	for v in 12.5 4.0 11 bookworm/sid trixie/sid forky/sid kali-rolling stretch/sid; do
		rm -rf r && mk_debian r "$v" && accepts r || { echo "failed: $v"; exit 1; }
	done
'

test_expect_success 'debian: duke/sid (15) is newer than tested: WARN, setup goes on' '
	mk_debian deb15 duke/sid &&
	prestart 100.conf deb15 2>err &&
	echo "WARN: The container'"'"'s Debian version '"'"'15'"'"' is newer than the tested version '"'"'14'"'"'. While everything may work fine, full compatibility cannot be guaranteed. Please check for PVE system updates." >expect &&
	test_cmp expect err &&
	echo ct100 >expect && test_cmp expect deb15/etc/hostname
'

test_expect_success 'debian: too old, unparsable and missing versions are refused' '
	mk_debian deb3 3.1 && refuses deb3 "Container Debian version '"'"'3'"'"' is too old" &&
	mk_debian debx lenny/sid && refuses debx "unable to parse version info '"'"'lenny/sid'"'"'" &&
	mk_debian debe && : >debe/etc/debian_version && refuses debe "unable to read version info" &&
	mk_debian debn && echo >debn/etc/debian_version && refuses debn "unable to parse version info '"'"''"'"'" &&
	mk_debian debm && rm debm/etc/debian_version && echo x >debm/etc/devuan_version &&
	os_release debm ID=debian && refuses debm "unable to read version info"
'

test_expect_success 'ubuntu: known releases, 26.10 included' '
	for v in 12.04 16.04 18.04 22.04 24.04 25.10 26.04 26.10; do
		rm -rf r && mk_ubuntu r "$v" && accepts r || { echo "failed: $v"; exit 1; }
	done
'

test_expect_success 'ubuntu: an unknown release >= 17 warns' '
	mk_ubuntu u27 27.04 &&
	prestart 100.conf u27 2>err &&
	echo "WARN: The container'"'"'s Ubuntu version '"'"'27.04'"'"' is not in the known version list. As it'"'"'s newer than the minimum supported version it'"'"'s likely to work OK, but full compatibility cannot be guaranteed. Please check for PVE system updates." >expect &&
	test_cmp expect err
'

test_expect_success 'ubuntu: an old unknown release, a foreign DISTRIB_ID, no release, no file' '
	mk_ubuntu u16 16.06 && refuses u16 "unsupported ancient Ubuntu version '"'"'16.06'"'"'" &&
	mk_ubuntu uid && printf "DISTRIB_ID=Mint\nDISTRIB_RELEASE=21.3\n" >uid/etc/lsb-release &&
	refuses uid "got unknown DISTRIB_ID" &&
	mk_ubuntu urel && printf "distrib_id=ubuntu\nDISTRIB_RELEASE=24\n" >urel/etc/lsb-release &&
	refuses urel "unable to read version info" &&
	mk_ubuntu unone && rm unone/etc/lsb-release &&
	refuses unone "can'"'"'t open '"'"'/etc/lsb-release'"'"' - No such file or directory"
'

test_expect_success 'devuan: code names, lower-cased, with /ceres' '
	for v in jessie ascii beowulf chimaera/ceres daedalus Excalibur excalibur/ceres; do
		rm -rf r && mk_devuan r "$v" && accepts r || { echo "failed: $v"; exit 1; }
	done &&
	mk_devuan dfreia Freia && refuses dfreia "unsupported Devuan version '"'"'freia'"'"'" &&
	mk_devuan djc jessie/ceres && refuses djc "unsupported Devuan version '"'"'jessie/ceres'"'"'"
'

test_expect_success 'centos family: CentOS, Rocky and Alma through /etc/redhat-release' '
	mk_centos c7 centos "CentOS Linux release 7.9.2009 (Core)" && accepts c7 &&
	mk_centos c9 centos "CentOS Stream release 9" && accepts c9 &&
	mk_centos rocky rocky "Rocky Linux release 9.3 (Blue Onyx)" && accepts rocky &&
	mk_centos alma almalinux "AlmaLinux release 10.0 (Purple Lion)" && accepts alma &&
	echo ok
'

test_expect_success 'centos family: releases outside 5..10 and no release file are refused' '
	mk_centos c4 centos "CentOS release 4.8 (Final)" &&
	refuses c4 "unsupported centos release '"'"'CentOS release 4.8 (Final)'"'"'" &&
	mk_centos c11 rocky "Rocky Linux release 11" &&
	refuses c11 "unsupported centos release '"'"'Rocky Linux release 11'"'"'" &&
	mk_centos cx centos "CentOS Linux" &&
	refuses cx "unsupported centos release '"'"'CentOS Linux'"'"'" &&
	mk_centos cn && rm cn/etc/redhat-release && refuses cn "unable to read version info"
'

test_expect_success 'fedora: VERSION_ID >= 22' '
	mk_fedora f22 22 && accepts f22 &&
	mk_fedora f42 42 && accepts f42 &&
	mk_fedora f21 21 && refuses f21 "unsupported Fedora release '"'"'21'"'"'" &&
	mk_fedora fx && os_release fx ID=fedora &&
	refuses fx "unsupported Fedora release '"'"''"'"'"
'

test_expect_success 'opensuse: Leap, SLES, Tumbleweed and Slowroll' '
	mk_suse leap opensuse-leap 15.5 && accepts leap &&
	mk_suse leap16 opensuse-leap 16.0 && accepts leap16 &&
	mk_suse old opensuse 13.2 && accepts old &&
	mk_suse l42 opensuse 42.3 && accepts l42 &&
	mk_suse sles sles 12.5 && accepts sles &&
	mk_suse tw opensuse-tumbleweed 20240521 && accepts tw &&
	mk_suse slow opensuse-slowroll 20250101 && accepts slow
'

test_expect_success 'opensuse: unsupported and unrecognized releases' '
	mk_suse o12 opensuse-leap 12.3 && refuses o12 "unsupported suse release '"'"'12.3'"'"'" &&
	mk_suse o133 opensuse 13.3 && refuses o133 "unsupported suse release '"'"'13.3'"'"'" &&
	mk_suse tw16 opensuse-tumbleweed 20161231 &&
	refuses tw16 "unsupported suse tumbleweed release '"'"'20161231'"'"'" &&
	mk_suse tw13 opensuse-tumbleweed 20171301 &&
	refuses tw13 "unsupported suse tumbleweed release '"'"'20171301'"'"'" &&
	mk_suse ox opensuse 15 && refuses ox "unrecognized suse release" &&
	mk_suse none && os_release none ID=opensuse-leap && refuses none "unrecognized suse release"
'

test_expect_success 'openEuler: VERSION_ID >= 24' '
	mk_openeuler oe 24.03 && accepts oe &&
	mk_openeuler oe25 25.09 && accepts oe25 &&
	mk_openeuler oe22 22.03 && refuses oe22 "unsupported openEuler release '"'"'22.03'"'"'" &&
	mk_openeuler oen && os_release oen ID=openEuler &&
	refuses oen "unsupported openEuler release '"'"''"'"'"
'

test_expect_success 'gentoo: the release line is checked' '
	mk_gentoo g && accepts g &&
	mk_gentoo gl "gentoo base system release 2.7" && accepts gl &&
	mk_gentoo gf "Funtoo Linux - baselayout 2" &&
	refuses gf "unrecognized gentoo version: Funtoo Linux - baselayout 2" &&
	mk_gentoo ge && : >ge/etc/gentoo-release && refuses ge "unable to read version info"
'

test_expect_success 'archlinux, alpine and nixos have no release check' '
	mk_archlinux a && accepts a &&
	mk_alpine al && accepts al && rm al/etc/alpine-release && os_release al ID=alpine &&
	accepts al &&
	mk_nixos n && accepts n
'

test_expect_success 'the configured ostype differs: warning, the detected type is used' '
	ctconf 101.conf <<-EOF &&
	hostname: web1.example.com
	ostype: centos
	EOF
	mk_debian mm &&
	prestart 101.conf mm 2>err &&
	echo "got unexpected ostype (debian != centos)" >expect &&
	test_cmp expect err &&
	echo web1 >expect && test_cmp expect mm/etc/hostname
'

test_expect_success 'an unknown ID falls back to the release files, with a warning' '
	mk_debian unk && os_release unk "ID=\"mystery\"" &&
	prestart 100.conf unk 2>err &&
	echo "unknown ID '"'"'mystery'"'"' in /etc/os-release file, trying fallback detection" >expect &&
	test_cmp expect err &&
	echo ct100 >expect && test_cmp expect unk/etc/hostname
'

test_expect_success 'fallback order: lsb-release Ubuntu before debian_version' '
	mk_ubuntu lsb && echo "bookworm/sid" >lsb/etc/debian_version && rm lsb/etc/os-release &&
	prestart 100.conf lsb 2>err && test_cmp /dev/null err &&
	ctconf 102.conf <<-EOF &&
	ostype: debian
	EOF
	prestart 102.conf lsb 2>err &&
	echo "got unexpected ostype (ubuntu != debian)" >expect &&
	test_cmp expect err
'

test_expect_success 'an empty ID is no ID: no warning, fallback detection' '
	mk_debian eid && os_release eid "ID=" &&
	prestart 100.conf eid 2>err && test_cmp /dev/null err
'

test_expect_success 'os-release from /usr/lib when /etc has none' '
	mkdir -p ul/usr/lib ul/etc && echo "ID=archlinux" >ul/usr/lib/os-release &&
	prestart 100.conf ul 2>err && test_cmp /dev/null err &&
	echo ct100 >expect && test_cmp expect ul/etc/hostname
'

test_expect_success 'os-release with an unknown ID and no release file: refused' '
	os_release nodet "ID=plan9" &&
	snapshot nodet >before &&
	test_must_fail --code=1 prestart 100.conf nodet 2>err &&
	{
		echo "unknown ID '"'"'plan9'"'"' in /etc/os-release file, trying fallback detection" &&
		echo "corral-prestart: unable to detect OS distribution"
	} >expect &&
	test_cmp expect err &&
	snapshot nodet >after && test_cmp before after
'

test_expect_success 'no os-release at all: unmanaged, nothing written' '
	mkdir -p bare/etc && echo "127.0.0.1 localhost" >bare/etc/hosts &&
	snapshot bare >before &&
	prestart 100.conf bare 2>err &&
	echo "/etc/os-release file not found and autodetection failed, falling back to '"'"'unmanaged'"'"'" >expect &&
	test_cmp expect err &&
	snapshot bare >after && test_cmp before after
'

test_expect_success 'no /etc at all and an ostype: the rootfs-not-mounted hint' '
	mkdir empty &&
	prestart 102.conf empty 2>err &&
	{
		echo "/etc/os-release file not found and autodetection failed, falling back to '"'"'unmanaged'"'"'" &&
		echo "WARNING: /etc not present in CT, is the rootfs mounted?" &&
		echo "got unexpected ostype (unmanaged != debian)"
	} >expect &&
	test_cmp expect err &&
	test -z "$(ls -A empty)"
'

test_expect_success 'ostype unmanaged: no detection, no check, nothing written' '
	ctconf 103.conf <<-EOF &&
	hostname: web1
	ostype: unmanaged
	EOF
	mk_debian um 2.2 &&
	snapshot um >before &&
	prestart 103.conf um 2>err &&
	test_cmp /dev/null err &&
	snapshot um >after && test_cmp before after
'

test_expect_success 'usage errors' '
	test_must_fail --code=2 prestart 100.conf 2>err && grep -q "^usage: corral-prestart CONF ROOTFS" err &&
	test_must_fail --code=1 prestart 100.conf r --bogus 2>err &&
	echo "corral-prestart: unknown option '"'"'--bogus'"'"'" >expect && test_cmp expect err &&
	test_must_fail --code=1 prestart missing.conf r 2>err &&
	echo "corral-prestart: Configuration file '"'"'missing.conf'"'"' does not exist" >expect &&
	test_cmp expect err &&
	test_must_fail --code=1 prestart 100.conf nowhere 2>err &&
	echo "corral-prestart: unable to open the container root '"'"'nowhere'"'"': No such file or directory" >expect &&
	test_cmp expect err
'

test_done

#!/bin/sh
# corral-prestart: the time zone (set_timezone). /etc/localtime becomes a
# symlink to the zone file unless it already resolves to it; an existing
# /etc/timezone gets the zone name; a zone the rootfs lacks only warns.
# `timezone: host` takes the host's zone (here below --host-root).
. "$(dirname "$0")/prestart-lib.sh"

ctconf 100.conf <<EOF
hostname: web1
timezone: Europe/Vienna
EOF

# zoneinfo ROOT ZONE...: zone files in a root
zoneinfo () {
	r=$1
	shift
	for z in "$@"; do
		mkdir -p "$r/usr/share/zoneinfo/$(dirname "$z")" &&
		echo "TZif $z" >"$r/usr/share/zoneinfo/$z" || return 1
	done
}

test_expect_success 'the zone exists: /etc/localtime links to it, /etc/timezone is rewritten' '
	mk_debian z && zoneinfo z Europe/Vienna Etc/UTC &&
	echo Etc/UTC >z/etc/timezone && ln -s /usr/share/zoneinfo/Etc/UTC z/etc/localtime &&
	prestart 100.conf z 2>err && test_cmp /dev/null err &&
	test "$(readlink z/etc/localtime)" = /usr/share/zoneinfo/Europe/Vienna &&
	echo Europe/Vienna >expect && test_cmp expect z/etc/timezone &&
	test "$(mode z/etc/timezone)" = 644
'

test_expect_success 'no /etc/timezone: none is created; a regular /etc/localtime is replaced' '
	mk_debian nt && zoneinfo nt Europe/Vienna && echo "TZif copy" >nt/etc/localtime &&
	prestart 100.conf nt &&
	test "$(readlink nt/etc/localtime)" = /usr/share/zoneinfo/Europe/Vienna &&
	test ! -e nt/etc/timezone
'

test_expect_success 'a link that already resolves to the zone is left as it is' '
	mk_debian same && zoneinfo same Europe/Vienna &&
	ln -s ../usr/share/zoneinfo/./Europe/Vienna same/etc/localtime &&
	prestart 100.conf same &&
	test "$(readlink same/etc/localtime)" = ../usr/share/zoneinfo/./Europe/Vienna
'

test_expect_success 'the zone is missing in the rootfs: a warning, nothing changes' '
	mk_debian miss && zoneinfo miss Etc/UTC && ln -s /usr/share/zoneinfo/Etc/UTC miss/etc/localtime &&
	echo Etc/UTC >miss/etc/timezone &&
	prestart 100.conf miss 2>err &&
	echo "container does not have /usr/share/zoneinfo/Europe/Vienna, timezone can not be modified" >expect &&
	test_cmp expect err &&
	test "$(readlink miss/etc/localtime)" = /usr/share/zoneinfo/Etc/UTC &&
	echo Etc/UTC >expect && test_cmp expect miss/etc/timezone
'

test_expect_success 'a zone directory is no zone file' '
	mk_debian dir && mkdir -p dir/usr/share/zoneinfo/Europe/Vienna &&
	prestart 100.conf dir 2>err &&
	echo "container does not have /usr/share/zoneinfo/Europe/Vienna, timezone can not be modified" >expect &&
	test_cmp expect err && test ! -e dir/etc/localtime
'

test_expect_success 'no timezone in the config: nothing is touched' '
	ctconf 101.conf <<-EOF &&
	hostname: web1
	EOF
	mk_debian none && zoneinfo none Europe/Vienna && echo Etc/UTC >none/etc/timezone &&
	prestart 101.conf none 2>err && test_cmp /dev/null err &&
	test ! -e none/etc/localtime && echo Etc/UTC >expect && test_cmp expect none/etc/timezone
'

test_expect_success 'nixos: the time zone is not set' '
	mk_nixos nx && zoneinfo nx Europe/Vienna &&
	prestart 100.conf nx 2>err && test_cmp /dev/null err && test ! -e nx/etc/localtime
'

test_expect_success '.pve-ignore.localtime keeps the link, /etc/timezone still follows' '
	mk_debian ig && zoneinfo ig Europe/Vienna Etc/UTC && echo Etc/UTC >ig/etc/timezone &&
	ln -s /usr/share/zoneinfo/Etc/UTC ig/etc/localtime && : >ig/etc/.pve-ignore.localtime &&
	prestart 100.conf ig &&
	test "$(readlink ig/etc/localtime)" = /usr/share/zoneinfo/Etc/UTC &&
	echo Europe/Vienna >expect && test_cmp expect ig/etc/timezone &&
	test -z "$(find ig -name "*tmpfile*")"
'

ctconf 102.conf <<EOF
hostname: web1
timezone: host
EOF

test_expect_success 'host: the path the host link leads to, and the host zone name' '
	mkdir -p "$HOST/etc" && ln -s /usr/share/zoneinfo/America/New_York "$HOST/etc/localtime" &&
	echo America/New_York >"$HOST/etc/timezone" &&
	mk_debian h && zoneinfo h America/New_York && echo Etc/UTC >h/etc/timezone &&
	prestart 102.conf h 2>err && test_cmp /dev/null err &&
	test "$(readlink h/etc/localtime)" = /usr/share/zoneinfo/America/New_York &&
	echo America/New_York >expect && test_cmp expect h/etc/timezone
'

test_expect_success 'host: links on the host are followed inside the host root' '
	rm -f "$HOST/etc/localtime" "$HOST/etc/timezone" &&
	mkdir -p "$HOST/usr/share/zoneinfo/Etc" && echo TZif >"$HOST/usr/share/zoneinfo/Etc/UTC" &&
	ln -s Etc/UTC "$HOST/usr/share/zoneinfo/UTC" &&
	ln -s ../../../usr/share/zoneinfo/UTC "$HOST/etc/localtime" &&
	mk_debian hl && zoneinfo hl Etc/UTC && echo Europe/Vienna >hl/etc/timezone &&
	prestart 102.conf hl 2>err && test_cmp /dev/null err &&
	test "$(readlink hl/etc/localtime)" = /usr/share/zoneinfo/Etc/UTC &&
	echo Etc/UTC >expect && test_cmp expect hl/etc/timezone
'

test_expect_success 'host: a copied /etc/localtime falls back to the zone name' '
	rm -rf "$HOST/etc/localtime" "$HOST/usr" && echo TZif >"$HOST/etc/localtime" &&
	echo Asia/Tokyo >"$HOST/etc/timezone" &&
	mk_debian hc && zoneinfo hc Asia/Tokyo &&
	prestart 102.conf hc 2>err && test_cmp /dev/null err &&
	test "$(readlink hc/etc/localtime)" = /usr/share/zoneinfo/Asia/Tokyo
'

test_expect_success 'host: nothing to go by is a warning' '
	rm -f "$HOST/etc/localtime" "$HOST/etc/timezone" &&
	mk_debian hn && zoneinfo hn Asia/Tokyo &&
	prestart 102.conf hn 2>err &&
	echo "unable to determine the host'"'"'s time zone from '"'"'$HOST'"'"', timezone can not be modified" >expect &&
	test_cmp expect err && test ! -e hn/etc/localtime
'

test_expect_success 'host: the zone is missing in the rootfs' '
	ln -s /usr/share/zoneinfo/Africa/Abidjan "$HOST/etc/localtime" &&
	mk_debian hm &&
	prestart 102.conf hm 2>err &&
	echo "container does not have /usr/share/zoneinfo/Africa/Abidjan, timezone can not be modified" >expect &&
	test_cmp expect err
'

test_done

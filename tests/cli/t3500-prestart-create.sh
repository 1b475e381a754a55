#!/bin/sh
# corral-prestart --create: what Proxmox's post_create_hook does once after
# a CT is created: machine-id cleared, template fixups, cron minutes
# randomised on root entries, root's password hash and authorized_keys from
# the secrets directory. ROOTFS/.corral/first-start asks for the same and is
# removed after a successful run.
. "$(dirname "$0")/prestart-lib.sh"

B='# --- BEGIN PVE ---'
E='# --- END PVE ---'
HASH='$6$Zk8ZKvlWVrXKYGP3$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ./0123456789abcdefghijkl'
KEY='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3cG3nPVFtCd4fBk2ZA7xY3EMQ4tHjGBcbd5cD8PyTu alice@laptop'

ctconf 100.conf <<EOF
hostname: web1
nameserver: 1.1.1.1
searchdomain: a.example
EOF

# a Debian-like root with accounts
mk_accounts () {
	mk_debian "$1" &&
	printf "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" >"$1/etc/passwd" &&
	printf "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n" >"$1/etc/shadow" &&
	chmod 640 "$1/etc/shadow" && mkdir -p "$1/root"
}

# days RESULT-FILE: the shadow "last change" day the run may have used
days_ok () {
	d=$(sed -n "s/^root:[^:]*:\([0-9]*\):.*/\1/p" "$1")
	now=$(($(date +%s) / 86400))
	test "$d" = "$now" || test "$d" = "$((now - 1))"
}

test_expect_success 'machine-id: /etc/machine-id and, with systemd, the dbus copy are removed' '
	mk_debian m && echo 0123 >m/etc/machine-id && mkdir -p m/var/lib/dbus m/usr/lib/systemd &&
	echo 0123 >m/var/lib/dbus/machine-id &&
	printf "#!/bin/sh\n" >m/usr/lib/systemd/systemd && chmod 755 m/usr/lib/systemd/systemd &&
	prestart 100.conf m --create &&
	test ! -e m/etc/machine-id && test ! -e m/var/lib/dbus/machine-id
'

test_expect_success 'machine-id: no systemd, or a symlinked dbus copy: the dbus one stays' '
	mk_debian n && echo 0123 >n/etc/machine-id && mkdir -p n/var/lib/dbus n/lib/systemd &&
	echo 0123 >n/var/lib/dbus/machine-id && echo notexec >n/lib/systemd/systemd &&
	prestart 100.conf n --create &&
	test ! -e n/etc/machine-id && test -f n/var/lib/dbus/machine-id &&
	mk_debian l && echo 0123 >l/etc/machine-id && mkdir -p l/var/lib/dbus l/lib/systemd &&
	printf "#!/bin/sh\n" >l/lib/systemd/systemd && chmod 755 l/lib/systemd/systemd &&
	ln -s /etc/machine-id l/var/lib/dbus/machine-id &&
	prestart 100.conf l --create &&
	test ! -e l/etc/machine-id && test -L l/var/lib/dbus/machine-id
'

test_expect_success 'machine-id: without --create it stays; .pve-ignore.machine-id keeps it' '
	mk_debian k && echo 0123 >k/etc/machine-id &&
	prestart 100.conf k && test -f k/etc/machine-id &&
	: >k/etc/.pve-ignore.machine-id && prestart 100.conf k --create && test -f k/etc/machine-id
'

CRONTAB='SHELL=/bin/sh
# m h dom mon dow user	command
17 *	* * *	root    cd / && run-parts --report /etc/cron.hourly
25 6	* * *	root	test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }
47 6	* * 7	root	test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.weekly; }
*/5 * * * * root echo star
30 2 * * * alice backup
05 3 * * * root
05 3 * * * root   
 7 1 * * * root leading-space
12 1 * * * rootx notroot
8 1 * * root echo four-fields
59 23 31 12 * root echo last'

# skeleton: the minute of root entries replaced by M (GNU sed, the same regex)
skeleton () {
	sed -E "s/^[0-9]+(\s+\S+\s+\S+\s+\S+\s+\S+\s+root\s+\S.*)$/M\1/" "$1"
}
minutes () {
	sed -nE "s/^([0-9]+)\s+\S+\s+\S+\s+\S+\s+\S+\s+root\s+\S.*$/\1/p" "$1"
}

test_expect_success 'cron: only the minutes of root entries change, to 0..58' '
	mk_debian c && printf "%s\n" "$CRONTAB" >c/etc/crontab && cp c/etc/crontab crontab.orig &&
	prestart 100.conf c --create &&
	skeleton crontab.orig >expect && skeleton c/etc/crontab >actual && test_cmp expect actual &&
	minutes c/etc/crontab >mins && test "$(wc -l <mins)" -eq 4 &&
	while read m; do test "$m" -ge 0 && test "$m" -le 58 || exit 1; done <mins &&
	grep -q "^\*/5 \* \* \* \* root echo star$" c/etc/crontab &&
	grep -q "^30 2 \* \* \* alice backup$" c/etc/crontab
'

test_expect_success 'cron: many root entries all stay in 0..58' '
	mk_debian many && i=0 && : >many/etc/crontab &&
	while [ $i -lt 200 ]; do echo "59 * * * * root job$i" >>many/etc/crontab; i=$((i + 1)); done &&
	prestart 100.conf many --create &&
	minutes many/etc/crontab >mins && test "$(wc -l <mins)" -eq 200 &&
	test "$(sort -n mins | tail -1)" -le 58 &&
	sed -E "s/^[0-9]+ //" many/etc/crontab >actual &&
	i=0 && while [ $i -lt 200 ]; do echo "* * * * root job$i"; i=$((i + 1)); done >expect &&
	test_cmp expect actual
'

test_expect_success 'cron.d: matching names are rewritten (0644), others left alone' '
	mk_debian d && mkdir -p d/etc/cron.d/sub &&
	printf "30 3 * * 0 root test -e /run/systemd/system || e2scrub_all_cron\n" >d/etc/cron.d/e2scrub_all &&
	printf "0 1 * * * alice x\n\n\n" >d/etc/cron.d/no-root_lines && chmod 600 d/etc/cron.d/no-root_lines &&
	printf "9 9 * * * root dotted\n" >d/etc/cron.d/php.dpkg-dist && chmod 600 d/etc/cron.d/php.dpkg-dist &&
	printf "9 9 * * * root hidden\n" >d/etc/cron.d/.placeholder &&
	prestart 100.conf d --create &&
	minutes d/etc/cron.d/e2scrub_all >mins && test "$(wc -l <mins)" -eq 1 &&
	printf "0 1 * * * alice x\n" >expect && test_cmp expect d/etc/cron.d/no-root_lines &&
	test "$(mode d/etc/cron.d/no-root_lines)" = 644 &&
	printf "9 9 * * * root dotted\n" >expect && test_cmp expect d/etc/cron.d/php.dpkg-dist &&
	test "$(mode d/etc/cron.d/php.dpkg-dist)" = 600 &&
	printf "9 9 * * * root hidden\n" >expect && test_cmp expect d/etc/cron.d/.placeholder
'

test_expect_success 'password: the hash goes to shadow with the day of the change, mode kept' '
	mk_accounts p && printf "%s\n" "$HASH" >"$SECRETS/password" &&
	prestart 100.conf p --create &&
	printf "root:%s:X:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n" "$HASH" >expect &&
	sed "1s/^\(root:[^:]*:\)[0-9]*:/\1X:/" p/etc/shadow >actual && test_cmp expect actual &&
	days_ok p/etc/shadow && test "$(mode p/etc/shadow)" = 640 &&
	printf "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" >expect &&
	test_cmp expect p/etc/passwd
'

test_expect_success 'password: passwd gets x when there is a shadow file, the hash without one' '
	mk_accounts px && sed -i "1s/root:x:/root:oldhash:/" px/etc/passwd &&
	prestart 100.conf px --create &&
	head -1 px/etc/passwd >actual && echo "root:x:0:0:root:/root:/bin/bash" >expect && test_cmp expect actual &&
	mk_accounts ns && rm ns/etc/shadow && chmod 600 ns/etc/passwd &&
	prestart 100.conf ns --create &&
	printf "root:%s:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" "$HASH" >expect &&
	test_cmp expect ns/etc/passwd && test "$(mode ns/etc/passwd)" = 600
'

test_expect_success 'password: only the root line changes, other bytes stay' '
	mk_accounts ob && printf "rootless:x:5:5\nroot:!:1:0:99999:7:::\nroot2:*:19000::::::\n\nno newline" >ob/etc/shadow &&
	prestart 100.conf ob --create &&
	printf "rootless:x:5:5\nroot:%s:X:0:99999:7:::\nroot2:*:19000::::::\n\nno newline" "$HASH" >expect &&
	sed "2s/^\(root:[^:]*:\)[0-9]*:/\1X:/" ob/etc/shadow >actual && test_cmp expect actual
'

test_expect_success 'password: none given locks root with *' '
	rm -f "$SECRETS/password" &&
	mk_accounts np && sed -i "1s/^root:\*:/root:\$6\$old\$old:/" np/etc/shadow &&
	prestart 100.conf np --create &&
	sed -n 1p np/etc/shadow | grep -q "^root:\*:[0-9]*:0:99999:7:::$" &&
	days_ok np/etc/shadow
'

test_expect_success 'password: plain text is refused before anything is written' '
	echo "secret123" >"$SECRETS/password" &&
	mk_accounts pt && echo 0123 >pt/etc/machine-id && snapshot pt >before &&
	test_must_fail --code=1 prestart 100.conf pt --create 2>err &&
	echo "corral-prestart: '"'"'$SECRETS/password'"'"' does not hold a crypt(5) password hash" >expect &&
	test_cmp expect err &&
	snapshot pt >after && test_cmp before after &&
	rm "$SECRETS/password"
'

test_expect_success 'authorized_keys: .ssh created 0700, the keys in a PVE section (0700)' '
	printf "%s\n" "$KEY" >"$SECRETS/authorized_keys" &&
	mk_accounts k && prestart 100.conf k --create &&
	test "$(mode k/root/.ssh)" = 700 &&
	printf "%s\n" "$B" "$KEY" "$E" >expect && test_cmp expect k/root/.ssh/authorized_keys &&
	test "$(mode k/root/.ssh/authorized_keys)" = 700
'

test_expect_success 'authorized_keys: existing keys stay, the section is appended' '
	mk_accounts ka && mkdir -m 755 ka/root/.ssh &&
	echo "ssh-rsa AAAAB3Nza old@key" >ka/root/.ssh/authorized_keys && chmod 600 ka/root/.ssh/authorized_keys &&
	prestart 100.conf ka --create &&
	printf "%s\n" "ssh-rsa AAAAB3Nza old@key" "$B" "$KEY" "$E" >expect &&
	test_cmp expect ka/root/.ssh/authorized_keys &&
	test "$(mode ka/root/.ssh/authorized_keys)" = 700 && test "$(mode ka/root/.ssh)" = 755
'

test_expect_success 'authorized_keys: an existing section is replaced (and the file is 0644 then)' '
	mk_accounts ks && mkdir -m 700 ks/root/.ssh &&
	printf "%s\nssh-rsa old\n%s\nssh-rsa mine\n" "$B" "$E" >ks/root/.ssh/authorized_keys &&
	chmod 600 ks/root/.ssh/authorized_keys &&
	prestart 100.conf ks --create &&
	printf "%s\n" "$B" "$KEY" "$E" "ssh-rsa mine" >expect &&
	test_cmp expect ks/root/.ssh/authorized_keys && test "$(mode ks/root/.ssh/authorized_keys)" = 644
'

test_expect_success 'authorized_keys: root'"'"'s home comes from /etc/passwd' '
	mk_accounts kh && sed -i "1s#:/root:#:/home/admin:#" kh/etc/passwd && mkdir -p kh/home/admin &&
	prestart 100.conf kh --create &&
	printf "%s\n" "$B" "$KEY" "$E" >expect && test_cmp expect kh/home/admin/.ssh/authorized_keys &&
	test ! -e kh/root/.ssh
'

test_expect_success 'authorized_keys: a missing home is refused before anything is written' '
	mk_accounts km && sed -i "1s#:/root:#:/nonexistent:#" km/etc/passwd &&
	echo 0123 >km/etc/machine-id && snapshot km >before &&
	test_must_fail --code=1 prestart 100.conf km --create 2>err &&
	echo "corral-prestart: home directory '"'"'/nonexistent'"'"' of root does not exist!" >expect &&
	test_cmp expect err && snapshot km >after && test_cmp before after &&
	mk_debian kn &&
	test_must_fail --code=1 prestart 100.conf kn --create 2>err &&
	echo "corral-prestart: home directory '"'"'/root/'"'"' of root does not exist!" >expect &&
	test_cmp expect err
'

test_expect_success 'authorized_keys: .pve-ignore.authorized_keys keeps the file' '
	mk_accounts ki && mkdir ki/root/.ssh && echo mine >ki/root/.ssh/authorized_keys &&
	: >ki/root/.ssh/.pve-ignore.authorized_keys &&
	prestart 100.conf ki --create &&
	echo mine >expect && test_cmp expect ki/root/.ssh/authorized_keys &&
	rm "$SECRETS/authorized_keys"
'

test_expect_success 'template fixup: the LXC_NAME hosts line goes on CentOS, locale.conf appears' '
	mk_centos t && printf "127.0.0.1 localhost\n127.0.1.1 LXC_NAME\n::1 localhost\n127.0.1.1 LXC_NAME2\n" >t/etc/hosts &&
	prestart 100.conf t --create &&
	printf "127.0.0.1 localhost\n::1 localhost\n127.0.1.1 LXC_NAME2\n%s\n127.0.1.1 web1.a.example web1\n%s\n" "$B" "$E" >expect &&
	test_cmp expect t/etc/hosts &&
	printf "LANG=C.utf8" >expect && test_cmp expect t/etc/locale.conf
'

test_expect_success 'template fixup: on every distribution that has it, and only on create' '
	for os in alpine archlinux fedora gentoo openeuler suse; do
		rm -rf r && mk_$os r && printf "127.0.1.1\tLXC_NAME\n" >r/etc/hosts &&
		prestart 100.conf r --create && ! grep -q LXC_NAME r/etc/hosts &&
		test ! -e r/etc/locale.conf || { echo "failed: $os"; exit 1; }
	done &&
	for os in debian ubuntu devuan nixos; do
		rm -rf r && mk_$os r && printf "127.0.1.1 LXC_NAME\n" >r/etc/hosts &&
		prestart 100.conf r --create && grep -q "^127.0.1.1 LXC_NAME$" r/etc/hosts ||
		{ echo "failed: $os"; exit 1; }
	done &&
	mk_centos nc && printf "127.0.1.1 LXC_NAME\n" >nc/etc/hosts && echo LANG=de_AT.UTF-8 >nc/etc/locale.conf &&
	prestart 100.conf nc && grep -q LXC_NAME nc/etc/hosts &&
	prestart 100.conf nc --create && ! grep -q LXC_NAME nc/etc/hosts &&
	echo LANG=de_AT.UTF-8 >expect && test_cmp expect nc/etc/locale.conf
'

test_expect_success 'first-start marker: create steps run, the marker is removed' '
	mk_accounts fs && mkdir fs/.corral && : >fs/.corral/first-start && echo 0123 >fs/etc/machine-id &&
	prestart 100.conf fs &&
	test ! -e fs/etc/machine-id && test ! -e fs/.corral/first-start && test -d fs/.corral &&
	sed -n 1p fs/etc/shadow | grep -q "^root:\*:[0-9]*:" &&
	echo 4567 >fs/etc/machine-id && prestart 100.conf fs && test -f fs/etc/machine-id
'

test_expect_success 'first-start marker: kept when the setup fails' '
	mk_debian ff 3.0 && mkdir ff/.corral && : >ff/.corral/first-start &&
	test_must_fail --code=1 prestart 100.conf ff &&
	test -e ff/.corral/first-start
'

test_expect_success 'first-start marker: an unmanaged CT only loses the marker' '
	ctconf 101.conf <<-EOF &&
	ostype: unmanaged
	EOF
	mk_debian fu && mkdir fu/.corral && : >fu/.corral/first-start && echo 0123 >fu/etc/machine-id &&
	prestart 101.conf fu && test ! -e fu/.corral/first-start && test -f fu/etc/machine-id
'

test_expect_success 'a whole create on a Debian root, byte for byte' '
	printf "%s\n" "$HASH" >"$SECRETS/password" && printf "%s\n" "$KEY" >"$SECRETS/authorized_keys" &&
	mk_accounts w && echo 0123 >w/etc/machine-id &&
	printf "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n" >w/etc/hosts &&
	echo "nameserver 192.168.0.1" >w/etc/resolv.conf && echo image-host >w/etc/hostname &&
	prestart 100.conf w --create 2>err && test_cmp /dev/null err &&
	test ! -e w/etc/machine-id && test -f w/fastboot &&
	echo web1 >expect && test_cmp expect w/etc/hostname &&
	printf "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n%s\n127.0.1.1 web1.a.example web1\n%s\n" "$B" "$E" >expect &&
	test_cmp expect w/etc/hosts &&
	printf "%s\n" "$B" "search a.example" "nameserver 1.1.1.1" "$E" >expect &&
	test_cmp expect w/etc/resolv.conf &&
	printf "%s\n" "$B" "$KEY" "$E" >expect && test_cmp expect w/root/.ssh/authorized_keys &&
	sed -n 1p w/etc/shadow | grep -q "^root:$(printf "%s" "$HASH" | sed "s/[$.]/\\\\&/g"):[0-9]*:0:99999:7:::$"
'

test_done

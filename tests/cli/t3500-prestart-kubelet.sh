#!/bin/sh
# corral-prestart reads its config and the CT's secrets from the volumes the
# kubelet projects from the CT's ConfigMap and Secret, where every key is a
# symbolic link into a timestamped directory (ct.conf -> ..data/ct.conf,
# ..data -> ..2026_...). It follows those links, and only links that stay
# inside the volume's directory. At the first start, it removes the
# kubelet's /etc/hosts that an older seed copied into the rootfs.
. "$(dirname "$0")/prestart-lib.sh"

B='# --- BEGIN PVE ---'
E='# --- END PVE ---'
HASH='$6$Zk8ZKvlWVrXKYGP3$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ./0123456789abcdefghijkl'
KEY='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3cG3nPVFtCd4fBk2ZA7xY3EMQ4tHjGBcbd5cD8PyTu alice@laptop'

printf 'hostname: web1\nsearchdomain: a.example\nnameserver: 1.1.1.1\nunprivileged: 0\n' >conf.in
printf '%s\n' "$HASH" >password.in
printf '%s\n' "$KEY" >keys.in

# as the agent's pod runs it: corral-prestart /etc/corral/ct/ct.conf /rootfs --secrets=/etc/corral/secrets
kprestart () {
	"$PRESTART" --resolv-conf="$HOST/etc/resolv.conf" --host-root="$HOST" "$@"
}

# a Debian root as the seed leaves it: accounts, /root, the first-start marker
mk_seeded () {
	mk_debian "$1" &&
	printf "root:x:0:0:root:/root:/bin/bash\n" >"$1/etc/passwd" &&
	printf "root:*:19000:0:99999:7:::\n" >"$1/etc/shadow" && chmod 640 "$1/etc/shadow" &&
	mkdir -p "$1/root" "$1/.corral" && : >"$1/.corral/first-start"
}

test_expect_success 'the volumes are laid out as the kubelet does' '
	kubelet_volume etc/ct ct.conf conf.in &&
	test -L etc/ct/ct.conf && test "$(readlink etc/ct/ct.conf)" = ..data/ct.conf &&
	test -L etc/ct/..data && readlink etc/ct/..data | grep -q "^\.\.2026_" &&
	test -f "etc/ct/$(readlink etc/ct/..data)/ct.conf"
'

test_expect_success 'the config is read through the ConfigMap projection' '
	mk_debian r &&
	kprestart etc/ct/ct.conf r 2>err && test_cmp /dev/null err &&
	echo web1 >expect && test_cmp expect r/etc/hostname &&
	printf "%s\n" "$B" "search a.example" "nameserver 1.1.1.1" "$E" >expect &&
	test_cmp expect r/etc/resolv.conf
'

test_expect_success 'the same by an absolute path, as in the pod' '
	mk_debian ra && kprestart "$TRASH/etc/ct/ct.conf" ra &&
	echo web1 >expect && test_cmp expect ra/etc/hostname
'

test_expect_success 'password and authorized_keys are read through the Secret projection' '
	kubelet_volume etc/secrets password password.in authorized_keys keys.in &&
	test -L etc/secrets/password && test -L etc/secrets/authorized_keys &&
	mk_seeded s &&
	kprestart "$TRASH/etc/ct/ct.conf" s --secrets="$TRASH/etc/secrets" 2>err &&
	test_cmp /dev/null err &&
	sed -n 1p s/etc/shadow | grep -q "^root:$(printf "%s" "$HASH" | sed "s/[$.]/\\\\&/g"):[0-9]*:0:99999:7:::$" &&
	printf "%s\n" "$B" "$KEY" "$E" >expect && test_cmp expect s/root/.ssh/authorized_keys &&
	test ! -e s/.corral/first-start
'

test_expect_success 'a Secret with only one of the keys' '
	kubelet_volume only-keys authorized_keys keys.in &&
	mk_seeded ok &&
	kprestart etc/ct/ct.conf ok --secrets=only-keys &&
	sed -n 1p ok/etc/shadow | grep -q "^root:\*:" &&
	printf "%s\n" "$B" "$KEY" "$E" >expect && test_cmp expect ok/root/.ssh/authorized_keys
'

test_expect_success 'an updated projection is read: the new ..data, not the removed one' '
	printf "hostname: web2\n" >conf2.in &&
	kubelet_volume etc/ct ct.conf conf2.in &&
	test "$(ls -d etc/ct/..2026_* | wc -l)" -eq 1 &&
	mk_debian u && kprestart etc/ct/ct.conf u &&
	echo web2 >expect && test_cmp expect u/etc/hostname &&
	kubelet_volume etc/ct ct.conf conf.in
'

test_expect_success 'a config link that leads out of its directory is refused' '
	mkdir -p out v1 v2 v3 && cp conf.in out/ct.conf &&
	ln -s ../out/ct.conf v1/ct.conf &&
	ln -s "$TRASH/out/ct.conf" v2/ct.conf &&
	ln -s ../out v3/..data && ln -s ..data/ct.conf v3/ct.conf &&
	mk_debian o && snapshot o >before &&
	for v in v1 v2 v3; do
		test_must_fail --code=1 kprestart $v/ct.conf o 2>err &&
		echo "corral-prestart: unable to open file '"'"'$v/ct.conf'"'"': a symbolic link leads out of its directory" >expect &&
		test_cmp expect err || exit 1
	done &&
	snapshot o >after && test_cmp before after
'

test_expect_success 'a secret link that leads out of its directory is refused, not skipped' '
	mkdir -p sv && cp password.in out/password && ln -s ../out/password sv/password &&
	mk_seeded so && snapshot so >before &&
	test_must_fail --code=1 kprestart etc/ct/ct.conf so --secrets=sv 2>err &&
	echo "corral-prestart: unable to read '"'"'sv/password'"'"' - a symbolic link leads out of its directory" >expect &&
	test_cmp expect err &&
	snapshot so >after && test_cmp before after
'

test_expect_success 'no file, a dangling link, a directory, a FIFO: the config messages' '
	mk_debian m && mkdir -p bad/dir.conf && ln -s ..data/gone.conf bad/dangling.conf &&
	mkfifo bad/fifo.conf &&
	test_must_fail --code=1 kprestart bad/none.conf m 2>err &&
	echo "corral-prestart: Configuration file '"'"'bad/none.conf'"'"' does not exist" >expect && test_cmp expect err &&
	test_must_fail --code=1 kprestart bad/dangling.conf m 2>err &&
	echo "corral-prestart: Configuration file '"'"'bad/dangling.conf'"'"' does not exist" >expect && test_cmp expect err &&
	test_must_fail --code=1 kprestart bad/dir.conf m 2>err &&
	echo "corral-prestart: '"'"'bad/dir.conf'"'"' is a directory, not a config file" >expect && test_cmp expect err &&
	test_must_fail --code=1 kprestart bad/fifo.conf m 2>err &&
	echo "corral-prestart: '"'"'bad/fifo.conf'"'"' is not a regular file" >expect && test_cmp expect err
'

KUBELET_HOSTS='# Kubernetes-managed hosts file.
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
fe00::0	ip6-localnet
fe00::0	ip6-mcastprefix
fe00::1	ip6-allnodes
fe00::2	ip6-allrouters
10.232.0.2	ct-100-0.ct-100.corral-m.svc.	ct-100-0'

test_expect_success 'first start: the kubelet'"'"'s /etc/hosts an older seed copied goes' '
	mk_seeded kh && printf "%s\n" "$KUBELET_HOSTS" >kh/etc/hosts &&
	echo ct-100-0 >kh/etc/hostname && echo "nameserver 10.96.0.10" >kh/etc/resolv.conf &&
	kprestart etc/ct/ct.conf kh 2>err && test_cmp /dev/null err &&
	printf "%s\n" "$B" "127.0.0.1 localhost.localnet localhost" "::1 localhost.localnet localhost" \
		"127.0.1.1 web1.a.example web1" "$E" >expect &&
	test_cmp expect kh/etc/hosts &&
	echo web1 >expect && test_cmp expect kh/etc/hostname &&
	printf "%s\n" "$B" "search a.example" "nameserver 1.1.1.1" "$E" >expect &&
	test_cmp expect kh/etc/resolv.conf
'

test_expect_success 'only then, only that file, and not when it is frozen' '
	mk_debian kl && printf "%s\n" "$KUBELET_HOSTS" >kl/etc/hosts &&
	kprestart etc/ct/ct.conf kl && grep -q "^10.232.0.2	ct-100-0" kl/etc/hosts &&
	mk_seeded km && printf "127.0.0.1 localhost\n%s\n" "$KUBELET_HOSTS" >km/etc/hosts &&
	kprestart etc/ct/ct.conf km && grep -q "^10.232.0.2	ct-100-0" km/etc/hosts &&
	mk_seeded ki && printf "%s\n" "$KUBELET_HOSTS" >ki/etc/hosts && : >ki/etc/.pve-ignore.hosts &&
	kprestart etc/ct/ct.conf ki && printf "%s\n" "$KUBELET_HOSTS" >expect && test_cmp expect ki/etc/hosts
'

test_expect_success 'pct still refuses a symlinked config in its config directory' '
	cp conf.in real.conf && ln -s ../real.conf "$CORRAL_CONFDIR/100.conf" &&
	test_must_fail pct config 100 2>err && grep -q "is a symbolic link" err
'

test_done

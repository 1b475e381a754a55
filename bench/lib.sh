# Shared by bench/run.sh and bench/bench-agent.sh: the benchmark's CT configs.

# A config like the ones people have: about 1.5 KB, three snapshots.
write_ct() { # dir id
	cat >"$1/$2.conf" <<EOF
#Web server $2
arch: amd64
cores: 2
features: nesting=1
hostname: ct$2
memory: 2048
nameserver: 10.0.0.53
net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:$(printf '%02X:%02X' $(($2 / 256 % 256)) $(($2 % 256))):01,ip=dhcp,type=veth
onboot: 1
ostemplate: docker.io/library/debian:bookworm
ostype: debian
parent: s3
rootfs: local-lvm:vm-$2-disk-0,size=8G
swap: 512
tags: bench
unprivileged: 1

[s1]
arch: amd64
cores: 2
hostname: ct$2
memory: 2048
rootfs: local-lvm:vm-$2-disk-0,size=8G
snaptime: 1700000001

[s2]
arch: amd64
cores: 2
hostname: ct$2
memory: 2048
parent: s1
rootfs: local-lvm:vm-$2-disk-0,size=8G
snaptime: 1700000002

[s3]
arch: amd64
cores: 2
hostname: ct$2
memory: 2048
parent: s2
rootfs: local-lvm:vm-$2-disk-0,size=8G
snaptime: 1700000003
EOF
}

make_cts() { # dir count
	mkdir -p "$1"
	i=100
	while [ $i -lt $((100 + $2)) ]; do
		write_ct "$1" $i
		i=$((i + 1))
	done
}

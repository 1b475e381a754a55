/*
 * Parser and writer throughput on one core: parse + write of a typical
 * config (about 1.5 KB, three snapshots) and of a large one (256 mount
 * points, 32 nets, 50 snapshots), repeated; prints files/s and MB/s as
 * "name median min max unit" lines for bench/run.sh.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "pctconf.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
typical(size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	int s;

	strbuf_addstr(&sb, "#Web server for the shop%3A nginx and php-fpm\n#Owner: ops\n"
			   "arch: amd64\ncores: 4\nfeatures: nesting=1,keyctl=1\nhostname: web1\n"
			   "memory: 4096\nmp0: local-lvm:vm-101-disk-1,mp=/srv/www,backup=1,size=32G\n"
			   "nameserver: 10.0.0.53 10.0.0.54\n"
			   "net0: name=eth0,bridge=vmbr0,firewall=1,gw=10.0.0.1,hwaddr=BC:24:11:5E:7A:01,ip=10.0.0.21/24,type=veth\n"
			   "net1: name=eth1,bridge=vmbr1,hwaddr=BC:24:11:5E:7A:02,ip=dhcp,tag=20,type=veth\n"
			   "onboot: 1\nostype: debian\nparent: weekly3\nrootfs: local-lvm:vm-101-disk-0,size=16G\n"
			   "searchdomain: example.com\nstartup: order=2,up=30\nswap: 1024\ntags: prod;web\n"
			   "unprivileged: 1\nlxc.cgroup2.devices.allow: c 10:200 rwm\n"
			   "lxc.mount.entry: /dev/net dev/net none bind,create=dir\n");
	for (s = 1; s <= 3; s++)
		strbuf_addf(&sb,
			    "\n[weekly%d]\n#before the upgrade %d\narch: amd64\ncores: 4\nhostname: web1\n"
			    "memory: 4096\nmp0: local-lvm:vm-101-disk-1,mp=/srv/www,backup=1,size=32G\n"
			    "net0: name=eth0,bridge=vmbr0,firewall=1,gw=10.0.0.1,hwaddr=BC:24:11:5E:7A:01,ip=10.0.0.21/24,type=veth\n"
			    "ostype: debian\n%srootfs: local-lvm:vm-101-disk-0,size=16G\nsnaptime: %d\n"
			    "swap: 1024\nunprivileged: 1\n",
			    s, s, s > 1 ? (s == 2 ? "parent: weekly1\n" : "parent: weekly2\n") : "",
			    1700000000 + s * 604800);
	return strbuf_detach(&sb, len);
}

static char *
large(size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	int i, s;

	strbuf_addstr(&sb, "arch: amd64\ncores: 16\nhostname: big\nmemory: 65536\n");
	for (i = 0; i < 256; i++)
		strbuf_addf(&sb, "mp%d: local-lvm:vm-900-disk-%d,mp=/data/%d,size=%dG\n", i, i + 1, i,
			    i + 1);
	for (i = 0; i < 32; i++)
		strbuf_addf(&sb, "net%d: name=eth%d,bridge=vmbr%d,hwaddr=BC:24:11:00:%02X:01,ip=dhcp,type=veth\n",
			    i, i, i % 4, i);
	strbuf_addstr(&sb, "rootfs: local-lvm:vm-900-disk-0,size=64G\nunprivileged: 1\n");
	for (s = 0; s < 50; s++) {
		strbuf_addf(&sb, "\n[snap%02d]\narch: amd64\nhostname: big\nmemory: 65536\n", s);
		for (i = 0; i < 16; i++)
			strbuf_addf(&sb, "mp%d: local-lvm:vm-900-disk-%d,mp=/data/%d,size=%dG\n", i, i + 1,
				    i, i + 1);
		strbuf_addf(&sb, "rootfs: local-lvm:vm-900-disk-0,size=64G\nsnaptime: %d\n",
			    1700000000 + s);
	}
	return strbuf_detach(&sb, len);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
run(const char *name, const char *text, size_t len, double seconds_per_round)
{
	double rates[7], mbs[7];
	int r;

	for (r = 0; r < 7; r++) {
		double t0 = now(), t;
		unsigned long n = 0;

		do {
			struct pct_error *err = NULL;
			struct pctconf *c = pctconf_parse("/etc/corral/ct/101.conf", 0, text, len);
			size_t out;
			char *w = pctconf_write(c, &out, &err);

			free(w);
			pctconf_free(c);
			n++;
		} while ((t = now() - t0) < seconds_per_round);
		rates[r] = (double)n / t;
		mbs[r] = rates[r] * (double)len / 1e6;
	}
	qsort(rates, 7, sizeof(double), cmp_double);
	qsort(mbs, 7, sizeof(double), cmp_double);
	printf("%s (%zu bytes) | %.0f | %.0f | %.0f | files/s\n", name, len, rates[3], rates[0],
	       rates[6]);
	printf("%s (%zu bytes) | %.1f | %.1f | %.1f | MB/s\n", name, len, mbs[3], mbs[0], mbs[6]);
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 0.5;
	size_t l1, l2;
	char *t = typical(&l1), *g = large(&l2);

	run("parse+write typical", t, l1, secs);
	run("parse+write large", g, l2, secs);
	free(t);
	free(g);
	return 0;
}

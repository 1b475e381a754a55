/*
 * The pure mapping of a CT config to Kubernetes objects (sync/desired.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "desired.h"
#include "tap.h"

static struct corral_settings *settings;

static const char settings_text[] =
	"namespace = \"ct\"\n"
	"bind-mount-roots = {\"/srv\"}\n"
	"storage local { storage-class = \"\" }\n"
	"storage local-lvm { storage-class = \"fast\" snapshot-class = \"snap\" }\n";

static void
load_settings(bool privileged)
{
	char path[] = "/tmp/corral-test-desired-XXXXXX";
	int fd = mkstemp(path);
	struct pct_error *err = NULL;
	FILE *f = fdopen(fd, "w");

	fputs(settings_text, f);
	if (privileged)
		fputs("allow-privileged = true\n", f);
	fclose(f);
	corral_settings_free(settings);
	settings = NULL;
	if (corral_settings_load(path, &settings, &err) < 0) {
		printf("# %s\n", err->msg);
		exit(1);
	}
	unlink(path);
}

static struct desired
run(const char *text, bool running, bool userns)
{
	struct pctconf *c = pctconf_parse("/etc/corral/ct/100.conf", 0, text, strlen(text));
	struct desired_input in = { 0 };
	struct desired d;
	struct pct_error *err = NULL;

	in.conf = c;
	in.raw = text;
	in.rawlen = strlen(text);
	in.settings = settings;
	in.caps.user_namespaces = userns;
	in.running = running;
	if (syncd_desired(&in, &d, &err) < 0) {
		printf("# %s\n", err->msg);
		exit(1);
	}
	pctconf_free(c);
	return d;
}

static const cJSON *
find(const struct desired *d, const char *kind, const char *name)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, d->objects)
		if (!strcmp(desired_object_kind(o), kind) && !strcmp(desired_object_name(o), name))
			return o;
	return NULL;
}

/* dotted path lookup with array indices: "spec.template.spec.containers.0.image" */
static const cJSON *
at(const cJSON *o, const char *path)
{
	char *copy = xstrdup(path), *tok, *save = NULL;

	for (tok = strtok_r(copy, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save)) {
		if (cJSON_IsArray(o))
			o = cJSON_GetArrayItem(o, atoi(tok));
		else
			o = cJSON_GetObjectItemCaseSensitive(o, tok);
	}
	free(copy);
	return o;
}

static const char *
s_at(const cJSON *o, const char *path)
{
	const cJSON *v = at(o, path);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
n_at(const cJSON *o, const char *path)
{
	const cJSON *v = at(o, path);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char base[] = "arch: arm64\n"
			   "cores: 2\n"
			   "hostname: Web1.example.com\n"
			   "memory: 1024\n"
			   "mp0: local-lvm:vm-100-disk-1,mp=/srv/data,size=16G\n"
			   "nameserver: 1.1.1.1 8.8.8.8\n"
			   "net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=dhcp,rate=10,type=veth\n"
			   "ostemplate: docker.io/library/debian:bookworm\n"
			   "rootfs: local-lvm:vm-100-disk-0,size=8G\n"
			   "searchdomain: example.com\n"
			   "startup: order=2,down=30\n"
			   "tags: db;web\n"
			   "timezone: Europe/Vienna\n"
			   "unprivileged: 1\n"
			   "unused0: local:vm-100-disk-7\n"
			   "lxc.environment.runtime: FOO=bar\n"
			   "lxc.init.cwd: /srv\n";

/* the pod volume called name, with path under it equal to want */
static bool
find_volume(const cJSON *sts, const char *name, const char *path, const char *want)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, at(sts, "spec.template.spec.volumes"))
		if (!strcmp(s_at(v, "name"), name))
			return s_at(v, path) && !strcmp(s_at(v, path), want);
	return false;
}

static void
test_objects(void)
{
	struct desired d = run(base, true, true);
	const cJSON *sts = find(&d, "StatefulSet", "ct-100");
	const cJSON *pvc = find(&d, "PersistentVolumeClaim", "local-lvm-vm-100-disk-0");
	const cJSON *pvc1 = find(&d, "PersistentVolumeClaim", "local-lvm-vm-100-disk-1");
	const cJSON *unused = find(&d, "PersistentVolumeClaim", "local-vm-100-disk-7");
	const cJSON *svc = find(&d, "Service", "ct-100");
	const cJSON *cm = find(&d, "ConfigMap", "ct-100-conf");
	const cJSON *c = at(sts, "spec.template.spec.containers.0");

	ok(!d.refused, "a valid config is not refused%s%s", d.refused ? ": " : "", d.refused ? d.refused : "");
	is_int(cJSON_GetArraySize(d.objects), 5, "2 PVCs, a ConfigMap, a Service and a StatefulSet");
	ok(sts && pvc && pvc1 && svc && cm, "every object is named as documented");
	ok(!unused, "no PVC is applied for an unused volume (it exists; it is kept)");
	is_str(desired_object_kind(cJSON_GetArrayItem(d.objects, 4)), "StatefulSet",
	       "the StatefulSet comes last");
	is_str(s_at(sts, "metadata.namespace"), "ct", "namespace from corral.conf");
	is_str(cJSON_GetObjectItemCaseSensitive(at(sts, "metadata.labels"), LABEL_MANAGED_BY)->valuestring,
	       "corral", "managed-by label");
	is_str(cJSON_GetObjectItemCaseSensitive(at(pvc, "metadata.labels"), LABEL_CTID)->valuestring,
	       "100", "ctid label on PVCs");
	ok(desired_object_hash(sts) && strlen(desired_object_hash(sts)) == 40, "spec hash annotation");
	is_int(n_at(sts, "spec.replicas"), 1, "running: replicas 1");
	is_str(s_at(sts, "spec.updateStrategy.type"), "OnDelete", "updateStrategy OnDelete");
	is_str(s_at(svc, "spec.clusterIP"), "None", "the Service is headless");
	is_str(s_at(pvc, "spec.resources.requests.storage"), "8Gi", "rootfs size 8G -> 8Gi");
	is_str(s_at(pvc, "spec.storageClassName"), "fast", "storage class from corral.conf");
	is_str(s_at(pvc1, "spec.resources.requests.storage"), "16Gi", "mp0 size");
	is_str(s_at(c, "image"), "docker.io/library/debian:bookworm", "image from ostemplate");
	is_str(s_at(c, "resources.limits.memory"), "1024Mi", "memory limit");
	is_str(s_at(c, "resources.requests.memory"), "1024Mi", "memory request");
	is_str(s_at(c, "resources.limits.cpu"), "2", "cores -> cpu limit");
	/* the StatefulSet controller sets both on the pod (ct-100-0, serviceName) */
	ok(!at(sts, "spec.template.spec.hostname"), "no hostname in the template (overwritten)");
	ok(!at(sts, "spec.template.spec.subdomain"), "no subdomain in the template (overwritten)");
	is_str(s_at(sts, "spec.serviceName"), "ct-100", "serviceName: the pod's subdomain");
	is_str(s_at(sts, "spec.template.spec.dnsPolicy"), "None", "nameserver -> dnsPolicy None");
	is_str(s_at(sts, "spec.template.spec.dnsConfig.nameservers.1"), "8.8.8.8", "nameservers");
	is_str(s_at(sts, "spec.template.spec.dnsConfig.searches.0"), "example.com", "searches");
	is_str(cJSON_GetObjectItemCaseSensitive(at(sts, "spec.template.spec.nodeSelector"),
						"kubernetes.io/arch")->valuestring,
	       "arm64", "arch -> nodeSelector");
	is_int(n_at(sts, "spec.template.spec.terminationGracePeriodSeconds"), 30,
	       "startup down= -> grace period");
	ok(cJSON_IsFalse(at(sts, "spec.template.spec.hostUsers")), "unprivileged: hostUsers false");
	is_str(s_at(c, "securityContext.seccompProfile.type"), "RuntimeDefault", "seccomp");
	ok(cJSON_IsFalse(at(c, "securityContext.allowPrivilegeEscalation")), "no privilege escalation");
	is_str(s_at(c, "env.0.name"), "FOO", "env from lxc.environment.runtime");
	is_str(s_at(c, "env.1.name"), "TZ", "timezone -> TZ");
	is_str(s_at(c, "env.1.value"), "Europe/Vienna", "TZ value");
	is_str(s_at(c, "workingDir"), "/srv", "lxc.init.cwd -> workingDir");
	is_str(s_at(c, "volumeMounts.0.mountPath"), "/srv/data", "mp0 mounted at its path");
	is_str(s_at(c, "volumeMounts.1.mountPath"), "/data", "unprivileged rootfs at /data");
	ok(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(at(sts, "metadata.labels"),
							   "tags.corral.dev/web")),
	   "tags -> labels");
	is_str(cJSON_GetObjectItemCaseSensitive(at(sts, "spec.template.metadata.annotations"),
						"kubernetes.io/egress-bandwidth")->valuestring,
	       "80M", "net0 rate=10 (MB/s) -> 80M bandwidth");
	is_str(cJSON_GetObjectItemCaseSensitive(at(cm, "data"), "ct.conf")->valuestring, base,
	       "the ConfigMap holds the file");
	is_int(d.nvolumes, 3, "three volumes recorded, the unused one too");
	{
		const cJSON *v;
		bool conf = false;

		cJSON_ArrayForEach(v, at(sts, "spec.template.spec.volumes"))
			if (!strcmp(s_at(v, "name"), "conf"))
				conf = true;
		ok(!conf, "unprivileged: no config volume (only corral-prestart reads it)");
	}
	desired_release(&d);
}

static void
test_power_and_hash(void)
{
	struct desired a = run(base, true, true), b = run(base, true, true), c = run(base, false, true);
	char *more = xstrdup(base);
	struct desired m;

	memcpy(strstr(more, "memory: 1024"), "memory: 2048", 12);
	m = run(more, true, true);
	is_str(desired_object_hash(find(&a, "StatefulSet", "ct-100")),
	       desired_object_hash(find(&b, "StatefulSet", "ct-100")), "the hash is stable");
	is_int(n_at(find(&c, "StatefulSet", "ct-100"), "spec.replicas"), 0, "stopped: replicas 0");
	ok(strcmp(desired_object_hash(find(&a, "StatefulSet", "ct-100")),
		  desired_object_hash(find(&c, "StatefulSet", "ct-100"))),
	   "the power state changes the hash");
	ok(strcmp(desired_object_hash(find(&a, "StatefulSet", "ct-100")),
		  desired_object_hash(find(&m, "StatefulSet", "ct-100"))),
	   "a memory change changes the StatefulSet hash");
	is_str(desired_object_hash(find(&a, "PersistentVolumeClaim", "local-lvm-vm-100-disk-0")),
	       desired_object_hash(find(&m, "PersistentVolumeClaim", "local-lvm-vm-100-disk-0")),
	       "but not the PVC hash");
	desired_release(&a);
	desired_release(&b);
	desired_release(&c);
	desired_release(&m);
	free(more);
}

/* the annotation has dots in its name: no at() path */
static const char *
guest_hash(const struct desired *d)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
		at(find(d, "StatefulSet", "ct-100"), "spec.template.metadata.annotations"),
		ANN_GUEST_SETUP);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* the keys corral-prestart applies at start mark the pod template; others do not */
static void
test_guest_setup_hash(void)
{
	static const char *const edits[][2] = {
		{ "hostname: Web1.example.com", "hostname: web2.example.com" },
		{ "nameserver: 1.1.1.1 8.8.8.8", "nameserver: 9.9.9.9" },
		{ "searchdomain: example.com", "searchdomain: example.org" },
		{ "timezone: Europe/Vienna", "timezone: Europe/Paris" },
		{ "tags: db;web", "tags: db" },
	};
	struct desired a = run(base, true, true);
	const char *ga = guest_hash(&a);
	size_t i;

	ok(ga && strlen(ga) == 40, "the pod template carries the guest-setup hash");
	for (i = 0; i < ARRAY_SIZE(edits); i++) {
		struct strbuf sb = STRBUF_INIT;
		const char *at_old = strstr(base, edits[i][0]);
		struct desired e;
		const char *ge;

		strbuf_add(&sb, base, (size_t)(at_old - base));
		strbuf_addstr(&sb, edits[i][1]);
		strbuf_addstr(&sb, at_old + strlen(edits[i][0]));
		e = run(sb.buf, true, true);
		ge = guest_hash(&e);
		if (i + 1 < ARRAY_SIZE(edits))
			ok(ga && ge && strcmp(ga, ge), "'%s' changes the guest-setup hash", edits[i][1]);
		else
			is_str(ge, ga, "'%s' does not change it", edits[i][1]);
		desired_release(&e);
		strbuf_release(&sb);
	}
	desired_release(&a);
}

static void
test_refusals(void)
{
	struct desired d;

	d = run("rootfs: local:vm-100-disk-0,size=4G\n", true, true);
	ok(d.refused && strstr(d.refused, "ostemplate"), "no image: refused (%s)", d.refused);
	is_int(cJSON_GetArraySize(d.objects), 0, "nothing is created");
	desired_release(&d);

	d = run("ostemplate: debian\nrootfs: local:vm-100-disk-0,size=4G\nunprivileged: 0\n", true, true);
	ok(d.refused && strstr(d.refused, "allow-privileged"), "privileged refused by default (%s)",
	   d.refused);
	desired_release(&d);

	d = run("ostemplate: debian\nrootfs: nfs:vm-100-disk-0,size=4G\n", true, true);
	ok(d.refused && strstr(d.refused, "storage 'nfs' has no StorageClass"),
	   "an unmapped storage id is an error (%s)", d.refused);
	desired_release(&d);

	d = run("ostemplate: debian\nrootfs: local:vm-100-disk-0\n", true, true);
	ok(d.refused && strstr(d.refused, "no size"), "a volume without size (%s)", d.refused);
	desired_release(&d);

	/* two volumes at one path: the API server would refuse the pod at every pass */
	d = run("ostemplate: debian\nrootfs: local:vm-100-disk-0,size=4G\nunprivileged: 1\n"
		"mp0: local:vm-100-disk-1,mp=/data,size=1G\n",
		true, true);
	is_str(d.refused,
	       "mp0: mount point '/data' is already used by rootfs (an unprivileged CT has its "
	       "rootfs volume at /data)",
	       "a mount point at /data of an unprivileged CT is refused");
	is_int(cJSON_GetArraySize(d.objects), 0, "nothing is created");
	desired_release(&d);

	d = run("ostemplate: debian\nrootfs: local:vm-100-disk-0,size=4G\nunprivileged: 1\n"
		"mp0: local:vm-100-disk-1,mp=/srv/a,size=1G\nmp1: /srv/b,mp=/srv/a/\n",
		true, true);
	is_str(d.refused, "mp1: mount point '/srv/a' is already used by mp0",
	       "two mount points at one path (a trailing slash is the same path)");
	desired_release(&d);

	d = run("ostemplate: debian\nrootfs: local:vm-100-disk-0,size=4G\nunprivileged: 1\n"
		"mp0: local:vm-100-disk-1,mp=/srv/a,size=1G\nmp1: /srv/b,mp=/srv/ab\n",
		true, true);
	ok(!d.refused, "/srv/a and /srv/ab are different paths (%s)", d.refused);
	desired_release(&d);

	d = run("ostemplate: debian\nrootfs: local:vm-100-disk-0,size=4G\nmp0: /etc,mp=/x\n", true, true);
	ok(d.refused && strstr(d.refused, "'/etc' is not allowed"), "bind mount of /etc (%s)", d.refused);
	desired_release(&d);

	d = run("ostemplate: debian\nrootfs: local:vm-100-disk-0,size=4G\nmp0: /home/x,mp=/x\n", true, true);
	ok(d.refused && strstr(d.refused, "outside the allowed roots"), "bind mount outside roots (%s)",
	   d.refused);
	desired_release(&d);

	d = run("ostemplate: debian\nrootfs: local:vm-100-disk-0,size=4G\ndev0: /dev/ttyUSB0\n", true, true);
	ok(d.refused && strstr(d.refused, "privileged"), "devices need a privileged CT (%s)", d.refused);
	desired_release(&d);

	d = run("ostemplate: debian\nrootfs: local:vm-100-disk-0,size=4G\nmp0: /srv/ok,mp=/x\n", true, true);
	ok(!d.refused, "bind mount below an allowed root");
	ok(at(find(&d, "StatefulSet", "ct-100"), "spec.template.spec.volumes.0.hostPath") != NULL,
	   "as a hostPath volume");
	desired_release(&d);
}

static void
test_privileged(void)
{
	struct desired d;
	const cJSON *c;

	load_settings(true);
	d = run("ostemplate: debian\nrootfs: local:vm-100-disk-0,size=4G\nunprivileged: 0\n", true, false);
	c = at(find(&d, "StatefulSet", "ct-100"), "spec.template.spec.containers.0");
	ok(!d.refused, "privileged allowed by corral.conf");
	ok(cJSON_IsTrue(at(c, "securityContext.privileged")), "privileged container");
	ok(d.privileged, "the CT is known to be privileged (pct status: userns 0)");
	is_str(s_at(c, "volumeMounts.0.mountPath"), "/rootfs", "the persistent rootfs at /rootfs");
	is_str(s_at(c, "command.0"), "/bin/sh", "the CT runs through the chroot wrapper");
	ok(s_at(c, "command.2") && strstr(s_at(c, "command.2"), "exec chroot /rootfs"),
	   "which binds /proc, /sys, /dev and chroots into the volume");
	{
		const char *sc = s_at(c, "command.2");
		const char *hn = sc ? strstr(sc, "</rootfs/etc/hostname") : NULL;
		const char *kn = sc ? strstr(sc, ">/proc/sys/kernel/hostname) 2>/dev/null || :;") : NULL;

		ok(hn && kn && hn < kn && kn < strstr(sc, "exec chroot"),
		   "it sets the kernel hostname from the CT's /etc/hostname before the chroot");
		ok(sc && strstr(sc, "set -e; (") == sc,
		   "in a subshell whose failure does not stop the start");
	}
	ok(s_at(c, "command.6") && strstr(s_at(c, "command.6"), "trap 'exit 0' TERM"),
	   "the default PID 1 ends at once on SIGTERM");
	{
		const cJSON *ics = at(find(&d, "StatefulSet", "ct-100"), "spec.template.spec.initContainers");

		const char *seed = s_at(ics, "0.command.2");
		const char *bind = seed ? strstr(seed, "mount --bind / \"$i\"") : NULL;
		const char *cp = seed ? strstr(seed, "cp -a --one-file-system \"$i/.\" /rootfs/") : NULL;

		is_str(s_at(ics, "0.name"), "seed", "first init container: the seed");
		ok(seed && strstr(seed, "i=/rootfs/.corral/image;"), "the seed binds the image's root into the volume");
		ok(bind && cp && bind < cp, "and copies the image's root from that bind, once");
		ok(seed && !strstr(seed, "--rbind") && !strstr(seed, "cp -a --one-file-system /. "),
		   "not from / with the kubelet's /etc/hosts, /etc/hostname, /etc/resolv.conf mounted over it");
		ok(seed && strstr(seed, "for f in etc/hosts etc/hostname etc/resolv.conf;") &&
			   strstr(seed, "[ ! -s \"/rootfs/$f\" ]; then rm \"/rootfs/$f\""),
		   "the empty files the runtime mounted over are left out");
		ok(seed && strstr(seed, "/rootfs/.corral/seeded"), "and marks the volume");
		is_str(s_at(ics, "1.name"), "prestart", "second: the guest setup");
		is_str(s_at(ics, "1.command.0"), "/corral-prestart", "corral-prestart");
		is_str(s_at(ics, "1.command.1"), "/etc/corral/ct/ct.conf", "of the ConfigMap's key");
		is_str(s_at(ics, "1.command.3"), "--secrets=/etc/corral/secrets", "and the Secret's keys");
		is_str(s_at(ics, "1.image"), settings->prestart_image, "from the prestart image");
		is_str(s_at(ics, "1.volumeMounts.1.name"), "conf", "which reads the config volume");
		is_str(s_at(ics, "1.volumeMounts.1.mountPath"), "/etc/corral/ct",
		       "at a directory of its own: no mount point inside the kubelet's volume");
		is_str(s_at(ics, "0.terminationMessagePolicy"), "FallbackToLogsOnError",
		       "a seed that fails: its last lines in the pod's status");
		is_str(s_at(ics, "1.terminationMessagePolicy"), "FallbackToLogsOnError",
		       "a guest setup that fails: its error in the pod's status");
		ok(find_volume(find(&d, "StatefulSet", "ct-100"), "conf", "configMap.name", "ct-100-conf"),
		   "the config volume is the CT's ConfigMap");
	}
	ok(!find(&d, "Secret", "ct-100-secrets"), "no Secret without kept credentials");
	desired_release(&d);
	{
		const char *t = "ostemplate: debian\nrootfs: local:vm-100-disk-0,size=4G\nunprivileged: 0\n";
		struct pctconf *cf = pctconf_parse("/etc/corral/ct/100.conf", 0, t, strlen(t));
		struct desired_input in = { 0 };
		struct pct_error *e = NULL;
		const cJSON *sec;

		in.conf = cf;
		in.raw = t;
		in.rawlen = strlen(t);
		in.settings = settings;
		in.running = true;
		in.password_hash = "$6$salt$hash";
		in.authorized_keys = "ssh-ed25519 AAAA key\n";
		syncd_desired(&in, &d, &e);
		sec = find(&d, "Secret", "ct-100-secrets");
		ok(sec != NULL, "kept credentials go to a Secret");
		is_str(s_at(sec, "data.password"), "JDYkc2FsdCRoYXNo", "the password hash, base64");
		is_str(s_at(at(find(&d, "StatefulSet", "ct-100"), "spec.template.spec"), "volumes.2.secret.secretName"),
		       "ct-100-secrets", "mounted for the guest setup");
		is_str(s_at(at(find(&d, "StatefulSet", "ct-100"), "spec.template.spec"),
			    "initContainers.1.volumeMounts.2.mountPath"),
		       "/etc/corral/secrets", "at /etc/corral/secrets, beside the config, not in it");
		desired_release(&d);
		pctconf_free(cf);
	}
	d = run("ostemplate: debian\nrootfs: local:vm-100-disk-0,size=4G\nunprivileged: 1\n", true, false);
	ok(!at(find(&d, "StatefulSet", "ct-100"), "spec.template.spec.hostUsers"),
	   "no hostUsers where the cluster lacks user namespaces");
	/* the agent says it once, and pct status --verbose for each CT: not a line per CT */
	ok(d.nwarnings == 0, "and no warning for each CT");
	ok(!d.privileged, "an unprivileged CT");
	desired_release(&d);
	d = run("ostemplate: debian\nrootfs: local:vm-100-disk-0,size=4G\nunprivileged: 0\n", true, true);
	ok(find(&d, "StatefulSet", "ct-100") && !at(find(&d, "StatefulSet", "ct-100"), "spec.template.spec.hostUsers"),
	   "a privileged CT never gets hostUsers: false, even where the cluster has user namespaces");
	desired_release(&d);
	load_settings(false);
}

static void
test_names(void)
{
	char *n = desired_pvc_name("local-lvm:vm-100-disk-0");

	is_str(n, "local-lvm-vm-100-disk-0", "PVC name from the volume id");
	free(n);
	n = desired_pvc_name("Dir_Store:100/vm-100-disk-0.raw");
	is_str(n, "dir-store-100-vm-100-disk-0-raw", "dir storage names become DNS labels");
	free(n);
	n = desired_pvc_name("local:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	ok(strlen(n) <= 63, "long names are cut and hashed (%s)", n);
	free(n);
	n = desired_quantity(8ULL << 30);
	is_str(n, "8Gi", "8 GiB");
	free(n);
	n = desired_quantity(1536ULL << 20);
	is_str(n, "1536Mi", "1.5 GiB");
	free(n);
	n = desired_quantity(1000);
	is_str(n, "1000", "bytes");
	free(n);
}

int
main(void)
{
	load_settings(false);
	test_objects();
	test_power_and_hash();
	test_guest_setup_hash();
	test_refusals();
	test_privileged();
	test_names();
	corral_settings_free(settings);
	return exit_status();
}

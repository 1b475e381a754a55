/*
 * The key table: every config key of a Proxmox container (§5) and the
 * sub-keys of its property strings (§6), as data. These rows are the master
 * copy: the parser's check_type, the API validation, `pct` options, help
 * text, `pct lint --kube` and the man page all derive from them.
 *
 * Help texts are our own words. Types, limits, enums, formats and defaults
 * follow pve-container (see ../shared/docs/pve-conf-format.md).
 */
#include "config.h"

#include <string.h>

#include "pctconf.h"

/* ---- anchored patterns (Perl's ^(?:...)$ of the schema) ---- */

/* [^\x00-\x08\x0a-\x1F\x7F]+ : no control characters except TAB */
static bool
no_ctrl_chars(const char *s, bool allow_empty)
{
	if (!*s)
		return allow_empty;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c <= 0x08) || (c >= 0x0a && c <= 0x1f) || c == 0x7f)
			return false;
	}
	return true;
}

static int
pat_entrypoint(const char *v, struct strbuf *msg)
{
	(void)msg;
	return no_ctrl_chars(v, false) ? 0 : -1;
}

/* (?:\w+=[^ctrl]*)(?:\0\w+=[^ctrl]*)* -- a NUL-separated list of NAME=value */
int
pctconf_pat_env(const char *v, size_t len)
{
	size_t i = 0;

	for (;;) {
		size_t start = i;

		while (i < len && pct_isword((unsigned char)v[i]))
			i++;
		if (i == start || i >= len || v[i] != '=')
			return -1;
		i++;
		while (i < len && v[i] != '\0') {
			unsigned char c = (unsigned char)v[i];

			if (c <= 0x08 || (c >= 0x0a && c <= 0x1f) || c == 0x7f)
				return -1;
			i++;
		}
		if (i == len)
			return 0;
		i++; /* the NUL separator */
	}
}

static int
pat_env(const char *v, struct strbuf *msg)
{
	(void)msg;
	return pctconf_pat_env(v, strlen(v));
}

/* [-_.\w\d]+ */
static int
pat_ifname(const char *v, struct strbuf *msg)
{
	(void)msg;
	if (!*v)
		return -1;
	for (; *v; v++)
		if (!pct_isword((unsigned char)*v) && *v != '-' && *v != '.')
			return -1;
	return 0;
}

/* \d+(?:;\d+)* */
static int
pat_trunks(const char *v, struct strbuf *msg)
{
	(void)msg;
	for (;;) {
		if (!pct_isdigit((unsigned char)*v))
			return -1;
		while (pct_isdigit((unsigned char)*v))
			v++;
		if (!*v)
			return 0;
		if (*v++ != ';')
			return -1;
	}
}

static const char *const mount_options[] = {
	"discard", "lazytime", "noatime", "nodev", "noexec", "nosuid", NULL,
};

/* opt(;opt)* with opt one of mount_options */
static int
pat_mountoptions(const char *v, struct strbuf *msg)
{
	(void)msg;
	for (;;) {
		const char *end = strchr(v, ';');
		size_t n = end ? (size_t)(end - v) : strlen(v);
		bool ok = false;
		size_t i;

		for (i = 0; mount_options[i]; i++)
			if (strlen(mount_options[i]) == n && !strncmp(v, mount_options[i], n))
				ok = true;
		if (!ok)
			return -1;
		if (!end)
			return 0;
		v = end + 1;
	}
}

/* passthrough, or [ug]:\d+:\d+:[1-9]\d* entries joined with ';' */
static int
pat_idmap(const char *v, struct strbuf *msg)
{
	(void)msg;
	if (!strcmp(v, "passthrough"))
		return 0;
	for (;;) {
		int field;

		if (*v != 'u' && *v != 'g')
			return -1;
		v++;
		for (field = 0; field < 3; field++) {
			if (*v++ != ':')
				return -1;
			if (field == 2 && *v == '0')
				return -1;
			if (!pct_isdigit((unsigned char)*v))
				return -1;
			while (pct_isdigit((unsigned char)*v))
				v++;
		}
		if (!*v)
			return 0;
		if (*v++ != ';')
			return -1;
	}
}

/* [a-zA-Z0-9_; ]+ */
static int
pat_fstypes(const char *v, struct strbuf *msg)
{
	(void)msg;
	if (!*v)
		return -1;
	for (; *v; v++)
		if (!pct_isalnum((unsigned char)*v) && *v != '_' && *v != ';' && *v != ' ')
			return -1;
	return 0;
}

/* 0[0-7]{3} */
static int
pat_devmode(const char *v, struct strbuf *msg)
{
	int i;

	(void)msg;
	if (v[0] != '0')
		return -1;
	for (i = 1; i <= 3; i++)
		if (v[i] < '0' || v[i] > '7')
			return -1;
	return v[4] ? -1 : 0;
}

/* ---- enums ---- */

static const char *const arch_choices[] = { "amd64", "i386", "arm64", "armhf", "riscv32",
					    "riscv64", NULL };
static const char *const cmode_choices[] = { "shell", "console", "tty", NULL };
static const char *const lock_choices[] = { "backup",	 "create",  "destroyed", "disk",
					    "fstrim",	 "migrate", "mounted",	 "rollback",
					    "snapshot", "snapshot-delete", NULL };
static const char *const ostype_choices[] = { "debian",	   "devuan",	"ubuntu", "centos",
					      "fedora",	   "opensuse",	"archlinux", "alpine",
					      "gentoo",	   "nixos",	"unmanaged", NULL };
static const char *const nettype_choices[] = { "veth", NULL };

/* ---- property-string sub-key tables (§6) ---- */

#define MP_COMMON_PROPS                                                                            \
	{ .name = "acl", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,                          \
	  .help = "Explicitly enable or disable ACL support." },                                   \
	{ .name = "idmap", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,                         \
	  .pattern = pat_idmap,                                                                    \
	  .pattern_text = "(?:passthrough|[ug]:\\d+:\\d+:[1-9]\\d*(?:;[ug]:\\d+:\\d+:[1-9]\\d*)*)", \
	  .typetext = "type:ct:disk:count[;...]",                                                  \
	  .help = "Custom id mapping for this mount point ('passthrough' or type:ct:disk:count)." }, \
	{ .name = "mountoptions", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,                  \
	  .pattern = pat_mountoptions,                                                             \
	  .pattern_text = "(?^:(discard|lazytime|noatime|nodev|noexec|nosuid)(;(discard|lazytime|noatime|nodev|noexec|nosuid))*)", \
	  .typetext = "opt[;opt...]", .help = "Extra mount options." },                            \
	{ .name = "quota", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,                        \
	  .help = "Enable user quotas inside the container." },                                    \
	{ .name = "replicate", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "1",        \
	  .help = "Include this volume in storage replication." },                                 \
	{ .name = "ro", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,                           \
	  .help = "Mount read-only." },                                                            \
	{ .name = "shared", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",           \
	  .help = "Mark a non-volume mount point as available on all nodes." },                    \
	{ .name = "size", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL, .format = "disk-size",   \
	  .typetext = "DiskSize", .help = "Volume size (read only value)." }

static const struct pctconf_prop rootfs_props[] = {
	{ .name = "volume", .type = PCTCONF_STR, .flags = PCTCONF_DEFAULT_KEY,
	  .format = "pve-lxc-mp-string", .typetext = "volume",
	  .help = "Volume, device or directory to mount." },
	MP_COMMON_PROPS,
	{ .name = NULL },
};

static const struct pctconf_prop mp_props[] = {
	{ .name = "volume", .type = PCTCONF_STR, .flags = PCTCONF_DEFAULT_KEY,
	  .format = "pve-lxc-mp-string", .typetext = "volume",
	  .help = "Volume, device or directory to mount." },
	{ .name = "mp", .type = PCTCONF_STR, .format = "pve-lxc-mp-string", .typetext = "Path",
	  .help = "Path of the mount point inside the container (no symlinks)." },
	MP_COMMON_PROPS,
	{ .name = "backup", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,
	  .help = "Include the mount point in backups and snapshots (volume mount points)." },
	{ .name = "keepattrs", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Keep the attributes of the mount point's root directory." },
	{ .name = NULL },
};

static const struct pctconf_prop net_props[] = {
	{ .name = "name", .type = PCTCONF_STR, .pattern = pat_ifname,
	  .pattern_text = "[-_.\\w\\d]+", .typetext = "string",
	  .help = "Interface name inside the container." },
	{ .name = "bridge", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL, .pattern = pat_ifname,
	  .pattern_text = "[-_.\\w\\d]+", .typetext = "bridge", .help = "Bridge to attach to." },
	{ .name = "firewall", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,
	  .help = "Use the firewall rules of this interface." },
	{ .name = "gw", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL, .format = "ipv4",
	  .typetext = "GatewayIPv4", .help = "IPv4 default gateway." },
	{ .name = "gw6", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL, .format = "ipv6",
	  .typetext = "GatewayIPv6", .help = "IPv6 default gateway." },
	{ .name = "host-managed", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,
	  .help = "The host configures the IP addresses of this interface." },
	{ .name = "hwaddr", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL, .format = "mac-addr",
	  .typetext = "XX:XX:XX:XX:XX:XX", .help = "MAC address (generated when missing)." },
	{ .name = "ip", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,
	  .format = "pve-ipv4-config", .typetext = "(IPv4/CIDR|dhcp|manual)",
	  .help = "IPv4 address in CIDR form, dhcp or manual." },
	{ .name = "ip6", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,
	  .format = "pve-ipv6-config", .typetext = "(IPv6/CIDR|auto|dhcp|manual)",
	  .help = "IPv6 address in CIDR form, auto, dhcp or manual." },
	{ .name = "link_down", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL,
	  .help = "Disconnect the interface." },
	{ .name = "mtu", .type = PCTCONF_INT, .flags = PCTCONF_OPTIONAL | PCTCONF_HAS_MIN | PCTCONF_HAS_MAX,
	  .min = 64, .max = 65535, .help = "Maximum transfer unit." },
	{ .name = "rate", .type = PCTCONF_NUM, .flags = PCTCONF_OPTIONAL, .typetext = "mbps",
	  .help = "Rate limit in MB/s." },
	{ .name = "tag", .type = PCTCONF_INT, .flags = PCTCONF_OPTIONAL | PCTCONF_HAS_MIN | PCTCONF_HAS_MAX,
	  .min = 1, .max = 4094, .help = "VLAN tag." },
	{ .name = "trunks", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL, .pattern = pat_trunks,
	  .pattern_text = "(?^:\\d+(?:;\\d+)*)", .typetext = "vlanid[;vlanid...]",
	  .help = "VLAN ids passed through the interface." },
	{ .name = "type", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL, .choices = nettype_choices,
	  .help = "Interface type." },
	{ .name = NULL },
};

static const struct pctconf_prop dev_props[] = {
	{ .name = "path", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL | PCTCONF_DEFAULT_KEY,
	  .format = "pve-lxc-dev-string", .typetext = "Path",
	  .help = "Device to pass through." },
	{ .name = "deny-write", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Deny writes to the device." },
	{ .name = "gid", .type = PCTCONF_INT, .flags = PCTCONF_OPTIONAL | PCTCONF_HAS_MIN, .min = 0,
	  .help = "Group id of the device node." },
	{ .name = "mode", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL, .pattern = pat_devmode,
	  .pattern_text = "0[0-7]{3}", .typetext = "Octal access mode",
	  .help = "Access mode of the device node." },
	{ .name = "uid", .type = PCTCONF_INT, .flags = PCTCONF_OPTIONAL | PCTCONF_HAS_MIN, .min = 0,
	  .help = "User id of the device node." },
	{ .name = NULL },
};

static const struct pctconf_prop features_props[] = {
	{ .name = "force_rw_sys", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Mount /sys read-write in unprivileged containers." },
	{ .name = "fuse", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Allow fuse file systems." },
	{ .name = "keyctl", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Allow the keyctl() system call (unprivileged containers)." },
	{ .name = "mknod", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Allow mknod() of some device nodes (experimental)." },
	{ .name = "mount", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL, .pattern = pat_fstypes,
	  .pattern_text = "(?^:[a-zA-Z0-9_; ]+)", .typetext = "fstype;fstype;...",
	  .help = "File system types the container may mount." },
	{ .name = "nesting", .type = PCTCONF_BOOL, .flags = PCTCONF_OPTIONAL, .def = "0",
	  .help = "Allow nesting (containers in the container)." },
	{ .name = NULL },
};

static const struct pctconf_prop unused_props[] = {
	{ .name = "volume", .type = PCTCONF_STR, .flags = PCTCONF_DEFAULT_KEY,
	  .format = "pve-volume-id", .typetext = "volume", .help = "The unused volume." },
	{ .name = NULL },
};

/* ---- the table, sorted by name ---- */

#define MINMAX (PCTCONF_HAS_MIN | PCTCONF_HAS_MAX)

const struct pctconf_key pctconf_keys[] = {
	{ .name = "arch", .type = PCTCONF_STR, .choices = arch_choices, .def = "amd64",
	  .help = "Architecture of the container's OS.",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "nodeSelector kubernetes.io/arch" },
	{ .name = "cmode", .type = PCTCONF_STR, .choices = cmode_choices, .def = "tty",
	  .help = "Console mode: tty, console, or shell (a shell, no login).",
	  .kube = PCTCONF_KUBE_CAVEAT,
	  .kube_note = "pct console goes through kubectl exec; 'shell' starts a shell, 'tty' and 'console' a login shell" },
	{ .name = "console", .type = PCTCONF_BOOL, .def = "1",
	  .help = "Attach a console device (/dev/console).",
	  .kube = PCTCONF_KUBE_NA, .kube_note = "pods have no /dev/console; pct console uses kubectl exec" },
	{ .name = "cores", .type = PCTCONF_INT, .flags = MINMAX, .min = 1, .max = 8192,
	  .help = "Number of CPU cores the container may use.",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "resources.limits.cpu (unless cpulimit is set)" },
	{ .name = "cpulimit", .type = PCTCONF_NUM, .flags = MINMAX, .min = 0, .max = 8192,
	  .def = "0", .help = "CPU time limit in cores (0 = unlimited).",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "resources.limits.cpu" },
	{ .name = "cpuunits", .type = PCTCONF_INT, .flags = MINMAX, .min = 0, .max = 500000,
	  .def = "cgroup v1: 1024, cgroup v2: 100",
	  .help = "Relative CPU weight (cgroup v2 clamps to 1..10000).",
	  .kube = PCTCONF_KUBE_CAVEAT,
	  .kube_note = "resources.requests.cpu = cpuunits/100 cores (100 = one core), capped by the limit" },
	{ .name = "debug", .type = PCTCONF_BOOL, .def = "0",
	  .help = "Start with debug logging.",
	  .kube = PCTCONF_KUBE_NA, .kube_note = "no LXC debug log in a pod" },
	{ .name = "description", .type = PCTCONF_STR, .max_length = 8192,
	  .help = "Free-form description, stored as # comment lines.",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "annotation corral.dev/description" },
	{ .name = "dev", .type = PCTCONF_PROPSTR, .flags = PCTCONF_INDEXED, .max_index = 255,
	  .props = dev_props, .help = "Device passed through to the container.",
	  .kube = PCTCONF_KUBE_CAVEAT,
	  .kube_note = "hostPath volume mounted at the device's path; privileged CTs only (allow-privileged in corral.conf)" },
	{ .name = "entrypoint", .type = PCTCONF_STR, .pattern = pat_entrypoint,
	  .pattern_text = "(?^:[^\\x00-\\x08\\x0a-\\x1F\\x7F]+)", .def = "/sbin/init",
	  .help = "Command run as init, with arguments.",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "container command" },
	{ .name = "env", .type = PCTCONF_STR, .pattern = pat_env,
	  .pattern_text = "(?^:(?:\\w+=[^\\x00-\\x08\\x0a-\\x1F\\x7F]*)(?:\\0\\w+=[^\\x00-\\x08\\x0a-\\x1F\\x7F]*)*)",
	  .help = "Runtime environment, NUL-separated NAME=value list (lxc.environment.runtime lines).",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "container env" },
	{ .name = "features", .type = PCTCONF_PROPSTR, .props = features_props,
	  .help = "Advanced container features.",
	  .kube = PCTCONF_KUBE_CAVEAT,
	  .kube_note = "not mapped: these are LXC switches; a privileged CT may do what nesting, fuse, mknod and mount allow, an unprivileged pod may not" },
	{ .name = "hookscript", .type = PCTCONF_STR, .format = "pve-volume-id",
	  .help = "Script run at the steps of the container's life.",
	  .kube = PCTCONF_KUBE_NA, .kube_note = "no host-side hooks in Kubernetes" },
	{ .name = "hostname", .type = PCTCONF_STR, .format = "dns-name", .max_length = 255,
	  .help = "Host name of the container.",
	  .kube = PCTCONF_KUBE_CAVEAT,
	  .kube_note = "not the pod's hostname: the StatefulSet controller names the pod's host ct-<ID>-0 (DNS ct-<ID>-0.ct-<ID>.<namespace>.svc); a privileged CT gets /etc/hostname and the PVE section of /etc/hosts from corral-prestart and its kernel hostname (uname -n) from /etc/hostname; an unprivileged CT keeps ct-<ID>-0 everywhere" },
	{ .name = "lock", .type = PCTCONF_STR, .choices = lock_choices,
	  .help = "Lock held by an operation in progress.",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "the agent leaves a locked CT's objects alone; pct start/stop --skiplock still scale its StatefulSet" },
	{ .name = "memory", .type = PCTCONF_INT, .flags = PCTCONF_HAS_MIN, .min = 16, .def = "512",
	  .help = "Memory in MiB.",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "resources.limits.memory and requests.memory <N>Mi" },
	{ .name = "mp", .type = PCTCONF_PROPSTR, .flags = PCTCONF_INDEXED, .max_index = 255,
	  .props = mp_props,
	  .help = "Mount point; STORAGE:SIZE_IN_GiB allocates a new volume.",
	  .kube = PCTCONF_KUBE_CAVEAT,
	  .kube_note = "storage volumes are PVCs; bind mounts are hostPath below allowed roots; device mounts need privileged CTs" },
	{ .name = "nameserver", .type = PCTCONF_STR, .format = "lxc-ip-with-ll-iface-list",
	  .help = "DNS servers.",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "dnsPolicy None + dnsConfig.nameservers" },
	{ .name = "net", .type = PCTCONF_PROPSTR, .flags = PCTCONF_INDEXED, .max_index = 31,
	  .props = net_props, .help = "Network interface.",
	  .kube = PCTCONF_KUBE_CAVEAT,
	  .kube_note = "net0 is the pod network; rate= sets bandwidth annotations; ip, gw, hwaddr, bridge, tag, trunks, mtu and further interfaces need Multus and do not apply" },
	{ .name = "onboot", .type = PCTCONF_BOOL, .def = "0",
	  .help = "Start the container when the agent starts.",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "started by corral-syncd at start-up, in startup order" },
	{ .name = "ostemplate", .type = PCTCONF_STR,
	  .help = "Corral extension: the OCI image the container runs (see pct create).",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "container image" },
	{ .name = "ostype", .type = PCTCONF_STR, .choices = ostype_choices,
	  .help = "OS type, used by the guest setup.",
	  .kube = PCTCONF_KUBE_CAVEAT, .kube_note = "checked and used by corral-prestart in the persistent rootfs" },
	{ .name = "parent", .type = PCTCONF_STR, .flags = PCTCONF_INTERNAL, .format = "pve-configid",
	  .max_length = 40, .help = "Parent snapshot (internal).",
	  .kube = PCTCONF_KUBE_NA, .kube_note = "snapshot tree bookkeeping in the file" },
	{ .name = "protection", .type = PCTCONF_BOOL, .def = "0",
	  .help = "Protect the container and its volumes from removal.",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "destroy and PVC deletion refused" },
	{ .name = "rootfs", .type = PCTCONF_PROPSTR, .props = rootfs_props,
	  .help = "Root file system volume.",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "PVC; size= is the storage request" },
	{ .name = "searchdomain", .type = PCTCONF_STR, .format = "dns-name-list",
	  .help = "DNS search domains.",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "dnsConfig.searches (with dnsPolicy None when nameserver is set too)" },
	{ .name = "snaptime", .type = PCTCONF_INT, .flags = PCTCONF_INTERNAL | PCTCONF_HAS_MIN,
	  .min = 0, .help = "Snapshot time stamp (internal).",
	  .kube = PCTCONF_KUBE_NA, .kube_note = "snapshot bookkeeping in the file" },
	{ .name = "startup", .type = PCTCONF_STR, .format = "pve-startup-order",
	  .typetext = "[[order=]\\d+] [,up=\\d+] [,down=\\d+] ",
	  .help = "Start order and delays: order=N,up=SECONDS,down=SECONDS.",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "order and up drive onboot start order; down is terminationGracePeriodSeconds" },
	{ .name = "swap", .type = PCTCONF_INT, .flags = PCTCONF_HAS_MIN, .min = 0, .def = "512",
	  .help = "Swap in MiB.",
	  .kube = PCTCONF_KUBE_NA, .kube_note = "pods have no per-pod swap limit on most clusters" },
	{ .name = "tags", .type = PCTCONF_STR, .format = "pve-tag-list",
	  .help = "Tags (meta information).",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "labels tags.corral.dev/<tag>" },
	{ .name = "template", .type = PCTCONF_BOOL, .def = "0",
	  .help = "The container is a template.",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "never started; source of clones" },
	{ .name = "timezone", .type = PCTCONF_STR, .format = "pve-ct-timezone",
	  .help = "Time zone: 'host' or a zone from zone.tab.",
	  .kube = PCTCONF_KUBE_CAVEAT, .kube_note = "TZ environment variable; /etc/localtime in a persistent rootfs" },
	{ .name = "tty", .type = PCTCONF_INT, .flags = MINMAX, .min = 0, .max = 6, .def = "2",
	  .help = "Number of ttys.",
	  .kube = PCTCONF_KUBE_NA, .kube_note = "pods have no ttys; pct console uses kubectl exec" },
	{ .name = "unprivileged", .type = PCTCONF_BOOL, .def = "0",
	  .help = "Run with user namespaces (read-only after create).",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "hostUsers: false where supported and a restricted securityContext; 0 = privileged pod, only when corral.conf allows it" },
	{ .name = "unused", .type = PCTCONF_PROPSTR, .flags = PCTCONF_INDEXED, .max_index = 255,
	  .props = unused_props, .help = "Volume no longer mounted (internal).",
	  .kube = PCTCONF_KUBE_MAPS, .kube_note = "the PVC is kept until pct set --delete unusedN or pct destroy" },
	{ .name = NULL },
};

const size_t pctconf_nkeys = ARRAY_SIZE(pctconf_keys) - 1;

const struct pctconf_key *
pctconf_key_lookup(const char *name, unsigned *index)
{
	size_t lo = 0, hi = pctconf_nkeys;
	size_t nlen = strlen(name), base = nlen;
	unsigned long long idx = 0;

	/* split a trailing index: "net12" -> "net", 12 */
	while (base > 0 && pct_isdigit((unsigned char)name[base - 1]))
		base--;
	if (base < nlen) {
		/* Proxmox keys never have leading zeros in the index */
		if ((nlen - base > 1 && name[base] == '0') || nlen - base > 3)
			return NULL;
		if (!pct_parse_uint(name + base, 0, 999, &idx))
			return NULL;
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct pctconf_key *k = &pctconf_keys[mid];
		int c = strncmp(k->name, name, base);

		if (c == 0 && k->name[base] != '\0')
			c = 1;
		if (c == 0) {
			bool indexed = k->flags & PCTCONF_INDEXED;

			if (indexed != (base < nlen))
				return NULL;
			if (indexed && idx > k->max_index)
				return NULL;
			if (index)
				*index = (unsigned)idx;
			return k;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct pctconf_prop *
pctconf_prop_lookup(const struct pctconf_prop *props, const char *name)
{
	for (; props && props->name; props++)
		if (props->name[0] == name[0] && !strcmp(props->name, name))
			return props;
	return NULL;
}

const struct pctconf_prop *
pctconf_prop_default(const struct pctconf_prop *props)
{
	for (; props && props->name; props++)
		if (props->flags & PCTCONF_DEFAULT_KEY)
			return props;
	return NULL;
}

const char *
pctconf_type_name(enum pctconf_type type)
{
	switch (type) {
	case PCTCONF_BOOL:
		return "boolean";
	case PCTCONF_INT:
		return "integer";
	case PCTCONF_NUM:
		return "number";
	case PCTCONF_STR:
	case PCTCONF_PROPSTR:
		return "string";
	}
	return "string";
}

/*
 * Guest files (§10.1, §10.3, §10.4): every branch of the marker algorithm
 * (ct_modify_file), remove_pve_sections, the .pve-ignore.<name> opt-out and
 * OS detection, on container root trees built in a temporary directory.
 * Absolute symlinks inside such a tree must resolve inside it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pctconf.h"
#include "tap.h"

#define HEAD "# --- BEGIN PVE ---\n"
#define TAIL "# --- END PVE ---\n"

static void
marker(const char *name, const char *old, bool exists, const char *data,
       enum pctconf_marker_mode mode, bool del, enum pctconf_marker_action want_act,
       const char *want, bool want_perms)
{
	char *out = NULL;
	size_t outlen = 0;
	bool perms = !want_perms;
	enum pctconf_marker_action act = pctconf_marker_modify(old, old ? strlen(old) : 0, exists,
								data, mode, del, &out, &outlen,
								&perms);

	is_int(act, want_act, "%s: action", name);
	if (want_act == PCTCONF_MARKER_WRITE) {
		is_str(out, want, "%s: content", name);
		is_int(perms, want_perms, "%s: permissions %s", name,
		       want_perms ? "applied" : "not applied");
	} else {
		ok(out == NULL, "%s: nothing to write", name);
	}
	free(out);
}

static void
markers(void)
{
	const enum pctconf_marker_action W = PCTCONF_MARKER_WRITE, N = PCTCONF_MARKER_NONE,
					 U = PCTCONF_MARKER_UNLINK;
	const enum pctconf_marker_mode A = PCTCONF_MARKER_APPEND, P = PCTCONF_MARKER_PREPEND,
				       R = PCTCONF_MARKER_REPLACE;

	/* a missing file */
	marker("missing file", NULL, false, "127.0.0.1 localhost\n", A, false, W,
	       HEAD "127.0.0.1 localhost\n" TAIL, true);
	marker("missing file, data without a newline", NULL, false, "x", R, false, W,
	       HEAD "x\n" TAIL, true);
	marker("missing file, empty data", NULL, false, "", A, true, N, NULL, false);
	/* no section yet */
	marker("append", "a\nb\n", true, "x", A, false, W, "a\nb\n" HEAD "x\n" TAIL, true);
	marker("prepend", "a\nb\n", true, "x\n", P, false, W, HEAD "x\n" TAIL "a\nb\n", true);
	marker("replace", "a\nb\n", true, "x\n", R, false, W, HEAD "x\n" TAIL, true);
	marker("append: trailing empty lines vanish", "a\n\n\n", true, "x", A, false, W,
	       "a\n" HEAD "x\n" TAIL, true);
	marker("append: a file without a final newline", "a\nb", true, "x", A, false, W,
	       "a\nb\n" HEAD "x\n" TAIL, true);
	marker("append to an empty file: it becomes a newline first", "", true, "x", A, false, W,
	       "\n" HEAD "x\n" TAIL, true);
	marker("prepend to an empty file", "", true, "x", P, false, W, HEAD "x\n" TAIL "\n", true);
	marker("no section and empty data: nothing", "a\n", true, "", A, true, N, NULL, false);
	/* a section is there: only it is replaced, permissions are not touched */
	marker("replace the section in the middle",
	       "a\n" HEAD "old\n" TAIL "b\n", true, "new", A, false, W,
	       "a\n" HEAD "new\n" TAIL "b\n", false);
	marker("replace the section, prepend mode makes no difference",
	       "a\n" HEAD "old\n" TAIL "b\n", true, "new\n", P, false, W,
	       "a\n" HEAD "new\n" TAIL "b\n", false);
	marker("multi-line data", "a\n" HEAD TAIL, true, "1\n2\n", R, false, W,
	       "a\n" HEAD "1\n2\n" TAIL, false);
	marker("a final newline is added after the END line", "a\n" HEAD "old\n# --- END PVE ---",
	       true, "new", A, false, W, "a\n" HEAD "new\n" TAIL, false);
	marker("empty data: an empty marker pair stays", "a\n" HEAD "old\n" TAIL "b\n", true, "", A,
	       true, W, "a\n" HEAD TAIL "b\n", false);
	marker("empty data, section at the end", "a\n" HEAD "old\n" TAIL, true, "", A, false, W,
	       "a\n" HEAD TAIL, false);
	/* the section is the whole file */
	marker("empty data, the section is the whole file, delete", HEAD "old\n" TAIL, true, "", A,
	       true, U, NULL, false);
	marker("empty data, the section is the whole file, no delete: untouched",
	       HEAD "old\n" TAIL, true, "", A, false, N, NULL, false);
	marker("the whole file, trailing empty lines do not count", HEAD "old\n" TAIL "\n\n", true,
	       "", A, true, U, NULL, false);
	marker("the whole file but with data: replaced", HEAD "old\n" TAIL, true, "new", A, true, W,
	       HEAD "new\n" TAIL, false);
	/* BEGIN without END: no section, a new one is added, the stray BEGIN stays */
	marker("BEGIN without END, append", "a\n" HEAD "stray\n", true, "x", A, false, W,
	       "a\n" HEAD "stray\n" HEAD "x\n" TAIL, true);
	marker("BEGIN without END, prepend", "a\n" HEAD "stray\n", true, "x", P, false, W,
	       HEAD "x\n" TAIL "a\n" HEAD "stray\n", true);
	marker("BEGIN without END, empty data: nothing", "a\n" HEAD "stray\n", true, "", A, true, N,
	       NULL, false);
	marker("END before BEGIN is not an END", TAIL "a\n" HEAD "stray\n", true, "x", A, false, W,
	       TAIL "a\n" HEAD "stray\n" HEAD "x\n" TAIL, true);
	/* several marker pairs: only the first is managed */
	marker("several pairs: the first is replaced, the rest kept",
	       HEAD "1\n" TAIL "mid\n" HEAD "2\n" TAIL, true, "x", A, false, W,
	       HEAD "x\n" TAIL "mid\n" HEAD "2\n" TAIL, false);
	marker("an END before the first BEGIN is skipped", TAIL HEAD "1\n" TAIL "z\n", true, "x", A,
	       false, W, TAIL HEAD "x\n" TAIL "z\n", false);
	/* the marker regexes */
	marker("BEGIN and END without blanks", "#---BEGINPVE\nold\n#---ENDPVE\n", true, "x", A,
	       false, W, HEAD "x\n" TAIL, false);
	marker("extra text after the markers", "# --- BEGIN PVE --- do not edit\nold\n"
	       "# --- END PVE --- thanks\n", true, "x", A, false, W, HEAD "x\n" TAIL, false);
	marker("END is case-insensitive", HEAD "old\n# --- end pve ---\nz\n", true, "x", A, false, W,
	       HEAD "x\n" TAIL "z\n", false);
	marker("BEGIN is case-sensitive", "# --- begin pve ---\nold\n" TAIL, true, "x", A, false, W,
	       "# --- begin pve ---\nold\n" TAIL HEAD "x\n" TAIL, true);
	marker("a BEGIN with a leading blank is no marker", " " HEAD "old\n" TAIL, true, "x", A,
	       false, W, " " HEAD "old\n" TAIL HEAD "x\n" TAIL, true);
	marker("tabs count as \\s", "#\t---\tBEGIN\tPVE\nold\n#\t---\tEND\tPVE\n", true, "x", A,
	       false, W, HEAD "x\n" TAIL, false);
}

static void
remove_sections(const char *name, const char *in, const char *want)
{
	size_t n;
	char *out = pctconf_remove_pve_sections(in, strlen(in), &n);

	is_str(out, want, "remove_pve_sections: %s", name);
	is_int(n, strlen(want), "remove_pve_sections: %s: length", name);
	free(out);
}

static void
removing(void)
{
	remove_sections("one section", "a\n" HEAD "x\n" TAIL "b\n", "a\n\nb\n");
	remove_sections("from the first BEGIN to the last END",
			"127.0.0.1 localhost\n" HEAD "127.0.1.1 ct\n" TAIL "keep?\n" HEAD "y\n"
			"# --- END PVE --- trailing\nbar\n",
			"127.0.0.1 localhost\n\nbar\n");
	remove_sections("leading blanks allowed", "a\n  \t" HEAD "x\n\t" TAIL "b\n", "a\n\nb\n");
	remove_sections("BEGIN without END: unchanged", "a\n" HEAD "x\n", "a\n" HEAD "x\n");
	remove_sections("END without BEGIN: unchanged", "a\n" TAIL "x\n", "a\n" TAIL "x\n");
	remove_sections("only the exact marker text", "#---BEGIN PVE---\nx\n" TAIL,
			"#---BEGIN PVE---\nx\n" TAIL);
	remove_sections("at the end of the file, no newline", "a\n" HEAD "x\n# --- END PVE ---",
			"a\n");
	remove_sections("nothing to remove", "a\nb\n", "a\nb\n");
}

/* ---- container root trees ---- */

static char root_path[4096];

static void
put(const char *rel, const char *content)
{
	char path[4200], dir[4200], *slash;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root_path, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = strchr(dir + strlen(root_path) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		(void)mkdir(dir, 0755);
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (content)
			(void)pct_write_all(fd, content, strlen(content));
		close(fd);
	}
}

static void
put_dir(const char *rel)
{
	char path[4200];

	put(rel, NULL);
	snprintf(path, sizeof(path), "%s/%s", root_path, rel);
	(void)unlink(path);
	(void)mkdir(path, 0755);
}

static void
put_link(const char *rel, const char *target)
{
	char path[4200];

	put(rel, NULL);
	snprintf(path, sizeof(path), "%s/%s", root_path, rel);
	(void)unlink(path);
	(void)symlink(target, path);
}

static int
new_root(void)
{
	char cmd[4300];

	if (root_path[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root_path);
		(void)system(cmd);
	}
	snprintf(root_path, sizeof(root_path), "%s/corral-guest-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root_path))
		return -1;
	return open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void
ignored(void)
{
	int root = new_root();

	put("etc/hosts", "127.0.0.1 localhost\n");
	put("etc/hostname", "ct\n");
	put("etc/.pve-ignore.hosts", "");
	put_dir("etc/.pve-ignore.hostname");
	put("etc/network/interfaces", "");
	put("etc/real-ignore", "");
	put_link("etc/network/.pve-ignore.interfaces", "/etc/real-ignore");
	put_link("etc/.pve-ignore.resolv.conf", "/etc/does-not-exist");
	put("rootfile", "");
	put(".pve-ignore.rootfile", "");
	/* exists on the host only: must not count */
	put_link("etc/.pve-ignore.timezone", "/etc/passwd");

	ok(pctconf_ct_file_ignored(root, "/etc/hosts"), "a regular .pve-ignore.hosts freezes /etc/hosts");
	ok(!pctconf_ct_file_ignored(root, "/etc/hostname"), "a directory .pve-ignore.hostname does not");
	ok(pctconf_ct_file_ignored(root, "/etc/network/interfaces"),
	   "a symlink to a regular file (absolute, inside the root) counts (-f follows links)");
	ok(!pctconf_ct_file_ignored(root, "/etc/resolv.conf"), "a dangling symlink does not");
	ok(pctconf_ct_file_ignored(root, "/rootfile"), "a file in the root directory");
	ok(pctconf_ct_file_ignored(root, "/etc/hosts") && !pctconf_ct_file_ignored(root, "/etc/motd"),
	   "only the named file is frozen");
	ok(!pctconf_ct_file_ignored(root, "/etc/timezone"),
	   "/etc/passwd of the host does not count: the link resolves inside the root");
	close(root);
}

struct os_case {
	const char *name;
	const char *files[6][2]; /* path, content ("/" = a directory) */
	const char *conf_ostype;
	const char *want;	 /* NULL: detection fails */
	const char *want_warn;	 /* substring of the warnings, or NULL for none */
};

static void
run_os_case(const struct os_case *c)
{
	int root = new_root();
	struct strbuf warn = STRBUF_INIT;
	struct pct_error *err = NULL;
	char *type = NULL;
	size_t i;
	int ret;

	for (i = 0; i < 6 && c->files[i][0]; i++) {
		if (!strcmp(c->files[i][1], "/"))
			put_dir(c->files[i][0]);
		else if (c->files[i][1][0] == '@')
			put_link(c->files[i][0], c->files[i][1] + 1);
		else
			put(c->files[i][0], c->files[i][1]);
	}
	ret = pctconf_detect_ostype(root, c->conf_ostype, &type, &warn, &err);
	if (c->want) {
		ok(ret == 0, "%s: detected", c->name);
		is_str(type, c->want, "%s: type", c->name);
	} else {
		ok(ret < 0, "%s: detection fails", c->name);
		is_str(err ? err->msg : NULL, "unable to detect OS distribution", "%s: message",
		       c->name);
	}
	if (c->want_warn)
		ok(strstr(strbuf_str(&warn), c->want_warn) != NULL, "%s: warns '%s'", c->name,
		   c->want_warn);
	else if (!ok(warn.len == 0, "%s: no warning", c->name))
		tap_diag_str("warnings", strbuf_str(&warn));
	free(type);
	pct_error_free(&err);
	strbuf_release(&warn);
	close(root);
}

static void
detection(void)
{
	static const struct os_case cases[] = {
		{ "debian", { { "etc/os-release", "PRETTY_NAME=\"Debian\"\nID=debian\n" } }, NULL, "debian", NULL },
		{ "ubuntu quoted", { { "etc/os-release", "ID=\"ubuntu\"\nID_LIKE=debian\n" } }, "ubuntu", "ubuntu", NULL },
		{ "alpine single-quoted", { { "etc/os-release", "ID='alpine'\n" } }, NULL, "alpine", NULL },
		{ "devuan", { { "etc/os-release", "ID=devuan\n" } }, NULL, "devuan", NULL },
		{ "fedora", { { "etc/os-release", "ID=fedora\n" } }, NULL, "fedora", NULL },
		{ "centos", { { "etc/os-release", "ID=\"centos\"\n" } }, NULL, "centos", NULL },
		{ "archlinux", { { "etc/os-release", "ID=archlinux\n" } }, NULL, "archlinux", NULL },
		{ "gentoo", { { "etc/os-release", "ID=gentoo\n" } }, NULL, "gentoo", NULL },
		{ "nixos", { { "etc/os-release", "ID=nixos\n" } }, NULL, "nixos", NULL },
		{ "openeuler", { { "etc/os-release", "ID=openeuler\n" } }, NULL, "openeuler", NULL },
		{ "opensuse", { { "etc/os-release", "ID=opensuse\n" } }, NULL, "opensuse", NULL },
		{ "unmanaged as ID", { { "etc/os-release", "ID=unmanaged\n" } }, NULL, "unmanaged", NULL },
		/* aliases */
		{ "opensuse-leap", { { "etc/os-release", "ID=\"opensuse-leap\"\n" } }, NULL, "opensuse", NULL },
		{ "opensuse-tumbleweed", { { "etc/os-release", "ID=\"opensuse-tumbleweed\"\n" } }, NULL, "opensuse", NULL },
		{ "opensuse-slowroll", { { "etc/os-release", "ID=\"opensuse-slowroll\"\n" } }, NULL, "opensuse", NULL },
		{ "sles", { { "etc/os-release", "ID=\"sles\"\n" } }, NULL, "opensuse", NULL },
		{ "openEuler", { { "etc/os-release", "ID=\"openEuler\"\n" } }, NULL, "openeuler", NULL },
		{ "arch", { { "etc/os-release", "ID=arch\n" } }, NULL, "archlinux", NULL },
		{ "rocky", { { "etc/os-release", "ID=\"rocky\"\n" } }, "centos", "centos", NULL },
		{ "almalinux", { { "etc/os-release", "ID=\"almalinux\"\n" } }, NULL, "centos", NULL },
		/* an unquoted value is cut at the first character outside [A-Za-z0-9] */
		{ "unquoted opensuse-leap is 'opensuse'", { { "etc/os-release", "ID=opensuse-leap\n" } }, NULL, "opensuse", NULL },
		{ "the last ID line wins", { { "etc/os-release", "ID=debian\n  ID=alpine\n" } }, NULL, "alpine", NULL },
		/* /usr/lib/os-release when /etc/os-release is missing */
		{ "/usr/lib/os-release", { { "usr/lib/os-release", "ID=fedora\n" } }, NULL, "fedora", NULL },
		/* absolute and escaping symlinks resolve inside the root */
		{ "absolute os-release symlink", { { "usr/lib/os-release", "ID=alpine\n" }, { "etc/os-release", "@/usr/lib/os-release" } }, NULL, "alpine", NULL },
		{ "relative os-release symlink", { { "usr/lib/os-release", "ID=gentoo\n" }, { "etc/os-release", "@../usr/lib/os-release" } }, NULL, "gentoo", NULL },
		{ "a symlink cannot escape the root", { { "usr/lib/os-release", "ID=nixos\n" }, { "etc/os-release", "@/../../../../../../usr/lib/os-release" } }, NULL, "nixos", NULL },
		/* unknown ID: fallback files */
		{ "unknown ID, debian_version", { { "etc/os-release", "ID=kali\n" }, { "etc/debian_version", "kali-rolling\n" } }, NULL, "debian", "unknown ID 'kali' in /etc/os-release file, trying fallback detection" },
		{ "lsb-release Ubuntu", { { "etc/lsb-release", "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n" }, { "etc/debian_version", "bookworm/sid\n" } }, NULL, "ubuntu", NULL },
		{ "lsb-release is case-insensitive", { { "etc/lsb-release", "distrib_id=UBUNTU\n" } }, NULL, "ubuntu", NULL },
		{ "lsb-release of another distribution", { { "etc/lsb-release", "DISTRIB_ID=LinuxMint\n" }, { "etc/debian_version", "12\n" } }, NULL, "debian", NULL },
		{ "debian_version before devuan_version", { { "etc/devuan_version", "daedalus\n" }, { "etc/debian_version", "12\n" } }, NULL, "debian", NULL },
		{ "devuan_version", { { "etc/devuan_version", "daedalus\n" } }, NULL, "devuan", NULL },
		{ "SuSE-brand", { { "etc/SuSE-brand", "openSUSE\n" } }, NULL, "opensuse", NULL },
		{ "SuSE-release", { { "etc/SuSE-release", "x\n" } }, NULL, "opensuse", NULL },
		{ "fedora-release", { { "etc/fedora-release", "Fedora release 40\n" }, { "etc/redhat-release", "x\n" } }, NULL, "fedora", NULL },
		{ "centos-release", { { "etc/centos-release", "x\n" } }, NULL, "centos", NULL },
		{ "redhat-release", { { "etc/redhat-release", "Rocky Linux release 9.4\n" } }, NULL, "centos", NULL },
		{ "arch-release", { { "etc/arch-release", "" } }, NULL, "archlinux", NULL },
		{ "alpine-release", { { "etc/alpine-release", "3.20.0\n" } }, NULL, "alpine", NULL },
		{ "gentoo-release", { { "etc/gentoo-release", "Gentoo Base System release 2.14\n" } }, NULL, "gentoo", NULL },
		{ "/nix/store directory", { { "nix/store", "/" } }, NULL, "nixos", NULL },
		{ "/nix/store must be a directory", { { "nix/store", "not a dir" } }, NULL, "unmanaged", "unmanaged" },
		{ "openEuler-release", { { "etc/openEuler-release", "x\n" } }, NULL, "openeuler", NULL },
		{ "unknown ID and nothing else: error", { { "etc/os-release", "ID=plan9\n" } }, NULL, NULL, "unknown ID 'plan9'" },
		{ "nothing at all: unmanaged", { { "etc/motd", "hi\n" } }, NULL, "unmanaged", "unmanaged" },
		/* the config's ostype */
		{ "ostype unmanaged skips detection", { { "etc/os-release", "ID=debian\n" } }, "unmanaged", "unmanaged", NULL },
		{ "ostype mismatch", { { "etc/os-release", "ID=alpine\n" } }, "debian", "alpine", "got unexpected ostype (alpine != debian)" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		run_os_case(&cases[i]);
}

static void
os_release_values(void)
{
	static const struct {
		const char *text, *key, *want;
	} cases[] = {
		{ "ID=debian\n", "ID", "debian" },
		{ "ID=\"a\\\"b\\\\c\\$d\\`e\"\n", "ID", "a\"b\\c$d`e" },
		{ "ID='a\\b'\n", "ID", "a\\b" },
		{ "ID=debian # comment\n", "ID", "debian" },
		{ "ID=opensuse-leap\n", "ID", "opensuse" },
		{ "ID=\n", "ID", "" },
		{ "VERSION_ID=\"12\"\nID=debian\n", "VERSION_ID", "12" },
		{ "NAME=x\n", "ID", NULL },
		{ "XID=x\nIDX=y\n", "ID", NULL },
		{ "# ID=debian\n", "ID", NULL },
		{ "\t ID=alpine", "ID", "alpine" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *v = pctconf_os_release_get(cases[i].text, cases[i].key);

		is_str(v, cases[i].want, "os-release value %zu (%s)", i, cases[i].key);
		free(v);
	}
}

static void
reading(void)
{
	int root = new_root();
	char *text = NULL;
	size_t len = 0;
	int fd;

	put("etc/hostname", "ct1\n");
	put_link("etc/alias", "/etc/hostname");
	ok(pctconf_ct_read(root, "/etc/alias", 1024, &text, &len) == 0 && len == 4 &&
		   !memcmp(text, "ct1\n", 4),
	   "ct_read follows an absolute symlink inside the root");
	free(text);
	errno = 0;
	ok(pctconf_ct_read(root, "/etc/hostname", 2, &text, &len) < 0 && errno == EFBIG,
	   "ct_read refuses more than max bytes");
	fd = pctconf_ct_open(root, "/etc/new", O_WRONLY | O_CREAT | O_EXCL, 0600);
	ok(fd >= 0, "ct_open creates a file inside the root");
	if (fd >= 0)
		close(fd);
	put_link("etc/escape", "/../../../..");
	fd = pctconf_ct_open(root, "/etc/escape", O_PATH | O_DIRECTORY, 0);
	if (fd >= 0) {
		struct stat a, b;

		ok(fstat(fd, &a) == 0 && stat(root_path, &b) == 0 && a.st_ino == b.st_ino,
		   "'..' above the root stays at the root");
		close(fd);
	} else {
		ok(0, "ct_open of a symlink to /../..");
	}
	close(root);
}

/* pctconf_open_beneath: the kubelet's ConfigMap and Secret volumes */
static void
beneath(void)
{
	int dir = new_root(), fd;
	char *text = NULL;
	size_t len = 0;

	put("..2026_12_06_20_34_57.1/ct.conf", "hostname: a\n");
	put_link("..data", "..2026_12_06_20_34_57.1");
	put_link("ct.conf", "..data/ct.conf");
	put("outside/ct.conf", "hostname: b\n");
	fd = pctconf_open_beneath(dir, "ct.conf", O_RDONLY);
	ok(fd >= 0 && pct_read_fd(fd, 1024, &text, &len) == 0 && len == 12 &&
		   !memcmp(text, "hostname: a\n", 12),
	   "a key of the projection is read through ..data");
	free(text);
	if (fd >= 0)
		close(fd);
	put_link("up.conf", "../x/ct.conf");
	put_link("abs.conf", root_path);
	errno = 0;
	ok(pctconf_open_beneath(dir, "up.conf", O_RDONLY) < 0 && errno == EXDEV,
	   "a link up and out of the directory fails with EXDEV");
	errno = 0;
	ok(pctconf_open_beneath(dir, "abs.conf", O_RDONLY) < 0 && errno == EXDEV,
	   "an absolute link fails with EXDEV, even to the directory itself");
	errno = 0;
	ok(pctconf_open_beneath(dir, "/etc/passwd", O_RDONLY) < 0 && errno == EXDEV,
	   "an absolute path fails with EXDEV");
	fd = pctconf_open_beneath(dir, "outside/ct.conf", O_RDONLY);
	ok(fd >= 0, "a path below the directory opens");
	if (fd >= 0)
		close(fd);
	close(dir);
}

int
main(void)
{
	char cmd[4300];

	markers();
	removing();
	ignored();
	detection();
	os_release_values();
	reading();
	beneath();
	if (root_path[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root_path);
		(void)system(cmd);
	}
	return exit_status();
}

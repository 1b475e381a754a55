/*
 * pct push <vmid> <file> <destination> [--user U] [--group G] [--perms P]
 * pct pull <vmid> <path> <destination> [--user U] [--group G] [--perms P]
 *
 * Copy a file into or out of a running CT through `kubectl exec`, streaming
 * (any size, constant memory) and byte for byte. push writes a temporary
 * file next to the destination inside the CT and renames it, then applies
 * owner and mode (default root:root 0644); pull does the same on this side.
 * Perms are octal, or hexadecimal with a 0x prefix, as in Proxmox.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kubectl.h"

static int
parse_perms(const char *s, mode_t *out, struct pct_error **err)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? strtoul(s + 2, &end, 16)
							   : strtoul(s, &end, 8);
	if (errno || !*s || *end || v > 07777)
		return pct_error_set(err, PCT_E_PARAM, "invalid perms '%s'", s);
	*out = (mode_t)v;
	return 0;
}

/* push: the remote script gets DEST, UID, GID, MODE as $1..$4 */
static const char push_script[] =
	"set -e; t=\"$1.pct-push.$$\"; trap 'rm -f \"$t\"' EXIT; cat > \"$t\"; "
	"chown \"$2:$3\" \"$t\"; chmod \"$4\" \"$t\"; mv -f \"$t\" \"$1\"; trap - EXIT";

static int
cmd_push_exec(struct pct_args *args, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	const char *file = pct_args_get(args, "file");
	const char *dest = pct_args_get(args, "destination");
	const char *user = pct_args_get(args, "user"), *group = pct_args_get(args, "group");
	const char *perms = pct_args_get(args, "perms");
	_cleanup_close_ int fd = -1;
	struct pct_argv a = { 0 };
	mode_t mode = 0644;
	char modestr[16];
	int ret;

	ret = pct_load(args->vmid, &conf, err);
	if (ret < 0)
		return ret;
	ret = pct_require_running(args->vmid, "can only push files to a running CT", err);
	if (ret < 0)
		return ret;
	if (perms && parse_perms(perms, &mode, err) < 0)
		return -1;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pct_error_errno(err, errno, "unable to open file '%s'", file);
	ret = pct_kubectl_exec_argv(args->vmid, conf, true, false, &a, err);
	if (ret < 0)
		return ret;
	snprintf(modestr, sizeof(modestr), "%04o", (unsigned)mode);
	pct_argv_add(&a, "/bin/sh");
	pct_argv_add(&a, "-c");
	pct_argv_add(&a, push_script);
	pct_argv_add(&a, "sh");
	pct_argv_add(&a, dest);
	pct_argv_add(&a, user ? user : "0");
	pct_argv_add(&a, group ? group : "0");
	pct_argv_add(&a, modestr);
	ret = pct_run(&a, fd, -1, err);
	pct_argv_release(&a);
	if (ret < 0)
		return pct_error_prefix(err, "unable to push '%s' to CT %u", file, args->vmid);
	return 0;
}

static int
lookup_id(const char *name, bool group, unsigned *out, struct pct_error **err)
{
	unsigned long long v;

	if (pct_parse_uint(name, 0, 0xFFFFFFFEu, &v)) {
		*out = (unsigned)v;
		return 0;
	}
	if (group) {
		struct group *g = getgrnam(name);

		if (g) {
			*out = g->gr_gid;
			return 0;
		}
	} else {
		struct passwd *p = getpwnam(name);

		if (p) {
			*out = p->pw_uid;
			return 0;
		}
	}
	return pct_error_set(err, PCT_E_PARAM, "unknown %s '%s'", group ? "group" : "user", name);
}

static int
cmd_pull_exec(struct pct_args *args, struct pct_error **err)
{
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	const char *path = pct_args_get(args, "path");
	const char *dest = pct_args_get(args, "destination");
	const char *user = pct_args_get(args, "user"), *group = pct_args_get(args, "group");
	const char *perms = pct_args_get(args, "perms");
	_cleanup_free_ char *tmp = xasprintf("%s.pct-pull.%ld", dest, (long)getpid());
	_cleanup_close_ int fd = -1;
	struct pct_argv a = { 0 };
	unsigned uid = 0, gid = 0;
	mode_t mode = 0644;
	int ret;

	ret = pct_load(args->vmid, &conf, err);
	if (ret < 0)
		return ret;
	ret = pct_require_running(args->vmid, "can only pull files from a running VM", err);
	if (ret < 0)
		return ret;
	if (perms && parse_perms(perms, &mode, err) < 0)
		return -1;
	if ((user && lookup_id(user, false, &uid, err) < 0) ||
	    (group && lookup_id(group, true, &gid, err) < 0))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return pct_error_errno(err, errno, "unable to create '%s'", tmp);
	ret = pct_kubectl_exec_argv(args->vmid, conf, false, false, &a, err);
	if (ret < 0)
		goto fail;
	pct_argv_add(&a, "cat");
	pct_argv_add(&a, "--");
	pct_argv_add(&a, path);
	ret = pct_run(&a, -1, fd, err);
	pct_argv_release(&a);
	if (ret < 0) {
		pct_error_prefix(err, "unable to pull '%s' from CT %u", path, args->vmid);
		goto fail;
	}
	if (fsync(fd) < 0 || fchmod(fd, mode) < 0 ||
	    ((user || group) && fchown(fd, user ? uid : (unsigned)-1, group ? gid : (unsigned)-1) < 0) ||
	    rename(tmp, dest) < 0) {
		ret = pct_error_errno(err, errno, "unable to write '%s'", dest);
		goto fail;
	}
	return 0;
fail:
	(void)unlink(tmp);
	return -1;
}

static const char *const push_args[] = { "vmid", "file", "destination", NULL };
static const char *const pull_args[] = { "vmid", "path", "destination", NULL };
#define COPY_OPTS                                                                                  \
	{ .name = "destination", .type = PCTCONF_STR, .help = "Destination." },                    \
	{ .name = "group", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,                         \
	  .help = "Owner group name or id." },                                                     \
	{ .name = "perms", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,                         \
	  .help = "File permissions (octal by default, 0x prefix for hexadecimal)." },             \
	{ .name = "user", .type = PCTCONF_STR, .flags = PCTCONF_OPTIONAL,                          \
	  .help = "Owner user name or id." },                                                      \
	PCT_PROP_VMID
static const struct pctconf_prop push_opts[] = {
	{ .name = "file", .type = PCTCONF_STR, .help = "Path to a local file." },
	COPY_OPTS,
	{ .name = NULL },
};
static const struct pctconf_prop pull_opts[] = {
	{ .name = "path", .type = PCTCONF_STR, .help = "Path to a file inside the container." },
	COPY_OPTS,
	{ .name = NULL },
};

const struct pct_cmd pct_cmd_push = {
	.name = "push",
	.args = push_args,
	.opts = push_opts,
	.help = "Copy a local file to the container.",
	.exec = cmd_push_exec,
};

const struct pct_cmd pct_cmd_pull = {
	.name = "pull",
	.args = pull_args,
	.opts = pull_opts,
	.help = "Copy a file from the container to the local system.",
	.exec = cmd_pull_exec,
};

/*
 * Paths, loading, atomic writes (§1, STYLE.md §3.6).
 *
 * Every write is: <file>.tmp.<pid> created with O_EXCL, written, fsync'ed,
 * renamed over the target, then the directory fsync'ed. A file is never
 * truncated in place, so a reader (or a crash) sees the old or the new file.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "pctconf.h"

const char *
pctconf_confdir(void)
{
	return pct_getenv_default("CORRAL_CONFDIR", "/etc/corral/ct");
}

const char *
pctconf_lockdir(void)
{
	return pct_getenv_default("CORRAL_LOCKDIR", "/run/lock/corral");
}

const char *
pctconf_statedir(void)
{
	return pct_getenv_default("CORRAL_STATEDIR", "/var/lib/corral");
}

const char *
pctconf_rundir(void)
{
	return pct_getenv_default("CORRAL_RUNDIR", "/run/corral");
}

char *
pctconf_path(const char *confdir, unsigned vmid)
{
	return xasprintf("%s/%u.conf", confdir ? confdir : pctconf_confdir(), vmid);
}

int
pctconf_load_file(const char *path, unsigned vmid, struct pctconf **out, struct pct_error **err)
{
	_cleanup_free_ char *raw = NULL;
	struct stat st;
	size_t len;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return pct_error_set(err, PCT_E_NOENT,
					     "Configuration file '%s' does not exist", path);
		return pct_error_errno(err, errno, "unable to open file '%s'", path);
	}
	if (S_ISLNK(st.st_mode))
		return pct_error_set(err, PCT_E_REFUSED,
				     "'%s' is a symbolic link; config files must be regular files",
				     path);
	if (S_ISDIR(st.st_mode))
		return pct_error_set(err, PCT_E_INVALID, "'%s' is a directory, not a config file",
				     path);
	if (!S_ISREG(st.st_mode))
		return pct_error_set(err, PCT_E_INVALID, "'%s' is not a regular file", path);
	if (pct_read_file(path, PCTCONF_MAX_FILE_SIZE, &raw, &len) < 0) {
		if (errno == EFBIG)
			return pct_error_set(err, EFBIG,
					     "unable to read file '%s' - larger than %u MiB", path,
					     PCTCONF_MAX_FILE_SIZE >> 20);
		if (errno == ENOENT)
			return pct_error_set(err, PCT_E_NOENT,
					     "Configuration file '%s' does not exist", path);
		return pct_error_errno(err, errno, "unable to open file '%s'", path);
	}
	*out = pctconf_parse(path, vmid, raw, len);
	return 0;
}

int
pctconf_load(const char *confdir, unsigned vmid, struct pctconf **out, struct pct_error **err)
{
	_cleanup_free_ char *path = pctconf_path(confdir, vmid);

	return pctconf_load_file(path, vmid, out, err);
}

/* ---- temp files, removed on error paths and, via pct's handlers, on signals ---- */

static char tempfile_path[4096];
static volatile sig_atomic_t tempfile_active;

void
pctconf_tempfile_cleanup(void)
{
	if (tempfile_active)
		(void)unlink(tempfile_path);
	tempfile_active = 0;
}

static void
tempfile_set(const char *path)
{
	size_t n = strlen(path);

	if (n >= sizeof(tempfile_path))
		return;
	tempfile_active = 0;
	memcpy(tempfile_path, path, n + 1);
	tempfile_active = 1;
}

static int
fsync_dir_of(const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	_cleanup_close_ int fd = -1;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	return fsync(fd);
}

/* Write data to a fresh <path>.tmp.<pid>; returns the temp path or NULL. */
static char *
write_temp(const char *path, const void *data, size_t len, mode_t mode, struct pct_error **err)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	_cleanup_close_ int fd = -1;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
		/* left behind by a killed process that had our pid */
		(void)unlink(tmp);
	}
	if (fd < 0) {
		pct_error_errno(err, errno, "unable to create temporary file '%s'", tmp);
		return NULL;
	}
	tempfile_set(tmp);
	if (fchmod(fd, mode) < 0 || pct_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		int e = errno;

		pctconf_tempfile_cleanup();
		pct_error_errno(err, e, "unable to write '%s'", tmp);
		return NULL;
	}
	if (close(steal_fd(fd)) < 0) {
		int e = errno;

		pctconf_tempfile_cleanup();
		pct_error_errno(err, e, "unable to write '%s'", tmp);
		return NULL;
	}
	return steal_ptr(tmp);
}

static mode_t
existing_mode(const char *path, mode_t def)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return st.st_mode & 07777;
	return def;
}

int
pctconf_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			  struct pct_error **err)
{
	_cleanup_free_ char *tmp = NULL;

	tmp = write_temp(path, data, len, existing_mode(path, mode), err);
	if (!tmp)
		return -1;
	if (rename(tmp, path) < 0) {
		int e = errno;

		pctconf_tempfile_cleanup();
		return pct_error_errno(err, e, "unable to rename '%s' to '%s'", tmp, path);
	}
	tempfile_active = 0;
	if (fsync_dir_of(path) < 0)
		return pct_error_errno(err, errno, "unable to sync the directory of '%s'", path);
	return 0;
}

int
pctconf_create_file(const char *path, const void *data, size_t len, mode_t mode,
		    struct pct_error **err)
{
	_cleanup_free_ char *tmp = NULL;
	int ret;

	tmp = write_temp(path, data, len, mode, err);
	if (!tmp)
		return -1;
	/* link(2) fails when the target exists: of two creators exactly one wins */
	ret = link(tmp, path);
	if (ret < 0) {
		int e = errno;

		pctconf_tempfile_cleanup();
		if (e == EEXIST)
			return pct_error_set(err, PCT_E_EXISTS, "file '%s' already exists", path);
		return pct_error_errno(err, e, "unable to create '%s'", path);
	}
	pctconf_tempfile_cleanup();
	if (fsync_dir_of(path) < 0)
		return pct_error_errno(err, errno, "unable to sync the directory of '%s'", path);
	return 0;
}

/* Is pid a process that can still write? A zombie (killed, not yet reaped) cannot. */
static bool
process_alive(pid_t pid)
{
	char path[64], buf[512], *close_paren;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return false;
	/* Linux: the state follows the command name in parentheses */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	close_paren = strrchr(buf, ')');
	return !(close_paren && close_paren[1] == ' ' &&
		 (close_paren[2] == 'Z' || close_paren[2] == 'X'));
}

void
pctconf_remove_stale_temps(const char *dir, const char *base)
{
	size_t blen = base ? strlen(base) : 0;
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *tail = base ? de->d_name + blen : strstr(de->d_name, ".tmp.");
		unsigned long long pid;

		if (base && strncmp(de->d_name, base, blen))
			continue;
		if (!tail || strncmp(tail, ".tmp.", 5) || !pct_parse_uint(tail + 5, 1, INT_MAX, &pid))
			continue;
		/* a writer that is still there keeps its file */
		if (process_alive((pid_t)pid))
			continue;
		(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

int
pctconf_save(const struct pctconf *conf, const char *path, struct pct_error **err)
{
	_cleanup_free_ char *text = NULL, *old = NULL;
	size_t len, oldlen;

	text = pctconf_write(conf, &len, err);
	if (!text)
		return -1;
	if (pct_read_file(path, PCTCONF_MAX_FILE_SIZE, &old, &oldlen) == 0 && oldlen == len &&
	    memcmp(old, text, len) == 0)
		return 0;
	{
		_cleanup_free_ char *d = xstrdup(path), *b = xstrdup(path);

		pctconf_remove_stale_temps(dirname(d), basename(b));
	}
	if (pctconf_write_file_atomic(path, text, len, 0644, err) < 0)
		return -1;
	return 1;
}

/*
 * Watching the config and state directories with libinotifytools.
 *
 * Directories, not files: editors and Ansible replace files by rename. Only
 * <digits>.conf (config) and <digits>.state (state) names count; vim's
 * .swp and 4913 probes, ~ backups and our own .tmp.<pid> files are ignored.
 * Events only mark CTs dirty; every pass re-reads the file (level-triggered).
 *
 * libinotifytools does not export its inotify descriptor, but the agent must
 * wait on it together with the API watch sockets; we find it as the
 * anon_inode:inotify descriptor that appeared during initialisation.
 *
 * The config directory is never created here: a missing directory (an
 * unmounted file system) is what the mass-delete guard looks for. It is
 * watched by identity (device and inode): when it goes, comes back, is
 * replaced (a restore: mv, then a new directory) or has a file system
 * mounted over it, the watches are set up again and every config is read.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inotifytools/inotifytools.h>
#include <limits.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "syncd.h"

static int inotify_fd = -1;
static char *conf_dir, *state_dir;
static bool conf_watched; /* conf_dir exists and is watched */
static dev_t conf_dev;	  /* its identity when the watch was set */
static ino_t conf_ino;
static bool conf_gone; /* an event said the watched directory went away */

bool
syncd_is_conf_name(const char *name, unsigned *vmid)
{
	return pctconf_name_vmid(name, vmid);
}

bool
syncd_is_state_name(const char *name, unsigned *vmid)
{
	size_t n = strlen(name);
	unsigned long long v;
	_cleanup_free_ char *digits = NULL;

	if (n < 7 || strcmp(name + n - 6, ".state") != 0)
		return false;
	digits = xstrndup(name, n - 6);
	if (!pct_parse_uint(digits, 1, 0xFFFFFFFFu, &v))
		return false;
	*vmid = (unsigned)v;
	return true;
}

static bool
is_inotify(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, "anon_inode:inotify");
}

static const int dir_mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB |
			    IN_DELETE_SELF | IN_MOVE_SELF;

/* inotify on the state directory and, when it exists, the config directory */
static int
watch_setup(struct syncd *sd, struct pct_error **err)
{
	bool before[1024] = { false };
	struct stat st;
	int fd;

	for (fd = 0; fd < 1024; fd++)
		before[fd] = is_inotify(fd);
	if (!inotifytools_initialize())
		return pct_error_errno(err, inotifytools_error(), "unable to initialise inotify");
	inotify_fd = -1;
	for (fd = 0; fd < 1024; fd++) {
		if (!before[fd] && is_inotify(fd)) {
			inotify_fd = fd;
			break;
		}
	}
	if (inotify_fd < 0)
		return pct_error_set(err, PCT_E_INTERNAL, "unable to find the inotify descriptor");
	if (!inotifytools_watch_file(state_dir, dir_mask))
		return pct_error_errno(err, inotifytools_error(), "unable to watch '%s'",
				       state_dir);
	conf_watched = false;
	conf_gone = false;
	if (stat(sd->confdir, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (!inotifytools_watch_file(sd->confdir, dir_mask))
			return pct_error_errno(err, inotifytools_error(), "unable to watch '%s'",
					       sd->confdir);
		conf_watched = true;
		conf_dev = st.st_dev;
		conf_ino = st.st_ino;
	}
	return 0;
}

int
syncd_watch_init(struct syncd *sd, struct pct_error **err)
{
	_cleanup_free_ char *statect = xasprintf("%s/ct", sd->statedir);

	/* the state directory is ours (pct writes there too): it may be created */
	if (pctconf_mkdir_p(statect, 0755) < 0)
		return pct_error_errno(err, errno, "unable to create '%s'", statect);
	conf_dir = xstrdup(sd->confdir);
	state_dir = xstrdup(statect);
	return watch_setup(sd, err);
}

bool
syncd_watch_check(struct syncd *sd)
{
	_cleanup_error_ struct pct_error *err = NULL;
	struct stat st;
	bool exists = stat(sd->confdir, &st) == 0 && S_ISDIR(st.st_mode);

	if (!conf_gone && exists == conf_watched &&
	    (!exists || (st.st_dev == conf_dev && st.st_ino == conf_ino)))
		return false;
	syncd_debug(sd, "%s: %s; watching it again", sd->confdir,
		    !exists	   ? "gone"
		    : conf_watched ? "replaced"
				   : "there");
	inotifytools_cleanup();
	inotify_fd = -1;
	if (watch_setup(sd, &err) < 0)
		syncd_log(sd, "%s", err->msg); /* retried at the next check */
	return true;
}

double
syncd_watch_check_interval(void)
{
	/* a missing directory has no inotify watch to say when it is back */
	return conf_watched && inotify_fd >= 0 ? 10.0 : 1.0;
}

int
syncd_watch_fd(void)
{
	return inotify_fd;
}

size_t
syncd_watch_drain(struct syncd *sd)
{
	struct inotify_event *ev;
	size_t n = 0;

	/* the event lives in libinotifytools' static storage: use it before the next call */
	while ((ev = inotifytools_next_events(0, 1))) {
		const char *dir = inotifytools_filename_from_wd(ev->wd);
		unsigned vmid;

		if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_IGNORED)) {
			/* a watched directory went away: syncd_watch_check() looks again */
			conf_gone = true;
			n++;
			continue;
		}
		if (ev->mask & IN_Q_OVERFLOW) {
			/* events were lost: everything is dirty, the pass re-reads all */
			size_t i;

			for (i = 0; i < sd->ncts; i++)
				sd->cts[i].dirty = true;
			syncd_log(sd, "inotify queue overflow: re-reading every config");
			n++;
			continue;
		}
		if (!ev->len || !dir)
			continue;
		if (!strcmp(dir, conf_dir) || (strlen(dir) == strlen(conf_dir) + 1 &&
					       !strncmp(dir, conf_dir, strlen(conf_dir)))) {
			if (!syncd_is_conf_name(ev->name, &vmid))
				continue;
		} else if (!syncd_is_state_name(ev->name, &vmid)) {
			continue;
		}
		{
			struct ct *ct = syncd_ct(sd, vmid, true);

			/* a changed file or a new pct request is tried at once: the
			 * backoff is for retrying the same input */
			ct->dirty = true;
			ct->next_attempt = 0;
		}
		syncd_debug(sd, "event %s on %s", inotifytools_event_to_str(ev->mask), ev->name);
		n++;
	}
	return n;
}

void
syncd_watch_close(void)
{
	inotifytools_cleanup();
	inotify_fd = -1;
	conf_watched = false;
	free(conf_dir);
	free(state_dir);
	conf_dir = state_dir = NULL;
}

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
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inotifytools/inotifytools.h>
#include <limits.h>
#include <string.h>
#include <sys/inotify.h>

#include "syncd.h"

static int inotify_fd = -1;
static char *conf_dir, *state_dir;

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

int
syncd_watch_init(struct syncd *sd, struct pct_error **err)
{
	static const int mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
				IN_ATTRIB;
	_cleanup_free_ char *statect = xasprintf("%s/ct", sd->statedir);
	bool before[1024] = { false };
	int fd;

	for (fd = 0; fd < 1024; fd++)
		before[fd] = is_inotify(fd);
	if (!inotifytools_initialize())
		return pct_error_errno(err, inotifytools_error(), "unable to initialise inotify");
	for (fd = 0; fd < 1024; fd++) {
		if (!before[fd] && is_inotify(fd)) {
			inotify_fd = fd;
			break;
		}
	}
	if (inotify_fd < 0)
		return pct_error_set(err, PCT_E_INTERNAL, "unable to find the inotify descriptor");
	if (pctconf_mkdir_p(sd->confdir, 0755) < 0)
		return pct_error_errno(err, errno, "unable to create '%s'", sd->confdir);
	if (pctconf_mkdir_p(statect, 0755) < 0)
		return pct_error_errno(err, errno, "unable to create '%s'", statect);
	if (!inotifytools_watch_file(sd->confdir, mask))
		return pct_error_errno(err, inotifytools_error(), "unable to watch '%s'",
				       sd->confdir);
	if (!inotifytools_watch_file(statect, mask))
		return pct_error_errno(err, inotifytools_error(), "unable to watch '%s'", statect);
	conf_dir = xstrdup(sd->confdir);
	state_dir = xstrdup(statect);
	return 0;
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
	free(conf_dir);
	free(state_dir);
	conf_dir = state_dir = NULL;
}

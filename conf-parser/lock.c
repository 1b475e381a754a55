/*
 * The per-CT config lock (§1): flock on <lockdir>/pve-config-<vmid>.lock,
 * opened for append and never deleted, as Proxmox does. Re-entrant within a
 * process: a second lock of the same vmid only counts.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "pctconf.h"

struct held {
	unsigned vmid;
	int fd;
	unsigned count;
	enum pctconf_lock_mode mode;
};

static struct held *held;
static size_t nheld, aheld;

static int
mkdir_p(const char *dir, mode_t mode)
{
	_cleanup_free_ char *copy = xstrdup(dir);
	char *p;

	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(copy, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
pctconf_mkdir_p(const char *dir, mode_t mode)
{
	return mkdir_p(dir, mode);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
pctconf_lock(unsigned vmid, enum pctconf_lock_mode mode, double timeout, void (*waiting)(void),
	     struct pctconf_lock *lk, struct pct_error **err)
{
	const char *dir = pctconf_lockdir();
	_cleanup_free_ char *path = xasprintf("%s/pve-config-%u.lock", dir, vmid);
	_cleanup_close_ int fd = -1;
	int op = mode == PCTCONF_LOCK_EX ? LOCK_EX : LOCK_SH;
	double deadline = now_seconds() + timeout;
	long sleep_us = 1000;
	bool waited = false;
	size_t i;

	for (i = 0; i < nheld; i++) {
		if (held[i].vmid == vmid) {
			held[i].count++;
			lk->fd = -2 - (int)vmid; /* marks a nested hold */
			lk->path = steal_ptr(path);
			return 0;
		}
	}
	if (mkdir_p(dir, 0755) < 0)
		return pct_error_errno(err, errno, "unable to create lock directory '%s'", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return pct_error_errno(err, errno, "can't open file '%s'", path);
	for (;;) {
		if (flock(fd, op | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return pct_error_errno(err, errno, "can't lock file '%s'", path);
		if (!waited && waiting)
			waiting();
		waited = true;
		if (now_seconds() >= deadline)
			return pct_error_set(err, PCT_E_TIMEOUT, "can't lock file '%s' - got timeout",
					     path);
		{
			struct timespec ts = { 0, sleep_us * 1000 };

			nanosleep(&ts, NULL);
		}
		if (sleep_us < 20000)
			sleep_us *= 2;
	}
	held = xgrow(held, nheld + 1, &aheld, sizeof(*held));
	held[nheld].vmid = vmid;
	held[nheld].fd = fd;
	held[nheld].count = 1;
	held[nheld].mode = mode;
	nheld++;
	lk->fd = steal_fd(fd);
	lk->path = steal_ptr(path);
	return 0;
}

void
pctconf_unlock(struct pctconf_lock *lk)
{
	size_t i;

	if (!lk || lk->fd == -1) {
		if (lk) {
			free(lk->path);
			lk->path = NULL;
		}
		return;
	}
	for (i = 0; i < nheld; i++) {
		bool match = lk->fd >= 0 ? held[i].fd == lk->fd : -2 - (int)held[i].vmid == lk->fd;

		if (!match)
			continue;
		if (--held[i].count == 0) {
			(void)flock(held[i].fd, LOCK_UN);
			close(held[i].fd);
			memmove(&held[i], &held[i + 1], (nheld - i - 1) * sizeof(*held));
			nheld--;
		}
		break;
	}
	lk->fd = -1;
	free(lk->path);
	lk->path = NULL;
}

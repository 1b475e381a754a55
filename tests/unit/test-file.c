/*
 * Files and locks (§1, STYLE.md rule 5): the atomic writer keeps the mode
 * and never leaves a temporary file behind (and removes those of writers
 * that were killed), create_file loses against an
 * existing file, pctconf_save only writes changes, loading refuses what is
 * not a regular file; the per-CT flock times out with Proxmox's message, is
 * re-entrant within a process, and serialises concurrent writers (fork).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pctconf.h"
#include "tap.h"

static char dir[4096];

static char *
path_of(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* number of entries in dir whose name contains ".tmp." */
static int
temp_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".tmp."))
			n++;
	closedir(d);
	return n;
}

static char *
slurp(const char *path)
{
	char *buf = NULL;
	size_t len;

	if (pct_read_file(path, 1 << 20, &buf, &len) < 0)
		return NULL;
	return buf;
}

static void
atomic_writes(void)
{
	_cleanup_free_ char *p = path_of("100.conf");
	_cleanup_free_ char *sub = path_of("sub.conf");
	_cleanup_free_ char *inner = NULL;
	struct pct_error *err = NULL;
	struct stat st;
	char *got;

	ok(pctconf_write_file_atomic(p, "a: 1\n", 5, 0644, &err) == 0, "write a new file");
	ok(stat(p, &st) == 0 && (st.st_mode & 07777) == 0644, "a new file gets the mode asked for");
	ok(chmod(p, 0600) == 0, "chmod 0600");
	ok(pctconf_write_file_atomic(p, "a: 2\n", 5, 0644, &err) == 0, "rewrite it");
	ok(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600, "the old mode is kept (0600)");
	got = slurp(p);
	is_str(got, "a: 2\n", "the new content is there");
	free(got);
	is_int(temp_files(), 0, "no temporary file left after success");

	/* the target is a non-empty directory: rename fails */
	ok(mkdir(sub, 0755) == 0, "make a directory where the file should go");
	inner = xasprintf("%s/keep", sub);
	ok(pctconf_write_file_atomic(inner, "x", 1, 0644, &err) == 0, "put a file in it");
	ok(pctconf_write_file_atomic(sub, "a: 3\n", 5, 0644, &err) < 0, "writing over a directory fails");
	ok(err && strstr(err->msg, "unable to rename") && strstr(err->msg, "sub.conf"),
	   "the error names the file: %s", err ? err->msg : "(none)");
	pct_error_free(&err);
	is_int(temp_files(), 0, "no temporary file left after a failed rename");
	ok(stat(inner, &st) == 0, "the directory is untouched");

	/* create_file: exactly one creator wins */
	{
		_cleanup_free_ char *c = path_of("101.conf");

		ok(pctconf_create_file(c, "first\n", 6, 0640, &err) == 0, "create a new file");
		ok(stat(c, &st) == 0 && (st.st_mode & 07777) == 0640, "create_file applies the mode");
		ok(pctconf_create_file(c, "second\n", 7, 0644, &err) < 0, "create over an existing file fails");
		ok(err && err->code == PCT_E_EXISTS, "PCT_E_EXISTS");
		{
			char *want = xasprintf("file '%s' already exists", c);

			is_str(err ? err->msg : NULL, want, "message");
			free(want);
		}
		pct_error_free(&err);
		got = slurp(c);
		is_str(got, "first\n", "the existing file is untouched");
		free(got);
		is_int(temp_files(), 0, "no temporary file left after losing");
	}
}

static void
saving(void)
{
	_cleanup_free_ char *p = path_of("102.conf");
	struct pct_error *err = NULL;
	struct pctconf *c = pctconf_parse(p, 0, "memory: 512\n", 12);
	struct stat a, b;
	struct timespec past[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	is_int(pctconf_save(c, p, &err), 1, "save a new file: changed");
	ok(utimensat(AT_FDCWD, p, past, 0) == 0 && stat(p, &a) == 0, "set an old mtime");
	is_int(pctconf_save(c, p, &err), 0, "save the same text: unchanged");
	ok(stat(p, &b) == 0 && a.st_mtime == b.st_mtime && a.st_ino == b.st_ino,
	   "an unchanged save does not touch the file");
	pctconf_set(&c->main, "memory", "1024");
	is_int(pctconf_save(c, p, &err), 1, "save a change: changed");
	ok(stat(p, &b) == 0 && a.st_ino != b.st_ino, "a change replaces the file (new inode)");
	pctconf_set(&c->main, "hostname", "a\nb");
	is_int(pctconf_save(c, p, &err), -1, "a value with a newline cannot be written");
	is_str(err ? err->msg : NULL, "detected invalid newline inside property 'hostname'",
	       "Proxmox's message");
	pct_error_free(&err);
	{
		char *got = slurp(p);

		is_str(got, "memory: 1024\n", "the file keeps its last good content");
		free(got);
	}
	is_int(temp_files(), 0, "no temporary file left");
	pctconf_free(c);
}

static void
loading(void)
{
	_cleanup_free_ char *missing = path_of("nothere.conf");
	_cleanup_free_ char *link = path_of("link.conf");
	_cleanup_free_ char *d = path_of("dir.conf");
	_cleanup_free_ char *fifo = path_of("fifo.conf");
	_cleanup_free_ char *good = path_of("102.conf");
	struct pct_error *err = NULL;
	struct pctconf *c = NULL;
	char *want;

	ok(pctconf_load_file(missing, 0, &c, &err) < 0 && err && err->code == PCT_E_NOENT,
	   "a missing file: PCT_E_NOENT");
	want = xasprintf("Configuration file '%s' does not exist", missing);
	is_str(err ? err->msg : NULL, want, "a missing file: Proxmox's message");
	free(want);
	pct_error_free(&err);
	ok(symlink(good, link) == 0, "make a symlink");
	ok(pctconf_load_file(link, 0, &c, &err) < 0, "a symlink is refused");
	ok(err && strstr(err->msg, "symbolic link") && strstr(err->msg, "link.conf"),
	   "a symlink: the message says so: %s", err ? err->msg : "(none)");
	pct_error_free(&err);
	ok(mkdir(d, 0755) == 0 && pctconf_load_file(d, 0, &c, &err) < 0, "a directory is refused");
	ok(err && strstr(err->msg, "is a directory") && strstr(err->msg, "dir.conf"),
	   "a directory: the message says so: %s", err ? err->msg : "(none)");
	pct_error_free(&err);
	ok(mkfifo(fifo, 0644) == 0 && pctconf_load_file(fifo, 0, &c, &err) < 0,
	   "a FIFO is refused (and does not block)");
	ok(err && strstr(err->msg, "not a regular file"), "a FIFO: the message says so");
	pct_error_free(&err);
	ok(pctconf_load_file(good, 0, &c, &err) == 0 && c && c->vmid == 102,
	   "a regular file loads; the vmid comes from the name");
	pctconf_free(c);
}

static int waited;

static void
note_wait(void)
{
	waited++;
}

/* a child holding the lock of vmid until it is killed */
static pid_t
hold_lock_in_child(unsigned vmid, int *ready)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct pctconf_lock lk = PCTCONF_LOCK_INIT;
		struct pct_error *err = NULL;

		close(fds[0]);
		if (pctconf_lock(vmid, PCTCONF_LOCK_EX, 5, NULL, &lk, &err) < 0)
			_exit(1);
		(void)!write(fds[1], "x", 1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	*ready = fds[0];
	return pid;
}

static void
locking(void)
{
	struct pctconf_lock a = PCTCONF_LOCK_INIT, b = PCTCONF_LOCK_INIT, c = PCTCONF_LOCK_INIT;
	struct pct_error *err = NULL;
	char x, *want;
	int ready = -1, status;
	pid_t pid;
	struct timespec t0, t1;
	double dt;

	/* re-entrant within one process */
	ok(pctconf_lock(200, PCTCONF_LOCK_EX, 1, NULL, &a, &err) == 0, "lock CT 200");
	ok(pctconf_lock(200, PCTCONF_LOCK_EX, 0.1, NULL, &b, &err) == 0,
	   "lock CT 200 again in the same process: re-entrant");
	{
		_cleanup_free_ char *lockfile = xasprintf("%s/pve-config-200.lock", pctconf_lockdir());
		struct stat st;

		ok(stat(lockfile, &st) == 0 && S_ISREG(st.st_mode),
		   "the lock file is <lockdir>/pve-config-<vmid>.lock");
	}
	pctconf_unlock(&b);
	/* still held: another open of the lock file cannot flock it (a forked
	 * child would inherit our holds, so it opens the file itself) */
	pid = fork();
	if (pid == 0) {
		char *lf = xasprintf("%s/pve-config-200.lock", pctconf_lockdir());
		int fd = open(lf, O_WRONLY | O_APPEND);

		_exit(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK ? 0 : 1);
	}
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "after one of two unlocks the lock is still held");
	pctconf_unlock(&a);
	pid = fork();
	if (pid == 0) {
		struct pctconf_lock l = PCTCONF_LOCK_INIT;
		struct pct_error *e = NULL;

		_exit(pctconf_lock(200, PCTCONF_LOCK_EX, 1, NULL, &l, &e) == 0 ? 0 : 1);
	}
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "after the last unlock another process gets it");

	/* timeout */
	pid = hold_lock_in_child(201, &ready);
	ok(pid > 0 && read(ready, &x, 1) == 1, "a child holds the lock of CT 201");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	waited = 0;
	ok(pctconf_lock(201, PCTCONF_LOCK_EX, 0.3, note_wait, &c, &err) < 0, "locking times out");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(dt >= 0.29 && dt < 5, "after about the timeout (%.2f s)", dt);
	is_int(waited, 1, "the waiting callback ran once (\"trying to acquire lock...\")");
	ok(err && err->code == PCT_E_TIMEOUT, "PCT_E_TIMEOUT");
	want = xasprintf("can't lock file '%s/pve-config-201.lock' - got timeout", pctconf_lockdir());
	is_str(err ? err->msg : NULL, want, "Proxmox's timeout message");
	free(want);
	pct_error_free(&err);
	ok(pctconf_lock(201, PCTCONF_LOCK_SH, 0.1, NULL, &c, &err) < 0,
	   "a shared lock waits for an exclusive one too");
	pct_error_free(&err);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	close(ready);
	ok(pctconf_lock(201, PCTCONF_LOCK_EX, 1, note_wait, &c, &err) == 0,
	   "the lock is free once its holder is gone");
	pctconf_unlock(&c);

	/* shared locks share */
	pid = fork();
	if (pid == 0) {
		struct pctconf_lock l = PCTCONF_LOCK_INIT;
		struct pct_error *e = NULL;

		if (pctconf_lock(202, PCTCONF_LOCK_SH, 1, NULL, &l, &e) < 0)
			_exit(1);
		sleep(2);
		_exit(0);
	}
	usleep(300000);
	ok(pctconf_lock(202, PCTCONF_LOCK_SH, 0.5, NULL, &c, &err) == 0,
	   "two shared holders at once");
	pctconf_unlock(&c);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
}

/*
 * Concurrent writers: each child does ROUNDS read-modify-write cycles
 * under the lock (load, increment a counter, set its own key, save). No
 * update may be lost and the file is never torn.
 */
#define WRITERS 8
#define ROUNDS 25

static int
writer(const char *path, int id)
{
	int i;

	for (i = 0; i < ROUNDS; i++) {
		struct pctconf_lock lk = PCTCONF_LOCK_INIT;
		struct pct_error *err = NULL;
		struct pctconf *c = NULL;
		unsigned long long n = 0;
		char key[32], val[32];
		const char *v;

		if (pctconf_lock(300, PCTCONF_LOCK_EX, 30, NULL, &lk, &err) < 0)
			return 1;
		if (pctconf_load_file(path, 300, &c, &err) < 0)
			return 2;
		if (c->ndiags)
			return 3; /* a torn file would not parse cleanly */
		v = pctconf_get(&c->main, "cores");
		if (!v || !pct_parse_uint(v, 0, ~0ULL, &n))
			return 4;
		snprintf(val, sizeof(val), "%llu", n + 1);
		pctconf_set(&c->main, "cores", val);
		snprintf(key, sizeof(key), "mp%d", id);
		snprintf(val, sizeof(val), "/srv/w%d,mp=/w%d,ro=%d", id, i, i % 2);
		pctconf_set(&c->main, key, val);
		if (pctconf_save(c, path, &err) < 0)
			return 5;
		pctconf_free(c);
		pctconf_unlock(&lk);
	}
	return 0;
}

static void
concurrency(void)
{
	_cleanup_free_ char *p = path_of("300.conf");
	struct pct_error *err = NULL;
	struct pctconf *c = NULL;
	pid_t pids[WRITERS];
	int i, status, good = 0;

	ok(pctconf_write_file_atomic(p, "cores: 0\nhostname: race\n", 24, 0644, &err) == 0,
	   "start with cores: 0");
	for (i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(writer(p, i));
	}
	for (i = 0; i < WRITERS; i++)
		if (waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			good++;
	is_int(good, WRITERS, "every writer finished without an error");
	ok(pctconf_load_file(p, 300, &c, &err) == 0, "load the result");
	if (c) {
		char want[32];

		snprintf(want, sizeof(want), "%d", WRITERS * ROUNDS);
		is_str(pctconf_get(&c->main, "cores"), want, "no update was lost (%d increments)",
		       WRITERS * ROUNDS);
		for (i = 0; i < WRITERS; i++) {
			char key[16], val[64];

			snprintf(key, sizeof(key), "mp%d", i);
			snprintf(val, sizeof(val), "/srv/w%d,mp=/w%d,ro=%d", i, ROUNDS - 1,
				 (ROUNDS - 1) % 2);
			is_str(pctconf_get(&c->main, key), val, "writer %d's last value is there", i);
		}
		is_int(c->ndiags, 0, "the result parses cleanly");
		pctconf_free(c);
	}
	is_int(temp_files(), 0, "no temporary file left by the writers");
}

/* a pid that is no process: a child that has exited and been reaped */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	(void)waitpid(pid, NULL, 0);
	return pid;
}

static bool
exists(const char *name)
{
	_cleanup_free_ char *p = path_of(name);

	return access(p, F_OK) == 0;
}

static void
touch(const char *name)
{
	_cleanup_free_ char *p = path_of(name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0)
		close(fd);
}

/* what a writer killed between its temp file and the rename leaves behind */
static void
stale_temps(void)
{
	pid_t dead = dead_pid();
	char mine[64], gone[64], other[64], notpid[64], gone2[64];
	_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
	_cleanup_free_ char *p = path_of("300.conf");
	struct pct_error *err = NULL;

	snprintf(mine, sizeof(mine), "300.conf.tmp.%ld", (long)getpid());
	snprintf(gone, sizeof(gone), "300.conf.tmp.%ld", (long)dead);
	snprintf(other, sizeof(other), "301.conf.tmp.%ld", (long)dead);
	snprintf(notpid, sizeof(notpid), "300.conf.tmp.x%ld", (long)dead);
	snprintf(gone2, sizeof(gone2), "300.conf.tmp.%ld", (long)dead_pid());
	touch(mine);
	touch(gone);
	touch(gone2);
	touch(other);
	touch(notpid);
	pctconf_remove_stale_temps(dir, "300.conf");
	ok(!exists(gone) && !exists(gone2), "temp files of dead writers are removed");
	ok(exists(mine), "the temp file of a live writer is kept");
	ok(exists(other), "another file's temp files are kept");
	ok(exists(notpid), "a name without a pid after .tmp. is kept");
	pctconf_remove_stale_temps(dir, NULL);
	ok(!exists(other) && exists(mine) && exists(notpid), "base NULL: every dead writer's");
	{
		/* killed but not yet reaped (its parent was killed too): it writes no more */
		pid_t z = fork();
		char zname[64];

		if (z == 0)
			_exit(0);
		snprintf(zname, sizeof(zname), "300.conf.tmp.%ld", (long)z);
		touch(zname);
		usleep(100000);
		ok(kill(z, 0) == 0, "a zombie is still there for kill(2)");
		pctconf_remove_stale_temps(dir, "300.conf");
		ok(!exists(zname), "but the temp file of a zombie is removed");
		(void)waitpid(z, NULL, 0);
	}

	/* pctconf_save cleans up after the writer it replaces */
	touch(gone);
	conf = pctconf_parse(p, 300, "memory: 512\n", 12);
	ok(pctconf_save(conf, p, &err) == 1, "save writes the file");
	pct_error_free(&err);
	ok(!exists(gone), "and removes the dead writer's temp file");
	{
		_cleanup_free_ char *m = path_of(mine), *n = path_of(notpid);

		(void)unlink(m);
		(void)unlink(n);
		(void)unlink(p);
	}
	is_int(temp_files(), 0, "nothing else left");
}

int
main(void)
{
	char cmd[4200];
	char *lockdir;

	snprintf(dir, sizeof(dir), "%s/corral-file-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		skip_all("cannot make a temporary directory");
	lockdir = xasprintf("%s/lock", dir);
	setenv("CORRAL_LOCKDIR", lockdir, 1);
	atomic_writes();
	saving();
	loading();
	locking();
	concurrency();
	stale_temps();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)system(cmd);
	free(lockdir);
	return exit_status();
}

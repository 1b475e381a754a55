/*
 * The snapshot state machine on the file side (§7, notes/pct-facts.md §1):
 * the file after each step of create (prepare, commit), delete (prepare,
 * finish), rollback (prepare, finish) and the abort cleanup; the error
 * messages and their order; name rules; re-parenting; unused volumes.
 */
#include "config.h"

#include <string.h>

#include "pctconf.h"
#include "tap.h"

#define NOW 1700000000

static struct pctconf *
conf_from(const char *text)
{
	return pctconf_parse("/etc/pve/lxc/100.conf", 0, text, strlen(text));
}

static void
is_file(const struct pctconf *c, const char *want, const char *name)
{
	struct pct_error *err = NULL;
	size_t len;
	char *t = pctconf_write(c, &len, &err);

	is_str(t, want, "%s", name);
	free(t);
	pct_error_free(&err);
}

/* f() must fail with exactly msg */
#define FAILS(call, want, name)                                                                   \
	do {                                                                                       \
		struct pct_error *_e = NULL;                                                       \
		int _r = (call);                                                                   \
		ok(_r < 0, "%s: refused", name);                                                   \
		is_str(_e ? _e->msg : NULL, want, "%s: message", name);                            \
		pct_error_free(&_e);                                                               \
	} while (0)

#define SUCCEEDS(call, name)                                                                       \
	do {                                                                                       \
		struct pct_error *_e = NULL;                                                       \
		int _r = (call);                                                                   \
		if (!ok(_r == 0, "%s", name))                                                      \
			tap_diag_str("error", _e ? _e->msg : NULL);                                \
		pct_error_free(&_e);                                                               \
	} while (0)

static const char base[] =
	"#my ct\narch: amd64\nhostname: ct1\nmemory: 512\nmp0: local-lvm:vm-100-disk-1,mp=/data\n"
	"parent: old\nrootfs: local-lvm:vm-100-disk-0,size=8G\nunused0: local-lvm:vm-100-disk-9\n"
	"lxc.environment.runtime: A=1\nlxc.apparmor.profile: unconfined\n\n"
	"[pve:pending]\nmemory: 1024\n\n"
	"[old]\nhostname: ct1\nsnaptime: 1600000000\n\n"
	"[other]\nparent: new\nsnaptime: 1650000000\n";

static void
create(void)
{
	struct pctconf *c = conf_from(base);

	SUCCEEDS(pctconf_snapshot_prepare(c, "new", "before upgrade", NOW, &_e), "prepare 'new'");
	is_file(c,
		"#my ct\narch: amd64\nhostname: ct1\nlock: snapshot\nmemory: 512\n"
		"mp0: local-lvm:vm-100-disk-1,mp=/data\nparent: old\n"
		"rootfs: local-lvm:vm-100-disk-0,size=8G\nunused0: local-lvm:vm-100-disk-9\n"
		"lxc.environment.runtime: A=1\nlxc.apparmor.profile: unconfined\n\n"
		"[pve:pending]\nmemory: 1024\n\n"
		"[new]\n#before upgrade\narch: amd64\nhostname: ct1\nmemory: 512\n"
		"mp0: local-lvm:vm-100-disk-1,mp=/data\nparent: old\n"
		"rootfs: local-lvm:vm-100-disk-0,size=8G\nsnapstate: prepare\nsnaptime: 1700000000\n"
		"lxc.environment.runtime: A=1\nlxc.apparmor.profile: unconfined\n\n"
		"[old]\nhostname: ct1\nsnaptime: 1600000000\n\n"
		"[other]\nsnaptime: 1650000000\n",
		"after prepare: lock, the copy (no unused, no description, no pending), "
		"snapstate, snaptime; the cycle guard removed other's parent");
	ok(c->ndiags >= 1 &&
		   !strcmp(c->diags[c->ndiags - 1].msg,
			   "deleting parent 'new' reference from 'other' to avoid bogus snapshot cycle."),
	   "the cycle guard warns");
	SUCCEEDS(pctconf_snapshot_commit(c, "new", &_e), "commit 'new'");
	is_file(c,
		"#my ct\narch: amd64\nhostname: ct1\nmemory: 512\n"
		"mp0: local-lvm:vm-100-disk-1,mp=/data\nparent: new\n"
		"rootfs: local-lvm:vm-100-disk-0,size=8G\nunused0: local-lvm:vm-100-disk-9\n"
		"lxc.environment.runtime: A=1\nlxc.apparmor.profile: unconfined\n\n"
		"[pve:pending]\nmemory: 1024\n\n"
		"[new]\n#before upgrade\narch: amd64\nhostname: ct1\nmemory: 512\n"
		"mp0: local-lvm:vm-100-disk-1,mp=/data\nparent: old\n"
		"rootfs: local-lvm:vm-100-disk-0,size=8G\nsnaptime: 1700000000\n"
		"lxc.environment.runtime: A=1\nlxc.apparmor.profile: unconfined\n\n"
		"[old]\nhostname: ct1\nsnaptime: 1600000000\n\n"
		"[other]\nsnaptime: 1650000000\n",
		"after commit: snapstate and lock gone, main parent is the new snapshot");
	FAILS(pctconf_snapshot_commit(c, "new", &_e), "missing snapshot lock",
	      "commit without the lock");
	pctconf_free(c);

	/* an empty description is not stored */
	c = conf_from("hostname: a\n");
	SUCCEEDS(pctconf_snapshot_prepare(c, "s1", "", NOW, &_e), "prepare with an empty description");
	ok(pctconf_snapshot(c, "s1")->description == NULL, "no description for ''");
	pctconf_free(c);

	/* refusals, in Proxmox's order */
	c = conf_from("template: 1\nlock: backup\n\n[s1]\nsnaptime: 1\n");
	FAILS(pctconf_snapshot_prepare(c, "s2", NULL, NOW, &_e),
	      "you can't take a snapshot if it's a template", "template checked first");
	pctconf_unset(&c->main, "template");
	FAILS(pctconf_snapshot_prepare(c, "s1", NULL, NOW, &_e), "CT is locked (backup)",
	      "then the lock");
	pctconf_unset(&c->main, "lock");
	FAILS(pctconf_snapshot_prepare(c, "s1", NULL, NOW, &_e), "snapshot name 's1' already used",
	      "then the name");
	is_file(c, "\n[s1]\nsnaptime: 1\n", "refusals leave the config as it was");
	FAILS(pctconf_snapshot_commit(c, "s1", &_e), "missing snapshot lock", "commit: lock first");
	pctconf_set(&c->main, "lock", "snapshot");
	FAILS(pctconf_snapshot_commit(c, "nope", &_e), "snapshot 'nope' does not exist",
	      "commit: then the section");
	FAILS(pctconf_snapshot_commit(c, "s1", &_e), "wrong snapshot state",
	      "commit: then snapstate prepare");
	pctconf_free(c);

	/* abort (the cleanup of a failed create) */
	c = conf_from("hostname: a\n");
	SUCCEEDS(pctconf_snapshot_prepare(c, "s1", "x", NOW, &_e), "prepare");
	pctconf_snapshot_abort(c, "s1");
	is_file(c, "hostname: a\n", "abort removes the section and the lock");
	pctconf_free(c);
}

static void
names(void)
{
	FAILS(pctconf_check_snapname("a", &_e),
	      "snapname: invalid format - invalid configuration ID 'a'\n", "one character");
	FAILS(pctconf_check_snapname("1snap", &_e),
	      "snapname: invalid format - invalid configuration ID '1snap'\n", "leading digit");
	FAILS(pctconf_check_snapname("snap.1", &_e),
	      "snapname: invalid format - invalid configuration ID 'snap.1'\n", "a dot");
	FAILS(pctconf_check_snapname("a2345678901234567890123456789012345678901", &_e),
	      "snapname: value may only be 40 characters long", "41 characters");
	SUCCEEDS(pctconf_check_snapname("a234567890123456789012345678901234567890", &_e),
		 "40 characters");
	FAILS(pctconf_check_snapname("current", &_e),
	      "unable to use snapshot name 'current' (reserved name)", "current is reserved");
	FAILS(pctconf_check_snapname("vzdump", &_e),
	      "unable to use snapshot name 'vzdump' (reserved name)", "vzdump is reserved");
	SUCCEEDS(pctconf_check_snapname("Before_Upgrade-2", &_e), "letters, digits, _ and -");
	SUCCEEDS(pctconf_check_snapname("Current", &_e), "only lower-case current is reserved");
}

static void
delete_and_reparent(void)
{
	struct pctconf *c = conf_from(
		"hostname: a\nparent: s3\nrootfs: local:vm-100-disk-0,size=8G\n\n"
		"[s1]\nrootfs: local:vm-100-disk-0,size=8G\nsnaptime: 1\n\n"
		"[s2]\nmp0: local:vm-100-disk-7,mp=/old\nparent: s1\n"
		"rootfs: local:vm-100-disk-0,size=8G\nsnaptime: 2\n\n"
		"[s3]\nparent: s2\nsnaptime: 3\n\n"
		"[s4]\nparent: s2\nsnaptime: 4\n");

	FAILS(pctconf_snapshot_delete_prepare(c, "nope", false, &_e), "snapshot 'nope' does not exist",
	      "delete: a missing snapshot");
	SUCCEEDS(pctconf_snapshot_delete_prepare(c, "s2", false, &_e), "delete s2: prepare");
	is_file(c,
		"hostname: a\nlock: snapshot-delete\nparent: s3\nrootfs: local:vm-100-disk-0,size=8G\n\n"
		"[s1]\nrootfs: local:vm-100-disk-0,size=8G\nsnaptime: 1\n\n"
		"[s2]\nmp0: local:vm-100-disk-7,mp=/old\nparent: s1\n"
		"rootfs: local:vm-100-disk-0,size=8G\nsnapstate: delete\nsnaptime: 2\n\n"
		"[s3]\nparent: s2\nsnaptime: 3\n\n"
		"[s4]\nparent: s2\nsnaptime: 4\n",
		"after delete prepare: lock snapshot-delete, snapstate delete");
	FAILS(pctconf_snapshot_delete_prepare(c, "s1", false, &_e), "CT is locked (snapshot-delete)",
	      "a second delete while one runs");
	SUCCEEDS(pctconf_snapshot_delete_finish(c, "s2", &_e), "delete s2: finish");
	is_file(c,
		"hostname: a\nparent: s3\nrootfs: local:vm-100-disk-0,size=8G\n"
		"unused1: local:vm-100-disk-7\n\n"
		"[s1]\nrootfs: local:vm-100-disk-0,size=8G\nsnaptime: 1\n\n"
		"[s3]\nparent: s1\nsnaptime: 3\n\n"
		"[s4]\nparent: s1\nsnaptime: 4\n",
		"after delete: children re-parented to s1, the section and lock gone, the freed "
		"volume listed (unused0 for the rootfs is dropped by the writer)");
	/* deleting the root: children lose their parent */
	SUCCEEDS(pctconf_snapshot_delete_prepare(c, "s1", false, &_e), "delete s1: prepare");
	SUCCEEDS(pctconf_snapshot_delete_finish(c, "s1", &_e), "delete s1: finish");
	ok(!pctconf_get(pctconf_snapshot(c, "s3"), "parent") &&
		   !pctconf_get(pctconf_snapshot(c, "s4"), "parent"),
	   "the children of a root snapshot become roots");
	is_str(pctconf_get(&c->main, "parent"), "s3", "main's parent is untouched");
	/* deleting main's parent: main gets that snapshot's parent */
	SUCCEEDS(pctconf_snapshot_delete_prepare(c, "s4", false, &_e), "delete s4: prepare");
	SUCCEEDS(pctconf_snapshot_delete_finish(c, "s4", &_e), "delete s4: finish");
	SUCCEEDS(pctconf_snapshot_delete_prepare(c, "s3", false, &_e), "delete s3: prepare");
	SUCCEEDS(pctconf_snapshot_delete_finish(c, "s3", &_e), "delete s3: finish");
	is_file(c,
		"hostname: a\nrootfs: local:vm-100-disk-0,size=8G\nunused1: local:vm-100-disk-7\n",
		"main's parent goes with the last snapshot of its chain");
	pctconf_free(c);

	/* the template check comes after the lock check */
	c = conf_from("lock: backup\ntemplate: 1\n\n[s1]\nsnaptime: 1\n");
	FAILS(pctconf_snapshot_delete_prepare(c, "s1", false, &_e), "CT is locked (backup)",
	      "delete: the lock is checked before the template flag");
	pctconf_unset(&c->main, "lock");
	FAILS(pctconf_snapshot_delete_prepare(c, "s1", false, &_e),
	      "you can't delete a snapshot if vm is a template", "delete: template");
	pctconf_free(c);
}

static void
rollback(void)
{
	struct pctconf *c = conf_from(
		"#current description\nhostname: new-name\nmemory: 2048\n"
		"mp0: local-lvm:vm-100-disk-5,mp=/data\nparent: snap\n"
		"rootfs: local-lvm:vm-100-disk-0,size=8G\nunused0: local-lvm:vm-100-disk-1\n\n"
		"[pve:pending]\ncores: 4\n\n"
		"[snap]\n#snapshot comment\nhostname: old-name\nmemory: 512\n"
		"mp0: local-lvm:vm-100-disk-1,mp=/data\nrootfs: local-lvm:vm-100-disk-0,size=8G\n"
		"snaptime: 1600000000\nunused7: local-lvm:vm-100-disk-7\n"
		"lxc.apparmor.profile: unconfined\n\n"
		"[wip]\nhostname: x\nsnapstate: prepare\nsnaptime: 1650000000\n");

	FAILS(pctconf_snapshot_rollback_prepare(c, "nope", &_e), "snapshot 'nope' does not exist",
	      "rollback to a missing snapshot");
	FAILS(pctconf_snapshot_rollback_prepare(c, "wip", &_e),
	      "unable to rollback to incomplete snapshot (snapstate = prepare)",
	      "rollback to an incomplete snapshot");
	FAILS(pctconf_snapshot_rollback_finish(c, "snap", &_e), "got wrong lock",
	      "finish without the rollback lock");
	SUCCEEDS(pctconf_snapshot_rollback_prepare(c, "snap", &_e), "rollback prepare");
	is_str(pctconf_get(&c->main, "lock"), "rollback", "lock: rollback");
	FAILS(pctconf_snapshot_rollback_prepare(c, "snap", &_e), "CT is locked (rollback)",
	      "a second rollback while one runs");
	SUCCEEDS(pctconf_snapshot_rollback_finish(c, "snap", &_e), "rollback finish");
	is_file(c,
		"#current description\nhostname: old-name\nmemory: 512\n"
		"mp0: local-lvm:vm-100-disk-1,mp=/data\nparent: snap\n"
		"rootfs: local-lvm:vm-100-disk-0,size=8G\nunused1: local-lvm:vm-100-disk-5\n"
		"lxc.apparmor.profile: unconfined\n\n"
		"[snap]\n#snapshot comment\nhostname: old-name\nmemory: 512\n"
		"mp0: local-lvm:vm-100-disk-1,mp=/data\nrootfs: local-lvm:vm-100-disk-0,size=8G\n"
		"snaptime: 1600000000\nunused7: local-lvm:vm-100-disk-7\n"
		"lxc.apparmor.profile: unconfined\n\n"
		"[wip]\nhostname: x\nsnapstate: prepare\nsnaptime: 1650000000\n",
		"after rollback: the snapshot's keys, the old description and unusedN, the newer "
		"disk-5 listed as unused1, disk-1 (used again) dropped, parent set, pending gone");
	pctconf_free(c);

	/* freed volumes are listed in foreach_volume order: rootfs, mp0..mp255 by number */
	c = conf_from("mp10: local:vm-100-disk-10,mp=/ten\nmp2: local:vm-100-disk-2,mp=/two\n"
		      "rootfs: local:vm-100-disk-0,size=8G\n\n"
		      "[base]\nrootfs: local:vm-100-disk-0,size=8G\nsnaptime: 1\n");
	SUCCEEDS(pctconf_snapshot_rollback_prepare(c, "base", &_e), "rollback prepare (order)");
	SUCCEEDS(pctconf_snapshot_rollback_finish(c, "base", &_e), "rollback finish (order)");
	is_file(c,
		"parent: base\nrootfs: local:vm-100-disk-0,size=8G\nunused0: local:vm-100-disk-2\n"
		"unused1: local:vm-100-disk-10\n\n[base]\nrootfs: local:vm-100-disk-0,size=8G\n"
		"snaptime: 1\n",
		"mp2's volume gets unused0 before mp10's");
	pctconf_free(c);

	c = conf_from("template: 1\n\n[s1]\nsnaptime: 1\n");
	FAILS(pctconf_snapshot_rollback_prepare(c, "s1", &_e), "you can't rollback if vm is a template",
	      "rollback of a template");
	pctconf_free(c);
	c = conf_from("lock: mounted\n\n[s1]\nsnaptime: 1\n");
	FAILS(pctconf_snapshot_rollback_prepare(c, "s1", &_e), "CT is locked (mounted)",
	      "rollback of a locked CT");
	pctconf_free(c);

	ok(pctconf_snapshot_skips_key("snapstate") && pctconf_snapshot_skips_key("snaptime") &&
		   pctconf_snapshot_skips_key("lock") && pctconf_snapshot_skips_key("description") &&
		   pctconf_snapshot_skips_key("unused0") && pctconf_snapshot_skips_key("vmstate") &&
		   pctconf_snapshot_skips_key("digest") && pctconf_snapshot_skips_key("snapshots"),
	   "the keys a snapshot does not copy");
	ok(!pctconf_snapshot_skips_key("parent") && !pctconf_snapshot_skips_key("hostname") &&
		   !pctconf_snapshot_skips_key("mp0"),
	   "parent, hostname and mount points are copied");
}

int
main(void)
{
	create();
	names();
	delete_and_reparent();
	rollback();
	return exit_status();
}

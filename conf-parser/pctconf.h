/*
 * libpctconf: read and write Proxmox VE container configs (`<vmid>.conf`)
 * exactly as Proxmox does, plus the key table, property strings, the two
 * validation levels, pending changes, the snapshot state machine, locking,
 * atomic writes and the guest-file helpers (PVE marker sections, OS type).
 *
 * Ground truth: ../shared/docs/pve-conf-format.md. Section numbers (§) in
 * comments refer to it.
 *
 * Ownership: functions returning `char *` hand the string to the caller, who
 * frees it; `const char *` results are borrowed from the struct they came
 * from and stay valid until it changes. Libraries never print or exit.
 */
#ifndef PCTCONF_H
#define PCTCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "pct-error.h"
#include "pct-util.h"

/* ------------------------------------------------------------------ */
/* The key table (keys.c)                                              */
/* ------------------------------------------------------------------ */

enum pctconf_type {
	PCTCONF_BOOL,
	PCTCONF_INT,
	PCTCONF_NUM,
	PCTCONF_STR,
	PCTCONF_PROPSTR, /* a property string with its own sub-key table */
};

/* Flags of keys and sub-keys. */
enum {
	PCTCONF_OPTIONAL = 1 << 0,    /* sub-key: may be absent (all top-level keys are) */
	PCTCONF_DEFAULT_KEY = 1 << 1, /* sub-key: value may be given without `name=` */
	PCTCONF_INDEXED = 1 << 2,     /* key: name<N>, N in 0..max_index */
	PCTCONF_INTERNAL = 1 << 3,    /* key: not settable through the API (parent, snaptime) */
	PCTCONF_HAS_MIN = 1 << 4,
	PCTCONF_HAS_MAX = 1 << 5,
	PCTCONF_NO_PRINT = 1 << 6,    /* sub-key: never printed (rootfs `mp`) */
	PCTCONF_OPTIONAL_VALUE = 1 << 7, /* CLI option whose value may be left out (--password) */
	PCTCONF_EXTENSION = 1 << 8,	 /* CLI option of Corral's own: not in Proxmox's usage line */
};

/* How a key maps onto Kubernetes (pct lint --kube, doc/kubernetes-mapping.md). */
enum pctconf_kube {
	PCTCONF_KUBE_MAPS,
	PCTCONF_KUBE_CAVEAT,
	PCTCONF_KUBE_NA,
};

/* A format verifier: 0 if valid, else -1 with Proxmox's message in *msg. */
typedef int (*pctconf_verify_fn)(const char *value, struct strbuf *msg);

struct pctconf_prop {
	const char *name;
	enum pctconf_type type; /* BOOL, INT, NUM or STR */
	unsigned flags;
	const char *format;	     /* named format (formats.c), or NULL */
	pctconf_verify_fn pattern;   /* anchored pattern check, or NULL */
	const char *pattern_text;    /* the regex as Proxmox prints it */
	const char *const *choices;  /* enum values, NULL-terminated */
	double min, max;
	size_t max_length;
	const char *def;	     /* documented default */
	const char *typetext;	     /* format_description for help output */
	const char *help;
};

struct pctconf_key {
	const char *name; /* "net" for net0..net31 */
	enum pctconf_type type;
	unsigned flags;
	unsigned max_index;
	const char *format;
	pctconf_verify_fn pattern;
	const char *pattern_text;
	const char *const *choices;
	double min, max;
	size_t max_length;
	const struct pctconf_prop *props; /* PROPSTR: sub-keys, name == NULL ends */
	const char *def;
	const char *typetext; /* type text for help output, when the type is not enough */
	const char *help;
	enum pctconf_kube kube;
	const char *kube_note;
};

extern const struct pctconf_key pctconf_keys[]; /* sorted by name, name == NULL ends */
extern const size_t pctconf_nkeys;

/*
 * Find the row for a config key such as "memory" or "net3" (index stored in
 * *index when not NULL). NULL for unknown keys.
 */
const struct pctconf_key *pctconf_key_lookup(const char *name, unsigned *index);
/* Find a sub-key of a property-string row. */
const struct pctconf_prop *pctconf_prop_lookup(const struct pctconf_prop *props, const char *name);
/* The default-key sub-key, or NULL. */
const struct pctconf_prop *pctconf_prop_default(const struct pctconf_prop *props);
/* Perl-style name of a type ("boolean", "integer", "number", "string"). */
const char *pctconf_type_name(enum pctconf_type type);

/* ------------------------------------------------------------------ */
/* Formats and validation (formats.c, check.c)                         */
/* ------------------------------------------------------------------ */

/*
 * check_format: a named format ("dns-name", "pve-tag-list", ...). 0 if valid,
 * -1 with Proxmox's message in *msg. Unknown format names are an error.
 */
int pctconf_check_format(const char *format, const char *value, struct strbuf *msg);
/* Proxmox's split_list: NUL-, comma-, semicolon- or whitespace-separated. */
size_t pctconf_split_list(const char *s, char ***out);
void pctconf_strv_free(char **v, size_t n);

/*
 * The parse-time check (`check_type`, §2.2) for key=value (len bytes, may
 * hold NUL). On success returns 0 and, when the value is normalised (booleans,
 * integers), stores the new value in *norm (caller frees), else *norm = NULL.
 * On failure returns -1 with Proxmox's die text in *msg (it ends in "\n").
 */
int pctconf_check_type(const char *key, const char *value, size_t len, char **norm,
		       struct strbuf *msg);

/*
 * The API-level check (JSON schema check_prop: type, format, pattern,
 * length, range, enum; property strings with their sub-keys) of one key's
 * value, as `pct set`, `pct create` and `pct config` apply it. On failure -1
 * and *msg holds the error text exactly as Proxmox prints it after "<key>: ",
 * including the newlines a failed format check leaves
 * ("invalid format - value does not look like a valid DNS name\n").
 * env is checked on its NUL-separated bytes (len).
 */
int pctconf_check_api(const char *key, const char *value, size_t len, struct strbuf *msg);
/* The same check for a value against one sub-key. */
int pctconf_check_prop(const struct pctconf_prop *prop, const char *value, struct strbuf *msg);
/* The NUL-separated env pattern. */
int pctconf_pat_env(const char *v, size_t len);

/* ------------------------------------------------------------------ */
/* Property strings (propstr.c, §4)                                    */
/* ------------------------------------------------------------------ */

#define PCTCONF_MAX_PROPS 24

struct pctconf_propval {
	const struct pctconf_prop *prop;
	char *value;
};

struct pctconf_props {
	const struct pctconf_prop *desc;
	struct pctconf_propval v[PCTCONF_MAX_PROPS];
	size_t n;
	char arena[512]; /* values of a parse live here when they fit: no malloc */
	size_t used;
};

/*
 * parse_property_string with full sub-key validation. Booleans normalised to
 * 1/0. On error returns -1 and *msg holds the text of Proxmox's exception,
 * newlines included: "invalid key in comma-separated list property: x\n", or
 * "format error\n" followed by "<path>.<key>: <msg>\n" per bad sub-key
 * (just "<key>: " when path is NULL).
 */
int pctconf_props_parse(const struct pctconf_prop *desc, const char *s, struct pctconf_props *out,
			struct strbuf *msg, const char *path);
void pctconf_props_release(struct pctconf_props *p);
const char *pctconf_props_get(const struct pctconf_props *p, const char *name);
void pctconf_props_set(struct pctconf_props *p, const char *name, const char *value);
void pctconf_props_unset(struct pctconf_props *p, const char *name);
/*
 * print_property_string: default key first, then required keys, then the rest,
 * sorted; `skip` names are left out. disk-size values printed with
 * format_size. Returns NULL and sets *err for values with commas.
 */
char *pctconf_props_print(const struct pctconf_props *p, const char *const *skip,
			  struct pct_error **err);

/* parse_boolean: 1|on|yes|true -> "1", 0|off|no|false -> "0", else NULL. */
const char *pctconf_parse_boolean(const char *v);
bool pctconf_is_dns_name(const char *v);
bool pctconf_is_configid(const char *v);
bool pctconf_is_tag(const char *v);
bool pctconf_is_timezone(const char *v); /* UTC or a zone.tab name (CORRAL_ZONETAB) */
/* pve-startup-order; each of order/up/down is -1 when absent. */
bool pctconf_parse_startup(const char *v, long long *order, long long *up, long long *down);

/* Sizes (§4.3): parse_size ("8G" -> bytes), format_size (bytes -> "8G"). */
bool pctconf_parse_size(const char *s, unsigned long long *bytes);
char *pctconf_format_size(unsigned long long bytes);

/* Mount point helpers (§4.4). */
enum pctconf_mp_type {
	PCTCONF_MP_VOLUME,
	PCTCONF_MP_BIND,
	PCTCONF_MP_DEVICE,
};
enum pctconf_mp_type pctconf_classify_mountpoint(const char *volume);
/* parse_volume_id: "storage:name" -> storage id and volume name (caller frees). */
bool pctconf_parse_volume_id(const char *volid, char **storage, char **name);

/* ------------------------------------------------------------------ */
/* The config model                                                     */
/* ------------------------------------------------------------------ */

struct pctconf_val {
	char *key;
	char *value; /* NUL-terminated at len; may hold NUL bytes before */
	size_t len;
	unsigned line; /* 0 when not read from a file */
};

struct pctconf_lxc {
	char *key;
	char *value;
	size_t len;
	unsigned line;
};

struct pctconf_section {
	char *name; /* NULL for the main section, "pve:pending", or the snapshot name */
	unsigned line;
	char *description; /* decoded text (UTF-8), NULL when unset */
	size_t desc_len;
	unsigned desc_line;
	struct pctconf_val *vals; /* sorted byte-wise by key */
	size_t nvals, avals;
	char *env; /* NUL-separated runtime environment, NULL when unset */
	size_t env_len;
	unsigned env_line;
	struct pctconf_lxc *lxc; /* raw lxc.* pairs in file order */
	size_t nlxc, alxc;
};

enum pctconf_diag_level {
	PCTCONF_WARNING,
	PCTCONF_ERROR,
};

/* One problem found while reading or validating, with its place. */
struct pctconf_diag {
	enum pctconf_diag_level level;
	unsigned line;
	char *key;    /* may be NULL */
	char *msg;    /* Proxmox's text, e.g. "vm 100 - unable to parse value of 'x' - ..." */
	char *detail; /* the part about the value, e.g. "type check ('integer') failed ...", or NULL */
};

struct pctconf {
	char *path; /* for messages */
	unsigned vmid;
	/* Use pctconf_digest(): the SHA-1 of the text parsed is computed on demand. */
	char digest_hex[41];
	char *digest_raw; /* the text parsed, until the digest is computed */
	size_t digest_rawlen;
	bool digest_pending;
	struct pctconf_section main;
	struct pctconf_section pending;
	struct pctconf_section **snaps; /* sorted byte-wise by name */
	size_t nsnaps, asnaps;
	struct pctconf_diag *diags;
	size_t ndiags, adiags;
	/* volume ids that exist outside the file (queued for destruction by the
	 * agent): pctconf_alloc_volid never hands them out again */
	char **reserved;
	size_t nreserved;
};

struct pctconf *pctconf_new(const char *path, unsigned vmid);
void pctconf_free(struct pctconf *conf);
void pctconf_freep(struct pctconf **conf);
struct pctconf *pctconf_dup(const struct pctconf *conf);
/*
 * The SHA-1 (hex) of the bytes the config was parsed from, as Proxmox's
 * "digest"; "" for a config that was not parsed from text.
 */
const char *pctconf_digest(const struct pctconf *conf);

/* Section accessors. Values are raw strings; no validation here. */
const char *pctconf_get(const struct pctconf_section *s, const char *key);
const struct pctconf_val *pctconf_get_val(const struct pctconf_section *s, const char *key);
void pctconf_set(struct pctconf_section *s, const char *key, const char *value);
void pctconf_set_len(struct pctconf_section *s, const char *key, const char *value, size_t len);
bool pctconf_unset(struct pctconf_section *s, const char *key);
void pctconf_set_description(struct pctconf_section *s, const char *text, size_t len);
void pctconf_set_env(struct pctconf_section *s, const char *env, size_t len);
void pctconf_lxc_add(struct pctconf_section *s, const char *key, const char *value, size_t len);
bool pctconf_section_empty(const struct pctconf_section *s);
void pctconf_section_release(struct pctconf_section *s);
void pctconf_section_copy(struct pctconf_section *dst, const struct pctconf_section *src);

struct pctconf_section *pctconf_snapshot(const struct pctconf *conf, const char *name);
/* Add (or replace, as a duplicate header does) a snapshot section. */
struct pctconf_section *pctconf_snapshot_add(struct pctconf *conf, const char *name);
bool pctconf_snapshot_remove(struct pctconf *conf, const char *name);

void pctconf_diag_add(struct pctconf *conf, enum pctconf_diag_level level, unsigned line,
		      const char *key, const char *fmt, ...) _printf_(5, 6);
/* Set the detail of the last diagnostic added (trailing newlines dropped). */
void pctconf_diag_set_detail(struct pctconf *conf, const char *detail);
/* "FILE:LINE: msg" (or "FILE: msg" without a line). Caller frees. */
char *pctconf_diag_format(const struct pctconf *conf, const struct pctconf_diag *d);

/* ------------------------------------------------------------------ */
/* Parser and writer (parse.c, write.c, text.c, sha1.c)                */
/* ------------------------------------------------------------------ */

/*
 * parse_pct_config (§2): never fails on content; every problem becomes a
 * warning in conf->diags with its line. vmid 0 = take it from the file name
 * (`<digits>.conf`), as Proxmox does.
 */
struct pctconf *pctconf_parse(const char *path, unsigned vmid, const char *raw, size_t len);
/*
 * write_pct_config (§3). Returns the file text (caller frees) or NULL with
 * *err for a value holding a newline (Proxmox dies there too).
 */
char *pctconf_write(const struct pctconf *conf, size_t *len, struct pct_error **err);
/* The text of one section as the writer emits it (no header). */
void pctconf_write_section(const struct pctconf_section *s, struct strbuf *out);

/* Description encoding (§2.4). */
char *pctconf_decode_text(const char *s, size_t len, size_t *outlen);
void pctconf_encode_text(const char *s, size_t len, struct strbuf *out);

/* SHA-1 of raw bytes, lower-case hex (41 bytes with NUL). */
void pctconf_sha1_hex(const void *data, size_t len, char out[41]);

/* ------------------------------------------------------------------ */
/* Files, locks and paths (file.c, lock.c)                             */
/* ------------------------------------------------------------------ */

#define PCTCONF_MAX_FILE_SIZE (128u * 1024 * 1024)
#define PCTCONF_MIN_VMID 100u
#define PCTCONF_MAX_VMID 999999999u

const char *pctconf_confdir(void); /* CORRAL_CONFDIR, default /etc/corral/ct */
const char *pctconf_lockdir(void); /* CORRAL_LOCKDIR, default /run/lock/corral */
const char *pctconf_statedir(void); /* CORRAL_STATEDIR, default /var/lib/corral */
const char *pctconf_rundir(void);  /* CORRAL_RUNDIR, default /run/corral */
char *pctconf_path(const char *confdir, unsigned vmid); /* "<confdir>/<vmid>.conf" */
/* True for names of the form <digits>.conf; stores the vmid. */
bool pctconf_name_vmid(const char *name, unsigned *vmid);

/*
 * Read and parse a config file. A missing file is PCT_E_NOENT with
 * Proxmox's message; a symlink, directory or oversized file is refused.
 */
int pctconf_load_file(const char *path, unsigned vmid, struct pctconf **out,
		      struct pct_error **err);
int pctconf_load(const char *confdir, unsigned vmid, struct pctconf **out,
		 struct pct_error **err);

/*
 * Atomic replace: <path>.tmp.<pid> (O_EXCL), write, fsync, rename, fsync of
 * the directory. The old file's mode is kept (0644 for new files). Never
 * truncates in place; on any error the temp file is removed.
 */
int pctconf_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			      struct pct_error **err);
/*
 * Write conf to its file atomically. Returns 1 when the file changed, 0 when
 * the bytes were already identical (nothing written, mtime kept).
 */
int pctconf_save(const struct pctconf *conf, const char *path, struct pct_error **err);
/*
 * Remove the <base>.tmp.<pid> files in dir (any *.tmp.<pid> when base is NULL)
 * whose writer is gone: what a writer killed between creating its temp file
 * and the rename (SIGKILL, a crash) leaves behind. pctconf_save does it for
 * the file it writes, under the CT's lock; the agent at start for its own.
 */
void pctconf_remove_stale_temps(const char *dir, const char *base);
/*
 * Create a new file atomically with link(2) semantics: fails with
 * PCT_E_EXISTS when the path exists (two concurrent creates: one wins).
 */
int pctconf_create_file(const char *path, const void *data, size_t len, mode_t mode,
			struct pct_error **err);

struct pctconf_lock {
	int fd;
	char *path;
};
#define PCTCONF_LOCK_INIT { -1, NULL }
enum pctconf_lock_mode {
	PCTCONF_LOCK_SH,
	PCTCONF_LOCK_EX,
};
/*
 * flock on <lockdir>/pve-config-<vmid>.lock with a timeout in seconds; on
 * timeout: "can't lock file '<path>' - got timeout". When it has to wait and
 * `waiting` is not NULL, waiting() is called once (pct prints
 * "trying to acquire lock...").
 */
int pctconf_lock(unsigned vmid, enum pctconf_lock_mode mode, double timeout,
		 void (*waiting)(void), struct pctconf_lock *lk, struct pct_error **err);
void pctconf_unlock(struct pctconf_lock *lk);
/* Remove the temp file of a write in progress (for pct's signal handlers). */
void pctconf_tempfile_cleanup(void);
int pctconf_mkdir_p(const char *dir, mode_t mode);

/* Validity of a raw lxc.* key (§2.3); *warn gets Proxmox's warning or error text. */
enum pctconf_lxc_validity {
	PCTCONF_LXC_INVALID,
	PCTCONF_LXC_VALID,
	PCTCONF_LXC_REJECTED,
};
enum pctconf_lxc_validity pctconf_lxc_key_validity(unsigned vmid, const char *key, char **warn);

/* ------------------------------------------------------------------ */
/* Pending changes (pending.c, §2.5, §8)                               */
/* ------------------------------------------------------------------ */

struct pctconf_pdel {
	char *key;
	bool force;
};

/* parse_pending_delete: entries in order of the text. */
size_t pctconf_pdel_parse(const char *s, struct pctconf_pdel **out);
void pctconf_pdel_free(struct pctconf_pdel *v, size_t n);
/* print_pending_delete: sorted, forced ones with '!', joined with ','. */
char *pctconf_pdel_print(const struct pctconf_pdel *v, size_t n);
bool pctconf_pending_delete_has(const struct pctconf *conf, const char *key, bool *force);
void pctconf_pending_delete_add(struct pctconf *conf, const char *key, bool force);
void pctconf_pending_delete_remove(struct pctconf *conf, const char *key);
/* cleanup_pending; returns true when something changed. */
bool pctconf_cleanup_pending(struct pctconf *conf);
/*
 * load_current_config: the main section with pending values applied and
 * pending deletes of Perl-true values removed (what `pct config` shows).
 */
void pctconf_current(const struct pctconf *conf, struct pctconf_section *out);

/* Perl truthiness of a stored value: defined, not "" and not "0". */
bool pctconf_value_true(const char *v);

struct pctconf_apply_error {
	char *key;
	char *msg; /* "unable to apply pending change <key> : <why>" */
};

/* What applying pending changes did besides editing the file. */
struct pctconf_apply {
	struct pctconf_apply_error *errors; /* the key stays pending */
	size_t nerrors, aerrors;
	char **destroy; /* volume ids no longer referenced: their PVCs go */
	size_t ndestroy;
};
void pctconf_apply_release(struct pctconf_apply *res);

/*
 * vmconfig_apply_pending (stopped CT): deletes first (mpN volumes become
 * unusedN, unusedN volumes are destroyed), cleanup, then values (netN made
 * canonical with a generated hwaddr, mpN/rootfs STORAGE:SIZE allocated and
 * printed canonically). keys == NULL applies everything (start); otherwise
 * only the keys given (pct set applies what it touched).
 */
void pctconf_apply_pending(struct pctconf *conf, const char *const *keys, const char *mac_prefix,
			   struct pctconf_apply *res);
/*
 * vmconfig_hotplug_pending (running CT): fast-plug keys move at once; other
 * keys move only when live(key, is_delete, ctx) says the cluster can change
 * them on a running CT; the rest stays in [pve:pending].
 */
void pctconf_hotplug_pending(struct pctconf *conf, const char *const *keys,
			     bool (*live)(const char *key, bool del, void *ctx), void *ctx,
			     const char *mac_prefix, struct pctconf_apply *res);
/* description onboot startup protection hostname hookscript cores tags lock */
bool pctconf_is_fastplug(const char *key);

/* get_unique_tags (default tag-style): lower-cased, sorted, de-duplicated, ';'-joined. */
char *pctconf_unique_tags(const char *value);
/*
 * The value `pct set`/`pct create` store for a key: nameserver and
 * searchdomain space-joined, tags made unique, cpuunits clamped to 10000.
 */
char *pctconf_normalize_api_value(const char *key, const char *value);

/* random_ether_addr: locally administered unicast, upper-case, prefix applied. */
char *pctconf_random_mac(const char *prefix);
/* netN printed canonically with type=veth and a generated hwaddr when missing. */
char *pctconf_net_canonical(const char *value, const char *mac_prefix, struct pct_error **err);
/* rootfs/mpN printed canonically; STORAGE:SIZE_GiB allocates vm-<vmid>-disk-<n>. */
char *pctconf_mp_canonical(struct pctconf *conf, const char *key, const char *value,
			   struct pct_error **err);
/* ^([^:\s]+):(\d+(\.\d+)?)$ : a new volume of SIZE GiB on STORAGE. */
bool pctconf_parse_new_disk(const char *v, char **storage, double *gib);
/* The lowest "<storage>:vm-<vmid>-disk-<n>" no section references and not reserved. */
char *pctconf_alloc_volid(const struct pctconf *conf, const char *storage);
/* Keep a volume id (on any storage: its disk number) from being allocated. */
void pctconf_reserve_volid(struct pctconf *conf, const char *volid);
/* The volume id of a volume-type rootfs/mpN value, or NULL (get_vm_volumes). */
char *pctconf_mp_volid(const char *key, const char *value);
/* Referenced by main, pending, a snapshot or an unusedN entry? */
bool pctconf_volid_referenced(const struct pctconf *conf, const char *volid);

/* add_unused_volume: lowest free unusedN (255 -> 0 scan), no duplicates. -1 if full. */
int pctconf_add_unused(struct pctconf_section *s, const char *volid);
/* Every volume id the main section and its snapshots reference (get_vm_volumes). */
size_t pctconf_volumes(const struct pctconf *conf, bool with_snapshots, bool with_unused,
		       char ***out);

/* ------------------------------------------------------------------ */
/* Snapshots (snapshot.c, §7)                                          */
/* ------------------------------------------------------------------ */

/* "CT is locked (<lock>)" if the main section has a lock. */
int pctconf_check_lock(const struct pctconf *conf, struct pct_error **err);
/* snapshot name rules of the API: pve-configid, <= 40 chars, not current/vzdump. */
int pctconf_check_snapname(const char *name, struct pct_error **err);

int pctconf_snapshot_prepare(struct pctconf *conf, const char *name, const char *description,
			     time_t now, struct pct_error **err);
int pctconf_snapshot_commit(struct pctconf *conf, const char *name, struct pct_error **err);
/* Delete, step 1: lock snapshot-delete and snapstate delete. */
int pctconf_snapshot_delete_prepare(struct pctconf *conf, const char *name, bool force,
				    struct pct_error **err);
/* Delete, last step: re-parent children and main, drop the section, unlock. */
int pctconf_snapshot_delete_finish(struct pctconf *conf, const char *name,
				   struct pct_error **err);
/* The cleanup after a failed create or delete: drop the section and the lock. */
int pctconf_snapshot_abort(struct pctconf *conf, const char *name);
int pctconf_snapshot_rollback_prepare(struct pctconf *conf, const char *name,
				      struct pct_error **err);
/* New main = snapshot copy + old description and unused; freed volumes -> unusedN. */
int pctconf_snapshot_rollback_finish(struct pctconf *conf, const char *name,
				     struct pct_error **err);
/* The keys a snapshot does not copy from main (§7). */
bool pctconf_snapshot_skips_key(const char *key);

/* ------------------------------------------------------------------ */
/* Guest files (guest.c, §10)                                          */
/* ------------------------------------------------------------------ */

enum pctconf_marker_mode {
	PCTCONF_MARKER_APPEND,
	PCTCONF_MARKER_PREPEND,
	PCTCONF_MARKER_REPLACE,
};

enum pctconf_marker_action {
	PCTCONF_MARKER_NONE,   /* leave the file alone */
	PCTCONF_MARKER_WRITE,  /* write *out */
	PCTCONF_MARKER_UNLINK, /* remove the file */
};

/*
 * ct_modify_file (§10.4) as a pure function: `old` is the current content
 * (exists == false for a missing file). Returns the action and, for WRITE,
 * the new content in *out (caller frees) and whether the file permissions
 * should be applied (*apply_perms).
 */
enum pctconf_marker_action pctconf_marker_modify(const char *old, size_t oldlen, bool exists,
						 const char *data, enum pctconf_marker_mode mode,
						 bool delete_if_empty, char **out, size_t *outlen,
						 bool *apply_perms);
/* remove_pve_sections: from the first BEGIN to the last END marker. */
char *pctconf_remove_pve_sections(const char *s, size_t len, size_t *outlen);

/*
 * Inside a container root `rootfd` (an O_PATH/O_DIRECTORY fd), resolve paths
 * as chroot(2) would (absolute symlinks stay inside).
 */
int pctconf_ct_open(int rootfd, const char *path, int flags, mode_t mode);
/*
 * Open path below the directory dirfd, following only symbolic links that stay
 * below it (openat2 RESOLVE_BENEATH): one that leads out, or an absolute
 * path, fails with EXDEV. No O_CREAT.
 */
int pctconf_open_beneath(int dirfd, const char *path, int flags);
/* ct_is_file_ignored: a regular file <dir>/.pve-ignore.<name> exists. */
bool pctconf_ct_file_ignored(int rootfd, const char *path);

/* Read a file inside a container root (at most max bytes). -1 with errno. */
int pctconf_ct_read(int rootfd, const char *path, size_t max, char **out, size_t *len);
/* The value of KEY in os-release text, unquoted as Proxmox does; NULL if absent. */
char *pctconf_os_release_get(const char *text, const char *key);
/*
 * $autodetect_type of PVE::LXC::Setup: os-release ID, aliases, fallback
 * files; warnings (one per line) for an unknown ID or an ostype mismatch.
 */
int pctconf_detect_ostype(int rootfd, const char *conf_ostype, char **ostype,
			  struct strbuf *warnings, struct pct_error **err);
/*
 * The version check of the setup plugin for `ostype` (osversion.c, §10.1
 * step 6): -1 with Proxmox's message when the release is not supported;
 * releases Proxmox only warns about add "WARN: <text>\n" to *warnings.
 */
int pctconf_check_os_version(int rootfd, const char *ostype, struct strbuf *warnings,
			     struct pct_error **err);

#endif

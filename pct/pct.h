/*
 * pct: Proxmox's container command line on Corral's config directory.
 *
 * One file per subcommand (pct/cmd-<name>.c), each exporting one
 * `const struct pct_cmd`; pct.c holds the sorted table, parses arguments the
 * way Proxmox's CLIHandler/Getopt::Long does, validates them against the key
 * table, and is the only place that prints errors and picks exit codes.
 */
#ifndef PCT_H
#define PCT_H

#include <stdbool.h>
#include <stdio.h>

#include "pctconf.h"

enum pct_output_format {
	PCT_OUT_TEXT,
	PCT_OUT_JSON,
	PCT_OUT_JSON_PRETTY,
	PCT_OUT_YAML,
};

/* Command flags. */
enum {
	PCT_CMD_KEY_OPTS = 1 << 0,	/* every config key is an option (--memory, --net0, ...) */
	PCT_CMD_OUTPUT_FORMAT = 1 << 1, /* --output-format text|json|json-pretty|yaml */
	PCT_CMD_NO_VALIDATE = 1 << 2,	/* key options are checked by the command itself */
	PCT_CMD_EXTENSION = 1 << 3,	/* a Corral extension, not in Proxmox's pct */
};

/* One parsed parameter. */
struct pct_param {
	char *name;
	char *value;
	bool is_key; /* a config key (from the key table), not a command option */
};

struct pct_args {
	struct pct_param *v;
	size_t n, alloc;
	char **extra; /* extra-args */
	size_t nextra;
	unsigned vmid; /* the <vmid> positional, when the command has one */
	enum pct_output_format format;
};

struct pct_cmd {
	const char *name;
	/* positional parameter names in order; "extra-args" swallows the rest */
	const char *const *args;
	/* schema of the positional and command options, name == NULL ends */
	const struct pctconf_prop *opts;
	unsigned flags;
	const char *help;
	int (*exec)(struct pct_args *args, struct pct_error **err);
};

extern const struct pct_cmd pct_cmd_clone;
extern const struct pct_cmd pct_cmd_config;
extern const struct pct_cmd pct_cmd_console;
extern const struct pct_cmd pct_cmd_create;
extern const struct pct_cmd pct_cmd_delsnapshot;
extern const struct pct_cmd pct_cmd_destroy;
extern const struct pct_cmd pct_cmd_enter;
extern const struct pct_cmd pct_cmd_exec;
extern const struct pct_cmd pct_cmd_fmt;
extern const struct pct_cmd pct_cmd_help;
extern const struct pct_cmd pct_cmd_lint;
extern const struct pct_cmd pct_cmd_list;
extern const struct pct_cmd pct_cmd_listsnapshot;
extern const struct pct_cmd pct_cmd_pending;
extern const struct pct_cmd pct_cmd_pull;
extern const struct pct_cmd pct_cmd_push;
extern const struct pct_cmd pct_cmd_reboot;
extern const struct pct_cmd pct_cmd_rescan;
extern const struct pct_cmd pct_cmd_resize;
extern const struct pct_cmd pct_cmd_rollback;
extern const struct pct_cmd pct_cmd_set;
extern const struct pct_cmd pct_cmd_shutdown;
extern const struct pct_cmd pct_cmd_snapshot;
extern const struct pct_cmd pct_cmd_start;
extern const struct pct_cmd pct_cmd_status;
extern const struct pct_cmd pct_cmd_stop;
extern const struct pct_cmd pct_cmd_template;
extern const struct pct_cmd pct_cmd_unlock;

extern const struct pct_cmd *const pct_cmds[];

/* Parameter lookups; NULL when not given. */
const char *pct_args_get(const struct pct_args *a, const char *name);
int pct_parse_cmdline(int argc, char **argv, const struct pct_cmd **cmd, struct pct_args *args,
		      struct pct_error **err);
void pct_args_release(struct pct_args *args);
bool pct_args_bool(const struct pct_args *a, const char *name, bool def);
bool pct_args_has_keys(const struct pct_args *a);

/* The shared vmid schema (pve-vmid: 100..999999999), for opts tables. */
#define PCT_PROP_VMID                                                                              \
	{ .name = "vmid", .type = PCTCONF_INT, .format = "pve-vmid",                              \
	  .flags = PCTCONF_HAS_MIN | PCTCONF_HAS_MAX, .min = 100, .max = 999999999,               \
	  .help = "The (unique) ID of the container." }

/*
 * A parameter error as Proxmox's CLI shows it: "400 Parameter verification
 * failed." and one "<key>: <msg>" line each, then the usage line. Build one
 * with pct_param_error_add, raise it with pct_param_error_raise.
 */
struct pct_param_errors {
	struct strbuf text;
	size_t n;
};
void pct_param_error_add(struct pct_param_errors *pe, const char *key, const char *fmt, ...)
	_printf_(3, 4);
int pct_param_error_raise(struct pct_param_errors *pe, struct pct_error **err);
enum {
	PCT_E_USAGE = PCT_E_INTERNAL + 100, /* message already formatted; add the usage line */
};

/* "FILE:LINE: message" for a parse problem (lint: "FILE:LINE: key: detail"). */
void pct_print_diag(FILE *f, const char *path, const struct pctconf_diag *d, bool lint);

/* Print a warning to stderr ("pct: " is not prefixed; Proxmox prints bare warnings). */
void pct_warn(const char *fmt, ...) _printf_(1, 2);
/*
 * The parser's warnings about a CT's config, on stderr in the parser's own
 * text, as Proxmox's parse_pct_config warns whenever a config is loaded.
 * Once per CT and command, however often the command loads the file.
 */
void pct_warn_parse(const struct pctconf *conf);

/* Lock a CT's config for the duration of a command (10 s, "trying to acquire lock..."). */
int pct_lock(unsigned vmid, struct pctconf_lock *lk, struct pct_error **err);
/*
 * Load a CT's config; the error is Proxmox's "Configuration file ... does
 * not exist". Prints the parser's warnings (pct_warn_parse).
 */
int pct_load(unsigned vmid, struct pctconf **out, struct pct_error **err);
/* Save and report whether the bytes changed. */
int pct_save(struct pctconf *conf, struct pct_error **err);

/* Runtime status published by corral-syncd (status.c). */
struct pct_status {
	bool known;	/* a status file exists */
	bool agent;	/* the agent's heartbeat is fresh */
	char *status;	/* running, stopped, starting, stopping, error */
	char *phase;
	char *node;
	char *ip;
	char *error;
	char *digest;
	bool pending_restart;
	bool inplace_resize; /* the cluster can resize a running pod */
	int userns;	     /* the pod has a user namespace of its own: 1, 0; -1 not said */
	char *userns_reason; /* why, in words */
	long long updated;
};
void pct_status_read(unsigned vmid, struct pct_status *st);
void pct_status_release(struct pct_status *st);
bool pct_agent_alive(void);
/* running as far as the agent knows */
bool pct_is_running(unsigned vmid);

/* Output helpers (output.c). */
struct pct_out;
struct pct_out *pct_out_new_object(void);
void pct_out_add_str(struct pct_out *o, const char *key, const char *value);
void pct_out_add_len(struct pct_out *o, const char *key, const char *value, size_t len);
void pct_out_add_num(struct pct_out *o, const char *key, double value);
void pct_out_add_bool(struct pct_out *o, const char *key, bool value);
/* A config value typed by the key table (integers and booleans as numbers). */
void pct_out_add_confval(struct pct_out *o, const char *key, const char *value, size_t len);
/* The same under another name ("value", "pending"), typed by config key `key`. */
void pct_out_add_confval_as(struct pct_out *o, const char *name, const char *key,
			    const char *value, size_t len);
struct pct_out *pct_out_new_array(void);
void pct_out_array_add(struct pct_out *arr, struct pct_out *item);
/* Attach arr (or an object) under key; o takes ownership. */
void pct_out_add_array(struct pct_out *o, const char *key, struct pct_out *arr);
void pct_out_print(struct pct_out *o, enum pct_output_format fmt);
void pct_out_free(struct pct_out *o);

/* corral.conf settings pct needs (settings.c in sync/, read with libconfuse). */
struct corral_settings;
int pct_settings(const struct corral_settings **out, struct pct_error **err);

#endif

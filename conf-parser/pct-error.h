/*
 * Errors as values (crun's libcrun_error_t in the house formatting).
 *
 * A fallible function takes `struct pct_error **err` as its last argument and
 * returns 0/-1 (or a pointer/NULL). On success it leaves *err alone; on
 * failure it sets *err exactly once. Libraries never print.
 */
#ifndef PCT_ERROR_H
#define PCT_ERROR_H

#include <stdbool.h>

#include "pct-util.h"

/* Codes beyond errno values. */
enum {
	PCT_E_BASE = 10000,
	PCT_E_PARAM,	 /* parameter verification failed (HTTP 400 in Proxmox) */
	PCT_E_PARSE,	 /* a file does not parse */
	PCT_E_LOCKED,	 /* the config carries a `lock:` */
	PCT_E_TIMEOUT,	 /* lock or wait timeout */
	PCT_E_EXISTS,	 /* object already exists */
	PCT_E_NOENT,	 /* object does not exist */
	PCT_E_CONFLICT,	 /* digest mismatch, concurrent change */
	PCT_E_INVALID,	 /* a value is invalid */
	PCT_E_REFUSED,	 /* refused by policy (protection, privileged, ...) */
	PCT_E_INTERNAL,
};

struct pct_error {
	int code;
	char *msg;
};

int pct_error_set(struct pct_error **err, int code, const char *fmt, ...) _printf_(3, 4);
/* Like pct_error_set, appending ": strerror(errnum)". */
int pct_error_errno(struct pct_error **err, int errnum, const char *fmt, ...) _printf_(3, 4);
/* Prefix the message: "<ctx>: <old msg>". Returns -1. */
int pct_error_prefix(struct pct_error **err, const char *fmt, ...) _printf_(2, 3);
/* Frees *err and returns true if its code was `code`; false (and leaves it) otherwise. */
bool pct_error_consume(struct pct_error **err, int code);
void pct_error_free(struct pct_error **err);
#define _cleanup_error_ _cleanup_(pct_error_free)

#endif

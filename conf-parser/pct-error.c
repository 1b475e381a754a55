/*
 * struct pct_error: set, prefix, consume, free.
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "pct-error.h"

static int
error_vset(struct pct_error **err, int code, const char *suffix, const char *fmt, va_list ap)
{
	struct pct_error *e;
	char *msg;

	if (!err)
		return -1;
	msg = xvasprintf(fmt, ap);
	if (suffix) {
		char *m = xasprintf("%s: %s", msg, suffix);

		free(msg);
		msg = m;
	}
	if (*err) {
		/* an error is already set: keep the first, it is the cause */
		free(msg);
		return -1;
	}
	e = xmalloc(sizeof(*e));
	e->code = code;
	e->msg = msg;
	*err = e;
	return -1;
}

int
pct_error_set(struct pct_error **err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, code, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int
pct_error_errno(struct pct_error **err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, errnum, strerror(errnum), fmt, ap);
	va_end(ap);
	return -1;
}

int
pct_error_prefix(struct pct_error **err, const char *fmt, ...)
{
	va_list ap;
	char *ctx, *m;

	if (!err || !*err)
		return -1;
	va_start(ap, fmt);
	ctx = xvasprintf(fmt, ap);
	va_end(ap);
	m = xasprintf("%s: %s", ctx, (*err)->msg);
	free(ctx);
	free((*err)->msg);
	(*err)->msg = m;
	return -1;
}

bool
pct_error_consume(struct pct_error **err, int code)
{
	if (!err || !*err || (*err)->code != code)
		return false;
	pct_error_free(err);
	return true;
}

void
pct_error_free(struct pct_error **err)
{
	if (!err || !*err)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

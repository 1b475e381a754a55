/*
 * A tiny TAP producer for the unit tests (crun's style): plan(), ok(),
 * is_str(), is_int(), skip_all(). main() returns exit_status().
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed, tap_planned;

static inline void
plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

static inline void
plan_done(void)
{
	if (!tap_planned)
		printf("1..%d\n", tap_n);
}

static inline int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

static inline void
tap_diag_str(const char *label, const char *s)
{
	printf("#   %s: '", label);
	for (; s && *s; s++) {
		if (*s == '\n')
			printf("\\n'\n#          '");
		else if ((unsigned char)*s < 0x20)
			printf("\\x%02x", (unsigned char)*s);
		else
			putchar(*s);
	}
	printf("'%s\n", s ? "" : " (null)");
}

#define is_str(got, want, ...)                                                                     \
	do {                                                                                       \
		const char *_g = (got), *_w = (want);                                              \
		int _c = (_g && _w) ? strcmp(_g, _w) == 0 : _g == _w;                              \
		if (!ok(_c, __VA_ARGS__)) {                                                        \
			tap_diag_str("got     ", _g);                                              \
			tap_diag_str("expected", _w);                                              \
		}                                                                                  \
	} while (0)

#define is_int(got, want, ...)                                                                     \
	do {                                                                                       \
		long long _g = (long long)(got), _w = (long long)(want);                           \
		if (!ok(_g == _w, __VA_ARGS__))                                                    \
			printf("#   got %lld, expected %lld\n", _g, _w);                               \
	} while (0)

static inline void
skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(0);
}

static inline int
exit_status(void)
{
	plan_done();
	if (tap_planned && tap_planned != tap_n) {
		printf("# planned %d tests but ran %d\n", tap_planned, tap_n);
		return 1;
	}
	return tap_failed ? 1 : 0;
}

#endif

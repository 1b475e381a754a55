/*
 * Small utilities shared by every part of Corral: allocation that aborts on
 * OOM (as crun, tmux and git do), cleanup attributes, and a growable byte
 * buffer. Nothing here prints except the OOM abort.
 */
#ifndef PCT_UTIL_H
#define PCT_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

/* Hand ownership over: returns p and sets the variable to NULL (LXC's move_ptr). */
#define steal_ptr(p)                                                                               \
	({                                                                                         \
		__typeof__(p) _tmp_ = (p);                                                         \
		(p) = NULL;                                                                        \
		_tmp_;                                                                             \
	})
#define steal_fd(fd)                                                                               \
	({                                                                                         \
		int _tmp_ = (fd);                                                                  \
		(fd) = -1;                                                                         \
		_tmp_;                                                                             \
	})

void freep(void *p);
void closep(int *fd);
void fclosep(FILE **f);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow *p (of *alloc elements of size) so that it holds at least need elements. */
void *xgrow(void *p, size_t need, size_t *alloc, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
char *xvasprintf(const char *fmt, va_list ap);

/* A growable byte buffer; buf is always NUL-terminated (git's strbuf, smaller). */
struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};
#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
static inline void
strbuf_addch(struct strbuf *sb, int c)
{
	if (sb->len + 1 >= sb->alloc)
		strbuf_grow(sb, 1);
	sb->buf[sb->len++] = (char)c;
	sb->buf[sb->len] = '\0';
}
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) _printf_(2, 3);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
void strbuf_reset(struct strbuf *sb);
/* Returns the buffer (never NULL, caller frees) and re-initialises sb. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* Multi-line Proxmox messages ("format error\nip: ...") on one line, joined with "; ". */
char *pct_flatten(const char *msg);
void strbuf_release(struct strbuf *sb);
const char *strbuf_str(const struct strbuf *sb);

bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
/* ASCII whitespace as Perl's \s on byte strings: space \t \n \v \f \r. */
static inline bool
pct_isspace(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}
static inline bool
pct_isdigit(unsigned char c)
{
	return c >= '0' && c <= '9';
}
static inline bool
pct_isalpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline bool
pct_isalnum(unsigned char c)
{
	return pct_isalpha(c) || pct_isdigit(c);
}
/* Perl's \w on byte strings: [A-Za-z0-9_]. */
static inline bool
pct_isword(unsigned char c)
{
	return pct_isalnum(c) || c == '_';
}
static inline int
pct_tolower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}
int pct_strcasecmp(const char *a, const char *b);

/* Parse a decimal unsigned number in [min, max]; the whole string must be digits. */
bool pct_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		    unsigned long long *out);

/*
 * A number read from JSON (a double) as an integer in [min, max], truncated;
 * false for NaN, infinities and values out of range, whose conversion would
 * be undefined.
 */
bool pct_double_to_ll(double d, long long min, long long max, long long *out);

/* An environment variable, or def when unset or empty. */
const char *pct_getenv_default(const char *name, const char *def);

/* Write all of buf to fd, retrying on EINTR and short writes; -1 with errno on error. */
int pct_write_all(int fd, const void *buf, size_t len);
/*
 * Read a whole file into a NUL-terminated buffer (*len excludes the NUL).
 * Refuses files larger than max bytes with EFBIG, anything but a regular file
 * with EINVAL (EISDIR for a directory) without blocking on it (a FIFO).
 * -1 with errno on error.
 */
int pct_read_file(const char *path, size_t max, char **out, size_t *len);
/* The same, but a symbolic link as the last component fails with ELOOP. */
int pct_read_file_nofollow(const char *path, size_t max, char **out, size_t *len);
/* The same for an open file (opened with O_NONBLOCK, so a FIFO reads as EINVAL). */
int pct_read_fd(int fd, size_t max, char **out, size_t *len);

/* A printable rendering of bytes for messages: control bytes and NUL as \xNN. */
char *pct_quote_bytes(const char *s, size_t len);

#endif

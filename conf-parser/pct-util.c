/*
 * Allocation, cleanup helpers and the growable buffer.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "pct-util.h"

void
freep(void *p)
{
	free(*(void **)p);
}

void
closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
	*fd = -1;
}

void
fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
	*f = NULL;
}

static void
oom(void)
{
	static const char msg[] = "fatal: out of memory\n";

	(void)!write(2, msg, sizeof(msg) - 1);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom();
	return q;
}

void *
xgrow(void *p, size_t need, size_t *alloc, size_t size)
{
	size_t n;

	if (need <= *alloc)
		return p;
	n = *alloc ? *alloc : 4;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			oom();
		n *= 2;
	}
	if (n > SIZE_MAX / size)
		oom();
	p = xrealloc(p, n * size);
	*alloc = n;
	return p;
}

char *
xstrdup(const char *s)
{
	return xmemdup(s, strlen(s) + 1);
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *
xmemdup(const void *s, size_t n)
{
	void *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;
	int ret;

	ret = vasprintf(&s, fmt, ap);
	if (ret < 0)
		oom();
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void
strbuf_grow(struct strbuf *sb, size_t extra)
{
	bool fresh = !sb->buf;

	if (sb->len + extra + 1 < sb->len)
		oom();
	sb->buf = xgrow(sb->buf, sb->len + extra + 1, &sb->alloc, 1);
	if (fresh)
		sb->buf[0] = '\0';
}

void
strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	strbuf_grow(sb, len);
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void
strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void
strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	strbuf_grow(sb, 64);
	va_copy(cp, ap);
	n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		oom();
	if ((size_t)n >= sb->alloc - sb->len) {
		strbuf_grow(sb, (size_t)n);
		n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
	}
	sb->len += (size_t)n;
}

void
strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

char *
strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *s;

	strbuf_grow(sb, 0);
	s = sb->buf;
	if (len)
		*len = sb->len;
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	return s;
}

void
strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
}

const char *
strbuf_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

bool
str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
str_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

int
pct_strcasecmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	for (;; x++, y++) {
		int cx = pct_tolower(*x), cy = pct_tolower(*y);

		if (cx != cy || !cx)
			return cx - cy;
	}
}

bool
pct_parse_uint(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (!pct_isdigit((unsigned char)*s))
			return false;
		if (v > max / 10 || (v == max / 10 && d > max % 10))
			return false;
		v = v * 10 + d;
	}
	if (v < min)
		return false;
	*out = v;
	return true;
}

bool
pct_double_to_ll(double d, long long min, long long max, long long *out)
{
	long long v;

	/* within long long first (|d| < 2^63), then the range; false for NaN,
	 * as every comparison with it is */
	if (!(d > -9.2e18 && d < 9.2e18))
		return false;
	v = (long long)d;
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

const char *
pct_getenv_default(const char *name, const char *def)
{
	const char *v = getenv(name);

	return (v && *v) ? v : def;
}

int
pct_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
pct_read_fd(int fd, size_t max, char **out, size_t *len)
{
	_cleanup_free_ char *buf = NULL;
	size_t alloc = 0, n = 0;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	if ((unsigned long long)st.st_size > max) {
		errno = EFBIG;
		return -1;
	}
	alloc = (size_t)st.st_size + 1;
	buf = xmalloc(alloc);
	for (;;) {
		ssize_t r;

		if (n + 1 >= alloc) {
			if (alloc > max + 1) {
				errno = EFBIG;
				return -1;
			}
			buf = xgrow(buf, alloc + 4096, &alloc, 1);
		}
		r = read(fd, buf + n, alloc - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			errno = EFBIG;
			return -1;
		}
	}
	buf[n] = '\0';
	*out = steal_ptr(buf);
	*len = n;
	return 0;
}

static int
read_file(const char *path, int flags, size_t max, char **out, size_t *len)
{
	_cleanup_close_ int fd = -1;

	/* O_NONBLOCK: a FIFO in place of the file must not block us in open() */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags);
	if (fd < 0)
		return -1;
	return pct_read_fd(fd, max, out, len);
}

int
pct_read_file(const char *path, size_t max, char **out, size_t *len)
{
	return read_file(path, 0, max, out, len);
}

int
pct_read_file_nofollow(const char *path, size_t max, char **out, size_t *len)
{
	return read_file(path, O_NOFOLLOW, max, out, len);
}

char *
pct_quote_bytes(const char *s, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			strbuf_addf(&sb, "\\x%02X", c);
		else
			strbuf_addch(&sb, c);
	}
	return strbuf_detach(&sb, NULL);
}

char *
pct_flatten(const char *msg)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = msg;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n) {
			if (sb.len)
				strbuf_addstr(&sb, "; ");
			strbuf_add(&sb, p, n);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return strbuf_detach(&sb, NULL);
}

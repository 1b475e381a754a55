/*
 * Description text (§2.4): decode_text = URI-unescape, then decode as Perl's
 * lax "utf8" (malformed sequences become U+FFFD, exactly where Encode puts
 * them); encode_text = percent-encode every byte outside 0x20-0x7E plus '%'
 * and ':', with upper-case hex.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "pctconf.h"

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* UTF8SKIP of Perl on a 64-bit build */
static size_t
utf8_skip(unsigned char c)
{
	if (c < 0xC0)
		return 1;
	if (c < 0xE0)
		return 2;
	if (c < 0xF0)
		return 3;
	if (c < 0xF8)
		return 4;
	if (c < 0xFC)
		return 5;
	if (c < 0xFE)
		return 6;
	if (c == 0xFE)
		return 7;
	return 13;
}

/* OFFUNISKIP: bytes Perl needs to encode uv */
static size_t
uni_skip(uint64_t uv)
{
	if (uv < 0x80)
		return 1;
	if (uv < 0x800)
		return 2;
	if (uv < 0x10000)
		return 3;
	if (uv < 0x200000)
		return 4;
	if (uv < 0x4000000)
		return 5;
	if (uv < 0x80000000)
		return 6;
	if (uv < ((uint64_t)1 << 36))
		return 7;
	return 13;
}

static bool
is_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/*
 * Encode's lax "utf8" decoder as Proxmox runs it (Perl >= 5.30, where
 * Encode uses the core's is_utf8_string_loc_flags and utf8n_to_uvchr):
 * a well-formed character -- any Perl-extended form up to 13 bytes, so
 * surrogates, non-characters and code points above U+10FFFF included, as
 * long as it is not overlong and not above IV_MAX -- is copied; anything
 * else becomes ONE U+FFFD for the whole sequence the core looked at: a
 * lone continuation byte is one byte, a start byte takes the continuation
 * bytes that follow it, up to its expected length or the first
 * non-continuation byte or the end of the text.
 */
static void
perl_utf8_decode(const unsigned char *s, size_t len, struct strbuf *out)
{
	static const char fffd[] = "\xEF\xBF\xBD";
	const unsigned char *e = s + len;

	while (s < e) {
		size_t expect, avail, n;
		uint64_t uv;
		bool overflow = false;

		if (*s < 0x80) {
			strbuf_addch(out, *s++);
			continue;
		}
		if (is_cont(*s)) {
			strbuf_add(out, fffd, 3);
			s++;
			continue;
		}
		expect = utf8_skip(*s);
		avail = (size_t)(e - s) < expect ? (size_t)(e - s) : expect;
		uv = expect >= 7 ? 0 : (*s & (0x1F >> (expect - 2)));
		for (n = 1; n < avail && is_cont(s[n]); n++) {
			if (uv & ((uint64_t)0x3F << 58))
				overflow = true;
			uv = (uv << 6) | (s[n] & 0x3F);
		}
		/* complete, not overlong, not above IV_MAX */
		if (n == expect && !overflow && uv <= INT64_MAX && uni_skip(uv) == expect) {
			strbuf_add(out, s, n);
		} else {
			strbuf_add(out, fffd, 3);
		}
		s += n;
	}
}

char *
pctconf_decode_text(const char *s, size_t len, size_t *outlen)
{
	struct strbuf raw = STRBUF_INIT, out = STRBUF_INIT;
	size_t i;

	/* Plain ASCII without escapes, the usual case, decodes to itself. */
	for (i = 0; i < len && s[i] != '%' && !(s[i] & 0x80); i++)
		;
	if (i == len) {
		if (outlen)
			*outlen = len;
		return xstrndup(s, len);
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    hexval((unsigned char)s[i + 1]) >= 0 && hexval((unsigned char)s[i + 2]) >= 0) {
			strbuf_addch(&raw, hexval((unsigned char)s[i + 1]) * 16 +
						   hexval((unsigned char)s[i + 2]));
			i += 2;
		} else {
			strbuf_addch(&raw, s[i]);
		}
	}
	perl_utf8_decode((const unsigned char *)strbuf_str(&raw), raw.len, &out);
	strbuf_release(&raw);
	return strbuf_detach(&out, outlen);
}

void
pctconf_encode_text(const char *s, size_t len, struct strbuf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3] = { '%', hex[c >> 4], hex[c & 15] };

		if (c >= 0x20 && c <= 0x7E && c != '%' && c != ':')
			continue;
		strbuf_add(out, s + run, i - run);
		strbuf_add(out, esc, 3);
		run = i + 1;
	}
	strbuf_add(out, s + run, len - run);
}

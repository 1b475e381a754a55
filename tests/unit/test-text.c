/*
 * Description text (§2.4): decode_text = URI-unescape + Encode's lax "utf8"
 * decode (malformed input becomes U+FFFD); encode_text = percent-encode all
 * bytes outside 0x20-0x7E plus '%' and ':', upper-case hex.
 *
 * The U+FFFD cases follow what Encode does on the Perl versions Proxmox ships
 * (5.36, 5.40): one U+FFFD per malformed sequence, where a sequence is a lone
 * continuation byte, or a start byte with the continuation bytes that follow
 * it up to its expected length. Every case below has an ASCII byte (or the
 * end) after a malformed sequence; see tests/fixtures/conf/README.md for the
 * one Perl 5.36 fast-path artefact we do not copy.
 */
#include "config.h"

#include <string.h>

#include "pctconf.h"
#include "tap.h"

#define FFFD "\xEF\xBF\xBD"

/* decode s (len bytes), compare with want (wantlen bytes) */
static void
check_decode(const char *s, size_t len, const char *want, size_t wantlen, const char *name)
{
	size_t outlen;
	char *out = pctconf_decode_text(s, len, &outlen);
	int same = outlen == wantlen && memcmp(out, want, wantlen) == 0;

	if (!ok(same, "decode: %s", name)) {
		struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

		pctconf_encode_text(out, outlen, &a);
		pctconf_encode_text(want, wantlen, &b);
		tap_diag_str("got     ", strbuf_str(&a));
		tap_diag_str("expected", strbuf_str(&b));
		strbuf_release(&a);
		strbuf_release(&b);
	}
	free(out);
}

#define DEC(in, want, name) check_decode(in, sizeof(in) - 1, want, sizeof(want) - 1, name)

static void
check_encode(const char *s, size_t len, const char *want, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	pctconf_encode_text(s, len, &sb);
	is_str(strbuf_str(&sb), want, "encode: %s", name);
	strbuf_release(&sb);
}

#define ENC(in, want, name) check_encode(in, sizeof(in) - 1, want, name)

static void
percent_escapes(void)
{
	DEC("plain text", "plain text", "plain ASCII unchanged");
	DEC("Contact%3A %C3%A9 100%25", "Contact: \xC3\xA9 100%", "upper-case escapes");
	DEC("%c3%a9%3a", "\xC3\xA9:", "lower-case hex is an escape too");
	DEC("%zz%4 %", "%zz%4 %", "%zz, a trailing %4 and a lone % stay literal");
	DEC("%%41", "%A", "%% then %41: the first % is literal");
	DEC("%2541", "%41", "one level of unescaping only");
	DEC("%0A%0D%09", "\n\r\t", "control characters");
	DEC("%00x", "\0x", "%00 gives a NUL character");
	DEC("Caf\xC3\xA9", "Caf\xC3\xA9", "unescaped UTF-8 is decoded too");
	DEC("", "", "empty");
}

static void
malformed_utf8(void)
{
	/* lone continuation bytes: one U+FFFD each */
	DEC("\x80", FFFD, "a lone continuation byte");
	DEC("\x80\xBF" "A", FFFD FFFD "A", "two continuation bytes: two U+FFFD");
	DEC("a\xA9z", "a" FFFD "z", "a continuation byte between letters");
	/* truncated sequences: one U+FFFD for the whole start */
	DEC("\xC3", FFFD, "a 2-byte start at the end");
	DEC("\xC3" "A", FFFD "A", "a 2-byte start before ASCII");
	DEC("\xE2\x82", FFFD, "a 3-byte sequence cut by the end: one U+FFFD");
	DEC("%E2%82 truncated", FFFD " truncated", "a 3-byte sequence cut by a space: one U+FFFD");
	DEC("\xF0\x9F\x90" "A", FFFD "A", "a 4-byte sequence missing one byte");
	DEC("\xF5\x80", FFFD, "F5 80: a short Perl-extended start");
	/* overlongs: one U+FFFD for the whole sequence */
	DEC("\xC0\xAF", FFFD, "C0 AF: overlong '/'");
	DEC("\xC1\xBF", FFFD, "C1 BF: overlong DEL");
	DEC("\xE0\x80\xAF", FFFD, "E0 80 AF: 3-byte overlong");
	DEC("\xE0\x9F\xBF", FFFD, "E0 9F BF: largest 3-byte overlong");
	DEC("\xF0\x8F\xBF\xBF", FFFD, "F0 8F BF BF: 4-byte overlong");
	DEC("\xF8\x80\x80\x80\x80", FFFD, "F8 80 80 80 80: 5-byte overlong");
	DEC("\xFE\x80\x80\x80\x80\x80\x80", FFFD, "FE + six 80: 7-byte overlong");
	DEC("\xFE\x81\xBF\xBF\xBF\xBF\xBF", FFFD, "FE 81 BF..: largest 7-byte overlong");
	DEC("\xFF\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80", FFFD,
	    "FF + twelve 80: 13-byte overlong");
	DEC("\xE0\x80", FFFD, "E0 80 at the end: short and overlong, one U+FFFD");
	/* kept by the lax decoder */
	DEC("\xE0\xA0\x80", "\xE0\xA0\x80", "E0 A0 80: U+0800, the smallest 3-byte form");
	DEC("\xED\xA0\x80", "\xED\xA0\x80", "a surrogate (U+D800) is kept");
	DEC("\xED\xBF\xBF", "\xED\xBF\xBF", "a surrogate (U+DFFF) is kept");
	DEC("\xEF\xBF\xBF", "\xEF\xBF\xBF", "the non-character U+FFFF is kept");
	DEC("\xF4\x90\x80\x80", "\xF4\x90\x80\x80", "U+110000 (above Unicode) is kept");
	DEC("\xF7\xBF\xBF\xBF", "\xF7\xBF\xBF\xBF", "the largest 4-byte form is kept");
	DEC("\xF8\x88\x80\x80\x80", "\xF8\x88\x80\x80\x80", "a 5-byte form (0x200000) is kept");
	DEC("\xFC\x84\x80\x80\x80\x80", "\xFC\x84\x80\x80\x80\x80",
	    "a 6-byte form (0x4000000) is kept");
	DEC("\xFE\x82\x80\x80\x80\x80\x80", "\xFE\x82\x80\x80\x80\x80\x80",
	    "FE form of 2^31 is kept");
	DEC("\xFF\x80\x80\x80\x80\x80\x81\x80\x80\x80\x80\x80\x80",
	    "\xFF\x80\x80\x80\x80\x80\x81\x80\x80\x80\x80\x80\x80", "FF form of 2^36 is kept");
	DEC("\xFF\x80\x87\xBF\xBF\xBF\xBF\xBF\xBF\xBF\xBF\xBF\xBF",
	    "\xFF\x80\x87\xBF\xBF\xBF\xBF\xBF\xBF\xBF\xBF\xBF\xBF", "FF form of IV_MAX is kept");
	/* beyond IV_MAX and other FE/FF errors */
	DEC("\xFF\x80\x88\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80", FFFD,
	    "FF form of 2^63 (above IV_MAX): one U+FFFD");
	DEC("\xFF\x81\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80", FFFD,
	    "FF form that overflows 64 bits: one U+FFFD");
	DEC("\xFF", FFFD, "FF alone");
	DEC("\xFE\x80", FFFD, "FE 80 at the end: one U+FFFD");
	DEC("\xFF\x80\x80" "A", FFFD "A", "FF 80 80 before ASCII: one U+FFFD");
	DEC("\xFE\x82\x80\x80\x80\x80" "A", FFFD "A", "a 7-byte form missing its last byte");
	/* mixtures */
	DEC("x\xC3\xA9\x80y\xE2\x82\xACz", "x\xC3\xA9" FFFD "y\xE2\x82\xACz",
	    "valid, stray, valid characters");
	DEC("%C3%28", FFFD "(", "escaped bytes are decoded the same way");
}

static void
encoding(void)
{
	char all[256];
	struct strbuf sb = STRBUF_INIT;
	size_t i, literal = 0;

	ENC("Contact: \xC3\xA9 100%", "Contact%3A %C3%A9 100%25", "the spec's example");
	ENC(" !\"#$&'()*+,-./09;<=>?@AZ[\\]^_`az{|}~", " !\"#$&'()*+,-./09;<=>?@AZ[\\]^_`az{|}~",
	    "printable ASCII except % and : stays");
	ENC("%:", "%25%3A", "% and : are escaped");
	ENC("\t\r\n\x01\x1F\x7F", "%09%0D%0A%01%1F%7F", "control characters and DEL");
	ENC("\xE2\x82\xAC", "%E2%82%AC", "UTF-8 bytes, upper-case hex");
	ENC("\xEF\xBF\xBD", "%EF%BF%BD", "U+FFFD");
	check_encode("a\0b", 3, "a%00b", "NUL");
	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	pctconf_encode_text(all, 256, &sb);
	for (i = 0x20; i <= 0x7E; i++)
		if (i != '%' && i != ':')
			literal++;
	is_int(sb.len, literal + (256 - literal) * 3, "every byte: 93 literal, 163 escaped");
	strbuf_release(&sb);
}

static void
round_trip(void)
{
	static const char *const texts[] = {
		"a line", "Contact: \xC3\xA9 100%", "tab\there", "cr\rhere", "%41 is not A",
		"\xF0\x9F\x90\xB3 whale", "\xED\xA0\x80 surrogate",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		struct strbuf enc = STRBUF_INIT;
		size_t outlen;
		char *dec;

		pctconf_encode_text(texts[i], strlen(texts[i]), &enc);
		dec = pctconf_decode_text(enc.buf, enc.len, &outlen);
		ok(outlen == strlen(texts[i]) && !memcmp(dec, texts[i], outlen),
		   "decode(encode(x)) == x for '%s'", enc.buf);
		free(dec);
		strbuf_release(&enc);
	}
}

int
main(void)
{
	percent_escapes();
	malformed_utf8();
	encoding();
	round_trip();
	return exit_status();
}

/*
 * SHA-1 (FIPS 180-4), for Proxmox's config digest: sha1_hex of the raw file.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "pctconf.h"

struct sha1 {
	uint32_t h[5];
};

static uint32_t
rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

#define SHA1_ROUND(a, b, c, d, e, f, k, w)                                                         \
	do {                                                                                       \
		e += rol(a, 5) + (f) + (k) + (w);                                                  \
		b = rol(b, 30);                                                                    \
	} while (0)

/* The 80 rounds unrolled by fives, the message schedule in a 16-word ring. */
static void
sha1_block(struct sha1 *ctx, const unsigned char *p)
{
	uint32_t w[16], a = ctx->h[0], b = ctx->h[1], c = ctx->h[2], d = ctx->h[3], e = ctx->h[4];
	int i;

#define W(i) (w[(i)&15] = rol(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ w[((i) + 2) & 15] ^ w[(i)&15], 1))
	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 0; i < 20; i += 5) {
		SHA1_ROUND(a, b, c, d, e, (d ^ (b & (c ^ d))), 0x5A827999, i < 16 ? w[i] : W(i));
		SHA1_ROUND(e, a, b, c, d, (c ^ (a & (b ^ c))), 0x5A827999, i + 1 < 16 ? w[i + 1] : W(i + 1));
		SHA1_ROUND(d, e, a, b, c, (b ^ (e & (a ^ b))), 0x5A827999, i + 2 < 16 ? w[i + 2] : W(i + 2));
		SHA1_ROUND(c, d, e, a, b, (a ^ (d & (e ^ a))), 0x5A827999, i + 3 < 16 ? w[i + 3] : W(i + 3));
		SHA1_ROUND(b, c, d, e, a, (e ^ (c & (d ^ e))), 0x5A827999, i + 4 < 16 ? w[i + 4] : W(i + 4));
	}
	for (; i < 40; i += 5) {
		SHA1_ROUND(a, b, c, d, e, (b ^ c ^ d), 0x6ED9EBA1, W(i));
		SHA1_ROUND(e, a, b, c, d, (a ^ b ^ c), 0x6ED9EBA1, W(i + 1));
		SHA1_ROUND(d, e, a, b, c, (e ^ a ^ b), 0x6ED9EBA1, W(i + 2));
		SHA1_ROUND(c, d, e, a, b, (d ^ e ^ a), 0x6ED9EBA1, W(i + 3));
		SHA1_ROUND(b, c, d, e, a, (c ^ d ^ e), 0x6ED9EBA1, W(i + 4));
	}
	for (; i < 60; i += 5) {
		SHA1_ROUND(a, b, c, d, e, ((b & c) | (d & (b | c))), 0x8F1BBCDC, W(i));
		SHA1_ROUND(e, a, b, c, d, ((a & b) | (c & (a | b))), 0x8F1BBCDC, W(i + 1));
		SHA1_ROUND(d, e, a, b, c, ((e & a) | (b & (e | a))), 0x8F1BBCDC, W(i + 2));
		SHA1_ROUND(c, d, e, a, b, ((d & e) | (a & (d | e))), 0x8F1BBCDC, W(i + 3));
		SHA1_ROUND(b, c, d, e, a, ((c & d) | (e & (c | d))), 0x8F1BBCDC, W(i + 4));
	}
	for (; i < 80; i += 5) {
		SHA1_ROUND(a, b, c, d, e, (b ^ c ^ d), 0xCA62C1D6, W(i));
		SHA1_ROUND(e, a, b, c, d, (a ^ b ^ c), 0xCA62C1D6, W(i + 1));
		SHA1_ROUND(d, e, a, b, c, (e ^ a ^ b), 0xCA62C1D6, W(i + 2));
		SHA1_ROUND(c, d, e, a, b, (d ^ e ^ a), 0xCA62C1D6, W(i + 3));
		SHA1_ROUND(b, c, d, e, a, (c ^ d ^ e), 0xCA62C1D6, W(i + 4));
	}
#undef W
	ctx->h[0] += a;
	ctx->h[1] += b;
	ctx->h[2] += c;
	ctx->h[3] += d;
	ctx->h[4] += e;
}

void
pctconf_sha1_hex(const void *data, size_t len, char out[41])
{
	static const char hex[] = "0123456789abcdef";
	struct sha1 c = { { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0 } };
	const unsigned char *p = data;
	unsigned char tail[128];
	uint64_t bits = (uint64_t)len * 8;
	size_t total, i;

	while (len >= 64) {
		sha1_block(&c, p);
		p += 64;
		len -= 64;
	}
	/* the rest, 0x80, zeros, and the bit length in the last 8 bytes */
	memset(tail, 0, sizeof(tail));
	memcpy(tail, p, len);
	tail[len] = 0x80;
	total = len < 56 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[total - 8 + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha1_block(&c, tail);
	if (total == 128)
		sha1_block(&c, tail + 64);
	for (i = 0; i < 20; i++) {
		unsigned char byte = (unsigned char)(c.h[i / 4] >> (24 - 8 * (i % 4)));

		out[2 * i] = hex[byte >> 4];
		out[2 * i + 1] = hex[byte & 15];
	}
	out[40] = '\0';
}

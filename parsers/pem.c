/* SPDX-License-Identifier: MIT */
/*
 * PEM (RFC 7468) certificate blocks: find each "-----BEGIN CERTIFICATE-----"
 * block in a text buffer and decode its base64 body into caller memory.
 * Lenient about whitespace inside the body (any ASCII space or control),
 * strict about everything else, so a damaged file is reported, not guessed.
 */
#include <string.h>

#include "parsers/x509.h"

static const char pem_begin[] = "-----BEGIN CERTIFICATE-----";
static const char pem_end[] = "-----END CERTIFICATE-----";

static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long x509_pem_next(const char *text, size_t len, size_t *pos, uint8_t *out, size_t cap)
{
	const char *b, *e, *p;
	size_t o = 0;
	uint32_t acc = 0;
	int nacc = 0, pad = 0;

	if (*pos >= len)
		return 0;
	b = memmem(text + *pos, len - *pos, pem_begin, sizeof(pem_begin) - 1);
	if (!b) {
		*pos = len;
		return 0;
	}
	p = b + sizeof(pem_begin) - 1;
	e = memmem(p, len - (size_t)(p - text), pem_end, sizeof(pem_end) - 1);
	if (!e) {
		*pos = len;
		return X509_PEM_E_BASE64;
	}
	*pos = (size_t)(e - text) + sizeof(pem_end) - 1;
	for (; p < e; p++) {
		unsigned char c = (unsigned char)*p;
		int v;

		if (c <= ' ')
			continue;
		if (c == '\\' && p + 1 < e && (p[1] == 'n' || p[1] == 'r')) {
			p++; /* "\n" escapes of PEM embedded in JSON */
			continue;
		}
		if (c == '=') {
			pad++;
			continue;
		}
		v = b64_val(c);
		if (v < 0 || pad)
			return X509_PEM_E_BASE64;
		acc = acc << 6 | (uint32_t)v;
		if (++nacc == 4) {
			if (o + 3 > cap)
				return X509_PEM_E_TOO_LARGE;
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			nacc = 0;
			acc = 0;
		}
	}
	if (nacc == 1 || pad > 2 || (nacc && nacc + pad != 4) || (!nacc && pad))
		return X509_PEM_E_BASE64;
	if (nacc) {
		if (o + (size_t)nacc - 1 > cap)
			return X509_PEM_E_TOO_LARGE;
		acc <<= 6 * (4 - nacc);
		out[o++] = (uint8_t)(acc >> 16);
		if (nacc == 3)
			out[o++] = (uint8_t)(acc >> 8);
	}
	return (long)o;
}

bool x509_is_pem(const char *text, size_t len)
{
	return memmem(text, len, pem_begin, sizeof(pem_begin) - 1) != NULL;
}

/* SPDX-License-Identifier: MIT */
/*
 * Template ClientHello for the fast path. The template is built once; per
 * connection only the 32-byte random, the server_name extension and the
 * four length fields that enclose it change, so building a hello is two
 * memcpys and a few stores.
 *
 * It offers TLS 1.0 to 1.2 (record version 0x0301, client_version 0x0303,
 * no supported_versions extension, so no TLS 1.3 server can pick 1.3) with
 * a browser-like list: ECDHE-ECDSA/RSA AES-GCM and ChaCha20, CBC suites for
 * old servers, and the extensions a browser of the TLS 1.2 era sends:
 * server_name (first), extended_master_secret, renegotiation_info,
 * supported_groups, ec_point_formats, session_ticket, ALPN h2/http/1.1,
 * status_request, signature_algorithms. The session id is empty.
 */
#include "parsers/tls.h"

#include <string.h>

static const uint16_t hello_ciphers[] = {
	0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, /* ECDHE AEAD */
	0xc009, 0xc013, 0xc00a, 0xc014,			/* ECDHE CBC */
	0x009e, 0x009f, 0x0033, 0x0039,			/* DHE */
	0x009c, 0x009d, 0x002f, 0x0035, 0x000a,		/* RSA key transport */
};

static const uint16_t hello_groups[] = {0x001d, 0x0017, 0x0018, 0x0019};

static const uint16_t hello_sigalgs[] = {
	0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
	0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0203, 0x0201,
};

struct wbuf {
	uint8_t *p;
	size_t len, cap;
};

static void put8(struct wbuf *b, unsigned v)
{
	if (b->len < b->cap)
		b->p[b->len] = (uint8_t)v;
	b->len++;
}

static void put16(struct wbuf *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v & 0xff);
}

static void put_bytes(struct wbuf *b, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(b, ((const uint8_t *)p)[i]);
}

void tls_hello_tmpl_init(struct tls_hello_tmpl *t)
{
	struct wbuf b = {t->pre, 0, sizeof(t->pre)};
	size_t i;

	memset(t, 0, sizeof(*t));
	put8(&b, 0x16); /* handshake record */
	put16(&b, 0x0301);
	put16(&b, 0);	/* record length, offset 3 */
	put8(&b, 0x01); /* ClientHello */
	put8(&b, 0);	/* handshake length (3 bytes), offset 6 */
	put16(&b, 0);
	put16(&b, 0x0303);
	for (i = 0; i < 32; i++) /* random, offset 11 */
		put8(&b, 0);
	put8(&b, 0); /* session id */
	put16(&b, sizeof(hello_ciphers));
	for (i = 0; i < sizeof(hello_ciphers) / 2; i++)
		put16(&b, hello_ciphers[i]);
	put8(&b, 1); /* compression: null */
	put8(&b, 0);
	put16(&b, 0); /* extensions length, at pre_len - 2 */
	t->pre_len = (uint16_t)b.len;

	b = (struct wbuf){t->post, 0, sizeof(t->post)};
	put16(&b, 0x0017); /* extended_master_secret */
	put16(&b, 0);
	put16(&b, 0xff01); /* renegotiation_info */
	put16(&b, 1);
	put8(&b, 0);
	put16(&b, 0x000a); /* supported_groups */
	put16(&b, 2 + sizeof(hello_groups));
	put16(&b, sizeof(hello_groups));
	for (i = 0; i < sizeof(hello_groups) / 2; i++)
		put16(&b, hello_groups[i]);
	put16(&b, 0x000b); /* ec_point_formats: uncompressed */
	put16(&b, 2);
	put8(&b, 1);
	put8(&b, 0);
	put16(&b, 0x0023); /* session_ticket */
	put16(&b, 0);
	put16(&b, 0x0010); /* ALPN */
	put16(&b, 2 + 3 + 9);
	put16(&b, 3 + 9);
	put8(&b, 2);
	put_bytes(&b, "h2", 2);
	put8(&b, 8);
	put_bytes(&b, "http/1.1", 8);
	put16(&b, 0x0005); /* status_request (OCSP) */
	put16(&b, 5);
	put8(&b, 1);
	put16(&b, 0);
	put16(&b, 0);
	put16(&b, 0x000d); /* signature_algorithms */
	put16(&b, 2 + sizeof(hello_sigalgs));
	put16(&b, sizeof(hello_sigalgs));
	for (i = 0; i < sizeof(hello_sigalgs) / 2; i++)
		put16(&b, hello_sigalgs[i]);
	t->post_len = (uint16_t)b.len;
}

size_t tls_hello_build(const struct tls_hello_tmpl *t, const char *sni, size_t sni_len,
		       const uint8_t random[32], uint8_t *out, size_t cap)
{
	size_t sni_ext = 0, total, ext_len;
	uint8_t *p;

	if (!sni)
		sni_len = 0;
	if (sni_len > 255)
		return 0;
	if (sni_len)
		sni_ext = 4 + 2 + 1 + 2 + sni_len;
	total = (size_t)t->pre_len + sni_ext + t->post_len;
	if (total > cap || total > TLS_HELLO_MAX)
		return 0;
	memcpy(out, t->pre, t->pre_len);
	p = out + t->pre_len;
	if (sni_len) {
		p[0] = 0;
		p[1] = 0;
		p[2] = (uint8_t)((sni_len + 5) >> 8);
		p[3] = (uint8_t)(sni_len + 5);
		p[4] = (uint8_t)((sni_len + 3) >> 8);
		p[5] = (uint8_t)(sni_len + 3);
		p[6] = 0; /* host_name */
		p[7] = 0;
		p[8] = (uint8_t)sni_len;
		memcpy(p + 9, sni, sni_len);
		p += sni_ext;
	}
	memcpy(p, t->post, t->post_len);
	memcpy(out + 11, random, 32);
	out[3] = (uint8_t)((total - 5) >> 8);
	out[4] = (uint8_t)(total - 5);
	out[6] = 0;
	out[7] = (uint8_t)((total - 9) >> 8);
	out[8] = (uint8_t)(total - 9);
	ext_len = sni_ext + t->post_len;
	out[t->pre_len - 2] = (uint8_t)(ext_len >> 8);
	out[t->pre_len - 1] = (uint8_t)ext_len;
	return total;
}

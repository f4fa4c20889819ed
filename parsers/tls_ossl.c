/* SPDX-License-Identifier: MIT */
/*
 * Full path: OpenSSL drives the handshake over memory BIOs, so it runs over
 * the userspace TCP like the fast path. It offers TLS 1.0 to 1.3 at
 * security level 0 (we want whatever the host presents, weak or not) and
 * does not verify (verification is done separately, on the chain as
 * presented). The chain is taken as soon as OpenSSL has processed the
 * Certificate message, decrypted in TLS 1.3, and re-encoded with i2d_X509,
 * which returns the DER exactly as received (OpenSSL keeps the original
 * encoding of a parsed certificate).
 *
 * Everything the client writes is appended to one growing buffer: that is
 * the TCP send stream, read again on retransmission.
 */
#include "parsers/tls.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

struct tls_ossl_ctx {
	SSL_CTX *ctx;
};

struct tls_ossl {
	SSL *ssl;
	BIO *rbio, *wbio; /* owned by ssl */
	uint8_t *out;
	size_t out_len, out_cap;
	uint32_t bytes_in;
	uint8_t first_byte;
	int status;
	bool alert;
	uint8_t alert_level, alert_desc;
	size_t nchain;
	uint8_t **ders;
	size_t *lens;
};

struct tls_ossl_ctx *tls_ossl_ctx_new(void)
{
	struct tls_ossl_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx) {
		free(c);
		return NULL;
	}
	SSL_CTX_set_security_level(c->ctx, 0);
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_VERSION);
	SSL_CTX_set_max_proto_version(c->ctx, TLS1_3_VERSION);
	SSL_CTX_set_cipher_list(c->ctx, "ALL:@SECLEVEL=0");
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_options(c->ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
	return c;
}

void tls_ossl_ctx_free(struct tls_ossl_ctx *c)
{
	if (!c)
		return;
	SSL_CTX_free(c->ctx);
	free(c);
}

static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len,
		   SSL *ssl, void *arg)
{
	struct tls_ossl *s = arg;
	(void)version;
	(void)ssl;
	if (!write_p && content_type == SSL3_RT_ALERT && len >= 2 && !s->alert) {
		const uint8_t *b = buf;
		s->alert = true;
		s->alert_level = b[0];
		s->alert_desc = b[1];
	}
}

struct tls_ossl *tls_ossl_new(struct tls_ossl_ctx *c, const char *sni)
{
	struct tls_ossl *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ssl = SSL_new(c->ctx);
	s->rbio = BIO_new(BIO_s_mem());
	s->wbio = BIO_new(BIO_s_mem());
	if (!s->ssl || !s->rbio || !s->wbio) {
		BIO_free(s->rbio);
		BIO_free(s->wbio);
		SSL_free(s->ssl);
		free(s);
		return NULL;
	}
	BIO_set_mem_eof_return(s->rbio, -1); /* empty: "retry", not EOF */
	SSL_set_bio(s->ssl, s->rbio, s->wbio);
	SSL_set_connect_state(s->ssl);
	if (sni && *sni)
		SSL_set_tlsext_host_name(s->ssl, sni);
	SSL_set_msg_callback(s->ssl, msg_cb);
	SSL_set_msg_callback_arg(s->ssl, s);
	return s;
}

static void free_chain(struct tls_ossl *s)
{
	for (size_t i = 0; i < s->nchain; i++)
		OPENSSL_free(s->ders[i]);
	free(s->ders);
	free(s->lens);
	s->ders = NULL;
	s->lens = NULL;
	s->nchain = 0;
}

void tls_ossl_free(struct tls_ossl *s)
{
	if (!s)
		return;
	free_chain(s);
	SSL_free(s->ssl); /* frees both BIOs */
	free(s->out);
	free(s);
}

int tls_ossl_feed(struct tls_ossl *s, const uint8_t *p, size_t len)
{
	if (len == 0)
		return 0;
	if (s->bytes_in == 0)
		s->first_byte = p[0];
	s->bytes_in += (uint32_t)len;
	return BIO_write(s->rbio, p, (int)len) == (int)len ? 0 : -1;
}

static int drain_out(struct tls_ossl *s)
{
	int pending;
	while ((pending = (int)BIO_ctrl_pending(s->wbio)) > 0) {
		if (s->out_len + (size_t)pending > s->out_cap) {
			size_t cap = s->out_cap ? s->out_cap * 2 : 2048;
			while (cap < s->out_len + (size_t)pending)
				cap *= 2;
			uint8_t *n = realloc(s->out, cap);
			if (!n)
				return -1;
			s->out = n;
			s->out_cap = cap;
		}
		int r = BIO_read(s->wbio, s->out + s->out_len, pending);
		if (r <= 0)
			break;
		s->out_len += (size_t)r;
	}
	return 0;
}

static int take_chain(struct tls_ossl *s)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(s->ssl);
	int n = chain ? sk_X509_num(chain) : 0;
	if (n <= 0)
		return TLS_ST_NO_CERT;
	if (n > TLS_MAX_CERTS)
		n = TLS_MAX_CERTS;
	s->ders = calloc((size_t)n, sizeof(*s->ders));
	s->lens = calloc((size_t)n, sizeof(*s->lens));
	if (!s->ders || !s->lens)
		return TLS_ST_PROTOCOL;
	for (int i = 0; i < n; i++) {
		unsigned char *der = NULL;
		int len = i2d_X509(sk_X509_value(chain, i), &der);
		if (len <= 0)
			return TLS_ST_PROTOCOL;
		s->ders[i] = der;
		s->lens[i] = (size_t)len;
		s->nchain = (size_t)i + 1;
	}
	return TLS_ST_CERT;
}

int tls_ossl_step(struct tls_ossl *s)
{
	if (s->status != TLS_ST_MORE)
		return s->status;
	ERR_clear_error();
	int r = SSL_connect(s->ssl);
	int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(s->ssl, r);
	if (drain_out(s) < 0)
		return s->status = TLS_ST_PROTOCOL;
	if (SSL_get0_peer_certificate(s->ssl))
		return s->status = take_chain(s);
	if (s->alert)
		return s->status = TLS_ST_ALERT;
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
		return TLS_ST_MORE;
	if (r == 1)
		return s->status = TLS_ST_NO_CERT;
	ERR_clear_error();
	if (s->bytes_in && s->first_byte != 0x16 && s->first_byte != 0x15)
		return s->status = TLS_ST_NOT_TLS;
	return s->status = TLS_ST_PROTOCOL;
}

const uint8_t *tls_ossl_out(const struct tls_ossl *s, size_t *len)
{
	*len = s->out_len;
	return s->out;
}

size_t tls_ossl_chain(const struct tls_ossl *s, const uint8_t *const **ders, const size_t **lens)
{
	*ders = (const uint8_t *const *)s->ders;
	*lens = s->lens;
	return s->nchain;
}

static uint16_t group_id(int nid)
{
	switch (nid) {
	case NID_X9_62_prime256v1:
		return 23;
	case NID_secp384r1:
		return 24;
	case NID_secp521r1:
		return 25;
	case NID_X25519:
		return 29;
	case NID_X448:
		return 30;
	case NID_ffdhe2048:
		return 256;
	case NID_ffdhe3072:
		return 257;
	case NID_ffdhe4096:
		return 258;
	case NID_ffdhe6144:
		return 259;
	case NID_ffdhe8192:
		return 260;
	default:
		return 0;
	}
}

void tls_ossl_facts(const struct tls_ossl *s, struct tls_flight *f)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(s->ssl);
	memset(f, 0, sizeof(*f));
	f->version = (uint16_t)SSL_version(s->ssl);
	if (!c)
		c = SSL_SESSION_get0_cipher(SSL_get_session(s->ssl));
	if (c)
		f->cipher = SSL_CIPHER_get_protocol_id(c);
	int g = (int)SSL_get_negotiated_group(s->ssl);
	if (g > 0 && !(g & TLSEXT_nid_unknown))
		f->group = group_id(g);
	else if (g & TLSEXT_nid_unknown)
		f->group = (uint16_t)(g & 0xffff);
	f->alert = s->alert;
	f->alert_level = s->alert_level;
	f->alert_desc = s->alert_desc;
	f->ncerts = (uint8_t)s->nchain;
	f->server_hello = f->cipher != 0;
}

uint32_t tls_ossl_bytes_in(const struct tls_ossl *s)
{
	return s->bytes_in;
}

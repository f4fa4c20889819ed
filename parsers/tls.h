/* SPDX-License-Identifier: MIT */
/*
 * TLS for certificate capture: a template ClientHello (fast path), a
 * streaming parser for the server's plaintext flight (TLS 1.0 to 1.2), and
 * a full path that drives OpenSSL through memory BIOs (TLS 1.0 to 1.3).
 *
 * Streaming parser contract. The parser state is small and fixed; the
 * caller owns one byte buffer per connection (allocate it when the first
 * byte arrives, grow it up to the flight cap). The buffer always starts
 * with the handshake-layer bytes seen so far (record headers stripped,
 * handshake messages contiguous even when split across records), and the
 * caller appends newly received stream bytes right after them:
 *
 *     size_t have = tls_flight_hs_len(&ps);           // bytes to keep
 *     ensure capacity have + n (<= cap), copy the n new bytes to buf + have
 *     r = tls_flight_feed(&ps, buf, have + n);
 *
 * feed() strips record framing in place (moving payload bytes down), parses
 * every handshake message that became complete, and returns a status. The
 * certificate slices (offset, length into buf) stay valid while buf does.
 */
#ifndef TLSMAP_PARSERS_TLS_H
#define TLSMAP_PARSERS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_MAX_CERTS 16
#define TLS_MAX_RECORD (16384u + 2048u) /* RFC 5246 6.2.3: TLSCiphertext cap */
#define TLS_HELLO_MAX 1024u		/* a built ClientHello never exceeds this */

/* ---- ClientHello template (fast path) ---- */

struct tls_hello_tmpl {
	uint8_t pre[512]; /* record header .. extensions length, random zeroed */
	uint16_t pre_len;
	uint8_t post[512]; /* extensions after server_name */
	uint16_t post_len;
};

/* Browser-like TLS 1.0-1.2 ClientHello without SNI value; see tls_hello.c. */
void tls_hello_tmpl_init(struct tls_hello_tmpl *t);
/*
 * Build a ClientHello record into out (cap bytes). sni may be NULL or
 * sni_len 0: no server_name extension. Returns the length, or 0 if cap is
 * too small or sni_len > 255.
 */
size_t tls_hello_build(const struct tls_hello_tmpl *t, const char *sni, size_t sni_len,
		       const uint8_t random[32], uint8_t *out, size_t cap);

/* ---- streaming flight parser ---- */

enum tls_status {
	TLS_ST_MORE = 0,      /* need more bytes */
	TLS_ST_CERT = 1,      /* Certificate message complete: chain in flight.certs */
	TLS_ST_ALERT = 2,     /* alert received before the chain */
	TLS_ST_NOT_TLS = 3,   /* the first bytes are not a TLS record */
	TLS_ST_PROTOCOL = 4,  /* TLS records, but malformed or unexpected */
	TLS_ST_NO_CERT = 5,   /* handshake went past where a Certificate would be */
	TLS_ST_TOO_LARGE = 6, /* the flight would exceed the cap */
	TLS_ST_TLS13 = 7,     /* ServerHello selected TLS 1.3: needs the OpenSSL path */
};

struct tls_slice {
	uint32_t off, len;
};

struct tls_flight {
	uint16_t version; /* negotiated (ServerHello, or its supported_versions) */
	uint16_t record_version;
	uint16_t cipher;
	uint16_t group; /* key_share group (TLS 1.3) or ServerKeyExchange curve */
	bool server_hello;
	bool alert;
	uint8_t alert_level, alert_desc;
	uint8_t ncerts;
	bool certs_truncated; /* more than TLS_MAX_CERTS in the message */
	struct tls_slice certs[TLS_MAX_CERTS];
};

struct tls_parser {
	uint32_t cap;	    /* max bytes of handshake data kept (the flight cap) */
	uint32_t hs_len;    /* handshake bytes at the start of the buffer */
	uint32_t hs_parsed; /* offset of the first unparsed handshake message */
	uint32_t rec_left;  /* payload bytes left in the current record */
	uint32_t raw_total; /* stream bytes seen (records, headers and all) */
	uint8_t hdr[5];
	uint8_t hdr_have;
	uint8_t rec_type;
	uint8_t alert_buf[2];
	uint8_t alert_have;
	uint8_t status;	  /* sticky final status once not MORE */
	uint8_t last_msg; /* type of the last parsed handshake message */
	struct tls_flight f;
};

void tls_flight_init(struct tls_parser *ps, uint32_t cap);
static inline uint32_t tls_flight_hs_len(const struct tls_parser *ps)
{
	return ps->hs_len;
}
/*
 * Feed: buf[0, hs_len) holds earlier handshake bytes, buf[hs_len, len) the
 * new stream bytes. Returns an enum tls_status; once not TLS_ST_MORE the
 * status is final and later calls return it again without reading.
 */
int tls_flight_feed(struct tls_parser *ps, uint8_t *buf, size_t len);
const char *tls_status_name(int st);

/* Alert descriptions that mean "try again offering other versions/ciphers". */
bool tls_alert_wants_fallback(uint8_t desc);

/* ---- OpenSSL full path (memory BIOs) ---- */

struct tls_ossl_ctx; /* one per worker: an SSL_CTX offering TLS 1.0-1.3 */
struct tls_ossl;     /* one per connection */

struct tls_ossl_ctx *tls_ossl_ctx_new(void);
void tls_ossl_ctx_free(struct tls_ossl_ctx *c);

/* NULL on failure. sni may be NULL or "" (no SNI). */
struct tls_ossl *tls_ossl_new(struct tls_ossl_ctx *c, const char *sni);
void tls_ossl_free(struct tls_ossl *s);

/*
 * Advance the handshake (call once at the start to produce the
 * ClientHello, then after each tls_ossl_feed). Returns TLS_ST_MORE,
 * TLS_ST_CERT (chain available), TLS_ST_ALERT, TLS_ST_PROTOCOL,
 * TLS_ST_NOT_TLS or TLS_ST_NO_CERT.
 */
int tls_ossl_step(struct tls_ossl *s);
/* Bytes received from the server. Returns 0 or -1 (out of memory). */
int tls_ossl_feed(struct tls_ossl *s, const uint8_t *p, size_t len);
/*
 * The whole client send stream produced so far (ClientHello, and on a
 * HelloRetryRequest the second ClientHello, etc.), for (re)transmission.
 */
const uint8_t *tls_ossl_out(const struct tls_ossl *s, size_t *len);
/* Chain as presented, DER (i2d) per certificate; *n certificates. Owned by s. */
size_t tls_ossl_chain(const struct tls_ossl *s, const uint8_t *const **ders, const size_t **lens);
/* Negotiated facts: version, cipher (IANA id), group (IANA id or 0), alert. */
void tls_ossl_facts(const struct tls_ossl *s, struct tls_flight *f);
uint32_t tls_ossl_bytes_in(const struct tls_ossl *s);

#endif

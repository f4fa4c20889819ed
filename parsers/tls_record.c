/* SPDX-License-Identifier: MIT */
/*
 * Streaming parser for a TLS server's first flight (RFC 5246 6.2 records,
 * 7.4 handshake messages; RFC 8446 4.1.3 for the TLS 1.3 ServerHello).
 *
 * The caller's buffer holds the handshake layer so far; new stream bytes
 * are appended after it and the parser strips the record framing in place
 * (payload bytes only move down, never past the unread input), so a
 * handshake message split across records becomes contiguous with no second
 * buffer. Record headers and alert bytes that straddle calls are kept in
 * the fixed parser state. Messages are decoded with a cursor whose end is
 * the enclosing length-prefixed block; every length is checked in the
 * form `len > end - p` that cannot wrap.
 *
 * The parser stops at the first final status: the Certificate message
 * complete (the chain), an alert, or anything that says this flight will
 * not give a chain through the fast path.
 */
#include "parsers/tls.h"

#include <string.h>

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23 };
enum {
	HS_HELLO_REQUEST = 0,
	HS_SERVER_HELLO = 2,
	HS_CERTIFICATE = 11,
	HS_SKE = 12,
	HS_CERT_REQUEST = 13,
	HS_SHD = 14
};

#define RAW_SLACK (64u * 1024u) /* non-handshake bytes tolerated beyond the cap */

/* RFC 8446 4.1.3: the random of a HelloRetryRequest. */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

struct cur {
	const uint8_t *p, *end;
};

static bool get_u8(struct cur *c, uint32_t *v)
{
	if (c->p >= c->end)
		return false;
	*v = *c->p++;
	return true;
}

static bool get_u16(struct cur *c, uint32_t *v)
{
	if (2 > c->end - c->p)
		return false;
	*v = (uint32_t)c->p[0] << 8 | c->p[1];
	c->p += 2;
	return true;
}

static bool get_u24(struct cur *c, uint32_t *v)
{
	if (3 > c->end - c->p)
		return false;
	*v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
	c->p += 3;
	return true;
}

static bool skip(struct cur *c, size_t n)
{
	if (n > (size_t)(c->end - c->p))
		return false;
	c->p += n;
	return true;
}

/* Enter a block of n bytes: sub gets [p, p+n), c moves past it. */
static bool block(struct cur *c, size_t n, struct cur *sub)
{
	if (n > (size_t)(c->end - c->p))
		return false;
	sub->p = c->p;
	sub->end = c->p + n;
	c->p += n;
	return true;
}

void tls_flight_init(struct tls_parser *ps, uint32_t cap)
{
	memset(ps, 0, sizeof(*ps));
	ps->cap = cap;
}

const char *tls_status_name(int st)
{
	switch (st) {
	case TLS_ST_MORE:
		return "more";
	case TLS_ST_CERT:
		return "certificate";
	case TLS_ST_ALERT:
		return "alert";
	case TLS_ST_NOT_TLS:
		return "not-tls";
	case TLS_ST_PROTOCOL:
		return "protocol-error";
	case TLS_ST_NO_CERT:
		return "no-certificate";
	case TLS_ST_TOO_LARGE:
		return "too-large";
	case TLS_ST_TLS13:
		return "tls13";
	default:
		return "?";
	}
}

bool tls_alert_wants_fallback(uint8_t desc)
{
	/* handshake_failure(40), protocol_version(70), insufficient_security(71),
	 * illegal_parameter(47) from servers that dislike the offered list */
	return desc == 40 || desc == 70 || desc == 71 || desc == 47;
}

/* ServerHello body (RFC 5246 7.4.1.3, RFC 8446 4.1.3). */
static int parse_server_hello(struct tls_parser *ps, struct cur c)
{
	uint32_t ver, sid_len, cipher, comp, ext_total;
	struct cur exts;
	bool hrr;

	if (!get_u16(&c, &ver) || 32 > c.end - c.p)
		return TLS_ST_PROTOCOL;
	hrr = ver == 0x0303 && memcmp(c.p, hrr_random, 32) == 0;
	c.p += 32;
	if (!get_u8(&c, &sid_len) || sid_len > 32 || !skip(&c, sid_len) || !get_u16(&c, &cipher) ||
	    !get_u8(&c, &comp))
		return TLS_ST_PROTOCOL;
	ps->f.version = (uint16_t)ver;
	ps->f.cipher = (uint16_t)cipher;
	ps->f.server_hello = true;
	if (c.p != c.end) {
		if (!get_u16(&c, &ext_total) || !block(&c, ext_total, &exts) || c.p != c.end)
			return TLS_ST_PROTOCOL;
		while (exts.p < exts.end) {
			uint32_t type, len;
			struct cur e;
			if (!get_u16(&exts, &type) || !get_u16(&exts, &len) ||
			    !block(&exts, len, &e))
				return TLS_ST_PROTOCOL;
			if (type == 43) { /* supported_versions: the selected version */
				uint32_t sel;
				if (!get_u16(&e, &sel) || e.p != e.end)
					return TLS_ST_PROTOCOL;
				ps->f.version = (uint16_t)sel;
			} else if (type == 51) { /* key_share: group first */
				uint32_t g;
				if (get_u16(&e, &g))
					ps->f.group = (uint16_t)g;
			}
		}
	}
	if (hrr || ps->f.version >= 0x0304 || (ps->f.version >> 8) == 0x7f)
		return TLS_ST_TLS13;
	if ((ver >> 8) != 3)
		return TLS_ST_PROTOCOL;
	return TLS_ST_MORE;
}

/* Certificate body (RFC 5246 7.4.2): u24 list of u24-prefixed DER certs. */
static int parse_certificate(struct tls_parser *ps, const uint8_t *buf, struct cur c)
{
	uint32_t list_len;
	struct cur list;

	if (!get_u24(&c, &list_len) || !block(&c, list_len, &list) || c.p != c.end)
		return TLS_ST_PROTOCOL;
	ps->f.ncerts = 0;
	while (list.p < list.end) {
		uint32_t len;
		struct cur der;
		if (!get_u24(&list, &len) || len == 0 || !block(&list, len, &der))
			return TLS_ST_PROTOCOL;
		if (ps->f.ncerts < TLS_MAX_CERTS) {
			ps->f.certs[ps->f.ncerts].off = (uint32_t)(der.p - buf);
			ps->f.certs[ps->f.ncerts].len = len;
			ps->f.ncerts++;
		} else {
			ps->f.certs_truncated = true;
		}
	}
	return ps->f.ncerts ? TLS_ST_CERT : TLS_ST_NO_CERT;
}

/* ECDHE ServerKeyExchange starts with curve_type 3 (named_curve) and the group. */
static void peek_ske_group(struct tls_parser *ps, const uint8_t *buf)
{
	uint32_t off = ps->hs_parsed;
	if (ps->hs_len - off < 4 + 3 || buf[off] != HS_SKE)
		return;
	uint32_t mlen = (uint32_t)buf[off + 1] << 16 | (uint32_t)buf[off + 2] << 8 | buf[off + 3];
	if (mlen >= 3 && ps->hs_len - off - 4 >= mlen && buf[off + 4] == 3)
		ps->f.group = (uint16_t)(buf[off + 5] << 8 | buf[off + 6]);
}

/* Parse every complete handshake message not yet parsed. */
static int parse_messages(struct tls_parser *ps, const uint8_t *buf)
{
	while (ps->hs_len - ps->hs_parsed >= 4) {
		const uint8_t *m = buf + ps->hs_parsed;
		uint8_t type = m[0];
		uint32_t mlen = (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
		if (ps->hs_parsed + 4 > ps->cap || mlen > ps->cap - ps->hs_parsed - 4)
			return TLS_ST_TOO_LARGE; /* cannot fit, say so before receiving it */
		if (ps->hs_len - ps->hs_parsed - 4 < mlen)
			return TLS_ST_MORE;
		struct cur body = {m + 4, m + 4 + mlen};
		ps->hs_parsed += 4 + mlen;
		int r;
		switch (type) {
		case HS_HELLO_REQUEST:
			r = mlen == 0 ? TLS_ST_MORE : TLS_ST_PROTOCOL;
			break;
		case HS_SERVER_HELLO:
			r = ps->f.server_hello ? TLS_ST_PROTOCOL : parse_server_hello(ps, body);
			break;
		case HS_CERTIFICATE:
			r = ps->f.server_hello ? parse_certificate(ps, buf, body) : TLS_ST_PROTOCOL;
			break;
		case HS_SKE:
		case HS_CERT_REQUEST:
		case HS_SHD:
			r = ps->f.server_hello ? TLS_ST_NO_CERT : TLS_ST_PROTOCOL;
			break;
		default:
			r = TLS_ST_PROTOCOL;
			break;
		}
		ps->last_msg = type;
		if (r != TLS_ST_MORE)
			return r;
	}
	return TLS_ST_MORE;
}

/*
 * The chain is complete. Handshake bytes already received in this call may
 * hold the ServerKeyExchange (same flight): move the whole records among
 * them that fit, without parsing further, only to read the ECDHE group.
 */
static int cert_done(struct tls_parser *ps, uint8_t *buf, size_t i, size_t len)
{
	while (ps->rec_left == 0 && len - i >= 5 && buf[i] == CT_HANDSHAKE) {
		uint32_t rlen = (uint32_t)buf[i + 3] << 8 | buf[i + 4];
		if (rlen > len - i - 5 || rlen > ps->cap - ps->hs_len)
			break;
		memmove(buf + ps->hs_len, buf + i + 5, rlen);
		ps->hs_len += rlen;
		i += 5 + rlen;
	}
	if (ps->rec_left && ps->rec_type == CT_HANDSHAKE) {
		size_t n = len - i < ps->rec_left ? len - i : ps->rec_left;
		if (n <= ps->cap - ps->hs_len) {
			memmove(buf + ps->hs_len, buf + i, n);
			ps->hs_len += (uint32_t)n;
		}
	}
	peek_ske_group(ps, buf);
	return TLS_ST_CERT;
}

static int finish(struct tls_parser *ps, int st)
{
	ps->status = (uint8_t)st;
	return st;
}

int tls_flight_feed(struct tls_parser *ps, uint8_t *buf, size_t len)
{
	size_t i = ps->hs_len;

	if (ps->status != TLS_ST_MORE)
		return ps->status;
	if (len < i)
		return finish(ps, TLS_ST_PROTOCOL); /* caller broke the contract */
	while (i < len) {
		if (ps->hdr_have < 5) {
			uint8_t b = buf[i++];
			ps->raw_total++;
			ps->hdr[ps->hdr_have++] = b;
			if (ps->raw_total == 1 && b != CT_HANDSHAKE && b != CT_ALERT)
				return finish(ps, TLS_ST_NOT_TLS);
			if (ps->hdr_have == 2 && b != 3)
				return finish(ps, ps->raw_total == 2 ? TLS_ST_NOT_TLS
								     : TLS_ST_PROTOCOL);
			if (ps->hdr_have < 5)
				continue;
			uint8_t type = ps->hdr[0];
			uint32_t rlen = (uint32_t)ps->hdr[3] << 8 | ps->hdr[4];
			if (type < CT_CCS || type > CT_APPDATA)
				return finish(ps, ps->raw_total == 5 ? TLS_ST_NOT_TLS
								     : TLS_ST_PROTOCOL);
			/* RFC 5246 6.2.1: no zero-length fragments of handshake, alert
			 * or ChangeCipherSpec. Refused at once: empty records would
			 * otherwise be read without end, outside the flight cap. */
			if (rlen > TLS_MAX_RECORD || rlen == 0 || type == CT_APPDATA)
				return finish(ps, TLS_ST_PROTOCOL);
			if (ps->f.record_version == 0)
				ps->f.record_version = (uint16_t)(ps->hdr[1] << 8 | ps->hdr[2]);
			ps->rec_type = type;
			ps->rec_left = rlen;
			continue;
		}
		size_t n = len - i;
		if (n > ps->rec_left)
			n = ps->rec_left;
		ps->raw_total += (uint32_t)n;
		if (ps->raw_total > ps->cap + RAW_SLACK)
			return finish(ps, TLS_ST_TOO_LARGE);
		if (ps->rec_type == CT_HANDSHAKE) {
			if (n > ps->cap - ps->hs_len)
				return finish(ps, TLS_ST_TOO_LARGE);
			memmove(buf + ps->hs_len, buf + i, n);
			ps->hs_len += (uint32_t)n;
		} else if (ps->rec_type == CT_ALERT) {
			for (size_t k = 0; k < n && ps->alert_have < 2; k++)
				ps->alert_buf[ps->alert_have++] = buf[i + k];
		}
		i += n;
		ps->rec_left -= (uint32_t)n;
		if (ps->rec_left == 0) {
			ps->hdr_have = 0;
			if (ps->rec_type == CT_ALERT) {
				if (ps->alert_have < 2)
					return finish(ps, TLS_ST_PROTOCOL);
				ps->f.alert = true;
				ps->f.alert_level = ps->alert_buf[0];
				ps->f.alert_desc = ps->alert_buf[1];
				return finish(ps, TLS_ST_ALERT);
			}
		}
		if (ps->rec_type == CT_HANDSHAKE) {
			int r = parse_messages(ps, buf);
			if (r == TLS_ST_CERT)
				return finish(ps, cert_done(ps, buf, i, len));
			if (r != TLS_ST_MORE)
				return finish(ps, r);
		}
	}
	return TLS_ST_MORE;
}

/* SPDX-License-Identifier: MIT */
/*
 * X.509 certificate parser (RFC 5280 4.1) over the DER cursor of
 * der_internal.h. One pass, no allocation, results as offsets into the
 * caller's buffer. The structure check is the contract: every TLV is
 * entered through a sub-cursor that must be consumed exactly, so a length
 * that lies is caught at the block that contains it.
 *
 * The acceptance rules follow OpenSSL 3.0's d2i_X509 (the reference the
 * tests compare against) wherever DER allows it: Name attribute values are
 * limited to the types of OpenSSL's ASN1_PRINTABLE and their strings must
 * survive its canonicalisation (valid UTF-8, even BMPString, valid code
 * points); extension contents are decoded the way X509_get_ext_d2i would,
 * and a failure there only makes the extension absent. Extensions are
 * recognised by comparing OID bytes, as in ANSSI's x509-parser.
 *
 * Rendering (RFC 4514 names byte-compatible with OpenSSL's XN_FLAG_RFC2253,
 * JSON, digests) is in x509_render.c.
 */
#include <string.h>

#include "parsers/der_internal.h"
#include "parsers/x509.h"
#include "parsers/x509_internal.h"

struct px {
	const uint8_t *base;
	const uint8_t *err_at;
	struct x509_cert *c;
};

static int map_der(int r)
{
	switch (r) {
	case DER_E_TRUNC:
		return X509_E_TRUNC;
	case DER_E_LENGTH:
		return X509_E_LENGTH;
	case DER_E_DEPTH:
		return X509_E_DEPTH;
	default:
		return X509_E_TAG;
	}
}

/* Read a TLV with tag @tag; on error record the offending octet. */
static int rd(struct px *x, struct der_cur *cur, uint8_t tag, struct der_tlv *t)
{
	int r = der_expect(cur, tag, t);

	if (r < 0) {
		x->err_at = cur->p;
		return map_der(r);
	}
	return 0;
}

static int rd_any(struct px *x, struct der_cur *cur, struct der_tlv *t)
{
	int r = der_read(cur, t);

	if (r < 0) {
		x->err_at = cur->p;
		return map_der(r);
	}
	return 0;
}

static int fail(struct px *x, const uint8_t *at, int code)
{
	x->err_at = at;
	return code;
}

static struct x509_slice sl(const struct px *x, const uint8_t *p, size_t len)
{
	struct x509_slice s = {(uint32_t)(p - x->base), (uint32_t)len};
	return s;
}

static struct x509_slice sl_tlv(const struct px *x, const struct der_tlv *t)
{
	return sl(x, t->hdr, (size_t)(t->val + t->len - t->hdr));
}

#define TRY(expr)                                                                                  \
	do {                                                                                       \
		int try_ret_ = (expr);                                                             \
		if (try_ret_ < 0)                                                                  \
			return try_ret_;                                                           \
	} while (0)

static bool oid_is(const struct der_tlv *t, const uint8_t *oid, size_t len)
{
	return t->len == len && memcmp(t->val, oid, len) == 0;
}

#define OID_IS(t, lit) oid_is((t), (const uint8_t *)(lit), sizeof(lit) - 1)

/*
 * The content rules OpenSSL's ASN1_ANY decoding applies to a universal
 * primitive value (asn1_ex_c2i): BOOLEAN one octet, NULL empty, INTEGER
 * minimal, OID well-formed, BIT STRING with <= 7 unused bits, BMP/Universal
 * whole characters, SEQUENCE/SET constructed.
 */
static bool any_value_valid(const struct der_tlv *t)
{
	/* constructed universal types other than SEQUENCE/SET are BER strings:
	 * not DER, so refused (OpenSSL would concatenate them) */
	if ((t->tag & 0xe0) == 0x20 && t->tag != DER_SEQUENCE && t->tag != DER_SET)
		return false;
	switch (t->tag) {
	case DER_BOOLEAN:
		return t->len == 1;
	case DER_INTEGER:
	case 0x0a: /* ENUMERATED */
		return der_int_minimal(t->val, t->len);
	case DER_BIT_STRING:
		return t->len >= 1 && t->val[0] <= 7;
	case DER_NULL:
		return t->len == 0;
	case DER_OID:
		return der_oid_valid(t->val, t->len);
	case DER_BMP_STRING:
		return !(t->len & 1);
	case DER_UNIVERSAL_STRING:
		return !(t->len & 3);
	case 0x00:
	case 0x20:
	case 0x21:
	case 0x22:
	case 0x25:
	case 0x26:
	case 0x2a:
	case 0x10: /* SEQUENCE and SET must be constructed */
	case 0x11:
		return false;
	default:
		return true;
	}
}

/* ---- strings ---- */

bool x509_utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t b = p[i];
		uint32_t v;
		size_t n;

		if (b < 0x80) {
			i++;
			continue;
		}
		if ((b & 0xe0) == 0xc0) {
			n = 2;
			v = b & 0x1fu;
		} else if ((b & 0xf0) == 0xe0) {
			n = 3;
			v = b & 0x0fu;
		} else if ((b & 0xf8) == 0xf0) {
			n = 4;
			v = b & 0x07u;
		} else {
			return false;
		}
		if (n > len - i)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			v = (v << 6) | (p[i + k] & 0x3fu);
		}
		if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000))
			return false;
		if ((v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
			return false;
		i += n;
	}
	return true;
}

/*
 * Name attribute value types OpenSSL 3.0 accepts (ASN1_PRINTABLE: tag2bit
 * ∩ B_ASN1_PRINTABLE): BIT STRING, the "unknown" universal tags but
 * ENUMERATED, UTF8,
 * Numeric, Printable, T61, IA5, Universal, BMP, and constructed SEQUENCE.
 * VisibleString, GraphicString, GeneralString and VideotexString are not
 * in that mask, so OpenSSL rejects them and so do we.
 */
static bool name_value_tag_ok(uint8_t tag)
{
	if (tag == DER_SEQUENCE)
		return true;
	if (tag & 0xe0) /* non-universal or constructed */
		return false;
	switch (tag) {
	case 3:
	case 7:
	case 8:
	case 9:
	case 11:
	case 12:
	case 13:
	case 14:
	case 15:
	case 18:
	case 19:
	case 20:
	case 22:
	case 28:
	case 29:
	case 30:
		return true;
	default:
		return false;
	}
}

static bool name_value_content_ok(uint8_t tag, const uint8_t *p, size_t len)
{
	switch (tag) {
	case DER_UTF8_STRING:
		return x509_utf8_valid(p, len);
	case DER_BMP_STRING:
		if (len & 1)
			return false;
		for (size_t i = 0; i < len; i += 2)
			if (p[i] >= 0xd8 && p[i] <= 0xdf)
				return false;
		return true;
	case DER_UNIVERSAL_STRING:
		if (len & 3)
			return false;
		for (size_t i = 0; i < len; i += 4) {
			uint32_t v = (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 |
				     (uint32_t)p[i + 2] << 8 | p[i + 3];
			if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
				return false;
		}
		return true;
	case DER_BIT_STRING:
		return len >= 1 && p[0] <= 7;
	default:
		return true;
	}
}

/*
 * Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF
 * AttributeTypeAndValue). Requires @cur at the Name; consumes it. Records
 * the first CN, O and C when @cn etc. are non-NULL.
 */
static int parse_name(struct px *x, struct der_cur *cur, struct x509_slice *out,
		      struct x509_str *cn, struct x509_str *o, struct x509_str *ctry)
{
	struct der_tlv name, rdn, atv, type, val;
	struct der_cur nc, rc, ac;

	TRY(rd(x, cur, DER_SEQUENCE, &name));
	if (out)
		*out = sl_tlv(x, &name);
	der_enter(&name, &nc);
	while (!der_done(&nc)) {
		TRY(rd(x, &nc, DER_SET, &rdn));
		der_enter(&rdn, &rc);
		if (der_done(&rc))
			x->c->anomalies |= X509_ANOM_EMPTY_RDN;
		while (!der_done(&rc)) {
			TRY(rd(x, &rc, DER_SEQUENCE, &atv));
			der_enter(&atv, &ac);
			TRY(rd(x, &ac, DER_OID, &type));
			if (!der_oid_valid(type.val, type.len))
				return fail(x, type.hdr, X509_E_OID);
			TRY(rd_any(x, &ac, &val));
			if (!der_done(&ac))
				return fail(x, ac.p, X509_E_NAME);
			if (!name_value_tag_ok(val.tag) ||
			    !name_value_content_ok(val.tag, val.val, val.len))
				return fail(x, val.hdr, X509_E_NAME);
			if (type.len == 3 && type.val[0] == 0x55 && type.val[1] == 0x04) {
				struct x509_str *dst = NULL;

				if (type.val[2] == 0x03)
					dst = cn;
				else if (type.val[2] == 0x0a)
					dst = o;
				else if (type.val[2] == 0x06)
					dst = ctry;
				if (dst && !dst->tag) {
					dst->off = (uint32_t)(val.val - x->base);
					dst->len = (uint32_t)val.len;
					dst->tag = val.tag;
				}
			}
		}
	}
	return 0;
}

/* ---- time ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's algorithm: days since 1970-01-01, proleptic Gregorian. */
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * The time zone that ends a time at a[o]: "Z", or "+hhmm"/"-hhmm" (not RFC
 * 5280: sets *lax), ending exactly at l. *offset is what to add to the local
 * time for UTC. False when it would not decode.
 */
static bool time_zone(const uint8_t *a, size_t l, size_t o, int64_t *offset, bool *lax)
{
	static const int maxs[2] = {12, 59};
	int sign;

	*offset = 0;
	if (a[o] == 'Z')
		return o + 1 == l;
	if (a[o] != '+' && a[o] != '-')
		return false;
	sign = a[o] == '-' ? 1 : -1;
	*lax = true;
	o++;
	if (o + 4 != l)
		return false;
	for (int k = 0; k < 2; k++, o += 2) {
		int n;

		if (a[o] < '0' || a[o] > '9' || a[o + 1] < '0' || a[o + 1] > '9')
			return false;
		n = (a[o] - '0') * 10 + a[o + 1] - '0';
		if (n > maxs[k])
			return false;
		*offset += k == 0 ? n * 3600 : n * 60;
	}
	*offset *= sign;
	return true;
}

/*
 * UTCTime / GeneralizedTime content to unix seconds, accepting exactly what
 * OpenSSL 3.0's ASN1_TIME_to_tm accepts for a certificate (non-strict:
 * seconds optional, fractions for GeneralizedTime, +hhmm/-hhmm offsets).
 * Returns false when it would not decode; *lax is set for non-RFC 5280 forms.
 */
bool x509_time_decode(uint8_t tag, const uint8_t *a, size_t l, int64_t *out, bool *lax)
{
	static const int mins[9] = {0, 0, 1, 1, 0, 0, 0, 0, 0};
	static const int maxs[7] = {99, 99, 12, 31, 23, 59, 59};
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool utc = tag == DER_UTC_TIME;
	size_t o = 0, min_l = utc ? 11 : 13;
	int end = utc ? 6 : 7, btz = utc ? 5 : 6;
	int64_t year = 0;
	int mon = 0, mday = 0, hour = 0, min = 0, sec = 0;
	int i;
	int64_t offset;

	*lax = false;
	if (l < min_l)
		return false;
	for (i = 0; i < end; i++) {
		int n, i2;

		if (i == btz && (a[o] == 'Z' || a[o] == '+' || a[o] == '-')) {
			*lax = true;
			break;
		}
		if (a[o] < '0' || a[o] > '9')
			return false;
		n = a[o] - '0';
		if (++o == l)
			return false;
		if (a[o] < '0' || a[o] > '9')
			return false;
		n = n * 10 + a[o] - '0';
		if (++o == l)
			return false;
		i2 = utc ? i + 1 : i;
		if (n < mins[i2] || n > maxs[i2])
			return false;
		switch (i2) {
		case 0:
			year = n * 100;
			break;
		case 1:
			if (utc)
				year = n < 50 ? 2000 + n : 1900 + n;
			else
				year += n;
			break;
		case 2:
			mon = n;
			break;
		case 3: {
			int md = mon == 2 ? 28 + leap(year) : mdays[mon - 1];

			if (n > md)
				return false;
			mday = n;
			break;
		}
		case 4:
			hour = n;
			break;
		case 5:
			min = n;
			break;
		case 6:
			sec = n;
			break;
		}
	}
	if (!utc && a[o] == '.') {
		size_t f;

		*lax = true;
		if (++o == l)
			return false;
		f = o;
		while (o < l && a[o] >= '0' && a[o] <= '9')
			o++;
		if (f == o || o == l)
			return false;
	}
	if (!time_zone(a, l, o, &offset, lax))
		return false;
	*out = days_from_civil(year, (unsigned)mon, (unsigned)mday) * 86400 + hour * 3600 +
	       min * 60 + sec + offset;
	return true;
}

static int parse_time(struct px *x, struct der_cur *cur, struct x509_slice *raw, int64_t *t,
		      bool *ok)
{
	struct der_tlv tv;
	bool lax;

	if (!der_peek(cur, DER_UTC_TIME) && !der_peek(cur, DER_GENERALIZED_TIME))
		return fail(x, cur->p, der_done(cur) ? X509_E_TRUNC : X509_E_TIME);
	TRY(rd_any(x, cur, &tv));
	*raw = sl(x, tv.val, tv.len);
	*ok = x509_time_decode(tv.tag, tv.val, tv.len, t, &lax);
	if (!*ok) {
		*t = 0;
		x->c->anomalies |= X509_ANOM_BAD_TIME;
	} else if (lax) {
		x->c->anomalies |= X509_ANOM_LAX_TIME;
	}
	return 0;
}

/* ---- algorithm identifiers and keys ---- */

/* AlgorithmIdentifier ::= SEQUENCE { OID, ANY OPTIONAL }. */
static int parse_alg(struct px *x, struct der_cur *cur, struct der_tlv *seq, struct der_tlv *oid,
		     struct der_tlv *params, bool *has_params)
{
	struct der_cur ac;
	const uint8_t *where;

	TRY(rd(x, cur, DER_SEQUENCE, seq));
	der_enter(seq, &ac);
	TRY(rd(x, &ac, DER_OID, oid));
	if (!der_oid_valid(oid->val, oid->len))
		return fail(x, oid->hdr, X509_E_OID);
	*has_params = !der_done(&ac);
	if (*has_params) {
		TRY(rd_any(x, &ac, params));
		if (!any_value_valid(params))
			return fail(x, params->hdr, X509_E_TAG);
		if (params->tag & DER_CONSTRUCTED) {
			struct der_cur pc;

			der_enter(params, &pc);
			int r = der_skip_valid(pc, DER_MAX_DEPTH, &where);
			if (r < 0)
				return fail(x, where, map_der(r));
		}
	}
	if (!der_done(&ac))
		return fail(x, ac.p, X509_E_TRAILING);
	return 0;
}

static uint32_t uint_bits(const uint8_t *p, size_t len)
{
	while (len && *p == 0) {
		p++;
		len--;
	}
	if (!len)
		return 0;
	uint32_t bits = (uint32_t)(len - 1) * 8;
	for (uint8_t b = *p; b; b >>= 1)
		bits++;
	return bits;
}

struct curve_info {
	const char *oid;
	uint8_t oid_len;
	uint16_t bits;
	const char *name;
};

#define CURVE(lit, bits, name)                                                                     \
	{                                                                                          \
		lit, sizeof(lit) - 1, bits, name                                                   \
	}
static const struct curve_info curves[] = {
	CURVE("\x2a\x86\x48\xce\x3d\x03\x01\x07", 256, "prime256v1"),
	CURVE("\x2b\x81\x04\x00\x22", 384, "secp384r1"),
	CURVE("\x2b\x81\x04\x00\x23", 521, "secp521r1"),
	CURVE("\x2b\x81\x04\x00\x0a", 256, "secp256k1"),
	CURVE("\x2b\x81\x04\x00\x21", 224, "secp224r1"),
	CURVE("\x2a\x86\x48\xce\x3d\x03\x01\x01", 192, "prime192v1"),
	CURVE("\x2b\x24\x03\x03\x02\x08\x01\x01\x07", 256, "brainpoolP256r1"),
	CURVE("\x2b\x24\x03\x03\x02\x08\x01\x01\x0b", 384, "brainpoolP384r1"),
	CURVE("\x2b\x24\x03\x03\x02\x08\x01\x01\x0d", 512, "brainpoolP512r1"),
};

const char *x509_curve_lookup(const uint8_t *oid, size_t len, uint32_t *bits)
{
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].oid_len == len && !memcmp(curves[i].oid, oid, len)) {
			if (bits)
				*bits = curves[i].bits;
			return curves[i].name;
		}
	return NULL;
}

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }. */
static bool rsa_key(struct x509_cert *c, const uint8_t *p, size_t len)
{
	struct der_cur kc, sc;
	struct der_tlv seq, n, e;

	der_init(&kc, p, len);
	if (der_expect(&kc, DER_SEQUENCE, &seq) < 0 || !der_done(&kc))
		return false;
	der_enter(&seq, &sc);
	if (der_expect(&sc, DER_INTEGER, &n) < 0 || der_expect(&sc, DER_INTEGER, &e) < 0 ||
	    !der_done(&sc) || n.len == 0 || e.len == 0)
		return false;
	c->key_bits = uint_bits(n.val, n.len);
	size_t el = e.len;
	const uint8_t *ep = e.val;
	while (el && *ep == 0) {
		ep++;
		el--;
	}
	if (el <= 4) {
		uint32_t v = 0;
		for (size_t i = 0; i < el; i++)
			v = v << 8 | ep[i];
		c->rsa_exponent = v;
	}
	return true;
}

/* SubjectPublicKeyInfo: type, bits/curve. A key that does not decode only
 * sets X509_ANOM_BAD_KEY (OpenSSL leaves the EVP_PKEY NULL and goes on). */
static int parse_spki(struct px *x, struct der_cur *cur)
{
	struct x509_cert *c = x->c;
	struct der_tlv spki, seq, oid, params, key;
	struct der_cur sc;
	bool has_params, ok = true;

	TRY(rd(x, cur, DER_SEQUENCE, &spki));
	c->spki = sl_tlv(x, &spki);
	der_enter(&spki, &sc);
	TRY(parse_alg(x, &sc, &seq, &oid, &params, &has_params));
	TRY(rd(x, &sc, DER_BIT_STRING, &key));
	if (key.len < 1 || key.val[0] > 7)
		return fail(x, key.hdr, X509_E_BITSTRING);
	if (!der_done(&sc))
		return fail(x, sc.p, X509_E_TRAILING);
	c->key_alg = sl(x, oid.val, oid.len);
	if (has_params) {
		c->key_params = sl(x, params.val, params.len);
		c->key_params_tag = params.tag;
	}
	const uint8_t *kp = key.val + 1;
	size_t kl = key.len - 1;

	if (OID_IS(&oid, "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01") ||
	    OID_IS(&oid, "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a")) {
		c->key_type = X509_KEY_RSA;
		ok = rsa_key(c, kp, kl);
	} else if (OID_IS(&oid, "\x2a\x86\x48\xce\x3d\x02\x01")) {
		c->key_type = X509_KEY_EC;
		if (has_params && params.tag == DER_OID) {
			if (!x509_curve_lookup(params.val, params.len, &c->key_bits))
				c->key_bits = 0; /* rare curve: x509_key_bits() asks OpenSSL */
			ok = kl > 0;
		} else if (has_params && params.tag == DER_SEQUENCE) {
			/* specifiedCurve (RFC 3279 2.3.5): the size is the order's */
			struct der_cur ec;
			struct der_tlv f;

			der_enter(&params, &ec);
			ok = der_expect(&ec, DER_INTEGER, &f) == 0 &&
			     der_expect(&ec, DER_SEQUENCE, &f) == 0 &&
			     der_expect(&ec, DER_SEQUENCE, &f) == 0 &&
			     der_expect(&ec, DER_OCTET_STRING, &f) == 0 &&
			     der_expect(&ec, DER_INTEGER, &f) == 0 && kl > 0;
			if (ok)
				c->key_bits = uint_bits(f.val, f.len);
		} else {
			ok = false; /* implicitlyCA or missing parameters */
		}
	} else if (OID_IS(&oid, "\x2b\x65\x70")) {
		c->key_type = X509_KEY_ED25519;
		ok = !has_params && kl == 32;
		c->key_bits = ok ? 256 : 0;
	} else if (OID_IS(&oid, "\x2b\x65\x71")) {
		c->key_type = X509_KEY_ED448;
		ok = !has_params && kl == 57;
		c->key_bits = ok ? 456 : 0;
	} else if (OID_IS(&oid, "\x2b\x65\x6e")) {
		c->key_type = X509_KEY_OTHER;
		ok = !has_params && kl == 32;
		c->key_bits = ok ? 253 : 0;
	} else if (OID_IS(&oid, "\x2b\x65\x6f")) {
		c->key_type = X509_KEY_OTHER;
		ok = !has_params && kl == 56;
		c->key_bits = ok ? 448 : 0;
	} else if (OID_IS(&oid, "\x2a\x86\x48\xce\x38\x04\x01")) {
		struct der_cur pc;
		struct der_tlv p;

		c->key_type = X509_KEY_DSA;
		ok = false;
		if (has_params && params.tag == DER_SEQUENCE) {
			der_enter(&params, &pc);
			if (der_expect(&pc, DER_INTEGER, &p) == 0) {
				c->key_bits = uint_bits(p.val, p.len);
				ok = true;
			}
		}
	} else {
		c->key_type = X509_KEY_OTHER;
	}
	if (!ok) {
		if (c->key_type != X509_KEY_EC)
			c->key_bits = 0; /* an EC key's size is its curve's */
		c->anomalies |= X509_ANOM_BAD_KEY;
	}
	return 0;
}

/* ---- extensions ---- */

/* An EXPLICIT-tagged DirectoryString (Printable, T61, BMP, Universal, UTF8)
 * as OpenSSL's DIRECTORYSTRING decodes it. */
static bool directory_string_valid(const struct der_tlv *wrap)
{
	struct der_cur c;
	struct der_tlv s;

	der_enter(wrap, &c);
	if (der_read(&c, &s) < 0 || !der_done(&c))
		return false;
	switch (s.tag) {
	case DER_PRINTABLE_STRING:
	case DER_T61_STRING:
	case DER_UTF8_STRING:
		return true;
	case DER_BMP_STRING:
		return !(s.len & 1);
	case DER_UNIVERSAL_STRING:
		return !(s.len & 3);
	default:
		return false;
	}
}

/* Validate one GeneralName TLV the way OpenSSL's GENERAL_NAME d2i would. */
static bool gname_valid(struct px *x, const struct der_tlv *t)
{
	struct der_cur gc;
	struct der_tlv a, b;

	switch (t->tag) {
	case DER_CTX(1): /* rfc822Name */
	case DER_CTX(2): /* dNSName */
	case DER_CTX(6): /* URI */
	case DER_CTX(7): /* iPAddress */
		return true;
	case DER_CTX(8): /* registeredID */
		return der_oid_valid(t->val, t->len);
	case DER_CTX_CONS(0): /* otherName: type-id OID, [0] EXPLICIT value */
		der_enter(t, &gc);
		if (der_expect(&gc, DER_OID, &a) < 0 || !der_oid_valid(a.val, a.len))
			return false;
		if (der_expect(&gc, DER_CTX_CONS(0), &b) < 0 || !der_done(&gc))
			return false;
		der_enter(&b, &gc);
		if (der_read(&gc, &a) < 0 || !der_done(&gc) || !any_value_valid(&a))
			return false;
		return true;
	case DER_CTX_CONS(4): { /* directoryName: [4] EXPLICIT Name */
		const uint8_t *err = x->err_at;
		int r;

		der_enter(t, &gc);
		r = parse_name(x, &gc, NULL, NULL, NULL, NULL);
		x->err_at = err;
		return r == 0 && der_done(&gc);
	}
	case DER_CTX_CONS(3): /* x400Address: kept as an opaque SEQUENCE */
		return true;
	case DER_CTX_CONS(5): /* ediPartyName: [0] EXPLICIT DirectoryString OPTIONAL,
			       * [1] EXPLICIT DirectoryString */
		der_enter(t, &gc);
		if (der_peek(&gc, DER_CTX_CONS(0)) &&
		    (der_read(&gc, &a) < 0 || !directory_string_valid(&a)))
			return false;
		if (der_expect(&gc, DER_CTX_CONS(1), &a) < 0 || !directory_string_valid(&a))
			return false;
		return der_done(&gc);
	default:
		return false;
	}
}

/* GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName; fills the SANs. */
static bool ext_san(struct px *x, struct der_cur *vc)
{
	struct x509_cert *c = x->c;
	struct der_tlv seq, gn;
	struct der_cur gc;

	if (der_expect(vc, DER_SEQUENCE, &seq) < 0)
		return false;
	der_enter(&seq, &gc);
	while (!der_done(&gc)) {
		if (der_read(&gc, &gn) < 0 || !gname_valid(x, &gn))
			return false;
		if (c->san_total < UINT16_MAX)
			c->san_total++;
		uint8_t type = gn.tag & 0x1f;
		if (!(gn.tag & DER_CONSTRUCTED) && (type == X509_GN_DNS || type == X509_GN_IP ||
						    type == X509_GN_EMAIL || type == X509_GN_URI)) {
			if (type == X509_GN_IP && gn.len != 4 && gn.len != 16)
				c->anomalies |= X509_ANOM_IP_LENGTH;
			if (c->san_count < X509_MAX_SAN) {
				struct x509_gname *g = &c->san[c->san_count++];

				g->off = (uint32_t)(gn.val - x->base);
				g->len = (uint32_t)gn.len;
				g->type = type;
			} else {
				c->anomalies |= X509_ANOM_SAN_TRUNCATED;
			}
		}
	}
	c->san_ext = sl_tlv(x, &seq);
	return true;
}

/* BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER OPTIONAL } */
static bool ext_bc(struct px *x, struct der_cur *vc)
{
	struct x509_cert *c = x->c;
	struct der_tlv seq, b, n;
	struct der_cur sc;

	if (der_expect(vc, DER_SEQUENCE, &seq) < 0)
		return false;
	der_enter(&seq, &sc);
	c->is_ca = false;
	c->path_len = -1;
	if (der_peek(&sc, DER_BOOLEAN)) {
		if (der_read(&sc, &b) < 0 || b.len != 1)
			return false;
		c->is_ca = b.val[0] != 0;
	}
	if (der_peek(&sc, DER_INTEGER)) {
		if (der_read(&sc, &n) < 0 || !der_int_minimal(n.val, n.len))
			return false;
		if ((n.val[0] & 0x80) || uint_bits(n.val, n.len) > 31) {
			c->anomalies |= X509_ANOM_BAD_PATHLEN;
		} else {
			uint32_t v = 0;
			for (size_t i = 0; i < n.len; i++)
				v = v << 8 | n.val[i];
			c->path_len = (int32_t)v;
		}
	}
	if (!der_done(&sc)) {
		c->is_ca = false;
		c->path_len = -1;
		return false;
	}
	c->has_basic_constraints = true;
	return true;
}

static bool ext_ku(struct px *x, struct der_cur *vc)
{
	struct x509_cert *c = x->c;
	struct der_tlv bs;
	uint16_t ku = 0;

	if (der_expect(vc, DER_BIT_STRING, &bs) < 0 || bs.len < 1 || bs.val[0] > 7)
		return false;
	size_t nbytes = bs.len - 1;
	for (unsigned i = 0; i < X509_KU_COUNT; i++) {
		size_t byte = i / 8;
		if (byte >= nbytes)
			break;
		uint8_t v = bs.val[1 + byte];
		if (byte == nbytes - 1)
			v &= (uint8_t)(0xff << bs.val[0]);
		if (v & (0x80 >> (i % 8)))
			ku |= (uint16_t)(1u << i);
	}
	c->key_usage = ku;
	c->has_key_usage = true;
	return true;
}

static bool ext_eku(struct px *x, struct der_cur *vc)
{
	struct x509_cert *c = x->c;
	struct der_tlv seq, oid;
	struct der_cur sc;

	if (der_expect(vc, DER_SEQUENCE, &seq) < 0)
		return false;
	der_enter(&seq, &sc);
	while (!der_done(&sc)) {
		if (der_expect(&sc, DER_OID, &oid) < 0 || !der_oid_valid(oid.val, oid.len))
			return false;
		if (c->eku_count < X509_MAX_EKU)
			c->eku[c->eku_count++] = sl(x, oid.val, oid.len);
		else
			c->anomalies |= X509_ANOM_LIST_TRUNCATED;
	}
	return true;
}

static bool gnames_valid(struct px *x, const struct der_tlv *seq)
{
	struct der_cur gc;
	struct der_tlv gn;

	der_enter(seq, &gc);
	while (!der_done(&gc))
		if (der_read(&gc, &gn) < 0 || !gname_valid(x, &gn))
			return false;
	return true;
}

/* AuthorityKeyIdentifier ::= SEQUENCE { [0] keyIdentifier, [1] issuer, [2] serial } */
static bool ext_aki(struct px *x, struct der_cur *vc)
{
	struct x509_cert *c = x->c;
	struct der_tlv seq, t;
	struct der_cur sc;
	struct x509_slice kid = {0, 0};

	if (der_expect(vc, DER_SEQUENCE, &seq) < 0)
		return false;
	der_enter(&seq, &sc);
	if (der_peek(&sc, DER_CTX(0))) {
		if (der_read(&sc, &t) < 0)
			return false;
		kid = sl(x, t.val, t.len);
	}
	if (der_peek(&sc, DER_CTX_CONS(1))) {
		if (der_read(&sc, &t) < 0 || !gnames_valid(x, &t))
			return false;
	}
	if (der_peek(&sc, DER_CTX(2))) {
		if (der_read(&sc, &t) < 0 || !der_int_minimal(t.val, t.len))
			return false;
	}
	if (!der_done(&sc))
		return false;
	c->aki = kid;
	c->has_aki = true;
	return true;
}

static bool ext_ski(struct px *x, struct der_cur *vc)
{
	struct der_tlv os;

	if (der_expect(vc, DER_OCTET_STRING, &os) < 0)
		return false;
	x->c->ski = sl(x, os.val, os.len);
	x->c->has_ski = true;
	return true;
}

static bool display_text_tag(uint8_t tag)
{
	return tag == DER_IA5_STRING || tag == DER_VISIBLE_STRING || tag == DER_BMP_STRING ||
	       tag == DER_UTF8_STRING;
}

/* One PolicyQualifierInfo, typed by OpenSSL's ADB: CPS -> IA5String,
 * userNotice -> UserNotice, anything else -> ANY. */
static bool policy_qualifier_valid(const struct der_tlv *q)
{
	struct der_cur qc, uc, rc, nc;
	struct der_tlv id, v, ref, t;

	der_enter(q, &qc);
	if (der_expect(&qc, DER_OID, &id) < 0 || !der_oid_valid(id.val, id.len) ||
	    der_read(&qc, &v) < 0 || !der_done(&qc))
		return false;
	if (OID_IS(&id, "\x2b\x06\x01\x05\x05\x07\x02\x01"))
		return v.tag == DER_IA5_STRING;
	if (!OID_IS(&id, "\x2b\x06\x01\x05\x05\x07\x02\x02"))
		return any_value_valid(&v);
	if (v.tag != DER_SEQUENCE)
		return false;
	der_enter(&v, &uc);
	if (der_peek(&uc, DER_SEQUENCE)) {
		if (der_read(&uc, &ref) < 0)
			return false;
		der_enter(&ref, &rc);
		if (der_read(&rc, &t) < 0 || !display_text_tag(t.tag))
			return false;
		if (der_expect(&rc, DER_SEQUENCE, &t) < 0 || !der_done(&rc))
			return false;
		der_enter(&t, &nc);
		while (!der_done(&nc))
			if (der_expect(&nc, DER_INTEGER, &t) < 0 || !der_int_minimal(t.val, t.len))
				return false;
	}
	if (!der_done(&uc)) {
		if (der_read(&uc, &t) < 0 || !display_text_tag(t.tag))
			return false;
	}
	return der_done(&uc);
}

/* certificatePolicies ::= SEQUENCE OF PolicyInformation */
static bool ext_policies(struct px *x, struct der_cur *vc)
{
	struct x509_cert *c = x->c;
	struct der_tlv seq, pi, oid, quals, q;
	struct der_cur sc, pc, qc;

	if (der_expect(vc, DER_SEQUENCE, &seq) < 0)
		return false;
	der_enter(&seq, &sc);
	while (!der_done(&sc)) {
		if (der_expect(&sc, DER_SEQUENCE, &pi) < 0)
			return false;
		der_enter(&pi, &pc);
		if (der_expect(&pc, DER_OID, &oid) < 0 || !der_oid_valid(oid.val, oid.len))
			return false;
		if (!der_done(&pc)) {
			if (der_expect(&pc, DER_SEQUENCE, &quals) < 0 || !der_done(&pc))
				return false;
			der_enter(&quals, &qc);
			while (!der_done(&qc))
				if (der_expect(&qc, DER_SEQUENCE, &q) < 0 ||
				    !policy_qualifier_valid(&q))
					return false;
		}
		if (c->policy_count < X509_MAX_POLICY)
			c->policy[c->policy_count++] = sl(x, oid.val, oid.len);
		else
			c->anomalies |= X509_ANOM_LIST_TRUNCATED;
	}
	return true;
}

/* AuthorityInfoAccessSyntax ::= SEQUENCE OF AccessDescription */
static bool ext_aia(struct px *x, struct der_cur *vc)
{
	struct x509_cert *c = x->c;
	struct der_tlv seq, ad, method, loc;
	struct der_cur sc, ac;

	if (der_expect(vc, DER_SEQUENCE, &seq) < 0)
		return false;
	der_enter(&seq, &sc);
	while (!der_done(&sc)) {
		if (der_expect(&sc, DER_SEQUENCE, &ad) < 0)
			return false;
		der_enter(&ad, &ac);
		if (der_expect(&ac, DER_OID, &method) < 0 ||
		    !der_oid_valid(method.val, method.len) || der_read(&ac, &loc) < 0 ||
		    !der_done(&ac) || !gname_valid(x, &loc))
			return false;
		if (loc.tag != DER_CTX(6))
			continue;
		if (OID_IS(&method, "\x2b\x06\x01\x05\x05\x07\x30\x01")) {
			if (c->ocsp_count < X509_MAX_AIA)
				c->ocsp[c->ocsp_count++] = sl(x, loc.val, loc.len);
			else
				c->anomalies |= X509_ANOM_LIST_TRUNCATED;
		} else if (OID_IS(&method, "\x2b\x06\x01\x05\x05\x07\x30\x02")) {
			if (c->ca_issuers_count < X509_MAX_AIA)
				c->ca_issuers[c->ca_issuers_count++] = sl(x, loc.val, loc.len);
			else
				c->anomalies |= X509_ANOM_LIST_TRUNCATED;
		}
	}
	return true;
}

enum ext_id {
	EXT_SAN,
	EXT_BC,
	EXT_KU,
	EXT_EKU,
	EXT_AKI,
	EXT_SKI,
	EXT_POL,
	EXT_AIA,
	EXT_SCT,
	EXT_N
};

struct ext_def {
	const char *oid;
	uint8_t oid_len;
	bool (*parse)(struct px *x, struct der_cur *vc);
};

#define EXT(lit, fn)                                                                               \
	{                                                                                          \
		lit, sizeof(lit) - 1, fn                                                           \
	}
static const struct ext_def ext_defs[EXT_N] = {
	[EXT_SAN] = EXT("\x55\x1d\x11", ext_san),
	[EXT_BC] = EXT("\x55\x1d\x13", ext_bc),
	[EXT_KU] = EXT("\x55\x1d\x0f", ext_ku),
	[EXT_EKU] = EXT("\x55\x1d\x25", ext_eku),
	[EXT_AKI] = EXT("\x55\x1d\x23", ext_aki),
	[EXT_SKI] = EXT("\x55\x1d\x0e", ext_ski),
	[EXT_POL] = EXT("\x55\x1d\x20", ext_policies),
	[EXT_AIA] = EXT("\x2b\x06\x01\x05\x05\x07\x01\x01", ext_aia),
	[EXT_SCT] = EXT("\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x02", NULL),
};

static int find_ext(const struct der_tlv *oid)
{
	/* Most extensions are id-ce (2.5.29.x): dispatch on the last octet. */
	if (oid->len == 3 && oid->val[0] == 0x55 && oid->val[1] == 0x1d) {
		switch (oid->val[2]) {
		case 0x11:
			return EXT_SAN;
		case 0x13:
			return EXT_BC;
		case 0x0f:
			return EXT_KU;
		case 0x25:
			return EXT_EKU;
		case 0x23:
			return EXT_AKI;
		case 0x0e:
			return EXT_SKI;
		case 0x20:
			return EXT_POL;
		default:
			return -1;
		}
	}
	for (int i = EXT_AIA; i < EXT_N; i++)
		if (oid_is(oid, (const uint8_t *)ext_defs[i].oid, ext_defs[i].oid_len))
			return i;
	return -1;
}

static void clear_ext(struct x509_cert *c, int id)
{
	switch (id) {
	case EXT_SAN:
		c->san_count = 0;
		c->san_total = 0;
		c->san_ext.off = c->san_ext.len = 0;
		break;
	case EXT_BC:
		c->has_basic_constraints = false;
		c->is_ca = false;
		c->path_len = -1;
		break;
	case EXT_KU:
		c->has_key_usage = false;
		c->key_usage = 0;
		break;
	case EXT_EKU:
		c->eku_count = 0;
		break;
	case EXT_AKI:
		c->has_aki = false;
		c->aki.off = c->aki.len = 0;
		break;
	case EXT_SKI:
		c->has_ski = false;
		c->ski.off = c->ski.len = 0;
		break;
	case EXT_POL:
		c->policy_count = 0;
		break;
	case EXT_AIA:
		c->ocsp_count = 0;
		c->ca_issuers_count = 0;
		break;
	default:
		break;
	}
}

/* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension (RFC 5280 4.1.2.9). */
static int parse_extensions(struct px *x, const struct der_tlv *wrap)
{
	struct x509_cert *c = x->c;
	struct der_cur wc, lc, ec;
	struct der_tlv list, ext, oid, crit, val;
	uint16_t seen = 0, dup = 0, bad = 0;

	der_enter(wrap, &wc);
	TRY(rd(x, &wc, DER_SEQUENCE, &list));
	if (!der_done(&wc))
		return fail(x, wc.p, X509_E_TRAILING);
	der_enter(&list, &lc);
	if (der_done(&lc))
		c->anomalies |= X509_ANOM_EMPTY_EXTS;
	while (!der_done(&lc)) {
		TRY(rd(x, &lc, DER_SEQUENCE, &ext));
		der_enter(&ext, &ec);
		TRY(rd(x, &ec, DER_OID, &oid));
		if (!der_oid_valid(oid.val, oid.len))
			return fail(x, oid.hdr, X509_E_OID);
		if (der_peek(&ec, DER_BOOLEAN)) {
			TRY(rd_any(x, &ec, &crit));
			if (crit.len != 1)
				return fail(x, crit.hdr, X509_E_BOOLEAN);
		}
		TRY(rd(x, &ec, DER_OCTET_STRING, &val));
		if (!der_done(&ec))
			return fail(x, ec.p, X509_E_EXTENSIONS);
		if (c->ext_count < UINT16_MAX)
			c->ext_count++;
		int id = find_ext(&oid);
		if (id < 0)
			continue;
		if (seen & (1u << id)) {
			dup |= (uint16_t)(1u << id);
			continue;
		}
		seen |= (uint16_t)(1u << id);
		if (!ext_defs[id].parse)
			continue;
		struct der_cur vc;

		der_enter(&val, &vc);
		if (!ext_defs[id].parse(x, &vc)) {
			bad |= (uint16_t)(1u << id);
			clear_ext(c, id);
		} else if (!der_done(&vc)) {
			c->anomalies |= X509_ANOM_EXT_TRAILING;
		}
	}
	if (seen & (1u << EXT_SCT))
		c->has_sct = true;
	for (int id = 0; id < EXT_N; id++) {
		if (id != EXT_SCT && (dup & (1u << id)))
			clear_ext(c, id);
	}
	if (dup)
		c->anomalies |= X509_ANOM_DUP_EXT;
	if (bad)
		c->anomalies |= X509_ANOM_BAD_EXT;
	return 0;
}

/* ---- the certificate ---- */

static int parse_tbs(struct px *x, const struct der_tlv *tbs, const struct der_tlv *outer_alg)
{
	struct x509_cert *c = x->c;
	struct der_cur tc, vc;
	struct der_tlv t, v, alg, oid, params;
	bool has_params;

	der_enter(tbs, &tc);
	c->version = 1;
	if (der_peek(&tc, DER_CTX_CONS(0))) {
		TRY(rd_any(x, &tc, &t));
		der_enter(&t, &vc);
		TRY(rd(x, &vc, DER_INTEGER, &v));
		if (!der_done(&vc))
			return fail(x, vc.p, X509_E_TRAILING);
		if (!der_int_minimal(v.val, v.len))
			return fail(x, v.hdr, X509_E_INTEGER);
		if (v.len == 1 && v.val[0] < 0x7f) {
			c->version = (uint8_t)(v.val[0] + 1);
			if (v.val[0] > 2)
				c->anomalies |= X509_ANOM_VERSION;
		} else {
			c->version = 0;
			c->anomalies |= X509_ANOM_VERSION;
		}
	}
	TRY(rd(x, &tc, DER_INTEGER, &t));
	if (!der_int_minimal(t.val, t.len))
		return fail(x, t.hdr, X509_E_INTEGER);
	c->serial = sl(x, t.val, t.len);
	if ((t.val[0] & 0x80) || (t.len == 1 && t.val[0] == 0))
		c->anomalies |= X509_ANOM_NEG_SERIAL;
	TRY(parse_alg(x, &tc, &alg, &oid, &params, &has_params));
	if (alg.len != outer_alg->len || memcmp(alg.val, outer_alg->val, alg.len))
		c->anomalies |= X509_ANOM_SIG_ALG_MISMATCH;
	TRY(parse_name(x, &tc, &c->issuer, &c->issuer_cn, &c->issuer_o, &c->issuer_c));
	TRY(rd(x, &tc, DER_SEQUENCE, &t));
	der_enter(&t, &vc);
	TRY(parse_time(x, &vc, &c->not_before_raw, &c->not_before, &c->not_before_ok));
	TRY(parse_time(x, &vc, &c->not_after_raw, &c->not_after, &c->not_after_ok));
	if (!der_done(&vc))
		return fail(x, vc.p, X509_E_TRAILING);
	TRY(parse_name(x, &tc, &c->subject, &c->subject_cn, &c->subject_o, &c->subject_c));
	TRY(parse_spki(x, &tc));
	for (uint8_t tag = DER_CTX(1); tag <= DER_CTX(2); tag++) {
		if (der_peek(&tc, tag)) {
			TRY(rd_any(x, &tc, &t));
			if (t.len < 1 || t.val[0] > 7)
				return fail(x, t.hdr, X509_E_BITSTRING);
			c->anomalies |= X509_ANOM_UNIQUE_ID;
		}
	}
	if (der_peek(&tc, DER_CTX_CONS(3))) {
		TRY(rd_any(x, &tc, &t));
		TRY(parse_extensions(x, &t));
		if (c->version < 3)
			c->anomalies |= X509_ANOM_VERSION;
	}
	if (!der_done(&tc))
		return fail(x, tc.p, X509_E_TRAILING);
	return 0;
}

int x509_parse(const uint8_t *der, size_t len, struct x509_cert *out)
{
	struct px x = {der, der, out};
	struct der_cur top, cc;
	struct der_tlv cert, tbs, alg_seq, oid, params, sig;
	bool has_params;
	int ret;

	memset(out, 0, offsetof(struct x509_cert, san));
	memset(&out->has_basic_constraints, 0,
	       sizeof(*out) - offsetof(struct x509_cert, has_basic_constraints));
	out->path_len = -1;
	if (len > X509_MAX_LEN) {
		x.err_at = der;
		ret = X509_E_TOO_LARGE;
		goto out;
	}
	der_init(&top, der, len);
	ret = rd(&x, &top, DER_SEQUENCE, &cert);
	if (ret < 0)
		goto out;
	out->der_len = (uint32_t)(top.p - der);
	if (!der_done(&top))
		out->anomalies |= X509_ANOM_TRAILING_DATA;
	der_enter(&cert, &cc);
	ret = rd(&x, &cc, DER_SEQUENCE, &tbs);
	if (ret < 0)
		goto out;
	out->tbs = sl_tlv(&x, &tbs);
	ret = parse_alg(&x, &cc, &alg_seq, &oid, &params, &has_params);
	if (ret < 0)
		goto out;
	out->sig_alg = sl(&x, oid.val, oid.len);
	ret = rd(&x, &cc, DER_BIT_STRING, &sig);
	if (ret < 0)
		goto out;
	if (sig.len < 1 || sig.val[0] > 7) {
		ret = fail(&x, sig.hdr, X509_E_BITSTRING);
		goto out;
	}
	if (!der_done(&cc)) {
		ret = fail(&x, cc.p, X509_E_TRAILING);
		goto out;
	}
	ret = parse_tbs(&x, &tbs, &alg_seq);
out:
	if (ret < 0)
		out->err_offset = (uint32_t)(x.err_at - der);
	return ret;
}

const char *x509_strerror(int err)
{
	switch (err) {
	case X509_OK:
		return "ok";
	case X509_E_TRUNC:
		return "truncated: a length runs past its enclosing block";
	case X509_E_LENGTH:
		return "bad length encoding (indefinite, non-minimal or too long)";
	case X509_E_TAG:
		return "unexpected tag";
	case X509_E_INTEGER:
		return "empty or non-minimal INTEGER";
	case X509_E_OID:
		return "malformed OBJECT IDENTIFIER";
	case X509_E_NAME:
		return "malformed Name (attribute value type or string)";
	case X509_E_TIME:
		return "validity time is not UTCTime or GeneralizedTime";
	case X509_E_BITSTRING:
		return "malformed BIT STRING";
	case X509_E_BOOLEAN:
		return "malformed BOOLEAN";
	case X509_E_TRAILING:
		return "unexpected bytes at the end of a block";
	case X509_E_DEPTH:
		return "nesting too deep";
	case X509_E_EXTENSIONS:
		return "malformed Extensions";
	case X509_E_TOO_LARGE:
		return "input too large";
	default:
		return "unknown error";
	}
}

void x509_san_begin(const struct x509_cert *c, struct x509_san_iter *it)
{
	/* pos has the top bit set until the GeneralNames header is skipped */
	it->pos = c->san_ext.len ? (c->san_ext.off | 0x80000000u) : 0;
	it->end = c->san_ext.len ? c->san_ext.off + c->san_ext.len : 0;
}

bool x509_san_next(const uint8_t *der, struct x509_san_iter *it, struct x509_gname *gn)
{
	struct der_cur cur;
	struct der_tlv t;

	if (it->pos & 0x80000000u) {
		/* first call: skip the SEQUENCE header */
		struct der_tlv seq;

		der_init(&cur, der + (it->pos & 0x7fffffffu), it->end - (it->pos & 0x7fffffffu));
		if (der_read(&cur, &seq) < 0) {
			it->pos = it->end;
			return false;
		}
		it->pos = (uint32_t)(seq.val - der);
	}
	while (it->pos < it->end) {
		der_init(&cur, der + it->pos, it->end - it->pos);
		if (der_read(&cur, &t) < 0) {
			it->pos = it->end;
			return false;
		}
		it->pos = (uint32_t)(cur.p - der);
		if (t.tag & DER_CONSTRUCTED)
			continue;
		gn->type = t.tag & 0x1f;
		gn->off = (uint32_t)(t.val - der);
		gn->len = (uint32_t)t.len;
		return true;
	}
	return false;
}

/* SPDX-License-Identifier: MIT */
/*
 * Output side of the X.509 parser: RFC 4514 names, hex, times, OID names,
 * digests and the JSON object of `tlsmap x509`. These run once per
 * certificate written, not per packet, so they may allocate and may ask
 * OpenSSL for the name of an OID outside the small built-in tables (that
 * keeps names identical to OpenSSL's without copying its object table).
 *
 * The RFC 4514 rendering reproduces OpenSSL's X509_NAME_print_ex with
 * XN_FLAG_RFC2253, byte for byte, because datasets are compared with
 * `openssl x509 -nameopt RFC2253` output: RDNs in reverse order, '+' inside
 * a multi-valued RDN, short attribute names (dotted OID and #hex DER for
 * unknown types), strings converted to UTF-8 and then every octet above
 * 0x7f and every control escaped as \XX, the RFC 2253 specials escaped with
 * a backslash, and a space or '#' escaped only in first/last position.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>

#include "parsers/der_internal.h"
#include "parsers/x509.h"
#include "parsers/x509_internal.h"

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_putn(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 128;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void sb_putc(struct sbuf *b, char c)
{
	sb_putn(b, &c, 1);
}

static char *sb_finish(struct sbuf *b)
{
	if (b->oom) {
		free(b->p);
		return NULL;
	}
	if (!b->p)
		return strdup("");
	return b->p;
}

static const char hexl[] = "0123456789abcdef";
static const char hexu[] = "0123456789ABCDEF";

char *x509_hex(const uint8_t *p, size_t len, char *buf)
{
	for (size_t i = 0; i < len; i++) {
		buf[2 * i] = hexl[p[i] >> 4];
		buf[2 * i + 1] = hexl[p[i] & 15];
	}
	buf[2 * len] = 0;
	return buf;
}

char *x509_serial_hex(const uint8_t *der, struct x509_slice serial, char *buf, size_t cap)
{
	const uint8_t *p = der + serial.off;
	size_t len = serial.len, o = 0;
	uint8_t mag[64];
	const uint8_t *m = p;

	if (cap < 2) {
		if (cap)
			buf[0] = 0;
		return buf;
	}
	buf[0] = 0;
	if (len && (p[0] & 0x80)) {
		/* negative: print the magnitude of the two's complement value */
		if (len > sizeof(mag))
			return buf;
		unsigned carry = 1;
		for (size_t i = len; i-- > 0;) {
			unsigned v = (uint8_t)~p[i] + carry;
			mag[i] = (uint8_t)v;
			carry = v >> 8;
		}
		m = mag;
		buf[o++] = '-';
	}
	size_t i = 0;
	while (i < len && m[i] == 0)
		i++;
	if (i == len) {
		buf[o++] = '0';
		buf[o] = 0;
		return buf;
	}
	bool lead = true;
	for (; i < len && o + 3 < cap; i++) {
		if (!(lead && (m[i] >> 4) == 0))
			buf[o++] = hexl[m[i] >> 4];
		lead = false;
		buf[o++] = hexl[m[i] & 15];
	}
	buf[o] = 0;
	return buf;
}

void x509_time_rfc3339(int64_t t, char buf[21])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	/* civil_from_days (Howard Hinnant) */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;

	y += m <= 2;
	if (y < 0 || y > 9999) {
		buf[0] = 0;
		return;
	}
	unsigned v[6] = {
		(unsigned)y,	      m, d, (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
		(unsigned)(secs % 60)};
	static const char sep[6] = {'-', '-', 'T', ':', ':', 'Z'};
	char *o = buf;
	for (int i = 0; i < 6; i++) {
		if (i == 0) {
			*o++ = (char)('0' + v[0] / 1000);
			*o++ = (char)('0' + v[0] / 100 % 10);
		}
		*o++ = (char)('0' + v[i] / 10 % 10);
		*o++ = (char)('0' + v[i] % 10);
		*o++ = sep[i];
	}
	*o = 0;
}

/*
 * Decimal of the arc in @g[0..n) (big-endian base-128 digits, high bits
 * already stripped), minus @sub, appended at @out; returns the digits
 * written or 0 if they do not fit in @room. Arcs of any size: repeated
 * division by 10 of the digit array (X.690 8.19 sets no bound on an arc,
 * and OpenSSL prints them exactly with BIGNUMs). @g is overwritten.
 */
static size_t arc_decimal(uint8_t *g, size_t n, unsigned sub, char *out, size_t room)
{
	size_t nd = 0, lead = 0;

	/* subtract @sub (the first arc's 40 * X), borrowing leftwards */
	for (size_t i = n; sub && i-- > 0;) {
		unsigned d = g[i], take = sub % 128;
		sub /= 128;
		if (d < take) {
			d += 128;
			sub++;
		}
		g[i] = (uint8_t)(d - take);
	}
	do {
		unsigned rem = 0;
		while (lead < n && g[lead] == 0)
			lead++;
		for (size_t i = lead; i < n; i++) {
			unsigned cur = rem * 128 + g[i];
			g[i] = (uint8_t)(cur / 10);
			rem = cur % 10;
		}
		if (nd == room)
			return 0;
		out[nd++] = (char)('0' + rem);
		while (lead < n && g[lead] == 0)
			lead++;
	} while (lead < n);
	for (size_t i = 0; i < nd / 2; i++) {
		char t = out[i];
		out[i] = out[nd - 1 - i];
		out[nd - 1 - i] = t;
	}
	return nd;
}

char *x509_oid_dotted(const uint8_t *oid, size_t len, char *buf, size_t cap)
{
	size_t o = 0, start = 0;
	bool first = true;
	uint8_t small[16], *g = small;

	if (!cap)
		return buf;
	buf[0] = 0;
	if (!der_oid_valid(oid, len))
		return buf;
	/* an arc of n octets has at most 3n digits: X509_OID_TEXT_MAX() */
	if (len > sizeof(small)) {
		g = malloc(len);
		if (!g)
			return buf;
	}
	for (size_t i = 0; i < len; i++) {
		if (oid[i] & 0x80)
			continue;
		size_t n = i + 1 - start, nd;
		unsigned a = 0;
		/* repeated division is quadratic in the arc's length: bound it */
		if (n > X509_OID_MAX_ARC_OCTETS)
			goto fail;
		for (size_t k = 0; k < n; k++)
			g[k] = oid[start + k] & 0x7fu;
		start = i + 1;
		if (first) {
			/* X.690 8.19.4: the first octets hold 40 * X + Y, X in 0..2 */
			a = n > 1 || g[0] >= 80 ? 2 : g[0] >= 40 ? 1 : 0;
			if (cap - o < 3)
				goto fail;
			buf[o++] = (char)('0' + a);
			buf[o++] = '.';
			first = false;
		} else {
			if (cap - o < 2)
				goto fail;
			buf[o++] = '.';
		}
		nd = arc_decimal(g, n, 40 * a, buf + o, cap - o - 1);
		if (!nd)
			goto fail;
		o += nd;
		buf[o] = 0;
	}
	if (g != small)
		free(g);
	return buf;
fail:
	/* never a prefix: a shortened OID could be another, real one */
	buf[0] = 0;
	if (g != small)
		free(g);
	return buf;
}

/* OpenSSL's NID for OID content octets (NID_undef if it does not know it). */
static int ossl_nid(const uint8_t *oid, size_t len)
{
	ASN1_OBJECT *o;
	int nid;

	if (len == 0 || len > 1024)
		return NID_undef;
	o = ASN1_OBJECT_create(NID_undef, (unsigned char *)oid, (int)len, NULL, NULL);
	if (!o)
		return NID_undef;
	nid = OBJ_obj2nid(o);
	ASN1_OBJECT_free(o);
	return nid;
}

struct oid_name {
	const char *oid;
	uint8_t len;
	const char *name;
};

#define ON(lit, name)                                                                              \
	{                                                                                          \
		lit, sizeof(lit) - 1, name                                                         \
	}

/* Attribute types: OpenSSL short names. */
static const struct oid_name attr_names[] = {
	ON("\x55\x04\x03", "CN"),
	ON("\x55\x04\x06", "C"),
	ON("\x55\x04\x07", "L"),
	ON("\x55\x04\x08", "ST"),
	ON("\x55\x04\x0a", "O"),
	ON("\x55\x04\x0b", "OU"),
	ON("\x55\x04\x05", "serialNumber"),
	ON("\x55\x04\x09", "street"),
	ON("\x55\x04\x04", "SN"),
	ON("\x55\x04\x2a", "GN"),
	ON("\x55\x04\x0c", "title"),
	ON("\x55\x04\x11", "postalCode"),
	ON("\x55\x04\x0f", "businessCategory"),
	ON("\x55\x04\x61", "organizationIdentifier"),
	ON("\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01", "emailAddress"),
	ON("\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19", "DC"),
	ON("\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x01", "UID"),
	ON("\x2b\x06\x01\x04\x01\x82\x37\x3c\x02\x01\x01", "jurisdictionL"),
	ON("\x2b\x06\x01\x04\x01\x82\x37\x3c\x02\x01\x02", "jurisdictionST"),
	ON("\x2b\x06\x01\x04\x01\x82\x37\x3c\x02\x01\x03", "jurisdictionC"),
};

/* Signature algorithms: OpenSSL long names. */
static const struct oid_name sig_names[] = {
	ON("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b", "sha256WithRSAEncryption"),
	ON("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c", "sha384WithRSAEncryption"),
	ON("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d", "sha512WithRSAEncryption"),
	ON("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05", "sha1WithRSAEncryption"),
	ON("\x2a\x86\x48\xce\x3d\x04\x03\x02", "ecdsa-with-SHA256"),
	ON("\x2a\x86\x48\xce\x3d\x04\x03\x03", "ecdsa-with-SHA384"),
	ON("\x2a\x86\x48\xce\x3d\x04\x03\x04", "ecdsa-with-SHA512"),
};

/* Extended key usages: OpenSSL short names. */
static const struct oid_name eku_names[] = {
	ON("\x2b\x06\x01\x05\x05\x07\x03\x01", "serverAuth"),
	ON("\x2b\x06\x01\x05\x05\x07\x03\x02", "clientAuth"),
	ON("\x2b\x06\x01\x05\x05\x07\x03\x03", "codeSigning"),
	ON("\x2b\x06\x01\x05\x05\x07\x03\x04", "emailProtection"),
	ON("\x2b\x06\x01\x05\x05\x07\x03\x08", "timeStamping"),
	ON("\x2b\x06\x01\x05\x05\x07\x03\x09", "OCSPSigning"),
	ON("\x55\x1d\x25\x00", "anyExtendedKeyUsage"),
};

static const char *table_lookup(const struct oid_name *t, size_t n, const uint8_t *oid, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].len == len && !memcmp(t[i].oid, oid, len))
			return t[i].name;
	return NULL;
}

#define TABLE(t, oid, len) table_lookup(t, sizeof(t) / sizeof(t[0]), oid, len)

const char *x509_sig_alg_name(const uint8_t *der, const struct x509_cert *c, char *buf, size_t cap)
{
	const uint8_t *oid = der + c->sig_alg.off;
	const char *n = TABLE(sig_names, oid, c->sig_alg.len);
	int nid;

	if (n)
		return n;
	nid = ossl_nid(oid, c->sig_alg.len);
	if (nid != NID_undef && (n = OBJ_nid2ln(nid)))
		return n;
	return x509_oid_dotted(oid, c->sig_alg.len, buf, cap);
}

const char *x509_eku_name(const uint8_t *oid, size_t len, char *buf, size_t cap)
{
	const char *n = TABLE(eku_names, oid, len);
	int nid;

	if (n)
		return n;
	nid = ossl_nid(oid, len);
	if (nid != NID_undef && (n = OBJ_nid2sn(nid)))
		return n;
	return x509_oid_dotted(oid, len, buf, cap);
}

const char *x509_key_type_name(uint8_t key_type)
{
	switch (key_type) {
	case X509_KEY_RSA:
		return "rsa";
	case X509_KEY_EC:
		return "ec";
	case X509_KEY_ED25519:
		return "ed25519";
	case X509_KEY_ED448:
		return "ed448";
	case X509_KEY_DSA:
		return "dsa";
	case X509_KEY_OTHER:
		return "other";
	default:
		return "";
	}
}

const char *x509_curve_name(const uint8_t *der, const struct x509_cert *c, char *buf, size_t cap)
{
	const uint8_t *oid = der + c->key_params.off;
	const char *n;
	int nid;

	if (c->key_type != X509_KEY_EC || c->key_params_tag != DER_OID ||
	    !der_oid_valid(oid, c->key_params.len))
		return "";
	if ((n = x509_curve_lookup(oid, c->key_params.len, NULL)))
		return n;
	nid = ossl_nid(oid, c->key_params.len);
	if (nid != NID_undef && (n = OBJ_nid2sn(nid)))
		return n;
	return x509_oid_dotted(oid, c->key_params.len, buf, cap);
}

uint32_t x509_key_bits(const uint8_t *der, const struct x509_cert *c)
{
	EC_GROUP *g;
	uint32_t bits = 0;
	int nid;

	if (c->key_bits || c->key_type != X509_KEY_EC || c->key_params_tag != DER_OID)
		return c->key_bits;
	nid = ossl_nid(der + c->key_params.off, c->key_params.len);
	if (nid == NID_undef)
		return 0;
	g = EC_GROUP_new_by_curve_name(nid);
	if (g) {
		bits = (uint32_t)EC_GROUP_order_bits(g);
		EC_GROUP_free(g);
	}
	return bits;
}

const char *x509_ku_name(unsigned bit)
{
	static const char *const names[X509_KU_COUNT] = {
		"digitalSignature", "nonRepudiation", "keyEncipherment",
		"dataEncipherment", "keyAgreement",   "keyCertSign",
		"cRLSign",	    "encipherOnly",   "decipherOnly",
	};
	return bit < X509_KU_COUNT ? names[bit] : "";
}

char *x509_ip_text(const uint8_t *p, size_t len, char *buf, size_t cap)
{
	if (len == 4 && inet_ntop(AF_INET, p, buf, (socklen_t)cap))
		return buf;
	if (len == 16 && inet_ntop(AF_INET6, p, buf, (socklen_t)cap))
		return buf;
	if (cap < 2 * len + 2) {
		if (cap)
			buf[0] = 0;
		return buf;
	}
	buf[0] = '#';
	x509_hex(p, len, buf + 1);
	return buf;
}

/*
 * OpenSSL 3's one-shot SHA256()/SHA1() look the algorithm up in the provider
 * store on every call, which costs more than hashing a 1 KB certificate.
 * Fetch each algorithm once (the handles live for the process) and digest
 * with the explicit handle; fall back to the one-shot call if a fetch fails.
 */
static EVP_MD *md_sha256, *md_sha1;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
}

static void digest_sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
	pthread_once(&md_once, md_fetch);
	if (!md_sha256 || !EVP_Digest(p, n, out, NULL, md_sha256, NULL))
		SHA256(p, n, out);
}

void x509_sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
	digest_sha256(p, n, out);
}

void x509_digests(const uint8_t *der, const struct x509_cert *c, uint8_t sha256[32],
		  uint8_t sha1[20], uint8_t spki_sha256[32])
{
	pthread_once(&md_once, md_fetch);
	if (sha256)
		digest_sha256(der, c->der_len, sha256);
	if (sha1 && (!md_sha1 || !EVP_Digest(der, c->der_len, sha1, NULL, md_sha1, NULL)))
		SHA1(der, c->der_len, sha1);
	if (spki_sha256)
		digest_sha256(der + c->spki.off, c->spki.len, spki_sha256);
}

/* ---- names ---- */

/* char_type of OpenSSL's a_strex.c for 0x00..0x7f, reduced to the bits
 * XN_FLAG_RFC2253 uses: 1 = RFC 2253 special, 2 = control,
 * 0x20 = escape when first, 0x40 = escape when last. */
#define CT_2253 0x01
#define CT_CTRL 0x02
#define CT_FIRST 0x20
#define CT_LAST 0x40

static uint8_t char_class(uint8_t c)
{
	if (c < 0x20 || c == 0x7f)
		return CT_CTRL;
	switch (c) {
	case ' ':
		return CT_FIRST | CT_LAST;
	case '#':
		return CT_FIRST;
	case '"':
	case '+':
	case ',':
	case ';':
	case '<':
	case '>':
	case '\\':
		return CT_2253;
	default:
		return 0;
	}
}

static void esc_byte(struct sbuf *b, uint8_t c, uint8_t pos_flags)
{
	char tmp[4];

	if (c > 0x7f) {
		snprintf(tmp, sizeof(tmp), "\\%02X", c);
		sb_putn(b, tmp, 3);
		return;
	}
	uint8_t cl = char_class(c);
	if ((cl & CT_2253) || (cl & pos_flags)) {
		sb_putc(b, '\\');
		sb_putc(b, (char)c);
	} else if (cl & CT_CTRL) {
		snprintf(tmp, sizeof(tmp), "\\%02X", c);
		sb_putn(b, tmp, 3);
	} else {
		sb_putc(b, (char)c);
	}
}

static size_t utf8_put(uint8_t out[4], uint32_t v)
{
	if (v < 0x80) {
		out[0] = (uint8_t)v;
		return 1;
	}
	if (v < 0x800) {
		out[0] = (uint8_t)(0xc0 | v >> 6);
		out[1] = (uint8_t)(0x80 | (v & 0x3f));
		return 2;
	}
	if (v < 0x10000) {
		if (v >= 0xd800 && v <= 0xdfff)
			return 0;
		out[0] = (uint8_t)(0xe0 | v >> 12);
		out[1] = (uint8_t)(0x80 | ((v >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (v & 0x3f));
		return 3;
	}
	if (v < 0x110000) {
		out[0] = (uint8_t)(0xf0 | v >> 18);
		out[1] = (uint8_t)(0x80 | ((v >> 12) & 0x3f));
		out[2] = (uint8_t)(0x80 | ((v >> 6) & 0x3f));
		out[3] = (uint8_t)(0x80 | (v & 0x3f));
		return 4;
	}
	return 0;
}

/* Octets per character of a string tag as OpenSSL's tag2nbyte: 0 for
 * UTF8String (printed octet by octet), -1 for types that are dumped. */
static int tag_width(uint8_t tag)
{
	switch (tag) {
	case DER_UTF8_STRING:
		return 0;
	case 18:
	case 19:
	case 20:
	case 21:
	case 22:
	case 23:
	case 24:
	case 25:
	case 26:
	case 27:
		return 1;
	case DER_UNIVERSAL_STRING:
		return 4;
	case DER_BMP_STRING:
		return 2;
	default:
		return -1;
	}
}

static void print_value(struct sbuf *b, uint8_t tag, const uint8_t *p, size_t len)
{
	int w = tag_width(tag);

	if (w == 0) {
		for (size_t i = 0; i < len; i++) {
			uint8_t pf = i == len - 1 ? CT_LAST : i == 0 ? CT_FIRST : 0;
			esc_byte(b, p[i], pf);
		}
		return;
	}
	size_t step = (size_t)w, nchar = len / step;
	for (size_t i = 0; i < nchar; i++) {
		uint32_t v = 0;
		uint8_t u[4];
		size_t n;

		for (size_t k = 0; k < step; k++)
			v = v << 8 | p[i * step + k];
		uint8_t pf = i == nchar - 1 ? CT_LAST : i == 0 ? CT_FIRST : 0;
		n = utf8_put(u, v);
		for (size_t k = 0; k < n; k++)
			esc_byte(b, u[k], pf);
	}
}

/* '#' and the value's DER in upper-case hex. OpenSSL re-encodes the value
 * (i2d_ASN1_TYPE): identical for DER input except a BIT STRING, whose
 * unused trailing bits it has zeroed. */
static void dump_hex(struct sbuf *b, const uint8_t *p, size_t len)
{
	bool bits = len >= 3 && p[0] == DER_BIT_STRING && p[1] < 0x80 && p[2] <= 7;

	sb_putc(b, '#');
	for (size_t i = 0; i < len; i++) {
		uint8_t v = p[i];

		if (bits && i == len - 1 && len > 3)
			v &= (uint8_t)(0xff << p[2]);
		sb_putc(b, hexu[v >> 4]);
		sb_putc(b, hexu[v & 15]);
	}
}

struct name_ent {
	const uint8_t *type, *val_hdr, *val;
	size_t type_len, val_tlv_len, val_len;
	uint8_t tag;
	uint32_t set;
};

char *x509_name_rfc4514(const uint8_t *der, struct x509_slice name)
{
	struct sbuf b = {0};
	struct der_cur nc, rc, ac, top;
	struct der_tlv seq, rdn, atv, type, val;
	struct name_ent *ents = NULL;
	size_t n = 0, cap = 0;
	uint32_t set = 0;

	der_init(&top, der + name.off, name.len);
	if (der_read(&top, &seq) < 0)
		return sb_finish(&b);
	der_enter(&seq, &nc);
	while (!der_done(&nc) && der_read(&nc, &rdn) == 0) {
		der_enter(&rdn, &rc);
		while (!der_done(&rc) && der_read(&rc, &atv) == 0) {
			der_enter(&atv, &ac);
			if (der_read(&ac, &type) < 0 || der_read(&ac, &val) < 0)
				break;
			if (n == cap) {
				size_t nc2 = cap ? cap * 2 : 16;
				struct name_ent *e = realloc(ents, nc2 * sizeof(*e));
				if (!e) {
					b.oom = true;
					goto out;
				}
				ents = e;
				cap = nc2;
			}
			ents[n].type = type.val;
			ents[n].type_len = type.len;
			ents[n].val_hdr = val.hdr;
			ents[n].val = val.val;
			ents[n].val_len = val.len;
			ents[n].val_tlv_len = (size_t)(val.val + val.len - val.hdr);
			ents[n].tag = val.tag;
			ents[n].set = set;
			n++;
		}
		set++;
	}
	for (size_t i = n; i-- > 0;) {
		const struct name_ent *e = &ents[i];
		const char *sn = TABLE(attr_names, e->type, e->type_len);
		int nid = NID_undef;

		if (i != n - 1)
			sb_putc(&b, ents[i + 1].set == e->set ? '+' : ',');
		if (!sn) {
			nid = ossl_nid(e->type, e->type_len);
			if (nid != NID_undef)
				sn = OBJ_nid2sn(nid);
		}
		if (sn) {
			sb_puts(&b, sn);
			sb_putc(&b, '=');
			if (tag_width(e->tag) < 0)
				dump_hex(&b, e->val_hdr, e->val_tlv_len);
			else
				print_value(&b, e->tag, e->val, e->val_len);
		} else {
			/* OBJ_obj2txt; exact where OpenSSL's 80-octet buffer would cut
			 * the text (a cut OID could name another attribute) */
			char *dotted = malloc(X509_OID_TEXT_MAX(e->type_len));
			if (!dotted) {
				b.oom = true;
				goto out;
			}
			sb_puts(&b, x509_oid_dotted(e->type, e->type_len, dotted,
						    X509_OID_TEXT_MAX(e->type_len)));
			free(dotted);
			sb_putc(&b, '=');
			dump_hex(&b, e->val_hdr, e->val_tlv_len);
		}
	}
out:
	free(ents);
	return sb_finish(&b);
}

char *x509_str_utf8(const uint8_t *der, struct x509_str s)
{
	return x509_str_utf8_len(der, s, NULL);
}

char *x509_str_utf8_len(const uint8_t *der, struct x509_str s, size_t *len)
{
	struct sbuf b = {0};
	const uint8_t *p = der + s.off;
	int w;

	if (!s.tag)
		goto out;
	w = tag_width(s.tag);
	if (w < 0)
		goto out;
	if (w == 0) {
		sb_putn(&b, (const char *)p, s.len);
		goto out;
	}
	for (size_t i = 0; i + (size_t)w <= s.len; i += (size_t)w) {
		uint32_t v = 0;
		uint8_t u[4];

		for (int k = 0; k < w; k++)
			v = v << 8 | p[i + (size_t)k];
		size_t n = utf8_put(u, v);
		sb_putn(&b, (const char *)u, n);
	}
out:
	if (len)
		*len = b.oom ? 0 : b.len;
	return sb_finish(&b);
}

/* Length of the valid UTF-8 sequence at @p (at most @n octets), 0 if none. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	size_t k = p[0] < 0x80		   ? 1
		   : (p[0] & 0xe0) == 0xc0 ? 2
		   : (p[0] & 0xf0) == 0xe0 ? 3
		   : (p[0] & 0xf8) == 0xf0 ? 4
					   : 0;

	if (k == 0 || k > n || !x509_utf8_valid(p, k))
		return 0;
	return k;
}

bool x509_text_is_utf8(const uint8_t *p, size_t n)
{
	return x509_utf8_valid(p, n);
}

char *x509_text_escape(const uint8_t *p, size_t n, bool *escaped)
{
	struct sbuf b = {0};
	bool esc = false;

	for (size_t i = 0; i < n;) {
		size_t k = p[i] ? utf8_seq(p + i, n - i) : 0;

		if (k == 1 && p[i] == '\\') {
			sb_putn(&b, "\\\\", 2);
		} else if (k) {
			sb_putn(&b, (const char *)p + i, k);
		} else {
			char e[4] = {'\\', 'x', hexl[p[i] >> 4], hexl[p[i] & 15]};
			sb_putn(&b, e, 4);
			esc = true;
			k = 1;
		}
		i += k;
	}
	if (escaped)
		*escaped = esc;
	return sb_finish(&b);
}

/* ---- JSON ---- */

void x509_json_str(FILE *f, const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;

	fputc('"', f);
	for (size_t i = 0; i < len;) {
		uint8_t c = p[i];

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			fputc(c, f);
			i++;
		} else {
			size_t n = (c & 0xe0) == 0xc0	? 2
				   : (c & 0xf0) == 0xe0 ? 3
				   : (c & 0xf8) == 0xf0 ? 4
							: 1;
			if (n > 1 && n <= len - i && x509_utf8_valid(p + i, n)) {
				fwrite(p + i, 1, n, f);
				i += n;
			} else {
				fprintf(f, "\\u%04x", c); /* not UTF-8: as Latin-1 */
				i++;
			}
		}
	}
	fputc('"', f);
}

static void json_cstr(FILE *f, const char *s)
{
	x509_json_str(f, s, strlen(s));
}

typedef const char *(*oid_namer)(const uint8_t *oid, size_t len, char *buf, size_t cap);

static const char *oid_plain(const uint8_t *oid, size_t len, char *buf, size_t cap)
{
	return x509_oid_dotted(oid, len, buf, cap);
}

/* An OID as a JSON string: @name's text in a buffer that fits any OID. */
static void json_oid(FILE *f, const uint8_t *oid, size_t len, oid_namer name)
{
	size_t cap = X509_OID_TEXT_MAX(len);
	char *b = malloc(cap);

	json_cstr(f, b ? name(oid, len, b, cap) : "");
	free(b);
}

static void json_key(FILE *f, const char *k, bool first)
{
	fprintf(f, first ? "\"%s\":" : ",\"%s\":", k);
}

/* "#" and lowercase hex: x509_ip_text()'s form for odd iPAddress lengths,
 * without its buffer limit. */
static void json_hex_prefixed(FILE *f, const uint8_t *p, size_t len)
{
	fputs("\"#", f);
	for (size_t i = 0; i < len; i++) {
		fputc(hexl[p[i] >> 4], f);
		fputc(hexl[p[i] & 15], f);
	}
	fputc('"', f);
}

static void json_san(FILE *f, const uint8_t *der, const struct x509_cert *c, uint8_t type)
{
	struct x509_san_iter it;
	struct x509_gname g;
	bool first = true;
	char ip[80];

	fputc('[', f);
	x509_san_begin(c, &it);
	while (x509_san_next(der, &it, &g)) {
		if (g.type != type)
			continue;
		if (!first)
			fputc(',', f);
		first = false;
		if (type == X509_GN_IP && (g.len == 4 || g.len == 16))
			json_cstr(f, x509_ip_text(der + g.off, g.len, ip, sizeof(ip)));
		else if (type == X509_GN_IP)
			json_hex_prefixed(f, der + g.off, g.len);
		else
			x509_json_str(f, (const char *)der + g.off, g.len);
	}
	fputc(']', f);
}

static void json_slices(FILE *f, const uint8_t *der, const struct x509_slice *s, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		x509_json_str(f, (const char *)der + s[i].off, s[i].len);
	}
	fputc(']', f);
}

static void json_hex(FILE *f, const uint8_t *p, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		fputc(hexl[p[i] >> 4], f);
		fputc(hexl[p[i] & 15], f);
	}
	fputc('"', f);
}

/* The public key's members of x509_fields_json: key_type to spki_sha256. */
static void json_key_fields(FILE *f, const uint8_t *der, const struct x509_cert *c,
			    const uint8_t spki[32])
{
	json_key(f, "key_type", false);
	json_cstr(f, x509_key_type_name(c->key_type));
	json_key(f, "key_bits", false);
	fprintf(f, "%u", x509_key_bits(der, c));
	json_key(f, "curve", false);
	{
		size_t cap = X509_OID_TEXT_MAX(c->key_params.len);
		char *b = malloc(cap);
		json_cstr(f, b ? x509_curve_name(der, c, b, cap) : "");
		free(b);
	}
	json_key(f, "spki_sha256", false);
	json_hex(f, spki, 32);
}

/* The extensions' members of x509_fields_json: san_dns to has_sct. */
static void json_extension_fields(FILE *f, const uint8_t *der, const struct x509_cert *c)
{
	json_key(f, "san_dns", false);
	json_san(f, der, c, X509_GN_DNS);
	json_key(f, "san_ip", false);
	json_san(f, der, c, X509_GN_IP);
	json_key(f, "san_email", false);
	json_san(f, der, c, X509_GN_EMAIL);
	json_key(f, "san_uri", false);
	json_san(f, der, c, X509_GN_URI);
	json_key(f, "is_ca", false);
	fputs(c->is_ca ? "true" : "false", f);
	json_key(f, "path_len", false);
	fprintf(f, "%d", (int)c->path_len);
	json_key(f, "key_usage", false);
	fputc('[', f);
	for (unsigned i = 0, n = 0; i < X509_KU_COUNT; i++)
		if (c->key_usage & (1u << i)) {
			if (n++)
				fputc(',', f);
			json_cstr(f, x509_ku_name(i));
		}
	fputc(']', f);
	json_key(f, "ext_key_usage", false);
	fputc('[', f);
	for (unsigned i = 0; i < c->eku_count; i++) {
		if (i)
			fputc(',', f);
		json_oid(f, der + c->eku[i].off, c->eku[i].len, x509_eku_name);
	}
	fputc(']', f);
	json_key(f, "aki", false);
	json_hex(f, der + c->aki.off, c->aki.len);
	json_key(f, "ski", false);
	json_hex(f, der + c->ski.off, c->ski.len);
	json_key(f, "policies", false);
	fputc('[', f);
	for (unsigned i = 0; i < c->policy_count; i++) {
		if (i)
			fputc(',', f);
		json_oid(f, der + c->policy[i].off, c->policy[i].len, oid_plain);
	}
	fputc(']', f);
	json_key(f, "ocsp", false);
	json_slices(f, der, c->ocsp, c->ocsp_count);
	json_key(f, "ca_issuers", false);
	json_slices(f, der, c->ca_issuers, c->ca_issuers_count);
	json_key(f, "has_sct", false);
	fputs(c->has_sct ? "true" : "false", f);
}

int x509_fields_json(const struct x509_cert *c, const uint8_t *der, FILE *f)
{
	uint8_t sha256[32], sha1[20], spki[32];
	char buf[160], *serial = NULL, *subject = NULL, *issuer = NULL, *cn = NULL;
	size_t cn_len = 0;
	int ret = -1;

	x509_digests(der, c, sha256, sha1, spki);
	serial = malloc(2 * (size_t)c->serial.len + 3);
	subject = x509_name_rfc4514(der, c->subject);
	issuer = x509_name_rfc4514(der, c->issuer);
	cn = x509_str_utf8_len(der, c->subject_cn, &cn_len);
	if (!serial || !subject || !issuer || !cn)
		goto out;
	x509_serial_hex(der, c->serial, serial, 2 * (size_t)c->serial.len + 3);

	fputc('{', f);
	json_key(f, "sha256", true);
	json_hex(f, sha256, 32);
	json_key(f, "sha1", false);
	json_hex(f, sha1, 20);
	json_key(f, "serial", false);
	json_cstr(f, serial);
	json_key(f, "version", false);
	fprintf(f, "%u", c->version);
	json_key(f, "subject", false);
	json_cstr(f, subject);
	json_key(f, "issuer", false);
	json_cstr(f, issuer);
	json_key(f, "subject_cn", false);
	x509_json_str(f, cn, cn_len);
	json_key(f, "not_before", false);
	buf[0] = 0;
	if (c->not_before_ok)
		x509_time_rfc3339(c->not_before, buf);
	json_cstr(f, buf);
	json_key(f, "not_after", false);
	buf[0] = 0;
	if (c->not_after_ok)
		x509_time_rfc3339(c->not_after, buf);
	json_cstr(f, buf);
	json_key_fields(f, der, c, spki);
	json_extension_fields(f, der, c);
	json_key(f, "sig_alg", false);
	{
		size_t cap = X509_OID_TEXT_MAX(c->sig_alg.len);
		char *b = malloc(cap);
		json_cstr(f, b ? x509_sig_alg_name(der, c, b, cap) : "");
		free(b);
	}
	fputc('}', f);
	ret = 0;
out:
	free(serial);
	free(subject);
	free(issuer);
	free(cn);
	return ret;
}

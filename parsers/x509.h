/* SPDX-License-Identifier: MIT */
/*
 * X.509 certificates (RFC 5280) from hostile peers, parsed without copying.
 *
 * x509_parse() walks the DER once, checks every length against its
 * enclosing block, and fills a fixed-size struct x509_cert with slices
 * (offset, length into the caller's DER) and decoded scalars. It never
 * allocates, never logs and keeps no state, so worker threads may call it
 * concurrently. A certificate it cannot parse gives a negative X509_E_* code
 * and the offset of the offending octet; odd but parseable input sets
 * X509_ANOM_* bits instead of failing.
 *
 * What it accepts is meant to be what OpenSSL's d2i_X509 accepts, minus BER
 * framing (indefinite or non-minimal lengths are rejected here): names whose
 * strings OpenSSL could not canonicalise (bad UTF-8, odd BMPString length)
 * are rejected, while malformed *extension contents* only make that
 * extension count as absent (as X509_get_ext_d2i returns NULL) with
 * X509_ANOM_BAD_EXT set.
 *
 * The render helpers below (names, times, hex, JSON) are for output paths:
 * they may allocate and may ask OpenSSL for the name of a rare OID. The
 * three digests are also computed there (x509_digests()), not in the parse.
 *
 * Lifetimes: every slice refers to the DER passed to x509_parse(); the
 * struct is valid as long as those bytes are.
 */
#ifndef TLSMAP_PARSERS_X509_H
#define TLSMAP_PARSERS_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum x509_err {
	X509_OK = 0,
	X509_E_TRUNC = -1,	 /* a length runs past its enclosing block */
	X509_E_LENGTH = -2,	 /* indefinite, non-minimal or too long length */
	X509_E_TAG = -3,	 /* unexpected tag */
	X509_E_INTEGER = -4,	 /* empty or non-minimal INTEGER */
	X509_E_OID = -5,	 /* malformed OBJECT IDENTIFIER */
	X509_E_NAME = -6,	 /* Name: bad structure, value type or string */
	X509_E_TIME = -7,	 /* Validity: not a UTCTime/GeneralizedTime */
	X509_E_BITSTRING = -8,	 /* empty BIT STRING or unused bits > 7 */
	X509_E_BOOLEAN = -9,	 /* BOOLEAN not one octet */
	X509_E_TRAILING = -10,	 /* bytes left inside a block that must be consumed */
	X509_E_DEPTH = -11,	 /* nesting deeper than the cap */
	X509_E_EXTENSIONS = -12, /* Extensions list is malformed */
	X509_E_TOO_LARGE = -13,	 /* input larger than 16 MiB */
};

/* Anomalies: parseable, recorded in Certificate.anomalies. */
#define X509_ANOM_TRAILING_DATA (1ull << 0) /* bytes after the Certificate */
#define X509_ANOM_VERSION (1ull << 1)	    /* version not v1..v3, or v1/v2 with extensions */
#define X509_ANOM_BAD_TIME (1ull << 2)	    /* a validity time did not decode */
#define X509_ANOM_LAX_TIME (1ull << 3)	    /* time without seconds, with offset or fraction */
#define X509_ANOM_BAD_EXT (1ull << 4) /* a known extension did not decode: treated as absent */
#define X509_ANOM_DUP_EXT (1ull << 5) /* a known extension appears twice: treated as absent */
#define X509_ANOM_EXT_TRAILING                                                                     \
	(1ull << 6) /* bytes after an extension's value (OpenSSL ignores them) */
#define X509_ANOM_SAN_TRUNCATED (1ull << 7)  /* more than X509_MAX_SAN names (iterator sees all) */
#define X509_ANOM_LIST_TRUNCATED (1ull << 8) /* EKU/policy/AIA beyond its cap */
#define X509_ANOM_BAD_KEY (1ull << 9)	     /* public key did not decode (bits unknown) */
#define X509_ANOM_EMPTY_RDN (1ull << 10)     /* an RDN with no attribute */
#define X509_ANOM_SIG_ALG_MISMATCH (1ull << 11) /* tbs and outer signature algorithms differ */
#define X509_ANOM_NEG_SERIAL (1ull << 12)	/* negative or zero serial */
#define X509_ANOM_EMPTY_EXTS (1ull << 13)	/* [3] with an empty Extensions list */
#define X509_ANOM_IP_LENGTH (1ull << 14)	/* iPAddress SAN not 4 or 16 octets */
#define X509_ANOM_UNIQUE_ID (1ull << 15)	/* issuer/subject unique identifiers present */
#define X509_ANOM_BAD_PATHLEN (1ull << 16)	/* pathLen negative or above INT32_MAX */
/* Set by the dataset's record writer (scanner/stage/cert_record.c), not by
 * x509_parse(): a text field (SAN, AIA URI, CN/O/C) held octets that are not
 * UTF-8, or NUL, and was escaped with x509_text_escape(). */
#define X509_ANOM_NOT_UTF8 (1ull << 17)

#define X509_MAX_SAN 64
#define X509_MAX_EKU 16
#define X509_MAX_POLICY 16
#define X509_MAX_AIA 8
#define X509_MAX_LEN (16u << 20)

/* A run of bytes inside the DER: der + off, len octets. */
struct x509_slice {
	uint32_t off, len;
};

/* A string value inside a Name, with its universal tag (UTF8String...). */
struct x509_str {
	uint32_t off, len;
	uint8_t tag; /* 0: absent */
};

enum x509_key_type {
	X509_KEY_UNKNOWN = 0,
	X509_KEY_RSA = 1, /* rsaEncryption and RSASSA-PSS */
	X509_KEY_EC = 2,
	X509_KEY_ED25519 = 3,
	X509_KEY_ED448 = 4,
	X509_KEY_DSA = 5,
	X509_KEY_OTHER = 6, /* values match the schema's KeyType */
};

/* GeneralName CHOICE numbers (RFC 5280 4.2.1.6). */
enum x509_gn_type {
	X509_GN_OTHER = 0,
	X509_GN_EMAIL = 1,
	X509_GN_DNS = 2,
	X509_GN_X400 = 3,
	X509_GN_DIRNAME = 4,
	X509_GN_EDI = 5,
	X509_GN_URI = 6,
	X509_GN_IP = 7,
	X509_GN_RID = 8,
};

struct x509_gname {
	uint32_t off, len; /* value octets (IA5String / OCTET STRING content) */
	uint8_t type;	   /* enum x509_gn_type */
};

/* keyUsage bits, in RFC 5280 order (bit 0 = digitalSignature). */
#define X509_KU_COUNT 9

struct x509_cert {
	uint32_t der_len;    /* octets of the Certificate TLV (<= input length) */
	uint32_t err_offset; /* on failure: offset of the offending octet */
	uint64_t anomalies;  /* X509_ANOM_* */

	uint8_t version;	   /* raw + 1: 1..3 (X509_ANOM_VERSION above), 0 if not 0..126 */
	struct x509_slice tbs;	   /* TBSCertificate TLV */
	struct x509_slice serial;  /* INTEGER content octets */
	struct x509_slice sig_alg; /* outer signatureAlgorithm OID content */
	struct x509_slice issuer;  /* Name TLV */
	struct x509_slice subject; /* Name TLV */
	struct x509_str subject_cn, subject_o, subject_c; /* first of each */
	struct x509_str issuer_cn, issuer_o, issuer_c;

	struct x509_slice not_before_raw, not_after_raw; /* time content octets */
	int64_t not_before, not_after; /* unix seconds (0 + X509_ANOM_BAD_TIME if bad) */
	bool not_before_ok, not_after_ok;

	struct x509_slice spki;	      /* SubjectPublicKeyInfo TLV */
	struct x509_slice key_alg;    /* algorithm OID content */
	struct x509_slice key_params; /* parameters content octets (curve OID for EC) */
	uint8_t key_params_tag;	      /* 0: no parameters */
	uint8_t key_type;	      /* enum x509_key_type */
	uint32_t key_bits;	      /* 0 when unknown (see x509_key_bits()) */
	uint32_t rsa_exponent;	      /* 0 when not RSA or above 2^32-1 */

	/* Extensions: values are valid only if the extension decoded. */
	struct x509_slice san_ext; /* GeneralNames TLV, for x509_san_next() */
	uint16_t san_count;	   /* stored below (<= X509_MAX_SAN) */
	uint16_t san_total;	   /* all GeneralNames in the extension */
	struct x509_gname san[X509_MAX_SAN];

	bool has_basic_constraints;
	bool is_ca;
	int32_t path_len; /* -1: absent */

	bool has_key_usage;
	uint16_t key_usage; /* bit i = RFC 5280 KeyUsage bit i */

	uint8_t eku_count;
	struct x509_slice eku[X509_MAX_EKU]; /* OID content */

	struct x509_slice aki; /* keyIdentifier content, len 0 if absent */
	struct x509_slice ski;
	bool has_aki, has_ski;

	uint8_t policy_count;
	struct x509_slice policy[X509_MAX_POLICY]; /* OID content */

	uint8_t ocsp_count, ca_issuers_count;
	struct x509_slice ocsp[X509_MAX_AIA]; /* URI octets */
	struct x509_slice ca_issuers[X509_MAX_AIA];

	bool has_sct; /* embedded SCT list extension (RFC 6962 3.3) present */
	uint16_t ext_count;
};

/*
 * Parse the certificate at @der (@len octets; bytes after the Certificate
 * TLV set X509_ANOM_TRAILING_DATA). Returns 0 and fills @out, or a negative
 * X509_E_* code with out->err_offset set. @out is fully overwritten.
 * Thread-safe, allocation-free.
 */
int x509_parse(const uint8_t *der, size_t len, struct x509_cert *out);

const char *x509_strerror(int err);

/* Walk all GeneralNames of the subjectAltName, beyond X509_MAX_SAN too. */
struct x509_san_iter {
	uint32_t pos, end;
};
void x509_san_begin(const struct x509_cert *c, struct x509_san_iter *it);
/* Returns true and fills @gn with the next name, false at the end. */
bool x509_san_next(const uint8_t *der, struct x509_san_iter *it, struct x509_gname *gn);

/* ---- PEM ---- */

#define X509_PEM_E_BASE64 (-1L)	   /* bad base64 or missing END line */
#define X509_PEM_E_TOO_LARGE (-2L) /* decoded body larger than @cap */

/*
 * Decode the next "-----BEGIN CERTIFICATE-----" block at or after *pos in
 * @text into @out (@cap octets) and advance *pos past its END line.
 * Returns the DER length, 0 when there is no further block, or a negative
 * X509_PEM_E_* code (*pos still advances, so the caller can go on).
 */
long x509_pem_next(const char *text, size_t len, size_t *pos, uint8_t *out, size_t cap);

/* True when @text contains a PEM certificate block. */
bool x509_is_pem(const char *text, size_t len);

/* ---- rendering (output paths; may allocate) ---- */

/*
 * The Name TLV at @name as an RFC 4514 string, byte for byte what
 * `openssl x509 -nameopt RFC2253` prints. Returns a malloc'd string (caller
 * frees) or NULL on allocation failure.
 */
char *x509_name_rfc4514(const uint8_t *der, struct x509_slice name);

/* A Name string value as UTF-8 (T61 as Latin-1, BMP/Universal decoded);
 * "" for types that are not strings. malloc'd, caller frees. The value
 * may hold NUL characters: as a C string it then ends at the first one;
 * x509_str_utf8_len() also gives the full length (for JSON). */
char *x509_str_utf8(const uint8_t *der, struct x509_str s);
char *x509_str_utf8_len(const uint8_t *der, struct x509_str s, size_t *len);

/* Serial as lowercase hex without leading zeros ("-" prefix if negative).
 * @buf must hold 2 * serial.len + 3 octets. Returns @buf. */
char *x509_serial_hex(const uint8_t *der, struct x509_slice serial, char *buf, size_t cap);

/* Unix seconds as RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" (buf >= 21 octets). */
void x509_time_rfc3339(int64_t t, char buf[21]);

/*
 * OID content octets as dotted decimal into @buf; returns @buf. Arcs of any
 * size are printed exactly (as OpenSSL's OBJ_obj2txt does). "" when the
 * octets are not a valid OID or the text does not fit in @cap: never a
 * shortened OID, which could be another, real one (2.23.140.1.2.1.<huge>
 * is not the DV policy). X509_OID_TEXT_MAX(len) octets always suffice, also
 * for the x509_*_name() functions below that fall back to dotted text. An arc
 * longer than X509_OID_MAX_ARC_OCTETS (896 bits, 270 digits) also gives "":
 * printing it costs time quadratic in its length, and a hostile certificate
 * could hold a 60 KB arc.
 */
#define X509_OID_MAX_ARC_OCTETS 128
#define X509_OID_TEXT_MAX(len) (4 * (size_t)(len) + 4 > 160 ? 4 * (size_t)(len) + 4 : 160)
char *x509_oid_dotted(const uint8_t *oid, size_t len, char *buf, size_t cap);

/* OpenSSL's long name of the outer signature algorithm (dotted if unknown). */
const char *x509_sig_alg_name(const uint8_t *der, const struct x509_cert *c, char *buf, size_t cap);

/* "rsa", "ec", "ed25519", "ed448", "dsa", "other", "" (unknown). */
const char *x509_key_type_name(uint8_t key_type);

/* EC curve short name (OpenSSL's, e.g. "prime256v1"); "" when not EC. */
const char *x509_curve_name(const uint8_t *der, const struct x509_cert *c, char *buf, size_t cap);

/* key_bits, asking OpenSSL for curves outside the built-in table. */
uint32_t x509_key_bits(const uint8_t *der, const struct x509_cert *c);

/* extendedKeyUsage OID as OpenSSL's short name ("serverAuth"), else dotted. */
const char *x509_eku_name(const uint8_t *oid, size_t len, char *buf, size_t cap);

/* RFC 5280 KeyUsage bit names: "digitalSignature" ... "decipherOnly". */
const char *x509_ku_name(unsigned bit);

/* iPAddress octets as text (inet_ntop form; "#" and lowercase hex for
 * other lengths, which needs @cap >= 2 * len + 2, else ""). */
char *x509_ip_text(const uint8_t *p, size_t len, char *buf, size_t cap);

/* SHA-256 and SHA-1 of the Certificate TLV and SHA-256 of the SPKI TLV. */
/* SHA-256 of any bytes (a certificate, a chain key) with a pre-fetched OpenSSL
 * digest: several times faster than SHA256() per call in OpenSSL 3. Thread-safe. */
void x509_sha256(const uint8_t *p, size_t n, uint8_t out[32]);
void x509_digests(const uint8_t *der, const struct x509_cert *c, uint8_t sha256[32],
		  uint8_t sha1[20], uint8_t spki_sha256[32]);

/*
 * @n octets of certificate text as a NUL-terminated string that is always
 * valid UTF-8, as proto3 `string` fields and JSON require. Valid UTF-8
 * sequences are kept; a backslash becomes two backslashes; NUL and every
 * octet that is not part of a valid UTF-8 sequence become \xHH (backslash,
 * 'x', two lowercase hex digits): 0xFF is the four characters \xff.
 * Reversible: read \\ as one backslash and \xHH as the octet HH.
 * *@escaped (when non-NULL) is set to whether an octet needed \xHH.
 * Returns a malloc'd string (caller frees), NULL on allocation failure.
 */
char *x509_text_escape(const uint8_t *p, size_t n, bool *escaped);

/* True when @p (@n octets) is strict UTF-8 (RFC 3629: no overlongs,
 * surrogates or values above U+10FFFF), as proto3 strings must be. */
bool x509_text_is_utf8(const uint8_t *p, size_t n);

/* Lowercase hex of @len octets into @buf (2 * len + 1 octets). */
char *x509_hex(const uint8_t *p, size_t len, char *buf);

/* Write @s (@len octets) as a JSON string, escaping controls and bytes
 * that are not valid UTF-8 (\u00XX, as Latin-1). */
void x509_json_str(FILE *f, const char *s, size_t len);

/*
 * One JSON object (no newline) with exactly the keys of `tlsmap x509`:
 * sha256 sha1 serial version subject issuer subject_cn not_before not_after
 * key_type key_bits curve spki_sha256 san_dns san_ip san_email san_uri is_ca
 * path_len key_usage ext_key_usage aki ski policies ocsp ca_issuers has_sct
 * sig_alg. Returns 0, or -1 if allocation failed.
 */
int x509_fields_json(const struct x509_cert *c, const uint8_t *der, FILE *f);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * DER reader: a cursor (p, end) over caller-owned bytes, never copying and
 * never reading past end. Reading a TLV yields its tag, header start and a
 * value slice; entering a constructed value yields a sub-cursor whose end is
 * the value's end, which the caller must consume exactly (der_done()).
 *
 * Strict DER only (X.690 10.1): definite lengths in the minimal number of
 * octets, at most 4 length octets, single-octet tags. This is stricter than
 * OpenSSL's BER-tolerant d2i on purpose: hostile peers get no leniency in
 * framing; odd *content* is flagged with anomaly bits by the callers.
 *
 * Private to parsers/: no other folder includes this header.
 */
#ifndef TLSMAP_PARSERS_DER_INTERNAL_H
#define TLSMAP_PARSERS_DER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DER_MAX_DEPTH 16 /* nesting cap for der_skip_valid() (ANY values) */

enum der_err {
	DER_OK = 0,
	DER_E_TRUNC = -1,  /* TLV extends past the cursor's end */
	DER_E_LENGTH = -2, /* indefinite, non-minimal or >4-octet length */
	DER_E_TAG = -3,	   /* unexpected or multi-octet tag */
	DER_E_DEPTH = -4,  /* nesting deeper than DER_MAX_DEPTH */
};

/* Tags (class | constructed | number) used by X.509. */
#define DER_BOOLEAN 0x01
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_UTF8_STRING 0x0c
#define DER_PRINTABLE_STRING 0x13
#define DER_T61_STRING 0x14
#define DER_IA5_STRING 0x16
#define DER_UTC_TIME 0x17
#define DER_GENERALIZED_TIME 0x18
#define DER_VISIBLE_STRING 0x1a
#define DER_UNIVERSAL_STRING 0x1c
#define DER_BMP_STRING 0x1e
#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_CONSTRUCTED 0x20
#define DER_CTX(n) (0x80 | (n))
#define DER_CTX_CONS(n) (0xa0 | (n))

struct der_cur {
	const uint8_t *p, *end;
};

struct der_tlv {
	const uint8_t *hdr; /* first octet of the tag */
	const uint8_t *val; /* first octet of the value */
	size_t len;	    /* value length; val + len <= the cursor's end */
	uint8_t tag;
};

static inline void der_init(struct der_cur *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->end = p + len;
}

static inline bool der_done(const struct der_cur *c)
{
	return c->p == c->end;
}

/* True when the next octet is @tag (does not validate the TLV). */
static inline bool der_peek(const struct der_cur *c, uint8_t tag)
{
	return c->p != c->end && *c->p == tag;
}

/*
 * Read one TLV at the cursor. Requires c->p <= c->end. On success advances
 * the cursor past the TLV and fills @t; on error leaves c->p at the octet
 * that is wrong (for the error offset) and returns a DER_E_* code.
 */
static inline int der_read(struct der_cur *c, struct der_tlv *t)
{
	const uint8_t *p = c->p;
	size_t len;

	if (p == c->end)
		return DER_E_TRUNC;
	t->hdr = p;
	t->tag = *p;
	if ((*p & 0x1f) == 0x1f)
		return DER_E_TAG;
	p++;
	if (p == c->end) {
		c->p = p;
		return DER_E_TRUNC;
	}
	if (*p < 0x80) {
		len = *p++;
	} else {
		size_t n = *p & 0x7fu;

		if (n == 0 || n > 4) {
			c->p = p;
			return DER_E_LENGTH;
		}
		if (n >= (size_t)(c->end - p)) {
			c->p = p;
			return DER_E_TRUNC;
		}
		if (p[1] == 0) {
			c->p = p;
			return DER_E_LENGTH;
		}
		len = 0;
		for (size_t i = 1; i <= n; i++)
			len = (len << 8) | p[i];
		if (len < 0x80) {
			c->p = p;
			return DER_E_LENGTH;
		}
		p += n + 1;
	}
	if (len > (size_t)(c->end - p)) {
		c->p = p;
		return DER_E_TRUNC;
	}
	t->val = p;
	t->len = len;
	c->p = p + len;
	return DER_OK;
}

/* der_read() and require tag @tag (DER_E_TAG, cursor unmoved, otherwise). */
static inline int der_expect(struct der_cur *c, uint8_t tag, struct der_tlv *t)
{
	if (c->p != c->end && *c->p != tag)
		return DER_E_TAG;
	return der_read(c, t);
}

/* A cursor over the value of @t. */
static inline void der_enter(const struct der_tlv *t, struct der_cur *sub)
{
	sub->p = t->val;
	sub->end = t->val + t->len;
}

/*
 * Walk every TLV in [c->p, c->end) recursively into constructed values, up
 * to @depth levels, and require that they tile the range exactly. Used for
 * ANY-typed values (algorithm parameters) so that a malformed nested value
 * is caught with a bounded amount of work. On error *where is the bad octet.
 */
int der_skip_valid(struct der_cur c, unsigned depth, const uint8_t **where);

/*
 * Validate OID content octets (X.690 8.19): non-empty, last octet without
 * the continuation bit, no sub-identifier starting with 0x80.
 */
bool der_oid_valid(const uint8_t *p, size_t len);

/*
 * INTEGER content octets in minimal two's complement (X.690 8.3.2), the
 * rule OpenSSL's c2i_ASN1_INTEGER also enforces.
 */
bool der_int_minimal(const uint8_t *p, size_t len);

#endif

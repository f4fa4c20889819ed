/* SPDX-License-Identifier: MIT */
/*
 * Certificate records for the TLS stage: every field of the schema's
 * Certificate from parsers/x509, the same fields `tlsmap x509` prints.
 * Everything a record points to lives in one arena that the writer item
 * frees as a whole, so a worker hands the record over with one pointer.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "parsers/x509.h"
#include "scanner/stage_tls.h"

struct tls_arena_chunk {
	struct tls_arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct tls_arena {
	struct tls_arena_chunk *head;
};

struct tls_arena *tls_arena_new(void)
{
	return calloc(1, sizeof(struct tls_arena));
}

void *tls_arena_alloc(struct tls_arena *a, size_t n)
{
	struct tls_arena_chunk *c = a->head;
	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 8192 ? n : 8192;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (uint8_t *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *tls_arena_strdup(struct tls_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = tls_arena_alloc(a, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

void tls_arena_free(struct tls_arena *a)
{
	if (!a)
		return;
	struct tls_arena_chunk *c = a->head;
	while (c) {
		struct tls_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	free(a);
}

/* A malloc'd string from the x509 renderers, moved into the arena. */
static char *take(struct tls_arena *a, char *s)
{
	char *d = tls_arena_strdup(a, s ? s : "");
	free(s);
	return d ? d : (char *)"";
}

static ProtobufCBinaryData bytes(struct tls_arena *a, const uint8_t *p, size_t n)
{
	ProtobufCBinaryData b = {0, NULL};
	uint8_t *d = tls_arena_alloc(a, n ? n : 1);
	if (d) {
		memcpy(d, p, n);
		b.data = d;
		b.len = n;
	}
	return b;
}

static void push(struct tls_arena *a, char ***arr, size_t *n, size_t cap, const char *s)
{
	if (!*arr)
		*arr = tls_arena_alloc(a, cap * sizeof(char *));
	if (*arr && *n < cap)
		(*arr)[(*n)++] = tls_arena_strdup(a, s);
}

void tls_cert_record(struct tls_arena *a, const uint8_t *der_in, size_t len,
		     const uint8_t sha256[32], Tlsmap__V1__Certificate *r)
{
	static _Thread_local struct x509_cert c;
	uint8_t s256[32], sha1[20], spki[32];
	char buf[1024];

	tlsmap__v1__certificate__init(r);
	r->sha256 = bytes(a, sha256, 32);
	r->der = bytes(a, der_in, len);
	const uint8_t *der = r->der.data ? r->der.data : der_in;
	SHA1(der, len, sha1);
	r->sha1 = bytes(a, sha1, 20);
	r->path_len = -1;
	int err = x509_parse(der, len, &c);
	if (err) {
		r->parsed = false;
		r->parse_error = (uint32_t)-err;
		r->parse_error_offset = c.err_offset;
		return;
	}
	r->parsed = true;
	x509_digests(der, &c, s256, sha1, spki);
	r->spki_sha256 = bytes(a, spki, 32);
	r->version = c.version;
	char *serial = tls_arena_alloc(a, 2 * (size_t)c.serial.len + 3);
	r->serial = serial ? x509_serial_hex(der, c.serial, serial, 2 * (size_t)c.serial.len + 3)
			   : (char *)"";
	r->sig_alg = tls_arena_strdup(a, x509_sig_alg_name(der, &c, buf, sizeof(buf)));
	r->subject = take(a, x509_name_rfc4514(der, c.subject));
	r->issuer = take(a, x509_name_rfc4514(der, c.issuer));
	r->subject_cn = take(a, x509_str_utf8(der, c.subject_cn));
	r->subject_o = take(a, x509_str_utf8(der, c.subject_o));
	r->subject_c = take(a, x509_str_utf8(der, c.subject_c));
	r->issuer_cn = take(a, x509_str_utf8(der, c.issuer_cn));
	r->issuer_o = take(a, x509_str_utf8(der, c.issuer_o));
	r->issuer_c = take(a, x509_str_utf8(der, c.issuer_c));
	char t[21];
	x509_time_rfc3339(c.not_before, t);
	r->not_before = tls_arena_strdup(a, c.not_before_ok ? t : "");
	x509_time_rfc3339(c.not_after, t);
	r->not_after = tls_arena_strdup(a, c.not_after_ok ? t : "");
	r->not_before_unix = c.not_before;
	r->not_after_unix = c.not_after;
	r->key_type = (Tlsmap__V1__KeyType)c.key_type;
	r->key_bits = x509_key_bits(der, &c);
	r->curve = tls_arena_strdup(a, x509_curve_name(der, &c, buf, sizeof(buf)));
	r->rsa_exponent = c.rsa_exponent;

	struct x509_san_iter it;
	struct x509_gname gn;
	size_t cap = c.san_total ? c.san_total : 1;
	x509_san_begin(&c, &it);
	while (x509_san_next(der, &it, &gn)) {
		char *s;
		switch (gn.type) {
		case X509_GN_DNS:
		case X509_GN_EMAIL:
		case X509_GN_URI:
			s = tls_arena_alloc(a, (size_t)gn.len + 1);
			if (!s)
				break;
			memcpy(s, der + gn.off, gn.len);
			if (gn.type == X509_GN_DNS)
				push(a, &r->san_dns, &r->n_san_dns, cap, s);
			else if (gn.type == X509_GN_EMAIL)
				push(a, &r->san_email, &r->n_san_email, cap, s);
			else
				push(a, &r->san_uri, &r->n_san_uri, cap, s);
			break;
		case X509_GN_IP:
			push(a, &r->san_ip, &r->n_san_ip, cap,
			     x509_ip_text(der + gn.off, gn.len, buf, sizeof(buf)));
			break;
		default:
			break;
		}
	}
	r->is_ca = c.is_ca;
	r->path_len = c.path_len;
	if (c.has_key_usage)
		for (unsigned b = 0; b < X509_KU_COUNT; b++)
			if (c.key_usage & (1u << b))
				push(a, &r->key_usage, &r->n_key_usage, X509_KU_COUNT,
				     x509_ku_name(b));
	for (unsigned i = 0; i < c.eku_count; i++)
		push(a, &r->ext_key_usage, &r->n_ext_key_usage, c.eku_count,
		     x509_eku_name(der + c.eku[i].off, c.eku[i].len, buf, sizeof(buf)));
	if (c.has_aki)
		r->aki = bytes(a, der + c.aki.off, c.aki.len);
	if (c.has_ski)
		r->ski = bytes(a, der + c.ski.off, c.ski.len);
	for (unsigned i = 0; i < c.policy_count; i++)
		push(a, &r->policies, &r->n_policies, c.policy_count,
		     x509_oid_dotted(der + c.policy[i].off, c.policy[i].len, buf, sizeof(buf)));
	for (unsigned i = 0; i < c.ocsp_count; i++) {
		char *s = tls_arena_alloc(a, (size_t)c.ocsp[i].len + 1);
		if (s) {
			memcpy(s, der + c.ocsp[i].off, c.ocsp[i].len);
			push(a, &r->ocsp, &r->n_ocsp, c.ocsp_count, s);
		}
	}
	for (unsigned i = 0; i < c.ca_issuers_count; i++) {
		char *s = tls_arena_alloc(a, (size_t)c.ca_issuers[i].len + 1);
		if (s) {
			memcpy(s, der + c.ca_issuers[i].off, c.ca_issuers[i].len);
			push(a, &r->ca_issuers, &r->n_ca_issuers, c.ca_issuers_count, s);
		}
	}
	r->has_sct = c.has_sct;
	r->anomalies = c.anomalies;
}

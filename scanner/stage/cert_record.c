/* SPDX-License-Identifier: MIT */
/*
 * cert_record.h: one Tlsmap__V1__Certificate per distinct certificate. This
 * runs once per new certificate (records are deduplicated by SHA-256), so
 * it may allocate; the per-packet path only calls x509_parse().
 */
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/stage/cert_record.h"

struct alloc_state {
	bool oom;
	bool escaped; /* a text field needed \xHH: X509_ANOM_NOT_UTF8 */
};

static char *own(struct alloc_state *st, char *s)
{
	if (!s) {
		st->oom = true;
		return (char *)protobuf_c_empty_string;
	}
	return s;
}

static char *dup(struct alloc_state *st, const char *s)
{
	return own(st, strdup(s));
}

/* Certificate text for a proto3 string field: always valid UTF-8, with
 * the reversible escape of x509_text_escape() (NUL and non-UTF-8 octets
 * as \xHH, backslash doubled). The exact octets stay in `der`. */
static char *text(struct alloc_state *st, const uint8_t *p, size_t n)
{
	bool esc = false;
	char *s = x509_text_escape(p, n, &esc);

	st->escaped |= esc;
	return own(st, s);
}

/* A Name attribute (CN, O, C) converted to UTF-8, then escaped as text(). */
static char *name_text(struct alloc_state *st, const uint8_t *der, struct x509_str v)
{
	size_t len = 0;
	char *u = x509_str_utf8_len(der, v, &len);
	char *s;

	if (!u)
		return own(st, NULL);
	s = text(st, (const uint8_t *)u, len);
	free(u);
	return s;
}

/* An OID rendered by @name (x509_eku_name, x509_oid_dotted...) in a buffer
 * that fits any OID: exact, never shortened. */
static char *oid_text(struct alloc_state *st, const uint8_t *oid, size_t len,
		      const char *(*name)(const uint8_t *, size_t, char *, size_t))
{
	size_t cap = X509_OID_TEXT_MAX(len);
	char *b = malloc(cap);
	const char *t;

	if (!b)
		return own(st, NULL);
	t = name(oid, len, b, cap);
	if (t != b) {
		/* a static name: copy it into the buffer, which is large enough */
		snprintf(b, cap, "%s", t);
	}
	return b;
}

static const char *oid_dotted(const uint8_t *oid, size_t len, char *buf, size_t cap)
{
	return x509_oid_dotted(oid, len, buf, cap);
}

static char **array(struct alloc_state *st, size_t n)
{
	char **a;

	if (n == 0)
		return NULL;
	a = calloc(n, sizeof(*a));
	if (!a)
		st->oom = true;
	return a;
}

static void fill_sans(struct alloc_state *st, Tlsmap__V1__Certificate *m, const uint8_t *der,
		      const struct x509_cert *c)
{
	struct x509_san_iter it;
	struct x509_gname g;
	size_t counts[9] = {0};
	char ip[80];

	x509_san_begin(c, &it);
	while (x509_san_next(der, &it, &g))
		if (g.type < 9)
			counts[g.type]++;
	m->san_dns = array(st, counts[X509_GN_DNS]);
	m->san_ip = array(st, counts[X509_GN_IP]);
	m->san_email = array(st, counts[X509_GN_EMAIL]);
	m->san_uri = array(st, counts[X509_GN_URI]);
	if (st->oom)
		return;
	x509_san_begin(c, &it);
	while (x509_san_next(der, &it, &g)) {
		switch (g.type) {
		case X509_GN_DNS:
			m->san_dns[m->n_san_dns++] = text(st, der + g.off, g.len);
			break;
		case X509_GN_IP: {
			/* odd lengths print as "#hex": size the buffer for it */
			char *b = g.len * 2 + 2 > sizeof(ip) ? malloc(g.len * 2 + 2) : NULL;

			if (b) {
				m->san_ip[m->n_san_ip++] =
					own(st, x509_ip_text(der + g.off, g.len, b, g.len * 2 + 2));
			} else {
				m->san_ip[m->n_san_ip++] =
					dup(st, x509_ip_text(der + g.off, g.len, ip, sizeof(ip)));
			}
			break;
		}
		case X509_GN_EMAIL:
			m->san_email[m->n_san_email++] = text(st, der + g.off, g.len);
			break;
		case X509_GN_URI:
			m->san_uri[m->n_san_uri++] = text(st, der + g.off, g.len);
			break;
		default:
			break;
		}
	}
}

static char **slices(struct alloc_state *st, const uint8_t *der, const struct x509_slice *s,
		     size_t n, size_t *count)
{
	char **a = array(st, n);

	*count = 0;
	if (!a)
		return NULL;
	for (size_t i = 0; i < n; i++)
		a[(*count)++] = text(st, der + s[i].off, s[i].len);
	return a;
}

typedef const char *(*oid_name_fn)(const uint8_t *der, const struct x509_cert *c, char *buf,
				   size_t cap);

/* An OID's name by @fn (x509_sig_alg_name, x509_curve_name), owned by @st:
 * @fn writes a dotted OID of @oid_len bytes into the buffer or returns a
 * static name, which is copied. */
static char *oid_name(struct alloc_state *st, const uint8_t *der, const struct x509_cert *c,
		      size_t oid_len, oid_name_fn fn)
{
	size_t cap = X509_OID_TEXT_MAX(oid_len);
	char *b = malloc(cap);
	const char *t = b ? fn(der, c, b, cap) : NULL;

	if (t && t != b)
		snprintf(b, cap, "%s", t); /* a static name */
	return own(st, b);
}

static void fill_parsed(struct alloc_state *st, struct cert_record *rec, const uint8_t *der,
			const struct x509_cert *c)
{
	Tlsmap__V1__Certificate *m = &rec->msg;
	char tbuf[21];
	char *serial = malloc(2 * (size_t)c->serial.len + 3);

	m->parsed = true;
	m->version = c->version;
	if (serial)
		x509_serial_hex(der, c->serial, serial, 2 * (size_t)c->serial.len + 3);
	m->serial = own(st, serial);
	m->sig_alg = oid_name(st, der, c, c->sig_alg.len, x509_sig_alg_name);
	m->subject = own(st, x509_name_rfc4514(der, c->subject));
	m->issuer = own(st, x509_name_rfc4514(der, c->issuer));
	m->subject_cn = name_text(st, der, c->subject_cn);
	m->subject_o = name_text(st, der, c->subject_o);
	m->subject_c = name_text(st, der, c->subject_c);
	m->issuer_cn = name_text(st, der, c->issuer_cn);
	m->issuer_o = name_text(st, der, c->issuer_o);
	m->issuer_c = name_text(st, der, c->issuer_c);
	tbuf[0] = 0;
	if (c->not_before_ok)
		x509_time_rfc3339(c->not_before, tbuf);
	m->not_before = dup(st, tbuf);
	tbuf[0] = 0;
	if (c->not_after_ok)
		x509_time_rfc3339(c->not_after, tbuf);
	m->not_after = dup(st, tbuf);
	m->not_before_unix = c->not_before;
	m->not_after_unix = c->not_after;
	m->key_type = (Tlsmap__V1__KeyType)c->key_type; /* same numbering */
	m->key_bits = x509_key_bits(der, c);
	m->curve = oid_name(st, der, c, c->key_params.len, x509_curve_name);
	m->spki_sha256.data = rec->spki_sha256;
	m->spki_sha256.len = 32;
	fill_sans(st, m, der, c);
	m->is_ca = c->is_ca;
	m->path_len = c->path_len;
	{
		size_t n = 0;
		for (unsigned i = 0; i < X509_KU_COUNT; i++)
			n += (c->key_usage >> i) & 1u;
		m->key_usage = array(st, n);
		for (unsigned i = 0; m->key_usage && i < X509_KU_COUNT; i++)
			if (c->key_usage & (1u << i))
				m->key_usage[m->n_key_usage++] = dup(st, x509_ku_name(i));
	}
	m->ext_key_usage = array(st, c->eku_count);
	for (unsigned i = 0; m->ext_key_usage && i < c->eku_count; i++)
		m->ext_key_usage[m->n_ext_key_usage++] =
			oid_text(st, der + c->eku[i].off, c->eku[i].len, x509_eku_name);
	m->aki.data = (uint8_t *)der + c->aki.off;
	m->aki.len = c->aki.len;
	m->ski.data = (uint8_t *)der + c->ski.off;
	m->ski.len = c->ski.len;
	m->policies = array(st, c->policy_count);
	for (unsigned i = 0; m->policies && i < c->policy_count; i++)
		m->policies[m->n_policies++] =
			oid_text(st, der + c->policy[i].off, c->policy[i].len, oid_dotted);
	m->ocsp = slices(st, der, c->ocsp, c->ocsp_count, &m->n_ocsp);
	m->ca_issuers = slices(st, der, c->ca_issuers, c->ca_issuers_count, &m->n_ca_issuers);
	m->has_sct = c->has_sct;
	m->anomalies = c->anomalies | (st->escaped ? X509_ANOM_NOT_UTF8 : 0);
	m->rsa_exponent = c->rsa_exponent;
}

void cert_record_sha256(const uint8_t *entry, size_t len, uint8_t out[32])
{
	x509_sha256(entry, len, out);
}

int cert_record_fill(struct cert_record *rec, const uint8_t *der, size_t len,
		     const struct x509_cert *parsed)
{
	struct alloc_state st = {false};
	struct x509_cert local;
	int err = 0;

	memset(rec, 0, sizeof(*rec));
	tlsmap__v1__certificate__init(&rec->msg);
	rec->msg.der.data = (uint8_t *)der;
	rec->msg.der.len = len;
	rec->msg.path_len = -1;
	if (!parsed) {
		err = x509_parse(der, len, &local);
		parsed = err == 0 ? &local : NULL;
	}
	/* the digests cover exactly the octets stored in msg.der, parsed or not
	 * and trailing octets included: the hash Probe.chain references */
	cert_record_sha256(der, len, rec->sha256);
	SHA1(der, len, rec->sha1);
	if (parsed) {
		x509_digests(der, parsed, NULL, NULL, rec->spki_sha256);
		fill_parsed(&st, rec, der, parsed);
	} else {
		rec->msg.parse_error = (uint32_t)-err;
		rec->msg.parse_error_offset = local.err_offset;
	}
	rec->msg.sha256.data = rec->sha256;
	rec->msg.sha256.len = 32;
	rec->msg.sha1.data = rec->sha1;
	rec->msg.sha1.len = 20;
	if (st.oom) {
		cert_record_free(rec);
		return -1;
	}
	return 0;
}

static void free_str(char *s)
{
	if (s && s != protobuf_c_empty_string)
		free(s);
}

static void free_strs(char **a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		free_str(a[i]);
	free(a);
}

void cert_record_free(struct cert_record *rec)
{
	Tlsmap__V1__Certificate *m = &rec->msg;
	char *strs[] = {m->serial,     m->sig_alg,   m->subject,   m->issuer,	m->subject_cn,
			m->subject_o,  m->subject_c, m->issuer_cn, m->issuer_o, m->issuer_c,
			m->not_before, m->not_after, m->curve};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free_str(strs[i]);
	free_strs(m->san_dns, m->n_san_dns);
	free_strs(m->san_ip, m->n_san_ip);
	free_strs(m->san_email, m->n_san_email);
	free_strs(m->san_uri, m->n_san_uri);
	free_strs(m->key_usage, m->n_key_usage);
	free_strs(m->ext_key_usage, m->n_ext_key_usage);
	free_strs(m->policies, m->n_policies);
	free_strs(m->ocsp, m->n_ocsp);
	free_strs(m->ca_issuers, m->n_ca_issuers);
	memset(rec, 0, sizeof(*rec));
}

/* SPDX-License-Identifier: MIT */
/*
 * scanner/cert_record: a Certificate record built from the parsed struct
 * carries the same values `tlsmap x509` prints, survives protobuf
 * pack/unpack, and a certificate that does not parse still yields a record
 * with parsed=false, the error code and offset. Inputs: the x509 seed
 * corpus (certificates generated with openssl, in tests/fuzz/corpus/x509).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "scanner/stage/cert_record.h"
#include "test.h"

/* The JSON printer's value for @key in @json (string values only). */
static char *json_str(const char *json, const char *key)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(json, pat);
	if (!p)
		return strdup("?");
	p += strlen(pat);
	for (e = p; *e && *e != '"'; e++)
		if (*e == '\\')
			e++;
	return strndup(p, (size_t)(e - p));
}

static void check_one(const char *name, const uint8_t *der, size_t len)
{
	struct x509_cert c;
	struct cert_record rec;
	char *json = NULL, *v;
	size_t jlen = 0;
	FILE *f;

	if (x509_parse(der, len, &c) < 0)
		return;
	EXPECT(cert_record_fill(&rec, der, len, &c) == 0, "%s: fill", name);
	f = open_memstream(&json, &jlen);
	x509_fields_json(&c, der, f);
	fclose(f);

	size_t plen = tlsmap__v1__certificate__get_packed_size(&rec.msg);
	uint8_t *buf = malloc(plen);
	tlsmap__v1__certificate__pack(&rec.msg, buf);
	Tlsmap__V1__Certificate *m = tlsmap__v1__certificate__unpack(NULL, plen, buf);
	EXPECT(m != NULL, "%s: unpack", name);
	if (!m)
		goto out;
	uint8_t sha[32];
	SHA256(der, len, sha); /* the whole input, as stored in der */
	EXPECT(m->parsed && m->sha256.len == 32 && !memcmp(m->sha256.data, sha, 32), "%s: sha256",
	       name);
	EXPECT(m->der.len == len && !memcmp(m->der.data, der, len), "%s: der", name);
	/* string fields whose JSON form has no escapes to undo in these inputs */
	static const char *keys[] = {"serial", "not_before", "not_after", "curve", "sig_alg"};
	const char *vals[] = {m->serial, m->not_before, m->not_after, m->curve, m->sig_alg};
	for (size_t i = 0; i < 5; i++) {
		v = json_str(json, keys[i]);
		EXPECT(!strcmp(v, vals[i]), "%s: %s record '%s' json '%s'", name, keys[i], vals[i],
		       v);
		free(v);
	}
	char *subject = x509_name_rfc4514(der, c.subject);
	EXPECT(!strcmp(subject, m->subject), "%s: subject", name);
	free(subject);
	EXPECT(m->key_type == (Tlsmap__V1__KeyType)c.key_type &&
		       m->key_bits == x509_key_bits(der, &c),
	       "%s: key", name);
	EXPECT(m->path_len == c.path_len && m->is_ca == c.is_ca, "%s: basicConstraints", name);
	EXPECT(m->n_san_dns + m->n_san_ip + m->n_san_email + m->n_san_uri <= c.san_total,
	       "%s: san counts", name);
	EXPECT(m->n_ext_key_usage == c.eku_count && m->n_policies == c.policy_count &&
		       m->n_ocsp == c.ocsp_count && m->n_ca_issuers == c.ca_issuers_count,
	       "%s: list counts", name);
	/* plus X509_ANOM_NOT_UTF8 where a text field was escaped (NUL in a CN...) */
	EXPECT((m->anomalies & ~X509_ANOM_NOT_UTF8) == c.anomalies && m->has_sct == c.has_sct,
	       "%s: anomalies/sct", name);
	if (!strcmp(name, "many-sans.der"))
		EXPECT(m->n_san_dns == 150 && m->n_san_ip == 41, "%s: all SANs (%zu dns, %zu ip)",
		       name, m->n_san_dns, m->n_san_ip);
	if (!strcmp(name, "key-rsae3.der"))
		EXPECT(m->rsa_exponent == 3, "%s: e=3", name);
	tlsmap__v1__certificate__free_unpacked(m, NULL);
out:
	free(buf);
	free(json);
	cert_record_free(&rec);
}

/*
 * Issue 12 #7: a chain entry with an octet after the Certificate TLV. The
 * probe references SHA-256 of the whole entry (what the TLS stage hashes);
 * the record must carry that same hash and store those same octets, or the
 * report cannot find the certificate a probe names. The same for an entry
 * that does not parse at all.
 */
static void check_trailing(const char *name, const uint8_t *der, size_t len)
{
	static uint8_t entry[(1 << 20) + 1];
	uint8_t want[32], stage[32];
	struct cert_record rec;
	struct x509_cert c;

	if (len + 1 > sizeof(entry))
		return;
	memcpy(entry, der, len);
	entry[len] = 0x00;
	SHA256(entry, len + 1, want);
	cert_record_sha256(entry, len + 1, stage);
	EXPECT(!memcmp(stage, want, 32), "%s: cert_record_sha256 is not SHA-256 of the entry",
	       name);
	if (x509_parse(entry, len + 1, &c) == 0) {
		EXPECT(c.anomalies & X509_ANOM_TRAILING_DATA, "%s: no trailing-data anomaly", name);
		EXPECT(cert_record_fill(&rec, entry, len + 1, &c) == 0, "%s: fill", name);
		EXPECT(rec.msg.parsed, "%s: trailing octet: not parsed", name);
		EXPECT(rec.msg.anomalies & X509_ANOM_TRAILING_DATA, "%s: anomaly not recorded",
		       name);
		EXPECT(rec.msg.der.len == len + 1, "%s: der holds %zu octets, entry %zu", name,
		       rec.msg.der.len, len + 1);
		EXPECT(rec.msg.sha256.len == 32 && !memcmp(rec.msg.sha256.data, want, 32),
		       "%s: record sha256 differs from the probe's hash of the entry", name);
		uint8_t sha1[20];
		SHA1(entry, len + 1, sha1);
		EXPECT(!memcmp(rec.msg.sha1.data, sha1, 20), "%s: sha1 not over the entry", name);
		cert_record_free(&rec);
	}
	/* an entry that does not parse (first octet not a SEQUENCE) */
	entry[0] ^= 0xff;
	SHA256(entry, len + 1, want);
	EXPECT(cert_record_fill(&rec, entry, len + 1, NULL) == 0, "%s: fill unparsed", name);
	EXPECT(!rec.msg.parsed && rec.msg.parse_error != 0, "%s: unparsed entry parsed", name);
	EXPECT(rec.msg.der.len == len + 1 && !memcmp(rec.msg.sha256.data, want, 32),
	       "%s: unparsed record hash differs", name);
	cert_record_free(&rec);
}

int main(void)
{
	const char *src = getenv("TLSMAP_SRCDIR");
	char dir[4096];
	DIR *d;
	struct dirent *e;
	unsigned n = 0;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/x509", src ? src : ".");
	d = opendir(dir);
	if (!d) {
		printf("FAIL: cannot open %s\n", dir);
		return 1;
	}
	while ((e = readdir(d))) {
		char path[8192];
		static uint8_t buf[1 << 20];
		FILE *f;
		size_t len;

		if (!strstr(e->d_name, ".der"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		check_one(e->d_name, buf, len);
		check_trailing(e->d_name, buf, len);
		n++;

		/* the same certificate cut short: a record that says why */
		struct cert_record rec;
		EXPECT(cert_record_fill(&rec, buf, len / 2, NULL) == 0, "truncated fill");
		EXPECT(!rec.msg.parsed && rec.msg.parse_error == 1 &&
			       rec.msg.parse_error_offset > 0 && rec.msg.der.len == len / 2,
		       "%s truncated: parsed=%d error=%u offset=%u", e->d_name, rec.msg.parsed,
		       rec.msg.parse_error, rec.msg.parse_error_offset);
		cert_record_free(&rec);
	}
	closedir(d);
	EXPECT(n >= 30, "only %u certificates in %s", n, dir);
	printf("%u certificates\n", n);
	TEST_DONE();
}

/* SPDX-License-Identifier: MIT */
/*
 * tlsmap's X.509 parser against OpenSSL, field by field.
 *
 * Inputs: every certificate under the shared corpus ($TLSMAP_CORPUS, else
 * ../shared/corpus next to the source tree:
 * PEM blocks in any file, including "\n"-escaped PEM inside JSON, and DER
 * files named .der, .cer, .crt or .cert), and the certificates
 * tests/unit/x509_gen.sh generates with the openssl CLI in a temp dir.
 *
 * For each certificate: if OpenSSL's d2i_X509 rejects it, tlsmap must too;
 * if both accept, every key of `tlsmap x509`'s JSON object (printed by
 * x509_fields_json, the real printer) must equal the value computed from
 * OpenSSL's API for the same certificate (X509_NAME_print_ex with
 * XN_FLAG_RFC2253, X509_get_ext_d2i, EVP_PKEY_get_bits...). Each
 * disagreement is printed with the certificate's SHA-256; the test fails on
 * any that is not in tests/unit/x509_allowlist.tsv (sha256, field, reason).
 *
 * Then a folder of known-bad inputs (truncations, bit flips and byte
 * overwrites of the generated certificates, written by this test) is walked:
 * parse and print must never crash (run under ASan+UBSan in CI).
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "parsers/x509.h"

#include "tests/unit/test.h"

#define MAX_FIELDS 40

struct allow {
	char sha[65];
	char field[64];
};

static struct allow *allow;
static size_t n_allow;
static unsigned long n_certs, n_both_ok, n_both_reject, n_fields, n_diff, n_allowed, n_bad;
static const char *cur_path;

static void load_allowlist(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (!f) {
		printf("note: no allowlist at %s\n", path);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char sha[80], field[64];

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%79[0-9a-f*]\t%63[^\t\n]", sha, field) != 2 || strlen(sha) > 64) {
			printf("bad allowlist line: %s", line);
			continue;
		}
		allow = realloc(allow, (n_allow + 1) * sizeof(*allow));
		snprintf(allow[n_allow].sha, sizeof(allow[n_allow].sha), "%s", sha);
		snprintf(allow[n_allow].field, sizeof(allow[n_allow].field), "%s", field);
		n_allow++;
	}
	fclose(f);
}

static bool allowed(const char *sha, const char *field)
{
	for (size_t i = 0; i < n_allow; i++)
		if ((!strcmp(allow[i].sha, sha) || !strcmp(allow[i].sha, "*")) &&
		    (!strcmp(allow[i].field, field) || !strcmp(allow[i].field, "*")))
			return true;
	return false;
}

/*
 * Mutants (bit flips of valid certificates) are compared too, but only one
 * direction is a failure there: tlsmap accepting what d2i_X509 rejects.
 * tlsmap rejecting BER that OpenSSL tolerates, or OpenSSL re-encoding a
 * damaged field, is printed as INFO.
 */
static bool mutant_mode;
static unsigned long n_info;

static void diff(const char *sha, const char *field, const char *ours, const char *theirs)
{
	bool ok = allowed(sha, field);

	if (mutant_mode && !(strcmp(field, "parse") == 0 && strcmp(ours, "accepts") == 0)) {
		n_info++;
		if (getenv("X509_VERBOSE"))
			printf("INFO %s %s (%s) tlsmap: %.200s openssl: %.200s\n", sha, field,
			       cur_path, ours, theirs);
		return;
	}

	if (ok)
		n_allowed++;
	else
		n_diff++;
	printf("%s %s %s (%s)\n  tlsmap:  %.600s\n  openssl: %.600s\n", ok ? "ALLOWLISTED" : "DIFF",
	       sha, field, cur_path, ours, theirs);
}

/* ---- a tiny reader for the top level of our own JSON object ---- */

struct kv {
	char key[32];
	const char *val;
	size_t len;
};

static size_t skip_value(const char *s, size_t i, size_t n)
{
	int depth = 0;
	bool str = false;

	for (; i < n; i++) {
		char c = s[i];

		if (str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				str = false;
			continue;
		}
		if (c == '"')
			str = true;
		else if (c == '[' || c == '{')
			depth++;
		else if (c == ']' || c == '}') {
			if (depth == 0)
				return i;
			depth--;
		} else if (c == ',' && depth == 0)
			return i;
	}
	return i;
}

static size_t split_object(const char *s, size_t n, struct kv *kv, size_t max)
{
	size_t i = 1, k = 0;

	while (i < n && s[i] == '"' && k < max) {
		const char *q = memchr(s + i + 1, '"', n - i - 1);
		size_t kl = (size_t)(q - (s + i + 1));

		snprintf(kv[k].key, sizeof(kv[k].key), "%.*s", (int)kl, s + i + 1);
		i = (size_t)(q - s) + 2; /* past '":' */
		size_t end = skip_value(s, i, n);
		kv[k].val = s + i;
		kv[k].len = end - i;
		k++;
		i = end + 1;
	}
	return k;
}

/* ---- OpenSSL's view, printed with the same JSON encoders ---- */

struct mem {
	char *p;
	size_t n;
	FILE *f;
};

static void mem_open(struct mem *m)
{
	m->p = NULL;
	m->n = 0;
	m->f = open_memstream(&m->p, &m->n);
}

static char *mem_close(struct mem *m)
{
	fclose(m->f);
	return m->p;
}

static void jstr(FILE *f, const void *p, size_t n)
{
	x509_json_str(f, (const char *)p, n);
}

static void jcstr(FILE *f, const char *s)
{
	jstr(f, s, strlen(s));
}

static void jhex(FILE *f, const unsigned char *p, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
	fputc('"', f);
}

static void obj_name(const ASN1_OBJECT *o, bool sn, char *buf, size_t cap)
{
	int nid = OBJ_obj2nid(o);

	if (nid != NID_undef && (sn ? OBJ_nid2sn(nid) : OBJ_nid2ln(nid)))
		snprintf(buf, cap, "%s", sn ? OBJ_nid2sn(nid) : OBJ_nid2ln(nid));
	else
		OBJ_obj2txt(buf, (int)cap, o, 1);
}

static void name_rfc2253(FILE *f, const X509_NAME *nm)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253);
	n = BIO_get_mem_data(b, &p);
	jstr(f, p, (size_t)n);
	BIO_free(b);
}

static void time_str(FILE *f, const ASN1_TIME *t)
{
	struct tm tm;
	char buf[64] = "";

	if (t && ASN1_TIME_to_tm(t, &tm))
		snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	jcstr(f, buf);
}

static void serial_str(FILE *f, const ASN1_INTEGER *s)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(s, NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL, out[1024];
	size_t o = 0, i = 0;

	if (h) {
		if (h[0] == '-')
			out[o++] = h[i++] == '-' ? '-' : '?';
		while (h[i] == '0' && h[i + 1])
			i++;
		for (; h[i] && o < sizeof(out) - 1; i++)
			out[o++] = (char)(h[i] >= 'A' && h[i] <= 'F' ? h[i] - 'A' + 'a' : h[i]);
	}
	out[o] = 0;
	jcstr(f, out);
	OPENSSL_free(h);
	BN_free(bn);
}

static const char *key_type_of(X509 *x, EVP_PKEY *pk)
{
	if (pk) {
		switch (EVP_PKEY_get_base_id(pk)) {
		case EVP_PKEY_RSA:
		case EVP_PKEY_RSA_PSS:
			return "rsa";
		case EVP_PKEY_EC:
			return "ec";
		case EVP_PKEY_ED25519:
			return "ed25519";
		case EVP_PKEY_ED448:
			return "ed448";
		case EVP_PKEY_DSA:
			return "dsa";
		default:
			return "other";
		}
	}
	/* the key did not decode: classify by the algorithm OID */
	ASN1_OBJECT *alg = NULL;
	X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, X509_get_X509_PUBKEY(x));
	switch (OBJ_obj2nid(alg)) {
	case NID_rsaEncryption:
	case NID_rsassaPss:
		return "rsa";
	case NID_X9_62_id_ecPublicKey:
		return "ec";
	case NID_ED25519:
		return "ed25519";
	case NID_ED448:
		return "ed448";
	case NID_dsa:
		return "dsa";
	default:
		return "other";
	}
}

static const ASN1_OBJECT *ec_curve_oid(X509 *x)
{
	const void *pval = NULL;
	int ptype = 0;
	X509_ALGOR *a = NULL;

	X509_PUBKEY_get0_param(NULL, NULL, NULL, &a, X509_get_X509_PUBKEY(x));
	if (!a)
		return NULL;
	X509_ALGOR_get0(NULL, &ptype, &pval, a);
	return ptype == V_ASN1_OBJECT ? pval : NULL;
}

/* ossl_json: the subject's first CN, as UTF-8 ("" when none or undecodable). */
static void json_subject_cn(X509 *x, FILE *f)
{
	X509_NAME *sn = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(sn, NID_commonName, -1);
	unsigned char *u = NULL;
	int ul = -1;

	if (i >= 0)
		ul = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(sn, i)));
	if (ul >= 0)
		jstr(f, u, (size_t)ul);
	else
		jcstr(f, "");
	OPENSSL_free(u);
	ERR_clear_error();
}

/* ossl_json: key_bits and curve (an EC point that does not decode keeps its curve's size). */
static void json_key(X509 *x, EVP_PKEY *pk, const char *kt, FILE *f)
{
	char buf[256];
	int bits = pk ? EVP_PKEY_get_bits(pk) : 0;
	const ASN1_OBJECT *curve = !strcmp(kt, "ec") ? ec_curve_oid(x) : NULL;

	/* an EC point that does not decode still has its curve's size */
	if (!pk && curve) {
		EC_GROUP *g = EC_GROUP_new_by_curve_name(OBJ_obj2nid(curve));
		bits = g ? EC_GROUP_order_bits(g) : 0;
		EC_GROUP_free(g);
	}
	fprintf(f, ",\"key_bits\":%d", bits < 0 ? 0 : bits);
	buf[0] = 0;
	if (curve)
		obj_name(curve, true, buf, sizeof(buf));
	fputs(",\"curve\":", f);
	jcstr(f, buf);
}

/* ossl_json: SHA-256 of the SubjectPublicKeyInfo. */
static void json_spki(X509 *x, FILE *f)
{
	unsigned char md[64];
	unsigned char *der = NULL;
	int l = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);

	SHA256(der, l > 0 ? (size_t)l : 0, md);
	OPENSSL_free(der);
	fputs(",\"spki_sha256\":", f);
	jhex(f, md, 32);
}

/* ossl_json: the SAN lists by kind. */
static void json_san(X509 *x, FILE *f)
{
	char buf[256];
	int crit;
	GENERAL_NAMES *gns = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	static const struct {
		const char *key;
		int type;
	} kinds[] = {{"san_dns", GEN_DNS},
		     {"san_ip", GEN_IPADD},
		     {"san_email", GEN_EMAIL},
		     {"san_uri", GEN_URI}};

	for (size_t k = 0; k < 4; k++) {
		int n = 0;

		fprintf(f, ",\"%s\":[", kinds[k].key);
		for (int i = 0; i < sk_GENERAL_NAME_num(gns); i++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(gns, i);
			int type;
			ASN1_STRING *s = GENERAL_NAME_get0_value(g, &type);

			if (type != kinds[k].type)
				continue;
			if (n++)
				fputc(',', f);
			if (type == GEN_IPADD)
				jcstr(f, x509_ip_text(ASN1_STRING_get0_data(s),
						      (size_t)ASN1_STRING_length(s), buf,
						      sizeof(buf)));
			else
				jstr(f, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
		}
		fputc(']', f);
	}
	GENERAL_NAMES_free(gns);
}

/* ossl_json: is_ca and path_len (-1: none or out of range). */
static void json_basic_constraints(X509 *x, FILE *f)
{
	int crit;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	long pl = -1;

	if (bc && bc->pathlen) {
		pl = ASN1_INTEGER_get(bc->pathlen);
		if (pl < 0 || pl > INT32_MAX)
			pl = -1;
	}
	fprintf(f, ",\"is_ca\":%s,\"path_len\":%ld", bc && bc->ca ? "true" : "false", pl);
	BASIC_CONSTRAINTS_free(bc);
}

/* ossl_json: the key usage bits by name. */
static void json_key_usage(X509 *x, FILE *f)
{
	int crit;
	ASN1_BIT_STRING *ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
	int n = 0;

	fputs(",\"key_usage\":[", f);
	for (unsigned i = 0; ku && i < X509_KU_COUNT; i++)
		if (ASN1_BIT_STRING_get_bit(ku, (int)i)) {
			if (n++)
				fputc(',', f);
			jcstr(f, x509_ku_name(i));
		}
	fputc(']', f);
	ASN1_BIT_STRING_free(ku);
}

/* ossl_json: the extended key usages by name. */
static void json_ext_key_usage(X509 *x, FILE *f)
{
	char buf[256];
	int crit;
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);

	fputs(",\"ext_key_usage\":[", f);
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		if (i)
			fputc(',', f);
		obj_name(sk_ASN1_OBJECT_value(eku, i), true, buf, sizeof(buf));
		jcstr(f, buf);
	}
	fputc(']', f);
	EXTENDED_KEY_USAGE_free(eku);
}

/* ossl_json: the AKI key id and the SKI, hex. */
static void json_key_ids(X509 *x, FILE *f)
{
	int crit;
	AUTHORITY_KEYID *aki = X509_get_ext_d2i(x, NID_authority_key_identifier, &crit, NULL);
	ASN1_OCTET_STRING *ski = X509_get_ext_d2i(x, NID_subject_key_identifier, &crit, NULL);

	fputs(",\"aki\":", f);
	if (aki && aki->keyid)
		jhex(f, ASN1_STRING_get0_data(aki->keyid), (size_t)ASN1_STRING_length(aki->keyid));
	else
		jcstr(f, "");
	fputs(",\"ski\":", f);
	if (ski)
		jhex(f, ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski));
	else
		jcstr(f, "");
	AUTHORITY_KEYID_free(aki);
	ASN1_OCTET_STRING_free(ski);
}

/* ossl_json: the certificate policy OIDs. */
static void json_policies(X509 *x, FILE *f)
{
	char buf[256];
	int crit;
	CERTIFICATEPOLICIES *pol = X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL);

	fputs(",\"policies\":[", f);
	for (int i = 0; i < sk_POLICYINFO_num(pol); i++) {
		if (i)
			fputc(',', f);
		OBJ_obj2txt(buf, sizeof(buf), sk_POLICYINFO_value(pol, i)->policyid, 1);
		jcstr(f, buf);
	}
	fputc(']', f);
	CERTIFICATEPOLICIES_free(pol);
}

/* ossl_json: the AIA URIs: OCSP and CA issuers. */
static void json_info_access(X509 *x, FILE *f)
{
	int crit;
	AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, &crit, NULL);
	int want[2] = {NID_ad_OCSP, NID_ad_ca_issuers};
	const char *keys[2] = {"ocsp", "ca_issuers"};

	for (int k = 0; k < 2; k++) {
		int n = 0;

		fprintf(f, ",\"%s\":[", keys[k]);
		for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
			ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);

			if (OBJ_obj2nid(ad->method) != want[k] || ad->location->type != GEN_URI)
				continue;
			if (n++)
				fputc(',', f);
			jstr(f, ASN1_STRING_get0_data(ad->location->d.uniformResourceIdentifier),
			     (size_t)ASN1_STRING_length(ad->location->d.uniformResourceIdentifier));
		}
		fputc(']', f);
	}
	AUTHORITY_INFO_ACCESS_free(aia);
}

/* ossl_json: the signature algorithm's name. */
static void json_sig_alg(X509 *x, FILE *f)
{
	char buf[256];
	const X509_ALGOR *alg;
	const ASN1_OBJECT *o;

	X509_get0_signature(NULL, &alg, x);
	X509_ALGOR_get0(&o, NULL, NULL, alg);
	obj_name(o, false, buf, sizeof(buf));
	fputs(",\"sig_alg\":", f);
	jcstr(f, buf);
}

static void ossl_json(X509 *x, FILE *f)
{
	unsigned char md[64];
	unsigned int mdl;
	EVP_PKEY *pk = X509_get0_pubkey(x);
	const char *kt = key_type_of(x, pk);

	fputc('{', f);
	X509_digest(x, EVP_sha256(), md, &mdl);
	fputs("\"sha256\":", f);
	jhex(f, md, mdl);
	X509_digest(x, EVP_sha1(), md, &mdl);
	fputs(",\"sha1\":", f);
	jhex(f, md, mdl);
	fputs(",\"serial\":", f);
	serial_str(f, X509_get0_serialNumber(x));
	fprintf(f, ",\"version\":%ld", X509_get_version(x) + 1);
	fputs(",\"subject\":", f);
	name_rfc2253(f, X509_get_subject_name(x));
	fputs(",\"issuer\":", f);
	name_rfc2253(f, X509_get_issuer_name(x));
	fputs(",\"subject_cn\":", f);
	json_subject_cn(x, f);
	fputs(",\"not_before\":", f);
	time_str(f, X509_get0_notBefore(x));
	fputs(",\"not_after\":", f);
	time_str(f, X509_get0_notAfter(x));
	fputs(",\"key_type\":", f);
	jcstr(f, kt);
	json_key(x, pk, kt, f);
	json_spki(x, f);
	json_san(x, f);
	json_basic_constraints(x, f);
	json_key_usage(x, f);
	json_ext_key_usage(x, f);
	json_key_ids(x, f);
	json_policies(x, f);
	json_info_access(x, f);
	fprintf(f, ",\"has_sct\":%s",
		X509_get_ext_by_NID(x, NID_ct_precert_scts, -1) >= 0 ? "true" : "false");
	json_sig_alg(x, f);
	fputc('}', f);
	ERR_clear_error();
}

static void check_cert(const uint8_t *der, size_t len)
{
	unsigned char md[32];
	char sha[65];
	const unsigned char *p = der;
	X509 *x;
	struct x509_cert c;
	int rc;

	n_certs++;
	SHA256(der, len, md);
	x509_hex(md, 32, sha);
	x = d2i_X509(NULL, &p, (long)len);
	ERR_clear_error();
	rc = x509_parse(der, len, &c);
	if (!x && rc < 0) {
		n_both_reject++;
		return;
	}
	if (!x) {
		diff(sha, "parse", "accepts", "d2i_X509 rejects");
		return;
	}
	if (rc < 0) {
		char msg[160];

		snprintf(msg, sizeof(msg), "rejects: %s at offset %u", x509_strerror(rc),
			 c.err_offset);
		diff(sha, "parse", msg, "d2i_X509 accepts");
		X509_free(x);
		return;
	}
	n_both_ok++;

	struct mem ours, theirs;
	struct kv ka[MAX_FIELDS], kb[MAX_FIELDS];

	mem_open(&ours);
	mem_open(&theirs);
	x509_fields_json(&c, der, ours.f);
	ossl_json(x, theirs.f);
	char *a = mem_close(&ours), *b = mem_close(&theirs);
	size_t na = split_object(a, strlen(a), ka, MAX_FIELDS);
	size_t nb = split_object(b, strlen(b), kb, MAX_FIELDS);

	if (na != nb || na != 28)
		diff(sha, "keys", a, b);
	for (size_t i = 0; i < na && i < nb; i++) {
		n_fields++;
		if (strcmp(ka[i].key, kb[i].key)) {
			diff(sha, "key-order", ka[i].key, kb[i].key);
			continue;
		}
		if (ka[i].len != kb[i].len || memcmp(ka[i].val, kb[i].val, ka[i].len)) {
			char *va = strndup(ka[i].val, ka[i].len),
			     *vb = strndup(kb[i].val, kb[i].len);
			diff(sha, ka[i].key, va, vb);
			free(va);
			free(vb);
		}
	}
	free(a);
	free(b);
	X509_free(x);
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

/* Each certificate of the PEM file @path, to @fn (which may change the bytes). */
static void each_pem_cert(const char *path, void (*fn)(uint8_t *der, size_t len))
{
	size_t len, pos = 0;
	char *text = test_read_file(path, &len);
	uint8_t *der = malloc(len + 1);
	long n;

	cur_path = path;
	while (text && der && (n = x509_pem_next(text, len, &pos, der, len)) > 0)
		fn(der, (size_t)n);
	free(der);
	free(text);
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t len, pos = 0;
	char *text;
	long n;

	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	text = test_read_file(path, &len);
	if (!text)
		return 0;
	cur_path = path;
	if (x509_is_pem(text, len)) {
		uint8_t *der = malloc(len + 1);

		while ((n = x509_pem_next(text, len, &pos, der, len)) != 0)
			if (n > 0)
				check_cert(der, (size_t)n);
		free(der);
	} else if (has_suffix(path, ".der") || has_suffix(path, ".cer") ||
		   has_suffix(path, ".crt") || has_suffix(path, ".cert")) {
		check_cert((const uint8_t *)text, len);
	}
	free(text);
	return 0;
}

/*
 * Tag sweep: re-type the subject CN/O/C and issuer CN values of a
 * generated certificate as every universal tag (and SEQUENCE), so every
 * string type, dump type and rejected type goes through both parsers with
 * the same content octets. Strict comparison, as for real certificates.
 */
static unsigned long n_sweep;

static void sweep_one(uint8_t *der, size_t len, struct x509_str s)
{
	if (!s.tag || s.len >= 128 || s.off < 2 || der[s.off - 2] != s.tag)
		return;
	uint8_t saved = der[s.off - 2];
	for (unsigned tag = 1; tag <= 0x30; tag++) {
		if (tag > 0x1e && tag != 0x30)
			continue;
		char label[4200];

		der[s.off - 2] = (uint8_t)tag;
		n_sweep++;
		snprintf(label, sizeof(label), "%s, value at %u re-tagged 0x%02x", cur_path, s.off,
			 tag);
		const char *saved_path = cur_path;
		cur_path = label;
		check_cert(der, len);
		cur_path = saved_path;
	}
	der[s.off - 2] = saved;
}

static void tag_sweep_cert(uint8_t *der, size_t len)
{
	struct x509_cert c;

	if (x509_parse(der, len, &c) < 0)
		return;
	sweep_one(der, len, c.subject_cn);
	sweep_one(der, len, c.subject_o);
	sweep_one(der, len, c.subject_c);
	sweep_one(der, len, c.issuer_cn);
}

static int tag_sweep(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F && has_suffix(path, ".pem"))
		each_pem_cert(path, tag_sweep_cert);
	return 0;
}

/* ---- known-bad inputs ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	return test_rand(&rng);
}

static void write_file(const char *dir, unsigned long id, const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bad-%06lu.der", dir, id);
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(p, 1, n, f);
	fclose(f);
}

static const char *bad_dir;
static unsigned long bad_id;

/* Truncations, bit flips and byte overwrites of one certificate, as files. */
static void make_bad_cert(uint8_t *der, size_t dl)
{
	uint8_t *mut = malloc(dl);

	if (!mut)
		return;
	for (int i = 0; i < 24; i++)
		write_file(bad_dir, bad_id++, der, dl * (size_t)i / 24);
	for (int i = 0; i < 48; i++) {
		memcpy(mut, der, dl);
		size_t bit = next_rand() % (dl * 8);
		mut[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		write_file(bad_dir, bad_id++, mut, dl);
	}
	for (int i = 0; i < 24; i++) {
		memcpy(mut, der, dl);
		for (int k = 0; k < 4; k++)
			mut[next_rand() % dl] =
				(uint8_t)(k & 1 ? 0x80 | (next_rand() & 0x7f) : next_rand());
		write_file(bad_dir, bad_id++, mut, dl);
	}
	free(mut);
}

static int make_bad(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F && has_suffix(path, ".pem"))
		each_pem_cert(path, make_bad_cert);
	return 0;
}

static int walk_bad(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t len;
	char *buf;
	struct x509_cert c;
	FILE *null;

	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	buf = test_read_file(path, &len);
	if (!buf)
		return 0;
	n_bad++;
	cur_path = path;
	mutant_mode = true;
	check_cert((const uint8_t *)buf, len);
	mutant_mode = false;
	if (x509_parse((const uint8_t *)buf, len, &c) == 0) {
		null = fopen("/dev/null", "w");
		x509_fields_json(&c, (const uint8_t *)buf, null);
		fclose(null);
	} else if (c.err_offset > len) {
		printf("FAIL: %s: err_offset %u beyond length %zu\n", path, c.err_offset, len);
		n_diff++;
	}
	free(buf);
	return 0;
}

/*
 * OID text against OBJ_obj2txt: random valid OIDs whose arcs
 * reach 20 octets (140 bits), including the first one. tlsmap printed arcs
 * above 64 bits as the OID cut before them (2.23.140.1.2.1.<huge> as the
 * DV policy); both must now print every arc exactly.
 */
static void oid_sweep(void)
{
	unsigned long n = 0, bad = 0;

	for (int round = 0; round < 20000; round++) {
		uint8_t oid[96];
		size_t len = 0;
		unsigned arcs = 1 + (unsigned)(next_rand() % 8);
		for (unsigned a = 0; a < arcs; a++) {
			uint64_t r = next_rand();
			size_t w =
				r % 4 == 0 ? 1 + (size_t)(next_rand() % 20) : 1 + (size_t)(r % 3);
			if (len + w > sizeof(oid))
				break;
			for (size_t k = 0; k < w; k++)
				oid[len + k] =
					(uint8_t)((next_rand() & 0x7f) | (k + 1 < w ? 0x80 : 0));
			if (w > 1 && oid[len] == 0x80)
				oid[len] = 0x81; /* no leading zero groups (X.690 8.19.2) */
			len += w;
		}
		const unsigned char *p = oid;
		uint8_t tlv[100];
		tlv[0] = 6;
		tlv[1] = (uint8_t)len;
		memcpy(tlv + 2, oid, len);
		p = tlv;
		ASN1_OBJECT *o = d2i_ASN1_OBJECT(NULL, &p, (long)len + 2);
		char theirs[1024], ours[1024];
		if (!o)
			continue;
		OBJ_obj2txt(theirs, sizeof(theirs), o, 1);
		ASN1_OBJECT_free(o);
		x509_oid_dotted(oid, len, ours, sizeof(ours));
		n++;
		if (strcmp(ours, theirs)) {
			if (bad++ < 5)
				printf("oid sweep: ours '%s' OpenSSL '%s'\n", ours, theirs);
		}
		/* a buffer one octet short gives "", never a prefix */
		size_t need = strlen(ours) + 1;
		x509_oid_dotted(oid, len, ours, need - 1);
		if (ours[0]) {
			if (bad++ < 5)
				printf("oid sweep: short buffer gave '%s'\n", ours);
		}
	}
	/* the longest arc printed (X509_OID_MAX_ARC_OCTETS) against OpenSSL;
	 * one octet more, and a 60,000-octet arc, give "" at once */
	static uint8_t big[60002];
	big[0] = 0x2b; /* 1.3 */
	for (size_t k = 1; k < sizeof(big); k++)
		big[k] = (uint8_t)(0x80 | (k * 37 % 127 + 1));
	size_t cap = X509_OID_TEXT_MAX(sizeof(big));
	char *ours = malloc(cap), *theirs = malloc(cap);
	for (size_t arc = X509_OID_MAX_ARC_OCTETS; arc <= X509_OID_MAX_ARC_OCTETS + 1; arc++) {
		uint8_t save = big[1 + arc - 1];
		big[1 + arc - 1] &= 0x7f;
		x509_oid_dotted(big, 1 + arc, ours, cap);
		uint8_t tlv[300];
		tlv[0] = 6;
		tlv[1] = 0x81;
		tlv[2] = (uint8_t)(1 + arc);
		memcpy(tlv + 3, big, 1 + arc);
		const unsigned char *p = tlv;
		ASN1_OBJECT *o = d2i_ASN1_OBJECT(NULL, &p, (long)(4 + arc));
		theirs[0] = 0;
		if (o)
			OBJ_obj2txt(theirs, (int)cap, o, 1);
		ASN1_OBJECT_free(o);
		if (arc == X509_OID_MAX_ARC_OCTETS ? strcmp(ours, theirs) || !*ours : !!*ours) {
			printf("oid sweep: %zu-octet arc: ours '%.40s' OpenSSL '%.40s'\n", arc,
			       ours, theirs);
			bad++;
		}
		big[1 + arc - 1] = save;
	}
	big[sizeof(big) - 1] &= 0x7f;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	x509_oid_dotted(big, sizeof(big), ours, cap);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (*ours || ms > 100) {
		printf("oid sweep: 60,000-octet arc gave '%.20s' in %.1f ms\n", ours, ms);
		bad++;
	}
	free(ours);
	free(theirs);
	printf("oid sweep: oids=%lu diffs=%lu\n", n, bad);
	n_diff += bad;
}

int main(void)
{
	const char *src = getenv("TLSMAP_SRCDIR");
	const char *corpus = getenv("TLSMAP_CORPUS");
	char path[8192], gen[4096], tmpl[256];
	struct stat st;
	char *tmp;
	int rc;

	if (!src)
		src = ".";
	snprintf(path, sizeof(path), "%s/tests/unit/x509_allowlist.tsv", src);
	load_allowlist(path);

	if (!corpus || stat(corpus, &st) != 0) {
		snprintf(path, sizeof(path), "%s/../shared/corpus", src);
		corpus = stat(path, &st) == 0 ? path : NULL;
	}
	if (corpus) {
		printf("corpus: %s\n", corpus);
		nftw(corpus, visit, 16, FTW_PHYS);
		printf("corpus: certs=%lu both_ok=%lu both_reject=%lu fields=%lu diffs=%lu "
		       "allowlisted=%lu\n",
		       n_certs, n_both_ok, n_both_reject, n_fields, n_diff, n_allowed);
	} else {
		printf("corpus part skipped: no ../shared/corpus (set TLSMAP_CORPUS)\n");
	}

	tmp = test_tmpdir(tmpl, sizeof(tmpl), "x509");
	if (!tmp)
		return 1;
	snprintf(gen, sizeof(gen), "%s/gen", tmp);
	snprintf(path, sizeof(path), "bash '%s/tests/unit/x509_gen.sh' '%s' >/dev/null", src, gen);
	rc = system(path);
	if (rc != 0) {
		printf("FAIL: x509_gen.sh exited %d\n", rc);
		return 1;
	}
	/* the committed seed corpus: fixed bytes, so a regression cannot hide
	 * behind freshly generated keys */
	unsigned long before = n_certs, dbefore = n_diff;
	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/x509", src);
	nftw(path, visit, 16, FTW_PHYS);
	printf("seed corpus: certs=%lu diffs=%lu\n", n_certs - before, n_diff - dbefore);
	/* fuzz findings: inputs OpenSSL rejects that tlsmap once accepted */
	before = n_certs;
	dbefore = n_diff;
	snprintf(path, sizeof(path), "%s/tests/fuzz/regressions/x509", src);
	mutant_mode = true;
	nftw(path, visit, 16, FTW_PHYS);
	mutant_mode = false;
	printf("fuzz regressions: certs=%lu diffs=%lu\n", n_certs - before, n_diff - dbefore);
	before = n_certs;
	dbefore = n_diff;
	nftw(gen, visit, 16, FTW_PHYS);
	printf("generated: certs=%lu diffs=%lu\n", n_certs - before, n_diff - dbefore);
	if (n_certs - before < 30) {
		printf("FAIL: generator produced only %lu certificates\n", n_certs - before);
		n_diff++;
	}

	oid_sweep();

	before = n_certs;
	dbefore = n_diff;
	nftw(gen, tag_sweep, 16, FTW_PHYS);
	printf("name tag sweep: variants=%lu diffs=%lu\n", n_sweep, n_diff - dbefore);

	char bad[8192];
	snprintf(bad, sizeof(bad), "%s/bad", tmp);
	mkdir(bad, 0700);
	bad_dir = bad;
	nftw(gen, make_bad, 16, FTW_PHYS);
	nftw(bad, walk_bad, 16, FTW_PHYS);
	printf("known-bad inputs walked: %lu (no crash; %lu informational differences, "
	       "X509_VERBOSE=1 lists them)\n",
	       n_bad, n_info);

	printf("total: certs=%lu both_ok=%lu both_reject=%lu fields=%lu diffs=%lu "
	       "allowlisted=%lu\n",
	       n_certs, n_both_ok, n_both_reject, n_fields, n_diff, n_allowed);
	free(allow);
	failures += (int)n_diff;
	TEST_DONE();
}

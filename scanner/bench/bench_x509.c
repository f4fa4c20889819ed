/* SPDX-License-Identifier: MIT */
/*
 * tlsmap bench x509 DIR [--seconds S]: certificate parsing speed of
 * tlsmap's parser against OpenSSL, in the same run, on one core.
 *
 * Every certificate found in DIR (PEM blocks in any file, or DER files;
 * subdirectories included) that both parsers accept is parsed over and
 * over for half of S seconds by each side:
 *   tlsmap:  x509_parse(), which decodes every field the JSON prints into
 *            the struct (names validated and located, times decoded to unix
 *            seconds, key type and size, every SAN, basicConstraints,
 *            keyUsage, EKUs, AKI/SKI, policies, AIA, SCT presence); string
 *            rendering and digests are lazy and not counted;
 *   openssl: d2i_X509(), then the same fields through the X509_get_* API
 *            (ASN1_TIME_to_tm for the times, X509_get_ext_d2i for every
 *            extension), then X509_free().
 * A third figure adds x509_digests() (SHA-256 and SHA-1 of the DER, SHA-256
 * of the SPKI) to tlsmap's parse, for honesty about the full cost of a
 * Certificate record's fixed-size fields.
 *
 * Prints key=value lines: certs= skipped= seconds= clock= wall_seconds=
 * tlsmap_certs_per_s=
 * openssl_certs_per_s= ratio= tlsmap_digests_certs_per_s= mean_der_bytes=.
 */
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "parsers/x509.h"
#include "scanner/bench/bench.h"
#include "scanner/cmd/cli.h"

static const char usage_text[] =
	"usage: tlsmap bench x509 DIR [--seconds S]\n"
	"\n"
	"Parse every certificate under DIR (PEM or DER files) repeatedly with\n"
	"tlsmap's parser and with OpenSSL (d2i_X509 + X509_get_* for the same\n"
	"fields), S/2 CPU-seconds each (default S=4), and print key=value lines:\n"
	"certs, skipped, tlsmap_certs_per_s, openssl_certs_per_s, ratio,\n"
	"tlsmap_digests_certs_per_s, mean_der_bytes, seconds.\n"
	"  -s, --seconds S   total measuring time (default 4)\n"
	"  -h, --help        this text\n";

struct cert_set {
	uint8_t **der;
	size_t *len;
	size_t n, cap, skipped, bytes;
};

static struct cert_set *g_set; /* nftw has no user pointer */

static void add_cert(const uint8_t *p, size_t len)
{
	struct cert_set *s = g_set;
	struct x509_cert c;
	const unsigned char *q = p;
	X509 *x;

	if (x509_parse(p, len, &c) < 0 || !(x = d2i_X509(NULL, &q, (long)len))) {
		ERR_clear_error();
		s->skipped++;
		return;
	}
	X509_free(x);
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 256;
		uint8_t **d = realloc(s->der, nc * sizeof(*d));
		size_t *l = d ? realloc(s->len, nc * sizeof(*l)) : NULL;

		if (!d || !l) {
			if (d)
				s->der = d;
			s->skipped++;
			return;
		}
		s->der = d;
		s->len = l;
		s->cap = nc;
	}
	s->der[s->n] = malloc(len);
	if (!s->der[s->n]) {
		s->skipped++;
		return;
	}
	memcpy(s->der[s->n], p, len);
	s->len[s->n++] = len;
	s->bytes += len;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	FILE *f;
	char *buf;
	size_t pos = 0;
	long n;

	(void)ftw;
	if (type != FTW_F || st->st_size <= 0 || st->st_size > (64 << 20))
		return 0;
	f = fopen(path, "rb");
	if (!f)
		return 0;
	buf = malloc((size_t)st->st_size);
	if (buf && fread(buf, 1, (size_t)st->st_size, f) == (size_t)st->st_size) {
		size_t len = (size_t)st->st_size;

		if (x509_is_pem(buf, len)) {
			uint8_t *der = malloc(len);

			while (der && (n = x509_pem_next(buf, len, &pos, der, len)) != 0)
				if (n > 0)
					add_cert(der, (size_t)n);
			free(der);
		} else if (len > 2 && (uint8_t)buf[0] == 0x30) {
			add_cert((const uint8_t *)buf, len);
		}
	}
	free(buf);
	fclose(f);
	return 0;
}

/*
 * Rates are per CPU-second of this thread (CLOCK_THREAD_CPUTIME_ID): the
 * machine running the benchmark may be shared, and "per core" is the
 * figure that matters. wall_seconds= is printed too.
 */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Read the fields `tlsmap x509` prints through OpenSSL's API. */
static unsigned long ossl_fields(X509 *x)
{
	unsigned long sink = (unsigned long)X509_get_version(x);
	const X509_ALGOR *alg;
	const ASN1_OBJECT *o;
	struct tm tm;
	int crit;

	sink += (unsigned long)ASN1_STRING_length(X509_get0_serialNumber(x));
	X509_get0_signature(NULL, &alg, x);
	X509_ALGOR_get0(&o, NULL, NULL, alg);
	sink += (unsigned long)OBJ_obj2nid(o);
	X509_NAME *sn = X509_get_subject_name(x), *in = X509_get_issuer_name(x);
	sink += (unsigned long)X509_NAME_get_index_by_NID(sn, NID_commonName, -1);
	sink += (unsigned long)X509_NAME_get_index_by_NID(sn, NID_organizationName, -1);
	sink += (unsigned long)X509_NAME_get_index_by_NID(sn, NID_countryName, -1);
	sink += (unsigned long)X509_NAME_get_index_by_NID(in, NID_commonName, -1);
	if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm))
		sink += (unsigned long)tm.tm_year;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		sink += (unsigned long)tm.tm_year;
	EVP_PKEY *pk = X509_get0_pubkey(x);
	if (pk)
		sink += (unsigned long)EVP_PKEY_get_bits(pk) +
			(unsigned long)EVP_PKEY_get_base_id(pk);
	GENERAL_NAMES *gns = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	sink += (unsigned long)sk_GENERAL_NAME_num(gns);
	GENERAL_NAMES_free(gns);
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	if (bc)
		sink += (unsigned long)bc->ca;
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING *ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
	if (ku)
		sink += (unsigned long)ASN1_BIT_STRING_get_bit(ku, 0);
	ASN1_BIT_STRING_free(ku);
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	sink += (unsigned long)sk_ASN1_OBJECT_num(eku);
	EXTENDED_KEY_USAGE_free(eku);
	AUTHORITY_KEYID *aki = X509_get_ext_d2i(x, NID_authority_key_identifier, &crit, NULL);
	if (aki && aki->keyid)
		sink += (unsigned long)ASN1_STRING_length(aki->keyid);
	AUTHORITY_KEYID_free(aki);
	ASN1_OCTET_STRING *ski = X509_get_ext_d2i(x, NID_subject_key_identifier, &crit, NULL);
	if (ski)
		sink += (unsigned long)ASN1_STRING_length(ski);
	ASN1_OCTET_STRING_free(ski);
	CERTIFICATEPOLICIES *pol = X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL);
	sink += (unsigned long)sk_POLICYINFO_num(pol);
	CERTIFICATEPOLICIES_free(pol);
	AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, &crit, NULL);
	sink += (unsigned long)sk_ACCESS_DESCRIPTION_num(aia);
	AUTHORITY_INFO_ACCESS_free(aia);
	sink += (unsigned long)X509_get_ext_by_NID(x, NID_ct_precert_scts, -1);
	return sink;
}

enum side { SIDE_TLSMAP, SIDE_DIGESTS, SIDE_OPENSSL };

/* Parse the whole set in rounds until @seconds pass; returns certs/s. */
static double run(const struct cert_set *s, enum side side, double seconds, unsigned long *sink)
{
	double start = now_s(), elapsed;
	unsigned long done = 0;
	struct x509_cert c;
	uint8_t h1[32], h2[20], h3[32];

	do {
		for (size_t i = 0; i < s->n; i++) {
			if (side == SIDE_OPENSSL) {
				const unsigned char *p = s->der[i];
				X509 *x = d2i_X509(NULL, &p, (long)s->len[i]);

				if (x) {
					*sink += ossl_fields(x);
					X509_free(x);
				}
			} else {
				if (x509_parse(s->der[i], s->len[i], &c) == 0)
					*sink += c.key_bits + c.san_total + c.eku_count +
						 (unsigned long)c.not_after;
				if (side == SIDE_DIGESTS) {
					x509_digests(s->der[i], &c, h1, h2, h3);
					*sink += h1[0] + h2[0] + h3[0];
				}
			}
		}
		done += s->n;
		elapsed = now_s() - start;
	} while (elapsed < seconds);
	return (double)done / elapsed;
}

int bench_x509(int argc, char **argv)
{
	static const struct option opts[] = {
		{"seconds", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cert_set set = {0};
	double seconds = 4;
	unsigned long sink = 0;
	int c, ret = 1;

	/* each flag at most once */
	struct cli_getopt g = {.cmd = "bench x509", .shortopts = "s:h", .longopts = opts};
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_OPT_REPEATED:
			return CLI_EUSAGE;
		case 's':
			if (cli_parse_seconds("bench x509", "--seconds", optarg, &seconds) < 0)
				return CLI_EUSAGE;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return cli_bad_option("bench x509", argc, argv);
		}
	}
	if (optind != argc - 1) {
		cli_usage_error("bench x509", "give exactly one DIR");
		return CLI_EUSAGE;
	}
	if (seconds <= 0)
		seconds = 0.01;
	g_set = &set;
	if (nftw(argv[optind], visit, 16, FTW_PHYS) != 0) {
		perror(argv[optind]);
		goto out;
	}
	if (set.n == 0) {
		fprintf(stderr, "tlsmap bench x509: %s: no certificate both parsers accept\n",
			argv[optind]);
		goto out;
	}
	struct timespec w0, w1;
	clock_gettime(CLOCK_MONOTONIC, &w0);
	/* warm caches and OpenSSL's lazy initialisation before timing */
	run(&set, SIDE_OPENSSL, 0, &sink);
	run(&set, SIDE_TLSMAP, 0, &sink);
	double t = run(&set, SIDE_TLSMAP, seconds / 2, &sink);
	double o = run(&set, SIDE_OPENSSL, seconds / 2, &sink);
	double d = run(&set, SIDE_DIGESTS, seconds / 4, &sink);
	clock_gettime(CLOCK_MONOTONIC, &w1);
	printf("certs=%zu\nskipped=%zu\nmean_der_bytes=%zu\nseconds=%.2f\n", set.n, set.skipped,
	       set.bytes / set.n, seconds);
	printf("clock=thread_cpu\nwall_seconds=%.2f\n",
	       (double)(w1.tv_sec - w0.tv_sec) + (double)(w1.tv_nsec - w0.tv_nsec) * 1e-9);
	printf("tlsmap_certs_per_s=%.0f\nopenssl_certs_per_s=%.0f\nratio=%.1f\n", t, o, t / o);
	printf("tlsmap_digests_certs_per_s=%.0f\nsink=%lu\n", d, sink & 0xff);
	ret = 0;
out:
	for (size_t i = 0; i < set.n; i++)
		free(set.der[i]);
	free(set.der);
	free(set.len);
	return ret;
}

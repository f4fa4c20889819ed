/* SPDX-License-Identifier: MIT */
/*
 * parsers/verdict: table-driven, one row per situation, every enum value.
 * The certificates are real (built with OpenSSL here), verification is the
 * real verify_chain() against a --roots file and the name match the real
 * verify_name_matches(), so a row exercises the whole decision as the TLS
 * stage will call it. The known-interceptor list is share/interceptors.tsv
 * (its loader and the fingerprint ways: parsers_interceptors_test.c).
 *
 * Rows: a legitimate server for the domain (trusted and matching:
 * VALID_FOR_SNI), a self-signed host certificate answered for every SNI
 * (HOST_OWN_CERT), an expired real certificate (unverified, differing:
 * INTERCEPTED by the documented rule; the same expired chain as the
 * control: HOST_OWN_CERT), a Kazakh-style forgery copying the control
 * leaf's subject and SAN under another key and issuer (INTERCEPTED,
 * subject-copied-from-control), a chain from a known interceptor root even
 * when the root is trusted (INTERCEPTED, known-interceptor), a trusted
 * chain for another name (UNTRUSTED_OTHER), and the TLS-stage outcomes.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parsers/verdict.h"
#include "parsers/verify.h"
#include "parsers_x509_testcerts.h"
#include "test.h"

enum cert_id {
	C_NONE = 0,
	C_ROOT,	    /* trusted root */
	C_INTER,    /* trusted intermediate */
	C_DEFAULT,  /* host A's default certificate (control SNI answer) */
	C_REAL,	    /* www.real.example, trusted */
	C_OTHER,    /* other.example, trusted */
	C_EXPIRED,  /* www.real.example, expired */
	C_SELF,	    /* host B's self-signed certificate */
	C_KZ_ROOT,  /* CN=Qaznet Trust Network, C=KZ */
	C_KZ_INTER, /* CN=Security Certificate */
	C_FORGED,   /* copies C_REAL's subject and SAN, RSA e=3, shifted validity */
	C_KZ_OTHER, /* leaf for www.real.example under the KZ chain, own subject */
	C_COUNT,
};

static struct tc_cert certs[C_COUNT];

enum store_id { S_TRUSTED, S_WITH_KZ };

#define MAXC 4
#define MAXR 6

struct row {
	const char *name;
	enum verdict_stage stage;
	bool is_control;
	enum cert_id test[MAXC];
	enum cert_id control[MAXC];
	enum store_id store;
	bool use_list;
	const char *sni;
	enum verdict want;
	const char *reasons[MAXR];    /* each must be a prefix of some reason */
	const char *no_reasons[MAXR]; /* none may be */
	const char *interceptor;      /* expected label, or NULL for none */
	unsigned evidence;	      /* VERDICT_EV_* given with the input */
};

static const struct row rows[] = {
	{"legit server for the domain",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_REAL, C_INTER},
	 {C_DEFAULT, C_INTER},
	 S_TRUSTED,
	 true,
	 "www.real.example",
	 VERDICT_VALID_FOR_SNI,
	 {"differs-from-control", "names-sni"},
	 {"unverified", "known-interceptor", "subject-copied-from-control"},
	 NULL,
	 0},
	{"self-signed host cert for every SNI",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_SELF},
	 {C_SELF},
	 S_TRUSTED,
	 true,
	 "www.real.example",
	 VERDICT_HOST_OWN_CERT,
	 {"same-as-control", "unverified:"},
	 {"differs-from-control"},
	 NULL,
	 0},
	{"control probe itself",
	 VERDICT_STAGE_CERTIFICATE,
	 true,
	 {C_SELF},
	 {C_NONE},
	 S_TRUSTED,
	 true,
	 "control.example",
	 VERDICT_HOST_OWN_CERT,
	 {"control-probe"},
	 {"differs-from-control"},
	 NULL,
	 0},
	{"expired real cert, differs from control",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_EXPIRED, C_INTER},
	 {C_DEFAULT, C_INTER},
	 S_TRUSTED,
	 true,
	 "www.real.example",
	 VERDICT_UNTRUSTED_OTHER,
	 {"differs-from-control", "unverified:certificate has expired", "names-sni",
	  "served-by-host", "not-localized"},
	 {"known-interceptor"},
	 NULL,
	 VERDICT_EV_NOT_LOCALIZED},
	{"expired real cert, same as control",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_EXPIRED, C_INTER},
	 {C_EXPIRED, C_INTER},
	 S_TRUSTED,
	 true,
	 "www.real.example",
	 VERDICT_HOST_OWN_CERT,
	 {"same-as-control", "unverified:certificate has expired"},
	 {"differs-from-control"},
	 NULL,
	 0},
	{"Kazakh-style forgery (2019)",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_FORGED, C_KZ_INTER},
	 {C_REAL, C_INTER},
	 S_TRUSTED,
	 true,
	 "www.real.example",
	 VERDICT_INTERCEPTED,
	 {"differs-from-control", "unverified:", "known-interceptor:issuer-name",
	  "subject-copied-from-control", "validity-shifted", "names-sni"},
	 {"same-as-control"},
	 "kz-qaznet-2019-intermediate",
	 0},
	{"Kazakh-style forgery, empty interceptor list",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_FORGED, C_KZ_INTER, C_KZ_ROOT},
	 {C_REAL, C_INTER},
	 S_TRUSTED,
	 false,
	 "www.real.example",
	 VERDICT_INTERCEPTED,
	 {"unverified:", "subject-copied-from-control", "validity-shifted",
	  "localized-before-server"},
	 {"known-interceptor", "served-by-host"},
	 NULL,
	 VERDICT_EV_LOCALIZED_BEFORE},
	{"unknown forgery, no evidence at all",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_FORGED, C_KZ_INTER, C_KZ_ROOT},
	 {C_REAL, C_INTER},
	 S_TRUSTED,
	 false,
	 "www.real.example",
	 VERDICT_UNTRUSTED_OTHER,
	 {"unverified:", "served-by-host"},
	 {"known-interceptor", "not-localized"},
	 NULL,
	 0},
	{"unknown forgery, its group localised before the server",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_FORGED, C_KZ_INTER, C_KZ_ROOT},
	 {C_REAL, C_INTER},
	 S_TRUSTED,
	 false,
	 "www.real.example",
	 VERDICT_INTERCEPTED,
	 {"group-localized-before-server"},
	 {"served-by-host"},
	 NULL,
	 VERDICT_EV_GROUP_BEFORE | VERDICT_EV_AT_SERVER_HOP},
	{"bump in the wire: server's hop, issuer forges across networks",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_FORGED, C_KZ_INTER, C_KZ_ROOT},
	 {C_REAL, C_INTER},
	 S_TRUSTED,
	 false,
	 "www.real.example",
	 VERDICT_INTERCEPTED,
	 {"issuer-forges-across-networks"},
	 {"served-by-host", "at-server-hop"},
	 NULL,
	 VERDICT_EV_CROSS_HOST | VERDICT_EV_AT_SERVER_HOP},
	{"self-signed for one SNI, at the server's own hop",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_SELF},
	 {C_DEFAULT, C_INTER},
	 S_TRUSTED,
	 true,
	 "www.real.example",
	 VERDICT_UNTRUSTED_OTHER,
	 {"served-by-host", "at-server-hop"},
	 {"not-localized"},
	 NULL,
	 VERDICT_EV_AT_SERVER_HOP},
	{"known interceptor root, trusted by the store",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_KZ_OTHER, C_KZ_INTER},
	 {C_REAL, C_INTER},
	 S_WITH_KZ,
	 true,
	 "www.real.example",
	 VERDICT_INTERCEPTED,
	 {"differs-from-control", "known-interceptor:issuer-name", "names-sni"},
	 {"unverified", "subject-copied-from-control"},
	 "kz-qaznet-2019-intermediate",
	 0},
	{"trusted chain for another name",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_OTHER, C_INTER},
	 {C_DEFAULT, C_INTER},
	 S_TRUSTED,
	 true,
	 "www.real.example",
	 VERDICT_UNTRUSTED_OTHER,
	 {"differs-from-control"},
	 {"names-sni", "unverified", "known-interceptor"},
	 NULL,
	 0},
	{"no control chain, trusted and matching",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_REAL, C_INTER},
	 {C_NONE},
	 S_TRUSTED,
	 true,
	 "www.real.example",
	 VERDICT_VALID_FOR_SNI,
	 {"no-control-chain", "differs-from-control", "names-sni"},
	 {"unverified"},
	 NULL,
	 0},
	{"no control chain, self-signed",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_SELF},
	 {C_NONE},
	 S_TRUSTED,
	 true,
	 "www.real.example",
	 VERDICT_UNTRUSTED_OTHER,
	 {"no-control-chain", "unverified:", "served-by-host"},
	 {"same-as-control"},
	 NULL,
	 0},
	/* Stability (the second control probe) */
	{"self-signed for one SNI, host unstable",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_SELF},
	 {C_DEFAULT, C_INTER},
	 S_TRUSTED,
	 true,
	 "www.real.example",
	 VERDICT_UNTRUSTED_OTHER,
	 {"differs-from-control", "unverified:", "unstable-host"},
	 {"same-as-control"},
	 NULL,
	 VERDICT_EV_UNSTABLE},
	{"equals the second control chain",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_SELF},
	 {C_DEFAULT, C_INTER},
	 S_TRUSTED,
	 true,
	 "www.real.example",
	 VERDICT_HOST_OWN_CERT,
	 {"differs-from-control", "same-as-second-control"},
	 {"unstable-host"},
	 NULL,
	 VERDICT_EV_UNSTABLE | VERDICT_EV_SAME_AS_CONTROL2},
	{"known interceptor on an unstable host",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_FORGED, C_KZ_INTER},
	 {C_REAL, C_INTER},
	 S_TRUSTED,
	 true,
	 "www.real.example",
	 VERDICT_INTERCEPTED,
	 {"known-interceptor:"},
	 {"unstable-host"},
	 "kz-qaznet-2019-intermediate",
	 VERDICT_EV_UNSTABLE},
	{"port closed / not TLS",
	 VERDICT_STAGE_NO_TLS,
	 false,
	 {C_NONE},
	 {C_REAL, C_INTER},
	 S_TRUSTED,
	 true,
	 "www.real.example",
	 VERDICT_NO_TLS,
	 {NULL},
	 {"differs-from-control"},
	 NULL,
	 0},
	{"TLS alert",
	 VERDICT_STAGE_TLS_ERROR,
	 false,
	 {C_NONE},
	 {C_REAL, C_INTER},
	 S_TRUSTED,
	 true,
	 "www.real.example",
	 VERDICT_TLS_ERROR,
	 {NULL},
	 {"differs-from-control"},
	 NULL,
	 0},
	{"certificate stage without a chain",
	 VERDICT_STAGE_CERTIFICATE,
	 false,
	 {C_NONE},
	 {C_REAL, C_INTER},
	 S_TRUSTED,
	 true,
	 "www.real.example",
	 VERDICT_UNSPECIFIED,
	 {"empty-chain"},
	 {NULL},
	 NULL,
	 0},
};

static bool has_reason(const struct verdict_result *r, const char *prefix)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		if (!strncmp(r->reasons[i], prefix, strlen(prefix)))
			return true;
	return false;
}

static size_t fill_chain(const enum cert_id *ids, struct verdict_cert *out,
			 struct verify_cert *vout)
{
	size_t n = 0;

	for (; n < MAXC && ids[n] != C_NONE; n++) {
		out[n].der = certs[ids[n]].der;
		out[n].parsed = &certs[ids[n]].parsed;
		memcpy(out[n].sha256, certs[ids[n]].sha256, 32);
		if (vout) {
			vout[n].der = certs[ids[n]].der;
			vout[n].len = certs[ids[n]].len;
		}
	}
	return n;
}

static void run_rows(struct verify_store *const stores[2], const struct icpt_list *list, time_t now)
{
	unsigned seen = 0;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct verdict_cert test[MAXC], control[MAXC];
		struct verify_cert vchain[MAXC];
		struct verify_result vr = {0};
		struct verdict_input in = {0};
		struct verdict_result r;

		in.stage = w->stage;
		in.is_control = w->is_control;
		in.test_n = fill_chain(w->test, test, vchain);
		in.test = test;
		in.control_n = fill_chain(w->control, control, NULL);
		in.control = control;
		if (in.test_n) {
			TC_CHECK(verify_chain(stores[w->store], vchain, in.test_n, now, &vr) == 0);
			in.verified = vr.verified;
			in.verify_error = vr.error_str;
			in.name_matches = verify_name_matches(test[0].parsed, test[0].der, w->sni);
		}
		in.interceptors = w->use_list ? list : NULL;
		in.evidence = w->evidence;
		verdict_decide(&in, &r);
		{
			/* deciding later with the same evidence gives the same result */
			struct verdict_result late;
			in.evidence = 0;
			verdict_decide(&in, &late);
			verdict_redecide(&late, w->evidence);
			EXPECT(late.verdict == r.verdict && late.n_reasons == r.n_reasons,
			       "%s: redecide gives %s with %zu reasons, want %s with %zu", w->name,
			       verdict_name(late.verdict), late.n_reasons, verdict_name(r.verdict),
			       r.n_reasons);
			for (size_t k = 0; k < r.n_reasons && k < late.n_reasons; k++)
				EXPECT(!strcmp(late.reasons[k], r.reasons[k]),
				       "%s: redecide reason %zu '%s' want '%s'", w->name, k,
				       late.reasons[k], r.reasons[k]);
		}
		{
			/* the chain cache's way: the interceptor match computed once
			 * (verdict_match_interceptor) and handed in gives the same */
			struct icpt_match m;
			struct verdict_result cached;
			verdict_match_interceptor(in.interceptors, in.test, in.test_n, &m);
			in.known_match = &m;
			in.evidence = w->evidence;
			verdict_decide(&in, &cached);
			in.known_match = NULL;
			EXPECT(cached.verdict == r.verdict && cached.interceptor == r.interceptor &&
				       cached.interceptor_way == r.interceptor_way &&
				       cached.interceptor_cert == r.interceptor_cert &&
				       cached.n_reasons == r.n_reasons,
			       "%s: with known_match %s, without %s", w->name,
			       verdict_name(cached.verdict), verdict_name(r.verdict));
		}
		seen |= 1u << r.verdict;
		EXPECT(r.reasons_dropped == 0, "%s: %u reasons dropped", w->name,
		       r.reasons_dropped);

		EXPECT(r.verdict == w->want, "%s: %s, want %s", w->name, verdict_name(r.verdict),
		       verdict_name(w->want));
		for (size_t k = 0; k < MAXR && w->reasons[k]; k++)
			EXPECT(has_reason(&r, w->reasons[k]), "%s: no reason '%s'", w->name,
			       w->reasons[k]);
		for (size_t k = 0; k < MAXR && w->no_reasons[k]; k++)
			EXPECT(!has_reason(&r, w->no_reasons[k]), "%s: unexpected reason '%s'",
			       w->name, w->no_reasons[k]);
		EXPECT((w->interceptor == NULL) == (r.interceptor == NULL) &&
			       (!w->interceptor || !strcmp(w->interceptor, r.interceptor->label)),
		       "%s: interceptor %s, want %s", w->name,
		       r.interceptor ? r.interceptor->label : "(none)",
		       w->interceptor ? w->interceptor : "(none)");
		printf("%-48s %-24s", w->name, verdict_name(r.verdict));
		for (size_t k = 0; k < r.n_reasons; k++)
			printf(" %s", r.reasons[k]);
		printf("\n");
	}
	EXPECT(seen == 0x7f, "not every verdict value was produced (mask 0x%x)", seen);
}

enum { K_ROOT, K_INTER, K_LEAF, K_HOST, K_KZ_ROOT, K_KZ_INTER, K_FORGED, K_COUNT };

/* The certificates of the rows, into x[] and certs[]: a test PKI (root,
 * issuing CA, a hosting default, the real site, another site, an expired
 * one, a router's self-signed one) and a Kazakh-style forger's (root,
 * intermediate, a forged copy of the real site on an e=3 key, another). */
static void make_certs(X509 *x[C_COUNT], EVP_PKEY *k[K_COUNT], time_t now)
{
	EVP_PKEY *rk, *ik, *lk, *hk, *kzr, *kzi, *fk;

	rk = k[K_ROOT] = tc_key_ec();
	ik = k[K_INTER] = tc_key_ec();
	lk = k[K_LEAF] = tc_key_ec();
	hk = k[K_HOST] = tc_key_ec();
	kzr = k[K_KZ_ROOT] = tc_key_rsa(2048, 65537);
	kzi = k[K_KZ_INTER] = tc_key_rsa(2048, 65537);
	fk = k[K_FORGED] = tc_key_rsa(1024, 3); /* per-host RSA key with e=3, as in 2019 */
	struct tc_opts o_root = {.cn = "Test Root",
				 .o = "tlsmap",
				 .ca = true,
				 .serial = 1,
				 .not_before = now - 86400 * 30,
				 .not_after = now + 86400 * 3650};
	struct tc_opts o_inter = {.cn = "Test Issuing CA",
				  .o = "tlsmap",
				  .ca = true,
				  .serial = 2,
				  .not_before = now - 86400 * 20,
				  .not_after = now + 86400 * 365};
	struct tc_opts o_default = {.cn = "default.hosting.example",
				    .san = "DNS:default.hosting.example",
				    .serial = 3,
				    .not_before = now - 86400,
				    .not_after = now + 86400 * 90};
	struct tc_opts o_real = {.cn = "www.real.example",
				 .o = "Real Inc",
				 .c = "US",
				 .san = "DNS:www.real.example,DNS:real.example",
				 .serial = 0x1234567,
				 .not_before = now - 86400 * 10,
				 .not_after = now + 86400 * 80};
	struct tc_opts o_other = o_default;
	o_other.cn = "other.example";
	o_other.san = "DNS:other.example";
	o_other.serial = 5;
	struct tc_opts o_exp = o_real;
	o_exp.serial = 6;
	o_exp.not_before = now - 86400 * 400;
	o_exp.not_after = now - 86400 * 5;
	struct tc_opts o_self = {.cn = "router.local",
				 .serial = 7,
				 .not_before = now - 86400,
				 .not_after = now + 86400 * 3650};
	struct tc_opts o_kzr = {.cn = "Qaznet Trust Network",
				.c = "KZ",
				.ca = true,
				.serial = 8,
				.not_before = now - 86400 * 60,
				.not_after = now + 86400 * 3650};
	struct tc_opts o_kzi = {.cn = "Security Certificate",
				.ca = true,
				.serial = 9,
				.not_before = now - 86400 * 60,
				.not_after = now + 86400 * 365};
	struct tc_opts o_forged = o_real; /* subject and SAN copied, serial mostly kept */
	o_forged.serial = 0x1234500;
	o_forged.not_before = o_real.not_before - 86400 * 7;
	o_forged.not_after = o_real.not_after - 86400 * 7;
	struct tc_opts o_kzother = {.cn = "www.real.example",
				    .o = "forged",
				    .san = "DNS:www.real.example",
				    .serial = 10,
				    .not_before = now - 86400,
				    .not_after = now + 86400};

	x[C_ROOT] = tc_make(rk, &o_root, NULL, NULL);
	x[C_INTER] = tc_make(ik, &o_inter, x[C_ROOT], rk);
	x[C_DEFAULT] = tc_make(lk, &o_default, x[C_INTER], ik);
	x[C_REAL] = tc_make(lk, &o_real, x[C_INTER], ik);
	x[C_OTHER] = tc_make(lk, &o_other, x[C_INTER], ik);
	x[C_EXPIRED] = tc_make(lk, &o_exp, x[C_INTER], ik);
	x[C_SELF] = tc_make(hk, &o_self, NULL, NULL);
	x[C_KZ_ROOT] = tc_make(kzr, &o_kzr, NULL, NULL);
	x[C_KZ_INTER] = tc_make(kzi, &o_kzi, x[C_KZ_ROOT], kzr);
	x[C_FORGED] = tc_make(fk, &o_forged, x[C_KZ_INTER], kzi);
	x[C_KZ_OTHER] = tc_make(fk, &o_kzother, x[C_KZ_INTER], kzi);
	for (int i = 1; i < C_COUNT; i++)
		tc_import(x[i], &certs[i]);
	EXPECT(certs[C_FORGED].parsed.rsa_exponent == 3, "forged key has e=3");
}

int main(void)
{
	const char *src = getenv("TLSMAP_SRCDIR");
	char path[512], dir[256], err[256];
	time_t now = time(NULL);
	X509 *x[C_COUNT] = {0};
	EVP_PKEY *keys[K_COUNT];

	TC_CHECK(test_tmpdir(dir, sizeof(dir), "verdict"));
	make_certs(x, keys, now);
	struct verify_store *stores[2];
	snprintf(path, sizeof(path), "%s/roots.pem", dir);
	tc_write_pem(path, &x[C_ROOT], 1);
	stores[S_TRUSTED] = verify_store_new(path, err, sizeof(err));
	TC_CHECK(stores[S_TRUSTED]);
	X509 *both[2] = {x[C_ROOT], x[C_KZ_ROOT]};
	tc_write_pem(path, both, 2);
	stores[S_WITH_KZ] = verify_store_new(path, err, sizeof(err));
	TC_CHECK(stores[S_WITH_KZ]);
	unlink(path);

	snprintf(path, sizeof(path), "%s/share/interceptors.tsv", src ? src : ".");
	struct icpt_list *list = icpt_list_load(path, err, sizeof(err));
	EXPECT(list != NULL, "load %s: %s", path, err);
	if (list) {
		EXPECT(list->n >= 3, "interceptor list has %zu entries", list->n);
		for (size_t i = 0; i < list->n; i++)
			EXPECT(list->v[i].sources[0], "entry %zu has a source", i);
		run_rows(stores, list, now);
	}

	icpt_list_free(list);
	verify_store_free(stores[0]);
	verify_store_free(stores[1]);
	for (int i = 1; i < C_COUNT; i++) {
		X509_free(x[i]);
		OPENSSL_free(certs[i].der);
	}
	for (size_t i = 0; i < K_COUNT; i++)
		EVP_PKEY_free(keys[i]);
	TEST_DONE();
}

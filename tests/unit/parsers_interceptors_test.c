/* SPDX-License-Identifier: MIT */
/*
 * parsers/interceptors: the known-interceptor list by fingerprint, and the
 * verdict it gives.
 *
 * A "listed" intermediate is made here (we have no interceptor's private
 * key, so it is a look-alike with its own key) under a renamed subject, and
 * a test list names it by its own SHA-256 only: a chain that carries it must
 * come out INTERCEPTED with known-interceptor:cert-sha256 even though the
 * chain verifies (its root is in the store) and no name is listed. A leaf
 * sent alone, signed by that trusted root and naming the root's listed SKI
 * in its Authority Key Identifier, must come out known-interceptor:aki; a re-issued intermediate
 * with a listed key, spki-sha256. Then the loader: every malformed line is an error naming
 * file:line, versions of several files join, and the digest covers them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parsers/interceptors.h"
#include "parsers/verdict.h"
#include "parsers/verify.h"
#include "parsers_x509_testcerts.h"
#include "test.h"

static char dir[256];

/* Add SKI and AKI (key identifiers) to @x and sign it again. */
static void add_key_ids(X509 *x, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_key_identifier, "hash");
	TC_CHECK(ext && X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_authority_key_identifier, "keyid:always");
	TC_CHECK(ext && X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
	TC_CHECK(X509_sign(x, issuer_key, EVP_sha256()) > 0);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* Write @text to DIR/@name; return the path (static buffer per call site). */
static const char *write_file(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	TC_CHECK(f);
	fputs(text, f);
	fclose(f);
	return path;
}

#define ENTRY(kind, value, label) kind "\t" value "\t" label "\tTest forger\tKZ\t\t\tyes\ttest\t\n"

static bool has_reason(const struct verdict_result *r, const char *s)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		if (!strcmp(r->reasons[i], s))
			return true;
	return false;
}

static void decide(const struct icpt_list *list, struct verify_store *store,
		   const struct tc_cert *const *chain, size_t n, const struct tc_cert *control,
		   const char *sni, struct verdict_result *r)
{
	struct verdict_cert test[4], ctl[1];
	struct verify_cert vchain[4];
	struct verify_result vr = {0};
	struct verdict_input in = {0};

	for (size_t i = 0; i < n; i++) {
		test[i].der = chain[i]->der;
		test[i].parsed = &chain[i]->parsed;
		memcpy(test[i].sha256, chain[i]->sha256, 32);
		vchain[i].der = chain[i]->der;
		vchain[i].len = chain[i]->len;
	}
	ctl[0].der = control->der;
	ctl[0].parsed = &control->parsed;
	memcpy(ctl[0].sha256, control->sha256, 32);
	TC_CHECK(verify_chain(store, vchain, n, time(NULL), &vr) == 0);
	in.stage = VERDICT_STAGE_CERTIFICATE;
	in.test = test;
	in.test_n = n;
	in.control = ctl;
	in.control_n = 1;
	in.verified = vr.verified;
	in.verify_error = vr.error_str;
	in.name_matches = verify_name_matches(test[0].parsed, test[0].der, sni);
	in.interceptors = list;
	verdict_decide(&in, r);
	printf("  %-26s", verdict_name(r->verdict));
	for (size_t i = 0; i < r->n_reasons; i++)
		printf(" %s", r->reasons[i]);
	printf("  [interceptor %s]\n", r->interceptor ? r->interceptor->label : "-");
}

static void test_loader_errors(void)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *why;
	} bad[] = {
		{"# no version\n" ENTRY("issuer", "CN=x", "a"), 2, "before the version line"},
		{"version\t1\t2026-11-30\n#\n" ENTRY("cert_sha256", "abcd", "a"), 3,
		 "64 hex digits"},
		{"version\t1\t2026-11-30\n" ENTRY("spki_sha256",
						  "zz309c736dd661da6f1eb24173aa849944c168a43a15bf"
						  "fd192eecfdb6f8dbd2",
						  "a"),
		 2, "64 hex digits"},
		{"version\t1\t2026-11-30\n" ENTRY("ski", "f494bf", "a"), 2, "ski value"},
		{"version\t1\t2026-11-30\n" ENTRY("frobnicate", "x", "a"), 2, "kind 'frobnicate'"},
		{"version\t1\t2026-11-30\n" ENTRY("issuer", "CN=x", "Bad Label"), 2, "label"},
		{"version\t1\t2026-11-30\nissuer\tCN=x\ta\tn\tKZ\t2019-02-30\t\tyes\ts\t\n", 2,
		 "first_seen"},
		{"version\t1\t2026-11-30\nissuer\tCN=x\ta\tn\tKZ\t2019-08-07\t2019-07-"
		 "17\tyes\ts\t\n",
		 2, "after last_seen"},
		{"version\t1\t2026-11-30\nissuer\tCN=x\ta\tn\tKAZ\t\t\tyes\ts\t\n", 2, "country"},
		{"version\t1\t2026-11-30\nissuer\tCN=x\ta\tn\tKZ\t\t\tno\ts\t\n", 2, "note"},
		{"version\t1\t2026-11-30\nissuer\tCN=x\ta\tn\tKZ\t\t\tmaybe\ts\t\n", 2, "verified"},
		{"version\t1\t2026-11-30\nissuer\tCN=x\ta\tn\tKZ\t\t\tyes\t\t\n", 2, "sources"},
		{"version\t1\t2026-11-30\nissuer\tCN=x\ta\tn\tKZ\t\t\tyes\ts\n", 2,
		 "9 tab-separated"},
		{"version\t1\t2026-11-30\nissuer\tCN=x \ta\tn\tKZ\t\t\tyes\ts\t\n", 2, "blanks"},
		{"version\t1\t2026-11-30\n" ENTRY("issuer", "CN=x", "a")
			 ENTRY("issuer", "cn=X", "b"),
		 3, "already listed at"},
		{"version\t1\t2026-11-30\nversion\t2\t2026-11-30\n", 2, "second version"},
		{"version\t1 2\t2026-11-30\n", 1, "version line"},
		{"version\t1\t30.11.2026\n", 1, "version line"},
	};
	char path[512], err[512], want[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct icpt_list *l;

		write_file("bad.tsv", bad[i].text, path, sizeof(path));
		l = icpt_list_load(path, err, sizeof(err));
		snprintf(want, sizeof(want), "bad.tsv:%u: ", bad[i].line);
		EXPECT(!l && strstr(err, want) && strstr(err, bad[i].why),
		       "bad list %zu: want '%s...%s', got '%s'", i, want, bad[i].why,
		       l ? "(loaded)" : err);
		icpt_list_free(l);
	}
	/* a NUL inside a line, and a line longer than ICPT_LINE_MAX */
	static const char nul[] = "version\t1\t2026-11-30\nissuer\tCN=x\0y\ta\tn\t\t\t\tyes\ts\t\n";
	FILE *f = fopen(path, "w");
	TC_CHECK(f && fwrite(nul, 1, sizeof(nul) - 1, f) == sizeof(nul) - 1);
	fclose(f);
	struct icpt_list *l = icpt_list_load(path, err, sizeof(err));
	EXPECT(!l && strstr(err, "bad.tsv:2: NUL"), "NUL byte: %s", err);
	icpt_list_free(l);
	f = fopen(path, "w");
	TC_CHECK(f);
	fprintf(f, "version\t1\t2026-11-30\n#");
	for (int i = 0; i < ICPT_LINE_MAX + 10; i++)
		fputc('x', f);
	fprintf(f, "\n");
	fclose(f);
	l = icpt_list_load(path, err, sizeof(err));
	EXPECT(!l && strstr(err, "bad.tsv:2: line longer"), "long line: %s", err);
	icpt_list_free(l);
	write_file("bad.tsv", "# only comments\n", path, sizeof(path));
	l = icpt_list_load(path, err, sizeof(err));
	EXPECT(!l && strstr(err, "no version line"), "a file without a version line: %s", err);
	icpt_list_free(l);
	unlink(path);
}

enum { ROOT, LISTED, REISSUED, LEAF, LEAF_ALONE, REAL, OTHER_CA, N };

/* A forger's root, its listed intermediate (renamed, so no name entry can
 * match it) and a re-issue of it with the same key, a forged leaf under
 * each way in, and an honest chain; the store trusts both roots. */
struct fixture {
	EVP_PKEY *rk, *ik, *lk, *ok;
	X509 *x[N];
	struct tc_cert c[N];
	struct verify_store *store;
	char h_inter[65], h_spki[65], h_ski[129];
};

static void fixture_make(struct fixture *fx, time_t now)
{
	char path[512], err[512];

	fx->rk = tc_key_ec();
	fx->ik = tc_key_ec();
	fx->lk = tc_key_ec();
	fx->ok = tc_key_ec();
	struct tc_opts o_root = {.cn = "Forger Root",
				 .ca = true,
				 .serial = 1,
				 .not_before = now - 86400,
				 .not_after = now + 86400 * 3650};
	/* the listed intermediate, renamed: no name entry can match it */
	struct tc_opts o_inter = {.cn = "Renamed Intermediate",
				  .ca = true,
				  .serial = 2,
				  .not_before = now - 86400,
				  .not_after = now + 86400 * 365};
	struct tc_opts o_reissued = o_inter;
	o_reissued.cn = "Renamed Again";
	o_reissued.serial = 3;
	struct tc_opts o_leaf = {.cn = "www.real.example",
				 .san = "DNS:www.real.example",
				 .serial = 4,
				 .not_before = now - 3600,
				 .not_after = now + 86400};
	struct tc_opts o_other = {.cn = "Honest CA",
				  .ca = true,
				  .serial = 6,
				  .not_before = now - 86400,
				  .not_after = now + 86400 * 365};
	struct tc_opts o_real = o_leaf;
	o_real.serial = 7;

	fx->x[ROOT] = tc_make(fx->rk, &o_root, NULL, NULL);
	add_key_ids(fx->x[ROOT], NULL, fx->rk);
	fx->x[LISTED] = tc_make(fx->ik, &o_inter, fx->x[ROOT], fx->rk);
	add_key_ids(fx->x[LISTED], fx->x[ROOT], fx->rk);
	fx->x[REISSUED] =
		tc_make(fx->ik, &o_reissued, fx->x[ROOT], fx->rk); /* same key, new certificate */
	add_key_ids(fx->x[REISSUED], fx->x[ROOT], fx->rk);
	fx->x[LEAF] = tc_make(fx->lk, &o_leaf, fx->x[LISTED], fx->ik);
	o_leaf.serial = 5;
	/* signed straight by the (trusted) forger root, whose SKI is listed */
	fx->x[LEAF_ALONE] = tc_make(fx->lk, &o_leaf, fx->x[ROOT], fx->rk);
	add_key_ids(fx->x[LEAF_ALONE], fx->x[ROOT], fx->rk);
	fx->x[OTHER_CA] = tc_make(fx->ok, &o_other, NULL, NULL);
	add_key_ids(fx->x[OTHER_CA], NULL, fx->ok);
	fx->x[REAL] = tc_make(fx->lk, &o_real, fx->x[OTHER_CA], fx->ok);
	add_key_ids(fx->x[REAL], fx->x[OTHER_CA], fx->ok);
	for (int i = 0; i < N; i++)
		tc_import(fx->x[i], &fx->c[i]);
	EXPECT(fx->c[LEAF_ALONE].parsed.has_aki && fx->c[ROOT].parsed.has_ski &&
		       fx->c[LEAF_ALONE].parsed.aki.len == fx->c[ROOT].parsed.ski.len &&
		       !memcmp(fx->c[LEAF_ALONE].der + fx->c[LEAF_ALONE].parsed.aki.off,
			       fx->c[ROOT].der + fx->c[ROOT].parsed.ski.off,
			       fx->c[ROOT].parsed.ski.len),
	       "fixture: the lone leaf's AKI is the forger root's SKI");

	/* the store trusts the forger's root: the forged chains verify, so only
	 * the list can make them INTERCEPTED */
	snprintf(path, sizeof(path), "%s/roots.pem", dir);
	X509 *anchors[2] = {fx->x[ROOT], fx->x[OTHER_CA]};
	tc_write_pem(path, anchors, 2);
	fx->store = verify_store_new(path, err, sizeof(err));
	TC_CHECK(fx->store);
	unlink(path);

	uint8_t spki[32];
	hex(fx->c[LISTED].sha256, 32, fx->h_inter);
	x509_digests(fx->c[LISTED].der, &fx->c[LISTED].parsed, NULL, NULL, spki);
	hex(spki, 32, fx->h_spki);
	hex(fx->c[ROOT].der + fx->c[ROOT].parsed.ski.off, fx->c[ROOT].parsed.ski.len, fx->h_ski);
}

static void fixture_free(struct fixture *fx)
{
	verify_store_free(fx->store);
	for (int i = 0; i < N; i++) {
		X509_free(fx->x[i]);
		OPENSSL_free(fx->c[i].der);
	}
	EVP_PKEY_free(fx->rk);
	EVP_PKEY_free(fx->ik);
	EVP_PKEY_free(fx->lk);
	EVP_PKEY_free(fx->ok);
}

static void test_by_cert_sha256(const struct fixture *fx)
{
	char path[512], err[512], text[4096];
	struct verdict_result r;

	/* 1. the listed intermediate in the chain, by its own SHA-256 */
	snprintf(
		text, sizeof(text),
		"# test list\nversion\tt-1\t2026-11-30\n"
		"cert_sha256\t%s\ttest-listed-inter\tTest forger\tKZ\t2019-07-17\t2019-08-07\tyes\t"
		"made in the test\t\n",
		fx->h_inter);
	struct icpt_list *list =
		icpt_list_load(write_file("cert.tsv", text, path, sizeof(path)), err, sizeof(err));
	EXPECT(list && list->n == 1, "cert list loads: %s", err);
	const struct tc_cert *forged[] = {&fx->c[LEAF], &fx->c[LISTED], &fx->c[ROOT]};
	printf("forged chain carrying the listed intermediate:\n");
	decide(list, fx->store, forged, 3, &fx->c[REAL], "www.real.example", &r);
	EXPECT(r.verdict == VERDICT_INTERCEPTED, "listed intermediate: %s",
	       verdict_name(r.verdict));
	EXPECT(has_reason(&r, "known-interceptor:cert-sha256"), "reason says cert-sha256");
	EXPECT(r.interceptor && !strcmp(r.interceptor->label, "test-listed-inter") &&
		       r.interceptor_way == ICPT_WAY_CERT_SHA256 && r.interceptor_cert == 1,
	       "entry test-listed-inter, certificate 1");
	printf("same chain, no list:\n");
	decide(NULL, fx->store, forged, 3, &fx->c[REAL], "www.real.example", &r);
	EXPECT(r.verdict == VERDICT_VALID_FOR_SNI && !r.interceptor,
	       "without the list the forged chain passes (%s): the list decided",
	       verdict_name(r.verdict));
	printf("honest chain against the list:\n");
	const struct tc_cert *honest[] = {&fx->c[REAL], &fx->c[OTHER_CA]};
	decide(list, fx->store, honest, 2, &fx->c[REAL], "www.real.example", &r);
	EXPECT(!r.interceptor && r.verdict == VERDICT_VALID_FOR_SNI, "honest chain: no match");
	icpt_list_free(list);
}

static void test_by_aki(const struct fixture *fx)
{
	char path[512], err[512], text[4096];
	struct verdict_result r;

	/* 2. the leaf alone, its AKI naming a listed SKI */
	snprintf(text, sizeof(text),
		 "version\tt-2\t2026-11-30\n"
		 "ski\t%s\ttest-listed-ski\tTest forger\t\t\t\tno\tmade in the test\tthe key id "
		 "of a test certificate\n",
		 fx->h_ski);
	struct icpt_list *list =
		icpt_list_load(write_file("ski.tsv", text, path, sizeof(path)), err, sizeof(err));
	EXPECT(list && list->n == 1, "ski list loads: %s", err);
	const struct tc_cert *alone[] = {&fx->c[LEAF_ALONE]};
	printf("leaf sent alone, AKI = listed SKI:\n");
	decide(list, fx->store, alone, 1, &fx->c[REAL], "www.real.example", &r);
	EXPECT(r.verdict == VERDICT_INTERCEPTED, "lone leaf: %s", verdict_name(r.verdict));
	EXPECT(has_reason(&r, "known-interceptor:aki"), "reason says aki");
	EXPECT(r.interceptor && !strcmp(r.interceptor->label, "test-listed-ski") &&
		       r.interceptor_way == ICPT_WAY_AKI && r.interceptor_cert == 0,
	       "entry test-listed-ski, certificate 0");
	printf("same leaf, no list:\n");
	decide(NULL, fx->store, alone, 1, &fx->c[REAL], "www.real.example", &r);
	EXPECT(r.verdict == VERDICT_VALID_FOR_SNI,
	       "without the list the lone leaf passes (%s): the list decided",
	       verdict_name(r.verdict));
	icpt_list_free(list);
}

/* 3. a re-issued intermediate with the listed key; 4. the order of ways;
 * 5. more files */
static void test_ways_and_files(const struct fixture *fx)
{
	char path[512], path2[512], err[512], text[4096];

	/* 3. a re-issued intermediate with the listed key; 4. the order of ways:
	 * a certificate hash beats a key beats a name */
	snprintf(text, sizeof(text),
		 "version\tt-3\t2026-11-30\n"
		 "issuer\tCN=Renamed Intermediate\ttest-name\tTest forger\t\t\t\tyes\tt\t\n"
		 "spki_sha256\t%s\ttest-key\tTest forger\t\t\t\tyes\tt\t\n",
		 fx->h_spki);
	struct icpt_list *list =
		icpt_list_load(write_file("spki.tsv", text, path, sizeof(path)), err, sizeof(err));
	EXPECT(list && list->n == 2, "spki list loads: %s", err);
	const struct tc_cert *reissued[] = {&fx->c[LEAF], &fx->c[REISSUED]};
	struct icpt_cert ic[3];
	struct icpt_match m;
	for (int i = 0; i < 2; i++)
		ic[i] = (struct icpt_cert){reissued[i]->der, &reissued[i]->parsed,
					   reissued[i]->sha256, NULL};
	EXPECT(icpt_match_chain(list, ic, 2, &m) && m.way == ICPT_WAY_SPKI_SHA256 && m.cert == 1 &&
		       !strcmp(m.entry->label, "test-key"),
	       "re-issued intermediate matches by its key");
	/* the leaf names the listed intermediate as issuer: the key still wins */
	const struct tc_cert *forged[] = {&fx->c[LEAF], &fx->c[LISTED]};
	for (int i = 0; i < 2; i++)
		ic[i] = (struct icpt_cert){forged[i]->der, &forged[i]->parsed, forged[i]->sha256,
					   NULL};
	EXPECT(icpt_match_chain(list, ic, 2, &m) && m.way == ICPT_WAY_SPKI_SHA256,
	       "the key beats the name (way %s)", icpt_way_name(m.way));
	ic[0] = (struct icpt_cert){fx->c[LEAF].der, &fx->c[LEAF].parsed, fx->c[LEAF].sha256, NULL};
	EXPECT(icpt_match_chain(list, ic, 1, &m) && m.way == ICPT_WAY_ISSUER_NAME &&
		       !strcmp(m.entry->label, "test-name"),
	       "the lone leaf matches only by its issuer name");
	ic[0] = (struct icpt_cert){fx->c[REAL].der, NULL, fx->c[REAL].sha256, NULL};
	EXPECT(!icpt_match_chain(list, ic, 1, &m) && !m.entry, "an unparsed honest cert: none");

	/* 5. more files: entries add up, versions join, the digest covers all */
	uint8_t one[32];
	memcpy(one, list->sha256, 32);
	write_file("more.tsv", "version\tlab-7\t2026-12-01\n" ENTRY("issuer", "CN=Lab CA", "lab"),
		   path2, sizeof(path2));
	EXPECT(icpt_list_add_file(list, path2, err, sizeof(err)) == 0 && list->n == 3 &&
		       !strcmp(list->version, "t-3+lab-7") && memcmp(one, list->sha256, 32),
	       "second file adds an entry (%zu), version %s: %s", list->n, list->version, err);
	EXPECT(icpt_list_add_file(list, path2, err, sizeof(err)) < 0 && list->n == 3 &&
		       strstr(err, "already listed at"),
	       "the same file twice is refused: %s", err);
	icpt_list_free(list);
	unlink(path);
	unlink(path2);
}

static void test_shipped_list(void)
{
	const char *src = getenv("TLSMAP_SRCDIR");
	char path[512], err[512];
	struct icpt_list *list;

	/* 6. the shipped list loads, with the Chromium hashes and their SKIs */
	snprintf(path, sizeof(path), "%s/share/interceptors.tsv", src ? src : ".");
	list = icpt_list_load(path, err, sizeof(err));
	EXPECT(list && list->nfiles == 1 && list->version[0] && list->files[0].date[0],
	       "share/interceptors.tsv loads with a version: %s", list ? list->version : err);
	if (list) {
		size_t ncert = 0, nski = 0;
		for (size_t i = 0; i < list->n; i++) {
			ncert += list->v[i].kind == ICPT_CERT_SHA256;
			nski += list->v[i].kind == ICPT_SKI;
		}
		EXPECT(ncert >= 10 && nski >= 10, "shipped list: %zu certificates, %zu SKIs", ncert,
		       nski);
	}
	icpt_list_free(list);
}

int main(void)
{
	struct fixture fx = {0};
	char path[512];

	TC_CHECK(test_tmpdir(dir, sizeof(dir), "icpt"));
	fixture_make(&fx, time(NULL));
	test_by_cert_sha256(&fx);
	test_by_aki(&fx);
	test_ways_and_files(&fx);
	test_shipped_list();
	test_loader_errors();
	snprintf(path, sizeof(path), "%s/cert.tsv", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ski.tsv", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/spki.tsv", dir);
	unlink(path);
	fixture_free(&fx);
	TEST_DONE();
}

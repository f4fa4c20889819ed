/* SPDX-License-Identifier: MIT */
/*
 * parsers/verify: RFC 6125 name matching (a table of pattern/host cases and
 * real certificates for SAN-over-CN and IP SNIs) and chain verification
 * with OpenSSL against a --roots file (valid, expired, not yet valid,
 * missing intermediate, self-signed, unparseable), from two threads at once.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parsers/verify.h"
#include "parsers_x509_testcerts.h"
#include "test.h"

static const struct {
	const char *pattern;
	size_t plen; /* 0: strlen */
	const char *host;
	bool match;
} dns_cases[] = {
	{"example.com", 0, "example.com", true},
	{"EXAMPLE.com", 0, "example.COM", true},
	{"example.com.", 0, "example.com", true},
	{"example.com", 0, "example.com.", true},
	{"example.com", 0, "www.example.com", false},
	{"www.example.com", 0, "example.com", false},
	{"*.example.com", 0, "www.example.com", true},
	{"*.EXAMPLE.com", 0, "WWW.example.COM", true},
	{"*.example.com", 0, "example.com", false},
	{"*.example.com", 0, "a.b.example.com", false},
	{"*.example.com", 0, ".example.com", false},
	{"*.com", 0, "example.com", false}, /* wildcard over a single label */
	{"*.", 0, "example", false},
	{"*", 0, "example", false},
	{"w*.example.com", 0, "www.example.com", false}, /* partial-label wildcard */
	{"*w.example.com", 0, "www.example.com", false},
	{"www.*.com", 0, "www.example.com", false}, /* not the leftmost label */
	{"*.*.example.com", 0, "a.b.example.com", false},
	{"*.2.0.192", 0, "a.2.0.192", true}, /* a name, not an IP literal */
	{"*.0.2.1", 0, "192.0.2.1", false},  /* IP literal host: no wildcard */
	{"xn--bcher-kva.example", 0, "XN--BCHER-KVA.example", true},
	{"*.xn--bcher-kva.example", 0, "www.xn--bcher-kva.example", true},
	{"example.com\0.evil.com", 21, "example.com", false}, /* embedded NUL */
	{"example.com\0", 12, "example.com", false},
	{"", 0, "example.com", false},
	{"example.com", 0, "", false},
	{"exa mple.com", 0, "exa mple.com", false},
};

static void test_dns_table(void)
{
	for (size_t i = 0; i < sizeof(dns_cases) / sizeof(dns_cases[0]); i++) {
		size_t plen = dns_cases[i].plen ? dns_cases[i].plen : strlen(dns_cases[i].pattern);
		bool got = verify_dns_match(dns_cases[i].pattern, plen, dns_cases[i].host);

		EXPECT(got == dns_cases[i].match, "verify_dns_match(\"%s\", \"%s\") = %d, want %d",
		       dns_cases[i].pattern, dns_cases[i].host, got, dns_cases[i].match);
	}
}

static void import_free(X509 *x, struct tc_cert *c)
{
	tc_import(x, c);
	X509_free(x);
}

static void test_name_matches(void)
{
	EVP_PKEY *k = tc_key_ec();
	time_t now = time(NULL);
	struct tc_opts o = {.cn = "cn.example",
			    .san = "DNS:san.example,DNS:*.wild.example",
			    .not_before = now - 3600,
			    .not_after = now + 86400};
	struct tc_cert c;

	import_free(tc_make(k, &o, NULL, NULL), &c);
	EXPECT(verify_name_matches(&c.parsed, c.der, "san.example"), "SAN dNSName matches");
	EXPECT(verify_name_matches(&c.parsed, c.der, "a.wild.example"), "SAN wildcard matches");
	EXPECT(!verify_name_matches(&c.parsed, c.der, "cn.example"),
	       "CN is ignored when a dNSName SAN exists");
	EXPECT(!verify_name_matches(&c.parsed, c.der, "other.example"), "other name");
	EXPECT(!verify_name_matches(&c.parsed, c.der, ""), "empty SNI");
	OPENSSL_free(c.der);

	struct tc_opts o2 = {
		.cn = "CN.Example", .not_before = now - 3600, .not_after = now + 86400};
	import_free(tc_make(k, &o2, NULL, NULL), &c);
	EXPECT(verify_name_matches(&c.parsed, c.der, "cn.example"), "CN used without SAN");
	OPENSSL_free(c.der);

	struct tc_opts o3 = {.cn = "192.0.2.1",
			     .san = "IP:192.0.2.1,DNS:198.51.100.1,IP:2001:db8::1",
			     .not_before = now - 3600,
			     .not_after = now + 86400};
	import_free(tc_make(k, &o3, NULL, NULL), &c);
	EXPECT(verify_name_matches(&c.parsed, c.der, "192.0.2.1"), "IP SNI vs iPAddress SAN");
	EXPECT(verify_name_matches(&c.parsed, c.der, "2001:db8::1"), "IPv6 SNI vs iPAddress SAN");
	EXPECT(!verify_name_matches(&c.parsed, c.der, "198.51.100.1"),
	       "IP SNI does not match a dNSName SAN");
	OPENSSL_free(c.der);
	EVP_PKEY_free(k);
}

struct fixture {
	struct verify_store *store;
	struct tc_cert leaf, inter, root, expired, future, self, other_root_leaf;
	time_t now;
};

static void expect_chain(const struct fixture *f, const struct tc_cert *const *certs, size_t n,
			 int64_t at, bool want, const char *want_err, const char *what)
{
	struct verify_cert chain[4];
	struct verify_result r;

	for (size_t i = 0; i < n; i++) {
		chain[i].der = certs[i]->der;
		chain[i].len = certs[i]->len;
	}
	EXPECT(verify_chain(f->store, chain, n, at, &r) == 0, "%s: verify_chain failed", what);
	EXPECT(r.verified == want, "%s: verified=%d want %d (%s)", what, r.verified, want,
	       r.error_str);
	if (want_err)
		EXPECT(strstr(r.error_str, want_err) != NULL, "%s: error '%s' lacks '%s'", what,
		       r.error_str, want_err);
	if (!want_err && want)
		EXPECT(!strcmp(r.error_str, "ok"), "%s: error string '%s'", what, r.error_str);
}

static void *thread_main(void *arg)
{
	const struct fixture *f = arg;
	struct verify_cert chain[2] = {{f->leaf.der, f->leaf.len}, {f->inter.der, f->inter.len}};
	long ok = 0;

	for (int i = 0; i < 200; i++) {
		struct verify_result r;

		if (verify_chain(f->store, chain, 2, f->now, &r) == 0 && r.verified)
			ok++;
	}
	return (void *)ok;
}

/* Chains against the one-root store: good, expired, not yet valid, missing
 * intermediate, self-signed, other root, garbage; then two threads. */
static void chain_cases(struct fixture *f)
{
	const struct tc_cert *good[] = {&f->leaf, &f->inter};
	expect_chain(f, good, 2, f->now, true, NULL, "leaf+intermediate");
	const struct tc_cert *with_root[] = {&f->leaf, &f->inter, &f->root};
	expect_chain(f, with_root, 3, f->now, true, NULL, "leaf+intermediate+root");
	expect_chain(f, good, 2, f->now + 86400 * 200, false, "expired", "at a later time");
	expect_chain(f, good, 2, f->now - 86400 * 3, false, "not yet valid", "at an earlier time");
	const struct tc_cert *exp[] = {&f->expired, &f->inter};
	expect_chain(f, exp, 2, f->now, false, "certificate has expired", "expired leaf");
	const struct tc_cert *fut[] = {&f->future, &f->inter};
	expect_chain(f, fut, 2, f->now, false, "not yet valid", "not-yet-valid leaf");
	const struct tc_cert *alone[] = {&f->leaf};
	expect_chain(f, alone, 1, f->now, false, "unable to get local issuer",
		     "missing intermediate");
	const struct tc_cert *selfc[] = {&f->self};
	expect_chain(f, selfc, 1, f->now, false, "self-signed", "self-signed leaf");
	const struct tc_cert *other[] = {&f->other_root_leaf};
	expect_chain(f, other, 1, f->now, false, "unable to get local issuer", "other root");

	/* garbage in the chain: verified=false with a clear string, not a crash */
	struct verify_cert bad[2] = {{(const uint8_t *)"\x30\x03\x02\x01", 4},
				     {f->inter.der, f->inter.len}};
	struct verify_result r;
	EXPECT(verify_chain(f->store, bad, 2, f->now, &r) == 0 && !r.verified &&
		       strstr(r.error_str, "does not parse"),
	       "unparseable leaf: %s", r.error_str);
	EXPECT(verify_chain(f->store, bad, 0, f->now, &r) == VERIFY_E_ARG, "empty chain");

	/* shared store, two threads */
	pthread_t t[2];
	void *res[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, thread_main, f);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], &res[i]);
	EXPECT((long)res[0] == 200 && (long)res[1] == 200, "threads: %ld and %ld of 200 verified",
	       (long)res[0], (long)res[1]);
}

/* The store's own errors (they name the file), a FIFO of anchors, an
 * endless stream, and the system bundle when there is one. @path: the
 * roots file the fixture wrote. */
static void store_cases(const char *dir, const char *path)
{
	char err[256];

	/* store errors name the file */
	EXPECT(verify_store_new("/nonexistent/roots.pem", err, sizeof(err)) == NULL &&
		       strstr(err, "/nonexistent/roots.pem"),
	       "missing roots file: %s", err);
	/* trust anchors from a FIFO (a stream: no size in advance), and an
	 * endless stream refused with bounded memory */
	char fifo[600], cmd[1400];
	snprintf(fifo, sizeof(fifo), "%s/roots.fifo", dir);
	if (mkfifo(fifo, 0600) == 0) {
		snprintf(cmd, sizeof(cmd), "cat '%s' '%s' > '%s' &", path, path, fifo);
		EXPECT(system(cmd) == 0, "%s", cmd);
		struct verify_store *vf = verify_store_new(fifo, err, sizeof(err));
		EXPECT(vf && verify_store_count(vf) == 1, "roots from a FIFO: %s",
		       vf ? "wrong count" : err);
		verify_store_free(vf);
		EXPECT(verify_store_new("/dev/zero", err, sizeof(err)) == NULL &&
			       strstr(err, "/dev/zero: larger than"),
		       "endless roots stream: %s", err);
		unlink(fifo);
	}
	struct stat st;
	if (stat(VERIFY_SYSTEM_BUNDLE, &st) == 0) {
		struct verify_store *sys = verify_store_new(NULL, err, sizeof(err));
		EXPECT(sys && verify_store_count(sys) > 50, "system bundle: %s",
		       sys ? "few anchors" : err);
		verify_store_free(sys);
	} else {
		printf("note: no %s, system bundle case not run\n", VERIFY_SYSTEM_BUNDLE);
	}
}

static void test_chains(void)
{
	struct fixture f;
	EVP_PKEY *rk = tc_key_ec(), *ik = tc_key_ec(), *lk = tc_key_ec(), *ok2 = tc_key_ec();
	char dir[128], path[256], err[256];
	time_t now = time(NULL);
	f.now = now;

	TC_CHECK(test_tmpdir(dir, sizeof(dir), "verify"));
	struct tc_opts ro = {.cn = "Test Root",
			     .o = "tlsmap",
			     .ca = true,
			     .serial = 1,
			     .not_before = now - 86400 * 10,
			     .not_after = now + 86400 * 3650};
	X509 *root = tc_make(rk, &ro, NULL, NULL);
	struct tc_opts io = {.cn = "Test Intermediate",
			     .ca = true,
			     .serial = 2,
			     .not_before = now - 86400 * 5,
			     .not_after = now + 86400 * 365};
	X509 *inter = tc_make(ik, &io, root, rk);
	struct tc_opts lo = {.cn = "www.real.example",
			     .san = "DNS:www.real.example",
			     .serial = 3,
			     .not_before = now - 86400,
			     .not_after = now + 86400 * 90};
	X509 *leaf = tc_make(lk, &lo, inter, ik);
	struct tc_opts eo = lo;
	eo.serial = 4;
	eo.not_before = now - 86400 * 400;
	eo.not_after = now - 86400 * 10;
	X509 *expired = tc_make(lk, &eo, inter, ik);
	struct tc_opts fo = lo;
	fo.serial = 5;
	fo.not_before = now + 86400 * 10;
	fo.not_after = now + 86400 * 100;
	X509 *future = tc_make(lk, &fo, inter, ik);
	X509 *self = tc_make(lk, &lo, NULL, NULL);
	struct tc_opts oo = {.cn = "Other Root",
			     .ca = true,
			     .not_before = now - 86400,
			     .not_after = now + 86400};
	X509 *oroot = tc_make(ok2, &oo, NULL, NULL);
	X509 *oleaf = tc_make(lk, &lo, oroot, ok2);

	tc_import(leaf, &f.leaf);
	tc_import(inter, &f.inter);
	tc_import(root, &f.root);
	tc_import(expired, &f.expired);
	tc_import(future, &f.future);
	tc_import(self, &f.self);
	tc_import(oleaf, &f.other_root_leaf);

	snprintf(path, sizeof(path), "%s/roots.pem", dir);
	tc_write_pem(path, &root, 1);
	f.store = verify_store_new(path, err, sizeof(err));
	EXPECT(f.store != NULL, "verify_store_new: %s", err);
	if (!f.store)
		return;
	EXPECT(verify_store_count(f.store) == 1, "one anchor, got %zu",
	       verify_store_count(f.store));

	chain_cases(&f);
	store_cases(dir, path);

	verify_store_free(f.store);
	unlink(path);
	X509 *all[] = {root, inter, leaf, expired, future, self, oroot, oleaf};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		X509_free(all[i]);
	struct tc_cert *tcs[] = {&f.leaf,   &f.inter, &f.root,		 &f.expired,
				 &f.future, &f.self,  &f.other_root_leaf};
	for (size_t i = 0; i < sizeof(tcs) / sizeof(tcs[0]); i++)
		OPENSSL_free(tcs[i]->der);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(lk);
	EVP_PKEY_free(ok2);
}

int main(void)
{
	test_dns_table();
	test_name_matches();
	test_chains();
	TEST_DONE();
}

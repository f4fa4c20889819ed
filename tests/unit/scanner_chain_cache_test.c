/* SPDX-License-Identifier: MIT */
/*
 * The TLS stage's chain cache (scanner/stage/stage_tls_chain.h): a certificate
 * is hashed and parsed once, a chain verified once; a cached verification
 * is not used past a notBefore/notAfter of the chain (it once was, for up
 * to a minute: a chain verified a second before its leaf expired stayed
 * "verified" afterwards); the cache stays bounded and answers correctly
 * when its sets overflow.
 */
#include <stdint.h>
#include <unistd.h>

#include "parsers/verify.h"
#include "scanner/stage/stage_tls_chain.h"
#include "test.h"
#include "parsers_x509_testcerts.h"

struct fx {
	struct verify_store *store;
	struct tc_cert root, leaf[6];
	time_t now, leaf0_end;
};

static void fixture(struct fx *f, char *dir)
{
	EVP_PKEY *rk = tc_key_ec(), *lk = tc_key_ec();
	char path[300], err[256];

	f->now = time(NULL);
	f->leaf0_end = f->now + 1000;
	struct tc_opts ro = {.cn = "Cache Root",
			     .ca = true,
			     .serial = 1,
			     .not_before = f->now - 86400,
			     .not_after = f->now + 86400 * 365};
	X509 *root = tc_make(rk, &ro, NULL, NULL);
	tc_import(root, &f->root);
	for (int i = 0; i < 6; i++) {
		struct tc_opts lo = {.cn = "www.cache.example",
				     .san = "DNS:www.cache.example",
				     .serial = 10 + i,
				     .not_before = f->now - 86400,
				     .not_after = i ? f->now + 86400 * 30 : f->leaf0_end};
		X509 *x = tc_make(lk, &lo, root, rk);
		tc_import(x, &f->leaf[i]);
		X509_free(x);
	}
	snprintf(path, sizeof(path), "%s/roots.pem", dir);
	tc_write_pem(path, &root, 1);
	f->store = verify_store_new(path, err, sizeof(err));
	TC_CHECK(f->store);
	unlink(path);
	X509_free(root);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(lk);
}

static void facts(struct chain_cache *c, const struct fx *f, int leaf, int64_t at,
		  struct chain_facts *cf)
{
	static struct x509_cert scratch[TLS_MAX_CERTS];
	const uint8_t *der[1] = {f->leaf[leaf].der};
	size_t len[1] = {f->leaf[leaf].len};

	chain_facts_get(c, f->store, NULL, der, len, 1, at, scratch, cf, NULL);
}

static void test_once_and_expiry(const struct fx *f)
{
	struct chain_cache *c = chain_cache_new(64, 64);
	struct chain_cache_stats st;
	struct chain_facts cf;

	TC_CHECK(c);
	facts(c, f, 0, f->now, &cf);
	EXPECT(cf.n == 1 && cf.vr.verified, "first look-up verifies (%s)", cf.vr.error_str);
	EXPECT(!memcmp(cf.sha[0], f->leaf[0].sha256, 32), "record digest is SHA-256 of the DER");
	EXPECT(cf.vc[0].parsed && cf.vc[0].parsed->not_after == f->leaf[0].parsed.not_after,
	       "parsed certificate handed out");
	facts(c, f, 0, f->now + 1, &cf);
	chain_cache_stats(c, &st);
	EXPECT(st.cert_lookups == 2 && st.cert_hits == 1, "certificate parsed once (%llu/%llu)",
	       (unsigned long long)st.cert_hits, (unsigned long long)st.cert_lookups);
	EXPECT(st.chain_lookups == 2 && st.chain_hits == 1, "chain verified once (%llu/%llu)",
	       (unsigned long long)st.chain_hits, (unsigned long long)st.chain_lookups);
	EXPECT(cf.vr.verified, "cached result");
	/* verified 5 s before the leaf expires, asked again 10 s later */
	facts(c, f, 0, f->leaf0_end - 5, &cf);
	EXPECT(cf.vr.verified, "still valid 5 s before notAfter");
	facts(c, f, 0, f->leaf0_end + 5, &cf);
	EXPECT(!cf.vr.verified, "expired 5 s after notAfter, not a cached 'verified'");
	EXPECT(strstr(cf.vr.error_str, "expired") != NULL, "error '%s'", cf.vr.error_str);
	facts(c, f, 0, f->leaf0_end - 5, &cf); /* and back: the window is exact */
	EXPECT(cf.vr.verified, "valid again before notAfter");
	chain_cache_free(c);
}

/* One set of four ways, six distinct certificates going round: every
 * answer stays right, the memory stays bounded. */
static void test_bounded(const struct fx *f)
{
	struct chain_cache *c = chain_cache_new(4, 4);
	struct chain_facts cf;
	uint64_t first = 0;

	TC_CHECK(c);
	for (int round = 0; round < 50; round++)
		for (int i = 0; i < 6; i++) {
			facts(c, f, i, f->now, &cf);
			EXPECT(cf.vr.verified && !memcmp(cf.sha[0], f->leaf[i].sha256, 32),
			       "round %d leaf %d", round, i);
			if (round == 0 && i == 5)
				first = chain_cache_bytes(c);
		}
	/* a slot's DER buffer only grows to the largest certificate it held */
	size_t spread = 0;
	for (int i = 0; i < 6; i++)
		for (int k = 0; k < 6; k++)
			if (f->leaf[i].len > f->leaf[k].len + spread)
				spread = f->leaf[i].len - f->leaf[k].len;
	EXPECT(chain_cache_bytes(c) <= first + 4 * spread, "bounded: %llu then %llu bytes",
	       (unsigned long long)first, (unsigned long long)chain_cache_bytes(c));
	/* the hot entry of a full set survives a stream of one-off ones */
	chain_cache_free(c);
	c = chain_cache_new(4, 4);
	TC_CHECK(c);
	struct chain_cache_stats st;
	for (int i = 1; i < 6; i++) {
		facts(c, f, 0, f->now, &cf);
		facts(c, f, i, f->now, &cf);
	}
	chain_cache_stats(c, &st);
	EXPECT(st.chain_hits == 4, "LRU keeps the hot chain: %llu hits",
	       (unsigned long long)st.chain_hits);
	chain_cache_free(c);
}

/* A chain with more certificates than a set has ways: the handed-out
 * parses of its first certificates stay valid (none is evicted under the
 * caller), the rest come from the scratch space. */
static void test_pinned(const struct fx *f)
{
	static struct x509_cert scratch[TLS_MAX_CERTS];
	struct chain_cache *c = chain_cache_new(4, 4);
	const uint8_t *der[6];
	size_t len[6];
	struct chain_facts cf;

	TC_CHECK(c);
	for (int i = 0; i < 6; i++) {
		der[i] = f->leaf[i].der;
		len[i] = f->leaf[i].len;
	}
	for (int round = 0; round < 2; round++) {
		chain_facts_get(c, f->store, NULL, der, len, 6, f->now, scratch, &cf, NULL);
		for (int i = 0; i < 6; i++)
			EXPECT(cf.vc[i].parsed &&
				       cf.vc[i].parsed->not_after == f->leaf[i].parsed.not_after &&
				       cf.vc[i].parsed->serial.len ==
					       f->leaf[i].parsed.serial.len &&
				       !memcmp(cf.sha[i], f->leaf[i].sha256, 32),
			       "round %d: certificate %d of a chain longer than a set", round, i);
	}
	chain_cache_free(c);
}

static void test_fast_hash(void)
{
	uint8_t buf[100] = {0};
	uint64_t seen[101];

	for (size_t n = 0; n <= 100; n++) {
		seen[n] = chain_fast_hash(buf, n);
		EXPECT(seen[n] != 0, "never 0 (the empty mark)");
		for (size_t k = 0; k < n; k++)
			EXPECT(seen[k] != seen[n], "lengths %zu and %zu differ", k, n);
	}
	buf[77] = 1;
	EXPECT(chain_fast_hash(buf, 100) != seen[100], "one byte changes the hash");
}

int main(void)
{
	char dir[] = "/tmp/tlsmap-chain-cache-XXXXXX";
	struct fx f;

	TC_CHECK(mkdtemp(dir));
	fixture(&f, dir);
	rmdir(dir);
	test_once_and_expiry(&f);
	test_bounded(&f);
	test_pinned(&f);
	test_fast_hash();
	verify_store_free(f.store);
	for (int i = 0; i < 6; i++)
		OPENSSL_free(f.leaf[i].der);
	OPENSSL_free(f.root.der);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}

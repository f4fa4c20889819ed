/* SPDX-License-Identifier: MIT */
/*
 * The chain cache of stage_tls_chain.h. A look-up costs one fast hash and
 * at most CACHE_WAYS tag compares plus one full compare; the memory is
 * fixed at creation except for the DER copies, which grow a slot's buffer
 * to the largest certificate it held (at most the flight cap).
 */
#include "scanner/stage/stage_tls_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/stage/cert_record.h"

#define CACHE_WAYS 4u /* slots per set */

struct cert_slot {
	uint64_t hash; /* chain_fast_hash of der; 0: empty */
	uint64_t used; /* the cache's clock at the last look-up that found it */
	uint32_t len, cap;
	uint8_t *der;
	uint8_t sha[32];
	bool parsed_ok;
	struct x509_cert x509; /* offsets into any copy of the same bytes */
};

struct chain_slot {
	uint64_t hash; /* chain_fast_hash of the digests; 0: empty */
	uint64_t used;
	uint32_t n;
	struct icpt_match icpt;
	uint8_t sha[TLS_MAX_CERTS][32];
	int64_t at_s, valid_from, valid_until; /* result holds for [from, until) */
	struct verify_result vr;
};

struct chain_cache {
	uint32_t cert_mask, chain_mask;
	struct cert_slot *certs;
	struct chain_slot *chains;
	uint64_t der_bytes;
	uint64_t clock; /* look-ups so far: the LRU order */
	struct chain_cache_stats st;
};

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t w;
	memcpy(&w, p, 8); /* a hash of bytes: host order is fine */
	return w;
}

static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

/* Four independent multiply lanes over 32-byte blocks (about 0.2 cycle per
 * byte, against about 2 for SHA-256), then the tail; not cryptographic:
 * the cache confirms every hit with a full compare. */
uint64_t chain_fast_hash(const uint8_t *p, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t a = k ^ n, b = a + k, c = a - k, d = ~a;
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		a = (a ^ load64(p + i)) * k;
		b = (b ^ load64(p + i + 8)) * k;
		c = (c ^ load64(p + i + 16)) * k;
		d = (d ^ load64(p + i + 24)) * k;
		a ^= a >> 29;
		b ^= b >> 29;
		c ^= c >> 29;
		d ^= d >> 29;
	}
	uint64_t h = a ^ (b << 1 | b >> 63) ^ (c << 2 | c >> 62) ^ (d << 3 | d >> 61);
	for (; i + 8 <= n; i += 8)
		h = mix(h ^ load64(p + i));
	if (i < n) {
		uint8_t tail[8] = {0};
		memcpy(tail, p + i, n - i);
		h = mix(h ^ load64(tail));
	}
	return mix(h) | 1; /* never 0: 0 marks an empty slot */
}

struct chain_cache *chain_cache_new(uint32_t cert_slots, uint32_t chain_slots)
{
	struct chain_cache *c = calloc(1, sizeof(*c));

	if (!c || cert_slots < CACHE_WAYS || chain_slots < CACHE_WAYS ||
	    (cert_slots & (cert_slots - 1)) || (chain_slots & (chain_slots - 1)))
		goto fail;
	c->cert_mask = cert_slots - 1;
	c->chain_mask = chain_slots - 1;
	c->certs = calloc(cert_slots, sizeof(*c->certs));
	c->chains = calloc(chain_slots, sizeof(*c->chains));
	if (!c->certs || !c->chains)
		goto fail;
	return c;
fail:
	chain_cache_free(c);
	return NULL;
}

void chain_cache_free(struct chain_cache *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; c->certs && i <= c->cert_mask; i++)
		free(c->certs[i].der);
	free(c->certs);
	free(c->chains);
	free(c);
}

uint64_t chain_cache_bytes(const struct chain_cache *c)
{
	return sizeof(*c) + ((uint64_t)c->cert_mask + 1) * sizeof(*c->certs) +
	       ((uint64_t)c->chain_mask + 1) * sizeof(*c->chains) + c->der_bytes;
}

void chain_cache_stats(const struct chain_cache *c, struct chain_cache_stats *out)
{
	*out = c->st;
}

/* The way of set @set (CACHE_WAYS slots from @first) to replace: an empty
 * one, else the least recently used. */
#define LRU_WAY(first, victim)                                                                     \
	do {                                                                                       \
		(victim) = &(first)[0];                                                            \
		for (unsigned w_ = 1; w_ < CACHE_WAYS && (victim)->hash; w_++)                     \
			if (!(first)[w_].hash || (first)[w_].used < (victim)->used)                \
				(victim) = &(first)[w_];                                           \
	} while (0)

/* Fill @s with @der: copied, hashed (SHA-256) and parsed. -1: out of memory. */
static int cert_fill(struct chain_cache *c, struct cert_slot *s, uint64_t h, const uint8_t *der,
		     size_t len, uint64_t *prof)
{
	if (len > UINT32_MAX)
		return -1;
	if (s->cap < len) {
		uint8_t *nd = realloc(s->der, len);
		if (!nd)
			return -1;
		c->der_bytes += len - s->cap;
		s->der = nd;
		s->cap = (uint32_t)len;
	}
	uint64_t t0 = prof ? tls_prof_now() : 0;
	memcpy(s->der, der, len);
	s->len = (uint32_t)len;
	s->hash = h;
	cert_record_sha256(der, len, s->sha);
	uint64_t t1 = prof ? tls_prof_now() : 0;
	s->parsed_ok = x509_parse(s->der, len, &s->x509) == 0;
	if (prof) {
		prof[PROF_HASH] += t1 - t0;
		prof[PROF_PARSE] += tls_prof_now() - t1;
	}
	return 0;
}

/* The slot holding @der, filled now when none did: hashed and parsed once.
 * A slot found or filled at clock @pinned or later is not replaced (the
 * current chain's certificates, which the caller points at). NULL when out
 * of memory or every way of the set is pinned: the caller works uncached. */
static struct cert_slot *cert_get(struct chain_cache *c, const uint8_t *der, size_t len,
				  uint64_t pinned, uint64_t *prof)
{
	uint64_t t0 = prof ? tls_prof_now() : 0;
	uint64_t h = chain_fast_hash(der, len);
	struct cert_slot *set = &c->certs[h & c->cert_mask & ~(uint64_t)(CACHE_WAYS - 1)], *s;

	c->st.cert_lookups++;
	c->clock++;
	for (unsigned k = 0; k < CACHE_WAYS; k++) {
		s = &set[k];
		if (s->hash == h && s->len == len && !memcmp(s->der, der, len)) {
			c->st.cert_hits++;
			s->used = c->clock;
			if (prof)
				prof[PROF_HASH] += tls_prof_now() - t0;
			return s;
		}
	}
	if (prof)
		prof[PROF_HASH] += tls_prof_now() - t0;
	LRU_WAY(set, s);
	if (s->hash && s->used >= pinned)
		return NULL; /* it holds a certificate of the chain being looked up */
	s->hash = 0;
	if (cert_fill(c, s, h, der, len, prof) != 0)
		return NULL;
	s->used = c->clock;
	return s;
}

/* The digests' fast hash, and whether @s holds exactly that chain. */
static bool chain_match(const struct chain_slot *s, uint64_t h, const struct chain_facts *cf)
{
	if (s->hash != h || s->n != cf->n)
		return false;
	for (size_t i = 0; i < cf->n; i++)
		if (memcmp(s->sha[i], cf->sha[i], 32))
			return false;
	return true;
}

/* [from, until): the stretch of time around @at in which no certificate of
 * the chain becomes valid or expires, so a result at @at holds throughout. */
static void validity_window(const struct chain_facts *cf, int64_t at, int64_t *from, int64_t *until)
{
	*from = at - CHAIN_VERIFY_MAX_AGE_S;
	*until = at + CHAIN_VERIFY_MAX_AGE_S;
	for (size_t i = 0; i < cf->n; i++) {
		const struct x509_cert *x = cf->vc[i].parsed;
		if (!x)
			continue;
		int64_t edges[2] = {x->not_before, x->not_after + 1};
		for (int k = 0; k < 2; k++) {
			if (edges[k] <= at && edges[k] > *from)
				*from = edges[k];
			if (edges[k] > at && edges[k] < *until)
				*until = edges[k];
		}
	}
}

static void verify_now(const struct verify_store *roots, const struct chain_facts *cf,
		       int64_t now_s, struct verify_result *vr)
{
	struct verify_cert chain[TLS_MAX_CERTS];

	for (size_t i = 0; i < cf->n; i++) {
		chain[i].der = cf->der[i];
		chain[i].len = cf->len[i];
	}
	memset(vr, 0, sizeof(*vr));
	if (verify_chain(roots, chain, cf->n, now_s, vr) != 0) {
		vr->verified = false;
		snprintf(vr->error_str, sizeof(vr->error_str), "verification failed to run");
	}
}

/* A way of @set holding @cf's chain with a result valid at @now_s, or NULL. */
static struct chain_slot *chain_find(struct chain_cache *c, struct chain_slot *set, uint64_t h,
				     const struct chain_facts *cf, int64_t now_s)
{
	for (unsigned k = 0; k < CACHE_WAYS; k++) {
		struct chain_slot *s = &set[k];
		if (chain_match(s, h, cf) && now_s >= s->valid_from && now_s < s->valid_until &&
		    now_s - s->at_s < CHAIN_VERIFY_MAX_AGE_S) {
			s->used = c->clock;
			return s;
		}
	}
	return NULL;
}

/* The verification result and interceptor match of @cf at @now_s, from the
 * cache when it holds one. */
static void chain_verify(struct chain_cache *c, const struct verify_store *roots,
			 const struct icpt_list *icpt, struct chain_facts *cf, int64_t now_s,
			 uint64_t *prof)
{
	uint64_t t0 = prof ? tls_prof_now() : 0;
	uint64_t h = chain_fast_hash(&cf->sha[0][0], 32 * cf->n);
	struct chain_slot *set = &c->chains[h & c->chain_mask & ~(uint64_t)(CACHE_WAYS - 1)];

	c->st.chain_lookups++;
	c->clock++;
	struct chain_slot *s = chain_find(c, set, h, cf, now_s);
	uint64_t t1 = prof ? tls_prof_now() : 0;
	if (prof)
		prof[PROF_HASH] += t1 - t0;
	if (s) {
		c->st.chain_hits++;
		cf->vr = s->vr;
		cf->icpt = s->icpt;
		return;
	}
	verify_now(roots, cf, now_s, &cf->vr);
	verdict_match_interceptor(icpt, cf->vc, cf->n, &cf->icpt);
	for (unsigned k = 0; k < CACHE_WAYS && !s; k++) /* a stale copy of this chain goes first */
		if (chain_match(&set[k], h, cf))
			s = &set[k];
	if (!s)
		LRU_WAY(set, s);
	s->hash = h;
	s->used = c->clock;
	s->n = (uint32_t)cf->n;
	memcpy(s->sha, cf->sha, 32 * cf->n);
	s->at_s = now_s;
	validity_window(cf, now_s, &s->valid_from, &s->valid_until);
	s->vr = cf->vr;
	s->icpt = cf->icpt;
	if (prof)
		prof[PROF_VERIFY] += tls_prof_now() - t1;
}

void chain_facts_get(struct chain_cache *c, const struct verify_store *roots,
		     const struct icpt_list *icpt, const uint8_t *const *der, const size_t *len,
		     size_t n, int64_t now_s, struct x509_cert *scratch, struct chain_facts *cf,
		     uint64_t *prof)
{
	uint64_t pinned = c->clock + 1;

	memset(&cf->vr, 0, sizeof(cf->vr));
	memset(&cf->icpt, 0, sizeof(cf->icpt));
	cf->n = n < TLS_MAX_CERTS ? n : TLS_MAX_CERTS;
	for (size_t i = 0; i < cf->n; i++) {
		const struct cert_slot *s = cert_get(c, der[i], len[i], pinned, prof);
		cf->der[i] = der[i];
		cf->len[i] = len[i];
		cf->vc[i].der = der[i];
		if (s) {
			memcpy(cf->sha[i], s->sha, 32);
			cf->vc[i].parsed = s->parsed_ok ? &s->x509 : NULL;
		} else { /* out of memory, or a set full of this chain: uncached */
			cert_record_sha256(der[i], len[i], cf->sha[i]);
			cf->vc[i].parsed =
				x509_parse(der[i], len[i], &scratch[i]) == 0 ? &scratch[i] : NULL;
		}
		memcpy(cf->vc[i].sha256, cf->sha[i], 32);
	}
	if (cf->n)
		chain_verify(c, roots, icpt, cf, now_s, prof);
}

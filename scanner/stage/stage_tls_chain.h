/* SPDX-License-Identifier: MIT */
/*
 * Chain facts and the per-worker chain cache of the TLS stage.
 *
 * At internet scale the same certificates and chains come back on many
 * hosts (every test probe of a host that does not intercept repeats its
 * control chain; CDNs and hosting providers serve one chain on thousands of
 * addresses), and hashing, parsing and verifying them is most of a probe's
 * cost. So each distinct certificate is hashed (SHA-256) and parsed once
 * per worker, and each distinct chain verified (and matched against the
 * known-interceptor lists) once, while it stays in a bounded cache:
 * certificates keyed by a fast hash of their DER and
 * confirmed by a full compare of the bytes (a fast-hash collision costs a
 * miss, never a wrong answer); chains keyed by their certificates'
 * SHA-256 digests, compared in full. Both tables are 4-way set
 * associative, the least recently used way replaced: two hot entries that
 * share a set do not evict each other on every look-up.
 *
 * A verification result depends on the time it is made at: a cached one is
 * used only while the clock has not crossed a notBefore/notAfter of any
 * certificate of the presented chain since it was computed, and for at most
 * CHAIN_VERIFY_MAX_AGE_S (the trust store's own certificates, which can
 * complete a path, are not in the presented chain: a root that expires
 * during a scan is noticed within that bound).
 *
 * Not thread-safe: one cache per worker lcore.
 */
#ifndef TLSMAP_SCANNER_STAGE_TLS_CHAIN_H
#define TLSMAP_SCANNER_STAGE_TLS_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "parsers/tls.h"
#include "parsers/verdict.h"
#include "parsers/verify.h"
#include "parsers/x509.h"

#define CHAIN_VERIFY_MAX_AGE_S 3600

/* Cycle counter for the bench's profile: the TSC where there is one. */
static inline uint64_t tls_prof_now(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* Where a worker's cycles go (tlsmap bench tls); filled only when asked.
 * Only these sections are timed: each TSC read costs tens of cycles (more
 * under a hypervisor), so the per-segment and per-poll hooks, where the
 * rest of the worker's time (TCP) goes, are left untimed; the bench gets
 * that rest from the kernel's account of the worker's CPU time. */
enum tls_prof_part {
	PROF_PARSE,  /* the TLS flight parser or OpenSSL's handshake, and X.509 parsing */
	PROF_HASH,   /* fast hashes, SHA-256 of new certificates, cache look-ups */
	PROF_VERIFY, /* chain verification, name match, the verdict */
	PROF_RECORD, /* the Probe and Certificate records, handing them to the writer */
	PROF_NPARTS
};

/* A probe's chain as the verdict and the records need it. */
struct chain_facts {
	size_t n;
	const uint8_t *der[TLS_MAX_CERTS]; /* the probe's own bytes */
	size_t len[TLS_MAX_CERTS];
	uint8_t sha[TLS_MAX_CERTS][32];	       /* SHA-256 of each DER (the record's key) */
	struct verdict_cert vc[TLS_MAX_CERTS]; /* der/sha as above, parsed: see below */
	struct verify_result vr;	       /* zero when n == 0 */
	struct icpt_match icpt;		       /* verdict_match_interceptor() of the chain */
};

struct chain_cache_stats {
	uint64_t cert_lookups, cert_hits;
	uint64_t chain_lookups, chain_hits;
};

struct chain_cache;

/* A cache of @cert_slots certificates and @chain_slots chains (powers of
 * two). NULL when out of memory. */
struct chain_cache *chain_cache_new(uint32_t cert_slots, uint32_t chain_slots);
void chain_cache_free(struct chain_cache *c);
/* Bytes the cache holds now (tables and DER copies). */
uint64_t chain_cache_bytes(const struct chain_cache *c);
void chain_cache_stats(const struct chain_cache *c, struct chain_cache_stats *out);

/*
 * The facts of the chain der[0..n) (leaf first, n <= TLS_MAX_CERTS),
 * verified against @roots at unix time @now_s and matched against @icpt
 * (constant for the cache's life; may be NULL). cf->vc[i].parsed points at
 * the cache's parse (offsets, valid for any copy of the bytes) or, when a
 * certificate could not be cached, into @scratch (n entries); NULL: did
 * not parse. Valid until the next call. cf->der/vc.der point into the
 * caller's bytes. @prof, when
 * not NULL, gets cycles added per enum tls_prof_part.
 */
void chain_facts_get(struct chain_cache *c, const struct verify_store *roots,
		     const struct icpt_list *icpt, const uint8_t *const *der, const size_t *len,
		     size_t n, int64_t now_s, struct x509_cert *scratch, struct chain_facts *cf,
		     uint64_t *prof);

/* The fast hash of the cache (exposed for its unit test). */
uint64_t chain_fast_hash(const uint8_t *p, size_t n);

#endif

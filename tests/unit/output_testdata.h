/* SPDX-License-Identifier: MIT */
/*
 * Synthetic datasets for the output tests: messages with every field set
 * (for round trips) and a small deterministic "lab scan" across countries,
 * ASNs and interceptors (for summary, merge and report tests). Memory for
 * message contents comes from a test arena freed in one go.
 */
#ifndef TLSMAP_TESTS_OUTPUT_TESTDATA_H
#define TLSMAP_TESTS_OUTPUT_TESTDATA_H

#include <stdint.h>

#include "output/out.h"

struct td_arena;
struct td_arena *td_arena_new(void);
void td_arena_free(struct td_arena *a);

/* Every scalar, string, bytes and repeated field non-default; @salt varies them. */
void td_full_meta(struct td_arena *a, Tlsmap__V1__ScanMeta *m, unsigned salt);
void td_full_cert(struct td_arena *a, Tlsmap__V1__Certificate *c, unsigned salt, size_t der_len);
void td_full_probe(struct td_arena *a, Tlsmap__V1__Probe *p, unsigned salt);
void td_full_end(Tlsmap__V1__ScanEnd *e, unsigned salt);

/*
 * The synthetic lab scan: TD_HOSTS hosts over KZ, RU, DE, US (several ASNs),
 * each probed with the control SNI and three test SNIs. Host i belongs to
 * shard i % shards. Ground truth: KZ hosts 0..7 of AS9198 are intercepted
 * by "Qaznet Trust Network" for two SNIs; one RU host by "Russian Trusted
 * Sub CA" for one SNI; some hosts have no TLS. Returns 0 or an out_err.
 */
#define TD_HOSTS 40
/* Non-zero: the KZ interceptor's name is hostile markup (escaping tests). */
extern int td_evil;
/* Series tests: the scan's start time (0: fixed default), its vantage label
 * (NULL: "lab") and how many KZ hosts (0..8) the interceptor forges. */
extern uint64_t td_start_us;
extern const char *td_vantage;
extern unsigned td_kz_forged;
int td_write_lab(const char *path, unsigned shard, unsigned shards, int with_end, uint64_t seed);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The TLS stage: for every open (host, port) of the sweep, a
 * control-SNI connection first, then one connection per test SNI (all
 * hosts with --eligible any, hosts whose control chain verifies with
 * --eligible trusted), through the userspace TCP in dpdk/tcp.h. Each probe
 * becomes a Probe record with its verdict, and its chain deduplicated
 * Certificate records, handed to the writer thread. stage_tls_open() is
 * declared in scanner/stage/stage.h.
 */
#ifndef TLSMAP_SCANNER_STAGE_TLS_H
#define TLSMAP_SCANNER_STAGE_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "scanner/stage/stage_tls_chain.h"
#include "tlsmap.pb-c.h"

#define TLS_STAGE_PER_HOST 4 /* concurrent connections to one (host, port) */

/*
 * For tests/bench/tls_stage_mem.c, which measures a million connections:
 * the capacity a probe's receive buffer grows to from @cap to hold @need
 * bytes (16 KiB first, doubling, at most @most), and the bytes of the
 * stage's own tables per connection slot.
 */
uint32_t stage_tls_buf_grow(uint32_t cap, uint32_t need, uint32_t most);
size_t stage_tls_slot_bytes(void);

/* Path of a file shipped in share/ (scanner/paths.h finds the directory). */
const char *tls_share_path(const char *name, char *buf, size_t len);

/* A bump arena (stage_tls_cert.c): one per writer item, freed as a whole. */
struct tls_arena;
struct tls_arena *tls_arena_new(void);
void *tls_arena_alloc(struct tls_arena *a, size_t n);
char *tls_arena_strdup(struct tls_arena *a, const char *s);
void tls_arena_free(struct tls_arena *a);

/*
 * tlsmap bench tls: count the workers' cycles by part (enum tls_prof_part)
 * from now on; @stage_arg is struct stage.arg of stage_tls_open(). The
 * totals, summed over the workers, are there once eng_run() returned and
 * until the stage is closed.
 */
struct stage_tls_profile {
	uint64_t cycles[PROF_NPARTS];
	struct chain_cache_stats cache;
	uint64_t cache_bytes;
};
void stage_tls_profile_enable(void *stage_arg);
void stage_tls_profile_get(const void *stage_arg, struct stage_tls_profile *out);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Progress: the shared counters the engine's lcores update, a ZMap-like
 * status line printed once a second on stderr, the --status-json file
 * (rewritten atomically each second: write FILE.tmp, then rename), and the
 * end-of-scan summary.
 *
 * Counters are C11 atomics used with relaxed ordering: each is a monotonic
 * total, readers only need a recent value, and no other memory depends on
 * them. Hot loops should count in a local variable and publish with
 * progress_add() once per burst (or keep one progress_counters per lcore and
 * sum them with progress_sum()), not touch a shared cache line per packet.
 *
 * Usage, once a second on the main lcore:
 *	progress_update(&rates, &ctr, elapsed);
 *	progress_line(stderr, &ctr, elapsed, total, &rates);
 *	if (json_path) progress_json(json_path, &ctr, elapsed, total, &rates);
 */
#ifndef TLSMAP_SCANNER_PROGRESS_H
#define TLSMAP_SCANNER_PROGRESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct progress_counters {
	_Atomic uint64_t sent;	      /* SYN probes sent */
	_Atomic uint64_t synack;      /* valid SYN-ACKs (deduplicated): open ports */
	_Atomic uint64_t rst;	      /* valid RSTs: closed ports */
	_Atomic uint64_t dropped;     /* RX frames dropped: invalid cookie, not for us, ring full */
	_Atomic uint64_t probes;      /* Probe records written */
	_Atomic uint64_t certs;	      /* certificate chains parsed */
	_Atomic uint64_t tls_ok;      /* TLS handshakes that reached the certificate */
	_Atomic uint64_t tx_fail;     /* frames the NIC did not take */
	_Atomic uint64_t blocked;     /* targets skipped because blocklisted */
	_Atomic uint64_t rx_buf_peak; /* TLS stage: receive buffer peak (set at its close) */
	/* path localisation: ScanEnd.localize_jobs, localized, unstable_hosts */
	_Atomic uint64_t localize_jobs, localized, unstable_hosts;
	/* TLS stage: chains looked up in the workers' caches, and found there
	 * (stage_tls_chain.h; set at its close) */
	_Atomic uint64_t chain_lookups, chain_hits;
} __attribute__((aligned(64)));

/* Rates between two progress_update() calls, and the phase shown. */
struct progress_rates {
	double t; /* elapsed at the last update; 0 = none yet */
	uint64_t sent, synack, dropped;
	double sent_pps, synack_ps, dropped_ps; /* over the last interval */
	double cooldown_left; /* > 0: sending is done, waiting this many s for late replies */
};

static inline void progress_add(_Atomic uint64_t *ctr, uint64_t v)
{
	atomic_fetch_add_explicit(ctr, v, memory_order_relaxed);
}

static inline uint64_t progress_get(const _Atomic uint64_t *ctr)
{
	return atomic_load_explicit(ctr, memory_order_relaxed);
}

void progress_init(struct progress_counters *c);
void progress_rates_init(struct progress_rates *r);
/* dst += src, field by field (per-lcore counters into a total). */
void progress_sum(struct progress_counters *dst, const struct progress_counters *src);
/* Recomputes the current rates from the counters; call once per status interval. */
void progress_update(struct progress_rates *r, const struct progress_counters *c, double elapsed);

/* One status line (with '\n'), e.g.
 * " 0:05 12% (0:37 left); send: 15234 3.05 Kp/s (3.01 Kp/s avg); recv: 120 24 p/s (23 p/s avg);
 *   hitrate: 0.79%; drops: 0 p/s (0 avg)[; probes: N][; certs: N]"
 * total = number of probes this scan will send (0 = unknown: no % or ETA).
 * r may be NULL (current rate = average). */
void progress_line(FILE *f, const struct progress_counters *c, double elapsed, uint64_t total,
		   const struct progress_rates *r);
/* Writes one JSON object to path atomically (path.tmp + rename). 0 or -errno. */
int progress_json(const char *path, const struct progress_counters *c, double elapsed,
		  uint64_t total, const struct progress_rates *r);
/* Multi-line end-of-scan summary. */
void progress_summary(FILE *f, const struct progress_counters *c, double elapsed, uint64_t total);
/* The TLS stage's chain cache, once the stage closed: "summary:
 * chain_cache_lookups= chain_cache_hits= chain_cache_hit_rate=" (nothing
 * when there was no look-up). */
void progress_cache_summary(FILE *f, const struct progress_counters *c);

#endif

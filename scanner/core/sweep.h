/* SPDX-License-Identifier: MIT */
/*
 * The sweep core: everything that decides which (address, port) pairs a scan
 * sends to, in what order and how fast, with no DPDK, no TLS and no files
 * beyond the target lists. One library (tlsmap_sweep), this one header:
 *
 *   targets.h    target sets, the spec syntax, -w files
 *   blocklist.h  the built-in IANA blocklist and -b files
 *   perm.h       the sharded cyclic-group permutation
 *   rate.h       the exact integer token bucket
 *   progress.h   the counters, the progress line and --status-json
 *   gen.h        the target generator the engine's TX lcore calls: the
 *                permutation walked, mapped to addresses and ports, metered
 *                by the bucket; --sweep-retries' engine answers and
 *                --resume's done hosts come in through hooks
 *
 * Tests and benchmarks link this library without DPDK.
 */
#ifndef TLSMAP_SCANNER_SWEEP_H
#define TLSMAP_SCANNER_SWEEP_H

#include "scanner/core/blocklist.h"
#include "scanner/core/gen.h"
#include "scanner/core/perm.h"
#include "scanner/core/progress.h"
#include "scanner/core/rate.h"
#include "scanner/core/targets.h"

#endif

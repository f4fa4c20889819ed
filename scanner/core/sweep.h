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
 *
 * Tests and benchmarks link this library without DPDK. The target generator
 * that walks the permutation for the engine stays in cmd/cmd_scan.c: its
 * --sweep-retries passes ask the engine which /24s answered, and --resume
 * skips the hosts a tracker holds.
 */
#ifndef TLSMAP_SCANNER_SWEEP_H
#define TLSMAP_SCANNER_SWEEP_H

#include "scanner/core/blocklist.h"
#include "scanner/core/perm.h"
#include "scanner/core/progress.h"
#include "scanner/core/rate.h"
#include "scanner/core/targets.h"

#endif

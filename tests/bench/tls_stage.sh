#!/bin/bash
# SPDX-License-Identifier: MIT
# The TLS stage's own ceiling: `tlsmap bench tls` scans a canned peer on a
# net_ring0 loopback port (no server, no namespace, no packet leaves the
# process): 65,536 addresses on the fast path, then 4,096 with --tls13
# (every probe through OpenSSL, one host in 8 a real TLS 1.3-only server;
# -r 5000: a slower sweep, so the 1,024-slot loopback ring does not overflow
# while the slow worker is behind).
# Prints tls_chains_per_s_per_core=, tls_cycles_per_chain= and the cycles
# of each part (tls_cycles_tcp/parse/hash/verify/record/writer), the same
# with tls_openssl_ for the OpenSSL path, and the chain cache's hit rate.
set -u
BIN=${1:-${TLSMAP_BIN:-build/tlsmap}}
[ "$(id -u)" = 0 ] || { echo "skip: needs root (DPDK)"; exit 77; }
"$BIN" bench tls --path fast --hosts "${TLS_STAGE_HOSTS:-65536}" 2>/dev/null
"$BIN" bench tls --path openssl --hosts "${TLS_STAGE_OPENSSL_HOSTS:-4096}" -r 5000 2>/dev/null |
	grep '^tls_openssl_'

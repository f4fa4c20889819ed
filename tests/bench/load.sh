#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/bench/load.sh TLSMAP_BIN - issue 10's benchmark: one slow shared
# machine behind LOAD_ADDRS addresses (default 65,536: 198.18.0.0/16) served
# by ONE nginx with 4 workers (tests/bench/one_server.sh sets it up), scanned
# in one run by
#   tlsmap scan with default flags (its adaptive windows, load retries and
#     sweep retries; the self-signed test certificate makes no host eligible
#     for test SNIs under the default --eligible trusted, so each host costs
#     one handshake, as for masscan), and
#   masscan --banners on the same range, at each rate of MASSCAN_RATES
#     (default 10000 20000: the best is its figure).
# Metric: hosts whose certificate was captured, divided by the wall time of
# the whole run, start-up included (load_*_hosts_per_s), and the capture
# rate (load_*_captured_pct); for tlsmap also the NO_TLS count, the probes
# that needed more than one attempt and its scheduler's counters; for each
# run what bounds it (load_*_bound, see one_server.sh).
# The peer comparison at each tool's best rate is tests/bench/tls.sh.
#
# Run it under the lab lock: flock /tmp/tlsmap-lab.lock tests/bench/load.sh build/tlsmap
# Prints key=value lines; asserts nothing (never part of make test).
# LOAD_KEEP=DIR keeps the scanners' logs there.
# TLSMAP_BEFORE=BIN adds a run of another tlsmap binary (e.g. the tree
# before the adaptive scheduler) with the same flags, as load_tlsmap_before_*.
TLSMAP_BIN=${1:-${TLSMAP_BIN:-}}
ADDRS=${LOAD_ADDRS:-65536}
RANGE=${LOAD_RANGE:-198.18.0.0/16}
read -r -a MASSCAN_RATES <<<"${MASSCAN_RATES:-10000 20000}"
P=tlmload
# shellcheck source=tests/bench/one_server.sh
source "$(dirname "$0")/one_server.sh"

echo "load_addresses=$ADDRS"
echo "load_server=nginx_4_workers"
echo "load_cores=$CORES"
run_tlsmap load_tlsmap "$TLSMAP_BIN"
[ -z "${TLSMAP_BEFORE:-}" ] || run_tlsmap load_tlsmap_before "$TLSMAP_BEFORE"

if command -v masscan >/dev/null; then
	best=0 best_rate=
	for rate in "${MASSCAN_RATES[@]}"; do
		run_masscan "load_masscan_r$rate" "$rate"
		if [ "$(echo "$RUN_HPS > $best" | bc)" = 1 ]; then best=$RUN_HPS best_rate=$rate; fi
	done
	echo "load_masscan_best_rate=$best_rate"
	echo "load_masscan_best_hosts_per_s=$best"
else
	echo "load_masscan=not installed"
fi

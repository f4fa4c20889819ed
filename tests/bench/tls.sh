#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/bench/tls.sh TLSMAP_BIN - the peer comparison of issue 14: tlsmap
# against masscan --banners on TLS_ADDRS addresses (default 65,536:
# 198.18.0.0/16) served by one nginx with 4 workers (tests/bench/one_server.sh,
# the set-up load.sh uses), from one run, each tool at the rate where it
# captures the most:
#   tlsmap scan at each of TLS_TLSMAP_RATES ("default" = no -r; default
#     "default 20000 50000"), default flags otherwise,
#   masscan --banners at each of TLS_MASSCAN_RATES (default
#     "5000 10000 20000 50000").
# Metric: hosts whose certificate was captured divided by the wall time of
# the whole run, start-up included (hosts_per_s). A tool's figure is its run
# that captured the most hosts (the fastest of those within 0.1% of it);
# every run tried is printed too (tls_tlsmap_r*_*, tls_peer_masscan_r*_*),
# with what bounds it (*_bound: server_cpu, scanner_cpu, veth, other_load,
# scanner_pacing when the machine stayed idle, stopped_at_limit; see
# one_server.sh).
# Every loop is bounded (the rate lists; each run under a timeout); the
# namespaces are removed on every exit. Run it under the lab lock:
#   flock /tmp/tlsmap-lab.lock tests/bench/tls.sh build/tlsmap
# Prints key=value lines; asserts nothing (never part of make test).
TLSMAP_BIN=${1:-${TLSMAP_BIN:-}}
ADDRS=${TLS_ADDRS:-65536}
RANGE=${TLS_RANGE:-198.18.0.0/16}
read -r -a TLSMAP_RATES <<<"${TLS_TLSMAP_RATES:-default 20000 50000}"
read -r -a MASSCAN_RATES <<<"${TLS_MASSCAN_RATES:-5000 10000 20000 50000}"
P=tlmtls
# shellcheck source=tests/bench/one_server.sh
source "$(dirname "$0")/one_server.sh"

echo "tls_addresses=$ADDRS"
echo "tls_server=nginx_4_workers"
echo "tls_cores=$CORES"
echo "tls_tlsmap_rates_tried=${TLSMAP_RATES[*]}"
echo "tls_peer_masscan_rates_tried=${MASSCAN_RATES[*]}"

# The runs of one tool: rate, captured, hosts/s, bound, wall seconds. Its
# figure is the run that captured the most, the fastest of those within 0.1%
# of the most (so that one host of 65,536 does not pick a run twice as slow).
runs=()
consider() { # RATE NAME
	runs+=("$1 $RUN_CAPTURED $RUN_HPS $RUN_BOUND $(sed -n "s/^$2_wall_seconds=//p" "$TMP/out.txt")")
}
report_best() { # PREFIX
	local most=0 floor r rate n hps bound wall best_rate='' best_n=0 best_hps=-1 best_bound='' best_wall=''
	for r in "${runs[@]}"; do
		read -r _ n _ <<<"$r"
		[ "$n" -le "$most" ] || most=$n
	done
	floor=$((most - most / 1000))
	for r in "${runs[@]}"; do
		read -r rate n hps bound wall <<<"$r"
		if [ "$n" -ge "$floor" ] && [ "$(echo "$hps > $best_hps" | bc)" = 1 ]; then
			best_rate=$rate best_n=$n best_hps=$hps best_bound=$bound best_wall=$wall
		fi
	done
	echo "$1_rate=$best_rate"
	echo "$1_captured=$best_n"
	echo "$1_captured_pct=$(echo "scale=2; 100 * $best_n / $ADDRS" | bc)"
	echo "$1_wall_seconds=$best_wall"
	echo "$1_hosts_per_s=$best_hps"
	echo "$1_bound=$best_bound"
	BEST_HPS=$best_hps
	runs=()
}

: >"$TMP/out.txt"
for rate in "${TLSMAP_RATES[@]}"; do
	if [ "$rate" = default ]; then
		run_tlsmap tls_tlsmap_rdefault "$TLSMAP_BIN" >"$TMP/run.txt"
	else
		run_tlsmap "tls_tlsmap_r$rate" "$TLSMAP_BIN" -r "$rate" >"$TMP/run.txt"
	fi
	tee -a "$TMP/out.txt" <"$TMP/run.txt"
	consider "$rate" "tls_tlsmap_r$rate"
done
report_best tls_tlsmap
t_hps=$BEST_HPS

if command -v masscan >/dev/null; then
	for rate in "${MASSCAN_RATES[@]}"; do
		run_masscan "tls_peer_masscan_r$rate" "$rate" >"$TMP/run.txt"
		tee -a "$TMP/out.txt" <"$TMP/run.txt"
		consider "$rate" "tls_peer_masscan_r$rate"
	done
	report_best tls_peer_masscan
	[ "$(echo "$BEST_HPS > 0" | bc)" = 1 ] &&
		echo "tls_ratio_tlsmap_masscan=$(echo "scale=2; $t_hps / $BEST_HPS" | bc)"
else
	echo "tls_peer_masscan=not installed"
fi

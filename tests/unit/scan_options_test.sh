#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap scan's option table through the real binary (--dry-run: no
# packets): every bounded option refuses values outside its bounds with exit
# 2 naming the option, --eligible is one of its two names and reaches
# ScanMeta as given, and the seed fixes the cookie key's source.
set -u
# shellcheck source=tests/unit/test.sh
source "$(dirname "$0")/test.sh"
base=(198.18.0.1 -p 443 --allow-reserved --dry-run)

# each row of the numeric table: a value below or above its bounds
check_scan 2 "--probes: '0'" "${base[@]}" -P 0
check_scan 2 "--probes: '17'" "${base[@]}" --probes 17
check_scan 2 "--max-targets: '0'" "${base[@]}" -n 0
check_scan 2 "--max-connections" "${base[@]}" --max-connections 0
check_scan 2 "--max-flight-bytes" "${base[@]}" --max-flight-bytes 1000
check_scan 2 "--rx-budget" "${base[@]}" --rx-budget 1k
check_scan 2 "--net-max-connections" "${base[@]}" --net-max-connections 0
check_scan 2 "--max-attempts: '9'" "${base[@]}" --max-attempts 9
check_scan 2 "--localize-per-group" "${base[@]}" --localize-per-group 0
check_scan 2 "--retry-delay: '601' (at most 600 seconds)" "${base[@]}" --retry-delay 601
check_scan 2 "--connect-timeout" "${base[@]}" --connect-timeout -1
check_scan 2 "--seed" "${base[@]}" --seed x
check_scan 0 "targets=1" "${base[@]}" -P 16 --max-attempts 8 --retry-delay 600 --net-rate 0

# --eligible: its two names, anything else refused, the name in ScanMeta
check_scan 2 "--eligible: 'all' (expected trusted or any)" "${base[@]}" --eligible all
for e in trusted any; do
	"$BIN" scan "${base[@]}" --eligible "$e" -o "$T/$e.tlsmap" >/dev/null 2>&1 ||
		bad "--eligible $e --dry-run -o failed"
	got=$("$BIN" dump "$T/$e.tlsmap" | jq -r 'select(.meta) | .meta.eligible')
	[ "$got" = "$e" ] && ok "--eligible $e in ScanMeta" || bad "--eligible $e: ScanMeta says '$got'"
done
"$BIN" scan "${base[@]}" -o "$T/default.tlsmap" >/dev/null 2>&1
got=$("$BIN" dump "$T/default.tlsmap" | jq -r 'select(.meta) | .meta.eligible')
[ "$got" = trusted ] && ok "--eligible defaults to trusted" || bad "default eligible: '$got'"
test_done

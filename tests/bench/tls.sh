#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/bench/tls.sh TLSMAP_BIN [TLS_MEM_BIN] - certificate chains captured
# per second against a lab range (198.18.24.0/22: 1,024 AnyIP addresses, one
# nginx with a cheap ECDSA certificate, TLS 1.0-1.3), in one run:
#   tlsmap scan (control SNI + one test SNI per host: 2 chains per host),
#   masscan --banners -p443 on the same range (its ClientHello is TLS 1.1 and
#     it waits 2 s before sending it; the lab accepts TLS 1.0/1.1 and has
#     offloads off on the veth, which masscan needs),
#   the lab's own ceiling: openssl s_time -new from the reference namespace
#     (full handshakes/s the servers sustain, 2 clients in parallel).
# Also memory: bytes per connection of the TLS stage and 1,000,000 in-flight
# connections of dpdk/tcp (tls_mem). Prints key=value lines; asserts nothing.
TLSMAP_BIN=${1:-${TLSMAP_BIN:-}}
TLS_MEM=${2:-}
source "$(dirname "$0")/../lab/tls_common.sh" "$TLSMAP_BIN"
RANGE=${TLS_BENCH_RANGE:-198.18.24.0/22}
RATE=${TLS_BENCH_RATE:-20000}
MASSCAN_IP=198.19.0.3

# span of the probes with a chain: first start to last end (s), and their count
span() { # file.jsonl
	jq -s '[.[] | select(.probe.tls == "TLS_CERTIFICATE") | .probe] |
		{n: length, t: (((map(.endUs | tonumber) | max) - (map(.startUs | tonumber) | min)) / 1e6)} |
		"\(.n) \(.t)"' -r "$1"
}

echo "range=$RANGE"
echo "rate_pps=$RATE"
# --- tlsmap ---
t0=$(date +%s.%N)
TLS_NO_SNI_FILE=1 tls_scan "$TMP/b.tlsmap" "$RANGE" --sni bench.example.com -r "$RATE" \
	--max-connections 4096 >"$TMP/tlsmap.log" 2>&1
t1=$(date +%s.%N)
"$TLSMAP_BIN" dump "$TMP/b.tlsmap" --type probe >"$TMP/b.jsonl"
read -r n t < <(span "$TMP/b.jsonl")
echo "tlsmap_chains=$n"
echo "tlsmap_seconds=$t"
echo "tlsmap_wall_seconds=$(echo "$t1 - $t0" | bc)"
tlsmap_cps=$(echo "scale=1; $n / $t" | bc)
echo "tlsmap_chains_per_s=$tlsmap_cps"
sed -n 's/^tlsmap scan: tls: \(state_bytes_per_connection=[0-9]*\).*peak_recv_buffer_bytes=\([0-9]*\).*/\1\npeak_recv_buffer_bytes=\2/p' "$TMP/tlsmap.log"
grep '^tlsmap scan: tls: connections' "$TMP/tlsmap.log" | sed 's/^tlsmap scan: tls: //; s/ /\n/g' | sed 's/^/tlsmap_/'

# --- masscan ---
if command -v masscan >/dev/null; then
	gw_mac=$(ip netns exec tlm-r1 cat /sys/class/net/r1-scan/address 2>/dev/null)
	t0=$(date +%s.%N)
	ip netns exec "$SCAN_NS" timeout 300 masscan "$RANGE" -p443 --banners --rate "$RATE" \
		-e "$SCAN_IFACE" --source-ip "$MASSCAN_IP" --router-mac "$gw_mac" --wait 5 \
		-oJ "$TMP/masscan.json" >"$TMP/masscan.log" 2>&1
	t1=$(date +%s.%N)
	m=$(grep -c '"X509"' "$TMP/masscan.json" 2>/dev/null || echo 0)
	mt=$(echo "$t1 - $t0 - 5" | bc)
	echo "masscan_chains=$m"
	echo "masscan_seconds=$mt"
	masscan_cps=$(echo "scale=1; $m / $mt" | bc)
	echo "masscan_chains_per_s=$masscan_cps"
	[ "$m" -gt 0 ] && echo "ratio_tlsmap_masscan=$(echo "scale=2; $tlsmap_cps / $masscan_cps" | bc)"
else
	echo "masscan=not installed"
fi

# --- the lab's ceiling: full handshakes/s from the reference namespace ---
for ip in 198.18.24.10 198.18.24.11; do
	ip netns exec "$REF_NS" timeout 30 openssl s_time -connect "$ip:443" -new -time 5 \
		>"$TMP/stime.$ip" 2>&1 &
done
wait
ceil=$(cat "$TMP"/stime.* | sed -n 's/.*connections in [0-9.]*s; \([0-9.]*\) connections\/user sec.*/\1/p;
	s/^\([0-9]*\) connections in \([0-9]*\) real seconds.*/\1 \2/p' | awk 'NF == 2 { s += $1 / $2 } END { printf "%.1f", s }')
echo "lab_ceiling_handshakes_per_s=$ceil"

# --- memory: 1,000,000 in-flight connections of dpdk/tcp ---
if [ -n "$TLS_MEM" ] && [ -x "$TLS_MEM" ]; then
	"$TLS_MEM" 1000000
fi

#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/bench/tls.sh TLSMAP_BIN [TLS_MEM_BIN] - certificate chains captured
# per second against lab ranges (198.18.24.0/22 and 198.18.16.0/22: 2,048
# AnyIP addresses, nginx with a cheap ECDSA certificate, TLS 1.0-1.3), in one run:
#   tlsmap scan (control SNI + two test SNIs per host: 3 chains per host),
#   masscan --banners -p443 on the same range (its ClientHello is TLS 1.1 and
#     it waits 2 s before sending it; the lab accepts TLS 1.0/1.1 and has
#     offloads off on the veth, which masscan needs),
#   the lab's own ceiling: the nginx CPU time per handshake during the tlsmap
#     run, over the machine's cores (what the servers could sustain if they had
#     every core to themselves).
# Also memory: bytes per connection of the TLS stage and 1,000,000 in-flight
# connections of dpdk/tcp (tls_mem). Prints key=value lines; asserts nothing.
TLSMAP_BIN=${1:-${TLSMAP_BIN:-}}
TLS_MEM=${2:-}
source "$(dirname "$0")/../lab/tls_common.sh" "$TLSMAP_BIN"
read -r -a RANGES <<<"${TLS_BENCH_RANGES:-198.18.24.0/22 198.18.16.0/22}"
RATE=${TLS_BENCH_RATE:-20000}
MASSCAN_IP=198.19.0.3

# span of the probes with a chain: first start to last end (s), and their count
span() { # file.jsonl
	jq -s '[.[] | select(.probe.tls == "TLS_CERTIFICATE") | .probe] |
		{n: length, t: (((map(.endUs | tonumber) | max) - (map(.startUs | tonumber) | min)) / 1e6)} |
		"\(.n) \(.t)"' -r "$1"
}

echo "ranges=${RANGES[*]}"
echo "rate_pps=$RATE"
# CPU seconds used so far by the lab's nginx processes (all countries)
nginx_cpu() {
	local total=0 pid
	for pid in $(pgrep -x nginx); do
		total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
	done
	echo "scale=3; $total / $(getconf CLK_TCK)" | bc
}
# --- tlsmap ---
c0=$(nginx_cpu)
t0=$(date +%s.%N)
# shellcheck disable=SC2034 # read by tls_common.sh
TLS_NO_SNI_FILE=1 tls_scan "$TMP/b.tlsmap" "${RANGES[@]}" --sni bench-a.example.com \
	--sni bench-b.example.com -r "$RATE" --max-connections 4096 >"$TMP/tlsmap.log" 2>&1
t1=$(date +%s.%N)
c1=$(nginx_cpu)
"$TLSMAP_BIN" dump "$TMP/b.tlsmap" --type probe >"$TMP/b.jsonl"
read -r n t < <(span "$TMP/b.jsonl")
echo "tlsmap_chains=$n"
echo "tlsmap_seconds=$t"
echo "tlsmap_wall_seconds=$(echo "$t1 - $t0" | bc)"
tlsmap_cps=$(echo "scale=1; $n / $t" | bc)
echo "tlsmap_chains_per_s=$tlsmap_cps"
# the lab's ceiling: nginx CPU per handshake during the tlsmap run, over the cores
cpu_per=$(echo "scale=6; ($c1 - $c0) / $n" | bc)
echo "lab_nginx_cpu_ms_per_handshake=$(echo "scale=3; $cpu_per * 1000" | bc)"
echo "lab_ceiling_handshakes_per_s=$(echo "scale=1; $(nproc) / $cpu_per" | bc)"
sed -n 's/^tlsmap scan: tls: \(state_bytes_per_connection=[0-9]*\).*peak_recv_buffer_bytes=\([0-9]*\).*/\1\npeak_recv_buffer_bytes=\2/p' "$TMP/tlsmap.log"
grep '^tlsmap scan: tls: connections' "$TMP/tlsmap.log" | sed 's/^tlsmap scan: tls: //; s/ /\n/g' | sed 's/^/tlsmap_/'

# --- masscan ---
# It hangs after --wait on a quiet link, and writes its output only when it
# exits: stop it with SIGINT (it then closes its files) after enough time.
if command -v masscan >/dev/null; then
	gw_mac=$(ip netns exec tlm-r1 cat /sys/class/net/r1-scan/address 2>/dev/null)
	naddr=$(( ${#RANGES[@]} * 1024 ))
	limit=$(( naddr / RATE + 2 + 5 + 10 ))
	# masscan's TCP timers (its 2 s hello delay among them) only advance when
	# packets arrive: keep the link busy with pings to its address from the
	# gateway (it answers them), stopped by PID afterwards.
	ip netns exec tlm-r1 ping -q -i 0.01 -w "$((limit + 5))" "$MASSCAN_IP" >/dev/null 2>&1 &
	ping_pid=$!
	# shellcheck disable=SC2034 # read by tls_common.sh
	TLS_CLEANUP_EXTRA='kill "$ping_pid" 2>/dev/null'
	t0=$(date +%s)
	ip netns exec "$SCAN_NS" timeout -k 5 -s INT "$limit" masscan "${RANGES[@]}" -p443 --banners \
		--rate "$RATE" -e "$SCAN_IFACE" --source-ip "$MASSCAN_IP" --router-mac "$gw_mac" \
		--wait 5 -oJ "$TMP/masscan.json" >"$TMP/masscan.log" 2>&1
	kill "$ping_pid" 2>/dev/null
	wait "$ping_pid" 2>/dev/null
	# chains: addresses with at least one X509 banner (one per certificate)
	m=$(grep '"X509"' "$TMP/masscan.json" 2>/dev/null | sed -n 's/.*"ip": *"\([0-9.]*\)".*/\1/p' | sort -u | wc -l)
	echo "masscan_certificates=$(grep -c '"X509"' "$TMP/masscan.json" 2>/dev/null)"
	last=$(grep '"X509"' "$TMP/masscan.json" 2>/dev/null | sed -n 's/.*"timestamp": *"\{0,1\}\([0-9]*\).*/\1/p' | sort -n | tail -1)
	echo "masscan_chains=$m"
	if [ "$m" -gt 0 ] && [ -n "$last" ]; then
		mt=$((last - t0 + 1))
		echo "masscan_seconds=$mt"
		masscan_cps=$(echo "scale=1; $m / $mt" | bc)
		echo "masscan_chains_per_s=$masscan_cps"
		echo "ratio_tlsmap_masscan=$(echo "scale=2; $tlsmap_cps / $masscan_cps" | bc)"
	else
		echo "masscan_chains_per_s=0"
		tail -3 "$TMP/masscan.log" | sed 's/^/# masscan: /'
	fi
else
	echo "masscan=not installed"
fi

# --- memory: 1,000,000 in-flight connections of dpdk/tcp ---
if [ -n "$TLS_MEM" ] && [ -x "$TLS_MEM" ]; then
	"$TLS_MEM" 1000000
fi

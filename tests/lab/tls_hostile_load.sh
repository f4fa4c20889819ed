#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tls_hostile_load.sh - the hostile-host load test: thousands of
# connections of the hostile kinds at once, honest hosts beside them.
#
# Two namespaces this script creates (prefix tlmhl-): the scanner's, and a
# target namespace where 198.18.64.0/20 (4,096 addresses) is local (AnyIP)
# and each block is REDIRECTed to one mode of tests/lab/hostile.py, or
# blackholed and answered from a packet socket by tests/lab/hostile_raw.py
# (a hostile TCP):
#   198.18.64.0/22    stall     ServerHello + 120 KB of a flight, then silence
#   198.18.68.0/22    tarpit    accepts, never sends
#   198.18.72.0/23    trickle   a flight at 1 byte per second
#   198.18.74.0/23    endless   records without end
#   198.18.76.0/23    garbage   not TLS
#   198.18.78.0/25    bigchain  a 1 MB Certificate message
#   198.18.78.128/26  ooo       (raw) floods of out-of-order segments, a hole never filled
#   198.18.78.192/26  blindrst  (raw) blind and in-window RSTs, a replayed SYN|ACK,
#                               data without ACK, then the real flight
#   198.18.79.0/25 reset / 198.18.79.128/26 close
#   198.18.79.192/26  normal    a complete flight at once (64 honest hosts)
# The scan runs with the scheduler's defaults except --net-max-connections
# 256 (so that thousands of connections are open at once over these 16
# /24s; the default 32 is covered by scanner_sched's all-hostile /20, and a
# run at 32 took 49 s here) and a receive budget of 24 MB, well under what
# the stalled flights alone would hold (1,024 x 128 KiB = 128 MiB).
# Checks: every honest host's chain is captured (control and test probe),
# every blindrst host's chain too (the TCP ignored what RFC 5961/9293 say to
# ignore), every ooo host ends by its read timeout, rx_buffer_peak_bytes <=
# the budget (the summary line and ScanEnd), every answering address got a
# probe, the scan ends within 100 s. The scan's peak RSS is printed.
set -u
BIN=${1:-${TLSMAP_BIN:-}}
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "skip: needs root for network namespaces"; exit 77; }
for tool in python3 jq openssl iptables; do
	command -v $tool >/dev/null || { echo "skip: $tool missing"; exit 77; }
done
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "FAIL no tlsmap binary"; exit 1; }
S=tlmhl-s$$ T=tlmhl-t$$
SCAN_LIMIT=100
# shellcheck source=tests/lab/netns_pair.sh
source "$HERE/netns_pair.sh"
BUDGET=24000000
tmp=$(mktemp -d)
hpid='' rpid=''
cleanup() {
	[ -n "$hpid" ] && kill "$hpid" 2>/dev/null
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	netns_pair_down "$S" "$T"
	if [ -n "${KEEP_TMP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
fail=0
netns_pair_up "$S" "$T" 198.18.64.0/20
ip -n "$T" route add blackhole 198.18.78.128/25 # answered by hostile_raw.py only
ip netns exec $T sysctl -qw net.core.somaxconn=8192 net.ipv4.tcp_max_syn_backlog=8192 2>/dev/null

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=normal.lab.test \
	-days 2 -keyout "$tmp/key.pem" -outform DER -out "$tmp/cert.der" 2>/dev/null ||
	{ echo "FAIL openssl req"; exit 1; }

declare -A PORT=([stall]=9101 [tarpit]=9102 [trickle]=9103 [endless]=9104 [garbage]=9105
	[bigchain]=9106 [reset]=9107 [close]=9108 [normal]=9100)
{
	echo "*nat"
	while read -r cidr mode; do
		echo "-A PREROUTING -d $cidr -p tcp --dport 443 -j REDIRECT --to-ports ${PORT[$mode]}"
	done <<'BLOCKS'
198.18.79.192/26 normal
198.18.64.0/22 stall
198.18.68.0/22 tarpit
198.18.72.0/23 trickle
198.18.74.0/23 endless
198.18.76.0/23 garbage
198.18.78.0/25 bigchain
198.18.79.0/25 reset
198.18.79.128/26 close
BLOCKS
	echo "COMMIT"
} | ip netns exec $T iptables-restore || { echo "skip: iptables in the namespace"; exit 77; }

specs=()
for m in "${!PORT[@]}"; do specs+=("$m:${PORT[$m]}"); done
(
	ulimit -n 65536
	HOSTILE_MAX_CONNS=8192 HOSTILE_BACKLOG=4096 exec ip netns exec $T python3 "$HERE/hostile.py" "$tmp/cert.der" "${specs[@]}"
) >"$tmp/hostile.log" 2>&1 &
hpid=$!
for _ in $(seq 100); do grep -q serving "$tmp/hostile.log" && break; sleep 0.1; done
grep -q serving "$tmp/hostile.log" || { echo "FAIL hostile.py did not start"; cat "$tmp/hostile.log"; exit 1; }
ip netns exec $T python3 "$HERE/hostile_raw.py" t0 "$tmp/cert.der" $((SCAN_LIMIT + 20)) \
	ooo:198.18.78.128/26 blindrst:198.18.78.192/26 >"$tmp/raw.log" 2>&1 &
rpid=$!
for _ in $(seq 50); do grep -q serving "$tmp/raw.log" && break; sleep 0.1; done
grep -q serving "$tmp/raw.log" || { echo "FAIL hostile_raw.py did not start"; cat "$tmp/raw.log"; exit 1; }

echo normal.lab.test >"$tmp/sni.txt"
start=$SECONDS
ip netns exec $S timeout $((SCAN_LIMIT + 30)) /usr/bin/time -f "max_rss_kb=%M" "$BIN" scan 198.18.64.0/20 -p 443 \
	-i s0 --source-ip 198.19.0.1 --gateway-ip 198.18.0.254 --allow-reserved -P 2 -r 5000 \
	--sni-file "$tmp/sni.txt" --eligible any --read-timeout 4 --connect-timeout 3 --cooldown 2 \
	--net-max-connections 256 \
	--rx-budget $BUDGET -o "$tmp/load.tlsmap" >"$tmp/scan.log" 2>&1
rc=$?
took=$((SECONDS - start))
if [ $rc != 0 ] && grep -q "EAL init failed" "$tmp/scan.log"; then
	echo "skip: DPDK EAL cannot start here"; exit 77
fi
grep -E "tls: |max_rss_kb=" "$tmp/scan.log"
[ $rc = 0 ] || { echo "FAIL scan exited $rc"; tail -20 "$tmp/scan.log"; exit 1; }

peak=$(sed -n 's/.* rx_buffer_peak_bytes=\([0-9]*\).*/\1/p' "$tmp/scan.log")
if [ -n "$peak" ] && [ "$peak" -le $BUDGET ] && [ "$peak" -gt 0 ]; then
	echo "PASS rx_buffer_peak_bytes=$peak <= rx_budget=$BUDGET"
else
	echo "FAIL rx_buffer_peak_bytes='$peak' (budget $BUDGET)"; fail=1
fi
end_peak=$("$BIN" dump "$tmp/load.tlsmap" --type end 2>/dev/null | jq -r '.end.rxBufferPeakBytes // empty')
if [ "$end_peak" = "$peak" ]; then
	echo "PASS ScanEnd.rx_buffer_peak_bytes=$end_peak"
else
	echo "FAIL ScanEnd.rx_buffer_peak_bytes='$end_peak' want $peak"; fail=1
fi
"$BIN" dump "$tmp/load.tlsmap" --type probe >"$tmp/p.jsonl" 2>/dev/null || { echo "FAIL dump"; exit 1; }
# jq: the first control probe's (or the test probe's) TLS outcome per address of a block
outcomes() { # PREFIX3 LOW HIGH CONTROL(true|false)
	jq -r --arg p "$1." --argjson lo "$2" --argjson hi "$3" --argjson ctl "$4" '
		select(.ipText | startswith($p)) |
		select((.ipText | split(".")[3] | tonumber) as $o | $o >= $lo and $o <= $hi) |
		select((.probe.isControl // false) == $ctl and (.probe.secondControl // false | not)) |
		.probe.tls' "$tmp/p.jsonl" | sort | uniq -c
}
noip=$(jq -c 'select(.ipText == null)' "$tmp/p.jsonl" | head -3)
if [ -z "$noip" ]; then
	echo "PASS every probe record has its address"
else
	echo "FAIL probe records without an address: $noip"; fail=1
fi
# on a failure: the records of the block's first 3 addresses without a
# captured chain in their first control or test probe
show_records() { # PREFIX3 LOW HIGH
	jq -c --arg p "$1." --argjson lo "$2" --argjson hi "$3" '
		select(.ipText | startswith($p)) |
		select((.ipText | split(".")[3] | tonumber) as $o | $o >= $lo and $o <= $hi) |
		{ip: .ipText, probe}' "$tmp/p.jsonl" |
		jq -sc 'group_by(.ip) | map(select(
			map(select((.probe.secondControl // false | not) and .probe.tls == "TLS_CERTIFICATE")) |
			length < 2)) | .[:3][]'
}
for kind in "honest 198.18.79 192 255" "blindrst 198.18.78 192 255"; do
	set -- $kind
	for ctl in true false; do
		got=$(outcomes "$2" "$3" "$4" $ctl)
		if [ "$(echo "$got" | awk '{print $1, $2}')" = "64 TLS_CERTIFICATE" ]; then
			echo "PASS all 64 $1 hosts: chain captured ($([ $ctl = true ] && echo control || echo test) probe)"
		else
			echo "FAIL $1 hosts ($ctl control): $got"; fail=1
			show_records "$2" "$3" "$4"
		fi
	done
done
ooo=$(jq -r 'select(.ipText | startswith("198.18.78.")) |
	select((.ipText | split(".")[3] | tonumber) as $o | $o >= 128 and $o < 192) |
	select(.probe.isControl) | .probe.tcp' "$tmp/p.jsonl" | sort | uniq -c)
if [ "$(echo "$ooo" | awk '{print $1, $2}')" = "64 TCP_READ_TIMEOUT" ]; then
	echo "PASS all 64 out-of-order flooders ended by their read timeout"
else
	echo "FAIL out-of-order flooders: $ooo"; fail=1
fi
kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null; rpid=''
cat "$tmp/raw.log" # dropped=: frames the raw hosts' socket lost (the harness's, not the scanner's)
# every address whose SYN-ACK the sweep saw has its control probe (a SYN-ACK
# lost on the loaded veth makes no target: that is the sweep's, not the budget's)
n=$(jq -r 'select(.probe.isControl and .ipText) | .ipText' "$tmp/p.jsonl" | sort -u | wc -l)
synack=$(sed -n 's/^tlsmap scan: sent=.* synack=\([0-9]*\).*/\1/p' "$tmp/scan.log")
rst=$(sed -n 's/^tlsmap scan: sent=.* rst=\([0-9]*\).*/\1/p' "$tmp/scan.log")
listening=$((1024 + 1024 + 512 * 3 + 128 + 128 + 128 + 64 + 64))
if [ -n "$synack" ] && [ "$synack" -gt 0 ] && [ "$n" -ge $((synack + rst)) ]; then
	echo "PASS all $((synack + rst)) answering addresses have a control probe" \
		"($synack of $listening listening ones answered the sweep)"
else
	echo "FAIL $n control probes for ${synack:-?} + ${rst:-?} answering addresses"; fail=1
fi
stall_ok=$(jq -r 'select(.ipText | startswith("198.18.6")) | select(.probe.isControl) |
	select((.ipText | split(".")[2] | tonumber) < 68) | .probe.tcp' "$tmp/p.jsonl" | sort | uniq -c)
echo "stalled flights, TCP outcomes:"; echo "$stall_ok"
if grep -qv "TCP_READ_TIMEOUT" <<<"$stall_ok"; then
	echo "FAIL a stalled flight ended otherwise than by its read timeout"; fail=1
else
	echo "PASS every stalled flight ended by its own read timeout"
fi
if [ $took -le $SCAN_LIMIT ]; then
	echo "PASS the scan took $took s (<= $SCAN_LIMIT)"
else
	echo "FAIL the scan took $took s (> $SCAN_LIMIT)"; fail=1
fi
exit $fail

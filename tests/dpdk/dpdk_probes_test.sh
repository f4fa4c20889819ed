#!/bin/bash
# SPDX-License-Identifier: MIT
# -P/--probes N sends each target N times back to back, and --max-targets
# still counts targets, not packets (read back from net_pcap's output).
set -u
BIN=${TLSMAP_BIN:?}
[ "$(id -u)" = 0 ] || { echo "skip: DPDK needs root here"; exit 77; }
command -v tshark >/dev/null || { echo "skip: tshark is not installed"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 -c "import struct,sys; open(sys.argv[1],'wb').write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,1))" "$tmp/empty.pcap"
fail=0
run() { # run WANT_FRAMES WANT_TARGETS ARGS...
	local wf=$1 wt=$2; shift 2
	rm -f "$tmp/out.pcap"
	timeout 60 "$BIN" scan 198.18.0.0/26 -p 443,80 -i "net_pcap0,rx_pcap=$tmp/empty.pcap,tx_pcap=$tmp/out.pcap" \
		-G 02:00:00:00:00:01 --source-ip 198.19.0.1 --allow-reserved --syn-only --cooldown 0 "$@" >"$tmp/log" 2>&1 ||
		{ echo "FAIL: scan $* exited $?"; cat "$tmp/log"; fail=1; return; }
	frames=$(tshark -r "$tmp/out.pcap" -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' 2>/dev/null | wc -l)
	targets=$(tshark -r "$tmp/out.pcap" -T fields -e ip.dst -e tcp.dstport 2>/dev/null | sort -u | wc -l)
	maxrep=$(tshark -r "$tmp/out.pcap" -T fields -e ip.dst -e tcp.dstport 2>/dev/null | sort | uniq -c | sort -rn | awk 'NR==1{print $1}')
	if [ "$frames" = "$wf" ] && [ "$targets" = "$wt" ]; then
		echo "ok: $* -> $frames SYNs to $targets targets (at most $maxrep each)"
	else
		echo "FAIL: $* -> $frames SYNs to $targets targets, want $wf to $wt"; fail=1
	fi
}
run 128 128
run 256 128 -P 2
run 30 10 -P 3 -n 10
run 7 7 -n 7
exit $fail

#!/bin/bash
# SPDX-License-Identifier: MIT
# The sweep against real kernels, in two namespaces this script creates:
#   scanner ns: veth "s0", up, no kernel IP (tlsmap owns 198.19.0.1 and answers ARP)
#   target ns:  veth "t0" 198.18.0.254/24; AnyIP: 198.18.1.0/24 is local (route
#               type local), a python3 listener holds a chosen set of
#               (address, port) pairs open, everything else answers RST.
# Checks: the gateway is resolved by ARP; --syn-only finds exactly the open
# pairs (stdout lines and the -o dataset via `tlsmap dump` when available),
# every other pair is counted closed (RST). Then the rate test: -r 10000 and
# -r 100000 into an unrouted range, the sender's own rate (sent / sweep time)
# and the receiver's count (iptables raw counter) printed; within 5% is
# checked but informational unless RATE_FATAL=1 (tests never assert timings;
# on a loaded 2-core host preemption costs token-bucket credit).
set -u
BIN=${1:-$TLSMAP_BIN}
[ "$(id -u)" = 0 ] || { echo "skip: needs root for network namespaces"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 missing"; exit 77; }
S=tlsmap-es$$ T=tlsmap-et$$
# shellcheck source=tests/lab/netns_pair.sh
source "$(dirname "$0")/netns_pair.sh"
tmp=$(mktemp -d)
lpid=
cleanup() {
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	netns_pair_down "$S" "$T"
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
netns_pair_up "$S" "$T" 198.18.1.0/24

# open set: 443 on .1,.4,...,.31 and 8443 on .5 and .7; 80 nowhere
cat > "$tmp/listen.py" <<'PY'
import socket, sys, time
pairs = [("198.18.1.%d" % i, 443) for i in range(1, 32, 3)] + [("198.18.1.5", 8443), ("198.18.1.7", 8443)]
socks = []
for ip, port in pairs:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND
    s.bind((ip, port)); s.listen(64); socks.append(s)
open(sys.argv[1], "w").write("".join("%s:%d\n" % p for p in sorted(pairs)))
time.sleep(120)
PY
ip netns exec $T python3 "$tmp/listen.py" "$tmp/open.txt" &
lpid=$!
for _ in $(seq 50); do [ -s "$tmp/open.txt" ] && break; sleep 0.1; done
[ -s "$tmp/open.txt" ] || { echo "FAIL: listener did not start"; exit 1; }

run() { ip netns exec $S timeout 120 "$BIN" scan "$@"; }
# 64 addresses x 3 ports
run 198.18.1.0/26 -p 443,8443,80 -i s0 --source-ip 198.19.0.1 --gateway-ip 198.18.0.254 \
	--allow-reserved --syn-only --cooldown 1 -r 20000 --seed 5 >"$tmp/found.txt" 2>"$tmp/scan.log"
rc=$?
if [ $rc != 0 ] && grep -q "EAL init failed" "$tmp/scan.log"; then
	echo "skip: DPDK EAL cannot start here"; cat "$tmp/scan.log"; exit 77
fi
[ $rc = 0 ] || { echo "FAIL: scan exited $rc"; cat "$tmp/scan.log"; fail=1; }
LC_ALL=C sort -o "$tmp/found.txt" "$tmp/found.txt"
LC_ALL=C sort -o "$tmp/open.txt" "$tmp/open.txt"
if diff -u "$tmp/open.txt" "$tmp/found.txt"; then
	echo "ok: --syn-only found exactly the $(wc -l <"$tmp/open.txt") open pairs"
else
	echo "FAIL: open pairs differ (- expected, + found)"; fail=1
fi
nopen=$(wc -l <"$tmp/open.txt")
closed=$(sed -n 's/.* rst=\([0-9]*\).*/\1/p' "$tmp/scan.log")
if [ "$closed" = $((64 * 3 - nopen)) ]; then
	echo "ok: $closed closed pairs answered RST"
else
	echo "FAIL: rst=$closed, want $((64 * 3 - nopen))"; fail=1
fi
grep "tlsmap scan: sent=" "$tmp/scan.log"

# 4 lcores on the 2 CPUs: TX, RX and two workers fed through rings
run 198.18.1.0/26 -p 443,8443,80 -i s0 --source-ip 198.19.0.1 --gateway-ip 198.18.0.254 -T '0@0,1@1,2@0,3@1' \
	--allow-reserved --syn-only --cooldown 1 -r 20000 --seed 6 2>"$tmp/scan4.log" | LC_ALL=C sort >"$tmp/found4.txt"
if diff -u "$tmp/open.txt" "$tmp/found4.txt" && grep -q "2 worker(s)" "$tmp/scan4.log"; then
	echo "ok: with 2 worker lcores the same $(wc -l <"$tmp/found4.txt") open pairs"
else
	echo "FAIL: 4-lcore run differs"; cat "$tmp/scan4.log"; fail=1
fi

# the same with a dataset file
tmac=$(ip -n $T -br link show t0 | awk '{print $3}')
# with -G there is no ARP from the scanner: the target kernel must ask for
# 198.19.0.1 before it can answer, and only tlsmap can reply
ip -n $T neigh flush all
run 198.18.1.0/26 -p 443,8443,80 -i s0 --source-ip 198.19.0.1 -G "$tmac" \
	--allow-reserved --syn-only --cooldown 1 -r 20000 -o "$tmp/scan.tlsmap" --vantage lab >/dev/null 2>"$tmp/scan2.log" \
	|| { echo "FAIL: scan -o exited non-zero"; cat "$tmp/scan2.log"; fail=1; }
arp=$(sed -n 's/.* arp_replies=\([0-9]*\).*/\1/p' "$tmp/scan2.log")
if [ "${arp:-0}" -ge 1 ]; then echo "ok: answered $arp ARP request(s) for --source-ip"
else echo "FAIL: no ARP request answered (arp_replies=${arp:-?})"; fail=1; fi
if [ -s "$tmp/scan.tlsmap" ]; then
	echo "ok: dataset written ($(stat -c %s "$tmp/scan.tlsmap") bytes)"
	if "$BIN" dump --help >/dev/null 2>&1 && "$BIN" dump "$tmp/scan.tlsmap" >"$tmp/dump.txt" 2>/dev/null; then
		n=$(grep -c "TCP_OPEN" "$tmp/dump.txt")
		[ "$n" = "$nopen" ] && echo "ok: dump shows $n TCP_OPEN probes" || { echo "FAIL: dump shows $n TCP_OPEN probes, want $nopen"; fail=1; }
	else
		echo "note: tlsmap dump not available yet; dataset not decoded"
	fi
else
	echo "FAIL: no dataset file"; cat "$tmp/scan2.log"; fail=1
fi

# rate: unrouted destinations in the target ns are counted then dropped
ip netns exec $T iptables -t raw -A PREROUTING -i t0 -p tcp --syn -d 198.18.128.0/17 -j DROP 2>/dev/null \
	|| { echo "note: iptables unavailable in the namespace, receiver count skipped"; }
rate_fail=0
for r in 10000 100000; do
	if [ $r = 10000 ]; then tg=198.18.128.0/18; np=443; else tg=198.18.128.0/17; np=443,80,8080; fi
	ip netns exec $T iptables -t raw -Z PREROUTING 2>/dev/null
	run $tg -p $np -i s0 --source-ip 198.19.0.1 --allow-reserved --syn-only \
		-G "$tmac" --cooldown 0 -r $r --seed 1 >/dev/null 2>"$tmp/rate.log"
	line=$(grep "tlsmap scan: sent=" "$tmp/rate.log")
	sent=$(sed -n 's/.* sent=\([0-9]*\).*/\1/p' <<<"$line")
	pps=$(sed -n 's/.* sweep_pps=\([0-9]*\).*/\1/p' <<<"$line")
	secs=$(sed -n 's/.* sweep_s=\([0-9.]*\).*/\1/p' <<<"$line")
	recv=$(ip netns exec $T iptables -t raw -vxnL PREROUTING 2>/dev/null | awk '/DROP/ {print $1; exit}')
	err=$(awk -v p="$pps" -v r=$r 'BEGIN { d = (p - r) / r * 100; printf "%.2f", d < 0 ? -d : d }')
	echo "rate_target=$r sent=$sent sweep_s=$secs sweep_pps=$pps error_pct=$err received=${recv:-?}"
	if awk -v e="$err" 'BEGIN { exit !(e > 5) }'; then echo "rate off by more than 5%"; rate_fail=1; fi
	if [ -n "$recv" ] && [ "$recv" != "$sent" ]; then echo "receiver counted $recv of $sent"; rate_fail=1; fi
done
if [ $rate_fail = 1 ]; then
	if [ "${RATE_FATAL:-0}" = 1 ]; then fail=1; else echo "note: rate check failed (informational: tests never assert timings; RATE_FATAL=1 makes it fatal)"; fi
else
	echo "ok: rates within 5%"
fi
exit $fail

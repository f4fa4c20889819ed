#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/bench/load.sh TLSMAP_BIN - one slow shared machine behind many
# addresses: LOAD_ADDRS addresses (default 65,536: 198.18.0.0/16)
# served by ONE nginx with 4 workers (AnyIP: ip route add local ... dev lo),
# on this machine's cores, scanned in one run by
#   tlsmap scan with default flags (its adaptive windows and load retries;
#     the self-signed test certificate makes no host eligible for test SNIs
#     under the default --eligible trusted, so each host costs one handshake,
#     as for masscan), and
#   masscan --banners on the same range, at each rate of MASSCAN_RATES
#     (default 10000 20000: the best is its figure).
# Metric: hosts whose certificate was captured, divided by the
# wall time of the whole run, start-up included. Also the capture rate
# (captured / addresses), and for tlsmap the NO_TLS count, the probes that
# needed more than one attempt, and its scheduler's counters.
# What bounds each figure: the nginx's CPU (printed: its CPU seconds per
# handshake during the tlsmap run, and the machine's ceiling nproc / that),
# masscan's fixed waits (2 s before its hello, --wait 5 after), and the
# 2-core machine the scanner, nginx and the veth share.
#
# Own namespaces (tlmload-scan, tlmload-srv) joined by one veth, addresses in
# 198.18.0.0/15 only, no default route; removed on every exit. Run it under
# the lab lock: flock /tmp/tlsmap-lab.lock tests/bench/load.sh build/tlsmap
# Prints key=value lines; asserts nothing (never part of make test).
# LOAD_KEEP=DIR keeps the scanners' logs there.
# TLSMAP_BEFORE=BIN adds a run of another tlsmap binary (e.g. the tree
# before the adaptive scheduler) with the same flags, as tlsmap_before_*.
set -uo pipefail
TLSMAP_BIN=${1:-${TLSMAP_BIN:-}}
ADDRS=${LOAD_ADDRS:-65536}
RANGE=${LOAD_RANGE:-198.18.0.0/16}
read -r -a MASSCAN_RATES <<<"${MASSCAN_RATES:-10000 20000}"
P=tlmload
SCAN=$P-scan SRV=$P-srv
SRC_IP=198.19.64.2 GW_IP=198.19.64.1 MASSCAN_IP=198.19.64.3
if [ "$(id -u)" != 0 ]; then echo "skip: needs root (network namespaces)"; exit 77; fi
if [ -z "$TLSMAP_BIN" ] || [ ! -x "$TLSMAP_BIN" ]; then echo "FAIL no tlsmap binary"; exit 1; fi
for t in nginx openssl jq bc ethtool; do
	command -v $t >/dev/null || { echo "skip: $t not installed"; exit 77; }
done
TMP=$(mktemp -d /tmp/tlsmap-load.XXXXXX)
ping_pid=
cleanup() {
	[ -z "$ping_pid" ] || kill "$ping_pid" 2>/dev/null
	[ ! -f "$TMP/nginx.pid" ] || kill "$(cat "$TMP/nginx.pid")" 2>/dev/null
	sleep 0.5
	[ -z "${LOAD_KEEP:-}" ] || { mkdir -p "$LOAD_KEEP" && cp "$TMP"/*.log "$LOAD_KEEP"/ 2>/dev/null; }
	ip netns del $SCAN 2>/dev/null
	ip netns del $SRV 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
for ns in $SCAN $SRV; do
	ip netns del $ns 2>/dev/null
	ip netns add $ns
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n $ns link set lo up
done
ip link add $P-s0 netns $SCAN type veth peer name $P-v0 netns $SRV
ip -n $SRV addr add $GW_IP/24 dev $P-v0
for spec in "$SCAN $P-s0" "$SRV $P-v0"; do
	read -r ns ifc <<<"$spec"
	ip netns exec "$ns" ethtool -K "$ifc" rx off tx off tso off gso off gro off >/dev/null 2>&1
	ip -n "$ns" link set "$ifc" up
done
# the scanner's side has no address: its kernel never answers the SYN-ACKs
ip netns exec $SCAN sysctl -qw net.ipv4.ip_forward=0
ip netns exec $SCAN iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP 2>/dev/null
ip -n $SRV route add local "$RANGE" dev lo

# one CA, one ECDSA leaf for every address (self-signed CA: not in the system store)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj "/CN=tlsmap load bench CA" -keyout "$TMP/ca.key" -out "$TMP/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=load.example" \
	-keyout "$TMP/leaf.key" -out "$TMP/leaf.csr" 2>/dev/null
openssl x509 -req -in "$TMP/leaf.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial \
	-days 30 -out "$TMP/leaf.pem" 2>/dev/null
cat "$TMP/leaf.pem" "$TMP/ca.pem" >"$TMP/chain.pem"
cat >"$TMP/nginx.conf" <<EOF
worker_processes 4;
worker_rlimit_nofile 65536;
pid $TMP/nginx.pid;
error_log $TMP/error.log crit;
events { worker_connections 16384; }
http {
	access_log off;
	server {
		listen 443 ssl;
		ssl_certificate $TMP/chain.pem;
		ssl_certificate_key $TMP/leaf.key;
		ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
		ssl_ciphers ALL:@SECLEVEL=0;
		return 200;
	}
}
EOF
ip netns exec $SRV nginx -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/error.log" 9<&- ||
	{ echo "FAIL nginx"; exit 1; }
for _ in $(seq 50); do [ -s "$TMP/nginx.pid" ] && break; sleep 0.1; done
gw_mac=$(ip netns exec $SRV cat /sys/class/net/$P-v0/address)

nginx_cpu() { # CPU seconds of the nginx processes so far
	local total=0 pid
	for pid in $(ip netns pids $SRV); do
		total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
	done
	echo "scale=3; $total / $(getconf CLK_TCK)" | bc
}

# The server kernel's drops: SYNs dropped because its listen queue was full
# (TcpExt ListenOverflows/ListenDrops), and this machine's backlog drops
# (softnet_stat, every CPU: a starved CPU drops packets between veths).
srv_drops() {
	ip netns exec $SRV cat /proc/net/netstat | awk '
		/^TcpExt:/ { if (!h) { for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next }
			for (i = 2; i <= NF; i++) if (n[i] == "ListenDrops") print $i }'
}
softnet_drops() {
	local total=0 d
	while read -r _ d _; do total=$((total + 16#$d)); done </proc/net/softnet_stat
	echo $total
}

echo "addresses=$ADDRS"
echo "server=nginx worker_processes=4 worker_connections=16384 cores=$(nproc)"

run_tlsmap() { # NAME BIN
	local name=$1 bin=$2 c0 c1 t0 t1 n no wall attempts l0 s0
	c0=$(nginx_cpu)
	l0=$(srv_drops)
	s0=$(softnet_drops)
	t0=$(date +%s.%N)
	timeout 1800 ip netns exec $SCAN "$bin" scan "$RANGE" -p 443 -i $P-s0 --source-ip $SRC_IP \
		--gateway-ip $GW_IP --allow-reserved -o "$TMP/$name.tlsmap" >"$TMP/$name.log" 2>&1
	echo "${name}_exit=$?"
	t1=$(date +%s.%N)
	c1=$(nginx_cpu)
	echo "${name}_server_listen_drops=$(($(srv_drops) - l0))"
	echo "${name}_softnet_drops=$(($(softnet_drops) - s0))"
	sed -n 's/^tlsmap scan: sent=.* \(synack=[0-9]*\).*/\1/p' "$TMP/$name.log" | sed "s/^/${name}_sweep_/"
	sed -n 's/^tlsmap scan: sweep_retries=\([0-9]*\) sweep_resent=\([0-9]*\).*/sweep_passes=\1 sweep_resent=\2/p' \
		"$TMP/$name.log" | tr ' ' '\n' | sed "s/^/${name}_/"
	"$TLSMAP_BIN" dump "$TMP/$name.tlsmap" --type probe >"$TMP/$name.jsonl" 2>/dev/null
	n=$(jq -r 'select(.probe.isControl and .probe.tls == "TLS_CERTIFICATE") | .probe.ip' \
		"$TMP/$name.jsonl" | sort -u | wc -l)
	no=$(jq -r 'select(.probe.isControl and .probe.verdict == "VERDICT_NO_TLS") | .probe.ip' \
		"$TMP/$name.jsonl" | sort -u | wc -l)
	attempts=$(jq -r 'select((.probe.attempts // 0) > 1) | .probe.ip' "$TMP/$name.jsonl" | wc -l)
	wall=$(echo "$t1 - $t0" | bc)
	echo "${name}_captured=$n"
	echo "${name}_no_tls=$no"
	echo "${name}_probes_retried=$attempts"
	echo "${name}_capture_rate=$(echo "scale=4; $n / $ADDRS" | bc)"
	echo "${name}_wall_seconds=$wall"
	echo "${name}_chains_per_s=$(echo "scale=1; $n / $wall" | bc)"
	if [ "$n" -gt 0 ]; then
		local per
		per=$(echo "scale=6; ($c1 - $c0) / $n" | bc)
		echo "${name}_nginx_cpu_ms_per_handshake=$(echo "scale=3; $per * 1000" | bc)"
		echo "${name}_server_ceiling_handshakes_per_s=$(echo "scale=1; $(nproc) / $per" | bc)"
	fi
	sed -n 's/^tlsmap scan: tls: \(load_failures=.*\)/\1/p' "$TMP/$name.log" | tr ' ' '\n' |
		sed "s/^/${name}_/"
}
run_tlsmap tlsmap "$TLSMAP_BIN"
[ -z "${TLSMAP_BEFORE:-}" ] || run_tlsmap tlsmap_before "$TLSMAP_BEFORE"

# masscan: its TCP timers (its 2 s hello delay among them) only advance when
# packets arrive, so the server pings its address meanwhile; it writes its
# output when it exits, so it is stopped with SIGINT after enough time.
if command -v masscan >/dev/null; then
	best=0
	for rate in "${MASSCAN_RATES[@]}"; do
		limit=$((ADDRS / rate + 2 + 5 + 120))
		ip netns exec $SRV ping -q -i 0.01 -w "$((limit + 5))" $MASSCAN_IP >/dev/null 2>&1 &
		ping_pid=$!
		l0=$(srv_drops)
		s0=$(softnet_drops)
		t0=$(date +%s.%N)
		(cd "$TMP" && ip netns exec $SCAN timeout -k 5 -s INT "$limit" masscan "$RANGE" -p443 --banners \
			--rate "$rate" -e $P-s0 --source-ip $MASSCAN_IP --router-mac "$gw_mac" \
			--wait 5 -oJ "$TMP/masscan-$rate.json" >"$TMP/masscan-$rate.log" 2>&1) # paused.conf stays in TMP
		t1=$(date +%s.%N)
		kill "$ping_pid" 2>/dev/null
		wait "$ping_pid" 2>/dev/null
		ping_pid=
		m=$(grep '"X509"' "$TMP/masscan-$rate.json" 2>/dev/null |
			sed -n 's/.*"ip": *"\([0-9.]*\)".*/\1/p' | sort -u | wc -l)
		wall=$(echo "$t1 - $t0" | bc)
		cps=$(echo "scale=1; $m / $wall" | bc)
		echo "masscan_r${rate}_server_listen_drops=$(($(srv_drops) - l0))"
		echo "masscan_r${rate}_softnet_drops=$(($(softnet_drops) - s0))"
		echo "masscan_r${rate}_captured=$m"
		echo "masscan_r${rate}_capture_rate=$(echo "scale=4; $m / $ADDRS" | bc)"
		echo "masscan_r${rate}_wall_seconds=$wall"
		echo "masscan_r${rate}_chains_per_s=$cps"
		if [ "$(echo "$cps > $best" | bc)" = 1 ]; then best=$cps; fi
	done
	echo "masscan_best_chains_per_s=$best"
else
	echo "masscan=not installed"
fi

# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Sourced by tests/bench/load.sh and tests/bench/tls.sh: one slow shared
# machine behind many addresses, and the runs that scan it.
#
# ONE nginx with 4 workers serves every address of RANGE (AnyIP: `ip route
# add local RANGE dev lo` in its namespace), with one self-signed ECDSA chain
# (TLS 1.0-1.3, so masscan's TLS 1.1 hello is answered). The scanner's
# namespace is joined to it by one veth with offloads off (masscan needs
# them off); the scanner's side has no address and drops its kernel's RSTs.
# Namespaces $P-scan and $P-srv, addresses in 198.18.0.0/15 only, no default
# route; removed by the EXIT trap on every exit path.
#
# The caller sets P (namespace prefix), RANGE and ADDRS (its size) before
# sourcing, and TLSMAP_BIN. Then:
#   run_tlsmap NAME BIN [SCAN ARGS...]  one `tlsmap scan` of RANGE
#   run_masscan NAME RATE               one `masscan --banners` of RANGE
# Each prints NAME_* key=value lines and leaves its figures in RUN_CAPTURED,
# RUN_HPS (captured hosts / wall seconds of the whole run, start-up
# included) and RUN_BOUND.
#
# What bounds a run (NAME_bound=): the CPU of this machine is shared by the
# server, the scanner and the kernel's packet path between the veths
# (softirq), so each is measured over the run: nginx's CPU time from /proc,
# the scanner's with /usr/bin/time, softirq and idle from /proc/stat. When
# the machine stayed mostly idle (idle >= 30%), nothing there was the
# limit: the scanner's own pacing was (its rate, windows, fixed waits and
# timeouts): bound=scanner_pacing. Otherwise the largest consumer names the
# bound: server_cpu (nginx), scanner_cpu, veth (softirq), or other_load
# (other work on this shared machine: neither idle nor one of the three,
# NAME_other_pct). Shares are of all cores (nproc) and printed, so the reader
# can judge. A DPDK scanner polls: its CPU time includes polling for packets.
# A masscan run stopped at its time limit is bound=stopped_at_limit.
set -uo pipefail
: "${P:?}" "${RANGE:?}" "${ADDRS:?}"
SCAN=$P-scan SRV=$P-srv
SRC_IP=198.19.64.2 GW_IP=198.19.64.1 MASSCAN_IP=198.19.64.3
if [ "$(id -u)" != 0 ]; then echo "skip: needs root (network namespaces)"; exit 77; fi
if [ -z "${TLSMAP_BIN:-}" ] || [ ! -x "$TLSMAP_BIN" ]; then echo "FAIL no tlsmap binary"; exit 1; fi
for t in nginx openssl jq bc ethtool /usr/bin/time; do
	command -v $t >/dev/null || { echo "skip: $t not installed"; exit 77; }
done
TMP=$(mktemp -d "/tmp/$P.XXXXXX")
ping_pid=
one_server_cleanup() {
	[ -z "$ping_pid" ] || kill "$ping_pid" 2>/dev/null
	[ ! -f "$TMP/nginx.pid" ] || kill "$(cat "$TMP/nginx.pid")" 2>/dev/null
	sleep 0.5
	[ -z "${LOAD_KEEP:-}" ] || { mkdir -p "$LOAD_KEEP" && cp "$TMP"/*.log "$LOAD_KEEP"/ 2>/dev/null; }
	ip netns del "$SCAN" 2>/dev/null
	ip netns del "$SRV" 2>/dev/null
	rm -rf "$TMP"
}
trap one_server_cleanup EXIT
trap 'exit 1' INT TERM
for ns in $SCAN $SRV; do
	ip netns del "$ns" 2>/dev/null
	ip netns add "$ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip link add "$P-s0" netns "$SCAN" type veth peer name "$P-v0" netns "$SRV"
ip -n "$SRV" addr add $GW_IP/24 dev "$P-v0"
for spec in "$SCAN $P-s0" "$SRV $P-v0"; do
	read -r ns ifc <<<"$spec"
	ip netns exec "$ns" ethtool -K "$ifc" rx off tx off tso off gso off gro off >/dev/null 2>&1
	ip -n "$ns" link set "$ifc" up
done
# the scanner's side has no address: its kernel never answers the SYN-ACKs
ip netns exec "$SCAN" sysctl -qw net.ipv4.ip_forward=0
ip netns exec "$SCAN" iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP 2>/dev/null
ip -n "$SRV" route add local "$RANGE" dev lo

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
ip netns exec "$SRV" nginx -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/error.log" 9<&- ||
	{ echo "FAIL nginx"; exit 1; }
for _ in $(seq 50); do [ -s "$TMP/nginx.pid" ] && break; sleep 0.1; done
gw_mac=$(ip netns exec "$SRV" cat "/sys/class/net/$P-v0/address")
CORES=$(nproc)
HZ=$(getconf CLK_TCK)

nginx_cpu() { # CPU seconds of the nginx processes so far
	local total=0 pid
	for pid in $(ip netns pids "$SRV"); do
		total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
	done
	echo "scale=3; $total / $HZ" | bc
}
# machine-wide ticks so far, all cores: "softirq idle" (idle includes iowait)
machine_ticks() { awk '/^cpu / { print $8, $5 + $6 }' /proc/stat; }
# The server kernel's drops: SYNs dropped because its listen queue was full
# (TcpExt ListenDrops), and this machine's backlog drops (softnet_stat, every
# CPU: a starved CPU drops packets between veths).
srv_drops() {
	ip netns exec "$SRV" cat /proc/net/netstat | awk '
		/^TcpExt:/ { if (!h) { for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next }
			for (i = 2; i <= NF; i++) if (n[i] == "ListenDrops") print $i }'
}
softnet_drops() {
	local total=0 d
	while read -r _ d _; do total=$((total + 16#$d)); done </proc/net/softnet_stat
	echo $total
}

# shellcheck disable=SC2034 # read by the caller
RUN_CAPTURED=0 RUN_HPS=0 RUN_BOUND=''
# state of the measurement around one run
meter_start() {
	m_c0=$(nginx_cpu)
	m_l0=$(srv_drops)
	m_s0=$(softnet_drops)
	read -r m_q0 m_i0 < <(machine_ticks)
	m_t0=$(date +%s.%N)
}
# meter_end NAME CAPTURED SCANNER_CPU_SECONDS [BOUND]: the shared figures and
# the bound (BOUND, when given, overrides the measured one)
meter_end() {
	local name=$1 n=$2 scpu=$3 force=${4:-} t1 c1 q1 i1 wall ncpu sirq idle all sp np qp ip op
	t1=$(date +%s.%N)
	c1=$(nginx_cpu)
	read -r q1 i1 < <(machine_ticks)
	wall=$(echo "$t1 - $m_t0" | bc)
	ncpu=$(echo "$c1 - $m_c0" | bc)
	sirq=$(echo "scale=3; ($q1 - $m_q0) / $HZ" | bc)
	idle=$(echo "scale=3; ($i1 - $m_i0) / $HZ" | bc)
	all=$(echo "scale=3; $wall * $CORES" | bc)
	pct() { echo "scale=1; 100 * $1 / $all" | bc; }
	np=$(pct "$ncpu") sp=$(pct "$scpu") qp=$(pct "$sirq") ip=$(pct "$idle")
	op=$(echo "scale=1; 100 - $np - $sp - $qp - $ip" | bc)
	echo "${name}_server_listen_drops=$(($(srv_drops) - m_l0))"
	echo "${name}_softnet_drops=$(($(softnet_drops) - m_s0))"
	echo "${name}_captured=$n"
	echo "${name}_captured_pct=$(echo "scale=2; 100 * $n / $ADDRS" | bc)"
	echo "${name}_wall_seconds=$wall"
	# shellcheck disable=SC2034 # read by the caller
	RUN_CAPTURED=$n
	RUN_HPS=$(echo "scale=1; $n / $wall" | bc)
	echo "${name}_hosts_per_s=$RUN_HPS"
	echo "${name}_nginx_cpu_seconds=$ncpu"
	echo "${name}_scanner_cpu_seconds=$scpu"
	echo "${name}_nginx_pct=$np"
	echo "${name}_scanner_pct=$sp"
	echo "${name}_softirq_pct=$qp"
	echo "${name}_idle_pct=$ip"
	echo "${name}_other_pct=$op"
	if [ "$n" -gt 0 ]; then
		local per
		per=$(echo "scale=6; $ncpu / $n" | bc)
		echo "${name}_nginx_cpu_ms_per_handshake=$(echo "scale=3; $per * 1000" | bc)"
		[ "$(echo "$per > 0" | bc)" = 1 ] &&
			echo "${name}_server_ceiling_handshakes_per_s=$(echo "scale=1; $CORES / $per" | bc)"
	fi
	if [ "$(echo "$ip >= 30" | bc)" = 1 ]; then RUN_BOUND=scanner_pacing
	elif [ "$(echo "$op > $np && $op > $sp && $op > $qp" | bc)" = 1 ]; then RUN_BOUND=other_load
	elif [ "$(echo "$np >= $sp && $np >= $qp" | bc)" = 1 ]; then RUN_BOUND=server_cpu
	elif [ "$(echo "$sp >= $qp" | bc)" = 1 ]; then RUN_BOUND=scanner_cpu
	else RUN_BOUND=veth
	fi
	[ -z "$force" ] || RUN_BOUND=$force
	echo "${name}_bound=$RUN_BOUND"
}
# the scanner's user+system CPU seconds from a /usr/bin/time -f '%U %S' file
cpu_of() { awk 'NF == 2 { s = $1 + $2 } END { printf "%.2f", s }' "$1" 2>/dev/null || echo 0; }

run_tlsmap() { # NAME BIN [SCAN ARGS...]
	local name=$1 bin=$2 n no attempts
	shift 2
	meter_start
	/usr/bin/time -f '%U %S' -o "$TMP/$name.time" timeout 1800 ip netns exec "$SCAN" "$bin" scan \
		"$RANGE" -p 443 -i "$P-s0" --source-ip $SRC_IP --gateway-ip $GW_IP --allow-reserved \
		-o "$TMP/$name.tlsmap.zst" "$@" >"$TMP/$name.log" 2>&1
	echo "${name}_exit=$?"
	"$TLSMAP_BIN" dump "$TMP/$name.tlsmap.zst" --type probe >"$TMP/$name.jsonl" 2>/dev/null
	n=$(jq -r 'select(.probe.isControl and .probe.tls == "TLS_CERTIFICATE") | .probe.ip' \
		"$TMP/$name.jsonl" | sort -u | wc -l)
	meter_end "$name" "$n" "$(cpu_of "$TMP/$name.time")"
	no=$(jq -r 'select(.probe.isControl and .probe.verdict == "VERDICT_NO_TLS") | .probe.ip' \
		"$TMP/$name.jsonl" | sort -u | wc -l)
	attempts=$(jq -r 'select((.probe.attempts // 0) > 1) | .probe.ip' "$TMP/$name.jsonl" | wc -l)
	echo "${name}_no_tls=$no"
	echo "${name}_probes_retried=$attempts"
	sed -n 's/^tlsmap scan: sent=.* \(synack=[0-9]*\).*/\1/p' "$TMP/$name.log" | sed "s/^/${name}_sweep_/"
	sed -n 's/^tlsmap scan: sweep_retries=\([0-9]*\) sweep_resent=\([0-9]*\).*/sweep_passes=\1 sweep_resent=\2/p' \
		"$TMP/$name.log" | tr ' ' '\n' | sed "s/^/${name}_/"
	# the dataset as written (zstd) and the chain cache over the scan
	sed -n 's/^tlsmap scan: dataset=[^ ]* \(.*\)/\1/p' "$TMP/$name.log" | tr ' ' '\n' |
		sed "s/^/${name}_/"
	sed -n 's/^.*summary: \(chain_cache_.*\)/\1/p' "$TMP/$name.log" | tr ' ' '\n' | sed "s/^/${name}_/"
	sed -n 's/^tlsmap scan: tls: \(load_failures=.*\)/\1/p' "$TMP/$name.log" | tr ' ' '\n' |
		sed "s/^/${name}_/"
}

# masscan: its TCP timers (its 2 s hello delay among them) only advance when
# packets arrive, so the server pings its address meanwhile; it writes its
# output when it exits, so it is stopped with SIGINT after enough time.
run_masscan() { # NAME RATE
	local name=$1 rate=$2 limit m rc stopped
	limit=$((ADDRS / rate + 2 + 5 + 120))
	ip netns exec "$SRV" ping -q -i 0.01 -w "$((limit + 5))" $MASSCAN_IP >/dev/null 2>&1 &
	ping_pid=$!
	meter_start
	# cd: masscan leaves paused.conf in its working directory
	(cd "$TMP" && /usr/bin/time -f '%U %S' -o "$TMP/$name.time" ip netns exec "$SCAN" \
		timeout -k 5 -s INT "$limit" masscan "$RANGE" -p443 --banners --rate "$rate" \
		-e "$P-s0" --source-ip $MASSCAN_IP --router-mac "$gw_mac" --wait 5 \
		-oJ "$TMP/$name.json" >"$TMP/$name.log" 2>&1)
	rc=$?
	# 124 (SIGINT) or 137 (SIGKILL 5 s later): masscan had not finished by
	# itself and was stopped at the limit: its wall time is the limit's, and
	# its CPU time is lost with a SIGKILL
	stopped=0
	[ $rc != 124 ] && [ $rc != 137 ] || stopped=1
	echo "${name}_stopped_at_limit=$stopped"
	echo "${name}_limit_seconds=$limit"
	m=$(grep '"X509"' "$TMP/$name.json" 2>/dev/null |
		sed -n 's/.*"ip": *"\([0-9.]*\)".*/\1/p' | sort -u | wc -l)
	meter_end "$name" "$m" "$(cpu_of "$TMP/$name.time")" "$([ $stopped = 0 ] || echo stopped_at_limit)"
	kill "$ping_pid" 2>/dev/null
	wait "$ping_pid" 2>/dev/null
	ping_pid=
}

#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tls_squid.sh - a second kind of real interception proxy: squid's ssl_bump,
# transparent, on the path of 8 addresses served by one nginx.
#
#   [S] tlsmap 198.19.0.1 --s0/m0-- [M] 198.18.0.254   squid: peek at the SNI,
#                                       then bump the targets (a forged leaf
#                                       that mimics the origin's, signed by the
#                                       test's "national" CA) and splice the rest
#                                   [M] 198.18.101.1 --m1/t1-- [T] nginx on
#                                       198.18.96.0/29 (AnyIP), its own chain
#
# Three namespaces this script creates (prefix tlmsq-). squid differs from
# the lab's mitmproxy middleboxes in two ways a scan must survive: it sends
# its CA with the forged leaf, and it checks every SNI against DNS, so a name
# it cannot resolve (the scanner's random control name) is answered with an
# HTTP "409 Conflict" in clear text, not spliced. The names the test uses are
# pinned to the origin in squid's hosts file (there is no DNS); the random
# control name is not, as on the internet.
# Checks, for every address: the random control name drew TLS_NOT_TLS; the
# control without SNI that follows captured the host's own chain; every
# targeted SNI is INTERCEPTED with the test CA as the leaf's issuer; the
# spliced name is the host's own chain where squid's DNS check lets it pass
# (and never INTERCEPTED); the second control went without SNI;
# at least one probe was localised at hop 1 (squid) with the server at hop 2.
set -u
BIN=${1:-${TLSMAP_BIN:-}}
[ "$(id -u)" = 0 ] || { echo "skip: needs root for network namespaces"; exit 77; }
for tool in squid nginx jq openssl iptables; do
	command -v $tool >/dev/null || { echo "skip: $tool missing"; exit 77; }
done
CERTGEN=/usr/lib/squid/security_file_certgen
[ -x $CERTGEN ] || { echo "skip: squid without ssl_bump (install squid-openssl)"; exit 77; }
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "FAIL no tlsmap binary"; exit 1; }
S=tlmsq-s$$ M=tlmsq-m$$ T=tlmsq-t$$
RANGE=198.18.96.0/29
TARGETS="facebook.com vk.com"
SPLICED=example.org
tmp=$(mktemp -d)
chmod 755 "$tmp"
cleanup() {
	[ -s "$tmp/squid/squid.pid" ] && kill "$(cat "$tmp/squid/squid.pid")" 2>/dev/null
	[ -s "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null
	sleep 0.2
	ip netns del "$S" 2>/dev/null
	ip netns del "$M" 2>/dev/null
	ip netns del "$T" 2>/dev/null
	if [ -n "${KEEP_TMP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# --- three namespaces, no default route anywhere ---
for ns in $S $M $T; do ip netns add "$ns" || { echo "skip: cannot create namespaces"; exit 77; }; done
ip link add s0 netns "$S" type veth peer name m0 netns "$M" || { echo "skip: no veth"; exit 77; }
ip link add m1 netns "$M" type veth peer name t1 netns "$T"
for nsif in "$S s0" "$M m0" "$M m1" "$T t1"; do
	set -- $nsif
	ip -n "$1" link set lo up
	ip -n "$1" link set "$2" up
	ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1
done
ip -n "$M" addr add 198.18.0.254/24 dev m0
ip -n "$M" addr add 198.18.101.1/30 dev m1
ip -n "$M" route add 198.19.0.0/16 dev m0
ip -n "$M" route add $RANGE via 198.18.101.2
ip netns exec "$M" sysctl -qw net.ipv4.ip_forward=1
ip -n "$T" addr add 198.18.101.2/30 dev t1
ip -n "$T" route add local $RANGE dev lo
ip -n "$T" route add 198.19.0.0/16 via 198.18.101.1
ip netns exec "$M" iptables -t nat -A PREROUTING -i m0 -p tcp --dport 443 -j REDIRECT --to-ports 3129 ||
	{ echo "skip: iptables in the namespace"; exit 77; }

# --- a private PKI: the origin's root and chain, the middlebox's CA ---
pki() { openssl "$@" 2>/dev/null || { echo "FAIL openssl $1"; exit 1; }; }
pki req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/O=tlsmap squid test/CN=Origin Root" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
	-keyout "$tmp/root.key" -out "$tmp/root.pem"
pki req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=origin.squid.test" \
	-keyout "$tmp/origin.key" -out "$tmp/origin.csr"
printf 'subjectAltName=DNS:origin.squid.test,DNS:%s\nextendedKeyUsage=serverAuth\n' \
	"$(echo $TARGETS $SPLICED | sed 's/ /,DNS:/g')" >"$tmp/origin.ext"
pki x509 -req -in "$tmp/origin.csr" -CA "$tmp/root.pem" -CAkey "$tmp/root.key" -CAcreateserial \
	-days 30 -extfile "$tmp/origin.ext" -out "$tmp/origin.pem"
pki req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/C=ZZ/CN=Squid Test Security Certificate" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
	-keyout "$tmp/mbox.key" -out "$tmp/mbox.pem"

# --- the origin: one nginx for the whole range ---
cat >"$tmp/nginx.conf" <<EOF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err crit;
events { worker_connections 1024; }
http {
	access_log off;
	server {
		listen 443 ssl;
		ssl_certificate $tmp/origin.pem;
		ssl_certificate_key $tmp/origin.key;
		return 200;
	}
}
EOF
ip netns exec "$T" nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/nginx.err" 9<&- || { echo "FAIL nginx"; exit 1; }

# --- squid: peek, bump the targets, splice the rest ---
printf '%s\n' $TARGETS >"$tmp/targets.txt"
# squid keeps one address per name from its hosts file: the spliced name
# passes its DNS check on 198.18.96.0 only and draws a 409 on the others
echo "198.18.96.0 $TARGETS $SPLICED" >"$tmp/hosts"
mkdir -p "$tmp/squid"
cat >"$tmp/squid.conf" <<EOF
http_port 127.0.0.1:3128
https_port 3129 intercept ssl-bump tls-cert=$tmp/mbox.pem tls-key=$tmp/mbox.key generate-host-certificates=on dynamic_cert_mem_cache_size=4MB
sslcrtd_program $CERTGEN -s $tmp/squid/ssl_db -M 4MB
sslcrtd_children 4 startup=1 idle=1
acl step1 at_step SslBump1
acl step2 at_step SslBump2
acl step3 at_step SslBump3
acl targets ssl::server_name "$tmp/targets.txt"
ssl_bump peek step1
ssl_bump stare step2 targets
ssl_bump bump step3 targets
ssl_bump splice all
tls_outgoing_options cafile=$tmp/root.pem
http_access allow all
cache deny all
hosts_file $tmp/hosts
dns_nameservers 127.0.0.1
dns_timeout 2 seconds
pid_filename $tmp/squid/squid.pid
access_log none
cache_log $tmp/squid/cache.log
cache_store_log none
coredump_dir $tmp/squid
shutdown_lifetime 1 seconds
pinger_enable off
EOF
$CERTGEN -c -s "$tmp/squid/ssl_db" -M 4MB >/dev/null || { echo "FAIL certgen"; exit 1; }
chown -R proxy:proxy "$tmp/squid" 2>/dev/null
chmod 644 "$tmp"/*.key
ip netns exec "$M" squid -k parse -f "$tmp/squid.conf" >"$tmp/parse.log" 2>&1 ||
	{ cat "$tmp/parse.log"; echo "FAIL squid.conf"; exit 1; }
ip netns exec "$M" squid -f "$tmp/squid.conf" || { echo "FAIL squid"; exit 1; }
for _ in $(seq 50); do [ -s "$tmp/squid/squid.pid" ] && [ -s "$tmp/nginx.pid" ] && break; sleep 0.2; done
[ -s "$tmp/squid/squid.pid" ] || { cat "$tmp/squid/cache.log"; echo "FAIL squid did not start"; exit 1; }
sleep 1

# --- the scan: default pacing; only what says what this network is ---
sni_args=()
for n in $TARGETS $SPLICED; do sni_args+=(--sni "$n"); done
ip netns exec "$S" timeout 120 "$BIN" scan $RANGE -p 443 -i s0 --source-ip 198.19.0.1 \
	--gateway-ip 198.18.0.254 --allow-reserved --roots "$tmp/root.pem" \
	"${sni_args[@]}" -o "$tmp/sq.tlsmap" >"$tmp/scan.log" 2>&1
rc=$?
if [ $rc != 0 ] && grep -q "EAL init failed" "$tmp/scan.log"; then
	echo "skip: DPDK EAL cannot start here"; exit 77
fi
grep -E "^tlsmap scan: (localize|tls: unclosed)|^summary: (synack|probes)" "$tmp/scan.log"
[ $rc = 0 ] || { tail -20 "$tmp/scan.log"; echo "FAIL scan exited $rc"; exit 1; }
"$BIN" dump "$tmp/sq.tlsmap" --type probe >"$tmp/p.jsonl" || { echo "FAIL dump"; exit 1; }
"$BIN" dump "$tmp/sq.tlsmap" --type certificate >"$tmp/c.jsonl" || { echo "FAIL dump"; exit 1; }
fail=0
check() { # WHAT WANT GOT
	if [ "$2" = "$3" ]; then echo "PASS $1: $3"; else echo "FAIL $1: got '$3' want '$2'"; fail=1; fi
}
row() { # jq filter over the probes -> "ip verdict" lines, counted
	jq -r "select($1) | .probe.verdict" "$tmp/p.jsonl" | sort | uniq -c | awk '{print $1, $2}' | tr '\n' ' '
}
CTRL='.probe.isControl and (.probe.secondControl | not)'
check "random control name (squid: 409 in clear text)" "8 VERDICT_NO_TLS " \
	"$(row "$CTRL and (.probe.controlWithoutSni | not) and .probe.tls == \"TLS_NOT_TLS\"")"
check "control without SNI (spliced: the host's own chain)" "8 VERDICT_HOST_OWN_CERT " \
	"$(row "$CTRL and .probe.controlWithoutSni and .probe.tls == \"TLS_CERTIFICATE\"")"
check "second control, without SNI too" "8 VERDICT_HOST_OWN_CERT " \
	"$(row ".probe.secondControl and .probe.controlWithoutSni and .probe.tls == \"TLS_CERTIFICATE\"")"
for n in $TARGETS; do
	check "$n (bumped)" "8 VERDICT_INTERCEPTED " "$(row ".probe.sni == \"$n\"")"
done
check "$SPLICED (spliced where its DNS check passes, 409 elsewhere)" \
	"1 VERDICT_HOST_OWN_CERT 7 VERDICT_NO_TLS " "$(row ".probe.sni == \"$SPLICED\"")"
iss=$(jq -r 'select(.probe.verdict == "VERDICT_INTERCEPTED") | .probe.chain[0]' "$tmp/p.jsonl" | sort -u |
	while read -r h; do jq -r --arg h "$h" 'select(.certificate.sha256 == $h) | .certificate.issuer' "$tmp/c.jsonl"; done |
	sort -u)
check "forged leaves' issuer" "CN=Squid Test Security Certificate,C=ZZ" "$iss"
loc=$(jq -r 'select(.probe.localized) | "\(.probe.interceptorHop) \(.probe.serverHop)"' "$tmp/p.jsonl" | sort -u | tr '\n' ' ')
check "localised: squid at hop 1, the server at hop 2" "1 2 " "$loc"
if [ $fail != 0 ]; then
	tail -5 "$tmp/squid/cache.log"
	jq -c '.probe | {sni, isControl, controlWithoutSni, secondControl, tcp, tls, verdict, reasons}' "$tmp/p.jsonl" | head -40
fi
exit $fail

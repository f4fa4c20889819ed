#!/bin/bash
# SPDX-License-Identifier: MIT
#
# lab.sh - tlsmap's lab: simulated national networks with real TLS servers and
# real interception middleboxes, in network namespaces on this machine.
#
#   tests/lab/lab.sh up            build it (idempotent: a healthy lab is kept)
#   tests/lab/lab.sh down          remove everything it made, even after a failed up,
#                                  unless another script still holds the lab (see
#                                  hold()); down --force removes it regardless
#   tests/lab/lab.sh status        what is up, and where the ground truth is
#   tests/lab/lab.sh drop PERCENT  drop PERCENT % of forwarded TCP packets in tlm-r2
#   tests/lab/lab.sh undrop        stop dropping
#   tests/lab/lab.sh dpdk-check    2 s of dpdk-testpmd txonly on tlm-scan0 (net_af_packet)
#   tests/lab/lab.sh middlebox off|on NAME   stop (or resume) middlebox NAME (mkz, mru)
#                                  intercepting: its traffic then passes untouched
#
# LAB_DIR (default /tmp/tlsmap-lab) holds everything the lab writes: PKI, server
# configs, pid files, logs, and what the tests read:
#   lab.env           SCAN_NS SCAN_IFACE SOURCE_IP GATEWAY_IP ROOTS GEO_DB ASN_DB
#                     INTERCEPTORS TARGETS_FILE TRUTH (+ REF_NS SNI_FILE LAB_DIR)
#   truth.tsv         ground truth, one line per (ip, 443, sni) probed with
#                     --eligible any, plus "@control" per address (docs/lab.md)
#   targets.txt       the CIDRs a scan of the lab covers
#   interceptors.tsv  the lab's forging CAs, in share/interceptors.tsv's format
#   pki/roots.pem     the lab's trust anchor (the scanner's --roots)
#   geo/country.mmdb, geo/asn.mmdb   test geolocation for the lab ranges
#
# Topology (all addresses in 198.18.0.0/15; no namespace has a default route,
# nothing is linked to the root namespace):
#
#   tlm-scan [tlm-scan0: no IPv4]          tlm-ref [ref0 198.19.1.2]
#    scanner owns 198.19.0.2                 openssl s_client / curl
#          \ 198.19.0.1                      / 198.19.1.1
#           +------------- tlm-r1 (edge) ---+
#                             | 198.19.200.0/30
#                          tlm-r2 (core; "lab.sh drop" acts here)
#        +------------+-------+---------+------------------+
#     tlm-mkz       tlm-de             tlm-us            tlm-mru
#   (middlebox 1:   country DE        country US        (middlebox 2:
#    mitmdump + mitm_mimic.py,        + hostile corner   stock mitmdump,
#    CA "Lab National                                    CA "Lab Security
#    Security Certificate")                              Certificate 2")
#        |                                                   |
#     tlm-kz  country KZ                                  tlm-ru  country RU
#
# Country namespaces hold whole ranges with AnyIP (ip route add local CIDR dev
# lo): one nginx listening on 0.0.0.0:443 answers for every address, with a
# cheap ECDSA "bulk" certificate by default and per-address server blocks for
# the special kinds; iptables REJECTs (tcp-reset) or DROPs the closed and
# silent addresses and REDIRECTs the hostile ones to hostile.py. A middlebox
# REDIRECTs tcp/443 toward its intercepted ranges' open TLS hosts (never toward
# closed, silent or hostile ones, so the TCP answers stay true) to its mitmdump,
# which forges only its targeted SNIs and passes every other one through
# untouched. tests/lab/plan.tsv says which address is what.
#
# Why the scanner namespace's kernel sends no RST: tlm-scan0 has no IPv4
# address, so a SYN-ACK for 198.19.0.2 is not a local packet there; with
# forwarding off and no route it is dropped without an ICMP error, and the
# kernel has no socket to reset. Only the scanner (DPDK net_af_packet on
# tlm-scan0) sees it; the scanner also answers ARP for 198.19.0.2 itself (the
# kernel will not, having no such address). IPv6 is disabled on the link so the
# kernel sends no router solicitations or DAD probes, and an OUTPUT rule drops
# any kernel TCP RST as a second fence. TSO/GSO/GRO and checksum offloads are
# off on every veth: af_packet must see the same wire-sized, checksummed
# frames a NIC would.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
LAB_DIR=${LAB_DIR:-/tmp/tlsmap-lab}
PLAN=${LAB_PLAN:-$HERE/plan.tsv}
SNI_FILE=${LAB_SNI_FILE:-$SRC/share/sni-kz2019.txt}
PY=$(command -v /usr/bin/python3 || command -v python3)
T=10 # seconds: bound for every wait

NSS="tlm-scan tlm-ref tlm-r1 tlm-r2 tlm-mkz tlm-mru tlm-kz tlm-ru tlm-de tlm-us"
COUNTRIES="kz ru de us"
SCAN_NS=tlm-scan SCAN_IFACE=tlm-scan0 SOURCE_IP=198.19.0.2 GATEWAY_IP=198.19.0.1
REF_NS=tlm-ref
PROXY_PORT=8080
declare -A HOSTILE_PORT=([tarpit]=9001 [trickle]=9002 [endless]=9003 [bigchain]=9004
	[garbage]=9005 [reset]=9006 [close]=9007)
# kind "unstable": two backends on these ports (a valid and a self-signed
# certificate); every new connection to such an address goes to one of them at
# random (iptables statistic), as behind a load balancer. Random, not every
# nth: the number of connections between a scan's two control probes varies.
UNSTABLE_PORTS="9101 9102"
# Next hop from tlm-r2 toward a country's ranges, and the country's upstream.
declare -A R2_NEXTHOP=([kz]=198.19.200.6 [ru]=198.19.200.22 [de]=198.19.200.14 [us]=198.19.200.18)
declare -A MBOX_OF=([kz]=mkz [ru]=mru)
declare -A MBOX_DOWN=([mkz]=198.19.200.10 [mru]=198.19.200.26)
# The routers (tlm-r1, tlm-r2 and their links to the countries, all in
# 198.19.200.0/24) geolocate as one transit network (AS64496 is reserved for
# documentation), so that a localised probe's hop_before_interceptor has a
# country and an ASN to check. Not a target: no scan names it.
ROUTERS_GEO=$'198.19.200.0/24\tNL\tNetherlands\t64496\tLab Transit'

log() { printf '[lab %s] %s\n' "$(date +%T)" "$*"; }
die() { log "error: $*"; exit 1; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
plan() { perl "$HERE/plan.pl" "$PLAN" "$@"; }
ns_exists() { [ -e "/run/netns/$1" ]; }

# --- network -----------------------------------------------------------------

# veth NS_A IF_A ADDR_A NS_B IF_B ADDR_B (ADDR "-" for none)
veth() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	local ns ifc addr
	for spec in "$1 $2 $3" "$4 $5 $6"; do
		read -r ns ifc addr <<<"$spec"
		[ "$addr" = - ] || ip -n "$ns" addr add "$addr" dev "$ifc"
		nsx "$ns" ethtool -K "$ifc" rx off tx off tso off gso off gro off >/dev/null 2>&1 ||
			die "ethtool -K $ifc in $ns failed"
		ip -n "$ns" link set "$ifc" up
	done
}

mk_net() {
	local ns
	for ns in $NSS; do
		ip netns add "$ns"
		# no IPv6 anywhere: no autoconf, router solicitations or DAD on any link
		nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	veth tlm-scan tlm-scan0 - tlm-r1 r1-scan 198.19.0.1/24
	veth tlm-ref ref0 198.19.1.2/24 tlm-r1 r1-ref 198.19.1.1/24
	veth tlm-r1 r1-core 198.19.200.1/30 tlm-r2 r2-edge 198.19.200.2/30
	veth tlm-r2 r2-kz 198.19.200.5/30 tlm-mkz mkz-up 198.19.200.6/30
	veth tlm-mkz mkz-down 198.19.200.9/30 tlm-kz kz-up 198.19.200.10/30
	veth tlm-r2 r2-de 198.19.200.13/30 tlm-de de-up 198.19.200.14/30
	veth tlm-r2 r2-us 198.19.200.17/30 tlm-us us-up 198.19.200.18/30
	veth tlm-r2 r2-ru 198.19.200.21/30 tlm-mru mru-up 198.19.200.22/30
	veth tlm-mru mru-down 198.19.200.25/30 tlm-ru ru-up 198.19.200.26/30

	# scanner side: no address, no forwarding, and no kernel RST even by accident
	nsx tlm-scan sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.tlm-scan0.disable_ipv6=1 \
		net.ipv6.conf.tlm-scan0.autoconf=0 net.ipv6.conf.tlm-scan0.accept_ra=0
	nsx tlm-scan iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP
	ip -n tlm-ref route add 198.18.0.0/15 via 198.19.1.1
	for ns in tlm-r1 tlm-r2 tlm-mkz tlm-mru; do nsx "$ns" sysctl -qw net.ipv4.ip_forward=1; done
	ip -n tlm-r1 route add 198.18.0.0/16 via 198.19.200.2
	ip -n tlm-r1 route add 198.19.200.0/24 via 198.19.200.2
	ip -n tlm-r2 route add 198.19.0.0/23 via 198.19.200.1
	ip -n tlm-r2 route add 198.19.200.8/30 via 198.19.200.6
	ip -n tlm-r2 route add 198.19.200.24/30 via 198.19.200.22
	ip -n tlm-mkz route add 198.19.0.0/16 via 198.19.200.5
	ip -n tlm-mru route add 198.19.0.0/16 via 198.19.200.21
	ip -n tlm-kz route add 198.19.0.0/16 via 198.19.200.9
	ip -n tlm-ru route add 198.19.0.0/16 via 198.19.200.25
	ip -n tlm-de route add 198.19.0.0/16 via 198.19.200.13
	ip -n tlm-us route add 198.19.0.0/16 via 198.19.200.17

	local cidr cc cns
	while IFS=$'\t' read -r cidr cc _ _ _ cns _; do
		ip -n "tlm-$cns" route add local "$cidr" dev lo # AnyIP: every address is ours
		ip -n tlm-r2 route add "$cidr" via "${R2_NEXTHOP[$cns]}"
		[ -z "${MBOX_OF[$cns]:-}" ] || ip -n "tlm-${MBOX_OF[$cns]}" route add "$cidr" via "${MBOX_DOWN[${MBOX_OF[$cns]}]}"
	done < <(plan ranges)
	for ns in $COUNTRIES; do
		# one listening socket takes the SYNs of thousands of addresses
		nsx "tlm-$ns" sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535
	done
}

# --- PKI ---------------------------------------------------------------------

genkey() { # NAME TYPE
	case $2 in
	rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" ;;
	rsa4096) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$1.key" ;;
	p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" ;;
	p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$1.key" ;;
	ed25519) openssl genpkey -algorithm ED25519 -out "$1.key" ;;
	esac 2>/dev/null
}

# sign NAME SUBJ SIGNER EXT [openssl-ca date args]: certificate NAME.pem for
# NAME.key, issued by SIGNER (a name, or "self")
sign() {
	local name=$1 subj=$2 signer=$3 ext=$4
	shift 4
	printf '%b\n' "$ext" >"$name.ext"
	if [ "$signer" = self ]; then
		openssl req -x509 -new -key "$name.key" -subj "$subj" -days 3650 \
			-extensions v3 -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n[v3]\n%b\n' "$ext") \
			-out "$name.pem"
	elif [ $# -gt 0 ]; then # explicit validity: openssl ca can set past dates
		openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
		: >index.txt
		openssl ca -batch -config ca.cnf -cert "$signer.pem" -keyfile "$signer.key" \
			-in "$name.csr" -extfile "$name.ext" -notext "$@" -out "$name.pem"
	else
		openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
		openssl x509 -req -in "$name.csr" -CA "$signer.pem" -CAkey "$signer.key" \
			-set_serial "0x$(openssl rand -hex 12)" -days 825 -extfile "$name.ext" -out "$name.pem"
	fi 2>/dev/null
}

CA_EXT='basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash'
leaf_ext() { # SAN-NAME...
	local san="" n
	for n in "$@"; do san+="${san:+,}DNS:$n"; done
	echo "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=$san"
}

# leaf NAME KEYTYPE SIGNER CHAIN... : key, certificate, and NAME.chain.pem =
# the certificate followed by the listed intermediates (what the server sends)
leaf() {
	local name=$1 type=$2 signer=$3
	shift 3
	genkey "$name" "$type"
	sign "$name" "/O=tlsmap lab/CN=$name.lab.test" "$signer" "$(leaf_ext "$name.lab.test")"
	cat "$name.pem" "${@/%/.pem}" >"$name.chain.pem"
}

mk_pki() {
	local d=$LAB_DIR/pki
	mkdir -p "$d/newcerts"
	cd "$d"
	printf '[ca]\ndefault_ca=lab\n[lab]\ndatabase=index.txt\nnew_certs_dir=newcerts\nserial=serial\ndefault_md=sha256\npolicy=pol\nunique_subject=no\n[pol]\ncommonName=supplied\norganizationName=optional\n' >ca.cnf
	echo 01 >serial
	# the slow keys first, in the background
	genkey rsa4096 rsa4096 &
	local bg=$!
	genkey root rsa2048
	sign root "/O=tlsmap lab/CN=Lab Root CA" self "$CA_EXT"
	cp root.pem roots.pem
	genkey int1 p256; sign int1 "/O=tlsmap lab/CN=Lab Intermediate CA 1" root "$CA_EXT"
	genkey int2 p256; sign int2 "/O=tlsmap lab/CN=Lab Intermediate CA 2" int1 "$CA_EXT"
	genkey int3 p256; sign int3 "/O=tlsmap lab/CN=Lab Intermediate CA 3" int2 "$CA_EXT"
	genkey int4 p256; sign int4 "/O=tlsmap lab/CN=Lab Intermediate CA 4" int3 "$CA_EXT"
	# the leaves are independent: three groups at once (two in the background)
	local ns k bg_a bg_b
	(
		for ns in $COUNTRIES; do leaf "bulk-$ns" p256 int1 int1; done
		for k in rsa2048 p384 ed25519; do leaf "$k" "$k" int1 int1; done
	) &
	bg_a=$!
	(
		for k in p256 tls12 tls13 sni-valid sni-other; do leaf "$k" p256 int1 int1; done
		leaf chain1 p256 root
		leaf chain3 p256 int2 int2 int1
		leaf chain4 p256 int3 int3 int2 int1
		leaf chain5 p256 int4 int4 int3 int2 int1
	) &
	bg_b=$!
	# names some hosts serve beside their own certificate
	genkey vk.com p256; sign vk.com "/O=tlsmap lab/CN=vk.com" int1 "$(leaf_ext vk.com)"
	genkey mail.ru p256; sign mail.ru "/O=tlsmap lab/CN=mail.ru" int1 "$(leaf_ext mail.ru)"
	cat vk.com.pem int1.pem >vk.com.chain.pem
	cat mail.ru.pem int1.pem >mail.ru.chain.pem
	leaf other p256 int1 int1
	genkey impostor p256
	sign impostor "/O=Lab Impostor/CN=ok.ru" self "$(leaf_ext ok.ru)"
	cp impostor.pem impostor.chain.pem
	leaf unstable-a p256 int1 int1
	genkey unstable-b p256
	sign unstable-b "/O=tlsmap lab/CN=unstable-b.lab.test" self "$(leaf_ext unstable-b.lab.test)"
	cp unstable-b.pem unstable-b.chain.pem
	genkey selfsigned p256
	sign selfsigned "/O=tlsmap lab/CN=selfsigned.lab.test" self "$(leaf_ext selfsigned.lab.test)"
	cp selfsigned.pem selfsigned.chain.pem
	genkey expired p256
	sign expired "/O=tlsmap lab/CN=expired.lab.test" int1 "$(leaf_ext expired.lab.test)" \
		-startdate 20200101000000Z -enddate 20210101000000Z
	cat expired.pem int1.pem >expired.chain.pem
	# the middleboxes' forging CAs (mitmproxy wants certificate + key in one file)
	local m label subj style targets
	while IFS=$'\t' read -r m label subj style targets; do
		genkey "ca-$m" rsa2048
		sign "ca-$m" "$subj" self "$CA_EXT"
	done < <(plan middleboxes)
	wait $bg_a || die "leaf certificates (group a) failed"
	wait $bg_b || die "leaf certificates (group b) failed"
	openssl x509 -in bulk-us.pem -outform DER -out hostile-filler.der
	wait $bg || die "rsa4096 key generation failed"
	sign rsa4096 "/O=tlsmap lab/CN=rsa4096.lab.test" int1 "$(leaf_ext rsa4096.lab.test)"
	cat rsa4096.pem int1.pem >rsa4096.chain.pem
	chmod 644 ./*.pem
	cd - >/dev/null
}

# --- servers -----------------------------------------------------------------

nginx_server() { # IP KIND
	local ip=$1 kind=$2 p=$LAB_DIR/pki protos='TLSv1 TLSv1.1 TLSv1.2 TLSv1.3'
	case $kind in tls12) protos=TLSv1.2 ;; tls13) protos=TLSv1.3 ;; esac
	if [ "$kind" = reject ]; then
		printf '\tserver { listen %s:443 ssl; ssl_reject_handshake on; }\n' "$ip"
		return
	fi
	cert_server() { # NAME SERVER_NAME
		printf '\tserver { listen %s:443 ssl; server_name %s;\n' "$ip" "$2"
		printf '\t\tssl_certificate %s/%s.chain.pem; ssl_certificate_key %s/%s.key;\n' "$p" "$1" "$p" "$1"
		printf '\t\tssl_protocols %s; ssl_ciphers ALL:@SECLEVEL=0; return 200 "%s\\n"; }\n' "$protos" "$1"
	}
	cert_server "$kind" '""'
	case $kind in
	sni-valid) cert_server vk.com vk.com; cert_server mail.ru mail.ru ;;
	sni-other) cert_server other twitter.com; cert_server impostor ok.ru ;;
	esac
}

start_nginx() { # NS
	local ns=$1 p=$LAB_DIR/nginx-$1 cns cidr kind
	mkdir -p "$p/tmp"
	{
		cat <<EOF
# generated by tests/lab/lab.sh for tlm-$ns
worker_processes 2;
worker_rlimit_nofile 65536;
pid $p/nginx.pid;
error_log $p/error.log warn;
events { worker_connections 16384; }
http {
	access_log off;
	client_body_temp_path $p/tmp/body; proxy_temp_path $p/tmp/proxy;
	fastcgi_temp_path $p/tmp/fastcgi; uwsgi_temp_path $p/tmp/uwsgi; scgi_temp_path $p/tmp/scgi;
	ssl_session_cache off; ssl_session_tickets off;
	keepalive_timeout 5;
	default_type text/plain;
	# the bulk: every address of the namespace's ranges, TLS 1.0 to 1.3, ECDSA (cheap)
	server { listen 443 ssl default_server backlog=65535;
		ssl_certificate $LAB_DIR/pki/bulk-$ns.chain.pem; ssl_certificate_key $LAB_DIR/pki/bulk-$ns.key;
		ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; ssl_ciphers ALL:@SECLEVEL=0; return 200 "bulk\\n"; }
EOF
		while IFS=$'\t' read -r cns cidr kind _; do
			[ "$cns" = "$ns" ] || continue
			case $kind in closed | silent | tarpit | trickle | endless | bigchain | garbage | reset | close | unstable) continue ;; esac
			[[ $cidr != */* ]] || die "plan: kind $kind on $cidr: nginx kinds take single addresses"
			nginx_server "$cidr" "$kind"
		done < <(plan hosts)
		if plan hosts | awk -F'\t' -v ns="$ns" '$1 == ns && $3 == "unstable" { f = 1 } END { exit !f }'; then
			local port b=a
			for port in $UNSTABLE_PORTS; do
				printf '\tserver { listen %s ssl; ssl_certificate %s/unstable-%s.chain.pem; ssl_certificate_key %s/unstable-%s.key;\n' \
					"$port" "$LAB_DIR/pki" "$b" "$LAB_DIR/pki" "$b"
				printf '\t\tssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; ssl_ciphers ALL:@SECLEVEL=0; return 200 "unstable-%s\\n"; }\n' "$b"
				b=b
			done
		fi
		echo "}"
	} >"$p/nginx.conf"
	nsx "tlm-$ns" nginx -t -q -p "$p" -c "$p/nginx.conf" -e "$p/error.log" || die "nginx config for tlm-$ns"
	nsx "tlm-$ns" nginx -p "$p" -c "$p/nginx.conf" -e "$p/error.log" 9<&-
}

# Country firewall: closed (RST), silent (DROP), hostile (REDIRECT to
# hostile.py). Rules go longest prefix first, so the most specific host line
# wins, as in plan.pl.
country_rules() { # NS
	local ns=$1 cns cidr kind
	echo "*nat"
	plan hosts | awk -F'\t' -v ns="$ns" '$1 == ns' | while IFS=$'\t' read -r cns cidr kind _; do
		if [ "$kind" = unstable ]; then
			set -- $UNSTABLE_PORTS
			echo "-A PREROUTING -d $cidr -p tcp --dport 443 -m statistic --mode random --probability 0.5 -j REDIRECT --to-ports $1"
			echo "-A PREROUTING -d $cidr -p tcp --dport 443 -j REDIRECT --to-ports $2"
		fi
		[ -n "${HOSTILE_PORT[$kind]:-}" ] || continue
		echo "-A PREROUTING -d $cidr -p tcp --dport 443 -j REDIRECT --to-ports ${HOSTILE_PORT[$kind]}"
	done
	echo "COMMIT"
	echo "*filter"
	plan hosts | awk -F'\t' -v ns="$ns" '$1 == ns { n = split($2, a, "/"); print (n > 1 ? a[2] : 32) "\t" $0 }' |
		sort -t$'\t' -k1,1nr | while IFS=$'\t' read -r _ cns cidr kind _; do
			case $kind in
			closed) echo "-A INPUT -d $cidr -p tcp --dport 443 -j REJECT --reject-with tcp-reset" ;;
			silent) echo "-A INPUT -d $cidr -p tcp --dport 443 -j DROP" ;;
			*) echo "-A INPUT -d $cidr -p tcp --dport 443 -j ACCEPT" ;;
			esac
		done
	echo "COMMIT"
}

# Middlebox: tcp/443 from the core toward its intercepted ranges goes to the
# proxy, except toward addresses that do not complete TLS (their TCP answer
# must stay the origin's).
mbox_rules() { # MBOX
	local m=$1 up=$1-up cns cidr kind
	echo "*nat"
	echo ":TLM_ICPT - [0:0]"
	echo "-A PREROUTING -i $up -p tcp --dport 443 -j TLM_ICPT"
	plan hosts | awk -F'\t' -v m="$m" '$4 == m { n = split($2, a, "/"); print (n > 1 ? a[2] : 32) "\t" $0 }' |
		sort -t$'\t' -k1,1nr | while IFS=$'\t' read -r _ cns cidr kind _; do
			case $kind in
			closed | silent | reject | tarpit | trickle | endless | bigchain | garbage | reset | close)
				echo "-A TLM_ICPT -d $cidr -j RETURN" ;;
			*) echo "-A TLM_ICPT -d $cidr -p tcp -j REDIRECT --to-ports $PROXY_PORT" ;;
			esac
		done
	plan ranges | awk -F'\t' -v m="$m" '$7 == m { print $1 }' | while read -r cidr; do
		echo "-A TLM_ICPT -d $cidr -p tcp -j REDIRECT --to-ports $PROXY_PORT"
	done
	echo "COMMIT"
}

start_mitm() { # MBOX STYLE TARGETS
	local m=$1 d=$LAB_DIR/mitm-$1 re script=()
	[ "$2" != mimic ] || script=(-s "$HERE/mitm_mimic.py")
	mkdir -p "$d"
	cat "$LAB_DIR/pki/ca-$m.pem" "$LAB_DIR/pki/ca-$m.key" >"$d/mitmproxy-ca.pem"
	re="^($(printf '%s\n' $3 | sed 's/\./\\./g' | paste -sd'|'))(:443)?\$"
	echo "$re" >"$d/allow-hosts.re"
	# ip netns exec directly (not the nsx function): $! is then mitmdump itself
	ip netns exec "tlm-$m" setsid mitmdump --mode transparent --listen-host 0.0.0.0 --listen-port $PROXY_PORT \
		--set confdir="$d" --allow-hosts "$re" --ssl-insecure \
		--set termlog_verbosity=warn --set flow_detail=0 "${script[@]}" >"$d/mitmdump.log" 2>&1 </dev/null 9<&- &
	echo $! >"$LAB_DIR/run/mitm-$m.pid"
}

start_hostile() { # NS
	local ns=$1 specs=() k
	for k in $(plan hosts | awk -F'\t' -v ns="$ns" '$1 == ns { print $3 }' | sort -u); do
		[ -z "${HOSTILE_PORT[$k]:-}" ] || specs+=("$k:${HOSTILE_PORT[$k]}")
	done
	[ ${#specs[@]} -gt 0 ] || return 0
	ip netns exec "tlm-$ns" setsid "$PY" "$HERE/hostile.py" "$LAB_DIR/pki/hostile-filler.der" "${specs[@]}" \
		>"$LAB_DIR/run/hostile-$ns.log" 2>&1 </dev/null 9<&- &
	echo $! >"$LAB_DIR/run/hostile-$ns.pid"
	echo "${specs[*]}" >"$LAB_DIR/run/hostile-$ns.ports"
}

wait_listen() { # NS PORT
	local i
	for ((i = 0; i < T * 10; i++)); do
		nsx "$1" ss -ltnH "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	die "nothing listens on port $2 in $1 after ${T}s"
}

# --- files for the scanner and the tests -------------------------------------

write_outputs() {
	local m label subj style targets issuer ca cc src
	{
		# share/interceptors.tsv's format (docs/interceptors.md): one line per
		# way a forging CA can be recognised, all four for each lab CA
		printf '# kind\tvalue\tlabel\tname\tcountry\tfirst_seen\tlast_seen\tverified\tsources\tnote\n'
		printf 'version\tlab\t%s\n' "$(date -u +%F)"
		while IFS=$'\t' read -r m label subj style targets; do
			ca=$LAB_DIR/pki/ca-$m.pem
			issuer=$(openssl x509 -in "$ca" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
			cc=$(sed -n 's|.*/C=\([A-Z][A-Z]\)/.*|\1|p' <<<"$subj/")
			src="tlsmap lab middlebox tlm-$m (tests/lab/plan.tsv)"
			printf '%s\t%s\t%s\tLab middlebox tlm-%s\t%s\t\t\tyes\t%s\t\n' \
				cert_sha256 "$(openssl x509 -in "$ca" -outform DER | sha256sum | cut -d' ' -f1)" \
				"$label" "$m" "$cc" "$src" \
				spki_sha256 "$(openssl x509 -in "$ca" -noout -pubkey | openssl pkey -pubin -outform DER |
					sha256sum | cut -d' ' -f1)" "$label" "$m" "$cc" "$src" \
				ski "$(openssl x509 -in "$ca" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' |
					tr A-F a-f)" "$label" "$m" "$cc" "$src" \
				issuer "$issuer" "$label" "$m" "$cc" "$src"
		done < <(plan middleboxes)
	} >"$LAB_DIR/interceptors.tsv"
	plan targets >"$LAB_DIR/targets.txt"
	# What the topology implies for path localisation, per country:
	# the server's hop distance from the scanner and the router before it, the
	# middlebox's hop and the router before it ("-" without one). A router
	# answers from the address of its interface toward the scanner: tlm-r2's
	# is 198.19.200.2, a middlebox's the one tlm-r2 routes to (R2_NEXTHOP).
	# Every such router geolocates as ROUTERS_GEO (router_cc, router_asn).
	{
		local cns rcc rasn
		rcc=$(cut -f2 <<<"$ROUTERS_GEO") rasn=$(cut -f4 <<<"$ROUTERS_GEO")
		printf 'country\tserver_hop\tbefore_server\tmbox_hop\tbefore_mbox\trouter_cc\trouter_asn\n'
		for cns in $COUNTRIES; do
			if [ -n "${MBOX_OF[$cns]:-}" ]; then
				printf '%s\t4\t%s\t3\t198.19.200.2\t%s\t%s\n' "${cns^^}" "${R2_NEXTHOP[$cns]}" "$rcc" "$rasn"
			else
				printf '%s\t3\t198.19.200.2\t-\t-\t%s\t%s\n' "${cns^^}" "$rcc" "$rasn"
			fi
		done
	} >"$LAB_DIR/hops.tsv"
	plan truth "$SNI_FILE" "$LAB_DIR/interceptors.tsv" >"$LAB_DIR/truth.tsv.tmp"
	mv "$LAB_DIR/truth.tsv.tmp" "$LAB_DIR/truth.tsv"
	{ plan ranges; printf '%s\n' "$ROUTERS_GEO"; } | perl "$HERE/geo.pl" "$LAB_DIR/geo"
	cat >"$LAB_DIR/lab.env" <<EOF
# tlsmap lab (tests/lab/lab.sh), for: source $LAB_DIR/lab.env
LAB_DIR='$LAB_DIR'
SCAN_NS='$SCAN_NS'
SCAN_IFACE='$SCAN_IFACE'
SOURCE_IP='$SOURCE_IP'
GATEWAY_IP='$GATEWAY_IP'
REF_NS='$REF_NS'
ROOTS='$LAB_DIR/pki/roots.pem'
GEO_DB='$LAB_DIR/geo/country.mmdb'
ASN_DB='$LAB_DIR/geo/asn.mmdb'
INTERCEPTORS='$LAB_DIR/interceptors.tsv'
TARGETS_FILE='$LAB_DIR/targets.txt'
TRUTH='$LAB_DIR/truth.tsv'
HOPS='$LAB_DIR/hops.tsv'
SNI_FILE='$SNI_FILE'
EOF
}

# --- commands ----------------------------------------------------------------

healthy() {
	[ -f "$LAB_DIR/up.ok" ] || return 1
	local ns f
	for ns in $NSS; do ns_exists "$ns" || return 1; done
	for f in "$LAB_DIR"/nginx-*/nginx.pid "$LAB_DIR"/run/*.pid; do
		[ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null || return 1
	done
	return 0
}

UP_OK=0
up_exit() {
	[ "$UP_OK" = 1 ] && return 0
	log "up failed; tearing down what was built"
	do_down force >/dev/null 2>&1 || true
	exit 1
}

do_up() {
	[ "$(id -u)" = 0 ] || die "must run as root"
	if healthy; then
		hold
		log "already up (LAB_DIR=$LAB_DIR)"
		return 0
	fi
	do_down force >/dev/null 2>&1 || true
	local t0=$SECONDS
	trap up_exit EXIT
	mkdir -p "$LAB_DIR/run"
	# the PKI (CPU) and the network (mostly netlink round trips) at the same time
	mk_pki &
	local pki_pid=$!
	mk_net
	log "namespaces and routes ready ($((SECONDS - t0)) s)"
	wait $pki_pid || die "PKI generation failed"
	log "PKI ready ($((SECONDS - t0)) s)"
	local m label subj style targets ns k
	for ns in $COUNTRIES; do
		country_rules "$ns" | nsx "tlm-$ns" iptables-restore
		start_nginx "$ns"
		start_hostile "$ns"
	done
	while IFS=$'\t' read -r m label subj style targets; do
		mbox_rules "$m" | nsx "tlm-$m" iptables-restore
		start_mitm "$m" "$style" "$targets"
	done < <(plan middleboxes)
	write_outputs
	for ns in $COUNTRIES; do
		wait_listen "tlm-$ns" 443
		[ ! -f "$LAB_DIR/run/hostile-$ns.ports" ] ||
			for k in $(cat "$LAB_DIR/run/hostile-$ns.ports"); do wait_listen "tlm-$ns" "${k#*:}"; done
	done
	for m in mkz mru; do wait_listen "tlm-$m" $PROXY_PORT; done
	touch "$LAB_DIR/up.ok"
	hold
	UP_OK=1
	trap - EXIT
	log "up in $((SECONDS - t0)) s: $(($(wc -l <"$LAB_DIR/truth.tsv") - 1)) truth lines; source $LAB_DIR/lab.env"
}

alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# kill_ours PID...: TERM, then KILL after 3 s, only processes that live in one
# of the lab's namespaces or were started with LAB_DIR on their command line
# (a stale pid file cannot hit anything else).
kill_ours() {
	local pids=() p i
	for p in "$@"; do
		[[ $p =~ ^[0-9]+$ ]] && alive "$p" || continue
		[[ $(ip netns identify "$p" 2>/dev/null) == tlm-* ]] ||
			tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$LAB_DIR" || continue
		pids+=("$p")
	done
	[ ${#pids[@]} -gt 0 ] || return 0
	kill "${pids[@]}" 2>/dev/null || true
	for ((i = 0; i < 30; i++)); do
		for p in "${pids[@]}"; do alive "$p" && break; done
		alive "$p" || return 0
		sleep 0.1
	done
	kill -9 "${pids[@]}" 2>/dev/null || true
}

# Holders: the lab is shared by test scripts that run at the same time. The
# caller of "up" or of "status" (on a lab that is up) - the script that will use
# the lab - is recorded as a holder, by its pid; "down" drops the caller's hold
# and leaves the lab up while another holder is still alive (a dead holder
# does not count). "down --force" removes it regardless.
hold() {
	mkdir -p "$LAB_DIR/holders"
	[ "$PPID" -le 1 ] || : >"$LAB_DIR/holders/$PPID"
}
other_holders() { # live holders that are not this process or one of its ancestors
	local f p me=" " a=$$
	while [ "${a:-0}" -gt 1 ]; do
		me+="$a "
		a=$(awk '{print $4}' "/proc/$a/stat" 2>/dev/null)
	done
	for f in "$LAB_DIR"/holders/*; do
		[ -e "$f" ] || continue
		p=${f##*/}
		if [[ $me != *" $p "* ]] && kill -0 "$p" 2>/dev/null; then echo "$p"; else rm -f "$f"; fi
	done
}

do_down() { # [force]
	local f ns pids=() l others
	if [ "${1:-}" != force ] && ns_exists tlm-r1; then
		others=$(other_holders | paste -sd' ')
		if [ -n "$others" ]; then
			log "down: lab kept, still held by pid $others (lab.sh down --force removes it anyway)"
			return 0
		fi
	fi
	for f in "$LAB_DIR"/nginx-*/nginx.pid "$LAB_DIR"/run/*.pid; do
		[ -s "$f" ] && pids+=("$(cat "$f")")
	done
	[ ${#pids[@]} -eq 0 ] || kill_ours "${pids[@]}"
	for ns in $NSS; do
		ns_exists "$ns" || continue
		# anything else still running in there (nginx workers, a scanner, ...)
		mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
		[ ${#pids[@]} -eq 0 ] || kill_ours "${pids[@]}"
		ip netns del "$ns" 2>/dev/null || true
	done
	# links only ever live inside the namespaces; sweep the root one anyway
	for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^tlm-' || true); do
		ip link del "$l" 2>/dev/null || true
	done
	rm -rf "$LAB_DIR"
	for ns in $NSS; do ! ns_exists "$ns" || die "namespace $ns still exists"; done
	log "down: no namespace, process or file of the lab left"
}

do_status() {
	# built first and written at once: "lab.sh status | grep -q" must not
	# SIGPIPE the script between two lines
	local ns n=0 out rc=0 loss
	for ns in $NSS; do ns_exists "$ns" && n=$((n + 1)); done
	out="LAB_DIR=$LAB_DIR"$'\n'"namespaces: $n of $(wc -w <<<"$NSS") present"$'\n'
	if healthy; then
		hold
		out+="state: up"$'\n'
		out+="truth: $LAB_DIR/truth.tsv ($(($(wc -l <"$LAB_DIR/truth.tsv") - 1)) lines)"$'\n'
		out+="env: source $LAB_DIR/lab.env"$'\n'
		loss=$(nsx tlm-r2 iptables -S FORWARD | grep -- tlm-drop | grep -o 'probability [0-9.]*' || true)
		[ -z "$loss" ] || out+="packet loss in tlm-r2: $loss"$'\n'
	elif [ "$n" = 0 ]; then
		out+="state: down"$'\n'
		rc=3
	else
		out+="state: broken (run: $0 down)"$'\n'
		rc=3
	fi
	printf '%s' "$out"
	return $rc
}

do_drop() { # PERCENT
	[[ ${1:-} =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "usage: lab.sh drop PERCENT"
	ns_exists tlm-r2 || die "lab is not up"
	do_undrop
	local p
	p=$(awk -v x="$1" 'BEGIN { if (x > 100) x = 100; printf "%.4f", x / 100 }')
	nsx tlm-r2 iptables -A FORWARD -p tcp -m statistic --mode random --probability "$p" \
		-m comment --comment tlm-drop -j DROP
	log "tlm-r2 drops ${1}% of forwarded TCP packets (probability $p)"
}

do_undrop() {
	ns_exists tlm-r2 || return 0
	local rule
	while rule=$(nsx tlm-r2 iptables -S FORWARD | grep -m1 -- '--comment tlm-drop'); do
		eval "nsx tlm-r2 iptables ${rule/-A /-D }"
	done
}

# Middlebox NAME stops or resumes intercepting: the jump from PREROUTING to
# its TLM_ICPT chain goes or comes back; mitmdump keeps running.
do_middlebox() { # off|on NAME
	local m=${2:-} rule
	[[ ${1:-} == on || ${1:-} == off ]] && [ -n "${MBOX_DOWN[$m]:-}" ] ||
		die "usage: lab.sh middlebox off|on ${!MBOX_DOWN[*]}"
	ns_exists "tlm-$m" || die "lab is not up"
	rule=(PREROUTING -i "$m-up" -p tcp --dport 443 -j TLM_ICPT)
	if [ "$1" = off ]; then
		while nsx "tlm-$m" iptables -t nat -C "${rule[@]}" 2>/dev/null; do
			nsx "tlm-$m" iptables -t nat -D "${rule[@]}"
		done
	elif ! nsx "tlm-$m" iptables -t nat -C "${rule[@]}" 2>/dev/null; then
		nsx "tlm-$m" iptables -t nat -A "${rule[@]}"
	fi
	log "middlebox $m: interception $1"
}

# DPDK net_af_packet on the scanner's veth: 2 s of txonly; r1 must count the frames
do_dpdk_check() {
	ns_exists tlm-scan || die "lab is not up"
	local before after
	before=$(nsx tlm-r1 cat /sys/class/net/r1-scan/statistics/rx_packets)
	timeout 20 ip netns exec tlm-scan dpdk-testpmd --no-huge -m 256 --file-prefix tlm-labchk --no-pci \
		--vdev=net_af_packet0,iface=tlm-scan0 -l 0-1 -- --total-num-mbufs=8192 --forward-mode=txonly --stats-period 1 \
		</dev/null >"${LAB_DIR}/run/dpdk-check.log" 2>&1 &
	local pid=$!
	sleep 4
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" || true
	after=$(nsx tlm-r1 cat /sys/class/net/r1-scan/statistics/rx_packets)
	log "dpdk-testpmd txonly on tlm-scan0: r1-scan received $((after - before)) frames"
	[ $((after - before)) -gt 1000 ]
}

# One lab command at a time (several test scripts share the lab): the lock is
# this script file itself, so no lock file is left behind. The servers are
# started with fd 9 closed so that they do not hold it.
lock() {
	exec 9<"${BASH_SOURCE[0]}"
	flock -w 120 9 || die "another lab.sh has held the lock for 120 s"
}

case ${1:-} in
up) lock; do_up ;;
down)
	lock
	if [ "${2:-}" = --force ]; then do_down force; else do_down; fi
	;;
status) lock; do_status ;;
drop) lock; do_drop "${2:-}" ;;
undrop) lock; do_undrop; log "packet loss off" ;;
dpdk-check) do_dpdk_check ;;
middlebox) lock; do_middlebox "${2:-}" "${3:-}" ;;
*)
	echo "usage: [LAB_DIR=/tmp/tlsmap-lab] $0 up|down [--force]|status|drop PERCENT|undrop|dpdk-check|middlebox off|on NAME" >&2
	exit 2
	;;
esac

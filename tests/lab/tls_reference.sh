#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tls_reference.sh - for one address of every chain kind in every range (RSA
# and ECDSA, Ed25519, chains of 1 to 5, TLS 1.2-only and 1.3-only, SNI-
# dependent hosts, intercepted and not), and for the control SNI and a set
# of test SNIs (forged by a middlebox, served by the host, passed through),
# the chain tlsmap captured is byte-identical to what
# `openssl s_client -showcerts -servername SNI` receives from the lab's
# reference namespace on the same path.
source "$(dirname "$0")/tls_common.sh"

CONTROL=ctl-reference.example-nx-7f3a.com
SNIS=(facebook.com mail.ru vk.com twitter.com ok.ru dns.google.com)
# one address per (range, kind) with a chain
# (not the unstable kind: its chain changes from one connection to the next)
awk -F'\t' 'NR > 1 && $3 == "@control" && $4 == "HOST_OWN_CERT" && $8 != "unstable" {
	split($1, o, "."); k = o[1] "." o[2] "." o[3] "/" $8; if (!(k in seen)) { seen[k] = 1; print $1 } }' \
	"$TRUTH" >"$TMP/ips"
echo "$(wc -l <"$TMP/ips") addresses, $((${#SNIS[@]} + 1)) SNIs each"
args=()
for s in "${SNIS[@]}"; do args+=(--sni "$s"); done
TLS_NO_SNI_FILE=1 tls_scan "$TMP/r.tlsmap" -w "$TMP/ips" --control-sni "$CONTROL" "${args[@]}" \
	--max-connections 64 -r 500 >"$TMP/scan.log" 2>&1 || { tail -5 "$TMP/scan.log"; echo "FAIL scan"; exit 1; }
"$TLSMAP_BIN" dump "$TMP/r.tlsmap" --type probe >"$TMP/p.jsonl" || { echo "FAIL dump"; exit 1; }

# reference chain of (ip, sni): base64 SHA-256 of each DER, in order, space separated
ref_chain() { # ip sni outfile
	local d
	d=$(mktemp -d "$TMP/ref.XXXXXX")
	ip netns exec "$REF_NS" timeout 15 openssl s_client -connect "$1:443" -servername "$2" \
		-showcerts </dev/null 2>/dev/null |
		awk -v d="$d" '/-----BEGIN CERTIFICATE-----/ { n++; f = sprintf("%s/%03d.pem", d, n); in_ = 1 }
			in_ { print > f } /-----END CERTIFICATE-----/ { in_ = 0; close(f) }'
	local out="" f
	for f in "$d"/*.pem; do
		[ -e "$f" ] || continue
		out+="$(openssl x509 -in "$f" -outform DER | openssl dgst -sha256 -binary | base64) "
	done
	rm -rf "$d"
	echo "${out% }" >"$3"
}
export -f ref_chain
export TMP REF_NS

mkdir -p "$TMP/want"
while read -r ip; do
	for sni in "$CONTROL" "${SNIS[@]}"; do echo "$ip $sni"; done
done <"$TMP/ips" >"$TMP/pairs"
# 6 reference clients at a time
xargs -P 6 -L 1 bash -c 'ref_chain "$0" "$1" "$TMP/want/$0_$1"' <"$TMP/pairs"

fail=0 checked=0
while read -r ip sni; do
	got=$(jq -r --arg ip "$ip" --arg s "$sni" \
		'select(.ipText == $ip and .probe.sni == $s) | (.probe.chain // []) | join(" ")' "$TMP/p.jsonl")
	want=$(cat "$TMP/want/${ip}_$sni" 2>/dev/null)
	checked=$((checked + 1))
	if [ -z "$want" ] || [ "$got" != "$want" ]; then
		echo "FAIL $ip $sni: tlsmap [$got] openssl [$want]"
		fail=$((fail + 1))
	fi
done <"$TMP/pairs"
echo "$checked (address, SNI) pairs checked, $fail differ"
[ $fail = 0 ] && echo "PASS chains byte-identical to openssl s_client" || exit 1

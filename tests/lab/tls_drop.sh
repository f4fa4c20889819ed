#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tls_drop.sh - with 5% of the forwarded TCP packets dropped on the lab path
# (tests/lab/lab.sh drop 5, in the core router), every chain is still
# captured: for one address of every (range, kind) with a chain and a set of
# SNIs, each probe ends with TLS_CERTIFICATE and the verdict of the ground
# truth. Retransmission of SYN and ClientHello, out-of-order reassembly and
# duplicate handling are what make this pass.
source "$(dirname "$0")/tls_common.sh"

awk -F'\t' 'NR > 1 && $3 == "@control" && $4 == "HOST_OWN_CERT" {
	split($1, o, "."); k = o[1] "." o[2] "." o[3] "/" $8; if (!(k in seen)) { seen[k] = 1; print $1 } }' \
	"$TRUTH" >"$TMP/ips"
SNIS=(facebook.com mail.ru vk.com twitter.com ok.ru google.com)
args=()
for s in "${SNIS[@]}"; do args+=(--sni "$s"); done
# shellcheck disable=SC2034 # read by tls_common.sh
TLS_CLEANUP_EXTRA='"$HERE/lab.sh" undrop >/dev/null 2>&1'
"$HERE/lab.sh" drop 5 || { echo "FAIL lab.sh drop 5"; exit 1; }
TLS_PROBES=4 TLS_NO_SNI_FILE=1 tls_scan "$TMP/d.tlsmap" -w "$TMP/ips" "${args[@]}" --max-connections 64 -r 500 \
	--read-timeout 20 >"$TMP/scan.log" 2>&1 || { tail -5 "$TMP/scan.log"; echo "FAIL scan"; exit 1; }
"$HERE/lab.sh" undrop >/dev/null 2>&1
tail -3 "$TMP/scan.log"
"$TLSMAP_BIN" dump "$TMP/d.tlsmap" --type probe >"$TMP/p.jsonl" || { echo "FAIL dump"; exit 1; }
"$TLSMAP_BIN" dump "$TMP/d.tlsmap" --type cert >"$TMP/c.jsonl" || { echo "FAIL dump"; exit 1; }
# the second control probe is not one of the (host, SNI) probes counted here
total=$(jq -c 'select(.probe.secondControl | not)' "$TMP/p.jsonl" | wc -l)
want=$(($(wc -l <"$TMP/ips") * (${#SNIS[@]} + 1)))
nocert=$(jq -r 'select(.probe.tls != "TLS_CERTIFICATE") | "\(.ipText) \(.probe.sni) \(.probe.tcp) \(.probe.tls)"' "$TMP/p.jsonl")
retx=$(jq -s 'map(.probe.retransmits // 0) | add' "$TMP/p.jsonl")
# The sweep is stateless: a host whose SYNs or SYN-ACKs are all lost is never
# opened. -P 4 (four SYNs per target, ZMap's --probes) makes that about
# 1 in 10,000 per host at 5% loss each way, so a missed host fails the test.
jq -r 'select(.probe.isControl) | .ipText' "$TMP/p.jsonl" | sort -u >"$TMP/found"
missed=$(sort "$TMP/ips" | comm -23 - "$TMP/found" | wc -l)
echo "probes=$total expected=$want retransmits=$retx sweep_missed_hosts=$missed"
fail=0
[ "$missed" = 0 ] || { echo "FAIL the sweep missed $missed hosts despite -P 4"; fail=1; }
[ "$total" = $(($(wc -l <"$TMP/found") * (${#SNIS[@]} + 1))) ] ||
	{ echo "FAIL $total probes for $(wc -l <"$TMP/found") hosts"; fail=1; }
if [ -n "$nocert" ]; then echo "FAIL probes without a chain:"; echo "$nocert" | head -20; fail=1; fi
# verdicts against the truth, for the hosts found and these SNIs
{ head -1 "$TRUTH"; awk -F'\t' -v snis="@control ${SNIS[*]}" 'BEGIN { n = split(snis, a, " "); for (i = 1; i <= n; i++) w[a[i]] = 1 }
	NR == FNR { ip[$1] = 1; next } ($1 in ip) && ($3 in w)' "$TMP/found" "$TRUTH"; } >"$TMP/truth"
python3 "$HERE/tls_truth_compare.py" "$TMP/truth" "$TMP/p.jsonl" "$TMP/c.jsonl" | tail -15 || fail=1
[ "$retx" -gt 0 ] || { echo "FAIL no retransmission at 5% loss?"; fail=1; }
[ $fail = 0 ] && echo "PASS every chain captured at 5% loss"
exit $fail

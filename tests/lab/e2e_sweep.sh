#!/bin/bash
# SPDX-License-Identifier: MIT
#
# e2e_sweep.sh - `tlsmap sweep` run twice over a slice of the lab
# (one config file, two dates) with middlebox mkz turned off between the
# runs, then `tlsmap diff` of the two datasets.
#   sweep: two dated directories, each with the dataset, the summary CSVs
#     (equal to `tlsmap summary`) and the report; series.csv with both runs'
#     rows (KZ intercepted in the first, not in the second; RU in both);
#     latest -> the second run; the second run's report has a timeline per
#     country with the KZ networks that stopped being intercepted (the first
#     run's report, alone in the root, has none).
#   diff: the networks that stopped being intercepted are exactly those the
#     lab plan routes through mkz, the hosts that stopped are exactly the
#     first run's intercepted hosts there, nothing started, mkz's issuer
#     vanished, and its forged domains are no longer forged.
#
#   tests/lab/e2e_sweep.sh [TLSMAP_BIN]   (root; under /tmp/tlsmap-lab.lock)
source "$(dirname "$0")/tls_common.sh"
MBOX=mkz
# shellcheck disable=SC2034 # read by tls_common.sh
TLS_CLEANUP_EXTRA='"$HERE/lab.sh" middlebox on $MBOX >/dev/null 2>&1'
trap 'exit 1' INT TERM HUP PIPE # a signal would skip the EXIT trap's cleanup
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
start=$SECONDS

# the sweep's config: the lab's scan options as key = value (tlsmap scan -C)
printf '%s\n' 198.18.0.0/26 198.18.1.0/27 198.18.8.0/27 198.18.20.0/27 >"$TMP/targets"
cat >"$TMP/lab.conf" <<EOF
# e2e_sweep: a slice of the lab
sweep.name = lab
iface = $SCAN_IFACE
source-ip = $SOURCE_IP
gateway-ip = $GATEWAY_IP
allow-reserved
target-ports = 443
allowlist-file = $TMP/targets
roots = $ROOTS
interceptors = $INTERCEPTORS
geo-db = $GEO_DB
asn-db = $ASN_DB
eligible = any
probes = 2
seed = 7
control-sni = control-e2e-sweep.example
sni = facebook.com
sni = vk.com
sni = mail.ru
sni = twitter.com
rate = 2000
max-connections = 128
read-timeout = 20
vantage = e2e-sweep
EOF
R=$TMP/root
D1=2026-01-05 D2=2026-01-12T063000Z
sweep() { timeout 600 ip netns exec "$SCAN_NS" "$TLSMAP_BIN" sweep -C "$TMP/lab.conf" --root "$R" --date "$1"; }
sweep $D1 || { tail -5 "$R/.partial-$D1/scan.log" 2>/dev/null; echo "FAIL first sweep"; exit 1; }
"$HERE/lab.sh" middlebox off $MBOX >/dev/null || { echo "FAIL lab.sh middlebox off $MBOX"; exit 1; }
sweep $D2 || { tail -5 "$R/.partial-$D2/scan.log" 2>/dev/null; echo "FAIL second sweep"; exit 1; }
"$HERE/lab.sh" middlebox on $MBOX >/dev/null || bad "lab.sh middlebox on $MBOX"
echo "two sweeps: $((SECONDS - start)) s"

# --- sweep ---
for d in $D1 $D2; do
	for f in scan.tlsmap summary-country.csv summary-asn.csv summary-issuer.csv report.html; do
		[ -s "$R/$d/$f" ] || bad "$d/$f missing"
	done
	"$TLSMAP_BIN" summary --by country --csv "$R/$d/scan.tlsmap" | cmp -s - "$R/$d/summary-country.csv" &&
		ok "$d/summary-country.csv = tlsmap summary" || bad "$d/summary-country.csv differs"
done
[ "$(readlink "$R/latest")" = $D2 ] && ok "latest -> $D2" || bad "latest -> $(readlink "$R/latest")"
# series.csv columns: date,sweep,country,country,asn,as_org,hosts,hosts_tls,hosts_intercepted,rate,...
icpt() { awk -F, -v d="$1" -v c="$2" '$1 == d && $3 == c { print $9 }' "$R/series.csv"; }
head -1 "$R/series.csv" | grep -q '^date,sweep,country,.*hosts_tls,hosts_intercepted,rate,ci_low,ci_high,forging_issuers' &&
	ok "series.csv header" || bad "series.csv header: $(head -1 "$R/series.csv")"
[ "$(cut -d, -f1 "$R/series.csv" | sort -u | grep -c '^2026')" = 2 ] && ok "series.csv has both dates" || bad "series.csv dates"
k1=$(icpt $D1 KZ) k2=$(icpt $D2 KZ) r1=$(icpt $D1 RU) r2=$(icpt $D2 RU)
[ "${k1:-0}" -gt 0 ] && [ "$k2" = 0 ] && ok "series.csv: KZ intercepted $k1 -> $k2" || bad "series.csv KZ: '$k1' -> '$k2'"
[ "${r1:-0}" -gt 0 ] && [ "$r1" = "$r2" ] && ok "series.csv: RU intercepted $r1 -> $r2" || bad "series.csv RU: '$r1' -> '$r2'"
rep=$R/$D2/report.html
grep -q '<section id="timeline">' "$rep" && grep -q '<h3>[^<]*KZ[^<]*</h3>' "$rep" && grep -q '<li>Networks where interception stopped: AS' "$rep" &&
	ok "$D2/report.html: timeline, KZ networks that stopped" || bad "$D2/report.html has no timeline with the KZ change"
! grep -q '<section id="timeline">' "$R/$D1/report.html" && ok "$D1/report.html: one run, no timeline" || bad "timeline in the first report"

# --- diff ---
"$TLSMAP_BIN" diff --csv "$R/$D1/scan.tlsmap" "$R/$D2/scan.tlsmap" >"$TMP/diff.csv" || { echo "FAIL tlsmap diff"; exit 1; }
"$TLSMAP_BIN" diff "$R/$D1/scan.tlsmap" "$R/$D2/scan.tlsmap" | head -30
rows() { awk -F, -v c="$1" -v k="$2" 'NR > 1 && $1 == c && $2 == k { print $3 }' "$TMP/diff.csv" | sort; }
# expected networks: the lab plan's ranges behind the middlebox, as "CC ASN"
want_nets=$(awk -F'\t' -v m=$MBOX '$1 == "range" && $8 == m { print $3 " " $5 }' "$HERE/plan.tsv" | sort -u)
[ -n "$want_nets" ] && [ "$(rows stopped network)" = "$want_nets" ] &&
	ok "networks that stopped: exactly $(echo $want_nets)" || bad "networks stopped: '$(rows stopped network | tr '\n' ' ')', want '$want_nets'"
want_hosts=$("$TLSMAP_BIN" dump "$R/$D1/scan.tlsmap" --type probe |
	jq -r 'select(.probe.verdict == "VERDICT_INTERCEPTED" and .probe.country == "KZ") | .ipText' | sort -u)
[ -n "$want_hosts" ] && [ "$(rows stopped host)" = "$want_hosts" ] &&
	ok "hosts that stopped: the $(wc -l <<<"$want_hosts") KZ hosts intercepted before" || bad "hosts stopped differ"
[ -z "$(rows started network)$(rows started host)$(rows new issuer)$(rows new domain)" ] &&
	ok "nothing started, no new issuer or domain" || bad "unexpected starts: $(grep -E '^(started|new),' "$TMP/diff.csv" | head -5)"
issuer=$(awk -F'\t' -v m=$MBOX '$1 == "middlebox" && $2 == m { print $4 }' "$HERE/plan.tsv" | sed 's/.*CN=//')
[ "$(rows vanished issuer)" = "$issuer" ] && ok "vanished issuer: $issuer" || bad "vanished issuers: '$(rows vanished issuer)', want '$issuer'"
forged=$(awk -F'\t' -v m=$MBOX '$1 == "middlebox" && $2 == m { print $6 }' "$HERE/plan.tsv" | tr ' ' '\n' |
	grep -xE 'facebook.com|vk.com|mail.ru|twitter.com' | sort)
[ "$(rows vanished domain)" = "$forged" ] && ok "domains no longer forged: $(echo $forged)" || bad "vanished domains: '$(rows vanished domain | tr '\n' ' ')', want '$(echo $forged)'"
"$TLSMAP_BIN" diff --csv "$R/$D1/scan.tlsmap" "$R/$D1/scan.tlsmap" | awk 'END { exit NR != 1 }' &&
	ok "diff of a scan with itself: no change" || bad "self-diff not empty"
echo "e2e_sweep took $((SECONDS - start)) s"
[ $fail = 0 ] && echo "PASS e2e_sweep" || echo "FAIL e2e_sweep"
exit $fail

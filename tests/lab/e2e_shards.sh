#!/bin/bash
# SPDX-License-Identifier: MIT
#
# e2e_shards.sh - a scan split into two shards (same seed) and
# joined with `tlsmap merge` equals the unsharded scan of the same lab
# ranges: the same probes with the same verdicts and chains, and the same
# summary for every grouping. Uses a slice of the lab (one intercepted and
# one clean range, a few SNIs) so it stays short.
source "$(dirname "$0")/tls_common.sh"

RANGES=(198.18.0.0/26 198.18.8.0/27 198.18.20.0/26)
# shellcheck disable=SC2034 # read by tls_common.sh
TLS_NO_SNI_FILE=1
common=(--seed 7 --control-sni control-e2e-shards.example --sni facebook.com --sni vk.com
	--sni mail.ru --sni twitter.com -r 2000 --max-connections 128 --read-timeout 20 "${RANGES[@]}")
fail=0
tls_scan "$TMP/single.tlsmap" "${common[@]}" >"$TMP/single.log" 2>&1 || { tail -5 "$TMP/single.log"; echo "FAIL single scan"; exit 1; }
for i in 0 1; do
	tls_scan "$TMP/shard$i.tlsmap" "${common[@]}" --shards 2 --shard $i >"$TMP/shard$i.log" 2>&1 ||
		{ tail -5 "$TMP/shard$i.log"; echo "FAIL shard $i scan"; exit 1; }
done
"$TLSMAP_BIN" merge -o "$TMP/merged.tlsmap" "$TMP/shard0.tlsmap" "$TMP/shard1.tlsmap" || { echo "FAIL merge"; exit 1; }

tls_probes_tsv "$TMP/single.tlsmap" >"$TMP/single.tsv"
tls_probes_tsv "$TMP/merged.tlsmap" >"$TMP/merged.tsv"
n=$(wc -l <"$TMP/single.tsv")
if [ "$n" -lt 100 ]; then echo "FAIL only $n probes in the single scan"; fail=1; fi
if cmp -s "$TMP/single.tsv" "$TMP/merged.tsv"; then
	echo "ok: merged shards have the same $n probes, verdicts and chains as the single scan"
else
	echo "FAIL: merged shards differ from the single scan:"; diff "$TMP/single.tsv" "$TMP/merged.tsv" | head -20; fail=1
fi
for by in country asn issuer sni; do
	if diff <("$TLSMAP_BIN" summary --csv --by $by "$TMP/single.tlsmap") \
		<("$TLSMAP_BIN" summary --csv --by $by "$TMP/merged.tlsmap") >"$TMP/d.txt"; then
		echo "ok: summary --by $by equal"
	else
		echo "FAIL: summary --by $by differs:"; head -10 "$TMP/d.txt"; fail=1
	fi
done
"$TLSMAP_BIN" summary --by country "$TMP/merged.tlsmap"
exit $fail

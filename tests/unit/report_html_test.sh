#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap report: the page has every section, the figures of the synthetic
# lab, the dataset's SHA-256, and nothing that would fetch from the network
# (no script or link elements, no http(s) in src/href/url()). Without map
# data the page still renders, with a note in place of the map.
set -u
# shellcheck source=tests/unit/test.sh
source "$(dirname "$0")/test.sh"

"$GEN" "$T/lab.tlsmap" || { echo "FAIL: generator"; exit 1; }
# A tiny map file in the scripts/world-topo format, so the test does not
# depend on the bootstrap having run.
cat > "$T/map.tsv" <<'MAP'
# test map
viewBox	0 0 100 50
outline	M0 0l100 0l0 50l-100 0z
KZ	Kazakhstan	M60 10l10 0l0 5l-10 0z
DE	Germany	M45 10l3 0l0 3l-3 0z
US	United States of America	M10 10l15 0l0 8l-15 0z
FR	France	M42 12l3 0l0 3l-3 0z
MAP
"$BIN" report --map "$T/map.tsv" -o "$T/r.html" "$T/lab.tlsmap" 2>"$T/err" && ok "report written" || { bad "report: $(cat "$T/err")"; exit 1; }
H="$T/r.html"
for id in map countries issuers asns path method data; do
	grep -q "<section id=\"$id\">" "$H" && ok "section $id" || bad "section $id missing"
done
grep -q '<td>198.19.200.2</td><td>.*KZ.*</td><td>AS9198</td><td class="n">8</td>' "$H" && ok "where on the path: the router before the KZ interceptor" || bad "path row"
grep -q '<code>served-by-host</code>: the other certificate comes from the server itself' "$H" && ok "reasons in plain words" || bad "path reasons"
grep -q '<svg class="map"' "$H" && ok "inline SVG map" || bad "no svg"
grep -q '<path fill="#990000" d="M60 10' "$H" && ok "KZ coloured as over 50%" || bad "KZ colour"
grep -q '<path fill="#cfe8d5" d="M45 10' "$H" && ok "DE coloured as 0%" || bad "DE colour"
grep -q '<path fill="#e3e3e3" d="M42 12' "$H" && ok "FR not measured" || bad "FR colour"
grep -q 'Measured but too small for this map: RU' "$H" && ok "RU (absent from map) listed" || bad "RU note"
grep -q '<td>Kazakhstan (KZ)</td><td class="n">12</td><td class="n">11</td><td class="n">8</td><td class="n">72.7%' "$H" && ok "KZ row" || bad "KZ row"
grep -q 'Qaznet Trust Network</td><td class="n">8</td><td>Kazakhstan (KZ) (8)</td><td>www.facebook.com (8), www.google.com (8)' "$H" && ok "issuer row with domains" || bad "issuer row"
grep -q 'AS9198 JSC Kazakhtelecom' "$H" && ok "ASN breakdown" || bad "ASN"
! grep -q 'AS3320' "$H" && ok "unaffected country's ASNs left out" || bad "DE ASN listed"
sha=$(sha256sum "$T/lab.tlsmap" | cut -d' ' -f1)
grep -q "$sha" "$H" && ok "dataset SHA-256 shown" || bad "sha256 missing"
grep -q 'name="viewport"' "$H" && ok "viewport meta (phones)" || bad "viewport"
grep -qi '<script\|<link\|<iframe\|<img\|@import' "$H" && bad "external-capable element present" || ok "no script/link/img/iframe/@import"
grep -Eio '(src|href|xlink:href)[[:space:]]*=[[:space:]]*"[^"]*"' "$H" | grep -qi 'http' && bad "http in src/href" || ok "no http in src/href"
grep -Eio 'url\([^)]*\)' "$H" | grep -qi 'http' && bad "http in url()" || ok "no http in url()"
"$BIN" report --map "$T/none.tsv" -o "$T/n.html" "$T/lab.tlsmap" 2>"$T/err"; rc=$?
[ $rc = 0 ] && grep -q 'map is not available' "$T/n.html" && grep -q '<section id="countries">' "$T/n.html" && ok "no map data: note, tables still there" || bad "no-map rc=$rc"
grep -q 'not found' "$T/err" && ok "no map data: stderr note" || bad "no stderr note"
"$BIN" report "$T/lab.tlsmap" >/dev/null 2>&1; [ $? = 2 ] && ok "missing -o exits 2" || bad "missing -o"
"$BIN" report -o "$T/x.html" "$T/nonexistent" >/dev/null 2>&1; [ $? = 1 ] && [ ! -e "$T/x.html" ] && ok "bad input: no page" || bad "bad input"
# Hostile strings from the network (issuer names) are escaped everywhere.
TD_EVIL=1 "$GEN" "$T/evil.tlsmap"
"$BIN" report --map "$T/map.tsv" -o "$T/e.html" "$T/evil.tlsmap" 2>/dev/null
! grep -qi '<script\|<img' "$T/e.html" && grep -q 'Qaznet &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;' "$T/e.html" &&
	ok "hostile issuer name escaped" || bad "escaping"
test_done

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
# cells carry their column's name for the phone layout (data-label); the
# row patterns below read the page without it
sed 's/ data-label="[^"]*"//g' "$T/r.html" >"$T/plain.html"
H="$T/plain.html"
grep -q '<td class="n" data-label="Hosts with TLS">11</td>' "$T/r.html" && ok "cells labelled for the phone layout" || bad "data-label"
for id in map countries issuers asns path method data; do
	grep -q "<section id=\"$id\">" "$H" && ok "section $id" || bad "section $id missing"
done
grep -q '<td>198.19.200.2</td><td>.*KZ.*</td><td>AS9198</td><td class="n">8</td>' "$H" && ok "where on the path: the router before the KZ interceptor" || bad "path row"
grep -q '<code>served-by-host</code>: the other certificate comes from the server itself' "$H" && ok "reasons in plain words" || bad "path reasons"
grep -q '<svg class="map"' "$H" && ok "inline SVG map" || bad "no svg"
grep -q '<path fill="#990000" d="M60 10' "$H" && ok "KZ coloured as over 50%" || bad "KZ colour"
grep -q '<path fill="#cfe8d5" d="M45 10' "$H" && ok "DE coloured as 0%" || bad "DE colour"
grep -q '<path fill="#e3e3e3" d="M42 12' "$H" && ok "FR not measured" || bad "FR colour"
grep -q 'Measured but too small for this map: Russia (RU): ' "$H" && ok "RU (absent from map) listed" || bad "RU note"
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

# --- several scans: a timeline per country, changes, vantage points ---
G() { env "$@" "$GEN" "$OUTF"; }
OUTF=$T/w1.tlsmap G TD_START=1767571200
OUTF=$T/w2.tlsmap G TD_START=1768176000 TD_KZ_FORGED=3
OUTF=$T/o2.tlsmap G TD_START=1768176000 TD_KZ_FORGED=0 TD_VANTAGE=outside
"$BIN" report --map "$T/map.tsv" -o "$T/s.html" "$T/w1.tlsmap" "$T/w2.tlsmap" "$T/o2.tlsmap" 2>"$T/err" || bad "series report: $(cat "$T/err")"
sed 's/ data-label="[^"]*"//g' "$T/s.html" >"$T/sp.html"
S=$T/sp.html
grep -q '<section id="timeline">' "$S" && grep -q '<svg class="chart"' "$S" && ok "timeline section with a chart" || bad "no timeline"
grep -q '<tr class="hit"><td>2026-01-05</td><td>lab</td><td class="n">11</td><td class="n">8</td><td class="n">72.7%</td><td class="n">43.4% - 90.3%</td></tr>' "$S" &&
	grep -q '<td>2026-01-12 00:00 UTC</td><td>lab</td><td class="n">11</td><td class="n">3</td><td class="n">27.3%</td><td class="n">9.7% - 56.6%</td>' "$S" &&
	ok "KZ timeline: 8 -> 3 of 11 with Wilson intervals" || bad "KZ timeline rows"
grep -q '<li>Hosts no longer intercepted: 198.18.1.3, 198.18.1.4, 198.18.1.5, 198.18.1.6, 198.18.1.7</li>' "$S" &&
	ok "changes since the previous scan: the 5 hosts that stopped" || bad "host changes"
# names from share/report/countries.tsv before the map's ("United States of America")
grep -q 'No interception seen in any of the scans: Germany (DE), United States (US).' "$S" && ok "countries never intercepted listed once" || bad "never list"
! grep -q '<h3>Germany' "$S" && ok "no timeline for countries never intercepted" || bad "DE timeline"
grep -q '<section id="vantages">' "$S" && grep -q '<th>Country</th><th>lab</th><th>outside</th>' "$S" &&
	grep -q '<td>Kazakhstan (KZ)</td><td>27.3% (95%: 9.7% to 56.6%), 3 of 11 hosts</td><td>0.0% (95%: 0.0% to 25.9%), 0 of 11 hosts</td>' "$S" &&
	ok "vantage points side by side" || bad "vantage table"
grep -q '<td data-label="outside">' "$T/s.html" && ok "vantage cells labelled" || bad "vantage data-label"
# the main figures are the latest scan of each vantage point, a host counted once: KZ 3 of 11
grep -q '<td>Kazakhstan (KZ)</td><td class="n">12</td><td class="n">11</td><td class="n">3</td>' "$S" && ok "main table: latest scans" || bad "main table of a series"
n=$(grep -c '<div class="tbl"><table class="cards kv">' "$S"); [ "$n" = 3 ] && ok "dataset section lists the 3 files" || bad "dataset files: $n"
"$BIN" report --map "$T/map.tsv" -o "$T/one.html" "$T/w1.tlsmap" 2>/dev/null
! grep -q 'id="timeline"\|id="vantages"' "$T/one.html" && ok "one scan: no timeline" || bad "timeline for one scan"
# shards of one scan are one point, not a timeline
"$GEN" "$T/sh0.tlsmap" 0 2 && "$GEN" "$T/sh1.tlsmap" 1 2
"$BIN" report --map "$T/map.tsv" -o "$T/sh.html" "$T/sh0.tlsmap" "$T/sh1.tlsmap" 2>/dev/null
! grep -q 'id="timeline"' "$T/sh.html" && grep -q '<td data-label="Country">Kazakhstan (KZ)</td><td class="n" data-label="Hosts probed">12</td>' "$T/sh.html" &&
	ok "two shards: one scan" || bad "shards made a timeline"
# hostile labels and issuer names in the series sections are escaped too
OUTF=$T/e1.tlsmap G TD_START=1767571200 TD_EVIL=1
OUTF=$T/e2.tlsmap G TD_START=1768176000 TD_KZ_FORGED=0 'TD_VANTAGE=<i>x</i>"&'
OUTF=$T/e3.tlsmap G TD_START=1768176000 TD_KZ_FORGED=0
"$BIN" report --map "$T/map.tsv" -o "$T/es.html" "$T/e1.tlsmap" "$T/e2.tlsmap" "$T/e3.tlsmap" 2>/dev/null
grep -q '<section id="vantages">' "$T/es.html" && ! grep -qi '<script\|<img\|<i>' "$T/es.html" && grep -q '&lt;i&gt;x&lt;/i&gt;&quot;&amp;' "$T/es.html" &&
	ok "series: hostile vantage label and issuer escaped" || bad "series escaping"
# summary --by vantage: one row per label
"$BIN" summary --by vantage --csv "$T/w2.tlsmap" "$T/o2.tlsmap" >"$T/v.csv"
head -1 "$T/v.csv" | grep -q '^vantage,country,' && grep -q '^lab,,0,,40,38,4,' "$T/v.csv" && grep -q '^outside,,0,,40,38,1,' "$T/v.csv" &&
	ok "summary --by vantage --csv" || bad "summary --by vantage: $(cat "$T/v.csv")"
"$BIN" summary --by vantage "$T/w2.tlsmap" "$T/o2.tlsmap" | grep -q '^outside ' && ok "summary --by vantage table" || bad "vantage table"

# --- languages ---
for l in en ru kk; do
	"$BIN" report --lang $l --map "$T/map.tsv" -o "$T/$l.html" "$T/w1.tlsmap" "$T/w2.tlsmap" "$T/o2.tlsmap" 2>"$T/err" || bad "--lang $l: $(cat "$T/err")"
	grep -q "<html lang=\"$l\">" "$T/$l.html" && ok "--lang $l" || bad "--lang $l: html lang"
done
grep -q 'Изменения во времени' "$T/ru.html" && grep -q '72,7' "$T/ru.html" && grep -q '05.01.2026' "$T/ru.html" && ok "ru: words, decimal comma, dd.mm.yyyy" || bad "ru formatting"
grep -q 'Уақыт бойынша өзгерістер' "$T/kk.html" && grep -q '72,7' "$T/kk.html" && grep -q '12.01.2026' "$T/kk.html" && ok "kk: words, decimal comma, dd.mm.yyyy" || bad "kk formatting"
! grep -q 'Change over time\|Per country' "$T/ru.html" "$T/kk.html" && ok "ru, kk: no English headings left" || bad "English in ru/kk"
# country names in the page's language (share/report/countries.tsv): the
# tables, the map's tooltips, the timeline's headings and chart titles
for want in "en:Kazakhstan:Germany" "ru:Казахстан:Германия" "kk:Қазақстан:Германия"; do
	IFS=: read -r l kz de <<<"$want"
	sed 's/ data-label="[^"]*"//g' "$T/$l.html" >"$T/$l.plain"
	grep -q "<td>$kz (KZ)</td><td class=\"n\">12</td>" "$T/$l.plain" && grep -q "<title>$kz: " "$T/$l.plain" &&
		grep -q "<h3>$kz (KZ)</h3>" "$T/$l.plain" && grep -q ": $kz (KZ)</title>" "$T/$l.plain" &&
		grep -q "$de (DE)" "$T/$l.plain" && ok "$l: $kz (KZ) in table, map, timeline, chart; $de (DE)" ||
		bad "$l: country names"
done
! grep -q 'Kazakhstan' "$T/ru.html" "$T/kk.html" && ! grep -q 'Казахстан\|Қазақстан' "$T/en.html" &&
	ok "ru, kk: no English country name; en: no translated one" || bad "country names mixed"
"$BIN" report --lang kk --map "$T/map.tsv" -o "$T/kk1.html" "$T/lab.tlsmap" 2>"$T/err" || bad "--lang kk: $(cat "$T/err")"
grep -q 'Ресей (RU): ' "$T/kk1.html" && ok "kk: a country too small for the map named in Kazakh" || bad "kk: RU under the map"
# share/ with a country file that lacks KZ: the map's (English) name, then
# the code; a broken file: refused, naming its file and line
cp -r "$TLSMAP_SRCDIR/share" "$T/share"
grep -v '^KZ' "$TLSMAP_SRCDIR/share/report/countries.tsv" >"$T/share/report/countries.tsv"
TLSMAP_SHARE=$T/share "$BIN" report --lang kk --map "$T/map.tsv" -o "$T/kz.html" "$T/lab.tlsmap" 2>"$T/err" &&
	grep -q '>Kazakhstan (KZ)</td>' "$T/kz.html" && ok "kk: a code countries.tsv lacks: the map's name" || bad "fallback to the map's name"
TLSMAP_SHARE=$T/share "$BIN" report --lang kk --map /nonexistent -o "$T/kz2.html" "$T/lab.tlsmap" 2>"$T/err" &&
	sed 's/ data-label="[^"]*"//g' "$T/kz2.html" | grep -q '<td>KZ</td>' && grep -q '<td>Ресей (RU)</td>' <(sed 's/ data-label="[^"]*"//g' "$T/kz2.html") &&
	ok "kk without a map: the code when nothing names it" || bad "fallback to the code"
printf 'KZ\tKazakhstan\t\tҚазақстан\n' >>"$T/share/report/countries.tsv"
n=$(grep -c '' "$T/share/report/countries.tsv")
out=$(TLSMAP_SHARE=$T/share "$BIN" report --lang ru -o "$T/bad.html" "$T/lab.tlsmap" 2>&1); rc=$?
[ $rc != 0 ] && [[ $out == *"share/report/countries.tsv:$n: an empty name in the column: ru"* ]] && [ ! -e "$T/bad.html" ] &&
	ok "a broken countries.tsv: refused with file and line" || bad "broken countries.tsv: rc=$rc $out"
out=$("$BIN" report --lang de -o "$T/de.html" "$T/w1.tlsmap" 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"'de'"* ]] && [ ! -e "$T/de.html" ] && ok "--lang de: exit 2 naming it" || bad "--lang de: rc=$rc $out"
test_done

#!/bin/bash
# SPDX-License-Identifier: MIT
# Open the report in headless Chromium, take screenshots (desktop and phone
# width) and check that the map and tables were drawn: the PNG decodes, is
# large, and holds the map's colours (KZ's "over 50%" red, the 0% green)
# and the DOM Chromium built holds the tables. Then, for each language
# (--lang en, ru, kk) and a report of several scans (timeline, vantage
# points), a 390 px wide page (a phone) must not scroll sideways: the
# document's scrollWidth <= clientWidth, no element reaches past the right
# edge or scrolls sideways inside the page, and no table cell is a tall,
# nearly empty column. A copy of the page gets a measuring
# script; the report itself has none. The screenshots are kept as
# CI artifacts: out/test-report.png, out/test-report-phone.png, out/test-report.html
# (named test-*, so the report of `make demo` in out/report.html is not overwritten).
# Needs no root and no network (file:// page, networking features off).
set -u
BIN=${TLSMAP_BIN:?}
SRC=${TLSMAP_SRCDIR:?}
GEN=${TLSMAP_BUILDDIR:?}/tests/unit/output_gen_lab
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	echo "skip: chromium not installed (Debian package chromium)"
	exit 77
fi
if ! command -v python3 >/dev/null; then
	echo "skip: python3 needed to decode the screenshot"
	exit 77
fi
T=$(mktemp -d /tmp/tlsmap-chromium-XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
OUT=$SRC/out
mkdir -p "$OUT"
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

"$GEN" "$T/lab.tlsmap" || { echo "FAIL: generator"; exit 1; }
MAP=$SRC/data/map/world.tsv
if [ ! -s "$MAP" ]; then
	echo "note: $MAP missing (bootstrap not run): using a two-country test map"
	MAP=$T/map.tsv
	printf '# test\nviewBox\t0 0 100 50\nKZ\tKazakhstan\tM60 10l20 0l0 15l-20 0z\nDE\tGermany\tM20 10l20 0l0 15l-20 0z\n' > "$MAP"
fi
"$BIN" report --map "$MAP" -o "$OUT/test-report.html" "$T/lab.tlsmap" 2>/dev/null || { echo "FAIL: report"; exit 1; }

chrome() { # chrome ARGS... (bounded in time; own profile; no network features)
	local prof
	prof=$(mktemp -d "$T/prof-XXXXXX")
	timeout 90 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-dev-shm-usage --hide-scrollbars --user-data-dir="$prof" "$@" 2>>"$T/chrome.log"
}
chrome --screenshot="$OUT/test-report.png" --window-size=1200,1600 "file://$OUT/test-report.html" >/dev/null
chrome --screenshot="$OUT/test-report-phone.png" --window-size=390,844 "file://$OUT/test-report.html" >/dev/null
chrome --dump-dom "file://$OUT/test-report.html" > "$T/dom.html"

cat > "$T/png.py" <<'PY'
import struct, sys, zlib
def load(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat, w = 8, b'', 0
    while pos < len(data):
        n, typ = struct.unpack('>I4s', data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
        if typ == b'IHDR':
            w, h, depth, ctype, _, _, inter = struct.unpack('>IIBBBBB', body)
            assert depth == 8 and ctype in (2, 6) and inter == 0, 'unsupported PNG'
            bpp = 3 if ctype == 2 else 4
        elif typ == b'IDAT':
            idat += body
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line)); prev = line
    return w, h, bpp, rows
w, h, bpp, rows = load(sys.argv[1])
want = {'kz': (0x99, 0x00, 0x00), 'zero': (0xcf, 0xe8, 0xd5), 'header': (0xf0, 0xf0, 0xf0)}
count = dict.fromkeys(want, 0); colours = set()
for r in rows:
    for x in range(0, w * bpp, bpp):
        px = tuple(r[x:x + 3]); colours.add(px)
        for k, v in want.items():
            if px == v: count[k] += 1
print(w, h, len(colours), count['kz'], count['zero'], count['header'])
PY
read -r w h ncol kz zero hdr < <(python3 "$T/png.py" "$OUT/test-report.png" || echo "0 0 0 0 0 0")
echo "screenshot: ${w}x${h}, $ncol colours, KZ red px $kz, 0% green px $zero, table header px $hdr"
[ "$w" = 1200 ] && [ "$h" = 1600 ] && ok "screenshot decodes at 1200x1600" || bad "screenshot size ${w}x${h}"
[ "$ncol" -gt 50 ] && ok "screenshot is not blank" || bad "only $ncol colours"
[ "$kz" -gt 50 ] && ok "map drawn (KZ in its rate colour)" || bad "KZ colour not on screen"
[ "$zero" -gt 50 ] && ok "0% countries drawn" || bad "0% colour not on screen"
[ "$hdr" -gt 200 ] && ok "tables drawn (header background)" || bad "no table header pixels"
[ "$(stat -c %s "$OUT/test-report-phone.png" 2>/dev/null || echo 0)" -gt 10000 ] && ok "phone-width screenshot" || bad "phone screenshot"
grep -q '<table class="cards">' "$T/dom.html" && grep -q 'Kazakhstan (KZ)' "$T/dom.html" && grep -q '<svg class="map"' "$T/dom.html" &&
	ok "DOM has map and tables" || bad "DOM incomplete"

# --- phones, each language ---
"$GEN" "$T/w1.tlsmap" && TD_START=1768176000 TD_KZ_FORGED=3 "$GEN" "$T/w2.tlsmap" &&
	TD_START=1768176000 TD_KZ_FORGED=0 TD_VANTAGE=outside-the-country "$GEN" "$T/o2.tlsmap" || { echo "FAIL: generator"; exit 1; }
# Chromium's window is never narrower than 500 px, so the page is measured in
# a 390 px wide frame of a wrapper page (media queries follow the frame).
# shellcheck disable=SC2016 # JavaScript, not shell
js='<script>addEventListener("load",function(){var f=document.querySelector("iframe"),doc=f.contentDocument,d=doc.documentElement,w=d.clientWidth,wide=0,tall=0,ex=[];
doc.querySelectorAll("body *").forEach(function(e){if(e.closest("svg")&&e.tagName!="svg")return;var r=e.getBoundingClientRect(),cs=getComputedStyle(e);
if(r.width>0&&(r.right>w+1||r.left<-1)){wide++;if(ex.length<3)ex.push(e.tagName+"."+e.getAttribute("class"));}
if((cs.overflowX=="auto"||cs.overflowX=="scroll")&&e.scrollWidth>e.clientWidth+1){wide++;if(ex.length<3)ex.push("scrolls:"+e.tagName+"."+e.getAttribute("class"));}
if(e.tagName=="TD"&&r.height>200&&e.textContent.length<100)tall++;});
document.body.setAttribute("data-measure",d.scrollWidth+" "+w+" "+wide+" "+tall+" "+ex.join(","));
document.body.setAttribute("data-lang",d.getAttribute("lang")+" "+doc.querySelectorAll("#timeline,#vantages").length+" "+doc.querySelector("h1").textContent);});</script>'
for l in en ru kk; do
	"$BIN" report --lang $l --map "$MAP" -o "$OUT/test-report-$l.html" "$T/lab.tlsmap" "$T/w1.tlsmap" "$T/w2.tlsmap" "$T/o2.tlsmap" 2>>"$T/err" ||
		{ bad "report --lang $l: $(tail -1 "$T/err")"; continue; }
	printf '<!DOCTYPE html><html><body style="margin:0"><iframe src="%s" style="width:390px;height:844px;border:0"></iframe>%s</body></html>\n' \
		"file://$OUT/test-report-$l.html" "$js" >"$T/m-$l.html"
	chrome --allow-file-access-from-files --window-size=800,900 --virtual-time-budget=5000 --dump-dom "file://$T/m-$l.html" >"$T/m-$l.dom"
	read -r sw cw wide tall ex < <(grep -o 'data-measure="[^"]*"' "$T/m-$l.dom" | sed 's/data-measure="//; s/"$//'; echo "0 0 -1 -1")
	echo "$l at 390 px: scrollWidth $sw, clientWidth $cw, elements past the edge or scrolling $wide, tall empty cells $tall ${ex:-}"
	[ "${cw:-0}" -gt 300 ] && [ "${cw:-0}" -le 390 ] && [ "$sw" -le "$cw" ] && ok "$l: a 390 px page does not scroll sideways" || bad "$l: scrollWidth $sw > clientWidth $cw"
	[ "$wide" = 0 ] && ok "$l: nothing past the edge, nothing scrolls sideways inside" || bad "$l: $wide elements too wide ($ex)"
	[ "$tall" = 0 ] && ok "$l: no tall empty rows" || bad "$l: $tall tall empty cells"
	grep -q "data-lang=\"$l 2 " "$T/m-$l.dom" && ok "$l: rendered, with timeline and vantage points" || bad "$l: DOM $(grep -o 'data-lang="[^"]*"' "$T/m-$l.dom")"
done
grep -q 'data-lang="ru 2 Перехват HTTPS по странам"' "$T/m-ru.dom" && grep -q 'data-lang="kk 2 Елдер бойынша HTTPS трафигін ұстап алу"' "$T/m-kk.dom" &&
	ok "ru and kk pages in Cyrillic" || bad "ru/kk text"
chrome --screenshot="$OUT/test-report-phone-kk.png" --window-size=390,844 "file://$OUT/test-report-kk.html" >/dev/null
[ $fail = 0 ] || tail -5 "$T/chrome.log"
echo "artifacts: $OUT/test-report.png $OUT/test-report-phone.png $OUT/test-report.html $OUT/test-report-{en,ru,kk}.html $OUT/test-report-phone-kk.png"
exit $fail

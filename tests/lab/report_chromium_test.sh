#!/bin/bash
# SPDX-License-Identifier: MIT
# Open the report in headless Chromium, take screenshots (desktop and phone
# width) and check that the map and tables were drawn: the PNG decodes, is
# large, and holds the map's colours (KZ's "over 50%" red, the 0% green)
# and the DOM Chromium built holds the tables. The screenshots are kept as
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
trap 'rm -rf "$T"' EXIT
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
grep -q '<table>' "$T/dom.html" && grep -q 'Kazakhstan (KZ)' "$T/dom.html" && grep -q '<svg class="map"' "$T/dom.html" &&
	ok "DOM has map and tables" || bad "DOM incomplete"
[ $fail = 0 ] || tail -5 "$T/chrome.log"
echo "artifacts: $OUT/test-report.png $OUT/test-report-phone.png $OUT/test-report.html"
exit $fail

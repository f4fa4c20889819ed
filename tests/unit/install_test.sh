#!/bin/bash
# SPDX-License-Identifier: MIT
# `meson install --destdir` yields a tlsmap that runs from its installed
# share/ and finds its data directory at run time: `tlsmap interceptors
# list` and the default SNI list from <prefix>/share/tlsmap, the default
# country database under <prefix>/share/tlsmap/data, and no source-tree
# path compiled into the binary's data.
set -euo pipefail
: "${TLSMAP_BUILDDIR:?set by meson}" "${TLSMAP_SRCDIR:?set by meson}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tlsmap-install-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

if ! meson install -C "$TLSMAP_BUILDDIR" --destdir "$tmp/root" --no-rebuild --quiet \
	>"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	exit 1
fi
bin=$(find "$tmp/root" -path '*/bin/tlsmap' -type f | head -n 1)
[ -x "$bin" ] || { echo "FAIL: no bin/tlsmap under $tmp/root"; exit 1; }
share=$(dirname "$bin")/../share/tlsmap
[ -f "$share/interceptors.tsv" ] && [ -f "$share/sni-kz2019.txt" ] ||
	bad "share files not installed next to $bin"
# the report's words and country names (tlsmap report --lang)
for f in en.tsv ru.tsv kk.tsv countries.tsv; do
	cmp -s "$share/report/$f" "$TLSMAP_SRCDIR/share/report/$f" || bad "share/report/$f not installed"
done

# from elsewhere, with nothing in the environment to point at the files
cd /
run() { env -u TLSMAP_SHARE -u TLSMAP_DATA "$bin" "$@"; }
n=$(run interceptors list | grep -c . || true)
want=$(grep -c '^[^#]' "$TLSMAP_SRCDIR/share/interceptors.tsv" || true)
[ "$n" -gt 0 ] && [ "$n" -ge "$want" ] ||
	bad "interceptors list from the installed share/: $n lines, the list has $want entries"
out=$(run scan 198.18.0.1 -p 443 --dry-run --allow-reserved 2>&1) || bad "scan --dry-run: $out"
grep -q '^snis=37$' <<<"$out" || bad "default SNI list not read from the installed share/: $out"
# the report in Kazakh from the installed words and country names
"$TLSMAP_BUILDDIR/tests/unit/output_gen_lab" "$tmp/lab.tlsmap" >/dev/null 2>&1 || bad "output_gen_lab"
out=$(run report --lang kk --map /nonexistent -o "$tmp/kk.html" "$tmp/lab.tlsmap" 2>&1) || bad "report --lang kk: $out"
grep -q 'Қазақстан (KZ)' "$tmp/kk.html" || bad "report --lang kk: no Қазақстан (KZ) from the installed countries.tsv"

# the data directory: <prefix>/share/tlsmap/data, found at run time
mkdir -p "$share/data/geo"
out=$(run scan -p 443 --dry-run --country KZ 2>&1) && bad "scan --country without a database succeeded"
grep -qF "$(dirname "$bin")/../share/tlsmap/data/geo/country.mmdb" <<<"$out" ||
	bad "the country database was not looked for under the installed data directory: $out"

# no path of the source tree in the binary's constants (debug info may name it)
objcopy -O binary --only-section=.rodata "$bin" "$tmp/rodata"
! grep -qF "$TLSMAP_SRCDIR" "$tmp/rodata" || bad "the binary's .rodata names the source tree $TLSMAP_SRCDIR"

[ "$fail" -eq 0 ] && echo "ok: installed tlsmap runs from its share/ and data/"
exit "$fail"

#!/bin/bash
# SPDX-License-Identifier: MIT
# --syn-only against the shared lab (tests/lab/lab.sh, docs/lab.md): the open
# (address, 443) pairs found must be exactly the truth's open hosts, i.e.
# every "@control" row of $LAB_DIR/truth.tsv whose kind is neither "closed"
# (RST) nor "silent" (dropped); the RST count must equal the closed ones.
# Skips when the lab is not up (this test does not build it).
set -u
BIN=${1:-$TLSMAP_BIN}
LAB_DIR=${LAB_DIR:-/tmp/tlsmap-lab}
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
[ -f "$LAB_DIR/lab.env" ] || { echo "skip: the lab is not up (tests/lab/lab.sh up)"; exit 77; }
# shellcheck disable=SC1091
. "$LAB_DIR/lab.env"
[ -e "/run/netns/$SCAN_NS" ] && [ -s "$TRUTH" ] || { echo "skip: the lab is not up (no $SCAN_NS or truth)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ip netns exec "$SCAN_NS" timeout 120 "$BIN" scan -w "$TARGETS_FILE" -p 443 -i "$SCAN_IFACE" \
	--source-ip "$SOURCE_IP" --gateway-ip "$GATEWAY_IP" --allow-reserved --syn-only -r 20000 \
	--cooldown 2 >"$tmp/found" 2>"$tmp/log"
rc=$?
grep "tlsmap scan: sent=" "$tmp/log"
[ $rc = 0 ] || { echo "FAIL: scan exited $rc"; cat "$tmp/log"; exit 1; }
awk -F'\t' 'NR > 1 && $3 == "@control" && $8 != "closed" && $8 != "silent" { print $1 ":" $2 }' \
	"$TRUTH" | LC_ALL=C sort >"$tmp/want"
LC_ALL=C sort -o "$tmp/found" "$tmp/found"
fail=0
if diff "$tmp/want" "$tmp/found" >"$tmp/diff"; then
	echo "ok: --syn-only found exactly the lab's $(wc -l <"$tmp/want") open hosts"
else
	echo "FAIL: open hosts differ from truth.tsv (< truth only, > scan only):"; head -20 "$tmp/diff"; fail=1
fi
want_rst=$(awk -F'\t' 'NR > 1 && $3 == "@control" && $8 == "closed"' "$TRUTH" | wc -l)
got_rst=$(sed -n 's/.* rst=\([0-9]*\).*/\1/p' "$tmp/log")
[ "$got_rst" = "$want_rst" ] && echo "ok: $got_rst closed hosts answered RST" ||
	{ echo "FAIL: rst=$got_rst, truth has $want_rst closed"; fail=1; }
exit $fail

#!/bin/bash
# SPDX-License-Identifier: MIT
# --syn-only against the shared lab (tests/lab/lab.sh, docs/lab.md): the open
# (address, 443) pairs found must be exactly the truth's open hosts, i.e.
# every "@control" row of $LAB_DIR/truth.tsv whose kind is neither "closed"
# (RST) nor "silent" (dropped); the RST count must equal the closed ones.
# Uses the lab that is up, or brings its own up and takes it down at exit.
set -u
BIN=${1:-$TLSMAP_BIN}
HERE=$(cd "$(dirname "$0")" && pwd)
LAB_DIR=${LAB_DIR:-/tmp/tlsmap-lab}
export LAB_DIR
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
tmp=$(mktemp -d)
own_lab=0
trap 'rm -rf "$tmp"; [ $own_lab = 0 ] || "$HERE/lab.sh" down >/dev/null 2>&1' EXIT
if ! "$HERE/lab.sh" status 2>/dev/null | grep -q '^state: up'; then
	own_lab=1
	"$HERE/lab.sh" up >"$tmp/lab-up.log" 2>&1 || { tail -20 "$tmp/lab-up.log"; echo "FAIL: lab.sh up"; exit 1; }
fi
# shellcheck disable=SC1091
. "$LAB_DIR/lab.env"
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

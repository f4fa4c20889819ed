#!/bin/bash
# SPDX-License-Identifier: MIT
# Input files of `tlsmap scan` read from streams: --sni-file,
# -w and -b from a pipe and from a FIFO, where ftell() says -1, must load
# every line (20,000 SNI names) and never overflow; an overlong line or a
# bad entry is a usage error naming the file and the line. Run under the
# ASan build to catch the overflow itself (the release build segfaulted).
set -u
BIN=${1:-$TLSMAP_BIN}
tmp=$(mktemp -d /tmp/tlsmap-cli-files.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
DRY=(scan --dry-run -p 443 --allow-reserved)

# 20,000 names, each a different length so a short buffer cannot hold them
awk 'BEGIN { for (i = 1; i <= 20000; i++) { x = substr("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1, i % 40); printf "host-%d-%s.example.com\n", i, x } }' >"$tmp/names"

out=$(cat "$tmp/names" | "$BIN" "${DRY[@]}" --sni-file /dev/stdin 198.18.0.1 2>&1); rc=$?
if [ $rc = 0 ] && grep -qx 'snis=20000' <<<"$out"; then ok "--sni-file from a pipe"; else bad "--sni-file from a pipe: rc=$rc $(tail -c 400 <<<"$out")"; fi

mkfifo "$tmp/fifo"
(cat "$tmp/names" >"$tmp/fifo") &
out=$(timeout 60 "$BIN" "${DRY[@]}" --sni-file "$tmp/fifo" 198.18.0.1 2>&1); rc=$?
wait
if [ $rc = 0 ] && grep -qx 'snis=20000' <<<"$out"; then ok "--sni-file from a FIFO"; else bad "--sni-file from a FIFO: rc=$rc $(tail -c 400 <<<"$out")"; fi

# a stream with one endless line: refused, naming file and line, bounded memory
out=$(head -c 10000000 /dev/zero | tr '\0' a | "$BIN" "${DRY[@]}" --sni-file /dev/stdin 198.18.0.1 2>&1); rc=$?
if [ $rc = 2 ] && grep -q '/dev/stdin:1: line longer' <<<"$out"; then ok "--sni-file endless line"; else bad "--sni-file endless line: rc=$rc $out"; fi
out=$(printf 'a.example\nbad name\n' | "$BIN" "${DRY[@]}" --sni-file /dev/stdin 198.18.0.1 2>&1); rc=$?
if [ $rc = 2 ] && grep -q "/dev/stdin:2: bad SNI" <<<"$out"; then ok "--sni-file bad name"; else bad "--sni-file bad name: rc=$rc $out"; fi

# -w and -b from pipes, and an endless line there too
out=$(for i in $(seq 0 99); do echo "198.18.$i.0/24"; done | "$BIN" "${DRY[@]}" --sni a.example -w /dev/stdin 2>&1); rc=$?
if [ $rc = 0 ] && grep -qx 'addresses=25600' <<<"$out"; then ok "-w from a pipe"; else bad "-w from a pipe: rc=$rc $out"; fi
out=$(echo 198.18.0.0/25 | "$BIN" "${DRY[@]}" --sni a.example -b /dev/stdin 198.18.0.0/24 2>&1); rc=$?
if [ $rc = 0 ] && grep -qx 'addresses=128' <<<"$out"; then ok "-b from a pipe"; else bad "-b from a pipe: rc=$rc $out"; fi
out=$(head -c 10000000 /dev/zero | tr '\0' 1 | "$BIN" "${DRY[@]}" --sni a.example -w /dev/stdin 2>&1); rc=$?
if [ $rc = 2 ] && grep -q '/dev/stdin:1: line longer' <<<"$out"; then ok "-w endless line"; else bad "-w endless line: rc=$rc $out"; fi
exit $fail

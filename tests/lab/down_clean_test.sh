#!/bin/bash
# SPDX-License-Identifier: MIT
#
# down_clean_test.sh - lab.sh up/down leave nothing behind: no tlm-* namespace,
# no process started from LAB_DIR, no LAB_DIR, no tlm-* link; also after an up
# that fails half-way (its servers already running), and up/down are idempotent.
# Timings are printed, never asserted. Skips when not root, or when a lab is
# already up (another test is using it: the namespace names are fixed).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_DIR=${LAB_DIR:-/tmp/tlsmap-lab}
export LAB_DIR
LAB=$HERE/lab.sh

if [ "$(id -u)" != 0 ]; then
	echo "skip: the lab needs root (network namespaces)"
	exit 77
fi
if "$LAB" status 2>/dev/null | grep -q '^state: up'; then
	echo "skip: a lab is up and may be in use; run tests/lab/lab.sh down first"
	exit 77
fi
trap '"$LAB" down >/dev/null 2>&1' EXIT

fail=0
ok() { echo "PASS $*"; }
bad() { echo "FAIL $*"; fail=1; }
clean() { # WHEN
	local left
	left=$(find /run/netns -maxdepth 1 -name 'tlm-*' -printf '%f\n' 2>/dev/null | paste -sd' ')
	[ -z "$left" ] && ok "$1: no tlm-* namespace" || bad "$1: namespaces left: $left"
	left=$(pgrep -f -- "$LAB_DIR/" | paste -sd' ')
	[ -z "$left" ] && ok "$1: no process from $LAB_DIR" || bad "$1: processes left: $left"
	[ ! -e "$LAB_DIR" ] && ok "$1: $LAB_DIR removed" || bad "$1: $LAB_DIR still exists"
	left=$(ip -o link show | awk -F': ' '{print $2}' | grep '^tlm-' | paste -sd' ')
	[ -z "$left" ] && ok "$1: no tlm-* link in the root namespace" || bad "$1: links left: $left"
}

"$LAB" down >/dev/null 2>&1 && ok "down with nothing up" || bad "down with nothing up"
t0=$(date +%s.%N)
if "$LAB" up >/dev/null; then ok "up"; else bad "up"; fi
t1=$(date +%s.%N)
"$LAB" status | grep -q '^state: up' && ok "status says up" || bad "status does not say up"
pids=$(for f in "$LAB_DIR"/nginx-*/nginx.pid "$LAB_DIR"/run/*.pid; do cat "$f"; done 2>/dev/null | paste -sd' ')
[ "$(wc -w <<<"$pids")" -ge 7 ] && ok "servers running: $pids" || bad "too few servers: $pids"
out=$("$LAB" up 2>&1)
grep -q 'already up' <<<"$out" && ok "second up keeps the healthy lab" || bad "second up: $out"
t2=$(date +%s.%N)
out=$("$LAB" down 2>&1) && ok "down" || bad "down: $out"
if grep -q 'lab kept' <<<"$out"; then
	echo "skip: another script started using the lab meanwhile ($out)"
	exit 77
fi
t3=$(date +%s.%N)
clean "after up+down"
"$LAB" down >/dev/null 2>&1 && ok "second down" || bad "second down"

# an up that fails after its servers have started (bad SNI file at the end)
if LAB_SNI_FILE=/nonexistent/sni.txt "$LAB" up >/dev/null 2>&1; then bad "up with a bad SNI file succeeded"; else ok "up with a bad SNI file fails"; fi
clean "after a failed up"

awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN { printf "timing: up %.1f s, down %.1f s\n", b - a, d - c }'
exit $fail

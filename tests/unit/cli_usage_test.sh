#!/bin/bash
# SPDX-License-Identifier: MIT
# The CLI contract: --help works, bad input exits 2 with a message naming it,
# unfinished subcommands never pretend success.
set -u
BIN=${1:-$TLSMAP_BIN}
fail=0
expect() { # expect STATUS PATTERN CMD...
	local want=$1 pat=$2; shift 2
	local out rc
	out=$("$BIN" "$@" 2>&1); rc=$?
	if [ "$rc" != "$want" ]; then echo "FAIL: tlsmap $* exited $rc, want $want: $out"; fail=1; return; fi
	if [ -n "$pat" ] && ! grep -qF -- "$pat" <<<"$out"; then echo "FAIL: tlsmap $*: output lacks '$pat': $out"; fail=1; return; fi
	echo "ok: tlsmap $*"
}
expect 0 "usage: tlsmap" --help
expect 0 "tlsmap " --version
expect 2 "frobnicate" frobnicate
expect 2 "" 
for c in scan dump summary merge report x509 bench sweep diff; do
	expect 0 "usage: tlsmap $c" $c --help
	expect 2 "--no-such-flag" $c --no-such-flag
done
# Path localisation is on by default, at least 5 per group; the bound is checked
expect 0 "group (default 5)" scan --help
expect 0 "--no-localize" scan --help
for v in 0 x 1000001; do
	expect 2 "--localize-per-group" scan --localize-per-group $v --dry-run -p 443 --allow-reserved 198.18.0.1
done
expect 0 "addresses=1" scan --no-localize --localize-per-group 1 --dry-run -p 443 --allow-reserved 198.18.0.1
exit $fail

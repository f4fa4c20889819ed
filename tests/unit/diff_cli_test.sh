#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap diff on synthetic datasets (the lab test e2e_sweep checks it on real
# scans with a middlebox turned off): a dataset against itself changes
# nothing; against a copy whose forging issuer has another (hostile) name,
# the issuer is listed as vanished and the new one as new, CSV-quoted;
# bad input exits 2 naming it.
set -u
# shellcheck source=tests/unit/test.sh
source "$(dirname "$0")/test.sh"
"$GEN" "$T/a.tlsmap" && TD_EVIL=1 "$GEN" "$T/evil.tlsmap" || { echo "FAIL generator"; exit 1; }
hdr='change,kind,key,country,asn,as_org,old_hosts_tls,old_intercepted,new_hosts_tls,new_intercepted'
out=$("$BIN" diff --csv "$T/a.tlsmap" "$T/a.tlsmap")
[ "$out" = "$hdr" ] && ok "a dataset against itself: no change" || bad "self diff: $out"
"$BIN" diff "$T/a.tlsmap" "$T/a.tlsmap" | grep -q '^networks that stopped being intercepted (0)$' && ok "table" || bad "table"
"$BIN" diff --csv "$T/a.tlsmap" "$T/evil.tlsmap" >"$T/d.csv"
grep -q '^vanished,issuer,Qaznet Trust Network,,0,,0,8,0,0$' "$T/d.csv" && ok "vanished issuer" || bad "vanished issuer: $(cat "$T/d.csv")"
grep -q '^new,issuer,"Qaznet <script>alert(1)</script> & ""Co""[^,]*",,0,,0,0,0,8$' "$T/d.csv" && ok "new issuer, CSV-quoted" || bad "new issuer: $(cat "$T/d.csv")"
! grep -q '^\(started\|stopped\),' "$T/d.csv" && ok "same hosts intercepted: no start or stop" || bad "starts/stops: $(cat "$T/d.csv")"
expect2() { local out rc; out=$("$BIN" diff "$@" 2>&1); rc=$?
	[ $rc = 2 ] && [[ $out == *"$EXPECT"* ]] && ok "diff $* -> 2" || bad "diff $*: rc=$rc: $out"; }
EXPECT="expected two datasets" expect2 "$T/a.tlsmap"
EXPECT="expected two datasets" expect2 "$T/a.tlsmap" "$T/a.tlsmap" "$T/a.tlsmap"
EXPECT="$T/missing.tlsmap" expect2 "$T/a.tlsmap" "$T/missing.tlsmap"
printf 'not a dataset' >"$T/junk"
EXPECT="$T/junk" expect2 "$T/junk" "$T/a.tlsmap"
EXPECT="--bogus" expect2 --bogus "$T/a.tlsmap" "$T/a.tlsmap"
"$BIN" diff --help | grep -q "usage: tlsmap diff" && ok "--help" || bad "--help"
test_done

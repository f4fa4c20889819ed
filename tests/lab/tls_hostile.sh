#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tls_hostile.sh - the lab's hostile corner (198.18.28.0/28: tarpit, trickle,
# endless stream, 1 MB chain, garbage, reset, close, closed ports) ends with
# the outcome docs/verdicts.md gives each, and the whole scan ends in bounded
# time (read timeout 4 s: every probe is over within a few timeouts).
source "$(dirname "$0")/tls_common.sh"

start=$SECONDS
tls_scan "$TMP/h.tlsmap" 198.18.28.0/28 --read-timeout 4 --connect-timeout 3 \
	--max-flight-bytes 131072 >"$TMP/scan.log" 2>&1
rc=$?
took=$((SECONDS - start))
tail -3 "$TMP/scan.log"
[ $rc = 0 ] || { echo "FAIL scan exited $rc"; exit 1; }
"$TLSMAP_BIN" dump "$TMP/h.tlsmap" --type probe >"$TMP/p.jsonl" || { echo "FAIL dump"; exit 1; }
fail=0
# address  tcp  tls  verdict  (control probe)
while read -r ip tcp tls verdict; do
	got=$(jq -r --arg ip "$ip" 'select(.ipText == $ip and .probe.isControl and (.probe.controlWithoutSni | not)) |
		"\(.probe.tcp) \(.probe.tls) \(.probe.verdict)"' "$TMP/p.jsonl")
	want="$tcp $tls $verdict"
	if [ "$got" = "$want" ]; then
		echo "PASS $ip: $got"
	else
		echo "FAIL $ip: got '$got' want '$want'"
		fail=1
	fi
done <<'EXPECT'
198.18.28.1 TCP_READ_TIMEOUT TLS_INCOMPLETE VERDICT_NO_TLS
198.18.28.2 TCP_READ_TIMEOUT TLS_INCOMPLETE VERDICT_TLS_ERROR
198.18.28.3 TCP_FLIGHT_TOO_LARGE TLS_INCOMPLETE VERDICT_TLS_ERROR
198.18.28.4 TCP_FLIGHT_TOO_LARGE TLS_INCOMPLETE VERDICT_TLS_ERROR
198.18.28.5 TCP_OPEN TLS_NOT_TLS VERDICT_NO_TLS
198.18.28.6 TCP_RESET TLS_INCOMPLETE VERDICT_NO_TLS
198.18.28.7 TCP_FIN TLS_INCOMPLETE VERDICT_NO_TLS
198.18.28.8 TCP_CLOSED TLS_NOT_ATTEMPTED VERDICT_NO_TLS
EXPECT
# the control name refused (an alert, or bytes that are not TLS): asked once
# more without SNI; silence, resets and broken flights are not asked again
bare=$(jq -r 'select(.probe.controlWithoutSni) | "\(.ipText) \(.probe.tls)"' "$TMP/p.jsonl" | sort | tr '\n' ' ')
if [ "$bare" = "198.18.28.5 TLS_NOT_TLS " ]; then
	echo "PASS one control without SNI, to the host that answered not-TLS: $bare"
else
	echo "FAIL controls without SNI: '$bare' (want '198.18.28.5 TLS_NOT_TLS ')"; fail=1
fi
# no test SNI goes to a host without a control chain
n=$(jq -r 'select(.probe.isControl | not) | .ipText' "$TMP/p.jsonl" | wc -l)
[ "$n" = 0 ] && echo "PASS no test probes to hosts without a chain" ||
	{ echo "FAIL $n test probes to hostile hosts"; fail=1; }
# bounded: the tarpit costs two read timeouts (one retry), plus cooldown
if [ $took -le 40 ]; then echo "PASS scan over in $took s"; else echo "FAIL scan took $took s"; fail=1; fi
exit $fail

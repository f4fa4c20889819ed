#!/bin/bash
# SPDX-License-Identifier: MIT
#
# e2e_interrupt.sh - nothing is lost when a scan is stopped.
#  1. SIGINT midway: the scan flushes, writes ScanEnd (clean=false), fsyncs
#     and renames; the dataset reads to the end and holds every probe written.
#  2. kill -9 midway: FILE.partial stays, readable up to its last complete
#     record, and `tlsmap dump` reports it incomplete (exit 1).
source "$(dirname "$0")/tls_common.sh"

# shellcheck disable=SC2034 # read by tls_common.sh
TLS_NO_SNI_FILE=1
# The whole lab, slowly, so the scan is surely still running when stopped.
args=(-w "$TARGETS_FILE" --sni facebook.com --sni vk.com -r 200 --read-timeout 10)
fail=0

wait_probes() { # wait_probes FILE: until the writer has flushed some records (bounded)
	for _ in $(seq 1 60); do
		[ -s "$1" ] && [ "$(stat -c %s "$1")" -gt 2000 ] && return 0
		sleep 1
	done
	return 1
}

# 1. SIGINT
tls_scan "$TMP/int.tlsmap" "${args[@]}" >"$TMP/int.log" 2>&1 &
pid=$!
if ! wait_probes "$TMP/int.tlsmap.partial"; then echo "FAIL: no records after 60 s"; kill -9 $pid; exit 1; fi
# tls_scan runs timeout -> ip netns exec -> tlsmap; signal tlsmap itself
tpid=$(pgrep -f "tlsmap scan .*-o $TMP/int.tlsmap" | head -1)
kill -INT "$tpid"
for _ in $(seq 1 60); do kill -0 $pid 2>/dev/null || break; sleep 1; done
if kill -0 $pid 2>/dev/null; then echo "FAIL: scan still running 60 s after SIGINT"; kill -9 $pid; fail=1; fi
wait $pid; echo "scan exited $? after SIGINT"
if [ -f "$TMP/int.tlsmap" ] && [ ! -e "$TMP/int.tlsmap.partial" ]; then
	echo "ok: SIGINT: dataset renamed into place"
else
	echo "FAIL: SIGINT: dataset not renamed"; ls -la "$TMP"; fail=1
fi
if "$TLSMAP_BIN" dump "$TMP/int.tlsmap" >"$TMP/int.jsonl"; then
	n=$(grep -c '"probe"' "$TMP/int.jsonl"); end=$(grep '"end"' "$TMP/int.jsonl")
	echo "ok: SIGINT: dataset reads to its end: $n probes; $end"
	[ "$n" -gt 0 ] || { echo "FAIL: no probes"; fail=1; }
	grep -q '"clean": *true' <<<"$end" && { echo "FAIL: ScanEnd says clean after SIGINT"; fail=1; }
else
	echo "FAIL: SIGINT: dataset does not read cleanly"; fail=1
fi

# 2. kill -9
tls_scan "$TMP/k9.tlsmap" "${args[@]}" >"$TMP/k9.log" 2>&1 &
pid=$!
if ! wait_probes "$TMP/k9.tlsmap.partial"; then echo "FAIL: no records after 60 s"; kill -9 $pid; exit 1; fi
sleep 2
tpid=$(pgrep -f "tlsmap scan .*-o $TMP/k9.tlsmap" | head -1)
kill -9 "$tpid"; wait $pid 2>/dev/null
"$TLSMAP_BIN" dump "$TMP/k9.tlsmap.partial" >"$TMP/k9.jsonl" 2>"$TMP/k9.err"; rc=$?
n=$(grep -c '"probe"' "$TMP/k9.jsonl")
if [ $rc = 1 ] && grep -q incomplete "$TMP/k9.err" && [ "$n" -gt 0 ]; then
	echo "ok: kill -9: .partial readable, $n probes, dump says: $(head -1 "$TMP/k9.err")"
else
	echo "FAIL: kill -9: dump rc=$rc probes=$n: $(cat "$TMP/k9.err")"; fail=1
fi
exit $fail

#!/bin/bash
# SPDX-License-Identifier: MIT
#
# e2e_resume.sh - `tlsmap scan -o OUT --resume` continues a scan
# that died, exactly once. A slice of the lab is scanned, killed with
# kill -9 twice at different points (once early, once after a few
# checkpoints), and rerun with the same command until it completes. The
# finished OUT must hold every (ip, port, sni) probe exactly once (second
# control probes included), every certificate a probe references exactly
# once, and match the lab's ground truth for the slice (tls_truth, as
# e2e_truth). Verdicts come from evidence (no --interceptors list), so the
# evidence carried across the resumes is exercised too. Then: a rerun of
# the complete OUT exits 0 at once; a rerun with another configuration
# exits 2 naming the difference; a bad checkpoint is refused with exit 2.
source "$(dirname "$0")/tls_common.sh"
export TLS_NO_INTERCEPTORS=1 TLS_NO_SNI_FILE=1
trap 'exit 1' INT TERM HUP PIPE # a signal would skip the EXIT trap's cleanup

RANGES=(198.18.0.0/26 198.18.8.0/27 198.18.20.0/26)
SNIS=(facebook.com vk.com mail.ru twitter.com)
args=(--seed 11 --sni "${SNIS[0]}" --sni "${SNIS[1]}" --sni "${SNIS[2]}" --sni "${SNIS[3]}"
	-r 10 --max-connections 32 --read-timeout 20 "${RANGES[@]}")
out=$TMP/resume.tlsmap
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
start=$SECONDS

# the truth of the slice: its addresses (dry-run listing not needed: the
# addresses of RANGES) and the control plus the SNIs scanned
python3 - "$TRUTH" "${SNIS[*]}" "${RANGES[@]}" >"$TMP/truth.tsv" <<'PY'
import ipaddress, sys
truth, snis, ranges = sys.argv[1], set(sys.argv[2].split()) | {"@control"}, sys.argv[3:]
nets = [ipaddress.ip_network(r) for r in ranges]
with open(truth) as f:
    print(f.readline(), end="")
    for line in f:
        ip, _, sni = line.split("\t")[:3]
        if sni in snis and any(ipaddress.ip_address(ip) in n for n in nets):
            print(line, end="")
PY
TRUTH=$TMP/truth.tsv

# the scanner itself (not the timeout and ip netns exec around it)
scan_pid() { pgrep -f "^$TLSMAP_BIN scan .*-o $out( |$)" | head -1; }

# run_and_kill WAIT_CHECKPOINTS EXTRA_SECONDS: start the scan, wait until
# OUT.checkpoint was written WAIT_CHECKPOINTS times (its mtime changes),
# EXTRA_SECONDS more, then kill -9 the scanner itself
run_and_kill() {
	local want=$1 extra=$2 seen=0 last="" m pid
	tls_scan "$out" "${args[@]}" --resume >>"$TMP/runs.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 240); do
		m=$(stat -c %Y.%s "$out.checkpoint" 2>/dev/null || true)
		if [ -n "$m" ] && [ "$m" != "$last" ]; then seen=$((seen + 1)) last=$m; fi
		[ $seen -ge "$want" ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.25
	done
	sleep "$extra"
	if ! kill -0 $pid 2>/dev/null; then
		echo "scan ended before the kill"; wait $pid; return 1
	fi
	local victim
	victim=$(scan_pid)
	[ -n "$victim" ] || { echo "no scanner process to kill"; kill -9 $pid; return 1; }
	kill -9 "$victim"
	wait $pid 2>/dev/null
	echo "killed after $seen checkpoint(s) + ${extra}s: $(stat -c %s "$out.partial") bytes in $out.partial"
}

run_and_kill 2 1 || bad "first run ended before it could be killed (make the scan slower)"
[ -e "$out.partial" ] && [ -e "$out.checkpoint" ] || bad "no OUT.partial and OUT.checkpoint after kill -9"
run_and_kill 3 2 || bad "second run ended before it could be killed"
runs=2
for _ in 1 2 3 4; do
	[ -e "$out" ] && break
	runs=$((runs + 1))
	tls_scan "$out" "${args[@]}" --resume >>"$TMP/runs.log" 2>&1 || echo "run $runs exited $?"
done
grep "resuming" "$TMP/runs.log"
tail -3 "$TMP/runs.log"
echo "scan runs: $runs, $((SECONDS - start)) s"
[ -f "$out" ] || { bad "$out not complete after $runs runs"; exit 1; }
[ ! -e "$out.partial" ] && [ ! -e "$out.checkpoint" ] || bad "OUT.partial or OUT.checkpoint left after completion"

"$TLSMAP_BIN" dump "$out" >"$TMP/all.jsonl" || bad "dump $out"
# exactly once: every probe, the second control included
jq -r 'select(.probe) | [.ipText, .probe.port, (.probe.sni // ""), (.probe.isControl // false), (.probe.secondControl // false)] | @tsv' \
	"$TMP/all.jsonl" | sort >"$TMP/keys"
dups=$(uniq -d "$TMP/keys" | wc -l)
[ "$dups" = 0 ] && ok "$(wc -l <"$TMP/keys") probes, each exactly once" || { bad "$dups probes written more than once"; uniq -d "$TMP/keys" | head -5; }
# certificates: each once, and every chain entry present
jq -r 'select(.certificate) | .certificate.sha256' "$TMP/all.jsonl" | sort >"$TMP/certs"
jq -r 'select(.probe) | (.probe.chain // [])[]' "$TMP/all.jsonl" | sort -u >"$TMP/refs"
[ -z "$(uniq -d "$TMP/certs")" ] && ok "$(wc -l <"$TMP/certs") certificates, each once" || bad "a certificate written twice"
missing=$(comm -23 "$TMP/refs" "$TMP/certs" | wc -l)
[ "$missing" = 0 ] && ok "every certificate a probe references is in the file" || bad "$missing referenced certificates missing"
resumed=$(jq -r 'select(.end) | .end.resumed // 0' "$TMP/all.jsonl")
[ "${resumed:-0}" -ge 2 ] && ok "ScanEnd.resumed = $resumed" || bad "ScanEnd.resumed = ${resumed:-none}, want >= 2"
# the lab's truth, checked as e2e_truth checks it
tls_truth "$out" || bad "truth"

# a rerun of the complete scan: exit 0 at once
s=$SECONDS
tls_scan "$out" "${args[@]}" --resume >"$TMP/again.log" 2>&1
rc=$?
[ $rc = 0 ] && grep -q "complete already" "$TMP/again.log" && [ $((SECONDS - s)) -lt 10 ] &&
	ok "rerun of the complete scan: exit 0 at once" || bad "rerun of complete: rc=$rc $(cat "$TMP/again.log")"
# another configuration: exit 2 naming it (complete file, then a checkpoint)
tls_scan "$out" "${args[@]}" --resume --connect-timeout 3 >"$TMP/other.log" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "timeouts" "$TMP/other.log" && ok "other configuration: exit 2: $(head -1 "$TMP/other.log")" ||
	bad "other configuration: rc=$rc $(cat "$TMP/other.log")"
out2=$TMP/bad.tlsmap
printf 'tlsmap-checkpoint 1\nposition 3\n' >"$out2.checkpoint"
: >"$out2.partial"
tls_scan "$out2" "${args[@]}" --resume >"$TMP/bad.log" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "checkpoint" "$TMP/bad.log" && ok "bad checkpoint: exit 2: $(head -1 "$TMP/bad.log")" ||
	bad "bad checkpoint: rc=$rc $(cat "$TMP/bad.log")"
echo "e2e_resume took $((SECONDS - start)) s"
[ $fail = 0 ] && echo "PASS e2e_resume" || echo "FAIL e2e_resume"
exit $fail

#!/bin/bash
# SPDX-License-Identifier: MIT
#
# e2e_resume.sh - `tlsmap scan -o OUT --resume` continues a scan
# that died, exactly once. A slice of the lab is scanned once without
# interruption (the reference), then again with --resume: killed with
# kill -9 twice (each time only once OUT.checkpoint shows hosts durable,
# the second after a few more checkpoints), stopped once with SIGTERM,
# and rerun with the same command until it completes. The finished OUT
# must hold every (ip, port, sni) probe exactly once (second control
# probes included), every certificate a probe references exactly once,
# the reference's verdicts probe by probe (the plan's unstable hosts left
# out, as in e2e_slurm), and match the lab's ground truth for the slice
# (tls_truth, as e2e_truth). The hosts durable at each stop (records in
# the checkpoint's durable prefix, not listed open) must not be probed
# again: their records in the final OUT are the very ones of that prefix
# (same end times) and no others. Verdicts come from evidence (no
# --interceptors list), so the evidence carried across the resumes is
# exercised too. Then: a rerun of the complete OUT exits 0 at once; a
# rerun with another configuration exits 2 naming the difference; a bad
# checkpoint is refused with exit 2.
source "$(dirname "$0")/tls_common.sh"
export TLS_NO_INTERCEPTORS=1 TLS_NO_SNI_FILE=1
trap 'exit 1' INT TERM HUP PIPE # a signal would skip the EXIT trap's cleanup

RANGES=(198.18.0.0/26 198.18.8.0/27 198.18.20.0/26)
SNIS=(facebook.com vk.com mail.ru twitter.com)
args=(--seed 11 --control-sni control-e2e-resume.example --sni "${SNIS[0]}" --sni "${SNIS[1]}" --sni "${SNIS[2]}" --sni "${SNIS[3]}"
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

# durable_hosts FILE: from OUT.checkpoint and OUT.partial as they are, the
# probes of the hosts durable (in the checkpoint's durable prefix of
# OUT.partial, not listed open), one line each into FILE: ip port sni
# control second-control end-time. Prints how many hosts (0 without a
# checkpoint). The checkpoint is read first: OUT.partial only grows past
# the offset it names.
durable_hosts() {
	[ -e "$out.checkpoint" ] || { : >"$1"; echo 0; return; }
	python3 - "$out" "$TLSMAP_BIN" "$TMP/prefix.tlsmap" "$1" <<'PY'
import ipaddress, json, subprocess, sys
out, tlsmap, prefix, dst_path = sys.argv[1:]
lines = open(out + ".checkpoint").read().splitlines()
kv = dict(l.split(" ", 1) for l in lines if " " in l)
opened = {int(l.split()[1], 16) for l in lines if l.startswith("open ")}
with open(out + ".partial", "rb") as src, open(prefix + ".partial", "wb") as dst:
    dst.write(src.read(int(kv["durable_offset"])))
dump = subprocess.run([tlsmap, "dump", "--type", "probe", prefix + ".partial"], capture_output=True, text=True)
hosts = set()
with open(dst_path, "w") as f:
    for l in dump.stdout.splitlines():
        p = json.loads(l)
        pr = p["probe"]
        key = int(ipaddress.ip_address(p["ipText"])) << 16 | pr["port"]
        if key in opened:
            continue
        hosts.add(key)
        print("\t".join(str(x) for x in (p["ipText"], pr["port"], pr.get("sni", ""),
              str(pr.get("isControl", False)).lower(), str(pr.get("secondControl", False)).lower(),
              pr.get("endUs", 0))), file=f)
print(len(hosts))
PY
}

# run_and_stop SIGNAL WAIT_CHECKPOINTS: start the scan, wait (at most 60 s)
# until OUT.checkpoint was rewritten WAIT_CHECKPOINTS times showing more
# hosts durable than the previous stop left (so this run made some durable,
# and its signal handlers are in place: the checkpoint a rerun writes
# before it starts shows only the old ones), then send SIGNAL to the
# scanner itself, and add the hosts durable at that stop to
# $TMP/durable.tsv
durable_before=0
run_and_stop() {
	local sig=$1 want=$2 seen=0 last="" m pid rc n
	tls_scan "$out" "${args[@]}" --resume >>"$TMP/runs.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 240); do
		m=$(stat -c %Y.%s "$out.checkpoint" 2>/dev/null || true)
		if [ -n "$m" ] && [ "$m" != "$last" ]; then
			last=$m
			[ "$(durable_hosts "$TMP/cand.tsv")" -gt "$durable_before" ] && seen=$((seen + 1))
		fi
		[ $seen -ge "$want" ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.25
	done
	if ! kill -0 $pid 2>/dev/null; then
		echo "scan ended before the stop"; wait $pid; return 1
	fi
	local victim
	victim=$(scan_pid)
	[ -n "$victim" ] || { echo "no scanner process to stop"; kill -9 $pid; return 1; }
	[ $seen -ge "$want" ] || { echo "no durable host in 60 s"; kill -9 "$victim"; wait $pid; return 1; }
	kill "-$sig" "$victim"
	wait $pid 2>/dev/null
	rc=$?
	n=$(durable_hosts "$TMP/stop.tsv")
	cat "$TMP/stop.tsv" >>"$TMP/durable.tsv"
	echo "SIG$sig after $seen checkpoint(s) showing more durable hosts: exit $rc, $(stat -c %s "$out.partial") bytes in $out.partial, $n host(s) durable (before: $durable_before)"
	[ "${n:-0}" -gt "$durable_before" ] || { echo "no more hosts durable at the SIG$sig"; return 1; }
	durable_before=$n
	if [ "$sig" = TERM ] && ! { [ $rc = 1 ] && grep -q "stopped by SIGTERM" "$TMP/runs.log"; }; then
		echo "SIGTERM: exit $rc, $(tail -1 "$TMP/runs.log")"
		return 1
	fi
	return 0
}

# the reference: the same scan, not interrupted
s=$SECONDS
tls_scan "$TMP/whole.tlsmap" "${args[@]}" >"$TMP/whole.log" 2>&1 || { tail -5 "$TMP/whole.log"; bad "the uninterrupted scan failed"; }
echo "uninterrupted scan: $((SECONDS - s)) s"

: >"$TMP/durable.tsv"
run_and_stop KILL 1 || bad "first run: no kill -9 with hosts durable (make the scan slower)"
[ -e "$out.partial" ] && [ -e "$out.checkpoint" ] || bad "no OUT.partial and OUT.checkpoint after kill -9"
run_and_stop KILL 3 || bad "second run: no kill -9 with hosts durable"
run_and_stop TERM 1 || bad "third run: no SIGTERM stop with hosts durable"
runs=3
for _ in 1 2 3 4; do
	[ -e "$out" ] && break
	runs=$((runs + 1))
	tls_scan "$out" "${args[@]}" --resume >>"$TMP/runs.log" 2>&1 || echo "run $runs exited $?"
done
grep "resuming" "$TMP/runs.log"
# an unfinished host does not hold the position back: hosts whose records
# wait for cross-host evidence are probed again instead, and the reruns
# start past the beginning of the walk
last_from=$(grep -o "from target [0-9]*" "$TMP/runs.log" | tail -1 | grep -o "[0-9]*$")
[ "${last_from:-0}" -gt 0 ] && ok "the last rerun started from target $last_from" ||
	bad "every rerun started from target 0: the position is held back"
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
[ "${resumed:-0}" -ge 3 ] && ok "ScanEnd.resumed = $resumed" || bad "ScanEnd.resumed = ${resumed:-none}, want >= 3"
# the hosts durable at a stop were not probed again: their records are
# exactly those of the prefix (same end times), no more
"$TLSMAP_BIN" dump --type probe "$out" |
	jq -r '[.ipText, .probe.port, (.probe.sni // ""), (.probe.isControl // false), (.probe.secondControl // false), (.probe.endUs // 0 | tostring)] | @tsv' |
	sort >"$TMP/final.tsv"
sort -u "$TMP/durable.tsv" >"$TMP/durable.sorted"
cut -f1,2 "$TMP/durable.sorted" | sort -u | sed 's/$/\t/' >"$TMP/durable.hosts"
grep -F -f "$TMP/durable.hosts" "$TMP/final.tsv" >"$TMP/final.durable" || true
nd=$(wc -l <"$TMP/durable.hosts")
if [ "$nd" -gt 0 ] && cmp -s "$TMP/durable.sorted" "$TMP/final.durable"; then
	ok "the $nd hosts durable at a stop were not probed again ($(wc -l <"$TMP/durable.sorted") probes kept as written)"
else
	bad "hosts durable at a stop ($nd) probed again or lost:"
	diff "$TMP/durable.sorted" "$TMP/final.durable" | head -10
fi
# the verdicts of the uninterrupted scan, probe by probe (the plan's
# unstable hosts pick a backend at random per connection: left out)
awk '$1 == "host" && $3 == "unstable" { printf "%s\t\n", $2 }' "$HERE/plan.tsv" >"$TMP/unstable.txt"
tls_probes_tsv "$TMP/whole.tlsmap" | cut -f1-5 | grep -v -F -f "$TMP/unstable.txt" >"$TMP/whole.v"
tls_probes_tsv "$out" | cut -f1-5 | grep -v -F -f "$TMP/unstable.txt" >"$TMP/resumed.v"
if [ -s "$TMP/whole.v" ] && cmp -s "$TMP/whole.v" "$TMP/resumed.v"; then
	ok "the same $(wc -l <"$TMP/whole.v") probes and verdicts as the uninterrupted scan"
else
	bad "verdicts differ from the uninterrupted scan:"
	diff "$TMP/whole.v" "$TMP/resumed.v" | head -20
fi
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

#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap dump / summary / merge on synthetic datasets written by the real
# writer (output_gen_lab): JSON Lines validity and filters, incomplete-file
# reporting, summary table and CSV, and merge: two shards merged summarise
# (and dump) exactly like the unsharded scan; mismatched shards are refused.
set -u
# shellcheck source=tests/unit/test.sh
source "$(dirname "$0")/test.sh"

"$GEN" "$T/all.tlsmap" 0 1 || { echo "FAIL: generator"; exit 1; }
"$GEN" "$T/s0.tlsmap" 0 2 && "$GEN" "$T/s1.tlsmap" 1 2 || { echo "FAIL: generator"; exit 1; }

# dump
"$BIN" dump "$T/all.tlsmap" > "$T/all.jsonl" 2> "$T/err"; rc=$?
[ $rc = 0 ] && [ ! -s "$T/err" ] && ok "dump complete file exits 0" || bad "dump rc=$rc $(cat "$T/err")"
n=$(wc -l < "$T/all.jsonl")
np=$("$BIN" dump --type probe "$T/all.tlsmap" | wc -l)
nm=$("$BIN" dump --type meta --type end "$T/all.tlsmap" | wc -l)
[ "$np" = 160 ] && [ "$nm" = 2 ] && ok "dump --type filters ($n records, $np probes)" || bad "probes=$np meta+end=$nm"
if command -v jq >/dev/null; then
	jq -e . "$T/all.jsonl" >/dev/null && ok "every line is JSON" || bad "invalid JSON"
	v=$(jq -r 'select(.probe) | select(.ipText=="198.18.1.3" and .probe.sni=="www.google.com") | .probe.verdict' "$T/all.jsonl")
	[ "$v" = VERDICT_INTERCEPTED ] && ok "enum by name, ipText" || bad "verdict '$v'"
	s=$(jq -r 'select(.meta) | .meta.seed' "$T/all.jsonl")
	[ "$s" = 42 ] && ok "uint64 as string" || bad "seed '$s'"
fi
"$BIN" dump --type bogus "$T/all.tlsmap" >/dev/null 2>&1; [ $? = 2 ] && ok "bad --type exits 2" || bad "bad --type"

"$GEN" "$T/noend.tlsmap" 0 1 noend
"$BIN" dump "$T/noend.tlsmap" > /dev/null 2> "$T/err"; rc=$?
[ $rc = 1 ] && grep -q '^incomplete: .*no ScanEnd' "$T/err" && ok "no ScanEnd: incomplete, exit 1" || bad "noend rc=$rc $(cat "$T/err")"
size=$(stat -c %s "$T/all.tlsmap")
head -c $((size - 7)) "$T/all.tlsmap" > "$T/cut.tlsmap"
"$BIN" dump "$T/cut.tlsmap" > "$T/cut.jsonl" 2> "$T/err"; rc=$?
[ $rc = 1 ] && grep -q '^incomplete: .*truncated.*byte offset [0-9]' "$T/err" && ok "truncated: offset reported" || bad "cut rc=$rc $(cat "$T/err")"
[ "$(wc -l < "$T/cut.jsonl")" = $((n - 1)) ] && ok "truncated: all complete records printed" || bad "cut printed $(wc -l < "$T/cut.jsonl")"

# summary
"$BIN" summary "$T/all.tlsmap" > "$T/sum.txt" || bad "summary rc"
grep -q '^KZ .* 8 .*72.7%.*Qaznet Trust Network (8).*www.google.com' "$T/sum.txt" && ok "summary table KZ row" || { bad "KZ row"; cat "$T/sum.txt"; }
grep -q '^DE .* 0 .*0.0%' "$T/sum.txt" && ok "summary table DE 0%" || bad "DE row"
"$BIN" summary --csv --by asn "$T/all.tlsmap" > "$T/asn.csv"
grep -q '^KZ 9198,KZ,9198,JSC Kazakhtelecom,10,10,8,0.800000,' "$T/asn.csv" && ok "summary CSV by asn" || { bad "asn csv"; cat "$T/asn.csv"; }
"$BIN" summary --by nope "$T/all.tlsmap" >/dev/null 2>&1; [ $? = 2 ] && ok "bad --by exits 2" || bad "bad --by"
"$BIN" summary --by hop "$T/all.tlsmap" > "$T/hop.txt"
grep -q '^198.19.200.2 (KZ AS9198) .* 8 .*Qaznet Trust Network (8)' "$T/hop.txt" && ok "summary by hop: router before the KZ interceptor" || { bad "hop row"; cat "$T/hop.txt"; }

# merge
"$BIN" merge -o "$T/merged.tlsmap" "$T/s1.tlsmap" "$T/s0.tlsmap" 2>"$T/err" && ok "merge 2 shards" || bad "merge: $(cat "$T/err")"
for by in country asn issuer sni hop; do
	"$BIN" summary --csv --by $by "$T/all.tlsmap" > "$T/a.csv"
	"$BIN" summary --csv --by $by "$T/merged.tlsmap" > "$T/m.csv"
	"$BIN" summary --csv --by $by "$T/s0.tlsmap" "$T/s1.tlsmap" > "$T/s.csv"
	cmp -s "$T/a.csv" "$T/m.csv" && cmp -s "$T/a.csv" "$T/s.csv" && ok "merged summary by $by equals unsharded" || bad "summary by $by differs"
done
"$BIN" dump --type probe "$T/all.tlsmap" | sort > "$T/a.p"
"$BIN" dump --type probe "$T/merged.tlsmap" | sort > "$T/m.p"
cmp -s "$T/a.p" "$T/m.p" && ok "merged probes equal unsharded probes" || bad "probes differ"
ca=$("$BIN" dump --type cert "$T/all.tlsmap" | sort | md5sum)
cm=$("$BIN" dump --type cert "$T/merged.tlsmap" | sort | md5sum)
[ "$ca" = "$cm" ] && ok "certificates deduplicated across shards" || bad "certificates differ"
if command -v jq >/dev/null; then
	m=$("$BIN" dump --type meta "$T/merged.tlsmap" | jq -c '[.meta.shard // 0, .meta.shards, .meta.mergedShards, .meta.mergedShardIndexes]')
	[ "$m" = '[0,1,2,[0,1]]' ] && ok "merged meta records shards" || bad "merged meta $m"
fi
"$GEN" "$T/seed.tlsmap" 1 2 end 43
"$BIN" merge -o "$T/x.tlsmap" "$T/s0.tlsmap" "$T/seed.tlsmap" 2>"$T/err"; rc=$?
[ $rc != 0 ] && grep -q 'seed differs' "$T/err" && [ ! -e "$T/x.tlsmap" ] && ok "seed mismatch refused" || bad "seed mismatch rc=$rc $(cat "$T/err")"
"$BIN" merge -o "$T/x.tlsmap" "$T/s0.tlsmap" "$T/s0.tlsmap" 2>"$T/err"; rc=$?
[ $rc != 0 ] && grep -q 'same shard' "$T/err" && ok "duplicate shard refused" || bad "dup shard rc=$rc"
"$GEN" "$T/n1.tlsmap" 1 2 noend
"$BIN" merge -o "$T/x.tlsmap" "$T/s0.tlsmap" "$T/n1.tlsmap" 2>"$T/err"; rc=$?
[ $rc != 0 ] && grep -q 'incomplete' "$T/err" && [ ! -e "$T/x.tlsmap" ] && ok "incomplete shard refused" || bad "incomplete rc=$rc"
"$BIN" merge --allow-incomplete -o "$T/x.tlsmap" "$T/s0.tlsmap" "$T/n1.tlsmap" 2>"$T/err" && ok "--allow-incomplete merges" || bad "allow-incomplete $(cat "$T/err")"
"$BIN" merge "$T/s0.tlsmap" >/dev/null 2>&1; [ $? = 2 ] && ok "merge without -o exits 2" || bad "merge no -o"

# No failure destroys an existing file.
cp "$T/all.tlsmap" "$T/prev.tlsmap"
"$BIN" merge -o "$T/prev.tlsmap" "$T/s0.tlsmap" "$T/n1.tlsmap" 2>"$T/err"; rc=$?
[ $rc != 0 ] && cmp -s "$T/all.tlsmap" "$T/prev.tlsmap" && [ ! -e "$T/prev.tlsmap.partial" ] &&
	ok "refused merge leaves an existing OUT as it was" || bad "refused merge touched OUT: rc=$rc $(cat "$T/err")"
"$BIN" merge -o "$T/prev.tlsmap" "$T/s0.tlsmap" "$T/seed.tlsmap" 2>"$T/err"; rc=$?
[ $rc != 0 ] && cmp -s "$T/all.tlsmap" "$T/prev.tlsmap" && ok "mismatched merge leaves OUT" || bad "mismatch touched OUT rc=$rc"
cp "$T/s0.tlsmap" "$T/s0.keep"
"$BIN" merge -o "$T/s0.tlsmap" "$T/s0.tlsmap" "$T/s1.tlsmap" 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q 'also an input' "$T/err" && cmp -s "$T/s0.keep" "$T/s0.tlsmap" && [ ! -e "$T/s0.tlsmap.partial" ] &&
	ok "merge -o IN IN... refused (exit 2), input untouched" || bad "output = input: rc=$rc $(cat "$T/err")"
ln -s s1.tlsmap "$T/link.tlsmap"; ln "$T/s1.tlsmap" "$T/hard.tlsmap"
cp "$T/s1.tlsmap" "$T/s1.keep"
for o in "$T/link.tlsmap" "$T/hard.tlsmap" "$T/./sub/../s1.tlsmap"; do
	mkdir -p "$T/sub"
	"$BIN" merge -o "$o" "$T/s0.tlsmap" "$T/s1.tlsmap" 2>"$T/err"; rc=$?
	[ $rc = 2 ] && cmp -s "$T/s1.keep" "$T/s1.tlsmap" && ok "output $(basename "$o") = an input by inode/path: refused" ||
		bad "output $o = input: rc=$rc $(cat "$T/err")"
done
cp "$T/s1.tlsmap" "$T/m2.tlsmap.partial"
"$BIN" merge -o "$T/m2.tlsmap" "$T/s0.tlsmap" "$T/m2.tlsmap.partial" 2>"$T/err"; rc=$?
[ $rc = 2 ] && cmp -s "$T/s1.keep" "$T/m2.tlsmap.partial" && ok "OUT.partial as an input: refused" || bad "OUT.partial input rc=$rc"

# Standard output that cannot be written is an error.
if [ -w /dev/full ]; then
	for c in "dump $T/all.tlsmap" "dump --type probe $T/all.tlsmap" "summary $T/all.tlsmap" \
		"summary --csv --by issuer $T/all.tlsmap" "dump --help" "--help"; do
		"$BIN" $c > /dev/full 2> "$T/err"; rc=$?
		[ $rc != 0 ] && grep -q 'cannot write standard output: No space left on device' "$T/err" &&
			ok "$c > /dev/full: exit $rc, error named" || bad "$c > /dev/full: rc=$rc $(cat "$T/err")"
	done
fi
# A report that cannot be written completely leaves an existing page alone.
echo "previous report" > "$T/r.html"
bash -c 'ulimit -f 1; exec "$@"' sh "$BIN" report -o "$T/r.html" "$T/all.tlsmap" 2> "$T/err"; rc=$?
[ $rc != 0 ] && [ "$(cat "$T/r.html")" = "previous report" ] && [ ! -e "$T/r.html.partial" ] &&
	ok "report write error: exit $rc, previous page kept" || bad "report write error: rc=$rc $(cat "$T/err")"
cp "$T/s1.tlsmap" "$T/s1.keep"
"$BIN" report -o "$T/s1.tlsmap" "$T/s0.tlsmap" "$T/s1.tlsmap" 2> "$T/err"; rc=$?
[ $rc = 2 ] && cmp -s "$T/s1.keep" "$T/s1.tlsmap" && ok "report -o INPUT refused (exit 2), input untouched" ||
	bad "report -o INPUT: rc=$rc $(cat "$T/err")"

# Compressed datasets: every reader takes both forms, by content
# not by name; merge writes compressed when -o ends in .zst.
"$GEN" "$T/z0.tlsmap.zst" 0 2 && "$GEN" "$T/z1.tlsmap.zst" 1 2 && "$GEN" "$T/zall.tlsmap.zst" 0 1 ||
	bad "generator .zst"
[ "$(head -c 4 "$T/zall.tlsmap.zst" | od -An -tx1 | tr -d ' ')" = 28b52ffd ] &&
	ok ".zst output is zstd frames" || bad ".zst output is not zstd"
if command -v zstd >/dev/null; then
	zstd -q -d -c "$T/zall.tlsmap.zst" | cmp -s - "$T/all.tlsmap" && ok "zstd -d gives the plain dataset" ||
		bad "zstd -d differs from the plain file"
fi
cp "$T/zall.tlsmap.zst" "$T/zall-renamed.tlsmap"
"$BIN" dump "$T/zall-renamed.tlsmap" | cmp -s - "$T/all.jsonl" && ok "dump of a compressed file named .tlsmap" ||
	bad "dump of compressed differs"
"$BIN" summary --csv --by asn "$T/zall.tlsmap.zst" | cmp -s - "$T/asn.csv" && ok "summary reads .zst" || bad "summary .zst"
"$BIN" merge -o "$T/zm.tlsmap.zst" "$T/z1.tlsmap.zst" "$T/s0.tlsmap" 2>"$T/err" && ok "merge of a .zst and a plain shard" ||
	bad "merge .zst: $(cat "$T/err")"
[ "$(head -c 4 "$T/zm.tlsmap.zst" | od -An -tx1 | tr -d ' ')" = 28b52ffd ] && ok "merge -o X.zst writes compressed" ||
	bad "merge -o X.zst not compressed"
"$BIN" summary --csv --by issuer "$T/zm.tlsmap.zst" > "$T/zm.csv"
"$BIN" summary --csv --by issuer "$T/all.tlsmap" | cmp -s - "$T/zm.csv" && ok "merged .zst summarises like the unsharded scan" ||
	bad "merged .zst summary differs"
"$BIN" diff "$T/all.tlsmap" "$T/zall.tlsmap.zst" > /dev/null 2> "$T/err"; rc=$?
[ $rc = 0 ] && ok "diff plain vs compressed" || bad "diff .zst rc=$rc $(cat "$T/err")"
"$BIN" report --map /dev/null -o "$T/z.html" "$T/zall.tlsmap.zst" 2> "$T/err" && [ -s "$T/z.html" ] &&
	ok "report reads .zst" || bad "report .zst $(cat "$T/err")"
zsize=$(stat -c %s "$T/zall.tlsmap.zst")
head -c $((zsize - 30)) "$T/zall.tlsmap.zst" > "$T/zcut.tlsmap.zst"
"$BIN" dump "$T/zcut.tlsmap.zst" > /dev/null 2> "$T/err"; rc=$?
[ $rc = 1 ] && grep -q '^incomplete: .*truncated' "$T/err" && ok "cut .zst: incomplete, exit 1" ||
	bad "cut .zst rc=$rc $(cat "$T/err")"
echo "an existing file" > "$T/keep.tlsmap.zst"
"$BIN" merge -o "$T/keep.tlsmap.zst" "$T/zcut.tlsmap.zst" 2> "$T/err"; rc=$?
[ $rc != 0 ] && [ "$(cat "$T/keep.tlsmap.zst")" = "an existing file" ] && [ ! -e "$T/keep.tlsmap.zst.partial" ] &&
	ok "refused merge to .zst keeps the existing file" || bad "merge .zst refused: rc=$rc $(cat "$T/err")"
test_done

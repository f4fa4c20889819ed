#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap sweep without a scan (--dataset publishes an existing one, as a
# backfill would): two runs give two dated directories with the dataset, the
# three summary CSVs and the report; series.csv holds both runs' rows, equal
# to `summary --by country --csv` with date and sweep in front; latest points
# at the second. A date that exists is refused and nothing changes; an
# incomplete dataset is not published; bad input exits 2 naming it.
set -u
# shellcheck source=tests/unit/test.sh
source "$(dirname "$0")/test.sh"
expect() { # expect RC TEXT ARGS...
	local rc=$1 want=$2 out got; shift 2
	out=$("$BIN" sweep "$@" 2>&1); got=$?
	[ "$got" = "$rc" ] && [[ $out == *"$want"* ]] && ok "sweep $* -> $rc" || bad "sweep $*: rc=$got (want $rc), want '$want' in: $out"
}
# b: a week after a, the KZ interceptor down to 3 hosts (the report's timeline)
"$GEN" "$T/a.tlsmap" && TD_START=1768199400 TD_KZ_FORGED=3 "$GEN" "$T/b.tlsmap" 0 1 end 7 && "$GEN" "$T/noend.tlsmap" 0 1 noend || { echo "FAIL generator"; exit 1; }
printf '# a sweep\nsweep.name = kz-weekly\ntarget-ports = 443\n' >"$T/kz.conf"
R=$T/root
expect 0 "published $R/2026-01-05" -C "$T/kz.conf" --root "$R" --date 2026-01-05 --dataset "$T/a.tlsmap"
expect 0 "published $R/2026-01-12T063000Z" -C "$T/kz.conf" --root "$R" --date 2026-01-12T063000Z --dataset "$T/b.tlsmap"
for d in 2026-01-05 2026-01-12T063000Z; do
	for f in scan.tlsmap summary-country.csv summary-asn.csv summary-issuer.csv report.html series-rows.csv; do
		[ -s "$R/$d/$f" ] || bad "$d/$f missing"
	done
done
cmp -s "$R/2026-01-05/scan.tlsmap" "$T/a.tlsmap" && ok "dataset copied" || bad "dataset differs"
for by in country asn issuer; do
	"$BIN" summary --by $by --csv "$T/b.tlsmap" | cmp -s - "$R/2026-01-12T063000Z/summary-$by.csv" &&
		ok "summary-$by.csv = tlsmap summary --by $by --csv" || bad "summary-$by.csv differs"
done
grep -q '<section id="countries">' "$R/2026-01-05/report.html" && ok "report.html" || bad "report.html"
# the second run's report has the timeline of both; the first has none
! grep -q '<section id="timeline">' "$R/2026-01-05/report.html" &&
	grep -q '<section id="timeline">' "$R/2026-01-12T063000Z/report.html" &&
	grep -q 'Hosts no longer intercepted: 198.18.1.3, 198.18.1.4' "$R/2026-01-12T063000Z/report.html" &&
	ok "second report: timeline and changes since the first" || bad "no timeline in the second report"
{
	"$BIN" summary --by country --csv "$T/a.tlsmap" | sed '1s/^/date,sweep,/; 2,$s/^/2026-01-05,kz-weekly,/'
	"$BIN" summary --by country --csv "$T/b.tlsmap" | sed '1d; s/^/2026-01-12T063000Z,kz-weekly,/'
} >"$T/want-series.csv"
cmp -s "$T/want-series.csv" "$R/series.csv" && ok "series.csv: both runs, one row per country ($(($(wc -l <"$R/series.csv") - 1)) rows)" ||
	{ bad "series.csv differs"; diff "$T/want-series.csv" "$R/series.csv" | head; }
[ "$(readlink "$R/latest")" = 2026-01-12T063000Z ] && ok "latest -> 2026-01-12T063000Z" || bad "latest -> $(readlink "$R/latest")"
cp "$R/series.csv" "$T/series.before"
expect 1 "exists" -C "$T/kz.conf" --root "$R" --date 2026-01-05 --dataset "$T/b.tlsmap"
expect 1 "incomplete" -C "$T/kz.conf" --root "$R" --date 2026-01-19 --dataset "$T/noend.tlsmap"
cmp -s "$T/series.before" "$R/series.csv" && [ ! -e "$R/2026-01-19" ] && [ "$(readlink "$R/latest")" = 2026-01-12T063000Z ] &&
	ok "refused runs changed nothing" || bad "refused runs changed the root"
cmp -s "$R/2026-01-05/scan.tlsmap" "$T/a.tlsmap" && ok "existing date untouched" || bad "existing date overwritten"
# a backfill (an earlier date) lands in date order and leaves latest alone
expect 0 "published $R/2026-01-01" -C "$T/kz.conf" --root "$R" --date 2026-01-01 --dataset "$T/b.tlsmap"
[ "$(cut -d, -f1 "$R/series.csv" | uniq | tr '\n' ' ')" = "date 2026-01-01 2026-01-05 2026-01-12T063000Z " ] &&
	ok "backfill: series.csv in date order" || bad "series order: $(cut -d, -f1 "$R/series.csv" | uniq | tr '\n' ' ')"
[ "$(readlink "$R/latest")" = 2026-01-12T063000Z ] && ok "backfill: latest unchanged" || bad "latest -> $(readlink "$R/latest")"
# sweep.lang: the report's language; a bad one exits 2 naming it
printf 'sweep.name = kz-kk\nsweep.lang = kk\n' >"$T/kk.conf"
expect 0 "published $T/kk/2026-01-05" -C "$T/kk.conf" --root "$T/kk" --date 2026-01-05 --dataset "$T/a.tlsmap"
grep -q '<html lang="kk">' "$T/kk/2026-01-05/report.html" && ok "sweep.lang = kk" || bad "sweep.lang"
printf 'sweep.name = kz-xx\nsweep.lang = xx\n' >"$T/xx.conf"
expect 2 "sweep.lang 'xx'" -C "$T/xx.conf" --root "$T/xx" --date 2026-01-05 --dataset "$T/a.tlsmap"
# a series written by another version is not appended to
sed -i '1s/$/,extra/' "$R/series.csv"; cp "$R/series.csv" "$T/series.other"
expect 1 "header" -C "$T/kz.conf" --root "$R" --date 2026-01-26 --dataset "$T/a.tlsmap"
cmp -s "$T/series.other" "$R/series.csv" && ok "foreign series.csv kept" || bad "foreign series.csv changed"
# sweep.slurm: the submission goes through deploy/slurm/submit (a stand-in here,
# which checks what it is given and writes merged.tlsmap as the merge job would)
cat >"$T/submit" <<'SUBMIT'
#!/bin/bash
echo "$*" >"$FAKE_ARGS"; echo "TLSMAP=$TLSMAP" >>"$FAKE_ARGS"
while [ $# -gt 0 ]; do [ "$1" = --out ] && out=$2; shift; done
mkdir -p "$out" && cp "$FAKE_DATASET" "$out/merged.tlsmap"
SUBMIT
chmod +x "$T/submit"
printf 'sweep.slurm = true
sweep.shards = 3
sweep.sbatch-opt = --time=1:00:00
sweep.submit = %s
rate = 5
' "$T/submit" >"$T/cl.conf"
FAKE_ARGS=$T/args FAKE_DATASET=$T/b.tlsmap expect 0 "submitting 3 shard(s) to Slurm" -C "$T/cl.conf" --root "$T/cl" --date 2026-02-02
want="--shards 3 --out $T/cl/.partial-2026-02-02/slurm --wait --sbatch-opt --time=1:00:00 -- -C $T/cl.conf"
[ "$(head -1 "$T/args")" = "$want" ] && ok "submit called as: $want" || bad "submit args: $(head -1 "$T/args")"
grep -qx "TLSMAP=$(readlink -f "$BIN")" "$T/args" && ok "submit told the binary (TLSMAP)" || bad "TLSMAP: $(tail -1 "$T/args")"
cmp -s "$T/b.tlsmap" "$T/cl/2026-02-02/scan.tlsmap" && [ -d "$T/cl/2026-02-02/slurm" ] &&
	ok "merged dataset published as scan.tlsmap" || bad "slurm sweep not published"
printf '#!/bin/bash
exit 1
' >"$T/submit"
expect 1 "exited 1" -C "$T/cl.conf" --root "$T/cl" --date 2026-02-09
[ ! -e "$T/cl/2026-02-09" ] && [ "$(readlink "$T/cl/latest")" = 2026-02-02 ] && ok "failed submission: nothing published" || bad "failed submission published"
# bad input: exit 2 naming it
expect 0 "usage: tlsmap sweep" --help
expect 2 "-C FILE and --root DIR are required" --root "$R"
expect 2 "$T/missing.conf" -C "$T/missing.conf" --root "$R"
expect 2 "invalid value for --date: '2026-13-01'" -C "$T/kz.conf" --root "$R" --date 2026-13-01
expect 2 "invalid value for --date: '2026-1-5'" -C "$T/kz.conf" --root "$R" --date 2026-1-5
expect 2 "unexpected argument 'x'" -C "$T/kz.conf" --root "$R" x
expect 2 "--no-such" -C "$T/kz.conf" --root "$R" --no-such
printf 'sweep.shard = 4\n' >"$T/bad1.conf"
expect 2 "$T/bad1.conf:1: unknown key 'sweep.shard'" -C "$T/bad1.conf" --root "$R"
printf '\nsweep.shards = 0\n' >"$T/bad2.conf"
expect 2 "$T/bad2.conf:2: sweep.shards" -C "$T/bad2.conf" --root "$R"
printf 'sweep.slurm = maybe\n' >"$T/bad3.conf"
expect 2 "$T/bad3.conf:1: sweep.slurm is a flag" -C "$T/bad3.conf" --root "$R"
printf 'sweep.name = a/b\n' >"$T/bad4.conf"
expect 2 "invalid sweep.name 'a/b'" -C "$T/bad4.conf" --root "$R"
# a compressed dataset is published and summarised as it is
"$GEN" "$T/z.tlsmap.zst" || bad "generator .zst"
R2=$T/root-zst
expect 0 "38 hosts with TLS, 9 intercepted" -C "$T/kz.conf" --root "$R2" --date 2026-02-02 --dataset "$T/z.tlsmap.zst"
cmp -s "$R2/2026-02-02/scan.tlsmap" "$T/z.tlsmap.zst" && ok "compressed dataset copied as it is" || bad "compressed dataset differs"
test_done

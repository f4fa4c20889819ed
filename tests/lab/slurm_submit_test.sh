#!/bin/bash
# SPDX-License-Identifier: MIT
#
# slurm_submit_test.sh - deploy/slurm/submit against a private single-node
# Slurm (tests/lab/slurm.sh), with a stand-in for the tlsmap binary that
# records its arguments: the array runs one task per shard with the shared
# seed and the node's settings, the merge runs after all of them, --wait
# exits 0 only when every job COMPLETED, and a failed shard makes it exit 1
# with the merge CANCELLED and no merged file. Root (Slurm runs as root);
# no network traffic; about 15 s.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "skip: a private Slurm needs root"; exit 77; }
for t in slurmctld slurmd munged sbatch; do
	command -v $t >/dev/null || { echo "skip: $t is not installed (scripts/bootstrap installs slurmctld slurmd slurm-client munge)"; exit 77; }
done
TMP=$(mktemp -d /tmp/tlsmap-slurmsub.XXXXXX)
chmod 0755 "$TMP" # munged wants o+x on every directory above its socket
cleanup() { "$HERE/slurm.sh" down "$TMP/slurm" >/dev/null 2>&1; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
"$HERE/slurm.sh" up "$TMP/slurm" || { echo "FAIL slurm.sh up"; exit 1; }
export SLURM_CONF=$TMP/slurm/slurm.conf TLSMAP_SUBMIT_POLL=0.5
# the stand-in: scan writes its arguments to -o; merge concatenates; summary/report write a line
cat >"$TMP/tlsmap" <<'FAKE'
#!/bin/bash
cmd=$1; shift; all="$*"; out=""
case $cmd in
scan) while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done
	[[ -n ${FAKE_FAIL:-} && " $all " == *" --shard $FAKE_FAIL "* ]] && exit 1
	echo "$all" >"$out" ;;
merge) out=$2; shift 2; cat "$@" >"$out" ;;
summary) echo "country,hosts" ;;
report) echo "<html>" >"$2" ;;
esac
FAKE
chmod +x "$TMP/tlsmap"
export TLSMAP=$TMP/tlsmap
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

printf 'source-ip = 198.51.100.9  # this node\niface = eth9\n' >"$TMP/node.conf"
out=$(TLSMAP_NODE_CONF=$TMP/node.conf TLSMAP_IFACE=tlm-x timeout 120 \
	"$SRC/deploy/slurm/submit" --shards 3 --out "$TMP/ok" --seed 11 --wait -- -p 443 198.18.0.0/24 2>"$TMP/err")
rc=$?
[[ $rc = 0 && $out =~ ^array=[0-9]+\ merge=[0-9]+$ ]] && ok "submit --wait: $out" || { bad "submit rc=$rc out='$out'"; cat "$TMP/err"; }
for f in merged.tlsmap summary-country.csv report.html; do
	[ -s "$TMP/ok/$f" ] && ok "$f written" || bad "$f missing"
done
if [ "$(grep -c . "$TMP/ok/merged.tlsmap" 2>/dev/null)" = 3 ]; then ok "3 shards merged"; else bad "merged: $(cat "$TMP/ok/merged.tlsmap" 2>&1)"; fi
for i in 0 1 2; do
	want="--seed 11 --shards 3 --shard $i -o $TMP/ok/shards/.shard-$i.run.tlsmap --resume --iface=tlm-x --source-ip=198.51.100.9 -p 443 198.18.0.0/24"
	grep -qxF -- "$want" "$TMP/ok/merged.tlsmap" && ok "shard $i: seed, shard, node settings (env over file)" || bad "shard $i line missing: $want"
done

out=$(FAKE_FAIL=1 timeout 120 "$SRC/deploy/slurm/submit" --shards 3 --out "$TMP/fail" --wait -- -p 443 -i eth0 198.18.0.0/24 2>"$TMP/err")
rc=$?
if [ $rc = 1 ] && grep -q "_1 ended FAILED" "$TMP/err" && grep -q "merge job .* ended CANCELLED" "$TMP/err" && [ ! -e "$TMP/fail/merged.tlsmap" ]; then
	ok "a failed shard: exit 1, merge CANCELLED, no merged file"
else
	bad "failed shard: rc=$rc"; cat "$TMP/err"
fi
grep -q -- "--iface" "$TMP/fail/shards/shard-0.tlsmap" && bad "-i in SCAN-ARGS should win over the node's iface" || ok "-i in SCAN-ARGS wins"

for args in "--shards 0 --out $TMP/x -- -p 443" "--shards 2 --out $TMP/ok -- -p 443" \
	"--shards 2 --out $TMP/y -- -o f -p 443" "--shards 2 --out $TMP/z" "--shards 2 --bogus"; do
	# shellcheck disable=SC2086
	"$SRC/deploy/slurm/submit" $args >/dev/null 2>&1
	rc=$?
	[ $rc = 2 ] && ok "exit 2: submit $args" || bad "submit $args exited $rc, want 2"
done
[ $fail = 0 ] && echo "PASS slurm_submit" || echo "FAIL slurm_submit"
exit $fail

#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tls_load.sh - the load test: many addresses, one slow shared machine.
# The lab with one more range, 198.18.32.0/24: 256 addresses served by the
# KZ namespace's one nginx and all intercepted by the mkz middlebox (one
# mitmdump, a Python process on the lab's 2 shared cores: the slowest server
# in the lab), scanned together with 198.18.24.0/23, 512 addresses of the US
# namespace's one plain nginx, with the scanner's DEFAULT pacing: no
# --max-connections, -r, --read-timeout or --connect-timeout. Only the flags
# that say what the lab is are given (its roots, interceptors, geo databases,
# SNI list, --eligible any for its ground truth; tls_common.sh).
# Asserts: every address has a record for its control and for every SNI
# with the verdict the ground truth gives (every forged row INTERCEPTED, by
# the middlebox's CA; every other row the host's own chain), so no open host
# is recorded as NO_TLS or missing. Times are printed, never asserted.
#
# The range is added through a plan of its own (LAB_PLAN = plan.tsv + one
# line), so the shared lab and its e2e truth stay as they are; when a lab is
# already up without this range the test skips.
#   tests/lab/tls_load.sh [TLSMAP_BIN]     (root; under the lab lock)
HERE0=$(cd "$(dirname "$0")" && pwd)
LOAD_PLAN=$(mktemp /tmp/tlsmap-loadplan.XXXXXX)
{
	cat "$HERE0/plan.tsv"
	printf '# tls_load.sh: 256 intercepted addresses on one nginx behind one mitmdump\n'
	printf 'range\t198.18.32.0/24\tKZ\tKazakhstan\t9198\tJSC Kazakhtelecom\tkz\tmkz\n'
} >"$LOAD_PLAN"
trap 'rm -f "$LOAD_PLAN"' EXIT # tls_common.sh's trap takes over below
export LAB_PLAN=$LOAD_PLAN
# shellcheck disable=SC2034 # read by tls_common.sh
TLS_CLEANUP_EXTRA='rm -f "$LOAD_PLAN"'
source "$HERE0/tls_common.sh"
MBOX_RANGE=198.18.32.0/24
PLAIN_RANGE=198.18.24.0/23
if ! grep -q $'^198.18.32.1\t' "$TRUTH"; then
	echo "skip: a lab is up without the load range $MBOX_RANGE (take it down, or run this first)"
	exit 77
fi

# LOAD_ARGS: more scan flags (word-split), e.g. --no-localize to compare times.
# The scan must end by itself: it took 90-140 s on the lab's 2 shared cores;
# a scan whose held, deferred or localised probes are never released stops
# progressing (the tree of 9cdf3f0: 22,109 of 29,184 probes after 10 min).
start=$SECONDS
# shellcheck disable=SC2086 # LOAD_ARGS is split on purpose
TLS_SCAN_TIMEOUT=${LOAD_TIMEOUT:-420} TLS_PROBES=${LOAD_PROBES:-1} tls_scan "$TMP/load.tlsmap" \
	"$MBOX_RANGE" "$PLAIN_RANGE" --vantage load ${LOAD_ARGS:-} >"$TMP/scan.log" 2>&1
rc=$?
grep -E '^tlsmap scan: (tls: (load_|[0-9]+ test SNI)|localize:)|^summary: (synack|probes)' \
	"$TMP/scan.log"
if [ $rc = 124 ]; then
	grep -E '; probes: ' "$TMP/scan.log" | tail -2
	echo "FAIL the scan did not end within ${LOAD_TIMEOUT:-420} s (stalled)"
	exit 1
fi
[ $rc = 0 ] || { tail -5 "$TMP/scan.log"; echo "FAIL scan exited $rc"; exit 1; }
echo "scan took $((SECONDS - start)) s (informational)"
tls_invariants "$TMP/scan.log" || exit 1
"$TLSMAP_BIN" dump "$TMP/load.tlsmap" --type probe >"$TMP/probes.jsonl" || { echo "FAIL dump"; exit 1; }
"$TLSMAP_BIN" dump "$TMP/load.tlsmap" --type cert >"$TMP/certs.jsonl" || { echo "FAIL dump"; exit 1; }

# the truth of exactly these two ranges
python3 - "$MBOX_RANGE" "$PLAIN_RANGE" >"$TMP/addrs.txt" <<'EOF'
import ipaddress, sys
for c in sys.argv[1:]:
    for a in ipaddress.ip_network(c):
        print(a)
EOF
truth_for "$TMP/addrs.txt" >"$TMP/truth.tsv"
rows=$(($(wc -l <"$TMP/truth.tsv") - 1))
forged=$(awk -F'\t' '$4 == "INTERCEPTED"' "$TMP/truth.tsv" | wc -l)
echo "truth rows=$rows forged=$forged"
[ "$forged" -ge 1000 ] || { echo "FAIL the load range has only $forged forged rows (plan?)"; exit 1; }
retried=$(jq -r 'select((.probe.attempts // 0) > 1) | .probe.sni' "$TMP/probes.jsonl" | wc -l)
echo "probes that took more than one attempt: $retried (informational)"
# HOPS (lab.env): every localised probe's hops are the topology's
python3 "$HERE/tls_truth_compare.py" "$TMP/truth.tsv" "$TMP/probes.jsonl" "$TMP/certs.jsonl" \
	"${HOPS:-}" >"$TMP/compare.txt"
rc=$?
grep -v "^truth=" "$TMP/compare.txt" | head -30
tail -1 "$TMP/compare.txt"
# LOAD_BEFORE_BIN=BIN: the same scan with another binary (the tree before
# the scheduler), to show that this test fails there; informational
if [ -n "${LOAD_BEFORE_BIN:-}" ]; then
	TLSMAP_BIN=$LOAD_BEFORE_BIN TLS_PROBES=${LOAD_PROBES:-1} tls_scan "$TMP/before.tlsmap" \
		"$MBOX_RANGE" "$PLAIN_RANGE" --vantage load >"$TMP/before.log" 2>&1
	"$TLSMAP_BIN" dump "$TMP/before.tlsmap" --type probe >"$TMP/before.jsonl"
	"$TLSMAP_BIN" dump "$TMP/before.tlsmap" --type cert >"$TMP/before-certs.jsonl"
	python3 "$HERE/tls_truth_compare.py" "$TMP/truth.tsv" "$TMP/before.jsonl" "$TMP/before-certs.jsonl" |
		tail -1 | sed 's/^/before: /'
fi
[ $rc = 0 ] || { echo "FAIL load: records differ from the ground truth"; exit 1; }
echo "PASS load: every address recorded with its chain for every SNI, every forged row INTERCEPTED"

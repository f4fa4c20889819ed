# SPDX-License-Identifier: MIT
# Shared by the TLS stage's lab tests (tls_*.sh, e2e_truth.sh): root check,
# a lab (the one that is up, or our own, taken down at exit), a scratch
# directory, and tls_scan OUT [extra scan args] running the scanner in the
# scanner namespace with the lab's addressing, roots, interceptors and geo.
# shellcheck shell=bash
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_DIR=${LAB_DIR:-/tmp/tlsmap-lab}
export LAB_DIR
TLSMAP_BIN=${TLSMAP_BIN:-${1:-}}
if [ "$(id -u)" != 0 ]; then
	echo "skip: the lab needs root (network namespaces)"
	exit 77
fi
if [ -z "$TLSMAP_BIN" ] || [ ! -x "$TLSMAP_BIN" ]; then
	echo "FAIL no tlsmap binary (TLSMAP_BIN or first argument)"
	exit 1
fi
for tool in python3 jq; do
	command -v $tool >/dev/null || { echo "skip: $tool not installed"; exit 77; }
done
OWN_LAB=0
TMP=$(mktemp -d /tmp/tlsmap-tlslab.XXXXXX)
tls_cleanup() {
	[ -z "${TLS_CLEANUP_EXTRA:-}" ] || eval "$TLS_CLEANUP_EXTRA"
	rm -rf "$TMP"
	[ "$OWN_LAB" = 0 ] || "$HERE/lab.sh" down >/dev/null 2>&1
}
trap tls_cleanup EXIT
if ! "$HERE/lab.sh" status 2>/dev/null | grep -q '^state: up'; then
	OWN_LAB=1
	"$HERE/lab.sh" up >"$TMP/lab-up.log" 2>&1 || { tail -20 "$TMP/lab-up.log"; echo "FAIL lab.sh up"; exit 1; }
fi
# shellcheck source=/dev/null
source "$LAB_DIR/lab.env"

# tls_lab_args: LAB_ARGS = the lab's scan arguments except the node's (-i,
# --source-ip, --gateway-ip) and -o. Two SYNs per target (-P 2): a SYN lost
# on the busy veth must not turn into a missing host.
tls_lab_args() {
	LAB_ARGS=(--allow-reserved -p 443 --roots "$ROOTS"
		--geo-db "$GEO_DB" --asn-db "$ASN_DB" --eligible any -P "${TLS_PROBES:-2}")
	# TLS_NO_INTERCEPTORS: verdicts from evidence alone
	[ -n "${TLS_NO_INTERCEPTORS:-}" ] || LAB_ARGS+=(--interceptors "$INTERCEPTORS")
	[ -n "${TLS_NO_SNI_FILE:-}" ] || LAB_ARGS+=(--sni-file "$SNI_FILE")
}

# tls_scan OUT.tlsmap [args...]: targets come from the args (or -w).
tls_scan() {
	local out=$1
	shift
	tls_lab_args
	timeout "${TLS_SCAN_TIMEOUT:-900}" ip netns exec "$SCAN_NS" "$TLSMAP_BIN" scan -i "$SCAN_IFACE" \
		--source-ip "$SOURCE_IP" --gateway-ip "$GATEWAY_IP" "${LAB_ARGS[@]}" -o "$out" "$@"
}

# tls_invariants LOG: the scan's end-of-stage accounting (stage_tls.c): every
# connection the scheduler saw open was closed, every built record was
# handed to the writer exactly once. Prints the line; 1 when it is missing
# or not zero.
tls_invariants() {
	local line
	line=$(grep -E '^tlsmap scan: tls: .*unclosed_connections=' "$1")
	echo "${line:-tlsmap scan: tls: (no invariants line)}"
	[[ "$line" =~ ^"tlsmap scan: tls: unclosed_connections=0 unwritten_items=0"$ ]] ||
		{ echo "FAIL the TLS stage's accounting is not zero at its end"; return 1; }
}

# tls_probes_tsv FILE: one sorted line per probe: ip port sni control verdict chain
tls_probes_tsv() {
	"$TLSMAP_BIN" dump "$1" --type probe |
		jq -r '[.ipText, (.probe.port|tostring), (.probe.sni // ""), (.probe.isControl // false | tostring), (.probe.verdict // "VERDICT_UNSPECIFIED"), ((.probe.chain // []) | join(","))] | @tsv' |
		sort
}

# tls_truth FILE: compare every Probe of FILE with the lab's ground truth
# (tls_truth_compare.py: no false positive or negative, nothing missing,
# extra or duplicated); prints the disagreements and the summary line.
tls_truth() {
	local rc
	"$TLSMAP_BIN" dump "$1" --type probe >"$TMP/truth-probes.jsonl" || { echo "FAIL dump $1"; return 1; }
	"$TLSMAP_BIN" dump "$1" --type cert >"$TMP/truth-certs.jsonl" || { echo "FAIL dump $1"; return 1; }
	# HOPS (lab.env): each localised probe's hops must be the topology's
	python3 "$HERE/tls_truth_compare.py" "$TRUTH" "$TMP/truth-probes.jsonl" "$TMP/truth-certs.jsonl" \
		"${HOPS:-}" >"$TMP/compare.txt"
	rc=$?
	grep -v "^truth=" "$TMP/compare.txt" | head -40
	tail -1 "$TMP/compare.txt"
	return $rc
}

# truth lines (with header) for the addresses listed one per line in FILE
truth_for() {
	awk -F'\t' 'NR == FNR { want[$1] = 1; next } FNR == 1 || ($1 in want)' "$1" "$TRUTH"
}

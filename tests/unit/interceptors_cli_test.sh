#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap interceptors (list, check) and the list's way into a scan:
# a malformed list line is a usage error (exit 2) naming file:line, from
# `interceptors` and from `scan`; `scan --dry-run -o` writes the ScanMeta with
# the lists' versions; `check` reports how a chain matched (cert-sha256 for a
# chain carrying a listed CA, aki for a leaf alone) and exits as grep does.
# No network: certificates are made here with openssl.
set -u
BIN=${TLSMAP_BIN:?}
SRC=${TLSMAP_SRCDIR:?}
command -v openssl >/dev/null || { echo "skip: openssl is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
# expect RC PATTERN CMD...: exit status RC and PATTERN (grep -E) in stdout+stderr
expect() {
	local rc=$1 pat=$2 out got
	shift 2
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" = "$rc" ] && grep -qE -- "$pat" <<<"$out"; then ok "$* -> $rc, /$pat/"
	else bad "$*: rc=$got (want $rc), want /$pat/ in:"; echo "$out" | head -20; fi
}

cd "$tmp" || exit 1
# a CA that will be "listed", a leaf under it, and an unrelated self-signed cert
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
	-subj "/CN=Renamed Forger CA" -days 30 -addext basicConstraints=critical,CA:TRUE \
	-addext subjectKeyIdentifier=hash 2>/dev/null || { bad "openssl: CA"; exit 1; }
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr \
	-subj "/CN=www.real.example" 2>/dev/null
printf 'authorityKeyIdentifier=keyid:always\nsubjectAltName=DNS:www.real.example\n' >leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial 7 -days 2 -extfile leaf.ext \
	-out leaf.pem 2>/dev/null || { bad "openssl: leaf"; exit 1; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout o.key -out other.pem \
	-subj "/CN=Honest" -days 2 2>/dev/null
cat leaf.pem ca.pem >chain.pem
openssl x509 -in leaf.pem -outform DER -out leaf.der
ca_sha=$(openssl x509 -in ca.pem -outform DER | sha256sum | cut -d' ' -f1)
ca_ski=$(openssl x509 -in ca.pem -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f)
[ ${#ca_ski} = 40 ] || { bad "could not read the CA's SKI ($ca_ski)"; exit 1; }

printf 'version\tlab-1\t2026-11-30\ncert_sha256\t%s\ttest-ca\tTest forger\tKZ\t2019-07-17\t\tyes\tmade here\t\n' \
	"$ca_sha" >cert.tsv
printf 'version\tlab-2\t2026-11-30\nski\t%s\ttest-ski\tTest forger\t\t\t\tno\tmade here\ta test key id\n' \
	"$ca_ski" >ski.tsv
printf 'version\tlab-3\t2026-11-30\n# ok so far\nissuer\tCN=x\tlab\tLab\t\t\t\tyes\tlab\n' >bad.tsv
printf 'version\tlab-4\t2026-11-30\ncert_sha256\t%s\tx\tX\t\t\t\tyes\ts\t\n' "${ca_sha:0:62}" >badhex.tsv

builtin_version=$(awk -F'\t' '$1 == "version" { print $2; exit }' "$SRC/share/interceptors.tsv")

# --- list ---
expect 0 '^kz-qaznet-2019-root +cert_sha256 +00309c736dd66' "$BIN" interceptors
expect 0 '"value":"3472e4f16c570e0dd388aaaa4a64a34a4b939f1ca770996b5be0037c1aded9c1"' "$BIN" interceptors list --json
expect 0 'test-ca' "$BIN" interceptors -f cert.tsv
expect 0 'usage: tlsmap interceptors' "$BIN" interceptors --help
n_entries=$(grep -vcE '^(#|version|$)' "$SRC/share/interceptors.tsv")
n_json=$("$BIN" interceptors --json | wc -l)
[ "$n_json" = "$n_entries" ] && ok "--json prints $n_json entries" || bad "--json: $n_json lines, $n_entries entries"

# --- malformed lists: exit 2, file:line and what ---
expect 2 'bad\.tsv:3: 9 tab-separated columns' "$BIN" interceptors -f bad.tsv
expect 2 'badhex\.tsv:2: cert_sha256 value .* not 64 hex digits' "$BIN" interceptors check -f badhex.tsv chain.pem
expect 2 'bad\.tsv:3: 9 tab-separated columns' \
	"$BIN" scan 198.18.0.0/30 -p 443 --allow-reserved --dry-run --interceptors bad.tsv
expect 2 'missing\.tsv: No such file' "$BIN" interceptors -f missing.tsv

# --- check ---
expect 0 'chain\.pem: known-interceptor:cert-sha256 test-ca \(certificate 2 of 2' \
	"$BIN" interceptors check -f cert.tsv chain.pem
expect 0 'leaf\.der: known-interceptor:aki test-ski \(certificate 1 of 1' \
	"$BIN" interceptors check -f ski.tsv leaf.der
expect 0 '"way":"aki","cert":0,"label":"test-ski"' \
	"$BIN" interceptors check --json -f ski.tsv leaf.der
expect 1 'other\.pem: no match' "$BIN" interceptors check -f cert.tsv other.pem
expect 0 'other\.pem: no match' "$BIN" interceptors check -f cert.tsv other.pem chain.pem
expect 2 'nothere\.pem' "$BIN" interceptors check -f cert.tsv nothere.pem
expect 2 'no CERTFILE' "$BIN" interceptors check

# --- the lists' versions in ScanMeta (scan --dry-run -o writes it; no packets) ---
expect 0 'targets=4' "$BIN" scan 198.18.0.0/30 -p 443 --allow-reserved --dry-run -o dry.tlsmap \
	--interceptors cert.tsv --interceptors ski.tsv
expect 0 "\"interceptorsVersion\":\"$builtin_version\\+lab-1\\+lab-2\"" "$BIN" dump dry.tlsmap --type meta
expect 0 '"interceptorsSha256":"[A-Za-z0-9+/]{43}="' "$BIN" dump dry.tlsmap --type meta
exit $fail

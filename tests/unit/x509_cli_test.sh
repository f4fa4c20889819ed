#!/bin/bash
# SPDX-License-Identifier: MIT
# `tlsmap x509`: PEM with several certificates, DER, exactly the documented
# keys, names identical to `openssl x509 -nameopt RFC2253`, and errors that
# name the file, the certificate index and the offset (exit 1; usage exit 2).
set -u
BIN=${TLSMAP_BIN:?}
fail=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OPENSSL_CONF=/dev/null
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/k" \
	-out "$work/a.pem" -subj '/C=KZ/O=Test, "Quoted"/CN=a.example' -days 10 \
	-addext 'subjectAltName=DNS:a.example,IP:192.0.2.1' 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/k2" -out "$work/b.pem" \
	-subj '/CN=b.example' -days 10 2>/dev/null
cat "$work/a.pem" "$work/b.pem" > "$work/two.pem"
openssl x509 -in "$work/b.pem" -outform DER -out "$work/b.der"

keys='["aki","ca_issuers","curve","ext_key_usage","has_sct","is_ca","issuer","key_bits","key_type","key_usage","not_after","not_before","ocsp","path_len","policies","san_dns","san_email","san_ip","san_uri","serial","sha1","sha256","sig_alg","ski","spki_sha256","subject","subject_cn","version"]'

out=$("$BIN" x509 --json "$work/two.pem"); rc=$?
[ $rc = 0 ] && [ "$(wc -l <<<"$out")" = 2 ] && ok "two certificates in one PEM file" ||
	bad "two.pem: rc=$rc lines=$(wc -l <<<"$out")"
while read -r line; do
	got=$(jq -c 'keys' <<<"$line")
	[ "$got" = "$keys" ] || bad "keys differ: $got"
done <<<"$out"
ok "exactly the documented keys"
want=$(openssl x509 -in "$work/a.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
got=$(head -1 <<<"$out" | jq -r .subject)
[ "$got" = "$want" ] && ok "subject as openssl -nameopt RFC2253 ($got)" || bad "subject '$got' != '$want'"
want=$(openssl x509 -in "$work/a.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
[ "$(head -1 <<<"$out" | jq -r .sha256)" = "$want" ] && ok "sha256" || bad "sha256"
[ "$(head -1 <<<"$out" | jq -c .san_ip)" = '["192.0.2.1"]' ] && ok "san_ip" || bad "san_ip"
[ "$(sed -n 2p <<<"$out" | jq -r '.key_type + " " + (.key_bits|tostring)')" = "rsa 2048" ] &&
	ok "key type/bits" || bad "key type/bits"

out=$("$BIN" x509 "$work/b.der"); rc=$?
[ $rc = 0 ] && [ "$(jq -r .subject <<<"$out")" = "CN=b.example" ] && ok "DER input" || bad "DER: $rc $out"

openssl x509 -in "$work/a.pem" -outform DER -out "$work/a.der"
cat "$work/a.der" "$work/b.der" > "$work/ab.der"
out=$("$BIN" x509 "$work/ab.der"); rc=$?
[ $rc = 0 ] && [ "$(jq -r .subject_cn <<<"$out" | tr '\n' ' ')" = "a.example b.example " ] &&
	ok "concatenated DER" || bad "concatenated DER: $rc $out"

head -c 300 "$work/b.der" > "$work/trunc.der"
err=$("$BIN" x509 "$work/trunc.der" 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && grep -q "trunc.der: certificate 1: .* at offset [0-9]" <<<"$err" &&
	ok "truncated DER: $err" || bad "truncated DER: rc=$rc $err"

# second block damaged: the first is still printed, the error names block 2
{ cat "$work/a.pem"; sed '3,6d' "$work/b.pem"; } > "$work/mixed.pem"
out=$("$BIN" x509 "$work/mixed.pem" 2>"$work/err"); rc=$?
[ $rc = 1 ] && [ "$(wc -l <<<"$out")" = 1 ] && grep -q "mixed.pem: certificate 2" "$work/err" &&
	ok "damaged second certificate: $(cat "$work/err")" || bad "mixed: rc=$rc $(cat "$work/err")"

"$BIN" x509 "$work/nope.pem" >/dev/null 2>"$work/err"; rc=$?
[ $rc = 1 ] && grep -q "nope.pem" "$work/err" && ok "missing file" || bad "missing file rc=$rc"
"$BIN" x509 >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok "no FILE: exit 2" || bad "no FILE: rc=$rc"
"$BIN" x509 --bogus "$work/a.pem" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok "unknown option: exit 2" || bad "unknown option: rc=$rc"
"$BIN" x509 --help | grep -q "usage: tlsmap x509" && ok "--help" || bad "--help"
exit $fail

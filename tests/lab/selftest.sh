#!/bin/bash
# SPDX-License-Identifier: MIT
#
# selftest.sh - check that the lab behaves as its ground truth says, using only
# openssl s_client and curl from the reference client namespace (tlm-ref, on
# the scanner's path), so that when a scan disagrees with truth.tsv the scanner
# is wrong, not the lab.
#
#   tests/lab/selftest.sh            against a lab that is up (LAB_DIR)
#   tests/lab/selftest.sh --own-lab  lab.sh up, the checks, lab.sh down (trap);
#                                    a lab that is already up is used and kept
#
# For one address of every (country, ASN, kind) in truth.tsv, and for the first
# and last address of every range, it checks: the control chain (length, key
# type, verification against pki/roots.pem), every SNI whose truth is not
# HOST_OWN_CERT (forged by the expected CA; or a valid/other certificate), two
# HOST_OWN_CERT SNIs (same chain as the control), protocol versions, and the
# TCP/TLS behaviour of closed, silent, resetting and hostile hosts.
# Prints one PASS/FAIL line per check; exits 1 on any failure, 77 when not root.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_DIR=${LAB_DIR:-/tmp/tlsmap-lab}
export LAB_DIR

if [ "$(id -u)" != 0 ]; then
	echo "skip: the lab needs root (network namespaces)"
	exit 77
fi
OWN_LAB=0
if [ "${1:-}" = --own-lab ]; then
	if "$HERE/lab.sh" status 2>/dev/null | grep -q '^state: up'; then
		echo "note: using the lab that is already up (it stays up)"
	else
		OWN_LAB=1
		trap '"$HERE/lab.sh" down >/dev/null 2>&1' EXIT
		"$HERE/lab.sh" up || { echo "FAIL lab.sh up"; exit 1; }
	fi
fi
[ -f "$LAB_DIR/lab.env" ] || { echo "FAIL no lab at $LAB_DIR (run tests/lab/lab.sh up)"; exit 1; }
# shellcheck source=/dev/null
source "$LAB_DIR/lab.env"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"; [ "$OWN_LAB" = 0 ] || "$HERE/lab.sh" down >/dev/null 2>&1' EXIT
CONTROL=selftest-$RANDOM$RANDOM.example-control.test
W=$TMP
PAR=${SELFTEST_JOBS:-6}
ok() { echo "PASS $*"; }
bad() { echo "FAIL $*"; }
# in_parallel NAME FUNCTION ARG: run FUNCTION ARG in the background (at most
# PAR at once) with its own work directory; its output goes to $TMP/out.NAME
jobno=0
in_parallel() {
	jobno=$((jobno + 1))
	(
		W=$TMP/w.$jobno
		mkdir -p "$W"
		"$2" "$3"
	) >"$TMP/out.$1.$(printf %05d $jobno)" 2>&1 &
	while [ "$(jobs -rp | wc -l)" -ge "$PAR" ]; do wait -n || true; done
}
check() { # DESCRIPTION COMMAND...: PASS when the command succeeds
	local d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
ref() { timeout 10 ip netns exec "$REF_NS" "$@"; }

# fetch IP SNI [s_client options]: sets F_N (certificates), F_FP (their SHA-256s),
# F_ISSUER (leaf issuer, RFC 4514), F_VERIFY (verify code), F_PROTO, F_OUT, F_LEAF
fetch() {
	local ip=$1 sni=$2 i
	shift 2
	F_OUT=$W/out
	ref openssl s_client -connect "$ip:443" -servername "$sni" -showcerts -CAfile "$ROOTS" "$@" \
		</dev/null >"$F_OUT" 2>&1
	rm -f "$W"/cert.*
	awk -v d="$W" '/-----BEGIN CERTIFICATE-----/ { n++; in_cert = 1 } in_cert { print > (d "/cert." n) }
		/-----END CERTIFICATE-----/ { in_cert = 0; close(d "/cert." n) }' "$F_OUT"
	F_N=0 F_FP="" F_ISSUER="" F_LEAF=$W/cert.1
	for ((i = 1; ; i++)); do
		[ -f "$W/cert.$i" ] || break
		F_N=$i
		F_FP+="$(sha256sum <"$W/cert.$i" | cut -c1-16) "
	done
	[ "$F_N" = 0 ] || F_ISSUER=$(openssl x509 -in "$F_LEAF" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')
	F_VERIFY=$(sed -n 's/.*Verify return code: \([0-9]*\).*/\1/p' "$F_OUT" | tail -1)
	F_PROTO=$(sed -n 's/^New, \(TLSv[0-9.]*\), Cipher is.*/\1/p' "$F_OUT" | tail -1)
}

san() { # PEM -> its DNS SANs, sorted, comma-separated
	openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ' | tr , '\n' |
		sed 's/^DNS://' | sort | paste -sd,
}
# forging CA subject -> the middlebox's forging style (plan.tsv): mimic copies
# the origin leaf's SANs exactly, stock (mitmproxy's default) adds the SNI
declare -A STYLE_OF=()
while IFS=$'\t' read -r _ label _ style _; do
	STYLE_OF[$(awk -F'\t' -v l="$label" '$1 == "issuer" && $3 == l { print $2 }' "$INTERCEPTORS")]=$style
done < <(perl "$HERE/plan.pl" "${LAB_PLAN:-$HERE/plan.tsv}" middleboxes)

chain_len() { # KIND -> certificates the host sends
	case $1 in chain1 | selfsigned) echo 1 ;; chain3) echo 3 ;; chain4) echo 4 ;; chain5) echo 5 ;; *) echo 2 ;; esac
}
verify_code() { # KIND -> expected s_client verify code against the lab root
	case $1 in selfsigned) echo 18 ;; expired) echo 10 ;; *) echo 0 ;; esac
}
key_ok() { # KIND LEAF
	local t
	t=$(openssl x509 -in "$2" -noout -text)
	case $1 in
	rsa2048) grep -q 'Public-Key: (2048 bit)' <<<"$t" && grep -q rsaEncryption <<<"$t" ;;
	rsa4096) grep -q 'Public-Key: (4096 bit)' <<<"$t" ;;
	p384) grep -q 'NIST CURVE: P-384' <<<"$t" ;;
	ed25519) grep -q 'Public Key Algorithm: ED25519' <<<"$t" ;;
	*) grep -q 'NIST CURVE: P-256' <<<"$t" ;;
	esac
}

main() {
# --- the truth itself --------------------------------------------------------
nsni=$(grep -cv '^\s*\(#\|$\)' "$SNI_FILE")
check "truth.tsv header" test "$(head -1 "$TRUTH")" = "$(printf 'ip\tport\tsni\tverdict\tforging_issuer\tcountry\tasn\tkind\treason')"
bad_count=$(awk -F'\t' -v n="$nsni" 'NR > 1 { c[$1]++; k[$1] = $8 }
	END { for (ip in c) if (c[ip] != 1 && c[ip] != n + 1) bad++; print bad + 0 }' "$TRUTH")
check "truth.tsv: every address has 1 (@control) or $((nsni + 1)) lines" test "$bad_count" = 0
for cidr in $(cat "$TARGETS_FILE"); do
	ip=${cidr%/*}
	want=$(awk -F'\t' -v ip="$ip" '$1 == ip && $3 == "@control" { print $6 " " $7 }' "$TRUTH")
	got="$(mmdblookup --file "$GEO_DB" --ip "$ip" country iso_code | grep -o '"[A-Z]*"' | tr -d '"') $(
		mmdblookup --file "$ASN_DB" --ip "$ip" autonomous_system_number | grep -o '[0-9]\+ <uint32>' | cut -d' ' -f1)"
	check "geo $cidr: mmdb says '$got', truth '$want'" test "$got" = "$want"
done

# --- hosts that yield a chain ------------------------------------------------
# one address per (country, asn, kind), plus the first and last of every range
mapfile -t picks < <({
	awk -F'\t' 'NR > 1 && $3 == "@control" && !seen[$6 $7 $8]++ { print $1 }' "$TRUTH"
	for cidr in $(cat "$TARGETS_FILE"); do
		awk -F'\t' -v c="$cidr" 'BEGIN { split(c, a, "/"); split(a[1], o, ".")
			first = ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4]; last = first + 2 ^ (32 - a[2]) - 1
			printf "%d.%d.%d.%d\n%d.%d.%d.%d\n", o[1], o[2], o[3], o[4],
				int(last / 16777216) % 256, int(last / 65536) % 256, int(last / 256) % 256, last % 256 }'
	done
} | sort -u -t. -k1,1n -k2,2n -k3,3n -k4,4n)
chain_host() { # IP
	local ip=$1 cverdict cc asn kind tag ctrl_fp ctrl_san sni verdict issuer want
	grep "^$ip"$'\t' "$TRUTH" >"$W/truth"
	IFS=$'\t' read -r _ _ _ cverdict _ cc asn kind _ < <(awk -F'\t' '$3 == "@control"' "$W/truth")
	[ "$cverdict" = HOST_OWN_CERT ] || return 0
	tag="$ip ($cc AS$asn $kind)"
	if [ "$kind" = unstable ]; then # two certificates, picked at random per connection
		local seen=""
		for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do
			fetch "$ip" "$CONTROL"
			[[ " $seen " == *" ${F_FP%% *} "* ]] || seen+=" ${F_FP%% *}"
		done
		check "$tag: 12 connections saw 2 different leaves (${seen# })" test "$(wc -w <<<"$seen")" = 2
		return 0
	fi
	fetch "$ip" "$CONTROL"
	ctrl_fp=$F_FP
	ctrl_san=$( [ "$F_N" = 0 ] || san "$F_LEAF")
	check "$tag control: $F_N certificates (want $(chain_len "$kind"))" test "$F_N" = "$(chain_len "$kind")"
	check "$tag control: verify code ${F_VERIFY:-none} (want $(verify_code "$kind"))" test "${F_VERIFY:-x}" = "$(verify_code "$kind")"
	check "$tag control: not issued by a forging CA ($F_ISSUER)" bash -c "! grep -qF -- \"\$1\" \"\$2\"" _ "${F_ISSUER:-none}" "$INTERCEPTORS"
	[ "$F_N" = 0 ] || check "$tag control: leaf key type" key_ok "$kind" "$F_LEAF"
	case $kind in
	tls12)
		check "$tag: negotiates TLSv1.2 (got ${F_PROTO:-none})" test "$F_PROTO" = TLSv1.2
		fetch "$ip" "$CONTROL" -tls1_3
		check "$tag: refuses TLS 1.3 (no certificate)" test "$F_N" = 0
		;;
	tls13)
		check "$tag: negotiates TLSv1.3 (got ${F_PROTO:-none})" test "$F_PROTO" = TLSv1.3
		fetch "$ip" "$CONTROL" -tls1_2
		check "$tag: refuses TLS 1.2 (no certificate)" test "$F_N" = 0
		;;
	bulk)
		if ! grep -q INTERCEPTED "$W/truth"; then
			fetch "$ip" "$CONTROL" -tls1 -cipher 'ALL:@SECLEVEL=0'
			check "$tag: accepts TLS 1.0 for masscan (got ${F_PROTO:-none})" test "$F_PROTO" = TLSv1.0 -o "$F_PROTO" = TLSv1
		fi
		;;
	esac
	# every SNI with a verdict of its own, and two that must equal the control chain
	while IFS=$'\t' read -r _ _ sni verdict issuer _ _ _ reason; do
		fetch "$ip" "$sni"
		case $verdict in
		INTERCEPTED)
			check "$tag $sni: INTERCEPTED, leaf issuer '$F_ISSUER' (want '$issuer')" test "$F_ISSUER" = "$issuer"
			check "$tag $sni: chain differs from control, does not verify (code $F_VERIFY)" \
				test -n "$F_FP" -a "$F_FP" != "$ctrl_fp" -a "${F_VERIFY:-0}" != 0
			case "$kind:${STYLE_OF[$issuer]:-}" in
			sni-*:* | *:) ;; # the origin's leaf for this SNI is not the control leaf
			*:mimic)
				check "$tag $sni: forged SANs copy the origin's ($ctrl_san)" test "$(san "$F_LEAF")" = "$ctrl_san" ;;
			*:stock)
				want=$(tr , '\n' <<<"$ctrl_san,$sni" | sort -u | paste -sd,)
				check "$tag $sni: forged SANs are the origin's plus the SNI ($want)" test "$(san "$F_LEAF")" = "$want" ;;
			esac
			;;
		VALID_FOR_SNI)
			check "$tag $sni: VALID_FOR_SNI, verifies, names the SNI, differs from control" \
				test "$F_VERIFY" = 0 -a -n "$F_FP" -a "$F_FP" != "$ctrl_fp" -a "$F_N" -gt 0
			check "$tag $sni: leaf names $sni" bash -c 'openssl x509 -in "$1" -noout -checkhost "$2" | grep -q "does match"' _ "$F_LEAF" "$sni"
			;;
		UNTRUSTED_OTHER)
			if [ "$reason" = served-by-host ]; then # the host's own unverified certificate
				check "$tag $sni: UNTRUSTED_OTHER (served-by-host), differs from control, does not verify" \
					test "${F_VERIFY:-0}" != 0 -a -n "$F_FP" -a "$F_FP" != "$ctrl_fp"
				continue
			fi
			check "$tag $sni: UNTRUSTED_OTHER, verifies, differs from control" \
				test "$F_VERIFY" = 0 -a -n "$F_FP" -a "$F_FP" != "$ctrl_fp"
			check "$tag $sni: leaf does not name $sni" bash -c 'openssl x509 -in "$1" -noout -checkhost "$2" | grep -q "does NOT match"' _ "$F_LEAF" "$sni"
			;;
		HOST_OWN_CERT)
			check "$tag $sni: HOST_OWN_CERT, same chain as control" test -n "$F_FP" -a "$F_FP" = "$ctrl_fp"
			;;
		*) bad "$tag $sni: unexpected verdict $verdict in truth" ;;
		esac
	done < <(awk -F'\t' '$3 != "@control" && $4 != "HOST_OWN_CERT" && $4 != "INTERCEPTED"' "$W/truth"
		# forged names: all on bulk hosts, the first and last elsewhere
		awk -F'\t' '$4 == "INTERCEPTED"' "$W/truth" | if [ "$kind" = bulk ]; then cat; else sed -n '1p;$p'; fi
		awk -F'\t' '$3 != "@control" && $4 == "HOST_OWN_CERT"' "$W/truth" | sed -n '1p;$p')
}
for ip in "${picks[@]}"; do in_parallel chain chain_host "$ip"; done

# --- hosts without a chain ---------------------------------------------------
tcp() { # IP [stdin data]: curl telnet:// for 4 s; sets C_RC C_BYTES C_FIRST C_CONNECT
	printf '%s' "${2:-}" | ref curl -s --connect-timeout 3 --max-time 4 \
		-w '%{stderr}%{time_connect}' "telnet://$1:443" >"$W/raw" 2>"$W/w"
	C_RC=$?
	C_BYTES=$(stat -c %s "$W/raw")
	C_FIRST=$(head -c1 "$W/raw" | od -An -tx1 | tr -d ' ')
	C_CONNECT=$(cat "$W/w")
}
hello() { # IP: s_client with a ClientHello; sets H_READ (bytes read) H_OUT
	fetch "$1" "$CONTROL"
	H_OUT=$F_OUT
	H_READ=$(sed -n 's/.*handshake has read \([0-9]*\) bytes.*/\1/p' "$H_OUT")
}
other_host() { # "IP<TAB>...": one @control truth line
	local ip verdict cc asn kind tag
	IFS=$'\t' read -r ip _ _ verdict _ cc asn kind _ <<<"$1"
	tag="$ip ($cc AS$asn $kind, $verdict)"
	case $kind in
	closed)
		tcp "$ip"
		check "$tag: refused (curl rc $C_RC, want 7)" test "$C_RC" = 7
		;;
	silent)
		tcp "$ip"
		check "$tag: no answer (curl rc $C_RC, want 28; connected ${C_CONNECT})" test "$C_RC" = 28 -a "$C_CONNECT" = 0.000000
		;;
	reset)
		hello "$ip"
		check "$tag: connection reset without a byte ($H_READ bytes read)" \
			bash -c 'test "$1" = 0 && grep -q "errno=104" "$2" && ! grep -q "errno=111" "$2"' _ "$H_READ" "$H_OUT"
		;;
	close)
		hello "$ip"
		check "$tag: EOF without a byte ($H_READ bytes read)" \
			bash -c 'test "$1" = 0 && grep -q "unexpected eof" "$2"' _ "$H_READ" "$H_OUT"
		;;
	reject)
		hello "$ip"
		check "$tag: TLS alert ($H_READ bytes read)" bash -c 'test "$1" = 7 && grep -q "alert" "$2"' _ "$H_READ" "$H_OUT"
		;;
	tarpit)
		tcp "$ip" x
		check "$tag: connects, never a byte (rc $C_RC, $C_BYTES bytes, connect $C_CONNECT s)" \
			test "$C_RC" = 28 -a "$C_BYTES" = 0 -a "$C_CONNECT" != 0.000000
		;;
	trickle)
		tcp "$ip" x
		check "$tag: TLS bytes at about 1/s (rc $C_RC, $C_BYTES bytes in 4 s, first 0x$C_FIRST)" \
			test "$C_RC" = 28 -a "$C_BYTES" -ge 2 -a "$C_BYTES" -le 6 -a "$C_FIRST" = 16
		;;
	endless)
		tcp "$ip" x
		check "$tag: TLS records without end (rc $C_RC, $C_BYTES bytes in 4 s, first 0x$C_FIRST)" \
			test "$C_BYTES" -gt 10000000 -a "$C_FIRST" = 16
		;;
	bigchain)
		tcp "$ip" x
		# (curl's telnet drops the 0xff bytes of the DER, hence not quite 1 MiB)
		check "$tag: a flight over 1 MB (rc $C_RC, $C_BYTES bytes, first 0x$C_FIRST)" \
			test "$C_BYTES" -gt 1000000 -a "$C_FIRST" = 16
		hello "$ip"
		check "$tag: s_client refuses the Certificate message (excessive message size)" grep -q "excessive message size" "$H_OUT"
		;;
	garbage)
		tcp "$ip" x
		check "$tag: bytes that are not TLS (rc $C_RC, $C_BYTES bytes, first 0x$C_FIRST)" \
			test "$C_BYTES" -gt 0 -a "$C_FIRST" != 16 -a "$C_FIRST" != 15
		;;
	*) bad "$tag: no check for kind $kind" ;;
	esac
}
while read -r line; do in_parallel other other_host "$line"; done \
	< <(awk -F'\t' 'NR > 1 && $3 == "@control" && $4 != "HOST_OWN_CERT" && !seen[$6 $7 $8]++' "$TRUTH")
wait
cat "$TMP"/out.chain.* "$TMP"/out.other.*

# --- packet loss switch (only on a lab of our own: it would disturb a scan) ---
if [ "$OWN_LAB" = 1 ]; then
	"$HERE/lab.sh" drop 5 >/dev/null
	check "lab.sh drop 5: rule in tlm-r2" bash -c 'ip netns exec tlm-r2 iptables -S FORWARD | grep -q "statistic.*probability 0.0[45].*tlm-drop"'
	"$HERE/lab.sh" undrop >/dev/null
	check "lab.sh undrop: rule gone" bash -c '! ip netns exec tlm-r2 iptables -S FORWARD | grep -q tlm-drop'
fi

}

main | tee "$TMP/log"
pass=$(grep -c '^PASS' "$TMP/log")
fail=$(grep -c '^FAIL' "$TMP/log")
echo "selftest: $pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]

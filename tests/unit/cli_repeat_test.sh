#!/bin/bash
# SPDX-License-Identifier: MIT
# A repeated flag is never dropped silently: every flag of
# every subcommand, as its --help lists it, given twice either accumulates
# (the list flags below) or exits 2 naming the flag. `-p 443 -p 8443
# --dry-run` covers both ports. Every command stops while parsing flags:
# nothing is sent, read or written.
set -u
BIN=${1:-$TLSMAP_BIN}
fail=0 checked=0
LISTS=" scan:--target-ports scan:--sni scan:--country scan:--interceptors dump:--type interceptors:--interceptors "
# values tried in turn until one passes the flag's own value check
VALUES=(1 2048 443 1048576 2026-01-01 198.18.0.1 02:00:00:00:00:01 trusted country probe a.example KZ en)

check_flag() { # CMDWORDS... -- FLAG
	local -a cmd=()
	while [ "$1" != -- ]; do cmd+=("$1"); shift; done
	local flag=$2 key out rc v
	key="${cmd[*]}:$flag"
	key=${key// /_}
	checked=$((checked + 1))
	if [[ "$LISTS" == *" ${cmd[*]}:$flag "* ]]; then
		for v in "${VALUES[@]}"; do
			out=$("$BIN" "${cmd[@]}" "$flag" "$v" "$flag" "$v" 2>&1)
			if grep -q "more than once" <<<"$out"; then
				echo "FAIL: tlsmap ${cmd[*]} $flag $v $flag $v: a list flag refused: $out"
				fail=1
				return
			fi
		done
		echo "ok: tlsmap ${cmd[*]} $flag accumulates"
		return
	fi
	# a flag without a value, then each candidate value
	for v in "" "${VALUES[@]}"; do
		if [ -z "$v" ]; then
			out=$(timeout 20 "$BIN" "${cmd[@]}" "$flag" "$flag" 2>&1); rc=$?
		else
			out=$(timeout 20 "$BIN" "${cmd[@]}" "$flag" "$v" "$flag" "$v" 2>&1); rc=$?
		fi
		if [ $rc = 2 ] && grep -q -- "$flag.* given more than once" <<<"$out"; then
			echo "ok: tlsmap ${cmd[*]} $flag${v:+ $v} twice: exit 2, names $flag"
			return
		fi
	done
	echo "FAIL: tlsmap ${cmd[*]} $flag given twice is not refused: rc=$rc $out"
	fail=1
}

for c in scan dump summary merge report x509 interceptors diff sweep "bench rx" "bench tx" "bench x509"; do
	# shellcheck disable=SC2086
	flags=$("$BIN" $c --help 2>&1 | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u | grep -vx -- --help)
	[ -n "$flags" ] || { echo "FAIL: tlsmap $c --help lists no flags"; fail=1; continue; }
	for f in $flags; do
		# shellcheck disable=SC2086
		check_flag $c -- "$f"
	done
done

out=$("$BIN" scan --dry-run --allow-reserved --sni a.example -p 443 -p 8443,443 198.18.0.0/30 2>&1); rc=$?
if [ $rc = 0 ] && grep -qx 'port_list=443,8443' <<<"$out" && grep -qx 'targets=8' <<<"$out"; then
	echo "ok: -p 443 -p 8443 scans both ports"
else
	echo "FAIL: -p 443 -p 8443: rc=$rc $out"; fail=1
fi
out=$("$BIN" scan --dry-run --allow-reserved --sni a.example -p 443 -r 10 -r 20 198.18.0.1 2>&1); rc=$?
if [ $rc = 2 ] && grep -q -- '-r/--rate given more than once' <<<"$out"; then
	echo "ok: -r twice names -r/--rate"
else
	echo "FAIL: -r twice: rc=$rc $out"; fail=1
fi
echo "flags checked: $checked"
[ "$checked" -ge 50 ] || { echo "FAIL: only $checked flags found in --help"; fail=1; }
exit $fail

#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap scan refuses bad input with exit 2 and one line naming it, before
# the EAL starts (no "EAL" in the output, no packet can leave): unknown
# interface, bad MAC, bad port, rate 0 or negative, shard >= shards,
# malformed CIDR, an empty target set after the blocklist, missing flags.
set -u
BIN=${1:-$TLSMAP_BIN}
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok=(198.18.0.0/30 -p 443 -i net_null0 --source-ip 198.19.0.1 -G 02:00:00:00:00:01 --allow-reserved --syn-only)
expect2() { # expect2 PATTERN ARGS...
	local pat=$1; shift
	local out rc
	out=$(timeout 20 "$BIN" scan "$@" 2>&1); rc=$?
	if [ "$rc" != 2 ]; then echo "FAIL: scan $* exited $rc, want 2: $out"; fail=1; return; fi
	if ! grep -qF -- "$pat" <<<"$out"; then echo "FAIL: scan $*: output lacks '$pat': $out"; fail=1; return; fi
	if grep -q "EAL" <<<"$out"; then echo "FAIL: scan $*: the EAL started: $out"; fail=1; return; fi
	if [ "$(wc -l <<<"$out")" -gt 2 ]; then echo "FAIL: scan $*: more than one message line: $out"; fail=1; return; fi
	echo "ok: $pat <- scan $*"
}
expect2 "nosuchif0" 198.18.0.1 -p 443 -i nosuchif0 --source-ip 198.19.0.1 -G 02:00:00:00:00:01 --allow-reserved --syn-only
expect2 "xdp:nosuchif0" 198.18.0.1 -p 443 -i xdp:nosuchif0 --source-ip 198.19.0.1 -G 02:00:00:00:00:01 --allow-reserved --syn-only
expect2 "02:00:00:00:00" 198.18.0.1 -p 443 -i net_null0 --source-ip 198.19.0.1 -G 02:00:00:00:00 --allow-reserved
expect2 "zz:00:00:00:00:01" 198.18.0.1 -p 443 -i net_null0 --source-ip 198.19.0.1 -G zz:00:00:00:00:01 --allow-reserved
expect2 "70000" 198.18.0.1 -p 70000 -i net_null0 --source-ip 198.19.0.1 -G 02:00:00:00:00:01 --allow-reserved
expect2 "'0'" "${ok[@]}" -r 0
expect2 "'-5'" "${ok[@]}" -r -5
expect2 "--shard 2" "${ok[@]}" --shards 2 --shard 2
expect2 "198.18.0.0/33" 198.18.0.0/33 -p 443 -i net_null0 --source-ip 198.19.0.1 -G 02:00:00:00:00:01 --allow-reserved
expect2 "198.18.0.0/15 is reserved" 198.18.0.0/24 -p 443 -i net_null0 --source-ip 198.19.0.1 -G 02:00:00:00:00:01 --syn-only
expect2 "--allow-reserved" 198.18.0.0/24 -p 443 -i net_null0 --source-ip 198.19.0.1 -G 02:00:00:00:00:01 --syn-only
echo "198.18.0.0/16" > "$tmp/block"
expect2 "all 256 targets are in the blocklist" 198.18.0.0/24 -p 443 -i net_null0 --source-ip 198.19.0.1 -G 02:00:00:00:00:01 -b "$tmp/block" --syn-only
expect2 "--source-ip" 198.18.0.1 -p 443 -i net_null0 --source-ip 198.19.0.256 -G 02:00:00:00:00:01 --allow-reserved
expect2 "--gateway-ip IP or -G MAC" 198.18.0.1 -p 443 -i net_null0 --source-ip 198.19.0.1 --allow-reserved
expect2 "-p PORT is required" 198.18.0.1 -i net_null0 --source-ip 198.19.0.1 -G 02:00:00:00:00:01
expect2 "no targets" -p 443 -i net_null0 --source-ip 198.19.0.1 -G 02:00:00:00:00:01 --allow-reserved
expect2 "$tmp/nonexistent" -w "$tmp/nonexistent" -p 443 -i net_null0 --source-ip 198.19.0.1 -G 02:00:00:00:00:01 --allow-reserved
expect2 "-B" "${ok[@]}" -B 0
expect2 "not both" "${ok[@]}" -r 100 -B 1M
exit $fail

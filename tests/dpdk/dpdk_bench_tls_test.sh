#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap bench tls, smoke run: both paths complete against the canned peer
# (net_ring0 loopback, --no-huge, one process) and print every key. No
# timing is asserted.
set -u
BIN=${TLSMAP_BIN:?}
[ "$(id -u)" = 0 ] || { echo "skip: DPDK needs root here"; exit 77; }
out=$(mktemp); trap 'rm -f "$out"' EXIT
timeout 240 "$BIN" bench tls --hosts 256 --snis 1 --distinct 1 --tls13-share 4 >"$out" 2>&1
rc=$?
fail=0
[ $rc = 0 ] || { echo "FAIL: bench tls exited $rc"; cat "$out"; exit 1; }
for pfx in tls_ tls_openssl_; do
	for k in chains_per_s_per_core cycles_per_chain cycles_tcp cycles_parse cycles_hash \
		cycles_verify cycles_record cycles_writer cycles_idle chain_cache_hit_rate; do
		grep -q "^$pfx$k=[0-9.]*$" "$out" || { echo "FAIL: no $pfx$k= line"; fail=1; }
	done
	chains=$(sed -n "s/^${pfx}chains=//p" "$out")
	# 256 hosts x (control + 1 test SNI + second control)
	[ "${chains:-0}" -eq 768 ] || { echo "FAIL: ${pfx}chains=${chains:-none}, want 768"; fail=1; }
done
tls13=$(sed -n 's/^tls_openssl_tls13_answers=//p' "$out")
[ "${tls13:-0}" -gt 0 ] || { echo "FAIL: no TLS 1.3 answer on the OpenSSL path"; fail=1; }
[ $fail = 0 ] && echo "ok: bench tls printed every key, 768 chains on each path" || cat "$out"
exit $fail

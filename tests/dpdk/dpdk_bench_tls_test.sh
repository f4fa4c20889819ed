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
# a writer that falls behind (its ring of 2 items full nearly always): the
# stage waits for it, every probe is written (older tlsmap dropped 738 of 768)
ds=$(mktemp -d); trap 'rm -f "$out"; rm -rf "$ds"' EXIT
timeout 240 "$BIN" bench tls --path fast --hosts 256 --snis 1 --distinct 1 --writer-ring 2 \
	-o "$ds/slow.tlsmap" >"$ds/slow.out" 2>&1 || { echo "FAIL: bench tls --writer-ring 2"; fail=1; }
probes=$(sed -n 's/^tls_probes=//p' "$ds/slow.out")
full=$(sed -n 's/^tls_writer_ring_full=//p' "$ds/slow.out")
recs=$("$BIN" dump "$ds/slow.tlsmap" --type probe 2>/dev/null | wc -l)
if [ "${probes:-0}" -eq 768 ] && [ "$recs" -eq 768 ] && [ "${full:-0}" -gt 0 ]; then
	echo "ok: a writer behind (ring full $full times): 768 of 768 probes written"
else
	echo "FAIL: writer ring of 2: probes=${probes:-none} records=$recs ring_full=${full:-none}"
	fail=1
fi
[ $fail = 0 ] && echo "ok: bench tls printed every key, 768 chains on each path" || cat "$out"
exit $fail

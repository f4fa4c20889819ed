#!/bin/bash
# SPDX-License-Identifier: MIT
# A scan's dataset under failure, through the real binary
# on a net_pcap vdev (--no-huge, no namespaces, nothing leaves the process):
#   - a write error during the scan (RLIMIT_FSIZE: EFBIG, as a full disk gives
#     ENOSPC) stops the scan with a non-zero exit and a message naming
#     FILE.partial and the error; FILE.partial holds only whole records and
#     no ScanEnd; an existing FILE is left as it was;
#   - a scan that fails when its stage starts (a --roots file that does not
#     exist) does not replace an existing FILE and leaves no FILE.partial.
set -u
BIN=${TLSMAP_BIN:?}
[ "$(id -u)" = 0 ] || { echo "skip: DPDK needs root here"; exit 77; }
tmp=$(mktemp -d /tmp/tlsmap-oerr-XXXXXX); trap 'rm -rf "$tmp"' EXIT
python3 -c "import struct,sys; open(sys.argv[1],'wb').write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,1))" "$tmp/empty.pcap"
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
old="an existing dataset that must survive"
scan() { # scan FSIZE_BLOCKS ARGS...: stderr+stdout to $tmp/log through a pipe (not limited)
	local lim=$1; shift
	bash -c 'ulimit -f "$0"; exec "$@"' "$lim" timeout 60 "$BIN" scan 198.18.0.0/26 -p 443 \
		-i "net_pcap0,rx_pcap=$tmp/empty.pcap,tx_pcap=/dev/null" -G 02:00:00:00:00:01 \
		--source-ip 198.19.0.1 --allow-reserved "$@" 2>&1 | cat > "$tmp/log"
	return "${PIPESTATUS[0]}"
}

# 1. EFBIG at the first flush: the ScanMeta (made > 1 KiB by a long
#    --vantage) does not fit under a 1 KiB file-size limit.
echo "$old" > "$tmp/out.tlsmap"
vantage=$(head -c 3000 /dev/zero | tr '\0' v)
scan 1 --syn-only --cooldown 5 --vantage "$vantage" -o "$tmp/out.tlsmap"; rc=$?
if grep -q "EAL init failed" "$tmp/log"; then echo "skip: DPDK EAL cannot start here"; exit 77; fi
[ $rc != 0 ] && ok "write error: exit $rc" || bad "write error: exit 0"
grep -q "out.tlsmap.partial.*File too large" "$tmp/log" && ok "message names FILE.partial and the error" ||
	bad "no message naming the file and errno"
grep -q "stopping the scan" "$tmp/log" && ok "the scan stops at the error" || bad "the scan did not stop"
[ "$(cat "$tmp/out.tlsmap")" = "$old" ] && ok "existing FILE untouched" || bad "existing FILE replaced"
"$BIN" dump "$tmp/out.tlsmap.partial" > "$tmp/dump" 2> "$tmp/derr"; drc=$?
[ $drc = 1 ] && grep -q "no ScanEnd" "$tmp/derr" && ! grep -q "truncated" "$tmp/derr" &&
	ok "FILE.partial: whole records only, no ScanEnd" || bad "FILE.partial: rc=$drc $(cat "$tmp/derr")"
grep -q '"end"' "$tmp/dump" && bad "FILE.partial has a ScanEnd"

# 1b. The same for a compressed dataset: the ScanMeta's frame,
#     made incompressible, does not fit; the cut-back leaves whole frames.
echo "$old" > "$tmp/out.tlsmap.zst"
vantage=$(head -c 3000 /dev/urandom | base64 -w0 | head -c 3000)
scan 1 --syn-only --cooldown 5 --vantage "$vantage" -o "$tmp/out.tlsmap.zst"; rc=$?
[ $rc != 0 ] && grep -q "out.tlsmap.zst.partial.*File too large" "$tmp/log" &&
	ok "compressed: write error exits $rc naming FILE.partial" || bad "compressed write error: rc=$rc"
[ "$(cat "$tmp/out.tlsmap.zst")" = "$old" ] && ok "compressed: existing FILE untouched" ||
	bad "compressed: existing FILE replaced"
"$BIN" dump "$tmp/out.tlsmap.zst.partial" > "$tmp/dump" 2> "$tmp/derr"; drc=$?
[ $drc = 1 ] && grep -q "no ScanEnd" "$tmp/derr" && ! grep -q "truncated" "$tmp/derr" &&
	ok "compressed FILE.partial: whole frames only, no ScanEnd" || bad "compressed FILE.partial: rc=$drc $(cat "$tmp/derr")"

# 1c. A scan that completes to FILE.zst: compressed, readable, its size per
#     probe in the final summary.
rm -f "$tmp/ok.tlsmap.zst"
scan unlimited --syn-only --cooldown 0 -o "$tmp/ok.tlsmap.zst"; rc=$?
[ $rc = 0 ] && grep -q "dataset=$tmp/ok.tlsmap.zst dataset_bytes=[0-9]* .*bytes_per_probe=" "$tmp/log" &&
	ok "compressed scan: exit 0, bytes_per_probe= printed" || bad "compressed scan: rc=$rc"
[ "$(head -c 4 "$tmp/ok.tlsmap.zst" | od -An -tx1 | tr -d ' ')" = 28b52ffd ] &&
	"$BIN" dump --type end "$tmp/ok.tlsmap.zst" | grep -q '"datasetBytes"' &&
	ok "compressed scan: zstd frames, ScanEnd.dataset_bytes set" || bad "compressed scan output"

# 2. The stage does not start: nothing replaced, nothing left behind.
echo "$old" > "$tmp/out.tlsmap"; rm -f "$tmp/out.tlsmap.partial"
scan unlimited --roots "$tmp/no-such-roots.pem" --cooldown 0 -o "$tmp/out.tlsmap"; rc=$?
[ $rc != 0 ] && ok "stage start failure: exit $rc" || bad "stage start failure: exit 0"
[ "$(cat "$tmp/out.tlsmap")" = "$old" ] && ok "existing FILE untouched by a scan that never ran" ||
	bad "existing FILE replaced by a scan that never ran"
[ ! -e "$tmp/out.tlsmap.partial" ] && ok "no FILE.partial left" || bad "FILE.partial left behind"
[ $fail = 0 ] || cat "$tmp/log"
exit $fail

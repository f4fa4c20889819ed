#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap scan -C FILE through the real binary (--dry-run: no packets): the
# file's options apply, the command line overrides them, and every bad file
# exits 2 naming file:line.
set -u
# shellcheck source=tests/unit/test.sh
source "$(dirname "$0")/test.sh"
tmp=$T
printf '198.18.0.0/24\n' >"$tmp/targets"
cat >"$tmp/scan.conf" <<CONF
# a lab sweep
target-ports = 443,80   # two ports
allowlist-file = $tmp/targets
allow-reserved
dry-run = true
rate = 1000
CONF
check_scan 0 $'addresses=256\nports=2\ntargets=512' -C "$tmp/scan.conf"
check_scan 0 $'ports=1\ntargets=256' -C "$tmp/scan.conf" -p 443
check_scan 0 $'ports=1\ntargets=256' --config="$tmp/scan.conf" --target-ports=8443
check_scan 0 $'ports=1\ntargets=256' -p 443 -C "$tmp/scan.conf" -B 1M
check_scan 0 "-C, --config FILE" --help
# without allow-reserved from the file, the blocklist refuses the lab's range
sed 's/^allow-reserved$/allow-reserved = false/' "$tmp/scan.conf" >"$tmp/noreserved.conf"
check_scan 2 "in the blocklist" -C "$tmp/noreserved.conf"
check_scan 2 "$tmp/missing.conf: No such file" -C "$tmp/missing.conf"
printf 'rate = 1000\nbogus = 1\n' >"$tmp/bad1.conf"
check_scan 2 "$tmp/bad1.conf:2: unknown key 'bogus'" -C "$tmp/bad1.conf" -p 443
printf '\n\nrate\n' >"$tmp/bad2.conf"
check_scan 2 "$tmp/bad2.conf:3: rate needs a value" -C "$tmp/bad2.conf" -p 443
printf 'dry-run = maybe\n' >"$tmp/bad3.conf"
check_scan 2 "$tmp/bad3.conf:1: dry-run is a flag" -C "$tmp/bad3.conf" -p 443
printf 'rate = fast\n' >"$tmp/bad4.conf"
check_scan 2 "'fast'" -C "$tmp/bad4.conf" -p 443 198.18.0.1 --allow-reserved --dry-run
check_scan 2 "given more than once" -C "$tmp/scan.conf" -C "$tmp/scan.conf"
test_done

#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap scan --country CC --dry-run: countries expand into prefixes by
# walking a MaxMind DB's search tree, then -w narrows and the blocklist
# removes; the counts printed are exact.
set -u
SRC=${TLSMAP_SRCDIR:?}
command -v perl >/dev/null && perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null ||
	{ echo "skip: libmaxmind-db-writer-perl is not installed"; exit 77; }
# shellcheck source=tests/unit/test.sh
source "$(dirname "$0")/test.sh"
tmp=$T
perl "$SRC/tests/unit/geo_mkmmdb.pl" --country "$tmp/c.mmdb" <<'SPEC'
198.18.0.0/24 KZ 9198 JSC Kazakhtelecom
198.18.1.0/24 DE 3320 Deutsche Telekom AG
198.18.3.0/24 KZ 21299 Kar-Tel LLC
198.18.8.0-198.18.9.127 KZ 48503 Mobile Telecom-Service LLP
198.18.4.0/22 RU 12389 PJSC Rostelecom
SPEC
check_scan 0 $'ranges=3\nprefixes=4\naddresses=896' --country KZ --geo-db "$tmp/c.mmdb" --dry-run -p 443 --allow-reserved
check_scan 0 $'addresses=1920' --country KZ,RU --geo-db "$tmp/c.mmdb" --dry-run -p 443 --allow-reserved
check_scan 0 $'targets=3840' --country KZ,RU --geo-db "$tmp/c.mmdb" --dry-run -p 443,8443 --allow-reserved
printf '198.18.0.0/23\n' >"$tmp/allow"
check_scan 0 $'addresses=256' --country KZ --geo-db "$tmp/c.mmdb" -w "$tmp/allow" --dry-run -p 443 --allow-reserved
check_scan 2 "in the blocklist" --country KZ --geo-db "$tmp/c.mmdb" --dry-run -p 443
check_scan 2 "--country US: no IPv4 ranges" --country US --geo-db "$tmp/c.mmdb" --dry-run -p 443 --allow-reserved
check_scan 2 "--country" --country K1 --geo-db "$tmp/c.mmdb" --dry-run -p 443 --allow-reserved
check_scan 2 "country database" --country KZ --geo-db "$tmp/missing.mmdb" --dry-run -p 443 --allow-reserved
test_done

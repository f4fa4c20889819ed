#!/bin/bash
# SPDX-License-Identifier: MIT
# SYN build+send rate, one core each, in the same run:
#   tlsmap bench tx   one TX lcore into net_null0 (-T 0), for TX_SECONDS
#   masscan --offline the whole send path minus the NIC; Debian's 1.3.2
#                     exits "bad packet template" there (its offline adapter
#                     never sets the link type), so this script rebuilds it
#                     from Debian's source package in /tmp with that one line
#                     set (never committed), or says it could not
#   zmap --dryrun -T 1  one sender thread, its packet dump to /dev/null, timed
#                     from its own millisecond log lines
# zmap needs an interface: a namespace with a veth is created and removed
# here (198.19.0.1/24; nothing is sent by any of the three). Prints
# key=value lines: tx_pps, masscan_pps, zmap_pps and the ratios.
set -u
BIN=${1:-${TLSMAP_BIN:-build/tlsmap}}
TX_SECONDS=${TX_SECONDS:-5}
MASSCAN_PORTS=${MASSCAN_PORTS:-1-100}   # x 131072 addresses of 198.18.0.0/15
[ "$(id -u)" = 0 ] || { echo "skip: needs root (DPDK, namespaces)"; exit 77; }
NS=tlsmap-bt$$
WORK=${TLSMAP_BENCH_DIR:-/tmp/tlsmap-bench}
mkdir -p "$WORK"
cleanup() { ip netns del $NS 2>/dev/null; }
trap cleanup EXIT
ip netns add $NS
ip -n $NS link add b0 type veth peer name b1
ip -n $NS link set lo up; ip -n $NS link set b0 up; ip -n $NS link set b1 up
ip -n $NS addr add 198.19.0.1/24 dev b0
now() { date +%s.%N; }

# --- masscan with a working --offline ---
masscan_ok() { # does $1 --offline run?
	local out
	out=$(timeout 20 "$1" --offline -p443 198.18.0.0/30 --rate 1000 --adapter-ip 198.19.0.1 \
		--router-mac 02:00:00:00:00:01 --adapter-mac 02:00:00:00:00:02 --wait 0 2>&1)
	! grep -q "bad packet template" <<<"$out" && grep -q "Scanning" <<<"$out"
}
build_masscan() { # Debian's source + the one-line fix, in $WORK/masscan
	local d=$WORK/masscan apt
	[ -x "$d/src/bin/masscan" ] && { echo "$d/src/bin/masscan"; return 0; }
	rm -rf "$d"; mkdir -p "$d/parts" "$d/lists/partial" "$d/cache"
	printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' >"$d/parts/src.sources"
	apt="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$d/parts -o Dir::State::Lists=$d/lists -o Dir::Cache=$d/cache"
	(cd "$d" && timeout 300 apt-get $apt update && timeout 300 apt-get $apt source --download-only masscan) >"$d/fetch.log" 2>&1 || return 1
	(cd "$d" && dpkg-source -x masscan_*.dsc src) >>"$d/fetch.log" 2>&1 || return 1
	# the fix: the offline adapter returns before link_type is set; make it Ethernet
	python3 - "$d/src/src/rawsock.c" <<'PY' || return 1
import sys
p = sys.argv[1]; s = open(p).read()
old = "    if (is_offline)\n        return adapter;"
if old not in s: sys.exit(1)
open(p, "w").write(s.replace(old, "    if (is_offline) {\n        adapter->link_type = 1;\n        return adapter;\n    }", 1))
PY
	(cd "$d/src" && make -j2 CC=gcc CFLAGS="-O2 -g -Wall") >"$d/build.log" 2>&1 || return 1
	echo "$d/src/bin/masscan"
}
MASSCAN=${MASSCAN:-}
masscan_note=""
if [ -z "$MASSCAN" ]; then
	if command -v masscan >/dev/null && masscan_ok masscan; then MASSCAN=masscan
	else
		MASSCAN=$(build_masscan) || MASSCAN=""
		[ -n "$MASSCAN" ] && masscan_note="rebuilt from Debian's source with the offline link-type fix"
	fi
fi
[ -n "$MASSCAN" ] && ! masscan_ok "$MASSCAN" && MASSCAN=""

# --- tlsmap ---
out=$(ip netns exec $NS "$BIN" bench tx --seconds "$TX_SECONDS" -T 0 2>&1)
tx_pps=$(sed -n 's/^tx_pps=//p' <<<"$out")
echo "$out" | grep -E '^(tx_|seconds=)'
[ -n "$tx_pps" ] || { echo "tlsmap bench tx failed: $out"; exit 1; }

# --- masscan ---
if [ -n "$MASSCAN" ]; then
	nports=$(awk -F- '{print ($2 ? $2 - $1 + 1 : 1)}' <<<"$MASSCAN_PORTS")
	count=$((131072 * nports))
	s=$(now)
	ip netns exec $NS timeout 300 "$MASSCAN" --offline -e b0 -p"$MASSCAN_PORTS" 198.18.0.0/15 --rate 100000000 \
		--adapter-ip 198.19.0.1 --router-mac 02:00:00:00:00:01 --adapter-mac 02:00:00:00:00:02 \
		--wait 0 >/dev/null 2>&1
	e=$(now)
	masscan_pps=$(awk -v c=$count -v s=$s -v e=$e 'BEGIN { printf "%.0f", c / (e - s) }')
	echo "masscan_packets=$count"
	echo "masscan_seconds=$(awk -v s=$s -v e=$e 'BEGIN { printf "%.3f", e - s }')"
	echo "masscan_pps=$masscan_pps"
	[ -n "$masscan_note" ] && echo "masscan_note=$masscan_note"
else
	masscan_pps=""
	echo "masscan_pps=NA"
	echo "masscan_note=could not get a masscan whose --offline works (Debian 1.3.2: 'bad packet template'; rebuild failed, see $WORK/masscan/*.log)"
fi

# --- zmap: best of 3. A 131072-address run is short, so it is timed from zmap's
# own millisecond log lines ("send thread started" .. "send thread 0 finished"),
# with its packet dump going to /dev/null.
: >"$WORK/empty.blocklist"
zmap_pps=""
if command -v zmap >/dev/null; then
	for _ in 1 2 3; do
		ip netns exec $NS timeout 120 zmap --dryrun -T 1 -p 443 -i b0 -S 198.19.0.1 \
			-G 02:00:00:00:00:01 -b "$WORK/empty.blocklist" -r 0 -c 0 -v 5 198.18.0.0/15 \
			>/dev/null 2>"$WORK/zmap.log"
		zp=$(awk '
			function t(s,  a) { split(s, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
			/send thread started/ && !s { s = t($3) }
			/send thread 0 finished/ { e = t($3) }
			END { if (s && e > s) printf "%.0f", 131072 / (e - s) }' "$WORK/zmap.log")
		grep -q "max targets of 131072 reached" "$WORK/zmap.log" || zp=""
		echo "zmap_run_pps=${zp:-NA}"
		[ -n "$zp" ] && { [ -z "$zmap_pps" ] || [ "$zp" -gt "$zmap_pps" ]; } && zmap_pps=$zp
	done
fi
echo "zmap_pps=${zmap_pps:-NA}"

[ -n "$masscan_pps" ] && echo "ratio_tlsmap_masscan=$(awk -v a=$tx_pps -v b=$masscan_pps 'BEGIN { printf "%.2f", a / b }')"
[ -n "$zmap_pps" ] && echo "ratio_tlsmap_zmap=$(awk -v a=$tx_pps -v b=$zmap_pps 'BEGIN { printf "%.2f", a / b }')"
exit 0

#!/bin/bash
# SPDX-License-Identifier: MIT
# RX validation rate on one lcore: `tlsmap bench rx` feeds 8192 prebuilt
# SYN-ACKs/RSTs (valid cookies, distinct targets) as in-memory mbufs again
# and again through parse, cookie check, dedup, the answering RST and
# dispatch to a counting stage. Prints rx_pps= (target: >= 10 Mpps).
set -u
BIN=${1:-${TLSMAP_BIN:-build/tlsmap}}
[ "$(id -u)" = 0 ] || { echo "skip: needs root (DPDK)"; exit 77; }
"$BIN" bench rx --seconds "${RX_SECONDS:-5}"

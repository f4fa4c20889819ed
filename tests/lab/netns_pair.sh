# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# A private pair of network namespaces for a lab test that does not need the
# whole lab (source this file):
#   scanner ns S: veth "s0", up, no kernel address (tlsmap owns 198.19.0.1
#                 and answers ARP itself)
#   target ns T:  veth "t0" 198.18.0.254/24; RANGE is local there (AnyIP:
#                 every address of it is the target's), 198.19.0.0/16 routed
#                 back over t0
# Checksum and segmentation offloads are off on both ends, so the frames
# DPDK's net_af_packet sees are the frames on the wire.

# netns_pair_up S T RANGE: make the pair; exits 77 (skip) when namespaces or
# veths cannot be made here. Pair it with netns_pair_down in the caller's
# EXIT trap, which must be set before this is called.
netns_pair_up() {
	local s=$1 t=$2 range=$3 ns_if
	ip netns add "$s" && ip netns add "$t" || { echo "skip: cannot create namespaces"; exit 77; }
	ip link add s0 netns "$s" type veth peer name t0 netns "$t" || { echo "skip: no veth"; exit 77; }
	ip -n "$s" link set lo up
	ip -n "$s" link set s0 up
	ip -n "$t" link set lo up
	ip -n "$t" link set t0 up
	ip -n "$t" addr add 198.18.0.254/24 dev t0
	ip -n "$t" route add local "$range" dev lo
	ip -n "$t" route add 198.19.0.0/16 dev t0
	for ns_if in "$s s0" "$t t0"; do
		set -- $ns_if
		ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1
	done
	return 0
}

# netns_pair_down S T: delete both namespaces (and so the veth); quiet when
# they are already gone.
netns_pair_down() {
	ip netns del "$1" 2>/dev/null
	ip netns del "$2" 2>/dev/null
	return 0
}

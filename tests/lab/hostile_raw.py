#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hostile_raw.py - lab hosts whose TCP itself is hostile, answered
from a packet socket because a kernel TCP cannot misbehave this way.

    hostile_raw.py IFACE CERT_DER SECONDS MODE:CIDR [MODE:CIDR ...]

The addresses of each CIDR must reach IFACE and be dropped by the kernel (a
blackhole route), so that only this script answers them, on tcp/443:

  blindrst  after the ClientHello: an RST far outside the window (seq + 65000),
            an RST inside the window but not at rcv_nxt, a SYN|ACK with random
            numbers (the replay that made the old TCP resend its hello), and
            payload without the ACK flag (RFC 9293 3.10.7.4: not to be
            delivered), then the real flight (ServerHello, Certificate,
            ServerHelloDone): a TCP that follows RFC 5961 and 9293 captures
            the chain
  ooo       after the ClientHello: floods of out-of-order segments (a hole
            at the first byte that is never filled), three times: the host
            ends by its read timeout; the receiver's out-of-order pool and
            buffers must stay bounded and fair to other connections

Bounded: it exits after SECONDS, keeps at most MAX_CONNS connections, and
answers each segment with a bounded number of segments. A classic BPF filter
passes only IPv4 TCP to the smallest prefix that covers the CIDRs.
"""
import ctypes
import os
import random
import select
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile import certificate_msg, handshake, records, server_hello  # noqa: E402

MAX_CONNS = 8192
MSS = 1400
OOO_SEGMENTS = 96  # per flood; three floods
SO_ATTACH_FILTER = 26
SO_RCVBUFFORCE = 33
SOL_PACKET, PACKET_STATISTICS = 263, 6
RCVBUF = 64 << 20  # the floods' ACKs must not crowd out a SYN (the default holds ~300 frames)


def csum_add(data):
	"""The one's-complement sum of data's 16-bit words, not folded."""
	if len(data) % 2:
		data += b"\x00"
	return sum(struct.unpack("!%dH" % (len(data) // 2), data))


def csum(data, partial=0):
	"""The Internet checksum of data, plus a partial sum of what follows it
	(data must then be of even length)."""
	s = csum_add(data) + partial
	while s >> 16:
		s = (s & 0xFFFF) + (s >> 16)
	return ~s & 0xFFFF


def cidr(text):
	net, bits = text.split("/")
	bits = int(bits)
	mask = (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF
	return struct.unpack("!I", socket.inet_aton(net))[0] & mask, mask


def attach_filter(sock, net, mask):
	"""Pass IPv4 TCP whose destination is in net/mask, nothing else."""
	prog = [
		(0x28, 0, 0, 12),  # ldh [12] ethertype
		(0x15, 0, 6, 0x0800),
		(0x30, 0, 0, 23),  # ldb [23] protocol
		(0x15, 0, 4, 6),
		(0x20, 0, 0, 30),  # ld [30] destination
		(0x54, 0, 0, mask),
		(0x15, 0, 1, net),
		(0x06, 0, 0, 0xFFFF),
		(0x06, 0, 0, 0),
	]
	buf = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in prog))
	fprog = struct.pack("HL", len(prog), ctypes.addressof(buf))
	sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
	return buf  # keep it alive


class Raw:
	def __init__(self, iface):
		self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
		self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
		self.sock.bind((iface, 0))
		self.sent = 0

	def drops(self):
		"""Frames the kernel dropped because this socket was behind."""
		_, dropped = struct.unpack("II", self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
		return dropped

	def send(self, eth_dst, eth_src, src, dst, sport, dport, seq, ack, flags, payload=b"", psum=None):
		"""psum: csum_add(payload) when the caller sends one payload many times."""
		hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
		                  65535, 0, 0)
		pseudo = src + dst + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
		if psum is None:
			psum = csum_add(payload)
		tcp = hdr[:16] + struct.pack("!H", csum(pseudo + hdr, psum)) + hdr[18:] + payload
		ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.getrandbits(16), 0x4000, 64, 6,
		                 0, src, dst)
		ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
		self.sock.send(eth_dst + eth_src + b"\x08\x00" + ip + tcp)
		self.sent += 1


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def main(argv):
	if len(argv) < 5:
		sys.exit("usage: hostile_raw.py IFACE CERT_DER SECONDS MODE:CIDR ...")
	iface, seconds = argv[1], float(argv[3])
	with open(argv[2], "rb") as f:
		cert = f.read()
	flight = records(server_hello() + certificate_msg(cert, len(cert)) + handshake(14, 0))
	blocks = []
	for spec in argv[4:]:
		mode, text = spec.split(":")
		if mode not in ("blindrst", "ooo"):
			sys.exit("hostile_raw.py: unknown mode " + mode)
		blocks.append((mode,) + cidr(text))
	raw = Raw(iface)
	net, mask = blocks[0][1], blocks[0][2]
	for _, n, m in blocks[1:]:
		mask &= m
		while (net ^ n) & mask:
			mask = (mask << 1) & 0xFFFFFFFF
		net &= mask
	keep = attach_filter(raw.sock, net, mask)  # noqa: F841
	junk = os.urandom(MSS)
	junk_sum = csum_add(junk)
	conns = {}
	counts = {"syn": 0, "hello": 0, "blind": 0, "ooo": 0, "flight": 0}
	print("hostile_raw.py pid %d serving %s" % (os.getpid(), " ".join(argv[4:])), flush=True)
	end = time.monotonic() + seconds
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
	try:
		serve(raw, blocks, flight, junk, junk_sum, conns, counts, end)
	finally:
		print("hostile_raw.py done: %s sent=%d dropped=%d" % (counts, raw.sent, raw.drops()), flush=True)


def serve(raw, blocks, flight, junk, junk_sum, conns, counts, end):
	while time.monotonic() < end:
		if not select.select([raw.sock], [], [], 0.5)[0]:
			continue
		frame, addr = raw.sock.recvfrom(65535)
		if addr[2] == socket.PACKET_OUTGOING or len(frame) < 54:
			continue
		ihl = (frame[14] & 0x0F) * 4
		tot = struct.unpack("!H", frame[16:18])[0]
		src, dst = frame[26:30], frame[30:34]
		t = 14 + ihl
		if len(frame) < t + 20:
			continue
		sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", frame[t:t + 14])
		if dport != 443:
			continue
		payload = frame[t + (off >> 4) * 4:14 + tot]
		d = struct.unpack("!I", dst)[0]
		mode = next((m for m, net, mask in blocks if d & mask == net), None)
		if mode is None:
			continue
		key = (src, sport, dst)
		mac_peer, mac_me = frame[6:12], frame[0:6]

		def out(s, a, fl, p=b"", psum=None):
			raw.send(mac_peer, mac_me, dst, src, 443, sport, s, a, fl, p, psum)

		if flags & RST:
			conns.pop(key, None)
			continue
		if flags & SYN and not flags & ACK:
			if key not in conns and len(conns) >= MAX_CONNS:
				continue
			c = conns.setdefault(key, {"isn": random.getrandbits(32), "done": False})
			counts["syn"] += 1
			out(c["isn"], seq + 1, SYN | ACK)
			continue
		c = conns.get(key)
		if c is None:
			continue
		if flags & FIN:
			out(c["isn"] + 1 + (len(flight) if c["done"] and mode == "blindrst" else 0), seq + len(payload) + 1,
			    RST | ACK)
			conns.pop(key, None)
			continue
		if not payload or c["done"]:
			continue
		# the ClientHello (or its retransmission): the hostile part, once
		c["done"] = True
		counts["hello"] += 1
		nxt, rcv = c["isn"] + 1, seq + len(payload)
		if mode == "blindrst":
			counts["blind"] += 1
			out(nxt + 65000, 0, RST)  # blind, off-window
			out(nxt + 100, 0, RST)  # in the window, not exact: a challenge ACK
			out(random.getrandbits(32), random.getrandbits(32), SYN | ACK)  # replayed SYN|ACK
			out(nxt, rcv, PSH, b"\x15\x03\x03\x00\x02\x02\x28")  # no ACK flag: never delivered
			for i in range(0, len(flight), MSS):
				out(nxt + i, rcv, ACK | (PSH if i + MSS >= len(flight) else 0), flight[i:i + MSS])
			counts["flight"] += 1
		else:
			out(nxt, rcv, ACK)
			for r in range(3):  # overlapping floods; byte 0 never comes
				for k in range(1, OOO_SEGMENTS + 1):
					out(nxt + k * MSS + r * 7, rcv, ACK, junk, junk_sum)
				counts["ooo"] += 1


if __name__ == "__main__":
	try:
		main(sys.argv)
	except KeyboardInterrupt:
		pass

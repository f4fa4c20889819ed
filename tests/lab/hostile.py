#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hostile.py - the lab's badly behaved "TLS servers", one port per behaviour.

    hostile.py CERT_DER MODE:PORT [MODE:PORT ...]

lab.sh runs one instance in a country namespace and REDIRECTs tcp/443 of the
hostile addresses to these ports. Modes (what the scanner must survive, with
the verdict docs/verdicts.md gives it):

  tarpit    accepts, reads, never sends a byte               NO_TLS
  trickle   a real-looking ServerHello + Certificate, 1 B/s  TLS_ERROR
  endless   ServerHello, then TLS records without end        TLS_ERROR
  bigchain  ServerHello + a 1 MB Certificate message         TLS_ERROR
  garbage   bytes that are not a TLS record                  NO_TLS
  reset     RST right after the handshake, before any byte   NO_TLS
  close     reads the ClientHello, then FIN without a byte   NO_TLS
  stall     ServerHello + 120 KB of a 124 KB Certificate     TLS_ERROR
            message (just under --max-flight-bytes), then silence:
            the receive-buffer attack
  normal    ServerHello + Certificate + ServerHelloDone at   (chain captured)
            once: a well-behaved host beside the hostile ones

Everything is bounded: each connection lives at most LIFETIME seconds and
sends at most SEND_CAP bytes, and at most MAX_CONNS connections are served at
once (the rest are closed), so a misbehaving client cannot make this grow.
CERT_DER is any DER certificate; it fills the Certificate messages.
"""
import asyncio
import os
import socket
import struct
import sys

LIFETIME = 120.0
SEND_CAP = 256 << 20
MAX_CONNS = int(os.environ.get("HOSTILE_MAX_CONNS", "512"))
BACKLOG = int(os.environ.get("HOSTILE_BACKLOG", "256"))
READ_WAIT = 3.0

live = 0


def record(content_type, body):
	"""One TLS 1.2 record (RFC 5246 6.2.1)."""
	return struct.pack("!BHH", content_type, 0x0303, len(body)) + body


def handshake(msg_type, body_len):
	"""Handshake message header (RFC 5246 7.4): type + 24-bit length."""
	return struct.pack("!B", msg_type) + body_len.to_bytes(3, "big")


def server_hello():
	# TLS 1.2, fixed random, empty session id, ECDHE-ECDSA-AES128-GCM-SHA256, null
	# compression, and an empty renegotiation_info (RFC 5746) so that clients read on
	exts = struct.pack("!HHB", 0xFF01, 1, 0)
	body = (struct.pack("!H", 0x0303) + bytes(range(32)) + b"\x00" + struct.pack("!H", 0xC02B) + b"\x00"
	        + struct.pack("!H", len(exts)) + exts)
	return handshake(2, len(body)) + body


def records(payload):
	"""Split a handshake byte stream into records of at most 16384 bytes."""
	return b"".join(record(22, payload[i:i + 16384]) for i in range(0, len(payload), 16384))


def certificate_msg(cert, total):
	"""A Certificate message whose list repeats cert until it is about total bytes."""
	entry = len(cert).to_bytes(3, "big") + cert
	certs = entry * (total // len(entry) + 1)
	body = len(certs).to_bytes(3, "big") + certs
	return handshake(11, len(body)) + body


async def read_hello(reader):
	try:
		return await asyncio.wait_for(reader.read(65536), READ_WAIT)
	except asyncio.TimeoutError:
		return b""


async def serve(mode, cert, reader, writer):
	sock = writer.get_extra_info("socket")
	if mode == "reset":
		sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
		writer.transport.abort()
		return
	await read_hello(reader)
	if mode == "close":
		return
	if mode in ("stall", "normal"):
		if mode == "stall":
			flight = records(server_hello() + certificate_msg(cert, 124000))[:120000]
		else:
			flight = records(server_hello() + certificate_msg(cert, len(cert)) + handshake(14, 0))
		writer.write(flight)
		await writer.drain()
		while await reader.read(65536):  # until the client closes or resets
			pass
		return
	if mode == "tarpit":
		await asyncio.sleep(LIFETIME)
		return
	if mode == "garbage":
		writer.write(b"SSH-2.0-lab-garbage\r\n" + bytes((i * 151 + 7) % 256 for i in range(1000)))
		await writer.drain()
		await asyncio.sleep(1)
		return
	if mode == "trickle":
		flight = records(server_hello() + certificate_msg(cert, len(cert)) + handshake(14, 0))
		for i in range(min(len(flight), int(LIFETIME))):
			writer.write(flight[i:i + 1])
			await writer.drain()
			await asyncio.sleep(1)
		return
	if mode == "bigchain":
		writer.write(records(server_hello() + certificate_msg(cert, (1 << 20) + 4096) + handshake(14, 0)))
		await writer.drain()
		await asyncio.sleep(5)
		return
	if mode == "endless":
		# a Certificate message announcing 16 MB, then records that never end
		sent = 0
		writer.write(record(22, server_hello() + handshake(11, 0xFFFFFF)))
		chunk = record(22, bytes(16384))
		while sent < SEND_CAP:
			writer.write(chunk)
			sent += len(chunk)
			await writer.drain()
		return


def handler(mode, cert):
	async def handle(reader, writer):
		global live
		if live >= MAX_CONNS:
			writer.transport.abort()
			return
		live += 1
		try:
			await asyncio.wait_for(serve(mode, cert, reader, writer), LIFETIME)
		except (asyncio.TimeoutError, ConnectionError, OSError):
			pass
		finally:
			live -= 1
			writer.transport.abort() if mode == "reset" else writer.close()
	return handle


async def main(argv):
	if len(argv) < 3:
		sys.exit("usage: hostile.py CERT_DER MODE:PORT [MODE:PORT ...]")
	with open(argv[1], "rb") as f:
		cert = f.read()
	servers = []
	for spec in argv[2:]:
		mode, port = spec.split(":")
		if mode not in ("tarpit", "trickle", "endless", "bigchain", "garbage", "reset", "close", "stall",
		                "normal"):
			sys.exit("hostile.py: unknown mode " + mode)
		servers.append(await asyncio.start_server(handler(mode, cert), "0.0.0.0", int(port),
		                                          reuse_address=True, backlog=BACKLOG))
	print("hostile.py pid %d serving %s" % (os.getpid(), " ".join(argv[2:])), flush=True)
	await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
	try:
		asyncio.run(main(sys.argv))
	except KeyboardInterrupt:
		pass

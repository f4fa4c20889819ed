/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness for the streaming TLS flight parser (parsers/tls.h). The
 * input is a server byte stream; it is fed whole, then in pieces whose
 * sizes come from the stream's own bytes, then byte by byte, and the three
 * runs must agree on the status and the chain (the parser's answer cannot
 * depend on how TCP segmented the flight). Every certificate slice must lie
 * inside the handshake bytes.
 *
 * Built as a libFuzzer target with -Dfuzz=true (clang, ASan+UBSan);
 * otherwise replay.c's main() runs it over the seed corpus and the
 * regressions (the 'fuzz' suite's test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/tls.h"

#define CAP (1u << 16)

struct run {
	int st;
	struct tls_flight f;
	uint32_t hs_len;
};

static uint8_t bufs[3][CAP + 4096];

static struct run feed(const uint8_t *data, size_t size, int mode, uint8_t *buf)
{
	struct tls_parser ps;
	struct run r;
	size_t pos = 0, k = 0;

	tls_flight_init(&ps, CAP);
	r.st = TLS_ST_MORE;
	while (pos < size && r.st == TLS_ST_MORE) {
		size_t n = size - pos;
		if (mode == 1)
			n = 1 + (size_t)(data[k++ % size] % 97);
		else if (mode == 2)
			n = 1;
		if (n > size - pos)
			n = size - pos;
		if (n > 4096)
			n = 4096; /* the caller's contract: room for hs bytes + new bytes */
		uint32_t have = tls_flight_hs_len(&ps);
		memcpy(buf + have, data + pos, n);
		pos += n;
		r.st = tls_flight_feed(&ps, buf, have + n);
	}
	r.f = ps.f;
	r.hs_len = ps.hs_len;
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run r[3];

	for (int m = 0; m < 3; m++)
		r[m] = feed(data, size, m, bufs[m]);
	for (int m = 1; m < 3; m++) {
		/* whole-record statuses may only differ in when MORE stops; a final
		 * status must be the same and a chain byte-identical */
		if (r[m].st != r[0].st)
			abort();
		if (r[0].st == TLS_ST_CERT) {
			if (r[m].f.ncerts != r[0].f.ncerts)
				abort();
			for (unsigned i = 0; i < r[0].f.ncerts; i++) {
				const struct tls_slice *a = &r[0].f.certs[i], *b = &r[m].f.certs[i];
				if (a->len != b->len ||
				    memcmp(bufs[0] + a->off, bufs[m] + b->off, a->len))
					abort();
			}
		}
	}
	if (r[0].st == TLS_ST_CERT)
		for (unsigned i = 0; i < r[0].f.ncerts; i++)
			if (r[0].f.certs[i].off + (uint64_t)r[0].f.certs[i].len > r[0].hs_len)
				abort();
	return 0;
}

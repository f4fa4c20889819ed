/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness for the OpenSSL full path (parsers/tls_ossl.c): the input is
 * what the server sends. A connection is started (ClientHello produced),
 * then the bytes are fed as the TCP stage feeds them, step after each
 * piece: once whole, once in pieces whose sizes come from the input's own
 * bytes. Checked: the status is one the API promises, a final status is
 * sticky, a chain has 1..TLS_MAX_CERTS non-empty certificates, the send
 * stream never shrinks, and the facts can be read in every state.
 *
 * Built as a libFuzzer target with -Dfuzz=true (clang, ASan+UBSan);
 * otherwise replay.c's main() runs it over the seed corpus and the
 * regressions (the 'fuzz' suite's test). The seeds are the fast path's
 * (corpus/tls: real server flights), the same bytes this path sees.
 */
#include <stdlib.h>
#include <string.h>

#include "parsers/tls.h"

static struct tls_ossl_ctx *ctx;

static bool status_ok(int st)
{
	return st == TLS_ST_MORE || st == TLS_ST_CERT || st == TLS_ST_ALERT ||
	       st == TLS_ST_PROTOCOL || st == TLS_ST_NOT_TLS || st == TLS_ST_NO_CERT;
}

static void run(const uint8_t *data, size_t size, bool pieces)
{
	struct tls_ossl *s = tls_ossl_new(ctx, pieces ? "" : "www.example.com");
	size_t pos = 0, k = 0, out_len = 0;
	int st;

	if (!s)
		abort();
	st = tls_ossl_step(s);
	tls_ossl_out(s, &out_len);
	if (st != TLS_ST_MORE || out_len == 0)
		abort(); /* a ClientHello, and nothing received yet */
	while (pos < size && st == TLS_ST_MORE) {
		size_t n = pieces ? 1 + (size_t)(data[k++ % size] % 113) : size - pos;
		size_t len;

		if (n > size - pos)
			n = size - pos;
		if (tls_ossl_feed(s, data + pos, n) != 0)
			abort();
		pos += n;
		st = tls_ossl_step(s);
		if (!status_ok(st))
			abort();
		tls_ossl_out(s, &len);
		if (len < out_len)
			abort();
		out_len = len;
	}
	if (st != TLS_ST_MORE && tls_ossl_step(s) != st)
		abort(); /* final statuses are sticky */
	if (tls_ossl_bytes_in(s) != (uint32_t)pos)
		abort();
	if (st == TLS_ST_CERT) {
		const uint8_t *const *ders;
		const size_t *lens;
		size_t n = tls_ossl_chain(s, &ders, &lens);

		if (n == 0 || n > TLS_MAX_CERTS)
			abort();
		for (size_t i = 0; i < n; i++)
			if (!ders[i] || lens[i] == 0)
				abort();
	}
	struct tls_flight f;
	memset(&f, 0, sizeof(f));
	tls_ossl_facts(s, &f);
	tls_ossl_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ctx && !(ctx = tls_ossl_ctx_new()))
		abort();
	run(data, size, false);
	if (size > 0)
		run(data, size, true);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Writer/reader round trip over every message type and field kind, cert
 * dedup, writer ordering rules, and a reader that never crashes: truncation
 * at every byte offset, garbage, and random byte flips.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/out.h"
#include "output_testdata.h"
#include "test.h"

static char dir[256];

static void spit(const char *path, const uint8_t *b, size_t len)
{
	FILE *f = fopen(path, "wb");

	fwrite(b, 1, len, f);
	fclose(f);
}

/* Pack a Record around @msg for byte comparison. */
static uint8_t *pack_rec(const Tlsmap__V1__Record *r, size_t *len)
{
	uint8_t *b;

	*len = tlsmap__v1__record__get_packed_size(r);
	b = malloc(*len + 1);
	tlsmap__v1__record__pack(r, b);
	return b;
}

static int same_packed(const Tlsmap__V1__Record *a, const Tlsmap__V1__Record *b)
{
	size_t la, lb;
	uint8_t *pa = pack_rec(a, &la), *pb = pack_rec(b, &lb);
	int same = la == lb && memcmp(pa, pb, la) == 0;

	free(pa);
	free(pb);
	return same;
}

#define NCERT 3
#define NPROBE 4

struct expected {
	Tlsmap__V1__Record recs[1 + NCERT + NPROBE + 1];
	size_t n;
	uint64_t ends[1 + NCERT + NPROBE + 1]; /* file offset after each record */
};

static void write_full(const char *path, struct td_arena *a, struct expected *ex, int big)
{
	static Tlsmap__V1__ScanMeta meta;
	static Tlsmap__V1__Certificate certs[NCERT];
	static Tlsmap__V1__Probe probes[NPROBE];
	static Tlsmap__V1__ScanEnd end;
	struct out_writer *w = out_writer_open(path);
	char partial[512];
	struct stat st;

	CHECK(w != NULL);
	if (!w)
		exit(1);
	snprintf(partial, sizeof(partial), "%s.partial", path);
	CHECK(stat(partial, &st) == 0 && st.st_size == OUT_MAGIC_LEN);

	/* Ordering: nothing before the meta. */
	td_full_probe(a, &probes[0], 0);
	CHECK(out_write_probe(w, &probes[0]) == OUT_EORDER);
	td_full_cert(a, &certs[0], 0, 10);
	CHECK(out_write_cert(w, &certs[0]) == OUT_EORDER);

	ex->n = 0;
	for (size_t i = 0; i < sizeof(ex->recs) / sizeof(ex->recs[0]); i++)
		tlsmap__v1__record__init(&ex->recs[i]);
	td_full_meta(a, &meta, 1);
	CHECK(out_write_meta(w, &meta) == OUT_OK);
	CHECK(out_write_meta(w, &meta) == OUT_EORDER);
	ex->recs[ex->n].kind_case = TLSMAP__V1__RECORD__KIND_META;
	ex->recs[ex->n].meta = &meta;
	ex->ends[ex->n++] = out_writer_bytes(w);
	for (unsigned i = 0; i < NCERT; i++) {
		size_t der = big && i == 1 ? (3u << 20) : 100 + i;

		td_full_cert(a, &certs[i], 10 + i, der);
		CHECK(!out_writer_has_cert(w, certs[i].sha256.data));
		CHECK(out_write_cert(w, &certs[i]) == OUT_OK);
		CHECK(out_writer_has_cert(w, certs[i].sha256.data));
		ex->recs[ex->n].kind_case = TLSMAP__V1__RECORD__KIND_CERTIFICATE;
		ex->recs[ex->n].certificate = &certs[i];
		ex->ends[ex->n++] = out_writer_bytes(w);
		/* Second write of the same certificate: nothing written. */
		CHECK(out_write_cert(w, &certs[i]) == OUT_OK);
		CHECK(out_writer_bytes(w) == ex->ends[ex->n - 1]);
	}
	for (unsigned i = 0; i < NPROBE; i++) {
		td_full_probe(a, &probes[i], 20 + i);
		CHECK(out_write_probe(w, &probes[i]) == OUT_OK);
		ex->recs[ex->n].kind_case = TLSMAP__V1__RECORD__KIND_PROBE;
		ex->recs[ex->n].probe = &probes[i];
		ex->ends[ex->n++] = out_writer_bytes(w);
	}
	CHECK(out_writer_records(w) == 1 + NCERT + NPROBE);
	/* After a flush the kernel has every byte. */
	CHECK(out_writer_flush(w) == OUT_OK);
	CHECK(stat(partial, &st) == 0 && (uint64_t)st.st_size == out_writer_bytes(w));
	CHECK(out_writer_tick(w) == OUT_OK);
	CHECK(out_writer_sync(w) == OUT_OK);
	CHECK(stat(path, &st) != 0); /* not final yet */
	td_full_end(&end, 3);
	ex->recs[ex->n].kind_case = TLSMAP__V1__RECORD__KIND_END;
	ex->recs[ex->n].end = &end;
	CHECK(out_writer_close(w, &end) == OUT_OK);
	CHECK(stat(partial, &st) != 0 && errno == ENOENT);
	CHECK(stat(path, &st) == 0);
	ex->ends[ex->n++] = (uint64_t)st.st_size;
}

/* Read @path; check records against @ex; returns the final status. */
static int read_check(const char *path, const struct expected *ex, size_t *nread, uint64_t *off)
{
	int err, ret;
	struct out_reader *r = out_reader_open(path, &err);
	Tlsmap__V1__Record *rec;

	*nread = 0;
	if (!r)
		return err;
	while ((ret = out_reader_next(r, &rec)) == 1) {
		if (ex) {
			CHECK(*nread < ex->n);
			if (*nread < ex->n)
				CHECK(same_packed(rec, &ex->recs[*nread]));
		}
		out_record_free(rec);
		(*nread)++;
	}
	CHECK(rec == NULL);
	*off = out_reader_offset(r);
	/* Errors are sticky; a clean end stays clean. */
	CHECK(out_reader_next(r, &rec) == ret && rec == NULL);
	out_reader_close(r);
	return ret;
}

static void test_roundtrip(void)
{
	struct td_arena *a = td_arena_new();
	struct expected ex;
	char path[512];
	size_t n;
	uint64_t off;

	snprintf(path, sizeof(path), "%s/full.tlsmap", dir);
	write_full(path, a, &ex, 0);
	CHECK(read_check(path, &ex, &n, &off) == 0);
	CHECK(n == ex.n);

	/* A certificate larger than the writer's buffer. */
	snprintf(path, sizeof(path), "%s/big.tlsmap", dir);
	write_full(path, a, &ex, 1);
	CHECK(read_check(path, &ex, &n, &off) == 0);
	CHECK(n == ex.n);
	td_arena_free(a);
}

static void test_truncation(void)
{
	struct td_arena *a = td_arena_new();
	struct expected ex;
	char path[512], cut[512];
	size_t len, n;
	uint64_t off;
	uint8_t *b;

	snprintf(path, sizeof(path), "%s/trunc.tlsmap", dir);
	snprintf(cut, sizeof(cut), "%s/cut.tlsmap", dir);
	write_full(path, a, &ex, 0);
	b = (uint8_t *)test_read_file(path, &len);
	for (size_t L = 0; L <= len; L++) {
		size_t complete = 0;
		int ret;

		spit(cut, b, L);
		while (complete < ex.n && ex.ends[complete] <= L)
			complete++;
		ret = read_check(cut, &ex, &n, &off);
		if (L < OUT_MAGIC_LEN) {
			CHECK(ret == OUT_EMAGIC);
			continue;
		}
		CHECK(n == complete);
		if (L == OUT_MAGIC_LEN || (complete > 0 && ex.ends[complete - 1] == L)) {
			CHECK(ret == 0);
		} else {
			uint64_t start = complete ? ex.ends[complete - 1] : OUT_MAGIC_LEN;

			CHECK(ret == OUT_ETRUNC);
			CHECK(off == start);
			if (ret != OUT_ETRUNC || off != start) {
				fprintf(stderr, "cut at %zu: ret %d off %llu want %llu\n", L, ret,
					(unsigned long long)off, (unsigned long long)start);
				break;
			}
		}
	}
	free(b);
	td_arena_free(a);
}

static void test_garbage(void)
{
	struct td_arena *a = td_arena_new();
	struct expected ex;
	char path[512], bad[512];
	size_t len, n;
	uint64_t off;
	uint8_t *b, *g;
	static const uint8_t long_varint[11] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
						0xff, 0xff, 0xff, 0xff, 0x01};
	static const uint8_t huge_len[5] = {0xff, 0xff, 0xff, 0xff, 0x0f};
	static const uint8_t bad_body[3] = {0x02, 0x0a, 0x05}; /* meta claims 5 bytes, has 0 */
	const struct {
		const uint8_t *p;
		size_t n;
	} tails[] = {
		{long_varint, sizeof(long_varint)},
		{huge_len, sizeof(huge_len)},
		{bad_body, sizeof(bad_body)},
	};

	snprintf(path, sizeof(path), "%s/g.tlsmap", dir);
	snprintf(bad, sizeof(bad), "%s/bad.tlsmap", dir);
	write_full(path, a, &ex, 0);
	b = (uint8_t *)test_read_file(path, &len);
	g = malloc(len + 64);
	for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
		memcpy(g, b, len);
		memcpy(g + len, tails[t].p, tails[t].n);
		spit(bad, g, len + tails[t].n);
		CHECK(read_check(bad, &ex, &n, &off) == OUT_ECORRUPT);
		CHECK(n == ex.n && off == len);
	}
	/* Wrong magic. */
	memcpy(g, b, len);
	g[3] ^= 0x20;
	spit(bad, g, len);
	CHECK(read_check(bad, NULL, &n, &off) == OUT_EMAGIC);
	/* Missing file. */
	snprintf(bad, sizeof(bad), "%s/nonexistent", dir);
	CHECK(read_check(bad, NULL, &n, &off) == OUT_EIO);

	/* Random flips: any outcome but a crash (ASan watches), offsets in range. */
	srand(12345);
	snprintf(bad, sizeof(bad), "%s/flip.tlsmap", dir);
	for (int it = 0; it < 3000; it++) {
		int ret;

		memcpy(g, b, len);
		for (int k = 0, nk = 1 + rand() % 3; k < nk; k++)
			g[OUT_MAGIC_LEN + (size_t)rand() % (len - OUT_MAGIC_LEN)] ^=
				(uint8_t)(1 + rand() % 255);
		spit(bad, g, len);
		ret = read_check(bad, NULL, &n, &off);
		CHECK(ret == 0 || ret == OUT_ETRUNC || ret == OUT_ECORRUPT);
		CHECK(off <= len);
	}
	free(g);
	free(b);
	td_arena_free(a);
}

static void test_errors(void)
{
	CHECK(out_writer_open("/nonexistent-dir/x.tlsmap") == NULL);
	CHECK(strcmp(out_strerror(OUT_ETRUNC), "file ends inside a record (truncated)") == 0);
	CHECK(out_strerror(12345) != NULL);
}

static void test_sha256(void)
{
	char path[512];
	uint8_t d[32];
	/* sha256("abc") */
	static const uint8_t want[4] = {0xba, 0x78, 0x16, 0xbf};

	snprintf(path, sizeof(path), "%s/abc", dir);
	spit(path, (const uint8_t *)"abc", 3);
	CHECK(out_file_sha256(path, d) == 0 && memcmp(d, want, 4) == 0);
}

int main(void)
{
	if (!test_tmpdir(dir, sizeof(dir), "rt"))
		return 1;
	test_roundtrip();
	test_truncation();
	test_garbage();
	test_errors();
	test_sha256();
	TEST_DONE();
}

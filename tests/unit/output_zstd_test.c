/* SPDX-License-Identifier: MIT */
/*
 * Compressed datasets: FILE.tlsmap.zst written by the writer and
 * read back by the reader, which tells the form by its first bytes.
 *   - round trip: the same records as the plain file, byte for byte; the
 *     file is standard zstd frames whose content is the plain file, each
 *     frame ending on a record boundary; a record larger than the buffer;
 *   - a name without .zst that holds zstd frames is read as well;
 *   - truncated: cut anywhere, the reader returns a prefix of the records
 *     and then a clean end (at a frame boundary) or OUT_ETRUNC (inside one);
 *   - corrupt: a flipped bit ends in an error, never a crash, and never in
 *     a clean end with records that differ (the frames carry checksums);
 *   - bombs: a frame declaring a huge content size, a frame asking for a
 *     huge window, and a small file that decodes to gigabytes all end with
 *     OUT_EEXPAND after bounded memory and time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "output/out.h"
#include "output_testdata.h"
#include "test.h"

static char dir[] = "/tmp/tlsmap-zstd-XXXXXX";

struct blob {
	uint8_t *p;
	size_t n;
};

static struct blob slurp(const char *path)
{
	struct blob b = {0};
	FILE *f = fopen(path, "rb");
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		exit(1);
	}
	b.n = (size_t)n;
	b.p = malloc(b.n + 1);
	if (!b.p || fread(b.p, 1, b.n, f) != b.n) {
		perror(path);
		exit(1);
	}
	fclose(f);
	return b;
}

static void spill(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Every record of @path, packed, one after the other; *count of them and
 * the reader's last return (0: clean end, <0: error; -100: open failed). */
struct readout {
	struct blob packed;
	size_t count;
	int last;
};

static struct readout read_all(const char *path)
{
	struct readout o = {{0}, 0, -100};
	size_t cap = 0;
	int err, r;
	struct out_reader *rd = out_reader_open(path, &err);
	Tlsmap__V1__Record *rec;

	if (!rd)
		return o;
	while ((r = out_reader_next(rd, &rec)) == 1) {
		size_t n = tlsmap__v1__record__get_packed_size(rec);

		if (o.packed.n + n + 1 > cap) {
			cap = (o.packed.n + n + 1) * 2;
			o.packed.p = realloc(o.packed.p, cap);
			if (!o.packed.p)
				abort();
		}
		tlsmap__v1__record__pack(rec, o.packed.p + o.packed.n);
		o.packed.n += n;
		o.count++;
		out_record_free(rec);
	}
	o.last = r;
	out_reader_close(rd);
	return o;
}

/* Frame ends of a zstd file: offsets after each whole frame. */
static size_t frame_ends(const struct blob *z, size_t *ends, size_t max)
{
	size_t off = 0, n = 0;

	while (off < z->n && n < max) {
		size_t f = ZSTD_findFrameCompressedSize(z->p + off, z->n - off);

		if (ZSTD_isError(f))
			break;
		off += f;
		ends[n++] = off;
	}
	return n;
}

static char plain_path[256], zst_path[256];

/* The synthetic lab scan's records, flushed every few records (as the
 * writer thread does every second), so the compressed file has many frames. */
static int write_set(const char *path)
{
	char lab[300];
	struct out_reader *r;
	struct out_writer *w;
	Tlsmap__V1__Record *rec;
	int err, ret = OUT_OK, n = 0;

	snprintf(lab, sizeof(lab), "%s/source.tlsmap", dir);
	if (access(lab, F_OK) != 0 && (ret = td_write_lab(lab, 0, 1, 1, 7)) != OUT_OK)
		return ret;
	r = out_reader_open(lab, &err);
	w = out_writer_open(path);
	if (!r || !w)
		return OUT_EIO;
	while (ret == OUT_OK && out_reader_next(r, &rec) == 1) {
		switch (rec->kind_case) {
		case TLSMAP__V1__RECORD__KIND_META:
			ret = out_write_meta(w, rec->meta);
			break;
		case TLSMAP__V1__RECORD__KIND_CERTIFICATE:
			ret = out_write_cert(w, rec->certificate);
			break;
		case TLSMAP__V1__RECORD__KIND_PROBE:
			ret = out_write_probe(w, rec->probe);
			break;
		default: /* the ScanEnd: the last record */
			ret = out_writer_close(w, rec->end);
			w = NULL;
			break;
		}
		if (ret == OUT_OK && w && ++n % 7 == 0)
			ret = out_writer_flush(w);
		out_record_free(rec);
	}
	out_reader_close(r);
	if (w)
		out_writer_abort(w);
	return ret;
}
static struct readout want; /* the records of the plain file */

static void round_trip(void)
{
	struct blob z, plain, dec;
	struct readout got;
	size_t ends[4096], nf, prev = 0;
	uint64_t nrec;
	char other[300];

	snprintf(plain_path, sizeof(plain_path), "%s/lab.tlsmap", dir);
	snprintf(zst_path, sizeof(zst_path), "%s/lab.tlsmap.zst", dir);
	CHECK(write_set(plain_path) == OUT_OK);
	CHECK(write_set(zst_path) == OUT_OK);
	want = read_all(plain_path);
	got = read_all(zst_path);
	CHECK(want.last == 0 && got.last == 0 && want.count > 10);
	CHECK(got.count == want.count && got.packed.n == want.packed.n &&
	      memcmp(got.packed.p, want.packed.p, want.packed.n) == 0);
	free(got.packed.p);

	/* standard zstd: the frames' content is the plain file, byte for byte */
	z = slurp(zst_path);
	plain = slurp(plain_path);
	CHECK(z.n < plain.n);
	dec.p = malloc(plain.n + 1);
	dec.n = ZSTD_decompress(dec.p, plain.n + 1, z.p, z.n);
	CHECK(!ZSTD_isError(dec.n) && dec.n == plain.n && memcmp(dec.p, plain.p, plain.n) == 0);
	/* whole frames only, each one a run of whole records (the first: the magic) */
	nf = frame_ends(&z, ends, 4096);
	CHECK(nf >= 3 && ends[nf - 1] == z.n);
	for (size_t i = 0, raw = 0; i < nf; i++) {
		unsigned long long fc = ZSTD_getFrameContentSize(z.p + prev, ends[i] - prev);

		CHECK(fc != ZSTD_CONTENTSIZE_UNKNOWN && fc != ZSTD_CONTENTSIZE_ERROR);
		raw += (size_t)fc;
		CHECK(raw <= plain.n &&
		      (raw <= OUT_MAGIC_LEN ||
		       OUT_MAGIC_LEN + out_whole_records(plain.p + OUT_MAGIC_LEN,
							 raw - OUT_MAGIC_LEN, &nrec) ==
			       raw));
		prev = ends[i];
	}
	/* told by content, not by name */
	snprintf(other, sizeof(other), "%s/lab-renamed.tlsmap", dir);
	CHECK(rename(zst_path, other) == 0);
	got = read_all(other);
	CHECK(got.last == 0 && got.count == want.count);
	free(got.packed.p);
	CHECK(rename(other, zst_path) == 0);
	printf("ok: round trip: %zu records, %zu -> %zu bytes in %zu frames\n", want.count, plain.n,
	       z.n, nf);
	free(z.p);
	free(plain.p);
	free(dec.p);
}

/* A certificate larger than the writer's 1 MiB buffer: a frame of its own. */
static void big_record(void)
{
	char path[300];
	struct td_arena *a = td_arena_new();
	Tlsmap__V1__ScanMeta meta;
	Tlsmap__V1__Certificate cert;
	Tlsmap__V1__Probe probe;
	struct out_writer *w;
	struct readout got;

	snprintf(path, sizeof(path), "%s/big.tlsmap.zst", dir);
	td_full_meta(a, &meta, 1);
	td_full_cert(a, &cert, 2, 3u << 20);
	td_full_probe(a, &probe, 3);
	w = out_writer_open(path);
	CHECK(w && out_write_meta(w, &meta) == OUT_OK);
	CHECK(out_write_probe(w, &probe) == OUT_OK);
	CHECK(out_write_cert(w, &cert) == OUT_OK);
	CHECK(out_write_probe(w, &probe) == OUT_OK);
	CHECK(out_writer_close(w, NULL) == OUT_OK);
	got = read_all(path);
	CHECK(got.last == 0 && got.count == 4);
	CHECK(got.packed.n > (3u << 20));
	free(got.packed.p);
	td_arena_free(a);
	printf("ok: a 3 MiB record round-trips compressed\n");
}

/* Records of @o are the first o->count records of the plain file. */
static bool is_prefix(const struct readout *o)
{
	return o->packed.n <= want.packed.n && memcmp(o->packed.p, want.packed.p, o->packed.n) == 0;
}

static void truncated(void)
{
	struct blob z = slurp(zst_path);
	size_t ends[4096], nf = frame_ends(&z, ends, 4096);
	char cut[300];
	unsigned seed = 1;
	size_t tried = 0;

	snprintf(cut, sizeof(cut), "%s/cut.tlsmap.zst", dir);
	for (size_t k = 0; k < 3 * nf + 300; k++) {
		size_t L;
		bool boundary = false;
		struct readout o;

		if (k < 3 * nf) { /* each frame end, one byte before and after */
			L = ends[k / 3] + (k % 3) - 1;
			if (L > z.n)
				continue;
		} else {
			seed = seed * 1103515245u + 12345u;
			L = (seed >> 8) % z.n;
		}
		for (size_t i = 0; i < nf; i++)
			boundary |= ends[i] == L;
		spill(cut, z.p, L);
		o = read_all(cut);
		tried++;
		CHECK(is_prefix(&o));
		if (L < ends[0]) /* the magic's frame is cut */
			CHECK(o.count == 0 && o.last != 0);
		else if (boundary)
			CHECK(o.last == 0 && (L < z.n || o.count == want.count));
		else if (o.last != OUT_ETRUNC)
			fprintf(stderr, "cut at %zu of %zu: %d (%s)\n", L, z.n, o.last,
				out_strerror(o.last)),
				failures++;
		free(o.packed.p);
	}
	printf("ok: truncated at %zu points: a prefix, then a clean end at frame ends and "
	       "OUT_ETRUNC inside frames\n",
	       tried);
	free(z.p);
}

static void corrupt(void)
{
	struct blob z = slurp(zst_path);
	char bad[300];
	size_t tried = 0, benign = 0;
	unsigned seed = 5;

	snprintf(bad, sizeof(bad), "%s/bad.tlsmap.zst", dir);
	/* every byte of a small file would take long under ASan: every byte of
	 * the first 600 (headers of the first frames) and 400 more at random */
	for (size_t k = 0; k < 1000; k++) {
		size_t at;
		uint8_t old;
		struct readout o;

		if (k < 600 && k < z.n) {
			at = k;
		} else {
			seed = seed * 1103515245u + 12345u;
			at = (seed >> 8) % z.n;
		}
		old = z.p[at];
		z.p[at] ^= (uint8_t)(1u << (k % 8));
		spill(bad, z.p, z.n);
		z.p[at] = old;
		o = read_all(bad);
		tried++;
		/* a bit zstd ignores (the frame header's unused bit, an unused
		 * entropy-table entry) may leave the content intact: then the
		 * checksum matches and so must every record */
		if (o.last >= 0 && (o.count != want.count || o.packed.n != want.packed.n ||
				    memcmp(o.packed.p, want.packed.p, want.packed.n) != 0)) {
			fprintf(stderr, "flip at %zu: read to a clean end, records differ\n", at);
			failures++;
		}
		benign += o.last >= 0;
		free(o.packed.p);
	}
	printf("ok: %zu single-bit flips: %zu end in an error, %zu leave the content intact\n",
	       tried, tried - benign, benign);
	free(z.p);
}

static long maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/*
 * One frame holding "magic, then one Certificate record whose der is @zeros
 * zero bytes": a record the reader accepts when it is on disk as it is
 * (its memory is its size). @pledge: declare this content size (0: none,
 * the frame is written streaming and says no size); window log 20.
 */
static void write_bomb(const char *path, unsigned long long pledge, size_t zeros)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t cap = 1u << 20, chunk = 1u << 20;
	uint8_t *out = malloc(cap), *zbuf = calloc(1, chunk);
	FILE *f = fopen(path, "wb");
	uint8_t head[64];
	size_t hn, left = zeros;
	uint64_t cert_len = 1 + 5 + zeros; /* tag, length varint (padded), der */

	memcpy(head, OUT_MAGIC, OUT_MAGIC_LEN);
	hn = OUT_MAGIC_LEN;
	hn += test_varint(head + hn, 1 + 5 + cert_len);	  /* Record */
	head[hn++] = 0x12;				  /* Record.certificate */
	head[hn++] = (uint8_t)(0x80 | (cert_len & 0x7f)); /* padded to 5 bytes */
	head[hn++] = (uint8_t)(0x80 | ((cert_len >> 7) & 0x7f));
	head[hn++] = (uint8_t)(0x80 | ((cert_len >> 14) & 0x7f));
	head[hn++] = (uint8_t)(0x80 | ((cert_len >> 21) & 0x7f));
	head[hn++] = (uint8_t)(cert_len >> 28);
	head[hn++] = 0x12; /* Certificate.der */
	head[hn++] = (uint8_t)(0x80 | (zeros & 0x7f));
	head[hn++] = (uint8_t)(0x80 | ((zeros >> 7) & 0x7f));
	head[hn++] = (uint8_t)(0x80 | ((zeros >> 14) & 0x7f));
	head[hn++] = (uint8_t)(0x80 | ((zeros >> 21) & 0x7f));
	head[hn++] = (uint8_t)(zeros >> 28);
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
	ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 20);
	if (pledge)
		ZSTD_CCtx_setPledgedSrcSize(c, pledge);
	for (int step = 0;; step++) {
		ZSTD_inBuffer in = {step ? zbuf : head, step ? (left < chunk ? left : chunk) : hn,
				    0};
		ZSTD_EndDirective mode =
			step && left <= chunk && !pledge ? ZSTD_e_end : ZSTD_e_flush;
		size_t r;

		if (step)
			left -= in.size;
		do {
			ZSTD_outBuffer ob = {out, cap, 0};

			r = ZSTD_compressStream2(c, &ob, &in, mode);
			if (ZSTD_isError(r)) {
				fprintf(stderr, "bomb: %s\n", ZSTD_getErrorName(r));
				exit(1);
			}
			if (fwrite(out, 1, ob.pos, f) != ob.pos)
				exit(1);
		} while (in.pos < in.size || r != 0);
		if (step && left == 0)
			break;
	}
	if (fclose(f) != 0)
		exit(1);
	ZSTD_freeCCtx(c);
	free(out);
	free(zbuf);
}

static int open_err(const char *path)
{
	int err;
	struct out_reader *r = out_reader_open(path, &err);

	out_reader_close(r);
	return r ? OUT_OK : err;
}

static void bombs(void)
{
	char path[300];
	struct readout o;
	struct stat sb;
	long rss0 = maxrss_kb();
	time_t t0 = time(NULL);
	/* a frame header asking for a 1 GiB window (Window_Descriptor 0xa0),
	 * then one raw last block holding the magic */
	static const uint8_t big_window[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa0, 0x41, 0x00, 0x00,
					     'T',  'L',	 'S',  'M',  'A',  'P',	 '1',  '\n'};

	snprintf(path, sizeof(path), "%s/bomb.tlsmap.zst", dir);
	/* the control: the same frame with a 1 MiB window opens and reads */
	spill(path,
	      (const uint8_t[]){0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50, 0x41, 0x00, 0x00, 'T', 'L', 'S',
				'M', 'A', 'P', '1', '\n'},
	      sizeof(big_window));
	o = read_all(path);
	CHECK(o.last == 0 && o.count == 0);
	free(o.packed.p);
	spill(path, big_window, sizeof(big_window));
	CHECK(open_err(path) == OUT_EEXPAND);
	/* a frame that declares 4 GiB but holds a few bytes: refused at its header */
	write_bomb(path, 4ull << 30, 1u << 20);
	CHECK(open_err(path) == OUT_EEXPAND);
	/* control: 1 MiB of zeros in a certificate is a record like any other */
	write_bomb(path, 0, 1u << 20);
	o = read_all(path);
	CHECK(o.last == 0 && o.count == 1);
	free(o.packed.p);
	/* 48 MiB of zeros in a few KB: a plain file of that record would be
	 * read; compressed, decoding stops at the ratio bound (~17 MiB) */
	write_bomb(path, 0, 48u << 20);
	CHECK(stat(path, &sb) == 0 && sb.st_size < (64 << 10));
	o = read_all(path);
	CHECK(o.last == OUT_EEXPAND && o.count == 0);
	free(o.packed.p);
	CHECK(time(NULL) - t0 < 60);
	printf("ok: bombs refused (window, declared size, ratio: %lld bytes on disk for 48 MiB); "
	       "peak RSS grew %ld KiB\n",
	       (long long)sb.st_size, maxrss_kb() - rss0);
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	round_trip();
	big_record();
	truncated();
	corrupt();
	bombs();
	free(want.packed.p);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Write errors lose nothing silently, in the writer and in the writer
 * thread. RLIMIT_FSIZE with SIGXFSZ ignored makes write(2) fail
 * with EFBIG at a chosen size, as a full disk fails with ENOSPC: the short
 * write there leaves half a record. Checked, through the writer directly
 * and through the writer thread (out_async):
 *   - the error comes back from the write calls, sticky, with its errno;
 *   - FILE.partial reads back as whole records only (no OUT_ETRUNC), no
 *     ScanEnd, and as many records as the writer says are durable;
 *   - out_writer_close() reports the error and does not rename: an existing
 *     FILE keeps its content;
 *   - a record larger than the buffer (written on its own) fails the same way;
 *   - out_writer_abort() removes FILE.partial and leaves FILE alone.
 * The same for a compressed file (FILE.tlsmap.zst): the short
 * write leaves half a zstd frame, which must be cut back to the last whole
 * frame.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "output/out.h"
#include "output_testdata.h"
#include "test.h"

#define LIMIT (300u << 10) /* bytes a file may reach */
#define OLD "an existing dataset that must survive\n"

static char dir[128];

static void set_fsize(rlim_t cur)
{
	struct rlimit rl;

	getrlimit(RLIMIT_FSIZE, &rl);
	rl.rlim_cur = cur;
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0) {
		perror("setrlimit");
		exit(1);
	}
}

static void put_old(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(OLD, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static bool old_intact(const char *path)
{
	char buf[128] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return strcmp(buf, OLD) == 0;
}

/* Read @partial back: every record whole, no ScanEnd; returns the count. */
static uint64_t read_back(const char *partial)
{
	int err, r;
	struct out_reader *rd = out_reader_open(partial, &err);
	Tlsmap__V1__Record *rec;
	uint64_t n = 0;

	CHECK(rd != NULL);
	if (!rd)
		return 0;
	while ((r = out_reader_next(rd, &rec)) == 1) {
		CHECK(rec->kind_case != TLSMAP__V1__RECORD__KIND_END);
		n++;
		out_record_free(rec);
	}
	if (r != 0)
		fprintf(stderr, "read_back %s: %s at %llu\n", partial, out_strerror(r),
			(unsigned long long)out_reader_offset(rd));
	CHECK(r == 0); /* a clean end: no half record left behind */
	out_reader_close(rd);
	return n;
}

/* One case's files and records: DIR/NAME (an old FILE in place) and its
 * .partial, a full ScanMeta, Probe and clean ScanEnd. */
struct limited {
	char path[256], partial[300];
	Tlsmap__V1__ScanMeta meta;
	Tlsmap__V1__Probe probe;
	Tlsmap__V1__ScanEnd end;
};

/* The records into @l, then the writer of DIR/@name under a file-size
 * limit of @limit; NULL (a failure counted) when it does not open. */
static struct out_writer *open_limited(struct td_arena *a, struct limited *l, const char *name,
				       rlim_t limit)
{
	struct out_writer *w;

	snprintf(l->path, sizeof(l->path), "%s/%s", dir, name);
	snprintf(l->partial, sizeof(l->partial), "%s.partial", l->path);
	put_old(l->path);
	td_full_meta(a, &l->meta, 0);
	td_full_probe(a, &l->probe, 2);
	td_full_end(&l->end, 3);
	l->end.clean = true;
	set_fsize(limit);
	w = out_writer_open(l->path);
	CHECK(w != NULL);
	return w;
}

static void direct(size_t der_len, rlim_t limit, const char *ext)
{
	struct td_arena *a = td_arena_new();
	struct limited l;
	Tlsmap__V1__Certificate cert;
	char name[64];
	struct out_writer *w;
	int ret = OUT_OK;
	uint64_t durable;

	snprintf(name, sizeof(name), "direct-%zu%s", der_len, ext);
	w = open_limited(a, &l, name, limit);
	if (!w)
		goto out;
	CHECK(out_write_meta(w, &l.meta) == OUT_OK);
	for (unsigned i = 0; i < 100000 && ret == OUT_OK; i++) { /* ends at the limit */
		if (der_len && i % 2 == 0) {
			td_full_cert(a, &cert, i + 10, der_len);
			ret = out_write_cert(w, &cert);
		} else {
			l.probe.port = i & 0xffff;
			ret = out_write_probe(w, &l.probe);
		}
		if (ret == OUT_OK && i % 64 == 0)
			ret = out_writer_flush(w);
	}
	CHECK(ret == OUT_EIO);
	CHECK(out_writer_errno(w) == EFBIG);
	/* Sticky: later writes and flushes fail the same way. */
	CHECK(out_write_probe(w, &l.probe) == OUT_EIO);
	CHECK(out_writer_flush(w) == OUT_EIO);
	durable = out_writer_durable_records(w);
	CHECK(durable >= 2);
	errno = 0;
	CHECK(out_writer_close(w, &l.end) == OUT_EIO);
	CHECK(errno == EFBIG);
	set_fsize(RLIM_INFINITY);
	CHECK(old_intact(l.path));
	CHECK(access(l.partial, F_OK) == 0);
	CHECK(read_back(l.partial) == durable);
	printf("ok: der_len=%zu %s: EFBIG after %llu whole records, FILE untouched\n", der_len, ext,
	       (unsigned long long)durable);
out:
	set_fsize(RLIM_INFINITY);
	td_arena_free(a);
}

static void release_item(struct out_item *it)
{
	free(it);
}

static void async(rlim_t limit, const char *ext)
{
	struct td_arena *a = td_arena_new();
	struct limited l;
	char name[64];
	struct out_writer *w;
	struct out_async *oa;
	time_t t0 = time(NULL);
	uint64_t durable;

	snprintf(name, sizeof(name), "async%s", ext);
	w = open_limited(a, &l, name, limit);
	if (!w || out_write_meta(w, &l.meta) != OUT_OK)
		goto out;
	oa = out_async_start(w, 1024);
	CHECK(oa != NULL);
	if (!oa)
		goto out;
	/* Bounded in count and time; the error comes within ~300 KiB. */
	for (unsigned i = 0; i < 2000000 && time(NULL) - t0 < 30; i++) {
		struct out_item *it = calloc(1, sizeof(*it));

		it->probe = &l.probe;
		it->release = release_item;
		if (!out_async_submit(oa, it))
			free(it);
		if (i % 256 == 0) {
			out_async_request_flush(oa);
			if (out_async_error(oa) != OUT_OK)
				break;
		}
	}
	CHECK(out_async_error(oa) == OUT_EIO);
	CHECK(out_async_stop(oa) == OUT_EIO);
	CHECK(out_writer_errno(w) == EFBIG);
	durable = out_writer_durable_records(w);
	CHECK(out_writer_close(w, &l.end) == OUT_EIO);
	set_fsize(RLIM_INFINITY);
	CHECK(old_intact(l.path));
	CHECK(read_back(l.partial) == durable);
	printf("ok: async %s: the writer thread reports EFBIG, %llu whole records kept\n", ext,
	       (unsigned long long)durable);
out:
	set_fsize(RLIM_INFINITY);
	td_arena_free(a);
}

static void abort_keeps_old(void)
{
	char path[256], partial[300];
	struct td_arena *a = td_arena_new();
	Tlsmap__V1__ScanMeta meta;
	struct out_writer *w;

	snprintf(path, sizeof(path), "%s/abort.tlsmap", dir);
	snprintf(partial, sizeof(partial), "%s.partial", path);
	put_old(path);
	td_full_meta(a, &meta, 0);
	w = out_writer_open(path);
	CHECK(w && out_write_meta(w, &meta) == OUT_OK);
	CHECK(out_writer_abort(w) == OUT_OK);
	CHECK(old_intact(path));
	CHECK(access(partial, F_OK) != 0);
	printf("ok: abort removes FILE.partial only\n");
	td_arena_free(a);
}

int main(void)
{
	signal(SIGXFSZ, SIG_IGN); /* EFBIG from write(2) instead of a signal */
	if (!test_tmpdir(dir, sizeof(dir), "werr"))
		return 1;
	direct(0, LIMIT, ".tlsmap");
	direct(1100u << 10, 3u << 20, ".tlsmap"); /* certificates larger than the 1 MiB buffer */
	async(LIMIT, ".tlsmap");
	/* compressed: the synthetic records compress about 100x, hence the
	 * smaller limits */
	direct(0, 16u << 10, ".tlsmap.zst");
	direct(1100u << 10, 16u << 10, ".tlsmap.zst");
	async(4u << 10, ".tlsmap.zst");
	abort_keeps_old();
	TEST_DONE();
}

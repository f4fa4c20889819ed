/* SPDX-License-Identifier: MIT */
/*
 * Dataset writer: buffered, append-only, crash-tolerant.
 *
 * Records are packed into a 1 MiB buffer and written to PATH.partial with
 * write(2) when the buffer fills, when out_writer_tick() finds the last
 * flush more than a second old, or on out_writer_flush(). A record is
 * always written in one piece after every record before it, so a file cut
 * at any point (kill -9, full disk) holds a prefix of whole records followed
 * by at most one partial record, which the reader reports as OUT_ETRUNC.
 *
 * out_writer_close() is the only place that makes the file final: ScanEnd,
 * flush, fsync, rename(PATH.partial, PATH), fsync of the directory, in that
 * order, so PATH either does not exist or is complete and durable.
 *
 * Write errors (ENOSPC, EFBIG, EIO) are sticky: the first one is kept with
 * its errno, the file is cut back with ftruncate() to the end of the last
 * whole record it holds (a short write can leave half a record), and every
 * later call returns the same error. out_writer_close() then writes no
 * ScanEnd and renames nothing: PATH.partial stays, a clean prefix of whole
 * records, and an existing PATH is left untouched.
 *
 * Compressed (PATH ends in ".zst", output/zstd.c): each flush becomes one
 * zstd frame written with one write(2), so the file is whole frames (each
 * ending on a record boundary) and, after a kill, at most one partial
 * frame; a write error cuts the file back to its last whole frame. The
 * compression runs wherever the flush runs: in a scan, the writer thread
 * (out_async), never a worker.
 *
 * Certificates are deduplicated with an open-addressing hash set of their
 * sha256 (the digest is already uniform, so its first 8 bytes are the hash).
 *
 * Not thread-safe: one thread owns a writer (see out_async for the thread
 * fed by a ring).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "output/out.h"
#include "output/zstd_internal.h"

#define OUT_BUF_SIZE (1u << 20)
#define OUT_FLUSH_NS 1000000000ull

struct cert_set {
	uint8_t (*keys)[32]; /* all-zero = empty slot (sha256 of anything is never 0) */
	size_t cap;	     /* power of two */
	size_t count;
	bool has_zero; /* a certificate whose sha256 field was all-zero */
};

struct out_writer {
	int fd;
	char *path;
	char *partial;
	uint8_t *buf;
	size_t len;
	uint64_t records;
	uint64_t bytes; /* bytes handed to the kernel plus buffered (uncompressed) */
	uint64_t last_flush_ns;
	uint64_t file_off;     /* bytes in the file, always a record boundary */
	uint64_t file_records; /* whole records in the file */
	uint64_t buf_records;  /* whole records in buf */
	uint64_t synced_off;   /* bytes that the last fsync made durable */
	int err;	       /* first error (sticky), or OUT_OK */
	int err_errno;	       /* errno of that error */
	bool meta_written;
	struct cert_set certs;
	struct out_zenc *zenc; /* NULL: plain file */
};

const char *out_strerror(int err)
{
	switch (err) {
	case OUT_OK:
		return "success";
	case OUT_EIO:
		return "I/O error";
	case OUT_EMAGIC:
		return "not a tlsmap v1 dataset (bad magic)";
	case OUT_ETRUNC:
		return "file ends inside a record (truncated)";
	case OUT_ECORRUPT:
		return "corrupt record or zstd frame";
	case OUT_ENOMEM:
		return "out of memory";
	case OUT_EORDER:
		return "records written out of order";
	case OUT_EEXPAND:
		return "record would take more memory than its size allows, or zstd frame would "
		       "expand past its bound (crafted or corrupt)";
	default:
		return "unknown error";
	}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t key_hash(const uint8_t k[32])
{
	uint64_t h = 0;

	for (int i = 0; i < 8; i++)
		h = (h << 8) | k[i];
	return h;
}

static bool is_zero32(const uint8_t k[32])
{
	for (int i = 0; i < 32; i++)
		if (k[i])
			return false;
	return true;
}

static bool cert_set_has(const struct cert_set *s, const uint8_t k[32])
{
	if (is_zero32(k))
		return s->has_zero;
	if (s->cap == 0)
		return false;
	for (size_t i = key_hash(k) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (is_zero32(s->keys[i]))
			return false;
		if (memcmp(s->keys[i], k, 32) == 0)
			return true;
	}
}

static void cert_set_put_nogrow(struct cert_set *s, const uint8_t k[32])
{
	size_t i = key_hash(k) & (s->cap - 1);

	while (!is_zero32(s->keys[i]))
		i = (i + 1) & (s->cap - 1);
	memcpy(s->keys[i], k, 32);
	s->count++;
}

/* Add @k (not present). Returns 0 or OUT_ENOMEM. */
static int cert_set_add(struct cert_set *s, const uint8_t k[32])
{
	if (is_zero32(k)) {
		s->has_zero = true;
		return OUT_OK;
	}
	if ((s->count + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		struct cert_set n = {.cap = ncap};

		n.keys = calloc(ncap, 32);
		if (!n.keys)
			return OUT_ENOMEM;
		for (size_t i = 0; i < s->cap; i++)
			if (!is_zero32(s->keys[i]))
				cert_set_put_nogrow(&n, s->keys[i]);
		n.has_zero = s->has_zero;
		free(s->keys);
		*s = n;
	}
	cert_set_put_nogrow(s, k);
	return OUT_OK;
}

/* Write @n bytes; *done says how many reached the file, also on error. */
static int write_all(int fd, const uint8_t *p, size_t n, size_t *done)
{
	*done = 0;
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return OUT_EIO;
		}
		if (k == 0) { /* not expected from a regular file; do not spin */
			errno = EIO;
			return OUT_EIO;
		}
		p += k;
		n -= (size_t)k;
		*done += (size_t)k;
	}
	return OUT_OK;
}

size_t out_whole_records(const uint8_t *p, size_t n, uint64_t *count)
{
	size_t pos = 0;

	*count = 0;
	while (pos < n) {
		uint64_t len = 0;
		size_t i = pos;
		int shift = 0;

		while (i < n && shift < 64) {
			len |= (uint64_t)(p[i] & 0x7f) << shift;
			shift += 7;
			if (!(p[i++] & 0x80))
				break;
		}
		if (i >= n || (p[i - 1] & 0x80) || len > n - i)
			break;
		pos = i + (size_t)len;
		(*count)++;
	}
	return pos;
}

/*
 * Record the first error (errno is still the failed call's) and cut the
 * file back to its last whole record, so a reader sees a clean prefix.
 * @keep bytes from the file's current end are whole records already.
 */
static int writer_fail(struct out_writer *w, int err, uint64_t keep, uint64_t keep_records)
{
	if (w->err != OUT_OK)
		return w->err;
	w->err = err;
	w->err_errno = errno ? errno : EIO;
	w->file_off += keep;
	w->file_records += keep_records;
	w->len = 0;
	w->buf_records = 0;
	if (w->fd >= 0 && ftruncate(w->fd, (off_t)w->file_off) == 0)
		(void)fsync(w->fd);
	return err;
}

/*
 * Append @p[0..n) (@nrec whole records) to the file: as they are, or as one
 * zstd frame. On error the file is cut back to its last whole record (plain)
 * or frame (compressed) and the error is kept.
 */
static int emit(struct out_writer *w, const uint8_t *p, size_t n, uint64_t nrec)
{
	size_t done;
	int ret;

	if (w->zenc) {
		const uint8_t *frame;
		size_t flen;

		ret = out_zenc_frame(w->zenc, p, n, &frame, &flen);
		if (ret == OUT_OK)
			ret = write_all(w->fd, frame, flen, &done);
		if (ret != OUT_OK)
			return writer_fail(w, ret, 0, 0); /* a partial frame is not kept */
		w->file_off += flen;
	} else {
		ret = write_all(w->fd, p, n, &done);
		if (ret != OUT_OK) {
			uint64_t k;
			size_t keep = out_whole_records(p, done, &k);

			return writer_fail(w, ret, keep, k);
		}
		w->file_off += n;
	}
	w->file_records += nrec;
	return OUT_OK;
}

int out_writer_flush(struct out_writer *w)
{
	int ret = OUT_OK;

	if (!w)
		return OUT_EORDER;
	if (w->err != OUT_OK)
		return w->err;
	if (w->len > 0)
		ret = emit(w, w->buf, w->len, w->buf_records);
	w->last_flush_ns = mono_ns();
	w->len = 0;
	w->buf_records = 0;
	return ret;
}

int out_writer_tick(struct out_writer *w)
{
	if (!w)
		return OUT_EORDER;
	if (mono_ns() - w->last_flush_ns < OUT_FLUSH_NS)
		return OUT_OK;
	return out_writer_flush(w);
}

int out_writer_sync(struct out_writer *w)
{
	int ret = out_writer_flush(w);

	if (ret == OUT_OK && fsync(w->fd) != 0)
		ret = writer_fail(w, OUT_EIO, 0, 0);
	if (ret == OUT_OK)
		w->synced_off = w->file_off;
	return ret;
}

uint64_t out_writer_durable_offset(const struct out_writer *w)
{
	return w->synced_off;
}

static size_t varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Frame and append one Record. */
static int write_record(struct out_writer *w, const Tlsmap__V1__Record *rec)
{
	size_t body = tlsmap__v1__record__get_packed_size(rec);
	size_t need = body + 10;
	uint8_t hdr[10];
	size_t hlen;
	int ret;

	if (w->err != OUT_OK)
		return w->err;
	if (body > OUT_MAX_RECORD)
		return OUT_ECORRUPT;
	hlen = varint_put(hdr, body);
	if (need > OUT_BUF_SIZE - w->len) {
		ret = out_writer_flush(w);
		if (ret)
			return ret;
	}
	if (need <= OUT_BUF_SIZE) {
		memcpy(w->buf + w->len, hdr, hlen);
		tlsmap__v1__record__pack(rec, w->buf + w->len + hlen);
		w->len += hlen + body;
		w->buf_records++;
	} else {
		/* Larger than the buffer: pack aside and write in one go. */
		uint8_t *big = malloc(hlen + body);

		if (!big)
			return OUT_ENOMEM;
		memcpy(big, hdr, hlen);
		tlsmap__v1__record__pack(rec, big + hlen);
		ret = emit(w, big, hlen + body, 1);
		free(big);
		if (ret)
			return ret;
	}
	w->records++;
	w->bytes += hlen + body;
	return OUT_OK;
}

static void writer_free(struct out_writer *w);

/* A writer for @path with no file open yet: its names, its buffer and, for
 * a ".zst" path, its compressor. NULL with errno set. */
static struct out_writer *writer_new(const char *path)
{
	struct out_writer *w = calloc(1, sizeof(*w));
	size_t plen = strlen(path);

	if (!w)
		return NULL;
	w->fd = -1;
	w->path = strdup(path);
	w->partial = malloc(plen + sizeof(".partial"));
	w->buf = malloc(OUT_BUF_SIZE);
	if (!w->path || !w->partial || !w->buf) {
		writer_free(w);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(w->partial, path, plen);
	memcpy(w->partial + plen, ".partial", sizeof(".partial"));
	if (out_zstd_path(path) && !(w->zenc = out_zenc_new(OUT_ZSTD_LEVEL))) {
		int saved = errno;

		writer_free(w);
		errno = saved;
		return NULL;
	}
	return w;
}

struct out_writer *out_writer_open(const char *path)
{
	struct out_writer *w = writer_new(path);

	if (!w)
		return NULL;
	w->fd = open(w->partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0)
		goto fail;
	memcpy(w->buf, OUT_MAGIC, OUT_MAGIC_LEN);
	w->len = OUT_MAGIC_LEN;
	w->bytes = OUT_MAGIC_LEN;
	/* The magic reaches the file at once: an empty .partial is never left. */
	if (out_writer_flush(w) != OUT_OK) {
		errno = w->err_errno;
		goto fail;
	}
	return w;
fail:;
	int saved = errno;

	if (w->fd >= 0) {
		close(w->fd);
		unlink(w->partial);
	}
	writer_free(w);
	errno = saved;
	return NULL;
}

/* Know the records already in the file: its certificates (deduplicated
 * against from now on), its record count and whether it starts with a
 * ScanMeta. */
static int writer_learn(struct out_writer *w)
{
	int err = OUT_OK, n;
	struct out_reader *r = out_reader_open(w->partial, &err);
	Tlsmap__V1__Record *rec;

	if (!r)
		return err;
	while ((n = out_reader_next(r, &rec)) == 1) {
		const Tlsmap__V1__Certificate *c = rec->certificate;

		if (w->records == 0 && rec->kind_case == TLSMAP__V1__RECORD__KIND_META)
			w->meta_written = true;
		if (rec->kind_case == TLSMAP__V1__RECORD__KIND_CERTIFICATE &&
		    (c->sha256.len == 32 || c->sha256.len == 0)) {
			uint8_t key[32] = {0};

			if (c->sha256.len)
				memcpy(key, c->sha256.data, 32);
			if (!cert_set_has(&w->certs, key) && (n = cert_set_add(&w->certs, key)))
				break;
		}
		w->records++;
		out_record_free(rec);
	}
	out_reader_close(r);
	return n < 0 ? n : OUT_OK;
}

struct out_writer *out_writer_open_append(const char *path, uint64_t length)
{
	/* a compressed file goes on in whole frames: @length is a frame's end */
	struct out_writer *w = writer_new(path);
	int ret;

	if (!w)
		return NULL;
	w->fd = open(w->partial, O_WRONLY | O_CLOEXEC);
	if (w->fd < 0 || ftruncate(w->fd, (off_t)length) != 0 || fsync(w->fd) != 0 ||
	    lseek(w->fd, 0, SEEK_END) != (off_t)length)
		goto fail;
	ret = writer_learn(w);
	if (ret != OUT_OK || !w->meta_written) {
		errno = ret == OUT_ENOMEM ? ENOMEM : EINVAL;
		goto fail;
	}
	w->file_records = w->records;
	w->bytes = w->file_off = w->synced_off = length;
	w->last_flush_ns = mono_ns();
	return w;
fail:;
	int saved = errno;

	if (w->fd >= 0)
		close(w->fd); /* the file stays: it holds the scan so far */
	writer_free(w);
	errno = saved;
	return NULL;
}

int out_write_meta(struct out_writer *w, const Tlsmap__V1__ScanMeta *meta)
{
	Tlsmap__V1__Record rec = TLSMAP__V1__RECORD__INIT;
	int ret;

	if (!w || w->meta_written || w->records != 0)
		return OUT_EORDER;
	rec.kind_case = TLSMAP__V1__RECORD__KIND_META;
	rec.meta = (Tlsmap__V1__ScanMeta *)meta;
	ret = write_record(w, &rec);
	if (ret == OUT_OK)
		w->meta_written = true;
	return ret;
}

bool out_writer_has_cert(const struct out_writer *w, const uint8_t sha256[32])
{
	return cert_set_has(&w->certs, sha256);
}

int out_write_cert(struct out_writer *w, const Tlsmap__V1__Certificate *cert)
{
	Tlsmap__V1__Record rec = TLSMAP__V1__RECORD__INIT;
	uint8_t key[32] = {0};
	int ret;

	if (!w || !w->meta_written)
		return OUT_EORDER;
	if (cert->sha256.len == 32)
		memcpy(key, cert->sha256.data, 32);
	else if (cert->sha256.len != 0)
		return OUT_ECORRUPT;
	if (cert_set_has(&w->certs, key))
		return OUT_OK;
	rec.kind_case = TLSMAP__V1__RECORD__KIND_CERTIFICATE;
	rec.certificate = (Tlsmap__V1__Certificate *)cert;
	ret = write_record(w, &rec);
	if (ret == OUT_OK)
		ret = cert_set_add(&w->certs, key);
	return ret;
}

int out_write_probe(struct out_writer *w, const Tlsmap__V1__Probe *probe)
{
	Tlsmap__V1__Record rec = TLSMAP__V1__RECORD__INIT;

	if (!w || !w->meta_written)
		return OUT_EORDER;
	rec.kind_case = TLSMAP__V1__RECORD__KIND_PROBE;
	rec.probe = (Tlsmap__V1__Probe *)probe;
	return write_record(w, &rec);
}

bool out_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	char ra[PATH_MAX], rb[PATH_MAX];

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	return realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}

int out_fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, ret = OUT_OK;

	if (!copy)
		return OUT_ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		ret = OUT_EIO;
	if (fd >= 0)
		close(fd);
	free(copy);
	return ret;
}

static void writer_free(struct out_writer *w)
{
	out_zenc_free(w->zenc);
	free(w->certs.keys);
	free(w->path);
	free(w->partial);
	free(w->buf);
	free(w);
}

int out_writer_close(struct out_writer *w, const Tlsmap__V1__ScanEnd *end)
{
	uint64_t before_end;
	int ret, saved;

	if (!w)
		return OUT_EORDER;
	ret = w->err;
	/* After a write error the file gets no ScanEnd and keeps its .partial
	 * name: it is incomplete, and an existing PATH must survive. */
	if (ret == OUT_OK)
		ret = out_writer_flush(w);
	before_end = w->file_off;
	if (ret == OUT_OK && end) {
		Tlsmap__V1__Record rec = TLSMAP__V1__RECORD__INIT;

		rec.kind_case = TLSMAP__V1__RECORD__KIND_END;
		rec.end = (Tlsmap__V1__ScanEnd *)end;
		ret = write_record(w, &rec);
	}
	if (ret == OUT_OK)
		ret = out_writer_sync(w);
	if (ret == OUT_OK) {
		int fd = w->fd;

		w->fd = -1; /* closed even when close() fails */
		if (close(fd) != 0) {
			ret = writer_fail(w, OUT_EIO, 0, 0);
			if (truncate(w->partial, (off_t)before_end) != 0)
				ret = OUT_EIO; /* already the error; nothing more to do */
		}
	} else {
		/* The ScanEnd may have reached the file before fsync failed: a
		 * file that is not known durable must not say it is complete. */
		if (w->file_off > before_end && ftruncate(w->fd, (off_t)before_end) == 0)
			(void)fsync(w->fd);
		close(w->fd);
		w->fd = -1;
	}
	if (ret == OUT_OK && rename(w->partial, w->path) != 0)
		ret = writer_fail(w, OUT_EIO, 0, 0);
	if (ret == OUT_OK) {
		ret = out_fsync_dir(w->path);
		if (ret != OUT_OK)
			ret = writer_fail(w, ret, 0, 0);
	}
	saved = w->err_errno;
	writer_free(w);
	errno = saved;
	return ret;
}

int out_writer_abort(struct out_writer *w)
{
	int ret = OUT_OK;

	if (!w)
		return OUT_OK;
	if (close(w->fd) != 0)
		ret = OUT_EIO;
	if (unlink(w->partial) != 0 && errno != ENOENT)
		ret = OUT_EIO;
	writer_free(w);
	return ret;
}

int out_writer_keep(struct out_writer *w)
{
	int ret;

	if (!w)
		return OUT_EORDER;
	ret = w->err != OUT_OK ? w->err : out_writer_sync(w);
	if (close(w->fd) != 0 && ret == OUT_OK)
		ret = OUT_EIO;
	writer_free(w);
	return ret;
}

int out_writer_errno(const struct out_writer *w)
{
	return w->err == OUT_OK ? 0 : w->err_errno;
}

const char *out_writer_partial_path(const struct out_writer *w)
{
	return w->partial;
}

uint64_t out_writer_durable_records(const struct out_writer *w)
{
	return w->file_records;
}

uint64_t out_writer_records(const struct out_writer *w)
{
	return w->records;
}

uint64_t out_writer_bytes(const struct out_writer *w)
{
	return w->bytes;
}

uint64_t out_writer_file_bytes(const struct out_writer *w)
{
	return w->file_off;
}

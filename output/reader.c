/* SPDX-License-Identifier: MIT */
/*
 * Dataset reader: hostile-input discipline for our own files.
 *
 * A dataset may be cut anywhere (kill -9, a copy in progress) or damaged.
 * The reader returns every complete record, then one error with the byte
 * offset where the bad record starts: OUT_ETRUNC when the file ends inside
 * a length prefix or a body, OUT_ECORRUPT for a varint longer than 10 bytes,
 * a length above OUT_MAX_RECORD, or a body protobuf-c refuses. Errors are
 * sticky: after one, every call returns it again.
 *
 * Reading is buffered (256 KiB) through read(2); a record body is read into
 * a growable buffer and unpacked with protobuf-c, which copies what it keeps,
 * so records stay valid after the next call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/out.h"

#define RD_BUF_SIZE (256u << 10)

struct out_reader {
	int fd;
	uint8_t *buf;
	size_t pos, len;  /* unread bytes are buf[pos..len) */
	uint64_t off;	  /* file offset of buf[pos] */
	uint64_t rec_off; /* offset of the record last returned or refused */
	uint8_t *body;
	size_t body_cap;
	int sticky; /* 0, or the error to return from now on */
	bool eof;
};

/* Make at least one byte available. 1: yes, 0: end of file, <0: error. */
static int fill(struct out_reader *r)
{
	ssize_t n;

	if (r->pos < r->len)
		return 1;
	if (r->eof)
		return 0;
	r->pos = r->len = 0;
	do
		n = read(r->fd, r->buf, RD_BUF_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return OUT_EIO;
	if (n == 0) {
		r->eof = true;
		return 0;
	}
	r->len = (size_t)n;
	return 1;
}

/* Copy @n bytes to @dst. Returns 1, 0 if the file ended first, or <0. */
static int take(struct out_reader *r, uint8_t *dst, size_t n)
{
	while (n > 0) {
		int f = fill(r);
		size_t k;

		if (f <= 0)
			return f;
		k = r->len - r->pos;
		if (k > n)
			k = n;
		memcpy(dst, r->buf + r->pos, k);
		r->pos += k;
		r->off += k;
		dst += k;
		n -= k;
	}
	return 1;
}

struct out_reader *out_reader_open(const char *path, int *err)
{
	struct out_reader *r = calloc(1, sizeof(*r));
	uint8_t magic[OUT_MAGIC_LEN];
	int e = OUT_OK, t;

	if (!r) {
		e = OUT_ENOMEM;
		goto fail;
	}
	r->fd = -1;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		e = OUT_EIO;
		goto fail;
	}
	r->buf = malloc(RD_BUF_SIZE);
	if (!r->buf) {
		e = OUT_ENOMEM;
		goto fail;
	}
	t = take(r, magic, OUT_MAGIC_LEN);
	if (t < 0) {
		e = t;
		goto fail;
	}
	if (t == 0 || memcmp(magic, OUT_MAGIC, OUT_MAGIC_LEN) != 0) {
		e = OUT_EMAGIC;
		goto fail;
	}
	r->rec_off = r->off;
	if (err)
		*err = OUT_OK;
	return r;
fail:
	if (r) {
		int saved = errno;

		if (r->fd >= 0)
			close(r->fd);
		free(r->buf);
		free(r);
		errno = saved;
	}
	if (err)
		*err = e;
	return NULL;
}

int out_reader_next(struct out_reader *r, Tlsmap__V1__Record **rec)
{
	uint64_t len = 0;
	int shift = 0, f;
	Tlsmap__V1__Record *m;

	*rec = NULL;
	if (r->sticky)
		return r->sticky;
	r->rec_off = r->off;
	/* Length prefix: base-128 varint, at most 10 bytes. */
	for (;;) {
		uint8_t b;

		f = take(r, &b, 1);
		if (f < 0)
			return r->sticky = f;
		if (f == 0) {
			if (shift == 0)
				return 0; /* clean end between records */
			return r->sticky = OUT_ETRUNC;
		}
		if (shift >= 63 && (b & 0x7f) > 1)
			return r->sticky = OUT_ECORRUPT;
		len |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
		if (shift > 63)
			return r->sticky = OUT_ECORRUPT;
	}
	if (len > OUT_MAX_RECORD)
		return r->sticky = OUT_ECORRUPT;
	if (len > r->body_cap) {
		size_t ncap = r->body_cap ? r->body_cap : 4096;
		uint8_t *nb;

		while (ncap < len)
			ncap *= 2;
		nb = realloc(r->body, ncap);
		if (!nb)
			return r->sticky = OUT_ENOMEM;
		r->body = nb;
		r->body_cap = ncap;
	}
	f = take(r, r->body, (size_t)len);
	if (f < 0)
		return r->sticky = f;
	if (f == 0)
		return r->sticky = OUT_ETRUNC;
	m = tlsmap__v1__record__unpack(NULL, (size_t)len, r->body);
	if (!m)
		return r->sticky = OUT_ECORRUPT;
	*rec = m;
	return 1;
}

uint64_t out_reader_offset(const struct out_reader *r)
{
	return r->rec_off;
}

void out_reader_close(struct out_reader *r)
{
	if (!r)
		return;
	close(r->fd);
	free(r->buf);
	free(r->body);
	free(r);
}

void out_record_free(Tlsmap__V1__Record *rec)
{
	if (rec)
		tlsmap__v1__record__free_unpacked(rec, NULL);
}

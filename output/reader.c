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
 * A compressed file (zstd frames, told by its first four bytes, whatever
 * its name) goes through output/zstd.c: fill() then yields decompressed
 * bytes into the same buffer, the offsets count decompressed bytes, and a
 * frame that is cut, corrupt or too large ends the reading as a record
 * would (OUT_ETRUNC, OUT_ECORRUPT, OUT_EEXPAND).
 *
 * Reading is buffered (256 KiB) through read(2); a record body is read into
 * a growable buffer and unpacked with protobuf-c, which copies what it keeps,
 * so records stay valid after the next call.
 *
 * protobuf-c allocates a C struct (and a 32-byte scratch entry) for every
 * element of a repeated field, so two bytes on disk (an empty sub-message)
 * can become a hundred in memory. The unpack goes through an allocator with
 * a budget per record (OUT_EXPAND_BASE + OUT_EXPAND_FACTOR x its length):
 * past it the allocation fails, protobuf-c frees what it made, and the
 * record is refused with OUT_EEXPAND at its offset. The allocator is plain
 * malloc/free underneath, so records are still freed with out_record_free().
 * Before that, wire_cost() walks the record's wire format with the schema's
 * descriptors and adds up what the unpack would allocate, so a crafted
 * record is refused before anything is allocated for it (memory then stays
 * about the record's own size); the allocator's budget is the backstop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/out.h"
#include "output/pb_internal.h"
#include "output/zstd_internal.h"

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
	struct out_zdec *zdec;	  /* compressed file: decompressor, else NULL */
	ProtobufCAllocator alloc; /* budgeted malloc for unpacking */
	size_t budget_left;	  /* for the record being unpacked */
	bool over_budget;
};

/* Cost of one allocation: its size and the allocator's own overhead. */
#define RD_ALLOC_OVERHEAD 16u

static void *budget_alloc(void *data, size_t size)
{
	struct out_reader *r = data;

	if (size > r->budget_left || RD_ALLOC_OVERHEAD > r->budget_left - size) {
		r->over_budget = true;
		return NULL;
	}
	r->budget_left -= size + RD_ALLOC_OVERHEAD;
	return malloc(size);
}

static void budget_free(void *data, void *p)
{
	(void)data;
	free(p);
}

/* Bytes protobuf-c needs per wire field while scanning (its ScannedMember). */
#define RD_SCAN_COST 32u
#define RD_MAX_DEPTH 8

/* Base-128 varint at *p (< end). 0 on a bad or cut one. */
static int wire_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 1;
	}
	return 0;
}

/*
 * Add to *cost what unpacking the message of type @d in [p, end) allocates,
 * as protobuf-c 1.x does it: the struct, per wire field a scratch entry,
 * per repeated element its array slot, strings and bytes copied, unknown
 * fields kept. Returns false as soon as *cost passes @budget. Malformed wire
 * data ends the walk quietly: the unpack itself then refuses the record.
 */
static bool wire_cost(const ProtobufCMessageDescriptor *d, const uint8_t *p, const uint8_t *end,
		      int depth, size_t budget, size_t *cost)
{
	*cost += d->sizeof_message + RD_ALLOC_OVERHEAD;
	while (p < end && *cost <= budget) {
		const ProtobufCFieldDescriptor *fd;
		uint64_t key, len = 0;
		const uint8_t *val;

		if (!wire_varint(&p, end, &key) || key >> 3 > UINT32_MAX)
			return true;
		*cost += RD_SCAN_COST;
		switch (key & 7) {
		case 0:
			if (!wire_varint(&p, end, &len))
				return true;
			len = 0;
			break;
		case 1:
			len = 8;
			break;
		case 5:
			len = 4;
			break;
		case 2:
			if (!wire_varint(&p, end, &len))
				return true;
			break;
		default:
			return true; /* groups: protobuf-c refuses them */
		}
		if ((key & 7) == 1 || (key & 7) == 5 || (key & 7) == 2) {
			if (len > (uint64_t)(end - p))
				return true;
		}
		val = p;
		if ((key & 7) == 1 || (key & 7) == 5 || (key & 7) == 2)
			p += len;
		fd = protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3));
		if (!fd) { /* kept as an unknown field, bytes copied */
			*cost += sizeof(ProtobufCMessageUnknownField) + (size_t)len +
				 RD_ALLOC_OVERHEAD;
			continue;
		}
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			if ((key & 7) == 2 && fd->type != PROTOBUF_C_TYPE_STRING &&
			    fd->type != PROTOBUF_C_TYPE_BYTES &&
			    fd->type != PROTOBUF_C_TYPE_MESSAGE)
				*cost += (size_t)len * 8; /* packed: at most one element per byte */
			else
				*cost += out_pb_type_size(fd->type);
		}
		if ((key & 7) != 2)
			continue;
		switch (fd->type) {
		case PROTOBUF_C_TYPE_STRING:
			*cost += (size_t)len + 1 + RD_ALLOC_OVERHEAD;
			break;
		case PROTOBUF_C_TYPE_BYTES:
			*cost += (size_t)len + RD_ALLOC_OVERHEAD;
			break;
		case PROTOBUF_C_TYPE_MESSAGE:
			if (depth >= RD_MAX_DEPTH)
				return true;
			if (!wire_cost(fd->descriptor, val, val + len, depth + 1, budget, cost))
				return false;
			break;
		default:
			break;
		}
	}
	return *cost <= budget;
}

/* Make at least one byte available. 1: yes, 0: end of file, <0: error. */
static int fill(struct out_reader *r)
{
	ssize_t n;

	if (r->pos < r->len)
		return 1;
	if (r->eof)
		return 0;
	r->pos = r->len = 0;
	if (r->zdec) {
		size_t got;
		int z = out_zdec_read(r->zdec, r->buf, RD_BUF_SIZE, &got);

		if (z <= 0) {
			r->eof = z == 0;
			return z;
		}
		r->len = got;
		return 1;
	}
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
	r->alloc.alloc = budget_alloc;
	r->alloc.free = budget_free;
	r->alloc.allocator_data = r;
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
	/* zstd frames: decompress from here on, the bytes read so far first */
	t = fill(r);
	if (t < 0) {
		e = t;
		goto fail;
	}
	if (out_zstd_magic(r->buf + r->pos, r->len - r->pos)) {
		r->zdec = out_zdec_new(r->fd, r->buf + r->pos, r->len - r->pos);
		if (!r->zdec) {
			e = OUT_ENOMEM;
			goto fail;
		}
		r->pos = r->len = 0;
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
		out_zdec_free(r->zdec);
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
	r->budget_left = OUT_EXPAND_BASE + OUT_EXPAND_FACTOR * (size_t)len;
	r->over_budget = false;
	{
		size_t cost = 0;

		if (!wire_cost(&tlsmap__v1__record__descriptor, r->body, r->body + len, 0,
			       r->budget_left, &cost))
			return r->sticky = OUT_EEXPAND;
	}
	m = tlsmap__v1__record__unpack(&r->alloc, (size_t)len, r->body);
	if (!m)
		return r->sticky = r->over_budget ? OUT_EEXPAND : OUT_ECORRUPT;
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
	out_zdec_free(r->zdec);
	free(r->buf);
	free(r->body);
	free(r);
}

void out_record_free(Tlsmap__V1__Record *rec)
{
	if (rec)
		tlsmap__v1__record__free_unpacked(rec, NULL);
}

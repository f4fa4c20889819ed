/* SPDX-License-Identifier: MIT */
/*
 * zstd framing of datasets: see zstd_internal.h for the format and the
 * bounds. Only the stable libzstd API is used.
 *
 * Reading: at the start of each frame its header is looked at (a declared
 * content size above OUT_ZSTD_FRAME_MAX is refused before anything is
 * decoded), then ZSTD_decompressStream() decodes into the caller's buffer
 * block by block, so a frame of any declared size costs the window plus two
 * fixed buffers. A file that ends inside a frame is OUT_ETRUNC: what came
 * before is still returned, as for a plain file cut inside a record.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "output/zstd_internal.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool out_zstd_magic(const uint8_t *p, size_t n)
{
	if (n < 4)
		return false;
	return le32(p) == ZSTD_MAGICNUMBER ||
	       (le32(p) & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START;
}

bool out_zstd_path(const char *path)
{
	size_t n = strlen(path);

	return n >= 4 && strcmp(path + n - 4, ".zst") == 0;
}

/* ---- compression ---- */

struct out_zenc {
	ZSTD_CCtx *cctx;
	uint8_t *dst;
	size_t cap;
};

struct out_zenc *out_zenc_new(int level)
{
	struct out_zenc *z = calloc(1, sizeof(*z));

	if (!z)
		return NULL;
	z->cctx = ZSTD_createCCtx();
	if (!z->cctx ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_contentSizeFlag, 1))) {
		out_zenc_free(z);
		errno = ENOMEM;
		return NULL;
	}
	return z;
}

void out_zenc_free(struct out_zenc *z)
{
	if (!z)
		return;
	ZSTD_freeCCtx(z->cctx);
	free(z->dst);
	free(z);
}

int out_zenc_frame(struct out_zenc *z, const uint8_t *src, size_t n, const uint8_t **frame,
		   size_t *flen)
{
	size_t need = ZSTD_compressBound(n), r;

	if (need > z->cap) {
		uint8_t *nd = realloc(z->dst, need);

		if (!nd) {
			errno = ENOMEM;
			return OUT_ENOMEM;
		}
		z->dst = nd;
		z->cap = need;
	}
	/* ZSTD_compress2 starts a new frame with the sticky parameters above
	 * and pledges @n, so the header carries the content size. */
	r = ZSTD_compress2(z->cctx, z->dst, z->cap, src, n);
	if (ZSTD_isError(r)) {
		ZSTD_CCtx_reset(z->cctx, ZSTD_reset_session_only);
		errno = ENOMEM; /* the bound is respected: only allocation can fail */
		return OUT_ENOMEM;
	}
	*frame = z->dst;
	*flen = r;
	return OUT_OK;
}

/* ---- decompression ---- */

#define ZD_IN_SIZE (128u << 10)

struct out_zdec {
	ZSTD_DCtx *dctx;
	int fd;
	uint8_t *in;
	size_t in_pos, in_len; /* unread compressed bytes are in[in_pos..in_len) */
	bool eof;
	bool in_frame;	    /* a frame has started and not ended */
	uint64_t consumed;  /* compressed bytes taken by the decoder */
	uint64_t produced;  /* bytes decoded, all frames */
	uint64_t frame_out; /* bytes decoded in the current frame */
	int sticky;
};

struct out_zdec *out_zdec_new(int fd, const uint8_t *pre, size_t npre)
{
	struct out_zdec *z = calloc(1, sizeof(*z));
	size_t cap = npre > ZD_IN_SIZE ? npre : ZD_IN_SIZE;

	if (!z)
		return NULL;
	z->fd = fd;
	z->in = malloc(cap);
	z->dctx = ZSTD_createDCtx();
	if (!z->in || !z->dctx ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax,
						OUT_ZSTD_WINDOW_LOG_MAX))) {
		out_zdec_free(z);
		return NULL;
	}
	memcpy(z->in, pre, npre);
	z->in_len = npre;
	return z;
}

void out_zdec_free(struct out_zdec *z)
{
	if (!z)
		return;
	ZSTD_freeDCtx(z->dctx);
	free(z->in);
	free(z);
}

uint64_t out_zdec_consumed(const struct out_zdec *z)
{
	return z->consumed;
}

/* Read more compressed bytes after the unread ones (moved to the front).
 * 1: some, 0: end of file, OUT_EIO. */
static int zd_fill(struct out_zdec *z)
{
	ssize_t n;
	size_t cap = ZD_IN_SIZE;

	if (z->eof)
		return 0;
	if (z->in_pos > 0) {
		memmove(z->in, z->in + z->in_pos, z->in_len - z->in_pos);
		z->in_len -= z->in_pos;
		z->in_pos = 0;
	}
	if (z->in_len >= cap)
		return 1; /* the pre-read bytes alone fill the buffer */
	do
		n = read(z->fd, z->in + z->in_len, cap - z->in_len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return OUT_EIO;
	if (n == 0) {
		z->eof = true;
		return 0;
	}
	z->in_len += (size_t)n;
	return 1;
}

/* At a frame's start: refuse a declared content size above the bound. */
static int zd_frame_start(struct out_zdec *z)
{
	unsigned long long size;

	/* the header is at most ZSTD_FRAMEHEADERSIZE_MAX (18) bytes; a whole
	 * tiny frame may be shorter, so stop at the end of the file */
	while (z->in_len - z->in_pos < 18) {
		int f = zd_fill(z);

		if (f < 0)
			return f;
		if (f == 0)
			break;
	}
	size = ZSTD_getFrameContentSize(z->in + z->in_pos, z->in_len - z->in_pos);
	/* ERROR (bad or cut header) is left to the decoder, which says which */
	if (size != ZSTD_CONTENTSIZE_UNKNOWN && size != ZSTD_CONTENTSIZE_ERROR &&
	    size > OUT_ZSTD_FRAME_MAX)
		return OUT_EEXPAND;
	z->in_frame = true;
	z->frame_out = 0;
	return OUT_OK;
}

int out_zdec_read(struct out_zdec *z, uint8_t *dst, size_t cap, size_t *got)
{
	*got = 0;
	if (z->sticky)
		return z->sticky;
	for (;;) {
		ZSTD_inBuffer ib;
		ZSTD_outBuffer ob = {dst, cap, 0};
		size_t r;
		int f;

		if (z->in_pos == z->in_len) {
			f = zd_fill(z);
			if (f < 0)
				return z->sticky = f;
			if (f == 0)
				return z->in_frame ? (z->sticky = OUT_ETRUNC) : 0;
		}
		if (!z->in_frame) {
			f = zd_frame_start(z);
			if (f < 0)
				return z->sticky = f;
		}
		ib = (ZSTD_inBuffer){z->in, z->in_len, z->in_pos};
		r = ZSTD_decompressStream(z->dctx, &ob, &ib);
		z->consumed += ib.pos - z->in_pos;
		z->in_pos = ib.pos;
		if (ZSTD_isError(r))
			return z->sticky = ZSTD_getErrorCode(r) ==
							   ZSTD_error_frameParameter_windowTooLarge
						   ? OUT_EEXPAND
						   : OUT_ECORRUPT;
		z->frame_out += ob.pos;
		z->produced += ob.pos;
		if (z->frame_out > OUT_ZSTD_FRAME_MAX ||
		    z->produced > OUT_ZSTD_RATIO_BASE + (uint64_t)OUT_ZSTD_RATIO * z->consumed)
			return z->sticky = OUT_EEXPAND;
		if (r == 0)
			z->in_frame = false; /* whole frame decoded and flushed */
		if (ob.pos > 0) {
			*got = ob.pos;
			return 1;
		}
	}
}

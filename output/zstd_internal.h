/* SPDX-License-Identifier: MIT */
/*
 * zstd framing of datasets (output/zstd.c), shared by the writer and the
 * reader of this folder only.
 *
 * A compressed dataset is the plain dataset (magic, then length-prefixed
 * Records) cut into standard zstd frames, so `zstd -d` gives the plain
 * file back and the frames of two files may be concatenated. The writer
 * makes one frame per flush and writes it with one write(2): the file is a
 * sequence of whole frames followed, after a kill, by at most one partial
 * frame, and every frame boundary is a record boundary.
 *
 * The reader decompresses streaming into its own fixed buffer; what one
 * file may cost is bounded three ways: the decoder's window
 * (OUT_ZSTD_WINDOW_LOG_MAX: a frame asking for more is refused), the bytes
 * one frame may declare or decode (OUT_ZSTD_FRAME_MAX), and the bytes the
 * whole file may decode to against what it holds (OUT_ZSTD_RATIO_BASE +
 * OUT_ZSTD_RATIO x compressed bytes so far), so a zip bomb ends with
 * OUT_EEXPAND after bounded memory and bounded work.
 */
#ifndef TLSMAP_OUTPUT_ZSTD_INTERNAL_H
#define TLSMAP_OUTPUT_ZSTD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/out.h"

/*
 * Level 3 (zstd's default): the writer thread must keep up with a scan at
 * any rate (about 300 MB/s per core here, far above what a scan produces);
 * level 6 gains 7% on the demo's dataset at a third of the speed.
 */
#define OUT_ZSTD_LEVEL 3
/* 16 MiB of window: zstd -19 uses 8 MiB; our writer at most 2 MiB. */
#define OUT_ZSTD_WINDOW_LOG_MAX 24
/* Our frames: one flush (1 MiB) or one record (OUT_MAX_RECORD) at most. */
#define OUT_ZSTD_FRAME_MAX (2 * OUT_MAX_RECORD)
/* Real datasets compress 10-50x; a bomb's RLE blocks 30,000x. */
#define OUT_ZSTD_RATIO 1024u
#define OUT_ZSTD_RATIO_BASE (16u << 20)

/* True if @p (at least 4 bytes) starts a zstd frame or a skippable frame. */
bool out_zstd_magic(const uint8_t *p, size_t n);
/* True if @path names a file to write compressed (it ends in ".zst"). */
bool out_zstd_path(const char *path);

struct out_zenc;

/* A compressor at @level. NULL when out of memory. */
struct out_zenc *out_zenc_new(int level);
void out_zenc_free(struct out_zenc *z);
/*
 * Compress @src[0..n) into one complete frame (content size and checksum
 * in it). *frame points into @z's buffer, valid until the next call.
 * 0, or OUT_ENOMEM (errno ENOMEM).
 */
int out_zenc_frame(struct out_zenc *z, const uint8_t *src, size_t n, const uint8_t **frame,
		   size_t *flen);

struct out_zdec;

/*
 * A decompressor reading from @fd; @pre[0..npre) are bytes already read
 * from it (copied). NULL when out of memory.
 */
struct out_zdec *out_zdec_new(int fd, const uint8_t *pre, size_t npre);
void out_zdec_free(struct out_zdec *z);
/*
 * Decompress into @dst[0..cap). Returns 1 with *got > 0 bytes, 0 at the end
 * of the file after a whole frame, or: OUT_ETRUNC (the file ends inside a
 * frame), OUT_ECORRUPT (not zstd, bad block, checksum mismatch, trailing
 * garbage), OUT_EEXPAND (a bound above), OUT_EIO, OUT_ENOMEM.
 */
int out_zdec_read(struct out_zdec *z, uint8_t *dst, size_t cap, size_t *got);
/* Compressed bytes consumed so far. */
uint64_t out_zdec_consumed(const struct out_zdec *z);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Dataset files: the writer that loses nothing and the reader that never
 * crashes. Format (see tlsmap.proto): magic "TLSMAP1\n", then Records, each
 * prefixed by a base-128 varint length.
 *
 * The writer appends to PATH.partial, flushes at least once a second (the
 * caller drives out_writer_tick()) and on out_writer_flush(), and on
 * out_writer_close() writes the ScanEnd, fsyncs and renames to PATH. After a
 * kill -9 the .partial file is readable up to its last complete record (of
 * a compressed file, PATH ending in ".zst": its last complete zstd frame,
 * one per flush; output/zstd_internal.h).
 *
 * Messages passed in are borrowed: the caller owns and frees them. Records
 * returned by the reader are owned by the caller and freed with
 * out_record_free().
 */
#ifndef TLSMAP_OUTPUT_OUT_H
#define TLSMAP_OUTPUT_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsmap.pb-c.h"

#define OUT_MAGIC "TLSMAP1\n"
#define OUT_MAGIC_LEN 8
#define OUT_MAX_RECORD (64u << 20) /* a record larger than this is corrupt */

enum out_err {
	OUT_OK = 0,
	OUT_EIO = -1,	   /* read/write/fsync/rename failed: errno says why */
	OUT_EMAGIC = -2,   /* not a tlsmap v1 file */
	OUT_ETRUNC = -3,   /* file ends inside a record or zstd frame (e.g. after kill -9) */
	OUT_ECORRUPT = -4, /* bad varint, oversized or undecodable record, bad zstd frame */
	OUT_ENOMEM = -5,
	OUT_EORDER = -6,  /* writer misuse: meta not first, write after close */
	OUT_EEXPAND = -7, /* record (or zstd frame) would expand past its budget */
};

/*
 * What one record may cost in memory when unpacked, against its length on
 * disk: every allocation protobuf-c makes for it (plus 16 bytes of malloc
 * overhead each, and its scratch arrays) counts, and the unpack fails with
 * OUT_EEXPAND past OUT_EXPAND_BASE + OUT_EXPAND_FACTOR * length. Real
 * records stay far below (a certificate about 2x, a ScanMeta of short SNIs
 * about 12x); a crafted record of repeated empty sub-messages would take
 * 55x its size.
 */
#define OUT_EXPAND_BASE (1u << 20)
#define OUT_EXPAND_FACTOR 16u

const char *out_strerror(int err);

struct out_writer;

/*
 * Create PATH.partial (truncating) and write the magic. NULL on error
 * (errno set). A PATH ending in ".zst" is written compressed: the same
 * bytes in zstd frames, one per flush (output/zstd_internal.h); readers
 * tell the two forms apart by their first bytes, not by the name.
 */
struct out_writer *out_writer_open(const char *path);
/*
 * Continue PATH.partial (a resumed scan, scanner/stage/resume.h): cut it to
 * @length (a record boundary after its ScanMeta), learn its certificates
 * so they are not written twice, and append from there. NULL on error
 * (errno set; EINVAL: the file does not start with a ScanMeta); the file
 * is never removed.
 */
struct out_writer *out_writer_open_append(const char *path, uint64_t length);
int out_write_meta(struct out_writer *w, const Tlsmap__V1__ScanMeta *meta);
/* True if a Certificate with this sha256 was already written to this file. */
bool out_writer_has_cert(const struct out_writer *w, const uint8_t sha256[32]);
/* Writes the certificate unless already written (dedup by cert->sha256). */
int out_write_cert(struct out_writer *w, const Tlsmap__V1__Certificate *cert);
int out_write_probe(struct out_writer *w, const Tlsmap__V1__Probe *probe);
/* Flush buffered bytes to the kernel (no fsync). */
int out_writer_flush(struct out_writer *w);
/* Flush if more than a second passed since the last flush. */
int out_writer_tick(struct out_writer *w);
/*
 * Write @end (may be NULL: then the file has no ScanEnd), flush, fsync,
 * rename PATH.partial to PATH, fsync the directory, free @w. After a write
 * error (now or earlier) nothing is renamed and the error is returned with
 * errno set to the failed call's errno.
 */
int out_writer_close(struct out_writer *w, const Tlsmap__V1__ScanEnd *end);
/* Flush and fsync without closing (for signal-driven stops that still rename later). */
int out_writer_sync(struct out_writer *w);
/* Bytes of PATH.partial the last successful out_writer_sync() made durable
 * (whole records; the length a resumed scan may keep). */
uint64_t out_writer_durable_offset(const struct out_writer *w);
/*
 * Give up: close and remove PATH.partial (which this writer created), leave
 * PATH as it was, free @w. For failures before anything worth keeping was
 * written (a stage that does not start, a merge that refuses an input).
 */
int out_writer_abort(struct out_writer *w);
/* Stop without finishing: flush, fsync and close PATH.partial as it is (no
 * ScanEnd, no rename), free @w. For a --resume scan stopped by a signal:
 * the rerun continues the file. */
int out_writer_keep(struct out_writer *w);
/*
 * After a write error (every call returns it again from then on): the
 * errno of the failed call, else 0. The file then holds only whole records
 * (out_writer_durable_records() of them) and out_writer_close() neither
 * writes the ScanEnd nor renames: PATH.partial stays for inspection.
 */
int out_writer_errno(const struct out_writer *w);
const char *out_writer_partial_path(const struct out_writer *w);
uint64_t out_writer_durable_records(const struct out_writer *w);
uint64_t out_writer_records(const struct out_writer *w);
/* Bytes of records written or buffered, uncompressed. */
uint64_t out_writer_bytes(const struct out_writer *w);
/* Bytes in the file as stored (compressed or not), up to the last flush. */
uint64_t out_writer_file_bytes(const struct out_writer *w);

struct out_reader;

/* Open and check the magic, plain or zstd-compressed (then decompressed
 * streaming, within bounds). NULL on error; *err (if non-NULL) says why. */
struct out_reader *out_reader_open(const char *path, int *err);
/*
 * Read the next record into *rec (caller frees with out_record_free).
 * Returns 1 for a record, 0 at a clean end of file, or a negative out_err;
 * out_reader_offset() then gives the byte offset of the bad record's start
 * (in the decompressed stream for a compressed file).
 */
int out_reader_next(struct out_reader *r, Tlsmap__V1__Record **rec);
uint64_t out_reader_offset(const struct out_reader *r);
void out_reader_close(struct out_reader *r);
void out_record_free(Tlsmap__V1__Record *rec);

/* ---- JSON (output/json.c) ---- */
#include <stdio.h>
/* Any protobuf-c message as proto3 JSON (lowerCamelCase names, defaults
 * omitted, 64-bit integers as strings, enums by name, bytes as base64). */
void out_json_message(FILE *f, const ProtobufCMessage *m);
/* A JSON string literal of @n bytes, escaped. */
void out_json_string(FILE *f, const char *s, size_t n);
/* Standard base64 with padding, no quotes. */
void out_base64(FILE *f, const uint8_t *p, size_t n);

/*
 * True if paths @a and @b name the same existing file (same device and
 * inode: hard links and symlinks included), or resolve to the same path.
 * Commands use it to refuse an output that is one of their inputs.
 */
bool out_same_file(const char *a, const char *b);

/* SHA-256 of a whole file (the dataset digest the report prints). 0 or OUT_EIO. */
int out_file_sha256(const char *path, uint8_t out[32]);
/* Byte length of the whole length-prefixed records at the start of
 * @p[0..n) (a stream after its magic) and their count into *@count: where a
 * cut leaves no partial record. Never reads past @n. */
size_t out_whole_records(const uint8_t *p, size_t n, uint64_t *count);
/* fsync the directory that holds @path, so a rename or a new file in it is
 * durable. OUT_OK, OUT_EIO (errno) or OUT_ENOMEM. */
int out_fsync_dir(const char *path);

/*
 * The writer thread: workers hand finished probes to a ring (output/ring.h)
 * and never wait; one thread drains it into an out_writer, ticking it so
 * data reaches the kernel at least once a second.
 *
 * An item is a probe plus the certificates its chain references (written
 * first, deduplicated). Ownership: on a successful out_async_submit() the
 * writer thread owns the item and calls item->release(item) once it is
 * written (or discarded after a write error); release frees the probe, the
 * certificates and the item. When submit returns false (ring full) the
 * caller still owns it and submits it again later, keeping its order (the
 * TLS stage holds it and opens no connection meanwhile: nothing collected
 * is dropped); out_async_dropped() counts those refusals.
 */
struct out_item {
	Tlsmap__V1__Probe *probe; /* may be NULL: certificates only */
	Tlsmap__V1__Certificate **certs;
	size_t ncerts;
	void (*release)(struct out_item *item);
	void *user;	  /* free for the producer's use */
	uint64_t end_off; /* set by the writer thread before release: the file
			     offset after the item's records (0: not written) */
};

struct out_async;

/* Start the thread on an open writer (meta already written). NULL on error. */
struct out_async *out_async_start(struct out_writer *w, uint32_t ring_slots);
/* Any thread, never blocks. False when the ring is full (item not taken). */
bool out_async_submit(struct out_async *a, struct out_item *item);
uint64_t out_async_dropped(const struct out_async *a); /* refusals (ring full) */
uint64_t out_async_written(const struct out_async *a); /* items written */
/* The first error the writer thread met (OUT_OK if none): any thread. A
 * scan polls it and stops, since records after it are lost. */
int out_async_error(const struct out_async *a);
/* Ask for a flush at the next loop (e.g. from the SIGINT path). Async-signal-safe. */
void out_async_request_flush(struct out_async *a);
/* Ask for a flush and fsync at the next loop; out_async_durable() then
 * gives the writer's out_writer_durable_offset(). Any thread. */
void out_async_request_sync(struct out_async *a);
uint64_t out_async_durable(const struct out_async *a);
/*
 * @fn(@arg, @ok, @durable) is called by the writer thread right after each
 * sync that out_async_request_sync() asked for (@ok: it succeeded; @durable:
 * out_writer_durable_offset() then). Every item the thread wrote before the
 * sync was released before the call, and none is written during it: the
 * scan's checkpoint (scanner/stage/resume.h) is written there, so it records
 * the file as durable at that moment. Set it before the first request.
 */
typedef void (*out_synced_fn)(void *arg, bool ok, uint64_t durable);
void out_async_on_sync(struct out_async *a, out_synced_fn fn, void *arg);
/*
 * Drain everything submitted, flush, stop and join the thread, free @a.
 * The writer stays open for out_writer_close(). Returns the first write
 * error seen by the thread, or 0.
 */
int out_async_stop(struct out_async *a);

#endif

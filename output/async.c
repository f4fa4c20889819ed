/* SPDX-License-Identifier: MIT */
/*
 * The writer thread (see out.h, out_async). The thread polls the ring; when
 * it is empty it ticks the writer (flush if a second has passed) and sleeps
 * 1 ms, so producers never signal anything and never take a lock. Stopping
 * sets a flag; the thread drains the ring to empty before it exits, so all
 * that was accepted is written.
 *
 * Every error of the writer (a write, flush or fsync that failed) is kept:
 * out_async_error() shows it at once so the caller can stop the scan, and
 * out_async_stop() returns it. Items that arrive after it are released
 * unwritten (the writer refuses them; nothing is silently half-written).
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "output/out.h"
#include "output/ring.h"

struct out_async {
	struct out_writer *w;
	struct out_ring *ring;
	pthread_t thread;
	atomic_bool stop;
	atomic_bool flush_req;
	atomic_bool sync_req;
	_Atomic uint64_t durable; /* out_writer_durable_offset after the last sync */
	out_synced_fn synced;	  /* called by the thread after each requested sync */
	void *synced_arg;
	_Atomic uint64_t written;
	atomic_int err; /* first write error, or OUT_OK */
};

static void note_err(struct out_async *a, int ret)
{
	int none = OUT_OK;

	if (ret != OUT_OK)
		atomic_compare_exchange_strong(&a->err, &none, ret);
}

static void write_item(struct out_async *a, struct out_item *it)
{
	int ret = OUT_OK;

	for (size_t i = 0; i < it->ncerts && ret == OUT_OK; i++)
		if (it->certs[i])
			ret = out_write_cert(a->w, it->certs[i]);
	if (ret == OUT_OK && it->probe)
		ret = out_write_probe(a->w, it->probe);
	note_err(a, ret);
	it->end_off = ret == OUT_OK ? out_writer_bytes(a->w) : 0;
	atomic_fetch_add_explicit(&a->written, 1, memory_order_relaxed);
	if (it->release)
		it->release(it);
}

/* Flush and fsync now, publish the durable offset, then tell the hook: every
 * item written so far (and released) is inside that offset. */
static void serve_sync(struct out_async *a)
{
	int ret;

	if (!atomic_exchange(&a->sync_req, false))
		return;
	ret = out_writer_sync(a->w);
	note_err(a, ret);
	atomic_store(&a->durable, out_writer_durable_offset(a->w));
	if (a->synced)
		a->synced(a->synced_arg, ret == OUT_OK, out_writer_durable_offset(a->w));
}

static void *writer_main(void *arg)
{
	struct out_async *a = arg;
	const struct timespec nap = {0, 1000000};
	unsigned n = 0;

	for (;;) {
		/* A sync is served between two items, not only when the ring is
		 * empty: a checkpoint waits for it, and a busy ring may stay full
		 * for a long time. */
		if (atomic_load_explicit(&a->sync_req, memory_order_relaxed))
			serve_sync(a);
		struct out_item *it = out_ring_pop(a->ring);

		if (it) {
			write_item(a, it);
			if (++n % 1024 == 0)
				note_err(a, out_writer_tick(a->w));
			continue;
		}
		if (atomic_exchange(&a->flush_req, false))
			note_err(a, out_writer_flush(a->w));
		else
			note_err(a, out_writer_tick(a->w));
		if (atomic_load(&a->stop)) {
			/* Producers have stopped; one last look catches late pushes. */
			while ((it = out_ring_pop(a->ring)))
				write_item(a, it);
			break;
		}
		nanosleep(&nap, NULL);
	}
	note_err(a, out_writer_flush(a->w));
	return NULL;
}

struct out_async *out_async_start(struct out_writer *w, uint32_t ring_slots)
{
	struct out_async *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->w = w;
	a->ring = out_ring_new(ring_slots);
	atomic_init(&a->stop, false);
	atomic_init(&a->flush_req, false);
	atomic_init(&a->sync_req, false);
	atomic_init(&a->durable, out_writer_durable_offset(w));
	atomic_init(&a->written, 0);
	atomic_init(&a->err, OUT_OK);
	if (!a->ring || pthread_create(&a->thread, NULL, writer_main, a) != 0) {
		out_ring_free(a->ring);
		free(a);
		return NULL;
	}
	return a;
}

bool out_async_submit(struct out_async *a, struct out_item *item)
{
	return out_ring_push(a->ring, item);
}

uint64_t out_async_dropped(const struct out_async *a)
{
	return out_ring_dropped(a->ring);
}

uint64_t out_async_written(const struct out_async *a)
{
	return atomic_load_explicit(&((struct out_async *)a)->written, memory_order_relaxed);
}

int out_async_error(const struct out_async *a)
{
	return atomic_load(&((struct out_async *)a)->err);
}

void out_async_request_flush(struct out_async *a)
{
	atomic_store(&a->flush_req, true);
}

void out_async_request_sync(struct out_async *a)
{
	atomic_store(&a->sync_req, true);
}

void out_async_on_sync(struct out_async *a, out_synced_fn fn, void *arg)
{
	a->synced = fn;
	a->synced_arg = arg;
}

uint64_t out_async_durable(const struct out_async *a)
{
	return atomic_load(&((struct out_async *)a)->durable);
}

int out_async_stop(struct out_async *a)
{
	int ret;

	atomic_store(&a->stop, true);
	pthread_join(a->thread, NULL);
	ret = atomic_load(&a->err);
	out_ring_free(a->ring);
	free(a);
	return ret;
}

int out_file_sha256(const char *path, uint8_t out[32])
{
	FILE *f = fopen(path, "rb");
	EVP_MD_CTX *ctx = NULL;
	unsigned char buf[65536];
	unsigned int olen = 32;
	size_t n;
	int ret = OUT_EIO;

	if (!f)
		return OUT_EIO;
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto out;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (!EVP_DigestUpdate(ctx, buf, n))
			goto out;
	if (ferror(f) || !EVP_DigestFinal_ex(ctx, out, &olen))
		goto out;
	ret = OUT_OK;
out:
	EVP_MD_CTX_free(ctx);
	fclose(f);
	return ret;
}

/* SPDX-License-Identifier: MIT */
/*
 * The MPSC ring and the writer thread: every item pushed is either popped
 * once (in each producer's order) or counted as dropped; the async writer
 * writes every accepted item, releases each exactly once, and the file
 * reads back with that many probes and deduplicated certificates.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/out.h"
#include "output/ring.h"
#include "output_testdata.h"
#include "test.h"

#define NPROD 3
#define PER_PROD 200000

struct prod_arg {
	struct out_ring *ring;
	uintptr_t id;
	uint64_t pushed;
};

static void *producer(void *arg)
{
	struct prod_arg *p = arg;

	for (uintptr_t i = 1; i <= PER_PROD; i++)
		if (out_ring_push(p->ring, (void *)((p->id << 32) | i)))
			p->pushed++;
	return NULL;
}

static void test_ring(void)
{
	struct out_ring *r = out_ring_new(100);
	pthread_t th[NPROD];
	struct prod_arg args[NPROD];
	uint64_t last[NPROD] = {0}, popped = 0, pushed = 0;
	int running = NPROD;

	CHECK(out_ring_capacity(r) == 128);
	CHECK(out_ring_pop(r) == NULL);
	for (int i = 0; i < NPROD; i++) {
		args[i] = (struct prod_arg){r, (uintptr_t)i + 1, 0};
		pthread_create(&th[i], NULL, producer, &args[i]);
	}
	for (;;) {
		void *it = out_ring_pop(r);

		if (it) {
			uintptr_t v = (uintptr_t)it;
			unsigned id = (unsigned)(v >> 32) - 1;
			uint64_t seq = v & 0xffffffffu;

			CHECK(id < NPROD);
			if (id < NPROD) {
				CHECK(seq > last[id]); /* per-producer FIFO */
				last[id] = seq;
			}
			popped++;
			continue;
		}
		if (running == 0)
			break;
		if (popped + out_ring_dropped(r) >= (uint64_t)NPROD * PER_PROD) {
			for (int i = 0; i < NPROD; i++)
				pthread_join(th[i], NULL);
			running = 0;
		}
	}
	if (running)
		for (int i = 0; i < NPROD; i++)
			pthread_join(th[i], NULL);
	for (int i = 0; i < NPROD; i++)
		pushed += args[i].pushed;
	CHECK(popped == pushed);
	CHECK(popped + out_ring_dropped(r) == (uint64_t)NPROD * PER_PROD);
	printf("ring: %llu popped, %llu dropped\n", (unsigned long long)popped,
	       (unsigned long long)out_ring_dropped(r));
	/* Full ring: push fails and counts. */
	out_ring_free(r);
	r = out_ring_new(2);
	CHECK(out_ring_push(r, (void *)1) && out_ring_push(r, (void *)2));
	CHECK(!out_ring_push(r, (void *)3));
	CHECK(out_ring_dropped(r) == 1);
	CHECK(out_ring_pop(r) == (void *)1 && out_ring_pop(r) == (void *)2 && !out_ring_pop(r));
	out_ring_free(r);
}

static atomic_int released;

struct my_item {
	struct out_item item;
	Tlsmap__V1__Probe probe;
	Tlsmap__V1__Certificate cert;
	Tlsmap__V1__Certificate *certs[1];
	struct td_arena *arena;
};

static void my_release(struct out_item *it)
{
	struct my_item *m = (struct my_item *)it;

	td_arena_free(m->arena);
	free(m);
	atomic_fetch_add(&released, 1);
}

static void test_async(void)
{
	char path[] = "/tmp/tlsmap-async-XXXXXX";
	int fd = mkstemp(path);
	struct td_arena *a = td_arena_new();
	Tlsmap__V1__ScanMeta meta;
	struct out_writer *w;
	struct out_async *as;
	struct out_reader *r;
	Tlsmap__V1__Record *rec;
	uint64_t accepted = 0, probes = 0, certs = 0, dropped;
	int err;
	const int N = 5000;

	close(fd);
	w = out_writer_open(path);
	td_full_meta(a, &meta, 0);
	CHECK(out_write_meta(w, &meta) == OUT_OK);
	as = out_async_start(w, 64);
	CHECK(as != NULL);
	for (int i = 0; i < N; i++) {
		struct my_item *m = calloc(1, sizeof(*m));

		m->arena = td_arena_new();
		td_full_probe(m->arena, &m->probe, (unsigned)i);
		td_full_cert(m->arena, &m->cert, (unsigned)i % 7, 50); /* 7 distinct certs */
		m->certs[0] = &m->cert;
		m->item = (struct out_item){&m->probe, m->certs, 1, my_release, NULL, 0};
		if (out_async_submit(as, &m->item)) {
			accepted++;
		} else {
			td_arena_free(m->arena);
			free(m);
		}
		if (i % 100 == 0)
			usleep(200); /* let the writer catch up sometimes */
	}
	out_async_request_flush(as);
	dropped = out_async_dropped(as);
	CHECK(out_async_stop(as) == OUT_OK);
	CHECK(accepted + dropped == (uint64_t)N);
	CHECK((uint64_t)atomic_load(&released) == accepted);
	CHECK(out_writer_close(w, NULL) == OUT_OK);
	r = out_reader_open(path, &err);
	CHECK(r != NULL);
	while (r && out_reader_next(r, &rec) == 1) {
		probes += rec->kind_case == TLSMAP__V1__RECORD__KIND_PROBE;
		certs += rec->kind_case == TLSMAP__V1__RECORD__KIND_CERTIFICATE;
		out_record_free(rec);
	}
	out_reader_close(r);
	CHECK(probes == accepted);
	CHECK(certs == (accepted >= 7 ? 7 : certs));
	printf("async: %llu accepted, %llu dropped, %llu certs\n", (unsigned long long)accepted,
	       (unsigned long long)dropped, (unsigned long long)certs);
	unlink(path);
	td_arena_free(a);
}

int main(void)
{
	test_ring();
	test_async();
	TEST_DONE();
}

/* SPDX-License-Identifier: MIT */
/*
 * Bounded MPSC ring (Vyukov's bounded MPMC queue, used with one consumer).
 * Slot i holds seq == pos when free for the producer at position pos, and
 * seq == pos + 1 once filled; the consumer sets seq = pos + capacity when it
 * empties it. Producers and the consumer each own one cache line of indexes.
 */
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "output/ring.h"

struct ring_slot {
	_Atomic uint64_t seq;
	void *item;
};

struct out_ring {
	alignas(64) _Atomic uint64_t head; /* next position to fill */
	alignas(64) _Atomic uint64_t tail; /* next position to empty */
	alignas(64) _Atomic uint64_t dropped;
	uint64_t mask;
	struct ring_slot *slots;
};

struct out_ring *out_ring_new(uint32_t slots)
{
	struct out_ring *r;
	uint64_t cap = 2;

	while (cap < slots)
		cap <<= 1;
	r = aligned_alloc(64, sizeof(*r));
	if (!r)
		return NULL;
	r->slots = calloc(cap, sizeof(*r->slots));
	if (!r->slots) {
		free(r);
		return NULL;
	}
	for (uint64_t i = 0; i < cap; i++)
		atomic_init(&r->slots[i].seq, i);
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->dropped, 0);
	r->mask = cap - 1;
	return r;
}

void out_ring_free(struct out_ring *r)
{
	if (!r)
		return;
	free(r->slots);
	free(r);
}

bool out_ring_push(struct out_ring *r, void *item)
{
	uint64_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);

	for (;;) {
		struct ring_slot *s = &r->slots[pos & r->mask];
		uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
		int64_t dif = (int64_t)(seq - pos);

		if (dif == 0) {
			if (atomic_compare_exchange_weak_explicit(&r->head, &pos, pos + 1,
								  memory_order_relaxed,
								  memory_order_relaxed)) {
				s->item = item;
				atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
				return true;
			}
		} else if (dif < 0) {
			atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
			return false;
		} else {
			pos = atomic_load_explicit(&r->head, memory_order_relaxed);
		}
	}
}

void *out_ring_pop(struct out_ring *r)
{
	uint64_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
	struct ring_slot *s = &r->slots[pos & r->mask];
	uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
	void *item;

	if ((int64_t)(seq - (pos + 1)) < 0)
		return NULL;
	item = s->item;
	atomic_store_explicit(&r->tail, pos + 1, memory_order_relaxed);
	atomic_store_explicit(&s->seq, pos + r->mask + 1, memory_order_release);
	return item;
}

uint64_t out_ring_dropped(const struct out_ring *r)
{
	return atomic_load_explicit(&((struct out_ring *)r)->dropped, memory_order_relaxed);
}

uint32_t out_ring_capacity(const struct out_ring *r)
{
	return (uint32_t)(r->mask + 1);
}

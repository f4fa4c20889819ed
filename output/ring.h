/* SPDX-License-Identifier: MIT */
/*
 * A bounded multi-producer, single-consumer ring of pointers that never
 * blocks a producer: when it is full, out_ring_push() counts a refusal and
 * returns false, and the caller keeps ownership of the item (to push it
 * again later). Used between
 * the packet workers and the writer thread ("writing never blocks the
 * packet path"). The algorithm is Dmitry Vyukov's bounded queue: each slot
 * carries a sequence number, producers claim a position with a CAS.
 */
#ifndef TLSMAP_OUTPUT_RING_H
#define TLSMAP_OUTPUT_RING_H

#include <stdbool.h>
#include <stdint.h>

struct out_ring;

/* @slots is rounded up to a power of two (at least 2). NULL on ENOMEM. */
struct out_ring *out_ring_new(uint32_t slots);
void out_ring_free(struct out_ring *r);
/* Any thread. False (and one drop counted) when full. @item must not be NULL. */
bool out_ring_push(struct out_ring *r, void *item);
/* The single consumer thread. NULL when empty. */
void *out_ring_pop(struct out_ring *r);
uint64_t out_ring_dropped(const struct out_ring *r);
uint32_t out_ring_capacity(const struct out_ring *r);

#endif

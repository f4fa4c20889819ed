/* SPDX-License-Identifier: MIT */
/*
 * A bump arena for the TLS stage's writer items: the Probe message, its
 * strings and the DER copies that the Certificate records (scanner/
 * cert_record.h) borrow live in one arena, freed as a whole when the
 * writer thread releases the item. The arena and its first chunk are one
 * allocation (FIRST_CAP bytes, what a Probe with cached certificates
 * needs): one malloc per item on the worker and one free on the writer,
 * which takes the worker's malloc arena lock, instead of two each.
 */
#include <stdlib.h>
#include <string.h>

#include "scanner/stage/stage_tls.h"

struct tls_arena_chunk {
	struct tls_arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

#define FIRST_CAP 3072u
#define CHUNK_CAP 8192u

struct tls_arena {
	struct tls_arena_chunk *head;  /* the newest chunk */
	struct tls_arena_chunk *first; /* the oldest, in the arena's own allocation */
};

/* The arena's header rounded up so that the first chunk is aligned. */
#define ARENA_HDR                                                                                  \
	((sizeof(struct tls_arena) + _Alignof(max_align_t) - 1) & ~(_Alignof(max_align_t) - 1))

struct tls_arena *tls_arena_new(void)
{
	struct tls_arena *a = malloc(ARENA_HDR + sizeof(struct tls_arena_chunk) + FIRST_CAP);
	if (!a)
		return NULL;
	a->first = (struct tls_arena_chunk *)((uint8_t *)a + ARENA_HDR);
	a->first->next = NULL;
	a->first->used = 0;
	a->first->cap = FIRST_CAP;
	a->head = a->first;
	return a;
}

void *tls_arena_alloc(struct tls_arena *a, size_t n)
{
	struct tls_arena_chunk *c = a->head;
	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_CAP ? n : CHUNK_CAP;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (uint8_t *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *tls_arena_strdup(struct tls_arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = tls_arena_alloc(a, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

void tls_arena_free(struct tls_arena *a)
{
	if (!a)
		return;
	struct tls_arena_chunk *c = a->head;
	while (c != a->first) {
		struct tls_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	free(a);
}

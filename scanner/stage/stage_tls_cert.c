/* SPDX-License-Identifier: MIT */
/*
 * A bump arena for the TLS stage's writer items: the Probe message, its
 * strings and the DER copies that the Certificate records (scanner/
 * cert_record.h) borrow live in one arena, freed as a whole when the
 * writer thread releases the item.
 */
#include <stdlib.h>
#include <string.h>

#include "scanner/stage/stage_tls.h"

struct tls_arena_chunk {
	struct tls_arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct tls_arena {
	struct tls_arena_chunk *head;
};

struct tls_arena *tls_arena_new(void)
{
	return calloc(1, sizeof(struct tls_arena));
}

void *tls_arena_alloc(struct tls_arena *a, size_t n)
{
	struct tls_arena_chunk *c = a->head;
	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 8192 ? n : 8192;
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
	while (c) {
		struct tls_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	free(a);
}

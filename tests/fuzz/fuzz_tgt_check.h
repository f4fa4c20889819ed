/* SPDX-License-Identifier: MIT */
/*
 * Checks shared by the target-file (-w) and blocklist-file (-b) harnesses:
 * a set read from a file must be normalised (sorted, disjoint, not
 * adjacent), its count the sum of its ranges, tgt_set_nth() and
 * tgt_set_contains() must agree on it, a failed read must leave the set
 * unchanged, and the scan's own use of it (targets minus blocklist) must
 * give a subset that excludes every blocked address.
 */
#ifndef TLSMAP_TESTS_FUZZ_TGT_CHECK_H
#define TLSMAP_TESTS_FUZZ_TGT_CHECK_H

#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "scanner/core/sweep.h"

static void tgt_check_set(const struct tgt_set *s)
{
	uint64_t count = 0;
	size_t n = tgt_set_nranges(s);
	uint32_t prev_last = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t a, b;

		tgt_set_range(s, i, &a, &b);
		if (a > b || (i > 0 && (uint64_t)prev_last + 1 >= a))
			abort();
		count += (uint64_t)b - a + 1;
		prev_last = b;
	}
	if (count != tgt_set_count(s))
		abort();
	for (uint64_t i = 0; count && i < 64; i++) {
		uint64_t k = i * 0x9e3779b97f4a7c15ull % count;
		uint32_t ip = tgt_set_nth(s, k);

		if (!tgt_set_contains(s, ip))
			abort();
	}
}

/* Read @data with @load (tgt_set_add_file or blk_load) into a set that
 * already holds an address, then use it as the scan does. */
static void tgt_check_file(const uint8_t *data, size_t size,
			   int (*load)(struct tgt_set *, const char *, char *, size_t))
{
	static struct fuzz_file file;
	const char *path = fuzz_file_set(&file, data, size);
	struct tgt_set *s = tgt_set_new(), *iana = blk_iana_default();
	uint8_t before[32], after[32];
	char err[256];

	if (!s || !iana || tgt_set_add_spec(s, "198.18.0.1") != 0)
		abort();
	tgt_set_sha256(s, before);
	err[0] = 0;
	if (load(s, path, err, sizeof(err)) != 0) {
		tgt_set_sha256(s, after);
		if (memcmp(before, after, 32) || !err[0] || !memchr(err, 0, sizeof(err)))
			abort(); /* unchanged, and the error names something */
	} else {
		tgt_check_set(s);
		if (!tgt_set_contains(s, 0xc6120001u))
			abort();
		struct tgt_set *left = tgt_set_clone(s);

		if (!left)
			abort();
		tgt_set_subtract(left, iana); /* what a scan without -b would send to */
		tgt_check_set(left);
		for (size_t i = 0; i < tgt_set_nranges(left); i++) {
			uint32_t a, b;

			tgt_set_range(left, i, &a, &b);
			if (tgt_set_contains(iana, a) || tgt_set_contains(iana, b) ||
			    !tgt_set_contains(s, a) || !tgt_set_contains(s, b))
				abort();
		}
		tgt_set_intersect(left, iana);
		if (tgt_set_count(left) != 0)
			abort();
		tgt_set_free(left);
	}
	tgt_set_free(iana);
	tgt_set_free(s);
}

#endif

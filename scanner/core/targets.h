/* SPDX-License-Identifier: MIT */
/*
 * Target sets: IPv4 addresses (host byte order) as a sorted array of
 * disjoint, non-adjacent [first, last] ranges. Everything the scanner
 * iterates over is one of these: the union of the command-line specs and
 * the -w file, minus the blocklist. The permutation draws an index i in
 * [0, count) and tgt_set_nth() maps it to an address by binary search over
 * the prefix sums of range sizes, so a whole-Internet set costs a few
 * thousand ranges, not 2^32 bits.
 *
 * Spec syntax is strict, because a typo in a target list sends packets to
 * someone else: "a.b.c.d", "a.b.c.d/len" (host bits set are accepted and
 * cleared, as ZMap does), "a.b.c.d-e.f.g.h". Rejected: fewer than four
 * octets, octets above 255, leading zeros ("010.0.0.1" is octal to
 * inet_aton), prefix lengths above 32, spaces, and trailing junk.
 *
 * Mutating functions keep the set normalised (sorted, merged), so the
 * SHA-256 of a set identifies its address content, whatever the order the
 * specs were given in. Not thread-safe for writes; const reads are.
 */
#ifndef TLSMAP_SCANNER_TARGETS_H
#define TLSMAP_SCANNER_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tgt_set; /* sorted, disjoint, merged ranges */

/* An empty set, or NULL when out of memory. Free with tgt_set_free(). */
struct tgt_set *tgt_set_new(void);
/* A deep copy of s, or NULL when out of memory. */
struct tgt_set *tgt_set_clone(const struct tgt_set *s);
void tgt_set_free(struct tgt_set *s); /* NULL is fine */
void tgt_set_clear(struct tgt_set *s);

/* Adds [first, last] (host order, inclusive). 0, -EINVAL (first > last) or -ENOMEM. */
int tgt_set_add_range(struct tgt_set *s, uint32_t first, uint32_t last);
/* "198.18.0.0/15", "198.18.0.1", "198.18.0.1-198.18.0.9"; returns 0 or -EINVAL (-ENOMEM) */
int tgt_set_add_spec(struct tgt_set *s, const char *spec);
/* One spec per line, '#' starts a comment (also after a spec), blank lines and
 * surrounding blanks ignored. The file is read whole, then merged: on error the set
 * is unchanged, err gets "FILE:LINE: bad target 'x' (reason)" (or "FILE: <strerror>")
 * and the return is -EINVAL or -errno. err may be NULL. */
int tgt_set_add_file(struct tgt_set *s, const char *path, char *err, size_t errlen);
/* s |= other. 0 or -ENOMEM. */
int tgt_set_add_set(struct tgt_set *s, const struct tgt_set *other);
/* Linear merges. They allocate a new range array; running out of memory there
 * (start-up only) aborts, which keeps them void as agreed. */
void tgt_set_subtract(struct tgt_set *s, const struct tgt_set *minus);
void tgt_set_intersect(struct tgt_set *s, const struct tgt_set *with);

uint64_t tgt_set_count(const struct tgt_set *s);	   /* addresses */
uint32_t tgt_set_nth(const struct tgt_set *s, uint64_t i); /* i < count, O(log ranges) */
bool tgt_set_contains(const struct tgt_set *s, uint32_t ip);
/* SHA-256 over the normalised ranges, each as 8 bytes: first and last, big-endian. */
void tgt_set_sha256(const struct tgt_set *s, uint8_t out[32]);
size_t tgt_set_nranges(const struct tgt_set *s);
/* The i-th range (i < nranges), host order. */
void tgt_set_range(const struct tgt_set *s, size_t i, uint32_t *first, uint32_t *last);

/* Parses one spec into [first, last] without a set. 0 or -EINVAL. */
int tgt_parse_spec(const char *spec, uint32_t *first, uint32_t *last);
/* Why spec is rejected ("leading zero in octet (ambiguous: octal?)", ...), or NULL
 * when it is valid. Static strings; for error messages. */
const char *tgt_spec_error(const char *spec);
/* Parses a strict dotted quad (no leading zeros, nothing after). 0 or -EINVAL. */
int tgt_parse_ip(const char *text, uint32_t *ip);
/* Writes "a.b.c.d" and a NUL into buf (16 bytes are enough); returns buf. */
char *tgt_ip_str(uint32_t ip, char buf[16]);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Target sets as a sorted array of disjoint, non-adjacent ranges plus the
 * prefix sums of their sizes (before[i] = addresses in ranges 0..i-1).
 * Appending in address order, the common case for files, CIDR lists and
 * database walks, is O(1); an out-of-order insert costs a memmove; a file is
 * read whole, sorted and merged once. Set operations are linear merges into
 * a fresh array. count/nth/contains never modify the set, so a const set is
 * safe to share between lcores.
 */
#include "scanner/core/targets.h"
#include "scanner/core/targets_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct tgt_range {
	uint32_t first, last;
};

struct tgt_set {
	struct tgt_range *r;
	uint64_t *before; /* prefix sums, same length as r */
	size_t n, cap;
	uint64_t total;
};

struct tgt_set *tgt_set_new(void)
{
	return calloc(1, sizeof(struct tgt_set));
}

void tgt_set_free(struct tgt_set *s)
{
	if (!s)
		return;
	free(s->r);
	free(s->before);
	free(s);
}

void tgt_set_clear(struct tgt_set *s)
{
	s->n = 0;
	s->total = 0;
}

static int reserve(struct tgt_set *s, size_t want)
{
	if (want <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap : 16;
	while (cap < want)
		cap *= 2;
	struct tgt_range *r = realloc(s->r, cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	s->r = r;
	uint64_t *b = realloc(s->before, cap * sizeof(*b));
	if (!b)
		return -ENOMEM;
	s->before = b;
	s->cap = cap;
	return 0;
}

static void resum(struct tgt_set *s, size_t from)
{
	uint64_t acc = from ? s->before[from - 1] +
				       (uint64_t)(s->r[from - 1].last - s->r[from - 1].first) + 1
			    : 0;
	for (size_t i = from; i < s->n; i++) {
		s->before[i] = acc;
		acc += (uint64_t)(s->r[i].last - s->r[i].first) + 1;
	}
	s->total = acc;
}

/* Replaces the contents of s with the n normalised ranges in r (takes r). */
static int adopt(struct tgt_set *s, struct tgt_range *r, size_t n, size_t cap)
{
	uint64_t *b = realloc(s->before, (cap ? cap : 1) * sizeof(*b));
	if (!b) {
		free(r);
		return -ENOMEM;
	}
	free(s->r);
	s->r = r;
	s->before = b;
	s->n = n;
	s->cap = cap;
	resum(s, 0);
	return 0;
}

struct tgt_set *tgt_set_clone(const struct tgt_set *s)
{
	struct tgt_set *c = tgt_set_new();
	if (!c)
		return NULL;
	if (s->n) {
		if (reserve(c, s->n)) {
			tgt_set_free(c);
			return NULL;
		}
		memcpy(c->r, s->r, s->n * sizeof(*s->r));
		memcpy(c->before, s->before, s->n * sizeof(*s->before));
		c->n = s->n;
		c->total = s->total;
	}
	return c;
}

/* Appends [first, last] to out (normalised so far), merging with its tail.
 * Ranges must come in order of first. */
static void push(struct tgt_range *out, size_t *n, uint32_t first, uint32_t last)
{
	if (*n) {
		struct tgt_range *t = &out[*n - 1];
		if (t->last == UINT32_MAX || first <= t->last + 1) {
			if (last > t->last)
				t->last = last;
			return;
		}
	}
	out[*n].first = first;
	out[*n].last = last;
	(*n)++;
}

int tgt_set_add_range(struct tgt_set *s, uint32_t first, uint32_t last)
{
	if (first > last)
		return -EINVAL;
	/* Fast path: at or after the tail. */
	if (s->n == 0 || first >= s->r[s->n - 1].first) {
		if (s->n &&
		    (s->r[s->n - 1].last == UINT32_MAX || first <= s->r[s->n - 1].last + 1)) {
			if (last > s->r[s->n - 1].last) {
				s->r[s->n - 1].last = last;
				resum(s, s->n - 1);
			}
			return 0;
		}
		if (reserve(s, s->n + 1))
			return -ENOMEM;
		s->r[s->n].first = first;
		s->r[s->n].last = last;
		s->n++;
		resum(s, s->n - 1);
		return 0;
	}
	/* lo = first range that can touch [first, last]: its last + 1 >= first. */
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->r[mid].last != UINT32_MAX && s->r[mid].last + 1 < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* end = one past the last range that touches: its first <= last + 1. */
	size_t end = lo;
	while (end < s->n && (last == UINT32_MAX || s->r[end].first <= last + 1))
		end++;
	if (end == lo) {
		if (reserve(s, s->n + 1))
			return -ENOMEM;
		memmove(&s->r[lo + 1], &s->r[lo], (s->n - lo) * sizeof(*s->r));
		s->r[lo].first = first;
		s->r[lo].last = last;
		s->n++;
	} else {
		uint32_t nf = first < s->r[lo].first ? first : s->r[lo].first;
		uint32_t nl = last > s->r[end - 1].last ? last : s->r[end - 1].last;
		s->r[lo].first = nf;
		s->r[lo].last = nl;
		memmove(&s->r[lo + 1], &s->r[end], (s->n - end) * sizeof(*s->r));
		s->n -= end - lo - 1;
	}
	resum(s, lo);
	return 0;
}

/* --- parsing --- */

/* A strict dotted quad in [p, end): 1-3 digits per octet, no leading zero, <= 255. */
static const char *parse_ip_span(const char *p, const char *end, uint32_t *ip)
{
	uint32_t v = 0;
	for (int octet = 0; octet < 4; octet++) {
		if (octet) {
			if (p == end || *p != '.')
				return "expected four dotted octets";
			p++;
		}
		const char *start = p;
		unsigned val = 0;
		while (p < end && *p >= '0' && *p <= '9' && p - start < 4) {
			val = val * 10 + (unsigned)(*p - '0');
			p++;
		}
		if (p == start)
			return "expected four dotted octets";
		if (p - start > 3 || val > 255)
			return "octet above 255";
		if (p - start > 1 && *start == '0')
			return "leading zero in octet (ambiguous: octal?)";
		v = v << 8 | val;
	}
	if (p != end)
		return "trailing characters after address";
	*ip = v;
	return NULL;
}

static const char *parse_spec_span(const char *p, const char *end, uint32_t *first, uint32_t *last)
{
	if (p == end)
		return "empty";
	for (const char *q = p; q < end; q++)
		if (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r' || *q == '\v' || *q == '\f')
			return "contains blanks";
	const char *slash = memchr(p, '/', (size_t)(end - p));
	const char *dash = memchr(p, '-', (size_t)(end - p));
	uint32_t a, b;
	const char *why;
	if (slash && dash)
		return "both '/' and '-'";
	if (slash) {
		if ((why = parse_ip_span(p, slash, &a)))
			return why;
		const char *l = slash + 1;
		if (l == end || end - l > 2)
			return "bad prefix length";
		unsigned len = 0;
		for (const char *q = l; q < end; q++) {
			if (*q < '0' || *q > '9')
				return "bad prefix length";
			len = len * 10 + (unsigned)(*q - '0');
		}
		if (end - l == 2 && *l == '0')
			return "leading zero in prefix length";
		if (len > 32)
			return "prefix length above 32";
		uint32_t mask = len ? ~(uint32_t)0 << (32 - len) : 0;
		*first = a & mask; /* host bits set: accepted and cleared, as ZMap does */
		*last = *first | ~mask;
		return NULL;
	}
	if (dash) {
		if ((why = parse_ip_span(p, dash, &a)) || (why = parse_ip_span(dash + 1, end, &b)))
			return why;
		if (a > b)
			return "range end before its start";
		*first = a;
		*last = b;
		return NULL;
	}
	if ((why = parse_ip_span(p, end, &a)))
		return why;
	*first = *last = a;
	return NULL;
}

int tgt_parse_ip(const char *text, uint32_t *ip)
{
	return parse_ip_span(text, text + strlen(text), ip) ? -EINVAL : 0;
}

int tgt_parse_spec(const char *spec, uint32_t *first, uint32_t *last)
{
	return parse_spec_span(spec, spec + strlen(spec), first, last) ? -EINVAL : 0;
}

const char *tgt_spec_error(const char *spec)
{
	uint32_t a, b;
	return parse_spec_span(spec, spec + strlen(spec), &a, &b);
}

char *tgt_ip_str(uint32_t ip, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
	return buf;
}

int tgt_set_add_spec(struct tgt_set *s, const char *spec)
{
	uint32_t a, b;
	if (tgt_parse_spec(spec, &a, &b))
		return -EINVAL;
	return tgt_set_add_range(s, a, b);
}

static int cmp_range(const void *x, const void *y)
{
	const struct tgt_range *a = x, *b = y;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return (a->last > b->last) - (a->last < b->last);
}

/* s |= the k ranges in add (any order); add is sorted in place. */
static int merge_in(struct tgt_set *s, struct tgt_range *add, size_t k)
{
	if (k == 0)
		return 0;
	qsort(add, k, sizeof(*add), cmp_range);
	size_t cap = s->n + k;
	struct tgt_range *out = malloc(cap * sizeof(*out));
	if (!out)
		return -ENOMEM;
	size_t i = 0, j = 0, n = 0;
	while (i < s->n || j < k) {
		const struct tgt_range *next;
		if (j == k || (i < s->n && s->r[i].first <= add[j].first))
			next = &s->r[i++];
		else
			next = &add[j++];
		push(out, &n, next->first, next->last);
	}
	return adopt(s, out, n, cap);
}

int tgt_set_add_set(struct tgt_set *s, const struct tgt_set *other)
{
	if (other->n == 0)
		return 0;
	struct tgt_range *copy = malloc(other->n * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	memcpy(copy, other->r, other->n * sizeof(*copy));
	int ret = merge_in(s, copy, other->n);
	free(copy);
	return ret;
}

/* A target or blocklist line holds one spec and a comment: a line beyond
 * this is refused (naming file and line) instead of grown without bound, as
 * getline() would for a stream without newlines. */
#define TGT_FILE_MAX_LINE 4096
/* 2^26 lines (512 MB of ranges before merging): more than the IPv4 space in
 * /24s; beyond it a stream is refused rather than read until memory runs out. */
#define TGT_FILE_MAX_ENTRIES (1u << 26)

int tgt_read_file_(struct tgt_set *s, const char *path, const char *what, char *err, size_t errlen)
{
	int ret = 0;
	char *line = malloc(TGT_FILE_MAX_LINE + 2);
	size_t k = 0, kcap = 0, lineno = 0;
	struct tgt_range *add = NULL;
	FILE *f = fopen(path, "r");
	if (!f || !line) {
		ret = f ? -ENOMEM : -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		free(line);
		if (f)
			fclose(f);
		return ret;
	}
	while (fgets(line, TGT_FILE_MAX_LINE + 2, f)) {
		size_t got = strlen(line);
		lineno++;
		if (got > TGT_FILE_MAX_LINE || (got && line[got - 1] != '\n' && !feof(f))) {
			if (err && errlen)
				snprintf(err, errlen,
					 "%s:%zu: line longer than %d characters (or not text)",
					 path, lineno, TGT_FILE_MAX_LINE);
			ret = -EINVAL;
			goto out;
		}
		char *p = line, *end = line + got;
		char *hash = memchr(line, '#', got);
		if (hash)
			end = hash;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p &&
		       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
			end--;
		if (p == end)
			continue;
		uint32_t a, b;
		const char *why = parse_spec_span(p, end, &a, &b);
		if (why) {
			if (err && errlen)
				snprintf(err, errlen, "%s:%zu: bad %s '%.*s' (%s)", path, lineno,
					 what, (int)(end - p > 64 ? 64 : end - p), p, why);
			ret = -EINVAL;
			goto out;
		}
		if (k == TGT_FILE_MAX_ENTRIES) {
			if (err && errlen)
				snprintf(err, errlen, "%s:%zu: more than %u entries", path, lineno,
					 TGT_FILE_MAX_ENTRIES);
			ret = -E2BIG;
			goto out;
		}
		if (k == kcap) {
			size_t nc = kcap ? kcap * 2 : 256;
			struct tgt_range *na = realloc(add, nc * sizeof(*na));
			if (!na) {
				ret = -ENOMEM;
				goto out;
			}
			add = na;
			kcap = nc;
		}
		add[k].first = a;
		add[k].last = b;
		k++;
	}
	if (ferror(f)) {
		ret = -EIO;
		if (err && errlen)
			snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	ret = merge_in(s, add, k);
	if (ret && err && errlen)
		snprintf(err, errlen, "%s: out of memory", path);
out:
	free(add);
	free(line);
	fclose(f);
	return ret;
}

int tgt_set_add_file(struct tgt_set *s, const char *path, char *err, size_t errlen)
{
	return tgt_read_file_(s, path, "target", err, errlen);
}

/* --- set operations --- */

void tgt_set_subtract(struct tgt_set *s, const struct tgt_set *minus)
{
	/* Each range of minus splits at most one range of s in two, so the
	 * result fits in s->n + minus->n ranges. */
	size_t cap = s->n + minus->n;
	struct tgt_range *out = malloc((cap ? cap : 1) * sizeof(*out));
	if (!out)
		abort(); /* set ops on start-up only; running out here is fatal */
	size_t n = 0, j = 0;
	for (size_t i = 0; i < s->n; i++) {
		uint64_t cur = s->r[i].first; /* next address not yet decided */
		uint64_t last = s->r[i].last;
		while (j < minus->n && minus->r[j].last < cur)
			j++;
		size_t jj = j;
		while (cur <= last && jj < minus->n && minus->r[jj].first <= last) {
			if (minus->r[jj].first > cur) {
				out[n].first = (uint32_t)cur;
				out[n].last = minus->r[jj].first - 1;
				n++;
			}
			if ((uint64_t)minus->r[jj].last + 1 > cur)
				cur = (uint64_t)minus->r[jj].last + 1;
			jj++;
		}
		if (cur <= last) {
			out[n].first = (uint32_t)cur;
			out[n].last = (uint32_t)last;
			n++;
		}
	}
	if (adopt(s, out, n, cap ? cap : 1))
		abort();
}

void tgt_set_intersect(struct tgt_set *s, const struct tgt_set *with)
{
	size_t cap = s->n + with->n;
	struct tgt_range *out = malloc((cap ? cap : 1) * sizeof(*out));
	if (!out)
		abort();
	size_t i = 0, j = 0, n = 0;
	while (i < s->n && j < with->n) {
		uint32_t lo = s->r[i].first > with->r[j].first ? s->r[i].first : with->r[j].first;
		uint32_t hi = s->r[i].last < with->r[j].last ? s->r[i].last : with->r[j].last;
		if (lo <= hi) {
			out[n].first = lo;
			out[n].last = hi;
			n++;
		}
		if (s->r[i].last < with->r[j].last)
			i++;
		else
			j++;
	}
	if (adopt(s, out, n, cap ? cap : 1))
		abort();
}

/* --- queries --- */

uint64_t tgt_set_count(const struct tgt_set *s)
{
	return s->total;
}

size_t tgt_set_nranges(const struct tgt_set *s)
{
	return s->n;
}

void tgt_set_range(const struct tgt_set *s, size_t i, uint32_t *first, uint32_t *last)
{
	*first = s->r[i].first;
	*last = s->r[i].last;
}

uint32_t tgt_set_nth(const struct tgt_set *s, uint64_t i)
{
	/* last range whose before[] <= i */
	size_t lo = 0, hi = s->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->before[mid] <= i)
			lo = mid;
		else
			hi = mid;
	}
	return s->r[lo].first + (uint32_t)(i - s->before[lo]);
}

bool tgt_set_contains(const struct tgt_set *s, uint32_t ip)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->r[mid].last < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->r[lo].first <= ip;
}

void tgt_set_sha256(const struct tgt_set *s, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 32;
	uint8_t buf[8 * 64];
	size_t fill = 0;
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		abort();
	for (size_t i = 0; i < s->n; i++) {
		uint32_t v[2] = {s->r[i].first, s->r[i].last};
		for (int w = 0; w < 2; w++)
			for (int b = 0; b < 4; b++)
				buf[fill++] = (uint8_t)(v[w] >> (24 - 8 * b));
		if (fill == sizeof(buf)) {
			EVP_DigestUpdate(ctx, buf, fill);
			fill = 0;
		}
	}
	EVP_DigestUpdate(ctx, buf, fill);
	EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
}

/* SPDX-License-Identifier: MIT */
/*
 * Grouping dataset files into a series of scans (see series.h). Each file
 * is opened once for its first record (the ScanMeta) to group it, then
 * read by the diff library: summaries for all points, hosts for the last
 * two of each vantage point. The main figures reuse a point's summary when
 * one point makes them up, so a single scan is read once, as before.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/out.h"
#include "output/series.h"

#define DAY_US (86400ull * 1000000ull)

struct file_meta {
	uint64_t start_us, seed;
	uint32_t shards;
	char *vantage;
};

/* The ScanMeta of @path (zeros and "" when the first record is not one). */
static int read_meta(const char *path, struct file_meta *m, char *err, size_t errlen)
{
	struct out_reader *r;
	Tlsmap__V1__Record *rec = NULL;
	int e;

	memset(m, 0, sizeof(*m));
	r = out_reader_open(path, &e);
	if (!r) {
		snprintf(err, errlen, "%s: %s%s%s", path, out_strerror(e), e == OUT_EIO ? ": " : "",
			 e == OUT_EIO ? strerror(errno) : "");
		return e;
	}
	if (out_reader_next(r, &rec) == 1 && rec->kind_case == TLSMAP__V1__RECORD__KIND_META) {
		m->start_us = rec->meta->start_time_us;
		m->seed = rec->meta->seed;
		m->shards = rec->meta->shards;
		m->vantage = strdup(rec->meta->vantage ? rec->meta->vantage : "");
	} else {
		m->vantage = strdup("");
	}
	out_record_free(rec);
	out_reader_close(r);
	if (!m->vantage) {
		snprintf(err, errlen, "%s: out of memory", path);
		return OUT_ENOMEM;
	}
	return OUT_OK;
}

static bool same_scan(const struct series_point *p, const struct file_meta *m)
{
	uint64_t d =
		p->start_us > m->start_us ? p->start_us - m->start_us : m->start_us - p->start_us;

	if (strcmp(p->vantage, m->vantage))
		return false;
	if (p->start_us == m->start_us)
		return true;
	return p->shards > 1 && p->shards == m->shards && p->seed == m->seed && d < DAY_US;
}

/* Put the file in its point (a new one when none matches). Takes m->vantage. */
static int place(struct series *s, size_t *cap, const char *path, struct file_meta *m)
{
	struct series_point *p = NULL;
	const char **np;

	for (size_t i = 0; i < s->n && !p; i++)
		if (same_scan(&s->pt[i], m))
			p = &s->pt[i];
	if (!p) {
		if (s->n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 8;
			struct series_point *nv = realloc(s->pt, ncap * sizeof(*nv));

			if (!nv)
				return OUT_ENOMEM;
			s->pt = nv;
			*cap = ncap;
		}
		p = &s->pt[s->n++];
		memset(p, 0, sizeof(*p));
		p->start_us = m->start_us;
		p->vantage = m->vantage;
		p->seed = m->seed;
		p->shards = m->shards;
		m->vantage = NULL;
	}
	if (m->start_us < p->start_us)
		p->start_us = m->start_us;
	np = realloc(p->paths, (p->npaths + 1) * sizeof(*np));
	if (!np)
		return OUT_ENOMEM;
	p->paths = np;
	p->paths[p->npaths++] = path;
	return OUT_OK;
}

static int cmp_point(const void *a, const void *b)
{
	const struct series_point *x = a, *y = b;

	if (x->start_us != y->start_us)
		return x->start_us < y->start_us ? -1 : 1;
	return strcmp(x->vantage, y->vantage);
}

uint64_t series_day(const struct series_point *p)
{
	return p->start_us / DAY_US;
}

/* Index of the last point of @vantage before @before (or SIZE_MAX). */
static size_t last_of(const struct series *s, const char *vantage, size_t before)
{
	for (size_t i = before; i-- > 0;)
		if (!strcmp(s->pt[i].vantage, vantage))
			return i;
	return SIZE_MAX;
}

/* Whether point @i is one of the last two of a vantage point with two or more. */
static bool diffed(const struct series *s, size_t i)
{
	size_t last = last_of(s, s->pt[i].vantage, s->n);
	size_t prev = last_of(s, s->pt[i].vantage, last);

	return prev != SIZE_MAX && (i == last || i == prev);
}

static int load_points(struct series *s, char *err, size_t errlen)
{
	for (size_t i = 0; i < s->n; i++) {
		struct series_point *p = &s->pt[i];

		p->scan = diff_scan_new(diffed(s, i)); /* hosts only where a diff needs them */
		if (!p->scan)
			return OUT_ENOMEM;
		for (size_t k = 0; k < p->npaths; k++) {
			int e = diff_scan_add_file(p->scan, p->paths[k], err, errlen);

			if (e != OUT_OK)
				return e;
		}
		diff_scan_finish(p->scan);
	}
	return OUT_OK;
}

static int make_diffs_and_latest(struct series *s, char *err, size_t errlen)
{
	size_t nlatest = 0, one = 0;

	for (size_t i = 0; i < s->n; i++) {
		size_t prev;

		if (last_of(s, s->pt[i].vantage, s->n) != i)
			continue;
		s->nvantages++;
		nlatest++;
		one = i;
		prev = last_of(s, s->pt[i].vantage, i);
		if (prev == SIZE_MAX)
			continue;
		struct series_diff *nd = realloc(s->diffs, (s->ndiffs + 1) * sizeof(*nd));

		if (!nd)
			return OUT_ENOMEM;
		s->diffs = nd;
		memset(&nd[s->ndiffs], 0, sizeof(*nd));
		nd[s->ndiffs].from = prev;
		nd[s->ndiffs].to = i;
		if (diff_compute(s->pt[prev].scan, s->pt[i].scan, &nd[s->ndiffs].changes))
			return OUT_ENOMEM;
		s->ndiffs++;
	}
	if (nlatest == 1) {
		s->latest = diff_scan_summary(s->pt[one].scan);
		return OUT_OK;
	}
	s->latest_owned = sum_new();
	if (!s->latest_owned)
		return OUT_ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		if (last_of(s, s->pt[i].vantage, s->n) != i)
			continue;
		for (size_t k = 0; k < s->pt[i].npaths; k++) {
			int e = sum_add_file(s->latest_owned, s->pt[i].paths[k], err, errlen);

			if (e != OUT_OK)
				return e;
		}
	}
	sum_finish(s->latest_owned);
	s->latest = s->latest_owned;
	return OUT_OK;
}

int series_load(struct series *s, const char *const *paths, size_t n, char *err, size_t errlen)
{
	size_t cap = 0;
	int ret = OUT_OK;

	err[0] = '\0';
	for (size_t i = 0; i < n && ret == OUT_OK; i++) {
		struct file_meta m;

		ret = read_meta(paths[i], &m, err, errlen);
		if (ret == OUT_OK)
			ret = place(s, &cap, paths[i], &m);
		free(m.vantage);
	}
	if (ret == OUT_ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (ret != OUT_OK)
		goto fail;
	if (s->n > 1)
		qsort(s->pt, s->n, sizeof(*s->pt), cmp_point);
	ret = load_points(s, err, errlen);
	if (ret == OUT_OK)
		ret = make_diffs_and_latest(s, err, errlen);
	if (ret == OUT_OK)
		return OUT_OK;
	if (ret == OUT_ENOMEM && !err[0])
		snprintf(err, errlen, "out of memory");
fail:
	series_free(s);
	return ret;
}

void series_free(struct series *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->pt[i].vantage);
		free(s->pt[i].paths);
		diff_scan_free(s->pt[i].scan);
	}
	free(s->pt);
	for (size_t i = 0; i < s->ndiffs; i++)
		diff_changes_free(&s->diffs[i].changes);
	free(s->diffs);
	sum_free(s->latest_owned);
	memset(s, 0, sizeof(*s));
}

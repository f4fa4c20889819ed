/* SPDX-License-Identifier: MIT */
/*
 * Changes between two scans (see diff.h). Networks, issuers and domains
 * come from the summary library (the same groups and names as `tlsmap
 * summary`); hosts from one more pass over each file's probes with the
 * summary's definitions (TLS = a certificate captured, intercepted = a
 * VERDICT_INTERCEPTED probe), kept in an open-addressing table of IPv4
 * hosts keyed by address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/diff.h"
#include "output/out.h"

enum { HOST_TLS = 1, HOST_INTERCEPTED = 2 };

struct host {
	uint32_t ip; /* host order; 0 = empty slot (0.0.0.0 is never scanned) */
	uint32_t asn;
	uint8_t flags;
	char cc[3];
};

struct host_table {
	struct host *slots;
	size_t cap, n;
	uint64_t skipped_v6;
};

struct diff_scan {
	struct summary *sum;
	struct host_table hosts;
	bool with_hosts;
};

static uint64_t mix32(uint32_t x)
{
	uint64_t z = (uint64_t)x * 0x9e3779b97f4a7c15ULL;

	return z ^ (z >> 29);
}

static int ht_grow(struct host_table *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 1024;
	struct host *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->slots[i].ip)
			continue;
		size_t j = mix32(t->slots[i].ip) & (ncap - 1);
		while (ns[j].ip)
			j = (j + 1) & (ncap - 1);
		ns[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
	return 0;
}

static struct host *ht_find(const struct host_table *t, uint32_t ip)
{
	if (!t->cap)
		return NULL;
	for (size_t j = mix32(ip) & (t->cap - 1); t->slots[j].ip; j = (j + 1) & (t->cap - 1))
		if (t->slots[j].ip == ip)
			return &t->slots[j];
	return NULL;
}

static struct host *ht_add(struct host_table *t, uint32_t ip)
{
	struct host *h = ht_find(t, ip);
	size_t j;

	if (h)
		return h;
	if ((t->n + 1) * 2 > t->cap && ht_grow(t) != 0)
		return NULL;
	for (j = mix32(ip) & (t->cap - 1); t->slots[j].ip; j = (j + 1) & (t->cap - 1))
		;
	t->slots[j].ip = ip;
	t->n++;
	return &t->slots[j];
}

struct diff_scan *diff_scan_new(bool with_hosts)
{
	struct diff_scan *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->sum = sum_new();
	if (!d->sum) {
		free(d);
		return NULL;
	}
	d->with_hosts = with_hosts;
	return d;
}

void diff_scan_free(struct diff_scan *d)
{
	if (!d)
		return;
	sum_free(d->sum);
	free(d->hosts.slots);
	free(d);
}

void diff_scan_finish(struct diff_scan *d)
{
	sum_finish(d->sum);
}

const struct summary *diff_scan_summary(const struct diff_scan *d)
{
	return d->sum;
}

uint64_t diff_scan_skipped_v6(const struct diff_scan *d)
{
	return d->hosts.skipped_v6;
}

/* A probe's host into the table; false when out of memory. */
static bool add_host(struct host_table *t, const Tlsmap__V1__Probe *p)
{
	uint32_t ip;
	struct host *h;

	if (p->ip.len != 4) {
		t->skipped_v6++;
		return true;
	}
	ip = (uint32_t)p->ip.data[0] << 24 | (uint32_t)p->ip.data[1] << 16 |
	     (uint32_t)p->ip.data[2] << 8 | p->ip.data[3];
	if (!ip)
		return true;
	h = ht_add(t, ip);
	if (!h)
		return false;
	if (p->tls == TLSMAP__V1__TLS_OUTCOME__TLS_CERTIFICATE)
		h->flags |= HOST_TLS;
	if (p->verdict == TLSMAP__V1__VERDICT__VERDICT_INTERCEPTED)
		h->flags |= HOST_INTERCEPTED;
	h->asn = p->asn;
	snprintf(h->cc, sizeof(h->cc), "%s", p->country && *p->country ? p->country : "??");
	return true;
}

int diff_scan_add_file(struct diff_scan *d, const char *path, char *err, size_t errlen)
{
	struct out_reader *r;
	Tlsmap__V1__Record *rec;
	int e;

	e = sum_add_file(d->sum, path, err, errlen);
	if (e != OUT_OK || !d->with_hosts)
		return e;
	r = out_reader_open(path, &e);
	if (!r) {
		snprintf(err, errlen, "%s: %s", path, out_strerror(e));
		return e;
	}
	/* a truncated file: the summary's status says so; hosts up to there count */
	while ((e = out_reader_next(r, &rec)) == 1) {
		bool ok = rec->kind_case != TLSMAP__V1__RECORD__KIND_PROBE || !rec->probe ||
			  add_host(&d->hosts, rec->probe);

		out_record_free(rec);
		if (!ok) {
			out_reader_close(r);
			snprintf(err, errlen, "%s: out of memory", path);
			return OUT_ENOMEM;
		}
	}
	out_reader_close(r);
	return OUT_OK;
}

void diff_changes_free(struct diff_changes *c)
{
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}
static struct diff_change *push(struct diff_changes *c)
{
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct diff_change *nv = realloc(c->v, ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		c->v = nv;
		c->cap = ncap;
	}
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	return &c->v[c->n++];
}

/* started / stopped / unmeasured for one group or host measured as (tls, icpt) on each side */
static const char *classify(bool old_seen, uint64_t old_tls, uint64_t old_icpt, bool new_seen,
			    uint64_t new_tls, uint64_t new_icpt)
{
	bool old_m = old_seen && old_tls > 0, new_m = new_seen && new_tls > 0;

	if (old_icpt && new_m && !new_icpt)
		return "stopped";
	if (new_icpt && old_m && !old_icpt)
		return "started";
	if ((old_icpt && !new_m) || (new_icpt && !old_m))
		return "unmeasured";
	return NULL;
}

static int diff_networks(const struct diff_scan *o, const struct diff_scan *n,
			 struct diff_changes *out)
{
	for (int pass = 0; pass < 2; pass++) { /* OLD's networks, then those only in NEW */
		const struct summary *a = pass ? n->sum : o->sum, *b = pass ? o->sum : n->sum;
		size_t cnt;
		const struct sum_group *g = sum_groups(a, SUM_BY_ASN, &cnt);

		for (size_t i = 0; i < cnt; i++) {
			const struct sum_group *other = sum_group_find(b, SUM_BY_ASN, g[i].key);
			const struct sum_group *og = pass ? other : &g[i],
					       *ng = pass ? &g[i] : other;
			const char *what;
			struct diff_change *c;

			if (pass && other)
				continue; /* done in the first pass */
			what = classify(og != NULL, og ? og->hosts_tls : 0,
					og ? og->hosts_intercepted : 0, ng != NULL,
					ng ? ng->hosts_tls : 0, ng ? ng->hosts_intercepted : 0);
			if (!what)
				continue;
			if (!(c = push(out)))
				return -1;
			c->change = what;
			c->kind = "network";
			snprintf(c->key, sizeof(c->key), "%s", g[i].key);
			c->cc = g[i].cc;
			c->asn = g[i].asn;
			c->as_org = g[i].as_org;
			c->old_tls = og ? og->hosts_tls : 0;
			c->old_icpt = og ? og->hosts_intercepted : 0;
			c->new_tls = ng ? ng->hosts_tls : 0;
			c->new_icpt = ng ? ng->hosts_intercepted : 0;
		}
	}
	return 0;
}

static int cmp_host_change(const void *a, const void *b)
{
	const struct diff_change *x = a, *y = b;
	int k = strcmp(x->change, y->change);

	if (k)
		return k;
	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

static int diff_hosts(const struct diff_scan *o, const struct diff_scan *n,
		      struct diff_changes *out)
{
	size_t first = out->n;

	for (int pass = 0; pass < 2; pass++) {
		const struct host_table *a = pass ? &n->hosts : &o->hosts,
					*b = pass ? &o->hosts : &n->hosts;

		for (size_t i = 0; i < a->cap; i++) {
			const struct host *h = &a->slots[i], *other;
			const struct host *oh, *nh;
			const char *what;
			struct diff_change *c;

			if (!h->ip)
				continue;
			other = ht_find(b, h->ip);
			if (pass && other)
				continue;
			oh = pass ? other : h;
			nh = pass ? h : other;
			what = classify(oh != NULL, oh && (oh->flags & HOST_TLS),
					oh && (oh->flags & HOST_INTERCEPTED), nh != NULL,
					nh && (nh->flags & HOST_TLS),
					nh && (nh->flags & HOST_INTERCEPTED));
			if (!what)
				continue;
			if (!(c = push(out)))
				return -1;
			c->change = what;
			c->kind = "host";
			snprintf(c->key, sizeof(c->key), "%u.%u.%u.%u", h->ip >> 24,
				 (h->ip >> 16) & 255, (h->ip >> 8) & 255, h->ip & 255);
			c->cc = h->cc;
			c->asn = h->asn;
			c->as_org = "";
			c->ip = h->ip;
			c->old_tls = oh && (oh->flags & HOST_TLS);
			c->old_icpt = oh && (oh->flags & HOST_INTERCEPTED);
			c->new_tls = nh && (nh->flags & HOST_TLS);
			c->new_icpt = nh && (nh->flags & HOST_INTERCEPTED);
		}
	}
	/* by change, then by address (the table's order is the hash's) */
	qsort(out->v + first, out->n - first, sizeof(*out->v), cmp_host_change);
	return 0;
}

static bool has_name(const struct sum_count *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return true;
	return false;
}

int diff_names(const struct sum_group *ga, const struct sum_group *gb, bool domains,
	       struct diff_changes *out)
{
	for (int pass = 0; pass < 2; pass++) {
		const struct sum_group *a = pass ? gb : ga, *b = pass ? ga : gb;
		const struct sum_count *va = a ? (domains ? a->domains : a->issuers) : NULL;
		size_t na = a ? (domains ? a->ndomains : a->nissuers) : 0;
		const struct sum_count *vb = b ? (domains ? b->domains : b->issuers) : NULL;
		size_t nb = b ? (domains ? b->ndomains : b->nissuers) : 0;

		for (size_t i = 0; i < na; i++) {
			struct diff_change *c;

			if (has_name(vb, nb, va[i].name))
				continue;
			if (!(c = push(out)))
				return -1;
			c->change = pass ? "new" : "vanished";
			c->kind = domains ? "domain" : "issuer";
			snprintf(c->key, sizeof(c->key), "%s", va[i].name);
			c->cc = c->as_org = "";
			if (pass)
				c->new_icpt = va[i].hosts;
			else
				c->old_icpt = va[i].hosts;
		}
	}
	return 0;
}

int diff_compute(const struct diff_scan *old, const struct diff_scan *new, struct diff_changes *out)
{
	size_t n0 = out->n;
	int ret = diff_networks(old, new, out);

	if (!ret && old->with_hosts && new->with_hosts)
		ret = diff_hosts(old, new, out);
	if (!ret)
		ret = diff_names(sum_total(old->sum), sum_total(new->sum), false, out);
	if (!ret)
		ret = diff_names(sum_total(old->sum), sum_total(new->sum), true, out);
	if (ret)
		out->n = n0;
	return ret;
}

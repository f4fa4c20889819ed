/* SPDX-License-Identifier: MIT */
/*
 * Summary aggregation (see summary.h). One hash table of byte-string keys
 * holds every set the counting needs, with composite keys:
 *   "G" dim group           -> group index
 *   "H" dim gidx ip         -> host flags (PROBED, TLS, INTERCEPTED)
 *   "I" dim gidx issuer ip  -> seen (one forging issuer per host counted once)
 *   "D" dim gidx sni ip     -> seen
 *   "C" sha256              -> issuer name index (certificates, all files)
 * Group counters move when a host's flags first gain a bit, so nothing is
 * recounted at the end and memory is one entry per (group, host).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output/out.h"
#include "output/summary.h"

#define HF_PROBED 1u
#define HF_TLS 2u
#define HF_INTERCEPTED 4u

struct ht_slot {
	uint64_t hash;
	char *key; /* NULL = empty */
	size_t klen;
	uint64_t val;
};

struct ht {
	struct ht_slot *slots;
	size_t cap, n;
};

struct dim {
	struct sum_group *groups;
	size_t n, cap;
};

struct summary {
	struct ht ht;
	struct dim dims[SUM_NDIMS];
	char **names; /* issuer names of certificates */
	size_t nnames, cap_names;
	struct sum_file *files;
	size_t nfiles, cap_files;
	const char *file_vantage; /* the file being read: its ScanMeta.vantage */
	bool oom;
};

static uint64_t hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

/* Find or insert @key. *created says which. NULL on ENOMEM. */
static uint64_t *ht_get(struct ht *t, const void *key, size_t klen, bool *created)
{
	uint64_t h = hash_bytes(key, klen);
	size_t i;

	if ((t->n + 1) * 10 > t->cap * 7) {
		size_t ncap = t->cap ? t->cap * 2 : 4096;
		struct ht_slot *ns = calloc(ncap, sizeof(*ns));

		if (!ns)
			return NULL;
		for (size_t k = 0; k < t->cap; k++) {
			if (!t->slots[k].key)
				continue;
			for (i = t->slots[k].hash & (ncap - 1); ns[i].key; i = (i + 1) & (ncap - 1))
				;
			ns[i] = t->slots[k];
		}
		free(t->slots);
		t->slots = ns;
		t->cap = ncap;
	}
	for (i = h & (t->cap - 1); t->slots[i].key; i = (i + 1) & (t->cap - 1)) {
		struct ht_slot *s = &t->slots[i];

		if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0) {
			*created = false;
			return &s->val;
		}
	}
	t->slots[i].key = malloc(klen ? klen : 1);
	if (!t->slots[i].key)
		return NULL;
	memcpy(t->slots[i].key, key, klen);
	t->slots[i].klen = klen;
	t->slots[i].hash = h;
	t->slots[i].val = 0;
	t->n++;
	*created = true;
	return &t->slots[i].val;
}

/*
 * Composite key builder. Keys are never cut: a field longer than the inline
 * buffer moves the key to the heap (issuer names can be kilobytes, and two
 * issuers that differ only after a fixed cut must stay two groups). Strings
 * are length-prefixed, so no field's bytes can imitate a separator.
 * kfree() after use; on ENOMEM the key is marked and the caller gives up.
 */
struct kbuf {
	char *b;
	size_t n, cap;
	bool oom;
	char inl[256];
};

static void kinit(struct kbuf *k)
{
	k->b = k->inl;
	k->n = 0;
	k->cap = sizeof(k->inl);
	k->oom = false;
}

static void kfree(struct kbuf *k)
{
	if (k->b != k->inl)
		free(k->b);
}

static void kput(struct kbuf *k, const void *p, size_t n)
{
	if (k->oom || n == 0) /* memcpy(x, NULL, 0) is undefined: an empty address */
		return;
	if (n > k->cap - k->n) {
		size_t ncap = k->cap;
		char *nb;

		while (n > ncap - k->n) {
			if (ncap > SIZE_MAX / 2) {
				k->oom = true;
				return;
			}
			ncap *= 2;
		}
		nb = k->b == k->inl ? malloc(ncap) : realloc(k->b, ncap);
		if (!nb) {
			k->oom = true;
			return;
		}
		if (k->b == k->inl)
			memcpy(nb, k->inl, k->n);
		k->b = nb;
		k->cap = ncap;
	}
	memcpy(k->b + k->n, p, n);
	k->n += n;
}

static void kint(struct kbuf *k, uint64_t v)
{
	kput(k, &v, sizeof(v));
}

static void kstr(struct kbuf *k, const char *s)
{
	size_t n = strlen(s);

	kint(k, n);
	kput(k, s, n);
}

struct summary *sum_new(void)
{
	return calloc(1, sizeof(struct summary));
}

static void free_counts(struct sum_count *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].name);
	free(c);
}

void sum_free(struct summary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ht.cap; i++)
		free(s->ht.slots[i].key);
	free(s->ht.slots);
	for (int d = 0; d < SUM_NDIMS; d++) {
		for (size_t i = 0; i < s->dims[d].n; i++) {
			struct sum_group *g = &s->dims[d].groups[i];

			free(g->key);
			free(g->cc);
			free(g->as_org);
			free_counts(g->issuers, g->nissuers);
			free_counts(g->domains, g->ndomains);
		}
		free(s->dims[d].groups);
	}
	for (size_t i = 0; i < s->nnames; i++)
		free(s->names[i]);
	free(s->names);
	for (size_t i = 0; i < s->nfiles; i++) {
		free(s->files[i].path);
		out_record_free(s->files[i].meta);
		out_record_free(s->files[i].end);
	}
	free(s->files);
	free(s);
}

static char *xstrdup(struct summary *s, const char *p)
{
	char *r = strdup(p ? p : "");

	if (!r)
		s->oom = true;
	return r;
}

static struct sum_group *group_get(struct summary *s, int dim, const char *key, const char *cc,
				   uint32_t asn, const char *org, size_t *idx)
{
	struct kbuf k;
	struct dim *d = &s->dims[dim];
	bool created;
	uint64_t *v;

	kinit(&k);
	kput(&k, "G", 1);
	kint(&k, (uint64_t)dim);
	kstr(&k, key);
	v = k.oom ? NULL : ht_get(&s->ht, k.b, k.n, &created);
	kfree(&k);
	if (!v) {
		s->oom = true;
		return NULL;
	}
	if (created) {
		struct sum_group *g;

		if (d->n == d->cap) {
			size_t ncap = d->cap ? d->cap * 2 : 16;
			struct sum_group *ng = realloc(d->groups, ncap * sizeof(*ng));

			if (!ng) {
				s->oom = true;
				return NULL;
			}
			d->groups = ng;
			d->cap = ncap;
		}
		g = &d->groups[d->n];
		memset(g, 0, sizeof(*g));
		g->key = xstrdup(s, key);
		g->cc = xstrdup(s, cc);
		g->asn = asn;
		g->as_org = xstrdup(s, org);
		*v = d->n++;
	}
	*idx = (size_t)*v;
	return &d->groups[*v];
}

static void count_add(struct summary *s, struct sum_count **arr, size_t *n, size_t *cap,
		      const char *name)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*arr)[i].name, name) == 0) {
			(*arr)[i].hosts++;
			return;
		}
	}
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		struct sum_count *na = realloc(*arr, ncap * sizeof(*na));

		if (!na) {
			s->oom = true;
			return;
		}
		*arr = na;
		*cap = ncap;
	}
	(*arr)[*n].name = xstrdup(s, name);
	(*arr)[*n].hosts = 1;
	(*n)++;
}

/* True the first time (tag, dim, gidx, name, ip) is seen. */
static bool first_seen(struct summary *s, char tag, int dim, size_t gidx, const char *name,
		       const ProtobufCBinaryData *ip)
{
	struct kbuf k;
	bool created = false;

	kinit(&k);
	kput(&k, &tag, 1);
	kint(&k, (uint64_t)dim);
	kint(&k, gidx);
	kstr(&k, name);
	kput(&k, ip->data, ip->len);
	if (k.oom || !ht_get(&s->ht, k.b, k.n, &created))
		s->oom = true;
	kfree(&k);
	return created;
}

static void host_flags(struct summary *s, int dim, size_t gidx, const ProtobufCBinaryData *ip,
		       unsigned flags)
{
	struct kbuf k;
	struct sum_group *g = &s->dims[dim].groups[gidx];
	bool created;
	uint64_t *v, old;

	kinit(&k);
	kput(&k, "H", 1);
	kint(&k, (uint64_t)dim);
	kint(&k, gidx);
	kput(&k, ip->data, ip->len);
	v = k.oom ? NULL : ht_get(&s->ht, k.b, k.n, &created);
	kfree(&k);
	if (!v) {
		s->oom = true;
		return;
	}
	old = *v;
	*v |= flags;
	if (!(old & HF_PROBED) && (*v & HF_PROBED))
		g->hosts++;
	if (!(old & HF_TLS) && (*v & HF_TLS))
		g->hosts_tls++;
	if (!(old & HF_INTERCEPTED) && (*v & HF_INTERCEPTED))
		g->hosts_intercepted++;
}

static const char *cert_issuer_name(const Tlsmap__V1__Certificate *c)
{
	if (c->issuer_cn && *c->issuer_cn)
		return c->issuer_cn;
	if (c->issuer_o && *c->issuer_o)
		return c->issuer_o;
	if (c->issuer && *c->issuer)
		return c->issuer;
	return "(issuer unknown)";
}

static void add_cert(struct summary *s, const Tlsmap__V1__Certificate *c)
{
	struct kbuf k;
	bool created;
	uint64_t *v;

	kinit(&k);
	kput(&k, "C", 1);
	kput(&k, c->sha256.data, c->sha256.len);
	v = k.oom ? NULL : ht_get(&s->ht, k.b, k.n, &created);
	kfree(&k);
	if (!v) {
		s->oom = true;
		return;
	}
	if (!created)
		return;
	if (s->nnames == s->cap_names) {
		size_t ncap = s->cap_names ? s->cap_names * 2 : 64;
		char **nn = realloc(s->names, ncap * sizeof(*nn));

		if (!nn) {
			s->oom = true;
			return;
		}
		s->names = nn;
		s->cap_names = ncap;
	}
	s->names[s->nnames] = xstrdup(s, cert_issuer_name(c));
	*v = s->nnames++;
}

static const char *leaf_issuer(struct summary *s, const Tlsmap__V1__Probe *p)
{
	const char *name = "(certificate not in dataset)";
	struct kbuf k;
	size_t i;

	if (p->n_chain == 0)
		return NULL;
	kinit(&k);
	kput(&k, "C", 1);
	kput(&k, p->chain[0].data, p->chain[0].len);
	if (k.oom)
		s->oom = true;
	/* Lookup without insert: probe the table directly. */
	if (s->ht.cap && !k.oom) {
		uint64_t h = hash_bytes(k.b, k.n);

		for (i = h & (s->ht.cap - 1); s->ht.slots[i].key; i = (i + 1) & (s->ht.cap - 1)) {
			struct ht_slot *sl = &s->ht.slots[i];

			if (sl->hash == h && sl->klen == k.n && memcmp(sl->key, k.b, k.n) == 0) {
				name = s->names[sl->val];
				break;
			}
		}
	}
	kfree(&k);
	return name;
}

/* The router before the interceptor as text; false when none answered. */
static bool hop_text(const Tlsmap__V1__Probe *p, char *buf, size_t len)
{
	if (p->hop_before_interceptor.len == 4)
		return inet_ntop(AF_INET, p->hop_before_interceptor.data, buf, (socklen_t)len);
	if (p->hop_before_interceptor.len == 16)
		return inet_ntop(AF_INET6, p->hop_before_interceptor.data, buf, (socklen_t)len);
	return false;
}

static void add_probe(struct summary *s, const Tlsmap__V1__Probe *p)
{
	char *key;
	const char *issuer = leaf_issuer(s, p);
	const char *sni = p->sni && *p->sni ? p->sni : "(no SNI)";
	bool tls = p->tls == TLSMAP__V1__TLS_OUTCOME__TLS_CERTIFICATE;
	bool icpt = p->verdict == TLSMAP__V1__VERDICT__VERDICT_INTERCEPTED;
	unsigned flags = HF_PROBED | (tls ? HF_TLS : 0) | (icpt ? HF_INTERCEPTED : 0);

	const char *cc = p->country && *p->country ? p->country : "??";
	const char *org = p->as_org ? p->as_org : "";
	for (int dim = 0; dim < SUM_NDIMS; dim++) {
		struct sum_group *g;
		size_t gidx;

		switch (dim) {
		case SUM_BY_COUNTRY:
			g = group_get(s, dim, cc, cc, 0, "", &gidx);
			break;
		case SUM_BY_ASN:
			key = malloc(strlen(cc) + 12);
			if (!key) {
				s->oom = true;
				return;
			}
			sprintf(key, "%s %u", cc, p->asn);
			g = group_get(s, dim, key, cc, p->asn, org, &gidx);
			free(key);
			break;
		case SUM_BY_ISSUER:
			if (!issuer)
				continue;
			g = group_get(s, dim, issuer, "", 0, "", &gidx);
			break;
		case SUM_BY_SNI:
			g = group_get(s, dim, sni, "", 0, "", &gidx);
			break;
		case SUM_BY_HOP: {
			char hop[INET6_ADDRSTRLEN];

			if (!icpt || !p->localized || !hop_text(p, hop, sizeof(hop)))
				continue;
			g = group_get(s, dim, hop, p->hop_country ? p->hop_country : "", p->hop_asn,
				      "", &gidx);
			break;
		}
		case SUM_BY_VANTAGE: {
			const char *v = p->vantage && *p->vantage ? p->vantage : s->file_vantage;

			g = group_get(s, dim, v && *v ? v : "-", "", 0, "", &gidx);
			break;
		}
		default:
			g = group_get(s, dim, "all", "", 0, "", &gidx);
			break;
		}
		if (!g)
			return;
		g->probes++;
		host_flags(s, dim, gidx, &p->ip, flags);
		g = &s->dims[dim].groups[gidx];
		if (icpt) {
			const char *iss = issuer ? issuer : "(no certificate)";

			if (first_seen(s, 'I', dim, gidx, iss, &p->ip))
				count_add(s, &g->issuers, &g->nissuers, &g->cap_issuers, iss);
			if (first_seen(s, 'D', dim, gidx, sni, &p->ip))
				count_add(s, &g->domains, &g->ndomains, &g->cap_domains, sni);
		}
	}
}

/* Cut a string kept in memory to SUM_META_STR bytes (on a UTF-8 boundary). */
static void trim_str(char **sp)
{
	char *p = *sp, *q;
	size_t n = strlen(p);

	if (n <= SUM_META_STR)
		return;
	n = SUM_META_STR - 3;
	while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
		n--;
	memcpy(p + n, "...", 4);
	q = realloc(p, n + 4); /* the reader's allocator is malloc underneath */
	if (q)
		*sp = q;
}

/*
 * Trim a message kept beyond its record's lifetime: repeated fields to
 * SUM_META_KEEP elements, strings to SUM_META_STR bytes, nested messages
 * likewise. Walks the descriptor, so fields added to the schema later are
 * bounded too.
 */
static void trim_message(ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		void *member = (char *)m + fd->offset;

		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t *n = (size_t *)((char *)m + fd->quantifier_offset);
			void **arr = *(void ***)member;

			if (fd->type == PROTOBUF_C_TYPE_STRING) {
				for (size_t k = SUM_META_KEEP; k < *n; k++)
					free(arr[k]);
			} else if (fd->type == PROTOBUF_C_TYPE_BYTES) {
				ProtobufCBinaryData *b = *(ProtobufCBinaryData **)member;

				for (size_t k = SUM_META_KEEP; k < *n; k++)
					free(b[k].data);
			} else if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
				for (size_t k = SUM_META_KEEP; k < *n; k++)
					protobuf_c_message_free_unpacked(arr[k], NULL);
			}
			if (*n > SUM_META_KEEP)
				*n = SUM_META_KEEP; /* the array's tail stays allocated: bounded */
			for (size_t k = 0; k < *n; k++) {
				if (fd->type == PROTOBUF_C_TYPE_STRING)
					trim_str((char **)&arr[k]);
				else if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
					trim_message(arr[k]);
			}
		} else if (fd->type == PROTOBUF_C_TYPE_STRING) {
			char **sp = member;

			if (*sp && **sp)
				trim_str(sp);
		} else if (fd->type == PROTOBUF_C_TYPE_MESSAGE && *(void **)member) {
			trim_message(*(ProtobufCMessage **)member);
		}
	}
}

static void keep_meta(struct sum_file *f, Tlsmap__V1__Record *rec)
{
	Tlsmap__V1__ScanMeta *m = rec->meta;

	f->meta_n.targets = m->n_targets;
	f->meta_n.ports = m->n_ports;
	f->meta_n.snis = m->n_snis;
	f->meta_n.countries = m->n_countries;
	f->meta_n.merged_shard_indexes = m->n_merged_shard_indexes;
	trim_message(&m->base);
	f->meta = rec;
}

int sum_add_file(struct summary *s, const char *path, char *err, size_t errlen)
{
	struct sum_file *f;
	struct out_reader *r;
	Tlsmap__V1__Record *rec;
	int e, ret;

	if (s->nfiles == s->cap_files) {
		size_t ncap = s->cap_files ? s->cap_files * 2 : 4;
		struct sum_file *nf = realloc(s->files, ncap * sizeof(*nf));

		if (!nf)
			return OUT_ENOMEM;
		s->files = nf;
		s->cap_files = ncap;
	}
	r = out_reader_open(path, &e);
	if (!r) {
		snprintf(err, errlen, "%s: %s%s%s", path, out_strerror(e), e == OUT_EIO ? ": " : "",
			 e == OUT_EIO ? strerror(errno) : "");
		return e;
	}
	f = &s->files[s->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(s, path);
	s->file_vantage = NULL;
	while ((ret = out_reader_next(r, &rec)) == 1) {
		f->records++;
		switch (rec->kind_case) {
		case TLSMAP__V1__RECORD__KIND_META:
			if (!f->meta) {
				keep_meta(f, rec);
				s->file_vantage = rec->meta->vantage;
				rec = NULL;
			}
			break;
		case TLSMAP__V1__RECORD__KIND_CERTIFICATE:
			f->certs++;
			add_cert(s, rec->certificate);
			break;
		case TLSMAP__V1__RECORD__KIND_PROBE:
			f->probes++;
			add_probe(s, rec->probe);
			break;
		case TLSMAP__V1__RECORD__KIND_END:
			out_record_free(f->end);
			trim_message(&rec->end->base);
			f->end = rec;
			rec = NULL;
			break;
		default:
			break; /* a record kind from a newer schema */
		}
		out_record_free(rec);
	}
	f->status = ret < 0 ? ret : (f->end ? 0 : 1);
	f->bad_offset = out_reader_offset(r);
	out_reader_close(r);
	if (out_file_sha256(path, f->sha256) != OUT_OK)
		memset(f->sha256, 0, sizeof(f->sha256));
	if (s->oom) {
		snprintf(err, errlen, "%s: out of memory", path);
		return OUT_ENOMEM;
	}
	if (ret == OUT_ECORRUPT || ret == OUT_EIO || ret == OUT_EEXPAND) {
		snprintf(err, errlen, "%s: %s at byte offset %llu", path, out_strerror(ret),
			 (unsigned long long)f->bad_offset);
		return ret;
	}
	return OUT_OK;
}

void sum_wilson(uint64_t x, uint64_t n, double *lo, double *hi)
{
	const double z = 1.959963984540054;
	double p, denom, centre, half;

	if (n == 0) {
		*lo = 0;
		*hi = 1;
		return;
	}
	p = (double)x / (double)n;
	denom = 1 + z * z / (double)n;
	centre = (p + z * z / (2.0 * (double)n)) / denom;
	half = z * sqrt(p * (1 - p) / (double)n + z * z / (4.0 * (double)n * (double)n)) / denom;
	*lo = centre - half < 0 ? 0 : centre - half;
	*hi = centre + half > 1 ? 1 : centre + half;
	if (x == 0)
		*lo = 0;
	if (x == n)
		*hi = 1;
}

static int cmp_count(const void *a, const void *b)
{
	const struct sum_count *x = a, *y = b;

	if (x->hosts != y->hosts)
		return x->hosts > y->hosts ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_group(const void *a, const void *b)
{
	const struct sum_group *x = a, *y = b;

	if (x->hosts_intercepted != y->hosts_intercepted)
		return x->hosts_intercepted > y->hosts_intercepted ? -1 : 1;
	if (x->hosts != y->hosts)
		return x->hosts > y->hosts ? -1 : 1;
	return strcmp(x->key, y->key);
}

void sum_finish(struct summary *s)
{
	for (int d = 0; d < SUM_NDIMS; d++) {
		struct dim *dm = &s->dims[d];

		for (size_t i = 0; i < dm->n; i++) {
			struct sum_group *g = &dm->groups[i];

			g->rate = g->hosts_tls ? (double)g->hosts_intercepted / (double)g->hosts_tls
					       : 0;
			sum_wilson(g->hosts_intercepted, g->hosts_tls, &g->ci_low, &g->ci_high);
			/* qsort(NULL, 0, ...) is undefined behaviour (C11 7.22.5) */
			if (g->nissuers)
				qsort(g->issuers, g->nissuers, sizeof(*g->issuers), cmp_count);
			if (g->ndomains)
				qsort(g->domains, g->ndomains, sizeof(*g->domains), cmp_count);
		}
		/* The group index map in the hash table is stale after this: done adding. */
		if (dm->n)
			qsort(dm->groups, dm->n, sizeof(*dm->groups), cmp_group);
	}
}

const struct sum_group *sum_groups(const struct summary *s, enum sum_by by, size_t *n)
{
	*n = s->dims[by].n;
	return s->dims[by].groups;
}

const struct sum_group *sum_group_find(const struct summary *s, enum sum_by by, const char *key)
{
	size_t n;
	const struct sum_group *g = sum_groups(s, by, &n);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(g[i].key, key))
			return &g[i];
	return NULL;
}

const struct sum_group *sum_total(const struct summary *s)
{
	static const struct sum_group empty = {.key = "all", .cc = "", .as_org = "", .ci_high = 1};

	return s->dims[SUM_BY_ALL].n ? &s->dims[SUM_BY_ALL].groups[0] : &empty;
}

const struct sum_file *sum_files(const struct summary *s, size_t *n)
{
	*n = s->nfiles;
	return s->files;
}

/* ---- printing ---- */

static const char *dim_title(enum sum_by by)
{
	switch (by) {
	case SUM_BY_COUNTRY:
		return "country";
	case SUM_BY_ASN:
		return "asn";
	case SUM_BY_ISSUER:
		return "issuer";
	case SUM_BY_SNI:
		return "sni";
	case SUM_BY_HOP:
		return "router_before_interceptor";
	case SUM_BY_VANTAGE:
		return "vantage";
	default:
		return "group";
	}
}

/* "a (3), b (1)" of at most @max items; "-" when empty. */
static void join_counts(char *buf, size_t len, const struct sum_count *c, size_t n, size_t max,
			const char *sep, bool with_counts)
{
	size_t o = 0;

	buf[0] = '\0';
	if (n == 0) {
		snprintf(buf, len, "-");
		return;
	}
	for (size_t i = 0; i < n && i < max && o < len; i++) {
		int k = with_counts ? snprintf(buf + o, len - o, "%s%s (%llu)", i ? sep : "",
					       c[i].name, (unsigned long long)c[i].hosts)
				    : snprintf(buf + o, len - o, "%s%s", i ? sep : "", c[i].name);
		if (k < 0)
			break;
		o += (size_t)k;
	}
	if (n > max && o < len)
		snprintf(buf + o, len - o, "%s+%zu more", sep, n - max);
}

static void group_label(char *buf, size_t len, const struct sum_group *g, enum sum_by by)
{
	if (by == SUM_BY_ASN)
		snprintf(buf, len, "%s AS%u %s", g->cc, g->asn, g->as_org);
	else if (by == SUM_BY_HOP)
		snprintf(buf, len, "%s (%s AS%u)", g->key, g->cc[0] ? g->cc : "??", g->asn);
	else
		snprintf(buf, len, "%s", g->key);
}

static void pct(char *buf, size_t len, const struct sum_group *g, bool ci)
{
	if (!g->hosts_tls)
		snprintf(buf, len, "-");
	else if (ci)
		snprintf(buf, len, "%.1f-%.1f%%", 100 * g->ci_low, 100 * g->ci_high);
	else
		snprintf(buf, len, "%.1f%%", 100 * g->rate);
}

void sum_print_table(FILE *f, const struct summary *s, enum sum_by by)
{
	size_t n, w = strlen(dim_title(by));
	const struct sum_group *gs = sum_groups(s, by, &n);
	const struct sum_group *tot = sum_total(s);
	char label[512], iss[512], dom[512], r[32], ci[32];

	for (size_t i = 0; i < n; i++) {
		group_label(label, sizeof(label), &gs[i], by);
		if (strlen(label) > w)
			w = strlen(label);
	}
	if (w > 48)
		w = 48;
	fprintf(f, "%-*s %7s %7s %11s %7s %13s  %-s | %s\n", (int)w, dim_title(by), "hosts", "tls",
		"intercepted", "rate", "95% CI", "forging issuers (hosts)", "domains forged");
	for (size_t i = 0; i <= n; i++) {
		const struct sum_group *g = i < n ? &gs[i] : tot;

		if (i == n)
			snprintf(label, sizeof(label), "total");
		else
			group_label(label, sizeof(label), g, by);
		join_counts(iss, sizeof(iss), g->issuers, g->nissuers, 3, ", ", true);
		join_counts(dom, sizeof(dom), g->domains, g->ndomains, 5, ", ", false);
		pct(r, sizeof(r), g, false);
		pct(ci, sizeof(ci), g, true);
		fprintf(f, "%-*.*s %7llu %7llu %11llu %7s %13s  %s | %s\n", (int)w, (int)w, label,
			(unsigned long long)g->hosts, (unsigned long long)g->hosts_tls,
			(unsigned long long)g->hosts_intercepted, r, ci, iss, dom);
	}
}

static void csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\n\r")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
}

void sum_csv_field(FILE *f, const char *s)
{
	csv_field(f, s);
}

void sum_print_csv(FILE *f, const struct summary *s, enum sum_by by)
{
	size_t n;
	const struct sum_group *gs = sum_groups(s, by, &n);
	char iss[4096], dom[4096];

	fprintf(f,
		"%s,country,asn,as_org,hosts,hosts_tls,hosts_intercepted,rate,ci_low,ci_high,"
		"forging_issuers,domains_forged\n",
		dim_title(by));
	for (size_t i = 0; i < n; i++) {
		const struct sum_group *g = &gs[i];

		csv_field(f, g->key);
		fputc(',', f);
		csv_field(f, g->cc);
		fprintf(f, ",%u,", g->asn);
		csv_field(f, g->as_org);
		fprintf(f, ",%llu,%llu,%llu,%.6f,%.6f,%.6f,", (unsigned long long)g->hosts,
			(unsigned long long)g->hosts_tls, (unsigned long long)g->hosts_intercepted,
			g->rate, g->ci_low, g->ci_high);
		join_counts(iss, sizeof(iss), g->issuers, g->nissuers, SIZE_MAX, ";", true);
		join_counts(dom, sizeof(dom), g->domains, g->ndomains, SIZE_MAX, ";", false);
		csv_field(f, g->nissuers ? iss : "");
		fputc(',', f);
		csv_field(f, g->ndomains ? dom : "");
		fputc('\n', f);
	}
}

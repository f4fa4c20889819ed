/* SPDX-License-Identifier: MIT */
/*
 * tlsmap diff OLD NEW: what changed between two scans (two sweeps of the
 * same targets): the networks (country + ASN, as `summary --by asn`) and the
 * hosts that started or stopped being intercepted, and the forging issuers
 * and forged domains that are new or have vanished.
 *
 * "Started" and "stopped" compare like with like: a network or host counts
 * only when both scans measured it (at least one host, or the host itself,
 * answered TLS); one intercepted in one scan and not measured in the other
 * is listed as "unmeasured", since a host that stopped answering says
 * nothing about interception. Networks, issuers and domains come from the
 * summary library (the same groups and names as `tlsmap summary`); hosts
 * from one pass over each file's probes with the summary's definitions
 * (TLS = a certificate captured, intercepted = a VERDICT_INTERCEPTED probe),
 * kept in an open-addressing table of IPv4 hosts (IPv6 probes are counted
 * and skipped: the scanner sends IPv4 only).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/out.h"
#include "output/summary.h"
#include "scanner/cli.h"

#define CMD "diff"
#define DIFF_TABLE_ROWS 50 /* per section in the table; --csv lists all */

static const char usage_text[] =
	"usage: tlsmap diff [--csv] OLD NEW\n"
	"What changed from the scan OLD to the scan NEW (two datasets of the same\n"
	"targets, e.g. two dates of a sweep):\n"
	"  networks (country + ASN) and hosts that started or stopped being\n"
	"  intercepted (both scans must have measured them: TLS answered), those\n"
	"  intercepted in one scan and not measured in the other (unmeasured),\n"
	"  forging issuers and forged domains that are new or vanished.\n"
	"  --csv        one line per change: change,kind,key,country,asn,as_org,\n"
	"               old_hosts_tls,old_intercepted,new_hosts_tls,new_intercepted\n"
	"               (the table shows at most 50 lines per section)\n"
	"  -h, --help   this text\n";

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

struct side {
	const char *path;
	struct summary *sum;
	struct host_table hosts;
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

/* One pass over @s->path: the summary (networks, issuers, domains) and the hosts. */
static int load(struct side *s)
{
	char err[512];
	struct out_reader *r;
	Tlsmap__V1__Record *rec;
	int e;

	s->sum = sum_new();
	if (!s->sum)
		return 1;
	if (sum_add_file(s->sum, s->path, err, sizeof(err)) != OUT_OK) {
		fprintf(stderr, "tlsmap diff: %s\n", err);
		return CLI_EUSAGE; /* not a dataset we can read: bad input */
	}
	sum_finish(s->sum);
	r = out_reader_open(s->path, &e);
	if (!r) {
		fprintf(stderr, "tlsmap diff: %s: %s\n", s->path, out_strerror(e));
		return 1;
	}
	while ((e = out_reader_next(r, &rec)) == 1) {
		const Tlsmap__V1__Probe *p = rec->probe;

		if (rec->kind_case == TLSMAP__V1__RECORD__KIND_PROBE && p) {
			if (p->ip.len != 4) {
				s->hosts.skipped_v6++;
			} else {
				uint32_t ip = (uint32_t)p->ip.data[0] << 24 |
					      (uint32_t)p->ip.data[1] << 16 |
					      (uint32_t)p->ip.data[2] << 8 | p->ip.data[3];
				struct host *h = ip ? ht_add(&s->hosts, ip) : NULL;

				if (ip && !h) {
					out_record_free(rec);
					out_reader_close(r);
					fprintf(stderr, "tlsmap diff: %s: out of memory\n",
						s->path);
					return 1;
				}
				if (h) {
					if (p->tls == TLSMAP__V1__TLS_OUTCOME__TLS_CERTIFICATE)
						h->flags |= HOST_TLS;
					if (p->verdict == TLSMAP__V1__VERDICT__VERDICT_INTERCEPTED)
						h->flags |= HOST_INTERCEPTED;
					h->asn = p->asn;
					snprintf(h->cc, sizeof(h->cc), "%s",
						 p->country && *p->country ? p->country : "??");
				}
			}
		}
		out_record_free(rec);
	}
	out_reader_close(r);
	if (e < 0) /* the summary already warned about truncation; hosts up to there count */
		fprintf(stderr, "tlsmap diff: warning: %s: %s; comparing its complete records\n",
			s->path, out_strerror(e));
	return 0;
}

struct change {
	const char *change; /* started, stopped, unmeasured, new, vanished */
	const char *kind;   /* network, host, issuer, domain */
	char key[160];
	const char *cc, *as_org;
	uint32_t asn;
	uint32_t ip; /* hosts: the address, for sorting */
	uint64_t old_tls, old_icpt, new_tls, new_icpt;
};

struct changes {
	struct change *v;
	size_t n, cap;
};

static struct change *push(struct changes *c)
{
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct change *nv = realloc(c->v, ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		c->v = nv;
		c->cap = ncap;
	}
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	return &c->v[c->n++];
}

static const struct sum_group *find_group(const struct summary *s, enum sum_by by, const char *key)
{
	size_t n;
	const struct sum_group *g = sum_groups(s, by, &n);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(g[i].key, key))
			return &g[i];
	return NULL;
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

static int diff_networks(const struct side *o, const struct side *n, struct changes *out)
{
	for (int pass = 0; pass < 2; pass++) { /* OLD's networks, then those only in NEW */
		const struct summary *a = pass ? n->sum : o->sum, *b = pass ? o->sum : n->sum;
		size_t cnt;
		const struct sum_group *g = sum_groups(a, SUM_BY_ASN, &cnt);

		for (size_t i = 0; i < cnt; i++) {
			const struct sum_group *other = find_group(b, SUM_BY_ASN, g[i].key);
			const struct sum_group *og = pass ? other : &g[i],
					       *ng = pass ? &g[i] : other;
			const char *what;
			struct change *c;

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
	const struct change *x = a, *y = b;
	int k = strcmp(x->change, y->change);

	if (k)
		return k;
	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

static int diff_hosts(const struct side *o, const struct side *n, struct changes *out)
{
	size_t first = out->n;

	for (int pass = 0; pass < 2; pass++) {
		const struct host_table *a = pass ? &n->hosts : &o->hosts,
					*b = pass ? &o->hosts : &n->hosts;

		for (size_t i = 0; i < a->cap; i++) {
			const struct host *h = &a->slots[i], *other;
			const struct host *oh, *nh;
			const char *what;
			struct change *c;

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

/* new / vanished names between the "all" groups' issuer (or domain) lists */
static int diff_names(const struct side *o, const struct side *n, bool domains, struct changes *out)
{
	const struct sum_group *ga = sum_total(o->sum), *gb = sum_total(n->sum);

	for (int pass = 0; pass < 2; pass++) {
		const struct sum_group *a = pass ? gb : ga, *b = pass ? ga : gb;
		const struct sum_count *va = a ? (domains ? a->domains : a->issuers) : NULL;
		size_t na = a ? (domains ? a->ndomains : a->nissuers) : 0;
		const struct sum_count *vb = b ? (domains ? b->domains : b->issuers) : NULL;
		size_t nb = b ? (domains ? b->ndomains : b->nissuers) : 0;

		for (size_t i = 0; i < na; i++) {
			struct change *c;

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

static void print_csv(FILE *f, const struct changes *c)
{
	fputs("change,kind,key,country,asn,as_org,old_hosts_tls,old_intercepted,new_hosts_tls,"
	      "new_intercepted\n",
	      f);
	for (size_t i = 0; i < c->n; i++) {
		const struct change *x = &c->v[i];
		fprintf(f, "%s,%s,", x->change, x->kind);
		sum_csv_field(f, x->key);
		fputc(',', f);
		sum_csv_field(f, x->cc);
		fprintf(f, ",%u,", x->asn);
		sum_csv_field(f, x->as_org);
		fprintf(f, ",%llu,%llu,%llu,%llu\n", (unsigned long long)x->old_tls,
			(unsigned long long)x->old_icpt, (unsigned long long)x->new_tls,
			(unsigned long long)x->new_icpt);
	}
}

static void print_section(FILE *f, const struct changes *c, const char *kind, const char *change,
			  const char *title)
{
	size_t n = 0, shown = 0;

	for (size_t i = 0; i < c->n; i++)
		n += !strcmp(c->v[i].kind, kind) && !strcmp(c->v[i].change, change);
	fprintf(f, "%s (%zu)\n", title, n);
	for (size_t i = 0; i < c->n && shown < DIFF_TABLE_ROWS; i++) {
		const struct change *x = &c->v[i];

		if (strcmp(x->kind, kind) || strcmp(x->change, change))
			continue;
		shown++;
		if (!strcmp(kind, "network"))
			fprintf(f,
				"  %-3s AS%-10u %-32.32s hosts with TLS %llu -> %llu, intercepted "
				"%llu -> %llu\n",
				x->cc, x->asn, x->as_org, (unsigned long long)x->old_tls,
				(unsigned long long)x->new_tls, (unsigned long long)x->old_icpt,
				(unsigned long long)x->new_icpt);
		else if (!strcmp(kind, "host"))
			fprintf(f, "  %-15s %-3s AS%u\n", x->key, x->cc, x->asn);
		else
			fprintf(f, "  %s (%llu hosts)\n", x->key,
				(unsigned long long)(x->old_icpt + x->new_icpt));
	}
	if (n > shown)
		fprintf(f, "  ... and %zu more (--csv lists all)\n", n - shown);
}

static void print_table(FILE *f, const struct changes *c, const struct side *o,
			const struct side *n)
{
	fprintf(f, "tlsmap diff %s -> %s\n", o->path, n->path);
	print_section(f, c, "network", "stopped", "networks that stopped being intercepted");
	print_section(f, c, "network", "started", "networks that started being intercepted");
	print_section(f, c, "network", "unmeasured",
		      "networks intercepted in one scan, not measured in the other");
	print_section(f, c, "host", "stopped", "hosts that stopped being intercepted");
	print_section(f, c, "host", "started", "hosts that started being intercepted");
	print_section(f, c, "host", "unmeasured",
		      "hosts intercepted in one scan, not measured in the other");
	print_section(f, c, "issuer", "new", "new forging issuers");
	print_section(f, c, "issuer", "vanished", "vanished forging issuers");
	print_section(f, c, "domain", "new", "newly forged domains");
	print_section(f, c, "domain", "vanished", "domains no longer forged");
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{"csv", no_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct side side[2] = {{0}, {0}};
	struct changes ch = {0};
	bool csv = false;
	struct cli_getopt g = {.cmd = CMD, .shortopts = "h", .longopts = opts};
	int c, ret = 1;

	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_OPT_REPEATED:
			return CLI_EUSAGE;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'c':
			csv = true;
			break;
		default:
			return cli_bad_option(CMD, argc, argv);
		}
	}
	if (argc - optind != 2) {
		cli_usage_error(CMD, "expected two datasets, OLD and NEW (got %d)", argc - optind);
		return CLI_EUSAGE;
	}
	side[0].path = argv[optind];
	side[1].path = argv[optind + 1];
	if ((ret = load(&side[0])) || (ret = load(&side[1])))
		goto out;
	ret = 1;
	if (diff_networks(&side[0], &side[1], &ch) || diff_hosts(&side[0], &side[1], &ch) ||
	    diff_names(&side[0], &side[1], false, &ch) ||
	    diff_names(&side[0], &side[1], true, &ch)) {
		fprintf(stderr, "tlsmap diff: out of memory\n");
		goto out;
	}
	for (int k = 0; k < 2; k++)
		if (side[k].hosts.skipped_v6)
			fprintf(stderr,
				"tlsmap diff: note: %s: %llu IPv6 probes not compared by host\n",
				side[k].path, (unsigned long long)side[k].hosts.skipped_v6);
	if (csv)
		print_csv(stdout, &ch);
	else
		print_table(stdout, &ch, &side[0], &side[1]);
	ret = fflush(stdout) == 0 ? 0 : 1;
out:
	for (int k = 0; k < 2; k++) {
		if (side[k].sum)
			sum_free(side[k].sum);
		free(side[k].hosts.slots);
	}
	free(ch.v);
	return ret;
}

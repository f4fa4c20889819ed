/* SPDX-License-Identifier: MIT */
/*
 * Summary arithmetic and grouping: Wilson intervals against reference
 * values, the synthetic lab's ground truth per country, ASN, issuer and
 * SNI, hosts counted once across files (the same file twice, or two
 * shards), and incomplete files summarised with their status.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/out.h"
#include "output/summary.h"
#include "output_testdata.h"
#include "test.h"

static bool near(double a, double b)
{
	return fabs(a - b) < 5e-4;
}

static void check_lab(const struct summary *s)
{
	const struct sum_group *kz = sum_group_find(s, SUM_BY_COUNTRY, "KZ");
	const struct sum_group *de = sum_group_find(s, SUM_BY_COUNTRY, "DE");
	const struct sum_group *as = sum_group_find(s, SUM_BY_ASN, "KZ 9198");
	const struct sum_group *iq = sum_group_find(s, SUM_BY_ISSUER, "Qaznet Trust Network");
	const struct sum_group *tw = sum_group_find(s, SUM_BY_SNI, "twitter.com");
	const struct sum_group *ctl = sum_group_find(s, SUM_BY_SNI, "control.example");
	const struct sum_group *tot = sum_total(s);
	size_t n;

	sum_groups(s, SUM_BY_COUNTRY, &n);
	CHECK(n == 4);
	CHECK(kz && kz->hosts == 12 && kz->hosts_tls == 11 && kz->hosts_intercepted == 8);
	CHECK(kz && kz->nissuers == 1 && !strcmp(kz->issuers[0].name, "Qaznet Trust Network") &&
	      kz->issuers[0].hosts == 8);
	CHECK(kz && kz->ndomains == 2 && kz->domains[0].hosts == 8);
	CHECK(kz == sum_groups(s, SUM_BY_COUNTRY, &n)); /* most intercepted first */
	CHECK(de && de->hosts == 10 && de->hosts_tls == 9 && de->hosts_intercepted == 0 &&
	      de->rate == 0 && de->nissuers == 0);
	CHECK(as && as->asn == 9198 && !strcmp(as->as_org, "JSC Kazakhtelecom") &&
	      !strcmp(as->cc, "KZ") && as->hosts_intercepted == 8 && near(as->rate, 0.8));
	CHECK(iq && iq->hosts == 8 && iq->hosts_intercepted == 8 && iq->ndomains == 2);
	CHECK(tw && tw->hosts_intercepted == 1 && tw->nissuers == 1 &&
	      !strcmp(tw->issuers[0].name, "Russian Trusted Sub CA"));
	CHECK(ctl && ctl->hosts_intercepted == 0 && ctl->hosts == 40);
	CHECK(tot->hosts == 40 && tot->hosts_tls == 38 && tot->hosts_intercepted == 9);
	/* --by hop: the routers before the interceptors */
	const struct sum_group *r2 = sum_group_find(s, SUM_BY_HOP, "198.19.200.2");
	const struct sum_group *r6 = sum_group_find(s, SUM_BY_HOP, "198.19.200.6");
	sum_groups(s, SUM_BY_HOP, &n);
	CHECK(n == 2);
	CHECK(r2 && r2->hosts_intercepted == 8 && !strcmp(r2->cc, "KZ") && r2->asn == 9198 &&
	      r2->nissuers == 1);
	CHECK(r6 && r6->hosts_intercepted == 1 && !strcmp(r6->cc, "RU") && r6->asn == 12389);
}

/*
 * Issue 12 #12: two forging issuers whose names share their first 1,100
 * bytes are two groups (keys were cut at 1,024 bytes, merging them).
 */
static void long_issuers(const char *dir)
{
	char path[256], err[256], name[2][1200];
	struct td_arena *a = td_arena_new();
	Tlsmap__V1__ScanMeta meta;
	Tlsmap__V1__Certificate cert[2];
	Tlsmap__V1__Probe probe[2];
	struct out_writer *w;
	struct summary *s;
	const struct sum_group *g;
	size_t n;

	snprintf(path, sizeof(path), "%s/long.tlsmap", dir);
	w = out_writer_open(path);
	CHECK(w != NULL);
	if (!w)
		return;
	td_full_meta(a, &meta, 0);
	CHECK(out_write_meta(w, &meta) == OUT_OK);
	for (int i = 0; i < 2; i++) {
		memset(name[i], 'A', 1100);
		snprintf(name[i] + 1100, 100, " issuer %s", i ? "two" : "one");
		td_full_cert(a, &cert[i], 7 + (unsigned)i, 100);
		cert[i].issuer_cn = name[i];
		td_full_probe(a, &probe[i], 7 + (unsigned)i); /* chain[0] = cert[i].sha256 */
		probe[i].tls = TLSMAP__V1__TLS_OUTCOME__TLS_CERTIFICATE;
		probe[i].verdict = TLSMAP__V1__VERDICT__VERDICT_INTERCEPTED;
		CHECK(out_write_cert(w, &cert[i]) == OUT_OK);
		CHECK(out_write_probe(w, &probe[i]) == OUT_OK);
	}
	CHECK(out_writer_close(w, NULL) == OUT_OK);
	s = sum_new();
	CHECK(sum_add_file(s, path, err, sizeof(err)) == 0);
	sum_finish(s);
	g = sum_groups(s, SUM_BY_ISSUER, &n);
	CHECK(n == 2);
	for (size_t i = 0; i < n && n == 2; i++)
		CHECK(g[i].hosts == 1 && g[i].hosts_intercepted == 1 && strlen(g[i].key) > 1100);
	CHECK(sum_group_find(s, SUM_BY_ISSUER, name[0]) &&
	      sum_group_find(s, SUM_BY_ISSUER, name[1]));
	g = sum_total(s);
	CHECK(g->hosts_intercepted == 2 && g->nissuers == 2); /* the issuer list too */
	sum_free(s);
	td_arena_free(a);
}

int main(void)
{
	char dir[128], a[256], b0[256], b1[256], cut[256], cmd[600], err[256];
	double lo, hi;
	struct summary *s;
	size_t nf;
	const struct sum_file *fs;

	/* Reference values (Wilson 1927, z = 1.96). */
	sum_wilson(8, 11, &lo, &hi);
	CHECK(near(lo, 0.4344) && near(hi, 0.9025));
	sum_wilson(0, 10, &lo, &hi);
	CHECK(lo == 0 && near(hi, 0.2775));
	sum_wilson(10, 10, &lo, &hi);
	CHECK(near(lo, 0.7225) && hi == 1);
	sum_wilson(0, 0, &lo, &hi);
	CHECK(lo == 0 && hi == 1);
	sum_wilson(500, 1000, &lo, &hi);
	CHECK(near(lo, 0.4691) && near(hi, 0.5309));

	if (!test_tmpdir(dir, sizeof(dir), "sum"))
		return 1;
	snprintf(a, sizeof(a), "%s/a.tlsmap", dir);
	snprintf(b0, sizeof(b0), "%s/b0.tlsmap", dir);
	snprintf(b1, sizeof(b1), "%s/b1.tlsmap", dir);
	snprintf(cut, sizeof(cut), "%s/cut.tlsmap", dir);
	CHECK(td_write_lab(a, 0, 1, 1, 42) == 0);
	CHECK(td_write_lab(b0, 0, 2, 1, 42) == 0);
	CHECK(td_write_lab(b1, 1, 2, 0, 42) == 0);

	s = sum_new();
	CHECK(sum_add_file(s, a, err, sizeof(err)) == 0);
	CHECK(sum_add_file(s, a, err, sizeof(err)) == 0); /* same hosts again: no change */
	sum_finish(s);
	check_lab(s);
	fs = sum_files(s, &nf);
	CHECK(nf == 2 && fs[0].status == 0 && fs[0].meta && fs[0].end && fs[0].probes == 160);
	sum_free(s);

	s = sum_new();
	CHECK(sum_add_file(s, b0, err, sizeof(err)) == 0);
	CHECK(sum_add_file(s, b1, err, sizeof(err)) == 0);
	sum_finish(s);
	check_lab(s);
	fs = sum_files(s, &nf);
	CHECK(nf == 2 && fs[1].status == 1 && !fs[1].end); /* b1 has no ScanEnd */
	sum_free(s);

	/* Truncated: counts what is there, says where it stopped. */
	snprintf(cmd, sizeof(cmd), "head -c 3000 '%s' > '%s'", a, cut);
	CHECK(system(cmd) == 0);
	s = sum_new();
	CHECK(sum_add_file(s, cut, err, sizeof(err)) == 0);
	fs = sum_files(s, &nf);
	CHECK(nf == 1 && fs[0].status == OUT_ETRUNC && fs[0].bad_offset > 8 &&
	      fs[0].bad_offset < 3000);
	sum_finish(s);
	CHECK(sum_total(s)->hosts > 0 && sum_total(s)->hosts < 40);
	sum_free(s);

	long_issuers(dir);

	/* Not a dataset: an error naming the file. */
	s = sum_new();
	snprintf(cmd, sizeof(cmd), "%s/a.tlsmap.nope", dir);
	CHECK(sum_add_file(s, cmd, err, sizeof(err)) == OUT_EIO && strstr(err, "a.tlsmap.nope"));
	sum_free(s);

	TEST_DONE();
}

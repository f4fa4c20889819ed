/* SPDX-License-Identifier: MIT */
/*
 * Status output. The line follows ZMap's (elapsed, percent and time left,
 * send count with current and average rate, replies, hit rate, drops) so
 * operators read it at a glance; TLS-stage counters appear once non-zero.
 * The JSON file carries the same numbers for scripts and is replaced with
 * rename(2), so a reader never sees a half-written object.
 */
#include "scanner/core/progress.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRESS_FIELDS(X)                                                                         \
	X(sent) X(synack) X(rst) X(dropped) X(probes) X(certs) X(tls_ok) X(tx_fail) X(blocked)

void progress_init(struct progress_counters *c)
{
#define INIT_(f) atomic_init(&c->f, 0);
	PROGRESS_FIELDS(INIT_)
#undef INIT_
	atomic_init(&c->rx_buf_peak, 0); /* not a rate: outside PROGRESS_FIELDS */
	atomic_init(&c->localize_jobs, 0);
	atomic_init(&c->localized, 0);
	atomic_init(&c->unstable_hosts, 0);
	atomic_init(&c->chain_lookups, 0);
	atomic_init(&c->chain_hits, 0);
}

void progress_rates_init(struct progress_rates *r)
{
	memset(r, 0, sizeof(*r));
}

void progress_sum(struct progress_counters *dst, const struct progress_counters *src)
{
#define SUM_(f) progress_add(&dst->f, progress_get(&src->f));
	PROGRESS_FIELDS(SUM_)
#undef SUM_
}

void progress_update(struct progress_rates *r, const struct progress_counters *c, double elapsed)
{
	uint64_t sent = progress_get(&c->sent), synack = progress_get(&c->synack);
	uint64_t dropped = progress_get(&c->dropped);
	double dt = elapsed - r->t;
	if (dt > 1e-6) {
		r->sent_pps = (double)(sent - r->sent) / dt;
		r->synack_ps = (double)(synack - r->synack) / dt;
		r->dropped_ps = (double)(dropped - r->dropped) / dt;
	}
	r->t = elapsed;
	r->sent = sent;
	r->synack = synack;
	r->dropped = dropped;
}

/* "1.23 Mp/s"-style rate into buf. */
static const char *fmt_rate(char *buf, size_t len, double v)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.2f Gp/s", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2f Mp/s", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.2f Kp/s", v / 1e3);
	else
		snprintf(buf, len, "%.0f p/s", v);
	return buf;
}

static const char *fmt_time(char *buf, size_t len, double s)
{
	if (s < 0)
		s = 0;
	unsigned long t = (unsigned long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
	return buf;
}

struct snap {
	uint64_t sent, synack, rst, dropped, probes, certs, tls_ok, tx_fail, blocked;
	double avg_pps, cur_pps, avg_synack, cur_synack, avg_drop, cur_drop, hit, pct, eta;
};

static void take(struct snap *s, const struct progress_counters *c, double elapsed, uint64_t total,
		 const struct progress_rates *r)
{
#define GET_(f) s->f = progress_get(&c->f);
	PROGRESS_FIELDS(GET_)
#undef GET_
	double t = elapsed > 1e-6 ? elapsed : 1e-6;
	s->avg_pps = (double)s->sent / t;
	s->avg_synack = (double)s->synack / t;
	s->avg_drop = (double)s->dropped / t;
	bool have = r && r->t > 0;
	s->cur_pps = have ? r->sent_pps : s->avg_pps;
	s->cur_synack = have ? r->synack_ps : s->avg_synack;
	s->cur_drop = have ? r->dropped_ps : s->avg_drop;
	s->hit = s->sent ? 100.0 * (double)s->synack / (double)s->sent : 0;
	s->pct = total ? 100.0 * (double)s->sent / (double)total : -1;
	if (s->pct > 100)
		s->pct = 100;
	s->eta = -1;
	if (r && r->cooldown_left > 0)
		s->eta = r->cooldown_left;
	else if (total && s->sent >= total)
		s->eta = 0;
	else if (total && s->avg_pps > 0)
		s->eta = (double)(total - s->sent) / s->avg_pps;
}

void progress_line(FILE *f, const struct progress_counters *c, double elapsed, uint64_t total,
		   const struct progress_rates *r)
{
	struct snap s;
	char t1[32], t2[32], a[32], b[32], d[32], e[32], g[32], h[32];
	take(&s, c, elapsed, total, r);
	char head[96];
	if (r && r->cooldown_left > 0)
		snprintf(head, sizeof(head), "%s %3.0f%% (cooldown %s left)",
			 fmt_time(t1, sizeof(t1), elapsed), s.pct < 0 ? 100.0 : s.pct,
			 fmt_time(t2, sizeof(t2), r->cooldown_left));
	else if (s.pct >= 0 && s.eta >= 0)
		snprintf(head, sizeof(head), "%s %3.0f%% (%s left)",
			 fmt_time(t1, sizeof(t1), elapsed), s.pct, fmt_time(t2, sizeof(t2), s.eta));
	else
		snprintf(head, sizeof(head), "%s", fmt_time(t1, sizeof(t1), elapsed));
	fprintf(f,
		"%s; send: %llu %s (%s avg); recv: %llu %s (%s avg); hitrate: %.2f%%; drops: %llu "
		"%s (%s avg)",
		head, (unsigned long long)s.sent, fmt_rate(a, sizeof(a), s.cur_pps),
		fmt_rate(b, sizeof(b), s.avg_pps), (unsigned long long)s.synack,
		fmt_rate(d, sizeof(d), s.cur_synack), fmt_rate(e, sizeof(e), s.avg_synack), s.hit,
		(unsigned long long)s.dropped, fmt_rate(g, sizeof(g), s.cur_drop),
		fmt_rate(h, sizeof(h), s.avg_drop));
	if (s.tx_fail)
		fprintf(f, "; tx fail: %llu", (unsigned long long)s.tx_fail);
	if (s.probes)
		fprintf(f, "; probes: %llu", (unsigned long long)s.probes);
	if (s.tls_ok)
		fprintf(f, "; tls: %llu", (unsigned long long)s.tls_ok);
	if (s.certs)
		fprintf(f, "; certs: %llu", (unsigned long long)s.certs);
	fputc('\n', f);
	fflush(f);
}

int progress_json(const char *path, const struct progress_counters *c, double elapsed,
		  uint64_t total, const struct progress_rates *r)
{
	struct snap s;
	take(&s, c, elapsed, total, r);
	const char *phase = (r && r->cooldown_left > 0) ? "cooldown" : "sending";
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 5);
	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", 5);
	int ret = 0;
	FILE *f = fopen(tmp, "w");
	if (!f) {
		ret = -errno;
		goto out;
	}
	fprintf(f,
		"{\"elapsed_s\":%.3f,\"phase\":\"%s\",\"total\":%llu,\"percent\":%.3f,"
		"\"eta_s\":%.1f,\"sent\":%llu,\"send_pps\":%.1f,\"send_pps_avg\":%.1f,"
		"\"synack\":%llu,\"synack_ps\":%.1f,\"synack_ps_avg\":%.1f,\"hit_rate\":%.6f,"
		"\"rst\":%llu,\"dropped\":%llu,\"drop_ps\":%.1f,\"tx_fail\":%llu,\"blocked\":%llu,"
		"\"probes\":%llu,\"tls_ok\":%llu,\"certs\":%llu}\n",
		elapsed, phase, (unsigned long long)total, s.pct < 0 ? 0.0 : s.pct, s.eta,
		(unsigned long long)s.sent, s.cur_pps, s.avg_pps, (unsigned long long)s.synack,
		s.cur_synack, s.avg_synack, s.hit / 100.0, (unsigned long long)s.rst,
		(unsigned long long)s.dropped, s.cur_drop, (unsigned long long)s.tx_fail,
		(unsigned long long)s.blocked, (unsigned long long)s.probes,
		(unsigned long long)s.tls_ok, (unsigned long long)s.certs);
	if (fflush(f) || ferror(f)) {
		ret = -EIO;
		fclose(f);
		unlink(tmp);
		goto out;
	}
	if (fclose(f)) {
		ret = -errno;
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path)) {
		ret = -errno;
		unlink(tmp);
	}
out:
	free(tmp);
	return ret;
}

void progress_summary(FILE *f, const struct progress_counters *c, double elapsed, uint64_t total)
{
	struct snap s;
	char t1[32], a[32];
	take(&s, c, elapsed, total, NULL);
	fprintf(f, "summary: elapsed %s, sent %llu of %llu (%s avg), blocked %llu, tx fail %llu\n",
		fmt_time(t1, sizeof(t1), elapsed), (unsigned long long)s.sent,
		(unsigned long long)total, fmt_rate(a, sizeof(a), s.avg_pps),
		(unsigned long long)s.blocked, (unsigned long long)s.tx_fail);
	fprintf(f, "summary: synack %llu (hit rate %.4f%%), rst %llu, dropped %llu\n",
		(unsigned long long)s.synack, s.hit, (unsigned long long)s.rst,
		(unsigned long long)s.dropped);
	if (s.probes || s.tls_ok || s.certs)
		fprintf(f, "summary: probes %llu, tls ok %llu, certs %llu\n",
			(unsigned long long)s.probes, (unsigned long long)s.tls_ok,
			(unsigned long long)s.certs);
}

void progress_cache_summary(FILE *f, const struct progress_counters *c)
{
	uint64_t lookups = progress_get(&c->chain_lookups), hits = progress_get(&c->chain_hits);
	if (lookups)
		fprintf(f,
			"summary: chain_cache_lookups=%llu chain_cache_hits=%llu "
			"chain_cache_hit_rate=%.4f\n",
			(unsigned long long)lookups, (unsigned long long)hits,
			(double)hits / (double)lookups);
}

/* SPDX-License-Identifier: MIT */
/*
 * The report's sections over a series of scans (output/series.h): per
 * country, the interception rate with its 95% interval at each scan (a
 * small SVG chart and a table) and what changed since the previous scan
 * of each vantage point (the changes of output/diff.c, filtered to the
 * country); and, for a day scanned from several vantage points, each
 * country's rate from each of them side by side.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output/report_internal.h"

#define TIME_LIST_MAX 10 /* names listed per kind of change; the rest counted */

/*
 * Countries measured in any point (@intercepted: intercepted in any
 * point), the latest figures' order first.
 */
static size_t series_countries(const struct series *ser, bool intercepted, const char ***out)
{
	size_t n = 0, cap = 0;
	const char **v = NULL;

	for (size_t p = 0; p <= ser->n; p++) {
		const struct summary *s =
			p == 0 ? ser->latest : diff_scan_summary(ser->pt[p - 1].scan);
		size_t ng;
		const struct sum_group *g = sum_groups(s, SUM_BY_COUNTRY, &ng);

		for (size_t i = 0; i < ng; i++) {
			size_t k;

			if (!g[i].hosts_tls || (intercepted && !g[i].hosts_intercepted))
				continue;
			for (k = 0; k < n && strcmp(v[k], g[i].key); k++)
				;
			if (k < n)
				continue;
			if (n == cap) {
				const char **nv =
					realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*nv));

				if (!nv)
					break;
				v = nv;
			}
			v[n++] = g[i].key;
		}
	}
	*out = v;
	return n;
}

static const struct sum_group *point_country(const struct series *ser, size_t p, const char *cc)
{
	return sum_group_find(diff_scan_summary(ser->pt[p].scan), SUM_BY_COUNTRY, cc);
}

/* Whether two points fall on one UTC day (then their time is shown too). */
static int point_time_detail(const struct series *ser, size_t p)
{
	for (size_t q = 0; q < ser->n; q++)
		if (q != p && series_day(&ser->pt[q]) == series_day(&ser->pt[p]))
			return 1;
	return 0;
}

static void point_date(const struct report_ctx *c, size_t p)
{
	char buf[96];

	rl_esc(c->f, rl_date(c->l, c->ser->pt[p].start_us, point_time_detail(c->ser, p), buf,
			     sizeof(buf)));
}

/* One colour per vantage point (in order of first scan): dot, bar, legend. */
static const char *const vantage_fill[] = {"#990000", "#1f5fa8", "#2a7a3a", "#7a4fa0", "#8a6d00"};

static size_t vantage_index(const struct series *ser, size_t p)
{
	size_t idx = 0;

	for (size_t q = 0; q < p; q++) {
		bool seen = false;

		for (size_t r = 0; r < q && !seen; r++)
			seen = !strcmp(ser->pt[r].vantage, ser->pt[q].vantage);
		if (!seen && !strcmp(ser->pt[q].vantage, ser->pt[p].vantage))
			return idx;
		idx += !seen;
	}
	return idx;
}

static void chart_legend(const struct report_ctx *c)
{
	if (c->ser->nvantages < 2)
		return;
	fputs("<div class=\"legend\">", c->f);
	for (size_t p = 0; p < c->ser->n; p++) {
		size_t k = vantage_index(c->ser, p);
		bool first = true;

		for (size_t q = 0; q < p && first; q++)
			first = strcmp(c->ser->pt[q].vantage, c->ser->pt[p].vantage) != 0;
		if (!first)
			continue;
		fprintf(c->f, "<span><i style=\"background:%s\"></i>",
			vantage_fill[k % (sizeof(vantage_fill) / sizeof(vantage_fill[0]))]);
		rl_esc(c->f, c->ser->pt[p].vantage[0] ? c->ser->pt[p].vantage : "-");
		fputs("</span>", c->f);
	}
	fputs("</div>\n", c->f);
}

/* Rate and interval of each scan: a dot with a bar, coloured by vantage point. */
static void chart(const struct report_ctx *c, const char *cc)
{
	const struct series *ser = c->ser;
	const double x0 = 72, w = 510, y0 = 150, h = 130;
	double labelled = -1e9; /* x of the last date written under the axis */
	const uint64_t t0 = ser->pt[0].start_us, t1 = ser->pt[ser->n - 1].start_us;
	const char *fill;
	FILE *f = c->f;
	char cc_html[RP_LABEL_MAX];

	fputs("<svg class=\"chart\" viewBox=\"0 0 600 180\" role=\"img\"><title>", f);
	rl_putf(f, c->l, RK_TIME_CHART, rp_country_label_buf(c, cc, cc_html));
	fputs("</title><g font-size=\"15\" fill=\"#555\">", f);
	for (int k = 0; k <= 2; k++) {
		double y = y0 - h * k / 2.0;

		fprintf(f,
			"<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>",
			x0, x0 + w, y, y);
		fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", x0 - 6, y + 4);
		rp_pct(c, k / 2.0);
		fputs("</text>", f);
	}
	for (size_t p = 0; p < ser->n; p++) {
		const struct sum_group *g = point_country(ser, p, cc);
		/* time runs to scale: a pause between scans shows as a gap */
		double x = t1 > t0 ? x0 + w * (double)(ser->pt[p].start_us - t0) / (double)(t1 - t0)
				   : x0 + w / 2;

		/* dates under the axis: the first, the last, and between them those
		 * that keep clear of their neighbours (a date with its time is ~150 units wide) */
		if ((p == 0 || p + 1 == ser->n || (x - labelled >= 170 && x0 + w - x >= 230)) &&
		    (p == 0 || x - labelled >= 170)) {
			labelled = x;
			fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\">", x, y0 + 22,
				t1 == t0	  ? "middle"
				: p == 0	  ? "start"
				: p + 1 == ser->n ? "end"
						  : "middle");
			point_date(c, p);
			fputs("</text>", f);
		}
		if (!g || !g->hosts_tls)
			continue;
		fill = vantage_fill[vantage_index(ser, p) %
				    (sizeof(vantage_fill) / sizeof(vantage_fill[0]))];
		fprintf(f,
			"<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			"stroke-opacity=\".6\" stroke-width=\"3\"/><circle cx=\"%.1f\" cy=\"%.1f\" "
			"r=\"5\" fill=\"%s\"/>",
			x, x, y0 - h * g->ci_low, y0 - h * g->ci_high, fill, x, y0 - h * g->rate,
			fill);
	}
	fputs("</g></svg>\n", f);
	chart_legend(c);
}

static void rate_cells(const struct report_ctx *c, const struct sum_group *g)
{
	rp_td(c, RK_COL_TLS, true);
	rp_int(c, g ? g->hosts_tls : 0);
	fputs("</td>", c->f);
	rp_td(c, RK_COL_INTERCEPTED, true);
	rp_int(c, g ? g->hosts_intercepted : 0);
	fputs("</td>", c->f);
	rp_td(c, RK_COL_RATE, true);
	if (g && g->hosts_tls)
		rp_pct(c, g->rate);
	else
		fputs("-", c->f);
	fputs("</td>", c->f);
	rp_td(c, RK_COL_CI, true);
	if (g && g->hosts_tls) {
		rp_pct(c, g->ci_low);
		fputs(" - ", c->f);
		rp_pct(c, g->ci_high);
	} else {
		fputs("-", c->f);
	}
	fputs("</td>", c->f);
}

static void country_table(const struct report_ctx *c, const char *cc)
{
	static const enum report_key cols1[] = {RK_COL_DATE, RK_COL_TLS, RK_COL_INTERCEPTED,
						RK_COL_RATE, RK_COL_CI};
	static const enum report_key cols2[] = {RK_COL_DATE,	    RK_COL_VANTAGE, RK_COL_TLS,
						RK_COL_INTERCEPTED, RK_COL_RATE,    RK_COL_CI};
	bool vant = c->ser->nvantages > 1;

	if (vant)
		rp_table_open(c, cols2, sizeof(cols2) / sizeof(cols2[0]));
	else
		rp_table_open(c, cols1, sizeof(cols1) / sizeof(cols1[0]));
	for (size_t p = 0; p < c->ser->n; p++) {
		const struct sum_group *g = point_country(c->ser, p, cc);

		fprintf(c->f, "<tr%s>", g && g->hosts_intercepted ? " class=\"hit\"" : "");
		rp_td(c, RK_COL_DATE, false);
		point_date(c, p);
		fputs("</td>", c->f);
		if (vant) {
			rp_td(c, RK_COL_VANTAGE, false);
			rl_esc(c->f, c->ser->pt[p].vantage[0] ? c->ser->pt[p].vantage : "-");
			fputs("</td>", c->f);
		}
		rate_cells(c, g);
		fputs("</tr>\n", c->f);
	}
	rp_table_close(c);
}

/* One kind of change for @cc as "<li>Label: a, b, and N more</li>"; whether any. */
static bool change_item(const struct report_ctx *c, const struct diff_changes *ch, const char *cc,
			const char *kind, const char *change, enum report_key label)
{
	size_t shown = 0, total = 0;
	char num[32];

	for (size_t i = 0; i < ch->n; i++) {
		const struct diff_change *x = &ch->v[i];

		if (strcmp(x->kind, kind) || strcmp(x->change, change) || (cc && strcmp(x->cc, cc)))
			continue;
		if (total++ == 0) {
			fputs("<li>", c->f);
			rl_put(c->f, c->l, label);
			fputs(": ", c->f);
		}
		if (shown == TIME_LIST_MAX)
			continue;
		fputs(shown++ ? ", " : "", c->f);
		if (!strcmp(kind, "network")) {
			fprintf(c->f, "AS%" PRIu32 " ", x->asn);
			rl_esc(c->f, x->as_org);
		} else {
			rl_esc(c->f, x->key);
		}
	}
	if (total > shown) {
		fputc(' ', c->f);
		rl_putf(c->f, c->l, RK_MORE, rl_int(c->l, total - shown, num, sizeof(num)));
	}
	if (total)
		fputs("</li>\n", c->f);
	return total > 0;
}

static void country_changes(const struct report_ctx *c, const struct series_diff *d, const char *cc)
{
	const struct sum_group *og = point_country(c->ser, d->from, cc);
	const struct sum_group *ng = point_country(c->ser, d->to, cc);
	struct diff_changes iss = {0};
	const char *vantage = c->ser->pt[d->to].vantage[0] ? c->ser->pt[d->to].vantage : "-";
	char date[96], date_html[96 * 6], v[SUM_META_STR * 6 + 1];
	bool any = false;

	rl_date(c->l, c->ser->pt[d->from].start_us, point_time_detail(c->ser, d->from), date,
		sizeof(date));
	rl_esc_buf(date, date_html, sizeof(date_html));
	rl_esc_buf(vantage, v, sizeof(v));
	fputs("<p>", c->f);
	rl_putf(c->f, c->l, RK_TIME_SINCE, date_html, v);
	fputs("</p>\n<ul>\n", c->f);
	any |= change_item(c, &d->changes, cc, "network", "stopped", RK_TIME_NET_STOPPED);
	any |= change_item(c, &d->changes, cc, "network", "started", RK_TIME_NET_STARTED);
	any |= change_item(c, &d->changes, cc, "network", "unmeasured", RK_TIME_NET_UNMEASURED);
	any |= change_item(c, &d->changes, cc, "host", "stopped", RK_TIME_HOST_STOPPED);
	any |= change_item(c, &d->changes, cc, "host", "started", RK_TIME_HOST_STARTED);
	any |= change_item(c, &d->changes, cc, "host", "unmeasured", RK_TIME_HOST_UNMEASURED);
	/* forging issuers of this country's hosts: the diff's rule on the country groups */
	if (og && ng && diff_names(og, ng, false, &iss) == 0) {
		any |= change_item(c, &iss, NULL, "issuer", "new", RK_TIME_ISSUER_NEW);
		any |= change_item(c, &iss, NULL, "issuer", "vanished", RK_TIME_ISSUER_VANISHED);
	}
	diff_changes_free(&iss);
	if (!any) {
		fputs("<li>", c->f);
		rl_put(c->f, c->l, RK_TIME_NO_CHANGE);
		fputs("</li>\n", c->f);
	}
	fputs("</ul>\n", c->f);
}

void report_section_timeline(const struct report_ctx *c)
{
	const char **ccs = NULL;
	size_t n;
	bool first;

	if (!c->ser || !c->ser->ndiffs)
		return; /* no vantage point scanned twice */
	n = series_countries(c->ser, true, &ccs);
	rp_section_open(c, "timeline", RK_TIME_H);
	fputs("<p class=\"note\">", c->f);
	rl_put(c->f, c->l, RK_TIME_INTRO);
	fputs("</p>\n", c->f);
	for (size_t i = 0; i < n; i++) {
		fputs("<div class=\"country\"><h3>", c->f);
		rp_country_label(c, ccs[i]);
		fputs("</h3>\n", c->f);
		chart(c, ccs[i]);
		country_table(c, ccs[i]);
		for (size_t d = 0; d < c->ser->ndiffs; d++)
			country_changes(c, &c->ser->diffs[d], ccs[i]);
		fputs("</div>\n", c->f);
	}
	free(ccs);
	n = series_countries(c->ser, false, &ccs);
	first = true;
	for (size_t i = 0; i < n; i++) {
		bool hit = false;

		for (size_t p = 0; p < c->ser->n && !hit; p++) {
			const struct sum_group *g = point_country(c->ser, p, ccs[i]);

			hit = g && g->hosts_intercepted;
		}
		if (hit)
			continue;
		if (first) {
			fputs("<p>", c->f);
			rl_put(c->f, c->l, RK_TIME_NEVER);
			fputc(' ', c->f);
		}
		fputs(first ? "" : ", ", c->f);
		first = false;
		rp_country_label(c, ccs[i]);
	}
	if (n && !first)
		fputs(".</p>\n", c->f);
	fputs("</section>\n", c->f);
	free(ccs);
}

/* The last point of each vantage point on day @day: into @pts, their count. */
static size_t day_points(const struct series *ser, uint64_t day, size_t *pts, size_t cap)
{
	size_t n = 0;

	for (size_t p = 0; p < ser->n; p++) {
		size_t k;

		if (series_day(&ser->pt[p]) != day)
			continue;
		for (k = 0; k < n && strcmp(ser->pt[pts[k]].vantage, ser->pt[p].vantage); k++)
			;
		if (k < n)
			pts[k] = p; /* later scan of the same vantage point that day */
		else if (n < cap)
			pts[n++] = p;
	}
	return n;
}

static void vantage_cell(const struct report_ctx *c, const struct sum_group *g)
{
	char r[64], lo[64], hi[64], x[32], n[32];

	if (!g || !g->hosts_tls) {
		rl_put(c->f, c->l, RK_CLASS_0);
		return;
	}
	rl_putf(c->f, c->l, RK_VANT_CELL, rl_pct(c->l, g->rate, r, sizeof(r)),
		rl_pct(c->l, g->ci_low, lo, sizeof(lo)), rl_pct(c->l, g->ci_high, hi, sizeof(hi)),
		rl_int(c->l, g->hosts_intercepted, x, sizeof(x)),
		rl_int(c->l, g->hosts_tls, n, sizeof(n)));
}

static void vantage_day(const struct report_ctx *c, const size_t *pts, size_t np, const char **ccs,
			size_t ncc)
{
	char label[SUM_META_STR * 6 + 1], date[96];

	rl_date(c->l, c->ser->pt[pts[0]].start_us, 0, date, sizeof(date));
	fputs("<h3>", c->f);
	rl_putf(c->f, c->l, RK_VANT_DATE, rl_esc_buf(date, label, sizeof(label)));
	fputs("</h3>\n<div class=\"tbl\"><table class=\"cards\"><thead><tr><th>", c->f);
	rl_put(c->f, c->l, RK_COL_COUNTRY);
	for (size_t k = 0; k < np; k++) {
		fputs("</th><th>", c->f);
		rl_esc(c->f, c->ser->pt[pts[k]].vantage[0] ? c->ser->pt[pts[k]].vantage : "-");
	}
	fputs("</th></tr></thead><tbody>\n", c->f);
	for (size_t i = 0; i < ncc; i++) {
		fputs("<tr>", c->f);
		rp_td(c, RK_COL_COUNTRY, false);
		rp_country_label(c, ccs[i]);
		fputs("</td>", c->f);
		for (size_t k = 0; k < np; k++) {
			rp_td_label(c,
				    rl_esc_buf(c->ser->pt[pts[k]].vantage[0]
						       ? c->ser->pt[pts[k]].vantage
						       : "-",
					       label, sizeof(label)),
				    false);
			vantage_cell(c, point_country(c->ser, pts[k], ccs[i]));
			fputs("</td>", c->f);
		}
		fputs("</tr>\n", c->f);
	}
	rp_table_close(c);
}

void report_section_vantages(const struct report_ctx *c)
{
	const char **ccs = NULL;
	size_t ncc, pts[16];
	bool open = false;

	if (!c->ser || c->ser->nvantages < 2)
		return;
	ncc = series_countries(c->ser, false, &ccs);
	for (size_t p = 0; p < c->ser->n; p++) {
		uint64_t day = series_day(&c->ser->pt[p]);
		size_t np;

		if (p && series_day(&c->ser->pt[p - 1]) == day)
			continue; /* each day once (points are in time order) */
		np = day_points(c->ser, day, pts, sizeof(pts) / sizeof(pts[0]));
		if (np < 2)
			continue;
		if (!open) {
			rp_section_open(c, "vantages", RK_VANT_H);
			fputs("<p class=\"note\">", c->f);
			rl_put(c->f, c->l, RK_VANT_INTRO);
			fputs("</p>\n", c->f);
			open = true;
		}
		vantage_day(c, pts, np, ccs, ncc);
	}
	if (open)
		fputs("</section>\n", c->f);
	free(ccs);
}

/* SPDX-License-Identifier: MIT */
/*
 * HTML report writer (see report.h). Every string that came from the
 * network (issuer names, SNIs, AS names) or from the command line is HTML
 * escaped. The map is pre-rendered SVG: one <path> per country from the map
 * file, filled by rate class, with a <title> tooltip; it needs no script.
 * Countries too small for the 1:110m map are listed under it. Every
 * word on the page comes from the language file (report_lang.h), every
 * country's name from countries.tsv in that language (the map file's names
 * are English and only a fallback); numbers and dates are written as that
 * language writes them.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/out.h"
#include "output/report.h"
#include "output/report_internal.h"

#ifndef TLSMAP_DATADIR
#define TLSMAP_DATADIR "data"
#endif

const char *report_default_map(char *buf, size_t len)
{
	const char *base = getenv("TLSMAP_DATA");

	if (!base || !*base)
		base = TLSMAP_DATADIR;
	snprintf(buf, len, "%s/map/world.tsv", base);
	return buf;
}

static void map_free(struct map *m)
{
	free(m->outline);
	for (size_t i = 0; i < m->n; i++) {
		free(m->c[i].name);
		free(m->c[i].d);
	}
	free(m->c);
}

/* Load the map; false (and an empty map) if absent or malformed. */
static bool map_load(struct map *m, const char *path)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	char *line = NULL;
	size_t cap = 0, ccap = 0;
	ssize_t len;

	memset(m, 0, sizeof(*m));
	if (!f)
		return false;
	while ((len = getline(&line, &cap, f)) > 0) {
		char *t1, *t2;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		if (!strncmp(line, "viewBox\t", 8)) {
			snprintf(m->viewbox, sizeof(m->viewbox), "%s", line + 8);
			continue;
		}
		if (!strncmp(line, "outline\t", 8)) {
			if (!m->outline && !strpbrk(line + 8, "\"<>&"))
				m->outline = strdup(line + 8);
			continue;
		}
		t1 = strchr(line, '\t');
		t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t2 || t1 - line > 3 || strpbrk(t2 + 1, "\"<>&"))
			continue; /* path data is digits and letters only */
		if (m->n == ccap) {
			ccap = ccap ? ccap * 2 : 256;
			struct map_country *nc = realloc(m->c, ccap * sizeof(*nc));

			if (!nc)
				break;
			m->c = nc;
		}
		*t1 = *t2 = '\0';
		snprintf(m->c[m->n].cc, sizeof(m->c[m->n].cc), "%s", line);
		m->c[m->n].name = strdup(t1 + 1);
		m->c[m->n].d = strdup(t2 + 1);
		if (!m->c[m->n].name || !m->c[m->n].d) {
			free(m->c[m->n].name);
			free(m->c[m->n].d);
			break;
		}
		m->n++;
	}
	free(line);
	fclose(f);
	if (!m->viewbox[0] || m->n == 0) {
		map_free(m);
		memset(m, 0, sizeof(*m));
		return false;
	}
	return true;
}

static const char *map_name(const struct map *m, const char *cc)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->c[i].cc, cc))
			return m->c[i].name;
	return NULL;
}

/* Rate classes: fill colour (the legend's words are class.0 .. class.5). */
static const char *const class_fill[] = {"#e3e3e3", "#cfe8d5", "#fdd49e",
					 "#fc8d59", "#e34a33", "#990000"};

static int rate_class(const struct sum_group *g)
{
	if (!g || !g->hosts_tls)
		return 0;
	if (!g->hosts_intercepted)
		return 1;
	if (g->rate <= 0.05)
		return 2;
	if (g->rate <= 0.20)
		return 3;
	if (g->rate <= 0.50)
		return 4;
	return 5;
}

void rp_pct(const struct report_ctx *c, double v)
{
	char buf[64];

	fputs(rl_pct(c->l, v, buf, sizeof(buf)), c->f);
}

void rp_int(const struct report_ctx *c, uint64_t v)
{
	char buf[64];

	fputs(rl_int(c->l, v, buf, sizeof(buf)), c->f);
}

/*
 * The name of @cc in the page's language (share/report/countries.tsv), else
 * in English, else the map's own (English) name; NULL when none has it.
 */
static const char *country_name(const struct report_ctx *c, const char *cc)
{
	const char *name = rl_country(c->l, cc);

	return name ? name : map_name(c->m, cc);
}

const char *rp_country_label_buf(const struct report_ctx *c, const char *cc, char buf[RP_LABEL_MAX])
{
	const size_t len = RP_LABEL_MAX;
	const char *name = country_name(c, cc);
	char n_html[512], cc_html[64];

	if (name)
		snprintf(buf, len, "%s (%s)", rl_esc_buf(name, n_html, sizeof(n_html)),
			 rl_esc_buf(cc, cc_html, sizeof(cc_html)));
	else if (strcmp(cc, "??"))
		rl_esc_buf(cc, buf, len);
	else
		rl_esc_buf(rl_str(c->l, RK_UNKNOWN_LOCATION), buf, len);
	return buf;
}

void rp_country_label(const struct report_ctx *c, const char *cc)
{
	char buf[RP_LABEL_MAX];

	fputs(rp_country_label_buf(c, cc, buf), c->f);
}

void rp_table_open(const struct report_ctx *c, const enum report_key *cols, size_t n)
{
	fputs("<div class=\"tbl\"><table class=\"cards\"><thead><tr>", c->f);
	for (size_t i = 0; i < n; i++) {
		fputs("<th>", c->f);
		rl_put(c->f, c->l, cols[i]);
		fputs("</th>", c->f);
	}
	fputs("</tr></thead><tbody>\n", c->f);
}

void rp_section_open(const struct report_ctx *c, const char *id, enum report_key heading)
{
	fprintf(c->f, "<section id=\"%s\"><h2>", id);
	rl_put(c->f, c->l, heading);
	fputs("</h2>\n", c->f);
}

void rp_table_close(const struct report_ctx *c)
{
	fputs("</tbody></table></div>\n", c->f);
}

void rp_td_label(const struct report_ctx *c, const char *label_html, bool num)
{
	fprintf(c->f, "<td%s data-label=\"%s\">", num ? " class=\"n\"" : "", label_html);
}

void rp_td(const struct report_ctx *c, enum report_key col, bool num)
{
	fprintf(c->f, "<td%s data-label=\"", num ? " class=\"n\"" : "");
	rl_put(c->f, c->l, col);
	fputs("\">", c->f);
}

static void utc(const struct report_ctx *c, uint64_t us)
{
	char buf[96];

	rl_esc(c->f, rl_date(c->l, us, 2, buf, sizeof(buf)));
}

/* @n listed of @total (the summary keeps the first SUM_META_KEEP). */
static void join_list(const struct report_ctx *c, char **v, size_t n, size_t total)
{
	char num[32];

	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", c->f);
		rl_esc(c->f, v[i]);
	}
	if (!n)
		fputs("-", c->f);
	if (total > n) {
		fputc(' ', c->f);
		rl_putf(c->f, c->l, RK_MORE, rl_int(c->l, total - n, num, sizeof(num)));
	}
}

/*
 * Wide screens: tables. Below 600 px: every table row a card, every cell
 * "label: value" (its column's name from data-label), so nothing scrolls
 * sideways and no narrow column grows into a tall empty row.
 */
static const char css[] =
	"*{box-sizing:border-box}"
	"body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d1d1f;"
	"margin:0;background:#fafafa}"
	"main{max-width:980px;margin:0 auto;padding:16px}"
	"h1{font-size:1.7em;margin:.2em 0}h2{font-size:1.25em;margin:1.6em 0 .4em;"
	"border-bottom:2px solid #ddd;padding-bottom:.2em}h3{font-size:1.05em;margin:1.2em 0 .3em}"
	".lede{font-size:1.1em}.note{color:#555;font-size:.92em}"
	".tbl{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.5em 0}"
	"table{border-collapse:collapse;width:100%;font-size:.93em;background:#fff}"
	"th,td{padding:6px 8px;border-bottom:1px solid #e5e5e5;text-align:left;vertical-align:top;"
	"overflow-wrap:anywhere}"
	"th{background:#f0f0f0}td.n{text-align:right;white-space:nowrap;"
	"font-variant-numeric:tabular-nums}"
	"tr.hit td{background:#fff4f0}td:first-child{min-width:9em}div.w{min-width:16em}"
	"figure{margin:0}svg.map{width:100%;height:auto;display:block}"
	"svg.map path{stroke:#fff;stroke-width:.4}svg.map path.sea{fill:#e4eef6;stroke:#b9c9d6}"
	"svg.chart{width:100%;max-width:640px;height:auto;display:block}"
	".legend{display:flex;flex-wrap:wrap;gap:6px 14px;margin:.5em 0;font-size:.9em}"
	".legend span{display:inline-flex;align-items:center;gap:5px}"
	".legend i{display:inline-block;width:14px;height:14px;border:1px solid #999}"
	"code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em;"
	"word-break:break-all}"
	"footer{margin:2em 0 1em;font-size:.85em;color:#555}"
	"@media (max-width:600px){body{font-size:15px}main{padding:10px}"
	".tbl{overflow-x:visible}table.cards,table.cards tbody,table.cards tr,table.cards th,"
	"table.cards td{display:block;width:100%}"
	"table.cards thead{display:none}"
	"table.cards tr{border:1px solid #ddd;border-radius:6px;margin:0 0 10px;background:#fff;"
	"padding:4px 10px}"
	"table.cards td,table.cards th{border:0;padding:3px 0;min-width:0;text-align:left;"
	"white-space:normal}"
	"table.cards td[data-label]::before{content:attr(data-label) ': ';font-weight:600;"
	"color:#444}"
	"table.cards td:first-child{font-weight:600;font-size:1.05em}"
	"table.cards td:first-child::before{content:none}"
	"table.kv th{background:none;color:#444;padding-top:6px}"
	"tr.hit td{background:none}table.cards tr.hit{border-left:4px solid "
	"#e34a33}div.w{min-width:0}}";

static void map_svg(const struct report_ctx *c, const struct summary *s)
{
	FILE *f = c->f;
	const struct map *m = c->m;
	char a[32], b[32], r[64];

	fputs("<figure><svg class=\"map\" role=\"img\" viewBox=\"", f);
	rl_esc(f, m->viewbox);
	fputs("\" aria-labelledby=\"maptitle\"><title id=\"maptitle\">", f);
	rl_put(f, c->l, RK_MAP_TITLE);
	fputs("</title>\n", f);
	if (m->outline)
		fprintf(f,
			"<clipPath id=\"edge\"><path d=\"%s\"/></clipPath>"
			"<path class=\"sea\" d=\"%s\"/><g clip-path=\"url(#edge)\">\n",
			m->outline, m->outline);
	for (size_t i = 0; i < m->n; i++) {
		const struct sum_group *g = sum_group_find(s, SUM_BY_COUNTRY, m->c[i].cc);
		const char *name;

		fprintf(f, "<path fill=\"%s\" d=\"%s\"><title>", class_fill[rate_class(g)],
			m->c[i].d);
		name = rl_country(c->l, m->c[i].cc);
		rl_esc(f, name ? name : m->c[i].name);
		fputs(": ", f);
		if (g && g->hosts_tls)
			rl_putf(f, c->l, RK_MAP_TIP,
				rl_int(c->l, g->hosts_intercepted, a, sizeof(a)),
				rl_int(c->l, g->hosts_tls, b, sizeof(b)),
				rl_pct(c->l, g->rate, r, sizeof(r)));
		else
			rl_put(f, c->l, RK_CLASS_0);
		fputs("</title></path>\n", f);
	}
	fputs(m->outline ? "</g></svg></figure>\n" : "</svg></figure>\n", f);
}

static void section_map(const struct report_ctx *c, const struct summary *s)
{
	size_t n;
	const struct sum_group *gs = sum_groups(s, SUM_BY_COUNTRY, &n);
	FILE *f = c->f;
	bool first = true;

	rp_section_open(c, "map", RK_MAP_H);
	if (!c->m->n) {
		fputs("<p class=\"note\">", f);
		rl_put(f, c->l, RK_MAP_MISSING);
		fputs("</p>\n</section>\n", f);
		return;
	}
	map_svg(c, s);
	fputs("<div class=\"legend\">", f);
	for (size_t k = 0; k < sizeof(class_fill) / sizeof(class_fill[0]); k++) {
		fprintf(f, "<span><i style=\"background:%s\"></i>", class_fill[k]);
		rl_put(f, c->l, (enum report_key)(RK_CLASS_0 + k));
		fputs("</span>", f);
	}
	fputs("</div>\n", f);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(gs[i].key, "??") || map_name(c->m, gs[i].key))
			continue;
		if (first) {
			fputs("<p class=\"note\">", f);
			rl_put(f, c->l, RK_MAP_SMALL);
			fputc(' ', f);
		} else {
			fputs(", ", f);
		}
		first = false;
		rp_country_label(c, gs[i].key);
		fputs(": ", f);
		if (gs[i].hosts_tls)
			rp_pct(c, gs[i].rate);
		else
			rl_put(f, c->l, RK_MAP_SMALL_NO_TLS);
	}
	if (!first)
		fputs(".</p>\n", f);
	fputs("</section>\n", f);
}

static void issuer_cell(const struct report_ctx *c, const struct sum_count *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs("<br>", c->f);
		rl_esc(c->f, v[i].name);
		fputs(" (", c->f);
		rp_int(c, v[i].hosts);
		fputc(')', c->f);
	}
	if (!n)
		fputs("-", c->f);
}

static void domain_cell(const struct report_ctx *c, const struct sum_count *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", c->f);
		rl_esc(c->f, v[i].name);
	}
	if (!n)
		fputs("-", c->f);
}

/* td class="n" with a count */
static void td_int(const struct report_ctx *c, enum report_key col, uint64_t v)
{
	rp_td(c, col, true);
	rp_int(c, v);
	fputs("</td>", c->f);
}

/* The interception rate's cell: "-" for a group without a TLS answer. */
static void td_rate(const struct report_ctx *c, const struct sum_group *g)
{
	rp_td(c, RK_COL_RATE, true);
	if (g->hosts_tls)
		rp_pct(c, g->rate);
	else
		fputs("-", c->f);
	fputs("</td>", c->f);
}

static void section_countries(const struct report_ctx *c, const struct summary *s)
{
	static const enum report_key cols[] = {
		RK_COL_COUNTRY, RK_COL_HOSTS, RK_COL_TLS,	    RK_COL_INTERCEPTED,
		RK_COL_RATE,	RK_COL_CI,    RK_COL_ISSUERS_HOSTS, RK_COL_DOMAINS,
	};
	size_t n;
	const struct sum_group *gs = sum_groups(s, SUM_BY_COUNTRY, &n);
	FILE *f = c->f;

	rp_section_open(c, "countries", RK_COUNTRIES_H);
	rp_table_open(c, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < n; i++) {
		const struct sum_group *g = &gs[i];

		fprintf(f, "<tr%s>", g->hosts_intercepted ? " class=\"hit\"" : "");
		rp_td(c, RK_COL_COUNTRY, false);
		rp_country_label(c, g->key);
		fputs("</td>", f);
		td_int(c, RK_COL_HOSTS, g->hosts);
		td_int(c, RK_COL_TLS, g->hosts_tls);
		td_int(c, RK_COL_INTERCEPTED, g->hosts_intercepted);
		td_rate(c, g);
		rp_td(c, RK_COL_CI, true);
		if (g->hosts_tls) {
			rp_pct(c, g->ci_low);
			fputs(" - ", f);
			rp_pct(c, g->ci_high);
		} else {
			fputs("-", f);
		}
		/* list cells get a minimum width on wide screens (through a div:
		 * browsers ignore min-width on table cells), so a long domain list
		 * wraps into a few wide lines instead of one name per line */
		fputs("</td>", f);
		rp_td(c, RK_COL_ISSUERS_HOSTS, false);
		fputs("<div class=\"w\">", f);
		issuer_cell(c, g->issuers, g->nissuers);
		fputs("</div></td>", f);
		rp_td(c, RK_COL_DOMAINS, false);
		fputs("<div class=\"w\">", f);
		domain_cell(c, g->domains, g->ndomains);
		fputs("</div></td></tr>\n", f);
	}
	rp_table_close(c);
	fputs("<p class=\"note\">", f);
	rl_put(f, c->l, RK_COUNTRIES_NOTE);
	fputs("</p></section>\n", f);
}

/* The countries where @issuer forged, with their hosts. */
static void issuer_countries(const struct report_ctx *c, const struct summary *s,
			     const char *issuer)
{
	size_t nc;
	const struct sum_group *cs = sum_groups(s, SUM_BY_COUNTRY, &nc);
	bool first = true;

	for (size_t i = 0; i < nc; i++) {
		for (size_t k = 0; k < cs[i].nissuers; k++) {
			if (strcmp(cs[i].issuers[k].name, issuer))
				continue;
			if (!first)
				fputs(", ", c->f);
			first = false;
			rp_country_label(c, cs[i].key);
			fputs(" (", c->f);
			rp_int(c, cs[i].issuers[k].hosts);
			fputc(')', c->f);
		}
	}
}

static void section_issuers(const struct report_ctx *c, const struct summary *s)
{
	static const enum report_key cols[] = {RK_COL_ISSUER, RK_COL_ISSUER_HOSTS,
					       RK_COL_COUNTRIES_HOSTS, RK_COL_DOMAINS_HOSTS};
	size_t n;
	const struct sum_group *gs = sum_groups(s, SUM_BY_ISSUER, &n);
	FILE *f = c->f;
	bool any = false;

	rp_section_open(c, "issuers", RK_ISSUERS_H);
	for (size_t i = 0; i < n; i++) {
		const struct sum_group *g = &gs[i];

		if (!g->hosts_intercepted)
			continue;
		if (!any)
			rp_table_open(c, cols, sizeof(cols) / sizeof(cols[0]));
		any = true;
		fputs("<tr>", f);
		rp_td(c, RK_COL_ISSUER, false);
		rl_esc(f, g->key);
		fputs("</td>", f);
		td_int(c, RK_COL_ISSUER_HOSTS, g->hosts_intercepted);
		rp_td(c, RK_COL_COUNTRIES_HOSTS, false);
		issuer_countries(c, s, g->key);
		fputs("</td>", f);
		rp_td(c, RK_COL_DOMAINS_HOSTS, false);
		for (size_t k = 0; k < g->ndomains; k++) {
			if (k)
				fputs(", ", f);
			rl_esc(f, g->domains[k].name);
			fputs(" (", f);
			rp_int(c, g->domains[k].hosts);
			fputc(')', f);
		}
		fputs("</td></tr>\n", f);
	}
	if (any) {
		rp_table_close(c);
	} else {
		fputs("<p>", f);
		rl_put(f, c->l, RK_ISSUERS_NONE);
		fputs("</p>\n", f);
	}
	fputs("</section>\n", f);
}

static void asn_row(const struct report_ctx *c, const struct sum_group *g)
{
	FILE *f = c->f;

	fprintf(f, "<tr%s>", g->hosts_intercepted ? " class=\"hit\"" : "");
	rp_td(c, RK_COL_COUNTRY, false);
	rp_country_label(c, g->cc);
	fputs("</td>", f);
	rp_td(c, RK_COL_NETWORK, false);
	if (g->asn)
		fprintf(f, "AS%u ", g->asn);
	if (g->as_org[0])
		rl_esc(f, g->as_org);
	else if (!g->asn)
		rl_put(f, c->l, RK_UNKNOWN_NETWORK);
	fputs("</td>", f);
	td_int(c, RK_COL_TLS, g->hosts_tls);
	td_int(c, RK_COL_INTERCEPTED, g->hosts_intercepted);
	td_rate(c, g);
	rp_td(c, RK_COL_ISSUERS, false);
	issuer_cell(c, g->issuers, g->nissuers);
	fputs("</td></tr>\n", f);
}

static void section_asns(const struct report_ctx *c, const struct summary *s)
{
	static const enum report_key cols[] = {RK_COL_COUNTRY,	   RK_COL_NETWORK, RK_COL_TLS,
					       RK_COL_INTERCEPTED, RK_COL_RATE,	   RK_COL_ISSUERS};
	size_t n;
	const struct sum_group *gs = sum_groups(s, SUM_BY_ASN, &n);
	FILE *f = c->f;
	bool any = false;

	rp_section_open(c, "asns", RK_ASNS_H);
	for (size_t i = 0; i < n; i++) {
		const struct sum_group *cg = sum_group_find(s, SUM_BY_COUNTRY, gs[i].cc);

		if (!cg || !cg->hosts_intercepted)
			continue;
		if (!any)
			rp_table_open(c, cols, sizeof(cols) / sizeof(cols[0]));
		any = true;
		asn_row(c, &gs[i]);
	}
	fputs(any ? "" : "<p>", f);
	if (any) {
		rp_table_close(c);
		fputs("<p class=\"note\">", f);
		rl_put(f, c->l, RK_ASNS_NOTE);
	} else {
		rl_put(f, c->l, RK_ASNS_NONE);
	}
	fputs("</p>\n</section>\n", f);
}

/* The reasons a verdict can carry about where a certificate came from,
 * in plain words (docs/verdicts.md, "Evidence"). */
static const struct {
	const char *reason;
	enum report_key words;
} path_reasons[] = {
	{"localized-before-server", RK_REASON_LOCALIZED},
	{"group-localized-before-server", RK_REASON_GROUP},
	{"issuer-forges-across-networks", RK_REASON_ACROSS},
	{"served-by-host", RK_REASON_SERVED},
	{"unstable-host", RK_REASON_UNSTABLE},
};

static void path_table(const struct report_ctx *c, const struct sum_group *gs, size_t n)
{
	static const enum report_key cols[] = {RK_COL_ROUTER, RK_COL_ROUTER_CC, RK_COL_ROUTER_AS,
					       RK_COL_BEHIND, RK_COL_ISSUERS};
	FILE *f = c->f;

	rp_table_open(c, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < n; i++) {
		const struct sum_group *g = &gs[i];

		fputs("<tr class=\"hit\">", f);
		rp_td(c, RK_COL_ROUTER, false);
		rl_esc(f, g->key);
		fputs("</td>", f);
		rp_td(c, RK_COL_ROUTER_CC, false);
		if (g->cc[0])
			rp_country_label(c, g->cc);
		else
			rl_put(f, c->l, RK_UNKNOWN);
		fputs("</td>", f);
		rp_td(c, RK_COL_ROUTER_AS, false);
		if (g->asn)
			fprintf(f, "AS%u", g->asn);
		else
			rl_put(f, c->l, RK_UNKNOWN);
		fputs("</td>", f);
		td_int(c, RK_COL_BEHIND, g->hosts_intercepted);
		rp_td(c, RK_COL_ISSUERS, false);
		issuer_cell(c, g->issuers, g->nissuers);
		fputs("</td></tr>\n", f);
	}
	rp_table_close(c);
}

static void section_path(const struct report_ctx *c, const struct summary *s)
{
	size_t n;
	const struct sum_group *gs = sum_groups(s, SUM_BY_HOP, &n);
	FILE *f = c->f;

	rp_section_open(c, "path", RK_PATH_H);
	fputs("<p>", f);
	rl_put(f, c->l, n ? RK_PATH_INTRO : RK_PATH_NONE);
	fputs("</p>\n", f);
	if (n)
		path_table(c, gs, n);
	fputs("<p>", f);
	rl_put(f, c->l, RK_PATH_WHY);
	fputs("</p>\n<ul>\n", f);
	for (size_t i = 0; i < sizeof(path_reasons) / sizeof(path_reasons[0]); i++) {
		fputs("<li><code>", f);
		rl_esc(f, path_reasons[i].reason);
		fputs("</code>: ", f);
		rl_put(f, c->l, path_reasons[i].words);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n</section>\n", f);
}

static void section_method(const struct report_ctx *c)
{
	rp_section_open(c, "method", RK_METHOD_H);
	for (enum report_key k = RK_METHOD_1; k <= RK_METHOD_3; k++) {
		fputs("<p>", c->f);
		rl_put(c->f, c->l, k);
		fputs("</p>\n", c->f);
	}
	fputs("</section>\n", c->f);
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

/* "<tr><th>label</th><td>" */
static void kv(const struct report_ctx *c, enum report_key k)
{
	fputs("<tr><th>", c->f);
	rl_put(c->f, c->l, k);
	fputs("</th><td>", c->f);
}

static void data_file_status(const struct report_ctx *c, const struct sum_file *d)
{
	char a[32], b[32], e[32];

	kv(c, RK_DATA_RECORDS);
	rl_putf(c->f, c->l, RK_DATA_RECORDS_VAL, rl_int(c->l, d->records, a, sizeof(a)),
		rl_int(c->l, d->probes, b, sizeof(b)), rl_int(c->l, d->certs, e, sizeof(e)));
	if (d->status == 1) {
		fputs(" &mdash; <strong>", c->f);
		rl_put(c->f, c->l, RK_DATA_NO_END);
		fputs("</strong>", c->f);
	} else if (d->status < 0) {
		fputs(" &mdash; <strong>", c->f);
		rl_putf(c->f, c->l, RK_DATA_BAD, out_strerror(d->status),
			rl_int(c->l, d->bad_offset, a, sizeof(a)));
		fputs("</strong>", c->f);
	}
	fputs("</td></tr>\n", c->f);
}

static void data_meta_scan(const struct report_ctx *c, const struct sum_file *d,
			   const Tlsmap__V1__ScanEnd *e)
{
	const Tlsmap__V1__ScanMeta *m = d->meta->meta;
	FILE *f = c->f;

	kv(c, RK_DATA_TOOL);
	fputs("tlsmap ", f);
	rl_esc(f, m->tool_version);
	fputs("</td></tr>\n", f);
	kv(c, RK_DATA_VANTAGE);
	rl_esc(f, m->vantage[0] ? m->vantage : "-");
	fputs("</td></tr>\n", f);
	kv(c, RK_DATA_STARTED);
	utc(c, m->start_time_us);
	fputs("</td></tr>\n", f);
	kv(c, RK_DATA_ENDED);
	utc(c, e ? e->end_time_us : 0);
	if (e && !e->clean) {
		char why[SUM_META_STR * 6 + 1];

		fputc(' ', f);
		rl_putf(f, c->l, RK_DATA_STOPPED, rl_esc_buf(e->stop_reason, why, sizeof(why)));
	}
	fputs("</td></tr>\n", f);
	kv(c, RK_DATA_TARGETS);
	join_list(c, m->targets, m->n_targets, d->meta_n.targets);
	if (m->n_countries) {
		fputs("; ", f);
		rl_put(f, c->l, RK_DATA_COUNTRIES);
		fputc(' ', f);
		join_list(c, m->countries, m->n_countries, d->meta_n.countries);
	}
	fputs("</td></tr>\n", f);
	kv(c, RK_DATA_PORTS);
	for (size_t k = 0; k < m->n_ports; k++)
		fprintf(f, "%s%u", k ? ", " : "", m->ports[k]);
	if (d->meta_n.ports > m->n_ports) {
		char n[32];

		fputc(' ', f);
		rl_putf(f, c->l, RK_MORE, rl_int(c->l, d->meta_n.ports - m->n_ports, n, sizeof(n)));
	}
	fputs("</td></tr>\n", f);
}

static void data_meta_setup(const struct report_ctx *c, const struct sum_file *d)
{
	const Tlsmap__V1__ScanMeta *m = d->meta->meta;
	FILE *f = c->f;
	char a[32], b[32], e[32], built[96];

	kv(c, RK_DATA_SNIS);
	join_list(c, m->snis, m->n_snis, d->meta_n.snis);
	fputs("</td></tr>\n", f);
	kv(c, RK_DATA_CONTROL);
	rl_esc(f, m->control_sni[0] ? m->control_sni : "-");
	fputs("</td></tr>\n", f);
	kv(c, RK_DATA_SEED);
	snprintf(a, sizeof(a), "%" PRIu64, m->seed);
	rl_putf(f, c->l, RK_DATA_SEED_VAL, a, rl_int(c->l, m->shard + 1u, b, sizeof(b)),
		rl_int(c->l, m->shards ? m->shards : 1, e, sizeof(e)));
	if (m->merged_shards) {
		fputc(' ', f);
		rl_putf(f, c->l, RK_DATA_MERGED,
			rl_int(c->l, d->meta_n.merged_shard_indexes, a, sizeof(a)),
			rl_int(c->l, m->merged_shards, b, sizeof(b)));
	}
	fputs("</td></tr>\n", f);
	kv(c, RK_DATA_ROOTS);
	rl_esc(f, m->roots_source[0] ? m->roots_source : "-");
	if (m->roots_sha256.len) {
		fputs(" <span class=\"mono\">", f);
		hex(f, m->roots_sha256.data, m->roots_sha256.len);
		fputs("</span>", f);
	}
	fputs("</td></tr>\n", f);
	for (size_t k = 0; k < m->n_geo_databases; k++) {
		const Tlsmap__V1__GeoDatabase *g = m->geo_databases[k];
		char role[SUM_META_STR * 6 + 1], type[SUM_META_STR * 6 + 1];

		fputs("<tr><th>", f);
		rl_putf(f, c->l, RK_DATA_GEO, rl_esc_buf(g->role, role, sizeof(role)));
		fputs("</th><td>", f);
		rl_putf(f, c->l, RK_DATA_GEO_VAL, rl_esc_buf(g->database_type, type, sizeof(type)),
			rl_date(c->l, g->build_epoch * 1000000ull, 0, built, sizeof(built)));
		fputs("</td></tr>\n", f);
	}
}

static void data_file(const struct report_ctx *c, const struct sum_file *d)
{
	const Tlsmap__V1__ScanEnd *e = d->end ? d->end->end : NULL;
	FILE *f = c->f;

	fputs("<div class=\"tbl\"><table class=\"cards kv\"><tbody>\n", f);
	kv(c, RK_DATA_FILE);
	fputs("<span class=\"mono\">", f);
	rl_esc(f, d->path);
	fputs("</span></td></tr>\n<tr><th>SHA-256</th><td class=\"mono\">", f);
	hex(f, d->sha256, 32);
	fputs("</td></tr>\n", f);
	data_file_status(c, d);
	if (d->meta) {
		data_meta_scan(c, d, e);
		data_meta_setup(c, d);
	}
	if (e) {
		char a[32], b[32], g[32], h[32];

		kv(c, RK_DATA_COUNTERS);
		rl_putf(f, c->l, RK_DATA_COUNTERS_VAL, rl_int(c->l, e->targets_sent, a, sizeof(a)),
			rl_int(c->l, e->synack, b, sizeof(b)),
			rl_int(c->l, e->tls_ok, g, sizeof(g)),
			rl_int(c->l, e->records_dropped, h, sizeof(h)));
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
}

static void section_data(const struct report_ctx *c, const struct summary *s)
{
	size_t nf;
	const struct sum_file *fs;

	rp_section_open(c, "data", RK_DATA_H);
	/* a series lists every scan's files, oldest first */
	for (size_t p = 0; p < (c->ser ? c->ser->n : 1); p++) {
		fs = sum_files(c->ser ? diff_scan_summary(c->ser->pt[p].scan) : s, &nf);
		for (size_t i = 0; i < nf; i++)
			data_file(c, &fs[i]);
	}
	fputs("<p class=\"note\">", c->f);
	rl_put(c->f, c->l, RK_DATA_NOTE);
	fputs("</p></section>\n", c->f);
}

static void lede(const struct report_ctx *c, const struct summary *s)
{
	const struct sum_group *tot = sum_total(s);
	size_t n;
	const struct sum_group *cs = sum_groups(s, SUM_BY_COUNTRY, &n);
	char a[32], b[64], r[64];
	int hit = 0;

	fputs("<p class=\"lede\">", c->f);
	if (tot->hosts_tls) {
		snprintf(b, sizeof(b), "<strong>%s</strong>",
			 rl_int(c->l, tot->hosts_intercepted, a, sizeof(a)));
		rl_putf(c->f, c->l, RK_LEDE, rl_int(c->l, tot->hosts_tls, a, sizeof(a)), b,
			rl_pct(c->l, tot->rate, r, sizeof(r)));
		for (size_t i = 0; i < n; i++) {
			if (!cs[i].hosts_intercepted)
				continue;
			fputs(hit++ ? ", " : ": ", c->f);
			rp_country_label(c, cs[i].key);
			fputc(' ', c->f);
			rp_pct(c, cs[i].rate);
		}
		fputs(". ", c->f);
	} else {
		rl_put(c->f, c->l, RK_LEDE_NO_TLS);
		fputc(' ', c->f);
	}
	rl_putf(c->f, c->l, RK_LEDE_PROBED, rl_int(c->l, tot->hosts, a, sizeof(a)),
		rl_int(c->l, n, r, sizeof(r)));
	if (c->ser && c->ser->n > 1) {
		const struct series_point *last = &c->ser->pt[c->ser->n - 1];

		fputc(' ', c->f);
		rl_putf(c->f, c->l, RK_LEDE_LATEST, rl_date(c->l, last->start_us, 1, b, sizeof(b)),
			rl_int(c->l, c->ser->n, a, sizeof(a)));
	}
	fputs("</p>\n", c->f);
}

int report_write(FILE *f, const struct summary *s, const struct report_opts *o)
{
	struct map m;
	bool have_map = map_load(&m, o->map_path);
	struct report_ctx c = {.f = f, .l = o->lang, .m = &m, .ser = o->series};
	char when[96];

	fprintf(f,
		"<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
		report_lang_code(o->lang));
	if (o->title)
		rl_esc(f, o->title);
	else
		rl_put(f, o->lang, RK_TITLE);
	fprintf(f, "</title>\n<style>%s</style></head>\n<body><main>\n<header><h1>", css);
	if (o->title)
		rl_esc(f, o->title);
	else
		rl_put(f, o->lang, RK_TITLE);
	fputs("</h1>\n", f);
	lede(&c, s);
	if (o->now) {
		fputs("<p class=\"note\">", f);
		rl_putf(f, o->lang, RK_GENERATED,
			rl_date(o->lang, (uint64_t)o->now * 1000000ull, 2, when, sizeof(when)));
		fputs("</p>\n", f);
	}
	fputs("</header>\n", f);
	section_map(&c, s);
	section_countries(&c, s);
	report_section_timeline(&c);
	report_section_vantages(&c);
	section_issuers(&c, s);
	section_asns(&c, s);
	section_path(&c, s);
	section_method(&c);
	section_data(&c, s);
	fputs("<footer>", f);
	rl_put(f, o->lang, RK_FOOTER);
	fputs("</footer>\n</main></body></html>\n", f);
	if (have_map)
		map_free(&m);
	return ferror(f) ? -1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * HTML report writer (see report.h). Every string that came from the
 * network (issuer names, SNIs, AS names) or from the command line is HTML
 * escaped. The map is pre-rendered SVG: one <path> per country from the map
 * file, filled by rate class, with a <title> tooltip; it needs no script.
 * Countries too small for the 1:110m map are listed under it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/out.h"
#include "output/report.h"

#ifndef TLSMAP_DATADIR
#define TLSMAP_DATADIR "data"
#endif

struct map_country {
	char cc[4];
	char *name;
	char *d;
};

struct map {
	char viewbox[64];
	char *outline; /* path of the map's edge, or NULL */
	struct map_country *c;
	size_t n;
};

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

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if ((unsigned char)*s < 0x20)
				fputc(' ', f);
			else
				fputc(*s, f);
		}
	}
}

/* Rate classes: fill colour and legend label. */
static const struct {
	const char *fill, *label;
} classes[] = {
	{"#e3e3e3", "not measured"}, {"#cfe8d5", "0% (none seen)"}, {"#fdd49e", "up to 5%"},
	{"#fc8d59", "5-20%"},	     {"#e34a33", "20-50%"},	    {"#990000", "over 50%"},
};

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

static const struct sum_group *country_group(const struct summary *s, const char *cc)
{
	size_t n;
	const struct sum_group *g = sum_groups(s, SUM_BY_COUNTRY, &n);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(g[i].key, cc))
			return &g[i];
	return NULL;
}

static void pct(FILE *f, double v)
{
	fprintf(f, "%.1f%%", 100 * v);
}

static void country_label(FILE *f, const struct map *m, const char *cc)
{
	const char *name = map_name(m, cc);

	if (name) {
		esc(f, name);
		fputs(" (", f);
		esc(f, cc);
		fputc(')', f);
	} else {
		esc(f, strcmp(cc, "??") ? cc : "unknown location");
	}
}

static void utc(FILE *f, uint64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char buf[64];

	if (!us) {
		fputs("-", f);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fputs(buf, f);
}

/* @n listed of @total (the summary keeps the first SUM_META_KEEP). */
static void join_list(FILE *f, char **v, size_t n, size_t total)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		esc(f, v[i]);
	}
	if (!n)
		fputs("-", f);
	if (total > n)
		fprintf(f, " and %zu more", total - n);
}

static const char css[] =
	"*{box-sizing:border-box}"
	"body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d1d1f;"
	"margin:0;background:#fafafa}"
	"main{max-width:980px;margin:0 auto;padding:16px}"
	"h1{font-size:1.7em;margin:.2em 0}h2{font-size:1.25em;margin:1.6em 0 .4em;"
	"border-bottom:2px solid #ddd;padding-bottom:.2em}"
	".lede{font-size:1.1em}.note{color:#555;font-size:.92em}"
	".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.5em 0}"
	"table{border-collapse:collapse;width:100%;font-size:.93em;background:#fff}"
	"th,td{padding:6px 8px;border-bottom:1px solid #e5e5e5;text-align:left;vertical-align:top}"
	"th{background:#f0f0f0;white-space:nowrap}td.n{text-align:right;white-space:nowrap;"
	"font-variant-numeric:tabular-nums}"
	"tr.hit td{background:#fff4f0}td:first-child{min-width:9em}div.w{min-width:16em}"
	"figure{margin:0}svg.map{width:100%;height:auto;display:block}"
	"svg.map path{stroke:#fff;stroke-width:.4}svg.map path.sea{fill:#e4eef6;stroke:#b9c9d6}"
	".legend{display:flex;flex-wrap:wrap;gap:6px 14px;margin:.5em 0;font-size:.9em}"
	".legend span{display:inline-flex;align-items:center;gap:5px}"
	".legend i{display:inline-block;width:14px;height:14px;border:1px solid #999}"
	"code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em;"
	"word-break:break-all}"
	"footer{margin:2em 0 1em;font-size:.85em;color:#555}"
	"@media (max-width:600px){body{font-size:15px}main{padding:10px}th,td{padding:5px}}";

static void section_map(FILE *f, const struct summary *s, const struct map *m, bool have_map)
{
	size_t n;
	const struct sum_group *gs = sum_groups(s, SUM_BY_COUNTRY, &n);
	bool first = true;

	fputs("<section id=\"map\"><h2>Where interception was seen</h2>\n", f);
	if (!have_map) {
		fputs("<p class=\"note\">The world map is not available (its data file was not "
		      "found: "
		      "run scripts/bootstrap, which builds data/map/world.tsv). The tables below "
		      "hold "
		      "the same figures.</p>\n",
		      f);
	} else {
		fputs("<figure><svg class=\"map\" role=\"img\" viewBox=\"", f);
		esc(f, m->viewbox);
		fputs("\" aria-labelledby=\"maptitle\"><title id=\"maptitle\">World map: share of "
		      "hosts "
		      "with TLS that were intercepted, by country</title>\n",
		      f);
		if (m->outline)
			fprintf(f,
				"<clipPath id=\"edge\"><path d=\"%s\"/></clipPath>"
				"<path class=\"sea\" d=\"%s\"/><g clip-path=\"url(#edge)\">\n",
				m->outline, m->outline);
		for (size_t i = 0; i < m->n; i++) {
			const struct sum_group *g = country_group(s, m->c[i].cc);
			int k = rate_class(g);

			fprintf(f, "<path fill=\"%s\" d=\"%s\"><title>", classes[k].fill,
				m->c[i].d);
			esc(f, m->c[i].name);
			if (g && g->hosts_tls) {
				fprintf(f, ": %" PRIu64 " of %" PRIu64 " hosts intercepted (",
					g->hosts_intercepted, g->hosts_tls);
				pct(f, g->rate);
				fputc(')', f);
			} else {
				fputs(": not measured", f);
			}
			fputs("</title></path>\n", f);
		}
		fputs(m->outline ? "</g></svg></figure>\n<div class=\"legend\">"
				 : "</svg></figure>\n<div class=\"legend\">",
		      f);
		for (size_t k = 0; k < sizeof(classes) / sizeof(classes[0]); k++)
			fprintf(f, "<span><i style=\"background:%s\"></i>%s</span>",
				classes[k].fill, classes[k].label);
		fputs("</div>\n", f);
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(gs[i].key, "??") || map_name(m, gs[i].key))
				continue;
			fputs(first ? "<p class=\"note\">Measured but too small for this map: "
				    : ", ",
			      f);
			first = false;
			esc(f, gs[i].key);
			fputs(" (", f);
			if (gs[i].hosts_tls)
				pct(f, gs[i].rate);
			else
				fputs("no TLS hosts", f);
			fputc(')', f);
		}
		if (!first)
			fputs(".</p>\n", f);
	}
	fputs("</section>\n", f);
}

static void issuer_cell(FILE *f, const struct sum_count *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs("<br>", f);
		esc(f, c[i].name);
		fprintf(f, " (%" PRIu64 ")", c[i].hosts);
	}
	if (!n)
		fputs("-", f);
}

static void domain_cell(FILE *f, const struct sum_count *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		esc(f, c[i].name);
	}
	if (!n)
		fputs("-", f);
}

static void section_countries(FILE *f, const struct summary *s, const struct map *m)
{
	size_t n;
	const struct sum_group *gs = sum_groups(s, SUM_BY_COUNTRY, &n);

	fputs("<section id=\"countries\"><h2>Per country</h2>\n<div class=\"scroll\"><table>"
	      "<thead><tr><th>Country</th><th>Hosts probed</th><th>Hosts with TLS</th>"
	      "<th>Hosts intercepted</th><th>Rate</th><th>95% interval</th>"
	      "<th>Forging issuers (hosts)</th><th>Domains forged</th></tr></thead><tbody>\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		const struct sum_group *g = &gs[i];

		fprintf(f, "<tr%s><td>", g->hosts_intercepted ? " class=\"hit\"" : "");
		country_label(f, m, g->key);
		fprintf(f,
			"</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
			"</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">",
			g->hosts, g->hosts_tls, g->hosts_intercepted);
		if (g->hosts_tls) {
			pct(f, g->rate);
			fputs("</td><td class=\"n\">", f);
			pct(f, g->ci_low);
			fputs(" - ", f);
			pct(f, g->ci_high);
		} else {
			fputs("-</td><td class=\"n\">-", f);
		}
		/* list cells get a minimum width (through a div: browsers ignore
		 * min-width on table cells), so a long domain list wraps into a few
		 * wide lines instead of one name per line */
		fputs("</td><td><div class=\"w\">", f);
		issuer_cell(f, g->issuers, g->nissuers);
		fputs("</div></td><td><div class=\"w\">", f);
		domain_cell(f, g->domains, g->ndomains);
		fputs("</div></td></tr>\n", f);
	}
	fputs("</tbody></table></div>\n<p class=\"note\">Rate = hosts intercepted / hosts with "
	      "TLS. "
	      "The 95% interval (Wilson score) shows how much the rate could differ by chance with "
	      "this few hosts.</p></section>\n",
	      f);
}

static void section_issuers(FILE *f, const struct summary *s, const struct map *m)
{
	size_t n, nc;
	const struct sum_group *gs = sum_groups(s, SUM_BY_ISSUER, &n);
	const struct sum_group *cs = sum_groups(s, SUM_BY_COUNTRY, &nc);
	bool any = false;

	fputs("<section id=\"issuers\"><h2>Who forges the certificates</h2>\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct sum_group *g = &gs[i];
		bool firstc = true;

		if (!g->hosts_intercepted)
			continue;
		if (!any)
			fputs("<div class=\"scroll\"><table><thead><tr><th>Issuer of the forged "
			      "certificates</th><th>Hosts</th><th>Countries "
			      "(hosts)</th><th>Domains "
			      "forged (hosts)</th></tr></thead><tbody>\n",
			      f);
		any = true;
		fputs("<tr><td>", f);
		esc(f, g->key);
		fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td>", g->hosts_intercepted);
		for (size_t c = 0; c < nc; c++) {
			for (size_t k = 0; k < cs[c].nissuers; k++) {
				if (strcmp(cs[c].issuers[k].name, g->key))
					continue;
				if (!firstc)
					fputs(", ", f);
				firstc = false;
				country_label(f, m, cs[c].key);
				fprintf(f, " (%" PRIu64 ")", cs[c].issuers[k].hosts);
			}
		}
		fputs("</td><td>", f);
		for (size_t k = 0; k < g->ndomains; k++) {
			if (k)
				fputs(", ", f);
			esc(f, g->domains[k].name);
			fprintf(f, " (%" PRIu64 ")", g->domains[k].hosts);
		}
		fputs("</td></tr>\n", f);
	}
	if (any)
		fputs("</tbody></table></div>\n", f);
	else
		fputs("<p>No intercepted connection was found: no certificate was forged for any "
		      "of "
		      "the domains tested.</p>\n",
		      f);
	fputs("</section>\n", f);
}

static void section_asns(FILE *f, const struct summary *s, const struct map *m)
{
	size_t n;
	const struct sum_group *gs = sum_groups(s, SUM_BY_ASN, &n);
	bool any = false;

	fputs("<section id=\"asns\"><h2>Networks in the affected countries</h2>\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct sum_group *g = &gs[i];
		const struct sum_group *c = country_group(s, g->cc);

		if (!c || !c->hosts_intercepted)
			continue;
		if (!any)
			fputs("<div class=\"scroll\"><table><thead><tr><th>Country</th><th>Network "
			      "(AS)</th><th>Hosts with TLS</th><th>Intercepted</th><th>Rate</th>"
			      "<th>Forging issuers</th></tr></thead><tbody>\n",
			      f);
		any = true;
		fprintf(f, "<tr%s><td>", g->hosts_intercepted ? " class=\"hit\"" : "");
		country_label(f, m, g->cc);
		fputs("</td><td>", f);
		if (g->asn)
			fprintf(f, "AS%u ", g->asn);
		esc(f, g->as_org[0] ? g->as_org : (g->asn ? "" : "unknown network"));
		fprintf(f,
			"</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
			"</td><td class=\"n\">",
			g->hosts_tls, g->hosts_intercepted);
		if (g->hosts_tls)
			pct(f, g->rate);
		else
			fputs("-", f);
		fputs("</td><td>", f);
		issuer_cell(f, g->issuers, g->nissuers);
		fputs("</td></tr>\n", f);
	}
	if (any)
		fputs("</tbody></table></div>\n<p class=\"note\">Interception confined to some "
		      "networks "
		      "points at the operators; spread across all of a country's networks points "
		      "at a "
		      "national system.</p>\n",
		      f);
	else
		fputs("<p>No country had intercepted hosts.</p>\n", f);
	fputs("</section>\n", f);
}

/* The reasons a verdict can carry about where a certificate came from,
 * in plain words (docs/verdicts.md, "Evidence"). */
static const struct {
	const char *reason, *words;
} path_reasons[] = {
	{"localized-before-server",
	 "the forged certificate came back when our request could only reach a device on the "
	 "path before the server: interception"},
	{"group-localized-before-server",
	 "other hosts of the same network, forged by the same issuer, were placed on the path "
	 "before their servers: interception"},
	{"issuer-forges-across-networks",
	 "the same issuer forges certificates for many different servers in several networks: "
	 "interception, even by a device that hides its position on the path"},
	{"served-by-host",
	 "the other certificate comes from the server itself, on this host alone: not counted "
	 "as interception"},
	{"unstable-host",
	 "the host showed different certificates of its own on different connections (several "
	 "servers behind one address): not counted as interception"},
};

static void section_path(FILE *f, const struct summary *s, const struct map *m)
{
	size_t n;
	const struct sum_group *gs = sum_groups(s, SUM_BY_HOP, &n);

	fputs("<section id=\"path\"><h2>Where on the path</h2>\n", f);
	if (n) {
		fputs("<p>For a sample of the intercepted connections tlsmap sent the request for "
		      "the tested domain with a limited lifetime (IP TTL), one router further each "
		      "time, and noted the first distance at which the forged certificate came "
		      "back. The router that answered one step before that is the last router "
		      "before the interceptor.</p>\n"
		      "<div class=\"scroll\"><table><thead><tr><th>Last router before the "
		      "interceptor</th><th>Its country</th><th>Its network "
		      "(AS)</th><th>Intercepted "
		      "hosts behind it</th><th>Forging issuers</th></tr></thead><tbody>\n",
		      f);
		for (size_t i = 0; i < n; i++) {
			const struct sum_group *g = &gs[i];

			fputs("<tr class=\"hit\"><td>", f);
			esc(f, g->key);
			fputs("</td><td>", f);
			if (g->cc[0])
				country_label(f, m, g->cc);
			else
				fputs("unknown", f);
			fputs("</td><td>", f);
			if (g->asn)
				fprintf(f, "AS%u", g->asn);
			else
				fputs("unknown", f);
			fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td>",
				g->hosts_intercepted);
			issuer_cell(f, g->issuers, g->nissuers);
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody></table></div>\n", f);
	} else {
		fputs("<p>No intercepted connection was localised on the path (localisation off, "
		      "or no router answered).</p>\n",
		      f);
	}
	fputs("<p>Why a certificate that differs from the server's own counts as interception "
	      "or not:</p>\n<ul>\n",
	      f);
	for (size_t i = 0; i < sizeof(path_reasons) / sizeof(path_reasons[0]); i++) {
		fputs("<li><code>", f);
		esc(f, path_reasons[i].reason);
		fputs("</code>: ", f);
		esc(f, path_reasons[i].words);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n</section>\n", f);
}

static void section_method(FILE *f)
{
	fputs("<section id=\"method\"><h2>How this was measured</h2>\n"
	      "<p>tlsmap connects to HTTPS servers (port 443 and others) in the address ranges "
	      "scanned, and asks each server for its certificate several times: once under an "
	      "innocuous <em>control</em> name, and once for each <em>tested</em> domain (the "
	      "domains a censor is known to target, such as social networks).</p>\n"
	      "<p>A server normally answers every request with its own certificate. If, for a "
	      "tested domain only, the answer is a different certificate that claims to be that "
	      "domain but is signed by an authority that browsers do not trust (or one on a list "
	      "of known interceptors), something on the path between us and the server replaced "
	      "the certificate: the connection was <strong>intercepted</strong>. This is what "
	      "happened in Kazakhstan in 2019, when users were told to install a national "
	      "\"security certificate\" that let operators read their traffic to Facebook, Google "
	      "and others.</p>\n"
	      "<p>A host counts as intercepted when at least one tested domain was. Hosts that "
	      "present a certificate for some other name to everyone, or that do not speak TLS, "
	      "are not counted as interception. Countries and networks come from IP geolocation "
	      "databases, which can be wrong for some addresses. Results describe the paths from "
	      "the vantage point named below, at the time of the scan.</p>\n"
	      "</section>\n",
	      f);
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static void section_data(FILE *f, const struct summary *s)
{
	size_t nf;
	const struct sum_file *fs = sum_files(s, &nf);

	fputs("<section id=\"data\"><h2>Dataset and scan</h2>\n", f);
	for (size_t i = 0; i < nf; i++) {
		const struct sum_file *d = &fs[i];
		const Tlsmap__V1__ScanMeta *m = d->meta ? d->meta->meta : NULL;
		const Tlsmap__V1__ScanEnd *e = d->end ? d->end->end : NULL;

		fputs("<div class=\"scroll\"><table><tbody>\n<tr><th>Dataset file</th><td "
		      "class=\"mono\">",
		      f);
		esc(f, d->path);
		fputs("</td></tr>\n<tr><th>SHA-256</th><td class=\"mono\">", f);
		hex(f, d->sha256, 32);
		fprintf(f,
			"</td></tr>\n<tr><th>Records</th><td>%" PRIu64 " (%" PRIu64
			" probes, %" PRIu64 " certificates)",
			d->records, d->probes, d->certs);
		if (d->status == 1)
			fputs(" &mdash; <strong>incomplete: no end record (scan "
			      "interrupted)</strong>",
			      f);
		else if (d->status < 0)
			fprintf(f, " &mdash; <strong>incomplete: %s at byte %" PRIu64 "</strong>",
				out_strerror(d->status), d->bad_offset);
		fputs("</td></tr>\n", f);
		if (m) {
			fputs("<tr><th>Tool</th><td>tlsmap ", f);
			esc(f, m->tool_version);
			fputs("</td></tr>\n<tr><th>Vantage point</th><td>", f);
			esc(f, m->vantage[0] ? m->vantage : "-");
			fputs("</td></tr>\n<tr><th>Started</th><td>", f);
			utc(f, m->start_time_us);
			fputs("</td></tr>\n<tr><th>Ended</th><td>", f);
			utc(f, e ? e->end_time_us : 0);
			if (e && !e->clean) {
				fputs(" (stopped early: ", f);
				esc(f, e->stop_reason);
				fputc(')', f);
			}
			fputs("</td></tr>\n<tr><th>Targets</th><td>", f);
			join_list(f, m->targets, m->n_targets, d->meta_n.targets);
			if (m->n_countries) {
				fputs("; countries: ", f);
				join_list(f, m->countries, m->n_countries, d->meta_n.countries);
			}
			fputs("</td></tr>\n<tr><th>Ports</th><td>", f);
			for (size_t k = 0; k < m->n_ports; k++)
				fprintf(f, "%s%u", k ? ", " : "", m->ports[k]);
			if (d->meta_n.ports > m->n_ports)
				fprintf(f, " and %zu more", d->meta_n.ports - m->n_ports);
			fputs("</td></tr>\n<tr><th>Tested domains</th><td>", f);
			join_list(f, m->snis, m->n_snis, d->meta_n.snis);
			fputs("</td></tr>\n<tr><th>Control domain</th><td>", f);
			esc(f, m->control_sni[0] ? m->control_sni : "-");
			fprintf(f,
				"</td></tr>\n<tr><th>Seed, shard</th><td>%" PRIu64
				", shard %u of %u",
				m->seed, m->shard + 1, m->shards ? m->shards : 1);
			if (m->merged_shards) {
				fprintf(f, " (merged from %zu of %u shards)",
					d->meta_n.merged_shard_indexes, m->merged_shards);
			}
			fputs("</td></tr>\n<tr><th>Trust store</th><td>", f);
			esc(f, m->roots_source[0] ? m->roots_source : "-");
			if (m->roots_sha256.len) {
				fputs(" <span class=\"mono\">", f);
				hex(f, m->roots_sha256.data, m->roots_sha256.len);
				fputs("</span>", f);
			}
			fputs("</td></tr>\n", f);
			for (size_t k = 0; k < m->n_geo_databases; k++) {
				const Tlsmap__V1__GeoDatabase *g = m->geo_databases[k];

				fputs("<tr><th>Geolocation (", f);
				esc(f, g->role);
				fputs(")</th><td>", f);
				esc(f, g->database_type);
				fputs(", built ", f);
				utc(f, g->build_epoch * 1000000ull);
				fputs("</td></tr>\n", f);
			}
		}
		if (e)
			fprintf(f,
				"<tr><th>Counters</th><td>%" PRIu64 " SYNs sent, %" PRIu64
				" SYN-ACKs, %" PRIu64 " TLS chains captured, %" PRIu64
				" records dropped</td></tr>\n",
				e->targets_sent, e->synack, e->tls_ok, e->records_dropped);
		fputs("</tbody></table></div>\n", f);
	}
	fputs("<p class=\"note\">Anyone can check that a published dataset is the one this page "
	      "describes: its SHA-256 must match. <code>tlsmap dump FILE</code> prints every "
	      "record "
	      "as JSON.</p></section>\n",
	      f);
}

int report_write(FILE *f, const struct summary *s, const struct report_opts *o)
{
	struct map m;
	bool have_map = map_load(&m, o->map_path);
	const struct sum_group *tot = sum_total(s);
	size_t n;
	const struct sum_group *cs = sum_groups(s, SUM_BY_COUNTRY, &n);
	const char *title = o->title ? o->title : "HTTPS interception by country";
	int hit = 0;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	      f);
	esc(f, title);
	fprintf(f, "</title>\n<style>%s</style></head>\n<body><main>\n<header><h1>", css);
	esc(f, title);
	fputs("</h1>\n<p class=\"lede\">", f);
	if (tot->hosts_tls) {
		fprintf(f,
			"Of %" PRIu64 " hosts that answered with TLS, <strong>%" PRIu64
			"</strong> (",
			tot->hosts_tls, tot->hosts_intercepted);
		pct(f, tot->rate);
		fputs(") were intercepted for at least one tested domain", f);
		for (size_t i = 0; i < n; i++) {
			if (!cs[i].hosts_intercepted)
				continue;
			fputs(hit++ ? ", " : ": ", f);
			country_label(f, &m, cs[i].key);
			fputc(' ', f);
			pct(f, cs[i].rate);
		}
		fputs(".", f);
	} else {
		fputs("No host answered with TLS in this dataset.", f);
	}
	fprintf(f, " %" PRIu64 " hosts probed in %zu countries.</p>\n", tot->hosts, n);
	if (o->now) {
		fputs("<p class=\"note\">Report generated ", f);
		utc(f, (uint64_t)o->now * 1000000ull);
		fputs(" by tlsmap.</p>\n", f);
	}
	fputs("</header>\n", f);
	section_map(f, s, &m, have_map);
	section_countries(f, s, &m);
	section_issuers(f, s, &m);
	section_asns(f, s, &m);
	section_path(f, s, &m);
	section_method(f);
	section_data(f, s);
	fputs("<footer>Country shapes: Natural Earth 1:110m (public domain), via the world-atlas "
	      "package. Geolocation: DB-IP Lite country database (CC-BY-4.0, db-ip.com) and "
	      "RouteViews/DB-IP ASN data via ip-location-db (CC-BY-4.0). This page is "
	      "self-contained: "
	      "it loads nothing from the network.</footer>\n</main></body></html>\n",
	      f);
	if (have_map)
		map_free(&m);
	return ferror(f) ? -1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * tlsmap report FILE... -o report.html: the one-page report for readers
 * (output/report.c). The page is written to OUT.partial and renamed, so a
 * reader never sees half a page. Files from several scans (dates, vantage
 * points) make a series (output/series.h): the page then has a timeline per
 * country and the vantage points side by side. The words come from
 * share/report/LANG.tsv (--lang), the country names from
 * share/report/countries.tsv.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "output/out.h"
#include "output/report.h"
#include "output/report_lang.h"
#include "output/series.h"
#include "output/summary.h"
#include "scanner/cmd/cli.h"
#include "scanner/stage/stage_tls.h"

static const char usage_text[] =
	"usage: tlsmap report [options] -o OUT.html FILE...\n"
	"Write one self-contained HTML page (inline CSS and SVG, nothing fetched)\n"
	"for readers: world map by interception rate, per-country table, forging\n"
	"issuers and the domains they forge, networks of the affected countries,\n"
	"the method, and the datasets' SHA-256 and scan metadata. Given datasets of\n"
	"several dates (their scans' start times), a timeline per country: the rate\n"
	"with its 95% interval at each date and what changed since the previous\n"
	"scan; given scans of one day from several vantage points (their labels),\n"
	"the rate seen from each side by side.\n"
	"  -o, --output FILE   the HTML file to write (required)\n"
	"  --title TEXT        page title\n"
	"  --map FILE          world map data (default: data/map/world.tsv, made by\n"
	"                      scripts/bootstrap; without it the page says so)\n"
	"  --lang LANG         the page's language: en (default), ru or kk\n"
	"                      (share/report/LANG.tsv; country names:\n"
	"                      share/report/countries.tsv)\n"
	"  -h, --help          this text\n";

struct report_lang *cmd_report_lang(const char *code)
{
	char name[64], path[4096], err[512];
	struct report_lang *l;

	struct report_countries *cs;

	snprintf(name, sizeof(name), "report/%s.tsv", code);
	l = report_lang_load(tls_share_path(name, path, sizeof(path)), code, err, sizeof(err));
	if (!l) {
		fprintf(stderr, "tlsmap: the report's texts: %s\n", err);
		return NULL;
	}
	cs = report_countries_load(tls_share_path(REPORT_COUNTRIES_FILE, path, sizeof(path)), code,
				   err, sizeof(err));
	if (!cs) {
		fprintf(stderr, "tlsmap: the report's country names: %s\n", err);
		report_lang_free(l);
		return NULL;
	}
	report_lang_set_countries(l, cs);
	return l;
}

/* The page into @tmp, renamed to @out_path once complete. 0 or 1 (said why). */
static int write_page(const char *out_path, const char *tmp, const struct series *ser,
		      const struct report_opts *ro)
{
	FILE *f = fopen(tmp, "w"), *probe;

	if (!f) {
		fprintf(stderr, "tlsmap report: %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	/* '+', not '||': the file is closed whatever failed first */
	if ((report_write(f, ser->latest, ro) != 0) + (fclose(f) != 0)) {
		fprintf(stderr, "tlsmap report: writing %s: %s\n", tmp, strerror(errno));
		remove(tmp);
		return 1;
	}
	if (rename(tmp, out_path) != 0) {
		fprintf(stderr, "tlsmap report: %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	probe = fopen(ro->map_path, "r");
	if (!probe)
		fprintf(stderr,
			"tlsmap report: note: map data %s not found; the page has a note instead "
			"of "
			"the map\n",
			ro->map_path);
	else
		fclose(probe);
	return 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},	 {"output", required_argument, NULL, 'o'},
		{"title", required_argument, NULL, 't'}, {"map", required_argument, NULL, 'm'},
		{"lang", required_argument, NULL, 'l'},	 {NULL, 0, NULL, 0},
	};
	const char *out_path = NULL;
	char map_buf[4096], tmp[4096], err[512];
	struct report_opts ro = {.title = NULL, .map_path = NULL, .now = (long long)time(NULL)};
	struct series ser = {0};
	struct report_lang *lang = NULL;
	const char *lang_code = "en";
	int c, ret = 1;

	/* each flag at most once */
	struct cli_getopt g = {.cmd = "report", .shortopts = "ho:", .longopts = opts};
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_OPT_REPEATED:
			return CLI_EUSAGE;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'o':
			out_path = optarg;
			break;
		case 't':
			ro.title = optarg;
			break;
		case 'm':
			ro.map_path = optarg;
			break;
		case 'l':
			if (!report_lang_known(optarg)) {
				cli_usage_error("report",
						"invalid value for --lang: '%s' (expected %s)",
						optarg, report_langs_text());
				return CLI_EUSAGE;
			}
			lang_code = optarg;
			break;
		default:
			return cli_bad_option("report", argc, argv);
		}
	}
	if (!out_path) {
		cli_usage_error("report", "missing -o OUT.html");
		return CLI_EUSAGE;
	}
	if (optind == argc) {
		cli_usage_error("report", "missing FILE");
		return CLI_EUSAGE;
	}
	snprintf(tmp, sizeof(tmp), "%s.partial", out_path);
	for (int i = optind; i < argc; i++) {
		if (out_same_file(out_path, argv[i]) || out_same_file(tmp, argv[i])) {
			cli_usage_error("report", "the output %s is also an input (%s)", out_path,
					argv[i]);
			return CLI_EUSAGE;
		}
	}
	if (!ro.map_path)
		ro.map_path = report_default_map(map_buf, sizeof(map_buf));
	lang = cmd_report_lang(lang_code);
	if (!lang)
		goto out;
	ro.lang = lang;
	if (series_load(&ser, (const char *const *)argv + optind, (size_t)(argc - optind), err,
			sizeof(err)) != OUT_OK) {
		fprintf(stderr, "tlsmap report: %s\n", err);
		goto out;
	}
	ro.series = ser.n > 1 ? &ser : NULL;
	if (write_page(out_path, tmp, &ser, &ro))
		goto out;
	fprintf(stderr, "tlsmap report: wrote %s\n", out_path);
	ret = 0;
out:
	series_free(&ser);
	report_lang_free(lang);
	return ret;
}

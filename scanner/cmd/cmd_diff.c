/* SPDX-License-Identifier: MIT */
/*
 * tlsmap diff OLD NEW: what changed between two scans (two sweeps of the
 * same targets): the networks (country + ASN, as `summary --by asn`) and the
 * hosts that started or stopped being intercepted, and the forging issuers
 * and forged domains that are new or have vanished.
 *
 * The comparison is the output library's (output/diff.c), which the
 * report's timeline uses too; this file is the command line and printing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/diff.h"
#include "output/out.h"
#include "output/summary.h"
#include "scanner/cmd/cli.h"

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

struct side {
	const char *path;
	struct diff_scan *scan;
};

static int load(struct side *s)
{
	char err[512];
	int e;

	s->scan = diff_scan_new(true);
	if (!s->scan)
		return 1;
	e = diff_scan_add_file(s->scan, s->path, err, sizeof(err));
	if (e != OUT_OK) {
		fprintf(stderr, "tlsmap diff: %s\n", err);
		return e == OUT_ENOMEM ? 1 : CLI_EUSAGE; /* not a dataset we can read: bad input */
	}
	diff_scan_finish(s->scan);
	{
		size_t nf;
		const struct sum_file *f = sum_files(diff_scan_summary(s->scan), &nf);

		if (nf && f[0].status < 0)
			fprintf(stderr,
				"tlsmap diff: warning: %s: %s; comparing its complete records\n",
				s->path, out_strerror(f[0].status));
	}
	return 0;
}

static void print_csv(FILE *f, const struct diff_changes *c)
{
	fputs("change,kind,key,country,asn,as_org,old_hosts_tls,old_intercepted,new_hosts_tls,"
	      "new_intercepted\n",
	      f);
	for (size_t i = 0; i < c->n; i++) {
		const struct diff_change *x = &c->v[i];
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

static void print_section(FILE *f, const struct diff_changes *c, const char *kind,
			  const char *change, const char *title)
{
	size_t n = 0, shown = 0;

	for (size_t i = 0; i < c->n; i++)
		n += !strcmp(c->v[i].kind, kind) && !strcmp(c->v[i].change, change);
	fprintf(f, "%s (%zu)\n", title, n);
	for (size_t i = 0; i < c->n && shown < DIFF_TABLE_ROWS; i++) {
		const struct diff_change *x = &c->v[i];

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

static void print_table(FILE *f, const struct diff_changes *c, const struct side *o,
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
	struct diff_changes ch = {0};
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
	if (diff_compute(side[0].scan, side[1].scan, &ch)) {
		fprintf(stderr, "tlsmap diff: out of memory\n");
		goto out;
	}
	for (int k = 0; k < 2; k++)
		if (diff_scan_skipped_v6(side[k].scan))
			fprintf(stderr,
				"tlsmap diff: note: %s: %llu IPv6 probes not compared by host\n",
				side[k].path,
				(unsigned long long)diff_scan_skipped_v6(side[k].scan));
	if (csv)
		print_csv(stdout, &ch);
	else
		print_table(stdout, &ch, &side[0], &side[1]);
	ret = fflush(stdout) == 0 ? 0 : 1;
out:
	for (int k = 0; k < 2; k++)
		diff_scan_free(side[k].scan);
	diff_changes_free(&ch);
	return ret;
}

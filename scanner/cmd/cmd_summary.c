/* SPDX-License-Identifier: MIT */
/*
 * tlsmap summary: interception per country, ASN, forging issuer, SNI or vantage over
 * one or more dataset files (shards of a scan may be given together: a host
 * counts once). The table is what `make demo` prints; --csv is for tools.
 * Incomplete files are summarised as far as they go, with a warning.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "output/out.h"
#include "output/summary.h"
#include "scanner/cmd/cli.h"

static const char usage_text[] =
	"usage: tlsmap summary [options] FILE...\n"
	"Per group: hosts probed, hosts with TLS, hosts intercepted (at least one SNI\n"
	"intercepted), the interception rate (intercepted / with TLS) with a 95%\n"
	"Wilson interval, the top forging issuers and the domains forged.\n"
	"  --by KEY     country (default), asn, issuer, sni, hop (the last router\n"
	"               before each localised interceptor, with its country and ASN),\n"
	"               or vantage (each scan's vantage label: the same targets seen\n"
	"               from several places, given together)\n"
	"  --csv        CSV with a header line instead of a table\n"
	"  -h, --help   this text\n";

int cmd_summary(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"by", required_argument, NULL, 'b'},
		{"csv", no_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	enum sum_by by = SUM_BY_COUNTRY;
	bool csv = false;
	struct summary *s;
	char err[512];
	int c, ret = 0;

	/* each flag at most once */
	struct cli_getopt g = {.cmd = "summary", .shortopts = "hb:c", .longopts = opts};
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_OPT_REPEATED:
			return CLI_EUSAGE;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'b':
			if (!strcmp(optarg, "country"))
				by = SUM_BY_COUNTRY;
			else if (!strcmp(optarg, "asn"))
				by = SUM_BY_ASN;
			else if (!strcmp(optarg, "issuer"))
				by = SUM_BY_ISSUER;
			else if (!strcmp(optarg, "sni"))
				by = SUM_BY_SNI;
			else if (!strcmp(optarg, "hop"))
				by = SUM_BY_HOP;
			else if (!strcmp(optarg, "vantage"))
				by = SUM_BY_VANTAGE;
			else {
				cli_usage_error("summary",
						"invalid value for --by: '%s' (expected country, "
						"asn, issuer, sni, hop or vantage)",
						optarg);
				return CLI_EUSAGE;
			}
			break;
		case 'c':
			csv = true;
			break;
		default:
			return cli_bad_option("summary", argc, argv);
		}
	}
	if (optind == argc) {
		cli_usage_error("summary", "missing FILE");
		return CLI_EUSAGE;
	}
	s = sum_new();
	if (!s)
		return 1;
	for (int i = optind; i < argc; i++) {
		int e = sum_add_file(s, argv[i], err, sizeof(err));

		if (e != OUT_OK) {
			fprintf(stderr, "tlsmap summary: %s\n", err);
			ret = 1;
			if (e == OUT_EMAGIC || e == OUT_ENOMEM || (e == OUT_EIO))
				goto out;
		}
	}
	{
		size_t nf;
		const struct sum_file *fs = sum_files(s, &nf);

		for (size_t i = 0; i < nf; i++) {
			if (fs[i].status == OUT_ETRUNC)
				fprintf(stderr,
					"tlsmap summary: warning: %s is truncated at byte offset "
					"%llu; "
					"summarising its %llu complete records\n",
					fs[i].path, (unsigned long long)fs[i].bad_offset,
					(unsigned long long)fs[i].records);
			else if (fs[i].status == 1)
				fprintf(stderr,
					"tlsmap summary: warning: %s has no ScanEnd (incomplete "
					"scan)\n",
					fs[i].path);
		}
	}
	sum_finish(s);
	if (csv)
		sum_print_csv(stdout, s, by);
	else
		sum_print_table(stdout, s, by);
out:
	sum_free(s);
	return ret;
}

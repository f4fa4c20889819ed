/* SPDX-License-Identifier: MIT */
/* tlsmap merge: placeholder until its issue lands; it never pretends success. */
#include <getopt.h>
#include <stdio.h>

#include "scanner/cli.h"

static const char usage_text[] =
	"usage: tlsmap merge [options]\n"
	"  -h, --help   this text\n";

int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return cli_bad_option("merge", argc, argv);
		}
	}
	fprintf(stderr, "tlsmap merge: not implemented yet\n");
	return 1;
}

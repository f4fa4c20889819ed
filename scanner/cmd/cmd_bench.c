/* SPDX-License-Identifier: MIT */
/*
 * tlsmap bench tx|rx|x509|tls [options]: a dispatcher to one function per
 * benchmark (scanner/bench/bench.h). Benchmarks print key=value lines.
 */
#include <stdio.h>
#include <string.h>

#include "scanner/bench/bench.h"
#include "scanner/cmd/cli.h"

static const char usage_text[] =
	"usage: tlsmap bench KIND [options]   (prints key=value lines)\n"
	"  tx   [--seconds S] [--iface VDEV] [-T LCORES]  build and send SYNs on one TX lcore\n"
	"                                                 (default net_null0, 5 s)\n"
	"  rx   [--seconds S] [--targets N]               validate, dedup and dispatch\n"
	"                                                 prebuilt SYN-ACKs/RSTs in memory\n"
	"  x509 ...                                       certificate parsing (x509 stage)\n"
	"  tls  [--hosts N] [--path fast|openssl|both]    the TLS stage against a canned peer\n"
	"                                                 (net_ring0 loopback; tls --help)\n"
	"  -h, --help   this text\n";

int cmd_bench(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} kinds[] = {
		{"tx", bench_tx},
		{"rx", bench_rx},
		{"x509", bench_x509},
		{"tls", bench_tls},
	};

	if (argc < 2) {
		cli_usage_error("bench", "which benchmark? tx, rx, x509 or tls");
		return CLI_EUSAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (strcmp(argv[1], kinds[k].name))
			continue;
		return kinds[k].fn(argc - 1, argv + 1);
	}
	if (argv[1][0] == '-')
		cli_usage_error("bench", "unknown option '%s' (give the benchmark first)", argv[1]);
	else
		cli_usage_error("bench", "unknown benchmark '%s' (tx, rx, x509, tls)", argv[1]);
	return CLI_EUSAGE;
}

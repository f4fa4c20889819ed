/* SPDX-License-Identifier: MIT */
/*
 * tlsmap: map where HTTPS interception happens. main() only dispatches to
 * the subcommand table; each subcommand lives in scanner/cmd_<name>.c and
 * declares its options once, in its own getopt_long table.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "scanner/cmd/cli.h"
#include "scanner/paths.h"

static const struct cli_cmd commands[] = {
	{"scan", cmd_scan, "send SYNs and TLS ClientHellos through DPDK, write a dataset"},
	{"dump", cmd_dump, "print a dataset's records as JSON Lines"},
	{"summary", cmd_summary, "interception per country, ASN, issuer or SNI"},
	{"merge", cmd_merge, "join the shard files of one scan"},
	{"report", cmd_report, "write a self-contained HTML report for readers"},
	{"x509", cmd_x509, "parse PEM/DER certificates and print their fields as JSON"},
	{"interceptors", cmd_interceptors,
	 "list known interceptors, check certificates against them"},
	{"diff", cmd_diff, "networks, hosts, issuers and domains whose interception changed"},
	{"sweep", cmd_sweep, "one run of a scheduled sweep: scan, summaries, report, series.csv"},
	{"bench", cmd_bench, "measure tx, rx and x509 parsing speed (key=value lines)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tlsmap <command> [options]\n"
		   "\n"
		   "tlsmap maps HTTPS interception: it connects to TLS hosts with the SNI of\n"
		   "targeted domains and with an innocuous control SNI, and flags hosts whose\n"
		   "chain for a targeted name differs from their own and leads to an\n"
		   "untrusted or known-interceptor issuer.\n"
		   "\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n"
		   "'tlsmap <command> --help' describes each command's options.\n"
		   "Network safety: 'scan' refuses reserved and special-purpose ranges\n"
		   "(the IANA registry) unless given -b FILE or --allow-reserved.\n");
}

/*
 * What a command printed must have reached standard output: `tlsmap dump
 * > /dev/full` (a full disk, a closed pipe) is a failure, not exit 0 with
 * truncated output. Every command ends here.
 */
static int finish_stdout(const char *cmd, int ret)
{
	int e;

	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return ret;
	e = errno;
	fprintf(stderr, "tlsmap%s%s: cannot write standard output: %s\n", cmd ? " " : "",
		cmd ? cmd : "", e ? strerror(e) : "write error");
	return ret ? ret : 1;
}

int main(int argc, char **argv)
{
	/* A file-size limit (RLIMIT_FSIZE) is a write error like a full disk:
	 * write(2) returns EFBIG and the command reports it and keeps what it
	 * wrote, instead of being killed with half a record in its file. */
	signal(SIGXFSZ, SIG_IGN);
	paths_init();
	if (argc < 2) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return finish_stdout(NULL, 0);
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("tlsmap %s\n", TLSMAP_VERSION);
		return finish_stdout(NULL, 0);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return finish_stdout(argv[1], commands[i].fn(argc - 1, argv + 1));
	fprintf(stderr, "tlsmap: unknown command '%s' (see 'tlsmap --help')\n", argv[1]);
	return CLI_EUSAGE;
}

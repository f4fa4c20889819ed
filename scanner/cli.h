/* SPDX-License-Identifier: MIT */
/*
 * The command-line surface: the subcommand table and the helpers every
 * subcommand uses to turn option strings into values. A bad value is a
 * usage error: the helper prints one line naming the subcommand, the option
 * and the offending text, and the caller returns CLI_EUSAGE (exit status 2).
 * Only main() exits.
 */
#ifndef TLSMAP_SCANNER_CLI_H
#define TLSMAP_SCANNER_CLI_H

#include <stdbool.h>
#include <stdint.h>

#define CLI_EUSAGE 2 /* exit status for bad input, before any work is done */

typedef int (*cli_cmd_fn)(int argc, char **argv);

struct cli_cmd {
	const char *name;
	cli_cmd_fn fn;
	const char *help; /* one line for `tlsmap --help` */
};

int cmd_scan(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_x509(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* Print "tlsmap CMD: MESSAGE" to stderr, plus a hint to use --help. */
void cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Parse an unsigned decimal integer in [min, max] from the whole of @s
 * (suffixes k, M, G multiply by 10^3, 10^6, 10^9 when @allow_suffix).
 * On error prints a usage error naming @cmd, @opt and @s; returns -1.
 */
int cli_parse_u64(const char *cmd, const char *opt, const char *s,
		  uint64_t min, uint64_t max, bool allow_suffix, uint64_t *out);

/* Non-negative decimal seconds, e.g. "2.5"; same error convention. */
int cli_parse_seconds(const char *cmd, const char *opt, const char *s,
		      double *out);

/*
 * Report the unknown option or missing argument getopt_long saw last
 * (call from the '?' and ':' cases); returns CLI_EUSAGE.
 */
int cli_bad_option(const char *cmd, int argc, char **argv);

#endif

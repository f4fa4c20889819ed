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

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
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
/* The report's texts in @code (share/report/CODE.tsv); NULL after a message. */
struct report_lang *cmd_report_lang(const char *code);
int cmd_x509(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_interceptors(int argc, char **argv);

/*
 * The known-interceptor list a command works with: share/interceptors.tsv
 * (a warning when it is missing, an error when it is malformed) plus each
 * of @files in order. Returns 0 with *@out set (free with icpt_list_free),
 * or CLI_EUSAGE after printing the file, line and fault (cmd_interceptors.c).
 */
struct icpt_list;
int cli_load_interceptors(const char *cmd, const char *const *files, size_t nfiles,
			  struct icpt_list **out);
int cmd_sweep(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* Print "tlsmap CMD: MESSAGE" to stderr, plus a hint to use --help. */
void cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Parse an unsigned decimal integer in [min, max] from the whole of @s
 * (suffixes k, M, G multiply by 10^3, 10^6, 10^9 when @allow_suffix).
 * On error prints a usage error naming @cmd, @opt and @s; returns -1.
 */
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
		  bool allow_suffix, uint64_t *out);

/* Non-negative decimal seconds, e.g. "2.5"; same error convention. */
int cli_parse_seconds(const char *cmd, const char *opt, const char *s, double *out);

/*
 * getopt_long with one rule for repeated flags, shared by every subcommand:
 * a flag whose value is in @lists accumulates (the caller appends each
 * value: -p 443 -p 8443 is both ports); any other flag given twice is a
 * usage error naming it, never a silent "last one wins". Declare once per
 * command: struct cli_getopt g = {"scan", "p:h", scan_opts, lists};
 */
struct cli_getopt {
	const char *cmd;
	const char *shortopts;
	const struct option *longopts;
	const int *lists; /* option values that accumulate, 0-terminated; NULL: none */
	uint64_t seen[8]; /* option values 0..511 given so far */
	bool started;
};

/* cli_getopt()'s return for a repeated flag (the error is printed). */
#define CLI_OPT_REPEATED (-2)

/*
 * The next option, as getopt_long() returns it ('?' and ':' included, for
 * cli_bad_option()); -1 at the end; CLI_OPT_REPEATED after printing
 * "option -p/--target-ports given twice" for a repeated non-list flag.
 * Resets getopt's state on the first call.
 */
int cli_getopt(struct cli_getopt *g, int argc, char **argv);

/*
 * Read the whole file at @path (at most @max octets) into a new buffer,
 * NUL-terminated, its length in *@len. NULL with errno set (EFBIG when
 * larger than @max). The caller frees.
 */
char *cli_read_file(const char *path, size_t max, size_t *len);

/*
 * Report the unknown option or missing argument getopt_long saw last
 * (call from the '?' and ':' cases); returns CLI_EUSAGE.
 */
int cli_bad_option(const char *cmd, int argc, char **argv);

#endif

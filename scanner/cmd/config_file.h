/* SPDX-License-Identifier: MIT */
/*
 * `-C FILE` for a subcommand (ZMap's flag): a file of `key = value` lines,
 * keys being the subcommand's long option names, turned into argv entries
 * inserted before the command line's own, so the subcommand's one
 * getopt_long table parses both and no option is declared twice.
 *
 * The command line overrides the file: a long option (or its short alias)
 * that appears on the command line drops every value the file gives for it,
 * and for the other members of its group of alternatives (-r and -B). This
 * does not rely on "the last value wins", which a repeated scalar flag does
 * not give (it is an error).
 *
 * File format, one entry per line:
 *     # a comment (also after a value, when preceded by blank space)
 *     rate = 20000
 *     vantage = "lab #1"       (double quotes keep blanks and '#')
 *     allow-reserved           (a flag: bare, or = true / = false)
 *     sni = google.com         (repeatable options may repeat)
 * Keys beginning with @ignore_prefix (e.g. "sweep.") belong to another
 * command reading the same file and are skipped.
 */
#ifndef TLSMAP_SCANNER_CONFIG_FILE_H
#define TLSMAP_SCANNER_CONFIG_FILE_H

#include <getopt.h>
#include <stddef.h>

#define CFGFILE_MAX_BYTES (1u << 20) /* a config file is small: refuse anything larger */

struct cfgfile_argv {
	int argc;
	char **argv; /* argv[0], the file's options, the command line's; NULL-terminated */
	int nfile;   /* argv[1..nfile] are owned (strings made from the file) */
	char *path;  /* the -C FILE given (borrowed from the command line), NULL if none */
};

/*
 * Expand -C FILE / --config FILE in @argv. @opts and @shortopts are the
 * subcommand's own getopt_long table and short-option string; they must
 * declare "config" / 'C' (the subcommand's parser then ignores it).
 * @alternatives: NULL-terminated list of space-separated long names that
 * exclude each other ("rate bandwidth"), or NULL.
 * @ignore_prefix: keys with this prefix are skipped, or NULL.
 *
 * On success returns 0 and fills @out (without -C, a copy of @argv);
 * release it with cfgfile_free() once nothing points into it (getopt's
 * optarg does). On error prints one line naming @cmd, the file and the
 * line, and returns 2 (CLI_EUSAGE); @out is then empty.
 * Uses getopt_long (resets optind), so call it before the real parse.
 */
int cfgfile_expand(const char *cmd, const struct option *opts, const char *shortopts,
		   const char *const *alternatives, const char *ignore_prefix, int argc,
		   char **argv, struct cfgfile_argv *out);

void cfgfile_free(struct cfgfile_argv *x);

/*
 * One `key = value` entry of a config file, for commands that read their
 * own keys (tlsmap sweep reads the "sweep." ones).
 */
struct cfgfile_entry {
	const char *key;
	const char *value; /* NULL for a bare key */
	unsigned line;
};

/*
 * Read @path into @entries (array owned by the caller via cfgfile_entries_free).
 * Returns 0, or 2 after printing "tlsmap CMD: FILE:LINE: why".
 */
int cfgfile_read(const char *cmd, const char *path, struct cfgfile_entry **entries, size_t *n,
		 char **storage);
void cfgfile_entries_free(struct cfgfile_entry *entries, char *storage);

#endif

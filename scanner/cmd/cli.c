/* SPDX-License-Identifier: MIT */
/*
 * Value parsing shared by the subcommands. Each parser accepts the whole
 * string or nothing: "443x", "", "-5" and overflow are errors, and the error
 * names the option and the text, since a scan that starts with a mistyped
 * rate is worse than one that does not start. Also the whole-file reader
 * the commands that take certificate files share.
 */
#include "scanner/cmd/cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tlsmap %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'tlsmap %s --help')\n", cmd);
}

int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
		  bool allow_suffix, uint64_t *out)
{
	const char *p = s;
	uint64_t v = 0, mult = 1;

	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			goto bad;
		v = v * 10 + d;
	}
	if (*p && allow_suffix && p[1] == '\0') {
		switch (*p) {
		case 'k':
		case 'K':
			mult = 1000ULL;
			p++;
			break;
		case 'M':
			mult = 1000000ULL;
			p++;
			break;
		case 'G':
			mult = 1000000000ULL;
			p++;
			break;
		default:
			break;
		}
		if (v > UINT64_MAX / mult)
			goto bad;
		v *= mult;
	}
	if (*p != '\0')
		goto bad;
	if (v < min || v > max) {
		cli_usage_error(cmd, "invalid value for %s: '%s' (expected %llu to %llu)", opt, s,
				(unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
bad:
	cli_usage_error(cmd,
			"invalid value for %s: '%s' (expected a whole number from %llu to %llu)",
			opt, s, (unsigned long long)min, (unsigned long long)max);
	return -1;
}

int cli_parse_seconds(const char *cmd, const char *opt, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (s[0] == '\0' || *end != '\0' || errno || !isfinite(v) || v < 0 || v > 86400.0 * 365) {
		cli_usage_error(cmd, "invalid value for %s: '%s' (expected seconds, e.g. 2.5)", opt,
				s);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_bad_option(const char *cmd, int argc, char **argv)
{
	const char *arg = (optind > 0 && optind <= argc) ? argv[optind - 1] : "?";

	if (optopt && optopt != '?')
		cli_usage_error(cmd, "option -%c: unknown or missing its value (near '%s')", optopt,
				arg);
	else
		cli_usage_error(cmd, "unknown option or missing value: '%s'", arg);
	return CLI_EUSAGE;
}

/* "-p/--target-ports", "--sni" or "-j": how the user may have typed @opt. */
static void opt_name(const struct cli_getopt *g, int opt, char *buf, size_t cap)
{
	const char *lname = NULL;
	bool has_short = opt > 0 && opt < 128 && opt != ':' && strchr(g->shortopts, opt);

	for (const struct option *o = g->longopts; o && o->name; o++)
		if (o->val == opt && !o->flag) {
			lname = o->name;
			break;
		}
	if (has_short && lname)
		snprintf(buf, cap, "-%c/--%s", opt, lname);
	else if (lname)
		snprintf(buf, cap, "--%s", lname);
	else
		snprintf(buf, cap, "-%c", opt);
}

int cli_getopt(struct cli_getopt *g, int argc, char **argv)
{
	int opt;

	if (!g->started) {
		optind = 1; /* a fresh getopt scan */
		opterr = 0;
		memset(g->seen, 0, sizeof(g->seen));
		g->started = true;
	}
	opt = getopt_long(argc, argv, g->shortopts, g->longopts, NULL);
	if (opt < 0 || opt == '?' || opt == ':' || opt >= 512)
		return opt;
	for (const int *l = g->lists; l && *l; l++)
		if (*l == opt)
			return opt;
	if (g->seen[opt / 64] >> (opt % 64) & 1) {
		char name[80];
		opt_name(g, opt, name, sizeof(name));
		cli_usage_error(g->cmd, "option %s given more than once (it takes one value)",
				name);
		return CLI_OPT_REPEATED;
	}
	g->seen[opt / 64] |= 1ull << (opt % 64);
	return opt;
}

char *cli_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 65536;
			char *p;

			if (nc > max + 1)
				nc = max + 1;
			if (nc == cap) {
				errno = EFBIG;
				goto fail;
			}
			p = realloc(buf, nc + 1);
			if (!p)
				goto fail;
			buf = p;
			cap = nc;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f))
				goto fail;
			break;
		}
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

/* SPDX-License-Identifier: MIT */
/*
 * -C FILE (scanner/cmd/config_file.c): the file's entries become "--key=value"
 * argv entries before the command line's; the command line overrides the
 * file by dropping the file's values for every option it sets (short alias,
 * abbreviation and --opt=value forms included) and for that option's
 * alternatives; every bad line is refused naming file:line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/cmd/config_file.h"
#include "tests/unit/test.h"

static const struct option opts[] = {
	{"rate", required_argument, NULL, 'r'},
	{"bandwidth", required_argument, NULL, 'B'},
	{"vantage", required_argument, NULL, 256},
	{"sni", required_argument, NULL, 257},
	{"allow-reserved", no_argument, NULL, 258},
	{"dry-run", no_argument, NULL, 259},
	{"config", required_argument, NULL, 'C'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};
static const char *const alts[] = {"rate bandwidth", NULL};

static const char path[] = "x"; /* in a fresh directory: the -C argument of every case */

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* Expand and join argv[1..] with '|' into @out; returns cfgfile_expand's value. */
static int expand(const char *text, char *out, size_t cap, int argc, char **argv)
{
	struct cfgfile_argv x;
	int ret;

	write_file(text);
	out[0] = '\0';
	ret = cfgfile_expand("test", opts, "r:B:hC:", alts, "sweep.", argc, argv, &x);
	if (ret == 0) {
		for (int k = 1; k < x.argc; k++) {
			strncat(out, x.argv[k], cap - strlen(out) - 1);
			if (k + 1 < x.argc)
				strncat(out, "|", cap - strlen(out) - 1);
		}
		CHECK(x.argv[x.argc] == NULL);
		cfgfile_free(&x);
	}
	return ret;
}

#define EXPECT_ARGS(text, want, ...)                                                               \
	do {                                                                                       \
		char *av[] = {"test", __VA_ARGS__, NULL};                                          \
		char got[1024];                                                                    \
		int r = expand(text, got, sizeof(got), (int)(sizeof(av) / sizeof(av[0])) - 1, av); \
		CHECK(r == 0);                                                                     \
		if (r == 0 && strcmp(got, want)) {                                                 \
			fprintf(stderr, "%s:%d: got '%s', want '%s'\n", __FILE__, __LINE__, got,   \
				want);                                                             \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

#define EXPECT_FAIL(text, ...)                                                                     \
	do {                                                                                       \
		char *av[] = {"test", __VA_ARGS__, NULL};                                          \
		char got[1024];                                                                    \
		int r = expand(text, got, sizeof(got), (int)(sizeof(av) / sizeof(av[0])) - 1, av); \
		if (r != 2) {                                                                      \
			fprintf(stderr, "%s:%d: expected failure, got %d '%s'\n", __FILE__,        \
				__LINE__, r, got);                                                 \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

int main(void)
{
	char dir[256];

	if (!test_tmpdir(dir, sizeof(dir), "cfgfile") || chdir(dir)) {
		perror(dir);
		return 1;
	}

	/* no -C: the command line unchanged */
	EXPECT_ARGS("", "-r|5|x", "-r", "5", "x");
	/* the file's options first, then the command line's */
	EXPECT_ARGS("# comment\n\nrate = 100\nvantage = lab\n", "--rate=100|--vantage=lab|-C|x",
		    "-C", "x");
	/* flags: bare, true, false; CRLF lines; comments after blank space */
	EXPECT_ARGS("allow-reserved\r\ndry-run = false   # not now\nvantage = a#b # c\n",
		    "--allow-reserved|--vantage=a#b|-C|x", "-C", "x");
	EXPECT_ARGS("dry-run = true\n", "--dry-run|--config=x", "--config=x");
	/* quoted values keep blanks and '#'; empty values stay empty */
	EXPECT_ARGS("vantage = \"  lab #1 \"\nsni =\n", "--vantage=  lab #1 |--sni=|-C|x", "-C",
		    "x");
	/* repeatable options repeat; keys of another command are skipped */
	EXPECT_ARGS("sni = a\nsni = b\nsweep.shards = 4\n", "--sni=a|--sni=b|-C|x", "-C", "x");
	/* the command line overrides: short alias, long, abbreviation, --opt=value */
	EXPECT_ARGS("rate = 100\nvantage = lab\n", "--vantage=lab|-C|x|-r|5", "-C", "x", "-r", "5");
	EXPECT_ARGS("rate = 100\nvantage = lab\n", "--vantage=lab|-C|x|-r5", "-C", "x", "-r5");
	EXPECT_ARGS("rate = 100\nvantage = lab\n", "--rate=100|-C|x|--van|v2", "-C", "x", "--van",
		    "v2");
	EXPECT_ARGS("rate = 100\nvantage = lab\n", "--rate=100|-C|x|--vantage=v2", "-C", "x",
		    "--vantage=v2");
	/* a repeatable option on the command line replaces the file's whole list */
	EXPECT_ARGS("sni = a\nsni = b\n", "-C|x|--sni|c", "-C", "x", "--sni", "c");
	/* alternatives: -B on the command line drops the file's rate */
	EXPECT_ARGS("rate = 100\n", "-C|x|-B|1M", "-C", "x", "-B", "1M");
	/* a value that looks like -C is not -C */
	EXPECT_ARGS("rate = 1\n", "--rate=1|-C|x|--vantage|-C", "-C", "x", "--vantage", "-C");
	/* an overridden flag set to false on the command line side is still overridden */
	EXPECT_ARGS("allow-reserved\n", "-C|x|--allow-reserved", "-C", "x", "--allow-reserved");

	/* errors: each names file:line (checked by the CLI test); here: refused */
	EXPECT_FAIL("bogus = 1\n", "-C", "x");
	EXPECT_FAIL("--rate = 1\n", "-C", "x");
	EXPECT_FAIL("rate 100\n", "-C", "x");
	EXPECT_FAIL("rate\n", "-C", "x");
	EXPECT_FAIL("allow-reserved = yes\n", "-C", "x");
	EXPECT_FAIL("vantage = \"open\n", "-C", "x");
	EXPECT_FAIL("vantage = \"a\" b\n", "-C", "x");
	EXPECT_FAIL("vantage = a\"b\n", "-C", "x");
	EXPECT_FAIL("config = other.conf\n", "-C", "x");
	EXPECT_FAIL("help\n", "-C", "x");
	EXPECT_FAIL("= 5\n", "-C", "x");
	EXPECT_FAIL("", "-C", "x", "-C", "y");
	{ /* a NUL byte and a missing file */
		FILE *f = fopen(path, "w");
		char *av[] = {"test", "-C", "x", NULL};
		struct cfgfile_argv x;
		CHECK(f && fwrite("rate = 1\n\0\n", 1, 11, f) == 11 && fclose(f) == 0);
		CHECK(cfgfile_expand("test", opts, "r:B:hC:", alts, NULL, 3, av, &x) == 2);
		unlink(path);
		CHECK(cfgfile_expand("test", opts, "r:B:hC:", alts, NULL, 3, av, &x) == 2);
		CHECK(x.argv == NULL);
	}
	/* keys of another command are errors without an ignore prefix */
	{
		char *av[] = {"test", "-C", "x", NULL};
		struct cfgfile_argv x;
		write_file("sweep.shards = 4\n");
		CHECK(cfgfile_expand("test", opts, "r:B:hC:", alts, NULL, 3, av, &x) == 2);
	}
	/* cfgfile_read: entries with their line numbers */
	{
		struct cfgfile_entry *e;
		char *st;
		size_t n;
		write_file("# x\nsweep.shards = 4\n\nsweep.slurm\n");
		CHECK(cfgfile_read("test", path, &e, &n, &st) == 0);
		CHECK_EQ_U64(n, 2);
		if (n == 2) {
			CHECK(!strcmp(e[0].key, "sweep.shards") && !strcmp(e[0].value, "4"));
			CHECK_EQ_U64(e[0].line, 2);
			CHECK(!strcmp(e[1].key, "sweep.slurm") && e[1].value == NULL);
			CHECK_EQ_U64(e[1].line, 4);
		}
		cfgfile_entries_free(e, st);
	}
	unlink(path);
	if (chdir("/"))
		perror("/");
	TEST_DONE();
}

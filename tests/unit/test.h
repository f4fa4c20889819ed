/* SPDX-License-Identifier: MIT */
/*
 * What every unit test (tests/unit/NAME_test.c) shares, so none keeps a
 * private copy: check macros that print where and what and count into
 * `failures` (the test goes on, so one run reports every broken check), the
 * closing line, temporary directories removed at exit, reading a whole
 * file, and the source tree's path from the environment (TLSMAP_SRCDIR,
 * set by meson; never a machine's path). Include once, from the test's .c.
 */
#ifndef TLSMAP_TESTS_UNIT_TEST_H
#define TLSMAP_TESTS_UNIT_TEST_H

#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static int failures;

/* CHECK(cond): count and print the condition's text when it is false. */
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);      \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

/* EXPECT(cond, fmt, ...): the same, with a message saying what was expected. */
#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);                                \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
		}                                                                                  \
	} while (0)

/* CHECK_EQ_U64(a, b): both values printed when they differ. */
#define CHECK_EQ_U64(a, b)                                                                         \
	do {                                                                                       \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);     \
		if (a_ != b_) {                                                                    \
			fprintf(stderr, "%s:%d: %s == %llu, expected %s == %llu\n", __FILE__,      \
				__LINE__, #a, a_, #b, b_);                                         \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

/* The closing line, "ok: 0 failure(s)" or "FAIL: N failure(s)", and the
 * exit status for it. */
static inline int test_done(void)
{
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
#define TEST_DONE() return test_done()

/* Exit status 77 (meson's "skipped") with the reason printed. */
static inline int test_skip(const char *why)
{
	printf("skip: %s\n", why);
	return 77;
}

/* ---- temporary directories, removed at exit ---- */

#define TEST_MAX_TMPDIRS 8
static char test_tmpdirs[TEST_MAX_TMPDIRS][256];
static pid_t test_tmpdir_owner;

static inline int test_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove every directory test_tmpdir() made; kept, and named, when a check
 * failed or TLSMAP_KEEP_TMP is set. Only the process that made them removes
 * them, not a forked child. */
static inline void test_tmpdirs_remove(void)
{
	bool keep = failures || getenv("TLSMAP_KEEP_TMP");

	if (getpid() != test_tmpdir_owner)
		return;
	for (int k = 0; k < TEST_MAX_TMPDIRS; k++) {
		if (!test_tmpdirs[k][0])
			continue;
		if (keep)
			fprintf(stderr, "files kept in %s\n", test_tmpdirs[k]);
		else
			nftw(test_tmpdirs[k], test_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
}

/*
 * A fresh directory $TMPDIR/tlsmap-NAME-XXXXXX (TMPDIR defaults to /tmp),
 * written to @buf and removed with its content at exit (kept when a check
 * failed). @buf, or NULL
 * (printed) when it cannot be made.
 */
static inline char *test_tmpdir(char *buf, size_t len, const char *name)
{
	const char *base = getenv("TMPDIR");
	int slot = 0;

	while (slot < TEST_MAX_TMPDIRS && test_tmpdirs[slot][0])
		slot++;
	if (slot == TEST_MAX_TMPDIRS || len > sizeof(test_tmpdirs[0]))
		len = 0;
	if (!base || !*base)
		base = "/tmp";
	if (len == 0 || (size_t)snprintf(buf, len, "%s/tlsmap-%s-XXXXXX", base, name) >= len ||
	    !mkdtemp(buf)) {
		perror("test_tmpdir");
		return NULL;
	}
	if (!test_tmpdir_owner) {
		test_tmpdir_owner = getpid();
		atexit(test_tmpdirs_remove);
	}
	memcpy(test_tmpdirs[slot], buf, strlen(buf) + 1);
	return buf;
}

/* ---- files ---- */

/*
 * The whole of @path, NUL-terminated (not counted in *@len), in a malloc'd
 * buffer the caller frees; NULL (and *@len 0) when it cannot be read or is
 * above 256 MiB.
 */
static inline char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (len)
		*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (n + 1 >= cap) {
			char *b = cap < (256u << 20) ? realloc(buf, cap ? 2 * cap : 4096) : NULL;
			if (!b) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
			cap = cap ? 2 * cap : 4096;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Write @text to @path (created or truncated): 0, or -1 (printed). */
static inline int test_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

/* A protobuf varint of @v at @p (at most 10 bytes): its length. For tests
 * that craft records byte by byte. */
static inline size_t test_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* The process's resident set now (VmRSS), in KiB; -1 when unknown. */
static inline long test_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb;
}

/* xorshift64: a reproducible stream for test inputs (not for keys). */
static inline uint64_t test_rand(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* The source tree (TLSMAP_SRCDIR, set by meson), or "." when run by hand
 * from the source tree. */
static inline const char *test_srcdir(void)
{
	const char *s = getenv("TLSMAP_SRCDIR");
	return s && *s ? s : ".";
}

#endif

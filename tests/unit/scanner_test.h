/* SPDX-License-Identifier: MIT */
/* Tiny check macros shared by the scanner unit tests: count failures, keep going. */
#ifndef TLSMAP_TESTS_SCANNER_TEST_H
#define TLSMAP_TESTS_SCANNER_TEST_H

#include <stdio.h>

static int test_failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			test_failures++;                                                           \
		}                                                                                  \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                                         \
	do {                                                                                       \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);     \
		if (a_ != b_) {                                                                    \
			fprintf(stderr, "%s:%d: %s == %llu, expected %s == %llu\n", __FILE__,      \
				__LINE__, #a, a_, #b, b_);                                         \
			test_failures++;                                                           \
		}                                                                                  \
	} while (0)

#define TEST_DONE()                                                                                \
	do {                                                                                       \
		if (test_failures) {                                                               \
			fprintf(stderr, "%d check(s) failed\n", test_failures);                    \
			return 1;                                                                  \
		}                                                                                  \
		printf("ok\n");                                                                    \
		return 0;                                                                          \
	} while (0)

#endif

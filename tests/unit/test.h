/* SPDX-License-Identifier: MIT */
/*
 * Check macros shared by the unit tests (tests/unit/NAME_test.c): a failed
 * check prints where and what, counts into `failures`, and the test goes
 * on, so one run reports every broken check; main() returns non-zero when
 * `failures` is. Include once, from the test's .c file.
 */
#ifndef TLSMAP_TESTS_UNIT_TEST_H
#define TLSMAP_TESTS_UNIT_TEST_H

#include <stdio.h>

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

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness for the report's language files (output/report_lang.h,
 * share/report/LANG.tsv): the input is a language file. It must load or
 * fail with a message, never crash; a file that loads must give every key
 * a text, and writing every text with its arguments, numbers and dates in
 * that language must not crash either. The same input is then read as the
 * country names file (share/report/countries.tsv): it loads or is refused
 * with a message, and a file that loads answers every two-letter code.
 *
 * Built as a libFuzzer target with -Dfuzz=true (clang, ASan+UBSan);
 * otherwise replay.c's main() runs it over the seed corpus and the
 * regressions (the 'fuzz' suite's test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/report_lang.h"

/* The input as countries.tsv, for Kazakh. */
static void countries(const uint8_t *data, size_t size)
{
	FILE *in = fmemopen((void *)data, size, "r");
	struct report_countries *cs;
	char err[512] = "";
	size_t named = 0;

	if (!in)
		return;
	cs = report_countries_load_stream(in, "countries.tsv", "kk", err, sizeof(err));
	fclose(in);
	if (!cs) {
		if (!err[0])
			abort(); /* a refusal says why */
		return;
	}
	for (char a = 'A'; a <= 'Z'; a++) {
		for (char b = 'A'; b <= 'Z'; b++) {
			const char cc[3] = {a, b, 0};
			const char *name = report_countries_name(cs, cc);

			if (name && !name[0])
				abort(); /* names are never empty */
			named += name != NULL;
		}
	}
	if (named != report_countries_count(cs) || report_countries_name(cs, "K"))
		abort();
	report_countries_free(cs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const args[9] = {"1", "2", "3", "4", "5", "6", "7", "8", "9"};
	struct report_lang *l;
	char err[512], buf[256];
	FILE *in, *out;

	if (!size) /* fmemopen refuses a zero-size buffer */
		return 0;
	countries(data, size);
	in = fmemopen((void *)data, size, "r");
	if (!in)
		return 0;
	l = report_lang_load_stream(in, "in.tsv", "xx", err, sizeof(err));
	fclose(in);
	if (!l) {
		if (!err[0])
			abort(); /* a refusal says why */
		return 0;
	}
	out = fopen("/dev/null", "w");
	for (size_t k = 0; k < RK_COUNT && out; k++) {
		if (!rl_str(l, (enum report_key)k))
			abort();
		rl_fmt(out, l, (enum report_key)k, args, rl_key_args((enum report_key)k));
	}
	if (out)
		fclose(out);
	rl_int(l, UINT64_MAX, buf, sizeof(buf));
	rl_pct(l, 0.123456, buf, sizeof(buf));
	rl_date(l, 1767571200000000ull, 2, buf, sizeof(buf));
	report_lang_free(l);
	return 0;
}

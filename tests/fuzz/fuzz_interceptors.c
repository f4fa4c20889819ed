/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness for the known-interceptor file (share/interceptors.tsv and
 * `tlsmap scan --interceptors FILE`): the input is the file, loaded with
 * verdict_interceptors_load() and appended again with
 * verdict_interceptors_add_file() as the scan does. On success every entry
 * has a known kind and NUL-terminated strings; on failure the message
 * names the file.
 *
 * Built as a libFuzzer target with -Dfuzz=true (clang, ASan+UBSan);
 * otherwise replay.c's main() runs it over the seed corpus and the
 * regressions.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "parsers/verdict.h"

static void check_entries(const struct verdict_interceptors *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct verdict_interceptor *e = &l->v[i];

		if (e->kind != VERDICT_ICPT_ISSUER && e->kind != VERDICT_ICPT_SPKI_SHA256)
			abort();
		if (!memchr(e->value, 0, sizeof(e->value)) || !memchr(e->cn, 0, sizeof(e->cn)) ||
		    !memchr(e->label, 0, sizeof(e->label)) ||
		    !memchr(e->source, 0, sizeof(e->source)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_file file;
	const char *path = fuzz_file_set(&file, data, size);
	struct verdict_interceptors *l;
	char err[512];

	err[0] = 0;
	l = verdict_interceptors_load(path, err, sizeof(err));
	if (!l) {
		if (!strstr(err, path))
			abort();
		return 0;
	}
	check_entries(l);
	size_t n = l->n;
	if (verdict_interceptors_add_file(l, path, err, sizeof(err)) != 0 || l->n != 2 * n)
		abort(); /* the same file loads the same way twice */
	check_entries(l);
	verdict_interceptors_free(l);
	return 0;
}

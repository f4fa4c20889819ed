/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness for the known-interceptor list loader (parsers/interceptors.h):
 * the input is a list file. It must load or fail with a "path:line: ..."
 * message, never crash; a list that loads must hold only well-formed entries
 * (hash kinds with 32-octet keys, SKIs within bounds, labels set), must
 * refuse the same bytes a second time (every entry is a duplicate), and must
 * match without crashing a certificate that did not parse.
 *
 * Built as a libFuzzer target with -Dfuzz=true (clang, ASan+UBSan);
 * otherwise replay.c's main() runs it over the seed corpus and the
 * regressions (the 'fuzz' suite's test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/interceptors.h"

static int load(struct icpt_list *l, const uint8_t *data, size_t size, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)data, size, "r");
	int ret;

	if (!f)
		return -2;
	ret = icpt_list_add_stream(l, f, "in.tsv", err, errlen);
	fclose(f);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct icpt_list *l;
	char err[512];
	int ret;

	if (!size) /* fmemopen refuses a zero-size buffer */
		return 0;
	l = icpt_list_new();
	if (!l)
		return 0;
	ret = load(l, data, size, err, sizeof(err));
	if (ret == -1 && strncmp(err, "in.tsv", 6))
		abort(); /* every message names the input */
	if (ret == 0) {
		uint8_t zero[32] = {0};
		struct icpt_cert c = {data, NULL, zero, zero};
		struct icpt_match m;

		if (l->nfiles != 1 || !l->version[0])
			abort();
		for (size_t i = 0; i < l->n; i++) {
			const struct icpt_entry *e = &l->v[i];
			bool hash = e->kind == ICPT_CERT_SHA256 || e->kind == ICPT_SPKI_SHA256;

			if (e->kind < ICPT_CERT_SHA256 || e->kind > ICPT_ISSUER || !e->label[0] ||
			    !e->name[0] || !e->sources[0] || (hash && e->key_len != 32) ||
			    (e->kind == ICPT_SKI &&
			     (e->key_len < ICPT_SKI_MIN || e->key_len > ICPT_KEY_MAX)))
				abort();
		}
		icpt_match_chain(l, &c, 1, &m);
		if (l->n && load(l, data, size, err, sizeof(err)) != -1)
			abort(); /* the same entries again are duplicates */
	}
	icpt_list_free(l);
	return 0;
}

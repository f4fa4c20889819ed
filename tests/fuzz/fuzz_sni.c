/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness for the SNI file (`tlsmap scan --sni-file FILE`): the input
 * is the file, loaded by scan_config_tls_resolve() as the scan does, once
 * as a regular file and, when it fits, once through a pipe (`--sni-file
 * <(...)`, where the file has no size). Every name accepted must be a
 * non-empty lower-case host name of at most 253 bytes inside the loader's
 * blob; a refusal must leave the configuration freeable.
 *
 * Built as a libFuzzer target with -Dfuzz=true (clang, ASan+UBSan);
 * otherwise replay.c's main() runs it over the seed corpus and the
 * regressions.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_file.h"
#include "scanner/cmd/scan_config.h"

void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

static int devnull = -1, saved_err = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	saved_err = dup(2);
	if (devnull < 0 || saved_err < 0)
		abort();
	if (__sanitizer_set_report_fd)
		__sanitizer_set_report_fd((void *)(intptr_t)saved_err);
	return 0;
}

static void load(const char *path)
{
	struct scan_config c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.sni_file = path;
	c.eligible = SCAN_ELIGIBLE_TRUSTED;
	fflush(stderr);
	dup2(devnull, 2); /* the loader's usage errors */
	ret = scan_config_tls_resolve(&c);
	fflush(stderr);
	dup2(saved_err, 2);
	if (ret != 0 && ret != 2)
		abort();
	if (ret == 0) {
		if (c.nsnis == 0 || !c.control_sni)
			abort();
		for (size_t i = 0; i < c.nsnis; i++) {
			size_t n = strlen(c.snis[i]);

			if (n == 0 || n > 253)
				abort();
			for (size_t k = 0; k < n; k++)
				if (isupper((unsigned char)c.snis[i][k]) ||
				    isspace((unsigned char)c.snis[i][k]) || c.snis[i][k] == '#')
					abort();
		}
	}
	scan_config_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_file file;
	int p[2];

	load(fuzz_file_set(&file, data, size));
	/* A pipe holds 64 KiB by default: inputs up to that go through one. */
	if (size <= 65536 && pipe2(p, O_CLOEXEC) == 0) {
		char path[64];

		if (write(p[1], data, size) != (ssize_t)size)
			abort();
		close(p[1]);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
		load(path);
		close(p[0]);
	}
	return 0;
}

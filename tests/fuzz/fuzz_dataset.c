/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness for dataset files, the input people pass around: the bytes
 * are a dataset, read by the commands exactly as a user runs them (their
 * cmd_* entry points with an argv): dump, summary by each key (table and
 * CSV), merge with --allow-incomplete (and a dump of what merge wrote,
 * plain or zstd-compressed by turns), and report. Inputs may be plain or
 * zstd-compressed datasets (the seeds include both): the readers tell them
 * apart by their first bytes. Their output goes to /dev/null; a crash, a sanitizer report,
 * a leak or an exit status outside {0, 1, 2} is a finding.
 *
 * Built as a libFuzzer target with -Dfuzz=true (clang, ASan+UBSan);
 * otherwise replay.c's main() runs it over the seed corpus (small datasets
 * written by tests/unit/output_gen_lab) and the regressions.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_file.h"
#include "scanner/cmd/cli.h"

/* Sanitizer reports must still reach the real stderr while the commands'
 * stderr goes to /dev/null (weak: absent from the plain replay build). */
void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

static struct fuzz_file input;
/* merge and report fsync what they write: on tmpfs that costs nothing */
static char dir[64];
static char merged[96], merged_zst[96], html[96];
static int devnull = -1, saved_out = -1, saved_err = -1;

static void cleanup(void)
{
	unlink(merged);
	unlink(merged_zst);
	unlink(html);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/tlsmap-fuzz-dataset-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir)) {
		perror(dir);
		abort();
	}
	snprintf(merged, sizeof(merged), "%s/merged.tlsmap", dir);
	snprintf(merged_zst, sizeof(merged_zst), "%s/merged.tlsmap.zst", dir);
	snprintf(html, sizeof(html), "%s/report.html", dir);
	atexit(cleanup);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	saved_out = dup(1);
	saved_err = dup(2);
	if (devnull < 0 || saved_out < 0 || saved_err < 0)
		abort();
	if (__sanitizer_set_report_fd)
		__sanitizer_set_report_fd((void *)(intptr_t)saved_err);
	return 0;
}

/* Run one command with stdout and stderr silenced; its status must be one
 * the commands document. */
static int run(cli_cmd_fn fn, int argc, const char **argv)
{
	int ret;

	fflush(stdout);
	fflush(stderr);
	dup2(devnull, 1);
	dup2(devnull, 2);
	ret = fn(argc, (char **)argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	if (ret < 0 || ret > 2) {
		fprintf(stderr, "%s returned %d\n", argv[0], ret);
		abort();
	}
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file_set(&input, data, size);
	static const char *const keys[] = {"country", "asn", "issuer", "sni"};
	const char *out = size & 1 ? merged_zst : merged;

	run(cmd_dump, 2, (const char *[]){"dump", path, NULL});
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		run(cmd_summary, i & 1 ? 4 : 5,
		    (const char *[]){"summary", "--by", keys[i], path, "--csv", NULL});
	unlink(out);
	if (run(cmd_merge, 5,
		(const char *[]){"merge", "--allow-incomplete", "-o", out, path, NULL}) == 0)
		run(cmd_dump, 2, (const char *[]){"dump", out, NULL});
	run(cmd_report, 6,
	    (const char *[]){"report", "--map", "/dev/null", "-o", html, path, NULL});
	return 0;
}

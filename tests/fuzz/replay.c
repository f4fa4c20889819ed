/* SPDX-License-Identifier: MIT */
/*
 * The replay driver every harness links when it is not built for
 * libFuzzer: main() runs LLVMFuzzerTestOneInput() once over every file
 * named on the command line or found in the directories named there (the
 * seed corpus and the regressions), which is the 'fuzz' suite's test in the
 * release and sanitizer builds. A harness that needs set-up defines
 * LLVMFuzzerInitialize(), as with libFuzzer. A crash, a sanitizer report or
 * an abort() in a harness's own checks fails the test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_MAX (4u << 20) /* libFuzzer's -max_len is far below this */

static int replay_file(const char *path, uint8_t *buf)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		return 1;
	}
	n = fread(buf, 1, REPLAY_MAX, f);
	fclose(f);
	/* a private copy of exactly n bytes, so ASan sees reads past the end */
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		return 1;
	memcpy(copy, buf, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of directory @dir, in name order (reproducible runs). */
static int replay_dir(const char *dir, uint8_t *buf, int *files)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	int bad = 0;

	if (!d) {
		perror(dir);
		return 1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char **grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown)
			break;
		names = grown;
		if (asprintf(&names[n], "%s/%s", dir, e->d_name) < 0)
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		bad += replay_file(names[i], buf);
		(*files)++;
		free(names[i]);
	}
	free(names);
	return bad;
}

/* Weak: a harness written with its own replay main() (under #ifndef
 * TLSMAP_LIBFUZZER) keeps it. */
__attribute__((weak)) int main(int argc, char **argv);
__attribute__((weak)) int main(int argc, char **argv)
{
	static uint8_t buf[REPLAY_MAX];
	int files = 0, bad = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int a = 1; a < argc; a++) {
		struct stat st;

		if (stat(argv[a], &st) != 0) {
			printf("%s: absent, skipped\n", argv[a]); /* e.g. no regressions yet */
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			bad += replay_dir(argv[a], buf, &files);
		} else {
			bad += replay_file(argv[a], buf);
			files++;
		}
	}
	printf("replayed %d inputs\n", files);
	if (files == 0) {
		fprintf(stderr, "no input replayed: is the corpus missing?\n");
		return 1;
	}
	return bad ? 1 : 0;
}

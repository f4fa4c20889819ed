/* SPDX-License-Identifier: MIT */
/*
 * Fuzz harness for eng_icmp_parse() (dpdk/pkt.c, issue 10): the ICMP the
 * engine accepts from the network for path localisation. The input is an
 * Ethernet frame, copied to a buffer of exactly its size so that a read past
 * the end is caught by the sanitizers; a parse that succeeds must be
 * consistent (a quote only on an error message with its protocol set).
 *
 * Built as a libFuzzer target with -Dfuzz=true (clang); otherwise main()
 * replays every file named on the command line or found in the given
 * directories (the seed corpus), which is the 'fuzz' suite's test.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dpdk/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *frame = malloc(size ? size : 1);
	struct eng_icmp ic;

	if (!frame)
		return 0;
	memcpy(frame, data, size);
	if (eng_icmp_parse(frame, (unsigned)size, &ic)) {
		if (ic.quoted && ic.type != ENG_ICMP_TIME_EXCEEDED && ic.type != ENG_ICMP_UNREACH)
			abort();
		if (ic.q_proto != 6 && (ic.q_sport_be || ic.q_dport_be || ic.q_seq))
			abort(); /* ports only from a quoted TCP header */
	}
	free(frame);
	return 0;
}

#ifndef TLSMAP_LIBFUZZER
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	static uint8_t data[1 << 16];
	if (!f) {
		perror(path);
		return 1;
	}
	size_t n = fread(data, 1, sizeof(data), f);
	fclose(f);
	LLVMFuzzerTestOneInput(data, n);
	return 0;
}

int main(int argc, char **argv)
{
	int files = 0, bad = 0;
	for (int a = 1; a < argc; a++) {
		struct stat st;
		if (stat(argv[a], &st) != 0) {
			perror(argv[a]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad += replay_file(argv[a]);
			files++;
			continue;
		}
		DIR *d = opendir(argv[a]);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			char p[4096];
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", argv[a], e->d_name);
			bad += replay_file(p);
			files++;
		}
		if (d)
			closedir(d);
	}
	printf("replayed %d inputs\n", files);
	return bad ? 1 : 0;
}
#endif

/* SPDX-License-Identifier: MIT */
/*
 * Reading datasets takes memory bounded by the input, not multiplied by it
 * (merge streams too). The real binary is run on:
 *   A. 8 MB of repeated empty sub-messages in one record (protobuf-c turns
 *      each 2-byte GeoDatabase into ~100 bytes: 440 MB before): dump,
 *      summary and merge refuse it, naming the file and the byte offset,
 *      and stay near the record's own size;
 *   B. 8 MB of probes each holding 2,000 empty strings (within the budget):
 *      read one record at a time, memory stays flat;
 *   C. 32 shard files whose ScanMeta lists 20,000 SNIs each: summary, report
 *      and merge keep one ScanMeta (trimmed), not 32.
 * Memory is the children's peak RSS (wait4), against the RSS of a summary
 * of a tiny file; the bounds are skipped in sanitizer builds (ASan's
 * allocator and shadow memory make RSS meaningless there), the behaviour
 * checks are not.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "output/out.h"
#include "output_testdata.h"
#include "test.h"

#define NSHARDS 32
#define NSNIS 20000

static char dir[256];
static const char *bin;
static char errbuf[8192];

/* Run bin with @argv (NULL-terminated, argv[0] = subcommand); stdout to
 * /dev/null, stderr into errbuf. Returns the exit status; *rss_kb the peak. */
static int run(const char *const *args, long *rss_kb)
{
	char errpath[300], *argv[NSHARDS + 8];
	struct rusage ru;
	int st = 0, n = 0;
	pid_t pid;
	FILE *f;

	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	argv[n++] = (char *)bin;
	for (int i = 0; args[i]; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		int out = open("/dev/null", O_WRONLY),
		    err = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(out, 1);
		dup2(err, 2);
		execv(bin, argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) != pid)
		return -1;
	*rss_kb = ru.ru_maxrss;
	errbuf[0] = 0;
	f = fopen(errpath, "r");
	if (f) {
		errbuf[fread(errbuf, 1, sizeof(errbuf) - 1, f)] = 0;
		fclose(f);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Record{meta: ScanMeta{geo_databases: @n x empty}} after the magic. */
static void write_crafted_meta(const char *path, size_t n)
{
	FILE *f = fopen(path, "wb");
	uint8_t hdr[32];
	size_t inner = 2 * n, h = 0;

	fwrite(OUT_MAGIC, 1, OUT_MAGIC_LEN, f);
	h += test_varint(hdr + h,
			 inner + 1 + test_varint((uint8_t[10]){0}, inner)); /* record length */
	hdr[h++] = 0x0a;						    /* Record.meta, LEN */
	h += test_varint(hdr + h, inner);
	fwrite(hdr, 1, h, f);
	for (size_t i = 0; i < n; i++)
		fwrite("\x7a\x00", 1, 2, f); /* ScanMeta.geo_databases (15), empty */
	fclose(f);
}

/* A normal ScanMeta, then @nrec probes of 2,000 empty `reasons` each. */
static void write_many_empty_strings(const char *path, size_t nrec)
{
	struct td_arena *a = td_arena_new();
	Tlsmap__V1__ScanMeta meta;
	struct out_writer *w = out_writer_open(path);
	uint8_t rec[8192];
	size_t body = 0, h;
	FILE *f;

	td_full_meta(a, &meta, 0);
	CHECK(w && out_write_meta(w, &meta) == OUT_OK && out_writer_close(w, NULL) == OUT_OK);
	td_arena_free(a);
	/* Probe.reasons = 20: key 0xa2 0x01, length 0. */
	for (int i = 0; i < 2000; i++) {
		rec[16 + body++] = 0xa2;
		rec[16 + body++] = 0x01;
		rec[16 + body++] = 0x00;
	}
	f = fopen(path, "ab");
	for (size_t i = 0; i < nrec; i++) {
		uint8_t hdr[16];

		h = test_varint(hdr, body + 1 + test_varint((uint8_t[10]){0}, body));
		hdr[h++] = 0x1a; /* Record.probe, LEN */
		h += test_varint(hdr + h, body);
		fwrite(hdr, 1, h, f);
		fwrite(rec + 16, 1, body, f);
	}
	fclose(f);
}

static void write_shards(void)
{
	struct td_arena *a = td_arena_new();
	static char names[NSNIS][24];
	static char *snis[NSNIS];

	for (int i = 0; i < NSNIS; i++) {
		snprintf(names[i], sizeof(names[i]), "s%05d.example.com", i);
		snis[i] = names[i];
	}
	for (unsigned s = 0; s < NSHARDS; s++) {
		char path[300];
		Tlsmap__V1__ScanMeta meta;
		Tlsmap__V1__Probe probe;
		Tlsmap__V1__ScanEnd end;
		struct out_writer *w;

		snprintf(path, sizeof(path), "%s/shard%02u.tlsmap", dir, s);
		td_full_meta(a, &meta, 0);
		meta.shard = s;
		meta.shards = NSHARDS;
		meta.merged_shards = 0;
		meta.n_merged_shard_indexes = 0;
		meta.n_snis = NSNIS;
		meta.snis = snis;
		td_full_probe(a, &probe, s);
		td_full_end(&end, s);
		end.clean = true;
		w = out_writer_open(path);
		CHECK(w && out_write_meta(w, &meta) == OUT_OK &&
		      out_write_probe(w, &probe) == OUT_OK && out_writer_close(w, &end) == OUT_OK);
	}
	td_arena_free(a);
}

static long file_kb(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)(st.st_size / 1024) : 0;
}

/* A: a record that claims 8 MiB is refused, named, with memory near its
 * size, by dump, summary and merge (which writes nothing). */
static void case_crafted(const char *A, const char *out, long base, bool measure)
{
	long rss, mb = 1024;
	int rc;

	const char *const cmds_a[][6] = {
		{"dump", A, NULL},
		{"summary", A, NULL},
		{"merge", "-o", out, A, NULL},
	};
	for (size_t i = 0; i < 3; i++) {
		rc = run(cmds_a[i], &rss);
		printf("%s crafted (%ld KiB): exit %d, peak %ld KiB\n", cmds_a[i][0], file_kb(A),
		       rc, rss);
		CHECK(rc == 1);
		CHECK(strstr(errbuf, A) && strstr(errbuf, "byte offset 8") &&
		      strstr(errbuf, "more memory"));
		if (measure)
			CHECK(rss < base + 2 * file_kb(A) + 16 * mb);
		if (rc != 1 || !strstr(errbuf, "more memory"))
			fprintf(stderr, "%s", errbuf);
	}
	CHECK(access(out, F_OK) != 0);
}

/* B: 1,400 records of 2,000 empty strings each are read record by record. */
static void case_empties(const char *B, long base, bool measure)
{
	long rss, mb = 1024;
	int rc;

	rc = run((const char *[]){"dump", B, NULL}, &rss);
	printf("dump 2,000 empty strings x 1,400 (%ld KiB): exit %d, peak %ld KiB\n", file_kb(B),
	       rc, rss);
	CHECK(rc == 1); /* no ScanEnd: incomplete, but every record read */
	CHECK(strstr(errbuf, "no ScanEnd") && strstr(errbuf, "1401 complete records"));
	if (measure)
		CHECK(rss < base + 16 * mb);
	rc = run((const char *[]){"summary", B, NULL}, &rss);
	printf("summary of it: exit %d, peak %ld KiB\n", rc, rss);
	CHECK(rc == 0);
	if (measure)
		CHECK(rss < base + 16 * mb);
}

/* C: summary, report and merge of 32 shards of 20,000 SNIs hold one
 * ScanMeta, not 32; the merged file keeps every SNI and the report says how
 * many it left out. */
static void case_shards(const char *out, const char *html, long base, bool measure)
{
	const char *args[NSHARDS + 8];
	char shard[NSHARDS][300], cmd[400];
	long rss, mb = 1024;
	int rc;

	for (int which = 0; which < 3; which++) {
		int n = 0;

		if (which == 0)
			args[n++] = "summary";
		else if (which == 1) {
			args[n++] = "report";
			args[n++] = "-o";
			args[n++] = html;
		} else {
			args[n++] = "merge";
			args[n++] = "-o";
			args[n++] = out;
		}
		for (int s = 0; s < NSHARDS; s++) {
			snprintf(shard[s], sizeof(shard[s]), "%s/shard%02d.tlsmap", dir, s);
			args[n++] = shard[s];
		}
		args[n] = NULL;
		rc = run(args, &rss);
		printf("%s of %d shards (%ld KiB each): exit %d, peak %ld KiB\n", args[0], NSHARDS,
		       file_kb(shard[0]), rc, rss);
		CHECK(rc == 0);
		if (rc)
			fprintf(stderr, "%s", errbuf);
		if (measure)
			CHECK(rss < base + 16 * mb);
	}
	/* The merged file keeps every SNI; the report says how many it left out. */
	snprintf(cmd, sizeof(cmd), "%s dump --type meta %s | grep -c s19999.example.com >/dev/null",
		 bin, out);
	CHECK(system(cmd) == 0);
	/* the count as English writes it (the report's default language) */
	snprintf(cmd, sizeof(cmd), "grep -q 'and %d,%03d more' %s", (NSNIS - 32) / 1000,
		 (NSNIS - 32) % 1000, html);
	CHECK(system(cmd) == 0);
}

int main(void)
{
	const char *san = getenv("TLSMAP_SANITIZE");
	bool measure = !san || !*san || !strcmp(san, "none");
	char tiny[300], A[300], B[300], out[300], html[300];
	long base;

	bin = getenv("TLSMAP_BIN");
	if (!bin || !test_tmpdir(dir, sizeof(dir), "expand")) {
		fprintf(stderr, "need TLSMAP_BIN and a temporary directory\n");
		return 1;
	}
	snprintf(tiny, sizeof(tiny), "%s/tiny.tlsmap", dir);
	snprintf(A, sizeof(A), "%s/crafted.tlsmap", dir);
	snprintf(B, sizeof(B), "%s/empties.tlsmap", dir);
	snprintf(out, sizeof(out), "%s/merged.tlsmap", dir);
	snprintf(html, sizeof(html), "%s/r.html", dir);
	CHECK(td_write_lab(tiny, 0, 1, 1, 42) == 0);
	write_crafted_meta(A, 4u << 20);   /* 8 MiB */
	write_many_empty_strings(B, 1400); /* ~8.4 MB */
	write_shards();

	run((const char *[]){"summary", tiny, NULL}, &base);
	printf("baseline (summary of a tiny file): %ld KiB%s\n", base,
	       measure ? "" : " (sanitizer build: bounds not checked)");

	case_crafted(A, out, base, measure);
	case_empties(B, base, measure);
	case_shards(out, html, base, measure);
	TEST_DONE();
}

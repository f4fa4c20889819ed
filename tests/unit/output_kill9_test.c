/* SPDX-License-Identifier: MIT */
/*
 * Durability: a child process writes records through the real writer
 * (flushing each second via out_writer_tick, and once right before it
 * tells the parent how many records are safely out), and is killed with
 * SIGKILL mid-stream. The .partial it leaves must read back cleanly up to
 * its last complete record (at least all records flushed before the
 * signal), there must be no final file, and `tlsmap dump` must say the file
 * is incomplete and exit 1. The same file cut inside a record reports
 * OUT_ETRUNC at the record's offset. The same kill for a compressed file
 * (FILE.tlsmap.zst, one zstd frame per flush): readable up to its last
 * whole frame, which holds at least the records flushed before the signal.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "output/out.h"
#include "output_testdata.h"
#include "test.h"

static void child(const char *path, int fd)
{
	struct td_arena *a = td_arena_new();
	struct out_writer *w = out_writer_open(path);
	Tlsmap__V1__ScanMeta meta;
	Tlsmap__V1__Certificate cert;
	Tlsmap__V1__Probe probe;
	time_t t0 = time(NULL);
	uint64_t told = 0;

	if (!w)
		_exit(3);
	td_full_meta(a, &meta, 0);
	td_full_cert(a, &cert, 1, 900);
	td_full_probe(a, &probe, 2);
	if (out_write_meta(w, &meta) || out_write_cert(w, &cert))
		_exit(4);
	/* Bounded: the parent kills us long before either limit. */
	for (uint64_t i = 0; i < 20000000 && time(NULL) - t0 < 30; i++) {
		probe.port = (uint32_t)(i & 0xffff);
		if (out_write_probe(w, &probe) || out_writer_tick(w))
			_exit(5);
		if (i == 5000) {
			told = out_writer_records(w);
			if (out_writer_flush(w) || write(fd, &told, sizeof(told)) != sizeof(told))
				_exit(6);
		}
	}
	_exit(7);
}

static void run(const char *ext)
{
	char dir[128], path[256], partial[300], cmd[1024], cut[300];
	int pfd[2], status, err, ret;
	uint64_t told = 0, n = 0, last_ok = 0;
	pid_t pid;
	struct out_reader *r;
	Tlsmap__V1__Record *rec;
	struct stat st;
	bool saw_end = false;
	const char *bin = getenv("TLSMAP_BIN");

	if (!test_tmpdir(dir, sizeof(dir), "kill9") || pipe(pfd)) {
		failures++;
		return;
	}
	snprintf(path, sizeof(path), "%s/k%s", dir, ext);
	snprintf(partial, sizeof(partial), "%s.partial", path);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		child(path, pfd[1]);
	}
	close(pfd[1]);
	CHECK(read(pfd[0], &told, sizeof(told)) == sizeof(told));
	usleep(100 * 1000); /* let it write (and flush) some more */
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	CHECK(stat(path, &st) != 0);	/* never renamed */
	CHECK(stat(partial, &st) == 0); /* but the partial is there */
	r = out_reader_open(partial, &err);
	CHECK(r != NULL);
	while (r && (ret = out_reader_next(r, &rec)) == 1) {
		saw_end |= rec->kind_case == TLSMAP__V1__RECORD__KIND_END;
		out_record_free(rec);
		n++;
		last_ok = out_reader_offset(r);
	}
	if (r) {
		CHECK(ret == 0 || ret == OUT_ETRUNC);
		printf("%s: killed writer: %llu records flushed before the signal, %llu complete "
		       "records "
		       "in the .partial (%lld bytes), reader status %d\n",
		       ext, (unsigned long long)told, (unsigned long long)n, (long long)st.st_size,
		       ret);
		out_reader_close(r);
	}
	CHECK(n >= told);
	CHECK(!saw_end);

	if (bin) {
		snprintf(cmd, sizeof(cmd),
			 "'%s' dump '%s' >/dev/null 2>'%s/err'; test $? -eq 1 && "
			 "grep -q '^incomplete:' '%s/err'",
			 bin, partial, dir, dir);
		CHECK(system(cmd) == 0);
	}
	if (bin && !strstr(ext, ".zst")) {
		/* Cut inside the last record: the reader names its offset. */
		snprintf(cut, sizeof(cut), "%s/cut.tlsmap", dir);
		snprintf(cmd, sizeof(cmd), "head -c %lld '%s' > '%s'", (long long)last_ok + 3,
			 partial, cut);
		CHECK(system(cmd) == 0);
		snprintf(cmd, sizeof(cmd),
			 "'%s' dump '%s' >/dev/null 2>'%s/err'; test $? -eq 1 && "
			 "grep -q 'truncated.* at byte offset %llu ' '%s/err'",
			 bin, cut, dir, (unsigned long long)last_ok, dir);
		CHECK(system(cmd) == 0);
	}
	if (!bin)
		printf("note: TLSMAP_BIN not set, dump check not run\n");
}

int main(void)
{
	run(".tlsmap");
	run(".tlsmap.zst");
	TEST_DONE();
}

/* SPDX-License-Identifier: MIT */
/*
 * For harnesses whose entry point reads a file by name (-w, -b, --sni-file,
 * --interceptors, a dataset, a MaxMind database): the fuzz input is written
 * to an in-memory file (memfd) whose /proc/self/fd path is handed to the
 * code under test, so the same open/read/mmap path the commands use runs,
 * with nothing left on disk when a run dies. Header-only: each harness is
 * one program.
 */
#ifndef TLSMAP_TESTS_FUZZ_FILE_H
#define TLSMAP_TESTS_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

struct fuzz_file {
	int fd;
	char path[64];
};

/* Replace the content of @f (created on first use) with @data; returns its
 * path, valid for the process's life. Aborts if memfd fails (not a finding
 * about the code under test, but the harness cannot run). */
static inline const char *fuzz_file_set(struct fuzz_file *f, const uint8_t *data, size_t size)
{
	if (f->path[0] == 0) {
		f->fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		if (f->fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
	}
	if (ftruncate(f->fd, 0) != 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t n = pwrite(f->fd, data + off, size - off, (off_t)off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	return f->path;
}

#endif

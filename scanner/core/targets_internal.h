/* SPDX-License-Identifier: MIT */
/* Private seam between targets.c and blocklist.c: the shared line reader. */
#ifndef TLSMAP_SCANNER_TARGETS_INTERNAL_H
#define TLSMAP_SCANNER_TARGETS_INTERNAL_H

#include <stddef.h>

#include "scanner/core/targets.h"

/* Reads a spec-per-line file into s; what names an entry in messages
 * ("target", "blocklist entry"). As tgt_set_add_file(). */
int tgt_read_file_(struct tgt_set *s, const char *path, const char *what, char *err, size_t errlen);

#endif

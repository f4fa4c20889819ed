/* SPDX-License-Identifier: MIT */
/*
 * The blocklist: addresses a scan never sends to. By default the IANA IPv4
 * Special-Purpose Address Registry (RFC 6890 and its updates) plus multicast,
 * built in so that a scan with no -b still stays off private, loopback,
 * documentation and reserved space. The lab passes --allow-reserved to
 * reach 198.18.0.0/15 (RFC 2544 benchmarking space).
 *
 * File format, as ZMap's blocklist: one CIDR ("10.0.0.0/8") or address per
 * line (ranges "a-b" are accepted too), '#' starts a comment anywhere on
 * the line, blank lines are ignored.
 */
#ifndef TLSMAP_SCANNER_BLOCKLIST_H
#define TLSMAP_SCANNER_BLOCKLIST_H

#include <stddef.h>
#include <stdint.h>

#include "scanner/core/targets.h"

struct blk_entry {
	uint32_t net;	 /* host order */
	uint8_t len;	 /* prefix length */
	const char *rfc; /* e.g. "RFC 1918" */
	const char *name;
};

/* The built-in table, in address order; *n gets its length. Static storage. */
const struct blk_entry *blk_iana_table(size_t *n);
/* A new set holding the built-in table; NULL when out of memory. */
struct tgt_set *blk_iana_default(void); /* IANA IPv4 special-purpose registry */
/* Adds the entries of blocklist file path to s. 0, or -EINVAL with err =
 * "FILE:LINE: bad blocklist entry 'x'", or -errno with err = "FILE: reason". */
int blk_load(struct tgt_set *s, const char *path, char *err, size_t errlen);

#endif

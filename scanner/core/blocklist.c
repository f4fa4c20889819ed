/* SPDX-License-Identifier: MIT */
/*
 * The built-in blocklist: the IANA IPv4 Special-Purpose Address Registry
 * (https://www.iana.org/assignments/iana-ipv4-special-registry, RFC 6890 and
 * the RFCs that updated it) plus multicast, which the registry leaves to
 * its own registry but which a unicast scan must never hit. Entries that are
 * subsets of a listed block (192.0.0.0/29 DS-Lite, 192.0.0.170/31 NAT64
 * discovery, ...) are covered by their parent and not repeated.
 */
#include "scanner/core/blocklist.h"
#include "scanner/core/targets_internal.h"

#define IP4(a, b, c, d)                                                                            \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static const struct blk_entry blk_iana[] = {
	/* RFC 791 section 3.2; RFC 1122 section 3.2.1.3: "this host on this network" */
	{IP4(0, 0, 0, 0), 8, "RFC 791", "This network"},
	/* RFC 1918: private internets */
	{IP4(10, 0, 0, 0), 8, "RFC 1918", "Private-Use"},
	/* RFC 6598: carrier-grade NAT shared space */
	{IP4(100, 64, 0, 0), 10, "RFC 6598", "Shared Address Space"},
	/* RFC 1122 section 3.2.1.3 */
	{IP4(127, 0, 0, 0), 8, "RFC 1122", "Loopback"},
	/* RFC 3927: dynamic link-local configuration */
	{IP4(169, 254, 0, 0), 16, "RFC 3927", "Link Local"},
	/* RFC 1918 */
	{IP4(172, 16, 0, 0), 12, "RFC 1918", "Private-Use"},
	/* RFC 6890 section 2.2.2 (DS-Lite RFC 6333, NAT64 RFC 7335, ... inside) */
	{IP4(192, 0, 0, 0), 24, "RFC 6890", "IETF Protocol Assignments"},
	/* RFC 5737 */
	{IP4(192, 0, 2, 0), 24, "RFC 5737", "Documentation (TEST-NET-1)"},
	/* RFC 7535 */
	{IP4(192, 31, 196, 0), 24, "RFC 7535", "AS112-v4"},
	/* RFC 7450 */
	{IP4(192, 52, 193, 0), 24, "RFC 7450", "AMT"},
	/* RFC 7526 (formerly RFC 3068) */
	{IP4(192, 88, 99, 0), 24, "RFC 7526", "Deprecated (6to4 Relay Anycast)"},
	/* RFC 1918 */
	{IP4(192, 168, 0, 0), 16, "RFC 1918", "Private-Use"},
	/* RFC 7534 */
	{IP4(192, 175, 48, 0), 24, "RFC 7534", "Direct Delegation AS112 Service"},
	/* RFC 2544: benchmarking (the lab's space; reach it with --allow-reserved) */
	{IP4(198, 18, 0, 0), 15, "RFC 2544", "Benchmarking"},
	/* RFC 5737 */
	{IP4(198, 51, 100, 0), 24, "RFC 5737", "Documentation (TEST-NET-2)"},
	/* RFC 5737 */
	{IP4(203, 0, 113, 0), 24, "RFC 5737", "Documentation (TEST-NET-3)"},
	/* RFC 5771: IPv4 multicast (its own IANA registry) */
	{IP4(224, 0, 0, 0), 4, "RFC 5771", "Multicast"},
	/* RFC 1112 section 4 */
	{IP4(240, 0, 0, 0), 4, "RFC 1112", "Reserved"},
	/* RFC 919 section 7; RFC 8190 (inside 240/4, listed for the record) */
	{IP4(255, 255, 255, 255), 32, "RFC 919", "Limited Broadcast"},
};

const struct blk_entry *blk_iana_table(size_t *n)
{
	*n = sizeof(blk_iana) / sizeof(blk_iana[0]);
	return blk_iana;
}

struct tgt_set *blk_iana_default(void)
{
	struct tgt_set *s = tgt_set_new();
	if (!s)
		return NULL;
	for (size_t i = 0; i < sizeof(blk_iana) / sizeof(blk_iana[0]); i++) {
		uint32_t mask = blk_iana[i].len ? ~(uint32_t)0 << (32 - blk_iana[i].len) : 0;
		if (tgt_set_add_range(s, blk_iana[i].net, blk_iana[i].net | ~mask)) {
			tgt_set_free(s);
			return NULL;
		}
	}
	return s;
}

int blk_load(struct tgt_set *s, const char *path, char *err, size_t errlen)
{
	return tgt_read_file_(s, path, "blocklist entry", err, errlen);
}

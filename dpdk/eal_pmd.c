/* SPDX-License-Identifier: MIT */
/*
 * PMD directory discovery (see eal_pmd.h). A shared DPDK loads net_pcap,
 * net_af_packet, net_null... as plugins; a binary that names one fixed
 * directory breaks on the next DPDK ABI (pmds-23.0, pmds-24.0, ...) or on
 * another architecture, so the directory is looked for instead.
 */
#include "dpdk/eal_pmd.h"

#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_build_config.h>

#ifndef TLSMAP_PMD_DIR_BUILD
#define TLSMAP_PMD_DIR_BUILD "" /* pkg-config --variable=pmdsdir libdpdk, if any */
#endif

static int is_dir(const char *p)
{
	struct stat st;

	return p && *p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *eal_pmd_dir(char *buf, size_t len)
{
	static const char *const patterns[] = {
		"/usr/lib/*/dpdk/pmds-*",
		"/usr/lib64/dpdk/pmds-*",
		"/usr/local/lib/*/dpdk/pmds-*",
		"/usr/local/lib64/dpdk/pmds-*",
	};
	const char *env = getenv("TLSMAP_PMD_DIR");
	bool found = false;
	glob_t g;

	if (env && *env)
		return env;
#ifdef RTE_EAL_PMD_PATH
	if (is_dir(RTE_EAL_PMD_PATH))
		return NULL; /* the EAL autoloads it */
#endif
	if (is_dir(TLSMAP_PMD_DIR_BUILD))
		return (size_t)snprintf(buf, len, "%s", TLSMAP_PMD_DIR_BUILD) < len ? buf : NULL;
	for (size_t k = 0; !found && k < sizeof(patterns) / sizeof(patterns[0]); k++) {
		if (glob(patterns[k], GLOB_ONLYDIR, NULL, &g) != 0)
			continue;
		/* glob sorts: the last is the newest ABI */
		if (g.gl_pathc)
			found = (size_t)snprintf(buf, len, "%s", g.gl_pathv[g.gl_pathc - 1]) < len;
		globfree(&g);
	}
	return found ? buf : NULL;
}

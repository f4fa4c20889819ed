/* SPDX-License-Identifier: MIT */
/*
 * Where the EAL finds its poll-mode drivers when DPDK is a shared library
 * (Debian's): found at run time, not hard-coded to one distribution's
 * multiarch path and ABI version.
 */
#ifndef TLSMAP_DPDK_EAL_PMD_H
#define TLSMAP_DPDK_EAL_PMD_H

#include <stddef.h>

/*
 * The directory to pass as EAL -d, or NULL when none is needed: the EAL
 * autoloads its own RTE_EAL_PMD_PATH when that exists. In order:
 * $TLSMAP_PMD_DIR; nothing when RTE_EAL_PMD_PATH exists; pkg-config's
 * pmdsdir of the DPDK built against (when it names one that exists); the
 * newest dpdk/pmds-* under /usr/lib/<multiarch>, /usr/lib64,
 * /usr/local/lib/<multiarch> or /usr/local/lib64. The result is @env's
 * string or is written to @buf (@len bytes).
 */
const char *eal_pmd_dir(char *buf, size_t len);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The PMD directory (dpdk/eal_pmd.c), without starting the EAL:
 * TLSMAP_PMD_DIR wins; otherwise NULL when the EAL's own RTE_EAL_PMD_PATH
 * exists (it autoloads), or a dpdk/pmds-* directory that exists.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_build_config.h>

#include "dpdk/eal_pmd.h"
#include "tests/unit/test.h"

int main(void)
{
	char buf[1024];
	const char *d;
	struct stat st;

	setenv("TLSMAP_PMD_DIR", "/some/where", 1);
	d = eal_pmd_dir(buf, sizeof(buf));
	CHECK(d && strcmp(d, "/some/where") == 0);
	unsetenv("TLSMAP_PMD_DIR");
	d = eal_pmd_dir(buf, sizeof(buf));
#ifdef RTE_EAL_PMD_PATH
	if (stat(RTE_EAL_PMD_PATH, &st) == 0)
		CHECK(d == NULL);
	else
#endif
		CHECK(d == NULL ||
		      (stat(d, &st) == 0 && S_ISDIR(st.st_mode) && strstr(d, "pmds-")));
	printf("pmd dir: %s\n", d ? d : "(the EAL's own)");
	TEST_DONE();
}

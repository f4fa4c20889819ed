/* SPDX-License-Identifier: MIT */
/*
 * Where tlsmap's own files are, found at run time rather than baked in at
 * build time (a binary that names its source tree breaks once installed or
 * copied):
 *   share  sni-kz2019.txt, interceptors.tsv, slurm/, systemd/ (shipped,
 *          installed by meson install)
 *   data   geo/country.mmdb, geo/asn.mmdb, map/world.tsv (fetched by
 *          scripts/bootstrap)
 * Each is, in order: the environment (TLSMAP_SHARE, TLSMAP_DATA); next to
 * the executable, a build tree inside the source tree (<exe>/../share,
 * <exe>/../data) or an installed layout (<exe>/../share/tlsmap,
 * <exe>/../share/tlsmap/data); the datadir meson installed to; else the
 * relative "share" and "data".
 */
#ifndef TLSMAP_SCANNER_PATHS_H
#define TLSMAP_SCANNER_PATHS_H

/* The directories (resolved on first use; the strings live until exit). */
const char *paths_share(void);
const char *paths_data(void);

/*
 * Resolve both and export them as TLSMAP_SHARE and TLSMAP_DATA where the
 * environment did not set them, so the libraries (geo/, output/) and the
 * commands tlsmap runs (sweep's scans) see the same. Called once by main().
 */
void paths_init(void);

#endif

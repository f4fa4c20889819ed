/* SPDX-License-Identifier: MIT */
/*
 * `tlsmap scan --user NAME`: start as root, bring the DPDK port up, create
 * the output and load every input, then run the scan as NAME with nothing
 * but CAP_NET_RAW and CAP_NET_ADMIN (docs/privileges.md says why those).
 *
 * Two steps, because the second runs with threads already started (EAL
 * lcores, the writer thread) and some limits are per thread:
 *  - priv_prepare(), single-threaded, before the EAL: resolve NAME, check
 *    NAME can write the output's and the status file's directories (a
 *    scan that could not rename its dataset into place at the end must
 *    not start) and read the geo databases (each TLS worker opens its own
 *    handle when it starts), set no_new_privs and shrink the bounding set
 *    to the two kept capabilities; threads created later inherit both, so
 *    no thread can gain privileges through execve.
 *  - priv_drop(), once the port is up and the files are open: setgroups,
 *    setgid, setuid (glibc applies them to every thread) keeping the two
 *    capabilities in the calling thread only, then verify through
 *    /proc/self/task that no thread can become root again.
 */
#ifndef TLSMAP_SCANNER_PRIVDROP_H
#define TLSMAP_SCANNER_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

#define PRIV_MAX_GROUPS 64

struct priv_user {
	char name[64];
	uid_t uid;
	gid_t gid;
	gid_t groups[PRIV_MAX_GROUPS]; /* supplementary groups of NAME */
	int ngroups;
};

/*
 * Resolve @name, check as that user that the directories of the non-NULL
 * @write paths are writable (and an existing file there may be replaced)
 * and that the existing @read paths are readable, then restrict the
 * bounding set and set no_new_privs. Must run as root, before any thread
 * is started. 0, or -1 with a message naming the problem in @err (a usage
 * error: nothing was started).
 */
int priv_prepare(const char *name, const char *const *write, size_t nwrite, const char *const *read,
		 size_t nread, struct priv_user *u, char *err, size_t errlen);

/*
 * Become @u in every thread, keep CAP_NET_RAW and CAP_NET_ADMIN (permitted
 * and effective) in the calling thread, none elsewhere, and verify: setuid(0)
 * fails, and every thread's uids, gids, groups and capability sets are as
 * intended. 0, or -1 with @err set (the caller must stop: never scan with
 * more privilege than asked).
 */
int priv_drop(const struct priv_user *u, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Run-time lookup of the share and data directories (see paths.h). A
 * candidate counts only when it holds the file that proves it is ours
 * (share: interceptors.tsv; data: the directory itself), because
 * <prefix>/bin/../share exists on every system.
 */
#include "scanner/paths.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TLSMAP_INSTALL_SHARE
#define TLSMAP_INSTALL_SHARE "/usr/local/share/tlsmap" /* meson sets <prefix>/<datadir>/tlsmap */
#endif

struct place {
	const char *env;	  /* the variable that overrides */
	const char *marker;	  /* what the directory must hold ("" : the directory) */
	const char *const rel[2]; /* relative to the executable's directory */
	const char *installed;	  /* the installed directory */
	const char *fallback;	  /* relative to the working directory */
	char buf[PATH_MAX];
	const char *dir; /* resolved */
};

static struct place share_place = {
	"TLSMAP_SHARE",
	"interceptors.tsv",
	{"../share", "../share/tlsmap"},
	TLSMAP_INSTALL_SHARE,
	"share",
	{0},
	NULL,
};
static struct place data_place = {
	"TLSMAP_DATA",
	"",
	{"../data", "../share/tlsmap/data"},
	TLSMAP_INSTALL_SHARE "/data",
	"data",
	{0},
	NULL,
};

static bool holds(const char *dir, const char *marker)
{
	char path[PATH_MAX + 64];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, marker) >= sizeof(path))
		return false;
	return stat(path, &st) == 0;
}

static const char *resolve(struct place *p)
{
	const char *env = getenv(p->env);
	char exe[PATH_MAX];
	ssize_t n;

	if (p->dir)
		return p->dir;
	if (env && *env)
		return p->dir = env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		for (size_t k = 0; k < sizeof(p->rel) / sizeof(p->rel[0]); k++) {
			if ((size_t)snprintf(p->buf, sizeof(p->buf), "%s/%s", exe, p->rel[k]) <
				    sizeof(p->buf) &&
			    holds(p->buf, p->marker))
				return p->dir = p->buf;
		}
	}
	if (holds(p->installed, p->marker))
		return p->dir = p->installed;
	return p->dir = p->fallback;
}

const char *paths_share(void)
{
	return resolve(&share_place);
}

const char *paths_data(void)
{
	return resolve(&data_place);
}

void paths_init(void)
{
	setenv("TLSMAP_SHARE", paths_share(), 0);
	setenv("TLSMAP_DATA", paths_data(), 0);
}

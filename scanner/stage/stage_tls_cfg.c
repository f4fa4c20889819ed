/* SPDX-License-Identifier: MIT */
/*
 * The TLS stage's part of `tlsmap scan` configuration, resolved once after
 * the flags are parsed and before ScanMeta is written: the test SNI list
 * (--sni, --sni-file, or the default share/sni-kz2019.txt) and the control
 * SNI (--control-sni, or a fresh random name under a bogus domain, like
 * Censored Planet's *.example<rand>.com, so no interception system can
 * target it). Also names files shipped in share/ (scanner/paths.h).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "scanner/cmd/cli.h"
#include "scanner/paths.h"
#include "scanner/cmd/scan_config.h"
#include "scanner/stage/stage_tls.h"

const char *tls_share_path(const char *name, char *buf, size_t len)
{
	if (!buf || len == 0)
		return "";
	snprintf(buf, len, "%s/%s", paths_share(), name);
	return buf;
}

static bool sni_ok(const char *s, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(isalnum(c) || c == '.' || c == '-' || c == '_' || c == '*'))
			return false;
	}
	return true;
}

/*
 * Bounds on an SNI file. It may be a pipe or a FIFO (no size known in
 * advance), so names go into a blob that grows as lines arrive, up to these
 * caps, each a usage error naming the file (and line).
 */
#define SNI_FILE_MAX_NAMES 1000000u
#define SNI_FILE_MAX_LINE 4096u

static int load_sni_file(struct scan_config *c, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[SNI_FILE_MAX_LINE + 2];
	char *blob = NULL;
	size_t *offs = NULL;
	size_t blob_len = 0, blob_cap = 0, nnames = 0, offs_cap = 0, lineno = 0;
	int ret = CLI_EUSAGE;

	if (!f) {
		cli_usage_error("scan", "--sni-file %s: %s", path, strerror(errno));
		return CLI_EUSAGE;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		lineno++;
		if (len > SNI_FILE_MAX_LINE || (len && line[len - 1] != '\n' && !feof(f))) {
			cli_usage_error("scan",
					"%s:%zu: line longer than %u characters (or not text)",
					path, lineno, SNI_FILE_MAX_LINE);
			goto out;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *s = line, *e;
		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (e == s)
			continue;
		size_t n = (size_t)(e - s);
		if (!sni_ok(s, n)) {
			*e = 0;
			cli_usage_error("scan", "%s:%zu: bad SNI '%s'", path, lineno, s);
			goto out;
		}
		if (nnames == SNI_FILE_MAX_NAMES) {
			cli_usage_error("scan", "%s:%zu: more than %u names", path, lineno,
					SNI_FILE_MAX_NAMES);
			goto out;
		}
		if (blob_cap - blob_len < n + 1) {
			size_t nc = blob_cap ? blob_cap * 2 : 4096;
			char *nb;
			while (nc - blob_len < n + 1)
				nc *= 2;
			nb = realloc(blob, nc);
			if (!nb)
				goto oom;
			blob = nb;
			blob_cap = nc;
		}
		if (nnames == offs_cap) {
			size_t nc = offs_cap ? offs_cap * 2 : 256;
			size_t *no = realloc(offs, nc * sizeof(*no));
			if (!no)
				goto oom;
			offs = no;
			offs_cap = nc;
		}
		offs[nnames++] = blob_len;
		for (size_t k = 0; k < n; k++)
			blob[blob_len++] = (char)tolower((unsigned char)s[k]);
		blob[blob_len++] = 0;
	}
	if (ferror(f)) {
		cli_usage_error("scan", "--sni-file %s: read error after line %zu", path, lineno);
		goto out;
	}
	if (nnames == 0) {
		cli_usage_error("scan", "--sni-file %s: no names", path);
		goto out;
	}
	/* the blob no longer moves: point into it */
	c->snis = malloc(nnames * sizeof(*c->snis));
	if (!c->snis)
		goto oom;
	for (size_t k = 0; k < nnames; k++)
		c->snis[k] = blob + offs[k];
	c->nsnis = nnames;
	c->sni_blob = blob;
	blob = NULL;
	ret = 0;
	goto out;
oom:
	cli_usage_error("scan", "--sni-file %s: out of memory at line %zu", path, lineno);
out:
	free(blob);
	free(offs);
	fclose(f);
	return ret;
}

/*
 * The second control SNI (docs/verdicts.md, "Stability"): another random
 * innocuous name when the first is random; derived from --control-sni when
 * that was given, so that a sharded or repeated scan probes the same names.
 */
static void second_control_sni(struct scan_config *c)
{
	uint8_t r[10];

	if (c->control_sni != c->control_sni_buf) {
		if (strlen(c->control_sni) + 3 < 254)
			snprintf(c->control_sni2_buf, sizeof(c->control_sni2_buf), "c2.%s",
				 c->control_sni);
		else
			snprintf(c->control_sni2_buf, sizeof(c->control_sni2_buf), "%s",
				 c->control_sni);
	} else {
		if (getrandom(r, sizeof(r), 0) != sizeof(r))
			memset(r, 0xa5, sizeof(r));
		snprintf(c->control_sni2_buf, sizeof(c->control_sni2_buf),
			 "%02x%02x%02x%02x%02x%02x.example%02x%02x%02x%02x.net", r[0], r[1], r[2],
			 r[3], r[4], r[5], r[6], r[7], r[8], r[9]);
	}
	c->control_sni2 = c->control_sni2_buf;
}

int scan_config_tls_resolve(struct scan_config *c)
{
	char path[PATH_MAX];
	uint8_t r[10];

	if (c->syn_only)
		return 0;
	for (size_t i = 0; i < c->nsnis; i++)
		if (!sni_ok(c->snis[i], strlen(c->snis[i]))) {
			cli_usage_error("scan", "--sni '%s': not a host name", c->snis[i]);
			return CLI_EUSAGE;
		}
	if (c->nsnis == 0) {
		const char *p = c->sni_file ? c->sni_file
					    : tls_share_path("sni-kz2019.txt", path, sizeof(path));
		int ret = load_sni_file(c, p);
		if (ret)
			return ret;
		if (!c->sni_file)
			c->sni_file = "share/sni-kz2019.txt";
	}
	if (c->control_sni && !sni_ok(c->control_sni, strlen(c->control_sni))) {
		cli_usage_error("scan", "--control-sni '%s': not a host name", c->control_sni);
		return CLI_EUSAGE;
	}
	if (!c->control_sni) {
		if (getrandom(r, sizeof(r), 0) != sizeof(r))
			memset(r, 0x5a, sizeof(r));
		snprintf(c->control_sni_buf, sizeof(c->control_sni_buf),
			 "%02x%02x%02x%02x%02x%02x.example%02x%02x%02x%02x.com", r[0], r[1], r[2],
			 r[3], r[4], r[5], r[6], r[7], r[8], r[9]);
		c->control_sni = c->control_sni_buf;
	}
	second_control_sni(c);
	return cli_load_interceptors("scan", c->interceptor_files, c->ninterceptor_files, &c->icpt);
}

/* SPDX-License-Identifier: MIT */
/*
 * tlsmap interceptors [list] | check FILE...: the known-interceptor list
 * the verdicts use (share/interceptors.tsv plus --interceptors files), as a
 * table or JSON Lines, and a check of certificate files against it with the
 * same matcher and the same order of ways as the verdict, so "would a scan
 * flag this chain, and how" has a direct answer.
 *
 * Also the loader every command shares (cli_load_interceptors): a missing
 * built-in list is a warning (an installed binary may lack share/), a
 * malformed one or a bad --interceptors file is a usage error naming the
 * file and line, before any work is done.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parsers/interceptors.h"
#include "parsers/x509.h"
#include "scanner/cmd/cli.h"
#include "scanner/stage/stage_tls.h"

#define CMD "interceptors"
#define CHECK_FILE_MAX (16u << 20) /* a certificate file, PEM or DER */
#define CHECK_CHAIN_MAX 32	   /* certificates per file */

static const char usage_text[] =
	"usage: tlsmap interceptors [list] [--json] [--interceptors FILE]...\n"
	"       tlsmap interceptors check [--json] [--interceptors FILE]... CERTFILE...\n"
	"\n"
	"The known-interceptor list the scan's verdicts use: share/interceptors.tsv\n"
	"plus each --interceptors FILE (format: docs/interceptors.md).\n"
	"\n"
	"list   one entry per line: label, kind, value, country, first and last seen,\n"
	"       verified, name (--json: one JSON object per entry and line).\n"
	"check  each CERTFILE is one chain, leaf first (PEM, several blocks, or DER,\n"
	"       one certificate or several concatenated). Prints, per file, how it\n"
	"       matched, as the verdict would: the strongest way any certificate\n"
	"       matches (cert-sha256, spki-sha256, aki: its Authority Key Identifier\n"
	"       names a listed Subject Key Identifier, issuer-name), the entry and\n"
	"       which certificate (1 = leaf; --json: \"cert\", 0 = leaf, as in the\n"
	"       dataset's Probe.interceptor_cert); or \"no match\".\n"
	"\n"
	"  -f, --interceptors FILE  add the entries of FILE (repeatable)\n"
	"  -j, --json               JSON Lines output\n"
	"  -h, --help               this text\n"
	"\n"
	"Exit status: list: 0, or 2 when a list is malformed (the message names\n"
	"file and line). check: 0 when at least one file matched, 1 when none did\n"
	"(as grep), 2 on a usage error, a malformed list or an unreadable file.\n";

int cli_load_interceptors(const char *cmd, const char *const *files, size_t nfiles,
			  struct icpt_list **out)
{
	char path[4096], err[512];
	struct icpt_list *list = icpt_list_new();

	*out = NULL;
	if (!list) {
		fprintf(stderr, "tlsmap %s: out of memory\n", cmd);
		return CLI_EUSAGE;
	}
	tls_share_path(ICPT_BUILTIN_FILE, path, sizeof(path));
	if (access(path, F_OK) != 0)
		fprintf(stderr, "tlsmap %s: warning: %s: %s (no built-in interceptor list)\n", cmd,
			path, strerror(errno));
	else if (icpt_list_add_file(list, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "tlsmap %s: interceptor list %s\n", cmd, err);
		icpt_list_free(list);
		return CLI_EUSAGE;
	}
	for (size_t i = 0; i < nfiles; i++)
		if (icpt_list_add_file(list, files[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "tlsmap %s: --interceptors %s\n", cmd, err);
			icpt_list_free(list);
			return CLI_EUSAGE;
		}
	*out = list;
	return 0;
}

/* ---- list ---- */

static void json_str(const char *s)
{
	x509_json_str(stdout, s, strlen(s));
}

static void entry_json(const struct icpt_list *l, const struct icpt_entry *e)
{
	const char *s = e->sources;

	printf("{\"kind\":");
	json_str(icpt_kind_name((enum icpt_kind)e->kind));
	printf(",\"value\":");
	json_str(e->value);
	printf(",\"label\":");
	json_str(e->label);
	printf(",\"name\":");
	json_str(e->name);
	printf(",\"country\":");
	json_str(e->country);
	printf(",\"first_seen\":");
	json_str(e->first_seen);
	printf(",\"last_seen\":");
	json_str(e->last_seen);
	printf(",\"verified\":%s,\"sources\":[", e->verified ? "true" : "false");
	for (int k = 0; *s; k++) { /* " | "-separated */
		const char *sep = strstr(s, " | ");
		size_t n = sep ? (size_t)(sep - s) : strlen(s);

		if (k)
			putchar(',');
		x509_json_str(stdout, s, n);
		s += n + (sep ? 3 : 0);
	}
	printf("],\"note\":");
	json_str(e->note);
	printf(",\"list\":");
	json_str(l->files[e->file].path);
	printf(",\"list_version\":");
	json_str(l->files[e->file].version);
	printf(",\"line\":%u}\n", e->line);
}

static int do_list(const struct icpt_list *l, bool json)
{
	for (size_t f = 0; f < l->nfiles && !json; f++)
		printf("# %s: version %s of %s\n", l->files[f].path, l->files[f].version,
		       l->files[f].date);
	if (!json)
		printf("%-28s %-11s %-16s %-2s %-10s %-10s %-3s %s\n", "label", "kind", "value",
		       "cc", "first_seen", "last_seen", "ok", "name");
	for (size_t i = 0; i < l->n; i++) {
		const struct icpt_entry *e = &l->v[i];
		char shortv[20];

		if (json) {
			entry_json(l, e);
			continue;
		}
		/* hashes shortened for the table; --json has them whole */
		if (strlen(e->value) > 16)
			snprintf(shortv, sizeof(shortv), "%.13s...", e->value);
		else
			snprintf(shortv, sizeof(shortv), "%s", e->value);
		printf("%-28s %-11s %-16s %-2s %-10s %-10s %-3s %s\n", e->label,
		       icpt_kind_name((enum icpt_kind)e->kind), shortv,
		       e->country[0] ? e->country : "-", e->first_seen[0] ? e->first_seen : "-",
		       e->last_seen[0] ? e->last_seen : "-", e->verified ? "yes" : "no", e->name);
	}
	return 0;
}

/* ---- check ---- */

struct chain {
	size_t n;
	uint8_t *der[CHECK_CHAIN_MAX];
	size_t len[CHECK_CHAIN_MAX];
	struct x509_cert x509[CHECK_CHAIN_MAX];
	uint8_t sha256[CHECK_CHAIN_MAX][32];
	struct icpt_cert ic[CHECK_CHAIN_MAX];
};

static int chain_add(struct chain *c, const char *path, const uint8_t *der, size_t len)
{
	size_t i = c->n;

	if (i == CHECK_CHAIN_MAX) {
		fprintf(stderr, "tlsmap %s: %s: more than %d certificates\n", CMD, path,
			CHECK_CHAIN_MAX);
		return -1;
	}
	c->der[i] = malloc(len ? len : 1);
	if (!c->der[i]) {
		fprintf(stderr, "tlsmap %s: %s: out of memory\n", CMD, path);
		return -1;
	}
	memcpy(c->der[i], der, len);
	c->len[i] = len;
	c->ic[i].der = c->der[i];
	/* a certificate that does not parse still matches by its SHA-256 */
	c->ic[i].parsed = x509_parse(c->der[i], len, &c->x509[i]) == 0 ? &c->x509[i] : NULL;
	if (c->ic[i].parsed)
		len = c->x509[i].der_len;
	x509_sha256(c->der[i], len, c->sha256[i]);
	c->ic[i].sha256 = c->sha256[i];
	c->ic[i].spki_sha256 = NULL;
	c->n++;
	return 0;
}

static void chain_free(struct chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->der[i]);
	c->n = 0;
}

/* The chain in @path. 0, or -1 after a message. */
static int read_chain(const char *path, struct chain *c)
{
	size_t len = 0, pos = 0;
	char *text = cli_read_file(path, CHECK_FILE_MAX, &len);
	uint8_t *der = NULL;
	int ret = -1;
	long n;

	if (!text) {
		fprintf(stderr, "tlsmap %s: %s: %s\n", CMD, path, strerror(errno));
		return -1;
	}
	if (!x509_is_pem(text, len)) { /* DER: one certificate or several concatenated */
		size_t off = 0;

		while (off < len) {
			struct x509_cert one;

			if (x509_parse((const uint8_t *)text + off, len - off, &one) != 0) {
				fprintf(stderr,
					"tlsmap %s: %s: not PEM, and no DER certificate at offset "
					"%zu\n",
					CMD, path, off);
				goto out;
			}
			if (chain_add(c, path, (const uint8_t *)text + off, one.der_len) < 0)
				goto out;
			off += one.der_len;
		}
		ret = c->n ? 0 : -1;
		if (!c->n)
			fprintf(stderr, "tlsmap %s: %s: empty file\n", CMD, path);
		goto out;
	}
	der = malloc(len);
	if (!der) {
		fprintf(stderr, "tlsmap %s: %s: out of memory\n", CMD, path);
		goto out;
	}
	while ((n = x509_pem_next(text, len, &pos, der, len)) != 0) {
		if (n < 0) {
			fprintf(stderr, "tlsmap %s: %s: certificate %zu: bad PEM base64\n", CMD,
				path, c->n + 1);
			goto out;
		}
		if (chain_add(c, path, der, (size_t)n) < 0)
			goto out;
	}
	ret = 0;
out:
	free(der);
	free(text);
	return ret;
}

/* 0 matched, 1 no match, 2 bad file. */
static int check_one(const struct icpt_list *l, const char *path, bool json)
{
	struct chain *c = calloc(1, sizeof(*c));
	struct icpt_match m;
	int ret = 2;

	if (!c) {
		fprintf(stderr, "tlsmap %s: out of memory\n", CMD);
		return 2;
	}
	if (read_chain(path, c) < 0)
		goto out;
	ret = icpt_match_chain(l, c->ic, c->n, &m) ? 0 : 1;
	if (json) {
		printf("{\"file\":");
		json_str(path);
		printf(",\"certificates\":%zu,\"match\":", c->n);
		if (m.entry) {
			printf("{\"way\":");
			json_str(icpt_way_name(m.way));
			printf(",\"cert\":%zu,\"label\":", m.cert);
			json_str(m.entry->label);
			printf(",\"kind\":");
			json_str(icpt_kind_name((enum icpt_kind)m.entry->kind));
			printf(",\"value\":");
			json_str(m.entry->value);
			printf(",\"name\":");
			json_str(m.entry->name);
			printf("}}\n");
		} else {
			printf("null}\n");
		}
	} else if (m.entry) {
		printf("%s: known-interceptor:%s %s (certificate %zu of %zu; %s %s; %s)\n", path,
		       icpt_way_name(m.way), m.entry->label, m.cert + 1, c->n,
		       icpt_kind_name((enum icpt_kind)m.entry->kind), m.entry->value,
		       m.entry->name);
	} else {
		printf("%s: no match (%zu certificate%s)\n", path, c->n, c->n == 1 ? "" : "s");
	}
out:
	chain_free(c);
	free(c);
	return ret;
}

int cmd_interceptors(int argc, char **argv)
{
	static const struct option opts[] = {
		{"interceptors", required_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char **files = NULL;
	size_t nfiles = 0;
	struct icpt_list *list = NULL;
	bool json = false, check = false;
	int c, status = CLI_EUSAGE;

	/* the subcommand comes first; options may follow it anywhere */
	if (argc > 1 && (!strcmp(argv[1], "check") || !strcmp(argv[1], "list"))) {
		check = !strcmp(argv[1], "check");
		argc--;
		argv++;
	}
	static const int lists[] = {'f', 0}; /* accumulate; other flags once */
	struct cli_getopt g = {.cmd = CMD, .shortopts = "f:jh", .longopts = opts, .lists = lists};
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_OPT_REPEATED:
			goto out;
		case 'f': {
			const char **n = realloc(files, (nfiles + 1) * sizeof(*n));
			if (!n) {
				fprintf(stderr, "tlsmap %s: out of memory\n", CMD);
				goto out;
			}
			files = n;
			files[nfiles++] = optarg;
			break;
		}
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			status = 0;
			goto out;
		default:
			status = cli_bad_option(CMD, argc, argv);
			goto out;
		}
	}
	if (!check && optind < argc) {
		cli_usage_error(CMD, "unexpected argument '%s' (subcommands: list, check)",
				argv[optind]);
		goto out;
	}
	if (check && optind >= argc) {
		cli_usage_error(CMD, "check: no CERTFILE given");
		goto out;
	}
	if ((status = cli_load_interceptors(CMD, files, nfiles, &list)) != 0)
		goto out;
	if (!check) {
		status = do_list(list, json);
	} else {
		bool any = false, bad = false;

		for (int i = optind; i < argc; i++) {
			int r = check_one(list, argv[i], json);

			any |= r == 0;
			bad |= r == 2;
		}
		status = bad ? CLI_EUSAGE : any ? 0 : 1;
	}
	if (fflush(stdout) != 0) {
		perror("tlsmap interceptors: stdout");
		status = CLI_EUSAGE;
	}
out:
	icpt_list_free(list);
	free(files);
	return status;
}

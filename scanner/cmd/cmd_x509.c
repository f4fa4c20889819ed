/* SPDX-License-Identifier: MIT */
/*
 * tlsmap x509 [--json] FILE...: parse PEM (any number of certificates per
 * file) or DER files (one certificate or several concatenated) with
 * tlsmap's own parser and print one JSON object per
 * certificate, one per line, with the fields the dataset's Certificate
 * records carry. A certificate that does not parse is reported on stderr
 * with its file, index (1-based) and the byte offset in its DER; the
 * command goes on and exits 1 at the end. Usage errors exit 2.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers/x509.h"
#include "scanner/cmd/cli.h"

#define X509_FILE_MAX (64u << 20)

static const char usage_text[] =
	"usage: tlsmap x509 [--json] FILE...\n"
	"\n"
	"Parse X.509 certificates (PEM, several per file, or DER) and print one\n"
	"JSON object per certificate and line, with the keys sha256 sha1 serial\n"
	"version subject issuer subject_cn not_before not_after key_type key_bits\n"
	"curve spki_sha256 san_dns san_ip san_email san_uri is_ca path_len\n"
	"key_usage ext_key_usage aki ski policies ocsp ca_issuers has_sct sig_alg.\n"
	"Names are RFC 4514 strings as `openssl x509 -nameopt RFC2253` prints them.\n"
	"\n"
	"  -j, --json   JSON Lines output (the default and only format)\n"
	"  -h, --help   this text\n"
	"\n"
	"Exit status: 0 all parsed, 1 a file or certificate failed, 2 usage error.\n";

/* Parse and print one certificate; *used gets the octets it spans. */
static int one_cert(const char *path, size_t idx, const uint8_t *der, size_t len, size_t *used)
{
	struct x509_cert cert;
	int ret = x509_parse(der, len, &cert);

	if (ret < 0) {
		fprintf(stderr, "tlsmap x509: %s: certificate %zu: %s (error %d) at offset %u\n",
			path, idx, x509_strerror(ret), ret, cert.err_offset);
		return 1;
	}
	if (used)
		*used = cert.der_len;
	if (x509_fields_json(&cert, der, stdout) < 0) {
		fprintf(stderr, "tlsmap x509: %s: certificate %zu: out of memory\n", path, idx);
		return 1;
	}
	fputc('\n', stdout);
	return 0;
}

static int one_file(const char *path)
{
	size_t len = 0, pos = 0, idx = 0;
	char *text = cli_read_file(path, X509_FILE_MAX, &len);
	uint8_t *der = NULL;
	int status = 0;
	long n;

	if (!text) {
		fprintf(stderr, "tlsmap x509: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!x509_is_pem(text, len)) {
		/* DER: one certificate, or several concatenated */
		size_t off = 0, used = 0;

		do {
			status |= one_cert(path, ++idx, (const uint8_t *)text + off, len - off,
					   &used);
			off += used;
		} while (!status && off < len && (uint8_t)text[off] == 0x30);
		goto out;
	}
	der = malloc(len);
	if (!der) {
		fprintf(stderr, "tlsmap x509: %s: out of memory\n", path);
		status = 1;
		goto out;
	}
	while ((n = x509_pem_next(text, len, &pos, der, len)) != 0) {
		idx++;
		if (n < 0) {
			fprintf(stderr, "tlsmap x509: %s: certificate %zu: bad PEM base64\n", path,
				idx);
			status = 1;
			continue;
		}
		status |= one_cert(path, idx, der, (size_t)n, NULL);
	}
out:
	free(der);
	free(text);
	return status;
}

int cmd_x509(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, status = 0;

	/* each flag at most once */
	struct cli_getopt g = {.cmd = "x509", .shortopts = "jh", .longopts = opts};
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_OPT_REPEATED:
			return CLI_EUSAGE;
		case 'j':
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return cli_bad_option("x509", argc, argv);
		}
	}
	if (optind >= argc) {
		cli_usage_error("x509", "no FILE given");
		return CLI_EUSAGE;
	}
	for (int i = optind; i < argc; i++)
		status |= one_file(argv[i]);
	if (fflush(stdout) != 0) {
		perror("tlsmap x509: stdout");
		status = 1;
	}
	return status;
}

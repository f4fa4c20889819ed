/* SPDX-License-Identifier: MIT */
/*
 * tlsmap dump: a dataset as JSON Lines, one object per record, in the
 * proto3 JSON mapping of tlsmap.v1.Record ({"meta":{...}}, {"certificate":
 * {...}}, {"probe":{...}}, {"end":{...}}). Probe lines carry one extra
 * top-level field, "ipText", the address in text form for jq users.
 *
 * Exit status: 0 when the file is complete (ends with a ScanEnd); 1 when it
 * is incomplete (no ScanEnd, or cut inside a record: a .partial left by a
 * killed scan) or corrupt, with one line on stderr saying so and where;
 * 2 for usage errors. Everything readable is printed in every case.
 * A write error on standard output stops the dump with exit status 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "output/out.h"
#include "scanner/cmd/cli.h"

static const char usage_text[] =
	"usage: tlsmap dump [options] FILE\n"
	"Print the records of a dataset (FILE or FILE.partial) as JSON Lines, one\n"
	"object per record, with the protobuf JSON field names.\n"
	"  --json                 JSON Lines (the default and only format)\n"
	"  --type KIND            only records of KIND: probe, cert, meta or end\n"
	"                         (repeatable)\n"
	"  -h, --help             this text\n"
	"Exit status 1 and an 'incomplete:' line on stderr when the file has no\n"
	"ScanEnd or ends inside a record (the byte offset is given).\n";

static int kind_of(const char *s)
{
	if (!strcmp(s, "meta"))
		return TLSMAP__V1__RECORD__KIND_META;
	if (!strcmp(s, "cert") || !strcmp(s, "certificate"))
		return TLSMAP__V1__RECORD__KIND_CERTIFICATE;
	if (!strcmp(s, "probe"))
		return TLSMAP__V1__RECORD__KIND_PROBE;
	if (!strcmp(s, "end"))
		return TLSMAP__V1__RECORD__KIND_END;
	return -1;
}

static void print_ip_text(const ProtobufCBinaryData *ip)
{
	char buf[INET6_ADDRSTRLEN] = "";

	if (ip->len == 4)
		inet_ntop(AF_INET, ip->data, buf, sizeof(buf));
	else if (ip->len == 16)
		inet_ntop(AF_INET6, ip->data, buf, sizeof(buf));
	if (buf[0])
		printf(",\"ipText\":\"%s\"", buf);
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"json", no_argument, NULL, 'j'},
		{"type", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	unsigned want = 0; /* bit per kind; 0 = all */
	struct out_reader *r;
	Tlsmap__V1__Record *rec;
	uint64_t nrec = 0;
	bool have_end = false;
	int c, err, ret;

	static const int lists[] = {'t', 0}; /* accumulate; other flags once */
	struct cli_getopt g = {
		.cmd = "dump", .shortopts = "hjt:", .longopts = opts, .lists = lists};
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_OPT_REPEATED:
			return CLI_EUSAGE;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'j':
			break;
		case 't': {
			int k = kind_of(optarg);

			if (k < 0) {
				cli_usage_error("dump",
						"invalid value for --type: '%s' (expected probe, "
						"cert, meta or end)",
						optarg);
				return CLI_EUSAGE;
			}
			want |= 1u << k;
			break;
		}
		default:
			return cli_bad_option("dump", argc, argv);
		}
	}
	if (argc - optind != 1) {
		cli_usage_error("dump",
				argc == optind ? "missing FILE" : "expected one FILE, got %d",
				argc - optind);
		return CLI_EUSAGE;
	}
	r = out_reader_open(argv[optind], &err);
	if (!r) {
		fprintf(stderr, "tlsmap dump: %s: %s%s%s\n", argv[optind], out_strerror(err),
			err == OUT_EIO ? ": " : "", err == OUT_EIO ? strerror(errno) : "");
		return 1;
	}
	while ((ret = out_reader_next(r, &rec)) == 1) {
		nrec++;
		if (rec->kind_case == TLSMAP__V1__RECORD__KIND_END)
			have_end = true;
		if (!want || (want >> rec->kind_case & 1)) {
			if (rec->kind_case == TLSMAP__V1__RECORD__KIND_PROBE) {
				fputs("{\"probe\":", stdout);
				out_json_message(stdout, &rec->probe->base);
				print_ip_text(&rec->probe->ip);
				fputs("}\n", stdout);
			} else {
				out_json_message(stdout, &rec->base);
				fputc('\n', stdout);
			}
		}
		out_record_free(rec);
		if (ferror(stdout)) {
			/* stdout is gone (full disk, closed pipe): reading on would only
			 * hide the error; main() names it and exits non-zero. */
			out_reader_close(r);
			return 1;
		}
	}
	fflush(stdout);
	if (ret < 0) {
		fprintf(stderr,
			"incomplete: %s: %s at byte offset %" PRIu64 " after %" PRIu64
			" complete records\n",
			argv[optind], out_strerror(ret), out_reader_offset(r), nrec);
		ret = 1;
	} else if (!have_end) {
		fprintf(stderr,
			"incomplete: %s: no ScanEnd record (scan killed or still running); "
			"%" PRIu64 " complete records, file ends cleanly at byte offset %" PRIu64
			"\n",
			argv[optind], nrec, out_reader_offset(r));
		ret = 1;
	} else {
		ret = 0;
	}
	out_reader_close(r);
	return ret;
}

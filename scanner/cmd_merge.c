/* SPDX-License-Identifier: MIT */
/*
 * tlsmap merge -o OUT IN...: join the shard files of one scan.
 *
 * The inputs must describe the same scan: same seed, target specification,
 * ports, SNI list, control SNI, shard count and syn-only mode, and distinct
 * shard indexes; otherwise the command stops before writing anything, with
 * a message naming the file and the field that differs. The output's
 * ScanMeta is the first shard's with shard = 0, shards = 1, merged_shards =
 * the original count, merged_shard_indexes = the indexes present,
 * target_count summed, start time the earliest. Records are copied shard by
 * shard in order; certificates are deduplicated by the writer. The ScanEnd
 * sums the counters (certificates = distinct certificates in the output),
 * takes the latest end time, and is clean only if every shard was.
 * A shard without ScanEnd or cut short is refused unless --allow-incomplete.
 *
 * Streaming: the first pass reads only each input's ScanMeta and keeps the
 * first one plus a few numbers per input; the second opens the inputs one
 * at a time, so 64 shards cost one reader and one ScanMeta of memory.
 *
 * Nothing existing is destroyed: the output is written to OUT.partial and
 * renamed only once complete; on any refusal or error OUT.partial is
 * removed and an existing OUT stays as it was. An OUT (or OUT.partial)
 * that is one of the inputs, by device and inode or by resolved path, is a
 * usage error found before anything is opened for writing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/out.h"
#include "scanner/cli.h"

static const char usage_text[] =
	"usage: tlsmap merge -o OUT [options] IN...\n"
	"Join the shard files of one scan (same seed, targets, ports, SNI list and\n"
	"shard count; distinct shard indexes) into one dataset. Each IN may be\n"
	"plain or zstd-compressed.\n"
	"  -o, --output FILE        the merged dataset (written via FILE.partial,\n"
	"                           renamed when complete; not one of the INs);\n"
	"                           zstd-compressed when FILE ends in .zst\n"
	"  --allow-incomplete       accept shards without ScanEnd or truncated\n"
	"                           (the merged ScanEnd is then marked not clean)\n"
	"  -h, --help               this text\n";

/* What merge keeps of each input between the passes: a few numbers, not
 * its ScanMeta (only the first input's is kept), and no open file. */
struct input {
	const char *path;
	uint32_t shard;
	uint64_t target_count, start_time_us;
};

static bool strv_eq(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* Name the first field of ScanMeta that differs between two shards, or NULL. */
static const char *meta_mismatch(const Tlsmap__V1__ScanMeta *a, const Tlsmap__V1__ScanMeta *b)
{
	if (a->seed != b->seed)
		return "seed";
	if (a->shards != b->shards)
		return "shard count";
	if (!strv_eq(a->targets, a->n_targets, b->targets, b->n_targets))
		return "target specification";
	if (a->n_ports != b->n_ports || memcmp(a->ports, b->ports, a->n_ports * sizeof(*a->ports)))
		return "port list";
	if (!strv_eq(a->snis, a->n_snis, b->snis, b->n_snis))
		return "SNI list";
	if (strcmp(a->control_sni, b->control_sni) != 0)
		return "control SNI";
	if (a->syn_only != b->syn_only)
		return "syn-only mode";
	if (!strv_eq(a->countries, a->n_countries, b->countries, b->n_countries))
		return "country list";
	if (a->format_version != b->format_version)
		return "format version";
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_input(const void *a, const void *b)
{
	const struct input *x = a, *y = b;

	return cmp_u32(&x->shard, &y->shard);
}

/*
 * Open @path and read its ScanMeta. Returns the reader (positioned after
 * it) and the record in *meta, or NULL after printing why.
 */
static struct out_reader *open_input(const char *path, Tlsmap__V1__Record **meta)
{
	struct out_reader *r;
	int err;

	*meta = NULL;
	r = out_reader_open(path, &err);
	if (!r) {
		fprintf(stderr, "tlsmap merge: %s: %s%s%s\n", path, out_strerror(err),
			err == OUT_EIO ? ": " : "", err == OUT_EIO ? strerror(errno) : "");
		return NULL;
	}
	err = out_reader_next(r, meta);
	if (err < 0)
		fprintf(stderr, "tlsmap merge: %s: %s at byte offset %llu\n", path,
			out_strerror(err), (unsigned long long)out_reader_offset(r));
	else if (err == 0 || (*meta)->kind_case != TLSMAP__V1__RECORD__KIND_META)
		fprintf(stderr, "tlsmap merge: %s: does not start with a ScanMeta record\n", path);
	if (err != 1 || (*meta)->kind_case != TLSMAP__V1__RECORD__KIND_META) {
		out_record_free(*meta);
		*meta = NULL;
		out_reader_close(r);
		return NULL;
	}
	return r;
}

int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"output", required_argument, NULL, 'o'},
		{"allow-incomplete", no_argument, NULL, 'A'},
		{NULL, 0, NULL, 0},
	};
	const char *out_path = NULL;
	bool allow_incomplete = false;
	struct input *in = NULL;
	struct out_writer *w = NULL;
	Tlsmap__V1__Record *first = NULL; /* the first input's ScanMeta */
	char *partial = NULL;
	Tlsmap__V1__ScanMeta meta;
	Tlsmap__V1__ScanEnd end = TLSMAP__V1__SCAN_END__INIT;
	uint32_t *idx = NULL;
	size_t nin;
	bool clean = true;
	uint64_t ncerts = 0;
	char reasons[512] = "";
	int c, ret = 1;

	/* each flag at most once */
	struct cli_getopt g = {.cmd = "merge", .shortopts = "ho:", .longopts = opts};
	while ((c = cli_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case CLI_OPT_REPEATED:
			return CLI_EUSAGE;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'o':
			out_path = optarg;
			break;
		case 'A':
			allow_incomplete = true;
			break;
		default:
			return cli_bad_option("merge", argc, argv);
		}
	}
	if (!out_path) {
		cli_usage_error("merge", "missing -o OUT");
		return CLI_EUSAGE;
	}
	if (optind == argc) {
		cli_usage_error("merge", "missing IN files");
		return CLI_EUSAGE;
	}
	nin = (size_t)(argc - optind);
	in = calloc(nin, sizeof(*in));
	idx = calloc(nin, sizeof(*idx));
	partial = malloc(strlen(out_path) + sizeof(".partial"));
	if (!in || !idx || !partial)
		goto out;
	sprintf(partial, "%s.partial", out_path);
	for (size_t i = 0; i < nin; i++) {
		in[i].path = argv[optind + (int)i];
		if (out_same_file(out_path, in[i].path) || out_same_file(partial, in[i].path)) {
			cli_usage_error("merge", "the output %s is also an input (%s)", out_path,
					in[i].path);
			ret = CLI_EUSAGE;
			goto out;
		}
	}

	/* Pass 1: every input opens, starts with a ScanMeta, and agrees with
	 * the first; only the first ScanMeta is kept. */
	for (size_t i = 0; i < nin; i++) {
		Tlsmap__V1__Record *m;
		struct out_reader *r = open_input(in[i].path, &m);
		const char *bad = NULL;

		if (!r)
			goto out;
		if (m->meta->merged_shards) {
			fprintf(stderr, "tlsmap merge: %s: is already a merged file\n", in[i].path);
			bad = "";
		} else if (i > 0 && (bad = meta_mismatch(first->meta, m->meta))) {
			fprintf(stderr,
				"tlsmap merge: %s and %s are not shards of one scan: "
				"their %s differs\n",
				in[0].path, in[i].path, bad);
		} else if (m->meta->shard >= m->meta->shards) {
			fprintf(stderr, "tlsmap merge: %s: shard %u of %u is out of range\n",
				in[i].path, m->meta->shard, m->meta->shards);
			bad = "";
		}
		for (size_t j = 0; !bad && j < i; j++) {
			if (in[j].shard == m->meta->shard) {
				fprintf(stderr,
					"tlsmap merge: %s and %s are the same shard (%u of %u)\n",
					in[j].path, in[i].path, m->meta->shard, m->meta->shards);
				bad = "";
			}
		}
		in[i].shard = m->meta->shard;
		in[i].target_count = m->meta->target_count;
		in[i].start_time_us = m->meta->start_time_us;
		out_reader_close(r);
		if (i == 0 && !bad)
			first = m;
		else
			out_record_free(m);
		if (bad)
			goto out;
	}
	if (nin < first->meta->shards)
		fprintf(stderr,
			"tlsmap merge: note: %zu of %u shards given; the merge covers only those\n",
			nin, first->meta->shards);
	qsort(in, nin, sizeof(*in), cmp_input);

	meta = *first->meta;
	meta.shard = 0;
	meta.shards = 1;
	meta.merged_shards = first->meta->shards;
	meta.n_merged_shard_indexes = nin;
	meta.merged_shard_indexes = idx;
	meta.target_count = 0;
	for (size_t i = 0; i < nin; i++) {
		idx[i] = in[i].shard;
		meta.target_count += in[i].target_count;
		if (in[i].start_time_us < meta.start_time_us)
			meta.start_time_us = in[i].start_time_us;
	}

	w = out_writer_open(out_path);
	if (!w) {
		fprintf(stderr, "tlsmap merge: %s: %s\n", partial, strerror(errno));
		goto out;
	}
	if (out_write_meta(w, &meta) != OUT_OK)
		goto werr;

	/* Pass 2: copy, one input open at a time. */
	for (size_t i = 0; i < nin; i++) {
		Tlsmap__V1__Record *rec, *m;
		struct out_reader *r = open_input(in[i].path, &m);
		bool have_end = false;
		const char *changed;
		int rr;

		if (!r)
			goto refuse;
		changed = m->meta->shard != in[i].shard ? "shard index"
							: meta_mismatch(first->meta, m->meta);
		out_record_free(m);
		if (changed) {
			fprintf(stderr, "tlsmap merge: %s changed during the merge (%s)\n",
				in[i].path, changed);
			out_reader_close(r);
			goto refuse;
		}
		while ((rr = out_reader_next(r, &rec)) == 1) {
			int e = OUT_OK;

			switch (rec->kind_case) {
			case TLSMAP__V1__RECORD__KIND_CERTIFICATE: {
				uint64_t before = out_writer_records(w);

				e = out_write_cert(w, rec->certificate);
				ncerts += out_writer_records(w) - before;
				break;
			}
			case TLSMAP__V1__RECORD__KIND_PROBE:
				e = out_write_probe(w, rec->probe);
				break;
			case TLSMAP__V1__RECORD__KIND_END: {
				const Tlsmap__V1__ScanEnd *x = rec->end;

				have_end = true;
				if (x->end_time_us > end.end_time_us)
					end.end_time_us = x->end_time_us;
				if (!x->clean) {
					clean = false;
					snprintf(reasons + strlen(reasons),
						 sizeof(reasons) - strlen(reasons),
						 "%sshard %u: %s", reasons[0] ? "; " : "",
						 in[i].shard, x->stop_reason);
				}
				end.targets_sent += x->targets_sent;
				end.synack += x->synack;
				end.rst += x->rst;
				end.probes += x->probes;
				end.tls_ok += x->tls_ok;
				end.records_dropped += x->records_dropped;
				end.rx_dropped += x->rx_dropped;
				end.localize_jobs += x->localize_jobs;
				end.localized += x->localized;
				end.unstable_hosts += x->unstable_hosts;
				break;
			}
			default:
				break; /* a second meta, or an unknown kind: not copied */
			}
			out_record_free(rec);
			if (e != OUT_OK) {
				out_reader_close(r);
				goto werr;
			}
		}
		if (rr < 0 || !have_end) {
			const char *why = rr < 0 ? out_strerror(rr) : "no ScanEnd record";
			unsigned long long at = out_reader_offset(r);

			out_reader_close(r);
			if (!allow_incomplete) {
				fprintf(stderr,
					"tlsmap merge: %s is incomplete (%s at byte offset %llu); "
					"use --allow-incomplete to merge what it holds\n",
					in[i].path, why, at);
				goto refuse;
			}
			clean = false;
			snprintf(reasons + strlen(reasons), sizeof(reasons) - strlen(reasons),
				 "%sshard %u: incomplete", reasons[0] ? "; " : "", in[i].shard);
		} else {
			out_reader_close(r);
		}
	}
	end.clean = clean;
	end.stop_reason = clean ? "done" : reasons;
	end.certificates = ncerts; /* distinct certificates in the merged file */
	ret = out_writer_close(w, &end);
	w = NULL;
	if (ret != OUT_OK) {
		int e = errno;

		fprintf(stderr, "tlsmap merge: writing %s: %s: %s; %s is left as it was\n", partial,
			out_strerror(ret), strerror(e), out_path);
		unlink(partial); /* ours: an incomplete merge is worth nothing */
		ret = 1;
		goto out;
	}
	fprintf(stderr, "tlsmap merge: %zu shard(s) -> %s\n", nin, out_path);
	ret = 0;
	goto out;
werr:
	fprintf(stderr, "tlsmap merge: writing %s failed: %s; %s is left as it was\n", partial,
		strerror(out_writer_errno(w) ? out_writer_errno(w) : errno), out_path);
refuse:
	out_writer_abort(w); /* removes OUT.partial, never OUT */
	w = NULL;
	ret = 1;
out:
	out_record_free(first);
	free(in);
	free(idx);
	free(partial);
	return ret;
}
